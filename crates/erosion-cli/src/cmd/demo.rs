//! `erosion demo`: the whole journey on embedded sample data. Each step prints what it did.

use crate::args::{DemoArgs, EventFileArgs};
use erosion_core::{Customers, EventLog};
use erosion_fairness::MitigationConstraint;
use erosion_features::FeatureConfig;
use erosion_features::TrustMetric;
use erosion_forecast::{Freq, Model};
use erosion_models::{ModelKind, ThresholdRule};
use erosion_pipeline::audit::{AuditRequest, AuditSource};
use erosion_pipeline::evaluate::EvaluateRequest;
use erosion_pipeline::export::ExportRequest;
use erosion_pipeline::forecast::{ForecastRequest, SeriesSource};
use erosion_pipeline::simulate::Written;
use erosion_pipeline::train::TrainRequest;
use erosion_sim::SimConfig;
use std::path::{Path, PathBuf};

/// Where the demo writes, and whether progress bars show.
struct Demo<'a> {
    out: &'a Path,
    quiet: bool,
}

/// The simulated files, as every command reads them.
fn file_args() -> EventFileArgs {
    EventFileArgs {
        customer_id_col: "customer_id".into(),
        event_type_col: "event_type".into(),
        channel_col: "channel".into(),
        personalized_col: "personalized".into(),
        ..EventFileArgs::default()
    }
}

impl Demo<'_> {
    fn data(&self, name: &str) -> PathBuf {
        self.out.join("data").join(name)
    }

    fn model(&self) -> PathBuf {
        self.out.join("model.json")
    }

    fn simulate(&self, config: &SimConfig) -> anyhow::Result<Written> {
        erosion_io::outln!(
            "== 1. simulate: {} customers over 730 days (seed 7)",
            config.customers
        );
        let bars = crate::progress::Bars::new(self.quiet);
        let w = erosion_pipeline::simulate::simulate_to(config, &self.out.join("data"), &bars)?;
        bars.clear();
        erosion_io::outln!(
            "   wrote {} customers, {} events, {} truth rows to {}",
            w.customers,
            w.events,
            w.truth_rows,
            w.dir.display()
        );
        Ok(w)
    }

    fn validate(&self) -> anyhow::Result<(EventLog, Customers)> {
        erosion_io::outln!("== 2. validate: load the files back as every command does");
        let file = file_args();
        let log = super::load::events(&self.data("events.parquet"), &file)?;
        let customers = super::load::customers(&self.data("customers.parquet"), &file)?;
        let summary = erosion_io::summarize(&log, Some(&customers));
        for line in summary.to_string().lines() {
            erosion_io::outln!("   {line}");
        }
        Ok((log, customers))
    }

    /// The training table (three earlier cutoffs) and the test table (a later one).
    fn features(
        &self,
        log: &EventLog,
        customers: &Customers,
        config: &FeatureConfig,
    ) -> anyhow::Result<(PathBuf, PathBuf)> {
        erosion_io::outln!(
            "== 3. features: point in time, 90-day churn and erosion labels, over the population"
        );
        erosion_io::outln!(
            "   the population: a warning is for customers who are still here, so each cutoff keeps the {}; the rest are counted, not scored",
            config.population_rule()
        );
        let train_cutoffs = super::features::cutoffs(&["2025-01-01..2025-07-02/91d".to_string()])?;
        let test_cutoffs = super::features::cutoffs(&["2025-10-01".to_string()])?;
        let train_path = self.out.join("features_train.parquet");
        let test_path = self.out.join("features_test.parquet");
        for (cutoffs, path) in [(&train_cutoffs, &train_path), (&test_cutoffs, &test_path)] {
            let table = erosion_features::compute(log, Some(customers), cutoffs, config);
            let built = erosion_pipeline::features::write_table(
                &table,
                &self.data("events.parquet"),
                cutoffs,
                config,
                path,
                &erosion_pipeline::Silent,
            )?;
            for line in built.summary.lines() {
                erosion_io::outln!("   {line}");
            }
            erosion_io::outln!("   wrote {}", path.display());
        }
        Ok((train_path, test_path))
    }

    // The GBDT: the model most users pick, seconds to train and cheap to explain per customer.
    // `--family auto` also fits logistic regression and a 300-tree forest and keeps the best by
    // validation AUC (on this data the three are within 0.01), at many times the cost.
    fn train(&self, train_path: &Path) -> anyhow::Result<()> {
        erosion_io::outln!(
            "== 4. train: GBDT erosion classifier on the three earlier cutoffs (time-based validation)"
        );
        super::train::train(
            &TrainRequest {
                features: train_path.to_path_buf(),
                label: "erosion".into(),
                positive: None,
                id: None,
                sensitive: Vec::new(),
                exclude: Vec::new(),
                allow: Vec::new(),
                family: ModelKind::Gbdt,
                threshold: ThresholdRule::Capacity { fraction: 0.1 },
                folds: 5,
                horizon_days: None,
                seed: 0,
                out: self.model(),
                metrics_out: Some(self.out.join("validation.json")),
            },
            self.quiet,
        )
    }

    fn evaluate(&self, test_path: &Path) -> anyhow::Result<erosion_models::Evaluation> {
        erosion_io::outln!(
            "== 5. evaluate: on the later cutoff 2025-10-01, which training never saw"
        );
        Ok(super::train::evaluate(&EvaluateRequest {
            model: self.model(),
            features: test_path.to_path_buf(),
            out: Some(self.out.join("evaluation.json")),
        })?
        .evaluation)
    }

    fn audit(&self, test_path: &Path) -> anyhow::Result<()> {
        erosion_io::outln!(
            "== 6. audit: fairness by gender and age band (attributes the model never saw)"
        );
        super::audit::audit(
            &AuditRequest {
                source: AuditSource::Model {
                    model: self.model(),
                    features: test_path.to_path_buf(),
                },
                customers: Some(self.data("customers.parquet")),
                groups: vec!["gender".into(), "age_band".into()],
                threshold: None,
                references: Vec::new(),
                min_group_size: 30,
                mitigation: Some(MitigationConstraint::EqualOpportunity),
                bootstrap: 500,
                seed: 0,
                out: self.out.join("audit"),
            },
            self.quiet,
        )
    }

    fn forecast(&self, sim_config: &SimConfig) -> anyhow::Result<()> {
        erosion_io::outln!("== 7. forecast: weekly NPS and opt-out rate per region, as of ten days after the simulated incident");
        let incident = config_incident_date(sim_config);
        let as_of = erosion_core::time::parse_date(&incident).expect("a date the demo made");
        let file = file_args();
        for metric in [TrustMetric::OptoutRate, TrustMetric::Nps] {
            let name = metric.as_str();
            super::forecast::forecast(
                &ForecastRequest {
                    source: SeriesSource::Events {
                        events: self.data("events.parquet"),
                        events_options: super::load::event_options(&file)?,
                        customers: Some(self.data("customers.parquet")),
                        customers_options: super::load::customer_options(&file),
                        metric,
                        by: Some("region".into()),
                        freq: Freq::Week,
                        as_of: Some(as_of),
                    },
                    periods: 13,
                    season: None,
                    method: Model::Auto,
                    backtest: None,
                    alerts: Some(self.out.join(format!("forecast/{name}_alerts.json"))),
                    alert_below: None,
                    alert_above: None,
                    anomaly_z: 3.0,
                    plot: Some(self.out.join("forecast/plots")),
                    out: self.out.join(format!("forecast/{name}.csv")),
                },
                self.quiet,
            )?;
        }
        Ok(())
    }

    fn export(&self) -> anyhow::Result<()> {
        erosion_io::outln!("== 8. export: the model as ONNX, preprocessing inside the graph");
        let onnx_path = self.out.join("model.onnx");
        let exported = erosion_pipeline::export::export(&ExportRequest {
            model: self.model(),
            out: onnx_path.clone(),
        })?;
        erosion_io::outln!(
            "   wrote {} ({} bytes, {} inputs)",
            onnx_path.display(),
            exported.bytes,
            exported.inputs
        );
        Ok(())
    }

    /// Monitors the model across the incident; returns what moved, in a sentence.
    fn monitor(&self, sim_config: &SimConfig) -> anyhow::Result<String> {
        erosion_io::outln!("== 10. monitor: the model's inputs and score two weeks before the incident and seven weeks after it");
        let incident =
            sim_config.start + chrono::Days::new(u64::from(sim_config.incident_day.unwrap_or(0)));
        super::monitor::demo_step(
            self.out,
            &self.model(),
            &self.out.join("data"),
            &incident.format("%Y-%m-%d").to_string(),
        )
    }

    /// Scores the raw histories; returns how many were scored and the exclusions by reason.
    fn score(&self) -> anyhow::Result<(usize, Vec<String>)> {
        erosion_io::outln!(
            "== 9. score: the nightly job (erosion-score) on the raw histories as of 2025-10-01"
        );
        let scores_path = self.out.join("scores.csv");
        let exclusions_path = self.out.join("exclusions.csv");
        let scored = erosion_score::run::run(&erosion_score::run::Options {
            model: self.model(),
            source: erosion_score::run::Source::Raw {
                events: self.data("events.parquet"),
                customers: self.data("customers.parquet"),
                as_of: "2025-10-01".into(),
            },
            out: scores_path.clone(),
            exclusions: Some(exclusions_path.clone()),
            suppress: None,
            partition: None,
            consent_handled_upstream: false,
            memory: Default::default(),
        })
        .map_err(erosion_pipeline::Failure::from)?;
        let excluded: Vec<String> = scored
            .excluded
            .iter()
            .map(|(r, n)| format!("{n} {r}"))
            .collect();
        erosion_io::outln!(
            "   {} customers: {} scored, {} not scored ({})",
            scored.in_partition,
            scored.scored,
            scored.excluded_total(),
            excluded.join(", ")
        );
        erosion_io::outln!(
            "   wrote {} and {}",
            scores_path.display(),
            exclusions_path.display()
        );
        Ok((scored.scored, excluded))
    }
}

/// Simulates, builds features, trains, evaluates, audits, forecasts, exports and scores, each
/// step through the same requests the commands build, then writes the front page.
pub fn run(a: &DemoArgs, quiet: bool) -> anyhow::Result<()> {
    let demo = Demo { out: &a.out, quiet };
    let sim_config = SimConfig::new(a.n_customers, 730, 7);
    let w = demo.simulate(&sim_config)?;
    let (log, customers) = demo.validate()?;
    let config = FeatureConfig::default();
    let (train_path, test_path) = demo.features(&log, &customers, &config)?;
    drop((log, customers));
    demo.train(&train_path)?;
    let evaluation = demo.evaluate(&test_path)?;
    demo.audit(&test_path)?;
    demo.forecast(&sim_config)?;
    demo.export()?;
    let (scored, excluded) = demo.score()?;
    let drift = demo.monitor(&sim_config)?;
    let out = &a.out;
    let report = out.join("report.html");
    let page = index_page(&IndexFacts {
        customers: w.customers,
        events: w.events,
        test_auc: evaluation.metrics.roc_auc,
        test_rows: evaluation.metrics.rows,
        at_action: evaluation.at_action.clone(),
        population: config.population_rule(),
        scored,
        excluded,
        drift: Some(drift),
        out,
    });
    erosion_io::atomic_write(&report, |f| {
        use std::io::Write;
        f.write_all(page.as_bytes())
            .map_err(|e| erosion_core::Error::io(&report, e))
    })?;
    erosion_io::outln!("demo files are in {}", out.display());
    erosion_io::outln!("the report is {}", report.display());
    Ok(())
}

struct IndexFacts<'a> {
    customers: usize,
    events: usize,
    test_auc: f64,
    test_rows: usize,
    at_action: Option<erosion_models::ActionMetrics>,
    population: String,
    scored: usize,
    excluded: Vec<String>,
    /// The monitor step's comparison across the incident.
    drift: Option<String>,
    out: &'a std::path::Path,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The alerts a forecast step wrote, as their messages.
fn alert_messages(path: &std::path::Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let Ok(serde_json::Value::Array(alerts)) = serde_json::from_str::<serde_json::Value>(&text)
    else {
        return Vec::new();
    };
    alerts
        .iter()
        .filter_map(|a| {
            a.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .collect()
}

/// The audit's findings whose difference is unlikely to be chance, as their sentences.
fn significant_findings(path: &std::path::Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    doc.get("findings")
        .and_then(|f| f.as_array())
        .map(|fs| {
            fs.iter()
                .filter(|f| f.get("significant").and_then(|s| s.as_bool()) == Some(true))
                .filter_map(|f| f.get("text").and_then(|t| t.as_str()).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The box on top of the demo page: one line per question a reader brings, with its answer.
fn verdict_box(f: &IndexFacts, alerts: usize) -> String {
    let skill = match &f.at_action {
        Some(a) => format!(
            "ROC-AUC {:.3} on {} customers still here at a cutoff training never saw; acting on \
             the {:.0} % it flags reaches {:.0} % of those who erode, {:.1}x what a random pick would",
            f.test_auc,
            f.test_rows,
            100.0 * a.flagged_share,
            100.0 * a.capture,
            a.lift
        ),
        None => format!("ROC-AUC {:.3} on {} customers still here", f.test_auc, f.test_rows),
    };
    let findings = significant_findings(&f.out.join("audit/fairness.json"));
    let fairness = if findings.is_empty() {
        "no difference between groups that chance would not explain".to_string()
    } else {
        format!(
            "{} difference(s) between groups unlikely to be chance, the first: {}",
            findings.len(),
            escape(&findings[0])
        )
    };
    format!(
        "<div class=\"verdict\"><b>In short</b><ul>\
         <li><b>Early warning:</b> {skill}.</li>\
         <li><b>Fairness:</b> {fairness} (<a href=\"audit/report.html\">the audit</a>).</li>\
         <li><b>Trust metrics:</b> {alerts} forecast alert(s) after the simulated incident.</li>\
         <li><b>Tonight:</b> {} customers scored; {} not scored, each listed with the reason.</li>\
         {drift}</ul></div>",
        f.scored,
        f.excluded
            .iter()
            .filter_map(|e| e.split(' ').next()?.parse::<usize>().ok())
            .sum::<usize>(),
        drift = f.drift.as_ref().map_or(String::new(), |d| format!(
            "<li><b>Drift:</b> {} (<a href=\"monitor_before/report.html\">before</a>, \
             <a href=\"monitor_after/report.html\">after</a>).</li>",
            escape(d)
        ))
    )
}

/// The demo's front page: what each step made, with links (relative, so the folder can move).
fn index_page(f: &IndexFacts) -> String {
    let mut alerts = String::new();
    let mut n_alerts = 0;
    for metric in ["optout_rate", "nps"] {
        let msgs = alert_messages(&f.out.join(format!("forecast/{metric}_alerts.json")));
        n_alerts += msgs.len();
        alerts.push_str(&format!(
            "<li><b>{metric}</b>: <a href=\"forecast/{metric}.csv\">forecasts</a>, \
             <a href=\"forecast/{metric}_alerts.json\">{} alert(s)</a><ul>",
            msgs.len()
        ));
        for m in msgs.iter().take(8) {
            alerts.push_str(&format!("<li>{}</li>", escape(m)));
        }
        alerts.push_str("</ul></li>");
    }
    let mut plots = String::new();
    if let Ok(dir) = std::fs::read_dir(f.out.join("forecast/plots")) {
        let mut names: Vec<String> = dir
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".png"))
            .collect();
        names.sort();
        for n in names {
            plots.push_str(&format!(
                "<figure><img src=\"forecast/plots/{0}\" width=\"640\" alt=\"{0}\"><figcaption>{0}</figcaption></figure>",
                escape(&n)
            ));
        }
    }
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>erosion demo</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}}code{{background:#eee}}
.verdict{{background:#eef4fb;border-left:4px solid #2a6fb0;padding:.6em 1em;margin:1em 0}}</style>
</head><body>
<h1>erosion demo</h1>
{verdict}
<p>Simulated {customers} customers with {events} events over 730 days (seed 7; a company-wide
privacy incident half way). Everything below was made by <code>erosion demo</code> in this folder.</p>
<h2>1. The model</h2>
<ul>
<li><a href="model.card.md">Model card</a> (intended use, data, validation metrics with spread,
excluded attributes, caveats) and the bundle <a href="model.json">model.json</a>;
validation metrics in <a href="validation.json">validation.json</a>.</li>
<li>Held-out evaluation at the later cutoff 2025-10-01: ROC-AUC <b>{auc:.3}</b> on {rows} labelled
customers of the population (<a href="evaluation.json">evaluation.json</a>){action}.</li>
<li>The population: a warning is for customers who are still here, so every table, metric and score
covers the {population}; the others are counted and listed in the exclusions, never scored.</li>
<li>ONNX export for other engines: <a href="model.onnx">model.onnx</a>.</li>
</ul>
<h2>2. Fairness audit</h2>
<p><a href="audit/report.html">The fairness report</a> by gender and age band, attributes the model
never saw: metrics with 95 % intervals, disparities, plots and an equal-opportunity mitigation
(<a href="audit/fairness.json">fairness.json</a>, <a href="audit/group_metrics.csv">group_metrics.csv</a>).</p>
<h2>3. Forecasts of trust metrics per region</h2>
<ul>{alerts}</ul>
{plots}
<h2>4. Nightly scoring</h2>
<p><a href="scores.csv">scores.csv</a>: {scored} customers scored with trust score, band, top reasons and
recommended action; <a href="exclusions.csv">exclusions.csv</a>: not scored ({excluded}).</p>
<h2>5. Monitoring across the incident</h2>
<p>The model's inputs and score against its training reference, by region, two weeks before the
incident (<a href="monitor_before/report.html">page</a>, <a href="monitor_before/alerts.json">alerts</a>)
and seven weeks after it (<a href="monitor_after/report.html">page</a>,
<a href="monitor_after/alerts.json">alerts</a>).</p>
</body></html>
"#,
        verdict = verdict_box(f, n_alerts),
        customers = f.customers,
        events = f.events,
        auc = f.test_auc,
        rows = f.test_rows,
        action = match &f.at_action {
            Some(a) => format!(
                "; at the action threshold it flags {:.1} % of them, {:.0} % of whom erode (lift {:.2}), \
                 and reaches {:.0} % of those who erode",
                100.0 * a.flagged_share,
                100.0 * a.precision,
                a.lift,
                100.0 * a.capture
            ),
            None => String::new(),
        },
        population = escape(&f.population),
        scored = f.scored,
        excluded = escape(&f.excluded.join(", ")),
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_box_answers_each_question_from_the_outputs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("audit")).unwrap();
        std::fs::write(
            dir.path().join("audit/fairness.json"),
            r#"{"findings": [
                {"significant": false, "text": "could be chance"},
                {"significant": true, "text": "The model flags A 2x as often as B"},
                {"significant": true, "text": "second"}]}"#,
        )
        .unwrap();
        let facts = IndexFacts {
            customers: 5000,
            events: 1,
            test_auc: 0.6236,
            test_rows: 3082,
            at_action: Some(erosion_models::ActionMetrics {
                threshold: 0.39,
                flagged_share: 0.123,
                precision: 0.348,
                capture: 0.222,
                lift: 1.81,
            }),
            population: "customers still here".into(),
            scored: 2723,
            excluded: vec!["763 cancelled".into(), "1514 lapsed".into()],
            drift: Some("0 alert(s) two weeks before the incident, 5 seven weeks after".into()),
            out: dir.path(),
        };
        let html = verdict_box(&facts, 5);
        for needle in [
            "ROC-AUC 0.624 on 3082 customers still here",
            "reaches 22 % of those who erode, 1.8x",
            "2 difference(s) between groups unlikely to be chance, the first: The model flags A",
            "5 forecast alert(s)",
            "2723 customers scored; 2277 not scored",
            "<b>Drift:</b> 0 alert(s) two weeks before the incident, 5 seven weeks after",
        ] {
            assert!(html.contains(needle), "{needle}: {html}");
        }
        assert!(!html.contains("could be chance"));
        // no audit: nothing claimed about fairness differences
        let empty = tempfile::tempdir().unwrap();
        let facts = IndexFacts {
            out: empty.path(),
            ..facts
        };
        assert!(verdict_box(&facts, 0).contains("no difference between groups"));
    }
}
