//! `erosion train` and `erosion evaluate`: flags to a request of [`erosion_pipeline`], and the
//! result printed.

use crate::args::{EvaluateArgs, TrainArgs};
use erosion_bundle::Bundle;
use erosion_models::{ThresholdRule, ValidationPlan};
use erosion_pipeline::evaluate::{EvaluateRequest, Evaluated};
use erosion_pipeline::train::TrainRequest;
use erosion_pipeline::Failure;

/// The threshold rule the flags ask for: `--cost-ratio`, else `--best-f1`, else `--capacity`.
fn threshold_rule(a: &TrainArgs) -> ThresholdRule {
    match (a.cost_ratio, a.best_f1) {
        (Some(r), _) => ThresholdRule::CostRatio {
            false_negative_cost: r,
            false_positive_cost: 1.0,
        },
        (None, true) => ThresholdRule::BestF1,
        (None, false) => ThresholdRule::Capacity {
            fraction: a.capacity,
        },
    }
}

/// The request the flags describe.
pub fn request(a: &TrainArgs) -> Result<TrainRequest, Failure> {
    Ok(TrainRequest {
        features: a.features.clone(),
        label: a.label.clone(),
        positive: a.positive.clone(),
        id: a.id.clone(),
        sensitive: a.sensitive.clone(),
        exclude: a.exclude.clone(),
        allow: a.allow.clone(),
        family: a.family.into(),
        threshold: threshold_rule(a),
        folds: a.folds,
        horizon_days: a
            .horizon
            .as_deref()
            .map(|h| super::features::parse_days(h, "--horizon"))
            .transpose()?,
        seed: a.seed,
        out: a.out.clone(),
        metrics_out: a.metrics_out.clone(),
    })
}

pub fn run_train(a: &TrainArgs, quiet: bool) -> anyhow::Result<()> {
    train(&request(a)?, quiet)
}

/// Trains as asked and prints what was trained and written.
pub fn train(r: &TrainRequest, quiet: bool) -> anyhow::Result<()> {
    let bars = crate::progress::Bars::new(quiet);
    let trained = erosion_pipeline::train::train(r, &bars)?;
    bars.clear();
    print_training(&trained.bundle);
    erosion_io::outln!(
        "wrote {} (model {}) and {}",
        r.out.display(),
        trained.bundle.model_id,
        trained.card.display()
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

pub fn run_evaluate(a: &EvaluateArgs) -> anyhow::Result<()> {
    evaluate(&EvaluateRequest {
        model: a.model.clone(),
        features: a.features.clone(),
        out: a.out.clone(),
    })
    .map(|_| ())
}

/// Evaluates as asked, prints the metrics and returns them.
pub fn evaluate(r: &EvaluateRequest) -> anyhow::Result<Evaluated> {
    let e = erosion_pipeline::evaluate::evaluate(r)?;
    print_evaluation(r, &e);
    if let Some(out) = &r.out {
        erosion_io::outln!("wrote {}", out.display());
    }
    Ok(e)
}

fn print_evaluation(r: &EvaluateRequest, e: &Evaluated) {
    let (bundle, eval) = (&e.bundle, &e.evaluation);
    let m = &eval.metrics;
    erosion_io::outln!(
        "model {} ({}) on {}: {} labelled rows, {:.1} % positive",
        bundle.model_id,
        bundle.model.kind.as_str(),
        r.features.display(),
        m.rows,
        100.0 * m.positive_rate
    );
    if let Some(p) = &e.population {
        erosion_io::outln!("population: {p}");
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
}
