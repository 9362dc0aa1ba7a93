//! `erosion audit`: fairness of a model's decisions across segments, with intervals, plots
//! and a report.

use crate::{usage, Failure, Observer};
use erosion_bundle::Bundle;
use erosion_core::Error;
use erosion_fairness::{AuditConfig, AuditData, FairnessError, MitigationConstraint};
use erosion_frame::Table;
use erosion_io::polars::prelude::DataType;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where the audited scores come from.
#[derive(Debug, Clone)]
pub enum AuditSource {
    /// A bundle scores a labelled feature table; the threshold defaults to the bundle's action
    /// threshold.
    Model {
        /// The bundle.
        model: PathBuf,
        /// The labelled table to score.
        features: PathBuf,
    },
    /// Scores already made (by erosion or any model); the threshold defaults to 0.5.
    Predictions {
        /// The table of predictions.
        path: PathBuf,
        /// Its label column.
        label: String,
        /// Its score column (probabilities).
        score: String,
        /// The label's positive value, when it is not 1/true.
        positive: Option<String>,
        /// A column of decisions (1/true = flagged) to audit instead of `score >= threshold`.
        decision: Option<String>,
        /// The id column, to join group columns from a customers file.
        id: Option<String>,
    },
}

/// What to audit.
#[derive(Debug, Clone)]
pub struct AuditRequest {
    /// The scores.
    pub source: AuditSource,
    /// A customers file to take group columns from (joined on the id) when the table lacks them.
    pub customers: Option<PathBuf>,
    /// Group columns, each audited alone and all together.
    pub groups: Vec<String>,
    /// The decision threshold, when not the source's default.
    pub threshold: Option<f64>,
    /// Reference groups, `(column, value)`; default the largest group of each column.
    pub references: Vec<(String, String)>,
    /// Groups smaller than this are reported but not compared.
    pub min_group_size: usize,
    /// A mitigation to propose (group thresholds under a constraint), if any.
    pub mitigation: Option<MitigationConstraint>,
    /// Bootstrap replicates for the intervals.
    pub bootstrap: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// The folder the report, its JSON, tables and plots are written to.
    pub out: PathBuf,
}

/// What the audit found and wrote.
#[derive(Debug)]
pub struct Audited {
    /// The audit (metrics, disparities with intervals, findings, mitigation).
    pub report: erosion_fairness::FairnessReport,
    /// The threshold the decisions were taken at.
    pub threshold: f64,
    /// Labelled rows audited.
    pub rows: usize,
    /// Files written, the report page among them.
    pub files: Vec<PathBuf>,
    /// The report page.
    pub page: PathBuf,
}

/// The labelled rows of the audited table, with their scores and what names them.
struct Scored {
    table: Table,
    rows: Vec<usize>,
    labels: Vec<bool>,
    scores: Vec<f64>,
    decisions: Option<Vec<bool>>,
    threshold: f64,
    model_name: Option<String>,
    label_name: String,
    score_name: String,
    id: Option<String>,
}

fn fairness(path: &Path, column: &str, error: FairnessError) -> Failure {
    Failure::Fairness {
        file: path.to_path_buf(),
        column: Some(column.to_string()),
        error,
    }
}

fn from_model(model: &Path, features: &Path, threshold: Option<f64>) -> Result<Scored, Failure> {
    let bundle = Bundle::read(model)?;
    let table = Table::read(features)?;
    let target = table.target(&bundle.target.column, bundle.target.positive.as_deref())?;
    let p = crate::train::score_table(&bundle, &table)?;
    let rows: Vec<usize> = (0..target.len()).filter(|&i| target[i].is_some()).collect();
    Ok(Scored {
        labels: rows.iter().map(|&i| target[i] == Some(1)).collect(),
        scores: rows.iter().map(|&i| p[i]).collect(),
        rows,
        table,
        decisions: None,
        threshold: threshold.unwrap_or(bundle.model.thresholds.action.probability),
        model_name: Some(format!(
            "{} ({})",
            bundle.model_id,
            bundle.model.kind.as_str()
        )),
        label_name: bundle.target.column.clone(),
        score_name: "calibrated probability".to_string(),
        id: bundle.id_column.clone(),
    })
}

fn from_predictions(s: &AuditSource, threshold: Option<f64>) -> Result<Scored, Failure> {
    let AuditSource::Predictions {
        path,
        label,
        score,
        positive,
        decision,
        id,
    } = s
    else {
        unreachable!("called with predictions");
    };
    let table = Table::read(path)?;
    let raw = table.strings(label)?;
    let rows: Vec<usize> = (0..raw.len()).filter(|&i| raw[i].is_some()).collect();
    let values: Vec<String> = rows.iter().filter_map(|&i| raw[i].clone()).collect();
    let labels = erosion_fairness::labels_from_strings(&values, positive.as_deref())
        .map_err(|e| fairness(path, label, e))?;
    let all_scores = numbers(&table, score)?;
    let decisions = match decision {
        Some(col) => {
            let d = table.strings(col)?;
            let v: Vec<String> = rows
                .iter()
                .map(|&i| d[i].clone().unwrap_or_default())
                .collect();
            Some(
                erosion_fairness::labels_from_strings(&v, Some("1"))
                    .or_else(|_| erosion_fairness::labels_from_strings(&v, Some("true")))
                    .map_err(|e| fairness(path, col, e))?,
            )
        }
        None => None,
    };
    Ok(Scored {
        scores: rows.iter().map(|&i| all_scores[i]).collect(),
        rows,
        labels,
        table,
        decisions,
        threshold: threshold.unwrap_or(0.5),
        model_name: None,
        label_name: label.clone(),
        score_name: score.clone(),
        id: id.clone(),
    })
}

/// Audits and writes the report (JSON, CSV tables, plots and a self-contained HTML page).
pub fn audit(r: &AuditRequest, on: &dyn Observer) -> Result<Audited, Failure> {
    let s = match &r.source {
        AuditSource::Model { model, features } => from_model(model, features, r.threshold)?,
        p @ AuditSource::Predictions { .. } => from_predictions(p, r.threshold)?,
    };
    let groups = groups(
        &s.table,
        &r.groups,
        r.customers.as_deref(),
        s.id.as_deref(),
        &s.rows,
    )?;
    let config = AuditConfig {
        threshold: s.threshold,
        min_group_size: r.min_group_size,
        references: r.references.clone(),
        mitigation: r.mitigation,
        bootstrap_replicates: r.bootstrap,
        seed: r.seed,
        ..AuditConfig::default()
    };
    let data = AuditData {
        labels: &s.labels,
        scores: &s.scores,
        decisions: s.decisions.as_deref(),
        groups: &groups,
    };
    on.stage("bootstrap", r.bootstrap as u64);
    let report = erosion_fairness::audit_with_progress(&data, &config, &|done, _total| {
        on.progress(done as u64, "bootstrap")
    })
    .map_err(|error| Failure::Fairness {
        file: s.table.path.clone(),
        column: None,
        error,
    })?;
    let inputs = erosion_report::AuditInputs {
        title: Some(format!("Fairness audit of {}", s.label_name)),
        model: s.model_name,
        data: Some(format!(
            "{} ({} labelled rows)",
            s.table.path.display(),
            s.labels.len()
        )),
        label: Some(s.label_name),
        score: Some(s.score_name),
        flag_meaning: Some(format!("flagged for action (score >= {:.4})", s.threshold)),
        generated_by: Some(format!("erosion {}", env!("CARGO_PKG_VERSION"))),
    };
    let files =
        erosion_report::write_audit(&report, &inputs, &r.out).map_err(|error| Failure::Report {
            dir: r.out.clone(),
            error,
        })?;
    Ok(Audited {
        report,
        threshold: s.threshold,
        rows: s.labels.len(),
        files,
        page: r.out.join("report.html"),
    })
}

/// Reference groups from `COLUMN=VALUE` texts.
pub fn parse_references(given: &[String]) -> Result<Vec<(String, String)>, Failure> {
    given
        .iter()
        .map(|r| {
            r.split_once('=')
                .map(|(c, v)| (c.to_string(), v.to_string()))
                .ok_or_else(|| usage(format!("--reference {r:?} is not COLUMN=VALUE")))
        })
        .collect()
}

/// Group columns by name, from the table or, joined on the id, from the customers file; the
/// values of `rows`, a missing value as the empty text.
pub fn groups(
    table: &Table,
    names: &[String],
    customers: Option<&Path>,
    id: Option<&str>,
    rows: &[usize],
) -> Result<Vec<(String, Vec<String>)>, Error> {
    let mut out = Vec::new();
    let cust = customers.map(Table::read).transpose()?;
    for name in names {
        let values: Vec<Option<String>> = if table.has(name) {
            table.strings(name)?
        } else if let Some(c) = &cust {
            let id = id.ok_or_else(|| {
                Error::usage(format!(
                    "{}: no column {name:?}, and no id column to join --customers on",
                    table.path.display()
                ))
            })?;
            let cid = c.strings(id).or_else(|_| c.strings("customer_id"))?;
            let attr = c.strings(name)?;
            let map: HashMap<String, Option<String>> = cid
                .into_iter()
                .zip(attr)
                .filter_map(|(k, v)| k.map(|k| (k, v)))
                .collect();
            table
                .strings(id)?
                .into_iter()
                .map(|k| k.and_then(|k| map.get(&k).cloned().flatten()))
                .collect()
        } else {
            // reported as a missing column of the table
            table.column(name)?;
            unreachable!("Table::column errs on a column the table lacks")
        };
        out.push((
            name.clone(),
            rows.iter()
                .map(|&i| values[i].clone().unwrap_or_default())
                .collect(),
        ));
    }
    Ok(out)
}

/// A column as finite numbers; a missing or non-finite cell is an error naming its row.
pub fn numbers(table: &Table, name: &str) -> Result<Vec<f64>, Error> {
    let col = table.column(name)?;
    let f = col
        .cast(&DataType::Float64)
        .map_err(|e| Error::io(&table.path, e))?;
    let ca = f.f64().map_err(|e| Error::io(&table.path, e))?;
    let raw = table.strings(name)?;
    ca.iter()
        .enumerate()
        .map(|(row, v)| {
            v.filter(|x| x.is_finite()).ok_or_else(|| Error::BadValue {
                path: table.path.clone(),
                column: name.to_string(),
                row: row + 1,
                value: raw[row].clone().unwrap_or_else(|| "(empty)".into()),
                expected: "a number".into(),
            })
        })
        .collect()
}
