//! The forecasting models. Each takes the observed values, the season length and the horizon
//! and returns a [`Fitted`]: point forecasts, 80 % and 95 % bands and one-step residuals.

pub(crate) mod arima;
pub(crate) mod ets;
pub(crate) mod simple;
pub(crate) mod theta;

use crate::stats::{self, Z80, Z95};

/// What every model returns.
#[derive(Debug, Clone)]
pub(crate) struct Fitted {
    /// The model as it was fitted, e.g. `ETS(A,Ad,N)` or `ARIMA(0,1,1)`.
    pub name: String,
    /// Point forecasts, one per horizon step.
    pub mean: Vec<f64>,
    pub lo80: Vec<f64>,
    pub hi80: Vec<f64>,
    pub lo95: Vec<f64>,
    pub hi95: Vec<f64>,
    /// One-step-ahead in-sample residuals (observed minus predicted), where defined.
    pub residuals: Vec<f64>,
}

impl Fitted {
    /// Normal bands around `mean` with per-step standard deviations `sd`.
    pub(crate) fn from_sd(name: String, mean: Vec<f64>, sd: &[f64], residuals: Vec<f64>) -> Self {
        let band = |z: f64, sign: f64| -> Vec<f64> {
            mean.iter()
                .zip(sd)
                .map(|(m, s)| m + sign * z * s.max(0.0))
                .collect()
        };
        Fitted {
            name,
            lo80: band(Z80, -1.0),
            hi80: band(Z80, 1.0),
            lo95: band(Z95, -1.0),
            hi95: band(Z95, 1.0),
            mean,
            residuals,
        }
    }

    /// Multiply every forecast and band by per-step factors (re-seasonalisation).
    pub(crate) fn scale_by(&mut self, factors: &[f64]) {
        for v in [
            &mut self.mean,
            &mut self.lo80,
            &mut self.hi80,
            &mut self.lo95,
            &mut self.hi95,
        ] {
            for (x, f) in v.iter_mut().zip(factors) {
                *x *= f;
            }
        }
    }

    /// Puts multiplicative seasonal indices `si` back into forecasts, bands and residuals of a
    /// model fitted on the adjusted series of `n` observations.
    fn reseasonalise(&mut self, si: &[f64], n: usize) {
        let m = si.len();
        let factors: Vec<f64> = (0..self.mean.len()).map(|i| si[(n + i) % m]).collect();
        self.scale_by(&factors);
        let off = n - self.residuals.len();
        for (i, r) in self.residuals.iter_mut().enumerate() {
            *r *= si[(off + i) % m];
        }
    }

    /// True when every number is finite and the bands are ordered.
    pub(crate) fn is_sane(&self) -> bool {
        let h = self.mean.len();
        [&self.lo80, &self.hi80, &self.lo95, &self.hi95]
            .iter()
            .all(|v| v.len() == h)
            && (0..h).all(|i| {
                let vals = [
                    self.lo95[i],
                    self.lo80[i],
                    self.mean[i],
                    self.hi80[i],
                    self.hi95[i],
                ];
                vals.iter().all(|v| v.is_finite())
                    && vals
                        .windows(2)
                        .all(|w| w[0] <= w[1] + 1e-9 * w[1].abs().max(1.0))
            })
    }
}

/// Standard deviation of residuals with `k` estimated parameters; 0 when there are none.
pub(crate) fn residual_sd(res: &[f64], k: usize) -> f64 {
    let finite: Vec<f64> = res.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return 0.0;
    }
    let dof = finite.len().saturating_sub(k).max(1) as f64;
    (finite.iter().map(|e| e * e).sum::<f64>() / dof).sqrt()
}

/// The mean of several fitted models, bands averaged quantile by quantile.
pub(crate) fn combine(name: String, members: &[Fitted]) -> Fitted {
    let h = members[0].mean.len();
    let k = members.len() as f64;
    let avg = |get: &dyn Fn(&Fitted) -> &Vec<f64>| -> Vec<f64> {
        (0..h)
            .map(|i| members.iter().map(|f| get(f)[i]).sum::<f64>() / k)
            .collect()
    };
    let n_res = members.iter().map(|f| f.residuals.len()).min().unwrap_or(0);
    // Residuals aligned at the end (models may drop a different number of leading points).
    let residuals = (0..n_res)
        .map(|i| {
            members
                .iter()
                .map(|f| f.residuals[f.residuals.len() - n_res + i])
                .sum::<f64>()
                / k
        })
        .collect();
    Fitted {
        name,
        mean: avg(&|f| &f.mean),
        lo80: avg(&|f| &f.lo80),
        hi80: avg(&|f| &f.hi80),
        lo95: avg(&|f| &f.lo95),
        hi95: avg(&|f| &f.hi95),
        residuals,
    }
}

/// A non-seasonal `fit` of the series seasonally adjusted by M4's rule
/// ([`stats::m4_seasonal_indices`]), with the season put back into forecasts, bands and
/// residuals and the name saying so. `None` when M4's test finds no seasonality or `fit` fails,
/// so the caller fits the series as it is.
pub(crate) fn on_seasonally_adjusted(
    y: &[f64],
    m: usize,
    fit: impl FnOnce(&[f64]) -> Option<Fitted>,
) -> Option<Fitted> {
    let si = stats::m4_seasonal_indices(y, m)?;
    let mut f = fit(&stats::deseasonalise(y, &si))?;
    f.name = format!("{} on seasonally adjusted[{m}]", f.name);
    f.reseasonalise(&si, y.len());
    Some(f)
}
