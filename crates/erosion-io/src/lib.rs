//! Internal crate of erosion: reading tables (CSV, Parquet, NDJSON), turning them into the
//! validated data model of `erosion-core`, and writing results atomically.
//!
//! Every command loads through [`load_events`] and [`load_customers`], so `erosion validate`
//! checks exactly what the other commands will see. Errors name the file, the column and, for a
//! bad value, the row (1-based over data rows). This crate knows nothing about flags: the CLI
//! crates turn flags into [`EventLoadOptions`].

mod convert;
mod paths;
mod read;
pub mod spill;
pub mod stdout;
mod stream;
mod validate;
mod write;

use convert::as_strings_of;
pub use convert::{
    customers_from_frame, customers_to_frame, events_from_frame, events_to_frame, load_customers,
    load_events, timing, timings_enabled, CustomerLoadOptions, EventColumns, EventLoadOptions,
};
pub use paths::{extension_of, process_gone, refuse_overlap, resolved};
pub use read::{read_table, Format, ReadOptions, Separator};
pub use stream::for_each_batch;
pub use validate::{
    event_problems, latest_allowed_now, summarize, DataSummary, Field, Problem,
    DEFAULT_FUTURE_TOLERANCE_DAYS, FUTURE_TOLERANCE_ENV, MAX_ABS_VALUE,
};
pub use write::{
    atomic_write, note_sidecar, read_table_note, write_table, write_table_noted, CsvSink,
    ParquetSink, TableSink,
};

/// The polars version erosion reads and writes with, re-exported so that other erosion crates
/// build their frames with the same one.
pub use polars;
