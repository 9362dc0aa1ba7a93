//! The seeded bootstrap: resampling rows with replacement, done exactly and fast
//! as a multinomial draw over atoms (rows that share cell, label, decision and
//! score bin), in parallel over replicates with one ChaCha stream per replicate.

use std::sync::atomic::{AtomicUsize, Ordering};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};
use rayon::prelude::*;

use crate::compute::{group_sums, sample_stats, GroupingPlan};
use crate::input::BootstrapInterval;
use crate::prep::Prepared;
use crate::stats::{normal_cdf, normal_quantile, quantile_sorted};

/// Share of replicates in which a statistic must be defined for its interval to
/// be reported.
pub const MIN_DEFINED_SHARE: f64 = 0.95;

/// Row counts drawn of each atom in one replicate: a multinomial draw of `n`
/// rows over atoms with probabilities proportional to their sizes, which is
/// exactly what resampling `n` rows with replacement gives.
fn replicate_weights(prep: &Prepared, cum: &[u64], rng: &mut ChaCha8Rng) -> Vec<f64> {
    let k = prep.atoms.len();
    let n = prep.n as u64;
    let mut w = vec![0.0f64; k];
    if (prep.n as u64) < 8 * k as u64 {
        // Few rows for many atoms: draw the rows themselves.
        for _ in 0..n {
            let r = rng.random_range(0..n);
            let a = cum.partition_point(|&c| c <= r);
            w[a] += 1.0;
        }
    } else {
        // Conditional binomials: k_i ~ Bin(remaining draws, c_i / remaining mass).
        let mut left_draws = n;
        let mut left_mass = n;
        for (wi, atom) in w.iter_mut().zip(&prep.atoms) {
            if left_draws == 0 {
                break;
            }
            let c = atom.count;
            let drawn = if c >= left_mass {
                left_draws
            } else {
                let p = c as f64 / left_mass as f64;
                Binomial::new(left_draws, p)
                    .expect("p is a probability")
                    .sample(rng)
            };
            *wi = drawn as f64;
            left_draws -= drawn;
            left_mass -= c;
        }
    }
    w
}

/// Runs `replicates` bootstrap replicates and returns their flattened statistics.
pub(crate) fn run(
    prep: &Prepared,
    plans: &[GroupingPlan],
    replicates: usize,
    seed: u64,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Vec<f64>> {
    let mut cum = Vec::with_capacity(prep.atoms.len());
    let mut total = 0u64;
    for a in &prep.atoms {
        total += a.count;
        cum.push(total);
    }
    let done = AtomicUsize::new(0);
    (0..replicates)
        .into_par_iter()
        .map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(r as u64);
            let w = replicate_weights(prep, &cum, &mut rng);
            let sums = group_sums(&prep.atoms, &w, &prep.groupings);
            let flat = sample_stats(&sums, plans).flatten();
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress(d, replicates);
            flat
        })
        .collect()
}

/// The quantile levels of a `confidence` interval read off sorted replicates `v` of a statistic
/// whose estimate on the resampled data is `center`.
///
/// Percentile: `alpha/2` and `1 - alpha/2`. Bias-corrected (Efron 1981; BCa without the
/// acceleration): with `z0` the normal quantile of the share of replicates below the estimate
/// (ties count half), the levels are `Phi(2 z0 + z_(alpha/2))` and `Phi(2 z0 + z_(1-alpha/2))`.
/// When the replicates sit mostly on one side of the estimate, as the max/min of group rates do
/// (the largest of several noisy rates is biased up), the interval moves back over the estimate
/// instead of leaving it at one edge.
fn levels(v: &[f64], center: f64, confidence: f64, method: BootstrapInterval) -> (f64, f64) {
    let alpha = 1.0 - confidence;
    match method {
        BootstrapInterval::Percentile => (alpha / 2.0, 1.0 - alpha / 2.0),
        BootstrapInterval::BiasCorrected => {
            let below = v.partition_point(|&x| x < center);
            let equal = v[below..].partition_point(|&x| x <= center);
            let b = v.len() as f64;
            let share = ((below as f64 + 0.5 * equal as f64) / b).clamp(0.5 / b, 1.0 - 0.5 / b);
            let z0 = normal_quantile(share);
            let z = normal_quantile(alpha / 2.0);
            (normal_cdf(2.0 * z0 + z), normal_cdf(2.0 * z0 - z))
        }
    }
}

/// Interval of each statistic at `confidence` by `method`, shifted by `shift[j]` (the exact
/// estimate minus the same statistic on the binned data, `center[j]`, which the replicates
/// resample). `None` when the statistic is undefined in more than 5 % of replicates; the second
/// value is the share of replicates in which it was defined.
pub(crate) fn intervals(
    replicates: &[Vec<f64>],
    confidence: f64,
    shift: &[f64],
    center: &[f64],
    method: BootstrapInterval,
) -> Vec<(Option<(f64, f64)>, f64)> {
    let b = replicates.len();
    (0..shift.len())
        .into_par_iter()
        .map(|j| {
            if b == 0 {
                return (None, 0.0);
            }
            let mut v: Vec<f64> = replicates
                .iter()
                .map(|r| r[j])
                .filter(|x| x.is_finite())
                .collect();
            let share = v.len() as f64 / b as f64;
            if v.is_empty()
                || share < MIN_DEFINED_SHARE
                || !shift[j].is_finite()
                || !center[j].is_finite()
            {
                return (None, share);
            }
            v.sort_by(f64::total_cmp);
            let q = |level: f64| quantile_sorted(&v, level) + shift[j];
            let (pa, pb) = levels(&v, center[j], confidence, BootstrapInterval::Percentile);
            let (qa, qb) = levels(&v, center[j], confidence, method);
            // The bias-corrected interval is widened to hold the percentile one: where the
            // replicates pile up at a bound (the lowest over the highest of two equal rates is
            // at most 1) the correction alone would squeeze the interval against the bound.
            let lo = q(qa.min(pa));
            let hi = q(qb.max(pb));
            (Some((lo, hi)), share)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replicates mostly above the estimate: the percentile interval leaves the estimate near
    /// its lower end; the bias-corrected levels move down to the lowest replicates.
    #[test]
    fn bias_correction_moves_the_levels_towards_the_estimate() {
        let v: Vec<f64> = (0..1000).map(|i| 0.5 + i as f64 / 1000.0).collect();
        let (a, b) = levels(&v, 1.0005, 0.95, BootstrapInterval::BiasCorrected);
        assert!(
            (a - 0.025).abs() < 1e-3 && (b - 0.975).abs() < 1e-3,
            "no bias: {a} {b}"
        );
        // 10.1 % of replicates below: z0 = Phi^-1(0.101) = -1.2759, levels Phi(2 z0 -+ 1.96)
        let (a, b) = levels(&v, 0.6005, 0.95, BootstrapInterval::BiasCorrected);
        let z0 = normal_quantile(0.101);
        assert!((a - normal_cdf(2.0 * z0 - 1.959_964)).abs() < 1e-6, "{a}");
        assert!(a < 1e-4, "{a}");
        assert!((b - normal_cdf(2.0 * z0 + 1.959_964)).abs() < 1e-6, "{b}");
        assert!((b - 0.276).abs() < 2e-3, "{b}");
        let (a, b) = levels(&v, 0.6005, 0.95, BootstrapInterval::Percentile);
        assert!((a - 0.025).abs() < 1e-12 && (b - 0.975).abs() < 1e-12);
    }
}
