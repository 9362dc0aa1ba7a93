//! Events spilled to disk in partitions by customer id, for inputs too large to hold whole.
//!
//! [`spill_events`] reads an events file twice, a batch at a time ([`crate::stream`]), in any
//! row order. First the customer id column alone, of which it keeps a bounded sample of event
//! rows (every 2^k-th row, at most [`SAMPLE_ROWS`]): the sample's quantiles cut
//! the ids into `N` ranges holding about the same number of events (memory is per event).
//! Then every event, converted and checked exactly as [`crate::load_events`] does (the same
//! interning of event types and channels, in order of first appearance over the whole file;
//! customers are numbered per batch), and appended to its range's spill file.
//! [`SpilledEvents::load`] then gives one range's customers (sorted by id) as an [`EventLog`]
//! of their own: their events in file order, the whole file's event types and channels.
//! Ranges follow the id order, so results computed range by range and appended in range order
//! are in id order, as the whole log's would be.
//!
//! Neither pass holds anything that grows with the number of customers: per event, the work
//! touches one batch's customers, one range's block being filled, or one range being loaded.
//!
//! Spill files are blocks of events, column by column (each block's own dictionary of the
//! customer ids it holds, then per event the index into it and the time delta as
//! variable-length integers, the rest fixed-width but the value, written only for the events
//! that have one), compressed with LZ4 (faster to write and read than zstd's fastest level,
//! for a spill about a third larger). They live in a
//! hidden directory of their own, removed when the [`SpilledEvents`] is dropped, on success
//! and on failure alike.

use crate::convert::{intern_customer, LogParts};
use crate::stream::for_each_batch;
use crate::{as_strings_of, timing, EventLoadOptions};
use erosion_core::{Customers, Error, EventKind, EventLog, EventType, Lookalike, Result};
use polars::prelude::PlHashMap;
use rayon::prelude::*;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Events per compressed block of a spill file.
pub const BLOCK_EVENTS: usize = 1 << 16;

/// Rows per batch when a Parquet events file is streamed.
const STREAM_ROWS: usize = 1 << 19;

/// The most event rows whose customer ids the first pass keeps to cut the ranges (it keeps
/// at least half as many from a larger file): enough that each of up to 4,096 ranges is cut
/// from 32 of them or more, and that the usual tens of ranges hold the same number of events
/// to a percent or two.
pub const SAMPLE_ROWS: usize = 1 << 18;

/// The estimated peak memory of holding an events file whole and computing its features, per
/// event (measured: 3.6 GB for 76 million simulated events, BENCHMARKS.md).
pub const BYTES_PER_EVENT: u64 = 48;

/// The memory budget when none is given: 4 GiB.
pub const DEFAULT_MEMORY_BUDGET: u64 = 4 << 30;

/// Parses a size with its unit: `4G`, `512M`, `2GiB`, `1.5g` (powers of 1024); a bare number is
/// bytes.
pub fn parse_size(s: &str, flag: &str) -> Result<u64> {
    let t = s.trim().to_ascii_lowercase();
    let t = t
        .strip_suffix("ib")
        .or_else(|| t.strip_suffix('b'))
        .unwrap_or(&t);
    let (num, mult) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('m') => (&t[..t.len() - 1], 1 << 20),
        Some('g') => (&t[..t.len() - 1], 1 << 30),
        Some('t') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    match num.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok((x * mult as f64) as u64),
        _ => Err(Error::usage(format!(
            "{flag} {s:?} is not a size with its unit (for example 4G or 512M)"
        ))),
    }
}

/// How many events the file holds: exact for Parquet (its metadata), estimated for text from
/// its size and the length of its first lines.
pub fn estimated_events(path: &Path) -> Result<u64> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    let ext = crate::extension_of(path);
    if matches!(ext.as_str(), "parquet" | "pq") {
        use polars::prelude::*;
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        if let Ok(meta) = ParquetReader::new(file).get_metadata() {
            return Ok(meta.num_rows as u64);
        }
        return Ok(size / 6);
    }
    let mut head = vec![0u8; 1 << 20];
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let k = f.read(&mut head).map_err(|e| Error::io(path, e))?;
    let lines = head[..k].iter().filter(|&&b| b == b'\n').count().max(1) as u64;
    Ok(size * lines / k.max(1) as u64)
}

/// The number of partitions for an events file under a memory budget: 1 (hold it whole) when
/// its estimated peak ([`BYTES_PER_EVENT`] per event) fits the budget, otherwise enough that a
/// partition takes at most a quarter of the budget: a range is computed while the next one is
/// loaded ([`SpilledEvents::for_each_range`]) and the results of the one before are written,
/// and the rest is for the customer ids and the allocator's slack.
pub fn partitions_for(path: &Path, budget: u64) -> Result<u32> {
    let need = estimated_events(path)?.saturating_mul(BYTES_PER_EVENT);
    if need <= budget {
        return Ok(1);
    }
    Ok(need.div_ceil((budget / 4).max(1)).clamp(2, 4096) as u32)
}

/// How a command holds an events file: whole in memory, or in partitions spilled to disk
/// (the flags `--memory-budget`, `--spill-partitions` and `--spill-dir`).
#[derive(Debug, Clone, Default)]
pub struct MemoryPlan {
    /// Memory budget in bytes ([`DEFAULT_MEMORY_BUDGET`] when `None`).
    pub budget: Option<u64>,
    /// Partitions on disk, whatever the budget (1: whole in memory).
    pub partitions: Option<u32>,
    /// The directory for the spill directory (default: the output's directory).
    pub spill_dir: Option<PathBuf>,
}

impl MemoryPlan {
    /// `None` to hold `events` whole in memory, otherwise where and in how many partitions to
    /// spill it for a command writing `out` ([`partitions_for`] under the budget).
    pub fn spill(&self, events: &Path, out: &Path) -> Result<Option<SpillOptions>> {
        let partitions = match self.partitions {
            Some(n) => n.max(1),
            None => partitions_for(events, self.budget.unwrap_or(DEFAULT_MEMORY_BUDGET))?,
        };
        if partitions <= 1 {
            return Ok(None);
        }
        let dir = match (&self.spill_dir, out.parent()) {
            (Some(d), _) => d.clone(),
            (None, Some(p)) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok(Some(SpillOptions { partitions, dir }))
    }
}

/// Where spill files go and how many partitions to make.
#[derive(Debug, Clone)]
pub struct SpillOptions {
    /// Partitions (ranges of customer ids), at least 1.
    pub partitions: u32,
    /// The directory in which a hidden spill directory is made (and removed).
    pub dir: PathBuf,
}

/// An events file spilled to disk in ranges of customer ids (see the module docs).
#[derive(Debug)]
pub struct SpilledEvents {
    dir: SpillDir,
    /// The first id of every range but the first, ascending (equal ones leave the ranges
    /// between them empty): range `p` holds the ids `>= bounds[p - 1]` and `< bounds[p]`.
    bounds: Vec<String>,
    /// Events per range.
    range_events: Vec<u64>,
    /// The custom event types, in order of first appearance in the file.
    pub custom_types: Vec<String>,
    /// The channels, in order of first appearance in the file.
    pub channels: Vec<String>,
    /// Earliest and latest timestamp in the file.
    pub time_range: Option<(i64, i64)>,
    /// Events read.
    pub events: u64,
    /// Bytes written to spill files.
    pub spilled_bytes: u64,
    /// Every event type of the file as spelt, with its events: the vocabulary types it holds
    /// (their names, [`EventType::as_str`], in vocabulary order), then the custom types (in
    /// order of first appearance).
    pub type_counts: Vec<(String, u64)>,
    /// The custom types that resemble vocabulary types, with their counts
    /// ([`EventLog::lookalike_types`] of the whole file).
    pub lookalikes: Vec<Lookalike>,
}

/// A hidden directory removed with everything in it when dropped.
#[derive(Debug)]
struct SpillDir(PathBuf);

/// The prefix of a spill directory's name, followed by the process id and a counter.
const SPILL_PREFIX: &str = ".erosion-spill-";

impl SpillDir {
    fn create(parent: &Path) -> Result<SpillDir> {
        std::fs::create_dir_all(parent).map_err(|e| Error::write(parent, e))?;
        remove_stale_spills(parent);
        for k in 0..1000 {
            let p = parent.join(format!("{SPILL_PREFIX}{}-{k}", std::process::id()));
            match std::fs::create_dir(&p) {
                Ok(()) => return Ok(SpillDir(p)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::write(&p, e)),
            }
        }
        Err(Error::usage(format!(
            "{}: could not make a spill directory",
            parent.display()
        )))
    }
}

/// Removes the spill directories in `parent` left by runs that were killed before they could
/// remove their own (`kill -9`, a machine that lost power): those whose process has ended
/// ([`crate::process_gone`]); a live run's spill is never touched. Best effort: a directory
/// that cannot be removed is left, with a note.
fn remove_stale_spills(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(SPILL_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && crate::process_gone(pid) {
            let path = entry.path();
            match std::fs::remove_dir_all(&path) {
                Ok(()) => crate::errln!(
                    "note: removed {}, the spill of process {pid}, which is no longer running",
                    path.display()
                ),
                Err(e) => crate::errln!(
                    "note: could not remove {}, the spill of ended process {pid}: {e}",
                    path.display()
                ),
            }
        }
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Reads the events file in batches and spills its events to `opts.partitions` ranges of
/// customer ids (see the module docs). Errors are those of [`crate::load_events`], with rows
/// counted over the whole file; where a file has several bad values the first one met batch
/// by batch is reported.
pub fn spill_events(
    path: &Path,
    opts: &EventLoadOptions,
    spill: &SpillOptions,
) -> Result<SpilledEvents> {
    spill_in_batches(path, opts, spill, STREAM_ROWS, SAMPLE_ROWS)
}

/// [`spill_events`] reading `batch_rows` rows at a time and cutting the ranges from a sample of
/// `sample_rows` rows.
fn spill_in_batches(
    path: &Path,
    opts: &EventLoadOptions,
    spill: &SpillOptions,
    batch_rows: usize,
    sample_rows: usize,
) -> Result<SpilledEvents> {
    let latest = match opts.latest_allowed {
        Some(t) => t,
        None => crate::latest_allowed_now()?,
    };
    let t = Instant::now();
    let sample = sampled_ids(path, opts, batch_rows, sample_rows)?;
    let parts = spill.partitions.max(1) as usize;
    let bounds = range_bounds(sample, parts);
    timing(format_args!("spill: {parts} ranges of customer ids"), t);
    let dir = SpillDir::create(&spill.dir)?;
    let writers: Vec<PartWriter> = (0..parts)
        .map(|p| PartWriter::create(&dir.0.join(format!("{p}.bin"))))
        .collect::<Result<_>>()?;
    let mut spiller = Spiller::new(bounds, writers);
    let t = Instant::now();
    let mut log = LogParts::per_batch();
    // This thread converts and checks a batch while the spiller appends the one before to
    // the ranges' blocks, compressing and writing them (and the reader decodes the next).
    let stopped = || Error::io(&spill.dir, std::io::Error::other("the spill stopped"));
    let (read, spilled) = std::thread::scope(|scope| {
        let (to_spill, batches) = std::sync::mpsc::sync_channel::<EventLog>(1);
        let (to_reuse, spent) = std::sync::mpsc::channel::<EventLog>();
        let spilling = scope.spawn(move || {
            for batch in batches {
                spiller.add(&batch)?;
                let _ = to_reuse.send(batch);
            }
            Ok::<_, Error>(spiller)
        });
        let read = for_each_batch(path, &opts.read, None, batch_rows, |df, first| {
            log.convert(&df, path, opts)
                .map_err(|e| shifted(e, first))?;
            drop(df);
            if let Some(p) = crate::event_problems(log.events(), latest, 1)
                .0
                .into_iter()
                .next()
            {
                return Err(Error::BadValue {
                    path: path.to_path_buf(),
                    column: match p.field {
                        crate::Field::Timestamp => opts.columns.timestamp.clone(),
                        crate::Field::Value => opts.columns.value.clone(),
                    },
                    row: p.row + first,
                    value: p.value,
                    expected: format!("{} (customer {:?})", p.expected, p.customer),
                });
            }
            to_spill.send(log.take_batch()).map_err(|_| stopped())?;
            while let Ok(batch) = spent.try_recv() {
                log.recycle(batch);
            }
            Ok(())
        });
        drop(to_spill);
        let spilled = spilling
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (read, spilled)
    });
    // A failed spill ends the reading: its error is the cause.
    let spiller = spilled?;
    read?;
    let Spiller {
        bounds,
        writers,
        counts,
        time_range,
        events,
        ..
    } = spiller;
    let mut spilled_bytes = 0;
    let range_events = writers.iter().map(|w| w.events).collect();
    for w in writers {
        spilled_bytes += w.finish()?;
    }
    let whole = log.finish();
    timing(
        format_args!("spill: {events} events to {parts} partitions, {spilled_bytes} bytes"),
        t,
    );
    Ok(SpilledEvents {
        dir,
        bounds,
        range_events,
        type_counts: counts.named(&whole.custom_types),
        lookalikes: Lookalike::counted(
            &whole.custom_types,
            &counts.custom(whole.custom_types.len()),
        ),
        custom_types: whole.custom_types,
        channels: whole.channels,
        time_range,
        events,
        spilled_bytes,
    })
}

/// The second pass's writing side: appends each converted batch's events to the blocks of
/// their customers' ranges, and counts what the night's checks need of the whole file.
struct Spiller {
    bounds: Vec<String>,
    writers: Vec<PartWriter>,
    counts: TypeCounts,
    time_range: Option<(i64, i64)>,
    events: u64,
    /// Per customer of a batch: its range and its index in that range's block dictionary.
    slots: Vec<(u32, u32)>,
    /// The batch's events grouped by range (file order within one), and where each range's
    /// group starts (one more entry than ranges).
    order: Vec<u32>,
    starts: Vec<usize>,
}

impl Spiller {
    fn new(bounds: Vec<String>, writers: Vec<PartWriter>) -> Self {
        Spiller {
            bounds,
            writers,
            counts: TypeCounts::default(),
            time_range: None,
            events: 0,
            slots: Vec::new(),
            order: Vec::new(),
            starts: Vec::new(),
        }
    }

    /// Appends a batch (customers numbered per batch) to the ranges' blocks, the ranges in
    /// parallel, writing the blocks that are full.
    fn add(&mut self, batch: &EventLog) -> Result<()> {
        self.counts.add(batch);
        if let Some((lo, hi)) = batch.time_range() {
            let (a, b) = self.time_range.unwrap_or((lo, hi));
            self.time_range = Some((a.min(lo), b.max(hi)));
        }
        self.events += batch.len() as u64;
        let (bounds, writers) = (&self.bounds, &mut self.writers);
        self.slots.clear();
        self.slots.extend(batch.customer_ids.iter().map(|id| {
            let p = range_of(bounds, id);
            (p as u32, writers[p].customer(id))
        }));
        let slots = &self.slots;
        // A counting sort of the events by range.
        self.starts.clear();
        self.starts.resize(writers.len() + 1, 0);
        for &c in &batch.customer {
            self.starts[slots[c as usize].0 as usize + 1] += 1;
        }
        for p in 1..self.starts.len() {
            self.starts[p] += self.starts[p - 1];
        }
        let mut next = self.starts.clone();
        self.order.resize(batch.len(), 0);
        for (e, &c) in batch.customer.iter().enumerate() {
            let p = slots[c as usize].0 as usize;
            self.order[next[p]] = e as u32;
            next[p] += 1;
        }
        let (order, starts) = (&self.order, &self.starts);
        writers.par_iter_mut().enumerate().try_for_each(|(p, w)| {
            for &e in &order[starts[p]..starts[p + 1]] {
                let e = e as usize;
                w.push(slots[batch.customer[e] as usize].1, batch, e);
            }
            if w.buffered() >= BLOCK_EVENTS {
                w.flush()
            } else {
                Ok(())
            }
        })
    }
}

/// Events per event type, counted a batch at a time.
#[derive(Default)]
struct TypeCounts {
    /// Per vocabulary type, in [`EventType::ALL`]'s order.
    known: Vec<u64>,
    /// Per custom type, in the log's order (up to the last one met).
    custom: Vec<u64>,
}

impl TypeCounts {
    fn add(&mut self, batch: &EventLog) {
        self.known.resize(EventType::ALL.len(), 0);
        for k in &batch.kind {
            match *k {
                EventKind::Known(t) => self.known[t as usize] += 1,
                EventKind::Custom(i) => {
                    let i = usize::from(i);
                    if i >= self.custom.len() {
                        self.custom.resize(i + 1, 0);
                    }
                    self.custom[i] += 1
                }
            }
        }
    }

    /// Counts for each of `types` custom types (those of the whole file), in its order.
    fn custom(&self, types: usize) -> Vec<u64> {
        let mut counts = self.custom.clone();
        counts.resize(types, 0);
        counts
    }

    /// The vocabulary types counted (by name), then every custom type of `custom_types`.
    fn named(&self, custom_types: &[String]) -> Vec<(String, u64)> {
        let known = EventType::ALL
            .iter()
            .zip(&self.known)
            .filter(|(_, &n)| n > 0)
            .map(|(t, &n)| (t.as_str().to_string(), n));
        let custom = custom_types
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), self.custom.get(i).copied().unwrap_or(0)));
        known.chain(custom).collect()
    }
}

/// A row error of a batch whose first row is data row `first` of the file, with the file's row.
fn shifted(e: Error, first: usize) -> Error {
    match e {
        Error::BadValue {
            path,
            column,
            row,
            value,
            expected,
        } => Error::BadValue {
            path,
            column,
            row: row + first,
            value,
            expected,
        },
        other => other,
    }
}

/// The customer ids (trimmed) of a systematic sample of event rows, every `step`-th row of
/// the file from the first, `step` the smallest power of two that keeps at most `size` rows
/// (so at least `size / 2` when the file has more): each time the sample fills, every other
/// row of it is dropped and the step doubled. The same file gives the same sample; only rows
/// sampled are looked at. A row sampled without an id is passed over (such a file is refused
/// by the second pass).
fn sampled_ids(
    path: &Path,
    opts: &EventLoadOptions,
    batch_rows: usize,
    size: usize,
) -> Result<Vec<String>> {
    let size = size.max(2);
    // Entry `j` is row `j * step` (empty when that row has no id).
    let mut sample: Vec<String> = Vec::new();
    let (mut step, mut rows) = (1usize, 0usize);
    let id_col = &opts.columns.customer_id;
    for_each_batch(
        path,
        &opts.read,
        Some(std::slice::from_ref(id_col)),
        batch_rows,
        |df, _| {
            let ids = as_strings_of(&df, path, id_col)?;
            for arr in ids.downcast_iter() {
                let mut next = sample.len() * step;
                while next < rows + arr.len() {
                    let id = arr.get(next - rows).map(str::trim).unwrap_or("");
                    sample.push(id.to_string());
                    if sample.len() == size {
                        let mut keep = false;
                        sample.retain(|_| {
                            keep = !keep;
                            keep
                        });
                        step *= 2;
                    }
                    next = sample.len() * step;
                }
                rows += arr.len();
            }
            Ok(())
        },
    )?;
    sample.retain(|id| !id.is_empty());
    Ok(sample)
}

/// The `parts - 1` ids that cut a sample of event rows' ids into `parts` ranges of equal
/// counts: its quantiles. An empty sample gives empty ids (every id in the last range).
fn range_bounds(mut sample: Vec<String>, parts: usize) -> Vec<String> {
    sample.par_sort_unstable();
    let m = sample.len();
    (1..parts)
        .map(|p| sample.get(p * m / parts).cloned().unwrap_or_default())
        .collect()
}

/// The range of an id between `bounds` ([`SpilledEvents::bounds`]'s): how many bounds are at or
/// below it.
fn range_of(bounds: &[String], id: &str) -> usize {
    bounds.partition_point(|b| b.as_str() <= id)
}

impl SpilledEvents {
    /// Number of partitions.
    pub fn partitions(&self) -> usize {
        self.bounds.len() + 1
    }

    /// The partition of any customer id (with events or not): the range it sorts into.
    pub fn partition_of(&self, id: &str) -> usize {
        range_of(&self.bounds, id)
    }

    /// The spill directory (removed when `self` is dropped).
    pub fn dir(&self) -> &Path {
        &self.dir.0
    }

    /// The customers of a customers table by partition ([`Self::partition_of`]), each in the
    /// table's order.
    pub fn split_customers(&self, c: Customers) -> Vec<Customers> {
        let mut parts: Vec<Customers> = (0..self.partitions())
            .map(|_| Customers {
                ids: Vec::new(),
                signup: Vec::new(),
                attributes: c
                    .attributes
                    .iter()
                    .map(|(n, _)| (n.clone(), Vec::new()))
                    .collect(),
            })
            .collect();
        let of: Vec<usize> = c.ids.par_iter().map(|id| self.partition_of(id)).collect();
        let Customers {
            ids,
            signup,
            attributes,
        } = c;
        for ((id, s), &p) in ids.into_iter().zip(signup).zip(&of) {
            parts[p].ids.push(id);
            parts[p].signup.push(s);
        }
        for (a, (_, values)) in attributes.into_iter().enumerate() {
            for (v, &p) in values.into_iter().zip(&of) {
                parts[p].attributes[a].1.push(v);
            }
        }
        parts
    }

    /// Calls `work` with every range's event log ([`Self::load`]) in range order, loading the
    /// next range on another thread while `work` computes the current one (reading, unpacking
    /// and decoding a range is single-threaded; the work beside it then fills the second
    /// core). At most two ranges' logs are held at once. The first error, from loading or from
    /// `work`, ends it.
    pub fn for_each_range<E, F>(&self, mut work: F) -> std::result::Result<(), E>
    where
        E: From<Error>,
        F: FnMut(usize, EventLog) -> std::result::Result<(), E>,
    {
        let n = self.partitions();
        std::thread::scope(|scope| {
            // A rendezvous channel: the loader holds one loaded range while `work` runs.
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<EventLog>>(0);
            let loader = std::thread::Builder::new().name("spill-loader".into());
            loader
                .spawn_scoped(scope, move || {
                    for p in 0..n {
                        let t = Instant::now();
                        let log = self.load(p);
                        timing(format_args!("load range {p}"), t);
                        let stop = log.is_err();
                        if tx.send(log).is_err() || stop {
                            return;
                        }
                    }
                })
                .map_err(|e| Error::io(self.dir(), e))?;
            // Dropping the receiver (on an error) ends the loader at its next send.
            for (p, log) in rx.into_iter().enumerate() {
                work(p, log?)?;
            }
            Ok(())
        })
    }

    /// Partition `p` as an event log: its customers (sorted by id) and their events in file
    /// order, with the whole file's event types and channels.
    pub fn load(&self, p: usize) -> Result<EventLog> {
        let path = self.dir.0.join(format!("{p}.bin"));
        let bad = |what: &str| {
            Error::io(
                &path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string()),
            )
        };
        let read = |e: std::io::Error| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => bad("truncated block"),
            _ => Error::io(&path, e),
        };
        let file = File::open(&path).map_err(read)?;
        let len = file.metadata().map_err(read)?.len();
        let mut file = BufReader::with_capacity(1 << 20, file);
        let mut log = EventLog {
            custom_types: self.custom_types.clone(),
            channels: self.channels.clone(),
            ..EventLog::default()
        };
        let events = self.range_events[p] as usize;
        log.reserve_events(events);
        let mut ids = PlHashMap::default();
        let (mut comp, mut raw) = (Vec::new(), Vec::new());
        let mut at = 0;
        while at < len {
            if len - at < 12 {
                return Err(bad("truncated block"));
            }
            let mut header = [0u8; 12];
            file.read_exact(&mut header).map_err(read)?;
            let word =
                |i: usize| u32::from_le_bytes(header[i..i + 4].try_into().expect("4")) as usize;
            let (rows, raw_len, comp_len) = (word(0), word(4), word(8));
            // Lengths checked before anything is allocated for them: the block must fit in
            // the rest of the file, and LZ4 expands at most 255 times.
            if comp_len as u64 > len - at - 12 {
                return Err(bad("truncated block"));
            }
            if raw_len > comp_len.saturating_mul(255).saturating_add(16) {
                return Err(bad("corrupt block"));
            }
            comp.resize(comp_len, 0);
            file.read_exact(&mut comp).map_err(read)?;
            raw.resize(raw_len, 0);
            i32::try_from(raw_len)
                .ok()
                .and_then(|n| lz4::block::decompress_to_buffer(&comp, Some(n), &mut raw).ok())
                .filter(|&n| n == raw_len)
                .ok_or_else(|| bad("corrupt block"))?;
            decode_block(&raw, rows, &mut log, &mut ids).ok_or_else(|| bad("corrupt block"))?;
            at += 12 + comp_len as u64;
        }
        if log.len() != events {
            return Err(bad("the events differ in number from those spilled"));
        }
        drop(ids);
        sort_customers(&mut log);
        Ok(log)
    }
}

/// Renumbers a log's customers in id order (they are numbered in order of first appearance).
fn sort_customers(log: &mut EventLog) {
    let mut order: Vec<u32> = (0..log.customer_ids.len() as u32).collect();
    let ids = &log.customer_ids;
    order.par_sort_unstable_by(|&a, &b| ids[a as usize].cmp(&ids[b as usize]));
    let mut rank = vec![0u32; order.len()];
    for (r, &c) in order.iter().enumerate() {
        rank[c as usize] = r as u32;
    }
    log.customer
        .par_iter_mut()
        .for_each(|c| *c = rank[*c as usize]);
    let mut ids = std::mem::take(&mut log.customer_ids);
    log.customer_ids = order
        .iter()
        .map(|&c| std::mem::take(&mut ids[c as usize]))
        .collect();
}

/// One partition's spill file and its block being filled, each column encoded as its events
/// come (see [`PartWriter::flush`] for the block's layout).
struct PartWriter {
    path: PathBuf,
    file: BufWriter<File>,
    /// The block's dictionary of customer ids as written (each as its length and bytes), and
    /// the number of entries: an entry per batch and customer of the block.
    dict: Vec<u8>,
    entries: u32,
    rows: usize,
    /// Events appended, in every block.
    events: u64,
    /// Per event, its customer's entry in `dict` (a variable-length integer).
    customer: Vec<u8>,
    /// Per event, the time since the block's event before (zigzag, variable-length), and the
    /// time of that last event.
    timestamp: Vec<u8>,
    last_time: i64,
    /// Per event, its type (two bytes, a custom type's index with the top bit set) and its
    /// channel (two bytes).
    kind: Vec<u8>,
    channel: Vec<u8>,
    /// Per event: whether it was personalised (0 unknown, 1 no, 2 yes), plus [`HAS_VALUE`]
    /// when it has a value (anything but the NaN of an absent one, bit for bit).
    flags: Vec<u8>,
    /// The values of the events that have one (eight bytes each).
    values: Vec<u8>,
    /// The block as compressed, reused from one block to the next.
    compressed: Vec<u8>,
    bytes: u64,
}

/// The flag of an event with a value ([`PartWriter::flags`]).
const HAS_VALUE: u8 = 4;

/// The largest input LZ4 compresses in one block (`LZ4_MAX_INPUT_SIZE`).
const LZ4_MAX_INPUT: usize = 0x7E00_0000;

impl PartWriter {
    fn create(path: &Path) -> Result<PartWriter> {
        let file = File::create(path).map_err(|e| Error::write(path, e))?;
        Ok(PartWriter {
            path: path.to_path_buf(),
            file: BufWriter::with_capacity(1 << 20, file),
            dict: Vec::new(),
            entries: 0,
            rows: 0,
            events: 0,
            customer: Vec::new(),
            timestamp: Vec::new(),
            last_time: 0,
            kind: Vec::new(),
            channel: Vec::new(),
            flags: Vec::new(),
            values: Vec::new(),
            compressed: Vec::new(),
            bytes: 0,
        })
    }

    fn buffered(&self) -> usize {
        self.rows
    }

    /// A number for customer `id` in the block being filled, for the events of one batch (a
    /// customer of several batches of a block has an entry for each: no map of ids is kept,
    /// and the reader interns them).
    fn customer(&mut self, id: &str) -> u32 {
        put_varint(&mut self.dict, id.len() as u64);
        self.dict.extend_from_slice(id.as_bytes());
        self.entries += 1;
        self.entries - 1
    }

    /// Appends event `e` of `log`, of the block's customer number `c`.
    fn push(&mut self, c: u32, log: &EventLog, e: usize) {
        self.rows += 1;
        self.events += 1;
        put_varint(&mut self.customer, u64::from(c));
        let t = log.timestamp[e];
        let d = t.wrapping_sub(self.last_time);
        put_varint(&mut self.timestamp, ((d << 1) ^ (d >> 63)) as u64);
        self.last_time = t;
        let kind = match log.kind[e] {
            EventKind::Known(t) => t as u16,
            EventKind::Custom(i) => 0x8000 | i,
        };
        self.kind.extend_from_slice(&kind.to_le_bytes());
        self.channel
            .extend_from_slice(&log.channel[e].to_le_bytes());
        let v = log.value[e];
        let has_value = v.to_bits() != f64::NAN.to_bits();
        if has_value {
            self.values.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        let personalized = match log.personalized[e] {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        };
        self.flags
            .push(personalized | if has_value { HAS_VALUE } else { 0 });
    }

    /// The block being filled, uncompressed: the number of dictionary entries and the
    /// dictionary, then the columns one after the other (customer, time, type, channel,
    /// flags, values).
    fn encode(&self) -> Vec<u8> {
        let mut raw = Vec::new();
        put_varint(&mut raw, u64::from(self.entries));
        let columns = [
            &self.dict,
            &self.customer,
            &self.timestamp,
            &self.kind,
            &self.channel,
            &self.flags,
            &self.values,
        ];
        raw.reserve_exact(columns.iter().map(|c| c.len()).sum());
        for column in columns {
            raw.extend_from_slice(column);
        }
        raw
    }

    /// Compresses (LZ4) and writes the block being filled ([`Self::encode`]), and starts the
    /// next. On disk a block is a header of three little-endian `u32` (its events, its length
    /// before and after compression), then the compressed bytes.
    fn flush(&mut self) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let raw = self.encode();
        // A block holds a batch's events of one range: only a file read whole (a format read
        // without batches) can make one larger than LZ4 takes (its lengths then fit a u32).
        if raw.len() > LZ4_MAX_INPUT {
            return Err(Error::write(
                &self.path,
                std::io::Error::other(format!(
                    "a block of {} events is too large for a spill file: give more \
                     --spill-partitions, or the events as Parquet or CSV (read in batches)",
                    self.rows
                )),
            ));
        }
        let bound =
            lz4::block::compress_bound(raw.len()).map_err(|e| Error::write(&self.path, e))?;
        self.compressed.resize(bound, 0);
        let len = lz4::block::compress_to_buffer(&raw, None, false, &mut self.compressed)
            .map_err(|e| Error::write(&self.path, e))?;
        for word in [self.rows, raw.len(), len] {
            self.file
                .write_all(&(word as u32).to_le_bytes())
                .map_err(|e| Error::write(&self.path, e))?;
        }
        self.file
            .write_all(&self.compressed[..len])
            .map_err(|e| Error::write(&self.path, e))?;
        self.bytes += 12 + len as u64;
        self.dict.clear();
        self.entries = 0;
        self.rows = 0;
        self.last_time = 0;
        for column in [
            &mut self.customer,
            &mut self.timestamp,
            &mut self.kind,
            &mut self.channel,
            &mut self.flags,
            &mut self.values,
        ] {
            column.clear();
        }
        Ok(())
    }

    /// Writes the last block and closes the file; the bytes written.
    fn finish(mut self) -> Result<u64> {
        self.flush()?;
        self.file.flush().map_err(|e| Error::write(&self.path, e))?;
        Ok(self.bytes)
    }
}

fn put_varint(out: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        out.push((x as u8) | 0x80);
        x >>= 7;
    }
    out.push(x as u8);
}

fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let b = *bytes.get(*at)?;
    *at += 1;
    if b < 0x80 {
        return Some(u64::from(b));
    }
    let mut x = u64::from(b & 0x7f);
    for shift in (7..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        x |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(x);
        }
    }
    None
}

/// Appends a block of `rows` events to `log`, numbering its customers in `log` through `ids`
/// (once per customer of the block); `None` when the block is not one [`PartWriter::encode`]
/// made.
fn decode_block(
    raw: &[u8],
    rows: usize,
    log: &mut EventLog,
    ids: &mut PlHashMap<String, u32>,
) -> Option<()> {
    let mut at = 0;
    let n = get_varint(raw, &mut at)? as usize;
    // Every entry takes a byte or more: a damaged count cannot ask for more than that.
    let mut number = Vec::with_capacity(n.min(rows).min(raw.len()));
    for _ in 0..n {
        let len = get_varint(raw, &mut at)? as usize;
        let id = std::str::from_utf8(raw.get(at..at.checked_add(len)?)?).ok()?;
        at += len;
        number.push(intern_customer(ids, &mut log.customer_ids, id));
    }
    for _ in 0..rows {
        let c = get_varint(raw, &mut at)? as usize;
        log.customer.push(*number.get(c)?);
    }
    let mut prev = 0i64;
    for _ in 0..rows {
        let z = get_varint(raw, &mut at)?;
        let d = ((z >> 1) as i64) ^ -((z & 1) as i64);
        prev = prev.wrapping_add(d);
        log.timestamp.push(prev);
    }
    let fixed = |at: &mut usize, width: usize| -> Option<&[u8]> {
        let s = raw.get(*at..*at + rows * width)?;
        *at += rows * width;
        Some(s)
    };
    // The fixed-width columns are checked first, then decoded without a check per event.
    let word = |w: &[u8]| u16::from_le_bytes([w[0], w[1]]);
    let kinds = fixed(&mut at, 2)?;
    let known = EventType::ALL.len();
    let customs = log.custom_types.len();
    let valid = |k: u16| match k & 0x8000 {
        0 => usize::from(k) < known,
        _ => usize::from(k & 0x7fff) < customs,
    };
    if !kinds.chunks_exact(2).all(|k| valid(word(k))) {
        return None;
    }
    log.kind
        .extend(kinds.chunks_exact(2).map(|k| match word(k) {
            k if k & 0x8000 != 0 => EventKind::Custom(k & 0x7fff),
            k => EventKind::Known(EventType::ALL[usize::from(k)]),
        }));
    log.channel
        .extend(fixed(&mut at, 2)?.chunks_exact(2).map(word));
    let flags = fixed(&mut at, 1)?;
    if !flags.iter().all(|&f| f & !HAS_VALUE <= 2) {
        return None;
    }
    log.personalized
        .extend(flags.iter().map(|f| match f & !HAS_VALUE {
            0 => None,
            1 => Some(false),
            _ => Some(true),
        }));
    let values = raw.get(at..)?;
    let with_value = flags.iter().filter(|&&f| f & HAS_VALUE != 0).count();
    if values.len() != with_value * 8 {
        return None;
    }
    let mut values = values
        .chunks_exact(8)
        .map(|v| f64::from_bits(u64::from_le_bytes(v.try_into().expect("8 bytes"))));
    log.value.extend(flags.iter().map(|f| match f & HAS_VALUE {
        0 => f64::NAN,
        _ => values.next().expect("counted"),
    }));
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{events_to_frame, load_events, write_table};
    use erosion_core::model::EventLogBuilder;
    use polars::prelude::*;

    #[test]
    fn a_killed_runs_spill_is_removed_and_a_live_ones_is_kept() {
        if !std::path::Path::new("/proc/self").exists() {
            return; // nothing is known about other processes here: nothing is removed
        }
        let dir = tempfile::tempdir().unwrap();
        let ended = (1..4_000_000u32)
            .rev()
            .find(|&p| crate::process_gone(p))
            .unwrap();
        let dead = dir.path().join(format!("{SPILL_PREFIX}{ended}-0"));
        let live = dir
            .path()
            .join(format!("{SPILL_PREFIX}{}-7", std::process::id()));
        let other = dir.path().join(".erosion-spill-notes");
        for d in [&dead, &live, &other] {
            std::fs::create_dir(d).unwrap();
            std::fs::write(d.join("0.bin"), b"events").unwrap();
        }
        let mine = SpillDir::create(dir.path()).unwrap();
        assert!(!dead.exists());
        assert!(live.join("0.bin").exists() && other.join("0.bin").exists());
        let path = mine.0.clone();
        assert!(path.exists());
        drop(mine);
        assert!(!path.exists());
    }

    /// 60 customers, 600 events in no customer order: known, custom and lookalike types,
    /// channels, values and personalised flags, some missing.
    fn shuffled_log() -> EventLog {
        let mut b = EventLogBuilder::with_capacity(600);
        let types = [
            "purchase",
            "visit",
            "loyalty_scan",
            "optout",
            "opt_out",
            "nps",
        ];
        for e in 0..600u64 {
            let c = (e * 37 % 60) as usize;
            let id = b.customer(&format!("C{:03}", (c * 7) % 60));
            let name = types[(e as usize * 5) % types.len()];
            let kind = b.kind(name);
            let channel =
                b.channel((e % 4 > 0).then_some(["web", "email", "store"][(e % 3) as usize]));
            let value = match name {
                "nps" => (e % 11) as f64,
                "purchase" if e % 3 > 0 => 10.0 + e as f64 / 8.0,
                _ => f64::NAN,
            };
            let personalized = [None, Some(true), Some(false)][(e % 3) as usize];
            let ts = 1_700_000_000_000 + ((e * 7919) % 600) as i64 * 3_600_000;
            b.push(id, ts, kind, value, channel, personalized);
        }
        b.finish()
    }

    /// Every event of the log as comparable values, in log order.
    fn rows(log: &EventLog) -> Vec<(String, i64, String, u64, String, Option<bool>)> {
        (0..log.len())
            .map(|e| {
                let ch = log.channel[e];
                (
                    log.customer_ids[log.customer[e] as usize].clone(),
                    log.timestamp[e],
                    log.kind_name(log.kind[e]).to_string(),
                    log.value[e].to_bits(),
                    if ch == erosion_core::model::NO_CHANNEL {
                        String::new()
                    } else {
                        log.channels[ch as usize].clone()
                    },
                    log.personalized[e],
                )
            })
            .collect()
    }

    fn spills_left(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".erosion-spill"))
            .collect()
    }

    /// Writes `df` as Parquet in row groups of 50 rows (so that batches of 120 rows take
    /// several) and as CSV; the two paths.
    fn write_both(dir: &Path, df: &mut DataFrame) -> [PathBuf; 2] {
        let parquet = dir.join("events.parquet");
        let file = File::create(&parquet).unwrap();
        let mut w = ParquetWriter::new(file).batched(df.schema()).unwrap();
        for start in (0..df.height()).step_by(50) {
            w.write_batch(&df.slice(start as i64, 50)).unwrap();
        }
        w.finish().unwrap();
        let csv = dir.join("events.csv");
        write_table(&csv, df).unwrap();
        [parquet, csv]
    }

    /// Spills `path` to `parts` partitions (batches of 120 rows, ranges cut from a sample of
    /// `sample` rows) and checks that each partition holds its customers' events as the whole
    /// file does, customers sorted by id, ranges in id order; the spill, for more checks.
    fn check_spill(path: &Path, parts: u32, sample: usize) -> (SpilledEvents, Vec<EventLog>) {
        let whole = load_events(path, &Default::default()).unwrap();
        let spill = SpillOptions {
            partitions: parts,
            dir: path.parent().unwrap().to_path_buf(),
        };
        let s = spill_in_batches(path, &Default::default(), &spill, 120, sample).unwrap();
        let at = format!("{}: {parts} partitions, sample {sample}", path.display());
        assert_eq!(s.partitions(), parts as usize, "{at}");
        assert_eq!(s.events, whole.len() as u64, "{at}");
        assert_eq!(s.custom_types, whole.custom_types, "{at}");
        assert_eq!(s.channels, whole.channels, "{at}");
        assert_eq!(s.time_range, whole.time_range(), "{at}");
        assert_eq!(s.lookalikes, whole.lookalike_types(), "{at}");
        let counted: std::collections::BTreeMap<String, u64> =
            s.type_counts.iter().cloned().collect();
        assert_eq!(counted, whole.counts_by_type(), "{at}");
        assert_eq!(counted.len(), s.type_counts.len(), "{at}: each type once");
        assert!(s.spilled_bytes > 0, "{at}");
        let all = rows(&whole);
        let mut last_id: Option<String> = None;
        let mut logs = Vec::new();
        for p in 0..parts as usize {
            let got = s.load(p).unwrap();
            let want: Vec<_> = all
                .iter()
                .filter(|r| s.partition_of(&r.0) == p)
                .cloned()
                .collect();
            assert_eq!(rows(&got), want, "{at}: partition {p}");
            let mut ids = got.customer_ids.clone();
            ids.sort();
            ids.dedup();
            assert_eq!(ids, got.customer_ids, "{at}: partition {p} sorted by id");
            for id in &ids {
                assert_eq!(s.partition_of(id), p, "{at}: {id}");
            }
            if let Some(first) = ids.first() {
                assert!(last_id.as_ref().is_none_or(|l| first > l), "{at}");
                last_id = ids.last().cloned();
            }
            logs.push(got);
        }
        let customers: usize = logs.iter().map(|l| l.customer_ids.len()).sum();
        assert_eq!(customers, whole.customer_ids.len(), "{at}");
        (s, logs)
    }

    #[test]
    fn partitions_hold_each_customers_events_as_the_whole_file_does() {
        let dir = tempfile::tempdir().unwrap();
        let paths = write_both(dir.path(), &mut events_to_frame(&shuffled_log()));
        for path in &paths {
            for parts in [1, 3, 7] {
                // The whole file as sample, and every 16th of its 600 rows (at most 50).
                for sample in [SAMPLE_ROWS, 50] {
                    let (s, _) = check_spill(path, parts, sample);
                    let spill_dir = s.dir().to_path_buf();
                    assert!(spill_dir.exists());
                    drop(s);
                    assert!(!spill_dir.exists(), "the spill directory is removed");
                }
            }
        }
        assert!(spills_left(dir.path()).is_empty());
    }

    #[test]
    fn a_damaged_spill_file_is_refused_before_its_lengths_are_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let [path, _] = write_both(dir.path(), &mut events_to_frame(&shuffled_log()));
        let (s, _) = check_spill(&path, 2, SAMPLE_ROWS);
        let file = s.dir().join("0.bin");
        let good = std::fs::read(&file).unwrap();
        let damaged = |at: usize, word: u32| {
            let mut bytes = good.clone();
            bytes[at..at + 4].copy_from_slice(&word.to_le_bytes());
            std::fs::write(&file, bytes).unwrap();
            s.load(0).unwrap_err().to_string()
        };
        // A compressed length past the end of the file; an uncompressed one LZ4 cannot give.
        assert!(damaged(8, u32::MAX).contains("truncated block"));
        assert!(damaged(4, u32::MAX).contains("corrupt block"));
        // A file cut inside a header, and one cut inside a block.
        std::fs::write(&file, &good[..good.len() - 1]).unwrap();
        assert!(s
            .load(0)
            .unwrap_err()
            .to_string()
            .contains("truncated block"));
        std::fs::write(&file, [&good[..], &[0u8; 5]].concat()).unwrap();
        assert!(s
            .load(0)
            .unwrap_err()
            .to_string()
            .contains("truncated block"));
        std::fs::write(&file, &good).unwrap();
        assert_eq!(rows(&s.load(0).unwrap()).len(), s.range_events[0] as usize);
    }

    #[test]
    fn ranges_hold_about_the_same_number_of_events_however_skewed() {
        // Customers a00..a19 have 40 events each, b000..b799 one each: cut by customers, the
        // first of two ranges would hold 800 + 380 = 1180 events of 1600.
        let mut b = EventLogBuilder::with_capacity(1600);
        let kind = b.kind("visit");
        let mut ids: Vec<String> = (0..800).map(|i| format!("b{i:03}")).collect();
        for i in 0..20 {
            ids.extend(std::iter::repeat_n(format!("a{i:02}"), 40));
        }
        for e in 0..ids.len() {
            // in no id order
            let id = &ids[(e * 613) % ids.len()];
            let c = b.customer(id);
            b.push(
                c,
                1_700_000_000_000 + e as i64,
                kind,
                f64::NAN,
                u16::MAX,
                None,
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let paths = write_both(dir.path(), &mut events_to_frame(&b.finish()));
        for path in &paths {
            for parts in [2, 4] {
                let (_, logs) = check_spill(path, parts, SAMPLE_ROWS);
                let share = 1600 / parts as usize;
                for (p, log) in logs.iter().enumerate() {
                    // a range boundary falls on a customer: off by at most one customer's 40
                    assert!(
                        log.len().abs_diff(share) <= 40,
                        "{parts} partitions: partition {p} holds {} events",
                        log.len()
                    );
                }
            }
        }
    }

    #[test]
    fn fewer_customers_than_partitions_and_one_with_most_events_leave_ranges_empty() {
        // Three customers, one with 480 of the 520 events, in 7 partitions: every bound is
        // that customer's id, so that its range starts at it and the five ranges between the
        // bounds are empty.
        let mut b = EventLogBuilder::with_capacity(520);
        let kind = b.kind("purchase");
        for e in 0..520usize {
            let id = match e % 26 {
                0 => "x",
                1 => "a",
                _ => "k",
            };
            let c = b.customer(id);
            b.push(c, 1_700_000_000_000 + e as i64, kind, 5.0, u16::MAX, None);
        }
        let dir = tempfile::tempdir().unwrap();
        let paths = write_both(dir.path(), &mut events_to_frame(&b.finish()));
        for path in &paths {
            let (s, logs) = check_spill(path, 7, SAMPLE_ROWS);
            assert_eq!(s.bounds, vec!["k"; 6]);
            let held: Vec<&[String]> = logs.iter().map(|l| &l.customer_ids[..]).collect();
            let none: &[String] = &[];
            assert_eq!(
                held,
                [
                    &["a".to_string()][..],
                    none,
                    none,
                    none,
                    none,
                    none,
                    &["k".into(), "x".into()]
                ]
            );
            assert_eq!(logs[6].len(), 500);
            // any id, with events or not: below the bound, at it, past it
            assert_eq!(s.partition_of(""), 0);
            assert_eq!(s.partition_of("j"), 0);
            assert_eq!(s.partition_of("k"), 6);
            assert_eq!(s.partition_of("zzz"), 6);
            assert_eq!(s.type_counts, [("purchase".to_string(), 520)]);
        }
        // A bound that is the id of a customer among others: "k" starts the second range.
        let mut b = EventLogBuilder::with_capacity(40);
        let kind = b.kind("visit");
        for e in 0..40usize {
            let c = b.customer(["j", "k", "l", "i"][e % 4]);
            b.push(
                c,
                1_700_000_000_000 + e as i64,
                kind,
                f64::NAN,
                u16::MAX,
                None,
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let paths = write_both(dir.path(), &mut events_to_frame(&b.finish()));
        for path in &paths {
            let (s, logs) = check_spill(path, 2, SAMPLE_ROWS);
            assert_eq!(s.bounds, ["k"]);
            assert_eq!(logs[0].customer_ids, ["i", "j"]);
            assert_eq!(logs[1].customer_ids, ["k", "l"]);
        }
    }

    #[test]
    fn text_ids_of_any_length_and_order_partition_by_their_text() {
        // Integer ids in a Parquet column, in reverse and shuffled order: ranges and the
        // customers of a partition follow the ids' text ("10" < "9"), as the whole log sorts.
        let dir = tempfile::tempdir().unwrap();
        let n = 700usize;
        let ids: Vec<i64> = (0..n).map(|e| ((e * 389) % 233) as i64 * 7 + 1).collect();
        let ts: Vec<i64> = (0..n)
            .map(|e| 1_700_000_000_000 + ((n - e) as i64) * 60_000)
            .collect();
        let mut df = DataFrame::new(
            n,
            vec![
                Column::new("customer_id".into(), ids),
                Int64Chunked::from_vec("timestamp".into(), ts)
                    .into_datetime(TimeUnit::Milliseconds, None)
                    .into_column(),
                Column::new("event_type".into(), vec!["visit"; n]),
            ],
        )
        .unwrap();
        for path in &write_both(dir.path(), &mut df) {
            for parts in [2, 5] {
                for sample in [SAMPLE_ROWS, 30] {
                    check_spill(path, parts, sample);
                }
            }
        }
    }

    #[test]
    fn blocks_carry_their_own_dictionary_of_customer_ids() {
        let log = shuffled_log();
        let dir = tempfile::tempdir().unwrap();
        let mut w = PartWriter::create(&dir.path().join("0.bin")).unwrap();
        // Two batches: each numbers its own customers once, a customer of both twice.
        let half = log.len() / 2;
        for batch in [0..half, half..log.len()] {
            let mut number: Vec<Option<u32>> = vec![None; log.customer_ids.len()];
            for e in batch {
                let c = log.customer[e] as usize;
                let n = *number[c].get_or_insert_with(|| w.customer(&log.customer_ids[c]));
                w.push(n, &log, e);
            }
        }
        assert!(w.entries as usize > log.customer_ids.len());
        let raw = w.encode();
        // Decoded into a log that already holds customers of an earlier block.
        let mut got = EventLog {
            customer_ids: vec!["C059".into(), "Z".into()],
            custom_types: log.custom_types.clone(),
            channels: log.channels.clone(),
            ..EventLog::default()
        };
        let mut ids: PlHashMap<String, u32> = PlHashMap::default();
        ids.insert("C059".into(), 0);
        ids.insert("Z".into(), 1);
        decode_block(&raw, log.len(), &mut got, &mut ids).expect("a block encode made");
        assert_eq!(got.customer_ids.len(), log.customer_ids.len() + 1);
        assert_eq!(got.customer_ids[..2], ["C059", "Z"]);
        assert_eq!(rows(&got), rows(&log));
        sort_customers(&mut got);
        assert!(got.customer_ids.is_sorted());
        assert_eq!(
            rows(&got),
            rows(&log),
            "sorting renumbers the events' customers"
        );
        // A damaged block is refused, not misread.
        let mut empty = EventLog::default();
        let mut no_ids = PlHashMap::default();
        assert!(decode_block(&raw[..raw.len() - 1], log.len(), &mut empty, &mut no_ids).is_none());
        let mut bad = raw.clone();
        bad[0] = 200; // more ids than the block holds
        assert!(decode_block(&bad, log.len(), &mut empty, &mut no_ids).is_none());
        // A flag byte encode never writes (the flags come just before the values).
        let values = log.value.iter().filter(|v| !v.is_nan()).count();
        let mut bad = raw.clone();
        bad[raw.len() - values * 8 - 1] |= 0x08;
        assert!(decode_block(&bad, log.len(), &mut empty, &mut no_ids).is_none());
    }

    #[test]
    fn the_sample_is_the_same_for_the_same_file_and_spread_over_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("customer_id,timestamp,event_type\n");
        for r in 0..5000 {
            text.push_str(&format!("c{:04},2024-01-01,visit\n", r));
        }
        let csv = dir.path().join("events.csv");
        std::fs::write(&csv, &text).unwrap();
        let opts = EventLoadOptions::default();
        let a = sampled_ids(&csv, &opts, 300, 500).unwrap();
        assert_eq!(a, sampled_ids(&csv, &opts, 300, 500).unwrap());
        assert_eq!(
            a,
            sampled_ids(&csv, &opts, 77, 500).unwrap(),
            "whatever the batches"
        );
        // every 16th row: the smallest power of two that keeps at most 500 of 5000
        let want: Vec<String> = (0..5000).step_by(16).map(|r| format!("c{r:04}")).collect();
        assert_eq!(a, want);
        let all = sampled_ids(&csv, &opts, 300, 10_000).unwrap();
        assert_eq!(all.len(), 5000, "a sample larger than the file is the file");
        let bounds = range_bounds(a, 4);
        assert_eq!(bounds.len(), 3);
        assert!(bounds.is_sorted());
        assert_eq!(range_bounds(Vec::new(), 3), ["", ""]);
    }

    #[test]
    fn a_bad_value_in_a_later_batch_names_its_row_and_leaves_no_spill() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("customer_id,timestamp,event_type,value\n");
        for r in 0..300 {
            let value = if r == 250 { "42" } else { "7" };
            text.push_str(&format!(
                "C{},2024-01-{:02},nps,{value}\n",
                r % 13,
                1 + r % 28
            ));
        }
        let csv = dir.path().join("events.csv");
        std::fs::write(&csv, &text).unwrap();
        let whole = load_events(&csv, &Default::default())
            .unwrap_err()
            .to_string();
        assert!(whole.contains("row 251"), "{whole}");
        let spill = SpillOptions {
            partitions: 3,
            dir: dir.path().to_path_buf(),
        };
        let err = spill_in_batches(&csv, &Default::default(), &spill, 40, SAMPLE_ROWS)
            .unwrap_err()
            .to_string();
        assert_eq!(err, whole);
        assert!(spills_left(dir.path()).is_empty());
    }

    #[test]
    fn sizes_parse_with_their_unit() {
        assert_eq!(parse_size("4G", "--memory-budget").unwrap(), 4 << 30);
        assert_eq!(parse_size("512MiB", "--memory-budget").unwrap(), 512 << 20);
        assert_eq!(parse_size("1.5g", "--memory-budget").unwrap(), 3 << 29);
        assert_eq!(parse_size("1000", "--memory-budget").unwrap(), 1000);
        for bad in ["", "G", "-1G", "4X", "0"] {
            assert!(parse_size(bad, "--memory-budget").is_err(), "{bad}");
        }
    }

    #[test]
    fn varints_round_trip() {
        let mut out = Vec::new();
        let xs = [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX];
        for &x in &xs {
            put_varint(&mut out, x);
        }
        let mut at = 0;
        for &x in &xs {
            assert_eq!(get_varint(&out, &mut at), Some(x));
        }
        assert_eq!(at, out.len());
    }
}
