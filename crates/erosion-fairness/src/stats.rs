//! Small statistical building blocks: the normal quantile, Wilson score
//! intervals, percentiles as numpy computes them.

pub use erosion_core::stats::{normal_cdf, normal_quantile};

/// Wilson score interval for `k` successes out of `n` at the two-sided normal
/// critical value `z`. Returns `None` when `n == 0`.
///
/// Same formula as statsmodels' `proportion_confint(method="wilson")`.
pub fn wilson_interval(k: f64, n: f64, z: f64) -> Option<(f64, f64)> {
    if n <= 0.0 {
        return None;
    }
    let p = k / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(((center - half).max(0.0), (center + half).min(1.0)))
}

/// Quantile `q` in `[0, 1]` of sorted data with linear interpolation between
/// order statistics (numpy's default, "linear"). `sorted` must be non-empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_hand_computation() {
        // 0 of 10: lower bound 0, upper bound z^2/(n+z^2).
        let z = normal_quantile(0.975);
        let (lo, hi) = wilson_interval(0.0, 10.0, z).unwrap();
        assert!(lo.abs() < 1e-15);
        assert!((hi - z * z / (10.0 + z * z)).abs() < 1e-15);
        assert!(wilson_interval(1.0, 0.0, z).is_none());
    }

    #[test]
    fn quantile_is_numpy_linear() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 4.0);
        assert!((quantile_sorted(&v, 0.25) - 1.75).abs() < 1e-15);
        assert_eq!(quantile_sorted(&[5.0], 0.3), 5.0);
    }
}
