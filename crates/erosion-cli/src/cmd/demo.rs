//! `erosion demo`: the whole journey on embedded sample data. Each step prints what it did.

use crate::args::{DemoArgs, EventFileArgs};
use erosion_sim::SimConfig;

pub fn run(a: &DemoArgs, quiet: bool) -> anyhow::Result<()> {
    let out = &a.out;
    println!("== 1. simulate: {} customers over 730 days (seed 7)", a.customers);
    let config = SimConfig::new(a.customers, 730, 7);
    let w = super::simulate::simulate_to(&config, &out.join("data"), quiet)?;
    println!(
        "   wrote {} customers, {} events, {} truth rows to {}",
        w.customers,
        w.events,
        w.truth_rows,
        w.dir.display()
    );

    println!("== 2. validate: load the files back as every command does");
    let file = EventFileArgs {
        customer_id_col: "customer_id".into(),
        timestamp_col: "timestamp".into(),
        event_type_col: "event_type".into(),
        value_col: "value".into(),
        channel_col: "channel".into(),
        personalized_col: "personalized".into(),
        ..EventFileArgs::default()
    };
    let log = super::load::events(&w.dir.join("events.parquet"), &file)?;
    let customers = super::load::customers(&w.dir.join("customers.parquet"), &file)?;
    let summary = erosion_io::summarize(&log, Some(&customers));
    for line in summary.to_string().lines() {
        println!("   {line}");
    }

    println!("== 3. features: point in time at four quarterly cutoffs, 90-day churn and erosion labels");
    let cutoffs = super::features::cutoffs(&[], &["2025-01-01..2025-10-01/91d".to_string()])?;
    let config = erosion_features::FeatureConfig::default();
    let table = erosion_features::compute(&log, Some(&customers), &cutoffs, &config);
    let features_path = out.join("features.parquet");
    erosion_io::write_table(&features_path, &mut super::features::to_frame(&table))?;
    super::features::print_summary(&table, config.horizon_days);
    println!("   wrote {}", features_path.display());

    println!("demo files are in {}", out.display());
    Ok(())
}
