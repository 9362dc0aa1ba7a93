//! `erosion features`: the point-in-time feature table from events, with labels, over the
//! population (customers still here at each cutoff).

use crate::{usage, Failure, Observer};
use erosion_core::time::format_date;
use erosion_features::{compute, compute_by_cutoff, FeatureConfig, FeatureTable, LeftOut};
use erosion_io::spill::{MemoryPlan, SpillOptions};
use erosion_io::{timing, CustomerLoadOptions, EventLoadOptions};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to build.
#[derive(Debug, Clone)]
pub struct FeaturesRequest {
    /// The events file.
    pub events: PathBuf,
    /// How to read it (column names, separator, time format).
    pub events_options: EventLoadOptions,
    /// The customers file, if any (signup dates, attributes).
    pub customers: Option<PathBuf>,
    /// How to read it.
    pub customers_options: CustomerLoadOptions,
    /// Cutoffs (ms since the epoch, sorted, distinct); at least one.
    pub cutoffs: Vec<i64>,
    /// Windows, label horizon, population rule.
    pub config: FeatureConfig,
    /// The table to write (Parquet carries its origin inside; other formats in a note beside).
    pub out: PathBuf,
    /// Whole in memory, or customers in partitions spilled to disk (same table either way).
    pub memory: MemoryPlan,
}

/// What was built.
#[derive(Debug, Clone)]
pub struct Built {
    /// The table written.
    pub out: PathBuf,
    /// Rows written (customers in the population, summed over cutoffs).
    pub rows: usize,
    /// Rows per cutoff, label rates and who was left out, by reason ([`summary`]).
    pub summary: String,
}

/// Loads the events (and customers), computes the table and writes it. Nothing is written when
/// an input is refused or no customer is in the population.
pub fn build(r: &FeaturesRequest, on: &dyn Observer) -> Result<Built, Failure> {
    let sidecar = erosion_io::note_sidecar(&r.out);
    let mut outputs = vec![("--out", r.out.as_path())];
    if !is_parquet(&r.out) {
        outputs.push(("the table's note", sidecar.as_path()));
    }
    let mut inputs = vec![("--events", r.events.as_path())];
    if let Some(c) = r.customers.as_deref() {
        inputs.push(("--customers", c));
    }
    erosion_io::refuse_overlap(&outputs, &inputs)?;
    if r.cutoffs.is_empty() {
        return Err(usage(
            "give at least one --as-of DATE (or dates START..END/STEP)",
        ));
    }
    if let Some(spill) = r.memory.spill(&r.events, &r.out)? {
        return build_partitioned(r, &spill, on);
    }
    let steps = r.cutoffs.len() as u64 + 2;
    on.stage("loading events and customers", steps);
    let t = Instant::now();
    let log = erosion_io::load_events(&r.events, &r.events_options)?;
    for l in log.lookalike_types() {
        on.warning(&format!("{}: {l}", r.events.display()));
    }
    on.progress(
        1,
        &format!(
            "features of {} customers at {} cutoff(s)",
            log.customer_ids.len(),
            r.cutoffs.len()
        ),
    );
    let customers = r
        .customers
        .as_deref()
        .map(|p| erosion_io::load_customers(p, &r.customers_options))
        .transpose()?;
    timing(format_args!("load events and customers"), t);
    // A cutoff at a time, so that memory holds a cutoff's rows and the frame of the one before
    // (being written) beside the events, however many cutoffs there are.
    let observed_until = r.config.observed_until_for(log.time_range());
    let built = write_parts(r, observed_until, move |emit| {
        let (mut done, mut last) = (0, None);
        let t = Instant::now();
        compute_by_cutoff(&log, customers.as_ref(), &r.cutoffs, &r.config, |table| {
            timing(format_args!("compute: {} rows", table.len()), t);
            done += 1;
            if done == r.cutoffs.len() {
                last = Some(table);
                return Ok(());
            }
            on.progress(done as u64 + 1, "cutoff computed");
            emit(table)
        })?;
        // The last cutoff's rows are all that is left to write: free the inputs first.
        drop(log);
        drop(customers);
        last.map_or(Ok(()), emit)
    })?;
    on.progress(steps, "written");
    Ok(built)
}

/// [`build`] for events too large to hold whole: the events spilled to ranges of customer ids
/// ([`erosion_io::spill`]), then each range's features computed and appended to the output, in
/// range order (so rows are in the order [`compute`] gives the whole log: by cutoff, then id).
/// Each cutoff reads the spill again. The table equals the in-memory path's value for value.
fn build_partitioned(
    r: &FeaturesRequest,
    spill: &SpillOptions,
    on: &dyn Observer,
) -> Result<Built, Failure> {
    let steps = u64::from(spill.partitions) * r.cutoffs.len() as u64;
    on.stage(
        &format!(
            "spilling events to {} partitions in {}",
            spill.partitions,
            spill.dir.display()
        ),
        steps + 2,
    );
    let t = Instant::now();
    let spilled = erosion_io::spill::spill_events(&r.events, &r.events_options, spill)?;
    for l in &spilled.lookalikes {
        on.warning(&format!("{}: {l}", r.events.display()));
    }
    // Features read the ids and signups only: at millions of customers the attributes would
    // cost more than a range's events.
    let only_ids = CustomerLoadOptions {
        attributes: false,
        ..r.customers_options.clone()
    };
    let customers = r
        .customers
        .as_deref()
        .map(|p| erosion_io::load_customers(p, &only_ids))
        .transpose()?
        .map(|c| spilled.split_customers(c));
    timing(format_args!("spill events, load customers"), t);
    on.progress(
        1,
        &format!(
            "features of {} events at {} cutoff(s), {} partitions ({} bytes spilled)",
            spilled.events,
            r.cutoffs.len(),
            spilled.partitions(),
            spilled.spilled_bytes
        ),
    );
    let observed_until = r.config.observed_until_for(spilled.time_range);
    let mut cfg = r.config.clone();
    cfg.observed_until = Some(observed_until);
    let mut step = 1;
    let built = write_parts(r, observed_until, |emit| {
        for &cutoff in &r.cutoffs {
            spilled.for_each_range(|p, log| -> Result<(), Failure> {
                let t = Instant::now();
                let c = customers.as_ref().map(|c| &c[p]);
                let table = compute(&log, c, &[cutoff], &cfg);
                drop(log);
                let rows = table.len();
                emit(table)?;
                step += 1;
                on.progress(
                    step,
                    &format!("partition {}/{}", p + 1, spilled.partitions()),
                );
                timing(format_args!("partition {p}: {rows} rows"), t);
                Ok(())
            })?;
        }
        Ok(())
    })?;
    drop(spilled);
    on.progress(steps + 2, "written");
    Ok(built)
}

/// Writes a table computed in parts, each part written by a thread of its own while the next
/// computes (a rendezvous: at most one part waits for the writer), with its origin, and
/// summarises it. `parts` hands every part, in the table's order (by cutoff, then id), to the
/// function it is given. An empty table is refused; nothing is left at `r.out` on an error.
fn write_parts(
    r: &FeaturesRequest,
    observed_until: i64,
    parts: impl FnOnce(&mut dyn FnMut(FeatureTable) -> Result<(), Failure>) -> Result<(), Failure>,
) -> Result<Built, Failure> {
    let made = erosion_frame::TableOrigin::new(&r.config, observed_until);
    let sink = erosion_frame::feature_table_sink(&r.out, &made)?;
    // Everything the summary needs, without the features.
    let mut tally = FeatureTable {
        observed_until,
        ..FeatureTable::default()
    };
    let (computed, written) = std::thread::scope(|scope| {
        let (to_write, frames) = std::sync::mpsc::sync_channel(0);
        let writer = scope.spawn(move || {
            let mut sink = sink;
            for mut frame in frames {
                sink.write(&mut frame)?;
            }
            Ok::<_, erosion_core::Error>(sink)
        });
        let mut emit = |table: FeatureTable| -> Result<(), Failure> {
            if !table.is_empty() && to_write.send(erosion_frame::feature_frame(&table)).is_err() {
                // The writer failed: its error is the one reported.
                return Err(usage("the table's writer stopped"));
            }
            tally.names.clone_from(&table.names);
            tally.cutoff.extend_from_slice(&table.cutoff);
            tally.churn.extend_from_slice(&table.churn);
            tally.erosion.extend_from_slice(&table.erosion);
            tally.left_out.extend_from_slice(&table.left_out);
            Ok(())
        };
        let computed = parts(&mut emit);
        drop(to_write);
        let written = writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (computed, written)
    });
    let sink = written?;
    computed?;
    if tally.cutoff.is_empty() {
        return Err(empty_population(&r.events, &r.cutoffs, &r.config));
    }
    let t = Instant::now();
    sink.finish()?;
    timing(format_args!("finish {}", r.out.display()), t);
    Ok(Built {
        out: r.out.clone(),
        rows: tally.cutoff.len(),
        summary: summary(&tally, &r.config),
    })
}

/// The refusal of a table with no row: nobody is in the population at the cutoffs.
fn empty_population(events: &Path, cutoffs: &[i64], config: &FeatureConfig) -> Failure {
    usage(format!(
        "{}: no customer is in the population ({}) at the cutoff(s) {}",
        events.display(),
        config.population_rule(),
        cutoffs
            .iter()
            .map(|&c| format_date(c))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn is_parquet(p: &Path) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("parquet" | "pq")
    )
}

/// Writes a table computed at `cutoffs` with `config` (by [`erosion_features::compute`]) with
/// its origin (the config, so `train` knows the horizon and `erosion-score` the windows), and
/// summarises it. An empty table is refused; `events` names the source in that error.
pub fn write_table(
    table: &FeatureTable,
    events: &Path,
    cutoffs: &[i64],
    config: &FeatureConfig,
    out: &Path,
    on: &dyn Observer,
) -> Result<Built, Failure> {
    on.progress(
        2,
        &format!("writing {} rows to {}", table.len(), out.display()),
    );
    if table.is_empty() {
        return Err(empty_population(events, cutoffs, config));
    }
    let t = Instant::now();
    let mut df = erosion_frame::feature_frame(table);
    timing(format_args!("feature frame"), t);
    let t = Instant::now();
    let made = erosion_frame::TableOrigin::new(config, table.observed_until);
    erosion_frame::write_feature_table(out, &mut df, &made)?;
    timing(format_args!("write {}", out.display()), t);
    on.progress(3, "written");
    Ok(Built {
        out: out.to_path_buf(),
        rows: table.len(),
        summary: summary(table, config),
    })
}

/// Rows per cutoff, label rates and who was left out of the population, by reason.
pub fn summary(t: &FeatureTable, config: &FeatureConfig) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} rows x {} features; labels over {} days, data observed until {}",
        t.cutoff.len(),
        t.names.len(),
        config.horizon_days,
        format_date(t.observed_until)
    );
    let _ = writeln!(o, "population: {}", config.population_rule());
    for cutoff in t.cutoffs() {
        let _ = writeln!(o, "{}", cutoff_line(t, cutoff));
    }
    o
}

fn cutoff_line(t: &FeatureTable, cutoff: i64) -> String {
    let left = t.left_out_counts(cutoff);
    let rows: Vec<usize> = (0..t.cutoff.len())
        .filter(|&i| t.cutoff[i] == cutoff)
        .collect();
    let labelled: Vec<usize> = rows
        .iter()
        .copied()
        .filter(|&i| t.churn[i].is_some())
        .collect();
    let rate = |l: &[Option<bool>]| {
        if labelled.is_empty() {
            "unlabelled".to_string()
        } else {
            let k = labelled.iter().filter(|&&i| l[i] == Some(true)).count();
            format!("{:.1} %", 100.0 * k as f64 / labelled.len() as f64)
        }
    };
    let why: Vec<String> = LeftOut::ALL
        .iter()
        .zip(left)
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| format!("{n} {}", r.as_str()))
        .collect();
    format!(
        "  cutoff {}: {} customers, churn {}, erosion {}; left out: {}",
        format_date(cutoff),
        rows.len(),
        rate(&t.churn),
        rate(&t.erosion),
        if why.is_empty() {
            "none".to_string()
        } else {
            why.join(", ")
        }
    )
}
