//! Every command that loads events refuses what `erosion validate` refuses (issue 14, part 5):
//! exit 2 with a message naming the file, the column and the row, before any output is written.

mod common;

use common::{text, write};
use std::process::Output;

fn erosion(args: &[&str], env: &[(&str, &str)]) -> Output {
    common::command(args)
        .envs(env.iter().copied())
        .output()
        .expect("runs")
}

fn bad(args: &[&str], env: &[(&str, &str)]) -> String {
    common::expect_bad(erosion(args, env))
}

/// A small weekly history for two customers in 2025, and one extra line.
fn events(extra: &str) -> String {
    let mut s = String::from("customer_id,timestamp,event_type,value\n");
    for w in 0..20 {
        let day = 1 + (w * 7) % 28;
        let month = 1 + (w * 7) / 28;
        for c in ["a", "b"] {
            s.push_str(&format!("{c},2025-{month:02}-{day:02},purchase,10\n"));
            s.push_str(&format!("{c},2025-{month:02}-{day:02},nps,8\n"));
        }
    }
    s.push_str(extra);
    s
}

#[test]
fn validate_refuses_a_9999_12_31_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "far.csv", &events("a,9999-12-31,visit,\n"));
    let t = bad(&["validate", "--events", p.to_str().unwrap()], &[]);
    assert!(
        t.contains("far.csv")
            && t.contains("column \"timestamp\", row 81")
            && t.contains("9999-12-31")
            && t.contains("EROSION_FUTURE_TOLERANCE_DAYS"),
        "{t}"
    );
    // ... and so does features, which would have moved observed-until to year 10000
    let out = dir.path().join("f.csv");
    let t = bad(
        &[
            "features",
            "--events",
            p.to_str().unwrap(),
            "--as-of",
            "2025-03-01",
            "--horizon",
            "30d",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert!(t.contains("row 81") && t.contains("\"timestamp\""), "{t}");
    assert!(!out.exists());
}

#[test]
fn the_future_tolerance_is_set_by_erosion_future_tolerance_days() {
    let dir = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let soon = chrono::DateTime::from_timestamp(now + 5 * 86_400, 0)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    let p = write(
        dir.path(),
        "soon.csv",
        &events(&format!("a,{soon},visit,\n")),
    );
    let args = ["validate", "--events", p.to_str().unwrap()];
    let t = bad(&args, &[]);
    assert!(t.contains("row 81"), "{t}");
    let o = erosion(&args, &[("EROSION_FUTURE_TOLERANCE_DAYS", "10")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = bad(&args, &[("EROSION_FUTURE_TOLERANCE_DAYS", "soon")]);
    assert!(
        t.contains("EROSION_FUTURE_TOLERANCE_DAYS") && t.contains("soon"),
        "{t}"
    );
}

#[test]
fn features_refuses_an_nps_of_11_as_validate_does() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "nps.csv", &events("b,2025-02-03,nps,11\n"));
    let t = bad(&["validate", "--events", p.to_str().unwrap()], &[]);
    assert!(
        t.contains("nps.csv") && t.contains("column \"value\", row 81"),
        "{t}"
    );
    let out = dir.path().join("f.csv");
    let t = bad(
        &[
            "features",
            "--events",
            p.to_str().unwrap(),
            "--as-of",
            "2025-03-01",
            "--horizon",
            "30d",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        t.contains("nps.csv")
            && t.contains("column \"value\", row 81")
            && t.contains("NPS answer from 0 to 10"),
        "{t}"
    );
    assert!(!out.exists());
}

#[test]
fn a_value_of_1e308_is_refused_by_features_forecast_and_validate() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "huge.csv",
        &events("a,2025-02-03,purchase,1e308\n"),
    );
    let ev = p.to_str().unwrap();
    let out = dir.path().join("out.csv");
    let o = out.to_str().unwrap();
    for args in [
        vec!["validate", "--events", ev],
        vec![
            "features",
            "--events",
            ev,
            "--as-of",
            "2025-03-01",
            "--horizon",
            "30d",
            "--out",
            o,
        ],
        vec![
            "forecast",
            "--events",
            ev,
            "--metric",
            "nps",
            "--freq",
            "week",
            "--periods",
            "4",
            "--method",
            "naive",
            "--out",
            o,
        ],
    ] {
        let t = bad(&args, &[]);
        assert!(
            t.contains("huge.csv")
                && t.contains("column \"value\", row 81")
                && t.contains("1e308")
                && t.contains("finite number"),
            "{args:?}: {t}"
        );
        assert!(!out.exists());
    }
}
