//! From a raw table to the validated data model, and back.

use crate::read::Format;
use crate::read::{read_table, ReadOptions};
use erosion_core::model::NO_CHANNEL;
use erosion_core::time::parse_timestamp;
pub use erosion_core::timings::{timing, timings_enabled};
use erosion_core::{Customers, Error, EventKind, EventLog, EventType, Result};
use polars::prelude::*;
use std::path::Path;
use std::time::Instant;

/// Which columns of the file hold the event fields (docs/CONTRACT.md's names by default).
#[derive(Debug, Clone)]
pub struct EventColumns {
    /// Customer id column.
    pub customer_id: String,
    /// Timestamp column.
    pub timestamp: String,
    /// Event type column; may be absent when a default event type is given.
    pub event_type: String,
    /// Value column (optional in the file).
    pub value: String,
    /// Channel column (optional in the file).
    pub channel: String,
    /// Personalised flag column (optional in the file).
    pub personalized: String,
}

impl Default for EventColumns {
    fn default() -> Self {
        Self {
            customer_id: "customer_id".into(),
            timestamp: "timestamp".into(),
            event_type: "event_type".into(),
            value: "value".into(),
            channel: "channel".into(),
            personalized: "personalized".into(),
        }
    }
}

/// How to read an events file.
#[derive(Debug, Clone, Default)]
pub struct EventLoadOptions {
    /// Reading options for delimited text.
    pub read: ReadOptions,
    /// Column mapping.
    pub columns: EventColumns,
    /// A chrono format for the timestamp column (for example `%Y%m%d`); by default RFC 3339
    /// or `YYYY-MM-DD`.
    pub time_format: Option<String>,
    /// Event type of every row when the file has no event type column (CDNOW: `purchase`).
    pub default_event_type: Option<String>,
    /// The latest timestamp (epoch ms) accepted; `None` for now plus the tolerance of
    /// `EROSION_FUTURE_TOLERANCE_DAYS` (default 2 days), see [`crate::latest_allowed_now`].
    pub latest_allowed: Option<i64>,
}

/// How to read a customers file.
#[derive(Debug, Clone)]
pub struct CustomerLoadOptions {
    /// Reading options for delimited text.
    pub read: ReadOptions,
    /// Customer id column.
    pub customer_id: String,
    /// Signup date column (optional in the file).
    pub signup_date: String,
    /// A chrono format for the signup date.
    pub time_format: Option<String>,
    /// Keep the other columns as attributes (default); without them a customers table costs
    /// its ids and signups only (what features and scoring read).
    pub attributes: bool,
}

impl Default for CustomerLoadOptions {
    fn default() -> Self {
        Self {
            read: ReadOptions::default(),
            customer_id: "customer_id".into(),
            signup_date: "signup_date".into(),
            time_format: None,
            attributes: true,
        }
    }
}

fn column<'a>(df: &'a DataFrame, path: &Path, name: &str) -> Result<&'a Column> {
    df.column(name).map_err(|_| Error::MissingColumn {
        path: path.to_path_buf(),
        column: name.to_string(),
        available: df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect(),
    })
}

fn optional<'a>(df: &'a DataFrame, name: &str) -> Option<&'a Column> {
    df.column(name).ok()
}

fn as_strings(col: &Column, path: &Path) -> Result<StringChunked> {
    let s = col.cast(&DataType::String).map_err(|e| Error::Unreadable {
        path: path.to_path_buf(),
        format: format!("text in column {:?}", col.name().as_str()),
        message: e.to_string(),
    })?;
    Ok(s.str().expect("cast to String").clone())
}

/// The column `name` of `df` as text; a missing column is [`Error::MissingColumn`].
pub(crate) fn as_strings_of(df: &DataFrame, path: &Path, name: &str) -> Result<StringChunked> {
    as_strings(column(df, path, name)?, path)
}

/// Converts a timestamp column of any supported dtype to epoch milliseconds.
fn timestamps(col: &Column, path: &Path, format: Option<&str>) -> Result<Vec<i64>> {
    let name = col.name().to_string();
    let bad = |row: usize, value: String| Error::BadValue {
        path: path.to_path_buf(),
        column: name.clone(),
        row: row + 1,
        value,
        expected: match format {
            Some(f) => format!("a timestamp in the format {f:?}"),
            None => "a timestamp (RFC 3339 or YYYY-MM-DD)".to_string(),
        },
    };
    match col.dtype() {
        DataType::Datetime(_, _) | DataType::Date if format.is_none() => {
            let ms = col
                .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
                .and_then(|c| c.cast(&DataType::Int64))
                .map_err(|e| Error::io(path, e))?;
            let ca = ms.i64().expect("Int64");
            if ca.null_count() == 0 {
                let mut out = Vec::with_capacity(ca.len());
                for arr in ca.downcast_iter() {
                    out.extend_from_slice(arr.values());
                }
                return Ok(out);
            }
            ca.iter()
                .enumerate()
                .map(|(row, v)| v.ok_or_else(|| bad(row, "(empty)".into())))
                .collect()
        }
        _ => {
            let ca = as_strings(col, path)?;
            ca.iter()
                .enumerate()
                .map(|(row, v)| match v {
                    None => Err(bad(row, "(empty)".into())),
                    Some(s) => parse_timestamp(s, format).ok_or_else(|| bad(row, s.to_string())),
                })
                .collect()
        }
    }
}

/// Converts a numeric column (or numeric strings, blanks as missing) to f64 with NaN for
/// missing.
pub(crate) fn numbers(col: &Column, path: &Path, expected: &str) -> Result<Vec<f64>> {
    if col.dtype().is_primitive_numeric() {
        let f = col
            .cast(&DataType::Float64)
            .map_err(|e| Error::io(path, e))?;
        let ca = f.f64().expect("Float64");
        if ca.null_count() > 0 {
            return Ok(ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect());
        }
        let mut out = Vec::with_capacity(ca.len());
        for arr in ca.downcast_iter() {
            out.extend_from_slice(arr.values());
        }
        return Ok(out);
    }
    let name = col.name().to_string();
    let ca = as_strings(col, path)?;
    ca.iter()
        .enumerate()
        .map(|(row, v)| match v.map(str::trim) {
            None | Some("") => Ok(f64::NAN),
            Some(s) => s
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| Error::BadValue {
                    path: path.to_path_buf(),
                    column: name.clone(),
                    row: row + 1,
                    value: s.to_string(),
                    expected: expected.to_string(),
                }),
        })
        .collect()
}

fn booleans(col: &Column, path: &Path) -> Result<Vec<Option<bool>>> {
    if let Ok(b) = col.bool() {
        return Ok(b.iter().collect());
    }
    let name = col.name().to_string();
    let ca = as_strings(col, path)?;
    ca.iter()
        .enumerate()
        .map(|(row, v)| match v.map(|s| s.trim().to_ascii_lowercase()) {
            None => Ok(None),
            Some(s) => match s.as_str() {
                "" => Ok(None),
                "true" | "1" | "yes" | "y" | "t" => Ok(Some(true)),
                "false" | "0" | "no" | "n" | "f" => Ok(Some(false)),
                _ => Err(Error::BadValue {
                    path: path.to_path_buf(),
                    column: name.clone(),
                    row: row + 1,
                    value: s,
                    expected: "a boolean (true/false, 1/0, yes/no)".into(),
                }),
            },
        })
        .collect()
}

/// Loads and validates an events file. Required: the customer id and timestamp columns, and
/// the event type column unless `default_event_type` is set. Optional: value, channel,
/// personalized. Every value is checked; the first bad one is reported with its row.
///
/// A Parquet file is read a batch of row groups at a time (the next batch is read while the
/// current one is converted), which keeps only the data model and a batch or two in memory.
/// Should anything go wrong on that path, the file is loaded again whole, so that errors are
/// exactly those of reading it whole. `EROSION_TIMINGS=1` prints the time spent to stderr.
///
/// Then every event passes the checks of [`crate::event_problems`] (the ones `erosion validate`
/// reports): the first score out of range, value that is infinite or absurdly large, or
/// timestamp in the future is [`Error::BadValue`] naming the file, the column and the row.
pub fn load_events(path: &Path, opts: &EventLoadOptions) -> Result<EventLog> {
    let latest = latest_allowed(opts)?;
    let log = load_events_unchecked(path, opts)?;
    check_events(log, path, opts, latest)
}

/// The events of a frame already in memory (an Arrow table handed over by Python, a Spark
/// partition), converted and checked exactly as [`load_events`] converts and checks a file's:
/// the same columns, the same checks, the same errors. `name` stands for the file in errors
/// (a path when the frame was read from one, else a label such as `events`).
pub fn events_from_frame(df: &DataFrame, name: &Path, opts: &EventLoadOptions) -> Result<EventLog> {
    let latest = latest_allowed(opts)?;
    let mut parts = LogParts::with_capacity(df.height());
    parts.convert(df, name, opts)?;
    check_events(parts.finish(), name, opts, latest)
}

fn latest_allowed(opts: &EventLoadOptions) -> Result<i64> {
    match opts.latest_allowed {
        Some(t) => Ok(t),
        None => crate::latest_allowed_now(),
    }
}

/// The log if every event passes [`crate::event_problems`], else the first problem as
/// [`Error::BadValue`].
fn check_events(
    log: EventLog,
    path: &Path,
    opts: &EventLoadOptions,
    latest: i64,
) -> Result<EventLog> {
    if let Some(p) = crate::event_problems(&log, latest, 1).0.into_iter().next() {
        return Err(Error::BadValue {
            path: path.to_path_buf(),
            column: match p.field {
                crate::Field::Timestamp => opts.columns.timestamp.clone(),
                crate::Field::Value => opts.columns.value.clone(),
            },
            row: p.row,
            value: p.value,
            expected: format!("{} (customer {:?})", p.expected, p.customer),
        });
    }
    Ok(log)
}

fn load_events_unchecked(path: &Path, opts: &EventLoadOptions) -> Result<EventLog> {
    let t0 = Instant::now();
    if matches!(Format::of(path, opts.read.separator), Ok(Format::Parquet))
        && opts.read.names.is_none()
        && !opts.read.no_header
    {
        if let Some((log, batches)) = load_events_batched(path, opts, BATCH_ROWS) {
            timing(
                format_args!(
                    "load events (Parquet, {batches} batches): {} events, {} customers",
                    log.len(),
                    log.customer_ids.len()
                ),
                t0,
            );
            return Ok(log);
        }
    }
    let df = read_table(path, &opts.read)?;
    timing(format_args!("read events whole: {} rows", df.height()), t0);
    let t1 = Instant::now();
    let mut parts = LogParts::with_capacity(df.height());
    parts.convert(&df, path, opts)?;
    drop(df);
    timing(format_args!("convert events"), t1);
    Ok(parts.finish())
}

/// Rows per batch of the batched Parquet path (whole row groups: at least this many unless
/// the file ends). Small enough that a batch's buffers (a few MB per column) are recycled by
/// the allocator rather than mapped and unmapped afresh, batch after batch.
const BATCH_ROWS: usize = 1 << 19;

/// The batched Parquet path: `None` on any problem (the caller reads the file whole and
/// reports it), else the log and the number of batches.
fn load_events_batched(
    path: &Path,
    opts: &EventLoadOptions,
    batch_rows: usize,
) -> Option<(EventLog, usize)> {
    let file = std::fs::File::open(path).ok()?;
    if file.metadata().ok()?.len() == 0 {
        return None;
    }
    let mut reader = ParquetReader::new(file);
    let schema = reader.schema().ok()?;
    let metadata = reader.get_metadata().ok()?.clone();
    let total = metadata.num_rows;
    if total == 0 || total >= u32::MAX as usize {
        return None;
    }
    let c = &opts.columns;
    let has = |name: &str| schema.get(name).is_some();
    if !has(&c.customer_id) || !has(&c.timestamp) {
        return None;
    }
    if !has(&c.event_type) && opts.default_event_type.is_none() {
        return None;
    }
    let columns: Vec<String> = [
        &c.customer_id,
        &c.timestamp,
        &c.event_type,
        &c.value,
        &c.channel,
        &c.personalized,
    ]
    .into_iter()
    .filter(|n| has(n))
    .fold(Vec::new(), |mut v, n| {
        if !v.contains(n) {
            v.push(n.clone());
        }
        v
    });
    let batches = crate::stream::row_group_batches(&metadata, batch_rows);
    let n_batches = batches.len();
    let mut parts = LogParts::with_capacity(total);
    let (mut read_s, mut convert_s) = (0.0, 0.0);
    let ok = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Option<(DataFrame, f64)>>(1);
        let columns = &columns;
        scope.spawn(move || {
            for (_, metadata) in batches {
                let t = Instant::now();
                let len = metadata.num_rows;
                let df = std::fs::File::open(path).ok().and_then(|f| {
                    let mut r = ParquetReader::new(f);
                    r.set_metadata(metadata);
                    r.with_columns(Some(columns.clone()))
                        .read_parallel(ParallelStrategy::Columns)
                        .finish()
                        .ok()
                });
                let Some(df) = df.filter(|df| df.height() == len) else {
                    let _ = tx.send(None);
                    return;
                };
                if tx.send(Some((df, t.elapsed().as_secs_f64()))).is_err() {
                    return;
                }
            }
        });
        for batch in rx {
            let Some((df, s)) = batch else { return false };
            read_s += s;
            let t = Instant::now();
            if parts.convert(&df, path, opts).is_err() {
                return false;
            }
            drop(df);
            convert_s += t.elapsed().as_secs_f64();
        }
        true
    });
    if !ok || parts.log.len() != total {
        return None;
    }
    if timings_enabled() {
        eprintln!(
            "[timing]   reading batches (prefetch thread): {read_s:.3} s; converting: {convert_s:.3} s"
        );
    }
    Some((parts.finish(), n_batches))
}

/// Interns a customer id (in order of first appearance).
pub(crate) fn intern_customer(
    ids: &mut PlHashMap<String, u32>,
    names: &mut Vec<String>,
    id: &str,
) -> u32 {
    if let Some(&i) = ids.get(id) {
        return i;
    }
    let i = names.len() as u32;
    names.push(id.to_string());
    ids.insert(id.to_string(), i);
    i
}

/// The kind of an event type name: known, or custom (interned in order of first appearance).
fn intern_kind(
    kinds: &mut PlHashMap<String, EventKind>,
    customs: &mut Vec<String>,
    name: &str,
) -> EventKind {
    if let Some(&k) = kinds.get(name) {
        return k;
    }
    let k = match EventType::parse(name) {
        Some(t) => EventKind::Known(t),
        None => {
            let i = customs.len() as u16;
            customs.push(name.to_string());
            EventKind::Custom(i)
        }
    };
    kinds.insert(name.to_string(), k);
    k
}

/// Interns a channel name (in order of first appearance); `NO_CHANNEL` for none.
fn intern_channel(
    channels: &mut PlHashMap<String, u16>,
    names: &mut Vec<String>,
    name: Option<&str>,
) -> u16 {
    let Some(name) = name else { return NO_CHANNEL };
    if let Some(&i) = channels.get(name) {
        return i;
    }
    let i = names.len() as u16;
    names.push(name.to_string());
    channels.insert(name.to_string(), i);
    i
}

/// Appends `f(row, value)` for every row of a string column, in order, stopping at the first
/// error. `f` must give the same result for the same string wherever it is: a result is reused
/// for rows with the same view (the 16 bytes polars keeps per string: the string itself when it
/// is short, else its place in the chunk's buffers), which spares hashing strings again and
/// again in columns of few distinct values or of runs (ids, event types, channels).
fn map_strings<'a, T: Copy, E>(
    ca: &'a StringChunked,
    out: &mut Vec<T>,
    mut f: impl FnMut(usize, Option<&'a str>) -> std::result::Result<T, E>,
) -> std::result::Result<(), E> {
    const SLOTS: usize = 256;
    let mut offset = 0;
    for arr in ca.downcast_iter() {
        // A direct-mapped cache from view to result, for this chunk only (views of long
        // strings point into the chunk's buffers).
        let mut keys = [0u128; SLOTS];
        let mut vals: [Option<T>; SLOTS] = [None; SLOTS];
        let views = arr.views();
        out.reserve(views.len());
        for (i, (view, value)) in views.iter().zip(arr.iter()).enumerate() {
            let row = offset + i;
            let Some(value) = value else {
                out.push(f(row, None)?);
                continue;
            };
            let key = view.as_u128();
            let slot = ((key as u64 ^ (key >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56)
                as usize;
            let value = match vals[slot] {
                Some(v) if keys[slot] == key => v,
                _ => {
                    let v = f(row, Some(value))?;
                    keys[slot] = key;
                    vals[slot] = Some(v);
                    v
                }
            };
            out.push(value);
        }
        offset += views.len();
    }
    Ok(())
}

/// An event log being built from frames, interning ids, event types and channels in order
/// of first appearance (as `EventLogBuilder` does, with polars' faster hash maps).
pub(crate) struct LogParts {
    log: EventLog,
    ids: PlHashMap<String, u32>,
    /// Customers numbered per batch ([`Self::per_batch`]): then `ids` stays empty, and the
    /// strings of the customers of batches recycled are kept here to be reused.
    per_batch: bool,
    spare: Vec<String>,
    kinds: PlHashMap<String, EventKind>,
    channels: PlHashMap<String, u16>,
    default_kind: Option<EventKind>,
}

impl LogParts {
    /// Parts for a file read a batch at a time whose customers are numbered per batch
    /// ([`Self::take_batch`] after each batch), as [`crate::spill`] reads it: the memory held
    /// stays that of a batch whatever the file's number of customers.
    pub(crate) fn per_batch() -> Self {
        LogParts {
            per_batch: true,
            ..LogParts::with_capacity(0)
        }
    }

    /// The log so far: the events converted since the last [`Self::take_batch`], with the
    /// customers interned so far (per batch: the batch's own, [`Self::per_batch`]) and every
    /// event type and channel.
    pub(crate) fn events(&self) -> &EventLog {
        &self.log
    }

    /// Takes the events converted since the last take and their customers (numbered per
    /// batch, [`Self::per_batch`]), keeping the interned event types and channels: the batch
    /// can go to another thread while the next one converts. [`Self::recycle`] gives its
    /// buffers back.
    pub(crate) fn take_batch(&mut self) -> EventLog {
        debug_assert!(self.per_batch, "customers are numbered per batch");
        self.ids.clear();
        let log = &mut self.log;
        EventLog {
            customer_ids: std::mem::take(&mut log.customer_ids),
            customer: std::mem::take(&mut log.customer),
            timestamp: std::mem::take(&mut log.timestamp),
            kind: std::mem::take(&mut log.kind),
            value: std::mem::take(&mut log.value),
            channel: std::mem::take(&mut log.channel),
            personalized: std::mem::take(&mut log.personalized),
            custom_types: Vec::new(),
            channels: Vec::new(),
        }
    }

    /// Reuses the buffers of a batch taken before (its events are dropped) for the next one.
    pub(crate) fn recycle(&mut self, mut batch: EventLog) {
        fn reuse<T>(into: &mut Vec<T>, mut from: Vec<T>) {
            if into.is_empty() && from.capacity() > into.capacity() {
                from.clear();
                *into = from;
            }
        }
        self.spare.append(&mut batch.customer_ids);
        let log = &mut self.log;
        reuse(&mut log.customer, batch.customer);
        reuse(&mut log.timestamp, batch.timestamp);
        reuse(&mut log.kind, batch.kind);
        reuse(&mut log.value, batch.value);
        reuse(&mut log.channel, batch.channel);
        reuse(&mut log.personalized, batch.personalized);
    }

    fn with_capacity(n: usize) -> Self {
        let mut log = EventLog::default();
        log.reserve_events(n);
        LogParts {
            log,
            ids: PlHashMap::default(),
            per_batch: false,
            spare: Vec::new(),
            kinds: PlHashMap::default(),
            channels: PlHashMap::default(),
            default_kind: None,
        }
    }

    /// Appends the events of a frame. Rows in errors count from the frame's first row; the
    /// first bad value is reported as a row-by-row reading would find it (the columns that are
    /// parsed whole first, then the first row with an empty id or event type, the id first).
    pub(crate) fn convert(
        &mut self,
        df: &DataFrame,
        path: &Path,
        opts: &EventLoadOptions,
    ) -> Result<()> {
        let c = &opts.columns;
        let ids = as_strings(column(df, path, &c.customer_id)?, path)?;
        let ts = timestamps(
            column(df, path, &c.timestamp)?,
            path,
            opts.time_format.as_deref(),
        )?;
        let types = match (optional(df, &c.event_type), &opts.default_event_type) {
            (Some(col), _) => Some(as_strings(col, path)?),
            (None, Some(_)) => None,
            (None, None) => {
                column(df, path, &c.event_type)?;
                unreachable!("column() fails for a missing column")
            }
        };
        let values = match optional(df, &c.value) {
            Some(col) => numbers(col, path, "a number")?,
            None => vec![f64::NAN; df.height()],
        };
        let channels = optional(df, &c.channel)
            .map(|col| as_strings(col, path))
            .transpose()?;
        let personalized = optional(df, &c.personalized)
            .map(|col| booleans(col, path))
            .transpose()?;

        if self.default_kind.is_none() {
            self.default_kind = opts
                .default_event_type
                .as_deref()
                .map(|t| intern_kind(&mut self.kinds, &mut self.log.custom_types, t));
        }
        let default_kind = self.default_kind;
        let n = df.height();
        let empty = |column: &str, row: usize, expected: &str| Error::BadValue {
            path: path.to_path_buf(),
            column: column.to_string(),
            row: row + 1,
            value: "(empty)".into(),
            expected: expected.into(),
        };
        // Column by column, remembering the first bad row of each.
        let start = self.log.customer.len();
        // Per batch, the ids are looked up as the batch holds them (no string is made for a
        // customer met before, and the strings of earlier batches' customers are reused).
        let mut batch_ids: PlHashMap<&str, u32> = PlHashMap::default();
        let (per_batch, spare) = (self.per_batch, &mut self.spare);
        let (all_ids, names) = (&mut self.ids, &mut self.log.customer_ids);
        debug_assert!(!per_batch || names.is_empty(), "one batch per convert");
        let id_error = map_strings(&ids, &mut self.log.customer, |row, id| {
            match id.map(str::trim) {
                Some(s) if !s.is_empty() && per_batch => {
                    Ok(*batch_ids.entry(s).or_insert_with(|| {
                        let mut name = spare.pop().unwrap_or_default();
                        name.clear();
                        name.push_str(s);
                        names.push(name);
                        names.len() as u32 - 1
                    }))
                }
                Some(s) if !s.is_empty() => Ok(intern_customer(all_ids, names, s)),
                _ => Err(row),
            }
        })
        .err();
        drop(batch_ids);
        let kinds = &mut self.log.kind;
        let type_error = match &types {
            Some(t) => {
                let (customs, names) = (&mut self.kinds, &mut self.log.custom_types);
                map_strings(t, kinds, |row, name| match name.map(str::trim) {
                    Some(s) if !s.is_empty() => Ok(intern_kind(customs, names, s)),
                    _ => default_kind.ok_or(row),
                })
                .err()
            }
            None => {
                kinds.extend(std::iter::repeat_n(default_kind.expect("checked above"), n));
                None
            }
        };
        match (id_error, type_error) {
            (Some(i), Some(t)) if t < i => return Err(empty(&c.event_type, t, "an event type")),
            (Some(i), _) => return Err(empty(&c.customer_id, i, "a customer id")),
            (None, Some(t)) => return Err(empty(&c.event_type, t, "an event type")),
            (None, None) => {}
        }
        debug_assert_eq!(self.log.customer.len(), start + n);
        match &channels {
            Some(ch) => {
                let (map, names) = (&mut self.channels, &mut self.log.channels);
                let _ = map_strings(ch, &mut self.log.channel, |_, name| {
                    Ok::<u16, usize>(intern_channel(
                        map,
                        names,
                        name.map(str::trim).filter(|s| !s.is_empty()),
                    ))
                });
            }
            None => self.log.channel.extend(std::iter::repeat_n(NO_CHANNEL, n)),
        }
        let log = &mut self.log;
        log.timestamp.extend_from_slice(&ts);
        log.value.extend_from_slice(&values);
        match personalized {
            Some(p) => log.personalized.extend_from_slice(&p),
            None => log.personalized.extend(std::iter::repeat_n(None, n)),
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> EventLog {
        self.log
    }
}

/// Loads and validates a customers file: one row per customer (duplicates are an error),
/// an optional signup date, every other column kept as a string attribute.
pub fn load_customers(path: &Path, opts: &CustomerLoadOptions) -> Result<Customers> {
    let df = read_table(path, &opts.read)?;
    customers_from_frame(&df, path, opts)
}

/// The customers of a frame already in memory, converted and checked exactly as
/// [`load_customers`] converts and checks a file's. `name` stands for the file in errors.
pub fn customers_from_frame(
    df: &DataFrame,
    path: &Path,
    opts: &CustomerLoadOptions,
) -> Result<Customers> {
    let id_col = column(df, path, &opts.customer_id)?;
    let ids_ca = as_strings(id_col, path)?;
    let mut seen: PlHashMap<&str, usize> = PlHashMap::with_capacity(df.height());
    let mut ids = Vec::with_capacity(df.height());
    for (row, id) in ids_ca.iter().enumerate() {
        let id = match id.map(str::trim) {
            Some(s) if !s.is_empty() => s,
            _ => {
                return Err(Error::BadValue {
                    path: path.to_path_buf(),
                    column: opts.customer_id.clone(),
                    row: row + 1,
                    value: "(empty)".into(),
                    expected: "a customer id".into(),
                })
            }
        };
        if let Some(&first) = seen.get(id) {
            return Err(Error::DuplicateCustomer {
                path: path.to_path_buf(),
                column: opts.customer_id.clone(),
                row: row + 1,
                id: id.to_string(),
                first_row: first + 1,
            });
        }
        seen.insert(id, row);
        ids.push(id.to_string());
    }
    let signup = match optional(df, &opts.signup_date) {
        Some(col) => {
            // Blanks are allowed (unknown signup); anything else must parse.
            let ca = if matches!(col.dtype(), DataType::Date | DataType::Datetime(_, _)) {
                None
            } else {
                Some(as_strings(col, path)?)
            };
            match ca {
                // A typed date column: nulls are unknown signups, like blanks in text.
                None => col
                    .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
                    .and_then(|c| c.cast(&DataType::Int64))
                    .map_err(|e| Error::io(path, e))?
                    .i64()
                    .expect("Int64")
                    .iter()
                    .collect(),
                Some(ca) => ca
                    .iter()
                    .enumerate()
                    .map(|(row, v)| match v.map(str::trim) {
                        None | Some("") => Ok(None),
                        Some(s) => parse_timestamp(s, opts.time_format.as_deref())
                            .map(Some)
                            .ok_or_else(|| Error::BadValue {
                                path: path.to_path_buf(),
                                column: opts.signup_date.clone(),
                                row: row + 1,
                                value: s.to_string(),
                                expected: "a date (YYYY-MM-DD or RFC 3339)".into(),
                            }),
                    })
                    .collect::<Result<Vec<_>>>()?,
            }
        }
        None => vec![None; df.height()],
    };
    let mut attributes = Vec::new();
    for col in df.columns().iter().filter(|_| opts.attributes) {
        let name = col.name().as_str();
        if name == opts.customer_id || name == opts.signup_date {
            continue;
        }
        let ca = as_strings(col, path)?;
        attributes.push((
            name.to_string(),
            ca.iter().map(|v| v.map(str::to_string)).collect(),
        ));
    }
    Ok(Customers {
        ids,
        signup,
        attributes,
    })
}

/// The events as a frame with docs/CONTRACT.md's columns (timestamp as a UTC datetime in ms).
pub fn events_to_frame(log: &EventLog) -> DataFrame {
    let n = log.len();
    let ids: Vec<&str> = log
        .customer
        .iter()
        .map(|&c| log.customer_ids[c as usize].as_str())
        .collect();
    let ts = Int64Chunked::from_vec("timestamp".into(), log.timestamp.clone())
        .into_datetime(TimeUnit::Milliseconds, None);
    let types: Vec<&str> = log.kind.iter().map(|&k| log.kind_name(k)).collect();
    let values: Vec<Option<f64>> = log
        .value
        .iter()
        .map(|&v| if v.is_nan() { None } else { Some(v) })
        .collect();
    let channels: Vec<Option<&str>> = log
        .channel
        .iter()
        .map(|&c| (c != NO_CHANNEL).then(|| log.channels[c as usize].as_str()))
        .collect();
    let columns = vec![
        Column::new("customer_id".into(), ids),
        ts.into_column(),
        Column::new("event_type".into(), types),
        Column::new("value".into(), values),
        Column::new("channel".into(), channels),
        Column::new("personalized".into(), log.personalized.clone()),
    ];
    DataFrame::new(n, columns).expect("columns of equal length")
}

/// The customers as a frame: `customer_id`, `signup_date` (a date) and the attributes.
pub fn customers_to_frame(c: &Customers) -> DataFrame {
    let days: Vec<Option<i32>> = c
        .signup
        .iter()
        .map(|s| s.map(|ms| ms.div_euclid(erosion_core::time::DAY_MS) as i32))
        .collect();
    let signup = Int32Chunked::from_iter_options("signup_date".into(), days.into_iter())
        .into_date()
        .into_column();
    let mut columns = vec![Column::new("customer_id".into(), c.ids.clone()), signup];
    for (name, values) in &c.attributes {
        columns.push(Column::new(name.as_str().into(), values.clone()));
    }
    DataFrame::new(c.len(), columns).expect("columns of equal length")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole-file path, as `load_events` takes it for text or after a batched failure.
    fn whole(path: &Path, opts: &EventLoadOptions) -> Result<EventLog> {
        let df = read_table(path, &opts.read)?;
        let mut parts = LogParts::with_capacity(df.height());
        parts.convert(&df, path, opts)?;
        Ok(parts.finish())
    }

    fn same(a: &EventLog, b: &EventLog) {
        assert_eq!(a.customer_ids, b.customer_ids);
        assert_eq!(a.customer, b.customer);
        assert_eq!(a.timestamp, b.timestamp);
        assert_eq!(a.kind, b.kind);
        assert_eq!(a.custom_types, b.custom_types);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a.value), bits(&b.value));
        assert_eq!(a.channel, b.channel);
        assert_eq!(a.channels, b.channels);
        assert_eq!(a.personalized, b.personalized);
    }

    /// The log a row-by-row reading with `EventLogBuilder` gives for the test frames.
    fn reference(df: &DataFrame) -> EventLog {
        use erosion_core::model::EventLogBuilder;
        let s = |name: &str| df.column(name).unwrap().str().unwrap().clone();
        let (ids, types, channels) = (s("customer_id"), s("event_type"), s("channel"));
        let ts = timestamps(df.column("timestamp").unwrap(), Path::new("x"), None).unwrap();
        let values = numbers(df.column("value").unwrap(), Path::new("x"), "").unwrap();
        let pers: Vec<Option<bool>> = df
            .column("personalized")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .collect();
        let mut b = EventLogBuilder::default();
        for row in 0..df.height() {
            let c = b.customer(ids.get(row).unwrap().trim());
            let k = b.kind(types.get(row).unwrap().trim());
            let ch = b.channel(channels.get(row).map(str::trim).filter(|s| !s.is_empty()));
            b.push(c, ts[row], k, values[row], ch, pers[row]);
        }
        b.finish()
    }

    /// `n` events over interleaved customers (with padding to trim), known and custom types,
    /// missing values, channels and flags; timestamps as text when `text_time`.
    fn frame(n: usize, text_time: bool) -> DataFrame {
        let types = [
            "purchase",
            "visit",
            " loyalty_points",
            "email_sent",
            "nps",
            "gift_card",
        ];
        let ids: Vec<String> = (0..n)
            .map(|i| {
                let c = (i / 3) % 17 + (i % 5 == 0) as usize * 100;
                if i % 11 == 0 {
                    format!(" c{c} ")
                } else {
                    format!("c{c}")
                }
            })
            .collect();
        let ms: Vec<i64> = (0..n)
            .map(|i| 1_700_000_000_000 + ((i * 7919) % 1000) as i64 * 3_600_000)
            .collect();
        let time = if text_time {
            let text: Vec<String> = ms
                .iter()
                .map(|&t| {
                    chrono::DateTime::from_timestamp_millis(t)
                        .unwrap()
                        .to_rfc3339()
                })
                .collect();
            Column::new("timestamp".into(), text)
        } else {
            Int64Chunked::from_vec("timestamp".into(), ms)
                .into_datetime(TimeUnit::Milliseconds, None)
                .into_column()
        };
        let kinds: Vec<&str> = (0..n).map(|i| types[(i * 13) % types.len()]).collect();
        let values: Vec<Option<f64>> = (0..n)
            .map(|i| (i % 4 != 0).then_some(i as f64 / 8.0))
            .collect();
        let channels: Vec<Option<&str>> = (0..n)
            .map(|i| match i % 5 {
                0 => None,
                1 => Some("web"),
                2 => Some(" "),
                3 => Some("email"),
                _ => Some("app"),
            })
            .collect();
        let pers: Vec<Option<bool>> = (0..n)
            .map(|i| match i % 3 {
                0 => None,
                1 => Some(true),
                _ => Some(false),
            })
            .collect();
        DataFrame::new(
            n,
            vec![
                Column::new("customer_id".into(), ids),
                time,
                Column::new("event_type".into(), kinds),
                Column::new("value".into(), values),
                Column::new("channel".into(), channels),
                Column::new("personalized".into(), pers),
                Column::new("extra".into(), vec![1i32; n]),
            ],
        )
        .unwrap()
    }

    /// Writes `df` as Parquet in row groups of `group` rows.
    fn write(path: &Path, df: &mut DataFrame, group: usize) {
        let f = std::fs::File::create(path).unwrap();
        let mut w = ParquetWriter::new(f).batched(df.schema()).unwrap();
        for start in (0..df.height()).step_by(group) {
            w.write_batch(&df.slice(start as i64, group)).unwrap();
        }
        w.finish().unwrap();
        let mut r = ParquetReader::new(std::fs::File::open(path).unwrap());
        let groups = r.get_metadata().unwrap().row_groups.len();
        assert_eq!(groups, df.height().div_ceil(group), "row groups as asked");
    }

    #[test]
    fn batched_parquet_loads_as_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        for text_time in [false, true] {
            let path = dir.path().join(format!("events-{text_time}.parquet"));
            let mut df = frame(1000, text_time);
            write(&path, &mut df, 64);
            let opts = EventLoadOptions::default();
            let want = whole(&path, &opts).unwrap();
            same(&want, &reference(&df));
            assert_eq!(want.len(), 1000);
            assert_eq!(want.custom_types, ["loyalty_points", "gift_card"]);
            for (batch_rows, batches) in [(1, 16), (100, 8), (300, 4), (BATCH_ROWS, 1)] {
                let (got, n) = load_events_batched(&path, &opts, batch_rows).expect("batched");
                assert_eq!(n, batches, "batches of {batch_rows} rows");
                same(&got, &want);
            }
            same(&load_events_unchecked(&path, &opts).unwrap(), &want);
        }
    }

    #[test]
    fn batched_parquet_with_a_default_event_type_and_no_optional_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.parquet");
        let mut df = frame(500, false)
            .select(["customer_id", "timestamp"])
            .unwrap();
        write(&path, &mut df, 50);
        let opts = EventLoadOptions {
            default_event_type: Some("purchase".into()),
            ..EventLoadOptions::default()
        };
        let want = whole(&path, &opts).unwrap();
        let (got, n) = load_events_batched(&path, &opts, 120).expect("batched");
        assert_eq!(n, 4);
        same(&got, &want);
        assert!(got.value.iter().all(|v| v.is_nan()));
        assert!(got.channel.iter().all(|&c| c == NO_CHANNEL));
    }

    #[test]
    fn errors_in_a_later_batch_are_reported_as_for_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        // An empty customer id, a bad timestamp and an empty event type, each in a late row
        // group: the message names the row over the whole file.
        let cases: [(&str, usize, &str); 3] = [
            ("customer_id", 777, "a customer id"),
            ("timestamp", 901, "a timestamp"),
            ("event_type", 650, "an event type"),
        ];
        for (column, row, expected) in cases {
            let path = dir.path().join(format!("bad-{column}.parquet"));
            let mut df = frame(1000, true);
            let mut col: Vec<Option<String>> = df
                .column(column)
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect();
            col[row] = Some(if column == "timestamp" {
                "not a time".into()
            } else {
                "  ".into()
            });
            df.replace(column, Column::new(column.into(), col)).unwrap();
            write(&path, &mut df, 64);
            let opts = EventLoadOptions::default();
            assert!(load_events_batched(&path, &opts, 100).is_none());
            let err = load_events_unchecked(&path, &opts).unwrap_err().to_string();
            let want = whole(&path, &opts).unwrap_err().to_string();
            assert_eq!(err, want);
            assert!(
                err.contains(&format!("row {}", row + 1)) && err.contains(expected),
                "{err}"
            );
        }
    }

    #[test]
    fn the_first_bad_row_is_reported_whichever_column_it_is_in() {
        // Row by row, an empty event type at row 6 comes before an empty id at row 9; at the
        // same row the id comes first.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.csv");
        let mut text = String::from("customer_id,timestamp,event_type\n");
        for row in 1..=12 {
            let id = if row == 9 || row == 11 { "" } else { "a" };
            let kind = if row == 6 || row == 11 { "" } else { "visit" };
            text.push_str(&format!("{id},2024-01-01,{kind}\n"));
        }
        std::fs::write(&path, &text).unwrap();
        let err = load_events_unchecked(&path, &Default::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 6") && err.contains("event_type"), "{err}");
        std::fs::write(
            &path,
            text.replace("a,2024-01-01,\n", "a,2024-01-01,visit\n"),
        )
        .unwrap();
        let err = load_events_unchecked(&path, &Default::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 9") && err.contains("customer_id"),
            "{err}"
        );
        let only_11 = text
            .replace("a,2024-01-01,\n", "a,2024-01-01,visit\n")
            .replace("\n,2024-01-01,visit\n", "\na,2024-01-01,visit\n");
        std::fs::write(&path, only_11).unwrap();
        let err = load_events_unchecked(&path, &Default::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 11") && err.contains("customer_id"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_column_is_reported_as_for_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.parquet");
        let mut df = frame(200, false).drop("event_type").unwrap();
        write(&path, &mut df, 64);
        let opts = EventLoadOptions::default();
        let err = load_events_unchecked(&path, &opts).unwrap_err().to_string();
        assert_eq!(err, whole(&path, &opts).unwrap_err().to_string());
        assert!(err.contains("event_type"), "{err}");
    }
}
