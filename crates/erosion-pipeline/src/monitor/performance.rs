//! `erosion monitor --scores`: realised performance of earlier score files whose horizon has
//! passed by the end of the events, with labels computed from the events by the bundle's own
//! definitions (`erosion_features::compute`, the code `erosion features` labels with).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use erosion_bundle::Bundle;
use erosion_core::time::{format_date, parse_date, DAY_MS};
use erosion_core::{Customers, Error, EventLog};
use erosion_frame::Table;
use erosion_models::metrics::calibration_table;
use erosion_models::{ActionMetrics, CalibrationBin, Metrics};
use serde::Serialize;

/// Metrics of one scope of one night.
#[derive(Debug, Serialize)]
pub struct Performance {
    /// `overall` or `column=value`.
    pub scope: String,
    /// Scored customers with a label.
    pub rows: usize,
    /// Positives among them.
    pub positives: usize,
    /// ROC-AUC, PR-AUC, Brier, log-loss, lift and capture in the top decile; `None` with a single
    /// class (nothing to rank).
    pub metrics: Option<Metrics>,
    /// Ten-bin calibration table.
    pub calibration: Vec<CalibrationBin>,
    /// The decision at the bundle's action threshold.
    pub at_action: Option<ActionMetrics>,
}

/// One night of an earlier score file.
#[derive(Debug, Serialize)]
pub struct Night {
    /// The score file.
    pub file: String,
    /// Its `as_of` date.
    pub as_of: String,
    /// `as_of` plus the bundle's horizon.
    pub horizon_ends: String,
    /// Whether labels were mature and the night was evaluated.
    pub evaluated: bool,
    /// Why not, or what was left out.
    pub note: Option<String>,
    /// Rows of the file at this `as_of`.
    pub scored: usize,
    /// Scored customers without a label (not in the population at `as_of` by the events).
    pub unlabelled: usize,
    /// What the night's probabilities promised before labels (of the labelled rows), to set
    /// beside the realised values.
    pub expected: Option<erosion_monitor::Expected>,
    /// Overall, then each segment.
    pub performance: Vec<Performance>,
    /// Fairness of the night's decisions at the action threshold, per grouping (the `--by`
    /// columns, or else the bundle's sensitive columns).
    pub fairness: Vec<NightFairness>,
}

/// One grouping's fairness on one night: erosion-fairness' audit of the labelled rows at the
/// bundle's action threshold (the same ratios and bootstrap intervals as `erosion audit`).
#[derive(Debug, Serialize)]
pub struct NightFairness {
    /// The grouping column.
    pub grouping: String,
    /// Its reference group (the largest) and why.
    pub reference: Option<erosion_fairness::ReferenceInfo>,
    /// Each group: rows, positives, selected, status.
    pub groups: Vec<GroupCounts>,
    /// Selection rate, TPR and FPR: ratios (lowest over highest, and each group over the
    /// reference) with their intervals.
    pub disparities: Vec<erosion_fairness::MetricDisparity>,
    /// The four-fifths rule on the selection-rate ratio.
    pub four_fifths: Option<erosion_fairness::FourFifths>,
    /// Why there is nothing to report (one group, a column not found, ...).
    pub note: Option<String>,
}

/// Counts of one group of a night.
#[derive(Debug, Serialize)]
pub struct GroupCounts {
    /// `column=value`.
    pub group: String,
    /// Labelled rows.
    pub count: u64,
    /// Positives among them.
    pub positives: Option<u64>,
    /// At or above the action threshold.
    pub selected: Option<u64>,
}

/// Metrics of `y` and `p` at the action threshold `t`.
fn performance(scope: String, y: &[u8], p: &[f64], t: f64) -> Performance {
    let positives = y.iter().filter(|&&v| v == 1).count();
    let both = positives > 0 && positives < y.len();
    Performance {
        scope,
        rows: y.len(),
        positives,
        metrics: both.then(|| Metrics::compute(y, p)),
        calibration: if y.is_empty() {
            Vec::new()
        } else {
            calibration_table(y, p, 10)
        },
        at_action: both.then(|| ActionMetrics::compute(y, p, t)),
    }
}

/// The bundle's label of every customer in the population at `as_of`, from the events.
fn labels_at(
    log: &EventLog,
    customers: Option<&Customers>,
    bundle: &Bundle,
    as_of: i64,
) -> Result<HashMap<String, u8>, Error> {
    let mut cfg = bundle.feature_config.clone().unwrap_or_default();
    // The training table's observed-until is not tonight's: labels are observed up to the end
    // of these events.
    cfg.observed_until = None;
    let table = erosion_features::compute(log, customers, &[as_of], &cfg);
    let labels = match bundle.target.column.as_str() {
        "churn" => &table.churn,
        "erosion" => &table.erosion,
        other => {
            return Err(Error::usage(format!(
                "--scores: the model predicts {other:?}, a column of its own table; realised \
                 performance needs a label erosion computes from events (churn or erosion)"
            )))
        }
    };
    Ok(table
        .customer_id
        .iter()
        .zip(labels)
        .filter_map(|(id, l)| l.map(|v| (id.clone(), u8::from(v))))
        .collect())
}

/// Rows of the score table per `as_of` date.
fn nights_in(table: &Table) -> Result<BTreeMap<i64, Vec<usize>>, Error> {
    let mut out: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (row, v) in table.strings("as_of")?.into_iter().enumerate() {
        let text = v.unwrap_or_default();
        let day = parse_date(&text).ok_or_else(|| Error::BadValue {
            path: table.path.clone(),
            column: "as_of".into(),
            row: row + 1,
            value: text.clone(),
            expected: "a date (YYYY-MM-DD)".into(),
        })?;
        out.entry(day).or_default().push(row);
    }
    Ok(out)
}

/// What the command knows besides one score file.
pub struct Context<'a> {
    /// The bundle.
    pub bundle: &'a Bundle,
    /// The events labels come from.
    pub log: &'a EventLog,
    /// Customers (signup dates; segment columns).
    pub customers: Option<&'a Customers>,
    /// The customers file, for segment columns.
    pub customers_path: Option<&'a Path>,
    /// `--by` columns.
    pub by: &'a [String],
    /// Bootstrap replicates of the fairness intervals.
    pub bootstrap: usize,
}

/// Every night of one score file.
pub fn evaluate_file(path: &Path, cx: &Context) -> Result<Vec<Night>, Error> {
    let table = Table::read(path)?;
    let ids = table.strings("customer_id")?;
    let p = crate::audit::numbers(&table, "erosion_probability")?;
    let observed_until = cx
        .log
        .time_range()
        .map_or(0, |(_, hi)| (hi.div_euclid(DAY_MS) + 1) * DAY_MS);
    let horizon = cx
        .bundle
        .feature_config
        .as_ref()
        .map_or(90, |c| c.horizon_days) as i64
        * DAY_MS;
    let mut out = Vec::new();
    for (as_of, rows) in nights_in(&table)? {
        let mut night = Night {
            file: path.display().to_string(),
            as_of: format_date(as_of),
            horizon_ends: format_date(as_of + horizon),
            evaluated: false,
            note: None,
            scored: rows.len(),
            unlabelled: 0,
            expected: None,
            performance: Vec::new(),
            fairness: Vec::new(),
        };
        if as_of + horizon > observed_until {
            night.note = Some(format!(
                "skipped: its horizon ends {}, after the events end ({}); its labels are not known yet",
                format_date(as_of + horizon),
                format_date(observed_until)
            ));
            out.push(night);
            continue;
        }
        let labels = labels_at(cx.log, cx.customers, cx.bundle, as_of)?;
        let labelled: Vec<(usize, u8)> = rows
            .iter()
            .filter_map(|&r| {
                ids[r]
                    .as_ref()
                    .and_then(|id| labels.get(id))
                    .map(|&y| (r, y))
            })
            .collect();
        night.unlabelled = rows.len() - labelled.len();
        night.evaluated = true;
        let promised: Vec<f64> = labelled.iter().map(|&(r, _)| p[r]).collect();
        night.expected = erosion_monitor::expected_performance(
            &promised,
            cx.bundle.model.thresholds.action.probability,
        );
        night.performance = scopes(&table, &labelled, &p, cx)?;
        night.fairness = fairness(&table, &labelled, &p, cx)?;
        out.push(night);
    }
    Ok(out)
}

/// Overall and per-segment performance of the labelled rows.
fn scopes(
    table: &Table,
    labelled: &[(usize, u8)],
    p: &[f64],
    cx: &Context,
) -> Result<Vec<Performance>, Error> {
    let t = cx.bundle.model.thresholds.action.probability;
    let rows: Vec<usize> = labelled.iter().map(|x| x.0).collect();
    let y: Vec<u8> = labelled.iter().map(|x| x.1).collect();
    let probs: Vec<f64> = rows.iter().map(|&r| p[r]).collect();
    let mut out = vec![performance("overall".into(), &y, &probs, t)];
    let id = cx.bundle.id_column.as_deref().or(Some("customer_id"));
    let groups = crate::audit::groups(table, cx.by, cx.customers_path, id, &rows)?;
    for (name, values) in groups {
        let mut by_value: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, v) in values.into_iter().enumerate() {
            by_value
                .entry(if v.is_empty() { "(missing)".into() } else { v })
                .or_default()
                .push(i);
        }
        for (v, idx) in by_value {
            let ys: Vec<u8> = idx.iter().map(|&i| y[i]).collect();
            let ps: Vec<f64> = idx.iter().map(|&i| probs[i]).collect();
            out.push(performance(format!("{name}={v}"), &ys, &ps, t));
        }
    }
    Ok(out)
}

/// The metrics whose disparities monitor reports over time.
const FAIRNESS_METRICS: [erosion_fairness::Metric; 3] = [
    erosion_fairness::Metric::SelectionRate,
    erosion_fairness::Metric::Tpr,
    erosion_fairness::Metric::Fpr,
];

fn unreported(grouping: &str, note: String) -> NightFairness {
    NightFairness {
        grouping: grouping.to_string(),
        reference: None,
        groups: Vec::new(),
        disparities: Vec::new(),
        four_fifths: None,
        note: Some(note),
    }
}

/// Fairness of the labelled rows per grouping: `--by` columns (an error names a missing one),
/// or the bundle's sensitive columns (one not found in the score file or the customers file is
/// a note, not an error).
fn fairness(
    table: &Table,
    labelled: &[(usize, u8)],
    p: &[f64],
    cx: &Context,
) -> Result<Vec<NightFairness>, Error> {
    let explicit = !cx.by.is_empty();
    let columns: &[String] = if explicit {
        cx.by
    } else {
        &cx.bundle.sensitive
    };
    let rows: Vec<usize> = labelled.iter().map(|x| x.0).collect();
    let labels: Vec<bool> = labelled.iter().map(|x| x.1 == 1).collect();
    let scores: Vec<f64> = rows.iter().map(|&r| p[r]).collect();
    let id = cx.bundle.id_column.as_deref().or(Some("customer_id"));
    let config = erosion_fairness::AuditConfig {
        threshold: cx.bundle.model.thresholds.action.probability,
        intersections: false,
        bootstrap_replicates: cx.bootstrap,
        ..erosion_fairness::AuditConfig::default()
    };
    let mut out = Vec::new();
    for column in columns {
        let groups = match crate::audit::groups(
            table,
            std::slice::from_ref(column),
            cx.customers_path,
            id,
            &rows,
        ) {
            Ok(g) => g,
            Err(e) if !explicit => {
                out.push(unreported(column, format!("not audited: {e}")));
                continue;
            }
            Err(e) => return Err(e),
        };
        let data = erosion_fairness::AuditData {
            labels: &labels,
            scores: &scores,
            decisions: None,
            groups: &groups,
        };
        match erosion_fairness::audit(&data, &config) {
            Ok(report) => out.extend(report.groupings.into_iter().map(|g| {
                NightFairness {
                    grouping: g.name.clone(),
                    reference: Some(g.reference.clone()),
                    groups: g
                        .groups
                        .iter()
                        .map(|x| GroupCounts {
                            group: x.group.clone(),
                            count: x.count,
                            positives: x.positives,
                            selected: x.selected,
                        })
                        .collect(),
                    disparities: FAIRNESS_METRICS
                        .iter()
                        .map(|&m| g.disparity(m).clone())
                        .collect(),
                    four_fifths: Some(g.four_fifths.clone()),
                    note: None,
                }
            })),
            Err(e) => out.push(unreported(column, format!("not audited: {e}"))),
        }
    }
    Ok(out)
}
