//! The demo's journey, end to end, as a newcomer runs it: `erosion demo --out DIR` exits 0 and
//! leaves every output its summary names, and those outputs keep the product's promises: every
//! simulated customer is in exactly one of the scores and the exclusions, the scores have the
//! contract's columns and ranges, the manifest verifies, the model learnt something on the
//! later cutoff it never saw, and both pages lead with a verdict.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines
        .next()
        .expect("a header")
        .split(',')
        .map(str::to_string)
        .collect();
    // ids and the first columns hold no commas; reasons may, so only leading fields are used
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

#[test]
fn the_demo_runs_and_keeps_its_promises() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let run = Command::new(env!("CARGO_BIN_EXE_erosion"))
        .args(["--quiet", "demo", "--out"])
        .arg(&out)
        .output()
        .expect("run erosion demo");
    assert!(
        run.status.success(),
        "erosion demo failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for file in [
        "data/customers.parquet",
        "data/events.parquet",
        "features_train.parquet",
        "features_test.parquet",
        "model.json",
        "model.card.md",
        "model.onnx",
        "evaluation.json",
        "audit/report.html",
        "audit/fairness.json",
        "scores.csv",
        "exclusions.csv",
        "scores.csv.manifest.json",
        "monitor_before/monitor.json",
        "monitor_after/monitor.json",
        "monitor_after/alerts.json",
        "monitor_after/report.html",
        "report.html",
    ] {
        let len = std::fs::metadata(out.join(file))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(len > 0, "{file} is missing or empty");
    }

    // Every customer lands in exactly one of the two outputs.
    let customers = erosion_io::load_customers(
        &out.join("data/customers.parquet"),
        &erosion_io::CustomerLoadOptions::default(),
    )
    .unwrap();
    let (scores_header, scores) = csv_rows(&out.join("scores.csv"));
    let (_, exclusions) = csv_rows(&out.join("exclusions.csv"));
    let scored: HashSet<&str> = scores.iter().map(|r| r[0].as_str()).collect();
    let excluded: HashSet<&str> = exclusions.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(scored.len(), scores.len(), "a customer scored twice");
    assert_eq!(
        excluded.len(),
        exclusions.len(),
        "a customer excluded twice"
    );
    assert!(
        scored.is_disjoint(&excluded),
        "a customer both scored and excluded"
    );
    let all: HashSet<&str> = customers.ids.iter().map(String::as_str).collect();
    let union: HashSet<&str> = scored.union(&excluded).copied().collect();
    assert_eq!(
        union, all,
        "scores and exclusions do not cover the customers exactly"
    );
    assert!(!scores.is_empty() && !exclusions.is_empty());

    // The contract's columns and ranges.
    let p = column(&scores_header, "erosion_probability");
    let trust = column(&scores_header, "trust_score");
    let band = column(&scores_header, "band");
    for r in &scores {
        let prob: f64 = r[p].parse().unwrap();
        let t: f64 = r[trust].parse().unwrap();
        assert!(
            (0.0..=1.0).contains(&prob) && (0.0..=100.0).contains(&t),
            "{r:?}"
        );
        assert!(
            ["healthy", "watch", "at_risk", "critical"].contains(&r[band].as_str()),
            "{r:?}"
        );
    }
    erosion_score::outputs::verify(&out.join("scores.csv.manifest.json")).unwrap();

    // The model, evaluated on the later cutoff it never saw, ranks better than chance.
    let eval: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("evaluation.json")).unwrap())
            .unwrap();
    let auc = eval["metrics"]["roc_auc"].as_f64().unwrap();
    assert!(auc > 0.55, "ROC-AUC on the later cutoff {auc}");

    // Both pages lead with a verdict.
    for page in ["report.html", "audit/report.html"] {
        let html = std::fs::read_to_string(out.join(page)).unwrap();
        let verdict = html.contains("class=verdict") || html.contains("class=\"verdict");
        assert!(verdict, "{page} has no verdict box");
    }
}
