//! Performance expected from calibrated probabilities alone, before labels arrive: NannyML's
//! confidence-based performance estimation (CBPE). If the probabilities are calibrated, a
//! customer with probability `p` is a positive with weight `p` and a negative with weight
//! `1 - p`; every metric is then an expectation over those weights.

use serde::{Deserialize, Serialize};

/// What a night's probabilities promise, if they are calibrated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    /// Rows.
    pub rows: usize,
    /// Expected positive rate (mean probability).
    pub positive_rate: f64,
    /// Expected ROC-AUC: the area under the ROC curve of the fractional labels (ties, a row's
    /// own positive and negative part included, count one half).
    pub roc_auc: f64,
    /// Expected Brier score, `mean p (1 - p)`.
    pub brier: f64,
    /// Share of rows at or above the action threshold.
    pub flagged_share: f64,
    /// Expected precision of those rows (their mean probability).
    pub precision_at_action: f64,
    /// Expected share of positives among them.
    pub capture_at_action: f64,
}

/// The expected metrics of probabilities `p` (finite, in `[0, 1]`) at action threshold `t`;
/// `None` without rows or when every expected label is of one class.
pub fn expected_performance(p: &[f64], t: f64) -> Option<Expected> {
    let n = p.len();
    let pos: f64 = p.iter().sum();
    let neg = n as f64 - pos;
    if n == 0 || pos <= 0.0 || neg <= 0.0 {
        return None;
    }
    let flagged: Vec<f64> = p.iter().copied().filter(|&v| v >= t).collect();
    let flagged_pos: f64 = flagged.iter().sum();
    Some(Expected {
        rows: n,
        positive_rate: pos / n as f64,
        roc_auc: expected_auc(p, pos, neg),
        brier: p.iter().map(|v| v * (1.0 - v)).sum::<f64>() / n as f64,
        flagged_share: flagged.len() as f64 / n as f64,
        precision_at_action: if flagged.is_empty() {
            f64::NAN
        } else {
            flagged_pos / flagged.len() as f64
        },
        capture_at_action: flagged_pos / pos,
    })
}

/// Trapezoidal area under the ROC curve swept over distinct probabilities, highest first.
fn expected_auc(p: &[f64], pos: f64, neg: f64) -> f64 {
    let mut sorted = p.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let (mut tp, mut fp, mut area) = (0.0f64, 0.0f64, 0.0f64);
    let mut i = 0;
    while i < sorted.len() {
        let (tp0, fp0) = (tp, fp);
        let v = sorted[i];
        while i < sorted.len() && sorted[i] == v {
            tp += sorted[i];
            fp += 1.0 - sorted[i];
            i += 1;
        }
        area += (fp - fp0) * (tp + tp0) / 2.0;
    }
    area / (pos * neg)
}
