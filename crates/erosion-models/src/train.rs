//! Training with validation, model selection, calibration and thresholds; the result is the
//! serialisable [`TrainedModel`] of `erosion-inference`.

pub use erosion_inference::trained::*;

use crate::calibration::choose_calibrator;
use crate::encode::{fit_spec, EncodeOptions, RawColumn};
use crate::error::{ModelError, Result};
use crate::forest::{Forest, ForestParams};
use crate::gbdt::{Gbdt, GbdtParams};
use crate::logistic::Logistic;
use crate::matrix::{check_labels, FeatureMatrix};
use crate::metrics::{MetricSummary, Metrics};
use crate::model::{Model, ModelKind};
use crate::thresholds::choose_thresholds;
use crate::validation::{stratified_k_fold, time_based_folds, Fold, ValidationPlan};
use crate::Learner;

fn fit_kind(kind: ModelKind, x: &FeatureMatrix, y: &[u8], c: &TrainConfig) -> Result<Model> {
    Ok(match kind {
        ModelKind::Logistic => Model::Logistic(Logistic::fit(x, y, &c.logistic)?),
        ModelKind::Forest => Model::Forest(Forest::fit(
            x,
            y,
            &ForestParams {
                seed: c.seed,
                ..c.forest.clone()
            },
        )?),
        ModelKind::Gbdt => Model::Gbdt(Gbdt::fit(
            x,
            y,
            &GbdtParams {
                seed: c.seed,
                ..c.gbdt.clone()
            },
        )?),
        ModelKind::Auto => {
            return Err(ModelError::InvalidParameter {
                name: "model".into(),
                value: "auto".into(),
                why: "auto is resolved to a family before fitting".into(),
            })
        }
    })
}

/// Out-of-fold results of one family.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossValidation {
    /// Per-fold metrics with mean and spread.
    pub metrics: MetricSummary,
    /// Validated rows, in fold order.
    pub rows: Vec<usize>,
    /// Log-odds score of each validated row (from the model that did not see it).
    pub score: Vec<f64>,
    /// Uncalibrated probability of each validated row.
    pub probability: Vec<f64>,
}

/// Fits `kind` on each fold's training rows and scores its validation rows.
pub fn cross_validate(
    kind: ModelKind,
    x: &FeatureMatrix,
    y: &[u8],
    folds: &[Fold],
    config: &TrainConfig,
) -> Result<CrossValidation> {
    cross_validate_with(kind, x, y, folds, config, &|_| {})
}

/// What [`train_with`] reports as it goes, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrainStep {
    /// The run will take this many steps (folds of every candidate, the final fit, importance).
    Planned(u64),
    /// The step now under way, in words ("gbdt: fold 2 of 5 fitted").
    Done(String),
}

/// [`cross_validate`], calling `on_fold` with the fold's index as each fold ends (from the thread
/// that fitted it).
fn cross_validate_with(
    kind: ModelKind,
    x: &FeatureMatrix,
    y: &[u8],
    folds: &[Fold],
    config: &TrainConfig,
    on_fold: &(dyn Fn(usize) + Sync),
) -> Result<CrossValidation> {
    use rayon::prelude::*;
    // Folds are independent: they run side by side (each fit is deterministic, so the results
    // do not depend on which core ran which fold), and are put back in fold order.
    let fitted: Vec<(Vec<f64>, Vec<f64>, Metrics)> = folds
        .par_iter()
        .enumerate()
        .map(|(i, f)| {
            let mut xt = x.select_rows(&f.train);
            // A column with values only at later cutoffs (a window longer than the history
            // of the earliest ones) tells this fold's model nothing: it sees a constant.
            let unseen = xt.all_missing_columns();
            xt.set_columns(&unseen, 0.0);
            let yt: Vec<u8> = f.train.iter().map(|&i| y[i]).collect();
            let model = fit_kind(kind, &xt, &yt, config)?;
            drop(xt);
            let mut xv = x.select_rows(&f.valid);
            xv.set_columns(&unseen, 0.0);
            let yv: Vec<u8> = f.valid.iter().map(|&i| y[i]).collect();
            let s = model.score(&xv);
            let p: Vec<f64> = match &model {
                Model::Forest(_) => model.predict_raw(&xv),
                _ => s.iter().map(|&z| Model::score_to_probability(z)).collect(),
            };
            let m = Metrics::compute(&yv, &p);
            on_fold(i);
            Ok((s, p, m))
        })
        .collect::<Result<_>>()?;
    let mut per_fold = Vec::new();
    let (mut rows, mut score, mut probability) = (Vec::new(), Vec::new(), Vec::new());
    for (f, (s, p, m)) in folds.iter().zip(fitted) {
        per_fold.push(m);
        rows.extend_from_slice(&f.valid);
        score.extend(s);
        probability.extend(p);
    }
    Ok(CrossValidation {
        metrics: MetricSummary::from_folds(per_fold),
        rows,
        score,
        probability,
    })
}

/// Trains a model on an encoded matrix.
///
/// With `cutoffs` (one integer key per row, larger = later) holding at least two distinct values,
/// validation is time-based: see [`ValidationPlan::TimeBased`]. Otherwise stratified k-fold. With [`ModelKind::Auto`] every family
/// is cross-validated and the best mean ROC-AUC kept. The calibrator and threshold are fitted on
/// the kept family's out-of-fold scores; the final model is refitted on all rows.
pub fn train(
    x: &FeatureMatrix,
    y: &[u8],
    cutoffs: Option<&[i64]>,
    config: &TrainConfig,
) -> Result<TrainedModel> {
    train_with(x, y, cutoffs, config, &|_| {})
}

/// [`train`], reporting each step to `progress` (from whichever thread finished it).
pub fn train_with(
    x: &FeatureMatrix,
    y: &[u8],
    cutoffs: Option<&[i64]>,
    config: &TrainConfig,
    progress: &(dyn Fn(TrainStep) + Sync),
) -> Result<TrainedModel> {
    train_with_scores(x, y, cutoffs, config, progress).map(|(model, _)| model)
}

/// The calibrated out-of-fold probabilities of the kept family: what validation scored, on
/// rows no model that scored them was fitted on (the calibrator and the action threshold were
/// fitted on these).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationScores {
    /// Training rows validated, in the order of `calibrated`.
    pub rows: Vec<usize>,
    /// Their calibrated probabilities.
    pub calibrated: Vec<f64>,
}

/// The validation plan, its folds and what the report says of each: time-based with
/// `time_keys` (at least two distinct cutoffs), stratified k-fold otherwise.
fn plan_folds(
    y: &[u8],
    time_keys: Option<&[i64]>,
    config: &TrainConfig,
) -> Result<(ValidationPlan, Vec<Fold>, Vec<FoldInfo>)> {
    let (plan, folds) = match time_keys {
        Some(c) => (
            ValidationPlan::TimeBased {
                max_folds: config.time_folds,
                min_gap: config.time_min_gap,
            },
            time_based_folds(c, y, config.time_folds, config.time_min_gap)?,
        ),
        None => (
            ValidationPlan::StratifiedKFold {
                k: config.folds,
                seed: config.seed,
            },
            stratified_k_fold(y, config.folds, config.seed)?,
        ),
    };
    let fold_info = folds
        .iter()
        .map(|f| FoldInfo {
            train_rows: f.train.len(),
            valid_rows: f.valid.len(),
            cutoff: f.cutoff,
            latest_train_cutoff: time_keys.and_then(|c| f.train.iter().map(|&i| c[i]).max()),
        })
        .collect();
    Ok((plan, folds, fold_info))
}

/// [`train_with`], also returning the calibrated out-of-fold probabilities.
pub fn train_with_scores(
    x: &FeatureMatrix,
    y: &[u8],
    cutoffs: Option<&[i64]>,
    config: &TrainConfig,
    progress: &(dyn Fn(TrainStep) + Sync),
) -> Result<(TrainedModel, ValidationScores)> {
    x.check_trainable()?;
    check_labels(y, x.n_rows())?;
    // A single cutoff has no earlier one to train on: stratified k-fold, as for a plain table.
    let time_keys = cutoffs.filter(|c| c.iter().any(|&v| v != c[0]));
    let (plan, folds, fold_info) = plan_folds(y, time_keys, config)?;
    let kinds: Vec<ModelKind> = match config.model {
        ModelKind::Auto => vec![ModelKind::Logistic, ModelKind::Forest, ModelKind::Gbdt],
        k => vec![k],
    };
    progress(TrainStep::Planned((kinds.len() * folds.len()) as u64 + 2));
    let mut results = Vec::new();
    let mut final_model = None;
    for &k in &kinds {
        let done = std::sync::atomic::AtomicUsize::new(0);
        let on_fold = |_| {
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(TrainStep::Done(format!(
                "{k}: {n} of {} folds validated",
                folds.len()
            )));
        };
        // With one family asked for, the final model needs nothing from validation: it is
        // fitted beside the folds, so both cores stay busy to the end.
        let cv = if kinds.len() == 1 {
            let (cv, model) = rayon::join(
                || cross_validate_with(k, x, y, &folds, config, &on_fold),
                || fit_kind(k, x, y, config),
            );
            final_model = Some(model);
            cv?
        } else {
            cross_validate_with(k, x, y, &folds, config, &on_fold)?
        };
        results.push((k, cv));
    }
    let (chosen, reason) = select(&results, config);
    let cv = &results
        .iter()
        .find(|r| r.0 == chosen)
        .expect("chosen is a candidate")
        .1;
    let y_oof: Vec<u8> = cv.rows.iter().map(|&i| y[i]).collect();
    let (calibrator, calibration) = choose_calibrator(
        &cv.score,
        &cv.probability,
        &y_oof,
        config.calibration,
        config.seed,
    )?;
    let calibrated: Vec<f64> = cv.score.iter().map(|&s| calibrator.apply(s)).collect();
    let thresholds = choose_thresholds(&calibrated, &y_oof, &config.threshold)?;
    let model = match final_model {
        Some(model) => model?,
        None => fit_kind(chosen, x, y, config)?,
    };
    progress(TrainStep::Done(format!(
        "{chosen}: final model fitted on every row"
    )));
    let importance = importance(&model, x);
    progress(TrainStep::Done("global importance computed".into()));
    let positives = y.iter().filter(|&&v| v == 1).count();
    let cutoff_list = cutoffs.map(|c| {
        let mut d = c.to_vec();
        d.sort_unstable();
        d.dedup();
        d
    });
    let validation_scores = ValidationScores {
        rows: cv.rows.clone(),
        calibrated,
    };
    Ok((
        TrainedModel {
            kind: chosen,
            features: x.columns().to_vec(),
            spec: None,
            model,
            calibrator,
            calibration,
            thresholds,
            validation: ValidationReport {
                plan,
                folds: fold_info,
                candidates: results
                    .into_iter()
                    .map(|(kind, cv)| CandidateResult {
                        kind,
                        metrics: cv.metrics,
                    })
                    .collect(),
                selected: chosen,
                reason,
            },
            training: TrainingSummary {
                rows: y.len(),
                positives,
                positive_rate: positives as f64 / y.len() as f64,
                cutoffs: cutoff_list,
            },
            importance,
            config: config.clone(),
        },
        validation_scores,
    ))
}

/// Encodes raw table columns with a new [`FeatureSpec`], trains, and stores the spec in the model.
pub fn train_table(
    columns: &[RawColumn],
    y: &[u8],
    cutoffs: Option<&[i64]>,
    encode: &EncodeOptions,
    config: &TrainConfig,
) -> Result<TrainedModel> {
    train_table_with(columns, y, cutoffs, encode, config, &|_| {})
}

/// [`train_table`], reporting each step to `progress`.
pub fn train_table_with(
    columns: &[RawColumn],
    y: &[u8],
    cutoffs: Option<&[i64]>,
    encode: &EncodeOptions,
    config: &TrainConfig,
    progress: &(dyn Fn(TrainStep) + Sync),
) -> Result<TrainedModel> {
    train_table_with_scores(columns, y, cutoffs, encode, config, progress).map(|(m, _)| m)
}

/// [`train_table_with`], also returning the calibrated out-of-fold probabilities.
pub fn train_table_with_scores(
    columns: &[RawColumn],
    y: &[u8],
    cutoffs: Option<&[i64]>,
    encode: &EncodeOptions,
    config: &TrainConfig,
    progress: &(dyn Fn(TrainStep) + Sync),
) -> Result<(TrainedModel, ValidationScores)> {
    let (spec, x) = fit_spec(columns, encode)?;
    let (mut model, scores) = train_with_scores(&x, y, cutoffs, config, progress)?;
    model.spec = Some(spec);
    Ok((model, scores))
}

fn fmt_metric(m: &MetricSummary) -> String {
    match &m.std {
        Some(s) => format!("{:.4} ± {:.4}", m.mean.roc_auc, s.roc_auc),
        None => format!("{:.4}", m.mean.roc_auc),
    }
}

fn select(results: &[(ModelKind, CrossValidation)], config: &TrainConfig) -> (ModelKind, String) {
    if results.len() == 1 {
        let (k, cv) = &results[0];
        return (
            *k,
            format!(
                "{k} was requested; validation ROC-AUC {}",
                fmt_metric(&cv.metrics)
            ),
        );
    }
    let mut best = 0;
    for (i, r) in results.iter().enumerate() {
        if r.1.metrics.mean.roc_auc > results[best].1.metrics.mean.roc_auc {
            best = i;
        }
    }
    let best_auc = results[best].1.metrics.mean.roc_auc;
    let others: Vec<String> = results
        .iter()
        .map(|(k, cv)| format!("{k} {}", fmt_metric(&cv.metrics)))
        .collect();
    if let Some((k, cv)) = results.iter().find(|r| r.0 == ModelKind::Logistic) {
        let gap = best_auc - cv.metrics.mean.roc_auc;
        if results[best].0 != ModelKind::Logistic && gap <= config.prefer_simple_within {
            return (
                *k,
                format!(
                    "logistic kept: its mean validation ROC-AUC is within {:.4} of the best ({}), and it is the simplest model with exact explanations; candidates: {}",
                    config.prefer_simple_within,
                    results[best].0,
                    others.join(", ")
                ),
            );
        }
    }
    let k = results[best].0;
    (
        k,
        format!(
            "{k} kept: highest mean validation ROC-AUC; candidates: {}",
            others.join(", ")
        ),
    )
}

/// How many of `n` training rows the global importance averages over: up to 5,000, evenly
/// spaced; fewer (never under 1,000) when explaining one row takes more than 200,000 steps
/// ([`Model::explain_steps`]), as with a large forest of deep trees, where 5,000 rows of exact
/// TreeSHAP would take most of the training time.
pub fn importance_rows(model: &Model, n: usize) -> usize {
    const STEPS: f64 = 1e9;
    let per_row = model.explain_steps().max(1.0);
    n.min(((STEPS / per_row) as usize).clamp(1000, 5000))
}

fn importance(model: &Model, x: &FeatureMatrix) -> Vec<FeatureImportance> {
    let n = x.n_rows();
    let take = importance_rows(model, n);
    let rows: Vec<usize> = (0..take).map(|k| k * n / take).collect();
    let contrib = model.contributions(&x.select_rows(&rows));
    let mean_abs = contrib.mean_abs();
    let gain = model.gain_importance(x.n_cols());
    let mut out: Vec<FeatureImportance> = x
        .columns()
        .iter()
        .enumerate()
        .map(|(j, c)| FeatureImportance {
            feature: c.name.clone(),
            source: c.source().to_string(),
            mean_abs_contribution: mean_abs[j],
            gain_share: gain.as_ref().map(|g| g[j]),
        })
        .collect();
    out.sort_by(|a, b| {
        b.mean_abs_contribution
            .total_cmp(&a.mean_abs_contribution)
            .then_with(|| a.feature.cmp(&b.feature))
    });
    out
}
