//! How a model was validated, as its record says (the splits themselves are made in
//! `erosion-models`).

use serde::{Deserialize, Serialize};

/// How models are validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ValidationPlan {
    /// Stratified k-fold: each class is shuffled with the seed and dealt round robin to folds.
    StratifiedKFold {
        /// Folds.
        k: usize,
        /// Shuffle seed.
        seed: u64,
    },
    /// Rolling origin over cutoffs: each of the latest `max_folds` cutoffs is validated by a model
    /// trained only on cutoffs at least `min_gap` earlier (use the label horizon, in the key's units,
    /// so that no training label looks past the validation cutoff).
    TimeBased {
        /// Most validation cutoffs (the latest ones).
        max_folds: usize,
        /// Smallest distance between a training cutoff and the validated one (>= 1).
        min_gap: i64,
    },
}
