//! `erosion simulate`: the simulator's chunks, written to three Parquet files atomically.

use crate::{usage, Failure, Observer};
use erosion_core::time::DAY_MS;
use erosion_core::Error;
use erosion_io::polars::prelude::*;
use erosion_io::{customers_to_frame, events_to_frame, ParquetSink};
use erosion_sim::{SimConfig, Truth};
use std::path::{Path, PathBuf};

/// What was written.
pub struct Written {
    /// Customers written.
    pub customers: usize,
    /// Events written.
    pub events: usize,
    /// Rows of the latent truth (one per customer and month).
    pub truth_rows: usize,
    /// The folder holding `customers.parquet`, `events.parquet` and `truth.parquet`.
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

/// Simulates into `out` with the given config: three Parquet files, each written atomically.
pub fn simulate_to(config: &SimConfig, out: &Path, on: &dyn Observer) -> Result<Written, Failure> {
    if config.customers == 0 {
        return Err(usage("--n-customers must be at least 1"));
    }
    if config.days < 7 {
        return Err(usage("--duration must be at least 7d"));
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let mut customers = ParquetSink::create(&out.join("customers.parquet"))?;
    let mut events = ParquetSink::create(&out.join("events.parquet"))?;
    let mut truth = ParquetSink::create(&out.join("truth.parquet"))?;
    on.stage("simulating", config.customers as u64);
    let mut done = 0u64;
    erosion_sim::simulate(config, |chunk| -> Result<(), Error> {
        customers.write(&customers_to_frame(&chunk.customers))?;
        events.write(&events_to_frame(&chunk.events))?;
        truth.write(&truth_to_frame(&chunk.truth))?;
        done += chunk.customers.len() as u64;
        on.progress(done, "customers");
        Ok(())
    })?;
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
