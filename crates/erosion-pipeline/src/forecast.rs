//! `erosion forecast`: series from a long table, M4's wide files or events; forecasts with
//! intervals, a rolling-origin backtest, alerts and plots.

use crate::{usage, write_file, Failure, Observer};
use chrono::NaiveDate;
use erosion_core::time::{parse_timestamp, DAY_MS};
use erosion_core::Error;
use erosion_features::{trust_metric_series, Period, TrustMetric};
use erosion_forecast::{
    Alert, AlertConfig, AlertKind, Forecast, ForecastConfig, ForecastError, Freq, Model, Series,
    TimeIndex,
};
use erosion_frame::Table;
use erosion_io::polars::prelude::{Column, DataFrame, DataType};
use erosion_io::{CustomerLoadOptions, EventLoadOptions};
use erosion_report::forecast::{forecast_figure, AlertPoint, ForecastPlot, ForecastStep};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the series come from.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // built once per request
pub enum SeriesSource {
    /// A long table: one row per (series id, time, value).
    Long {
        /// The table.
        path: PathBuf,
        /// Its series id column.
        id_col: String,
        /// Its time column (dates).
        time_col: String,
        /// Its value column.
        value_col: String,
        /// The frequency, when the dates alone should not decide it.
        freq: Option<Freq>,
    },
    /// M4's wide CSV: one row per series, periods without dates.
    M4 {
        /// The file.
        path: PathBuf,
    },
    /// A trust metric per segment, built from events.
    Events {
        /// The events file.
        events: PathBuf,
        /// How to read it.
        events_options: EventLoadOptions,
        /// The customers file (segments such as region come from it).
        customers: Option<PathBuf>,
        /// How to read it.
        customers_options: CustomerLoadOptions,
        /// The metric.
        metric: TrustMetric,
        /// The segment column, if any (one series per value).
        by: Option<String>,
        /// Day, week or month periods.
        freq: Freq,
        /// Only events before this time (ms since the epoch).
        as_of: Option<i64>,
    },
}

impl SeriesSource {
    /// The file the series come from.
    pub fn path(&self) -> &Path {
        match self {
            SeriesSource::Long { path, .. } | SeriesSource::M4 { path } => path,
            SeriesSource::Events { events, .. } => events,
        }
    }
}

/// What to forecast and write.
#[derive(Debug, Clone)]
pub struct ForecastRequest {
    /// The series.
    pub source: SeriesSource,
    /// Periods ahead.
    pub periods: usize,
    /// Season length in periods; default from the frequency (52 for weekly events, 1 for
    /// undated series).
    pub season: Option<usize>,
    /// The method (`Auto` picks per series).
    pub method: Model,
    /// Rolling origins of a backtest to report, if any.
    pub backtest: Option<usize>,
    /// Where to write alerts as JSON, if anywhere.
    pub alerts: Option<PathBuf>,
    /// Alert when the forecast falls below this.
    pub alert_below: Option<f64>,
    /// Alert when the forecast rises above this.
    pub alert_above: Option<f64>,
    /// Alert on a last value this many standard deviations from its forecast.
    pub anomaly_z: f64,
    /// A folder for plots (of alerted series when alerts are asked, else of the first 50).
    pub plot: Option<PathBuf>,
    /// The forecasts table to write.
    pub out: PathBuf,
}

/// The mean accuracy of a backtest over the series long enough for it.
#[derive(Debug, Clone, Copy)]
pub struct Backtest {
    /// Rolling origins.
    pub origins: usize,
    /// Series backtested.
    pub series: usize,
    /// Series too short, skipped.
    pub skipped: usize,
    /// Mean sMAPE.
    pub smape: f64,
    /// Mean MASE.
    pub mase: f64,
    /// Mean coverage of the 80 % interval.
    pub coverage_80: f64,
    /// Mean coverage of the 95 % interval.
    pub coverage_95: f64,
}

/// What was forecast and written.
#[derive(Debug)]
pub struct Forecasted {
    /// Series forecast.
    pub series: usize,
    /// The method's name.
    pub method: String,
    /// The season length used.
    pub season: usize,
    /// The backtest, when asked.
    pub backtest: Option<Backtest>,
    /// The alerts, when asked.
    pub alerts: Option<Vec<Alert>>,
    /// Plots written.
    pub plots: usize,
}

fn forecast_error(path: &Path, error: ForecastError) -> Failure {
    Failure::Forecast {
        file: path.to_path_buf(),
        error: Box::new(error),
    }
}

fn date_of(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms)
        .expect("valid time")
        .date_naive()
}

/// Series from a long table: one row per (id, time), sorted per id by time.
fn long_series(
    path: &Path,
    (id_col, time_col, value_col): (&str, &str, &str),
    freq: Option<Freq>,
) -> Result<Vec<Series>, Failure> {
    let table = Table::read(path)?;
    let ids = table.strings(id_col)?;
    let times = table.strings(time_col)?;
    let values_col = table.column(value_col)?;
    let vals = values_col
        .cast(&DataType::Float64)
        .map_err(|e| Error::io(path, e))?;
    let raw_vals = table.strings(value_col)?;
    let mut by_id: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    let vals = vals.f64().map_err(|e| Error::io(path, e))?;
    for (row, v) in vals.iter().enumerate() {
        let bad = |column: &str, value: String, expected: &str| Error::BadValue {
            path: path.to_path_buf(),
            column: column.to_string(),
            row: row + 1,
            value,
            expected: expected.to_string(),
        };
        let id = ids[row]
            .clone()
            .ok_or_else(|| bad(id_col, "(empty)".into(), "a series id"))?;
        let t = times[row].clone().unwrap_or_default();
        let ts = parse_timestamp(&t, None)
            .ok_or_else(|| bad(time_col, t.clone(), "a date (YYYY-MM-DD)"))?;
        let v = v.filter(|x| x.is_finite()).ok_or_else(|| {
            bad(
                value_col,
                raw_vals[row].clone().unwrap_or_else(|| "(empty)".into()),
                "a number",
            )
        })?;
        by_id.entry(id).or_default().push((ts, v));
    }
    by_id
        .into_iter()
        .map(|(id, mut pts)| {
            pts.sort_by_key(|p| p.0);
            let dates: Vec<NaiveDate> = pts.iter().map(|p| date_of(p.0)).collect();
            let values: Vec<f64> = pts.iter().map(|p| p.1).collect();
            Series::from_dates(id, &dates, values, freq).map_err(|e| forecast_error(path, e))
        })
        .collect()
}

/// Series of a trust metric per segment, built from events.
#[allow(clippy::too_many_arguments)]
fn event_series(
    events: &Path,
    events_options: &EventLoadOptions,
    customers: Option<(&Path, &CustomerLoadOptions)>,
    metric: TrustMetric,
    by: Option<&str>,
    freq: Freq,
    until: Option<i64>,
    on: &dyn Observer,
) -> Result<Vec<Series>, Failure> {
    let metric_name = metric.as_str();
    let period = match freq {
        Freq::Day => Period::Day,
        Freq::Week => Period::Week,
        Freq::Month => Period::Month,
    };
    let log = erosion_io::load_events(events, events_options)?;
    for l in log.lookalike_types() {
        on.warning(&format!("{}: {l}", events.display()));
    }
    let customers = customers
        .map(|(p, o)| erosion_io::load_customers(p, o))
        .transpose()?;
    let series = trust_metric_series(&log, customers.as_ref(), by, metric, period, until)
        .map_err(|e| usage(format!("{}: {e}", events.display())))?;
    // A period still in progress at the end of the data would look like a collapse: drop it.
    let last_ts = log
        .timestamp
        .iter()
        .copied()
        .filter(|&t| until.is_none_or(|u| t < u))
        .max();
    series
        .into_iter()
        .map(|s| {
            let mut periods = s.periods;
            let mut values = s.values;
            if let (Some(&p), Some(last)) = (periods.last(), last_ts) {
                if period.next(p) > last + DAY_MS && periods.len() > 1 {
                    periods.pop();
                    values.pop();
                }
            }
            let dates: Vec<NaiveDate> = periods.iter().map(|&p| date_of(p)).collect();
            let id = format!("{metric_name}/{}", s.segment);
            Series::from_dates(id, &dates, values, Some(freq))
                .map_err(|e| forecast_error(events, e))
        })
        .collect()
}

fn frame(forecasts: &[Forecast]) -> DataFrame {
    let mut id = Vec::new();
    let mut ds = Vec::new();
    let mut model = Vec::new();
    let (mut yhat, mut lo80, mut hi80, mut lo95, mut hi95) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for f in forecasts {
        for p in &f.points {
            id.push(f.series_id.clone());
            ds.push(p.time.to_string());
            model.push(f.fitted_model.clone());
            yhat.push(p.mean);
            lo80.push(p.lo_80);
            hi80.push(p.hi_80);
            lo95.push(p.lo_95);
            hi95.push(p.hi_95);
        }
    }
    let n = id.len();
    DataFrame::new(
        n,
        vec![
            Column::new("series_id".into(), id),
            Column::new("ds".into(), ds),
            Column::new("model".into(), model),
            Column::new("yhat".into(), yhat),
            Column::new("lo_80".into(), lo80),
            Column::new("hi_80".into(), hi80),
            Column::new("lo_95".into(), lo95),
            Column::new("hi_95".into(), hi95),
        ],
    )
    .expect("columns of equal length")
}

/// How plots name what they show: the trust metric and segment column for events, else the
/// series id and the value column.
struct PlotWords {
    metric: Option<TrustMetric>,
    by: Option<String>,
    value: String,
}

impl PlotWords {
    fn of(source: &SeriesSource) -> PlotWords {
        match source {
            SeriesSource::Events { metric, by, .. } => PlotWords {
                metric: Some(*metric),
                by: by.clone(),
                value: "value".into(),
            },
            SeriesSource::Long { value_col, .. } => PlotWords {
                metric: None,
                by: None,
                value: value_col.clone(),
            },
            SeriesSource::M4 { .. } => PlotWords {
                metric: None,
                by: None,
                value: "y".into(),
            },
        }
    }
}

/// The plot's input: history, forecast and intervals, and the alerted points, in words.
fn plot_input(series: &Series, f: &Forecast, alerts: &[Alert], w: &PlotWords) -> ForecastPlot {
    let (metric, segment, y_label, y_scale) = match (w.metric, series.id().split_once('/')) {
        (Some(m), Some((_, seg))) => {
            let (axis, scale) = m.axis();
            let segment = w.by.as_ref().map(|by| format!("{by} {seg}"));
            (m.title().to_string(), segment, axis.to_string(), scale)
        }
        _ => (series.id().to_string(), None, w.value.clone(), 1.0),
    };
    let (period, x_label) = match series.index() {
        TimeIndex::Dates {
            freq: Freq::Day, ..
        } => ("day", "date"),
        TimeIndex::Dates {
            freq: Freq::Week, ..
        } => ("week", "week (starting on)"),
        TimeIndex::Dates {
            freq: Freq::Month, ..
        } => ("month", "month (starting on)"),
        TimeIndex::Periods { .. } => ("period", "period"),
    };
    let n = series.len();
    let step = |p: &erosion_forecast::ForecastPoint| ForecastStep {
        mean: p.mean,
        lo_80: p.lo_80,
        hi_80: p.hi_80,
        lo_95: p.lo_95,
        hi_95: p.hi_95,
    };
    ForecastPlot {
        metric,
        segment,
        y_label,
        y_scale,
        x_label: x_label.into(),
        period: period.into(),
        model: f.fitted_model.clone(),
        times: (0..n + f.points.len())
            .map(|i| series.time(i).to_string())
            .collect(),
        history: series.values().to_vec(),
        forecast: f.points.iter().map(step).collect(),
        alerts: alerts
            .iter()
            .map(|a| AlertPoint {
                steps_ahead: a.steps_ahead,
                value: a.value,
                what: match a.kind {
                    AlertKind::ForecastBelow => "forecast below the threshold".into(),
                    AlertKind::ForecastAbove => "forecast above the threshold".into(),
                    AlertKind::Anomaly => "unusual value".into(),
                },
            })
            .collect(),
    }
}

/// Writes the plot of one series (SVG and PNG) into `dir`.
fn plot(
    series: &Series,
    f: &Forecast,
    alerts: &[Alert],
    words: &PlotWords,
    dir: &Path,
) -> Result<(), Failure> {
    let fig = forecast_figure(&plot_input(series, f, alerts, words));
    let stem: String = series
        .id()
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '-' {
                ch
            } else {
                '_'
            }
        })
        .collect();
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let svg = fig.to_svg().map_err(|e| Error::io(dir, e))?;
    let svg_path = dir.join(format!("{stem}.svg"));
    erosion_io::atomic_write(&svg_path, |w| {
        use std::io::Write;
        w.write_all(svg.as_bytes())
            .map_err(|e| Error::io(&svg_path, e))
    })?;
    let png = dir.join(format!("{stem}.png"));
    let tmp = dir.join(format!(".{stem}.png.tmp-{}.png", std::process::id()));
    fig.write_png(&tmp).map_err(|e| Error::io(&png, e))?;
    std::fs::rename(&tmp, &png).map_err(|e| Error::io(&png, e))?;
    Ok(())
}

/// Reads the series the request names.
fn series_of(r: &ForecastRequest, on: &dyn Observer) -> Result<Vec<Series>, Failure> {
    let series = match &r.source {
        SeriesSource::M4 { path } => erosion_forecast::m4::read_wide_csv(path)
            .map_err(|e| forecast_error(path, e))?
            .into_iter()
            .map(|row| {
                let periods: Vec<i64> = (1..=row.values.len() as i64).collect();
                Series::from_periods(row.id, &periods, row.values)
                    .map_err(|e| forecast_error(path, e))
            })
            .collect::<Result<Vec<_>, _>>()?,
        SeriesSource::Long {
            path,
            id_col,
            time_col,
            value_col,
            freq,
        } => long_series(path, (id_col, time_col, value_col), *freq)?,
        SeriesSource::Events {
            events,
            events_options,
            customers,
            customers_options,
            metric,
            by,
            freq,
            as_of,
        } => event_series(
            events,
            events_options,
            customers.as_deref().map(|c| (c, customers_options)),
            *metric,
            by.as_deref(),
            *freq,
            *as_of,
            on,
        )?,
    };
    if series.is_empty() {
        return Err(usage(format!(
            "{}: no series to forecast",
            r.source.path().display()
        )));
    }
    Ok(series)
}

/// The season length: the request's, else the frequency's default (52 for weekly events).
fn season(r: &ForecastRequest) -> usize {
    r.season.unwrap_or(match &r.source {
        SeriesSource::Events { freq, .. } => freq.default_season(),
        SeriesSource::Long { freq: Some(f), .. } => f.default_season(),
        _ => 1,
    })
}

/// Forecasts every series, writes the table, and the alerts and plots when asked.
pub fn forecast(r: &ForecastRequest, on: &dyn Observer) -> Result<Forecasted, Failure> {
    if r.periods == 0 {
        return Err(usage("--periods must be at least 1"));
    }
    let series = series_of(r, on)?;
    let source = r.source.path();
    let season = season(r);
    let mut cfg = ForecastConfig::new(r.periods, season);
    cfg.non_negative = matches!(&r.source, SeriesSource::Events { metric, .. } if metric.is_rate());
    on.stage("forecasting", series.len() as u64);
    let forecasts = erosion_forecast::forecast_many(&series, r.method, &cfg)
        .map_err(|e| forecast_error(source, e))?;
    erosion_io::write_table(&r.out, &mut frame(&forecasts))?;
    let words = PlotWords::of(&r.source);
    let backtest = r.backtest.map(|k| backtest(&series, r.method, &cfg, k));
    let mut plots = 0;
    let alerts = match &r.alerts {
        Some(path) => {
            let acfg = AlertConfig {
                below: r.alert_below,
                above: r.alert_above,
                anomaly_z: r.anomaly_z,
                ..AlertConfig::default()
            };
            let mut all = Vec::new();
            for (s, f) in series.iter().zip(&forecasts) {
                let found =
                    erosion_forecast::alerts(s, f, &acfg).map_err(|e| forecast_error(source, e))?;
                if let (Some(dir), false) = (&r.plot, found.is_empty()) {
                    plot(s, f, &found, &words, dir)?;
                    plots += 1;
                }
                all.extend(found);
            }
            let json = serde_json::to_vec_pretty(&all).expect("alerts serialise");
            write_file(path, &json)?;
            Some(all)
        }
        None => {
            if let Some(dir) = &r.plot {
                for (s, f) in series.iter().zip(&forecasts).take(50) {
                    plot(s, f, &[], &words, dir)?;
                    plots += 1;
                }
            }
            None
        }
    };
    Ok(Forecasted {
        series: series.len(),
        method: r.method.name().to_string(),
        season,
        backtest,
        alerts,
        plots,
    })
}

/// The mean accuracy of `k` rolling origins over the series long enough for them.
fn backtest(series: &[Series], model: Model, cfg: &ForecastConfig, k: usize) -> Backtest {
    let results = erosion_forecast::backtest_many(series, &[model], cfg, k);
    let mut b = Backtest {
        origins: k,
        series: 0,
        skipped: results.iter().filter(|r| r.is_err()).count(),
        smape: 0.0,
        mase: 0.0,
        coverage_80: 0.0,
        coverage_95: 0.0,
    };
    for r in results.iter().flatten().flatten() {
        b.smape += r.smape;
        b.mase += r.mase;
        b.coverage_80 += r.coverage_80;
        b.coverage_95 += r.coverage_95;
        b.series += 1;
    }
    let n = b.series as f64;
    b.smape /= n;
    b.mase /= n;
    b.coverage_80 /= n;
    b.coverage_95 /= n;
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A weekly opt-out rate per region, the way `--events --metric optout_rate --by region`
    /// builds it, with an anomaly on the last week.
    #[test]
    fn plots_name_the_metric_and_segment_and_draw_rates_per_100_customers() {
        let start = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
        let dates: Vec<NaiveDate> = (0..20).map(|w| start + chrono::Days::new(7 * w)).collect();
        let mut values = vec![0.004; 20];
        values[19] = 0.02;
        let series =
            Series::from_dates("optout_rate/north", &dates, values, Some(Freq::Week)).unwrap();
        let f =
            erosion_forecast::forecast(&series, Model::Naive, &ForecastConfig::new(4, 1)).unwrap();
        let alert = Alert {
            series_id: series.id().into(),
            kind: AlertKind::Anomaly,
            time: series.time(19),
            steps_ahead: 0,
            value: 0.02,
            reference: 0.004,
            distance: 0.016,
            score: 5.0,
            confidence: 0.99,
            message: String::new(),
        };
        let words = PlotWords {
            metric: Some(TrustMetric::OptoutRate),
            by: Some("region".into()),
            value: "y".into(),
        };
        let p = plot_input(&series, &f, &[alert], &words);
        assert_eq!(p.title(), "Opt-out rate, region north: 4-week forecast");
        assert_eq!(p.y_label, "opt-outs per 100 active customers");
        assert_eq!(p.y_scale, 100.0);
        assert_eq!(p.x_label, "week (starting on)");
        assert_eq!(p.times.len(), 24);
        assert_eq!(p.times[19], "2025-05-19");
        assert_eq!(p.alerts[0].what, "unusual value");
        // a plain table: the series id and the value column
        let plain = PlotWords {
            metric: None,
            by: None,
            value: "y".into(),
        };
        let p = plot_input(&series, &f, &[], &plain);
        assert_eq!(p.title(), "optout_rate/north: 4-week forecast");
        assert_eq!((p.y_label.as_str(), p.y_scale), ("y", 1.0));
    }
}
