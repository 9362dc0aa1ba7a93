//! Telco churn, stratified 5-fold (seed 0), ROC-AUC per model: the bar of issue 4.
//!
//! `cargo run --release -p erosion-models --example telco_cv -- [PATH/Telco-Customer-Churn.csv]`
//! (default path: `notebooks-data/telco/Telco-Customer-Churn.csv` from the repo root).
//! Target `Churn` = `Yes`, id `customerID` dropped, every other column an input: numeric-looking text
//! becomes numbers (blank `TotalCharges` = missing), the rest is one-hot encoded.

use std::time::Instant;

use erosion_models::{
    cross_validate, stratified_k_fold, train_table, EncodeOptions, GbdtParams, ModelKind,
    RawColumn, TrainConfig,
};

/// Splits one CSV line (double quotes allowed around a field, `""` inside quotes).
fn split_csv_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn load(path: &str) -> (Vec<RawColumn>, Vec<u8>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = split_csv_line(lines.next().expect("header"));
    let rows: Vec<Vec<String>> = lines.map(split_csv_line).collect();
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(
            r.len(),
            header.len(),
            "{path}: line {} has {} fields",
            i + 2,
            r.len()
        );
    }
    let mut columns = Vec::new();
    let mut y = Vec::new();
    for (c, name) in header.iter().enumerate() {
        match name.as_str() {
            "customerID" => {}
            "Churn" => y = rows.iter().map(|r| u8::from(r[c] == "Yes")).collect(),
            _ => columns.push(RawColumn::text(
                name.clone(),
                rows.iter().map(|r| Some(r[c].clone())).collect(),
            )),
        }
    }
    (columns, y)
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "notebooks-data/telco/Telco-Customer-Churn.csv".into());
    let (columns, y) = load(&path);
    let (spec, x) = erosion_models::fit_spec(&columns, &EncodeOptions::default()).expect("encode");
    println!(
        "Telco: {} rows, {} inputs -> {} features, churn rate {:.4}; stratified 5-fold, seed 0",
        x.n_rows(),
        spec.inputs.len(),
        x.n_cols(),
        y.iter().map(|&v| f64::from(v)).sum::<f64>() / y.len() as f64
    );
    let config = TrainConfig::default();
    let folds = stratified_k_fold(&y, 5, 0).expect("folds");
    println!(
        "{:<44} {:>8} {:>8} {:>8} {:>8} {:>7}",
        "model", "ROC-AUC", "std", "PR-AUC", "Brier", "secs"
    );
    let report = |name: &str, kind: ModelKind, cfg: &TrainConfig| {
        let t = Instant::now();
        let cv = cross_validate(kind, &x, &y, &folds, cfg).expect("cv");
        let s = cv.metrics.std.as_ref().expect("5 folds");
        println!(
            "{name:<44} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>7.2}",
            cv.metrics.mean.roc_auc,
            s.roc_auc,
            cv.metrics.mean.pr_auc,
            cv.metrics.mean.brier,
            t.elapsed().as_secs_f64()
        );
    };
    report("logistic (C=1)", ModelKind::Logistic, &config);
    report("forest (300 trees)", ModelKind::Forest, &config);
    report("gbdt (defaults, early stopping)", ModelKind::Gbdt, &config);
    let lgbm_like = TrainConfig {
        gbdt: GbdtParams {
            max_rounds: 200,
            learning_rate: 0.1,
            num_leaves: 31,
            max_depth: None,
            early_stopping: None,
            ..GbdtParams::default()
        },
        ..config.clone()
    };
    report(
        "gbdt as LightGBM defaults, 200 trees",
        ModelKind::Gbdt,
        &lgbm_like,
    );

    let t = Instant::now();
    let model =
        train_table(&columns, &y, None, &EncodeOptions::default(), &config).expect("train auto");
    let kept = model
        .validation
        .candidates
        .iter()
        .find(|c| c.kind == model.kind)
        .expect("kept candidate");
    println!(
        "{:<44} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>7.2}",
        format!("auto -> {}", model.kind),
        kept.metrics.mean.roc_auc,
        kept.metrics.std.as_ref().map_or(f64::NAN, |s| s.roc_auc),
        kept.metrics.mean.pr_auc,
        kept.metrics.mean.brier,
        t.elapsed().as_secs_f64()
    );
    println!("auto: {}", model.validation.reason);
    println!(
        "calibration: {} (CV Brier platt {:.4}, isotonic {:.4}, uncalibrated {:.4})",
        model.calibration.method,
        model.calibration.brier_platt_cv,
        model.calibration.brier_isotonic_cv,
        model.calibration.brier_uncalibrated
    );
}
