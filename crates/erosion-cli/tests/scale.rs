//! `erosion features` on events spilled to partitions on disk (`--spill-partitions`, or a
//! `--memory-budget` the events do not fit) writes the table the in-memory path writes, from an
//! events file in no customer order, CSV or Parquet; a failure leaves no output and no spill.

mod common;

use common::{erosion, expect_bad, expect_ok, s};
use erosion_io::polars::prelude::*;
use std::path::{Path, PathBuf};

/// A simulation whose events are shuffled out of customer and time order, with a custom type
/// and a near miss of a vocabulary type added, as Parquet and CSV.
fn shuffled(d: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let sim = d.join("sim");
    expect_ok(erosion(&[
        "simulate",
        "--n-customers",
        "300",
        "--duration",
        "400d",
        "--seed",
        "5",
        "--out",
        &s(&sim),
    ]));
    let mut log =
        erosion_io::load_events(&sim.join("events.parquet"), &Default::default()).unwrap();
    let n = log.len();
    for e in 0..n / 50 {
        log.customer.push(log.customer[e * 37 % n]);
        log.timestamp.push(log.timestamp[e * 37 % n]);
        let name = if e % 2 == 0 { "loyalty_scan" } else { "optout" };
        let k = match log.custom_types.iter().position(|t| t == name) {
            Some(i) => i,
            None => {
                log.custom_types.push(name.to_string());
                log.custom_types.len() - 1
            }
        };
        log.kind.push(erosion_core::EventKind::Custom(k as u16));
        log.value.push(f64::NAN);
        log.channel.push(erosion_core::model::NO_CHANNEL);
        log.personalized.push(None);
    }
    let df = erosion_io::events_to_frame(&log);
    // A fixed permutation: rows far from customer and time order.
    let mut order: Vec<u32> = (0..df.height() as u32).collect();
    order.sort_by_key(|&i| (u64::from(i) * 2_654_435_761) % 1_000_003);
    let mut df = df.take(&IdxCa::from_vec("i".into(), order)).unwrap();
    let parquet = d.join("shuffled.parquet");
    erosion_io::write_table(&parquet, &mut df).unwrap();
    // CSV timestamps as RFC 3339 text.
    let ts: Vec<String> = df
        .column("timestamp")
        .unwrap()
        .cast(&DataType::Int64)
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .map(erosion_core::time::format_timestamp)
        .collect();
    df.with_column(Column::new("timestamp".into(), ts)).unwrap();
    let csv = d.join("shuffled.csv");
    erosion_io::write_table(&csv, &mut df).unwrap();
    (parquet, csv, sim.join("customers.parquet"))
}

fn features(events: &Path, customers: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "features".to_string(),
        "--events".into(),
        s(events),
        "--customers".into(),
        s(customers),
        "--as-of".into(),
        "2024-09-01".into(),
        "--as-of".into(),
        "2024-11-15".into(),
        "--out".into(),
        s(out),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    expect_ok(erosion(&args))
}

/// What a run printed, without the line naming its output.
fn said(t: &str) -> Vec<&str> {
    t.lines().filter(|l| !l.starts_with("wrote ")).collect()
}

fn leftovers(d: &Path) -> Vec<String> {
    std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn partitioned_features_equal_the_in_memory_table() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (parquet, csv, customers) = shuffled(d);
    for events in [&parquet, &csv] {
        for ext in ["csv", "parquet"] {
            let whole = d.join(format!("whole.{ext}"));
            let said_whole = features(events, &customers, &whole, &[]);
            assert!(!said_whole.contains("partitions"), "{said_whole}");
            for parts in ["3", "7"] {
                let out = d.join(format!("parts{parts}.{ext}"));
                let t = features(events, &customers, &out, &["--spill-partitions", parts]);
                assert_eq!(said(&t), said(&said_whole), "{}", events.display());
                if ext == "csv" {
                    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&whole).unwrap());
                    let note = |p: &Path| std::fs::read(erosion_io::note_sidecar(p)).unwrap();
                    assert_eq!(note(&out), note(&whole));
                } else {
                    let (a, b) = (
                        erosion_io::read_table(&out, &Default::default()).unwrap(),
                        erosion_io::read_table(&whole, &Default::default()).unwrap(),
                    );
                    assert!(a.equals_missing(&b), "{} partitions", parts);
                    let key = "erosion.feature_table";
                    assert_eq!(
                        erosion_io::read_table_note(&out, key).unwrap(),
                        erosion_io::read_table_note(&whole, key).unwrap()
                    );
                }
            }
        }
    }
    // A budget the events do not fit spills them too, to --spill-dir, and cleans up after.
    let spill = d.join("spill");
    std::fs::create_dir(&spill).unwrap();
    // (whole.csv is, after the loop, the in-memory table of the CSV events)
    let out = d.join("budget.csv");
    features(
        &csv,
        &customers,
        &out,
        &["--memory-budget", "64K", "--spill-dir", &s(&spill)],
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(d.join("whole.csv")).unwrap()
    );
    assert!(leftovers(&spill).is_empty());
    assert!(leftovers(d).is_empty(), "{:?}", leftovers(d));
}

#[test]
fn a_failure_while_spilling_leaves_no_output_and_no_spill() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut text = String::from("customer_id,timestamp,event_type,value\n");
    for r in 0..2000 {
        // one NPS answer out of range, late in the file
        let value = if r == 1900 { "42" } else { "7" };
        text.push_str(&format!(
            "C{},2024-01-{:02},nps,{value}\n",
            (r * 7) % 97,
            1 + r % 28
        ));
    }
    let events = common::write(d, "events.csv", &text);
    let out = d.join("features.parquet");
    let t = expect_bad(erosion(&[
        "features",
        "--events",
        &s(&events),
        "--as-of",
        "2024-02-01",
        "--spill-partitions",
        "3",
        "--out",
        &s(&out),
    ]));
    assert!(t.contains("row 1901"), "{t}");
    assert!(!out.exists());
    assert!(leftovers(d).is_empty(), "{:?}", leftovers(d));
}
