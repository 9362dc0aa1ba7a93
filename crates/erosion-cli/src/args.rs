//! Flags of every command. Only this crate knows about flags.
//!
//! One vocabulary across `erosion` and `erosion-score` (docs/CONTRACT.md, "Flags"): `--model FILE`
//! is always a model bundle, `--as-of DATE` a point in time, `--label`/`--score`/`--decision`
//! columns of outcomes, scores and decisions, `--n-customers` a count, every duration carries a
//! unit (`90d`, `13w`), and every choice is a [`ValueEnum`]. Spellings that changed are in
//! [`crate::renamed`]. A new command is one variant of [`Command`] plus its own `Args` struct.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// What `erosion --help` says after the commands: the other binary and the shared vocabulary.
const AFTER_HELP: &str = "\
erosion-score, a separate binary built and installed beside this one, is the nightly scorer: it
scores every customer with a model bundle from `erosion train` (trust score, band, reasons,
recommended action) and lists who was not scored and why. See `erosion-score --help`.

Flags mean the same in every command and in erosion-score (docs/CONTRACT.md, \"Flags\"):
--model FILE is a model bundle, --as-of DATE a point in time, durations carry a unit (90d, 13w),
-q/--quiet prints only errors and warnings.

Exit codes: 0 success, 2 bad usage or bad input, 1 an environment or internal failure.";

/// Predict which customers are losing trust, before they leave, and check that the prediction
/// treats every segment fairly.
#[derive(Debug, Parser)]
#[command(name = "erosion", version, about, long_about = None, after_help = AFTER_HELP)]
pub struct Cli {
    /// Print only errors and warnings: no progress bars, no summaries. What a command exists
    /// to print (`validate`, `evaluate`, `features --list`) still prints.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of `erosion`.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Simulate realistic behaviour histories with a known ground truth.
    #[command(
        after_help = "Example:\n  erosion simulate --n-customers 20000 --duration 730d --seed 7 --out sim/\n\n\
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
--as-of 2025-06-01 --horizon 90d --out features.parquet\n  \
erosion features --events sim/events.parquet --as-of 2024-09-01..2025-06-01/91d --out train.parquet\n  \
erosion features --events CDNOW_master.txt --separator whitespace --timestamp-col date --value-col dollar_value \\\n      \
--time-format %Y%m%d --default-event-type purchase --as-of 1997-10-01 --horizon 273d \\\n      \
--active-within all --out cdnow.parquet\n  \
erosion features --events big/events.parquet --as-of 2025-06-01 --memory-budget 6G --out features.parquet\n  \
erosion features --list [--json]\n\n\
Memory: an events file whose estimated peak (48 bytes an event) exceeds --memory-budget (default 4G) \
is not held whole: it is read twice in batches, its events spilled (compressed, about 7 bytes an event) \
to ranges of customer ids in a hidden directory beside --out (or in --spill-dir), and the features \
computed range by range; the table is the same, and the spill is removed on success and on failure.\n\n\
Each --as-of date is a cutoff: features read the events before it, labels the --horizon after it.\n\
The population: a row per customer who is still a customer at the cutoff, that is with no cancel, no \
data deletion request, and a purchase or visit in the --active-within before it (default: the \
horizon). The others are counted by reason (cancelled, lapsed, no_activity, deletion_request) and \
left out: a warning is for customers who are still here."
    )]
    Features(FeaturesArgs),
    /// Fit, validate, calibrate and explain a churn or erosion classifier; write a model bundle.
    #[command(
        after_help = "Examples:\n  erosion train --features features.parquet --label erosion --sensitive gender,age_band --out model.json\n  \
erosion train --features Telco-Customer-Churn.csv --label Churn --positive Yes --id customerID \\\n      \
--sensitive gender,SeniorCitizen --family auto --out telco.json\n\n\
Writes the bundle (the --model FILE of evaluate, audit, export and erosion-score) and a model card\n\
beside it (model.card.md)."
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
--metric optout_rate --by region --freq week --periods 13 --alerts alerts.json --plot plots/ --out fc.csv\n  \
erosion forecast --series nps.csv --series-id-col segment --timestamp-col week --value-col nps \\\n      \
--periods 13 --season 52 --out fc.csv\n  \
erosion forecast --series Weekly-train.csv --format m4 --periods 13 --method auto --out m4.parquet\n\n\
--periods counts periods of the series' frequency (--freq, or the table's own spacing)."
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
    #[command(after_help = "Example:\n  erosion demo --out erosion-demo/ --n-customers 5000")]
    Demo(DemoArgs),
    /// Drift of tonight's inputs and scores against the bundle's training reference.
    Monitor(crate::cmd::monitor::MonitorArgs),
}

/// `erosion simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Number of customers.
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    pub n_customers: usize,
    /// Length of the observed period, with its unit (730d, 104w).
    #[arg(long, value_name = "DUR", default_value = "730d")]
    pub duration: String,
    /// Random seed; the same seed and flags give byte-identical files.
    #[arg(long, value_name = "N", default_value_t = 7)]
    pub seed: u64,
    /// First day of the period (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", default_value = "2024-01-01")]
    pub start: String,
    /// When the company-wide incident happens, counted from --start (438d; default: 60 % of
    /// the period).
    #[arg(long, value_name = "DUR")]
    pub incident_after: Option<String>,
    /// Simulate no incident.
    #[arg(long, conflicts_with = "incident_after")]
    pub no_incident: bool,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// How much memory a command may take with its events (docs/CONTRACT.md, "Running at scale").
#[derive(Debug, Args, Clone, Default)]
pub struct MemoryArgs {
    /// Memory budget (4G, 512M): events whose estimated peak exceeds it are spilled to disk
    /// in partitions of customers [default: 4G].
    #[arg(long, value_name = "SIZE")]
    pub memory_budget: Option<String>,
    /// Spill the events to N partitions on disk whatever their size (1: hold them whole).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub spill_partitions: Option<u32>,
    /// Directory for the spill files [default: the output's directory].
    #[arg(long, value_name = "DIR")]
    pub spill_dir: Option<PathBuf>,
}

impl MemoryArgs {
    /// The plan these flags describe.
    pub fn plan(&self) -> Result<erosion_io::spill::MemoryPlan, erosion_core::Error> {
        Ok(erosion_io::spill::MemoryPlan {
            budget: self
                .memory_budget
                .as_deref()
                .map(|s| erosion_io::spill::parse_size(s, "--memory-budget"))
                .transpose()?,
            partitions: self.spill_partitions,
            spill_dir: self.spill_dir.clone(),
        })
    }
}

/// How to read an events file (or, in `forecast`, a series table) whose columns or format
/// differ from the defaults. One set of column-name flags for every command.
#[derive(Debug, Args, Clone, Default)]
pub struct EventFileArgs {
    /// Column holding the customer id.
    #[arg(long, value_name = "COL", default_value = "customer_id")]
    pub customer_id_col: String,
    /// Column holding the timestamp [default: timestamp; forecast --series: ds].
    #[arg(long, value_name = "COL")]
    pub timestamp_col: Option<String>,
    /// Column holding the event type.
    #[arg(long, value_name = "COL", default_value = "event_type")]
    pub event_type_col: String,
    /// Column holding the value (amount, score) [default: value; forecast --series: y].
    #[arg(long, value_name = "COL")]
    pub value_col: Option<String>,
    /// Column holding the channel.
    #[arg(long, value_name = "COL", default_value = "channel")]
    pub channel_col: String,
    /// Column holding the personalised flag.
    #[arg(long, value_name = "COL", default_value = "personalized")]
    pub personalized_col: String,
    /// Timestamp format (chrono syntax), e.g. %Y%m%d; default RFC 3339 or YYYY-MM-DD.
    #[arg(long, value_name = "FMT")]
    pub time_format: Option<String>,
    /// Event type of every row when the file has no event type column (e.g. purchase).
    #[arg(long, value_name = "TYPE")]
    pub default_event_type: Option<String>,
    /// Field separator of text files: one character, tab, or whitespace (runs of spaces).
    #[arg(long, value_name = "SEP")]
    pub separator: Option<String>,
    /// The text file has no header line (give --names).
    #[arg(long)]
    pub no_header: bool,
    /// Column names, comma-separated, replacing or supplying the header.
    #[arg(long, value_name = "COLS", value_delimiter = ',')]
    pub names: Option<Vec<String>>,
}

impl EventFileArgs {
    /// The timestamp column: `--timestamp-col`, else `default`.
    pub fn timestamp_col_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.timestamp_col.as_deref().unwrap_or(default)
    }

    /// The value column: `--value-col`, else `default`.
    pub fn value_col_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.value_col.as_deref().unwrap_or(default)
    }
}

/// `erosion validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Events file (CSV, Parquet or NDJSON, by extension).
    #[arg(long, value_name = "FILE")]
    pub events: PathBuf,
    /// Customers file (one row per customer).
    #[arg(long, value_name = "FILE")]
    pub customers: Option<PathBuf>,
    #[command(flatten)]
    pub file: EventFileArgs,
}

/// `erosion features`.
#[derive(Debug, Args)]
pub struct FeaturesArgs {
    /// Events file (CSV, Parquet or NDJSON, by extension).
    #[arg(long, value_name = "FILE", required_unless_present = "list")]
    pub events: Option<PathBuf>,
    /// Customers file (signup dates give tenure).
    #[arg(long, value_name = "FILE")]
    pub customers: Option<PathBuf>,
    /// Cutoff date YYYY-MM-DD, or dates START..END/STEP (2024-06-01..2025-06-01/30d);
    /// repeat to stack rows for several cutoffs.
    #[arg(long, value_name = "DATE")]
    pub as_of: Vec<String>,
    /// Label horizon, with its unit (90d, 13w).
    #[arg(long, value_name = "DUR", default_value = "90d")]
    pub horizon: String,
    /// Feature windows, comma-separated, each with its unit.
    #[arg(
        long,
        value_name = "DURS",
        value_delimiter = ',',
        default_value = "30d,90d,365d"
    )]
    pub windows: Vec<String>,
    /// The population: customers with a purchase or visit within this duration before the
    /// cutoff (90d, 13w; default the horizon), or `all` for every customer ever active.
    #[arg(long, value_name = "DUR|all")]
    pub active_within: Option<String>,
    /// Last day the data observes (exclusive); default the day after the latest event.
    #[arg(long, value_name = "DATE")]
    pub observed_until: Option<String>,
    /// Output file (.parquet or .csv).
    #[arg(long, value_name = "FILE", required_unless_present = "list")]
    pub out: Option<PathBuf>,
    /// Print the feature catalogue instead.
    #[arg(long)]
    pub list: bool,
    #[command(flatten)]
    pub memory: MemoryArgs,
    /// With --list: as JSON.
    #[arg(long, requires = "list")]
    pub json: bool,
    #[command(flatten)]
    pub file: EventFileArgs,
}

/// A model family for `erosion train`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Family {
    /// Fit logistic, forest and gbdt; keep the best by validation ROC-AUC.
    Auto,
    /// Regularised logistic regression.
    Logistic,
    /// Random forest.
    Forest,
    /// Gradient-boosted trees.
    Gbdt,
}

impl From<Family> for erosion_models::ModelKind {
    fn from(f: Family) -> Self {
        use erosion_models::ModelKind;
        match f {
            Family::Auto => ModelKind::Auto,
            Family::Logistic => ModelKind::Logistic,
            Family::Forest => ModelKind::Forest,
            Family::Gbdt => ModelKind::Gbdt,
        }
    }
}

/// `erosion train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Feature table (CSV, Parquet or NDJSON), one row per customer (and cutoff).
    #[arg(long, value_name = "FILE")]
    pub features: PathBuf,
    /// Column of true outcomes to learn (churn, erosion, or a column of your table).
    #[arg(long, value_name = "COL")]
    pub label: String,
    /// Positive value of a text label (yes/no and true/false are recognised).
    #[arg(long, value_name = "VALUE")]
    pub positive: Option<String>,
    /// Id column, kept out of the inputs (default customer_id when present).
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    /// Sensitive columns: kept out of the inputs, recorded for the audit.
    #[arg(long, value_name = "COLS", value_delimiter = ',')]
    pub sensitive: Vec<String>,
    /// Columns to leave out of the inputs (repeatable or comma-separated).
    #[arg(long, value_name = "COLS", value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Columns the leakage guard would stop at (single-column ROC-AUC >= 0.99 or <= 0.01, or a
    /// name that shadows the label) that are known before the outcome: train on them anyway
    /// (repeatable or comma-separated). Also keeps an id- or date-like text column as an input.
    #[arg(long, value_name = "COLS", value_delimiter = ',')]
    pub allow: Vec<String>,
    /// Model family.
    #[arg(long, value_enum, default_value_t = Family::Auto)]
    pub family: Family,
    /// Action threshold by capacity: the share of customers that gets an action.
    #[arg(long, value_name = "SHARE", default_value_t = 0.1)]
    pub capacity: f64,
    /// Action threshold by cost: cost of a missed positive relative to a needless action.
    #[arg(long, value_name = "RATIO", conflicts_with = "best_f1")]
    pub cost_ratio: Option<f64>,
    /// Action threshold at the best F1.
    #[arg(long)]
    pub best_f1: bool,
    /// Folds of stratified cross-validation (tables without a cutoff column, or with a single cutoff).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub folds: usize,
    /// Label horizon of the table, with its unit (90d): the gap kept between training and
    /// validation cutoffs. Read from the table when `erosion features` made it (a different
    /// value is refused); default 90d otherwise.
    #[arg(long, value_name = "DUR")]
    pub horizon: Option<String>,
    /// Seed of folds and models.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Model bundle to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Validation metrics as JSON.
    #[arg(long, value_name = "FILE")]
    pub metrics_out: Option<PathBuf>,
}

/// `erosion evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Model bundle from `erosion train`.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Labelled table with the model's input columns.
    #[arg(long, value_name = "FILE")]
    pub features: PathBuf,
    /// Metrics as JSON.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// A post-processing mitigation for `erosion audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mitigation {
    /// Group thresholds that equalise true positive rates.
    #[value(name = "equal_opportunity")]
    EqualOpportunity,
    /// Group thresholds that equalise selection rates.
    #[value(name = "demographic_parity")]
    DemographicParity,
}

/// `erosion audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Model bundle: score --features with it.
    #[arg(
        long,
        value_name = "FILE",
        requires = "features",
        conflicts_with = "predictions"
    )]
    pub model: Option<PathBuf>,
    /// Table to score with --model (labels from the bundle's label column).
    #[arg(long, value_name = "FILE")]
    pub features: Option<PathBuf>,
    /// Customers file to take group columns from (joined on the id).
    #[arg(long, value_name = "FILE")]
    pub customers: Option<PathBuf>,
    /// Any model's predictions: a table with a label and a score column.
    #[arg(long, value_name = "FILE")]
    pub predictions: Option<PathBuf>,
    /// Label column (true outcomes) of --predictions.
    #[arg(long, value_name = "COL")]
    pub label: Option<String>,
    /// Score column of --predictions (a probability in 0..1).
    #[arg(long, value_name = "COL")]
    pub score: Option<String>,
    /// Positive value of a text label.
    #[arg(long, value_name = "VALUE")]
    pub positive: Option<String>,
    /// Column of ready-made decisions (1/0 or true/false) instead of a threshold.
    #[arg(long, value_name = "COL")]
    pub decision: Option<String>,
    /// Id column to join --customers on (default: the bundle's).
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    /// Group column; repeat for several and their intersection.
    #[arg(long, value_name = "COL", required = true)]
    pub group: Vec<String>,
    /// Decision threshold (default: the bundle's action threshold, else 0.5).
    #[arg(long, value_name = "P")]
    pub threshold: Option<f64>,
    /// Reference group COLUMN=VALUE (default: the largest group).
    #[arg(long, value_name = "COL=VALUE")]
    pub reference: Vec<String>,
    /// Groups smaller than this are reported as insufficient evidence.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub min_group_size: usize,
    /// Post-processing mitigation.
    #[arg(long, value_enum)]
    pub mitigate: Option<Mitigation>,
    /// Bootstrap replicates for the intervals.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub bootstrap: usize,
    /// Bootstrap seed.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// The layout of a `forecast --series` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeriesFormat {
    /// One row per series and time (--series-id-col, --timestamp-col, --value-col).
    Long,
    /// M4's wide CSV: one row per series, values across.
    M4,
}

/// A trust metric built from events by `forecast --events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Metric {
    /// Net Promoter Score of the period's answers, -100 to 100.
    #[value(name = "nps")]
    Nps,
    /// Mean CSAT answer of the period (1-5).
    #[value(name = "csat")]
    Csat,
    /// (opt_out + consent_withdrawn) per active customer.
    #[value(name = "optout_rate")]
    OptoutRate,
    /// unsubscribe per active customer.
    #[value(name = "unsubscribe_rate")]
    UnsubscribeRate,
    /// (complaint + privacy_complaint) per active customer.
    #[value(name = "complaint_rate")]
    ComplaintRate,
}

/// The spacing of a series' points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FreqArg {
    /// One point a day.
    Day,
    /// One point a week.
    Week,
    /// One point a calendar month.
    Month,
}

/// A forecasting method for `erosion forecast`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// Per series, the combination unless one of ets, arima, theta beats it clearly in a backtest.
    Auto,
    /// AutoETS: exponential smoothing forms chosen by AICc.
    Ets,
    /// Automatic (seasonal) ARIMA.
    Arima,
    /// Standard Theta with seasonal adjustment.
    Theta,
    /// The mean of ets, arima and theta.
    Combination,
    /// Last value.
    Naive,
    /// Value one season earlier.
    Snaive,
    /// Simple exponential smoothing.
    Ses,
    /// Holt's linear trend.
    Holt,
    /// Additive damped trend.
    Damped,
    /// Holt-Winters additive.
    HwAdditive,
    /// Holt-Winters multiplicative.
    HwMultiplicative,
}

/// `erosion forecast`.
#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// A table of series (long, or M4's wide CSV with --format m4).
    #[arg(long, value_name = "FILE", conflicts_with = "events")]
    pub series: Option<PathBuf>,
    /// Layout of --series.
    #[arg(long, value_enum, default_value_t = SeriesFormat::Long)]
    pub format: SeriesFormat,
    /// Series id column of a long --series table.
    #[arg(long, value_name = "COL", default_value = "series_id")]
    pub series_id_col: String,
    /// Build the series from an events file instead.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Customers file (segments for --by).
    #[arg(long, value_name = "FILE")]
    pub customers: Option<PathBuf>,
    /// Trust metric to build from --events.
    #[arg(long, value_enum)]
    pub metric: Option<Metric>,
    /// Segment column of the customers file.
    #[arg(long, value_name = "COL")]
    pub by: Option<String>,
    /// Spacing of the series [default: week with --events; a --series table's own spacing].
    #[arg(long, value_enum)]
    pub freq: Option<FreqArg>,
    /// Only events before this date count: forecast as of then.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Number of periods to forecast (periods of --freq).
    #[arg(long, value_name = "N")]
    pub periods: usize,
    /// Season length in periods (default: 52 for weeks, 12 for months, 7 for days, else 1).
    #[arg(long, value_name = "N")]
    pub season: Option<usize>,
    /// Forecasting method.
    #[arg(long, value_enum, default_value_t = Method::Auto)]
    pub method: Method,
    /// Rolling-origin backtest over K origins.
    #[arg(long, value_name = "K")]
    pub backtest: Option<usize>,
    /// Write alerts (threshold crossings, anomalous latest values) to this JSON file.
    #[arg(long, value_name = "FILE")]
    pub alerts: Option<PathBuf>,
    /// Alert when the forecast falls below this.
    #[arg(long, value_name = "X")]
    pub alert_below: Option<f64>,
    /// Alert when the forecast rises above this.
    #[arg(long, value_name = "X")]
    pub alert_above: Option<f64>,
    /// Robust z-score over which the latest value is an anomaly.
    #[arg(long, value_name = "Z", default_value_t = 3.0)]
    pub anomaly_z: f64,
    /// PNG and SVG per alerted series (every series without --alerts, up to 50).
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Forecasts, long format (.csv or .parquet).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub file: EventFileArgs,
}

/// An export format for `erosion export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// ONNX, with the preprocessing in the graph.
    Onnx,
}

/// `erosion export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Model bundle from `erosion train`.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Export format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Onnx)]
    pub format: ExportFormat,
    /// Output file (written atomically).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `erosion demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the demo writes its files.
    #[arg(long, value_name = "DIR", default_value = "erosion-demo")]
    pub out: PathBuf,
    /// Customers to simulate.
    #[arg(long, value_name = "N", default_value_t = 5_000)]
    pub n_customers: usize,
}

/// A choice as clap spells it on the command line, which is also the library's name for it
/// (each library type's `FromStr` reads it; the tests below check every variant).
pub fn choice<E: ValueEnum>(v: &E) -> String {
    v.to_possible_value()
        .expect("no choice is skipped")
        .get_name()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every<E: ValueEnum>() -> Vec<String> {
        E::value_variants().iter().map(choice).collect()
    }

    #[test]
    fn every_choice_is_a_value_the_library_reads() {
        for f in every::<Family>() {
            f.parse::<erosion_models::ModelKind>().expect(&f);
        }
        for m in every::<Method>() {
            m.parse::<erosion_forecast::Model>().expect(&m);
        }
        for m in every::<Metric>() {
            m.parse::<erosion_features::TrustMetric>().expect(&m);
        }
        for m in every::<Mitigation>() {
            erosion_fairness::MitigationConstraint::parse(&m).expect(&m);
        }
    }

    #[test]
    fn every_forecasting_method_of_the_library_is_a_choice() {
        let choices = every::<Method>();
        for m in erosion_forecast::Model::ALL {
            assert!(choices.contains(&m.name().to_string()), "{m}");
        }
        assert_eq!(choices.len(), erosion_forecast::Model::ALL.len());
    }

    #[test]
    fn the_flags_are_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
