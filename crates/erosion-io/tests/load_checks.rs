//! Every event load checks what `erosion validate` checks (issue 14, part 5): scores out of
//! range, timestamps beyond the present plus a tolerance, and infinite or absurd values are
//! errors naming the file, the column and the row, in every format and through the batched
//! Parquet path as well.

use erosion_core::time::{format_date, DAY_MS};
use erosion_io::polars::prelude::*;
use erosion_io::{event_problems, load_events, write_table, EventLoadOptions};
use std::path::Path;

fn csv(dir: &Path, rows: &[(&str, &str, &str)]) -> std::path::PathBuf {
    let mut s = String::from("customer_id,timestamp,event_type,value\n");
    for (t, ty, v) in rows {
        s.push_str(&format!("c1,{t},{ty},{v}\n"));
    }
    let p = dir.join("events.csv");
    std::fs::write(&p, s).unwrap();
    p
}

fn error_of(path: &Path, opts: &EventLoadOptions) -> String {
    load_events(path, opts).unwrap_err().to_string()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn nps_of_11_and_csat_of_0_are_refused_with_file_column_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let p = csv(
        dir.path(),
        &[
            ("2025-01-01", "purchase", "20"),
            ("2025-01-02", "nps", "9"),
            ("2025-01-03", "nps", "11"),
        ],
    );
    let e = error_of(&p, &Default::default());
    assert!(
        e.contains("events.csv")
            && e.contains("column \"value\", row 3")
            && e.contains("\"11\"")
            && e.contains("NPS answer from 0 to 10"),
        "{e}"
    );
    let p = csv(
        dir.path(),
        &[("2025-01-01", "csat", "5"), ("2025-01-02", "csat", "0")],
    );
    let e = error_of(&p, &Default::default());
    assert!(
        e.contains("row 2") && e.contains("CSAT answer from 1 to 5"),
        "{e}"
    );
    // an NPS answer without a value is no answer
    let p = csv(dir.path(), &[("2025-01-01", "nps", "")]);
    let e = error_of(&p, &Default::default());
    assert!(e.contains("row 1") && e.contains("(empty)"), "{e}");
}

#[test]
fn a_9999_12_31_timestamp_is_refused_in_csv_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let p = csv(
        dir.path(),
        &[
            ("2025-01-01", "purchase", "20"),
            ("2025-01-02", "visit", ""),
            ("9999-12-31", "purchase", "5"),
        ],
    );
    let e = error_of(&p, &Default::default());
    assert!(
        e.contains("events.csv")
            && e.contains("column \"timestamp\", row 3")
            && e.contains("9999-12-31")
            && e.contains("EROSION_FUTURE_TOLERANCE_DAYS"),
        "{e}"
    );
    // Parquet, typed timestamps, several row groups: the batched path refuses it too
    let n = 3000;
    let mut ts: Vec<i64> = (0..n as i64)
        .map(|i| 1_735_689_600_000 + i * 60_000)
        .collect();
    ts[2500] = erosion_core::time::parse_timestamp("9999-12-31", None).unwrap();
    let mut df = df!(
        "customer_id" => (0..n).map(|i| format!("c{}", i % 7)).collect::<Vec<_>>(),
        "timestamp" => ts,
        "event_type" => vec!["visit"; n],
    )
    .unwrap();
    df.apply("timestamp", |c| {
        c.cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
            .unwrap()
    })
    .unwrap();
    let pq = dir.path().join("events.parquet");
    let f = std::fs::File::create(&pq).unwrap();
    ParquetWriter::new(f)
        .with_row_group_size(Some(500))
        .finish(&mut df)
        .unwrap();
    let e = error_of(&pq, &Default::default());
    assert!(
        e.contains("events.parquet") && e.contains("column \"timestamp\", row 2501"),
        "{e}"
    );
}

#[test]
fn the_future_tolerance_is_two_days_by_default_and_can_be_set() {
    let dir = tempfile::tempdir().unwrap();
    let tomorrow = format_date(now_ms() + DAY_MS);
    let in_five_days = format_date(now_ms() + 5 * DAY_MS);
    // tomorrow is within the default 2 days (time zones and clocks disagree)
    let p = csv(dir.path(), &[(&tomorrow, "purchase", "1")]);
    load_events(&p, &Default::default()).unwrap();
    let p = csv(dir.path(), &[(&in_five_days, "purchase", "1")]);
    let e = error_of(&p, &Default::default());
    assert!(e.contains("column \"timestamp\", row 1"), "{e}");
    // the latest accepted time can be given (the env var is tested through the binary)
    let opts = EventLoadOptions {
        latest_allowed: Some(now_ms() + 10 * DAY_MS),
        ..Default::default()
    };
    load_events(&p, &opts).unwrap();
}

#[test]
fn values_of_1e308_and_infinity_are_refused_in_csv_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let p = csv(
        dir.path(),
        &[
            ("2025-01-01", "purchase", "20"),
            ("2025-01-02", "purchase", "1e308"),
        ],
    );
    let e = error_of(&p, &Default::default());
    assert!(
        e.contains("column \"value\", row 2") && e.contains("a finite number no larger than 1e12"),
        "{e}"
    );
    let p = csv(dir.path(), &[("2025-01-01", "purchase", "-1e13")]);
    assert!(error_of(&p, &Default::default()).contains("row 1"));
    let mut df = df!(
        "customer_id" => ["a", "b", "c"],
        "timestamp" => ["2025-01-01", "2025-01-02", "2025-01-03"],
        "event_type" => ["purchase", "purchase", "purchase"],
        "value" => [1.0, f64::INFINITY, 2.0],
    )
    .unwrap();
    let pq = dir.path().join("events.parquet");
    write_table(&pq, &mut df).unwrap();
    let e = error_of(&pq, &Default::default());
    assert!(
        e.contains("events.parquet") && e.contains("column \"value\", row 2") && e.contains("inf"),
        "{e}"
    );
    // a mapped value column is named by its own name
    let p = dir.path().join("mapped.csv");
    std::fs::write(
        &p,
        "customer_id,timestamp,event_type,dollars\nc1,2025-01-01,purchase,1e300\n",
    )
    .unwrap();
    let mut opts = EventLoadOptions::default();
    opts.columns.value = "dollars".into();
    let e = error_of(&p, &opts);
    assert!(e.contains("column \"dollars\", row 1"), "{e}");
}

#[test]
fn legitimate_data_still_loads() {
    // the embedded CDNOW sample, with the mapping flags' options
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../notebooks-data/cdnow/CDNOW_sample.txt");
    let opts = EventLoadOptions {
        read: erosion_io::ReadOptions {
            separator: Some(erosion_io::Separator::Whitespace),
            no_header: true,
            names: Some(
                ["customer_id", "sample_id", "date", "cds", "dollar_value"]
                    .map(String::from)
                    .to_vec(),
            ),
        },
        columns: erosion_io::EventColumns {
            timestamp: "date".into(),
            value: "dollar_value".into(),
            ..Default::default()
        },
        time_format: Some("%Y%m%d".into()),
        default_event_type: Some("purchase".into()),
        latest_allowed: None,
    };
    let log = load_events(&path, &opts).unwrap();
    assert_eq!(log.len(), 6919);
    // boundaries of every range are fine, and so are a review sentiment and a big purchase
    let dir = tempfile::tempdir().unwrap();
    let p = csv(
        dir.path(),
        &[
            ("2025-01-01", "nps", "0"),
            ("2025-01-01", "nps", "10"),
            ("2025-01-01", "csat", "1"),
            ("2025-01-01", "csat", "5"),
            ("2025-01-01", "review", "-1"),
            ("2025-01-01", "purchase", "999999999999"),
            ("2025-01-01", "visit", ""),
        ],
    );
    let log = load_events(&p, &Default::default()).unwrap();
    assert_eq!(event_problems(&log, i64::MAX, 10).0, vec![]);
    // the simulator's data is checked by the CLI's simulate-then-validate test
}
