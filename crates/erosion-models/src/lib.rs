//! # erosion-models
//!
//! The classifiers behind `erosion train`, `erosion evaluate` and `erosion-score`: they predict which
//! customers are about to churn or lose trust, say how sure they are, and say why.
//!
//! What this crate does:
//! - encodes raw table columns (text or numbers) into a dense matrix with a serialisable
//!   [`FeatureSpec`] that re-applies identically at scoring time ([`encode`]);
//! - fits three families on that matrix: regularised [`Logistic`] regression, a random [`Forest`],
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
pub mod error;
pub mod forest;
pub mod gbdt;
mod grower;
pub mod leakage;
pub mod logistic;
pub mod matrix;
pub mod metrics;
pub mod model;
pub mod rng;
pub mod thresholds;
pub mod train;
pub mod tree;
pub mod validation;

pub use calibration::{CalibrationChoice, CalibrationReport, Calibrator};
pub use card::CardContext;
pub use encode::{EncodeOptions, Encoding, FeatureSpec, InputSpec, RawColumn, RawValues};
pub use error::{ModelError, Result};
pub use forest::{Forest, ForestParams};
pub use gbdt::{EarlyStopping, Gbdt, GbdtParams};
pub use leakage::{screen, DropReason, Dropped, GuardOptions, Screening, Suspect};
pub use logistic::{Logistic, LogisticParams};
pub use matrix::{ColumnKind, ColumnMeta, FeatureMatrix};
pub use metrics::{CalibrationBin, MetricSummary, Metrics};
pub use model::{Contributions, Model, ModelKind, RawScale, Reason, SourceGroups};
pub use thresholds::{Band, Bands, OperatingPoint, ThresholdRule, Thresholds};
pub use train::{
    cross_validate, importance_rows, train, train_table, train_table_with, train_with,
    ActionMetrics, CandidateResult, CrossValidation, Evaluation, FeatureImportance, FoldInfo,
    TrainConfig, TrainStep, TrainedModel, TrainingSummary, ValidationReport, FORMAT_VERSION,
};
pub use validation::{stratified_k_fold, time_based_folds, Fold, ValidationPlan};
