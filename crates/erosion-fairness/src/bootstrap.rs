//! The seeded bootstrap: resampling rows with replacement, done exactly and fast
//! as a multinomial draw over atoms (rows that share cell, label, decision and
//! score bin), in parallel over replicates with one ChaCha stream per replicate.

use std::sync::atomic::{AtomicUsize, Ordering};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};
use rayon::prelude::*;

use crate::compute::{group_sums, sample_stats, GroupingPlan};
use crate::prep::Prepared;
use crate::stats::quantile_sorted;

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

/// Percentile interval of each statistic at `confidence`, shifted by `shift[j]`
/// (the exact estimate minus the same statistic on the binned data). `None` when
/// the statistic is undefined in more than 5 % of replicates; the second value
/// is the share of replicates in which it was defined.
pub(crate) fn percentile_intervals(
    replicates: &[Vec<f64>],
    confidence: f64,
    shift: &[f64],
) -> Vec<(Option<(f64, f64)>, f64)> {
    let b = replicates.len();
    let alpha = 1.0 - confidence;
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
            if v.is_empty() || share < MIN_DEFINED_SHARE || !shift[j].is_finite() {
                return (None, share);
            }
            v.sort_by(f64::total_cmp);
            let lo = quantile_sorted(&v, alpha / 2.0) + shift[j];
            let hi = quantile_sorted(&v, 1.0 - alpha / 2.0) + shift[j];
            (Some((lo, hi)), share)
        })
        .collect()
}
