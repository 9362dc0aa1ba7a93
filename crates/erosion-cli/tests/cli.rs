//! End-to-end tests of the `erosion` binary: good paths and bad ones, with exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn erosion(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_erosion"))
        .args(args)
        .arg("--quiet")
        .output()
        .expect("runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn cdnow() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../notebooks-data/cdnow/CDNOW_sample.txt")
}

const CDNOW_FLAGS: &[&str] = &[
    "--separator",
    "whitespace",
    "--no-header",
    "--names",
    "customer_id,sample_id,date,cds,dollar_value",
    "--timestamp-col",
    "date",
    "--time-format",
    "%Y%m%d",
    "--value-col",
    "dollar_value",
    "--default-event-type",
    "purchase",
];

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// Runs a command expected to fail with exit code 2 and returns its message.
fn bad(args: &[&str]) -> String {
    let o = erosion(args);
    let t = text(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "expected exit 2, got {:?}: {t}",
        o.status
    );
    t
}

#[test]
fn simulate_is_deterministic_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    for out in [&a, &b] {
        let o = erosion(&[
            "simulate",
            "--customers",
            "300",
            "--days",
            "120",
            "--seed",
            "3",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o));
    }
    for f in ["customers.parquet", "events.parquet", "truth.parquet"] {
        let x = std::fs::read(a.join(f)).unwrap();
        let y = std::fs::read(b.join(f)).unwrap();
        assert!(!x.is_empty());
        assert!(x == y, "{f} differs between two runs with the same seed");
    }
    let o = erosion(&[
        "validate",
        "--events",
        a.join("events.parquet").to_str().unwrap(),
        "--customers",
        a.join("customers.parquet").to_str().unwrap(),
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("300 in the customers table"), "{t}");
    assert!(t.contains("email_sent"), "{t}");
    // no temporary files left behind
    let leftovers: Vec<_> = std::fs::read_dir(&a)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn validate_reads_cdnow_through_the_mapping_flags() {
    let p = cdnow();
    let mut args = vec!["validate", "--events", p.to_str().unwrap()];
    args.extend_from_slice(CDNOW_FLAGS);
    let o = erosion(&args);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("events:     6919"), "{t}");
    assert!(t.contains("2357 with events"), "{t}");
    assert!(
        t.contains("1997-01-01T00:00:00Z .. 1998-06-30T00:00:00Z"),
        "{t}"
    );
}

#[test]
fn features_on_cdnow_with_a_273_day_churn_label() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cdnow.csv");
    let p = cdnow();
    let mut args = vec![
        "features",
        "--events",
        p.to_str().unwrap(),
        "--cutoff",
        "1997-10-01",
        "--horizon",
        "273d",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(CDNOW_FLAGS);
    let o = erosion(&args);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    let csv = std::fs::read_to_string(&out).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "customer_id");
    assert_eq!(header[1], "cutoff");
    assert_eq!(header[header.len() - 2..], ["churn", "erosion"]);
    let rows: Vec<&str> = lines.collect();
    // every sampled customer bought in Q1 1997, so all 2,357 are active before the cutoff
    assert_eq!(rows.len(), 2357);
    let churned = rows.iter().filter(|r| r.ends_with("true,true")).count();
    assert!(rows
        .iter()
        .all(|r| r.ends_with("true,true") || r.ends_with("false,false")));
    // Most CDNOW customers never come back: the label is far from balanced but not constant.
    let rate = churned as f64 / rows.len() as f64;
    assert!(rate > 0.5 && rate < 0.9, "churn rate {rate}");
}

#[test]
fn features_list_prints_the_catalogue() {
    let o = erosion(&["features", "--list"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("email_open_rate_30d") && t.contains("trust_index"),
        "{t}"
    );
    let o = erosion(&["features", "--list", "--json"]);
    assert!(o.status.success());
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(
        s.trim_start().starts_with('[') && s.contains("\"family\": \"trust\""),
        "{s}"
    );
}

#[test]
fn bad_input_names_the_file_the_column_and_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok_header = "customer_id,timestamp,event_type,value\n";

    let t = bad(&["validate", "--events", d.join("nope.csv").to_str().unwrap()]);
    assert!(t.contains("nope.csv") && t.contains("no such file"), "{t}");

    let p = write(d, "events.xlsx", "x");
    let t = bad(&["validate", "--events", p.to_str().unwrap()]);
    assert!(t.contains("unknown extension"), "{t}");

    let p = write(d, "empty.csv", "");
    let t = bad(&["validate", "--events", p.to_str().unwrap()]);
    assert!(t.contains("empty"), "{t}");
    let p = write(d, "header_only.csv", ok_header);
    let t = bad(&["validate", "--events", p.to_str().unwrap()]);
    assert!(t.contains("empty"), "{t}");

    let p = write(d, "nots.csv", "customer_id,event_type\na,visit\n");
    let t = bad(&["validate", "--events", p.to_str().unwrap()]);
    assert!(t.contains("missing required column \"timestamp\""), "{t}");

    let p = write(
        d,
        "badts.csv",
        &format!("{ok_header}a,2024-01-01,visit,\nb,2024-02-30,visit,\n"),
    );
    let t = bad(&["validate", "--events", p.to_str().unwrap()]);
    assert!(
        t.contains("badts.csv")
            && t.contains("\"timestamp\"")
            && t.contains("row 2")
            && t.contains("2024-02-30"),
        "{t}"
    );

    let p = write(
        d,
        "badvalue.csv",
        &format!("{ok_header}a,2024-01-01,purchase,12.5\na,2024-01-02,purchase,twelve\n"),
    );
    let t = bad(&["validate", "--events", p.to_str().unwrap()]);
    assert!(
        t.contains("\"value\"") && t.contains("row 2") && t.contains("twelve"),
        "{t}"
    );

    let p = write(d, "nps.csv", &format!("{ok_header}a,2024-01-01,nps,11\n"));
    let t = bad(&["validate", "--events", p.to_str().unwrap()]);
    assert!(t.contains("row 1") && t.contains("NPS"), "{t}");

    let ev = write(d, "ev.csv", &format!("{ok_header}a,2024-01-01,visit,\n"));
    let cu = write(
        d,
        "cust.csv",
        "customer_id,region\na,north\nb,south\na,east\n",
    );
    let t = bad(&[
        "validate",
        "--events",
        ev.to_str().unwrap(),
        "--customers",
        cu.to_str().unwrap(),
    ]);
    assert!(
        t.contains("duplicate customer \"a\"") && t.contains("row 3"),
        "{t}"
    );
}

#[test]
fn a_failed_command_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = write(
        d,
        "ev.csv",
        "customer_id,timestamp,event_type,value\na,2024-01-01,visit,\na,yesterday,visit,\n",
    );
    let out = d.join("features.parquet");
    bad(&[
        "features",
        "--events",
        p.to_str().unwrap(),
        "--cutoff",
        "2024-02-01",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(d).unwrap().count(),
        1,
        "only the input remains"
    );
    // a bad flag is a usage error too
    bad(&[
        "features",
        "--events",
        p.to_str().unwrap(),
        "--cutoff",
        "soon",
        "--out",
        "x.csv",
    ]);
    bad(&[
        "simulate",
        "--customers",
        "10",
        "--days",
        "30",
        "--incident-day",
        "90",
        "--out",
        d.to_str().unwrap(),
    ]);
}
