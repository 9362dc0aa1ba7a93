//! Training with validation, model selection, calibration and thresholds; the serialisable
//! [`TrainedModel`] that scores new rows.

use serde::{Deserialize, Serialize};

use crate::calibration::{choose_calibrator, CalibrationChoice, CalibrationReport, Calibrator};
use crate::encode::{EncodeOptions, FeatureSpec, RawColumn};
use crate::error::{ModelError, Result};
use crate::forest::{Forest, ForestParams};
use crate::gbdt::{Gbdt, GbdtParams};
use crate::logistic::{Logistic, LogisticParams};
use crate::matrix::{check_labels, ColumnMeta, FeatureMatrix};
use crate::metrics::{calibration_table, CalibrationBin, MetricSummary, Metrics};
use crate::model::{Contributions, Model, ModelKind};
use crate::thresholds::{choose_thresholds, trust_score, Band, ThresholdRule, Thresholds};
use crate::validation::{stratified_k_fold, time_based_folds, Fold, ValidationPlan};

/// Version of the [`TrainedModel`] layout; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// Everything [`train`] needs besides the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Model family, or `auto`.
    pub model: ModelKind,
    /// Folds of stratified k-fold (used when there is no cutoff key).
    pub folds: usize,
    /// Seed of the folds, the calibration folds and the models.
    pub seed: u64,
    /// Time-based validation: most validation cutoffs (the latest ones).
    pub time_folds: usize,
    /// Time-based validation: smallest gap between a training cutoff and the validated one, in the
    /// cutoff key's units (pass the label horizon so no training label sees past the validated cutoff).
    pub time_min_gap: i64,
    /// Logistic hyperparameters.
    pub logistic: LogisticParams,
    /// Forest hyperparameters.
    pub forest: ForestParams,
    /// GBDT hyperparameters.
    pub gbdt: GbdtParams,
    /// Calibration method.
    pub calibration: CalibrationChoice,
    /// Action threshold rule.
    pub threshold: ThresholdRule,
    /// With `auto`, logistic regression is kept when its mean ROC-AUC is within this of the best
    /// (it is the simplest model and its explanations are exact and global).
    pub prefer_simple_within: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            model: ModelKind::Auto,
            folds: 5,
            seed: 0,
            time_folds: 3,
            time_min_gap: 1,
            logistic: LogisticParams::default(),
            forest: ForestParams::default(),
            gbdt: GbdtParams::default(),
            calibration: CalibrationChoice::Auto,
            threshold: ThresholdRule::default(),
            prefer_simple_within: 0.001,
        }
    }
}

/// Validation result of one candidate family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateResult {
    /// Family.
    pub kind: ModelKind,
    /// Per-fold metrics of the uncalibrated probabilities, with mean and spread.
    pub metrics: MetricSummary,
}

/// Size of one validation fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldInfo {
    /// Training rows.
    pub train_rows: usize,
    /// Validation rows.
    pub valid_rows: usize,
    /// Cutoff validated on (time-based folds).
    pub cutoff: Option<i64>,
    /// Latest cutoff trained on (time-based folds): always before `cutoff`.
    pub latest_train_cutoff: Option<i64>,
}

/// How the model was validated and chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationReport {
    /// Plan used.
    pub plan: ValidationPlan,
    /// Folds.
    pub folds: Vec<FoldInfo>,
    /// Every family tried.
    pub candidates: Vec<CandidateResult>,
    /// Family kept.
    pub selected: ModelKind,
    /// Why it was kept.
    pub reason: String,
}

/// Rows and class balance of the training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// Rows.
    pub rows: usize,
    /// Positive rows.
    pub positives: usize,
    /// Positive share.
    pub positive_rate: f64,
    /// Distinct cutoffs, when there was a cutoff key.
    pub cutoffs: Option<Vec<i64>>,
}

/// Global importance of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureImportance {
    /// Feature name.
    pub feature: String,
    /// Input column it comes from.
    pub source: String,
    /// Mean absolute contribution over evenly spaced training rows ([`importance_rows`] of
    /// them), on the raw scale.
    pub mean_abs_contribution: f64,
    /// Share of split gain (trees only).
    pub gain_share: Option<f64>,
}

/// Scores and metrics of a model on labelled rows (for `erosion evaluate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Metrics of the calibrated probabilities.
    pub metrics: Metrics,
    /// Ten-bin calibration table of the calibrated probabilities.
    pub calibration_table: Vec<CalibrationBin>,
    /// At the model's action threshold: share flagged, precision, capture (recall) and lift
    /// (precision / positive rate), the numbers of the decision the user acts on.
    #[serde(default)]
    pub at_action: Option<ActionMetrics>,
}

/// Metrics of the decision at the action threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionMetrics {
    /// The threshold (calibrated probability; flag `p >= threshold`).
    pub threshold: f64,
    /// Share of rows flagged.
    pub flagged_share: f64,
    /// Precision of the flagged rows.
    pub precision: f64,
    /// Share of positives flagged.
    pub capture: f64,
    /// Precision over the positive rate.
    pub lift: f64,
}

impl ActionMetrics {
    /// The decision `p >= threshold` on labels `y`.
    pub fn compute(y: &[u8], p: &[f64], threshold: f64) -> ActionMetrics {
        let op = crate::thresholds::point(p, y, threshold);
        let rate = y.iter().filter(|&&v| v == 1).count() as f64 / y.len().max(1) as f64;
        ActionMetrics {
            threshold,
            flagged_share: op.flagged_share,
            precision: op.precision,
            capture: op.recall,
            lift: if rate > 0.0 {
                op.precision / rate
            } else {
                f64::NAN
            },
        }
    }
}

/// A trained, calibrated model with its thresholds, validation report and (optionally) the
/// feature spec that turns raw table columns into its inputs. Serialisable with serde; scoring is
/// deterministic and bit-identical between runs and thread counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedModel {
    /// Layout version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// Family of `model`.
    pub kind: ModelKind,
    /// Input columns, in order.
    pub features: Vec<ColumnMeta>,
    /// How raw columns were encoded into `features`, when the model was trained from raw columns.
    pub spec: Option<FeatureSpec>,
    /// The fitted model (on all training rows).
    pub model: Model,
    /// Score-to-probability map fitted on out-of-fold scores.
    pub calibrator: Calibrator,
    /// How the calibrator was chosen.
    pub calibration: CalibrationReport,
    /// Action threshold and trust-score bands.
    pub thresholds: Thresholds,
    /// Validation and model choice.
    pub validation: ValidationReport,
    /// Training data summary.
    pub training: TrainingSummary,
    /// Global importance, most important first.
    pub importance: Vec<FeatureImportance>,
    /// Configuration trained with.
    pub config: TrainConfig,
}

fn fit_kind(kind: ModelKind, x: &FeatureMatrix, y: &[u8], c: &TrainConfig) -> Result<Model> {
    Ok(match kind {
        ModelKind::Logistic => Model::Logistic(Logistic::fit(x, y, &c.logistic)?),
        ModelKind::Forest => Model::Forest(Forest::fit(
            x,
            y,
            &ForestParams {
                seed: c.seed,
                ..c.forest.clone()
            },
        )?),
        ModelKind::Gbdt => Model::Gbdt(Gbdt::fit(
            x,
            y,
            &GbdtParams {
                seed: c.seed,
                ..c.gbdt.clone()
            },
        )?),
        ModelKind::Auto => {
            return Err(ModelError::InvalidParameter {
                name: "model".into(),
                value: "auto".into(),
                why: "auto is resolved to a family before fitting".into(),
            })
        }
    })
}

/// Out-of-fold results of one family.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossValidation {
    /// Per-fold metrics with mean and spread.
    pub metrics: MetricSummary,
    /// Validated rows, in fold order.
    pub rows: Vec<usize>,
    /// Log-odds score of each validated row (from the model that did not see it).
    pub score: Vec<f64>,
    /// Uncalibrated probability of each validated row.
    pub probability: Vec<f64>,
}

/// Fits `kind` on each fold's training rows and scores its validation rows.
pub fn cross_validate(
    kind: ModelKind,
    x: &FeatureMatrix,
    y: &[u8],
    folds: &[Fold],
    config: &TrainConfig,
) -> Result<CrossValidation> {
    cross_validate_with(kind, x, y, folds, config, &|_| {})
}

/// What [`train_with`] reports as it goes, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrainStep {
    /// The run will take this many steps (folds of every candidate, the final fit, importance).
    Planned(u64),
    /// The step now under way, in words ("gbdt: fold 2 of 5 fitted").
    Done(String),
}

/// [`cross_validate`], calling `on_fold` with the fold's index as each fold ends (from the thread
/// that fitted it).
fn cross_validate_with(
    kind: ModelKind,
    x: &FeatureMatrix,
    y: &[u8],
    folds: &[Fold],
    config: &TrainConfig,
    on_fold: &(dyn Fn(usize) + Sync),
) -> Result<CrossValidation> {
    use rayon::prelude::*;
    // Folds are independent: they run side by side (each fit is deterministic, so the results
    // do not depend on which core ran which fold), and are put back in fold order.
    let fitted: Vec<(Vec<f64>, Vec<f64>, Metrics)> = folds
        .par_iter()
        .enumerate()
        .map(|(i, f)| {
            let mut xt = x.select_rows(&f.train);
            // A column with values only at later cutoffs (a window longer than the history
            // of the earliest ones) tells this fold's model nothing: it sees a constant.
            let unseen = xt.all_missing_columns();
            xt.set_columns(&unseen, 0.0);
            let yt: Vec<u8> = f.train.iter().map(|&i| y[i]).collect();
            let model = fit_kind(kind, &xt, &yt, config)?;
            drop(xt);
            let mut xv = x.select_rows(&f.valid);
            xv.set_columns(&unseen, 0.0);
            let yv: Vec<u8> = f.valid.iter().map(|&i| y[i]).collect();
            let s = model.score(&xv);
            let p: Vec<f64> = match &model {
                Model::Forest(_) => model.predict_raw(&xv),
                _ => s.iter().map(|&z| Model::score_to_probability(z)).collect(),
            };
            let m = Metrics::compute(&yv, &p);
            on_fold(i);
            Ok((s, p, m))
        })
        .collect::<Result<_>>()?;
    let mut per_fold = Vec::new();
    let (mut rows, mut score, mut probability) = (Vec::new(), Vec::new(), Vec::new());
    for (f, (s, p, m)) in folds.iter().zip(fitted) {
        per_fold.push(m);
        rows.extend_from_slice(&f.valid);
        score.extend(s);
        probability.extend(p);
    }
    Ok(CrossValidation {
        metrics: MetricSummary::from_folds(per_fold),
        rows,
        score,
        probability,
    })
}

/// Trains a model on an encoded matrix.
///
/// With `cutoffs` (one integer key per row, larger = later) holding at least two distinct values,
/// validation is time-based: see [`ValidationPlan::TimeBased`]. Otherwise stratified k-fold. With [`ModelKind::Auto`] every family
/// is cross-validated and the best mean ROC-AUC kept. The calibrator and threshold are fitted on
/// the kept family's out-of-fold scores; the final model is refitted on all rows.
pub fn train(
    x: &FeatureMatrix,
    y: &[u8],
    cutoffs: Option<&[i64]>,
    config: &TrainConfig,
) -> Result<TrainedModel> {
    train_with(x, y, cutoffs, config, &|_| {})
}

/// [`train`], reporting each step to `progress` (from whichever thread finished it).
pub fn train_with(
    x: &FeatureMatrix,
    y: &[u8],
    cutoffs: Option<&[i64]>,
    config: &TrainConfig,
    progress: &(dyn Fn(TrainStep) + Sync),
) -> Result<TrainedModel> {
    x.check_trainable()?;
    check_labels(y, x.n_rows())?;
    // A single cutoff has no earlier one to train on: stratified k-fold, as for a plain table.
    let time_keys = cutoffs.filter(|c| c.iter().any(|&v| v != c[0]));
    let (plan, folds) = match time_keys {
        Some(c) => (
            ValidationPlan::TimeBased {
                max_folds: config.time_folds,
                min_gap: config.time_min_gap,
            },
            time_based_folds(c, y, config.time_folds, config.time_min_gap)?,
        ),
        None => (
            ValidationPlan::StratifiedKFold {
                k: config.folds,
                seed: config.seed,
            },
            stratified_k_fold(y, config.folds, config.seed)?,
        ),
    };
    let fold_info = folds
        .iter()
        .map(|f| FoldInfo {
            train_rows: f.train.len(),
            valid_rows: f.valid.len(),
            cutoff: f.cutoff,
            latest_train_cutoff: time_keys.and_then(|c| f.train.iter().map(|&i| c[i]).max()),
        })
        .collect();
    let kinds: Vec<ModelKind> = match config.model {
        ModelKind::Auto => vec![ModelKind::Logistic, ModelKind::Forest, ModelKind::Gbdt],
        k => vec![k],
    };
    progress(TrainStep::Planned((kinds.len() * folds.len()) as u64 + 2));
    let mut results = Vec::new();
    let mut final_model = None;
    for &k in &kinds {
        let done = std::sync::atomic::AtomicUsize::new(0);
        let on_fold = |_| {
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(TrainStep::Done(format!(
                "{k}: {n} of {} folds validated",
                folds.len()
            )));
        };
        // With one family asked for, the final model needs nothing from validation: it is
        // fitted beside the folds, so both cores stay busy to the end.
        let cv = if kinds.len() == 1 {
            let (cv, model) = rayon::join(
                || cross_validate_with(k, x, y, &folds, config, &on_fold),
                || fit_kind(k, x, y, config),
            );
            final_model = Some(model);
            cv?
        } else {
            cross_validate_with(k, x, y, &folds, config, &on_fold)?
        };
        results.push((k, cv));
    }
    let (chosen, reason) = select(&results, config);
    let cv = &results
        .iter()
        .find(|r| r.0 == chosen)
        .expect("chosen is a candidate")
        .1;
    let y_oof: Vec<u8> = cv.rows.iter().map(|&i| y[i]).collect();
    let (calibrator, calibration) = choose_calibrator(
        &cv.score,
        &cv.probability,
        &y_oof,
        config.calibration,
        config.seed,
    )?;
    let calibrated: Vec<f64> = cv.score.iter().map(|&s| calibrator.apply(s)).collect();
    let thresholds = choose_thresholds(&calibrated, &y_oof, &config.threshold)?;
    let model = match final_model {
        Some(model) => model?,
        None => fit_kind(chosen, x, y, config)?,
    };
    progress(TrainStep::Done(format!(
        "{chosen}: final model fitted on every row"
    )));
    let importance = importance(&model, x);
    progress(TrainStep::Done("global importance computed".into()));
    let positives = y.iter().filter(|&&v| v == 1).count();
    let cutoff_list = cutoffs.map(|c| {
        let mut d = c.to_vec();
        d.sort_unstable();
        d.dedup();
        d
    });
    Ok(TrainedModel {
        format_version: FORMAT_VERSION,
        kind: chosen,
        features: x.columns().to_vec(),
        spec: None,
        model,
        calibrator,
        calibration,
        thresholds,
        validation: ValidationReport {
            plan,
            folds: fold_info,
            candidates: results
                .into_iter()
                .map(|(kind, cv)| CandidateResult {
                    kind,
                    metrics: cv.metrics,
                })
                .collect(),
            selected: chosen,
            reason,
        },
        training: TrainingSummary {
            rows: y.len(),
            positives,
            positive_rate: positives as f64 / y.len() as f64,
            cutoffs: cutoff_list,
        },
        importance,
        config: config.clone(),
    })
}

/// Encodes raw table columns with a new [`FeatureSpec`], trains, and stores the spec in the model.
pub fn train_table(
    columns: &[RawColumn],
    y: &[u8],
    cutoffs: Option<&[i64]>,
    encode: &EncodeOptions,
    config: &TrainConfig,
) -> Result<TrainedModel> {
    train_table_with(columns, y, cutoffs, encode, config, &|_| {})
}

/// [`train_table`], reporting each step to `progress`.
pub fn train_table_with(
    columns: &[RawColumn],
    y: &[u8],
    cutoffs: Option<&[i64]>,
    encode: &EncodeOptions,
    config: &TrainConfig,
    progress: &(dyn Fn(TrainStep) + Sync),
) -> Result<TrainedModel> {
    let (spec, x) = FeatureSpec::fit(columns, encode)?;
    let mut model = train_with(&x, y, cutoffs, config, progress)?;
    model.spec = Some(spec);
    Ok(model)
}

fn fmt_metric(m: &MetricSummary) -> String {
    match &m.std {
        Some(s) => format!("{:.4} ± {:.4}", m.mean.roc_auc, s.roc_auc),
        None => format!("{:.4}", m.mean.roc_auc),
    }
}

fn select(results: &[(ModelKind, CrossValidation)], config: &TrainConfig) -> (ModelKind, String) {
    if results.len() == 1 {
        let (k, cv) = &results[0];
        return (
            *k,
            format!(
                "{k} was requested; validation ROC-AUC {}",
                fmt_metric(&cv.metrics)
            ),
        );
    }
    let mut best = 0;
    for (i, r) in results.iter().enumerate() {
        if r.1.metrics.mean.roc_auc > results[best].1.metrics.mean.roc_auc {
            best = i;
        }
    }
    let best_auc = results[best].1.metrics.mean.roc_auc;
    let others: Vec<String> = results
        .iter()
        .map(|(k, cv)| format!("{k} {}", fmt_metric(&cv.metrics)))
        .collect();
    if let Some((k, cv)) = results.iter().find(|r| r.0 == ModelKind::Logistic) {
        let gap = best_auc - cv.metrics.mean.roc_auc;
        if results[best].0 != ModelKind::Logistic && gap <= config.prefer_simple_within {
            return (
                *k,
                format!(
                    "logistic kept: its mean validation ROC-AUC is within {:.4} of the best ({}), and it is the simplest model with exact explanations; candidates: {}",
                    config.prefer_simple_within,
                    results[best].0,
                    others.join(", ")
                ),
            );
        }
    }
    let k = results[best].0;
    (
        k,
        format!(
            "{k} kept: highest mean validation ROC-AUC; candidates: {}",
            others.join(", ")
        ),
    )
}

/// How many of `n` training rows the global importance averages over: up to 5,000, evenly
/// spaced; fewer (never under 1,000) when explaining one row takes more than 200,000 steps
/// ([`Model::explain_steps`]), as with a large forest of deep trees, where 5,000 rows of exact
/// TreeSHAP would take most of the training time.
pub fn importance_rows(model: &Model, n: usize) -> usize {
    const STEPS: f64 = 1e9;
    let per_row = model.explain_steps().max(1.0);
    n.min(((STEPS / per_row) as usize).clamp(1000, 5000))
}

fn importance(model: &Model, x: &FeatureMatrix) -> Vec<FeatureImportance> {
    let n = x.n_rows();
    let take = importance_rows(model, n);
    let rows: Vec<usize> = (0..take).map(|k| k * n / take).collect();
    let contrib = model.contributions(&x.select_rows(&rows));
    let mean_abs = contrib.mean_abs();
    let gain = model.gain_importance(x.n_cols());
    let mut out: Vec<FeatureImportance> = x
        .columns()
        .iter()
        .enumerate()
        .map(|(j, c)| FeatureImportance {
            feature: c.name.clone(),
            source: c.source().to_string(),
            mean_abs_contribution: mean_abs[j],
            gain_share: gain.as_ref().map(|g| g[j]),
        })
        .collect();
    out.sort_by(|a, b| {
        b.mean_abs_contribution
            .total_cmp(&a.mean_abs_contribution)
            .then_with(|| a.feature.cmp(&b.feature))
    });
    out
}

impl TrainedModel {
    /// The model's inputs from `x`, matched by column name (order and extra columns do not matter).
    pub fn align(&self, x: &FeatureMatrix) -> Result<FeatureMatrix> {
        x.align_to(&self.features)
    }

    /// `x` itself when its columns already are the model's, in order (no copy), else
    /// [`TrainedModel::align`].
    fn aligned<'a>(&self, x: &'a FeatureMatrix) -> Result<std::borrow::Cow<'a, FeatureMatrix>> {
        let same = x.columns().len() == self.features.len()
            && x.columns().iter().zip(&self.features).all(|(a, b)| a == b);
        Ok(if same {
            std::borrow::Cow::Borrowed(x)
        } else {
            std::borrow::Cow::Owned(self.align(x)?)
        })
    }

    /// Encodes raw columns with the stored spec (fails if the model was trained from a matrix).
    pub fn encode(&self, columns: &[RawColumn]) -> Result<FeatureMatrix> {
        self.spec
            .as_ref()
            .ok_or_else(|| ModelError::InvalidParameter {
                name: "spec".into(),
                value: "none".into(),
                why: "this model was trained from an encoded matrix and holds no feature spec"
                    .into(),
            })?
            .transform(columns)
    }

    /// Raw output per row (log-odds; probability for the forest).
    pub fn predict_raw(&self, x: &FeatureMatrix) -> Result<Vec<f64>> {
        Ok(self.model.predict_raw(&*self.aligned(x)?))
    }

    /// Calibrated probability per row.
    pub fn predict_proba(&self, x: &FeatureMatrix) -> Result<Vec<f64>> {
        let x = self.aligned(x)?;
        Ok(self
            .model
            .score(&x)
            .into_iter()
            .map(|s| self.calibrator.apply(s))
            .collect())
    }

    /// Calibrated probabilities and contributions together, a block of rows at a time (see
    /// [`Model::explain_blocks`]): `f(first_row, probabilities, contributions)` gets a block's
    /// probabilities, bit for bit [`TrainedModel::predict_proba`], and its row-major
    /// contributions (one per model feature, [`TrainedModel::features`] order), bit for bit
    /// [`TrainedModel::contributions`]. Results in row order.
    pub fn score_blocks<B: Send>(
        &self,
        x: &FeatureMatrix,
        f: impl Fn(usize, &[f64], &[f64]) -> B + Sync,
    ) -> Result<Vec<B>> {
        let x = self.aligned(x)?;
        Ok(self.model.explain_blocks(&x, |start, raw, values| {
            let p: Vec<f64> = raw
                .iter()
                .map(|&r| self.calibrator.apply(self.model.score_of_raw(r)))
                .collect();
            f(start, &p, values)
        }))
    }

    /// Per-row contributions adding up to [`TrainedModel::predict_raw`].
    pub fn contributions(&self, x: &FeatureMatrix) -> Result<Contributions> {
        Ok(self.model.contributions(&*self.aligned(x)?))
    }

    /// Trust score (0..100, higher is more trust) of a calibrated probability.
    pub fn trust_score(&self, probability: f64) -> f64 {
        trust_score(probability)
    }

    /// Band of a calibrated probability.
    pub fn band(&self, probability: f64) -> Band {
        self.thresholds.bands.band(probability)
    }

    /// Whether a calibrated probability is at or above the action threshold.
    pub fn act(&self, probability: f64) -> bool {
        probability >= self.thresholds.action.probability
    }

    /// Metrics and calibration table of the calibrated probabilities on labelled rows.
    pub fn evaluate(&self, x: &FeatureMatrix, y: &[u8]) -> Result<Evaluation> {
        check_labels(y, x.n_rows())?;
        let p = self.predict_proba(x)?;
        Ok(self.evaluation(y, &p))
    }

    /// Metrics, calibration table and the decision at the action threshold of calibrated
    /// probabilities `p` (this model's) against labels `y`.
    pub fn evaluation(&self, y: &[u8], p: &[f64]) -> Evaluation {
        Evaluation {
            metrics: Metrics::compute(y, p),
            calibration_table: calibration_table(y, p, 10),
            at_action: Some(ActionMetrics::compute(
                y,
                p,
                self.thresholds.action.probability,
            )),
        }
    }

    /// JSON text of the model (floats round-trip exactly).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| ModelError::Serde(e.to_string()))
    }

    /// Reads a model from JSON, refusing other format versions.
    pub fn from_json(text: &str) -> Result<TrainedModel> {
        #[derive(Deserialize)]
        struct Version {
            format_version: u32,
        }
        let v: Version =
            serde_json::from_str(text).map_err(|e| ModelError::Serde(e.to_string()))?;
        if v.format_version != FORMAT_VERSION {
            return Err(ModelError::UnsupportedVersion {
                found: v.format_version,
                supported: FORMAT_VERSION,
            });
        }
        serde_json::from_str(text).map_err(|e| ModelError::Serde(e.to_string()))
    }
}
