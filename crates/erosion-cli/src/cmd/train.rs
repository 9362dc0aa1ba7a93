//! `erosion train` and `erosion evaluate`.

use crate::args::{EvaluateArgs, TrainArgs};
use erosion_bundle::{file_sha256, Bundle, Fingerprint, TargetDef};
use erosion_core::time::{format_date, DAY_MS};
use erosion_core::Error;
use erosion_features::FeatureConfig;
use erosion_frame::{Table, LABEL_COLUMNS};
use erosion_models::{
    CardContext, EncodeOptions, GuardOptions, ModelCard, ModelKind, ThresholdRule, TrainConfig,
    TrainedModel, ValidationPlan,
};

/// The leakage guard ([`erosion_models::leakage`]): says on stderr which columns it leaves out
/// (no value in any labelled row, id-like or date-like text) and adds them to `excluded`, warns
/// about columns that predict the target very well alone, and stops the run (exit 2) at a column
/// that separates the target almost perfectly or shadows its name, unless `--allow`ed.
fn guard(
    a: &TrainArgs,
    raw: Vec<erosion_models::RawColumn>,
    y: &[u8],
    excluded: &mut Vec<String>,
) -> Result<Vec<erosion_models::RawColumn>, Error> {
    use erosion_models::DropReason;
    let options = GuardOptions {
        allow: a.allow.clone(),
        ..GuardOptions::default()
    };
    let s = erosion_models::screen(raw, y, &a.label, &options);
    let file = a.features.display();
    let names = |r: fn(&DropReason) -> bool| -> Vec<String> {
        s.dropped
            .iter()
            .filter(|d| r(&d.reason))
            .map(|d| match &d.reason {
                DropReason::IdLike { distinct, values } => {
                    format!("{} ({distinct} distinct of {values})", d.name)
                }
                DropReason::DateLike { example } => format!("{} (e.g. {example:?})", d.name),
                DropReason::AllMissing => d.name.clone(),
            })
            .collect()
    };
    let empty = names(|r| matches!(r, DropReason::AllMissing));
    if !empty.is_empty() {
        erosion_io::errln!(
            "note: {file}: {} column(s) have no value in any labelled row and are left out: {}",
            empty.len(),
            empty.join(", ")
        );
    }
    let ids = names(|r| matches!(r, DropReason::IdLike { .. }));
    if !ids.is_empty() {
        erosion_io::errln!(
            "note: {file}: id-like text column(s) left out (nearly every value distinct; one-hot \
encoding would learn each row by heart): {}; name the id with --id, or keep one with --allow",
            ids.join(", ")
        );
    }
    let dates = names(|r| matches!(r, DropReason::DateLike { .. }));
    if !dates.is_empty() {
        erosion_io::errln!(
            "note: {file}: date column(s) left out (a date is not a category; derive a number such \
as days since it before training): {}; keep one as text with --allow",
            dates.join(", ")
        );
    }
    excluded.extend(s.dropped.iter().map(|d| d.name.clone()));
    excluded.sort();
    excluded.dedup();
    for w in &s.warned {
        erosion_io::errln!(
            "warning: {file}: {}; check that it is known before the outcome, or leave it out with --exclude {}",
            w.describe(&a.label),
            w.name
        );
    }
    for w in &s.allowed {
        erosion_io::errln!("note: {file}: {} (kept: --allow)", w.describe(&a.label));
    }
    if let Some(msg) = s.refusal(&a.label) {
        return Err(Error::usage(format!("{file}: {msg}")));
    }
    if s.kept.is_empty() {
        return Err(Error::usage(format!(
            "{file}: no input column is left to train on"
        )));
    }
    Ok(s.kept)
}

fn model_error(path: &std::path::Path, e: erosion_models::ModelError) -> Error {
    Error::Usage(format!("{}: {e}", path.display()))
}

/// What the target means, in words: erosion's own labels as `erosion-features` defines them,
/// any other column as its positive value.
fn definition(target: &str, horizon_days: u32, config: Option<&FeatureConfig>) -> String {
    erosion_features::label_definition(target, horizon_days, config)
        .unwrap_or_else(|| format!("the positive value of column {target:?}"))
}

/// The label horizon: the table's own when `erosion features` made it (a `--horizon` that
/// disagrees is refused), else `--horizon`, else 90 days.
fn horizon_days(a: &TrainArgs, origin: Option<&erosion_frame::TableOrigin>) -> Result<u32, Error> {
    let flag = a
        .horizon
        .as_deref()
        .map(|h| super::features::parse_days(h, "--horizon"))
        .transpose()?;
    match (origin, flag) {
        (Some(o), Some(h)) if h != o.feature_config.horizon_days => Err(Error::usage(format!(
            "{}: --horizon {h} days disagrees with the table, whose labels were made over {} days \
by `erosion features --horizon`; leave --horizon out (train reads it from the table) or rebuild the table",
            a.features.display(),
            o.feature_config.horizon_days
        ))),
        (Some(o), _) => Ok(o.feature_config.horizon_days),
        (None, h) => Ok(h.unwrap_or(90)),
    }
}

#[allow(clippy::too_many_lines)] // known debt: split when next changed
pub fn run_train(a: &TrainArgs, quiet: bool) -> anyhow::Result<()> {
    let card = card_path(&a.out);
    let mut outputs = vec![
        ("--out", a.out.as_path()),
        ("the model card", card.as_path()),
    ];
    if let Some(m) = &a.metrics_out {
        outputs.push(("--metrics-out", m.as_path()));
    }
    erosion_io::refuse_overlap(&outputs, &[("--features", a.features.as_path())])?;
    let origin = erosion_frame::TableOrigin::read(&a.features)?;
    let horizon = horizon_days(a, origin.as_ref())?;
    let table = Table::read(&a.features)?;
    let target = table.target(&a.label, a.positive.as_deref())?;
    let id =
        a.id.clone()
            .or_else(|| table.has("customer_id").then(|| "customer_id".to_string()));
    if let Some(id) = &id {
        table.column(id)?;
    }
    for s in &a.sensitive {
        table.column(s)?;
    }
    let mut excluded: Vec<String> = vec![a.label.clone(), "cutoff".into()];
    excluded.extend(LABEL_COLUMNS.iter().map(|s| s.to_string()));
    excluded.extend(id.iter().cloned());
    excluded.extend(a.sensitive.iter().cloned());
    excluded.sort();
    excluded.dedup();

    // Unlabelled rows (horizon not observed) are not trained on.
    let labelled: Vec<usize> = (0..target.len()).filter(|&i| target[i].is_some()).collect();
    let y: Vec<u8> = labelled.iter().map(|&i| target[i].unwrap()).collect();
    let positives = y.iter().filter(|&&v| v == 1).count();
    if positives == 0 || positives == y.len() {
        return Err(Error::usage(format!(
            "{}: label {:?} has one class only ({} labelled rows, {positives} positive); a classifier needs both",
            a.features.display(),
            a.label,
            y.len()
        ))
        .into());
    }
    for c in a.exclude.iter().chain(&a.allow) {
        table.column(c)?;
    }
    excluded.extend(a.exclude.iter().cloned());
    excluded.sort();
    excluded.dedup();
    let raw: Vec<erosion_models::RawColumn> = table
        .raw_columns(&excluded)?
        .into_iter()
        .map(|c| select_rows(c, &labelled))
        .collect();
    let raw = guard(a, raw, &y, &mut excluded)?;
    let cutoffs = table
        .cutoffs()?
        .map(|c| labelled.iter().map(|&i| c[i]).collect::<Vec<i64>>());
    let model = crate::args::choice(&a.family)
        .parse::<ModelKind>()
        .map_err(|e| Error::Usage(e.to_string()))?;
    let threshold = match (a.capacity, a.cost_ratio, a.best_f1) {
        (_, Some(r), _) => ThresholdRule::CostRatio {
            false_negative_cost: r,
            false_positive_cost: 1.0,
        },
        (_, None, true) => ThresholdRule::BestF1,
        (c, None, false) => {
            if !(c > 0.0 && c < 1.0) {
                return Err(
                    Error::usage(format!("--capacity {c} is not a share in (0, 1)")).into(),
                );
            }
            ThresholdRule::Capacity { fraction: c }
        }
    };
    let config = TrainConfig {
        model,
        seed: a.seed,
        folds: a.folds,
        time_min_gap: horizon as i64,
        threshold,
        ..TrainConfig::default()
    };
    let pb = crate::progress::bar(1, "training", quiet);
    let step = |s: erosion_models::TrainStep| match s {
        erosion_models::TrainStep::Planned(n) => pb.set_length(n),
        erosion_models::TrainStep::Done(what) => {
            pb.set_message(what);
            pb.inc(1);
        }
    };
    let (trained, validation) = erosion_models::train_table_with_scores(
        &raw,
        &y,
        cutoffs.as_deref(),
        &EncodeOptions::default(),
        &config,
        &step,
    )
    .map_err(|e| model_error(&a.features, e))?;
    pb.finish_and_clear();
    let reference = crate::cmd::monitor::training_reference(&trained, &raw, &validation)
        .map_err(|e| model_error(&a.features, e))?;

    let cutoff_range = cutoffs.as_ref().and_then(|c| {
        let lo = c.iter().min()?;
        let hi = c.iter().max()?;
        Some((format_date(lo * DAY_MS), format_date(hi * DAY_MS)))
    });
    let mut bundle = Bundle {
        model_id: String::new(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        target: TargetDef {
            column: a.label.clone(),
            positive: a.positive.clone(),
            definition: definition(
                &a.label,
                horizon,
                origin.as_ref().map(|o| &o.feature_config),
            ),
        },
        feature_config: origin.map(|o| o.feature_config),
        id_column: id,
        sensitive: a.sensitive.clone(),
        excluded,
        fingerprint: Fingerprint {
            file: a.features.display().to_string(),
            sha256: file_sha256(&a.features)?,
            rows: table.df.height(),
            labelled_rows: y.len(),
            cutoff_range,
        },
        reference: Some(reference),
        model: trained,
    };
    bundle.write(&a.out)?;
    let card_path = card_path(&a.out);
    let card = bundle.model.model_card(&CardContext {
        title: format!("{} model {}", a.label, bundle.model_id),
        target: bundle.target.definition.clone(),
        data_description: format!(
            "{} ({} rows, {} labelled; sha256 {}){}",
            bundle.fingerprint.file,
            bundle.fingerprint.rows,
            bundle.fingerprint.labelled_rows,
            &bundle.fingerprint.sha256[..16],
            match &bundle.feature_config {
                Some(c) => format!(
                    "; one row per customer in the population at each cutoff: {}. Metrics are on that population.",
                    c.population_rule()
                ),
                None => String::new(),
            }
        ),
        excluded_sensitive: a.sensitive.clone(),
        sensitive_derived_features: derived_from(&bundle.model, &a.sensitive),
        caveats: Vec::new(),
    });
    erosion_io::atomic_write(&card_path, |w| {
        use std::io::Write;
        w.write_all(card.as_bytes())
            .map_err(|e| Error::write(&card_path, e))
    })?;
    print_training(&bundle);
    if let Some(p) = &a.metrics_out {
        let json = serde_json::to_vec_pretty(&bundle.model.validation)?;
        erosion_io::atomic_write(p, |w| {
            use std::io::Write;
            w.write_all(&json).map_err(|e| Error::write(p, e))
        })?;
    }
    erosion_io::outln!(
        "wrote {} (model {}) and {}",
        a.out.display(),
        bundle.model_id,
        card_path.display()
    );
    Ok(())
}

/// The decision at the action threshold, in one line.
fn action_line(a: &erosion_models::ActionMetrics) -> String {
    format!(
        "at the action threshold (p >= {:.3}): flags {:.1} % of rows, precision {:.3}, captures {:.1} % of positives, lift {:.2}",
        a.threshold,
        100.0 * a.flagged_share,
        a.precision,
        100.0 * a.capture,
        a.lift
    )
}

/// Input features whose name mentions a sensitive column (flagged in the model card).
fn derived_from(model: &TrainedModel, sensitive: &[String]) -> Vec<String> {
    model
        .features
        .iter()
        .filter(|f| {
            sensitive.iter().any(|s| {
                f.name
                    .to_ascii_lowercase()
                    .contains(&s.to_ascii_lowercase())
            })
        })
        .map(|f| f.name.clone())
        .collect()
}

/// `model.json` → `model.card.md`.
pub fn card_path(bundle: &std::path::Path) -> std::path::PathBuf {
    let stem = bundle
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "model".into());
    bundle.with_file_name(format!("{stem}.card.md"))
}

/// The cells of `rows`, in that order.
pub(crate) fn select_rows(
    c: erosion_models::RawColumn,
    rows: &[usize],
) -> erosion_models::RawColumn {
    use erosion_models::RawValues;
    let values = match c.values {
        RawValues::Text(v) => RawValues::Text(rows.iter().map(|&i| v[i].clone()).collect()),
        RawValues::Number(v) => RawValues::Number(rows.iter().map(|&i| v[i]).collect()),
    };
    erosion_models::RawColumn {
        name: c.name,
        values,
    }
}

fn print_training(b: &Bundle) {
    let m = &b.model;
    erosion_io::outln!(
        "trained {} on {} labelled rows ({:.1} % positive) for {}",
        m.kind.as_str(),
        m.training.rows,
        100.0 * m.training.positive_rate,
        b.target.column
    );
    match (&m.validation.plan, &b.fingerprint.cutoff_range) {
        (ValidationPlan::StratifiedKFold { k, seed }, Some((lo, hi))) if lo == hi => erosion_io::outln!(
            "validation: stratified {k}-fold (seed {seed}): the table has one cutoff ({lo}), so there is no earlier cutoff to train on"
        ),
        (ValidationPlan::StratifiedKFold { k, seed }, _) => {
            erosion_io::outln!("validation: stratified {k}-fold (seed {seed})")
        }
        (ValidationPlan::TimeBased { min_gap, .. }, _) => erosion_io::outln!(
            "validation: time-based, {} fold(s): each latest cutoff validated by a model trained on cutoffs at least {min_gap} days earlier",
            m.validation.folds.len()
        ),
    }
    erosion_io::outln!("{}", m.validation.reason);
    if let Some(c) = &b.feature_config {
        erosion_io::outln!("population: {}", c.population_rule());
    }
    let op = &m.thresholds.action;
    let rate = m.training.positive_rate;
    erosion_io::outln!(
        "at the action threshold (p >= {:.3}) on validation: flags {:.1} % of rows, precision {:.3}, captures {:.1} % of positives, lift {:.2}",
        op.probability,
        100.0 * op.flagged_share,
        op.precision,
        100.0 * op.recall,
        if rate > 0.0 { op.precision / rate } else { f64::NAN }
    );
    erosion_io::outln!(
        "top features: {}",
        m.importance
            .iter()
            .take(5)
            .map(|f| f.feature.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// Scores a table with a bundle: (labels where present, calibrated probabilities).
pub fn score_table(bundle: &Bundle, table: &Table) -> Result<Vec<f64>, Error> {
    let raw = table.raw_columns(&bundle.excluded)?;
    let x = bundle
        .model
        .encode(&raw)
        .map_err(|e| model_error(&table.path, e))?;
    bundle
        .model
        .predict_proba(&x)
        .map_err(|e| model_error(&table.path, e))
}

pub fn run_evaluate(a: &EvaluateArgs) -> anyhow::Result<()> {
    evaluate(a).map(|_| ())
}

/// `erosion evaluate`: prints the metrics, writes them to `--out` and returns them.
pub fn evaluate(a: &EvaluateArgs) -> anyhow::Result<erosion_models::Evaluation> {
    if let Some(out) = &a.out {
        erosion_io::refuse_overlap(
            &[("--out", out.as_path())],
            &[
                ("--model", a.model.as_path()),
                ("--features", a.features.as_path()),
            ],
        )?;
    }
    let bundle = Bundle::read(&a.model)?;
    let table = Table::read(&a.features)?;
    let target = table.target(&bundle.target.column, bundle.target.positive.as_deref())?;
    let p = score_table(&bundle, &table)?;
    let rows: Vec<usize> = (0..target.len()).filter(|&i| target[i].is_some()).collect();
    let y: Vec<u8> = rows.iter().map(|&i| target[i].unwrap()).collect();
    let p: Vec<f64> = rows.iter().map(|&i| p[i]).collect();
    if y.is_empty() {
        return Err(Error::usage(format!(
            "{}: no labelled row in column {:?}",
            a.features.display(),
            bundle.target.column
        ))
        .into());
    }
    let eval = bundle.model.evaluation(&y, &p);
    let m = &eval.metrics;
    erosion_io::outln!(
        "model {} ({}) on {}: {} labelled rows, {:.1} % positive",
        bundle.model_id,
        bundle.model.kind.as_str(),
        a.features.display(),
        y.len(),
        100.0 * m.positive_rate
    );
    if let Some(o) = erosion_frame::TableOrigin::read(&a.features)? {
        erosion_io::outln!("population: {}", o.feature_config.population_rule());
    }
    erosion_io::outln!(
        "ROC-AUC {:.4}  PR-AUC {:.4}  Brier {:.4}  log-loss {:.4}  lift@10% {:.2}  capture@10% {:.3}",
        m.roc_auc, m.pr_auc, m.brier, m.log_loss, m.lift_top10, m.capture_top10
    );
    if let Some(act) = &eval.at_action {
        erosion_io::outln!("{}", action_line(act));
    }
    erosion_io::outln!("calibration:   predicted  observed   rows");
    for b in eval.calibration_table.iter().filter(|b| b.count > 0) {
        erosion_io::outln!(
            "  [{:.1}, {:.1})   {:>8.3}  {:>8.3}  {:>5}",
            b.lower,
            b.upper,
            b.mean_predicted,
            b.observed_rate,
            b.count
        );
    }
    if let Some(out) = &a.out {
        let json = serde_json::to_vec_pretty(&eval)?;
        erosion_io::atomic_write(out, |w| {
            use std::io::Write;
            w.write_all(&json).map_err(|e| Error::write(out, e))
        })?;
        erosion_io::outln!("wrote {}", out.display());
    }
    Ok(eval)
}
