//! Shared vocabulary of erosion: the event types the features understand, the in-memory
//! data model of event logs and customer tables, and the one error type every crate reports
//! bad input with.
//!
//! This crate is deliberately small: it knows nothing about files, flags, polars, models or
//! plotting. Every other crate depends on it; it depends on no other erosion crate.

pub mod error;
pub mod model;
pub mod stats;
pub mod time;
pub mod timings;
pub mod vocabulary;

pub use error::{Error, Result};
pub use model::{Customers, EventKind, EventLog, Lookalike};
pub use vocabulary::EventType;
