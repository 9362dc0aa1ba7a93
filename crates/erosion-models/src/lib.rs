//! # erosion-models
//!
//! The learners behind `erosion train`: they fit the classifiers that predict which customers are
//! about to churn or lose trust. The fitted model and everything that applies it (prediction,
//! TreeSHAP, calibration, thresholds, reasons) is `erosion-inference`, which this crate
//! re-exports; `erosion-score` depends on that crate alone, so the nightly scorer cannot contain
//! a learner.
//!
//! What this crate does:
//! - encodes raw table columns (text or numbers) into a dense matrix with a serialisable
//!   [`FeatureSpec`] learnt by [`fit_spec`] that re-applies identically at scoring time ([`encode`]);
//! - fits three families on that matrix ([`Learner`]): regularised [`Logistic`] regression, a random [`Forest`],
//!   and a LightGBM-style histogram [`Gbdt`] with native missing values and early stopping; `auto`
//!   keeps the best by validation ROC-AUC and says why;
//! - validates them (stratified k-fold, or time-based over a cutoff key so no model trains on a
//!   later cutoff than it validates on) and reports ROC-AUC, PR-AUC, Brier, log-loss, lift and
//!   capture at the top 10 % with their spread ([`metrics`]);
//! - calibrates probabilities (Platt or isotonic, chosen on out-of-fold scores), picks an action
//!   threshold (capacity, cost ratio or best F1) and trust-score bands;
//! - explains scores: global importance, and per-row contributions that add up to the model's raw
//!   output (exact for logistic, exact TreeSHAP for trees);
//! - holds it all in one serialisable [`TrainedModel`] whose `predict_proba` is deterministic and
//!   bit-identical between runs and thread counts, and writes a Markdown model card.
//!
//! What it deliberately does not do: read or write files, parse CLI flags, know about polars,
//! events, labels or cutoff dates (a cutoff is just an ordered integer key here), plot, or audit
//! fairness. The caller converts its tables into [`RawColumn`]s or a [`FeatureMatrix`], keeps ids,
//! targets, other labels and sensitive attributes out of them, and writes the bundle.
//!
//! ```
//! use erosion_models::{train, FeatureMatrix, ModelKind, TrainConfig};
//! let n = 200;
//! let x1: Vec<f64> = (0..n).map(|i| (i % 20) as f64).collect();
//! let y: Vec<u8> = x1.iter().enumerate().map(|(i, v)| u8::from(*v + (i % 7) as f64 > 14.0)).collect();
//! let x = FeatureMatrix::from_numeric_columns(vec![("x1".into(), x1)]).unwrap();
//! let config = TrainConfig { model: ModelKind::Logistic, ..TrainConfig::default() };
//! let model = train(&x, &y, None, &config).unwrap();
//! let p = model.predict_proba(&x).unwrap();
//! assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
//! ```

#![warn(missing_docs)]

mod binning;
pub mod calibration;
pub mod card;
pub mod encode;
pub mod forest;
pub mod gbdt;
mod grower;
pub mod leakage;
pub mod logistic;
pub mod rng;
pub mod thresholds;
pub mod train;
pub mod validation;

// The model itself and everything that applies it: `erosion-inference`, re-exported whole so
// that training code names one crate.
pub use erosion_inference::{error, matrix, metrics, model, trained, tree};
pub use erosion_inference::{
    ActionMetrics, Band, Bands, CalibrationBin, CalibrationChoice, CalibrationReport, Calibrator,
    CandidateResult, ColumnKind, ColumnMeta, Contributions, EarlyStopping, EncodeOptions, Encoding,
    Evaluation, FeatureImportance, FeatureMatrix, FeatureSpec, FoldInfo, Forest, ForestParams,
    Gbdt, GbdtParams, InputSpec, Logistic, LogisticParams, MetricSummary, Metrics, Model,
    ModelError, ModelKind, OperatingPoint, RawColumn, RawScale, RawValues, Reason, Result,
    SourceGroups, ThresholdRule, Thresholds, TrainConfig, TrainedModel, TrainingSummary,
    ValidationPlan, ValidationReport,
};

pub use card::{CardContext, ModelCard};
pub use encode::fit_spec;
pub use leakage::{screen, DropReason, Dropped, GuardOptions, Screening, Suspect};
pub use train::{
    cross_validate, importance_rows, train, train_table, train_table_with, train_table_with_scores,
    train_with, train_with_scores, CrossValidation, TrainStep, ValidationScores,
};
pub use validation::{stratified_k_fold, time_based_folds, Fold};

/// A model family that learns from a matrix and labels: the training side of the fitted forms
/// in `erosion-inference` ([`Logistic`], [`Forest`], [`Gbdt`]), which hold only what scoring
/// needs.
pub trait Learner: Sized {
    /// Hyperparameters.
    type Params;
    /// Fits on all rows of `x` with 0/1 labels `y`.
    fn fit(x: &FeatureMatrix, y: &[u8], params: &Self::Params) -> Result<Self>;
}
