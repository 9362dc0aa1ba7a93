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

/// Summarises and checks an event log and an optional customer table.
pub fn summarize(log: &EventLog, customers: Option<&Customers>) -> DataSummary {
    let mut problems = Vec::new();
    let mut more = 0usize;
    for i in 0..log.len() {
        let v = log.value[i];
        let range = match log.kind[i] {
            EventKind::Known(EventType::Nps) => Some((0.0, 10.0, "an NPS answer from 0 to 10")),
            EventKind::Known(EventType::Csat) => Some((1.0, 5.0, "a CSAT answer from 1 to 5")),
            EventKind::Known(EventType::Review) => {
                Some((-1.0, 5.0, "a review score 1 to 5 or a sentiment -1 to 1"))
            }
            _ => None,
        };
        if let Some((lo, hi, what)) = range {
            let bad = v.is_nan() || v < lo || v > hi;
            if bad {
                if problems.len() < MAX_LISTED {
                    problems.push(format!(
                        "column \"value\", row {}: {} for {} of customer {:?} is not {what}",
                        i + 1,
                        if v.is_nan() {
                            "(empty)".to_string()
                        } else {
                            v.to_string()
                        },
                        log.kind_name(log.kind[i]),
                        log.customer_ids[log.customer[i] as usize],
                    ));
                } else {
                    more += 1;
                }
            }
        }
    }
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
