//! # erosion-onnx
//!
//! Exports a trained erosion model ([`erosion_inference::TrainedModel`]) as a standard ONNX model, so
//! that ONNX Runtime, and through it Spark (SynapseML), Databricks, Snowflake or any other engine,
//! scores customers without erosion's binaries and gets the probabilities `erosion evaluate` and
//! `erosion-score` compute (to about 1e-12 in practice; the test suite holds it to 1e-5).
//!
//! One graph holds the whole path from table columns to the calibrated probability:
//! 1. **preprocessing**: with [`InputLayout::RawColumns`] (the default when the model carries its
//!    [`FeatureSpec`](erosion_inference::FeatureSpec)) the graph takes the raw table columns and
//!    one-hot encodes text columns inside the graph (`ai.onnx.ml.LabelEncoder` then `Equal`):
//!    every kept level gets its column, unseen levels go to `(other)` when the model has that
//!    column, blank cells to `(missing)`. Numbers pass through with NaN for missing values;
//! 2. **the model**: logistic regression as median imputation (`IsNaN`/`Where`), standardisation
//!    and a `MatMul` in double; random forests and GBDTs as one
//!    `ai.onnx.ml.TreeEnsembleRegressor` with double thresholds, each split sending missing
//!    values the way erosion learnt (`nodes_missing_value_tracks_true`), and leaf values split
//!    into exact float "bands" so the sum over trees is not rounded to float (see `trees.rs`);
//!    the forest's mean leaf share is clipped and turned into log-odds as erosion does;
//! 3. **calibration**: Platt as `Sigmoid(a * score + b)`; isotonic as a binary search over the
//!    knots (a one-tree `TreeEnsembleRegressor`) and linear interpolation between them.
//!
//! Operator sets: ONNX opset [`ONNX_OPSET`] and `ai.onnx.ml` opset [`ML_OPSET`], IR version 8.
//! Everything after the inputs is computed in double precision.
//!
//! ## Inputs and output of the graph
//!
//! Every input and the output is a 1-D tensor of symbolic length `N` (one entry per row);
//! [`graph_inputs`] lists them for a model. In order:
//!
//! - [`InputLayout::RawColumns`]: one input per column of the model's `FeatureSpec`, named as
//!   the column, in the spec's order. A numeric column is `tensor(double)` with NaN where the
//!   value is missing (a column that was text holding numbers in training, such as Telco's
//!   `TotalCharges`, is passed as parsed numbers). A categorical column is `tensor(string)`,
//!   trimmed of surrounding whitespace, with `""` where the value is missing.
//! - [`InputLayout::EncodedFeatures`]: one `tensor(double)` input per model feature (the columns
//!   of the encoded matrix, such as `Contract=Month-to-month`), named and ordered as
//!   `TrainedModel::features`, NaN where missing: what a caller that already ran the
//!   `FeatureSpec` holds.
//!
//! The single output, [`OUTPUT_NAME`] (`probability`), is `tensor(double)`: the calibrated
//! probability of the positive class, what `TrainedModel::predict_proba` returns.
//!
//! ```
//! use erosion_models::{train_table, EncodeOptions, ModelKind, RawColumn, TrainConfig};
//! let n = 120;
//! let tenure: Vec<Option<f64>> = (0..n).map(|i| Some((i % 24) as f64)).collect();
//! let plan: Vec<Option<String>> =
//!     (0..n).map(|i| Some(["basic", "plus", "pro"][i % 3].to_string())).collect();
//! let y: Vec<u8> = (0..n).map(|i| u8::from(i % 24 < 8 || i % 5 == 0)).collect();
//! let cols = vec![RawColumn::number("tenure", tenure), RawColumn::text("plan", plan)];
//! let config = TrainConfig { model: ModelKind::Logistic, folds: 3, ..TrainConfig::default() };
//! let model = train_table(&cols, &y, None, &EncodeOptions::default(), &config).unwrap();
//!
//! let bytes = erosion_onnx::export_onnx(&model).unwrap();
//! assert!(!bytes.is_empty());
//! let inputs = erosion_onnx::graph_inputs(&model, erosion_onnx::InputLayout::Auto).unwrap();
//! let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
//! assert_eq!(names, ["tenure", "plan"]);
//! ```
//!
//! ## What it deliberately does not do
//!
//! - It does not compute erosion's behavioural features from events: the graph starts from a
//!   feature table (the output of `erosion features` or a user's own table).
//! - It does not trim text, parse numbers out of text, or reject infinite values; the caller
//!   hands over clean columns as described above (erosion's readers already do).
//! - It exports the probability only: thresholds, bands, trust scores, reasons and recommended
//!   actions stay in the model bundle and `erosion-score`.
//! - It does not write files or read bundles (the CLI does), and it never changes the model.
//! - It does not use `ai.onnx.ml.LinearClassifier`, `Scaler` or `Imputer`, nor the
//!   `TreeEnsembleClassifier`: ONNX Runtime runs those in float only, and float scores
//!   disagree with erosion's by more than an isotonic calibrator tolerates.

#![warn(missing_docs)]

mod export;
mod graph;
mod proto;
mod trees;

use prost::Message;

use erosion_inference::TrainedModel;

/// ONNX (default domain) operator set version the graph imports.
pub const ONNX_OPSET: i64 = 15;
/// `ai.onnx.ml` operator set version the graph imports.
pub const ML_OPSET: i64 = 3;
/// Name of the graph's output: the calibrated probability of the positive class.
pub const OUTPUT_NAME: &str = "probability";

/// Why a model could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    /// Raw-column inputs were asked for, but the model was trained on an encoded matrix.
    #[error(
        "this model holds no feature spec (it was trained on an encoded matrix): export it with \
         encoded-feature inputs instead of raw columns"
    )]
    NoFeatureSpec,
    /// The feature spec does not produce a feature the model needs.
    #[error(
        "the model's feature `{0}` is not produced by its feature spec: the bundle is inconsistent"
    )]
    SpecMismatch(String),
    /// An input column's name cannot be an ONNX input name here.
    #[error(
        "column name `{0}` cannot name a graph input (it is empty, is the output's name \
         `probability`, or starts with the reserved prefix `_erosion_`): rename the column"
    )]
    InvalidInputName(String),
    /// The model's parameters are inconsistent or not finite.
    #[error("the model cannot be exported: {0}")]
    InvalidModel(String),
    /// The model is valid but beyond what the exporter supports.
    #[error("unsupported model: {0}")]
    Unsupported(String),
}

/// Which columns the graph takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InputLayout {
    /// Raw columns when the model holds a feature spec, else encoded features.
    #[default]
    Auto,
    /// One input per raw table column, with the one-hot encoding inside the graph
    /// (needs the model's feature spec).
    RawColumns,
    /// One input per encoded feature column of the model.
    EncodedFeatures,
}

/// Options of [`export_onnx_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// Which columns the graph takes.
    pub layout: InputLayout,
}

/// Element type of a graph input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `tensor(double)`, NaN for missing.
    Number,
    /// `tensor(string)`, `""` for missing.
    Text,
}

impl InputKind {
    /// The ONNX type name, as ONNX Runtime prints it (`tensor(double)`, `tensor(string)`).
    pub fn onnx_type(self) -> &'static str {
        match self {
            InputKind::Number => "tensor(double)",
            InputKind::Text => "tensor(string)",
        }
    }
}

/// One input of the exported graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphInput {
    /// Input name (the column's name).
    pub name: String,
    /// Element type.
    pub kind: InputKind,
    /// What to pass, in words (also written as the input's `doc_string`).
    pub description: String,
}

/// Exports `model` as ONNX protobuf bytes with the default options (raw-column inputs when the
/// model holds its feature spec, encoded features otherwise).
pub fn export_onnx(model: &TrainedModel) -> Result<Vec<u8>, OnnxError> {
    export_onnx_with(model, &ExportOptions::default())
}

/// Exports `model` as ONNX protobuf bytes.
pub fn export_onnx_with(
    model: &TrainedModel,
    options: &ExportOptions,
) -> Result<Vec<u8>, OnnxError> {
    Ok(export::build(model, options)?.encode_to_vec())
}

/// The inputs the exported graph takes under `layout`, in order.
pub fn graph_inputs(
    model: &TrainedModel,
    layout: InputLayout,
) -> Result<Vec<GraphInput>, OnnxError> {
    export::graph_inputs(model, layout)
}
