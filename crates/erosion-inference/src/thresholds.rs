//! Action thresholds on calibrated probabilities, and the trust-score bands: what a threshold
//! and bands are and how they apply (chosen when training, in `erosion-models`).

use serde::{Deserialize, Serialize};

/// How the action threshold is picked (on calibrated out-of-fold probabilities).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum ThresholdRule {
    /// Act on the top `fraction` of customers (a team's capacity).
    Capacity {
        /// Share of customers to act on, in (0, 1).
        fraction: f64,
    },
    /// Minimise `false_negative_cost * FN + false_positive_cost * FP`.
    CostRatio {
        /// Cost of missing a customer who erodes.
        false_negative_cost: f64,
        /// Cost of acting on a customer who would not have.
        false_positive_cost: f64,
    },
    /// Maximise F1.
    BestF1,
}

impl Default for ThresholdRule {
    fn default() -> Self {
        ThresholdRule::Capacity { fraction: 0.1 }
    }
}

/// What acting at a threshold did on the validation rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatingPoint {
    /// Act when the calibrated probability is at least this.
    pub probability: f64,
    /// Share of rows acted on.
    pub flagged_share: f64,
    /// Precision among them.
    pub precision: f64,
    /// Recall of positives.
    pub recall: f64,
    /// F1.
    pub f1: f64,
}

/// Risk band of a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Below-average risk.
    Healthy,
    /// Above-average risk.
    Watch,
    /// Between watch and critical.
    AtRisk,
    /// At or above the action threshold.
    Critical,
}

impl Band {
    /// Name as written in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Healthy => "healthy",
            Band::Watch => "watch",
            Band::AtRisk => "at_risk",
            Band::Critical => "critical",
        }
    }
}

/// Band edges on the trust score (`100 * (1 - probability)`, higher is more trust).
///
/// `critical` when trust <= `critical`, else `at_risk` when <= `at_risk`, else `watch` when
/// <= `watch`, else `healthy`. Defaults: `critical` at the action threshold, `watch` at the base
/// rate (above-average risk), `at_risk` halfway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bands {
    /// Highest trust score in the `watch` band.
    pub watch: f64,
    /// Highest trust score in the `at_risk` band.
    pub at_risk: f64,
    /// Highest trust score in the `critical` band.
    pub critical: f64,
}

impl Bands {
    /// Band of a calibrated probability.
    pub fn band(&self, probability: f64) -> Band {
        let t = trust_score(probability);
        if t <= self.critical {
            Band::Critical
        } else if t <= self.at_risk {
            Band::AtRisk
        } else if t <= self.watch {
            Band::Watch
        } else {
            Band::Healthy
        }
    }
}

/// Trust score of a calibrated probability: `100 * (1 - p)`.
pub fn trust_score(probability: f64) -> f64 {
    100.0 * (1.0 - probability)
}

/// The threshold and bands written into a trained model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Rule used.
    pub rule: ThresholdRule,
    /// Operating point chosen on validation rows.
    pub action: OperatingPoint,
    /// Trust-score bands.
    pub bands: Bands,
}

/// The operating point of threshold `t` (flag `p >= t`) on calibrated probabilities `p` with
/// labels `y`: share flagged, precision, recall (the capture of positives) and F1.
pub fn point(p: &[f64], y: &[u8], t: f64) -> OperatingPoint {
    let (mut tp, mut fp) = (0.0, 0.0);
    for (&q, &v) in p.iter().zip(y) {
        if q >= t {
            if v == 1 {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
        }
    }
    let pos = y.iter().filter(|&&v| v == 1).count() as f64;
    let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let recall = tp / pos;
    OperatingPoint {
        probability: t,
        flagged_share: (tp + fp) / y.len() as f64,
        precision,
        recall,
        f1: if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        },
    }
}
