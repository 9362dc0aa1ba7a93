//! From a raw table to the validated data model, and back.

use crate::read::{read_table, ReadOptions};
use erosion_core::model::{EventLogBuilder, NO_CHANNEL};
use erosion_core::time::parse_timestamp;
use erosion_core::{Customers, Error, EventLog, Result};
use polars::prelude::*;
use std::collections::HashMap;
use std::path::Path;

/// Which columns of the file hold the event fields (PRODUCT.md names by default).
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
}

impl Default for CustomerLoadOptions {
    fn default() -> Self {
        Self {
            read: ReadOptions::default(),
            customer_id: "customer_id".into(),
            signup_date: "signup_date".into(),
            time_format: None,
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
        return Ok(f
            .f64()
            .expect("Float64")
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect());
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
pub fn load_events(path: &Path, opts: &EventLoadOptions) -> Result<EventLog> {
    let df = read_table(path, &opts.read)?;
    let c = &opts.columns;
    let ids = as_strings(column(&df, path, &c.customer_id)?, path)?;
    let ts = timestamps(
        column(&df, path, &c.timestamp)?,
        path,
        opts.time_format.as_deref(),
    )?;
    let types = match (optional(&df, &c.event_type), &opts.default_event_type) {
        (Some(col), _) => Some(as_strings(col, path)?),
        (None, Some(_)) => None,
        (None, None) => {
            column(&df, path, &c.event_type)?;
            unreachable!("column() fails for a missing column")
        }
    };
    let values = match optional(&df, &c.value) {
        Some(col) => numbers(col, path, "a number")?,
        None => vec![f64::NAN; df.height()],
    };
    let channels = optional(&df, &c.channel)
        .map(|col| as_strings(col, path))
        .transpose()?;
    let personalized = optional(&df, &c.personalized)
        .map(|col| booleans(col, path))
        .transpose()?;

    let mut b = EventLogBuilder::with_capacity(df.height());
    let default_kind = opts.default_event_type.as_deref().map(|t| b.kind(t));
    for (row, id) in ids.iter().enumerate() {
        let id = match id.map(str::trim) {
            Some(s) if !s.is_empty() => s,
            _ => {
                return Err(Error::BadValue {
                    path: path.to_path_buf(),
                    column: c.customer_id.clone(),
                    row: row + 1,
                    value: "(empty)".into(),
                    expected: "a customer id".into(),
                })
            }
        };
        let cust = b.customer(id);
        let kind = match &types {
            Some(t) => match t.get(row).map(str::trim) {
                Some(s) if !s.is_empty() => b.kind(s),
                _ => match default_kind {
                    Some(k) => k,
                    None => {
                        return Err(Error::BadValue {
                            path: path.to_path_buf(),
                            column: c.event_type.clone(),
                            row: row + 1,
                            value: "(empty)".into(),
                            expected: "an event type".into(),
                        })
                    }
                },
            },
            None => default_kind.expect("checked above"),
        };
        let channel = match &channels {
            Some(ch) => {
                let name = ch.get(row).map(str::trim).filter(|s| !s.is_empty());
                b.channel(name)
            }
            None => NO_CHANNEL,
        };
        let pers = personalized.as_ref().and_then(|p| p[row]);
        b.push(cust, ts[row], kind, values[row], channel, pers);
    }
    Ok(b.finish())
}

/// Loads and validates a customers file: one row per customer (duplicates are an error),
/// an optional signup date, every other column kept as a string attribute.
pub fn load_customers(path: &Path, opts: &CustomerLoadOptions) -> Result<Customers> {
    let df = read_table(path, &opts.read)?;
    let id_col = column(&df, path, &opts.customer_id)?;
    let ids_ca = as_strings(id_col, path)?;
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(df.height());
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
    let signup = match optional(&df, &opts.signup_date) {
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
    for col in df.columns() {
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

/// The events as a frame with PRODUCT.md's columns (timestamp as a UTC datetime in ms).
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
