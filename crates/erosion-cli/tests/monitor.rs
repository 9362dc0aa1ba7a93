//! `erosion monitor` end to end on a small simulation: drift against the bundle's reference,
//! no alert on the training table itself, exit code 3 only with --fail-on-alert, realised
//! performance of a night whose horizon has passed and a note for one whose has not, band
//! movement, and the refusal of a bundle without a reference.

mod common;

use common::{json, s, text};
use std::path::Path;
use std::process::Output;

/// Runs `erosion` quietly (no summaries; the files are what is checked).
fn erosion<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    common::command(args).arg("--quiet").output().expect("runs")
}

fn ok<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    common::expect_ok(erosion(args))
}

/// A simulation, a training table, a later table and a logistic model trained on the first.
fn setup(d: &Path) {
    let sim = d.join("sim");
    ok(&[
        "simulate",
        "--n-customers",
        "800",
        "--duration",
        "730d",
        "--seed",
        "3",
        "--out",
        &s(&sim),
    ]);
    let (events, customers) = (sim.join("events.parquet"), sim.join("customers.parquet"));
    for (flag, value, out) in [
        ("--as-of", "2024-07-01..2024-12-31/61d", "train.parquet"),
        ("--as-of", "2025-10-01", "later.parquet"),
    ] {
        ok(&[
            "features",
            "--events",
            &s(&events),
            "--customers",
            &s(&customers),
            flag,
            value,
            "--out",
            &s(&d.join(out)),
        ]);
    }
    ok(&[
        "train",
        "--features",
        &s(&d.join("train.parquet")),
        "--label",
        "erosion",
        "--family",
        "logistic",
        "--out",
        &s(&d.join("model.json")),
    ]);
}

/// A score file of the later table's customers at `as_of`, with made-up probabilities and bands.
fn scores_file(d: &Path, name: &str, as_of: &str, shift: usize) -> std::path::PathBuf {
    let ids = later_ids(d);
    let bands = ["healthy", "watch", "at_risk", "critical"];
    let mut csv = String::from("customer_id,as_of,erosion_probability,band,reason_1\n");
    for (i, id) in ids.iter().enumerate() {
        let p = ((i + shift) % 10) as f64 / 10.0 + 0.05;
        let band = bands[((i + shift) / 3) % 4];
        csv.push_str(&format!(
            "{id},{as_of},{p},{band},reason {}\n",
            (i + shift) % 3
        ));
    }
    let path = d.join(name);
    std::fs::write(&path, csv).unwrap();
    path
}

fn later_ids(d: &Path) -> Vec<String> {
    let csv = d.join("later_ids.csv");
    if !csv.exists() {
        // the ids through `erosion features`' own output, read back by the monitor's reader
        let t = erosion_frame::Table::read(&d.join("later.parquet")).unwrap();
        let ids: Vec<String> = t
            .strings("customer_id")
            .unwrap()
            .into_iter()
            .flatten()
            .collect();
        std::fs::write(&csv, ids.join("\n")).unwrap();
    }
    std::fs::read_to_string(csv)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn monitor_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let model = s(&d.join("model.json"));
    let bundle = erosion_bundle::Bundle::read(&d.join("model.json")).unwrap();
    let reference = bundle.reference.as_ref().expect("train stores a reference");
    assert!(reference.score.is_some());

    check_score_reference(&bundle);

    check_training_table(d, &model, &bundle);

    // A later night, by region, with realised performance and movement.
    let sim = d.join("sim");
    let matured = scores_file(d, "scores_jan.csv", "2025-01-01", 0);
    let fresh = scores_file(d, "scores_dec.csv", "2025-12-01", 1);
    let later = d.join("later");
    let o = erosion(&[
        "monitor",
        "--model",
        &model,
        "--features",
        &s(&d.join("later.parquet")),
        "--events",
        &s(&sim.join("events.parquet")),
        "--customers",
        &s(&sim.join("customers.parquet")),
        "--by",
        "region",
        "--scores",
        &s(&matured),
        "--scores",
        &s(&fresh),
        "--previous-scores",
        &s(&matured),
        "--tonight-scores",
        &s(&fresh),
        "--out",
        &s(&later),
        "--fail-on-alert",
    ]);
    let t = text(&o);
    let alerts = json(&later.join("alerts.json"));
    let n = alerts.as_array().unwrap().len();
    assert_eq!(o.status.code(), Some(if n > 0 { 3 } else { 0 }), "{t}");
    let report = json(&later.join("monitor.json"));
    let scopes: Vec<&str> = report["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["scope"].as_str().unwrap())
        .collect();
    assert!(
        scopes.len() > 1 && scopes[1..].iter().all(|x| x.starts_with("region=")),
        "{scopes:?}"
    );
    let realised = report["realised"].as_array().unwrap();
    assert_eq!(realised.len(), 2, "{t}");
    assert_eq!(realised[0]["evaluated"], true, "{t}");
    assert!(realised[0]["performance"][0]["rows"].as_u64().unwrap() > 0);
    assert!(realised[0]["performance"][0]["metrics"]["roc_auc"].is_number());
    assert!(realised[0]["expected"]["roc_auc"].is_number());
    assert_eq!(realised[1]["evaluated"], false);
    assert!(
        realised[1]["note"]
            .as_str()
            .unwrap()
            .contains("not known yet"),
        "{t}"
    );
    assert!(realised[1]["performance"].as_array().unwrap().is_empty());
    check_fairness(&realised[0], &t);
    assert!(realised[1]["fairness"].as_array().unwrap().is_empty());
    let page = std::fs::read_to_string(later.join("report.html")).unwrap();
    assert!(page.contains("Fairness over time"));
    assert!(report["expected"]["roc_auc"].is_number());
    let movement = &report["movement"];
    assert_eq!(
        movement["in_both"].as_u64().unwrap() as usize,
        later_ids(d).len()
    );
    // Without --fail-on-alert the same run exits 0.
    ok(&[
        "monitor",
        "--model",
        &model,
        "--features",
        &s(&d.join("later.parquet")),
        "--out",
        &s(&d.join("again")),
    ]);

    // A bundle written before monitoring: refused, exit 2, with what to do.
    let mut old = bundle.clone();
    old.reference = None;
    let old_path = d.join("old.json");
    old.write(&old_path).unwrap();
    let o = erosion(&[
        "monitor",
        "--model",
        &s(&old_path),
        "--features",
        &s(&d.join("later.parquet")),
        "--out",
        &s(&d.join("old")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("retrain it"), "{}", text(&o));
    assert!(!d.join("old").join("monitor.json").exists());
}

/// The score's reference is the out-of-fold calibrated probabilities of validation (what the
/// calibrator and the action threshold were fitted on), not the final model's scores on its own
/// training rows.
fn check_score_reference(bundle: &erosion_bundle::Bundle) {
    let reference = bundle.reference.as_ref().unwrap();
    let score_ref = reference.score.as_ref().unwrap();
    assert_eq!(
        score_ref.rows,
        bundle
            .model
            .validation
            .folds
            .iter()
            .map(|f| f.valid_rows)
            .sum::<usize>()
    );
}

/// Fairness over time: the matured night audited by region at the action threshold; the
/// selection-rate ratio is the lowest group's rate over the highest's, from the counts.
fn check_fairness(night: &serde_json::Value, t: &str) {
    let fairness = night["fairness"].as_array().unwrap();
    assert_eq!(fairness.len(), 1, "{t}");
    assert_eq!(fairness[0]["grouping"], "region");
    let metrics: Vec<&str> = fairness[0]["disparities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["metric"].as_str().unwrap())
        .collect();
    assert_eq!(metrics, ["selection_rate", "tpr", "fpr"]);
    let rates: Vec<f64> = fairness[0]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["count"].as_u64().unwrap() >= 30)
        .map(|g| g["selected"].as_f64().unwrap() / g["count"].as_f64().unwrap())
        .collect();
    let (lo, hi) = rates
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(l, h), &r| (l.min(r), h.max(r)));
    let ratio = &fairness[0]["disparities"][0]["between_groups_ratio"];
    assert!(
        (ratio["value"].as_f64().unwrap() - lo / hi).abs() < 1e-12,
        "{ratio} vs {lo}/{hi}"
    );
    assert!(ratio["ci_low"].as_f64().unwrap() <= ratio["value"].as_f64().unwrap());
}

/// The training table against its own reference: no input moved, no input alerts, exit 0
/// without --fail-on-alert. (The score is the final model's in-sample score here, compared
/// with out-of-fold scores: it may differ, and says so, on a model this small.)
fn check_training_table(d: &Path, model: &str, bundle: &erosion_bundle::Bundle) {
    let reference = bundle.reference.as_ref().unwrap();
    let model = model.to_string();
    let same = d.join("same");
    ok(&[
        "monitor",
        "--model",
        &model,
        "--features",
        &s(&d.join("train.parquet")),
        "--out",
        &s(&same),
    ]);
    let alerts = json(&same.join("alerts.json"));
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["input"] == "erosion_probability"),
        "{alerts}"
    );
    let report = json(&same.join("monitor.json"));
    let overall = &report["drift"][0];
    assert_eq!(overall["scope"], "overall");
    assert_eq!(
        overall["inputs"].as_array().unwrap().len(),
        reference.inputs.len()
    );
    for input in overall["inputs"].as_array().unwrap() {
        assert!(
            input["psi"].is_null() || input["psi"] == 0.0,
            "{}",
            input["input"]
        );
    }
    let action = &overall["action"];
    assert_eq!(
        action["threshold"].as_f64().unwrap(),
        bundle.model.thresholds.action.probability
    );
    assert!(action["p_value"].is_number() && action["reference_share"].is_number());
}
