//! What the end-to-end tests of `erosion-score` share: a model trained in-process on a
//! simulation and written as a bundle, running the binary, reading its outputs. One copy,
//! `mod common;` in each test file.
#![allow(dead_code)] // each test file uses a part

use erosion_bundle::{Bundle, Fingerprint, TargetDef};
use erosion_core::time::DAY_MS;
use erosion_features::{compute, FeatureConfig};
use erosion_io::polars::prelude::*;
use erosion_models::{train_table, EncodeOptions, ModelKind, TrainConfig};
use std::path::Path;
use std::process::{Command, Output};

/// Trains a logistic erosion model in-process on three cutoffs of `chunk` computed with
/// `fcfg` (through a Parquet file, as `erosion train` sees a table), writes it to `path` (with
/// `fcfg` as its feature configuration when `with_config`) and returns the columns kept out
/// of its inputs.
pub fn train_bundle(
    chunk: &erosion_sim::Chunk,
    fcfg: &FeatureConfig,
    start: i64,
    path: &Path,
    with_config: bool,
) -> Vec<String> {
    let cutoffs: Vec<i64> = [150, 200, 250].iter().map(|d| start + d * DAY_MS).collect();
    let train = compute(&chunk.events, Some(&chunk.customers), &cutoffs, fcfg);
    let train_path = path.with_extension("train.parquet");
    erosion_io::write_table(&train_path, &mut erosion_frame::feature_frame(&train)).unwrap();
    let table = erosion_frame::Table::read(&train_path).unwrap();
    let excluded: Vec<String> = ["customer_id", "cutoff", "churn", "erosion"]
        .map(String::from)
        .to_vec();
    let mut raw = table.raw_columns(&excluded).unwrap();
    // Year-over-year changes need two years of history the short simulation lacks.
    raw.retain(|c| match &c.values {
        erosion_models::RawValues::Number(v) => v.iter().any(|x| !x.is_nan()),
        erosion_models::RawValues::Text(_) => true,
    });
    let y: Vec<u8> = train.erosion.iter().map(|v| u8::from(v.unwrap())).collect();
    let days: Vec<i64> = train.cutoff.iter().map(|c| c / DAY_MS).collect();
    let config = TrainConfig {
        model: ModelKind::Logistic,
        time_min_gap: 90,
        ..TrainConfig::default()
    };
    let model =
        train_table(&raw, &y, Some(&days), &EncodeOptions::default(), &config).expect("training");
    let config = with_config.then(|| fcfg.clone());
    write_bundle(path, model, excluded.clone(), train.len(), config);
    excluded
}

/// Writes `model` as a bundle for the `erosion` label, keeping `excluded` out of its inputs.
pub fn write_bundle(
    path: &Path,
    model: erosion_models::TrainedModel,
    excluded: Vec<String>,
    rows: usize,
    feature_config: Option<FeatureConfig>,
) {
    let mut bundle = Bundle {
        model_id: String::new(),
        tool_version: erosion_bundle::TOOL_VERSION.into(),
        target: TargetDef {
            column: "erosion".into(),
            positive: None,
            definition: "erosion (test)".into(),
        },
        id_column: Some("customer_id".into()),
        sensitive: Vec::new(),
        excluded,
        fingerprint: Fingerprint {
            file: "train.parquet".into(),
            sha256: String::new(),
            rows,
            labelled_rows: rows,
            cutoff_range: None,
        },
        feature_config,
        model,
        reference: None,
    };
    bundle.write(path).unwrap();
}

/// Runs `erosion-score` with `args`.
pub fn score(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_erosion-score"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs `erosion-score`, expecting success.
pub fn ok(args: &[&str]) -> Output {
    let out = score(args);
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A path as an argument.
pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// An output table.
pub fn read(path: &Path) -> DataFrame {
    erosion_io::read_table(path, &Default::default()).unwrap()
}

/// A column as text (a missing value as the empty text).
pub fn strs(df: &DataFrame, col: &str) -> Vec<String> {
    df.column(col)
        .unwrap()
        .cast(&DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or("").to_string())
        .collect()
}
