//! Consent is typed, not guessed: a customer who objected is never scored, whatever the input's
//! format (CSV or Parquet feature table, raw events as CSV or Parquet), the spelling of the
//! consent event types or the shape of the suppression list; input with no consent information
//! at all is refused unless the run says consent is handled upstream, and the scores record it.

mod common;

use common::{ok, p, read, score, strs, train_bundle, write_bundle};

use erosion_core::time::{format_date, DAY_MS};
use erosion_core::{EventKind, EventLog, EventType};
use erosion_features::{compute, FeatureConfig};
use erosion_io::polars::prelude::*;
use erosion_models::{train_table, EncodeOptions, ModelKind, RawColumn, TrainConfig};
use erosion_score::run::{run, Options, Source};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const DAYS: u32 = 420;
const AS_OF_DAY: i64 = 330;

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    as_of: i64,
    /// The simulated events, as loaded from a file.
    log: EventLog,
    customers: erosion_core::Customers,
    /// Customers in the population at as-of with no consent or deletion event of their own.
    active: Vec<String>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let chunk = erosion_sim::simulate_range(&erosion_sim::SimConfig::new(300, DAYS, 5), 0..300);
        let start = erosion_core::time::parse_date("2024-01-01").unwrap();
        let as_of = start + AS_OF_DAY * DAY_MS;
        train_bundle(
            &chunk,
            &FeatureConfig::default(),
            start,
            &root.join("model.json"),
            false,
        );
        let events = root.join("events.parquet");
        erosion_io::write_table(&events, &mut erosion_io::events_to_frame(&chunk.events)).unwrap();
        let log = erosion_io::load_events(&events, &Default::default()).unwrap();
        let now = compute(
            &log,
            Some(&chunk.customers),
            &[as_of],
            &FeatureConfig::default(),
        );
        let own: BTreeSet<&str> = (0..log.len())
            .filter(|&e| {
                matches!(
                    log.kind[e],
                    EventKind::Known(
                        EventType::OptIn
                            | EventType::OptOut
                            | EventType::ConsentWithdrawn
                            | EventType::DataDeletionRequest
                    )
                )
            })
            .map(|e| log.customer_ids[log.customer[e] as usize].as_str())
            .collect();
        assert!(
            log.consent_events() > 0,
            "the simulation has consent events"
        );
        let active: Vec<String> = now
            .customer_id
            .iter()
            .filter(|id| !own.contains(id.as_str()))
            .cloned()
            .collect();
        assert!(active.len() >= 12, "{} active customers", active.len());
        Fixture {
            _dir: dir,
            root,
            as_of,
            log,
            customers: chunk.customers,
            active,
        }
    })
}

/// `log` with events added as `(customer id, timestamp, type name spelt as in the file)`.
fn with_events(log: &EventLog, adds: &[(String, i64, &str)]) -> EventLog {
    let mut log = log.clone();
    for (id, ts, name) in adds {
        let c = log.customer_ids.iter().position(|x| x == id).unwrap() as u32;
        let i = match log.custom_types.iter().position(|t| t == name) {
            Some(i) => i,
            None => {
                log.custom_types.push(name.to_string());
                log.custom_types.len() - 1
            }
        };
        log.customer.push(c);
        log.timestamp.push(*ts);
        log.kind.push(EventKind::Custom(i as u16));
        log.value.push(f64::NAN);
        log.channel.push(erosion_core::model::NO_CHANNEL);
        log.personalized.push(None);
    }
    log
}

/// How the customers reach the scorer.
#[derive(Debug, Clone, Copy)]
enum Input {
    FeaturesCsv,
    FeaturesParquet,
    EventsCsv,
    EventsParquet,
}

/// Writes `log` as the input files in `dir` (events written and loaded back before the features
/// are computed, so the spellings go through the loader) and returns the source.
fn source(f: &Fixture, log: &EventLog, input: Input, dir: &Path) -> Source {
    let ext = match input {
        Input::FeaturesCsv | Input::EventsCsv => "csv",
        _ => "parquet",
    };
    let events = dir.join(format!("events.{ext}"));
    erosion_io::write_table(&events, &mut erosion_io::events_to_frame(log)).unwrap();
    match input {
        Input::EventsCsv | Input::EventsParquet => {
            let customers = dir.join(format!("customers.{ext}"));
            erosion_io::write_table(
                &customers,
                &mut erosion_io::customers_to_frame(&f.customers),
            )
            .unwrap();
            Source::Raw {
                events,
                customers,
                as_of: format_date(f.as_of),
            }
        }
        Input::FeaturesCsv | Input::FeaturesParquet => {
            let loaded = erosion_io::load_events(&events, &Default::default()).unwrap();
            let now = compute(
                &loaded,
                Some(&f.customers),
                &[f.as_of],
                &FeatureConfig::default(),
            );
            let path = dir.join(format!("features.{ext}"));
            erosion_io::write_table(&path, &mut erosion_frame::feature_frame(&now)).unwrap();
            Source::Features { path, as_of: None }
        }
    }
}

/// Runs in-process; the scored ids and the exclusions by id.
fn score_in_process(
    f: &Fixture,
    source: Source,
    dir: &Path,
    suppress: Option<PathBuf>,
) -> (BTreeSet<String>, BTreeMap<String, String>) {
    let out = dir.join("scores.parquet");
    let exc = dir.join("excluded.parquet");
    run(&Options {
        model: f.root.join("model.json"),
        source,
        out: out.clone(),
        exclusions: Some(exc.clone()),
        suppress,
        partition: None,
        consent_handled_upstream: false,
        memory: Default::default(),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    (
        strs(&read(&out), "customer_id").into_iter().collect(),
        reasons(&exc),
    )
}

/// The exclusions by id (none when the file has no rows).
fn reasons(exclusions: &Path) -> BTreeMap<String, String> {
    let e = match erosion_io::read_table(exclusions, &Default::default()) {
        Err(erosion_core::Error::EmptyFile { .. }) => return BTreeMap::new(),
        e => e.unwrap(),
    };
    strs(&e, "customer_id")
        .into_iter()
        .zip(strs(&e, "reason"))
        .collect()
}

/// The run record written with the scores.
fn note(scores: &Path) -> serde_json::Value {
    let text = erosion_io::read_table_note(scores, erosion_score::consent::RUN_NOTE_KEY)
        .unwrap()
        .expect("a run record");
    serde_json::from_str(&text).unwrap()
}

/// Consent events for the first customers of `active`: an opt-out, a withdrawal, an opt-out
/// taken back by an opt-in, and an opt-out after as-of.
fn consent_adds<'a>(f: &Fixture, spell: [&'a str; 3]) -> Vec<(String, i64, &'a str)> {
    let [opt_out, withdrawn, opt_in] = spell;
    let a = &f.active;
    vec![
        (a[0].clone(), f.as_of - 1, opt_out),
        (a[1].clone(), f.as_of - 1, withdrawn),
        (a[2].clone(), f.as_of - DAY_MS, opt_out),
        (a[2].clone(), f.as_of - 1, opt_in),
        (a[3].clone(), f.as_of + DAY_MS, opt_out),
    ]
}

/// The same feature table as CSV and as Parquet: the same customers excluded for the same
/// reasons, and the same customers scored (the CSV's consent columns were text and ignored).
#[test]
fn csv_and_parquet_feature_tables_exclude_the_same_customers() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let log = with_events(
        &f.log,
        &consent_adds(f, ["opt_out", "consent_withdrawn", "opt_in"]),
    );
    let mut runs = Vec::new();
    for input in [Input::FeaturesCsv, Input::FeaturesParquet] {
        let sub = dir.path().join(format!("{input:?}"));
        std::fs::create_dir_all(&sub).unwrap();
        let src = source(f, &log, input, &sub);
        runs.push(score_in_process(f, src, &sub, None));
    }
    let (csv, parquet) = (&runs[0], &runs[1]);
    assert_eq!(csv.1, parquet.1, "exclusions");
    assert_eq!(csv.0, parquet.0, "scored");
    let a = &f.active;
    assert_eq!(csv.1[&a[0]], "opted_out");
    assert_eq!(csv.1[&a[1]], "consent_withdrawn");
    assert!(csv.0.contains(&a[2]) && csv.0.contains(&a[3]));
}

/// Consent columns of a CSV table are read by meaning (`1`, `1.0`, `true`, `YES` set; `0`,
/// `0.0`, blank not set); a value that is not a flag stops the run with exit 2, naming the
/// file, the column and the row, and nothing is written. (Rows left unset stay numbers: this
/// model was trained on numeric consent columns, and a scored row's inputs must be what
/// training saw.)
#[test]
fn csv_consent_columns_are_read_by_meaning_and_bad_values_refused() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let Source::Features { path, .. } = source(f, &f.log, Input::FeaturesParquet, dir.path())
    else {
        unreachable!()
    };
    let mut df = read(&path);
    let ids = strs(&df, "customer_id");
    let row = |id: &String| ids.iter().position(|x| x == id).unwrap();
    let a = &f.active;
    let set = |df: &mut DataFrame, col: &str, values: &[(usize, &str)]| {
        let mut v: Vec<String> = strs(df, col).iter().map(|_| "0".to_string()).collect();
        v[row(&a[9])] = String::new();
        v[row(&a[10])] = "0.0".into();
        for &(r, s) in values {
            v[r] = s.into();
        }
        df.with_column(Column::new(col.into(), v)).unwrap();
    };
    set(
        &mut df,
        "consent_opted_out",
        &[(row(&a[0]), "1"), (row(&a[1]), "1.0"), (row(&a[2]), "YES")],
    );
    set(&mut df, "consent_withdrawn", &[(row(&a[3]), " true ")]);
    let table = dir.path().join("typed.csv");
    erosion_io::write_table(&table, &mut df).unwrap();
    let (model, out) = (
        f.root.join("model.json"),
        dir.path().join("typed_scores.csv"),
    );
    let args = [
        "--model",
        p(&model),
        "--features",
        p(&table),
        "--out",
        p(&out),
    ];
    ok(&args);
    let got = reasons(&dir.path().join("typed_scores.exclusions.csv"));
    for (i, why) in [
        (0, "opted_out"),
        (1, "opted_out"),
        (2, "opted_out"),
        (3, "consent_withdrawn"),
    ] {
        assert_eq!(got.get(&a[i]).map(String::as_str), Some(why), "{}", a[i]);
    }
    assert_eq!(got.len(), 4, "{got:?}");

    set(&mut df, "consent_withdrawn", &[(row(&a[4]), "maybe")]);
    let bad = dir.path().join("bad.csv");
    erosion_io::write_table(&bad, &mut df).unwrap();
    let bad_out = dir.path().join("bad_scores.csv");
    let r = score(&[
        "--model",
        p(&model),
        "--features",
        p(&bad),
        "--out",
        p(&bad_out),
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    let at = format!("row {}", row(&a[4]) + 1);
    for needle in [
        "bad.csv",
        "\"consent_withdrawn\"",
        &at,
        "\"maybe\"",
        "a flag",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    assert!(!bad_out.exists());
}

/// A suppression list as exports write it (a byte-order mark, CRLF, a header, quoted ids,
/// `id,reason` lines, an id of no input customer): its customers are excluded, and the run
/// says on stderr and in the scores' metadata how many of its ids matched.
#[test]
fn suppression_list_with_bom_crlf_quotes_and_reasons() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let a = &f.active;
    let list = dir.path().join("suppress.csv");
    let text = format!(
        "\u{feff}customer_id,reason\r\n\"{}\",\"asked by phone\"\r\n{},complaint\r\n  {}  \r\n# ops\r\n\"not_a_customer\"\r\n",
        a[0], a[1], a[2]
    );
    std::fs::write(&list, text).unwrap();
    let out = dir.path().join("scores.parquet");
    let run = ok(&[
        "--model",
        p(&f.root.join("model.json")),
        "--events",
        p(&f.root.join("events.parquet")),
        "--customers",
        p(&erosion_io_customers(f, dir.path())),
        "--as-of",
        &format_date(f.as_of),
        "--out",
        p(&out),
        "--suppress",
        p(&list),
        "--quiet",
    ]);
    let got = reasons(&dir.path().join("scores.exclusions.parquet"));
    for id in &a[..3] {
        assert_eq!(got.get(id).map(String::as_str), Some("suppressed"), "{id}");
    }
    assert!(!got.contains_key("customer_id") && !got.contains_key("not_a_customer"));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("4 ids, 3 of them input customers"), "{err}");
    let rec = note(&out);
    assert_eq!(rec["consent"]["suppress"]["ids"], 4);
    assert_eq!(rec["consent"]["suppress"]["matched_input_customers"], 3);
    assert_eq!(rec["consent"]["handled_upstream"], false);

    // A list that matches no one is worth a warning.
    std::fs::write(&list, "customer_id\r\nnobody\r\n").unwrap();
    let run = ok(&[
        "--model",
        p(&f.root.join("model.json")),
        "--features",
        p(&features_file(f, dir.path())),
        "--out",
        p(&out),
        "--suppress",
        p(&list),
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("warning: none of the 1 ids of the suppression list"),
        "{err}"
    );
}

fn erosion_io_customers(f: &Fixture, dir: &Path) -> PathBuf {
    let path = dir.join("customers.parquet");
    erosion_io::write_table(&path, &mut erosion_io::customers_to_frame(&f.customers)).unwrap();
    path
}

fn features_file(f: &Fixture, dir: &Path) -> PathBuf {
    match source(f, &f.log, Input::FeaturesParquet, dir) {
        Source::Features { path, .. } => path,
        _ => unreachable!(),
    }
}

/// `OPT_OUT`, `opt-out`, `Opt Out` and `Consent-Withdrawn` in raw events are the vocabulary's
/// types; a near miss (`optout`) is reported with its count and the type it resembles.
#[test]
fn consent_spellings_in_raw_events_bind_and_near_misses_are_reported() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let a = &f.active;
    let mut adds = consent_adds(f, ["OPT_OUT", "Consent-Withdrawn", "Opt In"]);
    adds.push((a[5].clone(), f.as_of - 1, "opt-out"));
    adds.push((a[6].clone(), f.as_of - 1, "Opt Out"));
    adds.push((a[7].clone(), f.as_of - 2, "optout"));
    adds.push((a[7].clone(), f.as_of - 1, "optout"));
    let log = with_events(&f.log, &adds);
    let Source::Raw {
        events, customers, ..
    } = source(f, &log, Input::EventsCsv, dir.path())
    else {
        unreachable!()
    };
    let out = dir.path().join("scores.csv");
    let run = ok(&[
        "--model",
        p(&f.root.join("model.json")),
        "--events",
        p(&events),
        "--customers",
        p(&customers),
        "--as-of",
        &format_date(f.as_of),
        "--out",
        p(&out),
    ]);
    let got = reasons(&dir.path().join("scores.exclusions.csv"));
    let scored: BTreeSet<String> = strs(&read(&out), "customer_id").into_iter().collect();
    for (i, why) in [
        (0, "opted_out"),
        (1, "consent_withdrawn"),
        (5, "opted_out"),
        (6, "opted_out"),
    ] {
        assert_eq!(got.get(&a[i]).map(String::as_str), Some(why), "{}", a[i]);
    }
    assert!(scored.contains(&a[2]) && scored.contains(&a[3]));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("warning:")
            && err.contains("event type \"optout\" (2 events)")
            && err.contains("resembles \"opt_out\""),
        "{err}"
    );
    let rec = note(&out);
    assert!(rec["warnings"][0].as_str().unwrap().contains("\"optout\""));
    assert!(rec["consent"]["input"]
        .as_str()
        .unwrap()
        .contains("consent events"));
}

/// A model and a table of the user's own, neither with consent columns: refused (exit 2, with
/// what to do, nothing written); accepted with --consent-handled-upstream, which the scores
/// record, or with a suppression list.
#[test]
fn a_table_without_consent_columns_is_refused_unless_handled_upstream() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let n = 200;
    let tenure: Vec<Option<f64>> = (0..n).map(|i| Some((i * 7 % 48) as f64)).collect();
    let complaints: Vec<Option<f64>> = (0..n).map(|i| Some((i * 3 % 5) as f64)).collect();
    let y: Vec<u8> = (0..n)
        .map(|i| u8::from((i * 3 % 5) as f64 * 10.0 - (i * 7 % 48) as f64 > 5.0))
        .collect();
    let cols = vec![
        RawColumn::number("tenure", tenure.clone()),
        RawColumn::number("complaints", complaints.clone()),
    ];
    let config = TrainConfig {
        model: ModelKind::Logistic,
        ..TrainConfig::default()
    };
    let model = train_table(&cols, &y, None, &EncodeOptions::default(), &config).unwrap();
    let bundle = root.join("own.json");
    write_bundle(&bundle, model, vec!["customer_id".into()], n, None);
    let mut df = df!(
        "customer_id" => (0..n).map(|i| format!("C{i:03}")).collect::<Vec<_>>(),
        "tenure" => tenure,
        "complaints" => complaints,
    )
    .unwrap();
    let table = root.join("own.csv");
    erosion_io::write_table(&table, &mut df).unwrap();
    for ext in ["csv", "parquet"] {
        let out = root.join(format!("own_scores.{ext}"));
        let args = [
            "--model",
            p(&bundle),
            "--features",
            p(&table),
            "--out",
            p(&out),
        ];
        let r = score(&args);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{err}");
        for needle in [
            "own.csv",
            "no consent information",
            "consent_opted_out",
            "--suppress",
            "--consent-handled-upstream",
        ] {
            assert!(err.contains(needle), "{needle}: {err}");
        }
        assert!(!out.exists());

        let mut upstream = args.to_vec();
        upstream.push("--consent-handled-upstream");
        let r = ok(&upstream);
        assert_eq!(strs(&read(&out), "customer_id").len(), n);
        assert!(String::from_utf8_lossy(&r.stderr).contains("handled upstream"));
        let rec = note(&out);
        assert_eq!(rec["consent"]["handled_upstream"], true, "{rec}");
        assert_eq!(rec["consent"]["input"], serde_json::Value::Null);
    }
    // A suppression list is consent information: the run goes ahead, and applies it.
    let list = root.join("suppress.txt");
    std::fs::write(&list, "C001\n").unwrap();
    let out = root.join("own_suppressed.csv");
    ok(&[
        "--model",
        p(&bundle),
        "--features",
        p(&table),
        "--out",
        p(&out),
        "--suppress",
        p(&list),
    ]);
    assert_eq!(strs(&read(&out), "customer_id").len(), n - 1);
    assert_eq!(note(&out)["consent"]["handled_upstream"], false);
}

/// Raw events without a single consent event (a purchases-only export) carry no consent
/// information: refused the same way, accepted with --consent-handled-upstream.
#[test]
fn raw_events_without_consent_events_are_refused_unless_handled_upstream() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let consent = |k: &EventKind| {
        matches!(
            k,
            EventKind::Known(EventType::OptIn | EventType::OptOut | EventType::ConsentWithdrawn)
        )
    };
    let keep: Vec<usize> = (0..f.log.len())
        .filter(|&e| !consent(&f.log.kind[e]))
        .collect();
    let mut log = f.log.clone();
    log.customer = keep.iter().map(|&e| f.log.customer[e]).collect();
    log.timestamp = keep.iter().map(|&e| f.log.timestamp[e]).collect();
    log.kind = keep.iter().map(|&e| f.log.kind[e]).collect();
    log.value = keep.iter().map(|&e| f.log.value[e]).collect();
    log.channel = keep.iter().map(|&e| f.log.channel[e]).collect();
    log.personalized = keep.iter().map(|&e| f.log.personalized[e]).collect();
    // An opt-out spelt so that it does not bind: the refusal names it.
    let log = with_events(&log, &[(f.active[0].clone(), f.as_of - 1, "OptOut")]);
    let Source::Raw {
        events, customers, ..
    } = source(f, &log, Input::EventsParquet, dir.path())
    else {
        unreachable!()
    };
    let out = dir.path().join("scores.parquet");
    let as_of = format_date(f.as_of);
    let model = f.root.join("model.json");
    let args = [
        "--model",
        p(&model),
        "--events",
        p(&events),
        "--customers",
        p(&customers),
        "--as-of",
        &as_of,
        "--out",
        p(&out),
    ];
    let r = score(&args);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    for needle in [
        "events.parquet",
        "no opt_in, opt_out or consent_withdrawn event",
        "\"OptOut\" resembles opt_out",
        "--consent-handled-upstream",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    assert!(!out.exists());
    // Spilled to ranges, the night is refused by the same rule on the whole file's event
    // types, with the same words (warnings included), and leaves nothing behind.
    let mut spilled = args.to_vec();
    spilled.extend(["--spill-partitions", "3"]);
    let rs = score(&spilled);
    assert_eq!(rs.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&rs.stderr), err);
    assert!(!out.exists());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".erosion-spill"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let mut upstream = args.to_vec();
    upstream.push("--consent-handled-upstream");
    ok(&upstream);
    assert_eq!(note(&out)["consent"]["handled_upstream"], true);
    let whole = note(&out);
    upstream.extend(["--spill-partitions", "3"]);
    ok(&upstream);
    assert_eq!(note(&out), whole);
}

/// Consent and erasure paths of the property test, one per subject customer.
const PATHS: [&str; 9] = [
    "none",
    "opt_out",
    "withdrawn",
    "opt_out_then_opt_in",
    "opt_in_then_opt_out",
    "suppressed",
    "opt_out_after_as_of",
    "erased",
    "erased_after_as_of",
];

/// Spellings an export may use, by vocabulary type.
const SPELLINGS: [[&str; 4]; 4] = [
    ["opt_out", "OPT_OUT", "opt-out", "Opt Out"],
    [
        "consent_withdrawn",
        "CONSENT_WITHDRAWN",
        "consent-withdrawn",
        "Consent Withdrawn",
    ],
    ["opt_in", "OPT_IN", "opt-in", "Opt In"],
    [
        "data_deletion_request",
        "DATA_DELETION_REQUEST",
        "data-deletion-request",
        "Data Deletion Request",
    ],
];

/// The events of a path for `id`, and the exclusion reason it must give (`None`: scored).
fn path_events(
    f: &Fixture,
    id: &str,
    path: usize,
    spelling: usize,
) -> (Vec<(String, i64, &'static str)>, Option<&'static str>) {
    let [out, withdrawn, opt_in, erase] = SPELLINGS.map(|s| s[spelling]);
    let at = |ts: i64, name| (id.to_string(), ts, name);
    let (t1, t2) = (f.as_of - DAY_MS, f.as_of - 1);
    match PATHS[path] {
        "opt_out" => (vec![at(t2, out)], Some("opted_out")),
        "withdrawn" => (vec![at(t2, withdrawn)], Some("consent_withdrawn")),
        "opt_out_then_opt_in" => (vec![at(t1, out), at(t2, opt_in)], None),
        "opt_in_then_opt_out" => (vec![at(t1, opt_in), at(t2, out)], Some("opted_out")),
        "suppressed" => (Vec::new(), Some("suppressed")),
        "opt_out_after_as_of" => (vec![at(f.as_of + DAY_MS, out)], None),
        "erased" => (vec![at(t2, erase)], Some("deletion_request")),
        // Erasure is not only forward: a request after as-of erases the customer too.
        "erased_after_as_of" => (vec![at(f.as_of + DAY_MS, erase)], Some("deletion_request")),
        _ => (Vec::new(), None),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// A customer on any consent or erasure path (latest consent event an opt-out or a
    /// withdrawal, a deletion request before or after as-of, however spelt, or on the
    /// suppression list) is never scored, whatever the input's format, and a customer who opted
    /// back in or opts out after as-of is scored. An erased customer is listed by id in the
    /// exclusions of a run from raw events; `erosion features` leaves them out of a feature
    /// table altogether, so a run from one never sees them.
    #[test]
    fn no_customer_on_a_consent_path_is_ever_scored(
        paths in proptest::collection::vec((0..PATHS.len(), 0..4usize), 8),
        input in 0..4usize,
    ) {
        let f = fixture();
        let dir = tempfile::tempdir().unwrap();
        let mut adds = Vec::new();
        let mut want = BTreeMap::new();
        let mut suppress = String::from("\u{feff}customer_id,reason\r\n");
        for (id, &(path, spelling)) in f.active.iter().zip(&paths) {
            let (events, why) = path_events(f, id, path, spelling);
            adds.extend(events);
            if PATHS[path] == "suppressed" {
                suppress.push_str(&format!("\"{id}\",ops\r\n"));
            }
            want.insert(id.clone(), why);
        }
        let list = dir.path().join("suppress.csv");
        std::fs::write(&list, suppress).unwrap();
        let log = with_events(&f.log, &adds);
        let input = [Input::FeaturesCsv, Input::FeaturesParquet, Input::EventsCsv, Input::EventsParquet][input];
        let src = source(f, &log, input, dir.path());
        let (scored, excluded) = score_in_process(f, src, dir.path(), Some(list));
        for (id, why) in &want {
            match why {
                Some(r) => {
                    prop_assert!(!scored.contains(id), "{input:?}: {id} ({r}) scored");
                    let from_table = matches!(input, Input::FeaturesCsv | Input::FeaturesParquet);
                    let listed = excluded.get(id).map(String::as_str);
                    if *r == "deletion_request" && from_table {
                        prop_assert_eq!(listed, None, "{:?}: {} erased but in the table", input, id);
                    } else {
                        prop_assert_eq!(listed, Some(*r), "{:?}: {}", input, id);
                    }
                }
                None => prop_assert!(scored.contains(id), "{input:?}: {id} not scored ({:?})", excluded.get(id)),
            }
        }
        prop_assert!(scored.iter().all(|id| !excluded.contains_key(id)));
    }
}
