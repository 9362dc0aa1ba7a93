//! Movement between two nights' scores: band transitions and changed top reasons.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// One scored customer of a night: id, band and top reason (if any).
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Customer id.
    pub id: String,
    /// Band (`healthy`, `watch`, `at_risk`, `critical`).
    pub band: String,
    /// The first reason, as written.
    pub top_reason: Option<String>,
}

/// Customers who went from one band to another (or stayed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// Band the previous night.
    pub from: String,
    /// Band tonight.
    pub to: String,
    /// Customers.
    pub customers: usize,
}

/// How the scored customers moved between two nights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Movement {
    /// Customers scored both nights.
    pub in_both: usize,
    /// Scored only the previous night.
    pub only_previous: usize,
    /// Scored only tonight.
    pub only_tonight: usize,
    /// Every (from, to) pair with its count, bands in risk order.
    pub transitions: Vec<Transition>,
    /// Customers in both whose top reason names another thing (numbers in the phrases are
    /// ignored, so "2 complaints" becoming "3 complaints" is the same reason).
    pub top_reason_changed: usize,
    /// Up to 20 of them, by id.
    pub top_reason_changed_examples: Vec<String>,
}

/// A band's position in risk order, then its name.
type BandKey = (usize, String);

/// Position of a band in risk order (unknown bands last, by name).
fn rank(band: &str) -> BandKey {
    let order = ["healthy", "watch", "at_risk", "critical"];
    let i = order.iter().position(|b| *b == band).unwrap_or(order.len());
    (i, band.to_string())
}

/// A reason without its numbers: what it is about, not how much.
fn reason_kind(r: &Option<String>) -> String {
    r.as_deref()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_ascii_digit() && *c != '.' && *c != ',')
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The movement from `previous` to `tonight`.
pub fn movement(previous: &[Scored], tonight: &[Scored]) -> Movement {
    let before: HashMap<&str, &Scored> = previous.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut pairs: BTreeMap<(BandKey, BandKey), usize> = BTreeMap::new();
    let (mut in_both, mut changed) = (0, Vec::new());
    for s in tonight {
        let Some(p) = before.get(s.id.as_str()) else {
            continue;
        };
        in_both += 1;
        *pairs.entry((rank(&p.band), rank(&s.band))).or_default() += 1;
        if reason_kind(&p.top_reason) != reason_kind(&s.top_reason) {
            changed.push(s.id.clone());
        }
    }
    changed.sort();
    Movement {
        in_both,
        only_previous: previous.len() - in_both,
        only_tonight: tonight.len() - in_both,
        transitions: pairs
            .into_iter()
            .map(|((f, t), customers)| Transition {
                from: f.1,
                to: t.1,
                customers,
            })
            .collect(),
        top_reason_changed: changed.len(),
        top_reason_changed_examples: changed.into_iter().take(20).collect(),
    }
}
