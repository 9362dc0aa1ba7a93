//! `erosion simulate`: flags to a [`SimConfig`]; the writing is [`erosion_pipeline::simulate`].

use crate::args::SimulateArgs;
use erosion_core::time::parse_date;
use erosion_core::Error;
use erosion_sim::SimConfig;

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
    let bars = crate::progress::Bars::new(quiet);
    let w = erosion_pipeline::simulate::simulate_to(&config, &a.out, &bars)?;
    bars.clear();
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
