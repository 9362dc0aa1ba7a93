//! Accuracy measures, defined as the M4 organisers define them.

/// Symmetric MAPE in percent: the mean of `200·|y − f| / (|y| + |f|)`. A step where both the
/// actual and the forecast are 0 counts as a perfect forecast (0) rather than 0/0.
pub fn smape(actual: &[f64], forecast: &[f64]) -> f64 {
    let n = actual.len().min(forecast.len());
    if n == 0 {
        return 0.0;
    }
    actual
        .iter()
        .zip(forecast)
        .map(|(a, f)| {
            let d = a.abs() + f.abs();
            if d == 0.0 {
                0.0
            } else {
                200.0 * (a - f).abs() / d
            }
        })
        .sum::<f64>()
        / n as f64
}

/// In-sample scale of MASE: the mean absolute difference at lag `m` of `insample`
/// (lag 1 when the series is too short for lag `m`). 0 for a constant series.
pub fn mase_scale(insample: &[f64], m: usize) -> f64 {
    let m = if m >= 1 && insample.len() > m { m } else { 1 };
    if insample.len() <= m {
        return 0.0;
    }
    let k = insample.len() - m;
    (m..insample.len())
        .map(|t| (insample[t] - insample[t - m]).abs())
        .sum::<f64>()
        / k as f64
}

/// Mean absolute scaled error: the forecast's mean absolute error over [`mase_scale`].
/// When the scale is 0 (a constant history) the error is scaled by the mean absolute value of
/// the history instead, or left unscaled when that is 0 too, so the result is never NaN.
pub fn mase(insample: &[f64], actual: &[f64], forecast: &[f64], m: usize) -> f64 {
    let n = actual.len().min(forecast.len());
    if n == 0 {
        return 0.0;
    }
    let mae = actual
        .iter()
        .zip(forecast)
        .map(|(a, f)| (a - f).abs())
        .sum::<f64>()
        / n as f64;
    let mut scale = mase_scale(insample, m);
    if scale <= 0.0 {
        scale = crate::stats::mean(&insample.iter().map(|v| v.abs()).collect::<Vec<_>>());
    }
    if scale <= 0.0 {
        scale = 1.0;
    }
    mae / scale
}

/// Share of actual values inside `[lo, hi]` (0 to 1).
pub fn coverage(actual: &[f64], lo: &[f64], hi: &[f64]) -> f64 {
    let n = actual.len().min(lo.len()).min(hi.len());
    if n == 0 {
        return 0.0;
    }
    (0..n)
        .filter(|&i| actual[i] >= lo[i] && actual[i] <= hi[i])
        .count() as f64
        / n as f64
}

/// Overall weighted average, M4's headline measure: the mean of sMAPE and MASE, each relative to
/// the Naive2 benchmark's value on the same series.
pub fn owa(smape: f64, mase: f64, naive2_smape: f64, naive2_mase: f64) -> f64 {
    0.5 * (smape / naive2_smape + mase / naive2_mase)
}

/// Standard normal cumulative distribution ([`erosion_core::stats::normal_cdf`], the one the
/// audit and the monitor use), with a NaN `z` (an alert level on a zero-width interval) read
/// as even odds.
pub fn normal_cdf(z: f64) -> f64 {
    if z.is_nan() {
        0.5
    } else {
        erosion_core::stats::normal_cdf(z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smape_and_mase_by_hand() {
        let s = smape(&[100.0, 0.0], &[110.0, 0.0]);
        assert!((s - 0.5 * 200.0 * 10.0 / 210.0).abs() < 1e-12);
        // scale: mean |diff| of [1,3,2] = (2+1)/2 = 1.5; MAE 3
        assert!((mase(&[1.0, 3.0, 2.0], &[5.0], &[2.0], 1) - 2.0).abs() < 1e-12);
        assert_eq!(mase(&[2.0, 2.0], &[2.0], &[2.0], 1), 0.0);
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-14);
        assert!((normal_cdf(-1.0) - 0.158_655_253_931_457_05).abs() < 1e-14);
        assert_eq!(normal_cdf(f64::NAN), 0.5);
    }
}
