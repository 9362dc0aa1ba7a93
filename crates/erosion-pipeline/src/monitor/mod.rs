//! `erosion monitor`: tonight's inputs and scores against the training reference the bundle
//! carries (drift overall and by segment, ranked alerts with the model's reliance on each
//! input, the share at or above the action threshold), the realised performance and fairness
//! of earlier nights whose horizon has passed, and band movement; written to `monitor.json`,
//! `alerts.json` and a self-contained `report.html`.

pub mod page;
pub mod performance;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::reference::{as_column, model_inputs};
use crate::Failure;
use erosion_bundle::Bundle;
use erosion_core::{Customers, Error, EventLog};
use erosion_frame::Table;
use erosion_models::{RawColumn, RawValues, TrainedModel};
use erosion_monitor::{
    action_alert, action_share, alerts_for, compare, rank_alerts, ActionShare, Alert, InputDrift,
    Reference, Thresholds, SCORE_NAME,
};
use rayon::prelude::*;
use serde::Serialize;

/// What to monitor.
#[derive(Debug, Clone)]
pub struct MonitorRequest {
    /// The bundle (it carries the training reference).
    pub model: PathBuf,
    /// Tonight's feature table; else tonight is computed from `events` at `as_of`.
    pub features: Option<PathBuf>,
    /// Raw events: tonight's features with `as_of`, and the labels of earlier `scores` files.
    pub events: Option<PathBuf>,
    /// Customers file: signup dates for raw events; segment columns joined on the id.
    pub customers: Option<PathBuf>,
    /// The night (ms since the epoch), with `events`.
    pub as_of: Option<i64>,
    /// Earlier `erosion-score` outputs whose realised performance is wanted.
    pub scores: Vec<PathBuf>,
    /// The previous night's `erosion-score` output, for band movement.
    pub previous_scores: Option<PathBuf>,
    /// Tonight's `erosion-score` output, for band movement.
    pub tonight_scores: Option<PathBuf>,
    /// Segment columns: drift (and realised fairness) per value.
    pub by: Vec<String>,
    /// The folder `monitor.json`, `alerts.json` and `report.html` are written to.
    pub out: PathBuf,
    /// Bootstrap replicates of the fairness intervals of each realised night.
    pub bootstrap: usize,
    /// When a statistic is an alert.
    pub thresholds: Thresholds,
}

/// What `monitor` found and wrote.
#[derive(Debug)]
pub struct Monitored {
    /// Drift, expected and realised performance, movement.
    pub report: MonitorReport,
    /// The alerts, furthest past their threshold first.
    pub alerts: Vec<Alert>,
    /// `monitor.json`.
    pub monitor_json: PathBuf,
    /// `alerts.json`.
    pub alerts_json: PathBuf,
    /// `report.html`.
    pub page: PathBuf,
}

/// The events and customers, when `--events` is given.
struct Raw {
    path: PathBuf,
    log: EventLog,
    customers: Option<Customers>,
}

fn load_raw(r: &MonitorRequest) -> Result<Option<Raw>, Error> {
    let Some(events) = &r.events else {
        return Ok(None);
    };
    let customers = match &r.customers {
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
fn tonight_table(r: &MonitorRequest, bundle: &Bundle, raw: Option<&Raw>) -> Result<Table, Error> {
    if let Some(f) = &r.features {
        return Table::read(f);
    }
    let (Some(raw), Some(as_of)) = (raw, r.as_of) else {
        return Err(Error::usage(
            "give tonight's --features, or --events with --as-of DATE",
        ));
    };
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
    rows.map(|r| crate::train::select_rows(c.clone(), r))
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
    r: &MonitorRequest,
    table: &Table,
    bundle: &Bundle,
) -> Result<Vec<(String, Vec<usize>)>, Error> {
    let all: Vec<usize> = (0..table.df.height()).collect();
    let id = bundle.id_column.as_deref().or(Some("customer_id"));
    let groups = crate::audit::groups(table, &r.by, r.customers.as_deref(), id, &all)?;
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
    /// Tests in the run, the Bonferroni divisor: each KS test, each usual-value share test and
    /// each scope's action-share test.
    pub ks_tests: usize,
    /// Alerts raised.
    pub alerts: usize,
    /// All rows, then each segment.
    pub drift: Vec<ScopeDrift>,
    /// Tonight's ROC-AUC, Brier and decision as the calibrated probabilities promise them
    /// before labels arrive (confidence-based performance estimation).
    pub expected: Option<erosion_monitor::Expected>,
    /// Realised performance of each night of the `--scores` files.
    pub realised: Vec<performance::Night>,
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

fn movement(r: &MonitorRequest) -> Result<Option<erosion_monitor::Movement>, Error> {
    match (&r.previous_scores, &r.tonight_scores) {
        (Some(p), Some(t)) => Ok(Some(erosion_monitor::movement(&scored(p)?, &scored(t)?))),
        _ => Ok(None),
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

/// Compares tonight with the bundle's training reference, measures the nights whose horizon
/// has passed, writes `monitor.json`, `alerts.json` and `report.html` into
/// [`MonitorRequest::out`], and returns the report with its ranked alerts.
pub fn monitor(r: &MonitorRequest) -> Result<Monitored, Failure> {
    let monitor_json = r.out.join("monitor.json");
    let alerts_json = r.out.join("alerts.json");
    let page = r.out.join("report.html");
    let mut inputs_given = vec![("--model", r.model.as_path())];
    for (flag, p) in [
        ("--features", &r.features),
        ("--events", &r.events),
        ("--customers", &r.customers),
    ] {
        if let Some(p) = p {
            inputs_given.push((flag, p.as_path()));
        }
    }
    inputs_given.extend(r.scores.iter().map(|p| ("--scores", p.as_path())));
    for (flag, p) in [
        ("--previous-scores", &r.previous_scores),
        ("--tonight-scores", &r.tonight_scores),
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
    let (bundle, reference) = read_bundle(&r.model)?;
    let raw_data = load_raw(r)?;
    let table = tonight_table(r, &bundle, raw_data.as_ref())?;
    erosion_io::timing(format_args!("monitor: bundle and tonight's table"), t0);
    let t0 = Instant::now();
    let p = crate::train::score_table(&bundle, &table)?;
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
    let segs = segments(r, &table, &bundle)?;
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
    // Per scope: a KS test per numeric input, a share test per input with a usual value, and
    // the score's KS and action-share tests (and its usual-value test, if it has a usual value).
    let usual = reference
        .inputs
        .iter()
        .chain(&reference.score)
        .filter(|i| i.usual_value().is_some())
        .count();
    let tests = (numeric + usual + 2 * usize::from(reference.score.is_some())) * drift.len();
    let t = r.thresholds.clone();
    let alerts = collect_alerts(&drift, &t, tests, &bundle.model);
    erosion_io::timing(
        format_args!("monitor: drift of every input and the score"),
        t0,
    );
    let realised = realised(r, &bundle, raw_data.as_ref())?;
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
        movement: movement(r)?,
    };
    std::fs::create_dir_all(&r.out).map_err(|e| Error::io(&r.out, e))?;
    write_json(&monitor_json, &report)?;
    write_json(&alerts_json, &alerts)?;
    let html = page::page(&report, &alerts);
    erosion_io::atomic_write(&page, |w| {
        use std::io::Write;
        w.write_all(html.as_bytes())
            .map_err(|e| Error::write(&page, e))
    })?;
    Ok(Monitored {
        report,
        alerts,
        monitor_json,
        alerts_json,
        page,
    })
}

/// Every night of every `--scores` file.
fn realised(
    r: &MonitorRequest,
    bundle: &Bundle,
    raw: Option<&Raw>,
) -> Result<Vec<performance::Night>, Error> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let cx = performance::Context {
        bundle,
        log: &raw.log,
        customers: raw.customers.as_ref(),
        customers_path: r.customers.as_deref(),
        by: &r.by,
        bootstrap: r.bootstrap,
    };
    let mut out = Vec::new();
    for path in &r.scores {
        out.extend(performance::evaluate_file(path, &cx)?);
    }
    Ok(out)
}
