//! The nightly scorer's boundary as a fact of the build: following the workspace crates that
//! `erosion-score` depends on (normal dependencies, not tests'), none is a learner, the audit,
//! the forecasts, the plots, the simulator or the ONNX export, and plotting never links in.
//! Adding such a dependency anywhere below `erosion-score` fails this test.

use std::collections::BTreeSet;
use std::path::Path;

/// The `[dependencies]` names of a crate's manifest (not dev- or build-dependencies).
fn normal_dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let mut in_deps = false;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps {
            if let Some((name, _)) = line.split_once('=') {
                let name = name.trim().trim_end_matches(".workspace").trim();
                if !name.is_empty() && !name.starts_with('#') {
                    out.push(name.to_string());
                }
            }
        }
    }
    out
}

#[test]
fn erosion_score_depends_on_no_learner_audit_forecast_or_plotting() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut seen = BTreeSet::new();
    let mut todo = vec!["erosion-score".to_string()];
    let mut external = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        for dep in normal_dependencies(&crates.join(&name).join("Cargo.toml")) {
            if dep.starts_with("erosion-") {
                todo.push(dep);
            } else {
                external.insert(dep);
            }
        }
    }
    assert!(seen.contains("erosion-inference"), "{seen:?}");
    for forbidden in [
        "erosion-models",
        "erosion-fairness",
        "erosion-forecast",
        "erosion-report",
        "erosion-sim",
        "erosion-onnx",
        "erosion-cli",
    ] {
        assert!(
            !seen.contains(forbidden),
            "erosion-score reaches {forbidden} through {seen:?}"
        );
    }
    assert!(!external.contains("plotters"), "{external:?}");
}
