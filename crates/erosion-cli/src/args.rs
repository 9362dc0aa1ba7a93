//! Flags of every command. Only this crate knows about flags.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Predict which customers are losing trust, before they leave, and check that the prediction
/// treats every segment fairly.
#[derive(Debug, Parser)]
#[command(name = "erosion", version, about, long_about = None)]
pub struct Cli {
    /// No progress bars.
    #[arg(long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Simulate realistic behaviour histories with a known ground truth.
    #[command(
        after_help = "Example:\n  erosion simulate --customers 20000 --days 730 --seed 7 --out sim/\n\n\
Writes sim/customers.parquet, sim/events.parquet and sim/truth.parquet (see docs/SIMULATOR.md)."
    )]
    Simulate(SimulateArgs),
    /// Load and check input exactly as every other command would, and summarise it.
    #[command(
        after_help = "Examples:\n  erosion validate --events sim/events.parquet --customers sim/customers.parquet\n  \
erosion validate --events CDNOW_master.txt --separator whitespace --timestamp-col date \\\n      \
--value-col dollar_value --time-format %Y%m%d --default-event-type purchase\n\n\
Exit code 2, with the file, the column and the row, when the input is bad."
    )]
    Validate(ValidateArgs),
    /// Point-in-time features and churn/erosion labels, one row per customer and cutoff.
    #[command(
        after_help = "Examples:\n  erosion features --events sim/events.parquet --customers sim/customers.parquet \\\n      \
--cutoff 2025-06-01 --horizon 90d --out features.parquet\n  \
erosion features --events sim/events.parquet --cutoffs 2024-09-01..2025-06-01/91d --out train.parquet\n  \
erosion features --events CDNOW_master.txt --separator whitespace --timestamp-col date --value-col dollar_value \\\n      \
--time-format %Y%m%d --default-event-type purchase --cutoff 1997-10-01 --horizon 273d \\\n      \
--active-within all --out cdnow.parquet\n  \
erosion features --list [--json]\n\n\
The population: a row per customer who is still a customer at the cutoff, that is with no cancel, no \
data deletion request, and a purchase or visit in the --active-within days before it (default: the \
horizon). The others are counted by reason (cancelled, lapsed, no_activity, deletion_request) and \
left out: a warning is for customers who are still here."
    )]
    Features(FeaturesArgs),
    /// Fit, validate, calibrate and explain a churn or erosion classifier; write a model bundle.
    #[command(
        after_help = "Examples:\n  erosion train --features features.parquet --target erosion --sensitive gender,age_band --out model.json\n  \
erosion train --features Telco-Customer-Churn.csv --target Churn --positive Yes --id customerID \\\n      \
--sensitive gender,SeniorCitizen --model auto --out telco.json\n\n\
Writes the bundle and a model card beside it (model.card.md)."
    )]
    Train(TrainArgs),
    /// Metrics of a model bundle on a labelled table.
    #[command(
        after_help = "Example:\n  erosion evaluate --model model.json --features features.parquet --out metrics.json"
    )]
    Evaluate(EvaluateArgs),
    /// Fairness audit across segments: metrics with intervals, disparities, plots, a report.
    #[command(
        after_help = "Examples:\n  erosion audit --model model.json --features features.parquet --customers customers.parquet \\\n      \
--group gender --group age_band --out audit/\n  \
erosion audit --predictions preds.csv --label Churn --positive Yes --score p --group gender --out audit/\n\n\
Writes audit/fairness.json, audit/group_metrics.csv, plots (SVG and PNG) and audit/report.html."
    )]
    Audit(AuditArgs),
    /// Forecast series (trust metrics per segment) with intervals, backtests and alerts.
    #[command(
        after_help = "Examples:\n  erosion forecast --events sim/events.parquet --customers sim/customers.parquet \\\n      \
--metric optout_rate --by region --freq week --horizon 13 --alerts alerts.json --plot plots/ --out fc.csv\n  \
erosion forecast --series nps.csv --id segment --time week --value nps --horizon 13 --season 52 --out fc.csv\n  \
erosion forecast --series Weekly-train.csv --format m4 --horizon 13 --model auto --out m4.parquet"
    )]
    Forecast(ForecastArgs),
    /// Export a model bundle for other engines (ONNX, with its preprocessing in the graph).
    #[command(
        after_help = "Example:\n  erosion export --model model.json --format onnx --out model.onnx\n\n\
The graph takes the raw feature-table columns (numbers as double with NaN for missing, text as\n\
string) and outputs `probability`, the calibrated probability that `erosion evaluate` computes.\n\
Thresholds, bands, reasons and actions stay in the bundle (erosion-score)."
    )]
    Export(ExportArgs),
    /// The whole journey on embedded sample data, for a newcomer.
    #[command(after_help = "Example:\n  erosion demo --out erosion-demo/")]
    Demo(DemoArgs),
    /// Drift of tonight's inputs and scores against the bundle's training reference.
    Monitor(crate::cmd::monitor::MonitorArgs),
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Number of customers.
    #[arg(long, default_value_t = 20_000)]
    pub customers: usize,
    /// Length of the observed period in days.
    #[arg(long, default_value_t = 730)]
    pub days: u32,
    /// Random seed; the same seed and flags give byte-identical files.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// First day of the period (YYYY-MM-DD).
    #[arg(long, default_value = "2024-01-01")]
    pub start: String,
    /// Day of the company-wide incident, counted from the start (default: 60 % of the period).
    #[arg(long)]
    pub incident_day: Option<u32>,
    /// Simulate no incident.
    #[arg(long, conflicts_with = "incident_day")]
    pub no_incident: bool,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
}

/// How to read an events file whose columns or format differ from PRODUCT.md's.
#[derive(Debug, Args, Clone, Default)]
pub struct EventFileArgs {
    /// Column holding the customer id.
    #[arg(long, default_value = "customer_id")]
    pub customer_id_col: String,
    /// Column holding the timestamp.
    #[arg(long, default_value = "timestamp")]
    pub timestamp_col: String,
    /// Column holding the event type.
    #[arg(long, default_value = "event_type")]
    pub event_type_col: String,
    /// Column holding the value (amount, score).
    #[arg(long, default_value = "value")]
    pub value_col: String,
    /// Column holding the channel.
    #[arg(long, default_value = "channel")]
    pub channel_col: String,
    /// Column holding the personalised flag.
    #[arg(long, default_value = "personalized")]
    pub personalized_col: String,
    /// Timestamp format (chrono syntax), e.g. %Y%m%d; default RFC 3339 or YYYY-MM-DD.
    #[arg(long)]
    pub time_format: Option<String>,
    /// Event type of every row when the file has no event type column (e.g. purchase).
    #[arg(long)]
    pub default_event_type: Option<String>,
    /// Field separator of text files: one character, tab, or whitespace (runs of spaces).
    #[arg(long)]
    pub separator: Option<String>,
    /// The text file has no header line (give --names).
    #[arg(long)]
    pub no_header: bool,
    /// Column names, comma-separated, replacing or supplying the header.
    #[arg(long, value_delimiter = ',')]
    pub names: Option<Vec<String>>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Events file (CSV, Parquet or NDJSON, by extension).
    #[arg(long)]
    pub events: PathBuf,
    /// Customers file (one row per customer).
    #[arg(long)]
    pub customers: Option<PathBuf>,
    #[command(flatten)]
    pub file: EventFileArgs,
}

#[derive(Debug, Args)]
pub struct FeaturesArgs {
    /// Events file (CSV, Parquet or NDJSON, by extension).
    #[arg(long, required_unless_present = "list")]
    pub events: Option<PathBuf>,
    /// Customers file (signup dates give tenure).
    #[arg(long)]
    pub customers: Option<PathBuf>,
    /// Cutoff date (YYYY-MM-DD); repeat to stack rows for several cutoffs.
    #[arg(long)]
    pub cutoff: Vec<String>,
    /// Cutoffs START..END/STEP, e.g. 2024-06-01..2025-06-01/30d.
    #[arg(long)]
    pub cutoffs: Vec<String>,
    /// Label horizon (days; 90d, 13w).
    #[arg(long, default_value = "90d")]
    pub horizon: String,
    /// Feature windows in days, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "30,90,365")]
    pub windows: Vec<String>,
    /// The population: customers with a purchase or visit in this many days before the
    /// cutoff (90d, 13w; default the horizon), or `all` for every customer ever active.
    #[arg(long)]
    pub active_within: Option<String>,
    /// Last day the data observes (exclusive); default the day after the latest event.
    #[arg(long)]
    pub observed_until: Option<String>,
    /// Output file (.parquet or .csv).
    #[arg(long, required_unless_present = "list")]
    pub out: Option<PathBuf>,
    /// Print the feature catalogue instead.
    #[arg(long)]
    pub list: bool,
    /// With --list: as JSON.
    #[arg(long, requires = "list")]
    pub json: bool,
    #[command(flatten)]
    pub file: EventFileArgs,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Feature table (CSV, Parquet or NDJSON), one row per customer (and cutoff).
    #[arg(long)]
    pub features: PathBuf,
    /// Target column.
    #[arg(long)]
    pub target: String,
    /// Positive value of a text target (yes/no and true/false are recognised).
    #[arg(long)]
    pub positive: Option<String>,
    /// Id column, kept out of the inputs (default customer_id when present).
    #[arg(long)]
    pub id: Option<String>,
    /// Sensitive columns: kept out of the inputs, recorded for the audit.
    #[arg(long, value_delimiter = ',')]
    pub sensitive: Vec<String>,
    /// Columns to leave out of the inputs (repeatable or comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Columns the leakage guard would stop at (single-column ROC-AUC >= 0.99 or <= 0.01, or a
    /// name that shadows the target) that are known before the outcome: train on them anyway
    /// (repeatable or comma-separated). Also keeps an id- or date-like text column as an input.
    #[arg(long, value_delimiter = ',')]
    pub allow: Vec<String>,
    /// logistic, forest, gbdt or auto.
    #[arg(long, default_value = "auto")]
    pub model: String,
    /// Action threshold by capacity: the share of customers that gets an action.
    #[arg(long, default_value_t = 0.1)]
    pub capacity: f64,
    /// Action threshold by cost: cost of a missed positive relative to a needless action.
    #[arg(long, conflicts_with = "best_f1")]
    pub cost_ratio: Option<f64>,
    /// Action threshold at the best F1.
    #[arg(long)]
    pub best_f1: bool,
    /// Folds of stratified cross-validation (tables without a cutoff column, or with a single cutoff).
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Label horizon of the table: the gap kept between training and validation cutoffs.
    /// Read from the table when `erosion features` made it (a different value is refused);
    /// default 90d otherwise.
    #[arg(long)]
    pub horizon: Option<String>,
    /// Seed of folds and models.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Model bundle to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Validation metrics as JSON.
    #[arg(long)]
    pub metrics_out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Model bundle from `erosion train`.
    #[arg(long)]
    pub model: PathBuf,
    /// Labelled table with the model's input columns.
    #[arg(long)]
    pub features: PathBuf,
    /// Metrics as JSON.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Model bundle: score --features with it.
    #[arg(long, requires = "features", conflicts_with = "predictions")]
    pub model: Option<PathBuf>,
    /// Table to score with --model (labels from the bundle's target column).
    #[arg(long)]
    pub features: Option<PathBuf>,
    /// Customers file to take group columns from (joined on the id).
    #[arg(long)]
    pub customers: Option<PathBuf>,
    /// Any model's predictions: a table with a label and a score column.
    #[arg(long)]
    pub predictions: Option<PathBuf>,
    /// Label column of --predictions.
    #[arg(long)]
    pub label: Option<String>,
    /// Score column of --predictions (a probability in 0..1).
    #[arg(long)]
    pub score: Option<String>,
    /// Positive value of a text label.
    #[arg(long)]
    pub positive: Option<String>,
    /// Ready-made decisions column (1/0 or true/false) instead of a threshold.
    #[arg(long)]
    pub pred: Option<String>,
    /// Id column to join --customers on (default: the bundle's).
    #[arg(long)]
    pub id: Option<String>,
    /// Group column; repeat for several and their intersection.
    #[arg(long, required = true)]
    pub group: Vec<String>,
    /// Decision threshold (default: the bundle's action threshold, else 0.5).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Reference group COLUMN=VALUE (default: the largest group).
    #[arg(long)]
    pub reference: Vec<String>,
    /// Groups smaller than this are reported as insufficient evidence.
    #[arg(long, default_value_t = 30)]
    pub min_group_size: usize,
    /// Post-processing mitigation: equal_opportunity or demographic_parity.
    #[arg(long)]
    pub mitigate: Option<String>,
    /// Bootstrap replicates for the intervals.
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// Bootstrap seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// A long table of series (or M4's wide CSV with --format m4).
    #[arg(long, conflicts_with = "events")]
    pub series: Option<PathBuf>,
    /// long (default) or m4.
    #[arg(long)]
    pub format: Option<String>,
    /// Series id column of a long table.
    #[arg(long, default_value = "series_id")]
    pub id: String,
    /// Time column of a long table (dates).
    #[arg(long, default_value = "ds")]
    pub time: String,
    /// Value column of a long table.
    #[arg(long, default_value = "y")]
    pub value: String,
    /// Build the series from an events file instead.
    #[arg(long)]
    pub events: Option<PathBuf>,
    /// Customers file (segments for --by).
    #[arg(long)]
    pub customers: Option<PathBuf>,
    /// nps, csat, optout_rate, unsubscribe_rate or complaint_rate.
    #[arg(long)]
    pub metric: Option<String>,
    /// Segment column of the customers file.
    #[arg(long)]
    pub by: Option<String>,
    /// day, week or month.
    #[arg(long)]
    pub freq: Option<String>,
    /// Only events before this date (forecast as of then).
    #[arg(long)]
    pub until: Option<String>,
    /// Periods to forecast.
    #[arg(long)]
    pub horizon: usize,
    /// Season length in periods (default: 52 for weeks, 12 for months, 7 for days, else 1).
    #[arg(long)]
    pub season: Option<usize>,
    /// auto, ets, arima, theta, naive, snaive, ses, holt, damped, hw-additive, hw-multiplicative.
    #[arg(long, default_value = "auto")]
    pub model: String,
    /// Rolling-origin backtest over K origins.
    #[arg(long)]
    pub backtest: Option<usize>,
    /// Write alerts (threshold crossings, anomalous latest values) to this JSON file.
    #[arg(long)]
    pub alerts: Option<PathBuf>,
    /// Alert when the forecast falls below this.
    #[arg(long)]
    pub alert_below: Option<f64>,
    /// Alert when the forecast rises above this.
    #[arg(long)]
    pub alert_above: Option<f64>,
    /// Robust z-score over which the latest value is an anomaly.
    #[arg(long, default_value_t = 3.0)]
    pub anomaly_z: f64,
    /// PNG and SVG per alerted series (every series without --alerts, up to 50).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Forecasts, long format (.csv or .parquet).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub file: EventFileArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Model bundle from `erosion train`.
    #[arg(long)]
    pub model: PathBuf,
    /// Export format (only `onnx`).
    #[arg(long, default_value = "onnx")]
    pub format: String,
    /// Output file (written atomically).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the demo writes its files.
    #[arg(long, default_value = "erosion-demo")]
    pub out: PathBuf,
    /// Customers to simulate.
    #[arg(long, default_value_t = 5_000)]
    pub customers: usize,
}
