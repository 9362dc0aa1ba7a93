//! End-to-end tests of the `erosion` binary: good paths and bad ones, with exit codes.

mod common;

use common::{bad, erosion, text, write};
use std::path::{Path, PathBuf};
use std::process::Command;

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

#[test]
fn simulate_is_deterministic_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    for out in [&a, &b] {
        let o = erosion(&[
            "simulate",
            "--n-customers",
            "300",
            "--duration",
            "120d",
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

/// Event types match whatever their case and separators, and `validate` and `features` warn
/// about a near miss of the vocabulary with its count and the type it resembles.
#[test]
fn consent_spellings_bind_and_near_misses_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let events = write(
        d,
        "events.csv",
        "customer_id,timestamp,event_type\n\
         a,2025-01-02,purchase\na,2025-01-03,OPT_OUT\nb,2025-01-02,Purchase\n\
         b,2025-01-03,opt-out\nc,2025-01-02,visit\nc,2025-01-03,optout\n",
    );
    let o = erosion(&["validate", "--events", &events.to_string_lossy()]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("opt_out") && !t.contains("OPT_OUT") && !t.contains("opt-out"),
        "{t}"
    );
    assert!(
        t.contains("warning: event type \"optout\" (1 events)")
            && t.contains("resembles \"opt_out\""),
        "{t}"
    );
    let o = erosion(&[
        "features",
        "--events",
        &events.to_string_lossy(),
        "--as-of",
        "2025-01-03",
        "--out",
        &d.join("f.csv").to_string_lossy(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("events.csv: event type \"optout\""), "{err}");
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
        "--as-of",
        "1997-10-01",
        "--horizon",
        "273d",
        "--active-within",
        "all",
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

    // One cutoff: training says so and validates by stratified k-fold.
    let model = dir.path().join("model.json");
    let o = erosion(&[
        "train",
        "--features",
        out.to_str().unwrap(),
        "--label",
        "churn",
        "--family",
        "logistic",
        "--out",
        model.to_str().unwrap(),
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("stratified 5-fold (seed 0): the table has one cutoff (1997-10-01)"),
        "{t}"
    );
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
        "--as-of",
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
        "--as-of",
        "soon",
        "--out",
        "x.csv",
    ]);
    bad(&[
        "simulate",
        "--n-customers",
        "10",
        "--duration",
        "30d",
        "--incident-after",
        "90d",
        "--out",
        d.to_str().unwrap(),
    ]);
}

/// The data scientist's journey on a small simulation: features on earlier cutoffs and a later
/// one, train, evaluate on the later one, export to ONNX, and nightly scoring with the bundle,
/// where every customer lands in exactly one of the two outputs.
#[test]
#[allow(clippy::too_many_lines)] // known debt: split when next changed
fn train_evaluate_export_and_score_on_a_small_simulation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sim = d.join("sim");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let o = erosion(&[
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
    assert!(o.status.success(), "{}", text(&o));
    let (events, customers) = (sim.join("events.parquet"), sim.join("customers.parquet"));
    let (train, test) = (d.join("train.parquet"), d.join("test.parquet"));
    for (flag, value, out) in [
        ("--as-of", "2025-01-01..2025-07-02/91d", &train),
        ("--as-of", "2025-10-01", &test),
    ] {
        let o = erosion(&[
            "features",
            "--events",
            &s(&events),
            "--customers",
            &s(&customers),
            flag,
            value,
            "--out",
            &s(out),
        ]);
        assert!(o.status.success(), "{}", text(&o));
    }
    let model = d.join("model.json");
    let o = erosion(&[
        "train",
        "--features",
        &s(&train),
        "--label",
        "erosion",
        "--family",
        "logistic",
        "--out",
        &s(&model),
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(model.exists() && d.join("model.card.md").exists(), "{t}");
    // The horizon and the population come from the table, and are written into the bundle.
    assert!(t.contains("population: customers with no cancel"), "{t}");
    let bundle = erosion_bundle::Bundle::read(&model).unwrap();
    let fc = bundle.feature_config.expect("the table's configuration");
    assert_eq!((fc.horizon_days, fc.active_within_days), (90, Some(90)));
    // A --horizon that disagrees with the table is refused, and nothing is written.
    let refused = d.join("refused.json");
    let t = bad(&[
        "train",
        "--features",
        &s(&train),
        "--label",
        "erosion",
        "--horizon",
        "30d",
        "--out",
        &s(&refused),
    ]);
    assert!(
        t.contains("--horizon 30 days disagrees") && t.contains("90 days"),
        "{t}"
    );
    assert!(!refused.exists());

    let eval = d.join("eval.json");
    let o = erosion(&[
        "evaluate",
        "--model",
        &s(&model),
        "--features",
        &s(&test),
        "--out",
        &s(&eval),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let e: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&eval).unwrap()).unwrap();
    let auc = e["metrics"]["roc_auc"].as_f64().unwrap();
    // the simulated signal is learnable: far better than chance on a later, unseen cutoff
    assert!(auc > 0.6, "held-out AUC {auc}");

    let onnx = d.join("model.onnx");
    let o = erosion(&[
        "export",
        "--model",
        &s(&model),
        "--format",
        "onnx",
        "--out",
        &s(&onnx),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(std::fs::metadata(&onnx).unwrap().len() > 1000);
    let t = bad(&[
        "export",
        "--model",
        &s(&model),
        "--format",
        "pmml",
        "--out",
        &s(&d.join("m.pmml")),
    ]);
    assert!(t.contains("pmml") && t.contains("onnx"), "{t}");
    assert!(!d.join("m.pmml").exists());

    let scores = d.join("scores.csv");
    let excl = d.join("excluded.csv");
    let summary = erosion_score::run::run(&erosion_score::run::Options {
        model: model.clone(),
        source: erosion_score::run::Source::Raw {
            events: events.clone(),
            customers: customers.clone(),
            as_of: "2025-10-01".into(),
        },
        out: scores.clone(),
        exclusions: Some(excl.clone()),
        suppress: None,
        partition: None,
        consent_handled_upstream: false,
        memory: Default::default(),
    })
    .unwrap();
    let lines = |p: &Path| std::fs::read_to_string(p).unwrap().lines().count() - 1;
    assert_eq!(summary.input, 800);
    assert_eq!(lines(&scores) + lines(&excl), 800);
    assert_eq!(lines(&scores), summary.scored);
}

#[test]
fn train_rejects_bad_targets_and_drops_empty_columns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut csv = String::from("id,tenure,plan,empty,label,same\n");
    for i in 0..60 {
        let label = if i % 3 == 0 { "yes" } else { "no" };
        csv.push_str(&format!("c{i},{},p{},,{label},yes\n", i % 12, i % 2));
    }
    let table = write(d, "table.csv", &csv);
    let out = d.join("model.json");
    let train = |target: &str| {
        bad(&[
            "train",
            "--features",
            table.to_str().unwrap(),
            "--label",
            target,
            "--id",
            "id",
            "--family",
            "logistic",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let t = train("nope");
    assert!(t.contains("table.csv") && t.contains("nope"), "{t}");
    let t = train("same");
    assert!(t.contains("one class"), "{t}");
    assert!(!out.exists());
    // a column with no value is left out with a note naming it, not a refusal of the table
    let o = erosion(&[
        "train",
        "--features",
        table.to_str().unwrap(),
        "--label",
        "label",
        "--id",
        "id",
        "--family",
        "logistic",
        "--out",
        out.to_str().unwrap(),
    ]);
    let t = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("table.csv")
            && t.contains("no value in any labelled row")
            && t.contains("empty"),
        "{t}"
    );
    assert!(out.exists());
}

/// Weekly series of 60 points per segment, as a long CSV.
fn weekly_series(gap_at: Option<usize>, bad_value_at: Option<usize>) -> String {
    let mut s = String::from("segment,week,nps\n");
    let start = MONDAY_2024_01_01;
    for seg in ["north", "south"] {
        for i in 0..60 {
            if seg == "south" && gap_at == Some(i) {
                continue;
            }
            let v = if seg == "south" && bad_value_at == Some(i) {
                "n/a".to_string()
            } else {
                format!(
                    "{:.2}",
                    30.0 + (i % 7) as f64 + if seg == "north" { 5.0 } else { 0.0 }
                )
            };
            s.push_str(&format!("{seg},{},{v}\n", add_days(&start, 7 * i)));
        }
    }
    s
}

/// 2024-01-01, a Monday, in days since 1970-01-01.
const MONDAY_2024_01_01: i64 = 19723;

/// `start + days` as YYYY-MM-DD (Howard Hinnant's civil-from-days; no date crate needed).
fn add_days(start: &i64, days: usize) -> String {
    let z = start + days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{m:02}-{d:02}", if m <= 2 { y + 1 } else { y })
}

#[test]
fn forecast_writes_intervals_and_rejects_gaps_bad_values_and_zero_horizons() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = write(d, "nps.csv", &weekly_series(None, None));
    let out = d.join("fc.csv");
    let args = |series: &Path, horizon: &str, out: &Path| -> Vec<String> {
        [
            "forecast",
            "--series",
            series.to_str().unwrap(),
            "--series-id-col",
            "segment",
            "--timestamp-col",
            "week",
            "--value-col",
            "nps",
            "--periods",
            horizon,
            "--method",
            "ets",
            "--out",
            out.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let o = erosion(&args(&good, "8", &out));
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "series_id,ds,model,yhat,lo_80,hi_80,lo_95,hi_95"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 16, "8 steps for each of 2 segments");
    for r in &rows {
        // the model name may hold a quoted comma, as in "ETS(M,N,N)": read from the end
        let v: Vec<f64> = r[r.len() - 5..]
            .iter()
            .map(|x| x.parse().unwrap())
            .collect();
        // lo_95 <= lo_80 <= yhat <= hi_80 <= hi_95
        assert!(
            v[3] <= v[1] && v[1] <= v[0] && v[0] <= v[2] && v[2] <= v[4],
            "{r:?}"
        );
    }

    let gap = write(d, "gap.csv", &weekly_series(Some(30), None));
    let bad_out = d.join("bad.csv");
    let t = bad(&args(&gap, "8", &bad_out));
    assert!(t.contains("gap.csv") && t.contains("south"), "{t}");
    let nonnum = write(d, "nonnum.csv", &weekly_series(None, Some(12)));
    let t = bad(&args(&nonnum, "8", &bad_out));
    assert!(
        t.contains("nonnum.csv") && t.contains("nps") && t.contains("n/a"),
        "{t}"
    );
    let t = bad(&args(&good, "0", &bad_out));
    assert!(t.contains("--periods"), "{t}");
    assert!(!bad_out.exists());
}

#[test]
fn audit_of_predictions_writes_the_report_and_rejects_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut csv = String::from("id,label,score,gender\n");
    for i in 0..400u32 {
        let gender = if i % 5 < 2 { "f" } else { "m" };
        let label = u32::from((i * 7919) % 10 < 3);
        let score =
            (0.15 + 0.5 * f64::from(label) + 0.3 * f64::from((i * 31) % 100) / 100.0).min(0.99);
        csv.push_str(&format!("c{i},{label},{score:.3},{gender}\n"));
    }
    let preds = write(d, "preds.csv", &csv);
    let out = d.join("audit");
    let audit = |preds: &Path, group: &str, out: &Path| -> Vec<String> {
        [
            "audit",
            "--predictions",
            preds.to_str().unwrap(),
            "--label",
            "label",
            "--score",
            "score",
            "--group",
            group,
            "--bootstrap",
            "50",
            "--out",
            out.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let o = erosion(&audit(&preds, "gender", &out));
    assert!(o.status.success(), "{}", text(&o));
    for f in ["fairness.json", "group_metrics.csv", "report.html"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let pngs = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".png"))
        .count();
    assert!(pngs >= 4, "{pngs} PNG plots");

    let bad_out = d.join("bad_audit");
    let t = bad(&audit(&preds, "ethnicity", &bad_out));
    assert!(t.contains("ethnicity"), "{t}");
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    lines[5] = "c4,1,1.5,f".into();
    let outside = write(d, "outside.csv", &lines.join("\n"));
    let t = bad(&audit(&outside, "gender", &bad_out));
    assert!(t.contains("outside.csv") && t.contains("1.5"), "{t}");
    lines[5] = "c4,2,0.5,f".into();
    let three = write(d, "three.csv", &lines.join("\n"));
    let t = bad(&audit(&three, "gender", &bad_out));
    assert!(t.contains("three.csv") && t.contains("label"), "{t}");
    assert!(!bad_out.exists());
}

/// A small table with a target that two columns predict, for `train`.
fn small_table(d: &Path) -> PathBuf {
    let mut csv = String::from("id,tenure,plan,label\n");
    for i in 0..80 {
        let label = if i % 3 == 0 || i % 7 == 0 {
            "yes"
        } else {
            "no"
        };
        csv.push_str(&format!("c{i},{},p{},{label}\n", (i * 5) % 13, i % 2));
    }
    write(d, "table.csv", &csv)
}

/// `--windows 30d,30d` (or `28d,4w`) is refused with exit 2 naming both, before any work.
#[test]
fn features_windows_given_twice_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.csv");
    let p = cdnow();
    for windows in ["30d,30d", "28d,90d,4w"] {
        let mut args = vec![
            "features",
            "--events",
            p.to_str().unwrap(),
            "--as-of",
            "1997-10-01",
            "--windows",
            windows,
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(CDNOW_FLAGS);
        let t = bad(&args);
        assert!(t.contains("give each window once"), "{t}");
        let t = bad(&["features", "--list", "--windows", windows]);
        assert!(t.contains("--windows"), "{t}");
    }
    assert!(!out.exists());
}

/// `erosion features --list | head -1`: a closed stdout ends quietly with exit 0.
#[test]
fn features_list_to_a_closed_pipe_exits_0_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader); // every write to the pipe now fails with EPIPE
    for extra in [&[][..], &["--json"][..]] {
        let o = common::command(&["features", "--list"])
            .args(extra)
            .stdout(writer.try_clone().unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {err}");
        assert!(err.is_empty(), "{extra:?}: {err}");
    }
}

/// `erosion train ... > /dev/full`: the model and its card are written, and the run fails
/// with exit 1 naming standard output and the I/O error, without a panic.
#[test]
fn train_with_stdout_full_keeps_the_model_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let table = small_table(d);
    let model = d.join("model.json");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = common::command(&["train", "--features"])
        .arg(&table)
        .args(["--label", "label", "--positive", "yes", "--id", "id"])
        .args(["--family", "logistic", "--out"])
        .arg(&model)
        .stdout(full)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("standard output") && err.contains("No space left on device"),
        "{err}"
    );
    let bundle = std::fs::read_to_string(&model).unwrap();
    assert!(
        bundle.starts_with('{'),
        "the model is whole: {}",
        &bundle[..40]
    );
    assert!(d.join("model.card.md").exists());
    // the same run with a working stdout succeeds and writes the same model
    let o = erosion(&[
        "train",
        "--features",
        table.to_str().unwrap(),
        "--label",
        "label",
        "--positive",
        "yes",
        "--id",
        "id",
        "--family",
        "logistic",
        "--out",
        d.join("model2.json").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
}

/// An output path equal to an input is refused before any work (exit 2) and the input is
/// untouched: `features --out` = `--events`, `train --out` = `--features`, `evaluate --out` =
/// `--features`.
#[test]
fn out_equal_to_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let events = d.join("events.csv");
    std::fs::write(
        &events,
        "customer_id,timestamp,event_type\nc1,2024-01-05,purchase\nc2,2024-02-01,visit\n",
    )
    .unwrap();
    let before = std::fs::read(&events).unwrap();
    let dotted = d.join(".").join("events.csv");
    let t = bad(&[
        "features",
        "--events",
        events.to_str().unwrap(),
        "--as-of",
        "2024-03-01",
        "--out",
        dotted.to_str().unwrap(),
    ]);
    assert!(t.contains("is the input --events"), "{t}");
    assert_eq!(before, std::fs::read(&events).unwrap());

    let table = small_table(d);
    let before = std::fs::read(&table).unwrap();
    let train = |out: &Path| {
        bad(&[
            "train",
            "--features",
            table.to_str().unwrap(),
            "--label",
            "label",
            "--positive",
            "yes",
            "--id",
            "id",
            "--family",
            "logistic",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let t = train(&table);
    assert!(t.contains("is the input --features"), "{t}");
    assert_eq!(before, std::fs::read(&table).unwrap());

    let model = d.join("model.json");
    let o = erosion(&[
        "train",
        "--features",
        table.to_str().unwrap(),
        "--label",
        "label",
        "--positive",
        "yes",
        "--id",
        "id",
        "--family",
        "logistic",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let t = bad(&[
        "evaluate",
        "--model",
        model.to_str().unwrap(),
        "--features",
        table.to_str().unwrap(),
        "--out",
        table.to_str().unwrap(),
    ]);
    assert!(t.contains("is the input --features"), "{t}");
    assert_eq!(before, std::fs::read(&table).unwrap());
}

/// An output that cannot be written (here: larger than the process may write, as on a full
/// disk) is the environment's failure: exit 1 with the I/O error as the cause, and nothing
/// half-written at the output path.
#[test]
fn an_output_that_cannot_be_written_exits_1_with_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let table = small_table(d);
    let model = d.join("model.json");
    // 4 KiB: the bundle is larger. SIGXFSZ ignored, so the write fails with EFBIG instead.
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 4; exec '{}' train --features '{}' --label label \
             --positive yes --id id --family logistic --out '{}'",
            env!("CARGO_BIN_EXE_erosion"),
            table.display(),
            model.display()
        ))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot write") && err.contains("File too large"),
        "{err}"
    );
    assert!(!model.exists(), "no half-written model");
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// The table of renamed flags, the same one the binary checks.
#[allow(dead_code)]
#[path = "../src/renamed.rs"]
mod renamed;

/// Every old spelling of the table, in every command where it was a flag, is refused with
/// exit 2 and a message naming the new spelling, before any other check (issue 16).
#[test]
fn every_old_flag_spelling_is_refused_naming_the_new_one() {
    assert!(!renamed::RENAMED.is_empty());
    for r in renamed::RENAMED {
        for c in r.commands {
            let joined = format!("{}=x", r.old);
            for args in [
                vec![*c, r.old, "x"],
                vec!["-q", *c, "--out", "o", r.old, "x"],
                vec![*c, joined.as_str()],
            ] {
                let o = Command::new(env!("CARGO_BIN_EXE_erosion"))
                    .args(&args)
                    .output()
                    .unwrap();
                let err = String::from_utf8_lossy(&o.stderr);
                assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
                assert!(
                    err.contains(&format!("`erosion {c} {}` is now `{}`", r.old, r.new)),
                    "{args:?}: {err}"
                );
                assert!(o.stdout.is_empty(), "{args:?}");
            }
        }
    }
}

/// Choices are clap values: `--help` lists them and clap refuses any other, exit 2.
#[test]
fn help_lists_the_choices_and_others_are_refused() {
    let help = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_erosion"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let cases: &[(&str, &str)] = &[
        ("train", "[possible values: auto, logistic, forest, gbdt]"),
        ("forecast", "[possible values: auto, ets, arima, theta, combination, naive, snaive, ses, holt, damped, hw-additive, hw-multiplicative]"),
        ("forecast", "[possible values: nps, csat, optout_rate, unsubscribe_rate, complaint_rate]"),
        ("forecast", "[possible values: day, week, month]"),
        ("forecast", "[possible values: long, m4]"),
        ("audit", "[possible values: equal_opportunity, demographic_parity]"),
        ("export", "[possible values: onnx]"),
    ];
    for (command, values) in cases {
        let short = help(&[command, "-h"]);
        assert!(short.contains(values), "{command} -h: {short}");
    }
    // the long help describes each value
    let long = help(&["train", "--help"]);
    assert!(
        long.contains("Possible values:")
            && long.contains("- gbdt:")
            && long.contains("Gradient-boosted trees"),
        "{long}"
    );
    for (args, value) in [
        (
            vec![
                "train",
                "--features",
                "t.csv",
                "--label",
                "y",
                "--out",
                "m.json",
                "--family",
                "xgboost",
            ],
            "xgboost",
        ),
        (
            vec![
                "forecast",
                "--series",
                "s.csv",
                "--periods",
                "4",
                "--method",
                "prophet",
            ],
            "prophet",
        ),
        (
            vec![
                "forecast",
                "--series",
                "s.csv",
                "--periods",
                "4",
                "--freq",
                "hour",
            ],
            "hour",
        ),
    ] {
        let t = bad(&args);
        assert!(t.contains(value) && t.contains("possible values"), "{t}");
    }
}

/// `erosion --help` names the other binary and what it is for.
#[test]
fn top_level_help_names_erosion_score() {
    let o = Command::new(env!("CARGO_BIN_EXE_erosion"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(
        help.contains("erosion-score, a separate binary") && help.contains("nightly scorer"),
        "{help}"
    );
    assert!(help.contains("-q, --quiet"), "{help}");
}

/// Durations carry their unit: a bare number is refused, exit 2, with the spelling to use.
#[test]
fn durations_without_a_unit_are_refused() {
    for (args, hint) in [
        (
            vec!["features", "--list", "--horizon", "90"],
            "--horizon \"90\" needs a unit: 90d",
        ),
        (
            vec!["features", "--list", "--windows", "30,90"],
            "--windows \"30\" needs a unit: 30d",
        ),
        (
            vec!["simulate", "--duration", "730", "--out", "x"],
            "--duration \"730\" needs a unit: 730d",
        ),
    ] {
        let t = bad(&args);
        assert!(t.contains(hint), "{args:?}: {t}");
    }
}

/// `-q`/`--quiet` prints only errors and warnings; what a command exists to print still prints.
#[test]
fn quiet_keeps_only_errors_warnings_and_the_asked_for_output() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_erosion"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = dir.path().join("sim");
    let sim = [
        "simulate",
        "--n-customers",
        "50",
        "--duration",
        "60d",
        "--out",
    ];
    let loud = run(&[&sim[..], &[out.to_str().unwrap()]].concat());
    assert!(loud.status.success());
    assert!(String::from_utf8_lossy(&loud.stdout).contains("simulated 50 customers"));
    for q in ["-q", "--quiet"] {
        let o = run(&[&[q][..], &sim[..], &[out.to_str().unwrap()]].concat());
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            o.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&o.stdout)
        );
        let o = run(&["features", "--list", q]);
        assert!(String::from_utf8_lossy(&o.stdout).contains("trust_index"));
        let o = run(&[
            "validate",
            q,
            "--events",
            out.join("events.parquet").to_str().unwrap(),
        ]);
        assert!(o.status.success() && !o.stdout.is_empty(), "{}", text(&o));
    }
}
