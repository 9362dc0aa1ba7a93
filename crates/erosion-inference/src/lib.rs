//! # erosion-inference
//!
//! A trained model and everything that applies it: what `erosion-score` runs every night and
//! what `erosion evaluate` and the ONNX export read. The learners that make a model live in
//! `erosion-models`, which depends on this crate; nothing here can fit anything, so a binary
//! that depends on this crate alone (the nightly scorer) cannot contain a learner.
//!
//! What this crate holds:
//! - the [`FeatureSpec`] that turns raw table columns into a model's [`FeatureMatrix`] exactly as
//!   at training ([`encode`]);
//! - the three families' fitted forms and their prediction: [`Logistic`], [`Forest`] and [`Gbdt`]
//!   behind one [`Model`], with exact per-row contributions (TreeSHAP for trees, [`tree`]);
//! - calibration ([`Calibrator`]), the action threshold and trust-score bands ([`Thresholds`]),
//!   reasons ([`Reason`], [`SourceGroups`]);
//! - [`TrainedModel`], the serialisable whole with the record of how it was trained, and the
//!   metrics that judge its probabilities against labels ([`metrics`]).
//!
//! Deliberately absent: fitting of any kind (encodings, models, calibrators, thresholds,
//! folds), files, flags, polars and plotting.

#![warn(missing_docs)]

pub mod calibration;
pub mod encode;
pub mod error;
pub mod forest;
pub mod gbdt;
pub mod logistic;
pub mod matrix;
pub mod metrics;
pub mod model;
pub mod thresholds;
pub mod trained;
pub mod tree;
pub mod validation;

pub use calibration::{CalibrationChoice, CalibrationReport, Calibrator};
pub use encode::{EncodeOptions, Encoding, FeatureSpec, InputSpec, RawColumn, RawValues};
pub use error::{ModelError, Result};
pub use forest::{Forest, ForestParams};
pub use gbdt::{EarlyStopping, Gbdt, GbdtParams};
pub use logistic::{Logistic, LogisticParams};
pub use matrix::{ColumnKind, ColumnMeta, FeatureMatrix};
pub use metrics::{CalibrationBin, MetricSummary, Metrics};
pub use model::{Contributions, Model, ModelKind, RawScale, Reason, SourceGroups};
pub use thresholds::{Band, Bands, OperatingPoint, ThresholdRule, Thresholds};
pub use trained::{
    ActionMetrics, CandidateResult, Evaluation, FeatureImportance, FoldInfo, TrainConfig,
    TrainedModel, TrainingSummary, ValidationReport,
};
pub use validation::ValidationPlan;
