//! The README's tour, run as written: the fenced block under "## A tour" goes to bash with
//! `set -euo pipefail`, in a temporary directory instead of `/tmp/erosion-tour`, with this
//! build's `erosion` and `erosion-score` first on the path instead of the release build. Every
//! command must exit 0 and leave the files the tour names.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The tour's commands: the README's block after "## A tour", without the build line (this
/// test's cargo built the binaries).
fn tour_script() -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let tour = &readme[readme.find("## A tour").expect("a tour section")..];
    let body = tour
        .split("```")
        .nth(1)
        .expect("a fenced block in the tour");
    body.lines()
        .filter(|l| !l.starts_with("cargo build"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The directory holding this build's `erosion` and `erosion-score` (built here if the
/// workspace's tests did not build it already).
fn binaries() -> PathBuf {
    let erosion = PathBuf::from(env!("CARGO_BIN_EXE_erosion"));
    let dir = erosion.parent().expect("a target directory").to_path_buf();
    if !dir.join("erosion-score").exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "erosion-score"])
            .current_dir(repo())
            .status()
            .expect("run cargo build -p erosion-score");
        assert!(status.success(), "cargo build -p erosion-score failed");
    }
    dir
}

#[test]
fn the_readme_tour_runs_as_written() {
    let script = tour_script();
    assert!(script.contains("mkdir -p /tmp/erosion-tour && cd /tmp/erosion-tour"));
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let work = scratch.path().join("erosion-tour");
    let script = script
        .replace("/tmp/erosion-tour", &work.to_string_lossy())
        .replace(
            "export PATH=\"$PWD/target/release:$PATH\"",
            &format!("export PATH=\"{}:$PATH\"", binaries().display()),
        );
    let out = Command::new("bash")
        .args(["-c", &format!("set -euo pipefail\n{script}")])
        .current_dir(repo())
        .output()
        .expect("run bash");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "the tour stopped ({:?}):\n{stdout}\n{stderr}",
        out.status
    );
    for f in [
        "sim/events.parquet",
        "features.parquet",
        "later_features.parquet",
        "model.json",
        "telco.json",
        "metrics.json",
        "audit/report.html",
        "optout_forecast.csv",
        "alerts.json",
        "model.onnx",
        "scores.parquet",
        "excluded.parquet",
        "monitor/monitor.json",
        "monitor/alerts.json",
    ] {
        assert!(
            work.join(f).exists(),
            "the tour did not write {f}:\n{stdout}"
        );
    }
    assert!(stdout.contains("scored +"), "{stdout}");
}
