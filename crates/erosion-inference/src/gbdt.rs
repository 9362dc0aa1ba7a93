//! Gradient-boosted decision trees for binary log-loss, of LightGBM's kind: histogram binning
//! (up to 255 bins), leaf-wise growth, missing values routed natively (each split learns where
//! they go), optional row and column subsampling, and early stopping on a validation split.
//!
//! Defaults are for the small and mid-sized tables churn work sees (thousands to millions of rows):
//! small trees (8 leaves, depth 4), learning rate 0.05, at least 20 rows a leaf, L2 1, and rounds
//! chosen by early stopping on a stratified 15 % split, then refit on all rows for that many rounds.
//!
//! This module holds the fitted form and its prediction; `erosion_models::Learner` fits it.

use crate::matrix::FeatureMatrix;
use crate::tree::{predict_sum, Tree};
use serde::{Deserialize, Serialize};

/// Early stopping on a held-out part of the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// Share of training rows held out (stratified) to watch the validation log-loss.
    pub validation_fraction: f64,
    /// Stop after this many rounds without improvement.
    pub patience: usize,
    /// After stopping, refit on all rows for the best number of rounds (else keep the model
    /// trained without the held-out rows).
    pub refit: bool,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        Self {
            validation_fraction: 0.15,
            patience: 50,
            refit: true,
        }
    }
}

/// Hyperparameters of [`Gbdt`] (names as in LightGBM).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GbdtParams {
    /// Most boosting rounds (trees).
    pub max_rounds: usize,
    /// Shrinkage of each tree's leaf values.
    pub learning_rate: f64,
    /// Most leaves per tree.
    pub num_leaves: usize,
    /// Most depth per tree (`None`: only `num_leaves` limits).
    pub max_depth: Option<usize>,
    /// Fewest training rows in a leaf.
    pub min_data_in_leaf: usize,
    /// Smallest hessian sum in a leaf.
    pub min_sum_hessian_in_leaf: f64,
    /// L2 penalty on leaf values.
    pub lambda_l2: f64,
    /// Smallest loss reduction that makes a split.
    pub min_gain_to_split: f64,
    /// Share of features each tree may use.
    pub feature_fraction: f64,
    /// Share of rows each tree is fit on (1 = all rows, deterministic).
    pub bagging_fraction: f64,
    /// Bins per feature (2..=255).
    pub max_bin: usize,
    /// Early stopping, or `None` to always grow `max_rounds` trees.
    pub early_stopping: Option<EarlyStopping>,
    /// Seed of the validation split and the subsampling.
    pub seed: u64,
}

impl Default for GbdtParams {
    fn default() -> Self {
        Self {
            max_rounds: 2000,
            learning_rate: 0.05,
            num_leaves: 8,
            max_depth: Some(4),
            min_data_in_leaf: 20,
            min_sum_hessian_in_leaf: 1e-3,
            lambda_l2: 1.0,
            min_gain_to_split: 0.0,
            feature_fraction: 1.0,
            bagging_fraction: 1.0,
            max_bin: 255,
            early_stopping: Some(EarlyStopping::default()),
            seed: 0,
        }
    }
}

/// A trained GBDT: `log-odds = base_score + sum of tree outputs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gbdt {
    /// Log-odds of the training positive rate.
    pub base_score: f64,
    /// Trees in boosting order (leaf values already shrunk).
    pub trees: Vec<Tree>,
    /// Number of input features.
    pub n_features: usize,
    /// Rounds chosen by early stopping (`None` when it was off).
    pub early_stopped_at: Option<usize>,
}

impl Gbdt {
    /// Log-odds for every row of a column-major buffer of `n` rows (columns in training order).
    pub fn predict_raw_buffer(&self, data: &[f64], n: usize) -> Vec<f64> {
        predict_sum(&self.trees, data, n, self.n_features, self.base_score, 1.0)
    }

    /// Log-odds for every row of `x` (columns in training order).
    pub fn predict_raw(&self, x: &FeatureMatrix) -> Vec<f64> {
        self.predict_raw_buffer(x.data(), x.n_rows())
    }
}
