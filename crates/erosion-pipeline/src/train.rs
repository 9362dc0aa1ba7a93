//! `erosion train`: a feature table to a model bundle and its model card.
//!
//! The policy: the label, the id, the sensitive attributes, the cutoff and every label column
//! are never inputs; unlabelled rows (horizon not yet observed) are not trained on; the leakage
//! guard leaves out empty, id-like and date-like columns and stops at a column that separates
//! the target almost perfectly; validation is time-based when the table has several cutoffs.

use crate::{usage, write_file, Failure, Observer};
use erosion_bundle::{file_sha256, Bundle, Fingerprint, TargetDef};
use erosion_core::time::{format_date, DAY_MS};
use erosion_features::FeatureConfig;
use erosion_frame::{Table, TableOrigin, LABEL_COLUMNS};
use erosion_models::{
    CardContext, DropReason, EncodeOptions, GuardOptions, ModelCard, ModelKind, RawColumn,
    RawValues, ThresholdRule, TrainConfig, TrainStep, TrainedModel,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What to train.
#[derive(Debug, Clone)]
pub struct TrainRequest {
    /// The feature table (`erosion features` output, or any table with a label column).
    pub features: PathBuf,
    /// The label column.
    pub label: String,
    /// The label's positive value, when it is not 1/true.
    pub positive: Option<String>,
    /// The id column (default: `customer_id` when the table has it); never an input.
    pub id: Option<String>,
    /// Sensitive attributes: never inputs, recorded for the audit.
    pub sensitive: Vec<String>,
    /// Further columns that must not be inputs.
    pub exclude: Vec<String>,
    /// Columns the leakage guard would stop at or leave out, kept on purpose.
    pub allow: Vec<String>,
    /// Which learner (or `Auto`: the best of the three by validation ROC-AUC).
    pub family: ModelKind,
    /// How the action threshold is chosen.
    pub threshold: ThresholdRule,
    /// Validation folds.
    pub folds: usize,
    /// Label horizon in days when the table does not say (`erosion features` tables do; a value
    /// that disagrees with the table's is refused). Default 90.
    pub horizon_days: Option<u32>,
    /// Seed of every random choice.
    pub seed: u64,
    /// The bundle to write; the model card goes beside it ([`card_path`]).
    pub out: PathBuf,
    /// Where to write the validation metrics as JSON, if anywhere.
    pub metrics_out: Option<PathBuf>,
}

/// What `train` wrote.
#[derive(Debug)]
pub struct Trained {
    /// The bundle, as written to [`TrainRequest::out`].
    pub bundle: Bundle,
    /// The model card's path.
    pub card: PathBuf,
}

/// The leakage guard ([`erosion_models::screen`]): notes which columns it leaves out (no value
/// in any labelled row, id-like or date-like text) and adds them to `excluded`, warns about
/// columns that predict the target very well alone, and refuses a column that separates the
/// target almost perfectly or shadows its name, unless allowed.
fn guard(
    r: &TrainRequest,
    raw: Vec<RawColumn>,
    y: &[u8],
    excluded: &mut Vec<String>,
    on: &dyn Observer,
) -> Result<Vec<RawColumn>, Failure> {
    let options = GuardOptions {
        allow: r.allow.clone(),
        ..GuardOptions::default()
    };
    let s = erosion_models::screen(raw, y, &r.label, &options);
    let file = r.features.display();
    let names = |pick: fn(&DropReason) -> bool| -> Vec<String> {
        s.dropped
            .iter()
            .filter(|d| pick(&d.reason))
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
        on.note(&format!(
            "{file}: {} column(s) have no value in any labelled row and are left out: {}",
            empty.len(),
            empty.join(", ")
        ));
    }
    let ids = names(|r| matches!(r, DropReason::IdLike { .. }));
    if !ids.is_empty() {
        on.note(&format!(
            "{file}: id-like text column(s) left out (nearly every value distinct; one-hot \
encoding would learn each row by heart): {}; name the id with --id, or keep one with --allow",
            ids.join(", ")
        ));
    }
    let dates = names(|r| matches!(r, DropReason::DateLike { .. }));
    if !dates.is_empty() {
        on.note(&format!(
            "{file}: date column(s) left out (a date is not a category; derive a number such \
as days since it before training): {}; keep one as text with --allow",
            dates.join(", ")
        ));
    }
    excluded.extend(s.dropped.iter().map(|d| d.name.clone()));
    excluded.sort();
    excluded.dedup();
    for w in &s.warned {
        on.warning(&format!(
            "{file}: {}; check that it is known before the outcome, or leave it out with --exclude {}",
            w.describe(&r.label),
            w.name
        ));
    }
    for w in &s.allowed {
        on.note(&format!("{file}: {} (kept: --allow)", w.describe(&r.label)));
    }
    if let Some(msg) = s.refusal(&r.label) {
        return Err(usage(format!("{file}: {msg}")));
    }
    if s.kept.is_empty() {
        return Err(usage(format!(
            "{file}: no input column is left to train on"
        )));
    }
    Ok(s.kept)
}

/// What the target means, in words: erosion's own labels as `erosion-features` defines them,
/// any other column as its positive value.
fn definition(target: &str, horizon_days: u32, config: Option<&FeatureConfig>) -> String {
    erosion_features::label_definition(target, horizon_days, config)
        .unwrap_or_else(|| format!("the positive value of column {target:?}"))
}

/// The label horizon: the table's own when `erosion features` made it (a request that
/// disagrees is refused), else the request's, else 90 days.
fn horizon_days(r: &TrainRequest, origin: Option<&TableOrigin>) -> Result<u32, Failure> {
    match (origin, r.horizon_days) {
        (Some(o), Some(h)) if h != o.feature_config.horizon_days => Err(usage(format!(
            "{}: --horizon {h} days disagrees with the table, whose labels were made over {} days \
by `erosion features --horizon`; leave --horizon out (train reads it from the table) or rebuild the table",
            r.features.display(),
            o.feature_config.horizon_days
        ))),
        (Some(o), _) => Ok(o.feature_config.horizon_days),
        (None, h) => Ok(h.unwrap_or(90)),
    }
}

/// The training rows: labelled rows only, with their labels and cutoffs (in days).
struct Rows {
    labelled: Vec<usize>,
    y: Vec<u8>,
}

fn labelled_rows(r: &TrainRequest, target: &[Option<u8>]) -> Result<Rows, Failure> {
    let labelled: Vec<usize> = (0..target.len()).filter(|&i| target[i].is_some()).collect();
    let y: Vec<u8> = labelled.iter().filter_map(|&i| target[i]).collect();
    let positives = y.iter().filter(|&&v| v == 1).count();
    if positives == 0 || positives == y.len() {
        return Err(usage(format!(
            "{}: label {:?} has one class only ({} labelled rows, {positives} positive); a classifier needs both",
            r.features.display(),
            r.label,
            y.len()
        )));
    }
    Ok(Rows { labelled, y })
}

/// The columns that are never inputs: the label and its siblings, the cutoff, the id, the
/// sensitive attributes and the requested exclusions (each checked to exist).
fn never_inputs(
    r: &TrainRequest,
    table: &Table,
    id: Option<&String>,
) -> Result<Vec<String>, Failure> {
    for c in r.sensitive.iter().chain(&r.exclude).chain(&r.allow) {
        table.column(c)?;
    }
    let mut excluded: Vec<String> = vec![r.label.clone(), "cutoff".into()];
    excluded.extend(LABEL_COLUMNS.iter().map(|s| s.to_string()));
    excluded.extend(id.cloned());
    excluded.extend(r.sensitive.iter().cloned());
    excluded.extend(r.exclude.iter().cloned());
    excluded.sort();
    excluded.dedup();
    Ok(excluded)
}

/// Trains, writes the bundle (with its drift reference) and the model card, and the
/// validation metrics when asked. Nothing is written when the inputs are refused.
pub fn train(r: &TrainRequest, on: &dyn Observer) -> Result<Trained, Failure> {
    let card = card_path(&r.out);
    let mut outputs = vec![
        ("--out", r.out.as_path()),
        ("the model card", card.as_path()),
    ];
    if let Some(m) = &r.metrics_out {
        outputs.push(("--metrics-out", m.as_path()));
    }
    erosion_io::refuse_overlap(&outputs, &[("--features", r.features.as_path())])?;
    if let ThresholdRule::Capacity { fraction } = r.threshold {
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(usage(format!(
                "--capacity {fraction} is not a share in (0, 1)"
            )));
        }
    }
    let origin = TableOrigin::read(&r.features)?;
    let horizon = horizon_days(r, origin.as_ref())?;
    let table = Table::read(&r.features)?;
    let target = table.target(&r.label, r.positive.as_deref())?;
    let id =
        r.id.clone()
            .or_else(|| table.has("customer_id").then(|| "customer_id".to_string()));
    if let Some(id) = &id {
        table.column(id)?;
    }
    let rows = labelled_rows(r, &target)?;
    let mut excluded = never_inputs(r, &table, id.as_ref())?;
    let raw: Vec<RawColumn> = table
        .raw_columns(&excluded)?
        .into_iter()
        .map(|c| select_rows(c, &rows.labelled))
        .collect();
    let raw = guard(r, raw, &rows.y, &mut excluded, on)?;
    let cutoffs = table
        .cutoffs()?
        .map(|c| rows.labelled.iter().map(|&i| c[i]).collect::<Vec<i64>>());
    let config = TrainConfig {
        model: r.family,
        seed: r.seed,
        folds: r.folds,
        time_min_gap: horizon as i64,
        threshold: r.threshold.clone(),
        ..TrainConfig::default()
    };
    let done = AtomicU64::new(0);
    let step = |s: TrainStep| match s {
        TrainStep::Planned(n) => on.stage("training", n),
        TrainStep::Done(what) => on.progress(done.fetch_add(1, Ordering::Relaxed) + 1, &what),
    };
    let (model, validation) = erosion_models::train_table_with_scores(
        &raw,
        &rows.y,
        cutoffs.as_deref(),
        &EncodeOptions::default(),
        &config,
        &step,
    )
    .map_err(|e| Failure::model(&r.features, e))?;
    let reference = crate::reference::training_reference(&model, &raw, &validation)
        .map_err(|e| Failure::model(&r.features, e))?;
    let cutoff_range = cutoffs.as_ref().and_then(|c| {
        let lo = c.iter().min()?;
        let hi = c.iter().max()?;
        Some((format_date(lo * DAY_MS), format_date(hi * DAY_MS)))
    });
    let mut bundle = Bundle {
        model_id: String::new(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        target: TargetDef {
            column: r.label.clone(),
            positive: r.positive.clone(),
            definition: definition(
                &r.label,
                horizon,
                origin.as_ref().map(|o| &o.feature_config),
            ),
        },
        feature_config: origin.map(|o| o.feature_config),
        id_column: id,
        sensitive: r.sensitive.clone(),
        excluded,
        fingerprint: Fingerprint {
            file: r.features.display().to_string(),
            sha256: file_sha256(&r.features)?,
            rows: table.df.height(),
            labelled_rows: rows.y.len(),
            cutoff_range,
        },
        reference: Some(reference),
        model,
    };
    bundle.write(&r.out)?;
    write_file(&card, model_card(&bundle).as_bytes())?;
    if let Some(p) = &r.metrics_out {
        let json = serde_json::to_vec_pretty(&bundle.model.validation)
            .expect("validation metrics serialise");
        write_file(p, &json)?;
    }
    Ok(Trained { bundle, card })
}

/// The model card of a bundle, in Markdown.
pub fn model_card(b: &Bundle) -> String {
    b.model.model_card(&CardContext {
        title: format!("{} model {}", b.target.column, b.model_id),
        target: b.target.definition.clone(),
        data_description: format!(
            "{} ({} rows, {} labelled; sha256 {}){}",
            b.fingerprint.file,
            b.fingerprint.rows,
            b.fingerprint.labelled_rows,
            &b.fingerprint.sha256[..16],
            match &b.feature_config {
                Some(c) => format!(
                    "; one row per customer in the population at each cutoff: {}. Metrics are on that population.",
                    c.population_rule()
                ),
                None => String::new(),
            }
        ),
        excluded_sensitive: b.sensitive.clone(),
        sensitive_derived_features: derived_from(&b.model, &b.sensitive),
        caveats: Vec::new(),
    })
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
pub fn card_path(bundle: &Path) -> PathBuf {
    let stem = bundle
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "model".into());
    bundle.with_file_name(format!("{stem}.card.md"))
}

/// The cells of `rows`, in that order.
pub fn select_rows(c: RawColumn, rows: &[usize]) -> RawColumn {
    let values = match c.values {
        RawValues::Text(v) => RawValues::Text(rows.iter().map(|&i| v[i].clone()).collect()),
        RawValues::Number(v) => RawValues::Number(rows.iter().map(|&i| v[i]).collect()),
    };
    RawColumn {
        name: c.name,
        values,
    }
}

/// Scores a table with a bundle: the calibrated probability of every row.
pub fn score_table(bundle: &Bundle, table: &Table) -> Result<Vec<f64>, Failure> {
    let raw = table.raw_columns(&bundle.excluded)?;
    let x = bundle
        .model
        .encode(&raw)
        .map_err(|e| Failure::model(&table.path, e))?;
    bundle
        .model
        .predict_proba(&x)
        .map_err(|e| Failure::model(&table.path, e))
}
