//! The standard Theta method (Assimakopoulos & Nikolopoulos 2000) as the M4 organisers run it:
//! theta lines 0 and 2, SES on line 2, equal weights; on data seasonally adjusted by classical
//! multiplicative decomposition when the 90 % autocorrelation test at lag `m` finds seasonality.

use super::{residual_sd, Fitted};
use crate::stats::{self, nelder_mead};

/// Simple exponential smoothing fitted by least squares over alpha and the initial level.
/// Returns (alpha, final level, one-step in-sample predictions).
pub(crate) fn ses(y: &[f64]) -> (f64, f64, Vec<f64>) {
    let run = |alpha: f64, l0: f64| -> (f64, f64, Vec<f64>) {
        let mut l = l0;
        let mut sse = 0.0;
        let mut fitted = Vec::with_capacity(y.len());
        for &v in y {
            fitted.push(l);
            let e = v - l;
            sse += e * e;
            l += alpha * e;
        }
        (sse, l, fitted)
    };
    if y.len() < 3 {
        let l = *y.last().expect("non-empty");
        return (1.0, l, y.iter().map(|_| y[0]).collect());
    }
    let mut obj = |x: &[f64]| {
        if !(1e-4..=0.9999).contains(&x[0]) {
            return f64::INFINITY;
        }
        run(x[0], x[1]).0
    };
    let scale = {
        let d: Vec<f64> = y.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
        stats::mean(&d).max(1e-8 * y[0].abs().max(1.0))
    };
    let (x, _) = nelder_mead(&mut obj, &[0.3, y[0]], &[0.2, scale], 400, 1e-12);
    let (_, l, fitted) = run(x[0], x[1]);
    (x[0], l, fitted)
}

/// Standard Theta with M4's seasonal adjustment at season length `m` (1 disables it).
pub(crate) fn theta(y: &[f64], m: usize, h: usize) -> Fitted {
    let n = y.len();
    let indices = stats::m4_seasonal_indices(y, m);
    let des: Vec<f64> = match &indices {
        Some(si) => stats::deseasonalise(y, si),
        None => y.to_vec(),
    };
    let (a, b) = stats::linear_fit(&des);
    let theta2: Vec<f64> = des
        .iter()
        .enumerate()
        .map(|(t, v)| 2.0 * v - (a + b * t as f64))
        .collect();
    let (alpha, level, ses_in) = ses(&theta2);
    let fitted_in: Vec<f64> = (0..n)
        .map(|t| 0.5 * ses_in[t] + 0.5 * (a + b * t as f64))
        .collect();
    let mean: Vec<f64> = (0..h)
        .map(|i| 0.5 * level + 0.5 * (a + b * (n + i) as f64))
        .collect();
    let res_des: Vec<f64> = des.iter().zip(&fitted_in).map(|(v, f)| v - f).collect();
    let sigma = residual_sd(&res_des, 3);
    let sd: Vec<f64> = (1..=h)
        .map(|k| sigma * (1.0 + (k as f64 - 1.0) * alpha * alpha).sqrt())
        .collect();
    let (name, residuals) = match &indices {
        Some(si) => (
            format!("Theta(seasonal {m})"),
            (0..n).map(|t| y[t] - fitted_in[t] * si[t % m]).collect(),
        ),
        None => ("Theta".to_string(), res_des),
    };
    let mut f = Fitted::from_sd(name, mean, &sd, residuals);
    if let Some(si) = &indices {
        let factors: Vec<f64> = (0..h).map(|i| si[(n + i) % m]).collect();
        f.scale_by(&factors);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ses_recovers_level() {
        let y = vec![4.0; 20];
        let (_, l, _) = ses(&y);
        assert!((l - 4.0).abs() < 1e-6);
    }

    #[test]
    fn theta_extrapolates_a_trend_at_half_slope() {
        // Standard Theta = SES with drift b/2: on an exact line the forecast rises at half the
        // slope from a start between the last value and the line.
        let y: Vec<f64> = (0..30).map(|t| 10.0 + t as f64).collect();
        let f = theta(&y, 1, 4);
        for w in f.mean.windows(2) {
            assert!((w[1] - w[0] - 0.5).abs() < 1e-6, "{:?}", f.mean);
        }
        assert!(
            f.mean[0] >= 39.0 - 1e-6 && f.mean[0] <= 40.0 + 1e-6,
            "{:?}",
            f.mean
        );
    }
}
