//! Events spilled to disk in partitions by customer id, for inputs too large to hold whole.
//!
//! [`spill_events`] reads an events file twice, a batch at a time ([`crate::stream`]), in any
//! row order: first the customer ids alone, which it sorts and cuts into `N` ranges of equal
//! customer counts; then every event, converted and checked exactly as [`crate::load_events`]
//! does (the same interning of event types and channels, in order of first appearance over
//! the whole file), and appended to its range's spill file. [`SpilledEvents::load`] then gives
//! one range's customers as an [`EventLog`] of their own: their events in file order, the
//! whole file's event types and channels. Ranges follow the id order, so results computed range
//! by range and appended in range order are in id order, as the whole log's would be.
//!
//! Spill files are blocks of up to [`BLOCK_EVENTS`] events, column by column (customer and
//! time deltas as variable-length integers, the rest fixed-width), compressed with zstd: about
//! 5.3 bytes per event on simulated data. They live in a hidden directory of their own, removed
//! when the [`SpilledEvents`] is dropped, on success and on failure alike.

use crate::convert::LogParts;
use crate::stream::for_each_batch;
use crate::{as_strings_of, timing, EventLoadOptions};
use erosion_core::{Customers, Error, EventKind, EventLog, EventType, Lookalike, Result};
use rayon::prelude::*;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Events per compressed block of a spill file.
pub const BLOCK_EVENTS: usize = 1 << 16;

/// Rows per batch when a Parquet events file is streamed.
const STREAM_ROWS: usize = 1 << 19;

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
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
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
/// partition takes at most half the budget (the other half is for the customer ids, the
/// outputs being written and the allocator's slack).
pub fn partitions_for(path: &Path, budget: u64) -> Result<u32> {
    let need = estimated_events(path)?.saturating_mul(BYTES_PER_EVENT);
    if need <= budget {
        return Ok(1);
    }
    Ok(need.div_ceil((budget / 2).max(1)).clamp(2, 4096) as u32)
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
    /// Every customer id with an event, sorted; partition `p` holds `ids[starts[p]..starts[p+1]]`.
    ids: Vec<String>,
    starts: Vec<usize>,
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
    /// The custom types that resemble vocabulary types, with their counts
    /// ([`EventLog::lookalike_types`] of the whole file).
    pub lookalikes: Vec<Lookalike>,
    /// Consent events (`opt_in`, `opt_out`, `consent_withdrawn`) in the file.
    pub consent_events: usize,
    /// Every event type with its count over the whole file: the vocabulary's types by their
    /// names ([`EventType::as_str`]), then the custom types as spelt.
    pub type_counts: Vec<(String, u64)>,
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
    spill_in_batches(path, opts, spill, STREAM_ROWS)
}

/// [`spill_events`] reading `batch_rows` rows at a time.
fn spill_in_batches(
    path: &Path,
    opts: &EventLoadOptions,
    spill: &SpillOptions,
    batch_rows: usize,
) -> Result<SpilledEvents> {
    let latest = match opts.latest_allowed {
        Some(t) => t,
        None => crate::latest_allowed_now()?,
    };
    let t = Instant::now();
    let ids = distinct_ids(path, opts, batch_rows)?;
    timing(format_args!("spill: {} customer ids", ids.len()), t);
    let n = ids.len();
    let parts = spill.partitions.max(1) as usize;
    let starts: Vec<usize> = (0..=parts).map(|p| p * n / parts).collect();
    let dir = SpillDir::create(&spill.dir)?;
    let mut writers: Vec<PartWriter> = (0..parts)
        .map(|p| PartWriter::create(&dir.0.join(format!("{p}.bin")), starts[p]))
        .collect::<Result<_>>()?;
    let mut part_of = vec![0u32; n];
    for p in 0..parts {
        part_of[starts[p]..starts[p + 1]].fill(p as u32);
    }
    let t = Instant::now();
    let mut log = LogParts::with_known_customers(&ids);
    let mut custom_counts: Vec<u64> = Vec::new();
    let mut known_counts = vec![0u64; EventType::ALL.len()];
    let (mut consent_events, mut events) = (0usize, 0u64);
    let mut range: Option<(i64, i64)> = None;
    for_each_batch(path, &opts.read, None, batch_rows, |df, first| {
        log.convert(&df, path, opts)
            .map_err(|e| shifted(e, first))?;
        drop(df);
        let batch = log.events();
        if let Some(p) = crate::event_problems(batch, latest, 1).0.into_iter().next() {
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
        if batch.customer_ids.len() != n {
            return Err(Error::usage(format!(
                "{}: the file changed while it was read (customer ids appeared between two readings)",
                path.display()
            )));
        }
        custom_counts.resize(batch.custom_types.len(), 0);
        for k in &batch.kind {
            match *k {
                EventKind::Custom(i) => custom_counts[i as usize] += 1,
                EventKind::Known(
                    EventType::OptIn | EventType::OptOut | EventType::ConsentWithdrawn,
                ) => consent_events += 1,
                EventKind::Known(_) => {}
            }
            if let EventKind::Known(t) = *k {
                known_counts[t as usize] += 1;
            }
        }
        if let Some((lo, hi)) = batch.time_range() {
            range = Some(range.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        events += batch.len() as u64;
        for (e, &c) in batch.customer.iter().enumerate() {
            writers[part_of[c as usize] as usize].push(batch, e);
        }
        writers
            .par_iter_mut()
            .filter(|w| w.buffered() >= BLOCK_EVENTS)
            .try_for_each(PartWriter::flush)?;
        log.clear_events();
        Ok(())
    })?;
    let mut spilled_bytes = 0;
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
        ids,
        starts,
        lookalikes: Lookalike::counted(&whole.custom_types, &custom_counts),
        type_counts: EventType::ALL
            .iter()
            .map(|t| t.as_str().to_string())
            .zip(known_counts)
            .chain(
                whole
                    .custom_types
                    .iter()
                    .cloned()
                    .zip(custom_counts.iter().copied()),
            )
            .collect(),
        custom_types: whole.custom_types,
        channels: whole.channels,
        time_range: range,
        events,
        spilled_bytes,
        consent_events,
    })
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

/// The distinct customer ids of the file (trimmed, empty ones skipped), sorted.
fn distinct_ids(path: &Path, opts: &EventLoadOptions, batch_rows: usize) -> Result<Vec<String>> {
    let mut seen: polars::prelude::PlHashSet<String> = Default::default();
    let id_col = &opts.columns.customer_id;
    for_each_batch(
        path,
        &opts.read,
        Some(std::slice::from_ref(id_col)),
        batch_rows,
        |df, _| {
            let ids = as_strings_of(&df, path, id_col)?;
            for id in ids.iter().flatten() {
                let id = id.trim();
                if !id.is_empty() && !seen.contains(id) {
                    seen.insert(id.to_string());
                }
            }
            Ok(())
        },
    )?;
    let mut ids: Vec<String> = seen.into_iter().collect();
    ids.par_sort_unstable();
    Ok(ids)
}

impl SpilledEvents {
    /// Number of partitions.
    pub fn partitions(&self) -> usize {
        self.starts.len() - 1
    }

    /// Customers with events.
    pub fn customers(&self) -> usize {
        self.ids.len()
    }

    /// The partition of any customer id (with events or not): the range it sorts into.
    pub fn partition_of(&self, id: &str) -> usize {
        let n = self.ids.len();
        if n == 0 {
            return 0;
        }
        let rank = match self.ids.binary_search_by(|x| x.as_str().cmp(id)) {
            Ok(r) => r,
            Err(r) => r.min(n - 1),
        };
        self.starts.partition_point(|&s| s <= rank) - 1
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

    /// Partition `p` as an event log: its customers (in id order) and their events in file
    /// order, with the whole file's event types and channels.
    pub fn load(&self, p: usize) -> Result<EventLog> {
        let path = self.dir.0.join(format!("{p}.bin"));
        let mut bytes = Vec::new();
        File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| Error::io(&path, e))?;
        let mut log = EventLog {
            customer_ids: self.ids[self.starts[p]..self.starts[p + 1]].to_vec(),
            custom_types: self.custom_types.clone(),
            channels: self.channels.clone(),
            ..EventLog::default()
        };
        let bad = |what: &str| {
            Error::io(
                &path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string()),
            )
        };
        let mut at = 0;
        while at < bytes.len() {
            let header = bytes
                .get(at..at + 12)
                .ok_or_else(|| bad("truncated block"))?;
            let word =
                |i: usize| u32::from_le_bytes(header[i..i + 4].try_into().expect("4")) as usize;
            let (rows, raw_len, comp_len) = (word(0), word(4), word(8));
            let comp = bytes
                .get(at + 12..at + 12 + comp_len)
                .ok_or_else(|| bad("truncated block"))?;
            let raw = zstd::bulk::decompress(comp, raw_len).map_err(|e| Error::io(&path, e))?;
            decode_block(&raw, rows, &mut log).ok_or_else(|| bad("corrupt block"))?;
            at += 12 + comp_len;
        }
        Ok(log)
    }
}

/// One partition's spill file and its block being filled.
struct PartWriter {
    path: PathBuf,
    file: BufWriter<File>,
    first: usize,
    customer: Vec<u32>,
    timestamp: Vec<i64>,
    kind: Vec<u16>,
    value: Vec<f64>,
    channel: Vec<u16>,
    personalized: Vec<u8>,
    bytes: u64,
}

impl PartWriter {
    fn create(path: &Path, first: usize) -> Result<PartWriter> {
        let file = File::create(path).map_err(|e| Error::write(path, e))?;
        Ok(PartWriter {
            path: path.to_path_buf(),
            file: BufWriter::with_capacity(1 << 20, file),
            first,
            customer: Vec::new(),
            timestamp: Vec::new(),
            kind: Vec::new(),
            value: Vec::new(),
            channel: Vec::new(),
            personalized: Vec::new(),
            bytes: 0,
        })
    }

    fn buffered(&self) -> usize {
        self.customer.len()
    }

    fn push(&mut self, log: &EventLog, e: usize) {
        self.customer.push(log.customer[e] - self.first as u32);
        self.timestamp.push(log.timestamp[e]);
        self.kind.push(match log.kind[e] {
            EventKind::Known(t) => t as u16,
            EventKind::Custom(i) => 0x8000 | i,
        });
        self.value.push(log.value[e]);
        self.channel.push(log.channel[e]);
        self.personalized.push(match log.personalized[e] {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        });
    }

    /// Compresses and writes the block being filled.
    fn flush(&mut self) -> Result<()> {
        let rows = self.customer.len();
        if rows == 0 {
            return Ok(());
        }
        let mut raw = Vec::with_capacity(rows * 24);
        for &c in &self.customer {
            put_varint(&mut raw, u64::from(c));
        }
        let mut prev = 0i64;
        for &t in &self.timestamp {
            let d = t.wrapping_sub(prev);
            put_varint(&mut raw, ((d << 1) ^ (d >> 63)) as u64);
            prev = t;
        }
        for &k in &self.kind {
            raw.extend_from_slice(&k.to_le_bytes());
        }
        for &v in &self.value {
            raw.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        for &c in &self.channel {
            raw.extend_from_slice(&c.to_le_bytes());
        }
        raw.extend_from_slice(&self.personalized);
        let comp = zstd::bulk::compress(&raw, 1).map_err(|e| Error::write(&self.path, e))?;
        for word in [rows, raw.len(), comp.len()] {
            self.file
                .write_all(&(word as u32).to_le_bytes())
                .map_err(|e| Error::write(&self.path, e))?;
        }
        self.file
            .write_all(&comp)
            .map_err(|e| Error::write(&self.path, e))?;
        self.bytes += 12 + comp.len() as u64;
        self.customer.clear();
        self.timestamp.clear();
        self.kind.clear();
        self.value.clear();
        self.channel.clear();
        self.personalized.clear();
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
    let mut x = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        x |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(x);
        }
    }
    None
}

/// Appends a block of `rows` events to `log`; `None` when the block is not one
/// [`PartWriter::flush`] wrote.
fn decode_block(raw: &[u8], rows: usize, log: &mut EventLog) -> Option<()> {
    let mut at = 0;
    let n_customers = log.customer_ids.len() as u64;
    for _ in 0..rows {
        let c = get_varint(raw, &mut at)?;
        if c >= n_customers {
            return None;
        }
        log.customer.push(c as u32);
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
    for k in fixed(&mut at, 2)?.chunks_exact(2) {
        let k = u16::from_le_bytes([k[0], k[1]]);
        log.kind.push(if k & 0x8000 != 0 {
            let i = k & 0x7fff;
            if usize::from(i) >= log.custom_types.len() {
                return None;
            }
            EventKind::Custom(i)
        } else {
            EventKind::Known(*EventType::ALL.get(usize::from(k))?)
        });
    }
    for v in fixed(&mut at, 8)?.chunks_exact(8) {
        log.value
            .push(f64::from_bits(u64::from_le_bytes(v.try_into().ok()?)));
    }
    for c in fixed(&mut at, 2)?.chunks_exact(2) {
        log.channel.push(u16::from_le_bytes([c[0], c[1]]));
    }
    for &p in fixed(&mut at, 1)? {
        log.personalized.push(match p {
            0 => None,
            1 => Some(false),
            _ => Some(true),
        });
    }
    (at == raw.len()).then_some(())
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

    #[test]
    fn partitions_hold_each_customers_events_as_the_whole_file_does() {
        let dir = tempfile::tempdir().unwrap();
        let log = shuffled_log();
        let mut df = events_to_frame(&log);
        let parquet = dir.path().join("events.parquet");
        // Row groups of 50 rows, so that batches of 120 rows take several.
        let file = File::create(&parquet).unwrap();
        let mut w = ParquetWriter::new(file).batched(df.schema()).unwrap();
        for start in (0..df.height()).step_by(50) {
            w.write_batch(&df.slice(start as i64, 50)).unwrap();
        }
        w.finish().unwrap();
        let csv = dir.path().join("events.csv");
        write_table(&csv, &mut df).unwrap();
        for path in [&parquet, &csv] {
            let whole = load_events(path, &Default::default()).unwrap();
            for parts in [1, 3, 7] {
                let spill = SpillOptions {
                    partitions: parts,
                    dir: dir.path().to_path_buf(),
                };
                let s = spill_in_batches(path, &Default::default(), &spill, 120).unwrap();
                assert_eq!(s.partitions(), parts as usize);
                assert_eq!(s.customers(), whole.customer_ids.len());
                assert_eq!(s.events, whole.len() as u64);
                assert_eq!(s.custom_types, whole.custom_types);
                assert_eq!(s.channels, whole.channels);
                assert_eq!(s.time_range, whole.time_range());
                assert_eq!(s.lookalikes, whole.lookalike_types());
                assert_eq!(s.consent_events, whole.consent_events());
                assert!(s.spilled_bytes > 0);
                let all = rows(&whole);
                let mut last_id = String::new();
                for p in 0..parts as usize {
                    let got = s.load(p).unwrap();
                    let want: Vec<_> = all
                        .iter()
                        .filter(|r| s.partition_of(&r.0) == p)
                        .cloned()
                        .collect();
                    assert_eq!(
                        rows(&got),
                        want,
                        "{}: partition {p} of {parts}",
                        path.display()
                    );
                    // ranges follow the id order
                    let mut ids = got.customer_ids.clone();
                    ids.sort();
                    assert_eq!(ids, got.customer_ids);
                    if let Some(first) = ids.first() {
                        assert!(*first > last_id);
                        last_id = ids.last().unwrap().clone();
                    }
                }
                let spill_dir = s.dir().to_path_buf();
                assert!(spill_dir.exists());
                drop(s);
                assert!(!spill_dir.exists(), "the spill directory is removed");
            }
        }
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
        let err = spill_in_batches(&csv, &Default::default(), &spill, 40)
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
