//! The two-sample Kolmogorov–Smirnov test, computed as SciPy 1.17's
//! `scipy.stats.ks_2samp(a, b, method="auto")` computes it (two-sided):
//!
//! - the statistic is the largest gap between the two right-continuous empirical CDFs,
//!   evaluated at every observed value;
//! - when both samples hold at most [`MAX_EXACT_N`] values the p-value is exact (lattice paths:
//!   `_compute_prob_outside_square` for equal sizes, Viehmann's 1 − p recursion
//!   `_compute_outer_prob_inside_method` otherwise), and the statistic returned is the
//!   lattice's `h / lcm(n1, n2)`, as SciPy returns it;
//! - otherwise (or when the exact value is not a probability) the p-value is the one-sample
//!   two-sided Kolmogorov distribution's survival function at `round(n1 n2 / (n1 + n2))`
//!   (`scipy.stats.kstwo.sf`, Simard and L'Ecuyer's choice of algorithm: Ruben–Gambino,
//!   Durbin's matrix, Pomeranz, Pelz–Good, or twice the one-sided Smirnov tail).
//!
//! Differences from SciPy's arithmetic are in the last bits only: the one-sided Smirnov sum is
//! taken in logarithms of `f64` where SciPy uses double-double numbers, and Durbin's matrix
//! power runs in `f64` where NumPy promotes it to `long double` once it rescales. The
//! benchmark script (`benches/peers/monitor_exactness.py`) checks agreement to 1e-9.

/// Largest sample size for which SciPy's `method="auto"` computes the exact p-value.
pub const MAX_EXACT_N: usize = 10_000;

/// How the p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KsMethod {
    /// Exact lattice-path probability.
    Exact,
    /// Kolmogorov distribution at the effective sample size.
    Asymptotic,
}

/// A two-sided two-sample KS test result.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KsTest {
    /// Largest gap between the two empirical CDFs.
    pub statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Exact or asymptotic.
    pub method: KsMethod,
}

/// `ks_2samp(a, b)` of two samples (NaN values are dropped); `None` when either is empty.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> Option<KsTest> {
    let mut sorted: Vec<f64> = a.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let counts = KsCounts::new(&sorted, b.iter().copied());
    counts.test()
}

/// One sample, sorted, against another counted at its distinct values: enough for the KS
/// statistic without sorting the second sample (one binary search per value), which is what
/// makes a million rows against a reference sample cheap.
#[derive(Debug, Clone)]
pub struct KsCounts {
    /// Distinct values of the sorted sample.
    distinct: Vec<f64>,
    /// Sorted-sample values at or below each distinct value.
    cum_first: Vec<usize>,
    /// Second-sample values equal to each distinct value.
    equal: Vec<usize>,
    /// Second-sample values strictly between the previous distinct value and this one; the
    /// last entry counts those above every distinct value.
    below: Vec<usize>,
    n1: usize,
    n2: usize,
}

impl KsCounts {
    /// Counts `values` (NaN skipped) against `sorted` (ascending, no NaN).
    pub fn new(sorted: &[f64], values: impl Iterator<Item = f64>) -> KsCounts {
        let mut distinct: Vec<f64> = Vec::new();
        let mut cum_first: Vec<usize> = Vec::new();
        for (i, &v) in sorted.iter().enumerate() {
            if distinct.last() == Some(&v) {
                *cum_first.last_mut().expect("one per distinct") = i + 1;
            } else {
                distinct.push(v);
                cum_first.push(i + 1);
            }
        }
        let mut equal = vec![0usize; distinct.len()];
        let mut below = vec![0usize; distinct.len() + 1];
        let mut n2 = 0;
        for v in values.filter(|v| !v.is_nan()) {
            n2 += 1;
            let k = distinct.partition_point(|&u| u < v);
            if k < distinct.len() && distinct[k] == v {
                equal[k] += 1;
            } else {
                below[k] += 1;
            }
        }
        KsCounts {
            distinct,
            cum_first,
            equal,
            below,
            n1: sorted.len(),
            n2,
        }
    }

    /// Values in the first (sorted) sample and in the second.
    pub fn sizes(&self) -> (usize, usize) {
        (self.n1, self.n2)
    }

    /// The statistic SciPy finds: `max(max(F1 - F2), -min(F1 - F2))` over every observed value,
    /// `F` right-continuous. Between two distinct values of the first sample `F1` is constant, so
    /// the extremes are at those values and at the last second-sample value before each.
    pub fn statistic(&self) -> f64 {
        let (n1, n2) = (self.n1 as f64, self.n2 as f64);
        let (mut max_diff, mut min_diff) = (0.0f64, 0.0f64);
        let mut seen2 = 0usize;
        for k in 0..self.distinct.len() {
            let before1 = if k == 0 { 0 } else { self.cum_first[k - 1] };
            seen2 += self.below[k];
            if self.below[k] > 0 {
                let d = before1 as f64 / n1 - seen2 as f64 / n2;
                max_diff = max_diff.max(d);
                min_diff = min_diff.min(d);
            }
            seen2 += self.equal[k];
            let d = self.cum_first[k] as f64 / n1 - seen2 as f64 / n2;
            max_diff = max_diff.max(d);
            min_diff = min_diff.min(d);
        }
        let min_s = (-min_diff).clamp(0.0, 1.0);
        if min_s > max_diff {
            min_s
        } else {
            max_diff
        }
    }

    /// The statistic and its two-sided p-value; `None` when either sample is empty.
    pub fn test(&self) -> Option<KsTest> {
        if self.n1 == 0 || self.n2 == 0 {
            return None;
        }
        Some(p_value(self.statistic(), self.n1, self.n2))
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// SciPy's `method="auto"` p-value of statistic `d` for sample sizes `n1`, `n2` (both > 0).
pub fn p_value(d: f64, n1: usize, n2: usize) -> KsTest {
    let mut d = d;
    if n1.max(n2) <= MAX_EXACT_N {
        let g = gcd(n1, n2);
        let lcm = (n1 / g) as f64 * n2 as f64;
        let h = (d * lcm).round_ties_even();
        d = h / lcm;
        let h = h as i64;
        if h == 0 {
            return KsTest {
                statistic: d,
                p_value: 1.0,
                method: KsMethod::Exact,
            };
        }
        let prob = if n1 == n2 {
            prob_outside_square(n1 as i64, h)
        } else {
            outer_prob_inside(n1 as i64, n2 as i64, g as i64, h)
        };
        if (0.0..=1.0).contains(&prob) {
            return KsTest {
                statistic: d,
                p_value: prob,
                method: KsMethod::Exact,
            };
        }
    }
    let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
    let en = (m * n / (m + n)).round_ties_even();
    KsTest {
        statistic: d,
        p_value: kolmogorov_sf(en as i64, d).clamp(0.0, 1.0),
        method: KsMethod::Asymptotic,
    }
}

/// `Pr(D_{n,n} >= h/n)` (SciPy's `_compute_prob_outside_square`).
fn prob_outside_square(n: i64, h: i64) -> f64 {
    let mut p = 0.0;
    let mut k = n / h;
    while k >= 0 {
        let mut p1 = 1.0;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// Share of lattice paths from (0, 0) to (m, n) leaving the band `|x/m - y/n| < h / lcm`
/// (SciPy's `_compute_outer_prob_inside_method`, Viehmann's recursion for 1 − p).
fn outer_prob_inside(m: i64, n: i64, g: i64, h: i64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (mg, ng) = (m / g, n / g);
    let (hf, mgf, ngf) = (h as f64, mg as f64, ng as f64);
    let mut minj: i64 = 0;
    let mut maxj: i64 = ((hf / mgf).ceil() as i64).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1) as usize;
    let mut a = vec![1.0f64; len_a];
    for v in a.iter_mut().take(maxj as usize).skip(minj as usize) {
        *v = 0.0;
    }
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        minj = ((((ngf * i as f64) - hf) / mgf).floor() as i64 + 1).max(0);
        minj = minj.min(n);
        maxj = ((((ngf * i as f64) + hf) / mgf).ceil() as i64).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        for jj in 0..(maxj - minj) {
            let j = jj + minj;
            val = (a[(jj + minj - lastminj) as usize] * i as f64 + val * j as f64) / (i + j) as f64;
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let from = (maxj - minj) as usize;
            for v in a.iter_mut().skip(from).take((lastlen - curlen) as usize) {
                *v = 1.0;
            }
        }
    }
    a[(maxj - minj - 1) as usize]
}

/// `scipy.stats.kstwo.sf(x, n)`: survival function of the two-sided one-sample Kolmogorov
/// statistic (SciPy's `_kolmogn(n, x, cdf=False)`).
pub fn kolmogorov_sf(n: i64, x: f64) -> f64 {
    if n <= 0 || x.is_nan() {
        return f64::NAN;
    }
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        if t <= 0.5 {
            return 1.0;
        }
        let cdf = if n <= 140 {
            (1..=n).fold(1.0, |acc, i| {
                acc * (i as f64 * (1.0 / nf) * (2.0 * t - 1.0))
            })
        } else {
            (log_nfactorial_div_n_pow_n(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    if t >= nf - 1.0 {
        return (2.0 * (1.0 - x).powi(n as i32)).clamp(0.0, 1.0);
    }
    if x >= 0.5 {
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    let nxsq = t * x;
    let cdf = if n <= 140 {
        if nxsq <= 0.754693 {
            durbin_cdf(n, x)
        } else if nxsq <= 4.0 {
            pomeranz_cdf(n, x)
        } else {
            return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
        }
    } else {
        if nxsq >= 370.0 {
            return 0.0;
        }
        if nxsq >= 2.2 {
            return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
        }
        if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
            durbin_cdf(n, x)
        } else {
            pelz_good_cdf(nf, x)
        }
    };
    (1.0 - cdf).clamp(0.0, 1.0)
}

// SciPy's `_STIRLING_COEFFS`, digits as SciPy writes them.
#[allow(clippy::excessive_precision)]
const STIRLING: [f64; 8] = [
    -2.955065359477124183e-2,
    6.4102564102564102564e-3,
    -1.9175269175269175269e-3,
    8.4175084175084175084e-4,
    -5.952380952380952381e-4,
    7.9365079365079365079e-4,
    -2.7777777777777777778e-3,
    8.3333333333333333333e-2,
];

/// `ln(n! / n^n)` by Stirling's series (SciPy's `_log_nfactorial_div_n_pow_n`).
fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
    let rn = 1.0 / n;
    let poly = STIRLING.iter().fold(0.0, |acc, &c| acc * (rn / n) + c);
    n.ln() / 2.0 - n + (2.0 * std::f64::consts::PI).ln() / 2.0 + rn * poly
}

const E128: i32 = 128;

/// `Pr(D_n <= d)` by Durbin's matrix, as Marsaglia, Tsang and Wang compute it.
fn durbin_cdf(n: i64, d: f64) -> f64 {
    let nd = n as f64 * d;
    if d >= 1.0 {
        return 1.0;
    }
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powi(j as i32)).collect();
    let mut w = vec![0.0; m];
    let mut fac = 1.0;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] *= fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powi(m as i32) - 2.0 * h.powi(m as i32);
    v[m - 1] = (1.0 + tt) * fac;
    let mut hm = vec![0.0; m * m];
    for i in 1..m {
        for r in (i - 1)..m {
            hm[r * m + i] = w[r - (i - 1)];
        }
    }
    for r in 0..m {
        hm[r * m] = v[r];
    }
    for c in 0..m {
        hm[(m - 1) * m + c] = v[m - 1 - c];
    }
    let (p, expnt) = matrix_power_entry(hm, m, n, k - 1);
    let mut p = p;
    let mut expnt = expnt;
    let ep128 = 2f64.powi(E128);
    let em128 = 2f64.powi(-E128);
    for i in 1..=n {
        p = i as f64 * p / n as f64;
        if p.abs() < em128 {
            p *= ep128;
            expnt -= E128;
        }
    }
    if expnt != 0 {
        p *= 2f64.powi(expnt);
    }
    p.clamp(0.0, 1.0)
}

/// Entry `(k, k)` of `H^n` with a binary exponent kept apart to avoid overflow.
fn matrix_power_entry(mut h: Vec<f64>, m: usize, n: i64, k: usize) -> (f64, i32) {
    let mut pwr = vec![0.0; m * m];
    for i in 0..m {
        pwr[i * m + i] = 1.0;
    }
    let (mut nn, mut expnt, mut hexpnt) = (n, 0i32, 0i32);
    let ep128 = 2f64.powi(E128);
    while nn > 0 {
        if nn % 2 == 1 {
            pwr = matmul(&pwr, &h, m);
            expnt += hexpnt;
        }
        h = matmul(&h, &h, m);
        hexpnt *= 2;
        if h[k * m + k].abs() > ep128 {
            h.iter_mut().for_each(|v| *v /= ep128);
            hexpnt += E128;
        }
        nn /= 2;
    }
    (pwr[k * m + k], expnt)
}

fn matmul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * m];
    for i in 0..m {
        for l in 0..m {
            let av = a[i * m + l];
            if av == 0.0 {
                continue;
            }
            for j in 0..m {
                c[i * m + j] += av * b[l * m + j];
            }
        }
    }
    c
}

fn pomeranz_bounds(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let (ip1div2, ip1mod2) = ((i + 1) / 2, (i + 1) % 2);
        if ip1mod2 == 0 {
            if ip1div2 == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (ip1div2 - 1 - ll - roundf - 1, ip1div2 + ll - 1 + ceilf - 1)
            }
        } else {
            (ip1div2 - 1 - ll - 1, ip1div2 + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// `Pr(D_n <= x)` by Pomeranz's recursion (used by SciPy for n <= 140).
fn pomeranz_cdf(n: i64, x: f64) -> f64 {
    let nf = n as f64;
    let t = nf * x;
    let ll = t.floor() as i64;
    let f = t - ll as f64;
    let g = f.min(1.0 - f);
    let ceilf = i64::from(f > 0.0);
    let roundf = i64::from(f > 0.5);
    let npwrs = (2 * (ll + 1)) as usize;
    let powers = |base: f64| {
        let mut p = vec![1.0; npwrs];
        for m in 1..npwrs {
            p[m] = p[m - 1] * base / m as f64;
        }
        p
    };
    let (gpower, twogpower, onem2gpower) = (
        powers(g / nf),
        powers(2.0 * g / nf),
        powers((1.0 - 2.0 * g) / nf),
    );
    let (ep128, em128) = (2f64.powi(E128), 2f64.powi(-E128));
    let mut v0 = vec![0.0; npwrs];
    let mut v1 = vec![0.0; npwrs];
    v1[0] = 1.0;
    let (mut v0s, mut v1s) = (0i64, 0i64);
    let mut expnt = 0i32;
    let (mut j1, _) = pomeranz_bounds(0, n, ll, ceilf, roundf);
    for i in 1..(2 * n + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.iter_mut().for_each(|v| *v = 0.0);
        let (nj1, j2) = pomeranz_bounds(i, n, ll, ceilf, roundf);
        j1 = nj1;
        let pwrs = if i == 1 || i == 2 * n + 1 {
            &gpower
        } else if i % 2 == 1 {
            &twogpower
        } else {
            &onem2gpower
        };
        let ln2 = j2 - k1 + 1;
        if ln2 > 0 {
            let start = (k1 - v0s) as usize;
            let ln2 = ln2 as usize;
            let src: Vec<f64> = (0..ln2)
                .map(|q| v0.get(start + q).copied().unwrap_or(0.0))
                .collect();
            let conv = convolve(&src, &pwrs[..ln2.min(npwrs)]);
            let conv_start = (j1 - k1) as usize;
            let conv_len = (j2 - j1 + 1).max(0) as usize;
            for (q, slot) in v1.iter_mut().take(conv_len).enumerate() {
                *slot = conv.get(conv_start + q).copied().unwrap_or(0.0);
            }
            let mx = v1.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if 0.0 < mx && mx < em128 {
                v1.iter_mut().for_each(|v| *v *= ep128);
                expnt -= E128;
            }
            v1s = v0s + j1 - k1;
        }
    }
    let mut ans = v1[(n - v1s) as usize];
    for m in 1..=n {
        if ans.abs() > ep128 {
            ans *= em128;
            expnt += E128;
        }
        ans *= m as f64;
    }
    if expnt != 0 {
        ans *= 2f64.powi(expnt);
    }
    ans.clamp(0.0, 1.0)
}

fn convolve(a: &[f64], b: &[f64]) -> Vec<f64> {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    let mut out = vec![0.0; a.len() + b.len() - 1];
    for (i, &x) in a.iter().enumerate() {
        for (j, &y) in b.iter().enumerate() {
            out[i + j] += x * y;
        }
    }
    out
}

/// `Pr(D_n <= x)` by the Pelz–Good approximation (SciPy's `_kolmogn_PelzGood`).
fn pelz_good_cdf(n: f64, x: f64) -> f64 {
    use std::f64::consts::PI;
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let z = n.sqrt() * x;
    let (z2, z3, z4, z6) = (z * z, z.powi(3), z.powi(4), z.powi(6));
    let qlog = -PI * PI / 8.0 / z2;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();
    let (pi2, pi4, pi6) = (PI * PI, PI.powi(4), PI.powi(6));
    let (k1a, k1b) = (-z2, pi2 / 4.0);
    let (k2a, k2b, k2c) = (
        6.0 * z6 + 2.0 * z4,
        (2.0 * z4 - 5.0 * z2) * pi2 / 4.0,
        pi4 * (1.0 - 2.0 * z2) / 16.0,
    );
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powi(8);
    let mut k = [0.0f64; 4];
    let maxk = (16.0 * z / PI).ceil() as i64;
    for kk in (1..=maxk).rev() {
        let m = (2 * kk - 1) as f64;
        let (m2, m4, m6) = (m * m, m.powi(4), m.powi(6));
        let qpower = q.powf(8.0 * kk as f64);
        let coeffs = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m4,
            k3a + k3b * m2 + k3c * m4 + k3d * m6,
        ];
        for (v, c) in k.iter_mut().zip(coeffs) {
            *v = *v * qpower + c;
        }
    }
    let sqrt2pi = (2.0 * PI).sqrt();
    let div = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for (v, d) in k.iter_mut().zip(div) {
        *v = *v * q * sqrt2pi / d;
    }
    let q2 = (-pi2 / 2.0 / z2).exp();
    let sqrt3z = 3f64.sqrt() * z;
    let (mut k2extra, mut k3extra) = (0.0, 0.0);
    for kk in (1..=maxk).rev() {
        let ks = kk as f64;
        let qp = q2.powf(ks * ks);
        k2extra += ks * ks * qp;
        let kspi = PI * ks;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks * ks * qp;
    }
    k[2] += k2extra * pi2 * sqrt2pi / (-36.0 * z3);
    k[3] += k3extra * pi2 * sqrt2pi / (216.0 * z6);
    k.iter()
        .enumerate()
        .map(|(i, v)| v / n.powf(i as f64 / 2.0))
        .sum()
}

const MINLOG: f64 = -7.083_964_185_322_641e2;

/// One-sided Smirnov survival function `Pr(D_n^+ >= x)` (SciPy's `scipy.special.smirnov`):
/// the Birnbaum–Tingey sum, taken in logarithms.
pub fn smirnov_sf(n: i64, x: f64) -> f64 {
    if !(n > 0 && (0.0..=1.0).contains(&x)) {
        return f64::NAN;
    }
    if n == 1 {
        return 1.0 - x;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x == 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    let nx = nf * x;
    let err = nf.mul_add(x, -nx);
    let mut nxfl = nx.floor();
    let mut alpha = (nx - nxfl) + err;
    if alpha < 0.0 {
        nxfl -= 1.0;
        alpha += 1.0;
    }
    if alpha >= 1.0 {
        nxfl += 1.0;
        alpha = 0.0;
    }
    let nxfl = nxfl as i64;
    let mut last = n - nxfl - i64::from(alpha != 0.0);
    if alpha == 0.0 {
        last -= 1;
    }
    if nxfl == 0 || (nxfl == 1 && alpha == 0.0) {
        return (1.0 - x * (1.0 + x).powi((n - 1) as i32)).clamp(0.0, 1.0);
    }
    if -2.0 * nf * x * x < MINLOG {
        return 0.0;
    }
    if nxfl >= n - 1 {
        return (1.0 - x).powi(n as i32).clamp(0.0, 1.0);
    }
    if n > 1_000_000 {
        let logp = -(6.0 * nf * x + 1.0).powi(2) / 18.0 / nf;
        return if logp < -std::f64::consts::LN_2 {
            logp.exp()
        } else {
            1.0 + logp.exp_m1()
        };
    }
    birnbaum_tingey(n, x, last).clamp(0.0, 1.0)
}

/// `x * sum_{v=0}^{last} C(n, v) (1 - x - v/n)^(n-v) (x + v/n)^(v-1)`, stopping as SciPy does
/// once the remaining terms cannot change the sum.
fn birnbaum_tingey(n: i64, x: f64, last: i64) -> f64 {
    let nf = n as f64;
    let n_terms = last + 1;
    let mut sum = (1.0 - x).powi(n as i32) / x;
    let mut ln_binom = 0.0f64;
    for v in 1..n_terms {
        ln_binom += ((n - v + 1) as f64 / v as f64).ln();
        let vf = v as f64;
        let t2 = (n - v) as f64 / nf - x;
        let t1 = vf / nf + x;
        let ln_term = ln_binom + (n - v) as f64 * t2.ln() + (vf - 1.0) * t1.ln();
        let term = ln_term.exp();
        if term.is_finite() {
            sum += term;
        }
        if term != 0.0 {
            if 4.0 * (n_terms - v) as f64 * term.abs() < f64::EPSILON * sum && v != n_terms - 1 {
                break;
            }
        } else if v > n / 2 {
            break;
        }
    }
    x * sum
}
