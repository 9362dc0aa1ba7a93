//! `erosion simulate`: the simulator's chunks, written to three Parquet files atomically.

use crate::args::SimulateArgs;
use erosion_core::time::{parse_date, DAY_MS};
use erosion_core::Error;
use erosion_io::polars::prelude::*;
use erosion_io::{customers_to_frame, events_to_frame, ParquetSink};
use erosion_sim::{SimConfig, Truth};
use std::path::{Path, PathBuf};

/// What was written.
pub struct Written {
    pub customers: usize,
    pub events: usize,
    pub truth_rows: usize,
    pub dir: PathBuf,
}

fn truth_to_frame(t: &Truth) -> DataFrame {
    let date = |name: &str, v: Vec<Option<i64>>| {
        Int32Chunked::from_iter_options(
            name.into(),
            v.into_iter()
                .map(|o| o.map(|ms| ms.div_euclid(DAY_MS) as i32)),
        )
        .into_date()
        .into_column()
    };
    let columns = vec![
        Column::new("customer_id".into(), t.customer_id.clone()),
        date("month_end", t.month_end.iter().map(|&m| Some(m)).collect()),
        Column::new("trust".into(), t.trust.clone()),
        date("churn_date", t.churn_date.clone()),
        date("first_erosion_date", t.first_erosion_date.clone()),
        Column::new("privacy_sensitivity".into(), t.privacy_sensitivity.clone()),
        Column::new(
            "personalization_tolerance".into(),
            t.personalization_tolerance.clone(),
        ),
    ];
    DataFrame::new(t.customer_id.len(), columns).expect("columns of equal length")
}

/// Simulates into `out` with the given config.
pub fn simulate_to(config: &SimConfig, out: &Path, quiet: bool) -> anyhow::Result<Written> {
    if config.customers == 0 {
        return Err(Error::usage("--n-customers must be at least 1").into());
    }
    if config.days < 7 {
        return Err(Error::usage("--duration must be at least 7d").into());
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let mut customers = ParquetSink::create(&out.join("customers.parquet"))?;
    let mut events = ParquetSink::create(&out.join("events.parquet"))?;
    let mut truth = ParquetSink::create(&out.join("truth.parquet"))?;
    let pb = crate::progress::bar(config.customers as u64, "simulating", quiet);
    erosion_sim::simulate(config, |chunk| -> anyhow::Result<()> {
        customers.write(&customers_to_frame(&chunk.customers))?;
        events.write(&events_to_frame(&chunk.events))?;
        truth.write(&truth_to_frame(&chunk.truth))?;
        pb.inc(chunk.customers.len() as u64);
        Ok(())
    })?;
    pb.finish_and_clear();
    let written = Written {
        customers: customers.rows(),
        events: events.rows(),
        truth_rows: truth.rows(),
        dir: out.to_path_buf(),
    };
    customers.finish()?;
    events.finish()?;
    truth.finish()?;
    Ok(written)
}

/// The config the flags describe.
pub fn config(a: &SimulateArgs) -> anyhow::Result<SimConfig> {
    let days = super::features::parse_days(&a.duration, "--duration")?;
    let mut c = SimConfig::new(a.n_customers, days, a.seed);
    let start = parse_date(&a.start)
        .ok_or_else(|| Error::usage(format!("--start {:?} is not a date (YYYY-MM-DD)", a.start)))?;
    c.start = chrono::DateTime::from_timestamp_millis(start)
        .expect("valid")
        .date_naive();
    if a.no_incident {
        c.incident_day = None;
    } else if let Some(after) = &a.incident_after {
        let d = super::features::parse_days(after, "--incident-after")?;
        if d >= days {
            return Err(Error::usage(format!(
                "--incident-after {after} is outside the {days} simulated days (--duration {})",
                a.duration
            ))
            .into());
        }
        c.incident_day = Some(d);
    }
    Ok(c)
}

pub fn run(a: &SimulateArgs, quiet: bool) -> anyhow::Result<()> {
    let config = config(a)?;
    let t0 = std::time::Instant::now();
    let w = simulate_to(&config, &a.out, quiet)?;
    erosion_io::outln!(
        "simulated {} customers over {} days (seed {}) in {:.1}s: {} events, {} truth rows",
        w.customers,
        config.days,
        config.seed,
        t0.elapsed().as_secs_f64(),
        w.events,
        w.truth_rows
    );
    for f in ["customers.parquet", "events.parquet", "truth.parquet"] {
        erosion_io::outln!("  {}", w.dir.join(f).display());
    }
    Ok(())
}
