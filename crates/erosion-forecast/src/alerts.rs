//! Alerts: a forecast that crosses a threshold within the horizon, and a latest value that is
//! an anomaly against the model's one-step residuals.

use serde::{Deserialize, Serialize};

use crate::error::{ForecastError, Result};
use crate::forecast::Forecast;
use crate::metrics::normal_cdf;
use crate::series::{Series, TimePoint};
use crate::stats::{self, Z95};

/// When to raise an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertConfig {
    /// Alert when a point forecast falls below this value.
    pub below: Option<f64>,
    /// Alert when a point forecast rises above this value.
    pub above: Option<f64>,
    /// Robust z-score beyond which the latest value is an anomaly (default 3).
    pub anomaly_z: f64,
    /// Fewest residuals (before the latest) needed to judge an anomaly (default 8).
    pub min_residuals: usize,
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            below: None,
            above: None,
            anomaly_z: 3.0,
            min_residuals: 8,
        }
    }
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The forecast falls below [`AlertConfig::below`].
    ForecastBelow,
    /// The forecast rises above [`AlertConfig::above`].
    ForecastAbove,
    /// The latest observation is far from what the model expected.
    Anomaly,
}

/// One alert: which series, when, how far and how sure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Series id.
    pub series_id: String,
    /// Kind of alert.
    pub kind: AlertKind,
    /// When: the first forecast step that crosses, or the time of the anomalous observation.
    pub time: TimePoint,
    /// Steps ahead of the last observation (0 for an anomaly, which concerns the last one).
    pub steps_ahead: usize,
    /// The value concerned: the point forecast, or the observed value.
    pub value: f64,
    /// The reference: the threshold, or the model's one-step prediction for an anomaly.
    pub reference: f64,
    /// How far: `value - reference` (negative below).
    pub distance: f64,
    /// For threshold alerts, the forecast probability that the value is past the threshold at
    /// that step (normal approximation from the 95 % band). For anomalies, the robust z-score.
    pub score: f64,
    /// How sure, as a probability in [0, 1]: the crossing probability for threshold alerts,
    /// `1 - two-sided tail probability` of the robust z for anomalies.
    pub confidence: f64,
    /// A sentence for people.
    pub message: String,
}

/// Alerts for one series and its forecast (which must come from that series' full history).
pub fn alerts(series: &Series, forecast: &Forecast, cfg: &AlertConfig) -> Result<Vec<Alert>> {
    if cfg.anomaly_z.is_nan() || cfg.anomaly_z <= 0.0 {
        return Err(ForecastError::InvalidParameter {
            name: "anomaly_z".into(),
            reason: format!("must be a positive number, got {}", cfg.anomaly_z),
        });
    }
    let mut out = Vec::new();
    let id = series.id();
    for (threshold, kind) in [
        (cfg.below, AlertKind::ForecastBelow),
        (cfg.above, AlertKind::ForecastAbove),
    ] {
        let Some(thr) = threshold else { continue };
        if !thr.is_finite() {
            return Err(ForecastError::InvalidParameter {
                name: "threshold".into(),
                reason: format!("must be finite, got {thr}"),
            });
        }
        let crossing = forecast.points.iter().find(|p| match kind {
            AlertKind::ForecastBelow => p.mean < thr,
            _ => p.mean > thr,
        });
        if let Some(p) = crossing {
            let sd = (p.hi_95 - p.lo_95) / (2.0 * Z95);
            let prob = if sd > 0.0 {
                let z = (thr - p.mean) / sd;
                match kind {
                    AlertKind::ForecastBelow => normal_cdf(z),
                    _ => 1.0 - normal_cdf(z),
                }
            } else {
                1.0
            };
            let word = if kind == AlertKind::ForecastBelow {
                "below"
            } else {
                "above"
            };
            out.push(Alert {
                series_id: id.to_string(),
                kind,
                time: p.time,
                steps_ahead: p.step,
                value: p.mean,
                reference: thr,
                distance: p.mean - thr,
                score: prob,
                confidence: prob,
                message: format!(
                    "{id}: forecast {:.4} at {} ({} step(s) ahead) is {word} the threshold {thr} by {:.4}; probability {:.0} %",
                    p.mean,
                    p.time,
                    p.step,
                    (p.mean - thr).abs(),
                    100.0 * prob
                ),
            });
        }
    }
    if let Some(a) = anomaly(series, &forecast.residuals, cfg) {
        out.push(a);
    }
    Ok(out)
}

/// Robust z-score of the last residual against the ones before it: (r − median) / (1.4826·MAD),
/// with the mean absolute deviation (×1.2533) standing in when the MAD is 0, as Iglewicz and
/// Hoaglin recommend. Capped at ±1e6 when every earlier residual is identical.
pub fn robust_z(residuals: &[f64]) -> Option<f64> {
    let (last, before) = residuals.split_last()?;
    if before.is_empty() {
        return None;
    }
    let med = stats::median(before);
    let mut scale = stats::mad(before);
    if scale <= 0.0 {
        scale = 1.2533 * stats::mean(&before.iter().map(|r| (r - med).abs()).collect::<Vec<_>>());
    }
    let d = last - med;
    Some(if scale > 0.0 {
        (d / scale).clamp(-1e6, 1e6)
    } else if d == 0.0 {
        0.0
    } else {
        1e6f64.copysign(d)
    })
}

fn anomaly(series: &Series, residuals: &[f64], cfg: &AlertConfig) -> Option<Alert> {
    if residuals.len() < cfg.min_residuals + 1 {
        return None;
    }
    let z = robust_z(residuals)?;
    if z.abs() <= cfg.anomaly_z {
        return None;
    }
    let n = series.len();
    let observed = series.values()[n - 1];
    let resid = *residuals.last()?;
    let expected = observed - resid;
    let confidence = 1.0 - 2.0 * (1.0 - normal_cdf(z.abs()));
    let id = series.id();
    let time = series.last_time();
    Some(Alert {
        series_id: id.to_string(),
        kind: AlertKind::Anomaly,
        time,
        steps_ahead: 0,
        value: observed,
        reference: expected,
        distance: resid,
        score: z,
        confidence,
        message: format!(
            "{id}: latest value {observed:.4} at {time} is {} than the expected {expected:.4} (robust z = {z:.1}, threshold {})",
            if resid < 0.0 { "lower" } else { "higher" },
            cfg.anomaly_z
        ),
    })
}
