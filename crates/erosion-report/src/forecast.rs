//! The forecast plot: a series' history, its forecast with nested 80 and 95 % intervals, and
//! the points that raised alerts, titled in the words of the metric and segment.

use std::sync::Arc;

use crate::plots::{Band, Chart, Figure, Hue, Legend, LineChart, Marker, Series};

/// One forecast step with its intervals, in the metric's own units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastStep {
    /// Point forecast.
    pub mean: f64,
    /// Lower end of the 80 % interval.
    pub lo_80: f64,
    /// Upper end of the 80 % interval.
    pub hi_80: f64,
    /// Lower end of the 95 % interval.
    pub lo_95: f64,
    /// Upper end of the 95 % interval.
    pub hi_95: f64,
}

/// A point that raised an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertPoint {
    /// Steps after the last observation: 0 for the last observation itself (an anomaly),
    /// `h` for the `h`-th forecast step (a forecast crossing a threshold).
    pub steps_ahead: usize,
    /// The value at that point, in the metric's units.
    pub value: f64,
    /// What happened, in words, e.g. "unusual drop"; the value is added to it.
    pub what: String,
}

/// What a forecast plot shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastPlot {
    /// What is measured, in words: "NPS", "Opt-out rate".
    pub metric: String,
    /// The segment, e.g. "region north"; `None` when the series stands alone.
    pub segment: Option<String>,
    /// The y axis label with its unit, e.g. "NPS (-100 to 100)".
    pub y_label: String,
    /// Factor from the metric's values to the y axis' unit (100 for "per 100 customers").
    pub y_scale: f64,
    /// The x axis label, e.g. "week (starting on)".
    pub x_label: String,
    /// One period in words, singular: "week", "month", "day", "period".
    pub period: String,
    /// The fitted model, shown in the subtitle.
    pub model: String,
    /// Time labels (dates) of the history and then of the forecast steps.
    pub times: Vec<String>,
    /// Observed values, oldest first.
    pub history: Vec<f64>,
    /// Forecast steps, one period after another from the last observation.
    pub forecast: Vec<ForecastStep>,
    /// Points that raised alerts.
    pub alerts: Vec<AlertPoint>,
}

impl ForecastPlot {
    /// The title: metric and segment, then the horizon, e.g. "NPS, region north: 13-week
    /// forecast".
    pub fn title(&self) -> String {
        let what = match &self.segment {
            Some(s) => format!("{}, {s}", self.metric),
            None => self.metric.clone(),
        };
        format!("{what}: {}-{} forecast", self.forecast.len(), self.period)
    }
}

/// A value as a label shows it: one decimal from 10 up, two below (-61.1, 1.44).
fn format_value(v: f64) -> String {
    if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The figure of one forecast: history in black, the forecast in blue over its 95 % interval
/// (light) and 80 % interval (dark), a line at the forecast origin, each alerted point ringed
/// and labelled with its value, and the legend right of the plot where it hides nothing.
pub fn forecast_figure(p: &ForecastPlot) -> Figure {
    let k = p.y_scale;
    let origin = p.history.len().saturating_sub(1) as f64;
    let at = |step: usize| origin + step as f64;
    let mut c = LineChart::new(p.title(), p.x_label.clone(), p.y_label.clone());
    c.subtitle = Some(format!(
        "model {}; shaded: 80 % and 95 % prediction intervals",
        p.model
    ));
    c.legend = Legend::Outside;
    let history: Vec<(f64, f64)> = p
        .history
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as f64, v * k))
        .collect();
    let mut fc: Vec<(f64, f64)> = history.last().copied().into_iter().collect();
    fc.extend(
        p.forecast
            .iter()
            .enumerate()
            .map(|(h, s)| (at(h + 1), s.mean * k)),
    );
    let band = |f: fn(&ForecastStep) -> (f64, f64)| -> Vec<(f64, f64, f64)> {
        p.forecast
            .iter()
            .enumerate()
            .map(|(h, s)| (at(h + 1), f(s).0 * k, f(s).1 * k))
            .collect()
    };
    c.series
        .push(Series::line("observed", history, Hue::Group(6)));
    c.series.push(Series::line("forecast", fc, Hue::Group(0)));
    c.bands.push(Band {
        name: "95 % interval".into(),
        points: band(|s| (s.lo_95, s.hi_95)),
        hue: Hue::Group(0),
        opacity: 0.14,
    });
    c.bands.push(Band {
        name: "80 % interval".into(),
        points: band(|s| (s.lo_80, s.hi_80)),
        hue: Hue::Group(0),
        opacity: 0.38,
    });
    for a in &p.alerts {
        let x = at(a.steps_ahead);
        let when = p.times.get(x as usize).cloned().unwrap_or_default();
        c.markers.push(Marker {
            at: (x, a.value * k),
            label: format!("{} {when}: {}", a.what, format_value(a.value * k)),
            hue: Hue::Group(1),
        });
    }
    c.vlines.push((origin, " forecast origin".into()));
    let times = p.times.clone();
    c.x_format = Some(Arc::new(move |x| {
        let i = x.round();
        if i < 0.0 || (x - i).abs() > 1e-6 {
            String::new()
        } else {
            times.get(i as usize).cloned().unwrap_or_default()
        }
    }));
    let width = 760 + c.legend_width().max(200);
    Figure::single(Chart::Line(c), width, 460)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn plot() -> ForecastPlot {
        let history: Vec<f64> = (0..40)
            .map(|w| 30.0 + (w as f64 / 5.0).sin() * 4.0)
            .collect();
        let forecast = (1..=13)
            .map(|h| {
                let s = (h as f64).sqrt();
                ForecastStep {
                    mean: 24.0,
                    lo_80: 24.0 - 2.0 * s,
                    hi_80: 24.0 + 2.0 * s,
                    lo_95: 24.0 - 3.0 * s,
                    hi_95: 24.0 + 3.0 * s,
                }
            })
            .collect();
        ForecastPlot {
            metric: "NPS".into(),
            segment: Some("region north".into()),
            y_label: "NPS (-100 to 100)".into(),
            y_scale: 1.0,
            x_label: "week (starting on)".into(),
            period: "week".into(),
            model: "ETS(A,N,N)".into(),
            times: (0..53).map(|w| format!("2025-W{w:02}")).collect(),
            history,
            forecast,
            alerts: vec![AlertPoint {
                steps_ahead: 0,
                value: 21.5,
                what: "unusual drop".into(),
            }],
        }
    }

    #[test]
    fn the_title_says_metric_segment_and_horizon_and_the_model_goes_below() {
        let p = plot();
        assert_eq!(p.title(), "NPS, region north: 13-week forecast");
        let fig = forecast_figure(&p);
        if std::env::var_os("EROSION_KEEP_PLOTS").is_some() {
            let keep = std::env::temp_dir().join("erosion-plots");
            std::fs::create_dir_all(&keep).unwrap();
            fig.write_png(&keep.join("forecast_figure.png")).unwrap();
        }
        let svg = fig.to_svg().unwrap();
        for needle in [
            "NPS, region north: 13-week forecast",
            "model ETS(A,N,N)",
            "NPS (-100 to 100)",
            "week (starting on)",
            "2025-W10",
            "80 % interval",
            "95 % interval",
            "unusual drop 2025-W39: 21.5",
            "NPS (-100 to 100)",
        ] {
            assert!(svg.contains(needle), "{needle} missing");
        }
    }

    #[test]
    fn values_are_scaled_to_the_axis_unit() {
        let mut p = plot();
        p.y_scale = 100.0;
        p.history = vec![0.004; 10];
        p.alerts[0].value = 0.012;
        let svg = forecast_figure(&p).to_svg().unwrap();
        assert!(
            svg.contains("unusual drop 2025-W09: 1.20\n"),
            "alert value in axis units"
        );
    }
}
