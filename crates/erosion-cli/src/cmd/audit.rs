//! `erosion audit`: fairness of a model's decisions across segments, with intervals, plots
//! and a report.

use crate::args::AuditArgs;
use erosion_bundle::Bundle;
use erosion_core::Error;
use erosion_fairness::{AuditConfig, AuditData, MitigationConstraint};
use erosion_frame::Table;
use erosion_io::polars::prelude::DataType;
use std::collections::HashMap;
use std::path::Path;

fn fairness_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Usage(format!("{}: {e}", path.display()))
}

/// Group columns by name, from the table or, joined on the id, from the customers file.
pub(crate) fn groups(
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
            // report it as a missing column of the table
            table.column(name)?;
            unreachable!()
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
pub(crate) fn numbers(table: &Table, name: &str) -> Result<Vec<f64>, Error> {
    let col = table.column(name)?;
    let f = col
        .cast(&DataType::Float64)
        .map_err(|e| Error::io(&table.path, e))?;
    let ca = f.f64().expect("Float64");
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

#[allow(clippy::too_many_lines)] // known debt: split when next changed
pub fn run(a: &AuditArgs, quiet: bool) -> anyhow::Result<()> {
    #[allow(clippy::type_complexity)]
    let (table, labelled, scores, decisions, threshold, model_name, label_name, score_name, id): (
        Table,
        (Vec<bool>, Vec<usize>),
        Vec<f64>,
        Option<Vec<bool>>,
        f64,
        Option<String>,
        String,
        String,
        Option<String>,
    ) =
        if let Some(model) = &a.model {
            let features = a.features.as_deref().ok_or_else(|| {
                Error::usage("--model needs --features (the table to score)")
            })?;
            let bundle = Bundle::read(model)?;
            let table = Table::read(features)?;
            let target = table.target(&bundle.target.column, bundle.target.positive.as_deref())?;
            let p = super::train::score_table(&bundle, &table)?;
            let rows: Vec<usize> = (0..target.len()).filter(|&i| target[i].is_some()).collect();
            let labels: Vec<bool> = rows.iter().map(|&i| target[i] == Some(1)).collect();
            let scores: Vec<f64> = rows.iter().map(|&i| p[i]).collect();
            let threshold = a
                .threshold
                .unwrap_or(bundle.model.thresholds.action.probability);
            (
                table,
                (labels, rows),
                scores,
                None,
                threshold,
                Some(format!("{} ({})", bundle.model_id, bundle.model.kind.as_str())),
                bundle.target.column.clone(),
                "calibrated probability".to_string(),
                bundle.id_column.clone(),
            )
        } else {
            let path = a.predictions.as_deref().ok_or_else(|| {
                Error::usage("give --model MODEL --features F, or --predictions F --label COL --score COL")
            })?;
            let label = a
                .label
                .as_deref()
                .ok_or_else(|| Error::usage("--predictions needs --label COL"))?;
            let score = a
                .score
                .as_deref()
                .ok_or_else(|| Error::usage("--predictions needs --score COL"))?;
            let table = Table::read(path)?;
            let raw = table.strings(label)?;
            let rows: Vec<usize> = (0..raw.len()).filter(|&i| raw[i].is_some()).collect();
            let values: Vec<String> = rows.iter().map(|&i| raw[i].clone().unwrap()).collect();
            let labels = erosion_fairness::labels_from_strings(&values, a.positive.as_deref())
                .map_err(|e| fairness_error(path, format!("column {label:?}: {e}")))?;
            let all_scores = numbers(&table, score)?;
            let scores: Vec<f64> = rows.iter().map(|&i| all_scores[i]).collect();
            let decisions = match &a.decision {
                Some(col) => {
                    let d = table.strings(col)?;
                    let v: Vec<String> = rows.iter().map(|&i| d[i].clone().unwrap_or_default()).collect();
                    Some(
                        erosion_fairness::labels_from_strings(&v, Some("1"))
                            .or_else(|_| erosion_fairness::labels_from_strings(&v, Some("true")))
                            .map_err(|e| fairness_error(path, format!("column {col:?}: {e}")))?,
                    )
                }
                None => None,
            };
            (
                table,
                (labels, rows),
                scores,
                decisions,
                a.threshold.unwrap_or(0.5),
                None,
                label.to_string(),
                score.to_string(),
                a.id.clone(),
            )
        };
    let (labels, rows) = labelled;
    let groups = groups(
        &table,
        &a.group,
        a.customers.as_deref(),
        id.as_deref(),
        &rows,
    )?;
    let references = a
        .reference
        .iter()
        .map(|r| {
            r.split_once('=')
                .map(|(c, v)| (c.to_string(), v.to_string()))
                .ok_or_else(|| Error::usage(format!("--reference {r:?} is not COLUMN=VALUE")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mitigation = a.mitigate.map(|m| {
        MitigationConstraint::parse(&crate::args::choice(&m))
            .expect("every --mitigate choice is a constraint (args tests)")
    });
    let config = AuditConfig {
        threshold,
        min_group_size: a.min_group_size,
        references,
        mitigation,
        bootstrap_replicates: a.bootstrap,
        seed: a.seed,
        ..AuditConfig::default()
    };
    let data = AuditData {
        labels: &labels,
        scores: &scores,
        decisions: decisions.as_deref(),
        groups: &groups,
    };
    let pb = crate::progress::bar(a.bootstrap as u64, "bootstrap", quiet);
    let report = erosion_fairness::audit_with_progress(&data, &config, &|done, _total| {
        pb.set_position(done as u64)
    })
    .map_err(|e| fairness_error(&table.path, e))?;
    pb.finish_and_clear();
    let inputs = erosion_report::AuditInputs {
        title: Some(format!("Fairness audit of {label_name}")),
        model: model_name,
        data: Some(format!(
            "{} ({} labelled rows)",
            table.path.display(),
            labels.len()
        )),
        label: Some(label_name),
        score: Some(score_name),
        flag_meaning: Some(format!("flagged for action (score >= {threshold:.4})")),
        generated_by: Some(format!("erosion {}", env!("CARGO_PKG_VERSION"))),
    };
    let files =
        erosion_report::write_audit(&report, &inputs, &a.out).map_err(|e| Error::io(&a.out, e))?;
    erosion_io::outln!(
        "audited {} rows by {} at threshold {threshold:.4}",
        labels.len(),
        a.group.join(", ")
    );
    for f in report.findings.iter().take(6) {
        erosion_io::outln!("  - {}", f.text);
    }
    erosion_io::outln!(
        "wrote {} files; report: {}",
        files.len(),
        a.out.join("report.html").display()
    );
    Ok(())
}
