//! `erosion forecast`: flags to a [`ForecastRequest`], and what was forecast printed.

use crate::args::{choice, ForecastArgs, FreqArg, SeriesFormat};
use erosion_core::time::parse_date;
use erosion_core::Error;
use erosion_forecast::{Freq, Model};
use erosion_pipeline::forecast::{ForecastRequest, Forecasted, SeriesSource};
use erosion_pipeline::Failure;

fn freq(f: FreqArg) -> Freq {
    match f {
        FreqArg::Day => Freq::Day,
        FreqArg::Week => Freq::Week,
        FreqArg::Month => Freq::Month,
    }
}

/// Where the flags say the series come from.
fn source(a: &ForecastArgs) -> Result<SeriesSource, Error> {
    match (&a.series, &a.events) {
        (Some(p), None) if a.format == SeriesFormat::M4 => Ok(SeriesSource::M4 { path: p.clone() }),
        (Some(p), None) => Ok(SeriesSource::Long {
            path: p.clone(),
            id_col: a.series_id_col.clone(),
            time_col: a.file.timestamp_col_or("ds").to_string(),
            value_col: a.file.value_col_or("y").to_string(),
            freq: a.freq.map(freq),
        }),
        (None, Some(e)) => {
            let metric = a
                .metric
                .ok_or_else(|| Error::usage("--events needs --metric"))?;
            Ok(SeriesSource::Events {
                events: e.clone(),
                events_options: super::load::event_options(&a.file)?,
                customers: a.customers.clone(),
                customers_options: super::load::customer_options(&a.file),
                metric: choice(&metric).parse().map_err(Error::Usage)?,
                by: a.by.clone(),
                freq: freq(a.freq.unwrap_or(FreqArg::Week)),
                as_of: a
                    .as_of
                    .as_deref()
                    .map(|d| {
                        parse_date(d).ok_or_else(|| {
                            Error::usage(format!("--as-of {d:?} is not a date (YYYY-MM-DD)"))
                        })
                    })
                    .transpose()?,
            })
        }
        _ => Err(Error::usage(
            "give --series F (a long table, or M4's wide CSV with --format m4) or --events F --metric M",
        )),
    }
}

/// The request the flags describe.
pub fn request(a: &ForecastArgs) -> Result<ForecastRequest, Failure> {
    let source = source(a)?;
    let method: Model = choice(&a.method)
        .parse()
        .expect("every --method choice is a forecasting model (args tests)");
    Ok(ForecastRequest {
        source,
        periods: a.periods,
        season: a.season,
        method,
        backtest: a.backtest,
        alerts: a.alerts.clone(),
        alert_below: a.alert_below,
        alert_above: a.alert_above,
        anomaly_z: a.anomaly_z,
        plot: a.plot.clone(),
        out: a
            .out
            .clone()
            .ok_or_else(|| Error::usage("--out is required"))?,
    })
}

pub fn run(a: &ForecastArgs, quiet: bool) -> anyhow::Result<()> {
    forecast(&request(a)?, quiet).map(|_| ())
}

/// Forecasts as asked and prints what was written, the backtest and the alerts.
pub fn forecast(r: &ForecastRequest, quiet: bool) -> anyhow::Result<Forecasted> {
    let bars = crate::progress::Bars::new(quiet);
    let done = erosion_pipeline::forecast::forecast(r, &bars)?;
    bars.clear();
    erosion_io::outln!(
        "forecast {} series {} periods ahead with {} (season {}); wrote {}",
        done.series,
        r.periods,
        done.method,
        done.season,
        r.out.display()
    );
    if let Some(b) = &done.backtest {
        erosion_io::outln!(
            "backtest over {} rolling origins, {} series{}: sMAPE {:.3}, MASE {:.3}, coverage 80 % {:.1} %, 95 % {:.1} %",
            b.origins,
            b.series,
            if b.skipped > 0 { format!(" ({} too short, skipped)", b.skipped) } else { String::new() },
            b.smape,
            b.mase,
            100.0 * b.coverage_80,
            100.0 * b.coverage_95
        );
    }
    match (&done.alerts, &r.alerts, &r.plot) {
        (Some(all), Some(path), plot) => {
            erosion_io::outln!("{} alert(s); wrote {}", all.len(), path.display());
            for al in all.iter().take(8) {
                erosion_io::outln!("  - {}", al.message);
            }
            if let (Some(dir), false) = (plot, all.is_empty()) {
                erosion_io::outln!("plots of alerted series in {}", dir.display());
            }
        }
        (_, _, Some(dir)) => erosion_io::outln!("plots in {}", dir.display()),
        _ => {}
    }
    Ok(done)
}
