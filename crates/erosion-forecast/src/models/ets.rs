//! Exponential smoothing in state-space form (Hyndman et al. 2008): errors additive or
//! multiplicative, trend none, additive or additive damped, season none, additive or
//! multiplicative. Smoothing parameters and initial level and trend are estimated by maximum
//! likelihood (Nelder-Mead); initial seasonal states come from a classical decomposition.
//! Selection among admissible models is by AICc, as in R's `ets` and statsforecast's AutoETS.

use super::{simple, Fitted};
use crate::stats::{self, nelder_mead, Rng, Z80, Z95};

/// Error component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Err {
    A,
    M,
}
/// Trend component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trend {
    N,
    A,
    Ad,
}
/// Season component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Season {
    N,
    A,
    M,
}

/// One ETS model form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Spec {
    pub error: Err,
    pub trend: Trend,
    pub season: Season,
}

impl Spec {
    pub(crate) const fn new(error: Err, trend: Trend, season: Season) -> Self {
        Spec {
            error,
            trend,
            season,
        }
    }
    fn name(&self, m: usize) -> String {
        let e = match self.error {
            Err::A => "A",
            Err::M => "M",
        };
        let t = match self.trend {
            Trend::N => "N",
            Trend::A => "A",
            Trend::Ad => "Ad",
        };
        let s = match self.season {
            Season::N => "N".to_string(),
            Season::A => format!("A[{m}]"),
            Season::M => format!("M[{m}]"),
        };
        format!("ETS({e},{t},{s})")
    }
}

#[derive(Debug, Clone)]
struct Params {
    alpha: f64,
    beta: f64,
    gamma: f64,
    phi: f64,
    l0: f64,
    b0: f64,
}

#[derive(Debug, Clone)]
struct State {
    l: f64,
    b: f64,
    /// Seasonal states indexed by `t % m`.
    s: Vec<f64>,
}

/// A fitted model ready to forecast.
#[derive(Debug, Clone)]
struct Model {
    spec: Spec,
    m: usize,
    p: Params,
    end: State,
    /// Position (t % m) of the first forecast step.
    next_pos: usize,
    residuals: Vec<f64>,
    sigma: f64,
    aicc: f64,
}

fn lb(spec: Spec, st: &State, phi: f64) -> f64 {
    match spec.trend {
        Trend::N => st.l,
        Trend::A => st.l + st.b,
        Trend::Ad => st.l + phi * st.b,
    }
}

/// One step of the recursion; `e` is the error (additive or relative). Returns nothing: updates
/// `st` in place given `pos` = t % m.
fn update(spec: Spec, p: &Params, st: &mut State, pos: usize, e: f64) {
    let lbase = lb(spec, st, p.phi);
    let damp_b = match spec.trend {
        Trend::N => 0.0,
        Trend::A => st.b,
        Trend::Ad => p.phi * st.b,
    };
    let s = match spec.season {
        Season::N => 0.0,
        _ => st.s[pos],
    };
    match (spec.error, spec.season) {
        (Err::A, Season::N) | (Err::A, Season::A) => {
            st.l = lbase + p.alpha * e;
            st.b = damp_b + p.beta * e;
            if spec.season == Season::A {
                st.s[pos] = s + p.gamma * e;
            }
        }
        (Err::A, Season::M) => {
            st.l = lbase + p.alpha * e / s;
            st.b = damp_b + p.beta * e / s;
            st.s[pos] = s + p.gamma * e / lbase;
        }
        (Err::M, Season::N) => {
            st.l = lbase * (1.0 + p.alpha * e);
            st.b = damp_b + p.beta * lbase * e;
        }
        (Err::M, Season::A) => {
            let q = lbase + s;
            st.l = lbase + p.alpha * q * e;
            st.b = damp_b + p.beta * q * e;
            st.s[pos] = s + p.gamma * q * e;
        }
        (Err::M, Season::M) => {
            st.l = lbase * (1.0 + p.alpha * e);
            st.b = damp_b + p.beta * lbase * e;
            st.s[pos] = s * (1.0 + p.gamma * e);
        }
    }
    if spec.trend == Trend::N {
        st.b = 0.0;
    }
}

fn one_step(spec: Spec, st: &State, phi: f64, pos: usize) -> f64 {
    let base = lb(spec, st, phi);
    match spec.season {
        Season::N => base,
        Season::A => base + st.s[pos],
        Season::M => base * st.s[pos],
    }
}

/// Runs the filter; returns (-2 log-likelihood up to a constant, residuals y - mu, end state).
/// Residuals are on the data scale for both error types.
fn filter(spec: Spec, p: &Params, s0: &[f64], y: &[f64], m: usize) -> (f64, Vec<f64>, State) {
    let mut st = State {
        l: p.l0,
        b: if spec.trend == Trend::N { 0.0 } else { p.b0 },
        s: s0.to_vec(),
    };
    let mut sse = 0.0;
    let mut sum_log_mu = 0.0;
    // Σ ln μ as ln of partial products (one logarithm per 8 steps instead of per step).
    let mut prod_mu = 1.0f64;
    let mut in_prod = 0;
    let mut res = Vec::with_capacity(y.len());
    for (t, &yt) in y.iter().enumerate() {
        let pos = if m > 1 { t % m } else { 0 };
        let mu = one_step(spec, &st, p.phi, pos);
        if !mu.is_finite() {
            return (f64::INFINITY, res, st);
        }
        let e = match spec.error {
            Err::A => yt - mu,
            Err::M => {
                if mu <= 0.0 {
                    return (f64::INFINITY, res, st);
                }
                prod_mu *= mu;
                in_prod += 1;
                if in_prod == 8 || !(1e-250..=1e250).contains(&prod_mu) {
                    sum_log_mu += prod_mu.ln();
                    prod_mu = 1.0;
                    in_prod = 0;
                }
                (yt - mu) / mu
            }
        };
        sse += e * e;
        res.push(yt - mu);
        update(spec, p, &mut st, pos, e);
        if !st.l.is_finite() || !st.b.is_finite() {
            return (f64::INFINITY, res, st);
        }
    }
    sum_log_mu += prod_mu.ln();
    let n = y.len() as f64;
    let lik = if sse <= 0.0 {
        // A perfect fit: the likelihood is unbounded; keep it finite and very good.
        n * (1e-300f64).ln()
    } else {
        n * sse.ln()
    } + 2.0 * sum_log_mu;
    (lik, res, st)
}

/// Number of estimated parameters (smoothing, damping, initial states, sigma).
fn n_params(spec: Spec, m: usize) -> usize {
    let mut k = 1 + 1 + 1; // alpha, l0, sigma
    if spec.trend != Trend::N {
        k += 2; // beta, b0
    }
    if spec.trend == Trend::Ad {
        k += 1;
    }
    if spec.season != Season::N {
        k += 1 + (m - 1); // gamma and initial seasonal states
    }
    k
}

fn initial_seasonal(spec: Spec, y: &[f64], m: usize) -> Option<Vec<f64>> {
    match spec.season {
        Season::N => Some(Vec::new()),
        Season::A => stats::classical_seasonal_indices(y, m, false),
        Season::M => stats::classical_seasonal_indices(y, m, true),
    }
}

/// Fits one model form. `None` when the data do not allow it (too short, non-positive data
/// for multiplicative parts) or the optimiser finds no admissible point.
#[allow(clippy::too_many_lines)] // known debt: split when next changed
fn fit_spec(spec: Spec, y: &[f64], m: usize) -> Option<Model> {
    let n = y.len();
    let seasonal = spec.season != Season::N;
    let k = n_params(spec, m);
    if n <= k + 1 || (seasonal && m < 2) {
        return None;
    }
    let positive = y.iter().all(|v| *v > 0.0);
    if (spec.error == Err::M || spec.season == Season::M) && !positive {
        return None;
    }
    let s0 = initial_seasonal(spec, y, if seasonal { m } else { 1 })?;
    // Deseasonalised start for level and trend.
    let first = n.min(if seasonal { 2 * m } else { 10 }).max(2);
    let adj: Vec<f64> = (0..first)
        .map(|t| match spec.season {
            Season::N => y[t],
            Season::A => y[t] - s0[t % m],
            Season::M => y[t] / s0[t % m],
        })
        .collect();
    let (a0, slope0) = stats::linear_fit(&adj);
    let scale = {
        let sd = residual_scale(y);
        if sd > 0.0 {
            sd
        } else {
            y[0].abs().max(1.0) * 0.1
        }
    };
    let has_trend = spec.trend != Trend::N;
    let damped = spec.trend == Trend::Ad;
    // x = [alpha, l0, (beta, b0), (phi), (gamma)]
    let mut x0 = vec![0.2, if has_trend { a0 } else { stats::mean(&adj) }];
    let mut step = vec![0.1, 0.5 * scale];
    if has_trend {
        x0.extend([0.02, slope0]);
        step.extend([0.02, 0.1 * scale.max(slope0.abs())]);
    }
    if damped {
        x0.push(0.95);
        step.push(0.02);
    }
    if seasonal {
        x0.push(0.05);
        step.push(0.04);
    }
    let unpack = |x: &[f64]| -> Params {
        let mut i = 2;
        let (mut beta, mut b0, mut phi, mut gamma) = (0.0, 0.0, 1.0, 0.0);
        if has_trend {
            beta = x[i];
            b0 = x[i + 1];
            i += 2;
        }
        if damped {
            phi = x[i];
            i += 1;
        }
        if seasonal {
            gamma = x[i];
        }
        Params {
            alpha: x[0],
            beta,
            gamma,
            phi,
            l0: x[1],
            b0,
        }
    };
    let admissible = |p: &Params| -> bool {
        let lo = 1e-4;
        if !(lo..=0.9999).contains(&p.alpha) {
            return false;
        }
        if has_trend && !(lo..=p.alpha).contains(&p.beta) {
            return false;
        }
        if damped && !(0.8..=0.98).contains(&p.phi) {
            return false;
        }
        if seasonal && !(lo..=(1.0 - p.alpha)).contains(&p.gamma) {
            return false;
        }
        true
    };
    let mut objective = |x: &[f64]| -> f64 {
        let p = unpack(x);
        if !admissible(&p) {
            return f64::INFINITY;
        }
        filter(spec, &p, &s0, y, m).0
    };
    let (xbest, best) = nelder_mead(&mut objective, &x0, &step, 150 * x0.len(), 1e-9);
    if !best.is_finite() {
        return None;
    }
    let p = unpack(&xbest);
    let (lik, residuals, end) = filter(spec, &p, &s0, y, m);
    if !lik.is_finite() {
        return None;
    }
    let aic = lik + 2.0 * k as f64;
    let aicc = aic + 2.0 * (k * (k + 1)) as f64 / (n - k - 1) as f64;
    let sigma = match spec.error {
        Err::A => super::residual_sd(&residuals, k - 1),
        Err::M => {
            // Relative errors e_t = (y - mu)/mu, recomputed from the residuals.
            let rel: Vec<f64> = residuals
                .iter()
                .zip(y)
                .map(|(r, yt)| r / (yt - r))
                .collect();
            super::residual_sd(&rel, k - 1)
        }
    };
    Some(Model {
        spec,
        m: if seasonal { m } else { 1 },
        p,
        end,
        next_pos: if seasonal { n % m } else { 0 },
        residuals,
        sigma,
        aicc,
    })
}

/// Scale of the series for optimiser steps: sd of first differences, or of the values.
fn residual_scale(y: &[f64]) -> f64 {
    let d: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
    let sd = |v: &[f64]| {
        let mu = stats::mean(v);
        (v.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / v.len().max(1) as f64).sqrt()
    };
    let a = sd(&d);
    if a > 0.0 {
        a
    } else {
        sd(y)
    }
}

impl Model {
    fn point_forecast(&self, h: usize) -> Vec<f64> {
        let mut st = self.end.clone();
        let mut out = Vec::with_capacity(h);
        for i in 0..h {
            let pos = (self.next_pos + i) % self.m.max(1);
            out.push(one_step(self.spec, &st, self.p.phi, pos));
            update(self.spec, &self.p, &mut st, pos, 0.0);
        }
        out
    }

    /// Class-1 models (additive error, no multiplicative season) have closed-form variances.
    fn analytic_sd(&self, h: usize) -> Option<Vec<f64>> {
        if self.spec.error != Err::A || self.spec.season == Season::M {
            return None;
        }
        let p = &self.p;
        let mut acc: f64 = 0.0;
        let mut out = Vec::with_capacity(h);
        for step in 1..=h {
            out.push(self.sigma * (1.0 + acc).sqrt());
            let j = step; // coefficient c_j for the next step
            let trend_part = match self.spec.trend {
                Trend::N => 0.0,
                Trend::A => p.beta * j as f64,
                Trend::Ad => p.beta * (1..=j).map(|i| p.phi.powi(i as i32)).sum::<f64>(),
            };
            let season_part = if self.spec.season == Season::A && j % self.m == 0 {
                p.gamma
            } else {
                0.0
            };
            let c = p.alpha + trend_part + season_part;
            acc += c * c;
        }
        Some(out)
    }

    fn into_fitted(self, h: usize) -> Fitted {
        let mean = self.point_forecast(h);
        let name = self.spec.name(self.m);
        if let Some(sd) = self.analytic_sd(h) {
            return Fitted::from_sd(name, mean, &sd, self.residuals);
        }
        // Simulated sample paths for the other models.
        let paths = 1000;
        let mut rng = Rng::new(0x5eed_e705);
        let mut sims = vec![Vec::with_capacity(paths); h];
        for _ in 0..paths {
            let mut st = self.end.clone();
            for (i, sim) in sims.iter_mut().enumerate() {
                let pos = (self.next_pos + i) % self.m.max(1);
                let mu = one_step(self.spec, &st, self.p.phi, pos);
                let e = self.sigma * rng.normal();
                let yv = match self.spec.error {
                    Err::A => mu + e,
                    Err::M => mu * (1.0 + e),
                };
                sim.push(yv);
                update(self.spec, &self.p, &mut st, pos, e);
            }
        }
        let mut f = Fitted {
            name,
            lo80: Vec::with_capacity(h),
            hi80: Vec::with_capacity(h),
            lo95: Vec::with_capacity(h),
            hi95: Vec::with_capacity(h),
            mean,
            residuals: self.residuals,
        };
        for (i, mut s) in sims.into_iter().enumerate() {
            s.retain(|v| v.is_finite());
            s.sort_by(|a, b| a.total_cmp(b));
            let q = |p: f64| {
                if s.is_empty() {
                    f.mean[i]
                } else {
                    stats::quantile_sorted(&s, p)
                }
            };
            // Keep the point forecast inside the bands even when paths are skewed.
            let m = f.mean[i];
            f.lo95.push(q(0.025).min(m));
            f.lo80.push(q(0.10).min(m));
            f.hi80.push(q(0.90).max(m));
            f.hi95.push(q(0.975).max(m));
        }
        let _ = (Z80, Z95);
        f
    }
}

/// Fits one given form. A seasonal form that cannot be fitted (season below 2, fewer than two
/// seasons of data, non-positive data for a multiplicative season) falls back to its
/// non-seasonal form; anything that still cannot be fitted falls back to the naive forecast.
pub(crate) fn fit_one(spec: Spec, y: &[f64], m: usize, h: usize) -> Fitted {
    let fitted = fit_spec(spec, y, m).or_else(|| {
        if spec.season == Season::N {
            return None;
        }
        let positive = y.iter().all(|v| *v > 0.0);
        let error = if positive { spec.error } else { Err::A };
        fit_spec(Spec::new(error, spec.trend, Season::N), y, 1)
    });
    match fitted {
        Some(model) => {
            let f = model.into_fitted(h);
            if f.is_sane() {
                f
            } else {
                simple::naive(y, h)
            }
        }
        None => simple::naive(y, h),
    }
}

/// Largest season length for which seasonal states are estimated (as R's `ets`).
pub(crate) const MAX_ETS_SEASON: usize = 24;

/// AutoETS: every admissible form (multiplicative trend excluded, additive error with
/// multiplicative season excluded for its infinite variance), chosen by AICc. Seasonal forms
/// only when `2 ≤ m ≤ 24` and there are at least two full seasons. Falls back to naive.
pub(crate) fn auto(y: &[f64], m: usize, h: usize) -> Fitted {
    // Like ARIMA, the search fits the latest observations only: an old level barely moves an
    // exponential smoother's forecast, but it costs every likelihood evaluation.
    let y = &y[y.len().saturating_sub(super::arima::MAX_FIT_LEN.max(4 * m))..];
    let seasonal_ok = (2..=MAX_ETS_SEASON).contains(&m) && y.len() >= 2 * m + 2;
    let mut best: Option<Model> = None;
    for error in [Err::A, Err::M] {
        for trend in [Trend::N, Trend::A, Trend::Ad] {
            for season in [Season::N, Season::A, Season::M] {
                if season != Season::N && !seasonal_ok {
                    continue;
                }
                if error == Err::A && season == Season::M {
                    continue;
                }
                if let Some(model) = fit_spec(Spec::new(error, trend, season), y, m) {
                    if best.as_ref().is_none_or(|b| model.aicc < b.aicc) {
                        best = Some(model);
                    }
                }
            }
        }
    }
    match best {
        Some(model) => {
            let f = model.into_fitted(h);
            if f.is_sane() {
                f
            } else {
                simple::naive(y, h)
            }
        }
        None => simple::naive(y, h),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holt_recovers_a_line() {
        let y: Vec<f64> = (0..40).map(|t| 5.0 + 2.0 * t as f64).collect();
        let f = fit_one(Spec::new(Err::A, Trend::A, Season::N), &y, 1, 5);
        for (i, v) in f.mean.iter().enumerate() {
            let want = 5.0 + 2.0 * (40 + i) as f64;
            assert!((v - want).abs() < 0.05, "{i}: {v} vs {want}");
        }
    }

    #[test]
    fn multiplicative_holt_winters_recovers_a_season() {
        let pattern = [0.7, 1.1, 1.3, 0.9];
        let y: Vec<f64> = (0..48).map(|t| 50.0 * pattern[t % 4]).collect();
        let f = fit_one(Spec::new(Err::M, Trend::A, Season::M), &y, 4, 8);
        for (i, v) in f.mean.iter().enumerate() {
            let want = 50.0 * pattern[(48 + i) % 4];
            assert!((v - want).abs() < 0.5, "{i}: {v} vs {want}");
        }
        assert!(f.is_sane());
    }
}
