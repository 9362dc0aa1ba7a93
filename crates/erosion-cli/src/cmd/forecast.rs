//! `erosion forecast`: series from a table, M4's wide files or events; forecasts with
//! intervals, backtests, alerts and plots.

use crate::args::{choice, ForecastArgs, FreqArg, SeriesFormat};
use chrono::NaiveDate;
use erosion_core::time::{parse_date, parse_timestamp, DAY_MS};
use erosion_core::Error;
use erosion_features::{trust_metric_series, Period, TrustMetric};
use erosion_forecast::{
    Alert, AlertConfig, AlertKind, Forecast, ForecastConfig, Freq, Model, Series, TimeIndex,
};
use erosion_frame::Table;
use erosion_io::polars::prelude::{Column, DataFrame, DataType};
use erosion_report::forecast::{forecast_figure, AlertPoint, ForecastPlot, ForecastStep};
use std::collections::BTreeMap;
use std::path::Path;

fn forecast_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Usage(format!("{}: {e}", path.display()))
}

fn date_of(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms)
        .expect("valid time")
        .date_naive()
}

/// Series from a long table: one row per (id, time), sorted per id by time.
fn long_series(a: &ForecastArgs, path: &Path) -> Result<Vec<Series>, Error> {
    let (id_col, time_col, value_col) = (
        a.series_id_col.as_str(),
        a.file.timestamp_col_or("ds"),
        a.file.value_col_or("y"),
    );
    let table = Table::read(path)?;
    let ids = table.strings(id_col)?;
    let times = table.strings(time_col)?;
    let values_col = table.column(value_col)?;
    let vals = values_col
        .cast(&DataType::Float64)
        .map_err(|e| Error::io(path, e))?;
    let raw_vals = table.strings(value_col)?;
    let mut by_id: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    for (row, v) in vals.f64().expect("Float64").iter().enumerate() {
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
    let freq = a.freq.map(freq);
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

fn freq(f: FreqArg) -> Freq {
    match f {
        FreqArg::Day => Freq::Day,
        FreqArg::Week => Freq::Week,
        FreqArg::Month => Freq::Month,
    }
}

/// Series of a trust metric per segment, built from events.
fn event_series(a: &ForecastArgs, events: &Path) -> Result<Vec<Series>, Error> {
    let metric_name = choice(
        &a.metric
            .ok_or_else(|| Error::usage("--events needs --metric"))?,
    );
    let metric: TrustMetric = metric_name.parse().map_err(Error::Usage)?;
    let freq = freq(a.freq.unwrap_or(FreqArg::Week));
    let period = match freq {
        Freq::Day => Period::Day,
        Freq::Week => Period::Week,
        Freq::Month => Period::Month,
    };
    let until = a
        .as_of
        .as_deref()
        .map(|d| {
            parse_date(d)
                .ok_or_else(|| Error::usage(format!("--as-of {d:?} is not a date (YYYY-MM-DD)")))
        })
        .transpose()?;
    let log = super::load::events(events, &a.file)?;
    super::load::warn_lookalikes(events, &log);
    let customers = a
        .customers
        .as_deref()
        .map(|p| super::load::customers(p, &a.file))
        .transpose()?;
    let series = trust_metric_series(
        &log,
        customers.as_ref(),
        a.by.as_deref(),
        metric,
        period,
        until,
    )
    .map_err(|e| Error::Usage(format!("{}: {e}", events.display())))?;
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
    fn of(a: &ForecastArgs) -> PlotWords {
        PlotWords {
            metric: a.metric.and_then(|m| choice(&m).parse().ok()),
            by: a.by.clone(),
            value: a.file.value_col_or("y").to_string(),
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
) -> Result<(), Error> {
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

pub fn run(a: &ForecastArgs, quiet: bool) -> anyhow::Result<()> {
    if a.periods == 0 {
        return Err(Error::usage("--periods must be at least 1").into());
    }
    let (series, source) = match (&a.series, &a.events) {
        (Some(p), None) => {
            let s = if a.format == SeriesFormat::M4 {
                let rows = erosion_forecast::m4::read_wide_csv(p).map_err(|e| forecast_error(p, e))?;
                rows.into_iter()
                    .map(|r| {
                        let periods: Vec<i64> = (1..=r.values.len() as i64).collect();
                        Series::from_periods(r.id, &periods, r.values).map_err(|e| forecast_error(p, e))
                    })
                    .collect::<Result<Vec<_>, _>>()?
            } else {
                long_series(a, p)?
            };
            (s, p.clone())
        }
        (None, Some(e)) => (event_series(a, e)?, e.clone()),
        _ => {
            return Err(Error::usage(
                "give --series F (a long table, or M4's wide CSV with --format m4) or --events F --metric M",
            )
            .into())
        }
    };
    if series.is_empty() {
        return Err(Error::usage(format!("{}: no series to forecast", source.display())).into());
    }
    let model: Model = choice(&a.method)
        .parse()
        .map_err(|e| forecast_error(&source, e))?;
    let season = a.season.unwrap_or(match (&a.events, a.freq) {
        (_, Some(f)) => freq(f).default_season(),
        (Some(_), None) => 52,
        _ => 1,
    });
    let mut cfg = ForecastConfig::new(a.periods, season);
    cfg.non_negative =
        a.events.is_some() && a.metric.is_some_and(|m| choice(&m).ends_with("_rate"));
    let pb = crate::progress::bar(series.len() as u64, "forecasting", quiet);
    let forecasts = erosion_forecast::forecast_many(&series, model, &cfg)
        .map_err(|e| forecast_error(&source, e))?;
    pb.finish_and_clear();
    let out = a
        .out
        .as_deref()
        .ok_or_else(|| Error::usage("--out is required"))?;
    erosion_io::write_table(out, &mut frame(&forecasts))?;
    erosion_io::outln!(
        "forecast {} series {} periods ahead with {} (season {season}); wrote {}",
        series.len(),
        a.periods,
        model.name(),
        out.display()
    );

    let words = PlotWords::of(a);
    if let Some(k) = a.backtest {
        let models = [model];
        let results = erosion_forecast::backtest_many(&series, &models, &cfg, k);
        let (mut smape, mut mase, mut c80, mut c95, mut n) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for r in results.iter().flatten().flatten() {
            smape += r.smape;
            mase += r.mase;
            c80 += r.coverage_80;
            c95 += r.coverage_95;
            n += 1.0;
        }
        let skipped = results.iter().filter(|r| r.is_err()).count();
        erosion_io::outln!(
            "backtest over {k} rolling origins, {} series{}: sMAPE {:.3}, MASE {:.3}, coverage 80 % {:.1} %, 95 % {:.1} %",
            n,
            if skipped > 0 { format!(" ({skipped} too short, skipped)") } else { String::new() },
            smape / n,
            mase / n,
            100.0 * c80 / n,
            100.0 * c95 / n
        );
    }

    if let Some(alerts_path) = &a.alerts {
        let acfg = AlertConfig {
            below: a.alert_below,
            above: a.alert_above,
            anomaly_z: a.anomaly_z,
            ..AlertConfig::default()
        };
        let mut all = Vec::new();
        for (s, f) in series.iter().zip(&forecasts) {
            let found =
                erosion_forecast::alerts(s, f, &acfg).map_err(|e| forecast_error(&source, e))?;
            if !found.is_empty() {
                if let Some(dir) = &a.plot {
                    plot(s, f, &found, &words, dir)?;
                }
            }
            all.extend(found);
        }
        let json = serde_json::to_vec_pretty(&all)?;
        erosion_io::atomic_write(alerts_path, |w| {
            use std::io::Write;
            w.write_all(&json).map_err(|e| Error::write(alerts_path, e))
        })?;
        erosion_io::outln!("{} alert(s); wrote {}", all.len(), alerts_path.display());
        for al in all.iter().take(8) {
            erosion_io::outln!("  - {}", al.message);
        }
        if let (Some(dir), false) = (&a.plot, all.is_empty()) {
            erosion_io::outln!("plots of alerted series in {}", dir.display());
        }
    } else if let Some(dir) = &a.plot {
        for (s, f) in series.iter().zip(&forecasts).take(50) {
            plot(s, f, &[], &words, dir)?;
        }
        erosion_io::outln!("plots in {}", dir.display());
    }
    Ok(())
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
