//! The entry point: pick a model, forecast one series or many.

use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{ForecastError, Result};
use crate::models::{self, ets, Fitted};
use crate::series::{Series, TimePoint};

/// The models a user can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// Per series, a rolling-origin backtest ([`ForecastConfig::auto_folds`] origins) of
    /// `combination`, `ets`, `arima` and `theta`: the combination, unless one single model beats
    /// it at every origin and by at least 10 % in mean MASE.
    Auto,
    /// AutoETS: every admissible exponential smoothing form, chosen by AICc.
    Ets,
    /// Automatic (seasonal) ARIMA, stepwise order search by AICc.
    Arima,
    /// Standard Theta with M4's seasonal adjustment.
    Theta,
    /// The mean of `ets`, `arima` and `theta` (bands averaged quantile by quantile).
    Combination,
    /// Last value.
    Naive,
    /// Value one season earlier.
    SeasonalNaive,
    /// Simple exponential smoothing, ETS(A,N,N).
    Ses,
    /// Holt's linear trend, ETS(A,A,N).
    Holt,
    /// Additive damped trend, ETS(A,Ad,N).
    Damped,
    /// Holt-Winters additive, ETS(A,A,A).
    HoltWintersAdditive,
    /// Holt-Winters multiplicative, ETS(M,A,M).
    HoltWintersMultiplicative,
}

impl Model {
    /// Every model, in the order of [`Model::name`]'s documentation.
    pub const ALL: [Model; 12] = [
        Model::Auto,
        Model::Ets,
        Model::Arima,
        Model::Theta,
        Model::Combination,
        Model::Naive,
        Model::SeasonalNaive,
        Model::Ses,
        Model::Holt,
        Model::Damped,
        Model::HoltWintersAdditive,
        Model::HoltWintersMultiplicative,
    ];

    /// The name used on the command line and in output files.
    pub fn name(self) -> &'static str {
        match self {
            Model::Auto => "auto",
            Model::Ets => "ets",
            Model::Arima => "arima",
            Model::Theta => "theta",
            Model::Combination => "combination",
            Model::Naive => "naive",
            Model::SeasonalNaive => "snaive",
            Model::Ses => "ses",
            Model::Holt => "holt",
            Model::Damped => "damped",
            Model::HoltWintersAdditive => "hw-additive",
            Model::HoltWintersMultiplicative => "hw-multiplicative",
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Model {
    type Err = ForecastError;
    fn from_str(s: &str) -> Result<Self> {
        let k = s.trim().to_ascii_lowercase().replace('_', "-");
        Ok(match k.as_str() {
            "auto" => Model::Auto,
            "ets" | "autoets" => Model::Ets,
            "arima" | "autoarima" => Model::Arima,
            "theta" => Model::Theta,
            "combination" | "comb" | "ensemble" => Model::Combination,
            "naive" => Model::Naive,
            "snaive" | "seasonal-naive" => Model::SeasonalNaive,
            "ses" => Model::Ses,
            "holt" => Model::Holt,
            "damped" => Model::Damped,
            "hw-additive" | "hw" | "holt-winters" | "holt-winters-additive" => {
                Model::HoltWintersAdditive
            }
            "hw-multiplicative" | "holt-winters-multiplicative" => Model::HoltWintersMultiplicative,
            _ => return Err(ForecastError::UnknownModel(s.to_string())),
        })
    }
}

/// How to forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastConfig {
    /// Number of periods to forecast (at least 1).
    pub horizon: usize,
    /// Season length in periods (1 = no seasonality; 52 for weekly data with a yearly cycle).
    pub season: usize,
    /// Rolling origins used by [`Model::Auto`] to choose a model (at least 1).
    pub auto_folds: usize,
    /// Clamp forecasts and bands at zero (for rates and counts, which cannot be negative).
    pub non_negative: bool,
}

impl ForecastConfig {
    /// A configuration with the given horizon and season, 1 origin for `auto` (the last
    /// `horizon` periods held out; see the crate README for why one), no clamping.
    pub fn new(horizon: usize, season: usize) -> Self {
        ForecastConfig {
            horizon,
            season,
            auto_folds: 1,
            non_negative: false,
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.horizon == 0 {
            return Err(ForecastError::ZeroHorizon);
        }
        if self.season == 0 {
            return Err(ForecastError::ZeroSeason);
        }
        if self.auto_folds == 0 {
            return Err(ForecastError::InvalidParameter {
                name: "auto_folds".into(),
                reason: "at least one rolling origin is needed to choose a model".into(),
            });
        }
        Ok(())
    }
}

/// One forecast step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastPoint {
    /// Time of the step (`ds`).
    pub time: TimePoint,
    /// Steps ahead of the last observation (1-based).
    pub step: usize,
    /// Point forecast (`yhat`).
    pub mean: f64,
    /// Lower bound of the 80 % prediction interval.
    pub lo_80: f64,
    /// Upper bound of the 80 % prediction interval.
    pub hi_80: f64,
    /// Lower bound of the 95 % prediction interval.
    pub lo_95: f64,
    /// Upper bound of the 95 % prediction interval.
    pub hi_95: f64,
}

/// The forecast of one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// Series id.
    pub series_id: String,
    /// The model that was asked for.
    pub model: Model,
    /// The model actually fitted, e.g. `ETS(A,Ad,N)`, `ARIMA(1,1,1) with drift`, or what
    /// `auto` chose; a fallback to `Naive` on a series too short for the model shows here.
    pub fitted_model: String,
    /// One entry per horizon step.
    pub points: Vec<ForecastPoint>,
    /// One-step-ahead in-sample residuals (observed minus predicted) of the fitted model,
    /// aligned so that the last residual belongs to the last observation.
    pub residuals: Vec<f64>,
}

/// Fits `model` to raw values; the shared core of forecasts and backtests.
pub(crate) fn fit_values(y: &[f64], model: Model, cfg: &ForecastConfig) -> Fitted {
    let (m, h) = (cfg.season, cfg.horizon);
    use ets::{Err as E, Season as S, Spec, Trend as T};
    let mut f = match model {
        Model::Naive => models::simple::naive(y, h),
        Model::SeasonalNaive => models::simple::snaive(y, m, h),
        Model::Ses => ets::fit_one(Spec::new(E::A, T::N, S::N), y, 1, h),
        Model::Holt => ets::fit_one(Spec::new(E::A, T::A, S::N), y, 1, h),
        Model::Damped => ets::fit_one(Spec::new(E::A, T::Ad, S::N), y, 1, h),
        Model::HoltWintersAdditive => ets::fit_one(Spec::new(E::A, T::A, S::A), y, m, h),
        Model::HoltWintersMultiplicative => ets::fit_one(Spec::new(E::M, T::A, S::M), y, m, h),
        Model::Ets => auto_ets(y, m, h),
        Model::Arima => models::arima::auto(y, m, h),
        Model::Theta => models::theta::theta(y, m, h),
        Model::Combination => combination(y, m, h),
        Model::Auto => crate::auto::select(y, cfg),
    };
    if !f.is_sane() {
        f = models::simple::naive(y, h);
    }
    if cfg.non_negative {
        for v in [
            &mut f.mean,
            &mut f.lo80,
            &mut f.hi80,
            &mut f.lo95,
            &mut f.hi95,
        ] {
            for x in v.iter_mut() {
                *x = x.max(0.0);
            }
        }
    }
    f
}

/// AutoETS; for seasons longer than 24 the series is seasonally adjusted first (classical
/// multiplicative decomposition, when M4's test finds seasonality) and re-seasonalised after.
pub(crate) fn auto_ets(y: &[f64], m: usize, h: usize) -> Fitted {
    if m > ets::MAX_ETS_SEASON {
        if let Some(f) = models::on_seasonally_adjusted(y, m, |des| Some(ets::auto(des, 1, h))) {
            return f;
        }
    }
    ets::auto(y, m, h)
}

pub(crate) fn combination(y: &[f64], m: usize, h: usize) -> Fitted {
    let members = [
        auto_ets(y, m, h),
        models::arima::auto(y, m, h),
        models::theta::theta(y, m, h),
    ];
    let name = format!(
        "mean({}; {}; {})",
        members[0].name, members[1].name, members[2].name
    );
    models::combine(name, &members)
}

/// Forecasts one series.
///
/// Errors: [`ForecastError::ZeroHorizon`], [`ForecastError::ZeroSeason`] or an invalid
/// `auto_folds`. A series too short for the model asked for is forecast by the naive method,
/// and `fitted_model` says so; no forecast contains NaN or infinity.
pub fn forecast(series: &Series, model: Model, cfg: &ForecastConfig) -> Result<Forecast> {
    cfg.validate()?;
    let f = fit_values(series.values(), model, cfg);
    Ok(to_forecast(series, model, f))
}

pub(crate) fn to_forecast(series: &Series, model: Model, f: Fitted) -> Forecast {
    let times = series.future_times(f.mean.len());
    let points = times
        .into_iter()
        .enumerate()
        .map(|(i, time)| ForecastPoint {
            time,
            step: i + 1,
            mean: f.mean[i],
            lo_80: f.lo80[i],
            hi_80: f.hi80[i],
            lo_95: f.lo95[i],
            hi_95: f.hi95[i],
        })
        .collect();
    Forecast {
        series_id: series.id().to_string(),
        model,
        fitted_model: f.name,
        points,
        residuals: f.residuals,
    }
}

/// Forecasts many series in parallel (rayon's global pool; limit it with
/// `RAYON_NUM_THREADS` or a pool of your own). Results keep the input order.
pub fn forecast_many(
    series: &[Series],
    model: Model,
    cfg: &ForecastConfig,
) -> Result<Vec<Forecast>> {
    cfg.validate()?;
    Ok(series
        .par_iter()
        .map(|s| to_forecast(s, model, fit_values(s.values(), model, cfg)))
        .collect())
}
