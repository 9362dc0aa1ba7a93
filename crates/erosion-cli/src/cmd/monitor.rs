//! `erosion monitor`: flags to a [`MonitorRequest`], the summary printed, and exit code 3 on
//! alerts when asked.

use std::path::{Path, PathBuf};

use clap::Args;
use erosion_core::Error;
use erosion_monitor::{Alert, Thresholds};
use erosion_pipeline::monitor::{MonitorReport, MonitorRequest, Monitored};

/// Flags of `erosion monitor`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  erosion-score --model model.json --features tonight.parquet --out scores.parquet\n  \
erosion monitor --model model.json --features tonight.parquet --by region --out monitor/\n  \
erosion monitor --model model.json --events events.parquet --customers customers.parquet \\\n      \
--as-of 2025-06-01 --by region --out monitor/ --fail-on-alert\n\n\
Writes DIR/monitor.json (every input's and the score's drift, overall and per segment),\n\
DIR/alerts.json (the alerts, furthest past their threshold first, with the model's global\n\
importance of each input) and DIR/report.html (self-contained). Exit code 0, also with alerts; 3 with alerts under --fail-on-alert;\n\
2 on bad input or a bundle without a training reference (retrain it)."
)]
pub struct MonitorArgs {
    /// Model bundle from `erosion train` (it carries the training reference).
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Tonight's feature table (what `erosion-score --features` reads).
    #[arg(
        long,
        value_name = "F",
        conflicts_with = "as_of",
        required_unless_present = "as_of"
    )]
    pub features: Option<PathBuf>,
    /// Raw events: tonight's features with --as-of (as `erosion-score` computes them), and the
    /// labels of earlier --scores files.
    #[arg(long, value_name = "F")]
    pub events: Option<PathBuf>,
    /// Customers file: signup dates for raw events; segment columns joined on the id.
    #[arg(long, value_name = "F")]
    pub customers: Option<PathBuf>,
    /// The night's date (YYYY-MM-DD): tonight's features from --events.
    #[arg(long = "as-of", value_name = "DATE", requires = "events")]
    pub as_of: Option<String>,
    /// An earlier `erosion-score` output (repeatable): its realised performance once its
    /// horizon has passed by the end of --events (a night whose horizon has not passed is
    /// skipped with a note).
    #[arg(long = "scores", value_name = "F", requires = "events")]
    pub scores: Vec<PathBuf>,
    /// The previous night's `erosion-score` output: band transitions and changed top reasons
    /// against --tonight-scores.
    #[arg(long, value_name = "F", requires = "tonight_scores")]
    pub previous_scores: Option<PathBuf>,
    /// Tonight's `erosion-score` output, for --previous-scores.
    #[arg(long, value_name = "F", requires = "previous_scores")]
    pub tonight_scores: Option<PathBuf>,
    /// Segment column (repeatable): drift is also reported per value of it.
    #[arg(long = "by", value_name = "COL")]
    pub by: Vec<String>,
    /// Output directory for monitor.json, alerts.json and report.html.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Bootstrap replicates of the fairness intervals of each realised night.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub bootstrap: usize,
    /// Exit with code 3 when there is any alert (0 otherwise).
    #[arg(long)]
    pub fail_on_alert: bool,
    /// PSI above this, plus PSI's no-drift expectation at the sample sizes, is an alert.
    #[arg(long, default_value_t = 0.2, value_name = "X")]
    pub psi_threshold: f64,
    /// Family-wise level of the KS tests (Bonferroni-corrected over every test of the run).
    #[arg(long, default_value_t = 0.01, value_name = "P")]
    pub ks_alpha: f64,
    /// Smallest KS statistic that is an alert, however small the p-value.
    #[arg(long, default_value_t = 0.1, value_name = "D")]
    pub ks_min: f64,
    /// Smallest change of a missing share that is an alert.
    #[arg(long, default_value_t = 0.1, value_name = "X")]
    pub missing_change: f64,
    /// Fewest rows a segment needs before it can alert.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub min_rows: usize,
    /// Smallest relative change of the share of customers at or above the action threshold
    /// (against the training reference's share) that is an alert, when a two-proportion z-test
    /// is also significant at the corrected level.
    #[arg(long, default_value_t = 0.2, value_name = "X")]
    pub action_share_change: f64,
    /// Smallest relative change of the share of customers away from an input's usual value
    /// (the value at least half the training rows hold: 0 complaints, not opted out) that is an
    /// alert, when a two-proportion z-test is also significant at the corrected level.
    #[arg(long, default_value_t = 0.2, value_name = "X")]
    pub usual_share_change: f64,
}

/// The run found alerts and `--fail-on-alert` asks for exit code 3.
#[derive(Debug)]
pub struct AlertsRaised(pub usize);

impl std::fmt::Display for AlertsRaised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} drift alert(s); exit code 3 because of --fail-on-alert",
            self.0
        )
    }
}

impl std::error::Error for AlertsRaised {}

fn thresholds(a: &MonitorArgs) -> Thresholds {
    Thresholds {
        psi: a.psi_threshold,
        ks_alpha: a.ks_alpha,
        ks_min_statistic: a.ks_min,
        missing_change: a.missing_change,
        min_rows: a.min_rows,
        action_share_change: a.action_share_change,
        usual_share_change: a.usual_share_change,
    }
}

/// The request the flags describe.
pub fn request(a: &MonitorArgs) -> Result<MonitorRequest, Error> {
    let as_of = a
        .as_of
        .as_deref()
        .map(|d| {
            erosion_core::time::parse_date(d)
                .ok_or_else(|| Error::usage(format!("--as-of {d:?} is not a date (YYYY-MM-DD)")))
        })
        .transpose()?;
    Ok(MonitorRequest {
        model: a.model.clone(),
        features: a.features.clone(),
        events: a.events.clone(),
        customers: a.customers.clone(),
        as_of,
        scores: a.scores.clone(),
        previous_scores: a.previous_scores.clone(),
        tonight_scores: a.tonight_scores.clone(),
        by: a.by.clone(),
        out: a.out.clone(),
        bootstrap: a.bootstrap,
        thresholds: thresholds(a),
    })
}

/// `erosion monitor`.
pub fn run(a: &MonitorArgs) -> anyhow::Result<()> {
    let m = erosion_pipeline::monitor::monitor(&request(a)?)?;
    print_summary(&m);
    if a.fail_on_alert && !m.alerts.is_empty() {
        return Err(AlertsRaised(m.alerts.len()).into());
    }
    Ok(())
}

/// The demo's monitoring step, across the simulated incident: `erosion monitor` from the raw
/// histories in `data` (`events.parquet`, `customers.parquet`) two weeks before the incident
/// (`incident`, YYYY-MM-DD) and seven weeks after it, each against the training reference of
/// the bundle `model`, by region, into `out/monitor_before` and `out/monitor_after`; then what
/// alerts after the incident that did not before, and the share of customers at or above the
/// action threshold on both nights. Returns that comparison as a sentence.
pub fn demo_step(out: &Path, model: &Path, data: &Path, incident: &str) -> anyhow::Result<String> {
    use erosion_core::time::{format_date, parse_date, DAY_MS};
    let day = parse_date(incident)
        .ok_or_else(|| Error::usage(format!("incident date {incident:?} is not YYYY-MM-DD")))?;
    let mut nights = Vec::new();
    for (tag, as_of) in [("before", day - 14 * DAY_MS), ("after", day + 49 * DAY_MS)] {
        let dir = out.join(format!("monitor_{tag}"));
        let r = MonitorRequest {
            model: model.to_path_buf(),
            features: None,
            events: Some(data.join("events.parquet")),
            customers: Some(data.join("customers.parquet")),
            as_of: Some(as_of),
            scores: Vec::new(),
            previous_scores: None,
            tonight_scores: None,
            by: vec!["region".into()],
            out: dir,
            bootstrap: 1000,
            thresholds: Thresholds::default(),
        };
        erosion_io::outln!("   {tag} the incident ({}):", format_date(as_of));
        let m = erosion_pipeline::monitor::monitor(&r)?;
        print_summary(&m);
        nights.push((m.report, m.alerts));
    }
    let key = |x: &Alert| format!("{} {}", x.input, x.statistic);
    let before: std::collections::BTreeSet<String> = nights[0]
        .1
        .iter()
        .filter(|x| x.scope == "overall")
        .map(key)
        .collect();
    let new: Vec<String> = nights[1]
        .1
        .iter()
        .filter(|x| x.scope == "overall")
        .map(key)
        .filter(|k| !before.contains(k))
        .collect();
    let share = |r: &MonitorReport| {
        r.drift
            .first()
            .and_then(|d| d.action.as_ref())
            .map_or("-".to_string(), |x| format!("{:.1} %", 100.0 * x.share))
    };
    let sentence = format!(
        "{} alert(s) two weeks before the incident, {} seven weeks after; at or above the action threshold {} before, {} after; new after it: {}",
        nights[0].1.len(),
        nights[1].1.len(),
        share(&nights[0].0),
        share(&nights[1].0),
        if new.is_empty() {
            "none".to_string()
        } else {
            new.join(", ")
        }
    );
    erosion_io::outln!("   across the incident: {sentence}");
    Ok(sentence)
}

fn print_summary(m: &Monitored) {
    let (r, alerts) = (&m.report, &m.alerts);
    let (monitor, alerts_path) = (&m.monitor_json, &m.alerts_json);
    erosion_io::outln!(
        "model {}: {} rows tonight against a reference of {} training rows; {} scope(s), {} tests",
        r.model_id,
        r.rows,
        r.reference_rows,
        r.drift.len(),
        r.ks_tests
    );
    if let Some(s) = r.drift.first().and_then(|d| d.score.as_ref()) {
        erosion_io::outln!(
            "score: PSI {} KS {}",
            s.psi.map_or("-".into(), |v| format!("{v:.4}")),
            s.ks.map_or("-".into(), |k| format!(
                "{:.4} (p {:.3e})",
                k.statistic, k.p_value
            ))
        );
    }
    if let Some(x) = r.drift.first().and_then(|d| d.action.as_ref()) {
        erosion_io::outln!(
            "at or above the action threshold ({:.4}): {:.2} % tonight, {:.2} % in the reference (z {:.2}, p {:.3e})",
            x.threshold,
            100.0 * x.share,
            100.0 * x.reference_share,
            x.z,
            x.p_value
        );
    }
    if let Some(e) = &r.expected {
        erosion_io::outln!(
            "expected tonight if calibrated: ROC-AUC {:.4}, Brier {:.4}, positive rate {:.4}",
            e.roc_auc,
            e.brier,
            e.positive_rate
        );
    }
    erosion_io::outln!("{} alert(s)", alerts.len());
    for al in alerts.iter().take(10) {
        erosion_io::outln!(
            "  {:<22} {:<32} {:<13} {:>9} (threshold {}){}",
            al.scope,
            al.input,
            al.statistic,
            al.value_text().0,
            al.value_text().1,
            al.importance
                .map_or(String::new(), |i| format!(", importance {i:.4}"))
        );
    }
    for n in &r.realised {
        match (n.evaluated, n.performance.first().and_then(|p| p.metrics.as_ref())) {
            (true, Some(m)) => erosion_io::outln!(
                "realised {} ({}): ROC-AUC {:.4} (expected {}), PR-AUC {:.4}, Brier {:.4} on {} labelled customers",
                n.as_of,
                n.file,
                m.roc_auc,
                n.expected.as_ref().map_or("-".into(), |e| format!("{:.4}", e.roc_auc)),
                m.pr_auc,
                m.brier,
                m.rows
            ),
            _ => erosion_io::outln!(
                "realised {} ({}): {}",
                n.as_of,
                n.file,
                n.note.as_deref().unwrap_or("no labelled customer with both classes")
            ),
        }
    }
    if let Some(m) = &r.movement {
        let moved: usize = m
            .transitions
            .iter()
            .filter(|t| t.from != t.to)
            .map(|t| t.customers)
            .sum();
        erosion_io::outln!(
            "movement: {} of {} customers scored both nights changed band; {} changed top reason",
            moved,
            m.in_both,
            m.top_reason_changed
        );
    }
    erosion_io::outln!(
        "wrote {}, {} and report.html beside them",
        monitor.display(),
        alerts_path.display()
    );
}
