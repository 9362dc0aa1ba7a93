//! Seasonal ARIMA with automatic order selection in the Hyndman-Khandakar way: differencing
//! chosen by KPSS tests (and a seasonal-strength test for the seasonal difference), then a
//! stepwise search over (p, q, P, Q, constant) by AICc. Coefficients are estimated by
//! conditional sum of squares with a stationarity- and invertibility-preserving
//! reparametrisation (partial autocorrelations through `tanh`, as R's `arima` does for AR).
//!
//! Seasonal ARIMA terms are used for season lengths up to 24. For longer seasons (weekly data
//! with `m = 52`), a seasonal ARIMA has too many lags to estimate well from a few years of
//! data: the series is then seasonally adjusted by classical multiplicative decomposition when
//! M4's seasonality test says so, a non-seasonal ARIMA is fitted, and forecasts and bands are
//! re-seasonalised.

use std::collections::HashSet;

use super::{simple, Fitted};
use crate::stats::{self, nelder_mead};

/// Largest season length modelled with seasonal ARIMA terms.
pub(crate) const MAX_SARIMA_SEASON: usize = 24;

/// ARIMA is fitted to at most this many of the latest observations (the differencing tests
/// and the order search then cost the same on a 50-year history as on a 10-year one).
pub(crate) const MAX_FIT_LEN: usize = 520;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Order {
    p: usize,
    q: usize,
    sp: usize,
    sq: usize,
    constant: bool,
}

#[derive(Debug, Clone)]
struct ArimaFit {
    order: Order,
    phi: Vec<f64>,
    theta: Vec<f64>,
    sphi: Vec<f64>,
    stheta: Vec<f64>,
    mu: f64,
    sigma2: f64,
    aicc: f64,
    /// Residuals of the differenced series (leading zeros where undefined).
    resid: Vec<f64>,
}

/// Durbin-Levinson map from partial autocorrelations in (-1, 1) to stationary AR coefficients.
fn pacf_to_ar(pacf: &[f64]) -> Vec<f64> {
    let p = pacf.len();
    let mut a = vec![0.0; p];
    let mut work = vec![0.0; p];
    for k in 0..p {
        a[k] = pacf[k];
        for j in 0..k {
            work[j] = a[j] - pacf[k] * a[k - 1 - j];
        }
        a[..k].copy_from_slice(&work[..k]);
    }
    a
}

fn ar_from_raw(raw: &[f64]) -> Vec<f64> {
    let pacf: Vec<f64> = raw.iter().map(|v| v.tanh() * 0.995).collect();
    pacf_to_ar(&pacf)
}

/// Multiplies polynomials given as lag coefficients `1 - Σ a_i B^i` (AR convention) and
/// returns the coefficients of the product in the same convention.
fn ar_product(a: &[f64], seasonal: &[f64], m: usize) -> Vec<f64> {
    // (1 - Σ a_i B^i)(1 - Σ s_j B^{jm}) = 1 - Σ c_k B^k
    let len = a.len() + seasonal.len() * m;
    let mut full = vec![0.0; len + 1];
    full[0] = 1.0;
    for (i, v) in a.iter().enumerate() {
        full[i + 1] -= v;
    }
    let mut out = vec![0.0; len + 1];
    let mut sfull = vec![0.0; seasonal.len() * m + 1];
    sfull[0] = 1.0;
    for (j, v) in seasonal.iter().enumerate() {
        sfull[(j + 1) * m] -= v;
    }
    for (i, x) in full.iter().enumerate() {
        if *x == 0.0 {
            continue;
        }
        for (j, y) in sfull.iter().enumerate() {
            if i + j <= len {
                out[i + j] += x * y;
            }
        }
    }
    out[1..].iter().map(|v| -v).collect()
}

/// Same for MA polynomials `1 + Σ b_i B^i`.
fn ma_product(a: &[f64], seasonal: &[f64], m: usize) -> Vec<f64> {
    let neg = |v: &[f64]| v.iter().map(|x| -x).collect::<Vec<_>>();
    neg(&ar_product(&neg(a), &neg(seasonal), m))
}

/// The non-zero coefficients of a lag polynomial as `(lag, coefficient)`, lag 1 first. A
/// seasonal product such as (1 - phi B)(1 - Phi B^52) has 53 lags but 3 non-zero terms.
fn sparse(poly: &[f64]) -> Vec<(usize, f64)> {
    poly.iter()
        .enumerate()
        .filter(|(_, &c)| c != 0.0)
        .map(|(i, &c)| (i + 1, c))
        .collect()
}

/// Residuals for `t >= ar.len()` written into `out` (reused between calls); returns the SSE.
/// The hot loop of the whole crate: only the polynomials' non-zero lags are visited (a zero
/// term would leave the residual unchanged), in increasing lag order as the dense sum would.
fn css_into(w: &[f64], mu: f64, ar: &[f64], ma: &[f64], out: &mut Vec<f64>) -> f64 {
    let start = ar.len();
    let (ar_nz, ma_nz) = (sparse(ar), sparse(ma));
    out.clear();
    out.reserve(w.len().saturating_sub(start));
    let mu_ar = mu * (1.0 - ar.iter().sum::<f64>());
    let mut sse = 0.0;
    for t in start..w.len() {
        let mut v = w[t] - mu_ar;
        for &(lag, a) in &ar_nz {
            v -= a * w[t - lag];
        }
        let k = t - start;
        for &(lag, b) in &ma_nz {
            if lag > k {
                break;
            }
            v -= b * out[k - lag];
        }
        out.push(v);
        sse += v * v;
    }
    sse
}

/// Conditional sum of squares residuals of `w - mu` under the ARMA polynomials, one per
/// observation (0 before the first the AR terms can predict), with the SSE and their count:
/// [`css_into`]'s residuals, the very numbers the optimiser minimised.
fn css_residuals(w: &[f64], mu: f64, ar: &[f64], ma: &[f64]) -> (f64, usize, Vec<f64>) {
    let start = ar.len().min(w.len());
    let mut out = Vec::new();
    let sse = css_into(w, mu, ar, ma, &mut out);
    let mut e = vec![0.0; start];
    e.extend(out);
    (sse, w.len() - start, e)
}

fn fit_order(w: &[f64], order: Order, m: usize) -> Option<ArimaFit> {
    let np = order.p + order.q + order.sp + order.sq + usize::from(order.constant);
    let n_eff_min = order.p + order.sp * m + np + 3;
    if w.len() <= n_eff_min {
        return None;
    }
    let wmean = stats::mean(w);
    let split = |x: &[f64]| {
        let mut i = 0;
        let mut take = |k: usize| {
            let s = x[i..i + k].to_vec();
            i += k;
            s
        };
        let phi = ar_from_raw(&take(order.p));
        let theta: Vec<f64> = ar_from_raw(&take(order.q)).iter().map(|v| -v).collect();
        let sphi = ar_from_raw(&take(order.sp));
        let stheta: Vec<f64> = ar_from_raw(&take(order.sq)).iter().map(|v| -v).collect();
        let mu = if order.constant { take(1)[0] } else { 0.0 };
        (phi, theta, sphi, stheta, mu)
    };
    let objective = |x: &[f64]| -> f64 {
        let (phi, theta, sphi, stheta, mu) = split(x);
        let ar = ar_product(&phi, &sphi, m);
        let ma = ma_product(&theta, &stheta, m);
        let (sse, neff, _) = css_residuals(w, mu, &ar, &ma);
        if neff == 0 || !sse.is_finite() {
            f64::INFINITY
        } else {
            sse
        }
    };
    let mut x0 = vec![0.0; np];
    let mut step = vec![0.3; np];
    if order.constant {
        x0[np - 1] = wmean;
        let sd = (w.iter().map(|v| (v - wmean).powi(2)).sum::<f64>() / w.len() as f64).sqrt();
        step[np - 1] = (sd * 0.1).max(1e-8 * wmean.abs()).max(1e-12);
    }
    let xbest = if np == 0 {
        x0
    } else {
        // CSS is a least-squares problem: Levenberg-Marquardt converges in a few dozen
        // residual evaluations; Nelder-Mead polishes when it stalls (e.g. at a boundary).
        let mut resid = |x: &[f64], out: &mut Vec<f64>| -> bool {
            let (phi, theta, sphi, stheta, mu) = split(x);
            let ar = ar_product(&phi, &sphi, m);
            let ma = ma_product(&theta, &stheta, m);
            css_into(w, mu, &ar, &ma, out).is_finite()
        };
        let (x_lm, f_lm) = stats::levenberg_marquardt(&mut resid, &x0, &step, 20);
        if f_lm.is_finite() {
            x_lm
        } else {
            let mut obj = |x: &[f64]| objective(x);
            nelder_mead(&mut obj, &x0, &step, 120 * np + 60, 1e-8).0
        }
    };
    let (phi, theta, sphi, stheta, mu) = split(&xbest);
    let ar = ar_product(&phi, &sphi, m);
    let ma = ma_product(&theta, &stheta, m);
    let (sse, neff, resid) = css_residuals(w, mu, &ar, &ma);
    if neff < 2 || !sse.is_finite() {
        return None;
    }
    let sigma2 = (sse / neff as f64).max(0.0);
    let k = np + 1;
    let neff_f = neff as f64;
    let m2ll = if sigma2 > 0.0 {
        neff_f * ((std::f64::consts::TAU * sigma2).ln() + 1.0)
    } else {
        neff_f * (-700.0)
    };
    let denom = neff as f64 - k as f64 - 1.0;
    if denom <= 0.0 {
        return None;
    }
    let aicc = m2ll + 2.0 * k as f64 + 2.0 * (k * (k + 1)) as f64 / denom;
    Some(ArimaFit {
        order,
        phi,
        theta,
        sphi,
        stheta,
        mu,
        sigma2: sse / (neff as f64 - np as f64).max(1.0),
        aicc,
        resid,
    })
}

/// KPSS level-stationarity statistic with R's `urca` "short" lag truncation.
fn kpss_stat(y: &[f64]) -> f64 {
    let n = y.len();
    let mu = stats::mean(y);
    let e: Vec<f64> = y.iter().map(|v| v - mu).collect();
    let mut s = 0.0;
    let mut num = 0.0;
    for v in &e {
        s += v;
        num += s * s;
    }
    let lags = (4.0 * (n as f64 / 100.0).powf(0.25)).trunc() as usize;
    let mut lr = e.iter().map(|v| v * v).sum::<f64>() / n as f64;
    for l in 1..=lags.min(n.saturating_sub(1)) {
        let w = 1.0 - l as f64 / (lags as f64 + 1.0);
        let c: f64 = (l..n).map(|t| e[t] * e[t - l]).sum::<f64>() / n as f64;
        lr += 2.0 * w * c;
    }
    if lr <= 0.0 {
        return 0.0;
    }
    num / (n as f64 * n as f64 * lr)
}

fn is_constant(y: &[f64]) -> bool {
    y.windows(2)
        .all(|w| (w[1] - w[0]).abs() <= 1e-12 * w[0].abs().max(1.0))
}

fn diff(y: &[f64], lag: usize) -> Vec<f64> {
    (lag..y.len()).map(|t| y[t] - y[t - lag]).collect()
}

/// Number of first differences (0..=2) by repeated KPSS tests at 5 %.
fn ndiffs(y: &[f64]) -> usize {
    let mut x = y.to_vec();
    let mut d = 0;
    while d < 2 && x.len() > 3 && !is_constant(&x) && kpss_stat(&x) > 0.463 {
        x = diff(&x, 1);
        d += 1;
    }
    d
}

/// Seasonal difference when the seasonal strength (Wang, Smith & Hyndman 2006) exceeds 0.64.
fn nsdiffs(y: &[f64], m: usize) -> usize {
    if m < 2 || y.len() < 2 * m + 1 {
        return 0;
    }
    let Some(si) = stats::classical_seasonal_indices(y, m, false) else {
        return 0;
    };
    // Remainder = y - trend - season; trend by the same centred moving average.
    let deseason: Vec<f64> = y.iter().enumerate().map(|(t, v)| v - si[t % m]).collect();
    let half = m / 2;
    let mut rem = Vec::new();
    let mut sr = Vec::new();
    for t in half..y.len().saturating_sub(half) {
        let lo = t - half;
        let hi = (t + half).min(y.len() - 1);
        let trend = stats::mean(&deseason[lo..=hi]);
        rem.push(deseason[t] - trend);
        sr.push(deseason[t] - trend + si[t % m]);
    }
    let var = |v: &[f64]| {
        let mu = stats::mean(v);
        v.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / v.len().max(1) as f64
    };
    let vsr = var(&sr);
    if vsr <= 0.0 {
        return 0;
    }
    let strength = (1.0 - var(&rem) / vsr).max(0.0);
    usize::from(strength > 0.64)
}

/// Stepwise search. `m` is 1 for non-seasonal.
fn search(w: &[f64], m: usize, allow_constant: bool) -> Option<ArimaFit> {
    let seasonal = m > 1;
    let max_pq = 5;
    let max_s = if seasonal { 2 } else { 0 };
    let mut tried: HashSet<Order> = HashSet::new();
    let mut best: Option<ArimaFit> = None;
    let mut consider = |o: Order, best: &mut Option<ArimaFit>| -> bool {
        if o.p > max_pq || o.q > max_pq || o.sp > max_s || o.sq > max_s {
            return false;
        }
        if !tried.insert(o) {
            return false;
        }
        if let Some(f) = fit_order(w, o, m) {
            if best.as_ref().is_none_or(|b| f.aicc < b.aicc - 1e-9) {
                *best = Some(f);
                return true;
            }
        }
        false
    };
    let s1 = usize::from(seasonal);
    let c = allow_constant;
    for o in [
        Order {
            p: 2,
            q: 2,
            sp: s1,
            sq: s1,
            constant: c,
        },
        Order {
            p: 0,
            q: 0,
            sp: 0,
            sq: 0,
            constant: c,
        },
        Order {
            p: 1,
            q: 0,
            sp: s1,
            sq: 0,
            constant: c,
        },
        Order {
            p: 0,
            q: 1,
            sp: 0,
            sq: s1,
            constant: c,
        },
        Order {
            p: 0,
            q: 0,
            sp: 0,
            sq: 0,
            constant: false,
        },
    ] {
        consider(o, &mut best);
    }
    let mut improved = true;
    let mut rounds = 0;
    while improved && rounds < 60 {
        improved = false;
        rounds += 1;
        let cur = best.as_ref()?.order;
        let mut neighbours = Vec::new();
        let dp = |v: usize, d: i32| -> Option<usize> {
            let r = v as i32 + d;
            (r >= 0).then_some(r as usize)
        };
        for (a, b) in [
            (-1, 0),
            (1, 0),
            (0, -1),
            (0, 1),
            (-1, -1),
            (1, 1),
            (-1, 1),
            (1, -1),
        ] {
            if let (Some(p), Some(q)) = (dp(cur.p, a), dp(cur.q, b)) {
                neighbours.push(Order { p, q, ..cur });
            }
            if seasonal {
                if let (Some(sp), Some(sq)) = (dp(cur.sp, a), dp(cur.sq, b)) {
                    neighbours.push(Order { sp, sq, ..cur });
                }
            }
        }
        if allow_constant {
            neighbours.push(Order {
                constant: !cur.constant,
                ..cur
            });
        }
        for o in neighbours {
            if consider(o, &mut best) {
                improved = true;
                break;
            }
        }
    }
    best
}

/// Point forecasts and standard deviations of `y` under a fit on its differences.
fn forecast_fit(
    y: &[f64],
    fit: &ArimaFit,
    d: usize,
    sd_: usize,
    m: usize,
    h: usize,
) -> (Vec<f64>, Vec<f64>) {
    // Full AR polynomial (stationary part times differencing) and MA polynomial.
    let ar = ar_product(&fit.phi, &fit.sphi, m.max(1));
    let ma = ma_product(&fit.theta, &fit.stheta, m.max(1));
    // Differencing polynomial (1-B)^d (1-B^m)^D in AR convention.
    let mut delta: Vec<f64> = Vec::new();
    for _ in 0..d {
        delta = ar_product(&delta, &[1.0], 1);
    }
    for _ in 0..sd_ {
        delta = ar_product(&delta, &[1.0], m);
    }
    // Forecast the differenced series w, then integrate.
    let mut w: Vec<f64> = y.to_vec();
    for _ in 0..d {
        w = diff(&w, 1);
    }
    for _ in 0..sd_ {
        w = diff(&w, m);
    }
    let nw = w.len();
    let mut wext = w.clone();
    let mut eext = fit.resid.clone();
    eext.resize(nw, 0.0);
    for i in 0..h {
        let t = nw + i;
        let mut v = fit.mu;
        for (k, a) in ar.iter().enumerate() {
            if t > k {
                v += a * (wext[t - 1 - k] - fit.mu);
            }
        }
        for (k, b) in ma.iter().enumerate() {
            if t > k && t - 1 - k < nw {
                v += b * eext[t - 1 - k];
            }
        }
        wext.push(v);
        eext.push(0.0);
    }
    let mut yext = y.to_vec();
    for i in 0..h {
        let t = y.len() + i;
        let mut v = wext[nw + i];
        for (k, a) in delta.iter().enumerate() {
            v += a * yext[t - 1 - k];
        }
        yext.push(v);
    }
    // psi weights of the full model.
    let full_ar = if delta.is_empty() {
        ar.clone()
    } else {
        // (1 - Σ ar B^i)(1 - Σ delta B^j)
        let mut p = vec![0.0; ar.len() + delta.len() + 1];
        let mut a1 = vec![1.0];
        a1.extend(ar.iter().map(|v| -v));
        let mut a2 = vec![1.0];
        a2.extend(delta.iter().map(|v| -v));
        for (i, x) in a1.iter().enumerate() {
            for (j, z) in a2.iter().enumerate() {
                p[i + j] += x * z;
            }
        }
        p[1..].iter().map(|v| -v).collect()
    };
    let mut psi = vec![1.0; h];
    for j in 1..h {
        let mut v = if j <= ma.len() { ma[j - 1] } else { 0.0 };
        for (i, a) in full_ar.iter().enumerate() {
            if i < j {
                v += a * psi[j - 1 - i];
            }
        }
        psi[j] = v;
    }
    let mut acc = 0.0;
    let sd: Vec<f64> = psi
        .iter()
        .map(|p| {
            acc += p * p;
            (fit.sigma2 * acc).sqrt()
        })
        .collect();
    (yext[y.len()..].to_vec(), sd)
}

fn order_name(fit: &ArimaFit, d: usize, sd_: usize, m: usize) -> String {
    let o = fit.order;
    let mut s = format!("ARIMA({},{},{})", o.p, d, o.q);
    if m > 1 && (o.sp + sd_ + o.sq) > 0 {
        s.push_str(&format!("({},{},{})[{}]", o.sp, sd_, o.sq, m));
    }
    if o.constant {
        s.push_str(if d + sd_ == 0 {
            " with mean"
        } else {
            " with drift"
        });
    }
    s
}

fn auto_core(y: &[f64], m: usize, h: usize) -> Option<Fitted> {
    let y = &y[y.len().saturating_sub(MAX_FIT_LEN.max(3 * m))..];
    let n = y.len();
    if n < 4 || is_constant(y) {
        return None;
    }
    let m_eff = if (2..=MAX_SARIMA_SEASON).contains(&m) {
        m
    } else {
        1
    };
    let sd_ = if m_eff > 1 { nsdiffs(y, m_eff) } else { 0 };
    let mut x = y.to_vec();
    for _ in 0..sd_ {
        x = diff(&x, m_eff);
    }
    let d = ndiffs(&x);
    let mut w = x;
    for _ in 0..d {
        w = diff(&w, 1);
    }
    if w.len() < 3 {
        return None;
    }
    let allow_constant = d + sd_ <= 1;
    let fit = search(&w, m_eff, allow_constant)?;
    let (mean, sd) = forecast_fit(y, &fit, d, sd_, m_eff, h);
    // Residuals of y equal residuals of w (differencing is exact); drop the undefined start.
    let skip = fit.phi.len() + fit.sphi.len() * m_eff;
    let residuals = fit.resid[skip.min(fit.resid.len())..].to_vec();
    let f = Fitted::from_sd(order_name(&fit, d, sd_, m_eff), mean, &sd, residuals);
    f.is_sane().then_some(f)
}

/// Automatic ARIMA. See the module documentation for how long seasons are handled.
/// Falls back to the naive forecast when nothing can be fitted (very short or constant series).
pub(crate) fn auto(y: &[f64], m: usize, h: usize) -> Fitted {
    if m > MAX_SARIMA_SEASON {
        if let Some(f) = super::on_seasonally_adjusted(y, m, |des| auto_core(des, 1, h)) {
            return f;
        }
    }
    auto_core(y, m, h).unwrap_or_else(|| simple::naive(y, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polynomial_products() {
        // (1 - 0.5B)(1 - 0.3B^2) = 1 - 0.5B - 0.3B^2 + 0.15B^3
        let c = ar_product(&[0.5], &[0.3], 2);
        assert_eq!(c.len(), 3);
        assert!(
            (c[0] - 0.5).abs() < 1e-12 && (c[1] - 0.3).abs() < 1e-12 && (c[2] + 0.15).abs() < 1e-12
        );
    }

    #[test]
    fn ar1_is_recovered() {
        let mut rng = stats::Rng::new(3);
        let mut y = vec![0.0];
        for _ in 0..400 {
            let last = *y.last().unwrap();
            y.push(0.7 * last + rng.normal());
        }
        let fit = fit_order(
            &y,
            Order {
                p: 1,
                q: 0,
                sp: 0,
                sq: 0,
                constant: false,
            },
            1,
        )
        .unwrap();
        assert!((fit.phi[0] - 0.7).abs() < 0.08, "{:?}", fit.phi);
    }

    #[test]
    fn random_walk_gets_differenced() {
        let mut rng = stats::Rng::new(5);
        let mut y = vec![100.0];
        for _ in 0..300 {
            let last = *y.last().unwrap();
            y.push(last + rng.normal());
        }
        assert_eq!(ndiffs(&y), 1);
    }
}
