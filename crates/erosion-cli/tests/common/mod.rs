//! What every end-to-end test of the `erosion` binary needs: running it, reading what it
//! said, expecting success or exit code 2, writing an input file. One copy, `mod common;` in
//! each test file.
#![allow(dead_code)] // each test file uses a part

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `erosion` binary with `args`, not yet run.
pub fn command<S: AsRef<OsStr>>(args: &[S]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_erosion"));
    c.args(args);
    c
}

/// Runs `erosion` with `args`.
pub fn erosion<S: AsRef<OsStr>>(args: &[S]) -> Output {
    command(args).output().expect("runs")
}

/// What a run printed: standard output, then standard error.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Expects exit code 2 (bad input or usage) and returns what was printed.
pub fn expect_bad(o: Output) -> String {
    let t = text(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "expected exit 2, got {:?}: {t}",
        o.status
    );
    t
}

/// Runs a command expected to fail with exit code 2 and returns its message.
pub fn bad<S: AsRef<OsStr>>(args: &[S]) -> String {
    expect_bad(erosion(args))
}

/// Expects success and returns what was printed.
pub fn expect_ok(o: Output) -> String {
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    t
}

/// Writes `content` to `dir/name`.
pub fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// A path as an argument.
pub fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// A JSON file, parsed.
pub fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}
