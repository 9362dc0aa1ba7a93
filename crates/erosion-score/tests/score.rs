//! End-to-end tests of the `erosion-score` binary on a simulated population and a model trained
//! in-process.

mod common;

use common::{ok, p, read, score, strs, train_bundle};

use erosion_bundle::Bundle;
use erosion_core::time::{format_date, DAY_MS};
use erosion_core::{EventKind, EventType};
use erosion_features::{compute, FeatureConfig};
use erosion_io::polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const DAYS: u32 = 420;
const AS_OF_DAY: i64 = 330;

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    as_of: i64,
    excluded: Vec<String>,
    /// Sim customers active at as-of with no consent event of their own (test subjects).
    active: Vec<String>,
    /// The population at as-of, as `erosion features` computes it.
    population: Vec<String>,
    /// The customers with events outside it, and why.
    left_out: BTreeMap<String, String>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let cfg = erosion_sim::SimConfig::new(400, DAYS, 11);
        let chunk = erosion_sim::simulate_range(&cfg, 0..400);
        let start = erosion_core::time::parse_date("2024-01-01").unwrap();
        let as_of = start + AS_OF_DAY * DAY_MS;

        let fcfg = FeatureConfig::default();
        let excluded = train_bundle(&chunk, &fcfg, start, &root.join("model.json"), false);

        // Scoring inputs: the features table at as-of, and the raw histories.
        // The raw histories as files, and the features `erosion features` computes from them.
        erosion_io::write_table(
            &root.join("events.parquet"),
            &mut erosion_io::events_to_frame(&chunk.events),
        )
        .unwrap();
        erosion_io::write_table(
            &root.join("customers.parquet"),
            &mut erosion_io::customers_to_frame(&chunk.customers),
        )
        .unwrap();
        let loaded_events =
            erosion_io::load_events(&root.join("events.parquet"), &Default::default()).unwrap();
        let loaded_customers =
            erosion_io::load_customers(&root.join("customers.parquet"), &Default::default())
                .unwrap();
        let now = compute(&loaded_events, Some(&loaded_customers), &[as_of], &fcfg);
        erosion_io::write_table(
            &root.join("features.parquet"),
            &mut erosion_frame::feature_frame(&now),
        )
        .unwrap();
        erosion_io::write_table(
            &root.join("features.csv"),
            &mut erosion_frame::feature_frame(&now),
        )
        .unwrap();
        let consented: BTreeSet<&str> = (0..chunk.events.len())
            .filter(|&e| {
                matches!(
                    chunk.events.kind[e],
                    EventKind::Known(
                        EventType::OptIn
                            | EventType::OptOut
                            | EventType::ConsentWithdrawn
                            | EventType::DataDeletionRequest
                    )
                )
            })
            .map(|e| chunk.events.customer_ids[chunk.events.customer[e] as usize].as_str())
            .collect();
        let active: Vec<String> = now
            .customer_id
            .iter()
            .filter(|id| !consented.contains(id.as_str()))
            .cloned()
            .collect();
        assert!(active.len() > 20, "{} active customers", active.len());

        // The same histories with consent events added for a few customers, and a customer
        // without any event.
        let mut log = chunk.events.clone();
        let idx = |id: &str| log.customer_ids.iter().position(|c| c == id).unwrap() as u32;
        let adds = [
            (&active[0], as_of - 1, EventType::OptOut),
            (&active[1], as_of - 1, EventType::ConsentWithdrawn),
            (&active[2], as_of - 1, EventType::DataDeletionRequest),
            (&active[3], as_of - DAY_MS, EventType::OptOut),
            (&active[3], as_of - 1, EventType::OptIn),
            (&active[4], as_of + DAY_MS, EventType::OptOut),
        ];
        let adds: Vec<(u32, i64, EventType)> =
            adds.iter().map(|(id, t, k)| (idx(id), *t, *k)).collect();
        for (c, t, k) in adds {
            log.customer.push(c);
            log.timestamp.push(t);
            log.kind.push(EventKind::Known(k));
            log.value.push(f64::NAN);
            log.channel.push(erosion_core::model::NO_CHANNEL);
            log.personalized.push(None);
        }
        let mut customers = chunk.customers.clone();
        customers.ids.push("zz_no_events".into());
        customers.signup.push(None);
        for (_, v) in &mut customers.attributes {
            v.push(None);
        }
        erosion_io::write_table(
            &root.join("events_consent.csv"),
            &mut erosion_io::events_to_frame(&log),
        )
        .unwrap();
        erosion_io::write_table(
            &root.join("customers_consent.csv"),
            &mut erosion_io::customers_to_frame(&customers),
        )
        .unwrap();
        std::fs::write(
            root.join("suppress.txt"),
            format!("# ops list\n{}\n\n", active[5]),
        )
        .unwrap();
        let left_out = now
            .left_out
            .iter()
            .map(|r| {
                let id = loaded_events.customer_ids[r.customer as usize].clone();
                (id, r.reason.as_str().to_string())
            })
            .collect();
        Fixture {
            _dir: dir,
            root,
            as_of,
            excluded,
            active,
            population: now.customer_id.clone(),
            left_out,
        }
    })
}

fn probs(df: &DataFrame) -> BTreeMap<String, f64> {
    let ids = strs(df, "customer_id");
    let p = df.column("erosion_probability").unwrap().f64().unwrap();
    ids.into_iter().zip(p.iter().map(|v| v.unwrap())).collect()
}

/// Features mode gives exactly `bundle.model.predict_proba` on the same rows.
#[test]
fn features_mode_matches_predict_proba_bit_for_bit() {
    let f = fixture();
    let (model, feats) = (f.root.join("model.json"), f.root.join("features.parquet"));
    let out = f.root.join("parity.parquet");
    ok(&[
        "--model",
        p(&model),
        "--features",
        p(&feats),
        "--out",
        p(&out),
    ]);
    let df = read(&out);
    let expected_cols = [
        "customer_id",
        "as_of",
        "erosion_probability",
        "trust_score",
        "band",
        "reason_1",
        "reason_2",
        "reason_3",
        "recommended_action",
        "model_id",
        "reason_weights",
    ];
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(names, expected_cols);

    let bundle = Bundle::read(&model).unwrap();
    let table = read(&feats);
    let raw = erosion_frame::Table::from_frame(&feats, table.clone())
        .raw_columns(&f.excluded)
        .unwrap();
    let x = bundle.model.encode(&raw).unwrap();
    let want = bundle.model.predict_proba(&x).unwrap();
    let ids = strs(&table, "customer_id");
    let got = probs(&df);
    let exc = read(&f.root.join("parity.exclusions.parquet"));
    let excluded: BTreeMap<String, String> = strs(&exc, "customer_id")
        .into_iter()
        .zip(strs(&exc, "reason"))
        .collect();
    assert!(got.len() > ids.len() / 2, "{} of {}", got.len(), ids.len());
    for (id, w) in ids.iter().zip(&want) {
        match got.get(id) {
            Some(g) => assert_eq!(g.to_bits(), w.to_bits(), "customer {id}"),
            // Features mode honours the table's consent columns.
            None => assert!(
                matches!(excluded[id].as_str(), "opted_out" | "consent_withdrawn"),
                "{id}: {}",
                excluded[id]
            ),
        }
    }
    assert_eq!(got.len() + excluded.len(), ids.len());
    // Sorted by id, as-of from the cutoff column, the bundle's model id, sane derived columns.
    let out_ids = strs(&df, "customer_id");
    let mut sorted = out_ids.clone();
    sorted.sort();
    assert_eq!(out_ids, sorted);
    assert!(strs(&df, "as_of")
        .iter()
        .all(|d| *d == format_date(f.as_of)));
    assert!(strs(&df, "model_id").iter().all(|m| *m == bundle.model_id));
    let trust = df.column("trust_score").unwrap().f64().unwrap();
    let bands = strs(&df, "band");
    let actions = strs(&df, "recommended_action");
    let r1 = strs(&df, "reason_1");
    for (i, id) in out_ids.iter().enumerate() {
        let pr = got[id];
        assert_eq!(trust.get(i).unwrap(), 100.0 * (1.0 - pr));
        assert_eq!(bands[i], bundle.model.band(pr).as_str());
        if bands[i] == "healthy" {
            assert_eq!(actions[i], "none", "row {i}");
        }
        if !r1[i].is_empty() {
            let direction = if bands[i] == "healthy" {
                " (lowers risk)"
            } else {
                " (raises risk)"
            };
            assert!(r1[i].ends_with(direction), "{}", r1[i]);
            assert!(!r1[i].contains("(+"), "{}", r1[i]);
        }
    }
    assert!(bands.iter().any(|b| b != "healthy"));
}

/// Raw mode computes the very same features: its probabilities equal features mode's.
#[test]
fn raw_mode_equals_features_mode() {
    let f = fixture();
    let model = f.root.join("model.json");
    let raw_out = f.root.join("raw.parquet");
    let feat_out = f.root.join("feat.parquet");
    let as_of = format_date(f.as_of);
    let (ev, cu) = (
        f.root.join("events.parquet"),
        f.root.join("customers.parquet"),
    );
    let quiet = ok(&[
        "--model",
        p(&model),
        "--events",
        p(&ev),
        "--customers",
        p(&cu),
        "--as-of",
        &as_of,
        "--out",
        p(&raw_out),
        "-q",
    ]);
    // -q, as `erosion -q`: only errors and warnings, no summary on stdout
    assert!(
        quiet.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stdout)
    );
    let feats = f.root.join("features.parquet");
    let loud = ok(&[
        "--model",
        p(&model),
        "--features",
        p(&feats),
        "--out",
        p(&feat_out),
    ]);
    assert!(String::from_utf8_lossy(&loud.stdout).contains("scored +"));
    let (a, b) = (probs(&read(&raw_out)), probs(&read(&feat_out)));
    // Features mode scores every row; raw mode leaves out the sim's own opt-outs.
    assert!(!a.is_empty());
    for (id, pa) in &a {
        assert_eq!(pa.to_bits(), b[id].to_bits(), "customer {id}");
    }
}

/// Consent, suppression, deletion and inactivity exclusions, and every customer exactly once.
#[test]
fn consent_exclusions_and_every_customer_once() {
    let f = fixture();
    let out = f.root.join("consent_scores.csv");
    let exc = f.root.join("consent_excluded.csv");
    let (ev, cu) = (
        f.root.join("events_consent.csv"),
        f.root.join("customers_consent.csv"),
    );
    let supp = f.root.join("suppress.txt");
    let as_of = format_date(f.as_of);
    let run = ok(&[
        "--model",
        p(&f.root.join("model.json")),
        "--events",
        p(&ev),
        "--customers",
        p(&cu),
        "--as-of",
        &as_of,
        "--out",
        p(&out),
        "--exclusions",
        p(&exc),
        "--suppress",
        p(&supp),
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("401 input customers"), "{stdout}");

    let scored = strs(&read(&out), "customer_id");
    let e = read(&exc);
    let names: Vec<String> = e.get_column_names().iter().map(|s| s.to_string()).collect();
    assert_eq!(names, ["customer_id", "reason"]);
    let reasons: BTreeMap<String, String> = strs(&e, "customer_id")
        .into_iter()
        .zip(strs(&e, "reason"))
        .collect();
    let a = &f.active;
    assert_eq!(reasons[&a[0]], "opted_out");
    assert_eq!(reasons[&a[1]], "consent_withdrawn");
    assert_eq!(reasons[&a[2]], "deletion_request");
    assert_eq!(reasons[&a[5]], "suppressed");
    assert_eq!(reasons["zz_no_events"], "no_activity");
    // Opted back in before as-of, and an opt-out after as-of: both scored.
    assert!(scored.contains(&a[3]) && scored.contains(&a[4]));
    assert!(stdout.contains(&format!(
        "{} scored + {} excluded",
        scored.len(),
        reasons.len()
    )));
    // The summary says how many landed in each band and action, and they add up.
    let scores = read(&out);
    for (line, column) in [("bands: ", "band"), ("actions: ", "recommended_action")] {
        let said = stdout
            .lines()
            .find_map(|l| l.strip_prefix(line))
            .unwrap_or_else(|| panic!("no {line:?} line in {stdout}"));
        let values = strs(&scores, column);
        let mut total = 0;
        for part in said.split(", ") {
            let (name, n) = part.rsplit_once(' ').expect("name count");
            let n: usize = n.parse().expect("a count");
            assert_eq!(
                values.iter().filter(|v| *v == name).count(),
                n,
                "{line}{part}"
            );
            total += n;
        }
        assert_eq!(total, scored.len(), "{line}{said}");
    }

    // Every customer of the customers file in exactly one output.
    let customers = strs(&read(&cu), "customer_id");
    let mut all: Vec<&String> = scored.iter().chain(reasons.keys()).collect();
    all.sort();
    let n = all.len();
    all.dedup();
    assert_eq!(all.len(), n, "a customer in both outputs");
    let mut want: Vec<&String> = customers.iter().collect();
    want.sort();
    assert_eq!(all, want);
}

/// `erosion features` and raw-mode scoring agree on the population: the scored customers are
/// the feature table's rows (less consent exclusions), the others are excluded with the reason
/// the features gave (cancelled, lapsed, no_activity, deletion_request).
#[test]
fn scoring_and_features_agree_on_the_population() {
    let f = fixture();
    let out = f.root.join("population_scores.parquet");
    let exc = f.root.join("population_excluded.parquet");
    ok(&[
        "--model",
        p(&f.root.join("model.json")),
        "--events",
        p(&f.root.join("events.parquet")),
        "--customers",
        p(&f.root.join("customers.parquet")),
        "--as-of",
        &format_date(f.as_of),
        "--out",
        p(&out),
        "--exclusions",
        p(&exc),
    ]);
    let scored: BTreeSet<String> = strs(&read(&out), "customer_id").into_iter().collect();
    let e = read(&exc);
    let reasons: BTreeMap<String, String> = strs(&e, "customer_id")
        .into_iter()
        .zip(strs(&e, "reason"))
        .collect();
    let consent = ["opted_out", "consent_withdrawn", "suppressed"];
    for id in &f.population {
        let why = reasons.get(id).map(String::as_str);
        assert!(
            scored.contains(id) || why.is_some_and(|r| consent.contains(&r)),
            "{id} is in the population but neither scored nor excluded for consent ({why:?})"
        );
    }
    for id in &scored {
        assert!(
            f.population.contains(id),
            "{id} scored outside the population"
        );
    }
    for (id, why) in &f.left_out {
        let got = reasons.get(id).map(String::as_str);
        if got.is_some_and(|r| consent.contains(&r)) {
            continue;
        }
        assert_eq!(got, Some(why.as_str()), "{id}");
    }
    let count = |r: &str| reasons.values().filter(|v| *v == r).count();
    assert!(count("lapsed") > 0, "{reasons:?}");
    assert!(count("cancelled") > 0, "{reasons:?}");
}

/// A bundle trained on features with other windows (7, 28, 91 days) scores raw events with
/// them: raw mode computes the bundle's configuration, not the default, and equals features
/// mode on a table made with the same configuration.
#[test]
fn a_bundle_with_other_windows_scores_raw_events() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let sim = erosion_sim::simulate_range(&erosion_sim::SimConfig::new(400, DAYS, 11), 0..400);
    let start = erosion_core::time::parse_date("2024-01-01").unwrap();
    let fcfg = FeatureConfig {
        windows: vec![7, 28, 91],
        ..FeatureConfig::default()
    };
    train_bundle(&sim, &fcfg, start, &root.join("windows.json"), true);
    let model = root.join("windows.json");
    let raw_out = root.join("raw.parquet");
    ok(&[
        "--model",
        p(&model),
        "--events",
        p(&f.root.join("events.parquet")),
        "--customers",
        p(&f.root.join("customers.parquet")),
        "--as-of",
        &format_date(f.as_of),
        "--out",
        p(&raw_out),
    ]);
    // The features `erosion features` computes from the same files, with the same windows.
    let events = erosion_io::load_events(&f.root.join("events.parquet"), &Default::default());
    let customers =
        erosion_io::load_customers(&f.root.join("customers.parquet"), &Default::default());
    let now = compute(
        &events.unwrap(),
        Some(&customers.unwrap()),
        &[f.as_of],
        &fcfg,
    );
    assert!(now.names.iter().any(|n| n == "purchases_28d"));
    let feats = root.join("features.parquet");
    erosion_io::write_table(&feats, &mut erosion_frame::feature_frame(&now)).unwrap();
    let feat_out = root.join("feat.parquet");
    ok(&[
        "--model",
        p(&model),
        "--features",
        p(&feats),
        "--out",
        p(&feat_out),
    ]);
    let (a, b) = (probs(&read(&raw_out)), probs(&read(&feat_out)));
    assert!(a.len() > 20, "{} scored", a.len());
    for (id, pa) in &a {
        assert_eq!(pa.to_bits(), b[id].to_bits(), "customer {id}");
    }
    // The default-window bundle cannot score this table: it lacks the default windows.
    let refused = score(&[
        "--model",
        p(&f.root.join("model.json")),
        "--features",
        p(&feats),
        "--out",
        p(&root.join("refused.parquet")),
    ]);
    assert_eq!(refused.status.code(), Some(2));
}

/// The N partitions together are the whole, with no customer twice, and score identically.
#[test]
fn partitions_cover_the_whole_once() {
    let f = fixture();
    let model = f.root.join("model.json");
    let feats = f.root.join("features.parquet");
    let whole_out = f.root.join("whole.parquet");
    ok(&[
        "--model",
        p(&model),
        "--features",
        p(&feats),
        "--out",
        p(&whole_out),
    ]);
    let whole = probs(&read(&whole_out));
    let mut seen: BTreeMap<String, f64> = BTreeMap::new();
    let mut sizes = Vec::new();
    for i in 0..3 {
        let out = f.root.join(format!("part{i}.parquet"));
        let exc = f.root.join(format!("part{i}_exc.parquet"));
        let part = format!("{i}/3");
        ok(&[
            "--model",
            p(&model),
            "--features",
            p(&feats),
            "--out",
            p(&out),
            "--exclusions",
            p(&exc),
            "--partition",
            &part,
        ]);
        let got = probs(&read(&out));
        sizes.push(got.len());
        for (id, pr) in got {
            assert_eq!(erosion_score::partition_of(&id, 3), i);
            assert!(seen.insert(id.clone(), pr).is_none(), "{id} twice");
        }
    }
    assert!(sizes.iter().all(|&s| s > 0), "{sizes:?}");
    assert_eq!(seen.len(), whole.len());
    for (id, pr) in &whole {
        assert_eq!(seen[id].to_bits(), pr.to_bits());
    }
}

/// Reruns write identical bytes (CSV and Parquet).
#[test]
fn rerun_gives_identical_bytes() {
    let f = fixture();
    let model = f.root.join("model.json");
    let feats = f.root.join("features.csv");
    for ext in ["csv", "parquet"] {
        let out = f.root.join(format!("rerun.{ext}"));
        ok(&[
            "--model",
            p(&model),
            "--features",
            p(&feats),
            "--out",
            p(&out),
        ]);
        let first = std::fs::read(&out).unwrap();
        let exc_first = std::fs::read(f.root.join(format!("rerun.exclusions.{ext}"))).unwrap();
        ok(&[
            "--model",
            p(&model),
            "--features",
            p(&feats),
            "--out",
            p(&out),
        ]);
        assert_eq!(first, std::fs::read(&out).unwrap(), "{ext}");
        assert_eq!(
            exc_first,
            std::fs::read(f.root.join(format!("rerun.exclusions.{ext}"))).unwrap()
        );
    }
}

/// A bundle with one byte changed is refused with exit 2, and the previous output survives.
#[test]
fn corrupted_bundle_is_refused() {
    let f = fixture();
    let mut bytes = std::fs::read(f.root.join("model.json")).unwrap();
    let nl = bytes.iter().position(|&b| b == b'\n').unwrap();
    let i = nl + (bytes.len() - nl) / 2;
    bytes[i] = if bytes[i] == b'1' { b'2' } else { b'1' };
    let bad = f.root.join("flipped.json");
    std::fs::write(&bad, &bytes).unwrap();
    let out = f.root.join("flipped_out.csv");
    std::fs::write(&out, "previous\n").unwrap();
    let feats = f.root.join("features.parquet");
    let r = score(&[
        "--model",
        p(&bad),
        "--features",
        p(&feats),
        "--out",
        p(&out),
    ]);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("checksum mismatch") && err.contains("flipped.json"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous\n");
}

/// Bad input and bad usage exit 2 with a message naming the file or flag.
#[test]
fn bad_input_exits_2() {
    let f = fixture();
    let model = f.root.join("model.json");
    let mut df = read(&f.root.join("features.parquet"));
    let _ = df.drop_in_place("recency_days").unwrap();
    let missing = f.root.join("missing_feature.parquet");
    erosion_io::write_table(&missing, &mut df).unwrap();
    let out = f.root.join("bad_out.csv");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--features".into(), p(&missing).into()],
            "missing_feature.parquet",
        ),
        (
            vec!["--features".into(), p(&f.root.join("nope.csv")).into()],
            "nope.csv",
        ),
        (
            vec![
                "--features".into(),
                p(&f.root.join("features.parquet")).into(),
                "--partition".into(),
                "3/3".into(),
            ],
            "--partition",
        ),
        (
            vec![
                "--events".into(),
                p(&f.root.join("events.parquet")).into(),
                "--customers".into(),
                p(&f.root.join("customers.parquet")).into(),
                "--as-of".into(),
                "2024-13-40".into(),
            ],
            "--as-of",
        ),
        (
            vec![
                "--events".into(),
                p(&f.root.join("customers.parquet")).into(),
                "--customers".into(),
                p(&f.root.join("customers.parquet")).into(),
                "--as-of".into(),
                "2024-11-01".into(),
            ],
            "customers.parquet",
        ),
        (vec![], "--events"),
    ];
    for (extra, needle) in cases {
        let mut args: Vec<String> = vec![
            "--model".into(),
            p(&model).into(),
            "--out".into(),
            p(&out).into(),
        ];
        args.extend(extra);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = score(&argv);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{argv:?}: {err}");
        assert!(err.contains(needle), "{argv:?}: {err}");
        assert!(!out.exists());
    }
}

/// Killed at any moment, a run leaves each output either as it was before or complete: never
/// half-written (writes go to a temporary file renamed at the end).
#[test]
fn a_killed_run_leaves_the_previous_output_intact() {
    let f = fixture();
    let model = f.root.join("model.json");
    let raw_args = |out: &Path| -> Vec<String> {
        [
            "--model",
            p(&model),
            "--events",
            p(&f.root.join("events.parquet")),
            "--customers",
            p(&f.root.join("customers.parquet")),
            "--as-of",
            &format_date(f.as_of),
            "--out",
            p(out),
        ]
        .map(String::from)
        .to_vec()
    };
    let reference = f.root.join("kill_reference.csv");
    let argv = raw_args(&reference);
    ok(&argv.iter().map(String::as_str).collect::<Vec<_>>());
    let complete = std::fs::read(&reference).unwrap();
    let complete_exc = std::fs::read(f.root.join("kill_reference.exclusions.csv")).unwrap();
    let mut outcomes = BTreeSet::new();
    for (k, delay_ms) in [0u64, 2, 5, 10, 20, 40, 80, 120, 200, 400]
        .iter()
        .enumerate()
    {
        let out = f.root.join(format!("kill_{k}.csv"));
        let exc = f.root.join(format!("kill_{k}.exclusions.csv"));
        std::fs::write(&out, "previous\n").unwrap();
        std::fs::write(&exc, "previous\n").unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_erosion-score"))
            .args(raw_args(&out))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(*delay_ms));
        let _ = child.kill(); // SIGKILL: no chance to clean up
        let status = child.wait().unwrap();
        for (path, full) in [(&out, &complete), (&exc, &complete_exc)] {
            let now = std::fs::read(path).unwrap();
            assert!(
                now == b"previous\n" || &now == full,
                "killed after {delay_ms} ms ({status:?}): {} is neither the old nor the complete output ({} bytes)",
                path.display(),
                now.len()
            );
        }
        outcomes.insert(std::fs::read(&out).unwrap() == b"previous\n");
    }
    // the early kills really interrupted the run (the old file survived them)
    assert!(outcomes.contains(&true), "no run was interrupted");
}

/// The arguments of a features-mode run writing `out` (and `extra`).
fn features_args<'a>(f: &'a Fixture, out: &'a Path, extra: &[&'a str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "--model",
        p(&f.root.join("model.json")),
        "--features",
        p(&f.root.join("features.csv")),
        "--out",
        p(out),
    ]
    .map(String::from)
    .to_vec();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn run_args(v: &[String]) -> Output {
    score(&v.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `--exclusions` equal to `--out` (by another spelling too) is refused before any work.
#[test]
fn exclusions_equal_to_out_is_refused() {
    let f = fixture();
    let out = f.root.join("same_out.csv");
    let dotted = f.root.join(".").join("same_out.csv");
    let o = run_args(&features_args(f, &out, &["--exclusions", p(&dotted)]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("same file"), "{err}");
    assert!(!out.exists());
    assert!(!f.root.join("same_out.csv.lock").exists());
}

/// An output path equal to an input (the feature table, the raw histories, the model) is
/// refused before any work and the input is untouched.
#[test]
fn out_equal_to_an_input_is_refused() {
    let f = fixture();
    let feats = f.root.join("features.csv");
    let before = std::fs::read(&feats).unwrap();
    let cases: Vec<Vec<String>> = vec![
        features_args(f, &feats, &[]),
        features_args(f, &f.root.join("x.csv"), &["--exclusions", p(&feats)]),
        [
            "--model",
            p(&f.root.join("model.json")),
            "--events",
            p(&f.root.join("events.parquet")),
            "--customers",
            p(&f.root.join("customers.parquet")),
            "--as-of",
            &format_date(f.as_of),
            "--out",
            p(&f.root.join("events.parquet")),
        ]
        .map(String::from)
        .to_vec(),
    ];
    for argv in cases {
        let o = run_args(&argv);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{argv:?}: {err}");
        assert!(err.contains("is the input"), "{argv:?}: {err}");
    }
    assert_eq!(before, std::fs::read(&feats).unwrap());
    erosion_io::load_events(&f.root.join("events.parquet"), &Default::default()).unwrap();
}

/// A lock held by a running process refuses a second run (exit 2, naming the lock and what to
/// do) and leaves the outputs and the lock alone.
#[test]
fn a_held_lock_refuses_the_run() {
    let f = fixture();
    let out = f.root.join("locked.csv");
    let lock = f.root.join("locked.csv.lock");
    // this test process is alive
    std::fs::write(&lock, format!("{}\n", std::process::id())).unwrap();
    let o = run_args(&features_args(f, &out, &[]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(p(&lock)) && err.contains("still running"),
        "{err}"
    );
    assert!(err.contains("another --out"), "{err}");
    assert!(!out.exists());
    assert!(!f.root.join("locked.exclusions.csv").exists());
    assert!(lock.exists());
}

/// A lock left by a process that is no longer running (a killed run) is taken over with a note.
#[test]
fn a_stale_lock_is_taken_over() {
    let f = fixture();
    let out = f.root.join("stale.csv");
    let lock = f.root.join("stale.csv.lock");
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    std::fs::write(&lock, format!("{dead}\n")).unwrap();
    let o = run_args(&features_args(f, &out, &[]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("stale lock"), "{err}");
    assert!(out.exists());
    assert!(!lock.exists(), "the lock is removed at the end");
}

/// After a run the outputs are complete: the manifest, written last, names the scores, the
/// exclusions and the run record with their rows and checksums, and matches them; no lock
/// and no temporary file is left. A changed file no longer matches.
#[test]
fn outputs_are_complete_with_a_manifest() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    for ext in ["csv", "parquet"] {
        let out = dir.path().join(format!("night.{ext}"));
        run_args(&features_args(f, &out, &[]));
        let manifest = dir.path().join(format!("night.{ext}.manifest.json"));
        let files = erosion_score::outputs::verify(&manifest).unwrap();
        let roles: Vec<&str> = files.iter().map(|(r, _)| r.as_str()).collect();
        let want: &[&str] = if ext == "csv" {
            &["exclusions", "scores", "run_record"]
        } else {
            &["exclusions", "scores"]
        };
        assert_eq!(roles, want);
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
        let rows = |i: usize| doc["files"][i]["rows"].as_u64().unwrap() as usize;
        let exc = dir.path().join(format!("night.exclusions.{ext}"));
        assert_eq!(rows(0), read(&exc).height());
        assert_eq!(rows(1), read(&out).height());
        assert_eq!(rows(0) + rows(1), f.population.len(), "every customer once");
        assert!(!dir.path().join(format!("night.{ext}.lock")).exists());
    }
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    std::fs::write(
        dir.path().join("night.exclusions.csv"),
        "customer_id,reason\n",
    )
    .unwrap();
    let e =
        erosion_score::outputs::verify(&dir.path().join("night.csv.manifest.json")).unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
}

/// A full stdout costs no output: the scores, the exclusions and the manifest are written, and
/// the run exits 1 naming standard output and the I/O error. A closed stdout ends with 0.
#[test]
fn a_full_or_closed_stdout_never_costs_the_outputs() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("full.csv");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let argv = features_args(f, &out, &[]);
    let o = Command::new(env!("CARGO_BIN_EXE_erosion-score"))
        .args(&argv)
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
    erosion_score::outputs::verify(&dir.path().join("full.csv.manifest.json")).unwrap();

    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = dir.path().join("closed.csv");
    let o = Command::new(env!("CARGO_BIN_EXE_erosion-score"))
        .args(features_args(f, &out, &[]))
        .stdout(writer)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    erosion_score::outputs::verify(&dir.path().join("closed.csv.manifest.json")).unwrap();
}

/// Reasons for people: risk reasons for customers at risk and what protects healthy ones, in
/// direction words, the signed contributions in `reason_weights` (one per reason, same
/// order and sign); no frequency reduction for customers sent no email in the shortest window;
/// CSV probabilities to 4 decimals and trust scores to 1, Parquet in full precision.
#[test]
#[allow(clippy::too_many_lines)] // known debt: split when next changed
fn reasons_protect_the_healthy_and_csv_rounds_for_people() {
    let f = fixture();
    let model = f.root.join("model.json");
    let feats = f.root.join("features.parquet");
    let (csv, parquet) = (f.root.join("people.csv"), f.root.join("people.parquet"));
    for out in [&csv, &parquet] {
        ok(&[
            "--model",
            p(&model),
            "--features",
            p(&feats),
            "--out",
            p(out),
        ]);
    }
    let full = read(&parquet);
    let bands = strs(&full, "band");
    let actions = strs(&full, "recommended_action");
    let weights = strs(&full, "reason_weights");
    let reasons: Vec<Vec<String>> = ["reason_1", "reason_2", "reason_3"]
        .iter()
        .map(|c| strs(&full, c))
        .collect();
    let (mut healthy_with_reasons, mut at_risk_with_reasons) = (0, 0);
    for i in 0..bands.len() {
        let healthy = bands[i] == "healthy";
        let texts: Vec<&String> = reasons
            .iter()
            .map(|r| &r[i])
            .filter(|t| !t.is_empty())
            .collect();
        let w: Vec<f64> = weights[i]
            .split(';')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(texts.len(), w.len(), "row {i}: {texts:?} {w:?}");
        for (t, w) in texts.iter().zip(&w) {
            assert!(!t.contains("(+") && !t.contains("(-"), "{t}");
            if healthy {
                assert!(t.ends_with(" (lowers risk)") && *w < 0.0, "{t} {w}");
            } else {
                assert!(t.ends_with(" (raises risk)") && *w > 0.0, "{t} {w}");
            }
        }
        if !texts.is_empty() {
            if healthy {
                healthy_with_reasons += 1;
            } else {
                at_risk_with_reasons += 1;
            }
        }
    }
    assert!(healthy_with_reasons > 0 && at_risk_with_reasons > 0);

    // No frequency reduction for customers sent no email in the last 30 days.
    let table = read(&feats);
    let sent: BTreeMap<String, f64> = strs(&table, "customer_id")
        .into_iter()
        .zip(
            table
                .column("emails_sent_30d")
                .unwrap()
                .cast(&DataType::Float64)
                .unwrap()
                .f64()
                .unwrap()
                .iter()
                .map(|v| v.unwrap_or(0.0)),
        )
        .collect();
    let ids = strs(&full, "customer_id");
    let silent = ids.iter().filter(|id| sent[*id] == 0.0).count();
    assert!(silent > 0, "no customer without email");
    for (id, a) in ids.iter().zip(&actions) {
        if sent[id] == 0.0 {
            assert_ne!(a, "reduce_personalization_frequency", "{id}");
        }
    }

    // CSV for people, Parquet in full.
    let text = std::fs::read_to_string(&csv).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let (pc, tc) = (
        header
            .iter()
            .position(|h| *h == "erosion_probability")
            .unwrap(),
        header.iter().position(|h| *h == "trust_score").unwrap(),
    );
    let decimals = |s: &str| s.split_once('.').map_or(0, |(_, d)| d.len());
    for line in text.lines().skip(1).take(50) {
        // the id, as-of and numbers come before any quoted reason
        let cells: Vec<&str> = line.split(',').collect();
        assert!(decimals(cells[pc]) <= 4, "{line}");
        assert!(decimals(cells[tc]) <= 1, "{line}");
    }
    // (a CSV is read back as text)
    let people = read(&csv);
    let numbers = |df: &DataFrame, c: &str| -> Vec<f64> {
        strs(df, c).iter().map(|v| v.parse().unwrap()).collect()
    };
    let pp: BTreeMap<String, f64> = strs(&people, "customer_id")
        .into_iter()
        .zip(numbers(&people, "erosion_probability"))
        .collect();
    let pf = probs(&full);
    let tp = numbers(&people, "trust_score");
    let tf: Vec<f64> = full
        .column("trust_score")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .map(|v| v.unwrap())
        .collect();
    let mut more_than_4 = 0;
    for (id, full_p) in &pf {
        assert_eq!(pp[id], (full_p * 1e4).round() / 1e4, "{id}");
        if (full_p * 1e4).round() / 1e4 != *full_p {
            more_than_4 += 1;
        }
    }
    assert!(more_than_4 > 0, "Parquet keeps full precision");
    for (a, b) in tp.iter().zip(&tf) {
        assert_eq!(*a, (b * 10.0).round() / 10.0);
    }
    assert_eq!(strs(&people, "band"), bands);
    assert_eq!(strs(&people, "reason_1"), reasons[0]);
}

/// Raw-mode scoring of events spilled to ranges of customers on disk (`--spill-partitions`, or
/// a `--memory-budget` they do not fit) writes the in-memory run's scores, exclusions (consent,
/// erasure, suppression, population) and run record, from events in no customer order, CSV or
/// Parquet, and leaves no spill behind.
#[test]
fn spilled_raw_scoring_equals_the_in_memory_run() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let df = read(&f.root.join("events_consent.csv"));
    let mut order: Vec<u32> = (0..df.height() as u32).collect();
    order.sort_by_key(|&i| (u64::from(i) * 2_654_435_761) % 1_000_003);
    let mut df = df.take(&IdxCa::from_vec("i".into(), order)).unwrap();
    let shuffled_csv = d.join("shuffled.csv");
    let shuffled_parquet = d.join("shuffled.parquet");
    erosion_io::write_table(&shuffled_csv, &mut df).unwrap();
    erosion_io::write_table(&shuffled_parquet, &mut df).unwrap();
    let model = f.root.join("model.json");
    let customers = f.root.join("customers_consent.csv");
    let suppress = f.root.join("suppress.txt");
    let as_of = format_date(f.as_of);
    let run = |events: &Path, out: &Path, exc: &Path, extra: &[&str]| {
        let mut args = vec![
            "--model",
            p(&model),
            "--events",
            p(events),
            "--customers",
            p(&customers),
            "--as-of",
            &as_of,
            "--suppress",
            p(&suppress),
            "--out",
            p(out),
            "--exclusions",
            p(exc),
        ];
        args.extend_from_slice(extra);
        String::from_utf8(ok(&args).stdout).unwrap()
    };
    for events in [&shuffled_csv, &shuffled_parquet] {
        for ext in ["csv", "parquet"] {
            let (out, exc) = (d.join(format!("w.{ext}")), d.join(format!("w_exc.{ext}")));
            let said = run(events, &out, &exc, &[]);
            let reasons: BTreeSet<String> = strs(&read(&exc), "reason").into_iter().collect();
            for r in [
                "opted_out",
                "consent_withdrawn",
                "deletion_request",
                "suppressed",
                "no_activity",
            ] {
                assert!(reasons.contains(r), "{r}: {reasons:?}");
            }
            for parts in [
                ["--spill-partitions", "3"],
                ["--spill-partitions", "7"],
                ["--memory-budget", "100K"],
            ] {
                let (o, e) = (d.join(format!("p.{ext}")), d.join(format!("p_exc.{ext}")));
                let said_parts = run(events, &o, &e, &parts);
                let lines = |t: &str| {
                    t.lines()
                        .filter(|l| !l.starts_with("scores:") && !l.starts_with("exclusions:"))
                        .map(String::from)
                        .collect::<Vec<_>>()
                };
                assert_eq!(lines(&said_parts), lines(&said), "{parts:?}");
                if ext == "csv" {
                    for (a, b) in [(&o, &out), (&e, &exc)] {
                        assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
                    }
                    let note = |p: &Path| std::fs::read(erosion_io::note_sidecar(p)).unwrap();
                    assert_eq!(note(&o), note(&out));
                } else {
                    for (a, b) in [(&o, &out), (&e, &exc)] {
                        assert!(read(a).equals_missing(&read(b)), "{parts:?}");
                    }
                    let key = erosion_score::consent::RUN_NOTE_KEY;
                    assert_eq!(
                        erosion_io::read_table_note(&o, key).unwrap(),
                        erosion_io::read_table_note(&out, key).unwrap()
                    );
                }
            }
        }
    }
    let hidden: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}
