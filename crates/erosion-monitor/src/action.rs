//! The share of customers at or above the action threshold, tonight against the training
//! reference: what a nightly owner plans capacity on. A calibrated score whose distribution
//! barely moves can still send noticeably more (or fewer) customers past the threshold; this
//! is the score-side check aimed at that decision.
//!
//! The test is the two-sided two-proportion z-test with a pooled variance (as statsmodels'
//! `proportions_ztest` computes it): `z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2))` with
//! `p = (x1 + x2) / (n1 + n2)`, p-value `2 Φ(-|z|)`.

use serde::{Deserialize, Serialize};

use erosion_core::stats::normal_cdf;

use crate::reference::{Distribution, InputReference};

/// Tonight's share at or above the action threshold against the reference's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionShare {
    /// The bundle's action threshold (calibrated probability).
    pub threshold: f64,
    /// Share of the reference's scores at or above it (counted on the reference's sorted
    /// sample at evenly spaced ranks: exact when the training rows fit in the sample,
    /// otherwise within one over the sample's size).
    pub reference_share: f64,
    /// Training rows the reference share stands for (the test's first sample size).
    pub reference_rows: usize,
    /// Share of tonight's scores at or above it.
    pub share: f64,
    /// Tonight's scored rows.
    pub rows: usize,
    /// `share / reference_share - 1` (`None` when the reference share is 0).
    pub relative_change: Option<f64>,
    /// Two-proportion z statistic (pooled variance).
    pub z: f64,
    /// Its two-sided p-value.
    pub p_value: f64,
}

/// The two-sided two-proportion z-test of `x1` of `n1` against `x2` of `n2` (pooled variance):
/// `(z, p-value)`; `(0, 1)` when both samples are all in or all out (no variance).
pub fn two_proportion_z(x1: f64, n1: f64, x2: f64, n2: f64) -> (f64, f64) {
    let pooled = (x1 + x2) / (n1 + n2);
    let var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
    if var <= 0.0 || !var.is_finite() {
        return (0.0, 1.0);
    }
    let z = (x1 / n1 - x2 / n2) / var.sqrt();
    (z, (2.0 * normal_cdf(-z.abs())).min(1.0))
}

/// Tonight's share against a reference's: what both share checks (the action share and
/// [`crate::usual`]) compute.
pub(crate) struct ShareTest {
    pub(crate) share: f64,
    pub(crate) relative_change: Option<f64>,
    pub(crate) z: f64,
    pub(crate) p_value: f64,
}

/// `count` of tonight's `rows` against `reference_share` of `reference_rows` training rows: the
/// share, its change relative to the reference's (`None` when that is 0) and
/// [`two_proportion_z`].
pub(crate) fn share_test(
    count: usize,
    rows: usize,
    reference_share: f64,
    reference_rows: usize,
) -> ShareTest {
    let share = count as f64 / rows as f64;
    let n_ref = reference_rows as f64;
    let (z, p_value) = two_proportion_z(count as f64, rows as f64, reference_share * n_ref, n_ref);
    ShareTest {
        share,
        relative_change: (reference_share > 0.0).then(|| share / reference_share - 1.0),
        z,
        p_value,
    }
}

/// The alert rule of both share checks: significant at the corrected `level` and a relative
/// change of at least `min_change` either way.
pub(crate) fn share_moved(
    p_value: f64,
    relative_change: Option<f64>,
    level: f64,
    min_change: f64,
) -> bool {
    p_value < level && relative_change.is_some_and(|c| c.abs() >= min_change)
}

/// Tonight's `scores` (calibrated probabilities; NaN ignored) at or above `threshold` against
/// the score reference's share; `None` when the reference is not numeric, or either side has
/// no score.
pub fn action_share(
    reference: &InputReference,
    threshold: f64,
    scores: &[f64],
) -> Option<ActionShare> {
    let Distribution::Numeric {
        sample,
        sampled_from,
        ..
    } = &reference.distribution
    else {
        return None;
    };
    let rows = scores.iter().filter(|v| !v.is_nan()).count();
    if sample.is_empty() || rows == 0 || *sampled_from == 0 {
        return None;
    }
    let reference_share =
        (sample.len() - sample.partition_point(|&v| v < threshold)) as f64 / sample.len() as f64;
    let flagged = scores.iter().filter(|&&v| v >= threshold).count();
    let t = share_test(flagged, rows, reference_share, *sampled_from);
    Some(ActionShare {
        threshold,
        reference_share,
        reference_rows: *sampled_from,
        share: t.share,
        rows,
        relative_change: t.relative_change,
        z: t.z,
        p_value: t.p_value,
    })
}
