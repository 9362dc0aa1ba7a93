//! Forecasts of trust metrics (NPS, opt-out rate, complaint rate, ...) per customer segment.
//!
//! This crate is the engine behind `erosion forecast`. It takes regular series
//! ([`Series`]: an id, integer periods or dated periods, finite values), forecasts them with
//! prediction intervals at 80 % and 95 % ([`forecast()`], [`forecast_many`]), scores models over
//! rolling origins ([`backtest()`]), raises alerts on threshold crossings and on anomalous latest
//! values ([`alerts()`]), and evaluates itself on the M4 competition's files ([`m4`]).
//!
//! Models ([`Model`]): `naive`, `snaive`, `ses`, `holt`, `damped`, Holt-Winters additive and
//! multiplicative, `ets` (AutoETS by AICc), `arima` (stepwise automatic seasonal ARIMA),
//! `theta` (standard Theta with M4's seasonal adjustment), `combination` (mean of ets, arima
//! and theta) and `auto` (per series, the best of those four in a rolling-origin backtest).
//! Every model is implemented here, in plain Rust, with no dependency beyond serde, chrono,
//! thiserror and rayon; the README of the crate says which external crates were measured and
//! why they were not kept.
//!
//! What it deliberately does not do: read or write files other than M4's CSV layout (the CLI
//! owns formats), build metric series from events, parse command-line flags, or plot. It has
//! no exogenous regressors, no multiple seasonalities and no global (cross-series) models.
//!
//! ```
//! use erosion_forecast::{forecast, ForecastConfig, Model, Series};
//! let y: Vec<f64> = (0..30).map(|t| 50.0 + 0.5 * t as f64 + (t % 3) as f64).collect();
//! let periods: Vec<i64> = (1..=30).collect();
//! let s = Series::from_periods("north", &periods, y).unwrap();
//! let f = forecast(&s, Model::Holt, &ForecastConfig::new(4, 1)).unwrap();
//! assert_eq!(f.points.len(), 4);
//! assert!(f.points[0].lo_95 < f.points[0].mean && f.points[0].mean < f.points[0].hi_95);
//! ```

pub mod alerts;
mod auto;
pub mod backtest;
pub mod error;
pub mod forecast;
pub mod m4;
pub mod metrics;
mod models;
pub mod series;
mod stats;

pub use alerts::{alerts, Alert, AlertConfig, AlertKind};
pub use backtest::{backtest, backtest_many, BacktestResult, FoldScore};
pub use error::{ForecastError, Result};
pub use forecast::{forecast, forecast_many, Forecast, ForecastConfig, ForecastPoint, Model};
pub use series::{Freq, Series, TimeIndex, TimePoint};
