//! Numerical helpers shared by the models: autocorrelation, the M4 seasonality test, classical
//! decomposition, a Nelder-Mead minimiser, robust scale and a small deterministic RNG.

/// z for a central 80 % normal interval.
pub(crate) const Z80: f64 = 1.281_551_565_544_600_4;
/// z for a central 95 % normal interval.
pub(crate) const Z95: f64 = 1.959_963_984_540_054;

pub(crate) fn mean(y: &[f64]) -> f64 {
    if y.is_empty() {
        0.0
    } else {
        y.iter().sum::<f64>() / y.len() as f64
    }
}

/// Sample autocorrelation at lags `1..=max_lag` (R's `acf`, biased denominator).
pub(crate) fn acf(y: &[f64], max_lag: usize) -> Vec<f64> {
    let n = y.len();
    let m = mean(y);
    let denom: f64 = y.iter().map(|v| (v - m) * (v - m)).sum();
    (1..=max_lag)
        .map(|k| {
            if k >= n || denom <= 0.0 {
                return 0.0;
            }
            let num: f64 = (k..n).map(|t| (y[t] - m) * (y[t - k] - m)).sum();
            num / denom
        })
        .collect()
}

/// The M4 organisers' seasonality test: the series has at least `3m` points and the lag-`m`
/// autocorrelation exceeds `1.645·sqrt((1 + 2·Σ_{k<m} r_k²)/n)` (one-sided 90 %).
pub(crate) fn seasonality_test(y: &[f64], m: usize) -> bool {
    let n = y.len();
    if m < 2 || n < 3 * m {
        return false;
    }
    let r = acf(y, m);
    let s: f64 = r[..m - 1].iter().map(|v| v * v).sum();
    let limit = 1.645 * ((1.0 + 2.0 * s) / n as f64).sqrt();
    r[m - 1].abs() > limit
}

/// M4's seasonal adjustment: the multiplicative classical indices of `y` at season `m` when
/// M4's seasonality test passes, else `None` (also for `m < 2` and for series too short or not
/// strictly positive). The one rule behind Naive2, Theta and the long-season ETS and ARIMA.
pub(crate) fn m4_seasonal_indices(y: &[f64], m: usize) -> Option<Vec<f64>> {
    if seasonality_test(y, m) {
        classical_seasonal_indices(y, m, true)
    } else {
        None
    }
}

/// `y` divided by its multiplicative seasonal indices (`si[t % m]` for observation `t`).
pub(crate) fn deseasonalise(y: &[f64], si: &[f64]) -> Vec<f64> {
    let m = si.len();
    y.iter().enumerate().map(|(t, v)| v / si[t % m]).collect()
}

/// Seasonal indices of a classical decomposition (R's `decompose`), one per position in the
/// season, aligned so that `index[t % m]` belongs to observation `t`. Multiplicative indices
/// average 1, additive ones 0. Returns `None` when the series is too short (< 2 seasons) or,
/// for multiplicative, not strictly positive.
pub(crate) fn classical_seasonal_indices(
    y: &[f64],
    m: usize,
    multiplicative: bool,
) -> Option<Vec<f64>> {
    let n = y.len();
    if m < 2 || n < 2 * m || (multiplicative && y.iter().any(|v| *v <= 0.0)) {
        return None;
    }
    // Centred moving average of order m (2×m when m is even), as stats::filter does.
    let half = m / 2;
    let mut trend = vec![f64::NAN; n];
    let weights: Vec<f64> = if m.is_multiple_of(2) {
        let mut w = vec![1.0 / m as f64; m + 1];
        w[0] = 0.5 / m as f64;
        w[m] = 0.5 / m as f64;
        w
    } else {
        vec![1.0 / m as f64; m]
    };
    let span = weights.len();
    for (t, slot) in trend
        .iter_mut()
        .enumerate()
        .take(n.saturating_sub(span - 1 - half))
        .skip(half)
    {
        let start = t - half;
        *slot = (0..span).map(|k| weights[k] * y[start + k]).sum();
    }
    let mut sums = vec![0.0; m];
    let mut counts = vec![0usize; m];
    for t in 0..n {
        if trend[t].is_nan() {
            continue;
        }
        let d = if multiplicative {
            y[t] / trend[t]
        } else {
            y[t] - trend[t]
        };
        if d.is_finite() {
            sums[t % m] += d;
            counts[t % m] += 1;
        }
    }
    if counts.contains(&0) {
        return None;
    }
    let mut figure: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, c)| s / *c as f64)
        .collect();
    let fm = mean(&figure);
    for f in &mut figure {
        if multiplicative {
            *f /= fm;
        } else {
            *f -= fm;
        }
    }
    if figure
        .iter()
        .any(|f| !f.is_finite() || (multiplicative && *f <= 0.0))
    {
        return None;
    }
    Some(figure)
}

/// Median of a slice (NaN-free input); 0 for an empty slice.
pub(crate) fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let k = s.len() / 2;
    if s.len() % 2 == 1 {
        s[k]
    } else {
        0.5 * (s[k - 1] + s[k])
    }
}

/// Median absolute deviation scaled to be consistent with the normal standard deviation.
pub(crate) fn mad(v: &[f64]) -> f64 {
    let m = median(v);
    let dev: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    1.4826 * median(&dev)
}

/// Nelder-Mead minimisation of `f` from `x0` with initial simplex steps `step`.
/// Returns the best point and its value. `f` may return `f64::INFINITY` for infeasible points.
pub(crate) fn nelder_mead(
    f: &mut dyn FnMut(&[f64]) -> f64,
    x0: &[f64],
    step: &[f64],
    max_evals: usize,
    tol: f64,
) -> (Vec<f64>, f64) {
    let d = x0.len();
    let mut simplex: Vec<Vec<f64>> = Vec::with_capacity(d + 1);
    simplex.push(x0.to_vec());
    for i in 0..d {
        let mut p = x0.to_vec();
        p[i] += step[i];
        simplex.push(p);
    }
    let mut vals: Vec<f64> = simplex.iter().map(|p| f(p)).collect();
    let mut evals = d + 1;
    while evals < max_evals {
        // order
        let mut idx: Vec<usize> = (0..=d).collect();
        idx.sort_by(|&a, &b| vals[a].total_cmp(&vals[b]));
        simplex = idx.iter().map(|&i| simplex[i].clone()).collect();
        vals = idx.iter().map(|&i| vals[i]).collect();
        let (best, worst) = (vals[0], vals[d]);
        if worst.is_finite() && (worst - best).abs() <= tol * (best.abs() + tol) {
            break;
        }
        let centroid: Vec<f64> = (0..d)
            .map(|j| simplex[..d].iter().map(|p| p[j]).sum::<f64>() / d as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            (0..d)
                .map(|j| centroid[j] + t * (simplex[d][j] - centroid[j]))
                .collect()
        };
        let xr = along(-1.0);
        let fr = f(&xr);
        evals += 1;
        if fr < vals[0] {
            let xe = along(-2.0);
            let fe = f(&xe);
            evals += 1;
            if fe < fr {
                simplex[d] = xe;
                vals[d] = fe;
            } else {
                simplex[d] = xr;
                vals[d] = fr;
            }
        } else if fr < vals[d - 1] {
            simplex[d] = xr;
            vals[d] = fr;
        } else {
            let (xc, fc) = if fr < vals[d] {
                let x = along(-0.5);
                let v = f(&x);
                (x, v)
            } else {
                let x = along(0.5);
                let v = f(&x);
                (x, v)
            };
            evals += 1;
            if fc < vals[d].min(fr) {
                simplex[d] = xc;
                vals[d] = fc;
            } else {
                for i in 1..=d {
                    let p: Vec<f64> = (0..d)
                        .map(|j| simplex[0][j] + 0.5 * (simplex[i][j] - simplex[0][j]))
                        .collect();
                    vals[i] = f(&p);
                    simplex[i] = p;
                }
                evals += d;
            }
        }
    }
    let (bi, _) = vals
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .expect("simplex is never empty");
    (simplex[bi].clone(), vals[bi])
}

/// Levenberg-Marquardt for nonlinear least squares: minimises `Σ r(x)²` where `resid(x, out)`
/// writes the residual vector into `out` (and returns false for an infeasible `x`). The Jacobian
/// is taken by forward differences with steps `scale[i]·1e-6`. Returns the best point and SSE.
pub(crate) fn levenberg_marquardt(
    resid: &mut dyn FnMut(&[f64], &mut Vec<f64>) -> bool,
    x0: &[f64],
    scale: &[f64],
    max_iter: usize,
) -> (Vec<f64>, f64) {
    let d = x0.len();
    let mut x = x0.to_vec();
    let mut r = Vec::new();
    if !resid(&x, &mut r) {
        return (x, f64::INFINITY);
    }
    let sse = |v: &[f64]| v.iter().map(|e| e * e).sum::<f64>();
    let mut f = sse(&r);
    if d == 0 || !f.is_finite() {
        return (x, f);
    }
    let mut lambda = 1e-3;
    let mut jac = vec![Vec::new(); d];
    let mut trial = Vec::new();
    for _ in 0..max_iter {
        // Jacobian columns.
        for i in 0..d {
            let step = 1e-6 * scale[i].max(x[i].abs() * 1e-3).max(1e-12);
            let mut xp = x.clone();
            xp[i] += step;
            if !resid(&xp, &mut jac[i]) || jac[i].len() != r.len() {
                return (x, f);
            }
            for (j, v) in jac[i].iter_mut().enumerate() {
                *v = (*v - r[j]) / step;
            }
        }
        let mut a = vec![vec![0.0; d]; d];
        let mut g = vec![0.0; d];
        for i in 0..d {
            g[i] = jac[i].iter().zip(&r).map(|(j, e)| j * e).sum();
            for k in i..d {
                let v: f64 = jac[i].iter().zip(&jac[k]).map(|(p, q)| p * q).sum();
                a[i][k] = v;
                a[k][i] = v;
            }
        }
        let mut improved = false;
        while lambda < 1e10 {
            let mut m = a.clone();
            for (i, row) in m.iter_mut().enumerate() {
                row[i] += lambda * a[i][i].max(1e-12);
            }
            let rhs: Vec<f64> = g.iter().map(|v| -v).collect();
            let Some(delta) = solve(m, rhs) else {
                lambda *= 10.0;
                continue;
            };
            let xn: Vec<f64> = x.iter().zip(&delta).map(|(p, q)| p + q).collect();
            if resid(&xn, &mut trial) && trial.len() == r.len() {
                let fn_ = sse(&trial);
                if fn_.is_finite() && fn_ < f {
                    let rel = (f - fn_) / f.max(1e-300);
                    x = xn;
                    std::mem::swap(&mut r, &mut trial);
                    f = fn_;
                    lambda = (lambda / 10.0).max(1e-12);
                    improved = true;
                    if rel < 1e-6 {
                        return (x, f);
                    }
                    break;
                }
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    (x, f)
}

/// Gaussian elimination with partial pivoting; `None` for a singular system.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-300 || !a[p][c].is_finite() {
            return None;
        }
        a.swap(c, p);
        b.swap(c, p);
        let pivot_row = a[c].clone();
        for i in c + 1..n {
            let f = a[i][c] / pivot_row[c];
            if f != 0.0 {
                for (x, p) in a[i][c..].iter_mut().zip(&pivot_row[c..]) {
                    *x -= f * p;
                }
                b[i] -= f * b[c];
            }
        }
    }
    let mut x = vec![0.0; n];
    for c in (0..n).rev() {
        let s: f64 = (c + 1..n).map(|k| a[c][k] * x[k]).sum();
        x[c] = (b[c] - s) / a[c][c];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Ordinary least squares of `y` on `1, t` (t = 0..n-1): (intercept, slope).
pub(crate) fn linear_fit(y: &[f64]) -> (f64, f64) {
    let n = y.len() as f64;
    if y.len() < 2 {
        return (y.first().copied().unwrap_or(0.0), 0.0);
    }
    let tm = (n - 1.0) / 2.0;
    let ym = mean(y);
    let mut sxy = 0.0;
    let mut sxx = 0.0;
    for (t, v) in y.iter().enumerate() {
        let dt = t as f64 - tm;
        sxy += dt * (v - ym);
        sxx += dt * dt;
    }
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (ym - b * tm, b)
}

/// A small deterministic generator (SplitMix64) with Box-Muller normals, for simulated intervals.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Empirical quantile (type 7) of a sorted slice.
pub(crate) fn quantile_sorted(s: &[f64], p: f64) -> f64 {
    if s.is_empty() {
        return f64::NAN;
    }
    let h = (s.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    s[lo] + (h - lo as f64) * (s[hi] - s[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nelder_mead_finds_quadratic_minimum() {
        let mut f = |x: &[f64]| (x[0] - 1.5).powi(2) + 3.0 * (x[1] + 0.5).powi(2);
        let (x, v) = nelder_mead(&mut f, &[0.0, 0.0], &[0.5, 0.5], 2000, 1e-12);
        assert!(
            (x[0] - 1.5).abs() < 1e-3 && (x[1] + 0.5).abs() < 1e-3,
            "{x:?}"
        );
        assert!(v < 1e-6);
    }

    #[test]
    fn levenberg_marquardt_fits_an_exponential() {
        let t: Vec<f64> = (0..20).map(f64::from).collect();
        let y: Vec<f64> = t.iter().map(|t| 3.0 * (-0.2 * t).exp()).collect();
        let mut r = |x: &[f64], out: &mut Vec<f64>| {
            out.clear();
            out.extend(t.iter().zip(&y).map(|(t, y)| y - x[0] * (-x[1] * t).exp()));
            true
        };
        let (x, f) = levenberg_marquardt(&mut r, &[1.0, 0.05], &[1.0, 0.1], 100);
        assert!(
            (x[0] - 3.0).abs() < 1e-5 && (x[1] - 0.2).abs() < 1e-6,
            "{x:?}"
        );
        assert!(f < 1e-10);
    }

    #[test]
    fn seasonality_test_detects_a_cycle_and_not_noise() {
        let y: Vec<f64> = (0..60)
            .map(|t| 10.0 + (t as f64 * std::f64::consts::TAU / 12.0).sin())
            .collect();
        assert!(seasonality_test(&y, 12));
        let mut rng = Rng::new(7);
        let noise: Vec<f64> = (0..60).map(|_| 10.0 + rng.normal()).collect();
        assert!(!seasonality_test(&noise, 12));
        assert!(!seasonality_test(&y[..30], 12), "needs 3 seasons");
    }

    #[test]
    fn decomposition_recovers_multiplicative_pattern() {
        let pattern = [0.8, 1.0, 1.2, 1.0];
        let y: Vec<f64> = (0..40).map(|t| 100.0 * pattern[t % 4]).collect();
        let idx = classical_seasonal_indices(&y, 4, true).unwrap();
        for (a, b) in idx.iter().zip(pattern) {
            assert!((a - b).abs() < 1e-9, "{idx:?}");
        }
    }
}
