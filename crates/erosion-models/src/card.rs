//! Model card in Markdown.

use std::fmt::Write;

use crate::metrics::{MetricSummary, Metrics};
use crate::model::RawScale;
use crate::train::TrainedModel;
use crate::validation::ValidationPlan;

/// What the card cannot learn from the model itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CardContext {
    /// Title, e.g. `Trust-erosion model`.
    pub title: String,
    /// What the target means, e.g. `erosion within 90 days of the cutoff`.
    pub target: String,
    /// Where the data came from.
    pub data_description: String,
    /// Sensitive attributes kept out of the inputs.
    pub excluded_sensitive: Vec<String>,
    /// Input features derived from sensitive attributes (flagged, not removed).
    pub sensitive_derived_features: Vec<String>,
    /// Extra caveats to list.
    pub caveats: Vec<String>,
}

/// A cutoff key (days since 1970-01-01, as `erosion train` passes them) as `YYYY-MM-DD`.
fn day(days: i64) -> String {
    // Howard Hinnant's civil_from_days
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The threshold rule in words.
fn rule_words(rule: &crate::ThresholdRule) -> String {
    match rule {
        crate::ThresholdRule::Capacity { fraction } => {
            format!("capacity: act on the top {:.1} % of customers", 100.0 * fraction)
        }
        crate::ThresholdRule::CostRatio {
            false_negative_cost,
            false_positive_cost,
        } => format!(
            "least cost: a missed customer costs {false_negative_cost}, a needless action {false_positive_cost}"
        ),
        crate::ThresholdRule::BestF1 => "best F1 on validation".to_string(),
    }
}

fn metric_row(out: &mut String, name: &str, pick: fn(&Metrics) -> f64, s: &MetricSummary) {
    let mean = pick(&s.mean);
    let spread = s
        .std
        .as_ref()
        .map_or("n/a (one fold)".to_string(), |d| format!("{:.4}", pick(d)));
    let folds: Vec<String> = s.folds.iter().map(|m| format!("{:.4}", pick(m))).collect();
    let _ = writeln!(
        out,
        "| {name} | {mean:.4} | {spread} | {} |",
        folds.join(", ")
    );
}

/// A trained model's card, written from the record it carries (`use erosion_models::ModelCard`
/// to call `model.model_card(&ctx)`).
pub trait ModelCard {
    /// The model card: intended use, data, metrics with spread, excluded sensitive attributes,
    /// explanations and caveats.
    fn model_card(&self, ctx: &CardContext) -> String;
}

impl ModelCard for TrainedModel {
    fn model_card(&self, ctx: &CardContext) -> String {
        let mut o = String::new();
        section_intended_use(ctx, &mut o);
        section_model(self, &mut o);
        section_data(self, ctx, &mut o);
        section_validation(self, &mut o);
        section_sensitive(ctx, &mut o);
        section_explanations(self, &mut o);
        section_caveats(self, ctx, &mut o);
        o
    }
}

/// The title and what the model is for.
fn section_intended_use(ctx: &CardContext, o: &mut String) {
    let title = if ctx.title.is_empty() {
        "Churn / trust-erosion model"
    } else {
        &ctx.title
    };
    let _ = writeln!(o, "# Model card: {title}\n");
    let _ = writeln!(o, "## Intended use\n");
    let target = if ctx.target.is_empty() {
        "the positive class of the target"
    } else {
        &ctx.target
    };
    let _ = writeln!(
        o,
        "Ranks customers by their calibrated probability of {target}, so that a retention or trust team can \
         act on the highest risks first and read why each customer scores as they do. It supports human \
         decisions about outreach; it is not meant for decisions with legal or similarly significant effects \
         on a person (credit, pricing, access to service), and it must not score customers who objected to \
         profiling.\n"
    );
}

/// The family, why it was kept, calibration, the action threshold and the bands.
fn section_model(m: &TrainedModel, o: &mut String) {
    let _ = writeln!(o, "## Model\n");
    let _ = writeln!(
        o,
        "- Family: **{}** ({} input features)",
        m.kind,
        m.features.len()
    );
    let _ = writeln!(o, "- Why: {}", m.validation.reason);
    let _ = writeln!(
        o,
        "- Calibration: {} on {} out-of-fold scores (cross-validated Brier: Platt {:.4}, isotonic {:.4}; uncalibrated {:.4})",
        m.calibration.method,
        m.calibration.rows,
        m.calibration.brier_platt_cv,
        m.calibration.brier_isotonic_cv,
        m.calibration.brier_uncalibrated
    );
    let a = &m.thresholds.action;
    let _ = writeln!(
        o,
        "- Action threshold: probability >= {:.4} ({}); on validation rows it flags {:.1} % of customers with precision {:.3} and recall {:.3}",
        a.probability,
        rule_words(&m.thresholds.rule),
        100.0 * a.flagged_share,
        a.precision,
        a.recall
    );
    let b = &m.thresholds.bands;
    let _ = writeln!(
        o,
        "- Trust score = 100 x (1 - probability); bands: critical <= {:.1} < at_risk <= {:.1} < watch <= {:.1} < healthy\n",
        b.critical, b.at_risk, b.watch
    );
}

/// The training rows, positives and cutoffs.
fn section_data(m: &TrainedModel, ctx: &CardContext, o: &mut String) {
    let _ = writeln!(o, "## Data\n");
    if !ctx.data_description.is_empty() {
        let _ = writeln!(o, "{}\n", ctx.data_description);
    }
    let _ = writeln!(
        o,
        "- Training rows: {}, positives: {} ({:.1} %)",
        m.training.rows,
        m.training.positives,
        100.0 * m.training.positive_rate
    );
    if let Some(c) = &m.training.cutoffs {
        let _ = writeln!(
            o,
            "- Cutoffs: {} ({} distinct)",
            c.iter().map(|&v| day(v)).collect::<Vec<_>>().join(", "),
            c.len()
        );
    }
    let _ = writeln!(o);
}

/// How the model was validated, with each candidate's metrics.
fn section_validation(m: &TrainedModel, o: &mut String) {
    let _ = writeln!(o, "## Validation\n");
    match &m.validation.plan {
        ValidationPlan::StratifiedKFold { k, seed } => {
            let _ = writeln!(o, "Stratified {k}-fold cross-validation (seed {seed}).\n");
        }
        ValidationPlan::TimeBased { min_gap, .. } => {
            let _ = writeln!(
                o,
                "Time-based: each validated cutoff is predicted by a model trained only on cutoffs at least {min_gap} days earlier.\n"
            );
            for f in &m.validation.folds {
                let _ = writeln!(
                    o,
                    "- validate cutoff {} ({} rows) ← trained on cutoffs up to {} ({} rows)",
                    day(f.cutoff.unwrap_or_default()),
                    f.valid_rows,
                    day(f.latest_train_cutoff.unwrap_or_default()),
                    f.train_rows
                );
            }
            let _ = writeln!(o);
        }
    }
    for c in &m.validation.candidates {
        let chosen = if c.kind == m.kind { " (kept)" } else { "" };
        let _ = writeln!(o, "### {}{chosen}\n", c.kind);
        let _ = writeln!(o, "| metric | mean | std | per fold |\n|---|---|---|---|");
        metric_row(o, "ROC-AUC", |m| m.roc_auc, &c.metrics);
        metric_row(o, "PR-AUC", |m| m.pr_auc, &c.metrics);
        metric_row(o, "Brier (uncalibrated)", |m| m.brier, &c.metrics);
        metric_row(o, "log-loss (uncalibrated)", |m| m.log_loss, &c.metrics);
        metric_row(o, "lift @ top 10 %", |m| m.lift_top10, &c.metrics);
        metric_row(o, "capture @ top 10 %", |m| m.capture_top10, &c.metrics);
        let _ = writeln!(o);
    }
}

/// Which sensitive attributes were kept out and which inputs derive from them.
fn section_sensitive(ctx: &CardContext, o: &mut String) {
    let _ = writeln!(o, "## Sensitive attributes\n");
    if ctx.excluded_sensitive.is_empty() {
        let _ = writeln!(o, "- None were declared in the training table (`--sensitive`). Attributes outside it, such as a customers file's gender or age band, are not inputs and can still be audited (`erosion audit --customers`); declare those inside the table so that they stay out of the inputs.");
    } else {
        let _ = writeln!(
            o,
            "- Kept out of the inputs (available to the fairness audit): {}",
            ctx.excluded_sensitive.join(", ")
        );
    }
    if !ctx.sensitive_derived_features.is_empty() {
        let _ = writeln!(
            o,
            "- **Inputs derived from sensitive attributes** (may act as proxies): {}",
            ctx.sensitive_derived_features.join(", ")
        );
    }
    let _ = writeln!(o);
}

/// What the reasons are and the most important inputs.
fn section_explanations(m: &TrainedModel, o: &mut String) {
    let _ = writeln!(o, "## Explanations\n");
    let unit = match m.model.raw_scale() {
        RawScale::LogOdds => "log-odds",
        RawScale::Probability => "probability",
    };
    let method = match m.kind {
        crate::model::ModelKind::Logistic => {
            "exact linear contributions (coefficient x standardised value)"
        }
        _ => "exact path-dependent TreeSHAP",
    };
    let _ = writeln!(
        o,
        "Per-customer reasons are {method}, in {unit}; they add up to the model's raw output. Most important inputs (mean |contribution| over {} evenly spaced training rows):\n",
        crate::train::importance_rows(&m.model, m.training.rows)
    );
    for f in m.importance.iter().take(10) {
        let _ = writeln!(o, "- {}: {:.4}", f.feature, f.mean_abs_contribution);
    }
    let _ = writeln!(o);
}

/// What the numbers do not say.
fn section_caveats(m: &TrainedModel, ctx: &CardContext, o: &mut String) {
    let _ = writeln!(o, "## Caveats\n");
    let mut caveats = vec![
        "Contributions describe the model, not causes: a feature that raises the score is associated with the outcome in the training data.".to_string(),
        "Metrics come from validation on the training population; behaviour shifts (pricing, product, season) degrade them. Re-validate before relying on a model older than its horizon.".to_string(),
        "Calibration holds for a population like the training one; a different base rate shifts the probabilities and the trust score.".to_string(),
    ];
    if matches!(m.validation.plan, ValidationPlan::StratifiedKFold { .. }) {
        caveats.push("Validation was not time-based: if rows come from different periods, expect lower accuracy on future data.".into());
    }
    caveats.extend(ctx.caveats.iter().cloned());
    for c in caveats {
        let _ = writeln!(o, "- {c}");
    }
}
