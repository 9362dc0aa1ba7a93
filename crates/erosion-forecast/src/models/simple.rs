//! Naive and seasonal naive forecasts.

use super::{residual_sd, Fitted};

/// Random walk: every forecast is the last value; sd grows with sqrt(h).
pub(crate) fn naive(y: &[f64], h: usize) -> Fitted {
    let last = *y.last().expect("series are never empty");
    let residuals: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
    let sigma = residual_sd(&residuals, 0);
    let sd: Vec<f64> = (1..=h).map(|k| sigma * (k as f64).sqrt()).collect();
    Fitted::from_sd("Naive".into(), vec![last; h], &sd, residuals)
}

/// Seasonal random walk: the value one season earlier. Falls back to [`naive`] when the series
/// is shorter than one season or `m < 2`.
pub(crate) fn snaive(y: &[f64], m: usize, h: usize) -> Fitted {
    let n = y.len();
    if m < 2 || n < m {
        return naive(y, h);
    }
    let mean: Vec<f64> = (0..h).map(|i| y[n - m + (i % m)]).collect();
    let residuals: Vec<f64> = (m..n).map(|t| y[t] - y[t - m]).collect();
    let sigma = residual_sd(&residuals, 0);
    let sd: Vec<f64> = (0..h)
        .map(|i| sigma * ((i / m + 1) as f64).sqrt())
        .collect();
    Fitted::from_sd(format!("SNaive({m})"), mean, &sd, residuals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snaive_repeats_last_season() {
        let y = [1.0, 2.0, 3.0, 1.0, 2.0, 3.0];
        let f = snaive(&y, 3, 5);
        assert_eq!(f.mean, vec![1.0, 2.0, 3.0, 1.0, 2.0]);
        assert!(f.is_sane());
    }
}
