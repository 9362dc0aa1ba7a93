//! Inputs with a usual value: most customers hold one value (0 privacy complaints, not opted
//! out, full credibility) and the signal is the share who do not. A consent banner or a breach
//! moves that share from 7.5 % to 11 %: half as many again, yet a Kolmogorov–Smirnov statistic of
//! only 0.035, far under any effect size a million rows would not alarm on. This test asks the
//! question a model owner asks of such an input: has the share away from the usual value
//! changed, by a two-proportion z-test (as for the action share, [`crate::two_proportion_z`])
//! and by how much relative to the reference's share.
//!
//! An input has a usual value when one value holds at least [`USUAL_SHARE`] of the reference's
//! non-missing values (counted on the reference's sorted sample: exact when the training rows
//! fit in the sample, otherwise within one over the sample's size). Continuous inputs have none
//! and are left to PSI and KS.

use serde::{Deserialize, Serialize};

use crate::action::share_test;
use crate::reference::{Distribution, InputReference};

/// Smallest share of the reference one value must hold to be the input's usual value.
pub const USUAL_SHARE: f64 = 0.5;

/// Tonight's share of non-missing values away from the usual value against the reference's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsualValueShare {
    /// The reference's most common value.
    pub usual_value: f64,
    /// Share of the reference's non-missing values other than it.
    pub reference_share: f64,
    /// Non-missing training values the reference share stands for.
    pub reference_rows: usize,
    /// Share of tonight's non-missing values other than it.
    pub share: f64,
    /// Tonight's non-missing values.
    pub rows: usize,
    /// `share / reference_share - 1` (`None` when the reference share is 0: every training
    /// value was the usual one, and PSI and KS judge the change).
    pub relative_change: Option<f64>,
    /// Two-proportion z statistic (pooled variance), tonight against the reference.
    pub z: f64,
    /// Its two-sided p-value.
    pub p_value: f64,
}

impl InputReference {
    /// The usual value of a numeric input and its share of the reference's non-missing values,
    /// when one value holds at least [`USUAL_SHARE`] of them.
    pub fn usual_value(&self) -> Option<(f64, f64)> {
        let Distribution::Numeric { sample, .. } = &self.distribution else {
            return None;
        };
        let (value, count) = longest_run(sample)?;
        let share = count as f64 / sample.len() as f64;
        (share >= USUAL_SHARE).then_some((value, share))
    }
}

/// The value with the longest run in a sorted slice and its length (the first on ties).
fn longest_run(sorted: &[f64]) -> Option<(f64, usize)> {
    let mut best: Option<(f64, usize)> = None;
    let mut start = 0;
    for i in 1..=sorted.len() {
        if i == sorted.len() || sorted[i] != sorted[start] {
            if best.is_none_or(|(_, n)| i - start > n) {
                best = Some((sorted[start], i - start));
            }
            start = i;
        }
    }
    best
}

/// Tonight's `values` (NaN is missing) away from the reference's usual value; `None` when the
/// input has no usual value or tonight has no value.
pub fn usual_value_share(reference: &InputReference, values: &[f64]) -> Option<UsualValueShare> {
    let (usual_value, usual_share) = reference.usual_value()?;
    let Distribution::Numeric { sampled_from, .. } = &reference.distribution else {
        return None;
    };
    let present = values.iter().filter(|v| !v.is_nan()).count();
    if present == 0 {
        return None;
    }
    let away = values
        .iter()
        .filter(|v| !v.is_nan() && **v != usual_value)
        .count();
    let reference_share = 1.0 - usual_share;
    let t = share_test(away, present, reference_share, *sampled_from);
    Some(UsualValueShare {
        usual_value,
        reference_share,
        reference_rows: *sampled_from,
        share: t.share,
        rows: present,
        relative_change: t.relative_change,
        z: t.z,
        p_value: t.p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::longest_run;

    #[test]
    fn longest_run_finds_the_mode_of_a_sorted_slice() {
        assert_eq!(longest_run(&[]), None);
        assert_eq!(longest_run(&[3.0]), Some((3.0, 1)));
        assert_eq!(longest_run(&[0.0, 0.0, 1.0, 2.0, 2.0, 2.0]), Some((2.0, 3)));
        assert_eq!(longest_run(&[0.0, 0.0, 1.0, 1.0]), Some((0.0, 2)));
    }
}
