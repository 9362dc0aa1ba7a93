//! What `erosion validate` reports: a summary of an event log (and customer table) and the
//! problems in it that loading alone does not catch (scores out of range, ...).

use erosion_core::time::format_timestamp;
use erosion_core::{Customers, EventKind, EventLog, EventType, Lookalike};
use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// A summary of loaded input.
#[derive(Debug, Clone)]
pub struct DataSummary {
    /// Event rows.
    pub events: usize,
    /// Distinct customers in the events.
    pub event_customers: usize,
    /// Earliest and latest event.
    pub time_range: Option<(i64, i64)>,
    /// Events per type name.
    pub counts: BTreeMap<String, u64>,
    /// Types outside the vocabulary (still counted by the features).
    pub custom_types: Vec<String>,
    /// Of them, the ones spelt almost like a vocabulary type, with their counts.
    pub lookalikes: Vec<Lookalike>,
    /// Rows in the customers table, if given.
    pub customers: Option<usize>,
    /// Customers of the table without any event.
    pub customers_without_events: Option<usize>,
    /// Customers with events but absent from the table.
    pub events_without_customer: Option<usize>,
    /// Problems: values outside their documented range, with the row.
    pub problems: Vec<String>,
    /// Problems beyond the ones listed.
    pub more_problems: usize,
}

const MAX_LISTED: usize = 10;

/// The environment variable that sets how far past the present (in days, a non-negative
/// number) an event's timestamp may lie before loading refuses it; default
/// [`DEFAULT_FUTURE_TOLERANCE_DAYS`].
pub const FUTURE_TOLERANCE_ENV: &str = "EROSION_FUTURE_TOLERANCE_DAYS";
/// Days past the present an event may lie by default (clocks and time zones disagree a little).
pub const DEFAULT_FUTURE_TOLERANCE_DAYS: f64 = 2.0;
/// The largest magnitude an event value may have: beyond it sums and rates become infinite
/// (a value of 1e308 gave infinite features), and no purchase or answer is that large.
pub const MAX_ABS_VALUE: f64 = 1e12;

/// Which field of an event a [`Problem`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The timestamp column.
    Timestamp,
    /// The value column.
    Value,
}

/// One event that every load refuses: the row (1-based over data rows), the field, the value as
/// read and what was expected instead.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Data row, 1-based.
    pub row: usize,
    /// The field.
    pub field: Field,
    /// The value as read.
    pub value: String,
    /// What the value should be.
    pub expected: String,
    /// The customer of the event.
    pub customer: String,
}

/// The latest timestamp (epoch ms) loading accepts: now plus the tolerance of
/// [`FUTURE_TOLERANCE_ENV`] (default [`DEFAULT_FUTURE_TOLERANCE_DAYS`]). An unreadable setting is
/// a usage error naming it.
pub fn latest_allowed_now() -> Result<i64, erosion_core::Error> {
    let days = match std::env::var(FUTURE_TOLERANCE_ENV) {
        Ok(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|d| d.is_finite() && *d >= 0.0 && *d <= 1e6)
            .ok_or_else(|| {
                erosion_core::Error::usage(format!(
                    "{FUTURE_TOLERANCE_ENV}={v:?} is not a number of days (0 or more)"
                ))
            })?,
        Err(_) => DEFAULT_FUTURE_TOLERANCE_DAYS,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Ok(now + (days * erosion_core::time::DAY_MS as f64) as i64)
}

/// The checks every event load applies (one function, so `erosion validate` and every other
/// command refuse the same rows): scores out of their range (NPS 0 to 10, CSAT 1 to 5, review
/// -1 to 5, a missing score included), values that are infinite or larger in magnitude than
/// [`MAX_ABS_VALUE`], and timestamps after `latest_allowed`. Returns the first `limit` problems
/// in row order and how many more there are.
pub fn event_problems(log: &EventLog, latest_allowed: i64, limit: usize) -> (Vec<Problem>, usize) {
    let mut problems = Vec::new();
    let mut more = 0usize;
    let mut push = |p: Problem| {
        if problems.len() < limit {
            problems.push(p);
        } else {
            more += 1;
        }
    };
    let customer = |i: usize| log.customer_ids[log.customer[i] as usize].clone();
    for i in 0..log.len() {
        let t = log.timestamp[i];
        if t > latest_allowed {
            push(Problem {
                row: i + 1,
                field: Field::Timestamp,
                value: format_timestamp(t),
                expected: format!(
                    "a time in the past (at most {} days from now, {FUTURE_TOLERANCE_ENV} sets it; {} here)",
                    std::env::var(FUTURE_TOLERANCE_ENV)
                        .ok()
                        .unwrap_or_else(|| DEFAULT_FUTURE_TOLERANCE_DAYS.to_string()),
                    format_timestamp(latest_allowed)
                ),
                customer: customer(i),
            });
        }
        let v = log.value[i];
        let range = match log.kind[i] {
            EventKind::Known(EventType::Nps) => Some((0.0, 10.0, "an NPS answer from 0 to 10")),
            EventKind::Known(EventType::Csat) => Some((1.0, 5.0, "a CSAT answer from 1 to 5")),
            EventKind::Known(EventType::Review) => {
                Some((-1.0, 5.0, "a review score 1 to 5 or a sentiment -1 to 1"))
            }
            _ => None,
        };
        // Formatted only for a problem: most events have none.
        let shown = || {
            if v.is_nan() {
                "(empty)".to_string()
            } else if v.abs() >= 1e15 {
                format!("{v:e}")
            } else {
                v.to_string()
            }
        };
        if let Some((lo, hi, what)) = range {
            if v.is_nan() || v < lo || v > hi {
                push(Problem {
                    row: i + 1,
                    field: Field::Value,
                    value: shown(),
                    expected: format!("{what} for {}", log.kind_name(log.kind[i])),
                    customer: customer(i),
                });
            }
        } else if v.is_infinite() || v.abs() > MAX_ABS_VALUE {
            push(Problem {
                row: i + 1,
                field: Field::Value,
                value: shown(),
                expected: format!("a finite number no larger than {MAX_ABS_VALUE:e} in magnitude"),
                customer: customer(i),
            });
        }
    }
    (problems, more)
}

/// Summarises and checks an event log and an optional customer table (the checks of
/// [`event_problems`], with timestamps checked against [`latest_allowed_now`]).
pub fn summarize(log: &EventLog, customers: Option<&Customers>) -> DataSummary {
    let latest = latest_allowed_now().unwrap_or(i64::MAX);
    let (found, more) = event_problems(log, latest, MAX_LISTED);
    let problems = found
        .iter()
        .map(|p| {
            format!(
                "column \"{}\", row {}: {} of customer {:?} is not {}",
                match p.field {
                    Field::Timestamp => "timestamp",
                    Field::Value => "value",
                },
                p.row,
                p.value,
                p.customer,
                p.expected
            )
        })
        .collect();
    let (customers_n, without, orphan) = match customers {
        Some(c) => {
            let table: HashSet<&str> = c.ids.iter().map(String::as_str).collect();
            let in_events: HashSet<&str> = log.customer_ids.iter().map(String::as_str).collect();
            let without = c
                .ids
                .iter()
                .filter(|id| !in_events.contains(id.as_str()))
                .count();
            let orphan = log
                .customer_ids
                .iter()
                .filter(|id| !table.contains(id.as_str()))
                .count();
            (Some(c.len()), Some(without), Some(orphan))
        }
        None => (None, None, None),
    };
    DataSummary {
        events: log.len(),
        event_customers: log.customer_ids.len(),
        time_range: log.time_range(),
        counts: log.counts_by_type(),
        custom_types: log.custom_types.clone(),
        lookalikes: log.lookalike_types(),
        customers: customers_n,
        customers_without_events: without,
        events_without_customer: orphan,
        problems,
        more_problems: more,
    }
}

impl DataSummary {
    /// Whether the input has problems (the CLI exits 2).
    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }
}

impl fmt::Display for DataSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "events:     {}", self.events)?;
        writeln!(f, "customers:  {} with events", self.event_customers)?;
        if let Some(n) = self.customers {
            writeln!(f, "            {n} in the customers table")?;
        }
        if let Some(n) = self.customers_without_events {
            writeln!(f, "            {n} in the table without events")?;
        }
        if let Some(n) = self.events_without_customer {
            writeln!(f, "            {n} with events but not in the table")?;
        }
        if let Some((a, b)) = self.time_range {
            writeln!(
                f,
                "time range: {} .. {}",
                format_timestamp(a),
                format_timestamp(b)
            )?;
        }
        writeln!(f, "events per type:")?;
        for (name, n) in &self.counts {
            let like = self.lookalikes.iter().find(|l| &l.name == name);
            let mark = match (EventType::parse(name), like) {
                (Some(_), _) => String::new(),
                (None, Some(l)) => format!("  (custom type, counted; resembles {})", l.resembles),
                (None, None) => "  (custom type, counted)".into(),
            };
            writeln!(f, "  {name:<22} {n:>12}{mark}")?;
        }
        if !self.custom_types.is_empty() {
            writeln!(
                f,
                "types outside the vocabulary: {}",
                self.custom_types.join(", ")
            )?;
        }
        for l in &self.lookalikes {
            writeln!(f, "warning: {l}")?;
        }
        if !self.problems.is_empty() {
            writeln!(f, "problems:")?;
            for p in &self.problems {
                writeln!(f, "  {p}")?;
            }
            if self.more_problems > 0 {
                writeln!(f, "  ... and {} more", self.more_problems)?;
            }
        }
        Ok(())
    }
}
