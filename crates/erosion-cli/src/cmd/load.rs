//! Flags to loading options: the one way every command loads its input.

use crate::args::EventFileArgs;
use erosion_core::{Customers, Error, EventLog};
use erosion_io::{CustomerLoadOptions, EventColumns, EventLoadOptions, ReadOptions, Separator};
use std::path::Path;

fn read_options(a: &EventFileArgs) -> Result<ReadOptions, Error> {
    let separator = a
        .separator
        .as_deref()
        .map(|s| s.parse::<Separator>().map_err(Error::Usage))
        .transpose()?;
    if a.no_header && a.names.is_none() {
        return Err(Error::usage(
            "--no-header needs --names to name the columns",
        ));
    }
    Ok(ReadOptions {
        separator,
        no_header: a.no_header,
        names: a.names.clone(),
    })
}

/// Loads an events file with the mapping flags.
pub fn events(path: &Path, a: &EventFileArgs) -> Result<EventLog, Error> {
    erosion_io::load_events(path, &event_options(a)?)
}

/// How the mapping flags say to read an events file.
pub fn event_options(a: &EventFileArgs) -> Result<EventLoadOptions, Error> {
    Ok(EventLoadOptions {
        read: read_options(a)?,
        columns: EventColumns {
            customer_id: a.customer_id_col.clone(),
            timestamp: a.timestamp_col_or("timestamp").to_string(),
            event_type: a.event_type_col.clone(),
            value: a.value_col_or("value").to_string(),
            channel: a.channel_col.clone(),
            personalized: a.personalized_col.clone(),
        },
        time_format: a.time_format.clone(),
        default_event_type: a.default_event_type.clone(),
        latest_allowed: None,
    })
}

/// Loads a customers file (PRODUCT.md columns; the id column follows --customer-id-col).
pub fn customers(path: &Path, a: &EventFileArgs) -> Result<Customers, Error> {
    erosion_io::load_customers(path, &customer_options(a))
}

/// How the mapping flags say to read a customers file.
pub fn customer_options(a: &EventFileArgs) -> CustomerLoadOptions {
    CustomerLoadOptions {
        customer_id: a.customer_id_col.clone(),
        ..CustomerLoadOptions::default()
    }
}
