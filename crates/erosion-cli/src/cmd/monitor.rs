//! `erosion monitor`: tonight's inputs and scores against the training reference the bundle
//! carries (drift overall and by segment, ranked alerts with the model's reliance on each
//! input), written to `monitor.json` and `alerts.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use erosion_bundle::Bundle;
use erosion_core::{Customers, Error, EventLog};
use erosion_frame::Table;
use erosion_models::{RawColumn, RawValues, TrainedModel};
use erosion_monitor::{
    action_alert, action_share, alerts_for, compare, rank_alerts, ActionShare, Alert, InputDrift,
    Reference, Thresholds, SCORE_NAME,
};
use erosion_pipeline::reference::{as_column, model_inputs};
use rayon::prelude::*;
use serde::Serialize;

/// Flags of `erosion monitor`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  erosion-score --model model.json --features tonight.parquet --out scores.parquet\n  \
erosion monitor --model model.json --features tonight.parquet --by region --out monitor/\n  \
erosion monitor --model model.json --events events.parquet --customers customers.parquet \\\n      \
--as-of 2025-06-01 --by region --out monitor/ --fail-on-alert\n\n\
Writes DIR/monitor.json (every input's and the score's drift, overall and per segment),\n\
DIR/alerts.json (the alerts, furthest past their threshold first, with the model's global\n\
importance of each input) and DIR/report.html (self-contained). Exit code 0, also with alerts; 3 with alerts under --fail-on-alert;\n\
2 on bad input or a bundle without a training reference (retrain it)."
)]
pub struct MonitorArgs {
    /// Model bundle from `erosion train` (it carries the training reference).
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Tonight's feature table (what `erosion-score --features` reads).
    #[arg(
        long,
        value_name = "F",
        conflicts_with = "as_of",
        required_unless_present = "as_of"
    )]
    pub features: Option<PathBuf>,
    /// Raw events: tonight's features with --as-of (as `erosion-score` computes them), and the
    /// labels of earlier --scores files.
    #[arg(long, value_name = "F")]
    pub events: Option<PathBuf>,
    /// Customers file: signup dates for raw events; segment columns joined on the id.
    #[arg(long, value_name = "F")]
    pub customers: Option<PathBuf>,
    /// The night's date (YYYY-MM-DD): tonight's features from --events.
    #[arg(long = "as-of", value_name = "DATE", requires = "events")]
    pub as_of: Option<String>,
    /// An earlier `erosion-score` output (repeatable): its realised performance once its
    /// horizon has passed by the end of --events (a night whose horizon has not passed is
    /// skipped with a note).
    #[arg(long = "scores", value_name = "F", requires = "events")]
    pub scores: Vec<PathBuf>,
    /// The previous night's `erosion-score` output: band transitions and changed top reasons
    /// against --tonight-scores.
    #[arg(long, value_name = "F", requires = "tonight_scores")]
    pub previous_scores: Option<PathBuf>,
    /// Tonight's `erosion-score` output, for --previous-scores.
    #[arg(long, value_name = "F", requires = "previous_scores")]
    pub tonight_scores: Option<PathBuf>,
    /// Segment column (repeatable): drift is also reported per value of it.
    #[arg(long = "by", value_name = "COL")]
    pub by: Vec<String>,
    /// Output directory for monitor.json, alerts.json and report.html.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Bootstrap replicates of the fairness intervals of each realised night.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub bootstrap: usize,
    /// Exit with code 3 when there is any alert (0 otherwise).
    #[arg(long)]
    pub fail_on_alert: bool,
    /// PSI above this, plus PSI's no-drift expectation at the sample sizes, is an alert.
    #[arg(long, default_value_t = 0.2, value_name = "X")]
    pub psi_threshold: f64,
    /// Family-wise level of the KS tests (Bonferroni-corrected over every test of the run).
    #[arg(long, default_value_t = 0.01, value_name = "P")]
    pub ks_alpha: f64,
    /// Smallest KS statistic that is an alert, however small the p-value.
    #[arg(long, default_value_t = 0.1, value_name = "D")]
    pub ks_min: f64,
    /// Smallest change of a missing share that is an alert.
    #[arg(long, default_value_t = 0.1, value_name = "X")]
    pub missing_change: f64,
    /// Fewest rows a segment needs before it can alert.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub min_rows: usize,
    /// Smallest relative change of the share of customers at or above the action threshold
    /// (against the training reference's share) that is an alert, when a two-proportion z-test
    /// is also significant at the corrected level.
    #[arg(long, default_value_t = 0.2, value_name = "X")]
    pub action_share_change: f64,
}

/// The run found alerts and `--fail-on-alert` asks for exit code 3.
#[derive(Debug)]
pub struct AlertsRaised(pub usize);

impl std::fmt::Display for AlertsRaised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} drift alert(s); exit code 3 because of --fail-on-alert",
            self.0
        )
    }
}

impl std::error::Error for AlertsRaised {}

/// The events and customers, when `--events` is given.
struct Raw {
    path: PathBuf,
    log: EventLog,
    customers: Option<Customers>,
}

fn load_raw(a: &MonitorArgs) -> Result<Option<Raw>, Error> {
    let Some(events) = &a.events else {
        return Ok(None);
    };
    let customers = match &a.customers {
        Some(c) => Some(erosion_io::load_customers(c, &Default::default())?),
        None => None,
    };
    Ok(Some(Raw {
        path: events.clone(),
        log: erosion_io::load_events(events, &Default::default())?,
        customers,
    }))
}

/// Tonight's table: the feature table given, or the one `erosion-score` computes from raw
/// events at `--as-of` with the bundle's own feature configuration.
fn tonight_table(a: &MonitorArgs, bundle: &Bundle, raw: Option<&Raw>) -> Result<Table, Error> {
    if let Some(f) = &a.features {
        return Table::read(f);
    }
    let raw = raw.expect("clap: --as-of requires --events");
    let date = a.as_of.as_deref().expect("clap: --features or --as-of");
    let as_of = erosion_core::time::parse_date(date)
        .ok_or_else(|| Error::usage(format!("--as-of {date:?} is not a date (YYYY-MM-DD)")))?;
    let cfg = bundle.feature_config.clone().unwrap_or_default();
    let table = erosion_features::compute(&raw.log, raw.customers.as_ref(), &[as_of], &cfg);
    Ok(Table::from_frame(
        &raw.path,
        erosion_frame::feature_frame(&table),
    ))
}

/// Drift of every input and of the score in one scope (all rows, or a segment's).
#[derive(Debug, Serialize)]
pub struct ScopeDrift {
    /// `overall` or `column=value`.
    pub scope: String,
    /// Rows in it.
    pub rows: usize,
    /// The calibrated probability against its reference.
    pub score: Option<InputDrift>,
    /// The share of customers at or above the action threshold against the reference's.
    pub action: Option<ActionShare>,
    /// Each input, in the model's order.
    pub inputs: Vec<InputDrift>,
}

fn subset(c: &RawColumn, rows: Option<&[usize]>) -> Option<RawColumn> {
    rows.map(|r| erosion_pipeline::train::select_rows(c.clone(), r))
}

fn drift_of(
    reference: &Reference,
    c: &RawColumn,
    rows: Option<&[usize]>,
) -> Result<InputDrift, Error> {
    let picked = subset(c, rows);
    let col = as_column(picked.as_ref().unwrap_or(c));
    let r = if c.name == SCORE_NAME {
        reference.score.as_ref()
    } else {
        reference.input(&c.name)
    }
    .ok_or_else(|| Error::usage(format!("the bundle's reference has no input {:?}", c.name)))?;
    compare(r, col.values).map_err(|e| Error::usage(e.to_string()))
}

fn scope_drift(
    scope: String,
    reference: &Reference,
    inputs: &[RawColumn],
    (score, action_threshold): (&RawColumn, f64),
    rows: Option<&[usize]>,
) -> Result<ScopeDrift, Error> {
    let drifts: Vec<InputDrift> = inputs
        .par_iter()
        .map(|c| drift_of(reference, c, rows))
        .collect::<Result<_, _>>()?;
    let (drift, action) = match &reference.score {
        Some(r) => {
            let picked = subset(score, rows);
            let p = match &picked.as_ref().unwrap_or(score).values {
                RawValues::Number(p) => action_share(r, action_threshold, p),
                RawValues::Text(_) => None,
            };
            (Some(drift_of(reference, score, rows)?), p)
        }
        None => (None, None),
    };
    Ok(ScopeDrift {
        scope,
        rows: rows.map_or(score_len(drift.as_ref(), inputs), <[usize]>::len),
        score: drift,
        action,
        inputs: drifts,
    })
}

fn score_len(score: Option<&InputDrift>, inputs: &[RawColumn]) -> usize {
    score
        .map(|s| s.rows)
        .unwrap_or_else(|| inputs.first().map_or(0, |c| as_column(c).values.len()))
}

/// Rows of each value of each `--by` column (a missing value is its own segment).
fn segments(
    a: &MonitorArgs,
    table: &Table,
    bundle: &Bundle,
) -> Result<Vec<(String, Vec<usize>)>, Error> {
    let all: Vec<usize> = (0..table.df.height()).collect();
    let id = bundle.id_column.as_deref().or(Some("customer_id"));
    let groups = erosion_pipeline::audit::groups(table, &a.by, a.customers.as_deref(), id, &all)?;
    let mut out = Vec::new();
    for (name, values) in groups {
        let mut by_value: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, v) in values.into_iter().enumerate() {
            let v = if v.is_empty() {
                "(missing)".to_string()
            } else {
                v
            };
            by_value.entry(v).or_default().push(i);
        }
        out.extend(
            by_value
                .into_iter()
                .map(|(v, rows)| (format!("{name}={v}"), rows)),
        );
    }
    Ok(out)
}

/// Global importance of each input: the mean absolute contributions of its encoded features.
fn importance_by_input(model: &TrainedModel) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for f in &model.importance {
        *out.entry(f.source.clone()).or_insert(0.0) += f.mean_abs_contribution;
    }
    out
}

/// Everything `monitor.json` holds.
#[derive(Debug, Serialize)]
pub struct MonitorReport {
    /// The bundle's model id.
    pub model_id: String,
    /// Tonight's input (feature table or events).
    pub input: String,
    /// Rows tonight.
    pub rows: usize,
    /// Rows the reference describes.
    pub reference_rows: usize,
    /// What the score reference is.
    pub score_reference: String,
    /// Thresholds in force.
    pub thresholds: Thresholds,
    /// Tests in the run, the Bonferroni divisor: each KS test and each scope's action-share
    /// test.
    pub ks_tests: usize,
    /// Alerts raised.
    pub alerts: usize,
    /// All rows, then each segment.
    pub drift: Vec<ScopeDrift>,
    /// Tonight's ROC-AUC, Brier and decision as the calibrated probabilities promise them
    /// before labels arrive (confidence-based performance estimation).
    pub expected: Option<erosion_monitor::Expected>,
    /// Realised performance of each night of the `--scores` files.
    pub realised: Vec<crate::cmd::monitor_performance::Night>,
    /// Band transitions and changed top reasons from --previous-scores to --tonight-scores.
    pub movement: Option<erosion_monitor::Movement>,
}

/// The customers of a score file with their band and first reason.
fn scored(path: &Path) -> Result<Vec<erosion_monitor::Scored>, Error> {
    let t = Table::read(path)?;
    let ids = t.strings("customer_id")?;
    let bands = t.strings("band")?;
    let reasons = if t.has("reason_1") {
        t.strings("reason_1")?
    } else {
        vec![None; ids.len()]
    };
    Ok(ids
        .into_iter()
        .zip(bands)
        .zip(reasons)
        .filter_map(|((id, band), top_reason)| {
            Some(erosion_monitor::Scored {
                id: id?,
                band: band.unwrap_or_default(),
                top_reason: top_reason.filter(|r| !r.is_empty()),
            })
        })
        .collect())
}

fn movement(a: &MonitorArgs) -> Result<Option<erosion_monitor::Movement>, Error> {
    match (&a.previous_scores, &a.tonight_scores) {
        (Some(p), Some(t)) => Ok(Some(erosion_monitor::movement(&scored(p)?, &scored(t)?))),
        _ => Ok(None),
    }
}

fn thresholds(a: &MonitorArgs) -> Thresholds {
    Thresholds {
        psi: a.psi_threshold,
        ks_alpha: a.ks_alpha,
        ks_min_statistic: a.ks_min,
        missing_change: a.missing_change,
        min_rows: a.min_rows,
        action_share_change: a.action_share_change,
    }
}

/// Alerts of every scope, ranked, with importance beside each input's.
fn collect_alerts(
    drift: &[ScopeDrift],
    t: &Thresholds,
    tests: usize,
    model: &TrainedModel,
) -> Vec<Alert> {
    let mut alerts: Vec<Alert> = drift
        .iter()
        .flat_map(|s| {
            s.score
                .iter()
                .chain(&s.inputs)
                .flat_map(|d| alerts_for(&s.scope, d, t, tests))
                .chain(
                    s.action
                        .as_ref()
                        .and_then(|x| action_alert(&s.scope, x, t, tests)),
                )
                .collect::<Vec<_>>()
        })
        .collect();
    let importance = importance_by_input(model);
    rank_alerts(&mut alerts, |name| importance.get(name).copied());
    alerts
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<(), Error> {
    let json = serde_json::to_vec_pretty(value).map_err(|e| Error::io(path, e))?;
    erosion_io::atomic_write(path, |w| {
        use std::io::Write;
        w.write_all(&json)
            .and_then(|_| w.write_all(b"\n"))
            .map_err(|e| Error::write(path, e))
    })
}

/// The bundle, refused with what to do when it carries no training reference.
fn read_bundle(path: &Path) -> Result<(Bundle, Reference), Error> {
    let mut bundle = Bundle::read(path)?;
    let reference = bundle.reference.take().ok_or_else(|| {
        Error::usage(format!(
            "{}: this bundle has no training reference to monitor against (it was written before \
             erosion kept one); retrain it with `erosion train` to monitor it",
            path.display()
        ))
    })?;
    Ok((bundle, reference))
}

/// `erosion monitor`.
pub fn run(a: &MonitorArgs) -> anyhow::Result<()> {
    let (_, alerts) = execute(a)?;
    if a.fail_on_alert && !alerts.is_empty() {
        return Err(AlertsRaised(alerts.len()).into());
    }
    Ok(())
}

/// Everything `erosion monitor` does but its exit code: the files written, the summary
/// printed, the report and the alerts returned.
fn execute(a: &MonitorArgs) -> anyhow::Result<(MonitorReport, Vec<Alert>)> {
    let monitor_json = a.out.join("monitor.json");
    let alerts_json = a.out.join("alerts.json");
    let page = a.out.join("report.html");
    let mut inputs_given = vec![("--model", a.model.as_path())];
    for (flag, p) in [
        ("--features", &a.features),
        ("--events", &a.events),
        ("--customers", &a.customers),
    ] {
        if let Some(p) = p {
            inputs_given.push((flag, p.as_path()));
        }
    }
    inputs_given.extend(a.scores.iter().map(|p| ("--scores", p.as_path())));
    for (flag, p) in [
        ("--previous-scores", &a.previous_scores),
        ("--tonight-scores", &a.tonight_scores),
    ] {
        if let Some(p) = p {
            inputs_given.push((flag, p.as_path()));
        }
    }
    erosion_io::refuse_overlap(
        &[
            ("monitor.json", &monitor_json),
            ("alerts.json", &alerts_json),
            ("report.html", &page),
        ],
        &inputs_given,
    )?;
    let t0 = Instant::now();
    let (bundle, reference) = read_bundle(&a.model)?;
    let raw_data = load_raw(a)?;
    let table = tonight_table(a, &bundle, raw_data.as_ref())?;
    erosion_io::timing(format_args!("monitor: bundle and tonight's table"), t0);
    let t0 = Instant::now();
    let p = erosion_pipeline::train::score_table(&bundle, &table)?;
    erosion_io::timing(format_args!("monitor: scores"), t0);
    let raw = table.raw_columns(&bundle.excluded)?;
    let inputs = model_inputs(&bundle.model, raw).map_err(|name| Error::MissingColumn {
        path: table.path.clone(),
        column: name,
        available: table.names(),
    })?;
    let expected =
        erosion_monitor::expected_performance(&p, bundle.model.thresholds.action.probability);
    let score = RawColumn::numbers(SCORE_NAME, p);
    let score = (&score, bundle.model.thresholds.action.probability);
    let segs = segments(a, &table, &bundle)?;
    let t0 = Instant::now();
    let mut drift = vec![scope_drift(
        "overall".into(),
        &reference,
        &inputs,
        score,
        None,
    )?];
    for (name, rows) in &segs {
        drift.push(scope_drift(
            name.clone(),
            &reference,
            &inputs,
            score,
            Some(rows),
        )?);
    }
    let numeric = inputs
        .iter()
        .filter(|c| matches!(c.values, RawValues::Number(_)))
        .count();
    // Per scope: a KS test per numeric input, and the score's KS and action-share tests.
    let tests = (numeric + 2 * usize::from(reference.score.is_some())) * drift.len();
    let t = thresholds(a);
    let alerts = collect_alerts(&drift, &t, tests, &bundle.model);
    erosion_io::timing(
        format_args!("monitor: drift of every input and the score"),
        t0,
    );
    let realised = realised(a, &bundle, raw_data.as_ref())?;
    let report = MonitorReport {
        model_id: bundle.model_id.clone(),
        input: table.path.display().to_string(),
        rows: table.df.height(),
        reference_rows: reference.rows,
        score_reference: reference.score_source.clone(),
        thresholds: t,
        ks_tests: tests,
        alerts: alerts.len(),
        drift,
        expected,
        realised,
        movement: movement(a)?,
    };
    std::fs::create_dir_all(&a.out).map_err(|e| Error::io(&a.out, e))?;
    write_json(&monitor_json, &report)?;
    write_json(&alerts_json, &alerts)?;
    let html = crate::cmd::monitor_page::page(&report, &alerts);
    erosion_io::atomic_write(&page, |w| {
        use std::io::Write;
        w.write_all(html.as_bytes())
            .map_err(|e| Error::write(&page, e))
    })?;
    print_summary(&report, &alerts, &monitor_json, &alerts_json);
    Ok((report, alerts))
}

/// `erosion monitor`'s flags from an argument list, with every default as the command has it.
#[derive(Debug, clap::Parser)]
struct MonitorCommand {
    #[command(flatten)]
    args: MonitorArgs,
}

/// The demo's monitoring step, across the simulated incident: `erosion monitor` from the raw
/// histories in `data` (`events.parquet`, `customers.parquet`) two weeks before the incident
/// (`incident`, YYYY-MM-DD) and seven weeks after it, each against the training reference of
/// the bundle `model`, by region, into `out/monitor_before` and `out/monitor_after`; then what
/// alerts after the incident that did not before, and the share of customers at or above the
/// action threshold on both nights.
pub fn demo_step(out: &Path, model: &Path, data: &Path, incident: &str) -> anyhow::Result<()> {
    use erosion_core::time::{format_date, parse_date, DAY_MS};
    let day = parse_date(incident)
        .ok_or_else(|| Error::usage(format!("incident date {incident:?} is not YYYY-MM-DD")))?;
    let mut nights = Vec::new();
    for (tag, as_of) in [("before", day - 14 * DAY_MS), ("after", day + 49 * DAY_MS)] {
        let dir = out.join(format!("monitor_{tag}"));
        let argv: Vec<std::ffi::OsString> = vec![
            "monitor".into(),
            "--model".into(),
            model.into(),
            "--events".into(),
            data.join("events.parquet").into(),
            "--customers".into(),
            data.join("customers.parquet").into(),
            "--as-of".into(),
            format_date(as_of).into(),
            "--by".into(),
            "region".into(),
            "--out".into(),
            dir.into(),
        ];
        let a = <MonitorCommand as clap::Parser>::try_parse_from(argv)?.args;
        erosion_io::outln!(
            "   {tag} the incident ({}):",
            a.as_of.as_deref().unwrap_or("")
        );
        nights.push(execute(&a)?);
    }
    let key = |x: &Alert| format!("{} {}", x.input, x.statistic);
    let before: std::collections::BTreeSet<String> = nights[0]
        .1
        .iter()
        .filter(|x| x.scope == "overall")
        .map(key)
        .collect();
    let new: Vec<String> = nights[1]
        .1
        .iter()
        .filter(|x| x.scope == "overall")
        .map(key)
        .filter(|k| !before.contains(k))
        .collect();
    let share = |r: &MonitorReport| {
        r.drift
            .first()
            .and_then(|d| d.action.as_ref())
            .map_or("-".to_string(), |x| format!("{:.1} %", 100.0 * x.share))
    };
    erosion_io::outln!(
        "   across the incident: {} alert(s) before, {} after; at or above the action threshold {} before, {} after; new after it: {}",
        nights[0].1.len(),
        nights[1].1.len(),
        share(&nights[0].0),
        share(&nights[1].0),
        if new.is_empty() {
            "none".to_string()
        } else {
            new.join(", ")
        }
    );
    Ok(())
}

/// Every night of every `--scores` file.
fn realised(
    a: &MonitorArgs,
    bundle: &Bundle,
    raw: Option<&Raw>,
) -> Result<Vec<crate::cmd::monitor_performance::Night>, Error> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let cx = crate::cmd::monitor_performance::Context {
        bundle,
        log: &raw.log,
        customers: raw.customers.as_ref(),
        customers_path: a.customers.as_deref(),
        by: &a.by,
        bootstrap: a.bootstrap,
    };
    let mut out = Vec::new();
    for path in &a.scores {
        out.extend(crate::cmd::monitor_performance::evaluate_file(path, &cx)?);
    }
    Ok(out)
}

fn print_summary(r: &MonitorReport, alerts: &[Alert], monitor: &Path, alerts_path: &Path) {
    erosion_io::outln!(
        "model {}: {} rows tonight against a reference of {} training rows; {} scope(s), {} tests",
        r.model_id,
        r.rows,
        r.reference_rows,
        r.drift.len(),
        r.ks_tests
    );
    if let Some(s) = r.drift.first().and_then(|d| d.score.as_ref()) {
        erosion_io::outln!(
            "score: PSI {} KS {}",
            s.psi.map_or("-".into(), |v| format!("{v:.4}")),
            s.ks.map_or("-".into(), |k| format!(
                "{:.4} (p {:.3e})",
                k.statistic, k.p_value
            ))
        );
    }
    if let Some(x) = r.drift.first().and_then(|d| d.action.as_ref()) {
        erosion_io::outln!(
            "at or above the action threshold ({:.4}): {:.2} % tonight, {:.2} % in the reference (z {:.2}, p {:.3e})",
            x.threshold,
            100.0 * x.share,
            100.0 * x.reference_share,
            x.z,
            x.p_value
        );
    }
    if let Some(e) = &r.expected {
        erosion_io::outln!(
            "expected tonight if calibrated: ROC-AUC {:.4}, Brier {:.4}, positive rate {:.4}",
            e.roc_auc,
            e.brier,
            e.positive_rate
        );
    }
    erosion_io::outln!("{} alert(s)", alerts.len());
    for al in alerts.iter().take(10) {
        erosion_io::outln!(
            "  {:<22} {:<32} {:<13} {:>9.4} (threshold {:.4}){}",
            al.scope,
            al.input,
            al.statistic,
            al.value,
            al.threshold,
            al.importance
                .map_or(String::new(), |i| format!(", importance {i:.4}"))
        );
    }
    for n in &r.realised {
        match (n.evaluated, n.performance.first().and_then(|p| p.metrics.as_ref())) {
            (true, Some(m)) => erosion_io::outln!(
                "realised {} ({}): ROC-AUC {:.4} (expected {}), PR-AUC {:.4}, Brier {:.4} on {} labelled customers",
                n.as_of,
                n.file,
                m.roc_auc,
                n.expected.as_ref().map_or("-".into(), |e| format!("{:.4}", e.roc_auc)),
                m.pr_auc,
                m.brier,
                m.rows
            ),
            _ => erosion_io::outln!(
                "realised {} ({}): {}",
                n.as_of,
                n.file,
                n.note.as_deref().unwrap_or("no labelled customer with both classes")
            ),
        }
    }
    if let Some(m) = &r.movement {
        let moved: usize = m
            .transitions
            .iter()
            .filter(|t| t.from != t.to)
            .map(|t| t.customers)
            .sum();
        erosion_io::outln!(
            "movement: {} of {} customers scored both nights changed band; {} changed top reason",
            moved,
            m.in_both,
            m.top_reason_changed
        );
    }
    erosion_io::outln!(
        "wrote {}, {} and report.html beside them",
        monitor.display(),
        alerts_path.display()
    );
}
