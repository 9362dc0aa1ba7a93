//! The serialisable [`TrainedModel`] that scores new rows, and the record of how it was trained
//! (configuration, validation, calibration, importance) that it carries. Training itself is in
//! `erosion-models`.

use serde::{Deserialize, Serialize};

use crate::calibration::{CalibrationChoice, CalibrationReport, Calibrator};
use crate::encode::{FeatureSpec, RawColumn};
use crate::error::{ModelError, Result};
use crate::forest::ForestParams;
use crate::gbdt::GbdtParams;
use crate::logistic::LogisticParams;
use crate::matrix::{check_labels, ColumnMeta, FeatureMatrix};
use crate::metrics::{calibration_table, CalibrationBin, MetricSummary, Metrics};
use crate::model::{Contributions, Model, ModelKind};
use crate::thresholds::{trust_score, Band, ThresholdRule, Thresholds};
use crate::validation::ValidationPlan;

/// Everything training (`erosion_models::train`) needs besides the data.
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

    /// Reads a model from JSON. The layout's version is the model bundle's
    /// (`erosion_bundle::BUNDLE_FORMAT_VERSION`, in the bundle's header): the one place that
    /// refuses a layout this erosion cannot read.
    pub fn from_json(text: &str) -> Result<TrainedModel> {
        serde_json::from_str(text).map_err(|e| ModelError::Serde(e.to_string()))
    }
}
