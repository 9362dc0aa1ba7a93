//! Action thresholds on calibrated probabilities, and the trust-score bands.

pub use erosion_inference::thresholds::*;

use crate::error::{ModelError, Result};

/// The threshold that flags the share of rows (`p >= t`) closest to `fraction`, over
/// probabilities sorted from the highest. A calibrator that maps many scores to one value (an
/// isotonic step) makes ties: the k-th highest value alone may flag far more than asked, so the
/// next higher distinct value is taken when its share is closer.
fn capacity_threshold(sorted_desc: &[f64], fraction: f64) -> f64 {
    let n = sorted_desc.len();
    let k = ((n as f64 * fraction).ceil() as usize).clamp(1, n);
    let t = sorted_desc[k - 1];
    // rows flagged at t: every value >= t (ties included)
    let at_t = sorted_desc.partition_point(|&v| v >= t);
    // the next higher distinct value flags the rows strictly above t
    let above = sorted_desc.partition_point(|&v| v > t);
    if above == 0 {
        return t;
    }
    let miss = |flagged: usize| (flagged as f64 / n as f64 - fraction).abs();
    if miss(above) < miss(at_t) {
        sorted_desc[above - 1]
    } else {
        t
    }
}

/// Picks the action threshold by `rule` on calibrated probabilities `p` with labels `y`, and
/// derives the bands.
pub fn choose_thresholds(p: &[f64], y: &[u8], rule: &ThresholdRule) -> Result<Thresholds> {
    let bad = |why: &str| {
        Err(ModelError::InvalidParameter {
            name: "threshold rule".into(),
            value: format!("{rule:?}"),
            why: why.into(),
        })
    };
    let mut sorted: Vec<f64> = p.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let mut candidates = sorted.clone();
    candidates.dedup();
    let t = match rule {
        ThresholdRule::Capacity { fraction } => {
            if !(*fraction > 0.0 && *fraction < 1.0) {
                return bad("fraction must be in (0, 1)");
            }
            capacity_threshold(&sorted, *fraction)
        }
        ThresholdRule::CostRatio {
            false_negative_cost,
            false_positive_cost,
        } => {
            if !(*false_negative_cost > 0.0 && *false_positive_cost > 0.0) {
                return bad("costs must be positive");
            }
            let mut best = (f64::INFINITY, 1.0);
            for &t in &candidates {
                let op = point(p, y, t);
                let pos = y.iter().filter(|&&v| v == 1).count() as f64;
                let flagged = op.flagged_share * y.len() as f64;
                let tp = op.recall * pos;
                let cost = false_negative_cost * (pos - tp) + false_positive_cost * (flagged - tp);
                if cost < best.0 {
                    best = (cost, t);
                }
            }
            best.1
        }
        ThresholdRule::BestF1 => {
            let mut best = (-1.0, 1.0);
            for &t in &candidates {
                let f1 = point(p, y, t).f1;
                if f1 > best.0 {
                    best = (f1, t);
                }
            }
            best.1
        }
    };
    let action = point(p, y, t);
    let base = y.iter().filter(|&&v| v == 1).count() as f64 / y.len() as f64;
    let watch_p = base.min(t);
    let bands = Bands {
        critical: trust_score(t),
        at_risk: trust_score((watch_p + t) / 2.0),
        watch: trust_score(watch_p),
    };
    Ok(Thresholds {
        rule: rule.clone(),
        action,
        bands,
    })
}
