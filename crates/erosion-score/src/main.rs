//! `erosion-score`: nightly scoring with an erosion model bundle. See the library docs
//! (`erosion_score`) for inputs, exclusions, outputs, the action policy and partitions.

use clap::{ArgGroup, Parser};
use erosion_score::run::{run, Failure, Options, Source};
use std::path::PathBuf;
use std::process::ExitCode;

/// Scores every customer with a model bundle written by `erosion train`.
#[derive(Debug, Parser)]
#[command(
    name = "erosion-score",
    version,
    group(ArgGroup::new("input").required(true).args(["events", "features"])),
    after_help = "Examples:\n  erosion-score --model model.json --events events.parquet --customers customers.parquet \\\n      --as-of 2025-06-01 --out scores.parquet --exclusions excluded.parquet\n  erosion-score --model model.json --features features.parquet --out scores.csv --partition 0/8\n  erosion-score --model model.json --events big/events.parquet --customers big/customers.parquet \\\n      --as-of 2025-06-01 --memory-budget 6G --spill-dir /scratch --out scores.parquet\n\nMemory (raw mode): events whose estimated peak (48 bytes an event) exceeds --memory-budget\n(default 4G) are not held whole: they are read twice in batches, spilled (compressed, about 5\nbytes an event) to ranges of customer ids in a hidden directory beside --out (or in\n--spill-dir) and scored range by range; the outputs are the same, and the spill is removed on\nsuccess and on failure.\n\nEvery scored customer gets exact TreeSHAP reasons, whose cost grows with the model's tree\nnodes: a GBDT like the demo's scores a million customers in seconds, a large forest takes\nmilliseconds per customer (erosion-score warns before it starts).\n\nConsent: customers whose latest consent event before as-of is opt_out or consent_withdrawn\n(feature tables: the consent_opted_out / consent_withdrawn columns, 1/1.0/true when set, in CSV\nas in Parquet) or who are on the --suppress list are never scored. Input with no consent\ninformation at all (no consent event, no consent column) is refused unless --suppress or\n--consent-handled-upstream is given.\n\nExit codes: 0 success, 2 bad usage or input (an output path equal to an input or to another\noutput, outputs locked by a running run), 1 an environment or internal failure (an output\nthat cannot be written).\n\nOutputs: the scores, the exclusions and (CSV) <out>.erosion.json appear together: written\nto temporary files, renamed, then <out>.manifest.json (names, rows, SHA-256) last, under the\nlock <out>.lock. Trust the outputs only when the manifest is present and matches them."
)]
struct Args {
    /// Model bundle (from `erosion train`).
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// Events file (raw-histories mode; needs --customers and --as-of).
    #[arg(long, value_name = "FILE", requires_all = ["customers", "as_of"], conflicts_with = "features")]
    events: Option<PathBuf>,
    /// Customers file: the customers to score (raw-histories mode).
    #[arg(long, value_name = "FILE", requires = "events")]
    customers: Option<PathBuf>,
    /// Scoring date, YYYY-MM-DD: events strictly before its midnight UTC count. In features
    /// mode, the as_of written for tables without a `cutoff` column.
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// A ready feature table, one row per customer (features mode).
    #[arg(long, value_name = "FILE")]
    features: Option<PathBuf>,
    /// Scores output (.csv or .parquet).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Customers not scored, with the reason (default: <out stem>.exclusions.<ext>).
    #[arg(long, value_name = "FILE")]
    exclusions: Option<PathBuf>,
    /// Ids never to score: one a line, the first field of `id,reason` lines; a header line,
    /// quotes, a UTF-8 BOM, CRLF, blank lines and `#` comments are fine.
    #[arg(long, value_name = "FILE")]
    suppress: Option<PathBuf>,
    /// The input already leaves out every customer who opted out or withdrew consent: score it
    /// even when it carries no consent information (the scores' metadata records this).
    #[arg(long)]
    consent_handled_upstream: bool,
    /// Score only the customers whose id hashes (FNV-1a 64) to partition I of N (0-based).
    #[arg(long, value_name = "I/N")]
    partition: Option<String>,
    /// Raw mode: memory budget (4G, 512M); events whose estimated peak exceeds it are spilled
    /// to disk in ranges of customers [default: 4G].
    #[arg(long, value_name = "SIZE")]
    memory_budget: Option<String>,
    /// Raw mode: spill the events to N partitions on disk whatever their size (1: hold them
    /// whole).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    spill_partitions: Option<u32>,
    /// Raw mode: directory for the spill files [default: the directory of --out].
    #[arg(long, value_name = "DIR")]
    spill_dir: Option<PathBuf>,
    /// Print only errors and warnings: no progress, no summary (the same as `erosion --quiet`).
    #[arg(short, long)]
    quiet: bool,
}

fn try_main(a: Args) -> Result<(), Failure> {
    let partition = a
        .partition
        .as_deref()
        .map(erosion_score::parse_partition)
        .transpose()?;
    let source = match (&a.events, &a.customers, &a.as_of, &a.features) {
        (Some(e), Some(c), Some(d), None) => Source::Raw {
            events: e.clone(),
            customers: c.clone(),
            as_of: d.clone(),
        },
        (None, None, d, Some(f)) => Source::Features {
            path: f.clone(),
            as_of: d.clone(),
        },
        _ => {
            return Err(Failure::Input(erosion_core::Error::usage(
                "give either --events FILE --customers FILE --as-of DATE, or --features FILE",
            )))
        }
    };
    let opts = Options {
        model: a.model,
        source,
        out: a.out.clone(),
        exclusions: a.exclusions,
        suppress: a.suppress,
        partition,
        consent_handled_upstream: a.consent_handled_upstream,
        memory: erosion_io::spill::MemoryPlan {
            budget: a
                .memory_budget
                .as_deref()
                .map(|s| erosion_io::spill::parse_size(s, "--memory-budget"))
                .transpose()?,
            partitions: a.spill_partitions,
            spill_dir: a.spill_dir,
        },
    };
    if a.quiet {
        erosion_io::stdout::silence_stdout();
    }
    let s = run(&opts)?;
    // Consent goes to stderr even with --quiet: a night's log must say how consent was decided.
    for line in s.consent.lines() {
        erosion_io::errln!("{line}");
    }
    if let Some(w) = s.consent.warning() {
        erosion_io::errln!("{w}");
    }
    let part = partition
        .map(|(i, n)| format!(" (partition {i}/{n})"))
        .unwrap_or_default();
    erosion_io::outln!(
        "{} input customers, {} in scope{part}: {} scored + {} excluded",
        s.input,
        s.in_partition,
        s.scored,
        s.excluded_total()
    );
    for (r, n) in &s.excluded {
        erosion_io::outln!("  excluded {r}: {n}");
    }
    let list = |xs: &[(&str, usize)]| {
        xs.iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if s.scored > 0 {
        erosion_io::outln!("bands: {}", list(&s.bands));
        erosion_io::outln!("actions: {}", list(&s.actions));
    }
    erosion_io::outln!("scores: {}", a.out.display());
    if let Some(p) = &s.exclusions_path {
        erosion_io::outln!("exclusions: {}", p.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = try_main(args);
    match result {
        // stdout is written without panicking; its first error is judged once the outputs exist
        Ok(()) => erosion_io::stdout::exit_after_success(),
        Err(e @ Failure::Input(_)) => {
            erosion_io::errln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e @ (Failure::Environment(_) | Failure::Internal(_))) => {
            erosion_io::errln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
