//! `erosion demo`: the whole journey on embedded sample data. Each step prints what it did.

use crate::args::{AuditArgs, DemoArgs, EvaluateArgs, EventFileArgs, ForecastArgs, TrainArgs};
use erosion_sim::SimConfig;

pub fn run(a: &DemoArgs, quiet: bool) -> anyhow::Result<()> {
    let out = &a.out;
    println!(
        "== 1. simulate: {} customers over 730 days (seed 7)",
        a.customers
    );
    let sim_config = SimConfig::new(a.customers, 730, 7);
    let w = super::simulate::simulate_to(&sim_config, &out.join("data"), quiet)?;
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

    println!("== 3. features: point in time, 90-day churn and erosion labels");
    let config = erosion_features::FeatureConfig::default();
    let train_cutoffs = super::features::cutoffs(&[], &["2025-01-01..2025-07-02/91d".to_string()])?;
    let test_cutoffs = super::features::cutoffs(&["2025-10-01".to_string()], &[])?;
    let train_path = out.join("features_train.parquet");
    let test_path = out.join("features_test.parquet");
    for (cutoffs, path) in [(&train_cutoffs, &train_path), (&test_cutoffs, &test_path)] {
        let table = erosion_features::compute(&log, Some(&customers), cutoffs, &config);
        erosion_io::write_table(path, &mut super::features::to_frame(&table))?;
        for line in super::features::summary(&table, config.horizon_days).lines() {
            println!("   {line}");
        }
        println!("   wrote {}", path.display());
    }

    println!(
        "== 4. train: erosion classifier on the three earlier cutoffs (time-based validation)"
    );
    let model_path = out.join("model.json");
    super::train::run_train(
        &TrainArgs {
            features: train_path.clone(),
            target: "erosion".into(),
            positive: None,
            id: None,
            sensitive: Vec::new(),
            model: "auto".into(),
            capacity: 0.1,
            cost_ratio: None,
            best_f1: false,
            folds: 5,
            horizon: "90d".into(),
            seed: 0,
            out: model_path.clone(),
            metrics_out: Some(out.join("validation.json")),
        },
        quiet,
    )?;

    println!("== 5. evaluate: on the later cutoff 2025-10-01, which training never saw");
    super::train::run_evaluate(&EvaluateArgs {
        model: model_path.clone(),
        features: test_path.clone(),
        out: Some(out.join("evaluation.json")),
    })?;

    println!("== 6. audit: fairness by gender and age band (attributes the model never saw)");
    super::audit::run(
        &AuditArgs {
            model: Some(model_path.clone()),
            features: Some(test_path.clone()),
            customers: Some(w.dir.join("customers.parquet")),
            predictions: None,
            label: None,
            score: None,
            positive: None,
            pred: None,
            id: None,
            group: vec!["gender".into(), "age_band".into()],
            threshold: None,
            reference: Vec::new(),
            min_group_size: 30,
            mitigate: Some("equal_opportunity".into()),
            bootstrap: 500,
            seed: 0,
            out: out.join("audit"),
        },
        quiet,
    )?;

    println!("== 7. forecast: weekly NPS and opt-out rate per region, as of ten days after the simulated incident");
    let incident = config_incident_date(&sim_config);
    for metric in ["optout_rate", "nps"] {
        super::forecast::run(
            &ForecastArgs {
                series: None,
                format: None,
                id: "series_id".into(),
                time: "ds".into(),
                value: "y".into(),
                events: Some(w.dir.join("events.parquet")),
                customers: Some(w.dir.join("customers.parquet")),
                metric: Some(metric.into()),
                by: Some("region".into()),
                freq: Some("week".into()),
                until: Some(incident.clone()),
                horizon: 13,
                season: None,
                model: "auto".into(),
                backtest: None,
                alerts: Some(out.join(format!("forecast/{metric}_alerts.json"))),
                alert_below: None,
                alert_above: None,
                anomaly_z: 3.0,
                plot: Some(out.join("forecast/plots")),
                out: Some(out.join(format!("forecast/{metric}.csv"))),
                file: file.clone(),
            },
            quiet,
        )?;
    }

    println!("demo files are in {}", out.display());
    println!(
        "the fairness report is {}",
        out.join("audit/report.html").display()
    );
    Ok(())
}

/// The Monday ten days after the simulated incident: the first full week after it is the
/// latest week of the series.
fn config_incident_date(config: &SimConfig) -> String {
    let day = config.incident_day.unwrap_or(config.days / 2) as i64 + 10;
    let date = config.start + chrono::Days::new(day as u64);
    use chrono::Datelike;
    let monday = date - chrono::Days::new(date.weekday().num_days_from_monday() as u64);
    monday.format("%Y-%m-%d").to_string()
}
