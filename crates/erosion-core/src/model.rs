//! In-memory, columnar data model of an event log and a customer table.
//!
//! Loaders (erosion-io) and the simulator produce these; features consume them. Customer ids
//! are interned once: every event refers to its customer by index into
//! [`EventLog::customer_ids`], which keeps 100 million events within a few gigabytes.

use crate::vocabulary::EventType;
use std::collections::{BTreeMap, HashMap};

/// What an event is: a type of the vocabulary, or a custom type (index into
/// [`EventLog::custom_types`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// A type of the vocabulary.
    Known(EventType),
    /// A type outside the vocabulary, by index into `custom_types`.
    Custom(u16),
}

/// A columnar event log. All columns have one entry per event.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    /// Distinct customer ids, in order of first appearance.
    pub customer_ids: Vec<String>,
    /// Per event: index into `customer_ids`.
    pub customer: Vec<u32>,
    /// Per event: epoch milliseconds, UTC.
    pub timestamp: Vec<i64>,
    /// Per event: its type.
    pub kind: Vec<EventKind>,
    /// Names of the custom event types referred to by [`EventKind::Custom`].
    pub custom_types: Vec<String>,
    /// Per event: the amount or score; NaN when absent.
    pub value: Vec<f64>,
    /// Per event: index into `channels`, or `u16::MAX` when absent.
    pub channel: Vec<u16>,
    /// Distinct channel names.
    pub channels: Vec<String>,
    /// Per event: `Some(true)` when the touchpoint was personalised, `None` when unknown.
    pub personalized: Vec<Option<bool>>,
}

/// No channel recorded.
pub const NO_CHANNEL: u16 = u16::MAX;

impl EventLog {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.customer.len()
    }

    /// Reserves room for exactly `n` more events in every per-event column.
    pub fn reserve_events(&mut self, n: usize) {
        self.customer.reserve_exact(n);
        self.timestamp.reserve_exact(n);
        self.kind.reserve_exact(n);
        self.value.reserve_exact(n);
        self.channel.reserve_exact(n);
        self.personalized.reserve_exact(n);
    }

    /// Whether the log has no events.
    pub fn is_empty(&self) -> bool {
        self.customer.is_empty()
    }

    /// The name of an event kind.
    pub fn kind_name(&self, kind: EventKind) -> &str {
        match kind {
            EventKind::Known(t) => t.as_str(),
            EventKind::Custom(i) => &self.custom_types[i as usize],
        }
    }

    /// Earliest and latest timestamp, or `None` for an empty log.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        let min = self.timestamp.iter().copied().min()?;
        let max = self.timestamp.iter().copied().max()?;
        Some((min, max))
    }

    /// Event counts per type name, sorted by name.
    pub fn counts_by_type(&self) -> BTreeMap<String, u64> {
        let mut known = [0u64; 32];
        let mut custom = vec![0u64; self.custom_types.len()];
        for k in &self.kind {
            match *k {
                EventKind::Known(t) => known[t as usize] += 1,
                EventKind::Custom(i) => custom[i as usize] += 1,
            }
        }
        let mut out = BTreeMap::new();
        for &t in EventType::ALL {
            if known[t as usize] > 0 {
                out.insert(t.as_str().to_string(), known[t as usize]);
            }
        }
        for (i, c) in custom.into_iter().enumerate() {
            if c > 0 {
                out.insert(self.custom_types[i].clone(), c);
            }
        }
        out
    }

    /// The custom types that resemble a vocabulary type ([`EventType::resembling`]), with their
    /// event counts, in order of first appearance: most likely misspelt vocabulary types, which
    /// commands report instead of silently counting them as custom events.
    pub fn lookalike_types(&self) -> Vec<Lookalike> {
        let mut counts = vec![0u64; self.custom_types.len()];
        for k in &self.kind {
            if let EventKind::Custom(i) = *k {
                counts[i as usize] += 1;
            }
        }
        Lookalike::counted(&self.custom_types, &counts)
    }

    /// The number of consent events (`opt_in`, `opt_out`, `consent_withdrawn`): a log without
    /// one cannot say that a customer objected to profiling.
    pub fn consent_events(&self) -> usize {
        self.kind
            .iter()
            .filter(|k| {
                matches!(
                    k,
                    EventKind::Known(
                        EventType::OptIn | EventType::OptOut | EventType::ConsentWithdrawn
                    )
                )
            })
            .count()
    }

    /// Indices of the events ordered by (customer, timestamp, original position): a stable
    /// order that does not depend on how the file was sorted.
    pub fn order_by_customer_time(&self) -> Vec<u32> {
        let mut idx: Vec<u32> = (0..self.len() as u32).collect();
        idx.sort_by_key(|&i| (self.customer[i as usize], self.timestamp[i as usize], i));
        idx
    }
}

/// A custom event type spelt almost like a vocabulary type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookalike {
    /// The type's name in the file.
    pub name: String,
    /// Its events.
    pub events: u64,
    /// The vocabulary type it resembles.
    pub resembles: EventType,
}

impl Lookalike {
    /// The lookalikes among `custom_types` (in their order) given each custom type's event
    /// count (`counts[i]` for `custom_types[i]`): what [`EventLog::lookalike_types`] reports,
    /// for a log counted a batch at a time.
    pub fn counted(custom_types: &[String], counts: &[u64]) -> Vec<Lookalike> {
        custom_types
            .iter()
            .zip(counts)
            .filter_map(|(name, &events)| {
                EventType::resembling(name).map(|t| Lookalike {
                    name: name.clone(),
                    events,
                    resembles: t,
                })
            })
            .collect()
    }
}

impl std::fmt::Display for Lookalike {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "event type {:?} ({} events) is not in the vocabulary but resembles {:?}; it is counted \
             as a custom type. If it means {}, spell it so in the file (case and separators do not matter).",
            self.name, self.events, self.resembles.as_str(), self.resembles.as_str()
        )
    }
}

/// Builds an [`EventLog`] one event at a time, interning ids, custom types and channels.
#[derive(Debug, Default)]
pub struct EventLogBuilder {
    log: EventLog,
    ids: HashMap<String, u32>,
    customs: HashMap<String, u16>,
    channels: HashMap<String, u16>,
}

impl EventLogBuilder {
    /// An empty builder with room for `n` events.
    pub fn with_capacity(n: usize) -> Self {
        let mut b = Self::default();
        b.log.customer.reserve(n);
        b.log.timestamp.reserve(n);
        b.log.kind.reserve(n);
        b.log.value.reserve(n);
        b.log.channel.reserve(n);
        b.log.personalized.reserve(n);
        b
    }

    /// Interns a customer id and returns its index.
    pub fn customer(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.ids.get(id) {
            return i;
        }
        let i = self.log.customer_ids.len() as u32;
        self.log.customer_ids.push(id.to_string());
        self.ids.insert(id.to_string(), i);
        i
    }

    /// Interns an event type name (known or custom).
    pub fn kind(&mut self, name: &str) -> EventKind {
        if let Some(t) = EventType::parse(name) {
            return EventKind::Known(t);
        }
        if let Some(&i) = self.customs.get(name) {
            return EventKind::Custom(i);
        }
        let i = self.log.custom_types.len() as u16;
        self.log.custom_types.push(name.to_string());
        self.customs.insert(name.to_string(), i);
        EventKind::Custom(i)
    }

    /// Interns a channel name.
    pub fn channel(&mut self, name: Option<&str>) -> u16 {
        let Some(name) = name else { return NO_CHANNEL };
        if let Some(&i) = self.channels.get(name) {
            return i;
        }
        let i = self.log.channels.len() as u16;
        self.log.channels.push(name.to_string());
        self.channels.insert(name.to_string(), i);
        i
    }

    /// Appends one event.
    pub fn push(
        &mut self,
        customer: u32,
        timestamp: i64,
        kind: EventKind,
        value: f64,
        channel: u16,
        personalized: Option<bool>,
    ) {
        self.log.customer.push(customer);
        self.log.timestamp.push(timestamp);
        self.log.kind.push(kind);
        self.log.value.push(value);
        self.log.channel.push(channel);
        self.log.personalized.push(personalized);
    }

    /// The finished log.
    pub fn finish(self) -> EventLog {
        self.log
    }
}

/// A customer table: one row per customer, an optional signup date and any attributes.
#[derive(Debug, Clone, Default)]
pub struct Customers {
    /// Customer ids, one per row, unique.
    pub ids: Vec<String>,
    /// Signup time per row (epoch ms), when known.
    pub signup: Vec<Option<i64>>,
    /// Other columns as strings (name, values per row).
    pub attributes: Vec<(String, Vec<Option<String>>)>,
}

impl Customers {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The values of an attribute column, if present.
    pub fn attribute(&self, name: &str) -> Option<&[Option<String>]> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_interns_and_counts() {
        let mut b = EventLogBuilder::default();
        let a = b.customer("a");
        let c = b.customer("c");
        assert_eq!(b.customer("a"), a);
        let p = b.kind("purchase");
        let x = b.kind("loyalty_points");
        assert_eq!(p, EventKind::Known(EventType::Purchase));
        assert_eq!(b.kind("loyalty_points"), x);
        let ch = b.channel(Some("web"));
        b.push(c, 20, p, 5.0, ch, None);
        b.push(a, 30, x, f64::NAN, NO_CHANNEL, Some(true));
        b.push(a, 10, p, 1.0, ch, None);
        let log = b.finish();
        assert_eq!(log.len(), 3);
        assert_eq!(log.time_range(), Some((10, 30)));
        let counts = log.counts_by_type();
        assert_eq!(counts["purchase"], 2);
        assert_eq!(counts["loyalty_points"], 1);
        assert_eq!(log.order_by_customer_time(), vec![2, 1, 0]);
    }

    /// Spellings of a vocabulary type intern as it; near misses are reported with their count.
    #[test]
    fn spellings_intern_as_the_type_and_near_misses_are_reported() {
        let mut b = EventLogBuilder::default();
        let a = b.customer("a");
        for name in [
            "OPT_OUT",
            "opt-out",
            "Opt Out",
            "optout",
            "optout",
            "loyalty_points",
        ] {
            let k = b.kind(name);
            b.push(a, 0, k, f64::NAN, NO_CHANNEL, None);
        }
        let log = b.finish();
        assert_eq!(log.counts_by_type()["opt_out"], 3);
        assert_eq!(log.consent_events(), 3);
        let found = log.lookalike_types();
        assert_eq!(
            found,
            [Lookalike {
                name: "optout".into(),
                events: 2,
                resembles: EventType::OptOut
            }]
        );
        let text = found[0].to_string();
        assert!(
            text.contains("\"optout\" (2 events)") && text.contains("\"opt_out\""),
            "{text}"
        );
    }
}
