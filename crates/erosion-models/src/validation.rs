//! Validation splits: stratified k-fold, and time-based folds over a cutoff key.

use serde::{Deserialize, Serialize};

pub use erosion_inference::validation::ValidationPlan;

use crate::error::{ModelError, Result};
use crate::rng::SplitMix64;

/// Rows to train on and rows to validate on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fold {
    /// Training rows.
    pub train: Vec<usize>,
    /// Validation rows.
    pub valid: Vec<usize>,
    /// For time-based folds, the cutoff validated on.
    pub cutoff: Option<i64>,
}

/// Stratified k-fold: per class, rows are shuffled with a SplitMix64 stream from `seed`, then dealt
/// round robin, so fold sizes differ by at most one per class.
pub fn stratified_k_fold(y: &[u8], k: usize, seed: u64) -> Result<Vec<Fold>> {
    if k < 2 {
        return Err(ModelError::InvalidParameter {
            name: "folds".into(),
            value: k.to_string(),
            why: "must be at least 2".into(),
        });
    }
    let mut fold = vec![0usize; y.len()];
    let mut rng = SplitMix64::new(seed);
    for class in [0u8, 1] {
        let mut idx: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        if idx.len() < k {
            return Err(ModelError::Validation(format!(
                "class {class} has {} rows, fewer than the {k} folds",
                idx.len()
            )));
        }
        rng.shuffle(&mut idx);
        for (pos, &i) in idx.iter().enumerate() {
            fold[i] = pos % k;
        }
    }
    Ok((0..k)
        .map(|f| Fold {
            train: (0..y.len()).filter(|&i| fold[i] != f).collect(),
            valid: (0..y.len()).filter(|&i| fold[i] == f).collect(),
            cutoff: None,
        })
        .collect())
}

/// Time-based folds: validation on each of the latest `max_folds` distinct cutoffs that have at
/// least one training cutoff `min_gap` or more earlier; training on those earlier cutoffs only.
/// Latest cutoff last. Every fold's train and validation rows hold both classes.
pub fn time_based_folds(
    cutoffs: &[i64],
    y: &[u8],
    max_folds: usize,
    min_gap: i64,
) -> Result<Vec<Fold>> {
    if cutoffs.len() != y.len() {
        return Err(ModelError::LengthMismatch {
            what: "cutoffs".into(),
            expected: y.len(),
            got: cutoffs.len(),
        });
    }
    if min_gap < 1 || max_folds == 0 {
        return Err(ModelError::InvalidParameter {
            name: "time-based validation".into(),
            value: format!("min_gap={min_gap}, max_folds={max_folds}"),
            why: "min_gap and max_folds must be at least 1".into(),
        });
    }
    let mut distinct: Vec<i64> = cutoffs.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let mut folds = Vec::new();
    for &c in distinct.iter().rev() {
        if folds.len() == max_folds {
            break;
        }
        let train: Vec<usize> = (0..y.len())
            .filter(|&i| cutoffs[i] <= c - min_gap)
            .collect();
        if train.is_empty() {
            continue;
        }
        let valid: Vec<usize> = (0..y.len()).filter(|&i| cutoffs[i] == c).collect();
        for (what, rows) in [("training", &train), ("validation", &valid)] {
            let pos = rows.iter().filter(|&&i| y[i] == 1).count();
            if pos == 0 || pos == rows.len() {
                return Err(ModelError::Validation(format!(
                    "the {what} rows of the fold validating cutoff {c} hold one class only"
                )));
            }
        }
        folds.push(Fold {
            train,
            valid,
            cutoff: Some(c),
        });
    }
    if folds.is_empty() {
        return Err(ModelError::Validation(format!(
            "time-based validation needs two cutoffs at least {min_gap} apart; found {} distinct cutoff(s)",
            distinct.len()
        )));
    }
    folds.reverse();
    Ok(folds)
}

/// One stratified holdout: `(train, valid)` with about `fraction` of each class in `valid`.
pub fn stratified_holdout(y: &[u8], fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    let mut rng = SplitMix64::new(seed ^ 0x686F_6C64);
    let mut train = Vec::new();
    let mut valid = Vec::new();
    for class in [0u8, 1] {
        let mut idx: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        rng.shuffle(&mut idx);
        let nv = ((idx.len() as f64 * fraction).round() as usize).max(1);
        if nv >= idx.len() {
            return Err(ModelError::Validation(format!(
                "class {class} has {} rows: too few to hold out a validation split",
                idx.len()
            )));
        }
        valid.extend_from_slice(&idx[..nv]);
        train.extend_from_slice(&idx[nv..]);
    }
    train.sort_unstable();
    valid.sort_unstable();
    Ok((train, valid))
}
