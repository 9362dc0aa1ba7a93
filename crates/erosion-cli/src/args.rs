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
pub enum Command {
    /// Simulate realistic behaviour histories with a known ground truth.
    #[command(after_help = "Example:\n  erosion simulate --customers 20000 --days 730 --seed 7 --out sim/\n\n\
Writes sim/customers.parquet, sim/events.parquet and sim/truth.parquet (see docs/SIMULATOR.md).")]
    Simulate(SimulateArgs),
    /// Load and check input exactly as every other command would, and summarise it.
    #[command(after_help = "Examples:\n  erosion validate --events sim/events.parquet --customers sim/customers.parquet\n  \
erosion validate --events CDNOW_master.txt --separator whitespace --timestamp-col date \\\n      \
--value-col dollar_value --time-format %Y%m%d --default-event-type purchase\n\n\
Exit code 2, with the file, the column and the row, when the input is bad.")]
    Validate(ValidateArgs),
    /// Point-in-time features and churn/erosion labels, one row per customer and cutoff.
    #[command(after_help = "Examples:\n  erosion features --events sim/events.parquet --customers sim/customers.parquet \\\n      \
--cutoff 2025-06-01 --horizon 90d --out features.parquet\n  \
erosion features --events sim/events.parquet --cutoffs 2024-09-01..2025-06-01/91d --out train.parquet\n  \
erosion features --events CDNOW_master.txt --separator whitespace --timestamp-col date --value-col dollar_value \\\n      \
--time-format %Y%m%d --default-event-type purchase --cutoff 1997-10-01 --horizon 273d --out cdnow.parquet\n  \
erosion features --list [--json]")]
    Features(FeaturesArgs),
    /// The whole journey on embedded sample data, for a newcomer.
    #[command(after_help = "Example:\n  erosion demo --out erosion-demo/")]
    Demo(DemoArgs),
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
pub struct DemoArgs {
    /// Where the demo writes its files.
    #[arg(long, default_value = "erosion-demo")]
    pub out: PathBuf,
    /// Customers to simulate.
    #[arg(long, default_value_t = 5_000)]
    pub customers: usize,
}
