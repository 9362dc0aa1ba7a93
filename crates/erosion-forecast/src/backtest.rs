//! Rolling-origin backtests: refit at K origins, score each window of `horizon` points.

use serde::{Deserialize, Serialize};

use crate::error::{ForecastError, Result};
use crate::forecast::{fit_values, ForecastConfig, Model};
use crate::metrics;
use crate::series::{Series, TimePoint};

/// Fewest training points the earliest origin may leave.
pub const MIN_TRAIN: usize = 3;

/// Scores of one model at one origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldScore {
    /// Time of the last training observation.
    pub origin: TimePoint,
    /// Number of training observations.
    pub train_len: usize,
    /// sMAPE (percent) over the window.
    pub smape: f64,
    /// MASE over the window (scale: in-sample seasonal naive at the configured season,
    /// lag 1 when the training data are shorter than a season; see [`metrics::mase`]).
    pub mase: f64,
    /// Share of actuals inside the 80 % interval.
    pub coverage_80: f64,
    /// Share of actuals inside the 95 % interval.
    pub coverage_95: f64,
    /// The model as fitted at this origin.
    pub fitted_model: String,
}

/// One model's backtest on one series: per-origin scores and their means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestResult {
    /// Series id.
    pub series_id: String,
    /// Model backtested.
    pub model: Model,
    /// One entry per origin, oldest first.
    pub folds: Vec<FoldScore>,
    /// Mean sMAPE over origins.
    pub smape: f64,
    /// Mean MASE over origins.
    pub mase: f64,
    /// Mean 80 % coverage over origins.
    pub coverage_80: f64,
    /// Mean 95 % coverage over origins.
    pub coverage_95: f64,
}

/// Backtests each of `models` on `series` over `folds` rolling origins spaced `horizon` apart,
/// the last origin leaving exactly `horizon` points to forecast.
///
/// Errors: the configuration errors of [`crate::forecast()`], `folds == 0`, and
/// [`ForecastError::TooShort`] when the earliest origin would leave fewer than
/// [`MIN_TRAIN`] training points.
pub fn backtest(
    series: &Series,
    models: &[Model],
    cfg: &ForecastConfig,
    folds: usize,
) -> Result<Vec<BacktestResult>> {
    cfg.validate()?;
    if folds == 0 {
        return Err(ForecastError::InvalidParameter {
            name: "backtest".into(),
            reason: "the number of rolling origins must be at least 1".into(),
        });
    }
    let (n, h) = (series.len(), cfg.horizon);
    let needed = MIN_TRAIN + folds * h;
    if n < needed {
        return Err(ForecastError::TooShort {
            series: series.id().to_string(),
            len: n,
            what: format!("a backtest over {folds} origins of horizon {h}"),
            min: needed,
        });
    }
    let y = series.values();
    let mut out = Vec::with_capacity(models.len());
    for &model in models {
        let mut scores = Vec::with_capacity(folds);
        for j in (0..folds).rev() {
            let train_len = n - h * (j + 1);
            let train = &y[..train_len];
            let test = &y[train_len..train_len + h];
            let f = fit_values(train, model, cfg);
            scores.push(FoldScore {
                origin: series.time(train_len - 1),
                train_len,
                smape: metrics::smape(test, &f.mean),
                mase: metrics::mase(train, test, &f.mean, cfg.season),
                coverage_80: metrics::coverage(test, &f.lo80, &f.hi80),
                coverage_95: metrics::coverage(test, &f.lo95, &f.hi95),
                fitted_model: f.name,
            });
        }
        let avg = |g: &dyn Fn(&FoldScore) -> f64| -> f64 {
            scores.iter().map(g).sum::<f64>() / scores.len() as f64
        };
        out.push(BacktestResult {
            series_id: series.id().to_string(),
            model,
            smape: avg(&|s| s.smape),
            mase: avg(&|s| s.mase),
            coverage_80: avg(&|s| s.coverage_80),
            coverage_95: avg(&|s| s.coverage_95),
            folds: scores,
        });
    }
    Ok(out)
}

/// [`backtest`] over many series in parallel (rayon's global pool), one result per series in
/// input order, so that one short series does not stop the others.
pub fn backtest_many(
    series: &[Series],
    models: &[Model],
    cfg: &ForecastConfig,
    folds: usize,
) -> Vec<Result<Vec<BacktestResult>>> {
    use rayon::prelude::*;
    series
        .par_iter()
        .map(|s| backtest(s, models, cfg, folds))
        .collect()
}
