//! Features from behaviour histories, point-in-time correct, with the `churn` and `erosion`
//! labels of docs/CONTRACT.md.
//!
//! Features are a pure function of (events, customers, cutoff, config): only events strictly
//! before the cutoff are read; labels read only events in `[cutoff, cutoff + horizon)`. The
//! same function serves training (`erosion features`) and nightly scoring (`erosion-score`),
//! so a customer scored at night gets exactly the features a model was evaluated on.
//!
//! Every feature has a name, a family and a description in [`catalogue`]; missing values are
//! NaN and each feature says when it is missing (a customer who never received an email has
//! no open rate, not 0). This crate reads no files and knows no flags.

mod catalogue;
mod compute;
mod population;
mod series;

pub use catalogue::{catalogue, Family, FeatureDef};
pub use compute::{compute, compute_by_cutoff, FeatureTable, LeftOutRow};
pub use population::{membership, LeftOut};
pub use series::{trust_metric_series, MetricSeries, Period, TrustMetric};

use erosion_core::EventType;
use serde::{Deserialize, Serialize};

/// What to compute.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FeatureConfig {
    /// Window lengths in days (default 30, 90, 365).
    pub windows: Vec<u32>,
    /// Label horizon in days (default 90).
    pub horizon_days: u32,
    /// Event types that count as activity for `churn` and for activity trends
    /// (default `purchase`, `visit`).
    pub activity: Vec<EventType>,
    /// Last moment (exclusive, epoch ms) the data observes; a label whose horizon ends after
    /// it is null. Default: midnight after the latest event.
    pub observed_until: Option<i64>,
    /// Custom event types to count per window (default: every custom type in the log).
    pub custom_types: Option<Vec<String>>,
    /// The population rule: a customer is in the table at a cutoff only with an activity event
    /// in the `active_within_days` days before it (`None`: any activity before it, for "will
    /// they ever come back" studies). Default: the horizon. See [`membership`].
    #[serde(default = "default_active_within")]
    pub active_within_days: Option<u32>,
}

fn default_active_within() -> Option<u32> {
    Some(90)
}

impl FeatureConfig {
    /// The moment the data is observed until (exclusive): [`Self::observed_until`] when set,
    /// otherwise midnight after the latest event of a log whose `(earliest, latest)` timestamps
    /// are `time_range` (0 for no event).
    pub fn observed_until_for(&self, time_range: Option<(i64, i64)>) -> i64 {
        self.observed_until.unwrap_or_else(|| {
            time_range
                .map(|(_, max)| {
                    max.div_euclid(erosion_core::time::DAY_MS) * erosion_core::time::DAY_MS
                        + erosion_core::time::DAY_MS
                })
                .unwrap_or(0)
        })
    }

    /// The population rule in words, for summaries, help and model cards.
    pub fn population_rule(&self) -> String {
        let activity = self
            .activity
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(" or ");
        match self.active_within_days {
            Some(d) => format!(
                "customers with no cancel (not followed by a {activity}), no data deletion request, and a {activity} in the {d} days before the cutoff"
            ),
            None => format!(
                "customers with no cancel (not followed by a {activity}), no data deletion request, and a {activity} at any time before the cutoff"
            ),
        }
    }
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            windows: vec![30, 90, 365],
            horizon_days: 90,
            activity: vec![EventType::Purchase, EventType::Visit],
            observed_until: None,
            custom_types: None,
            active_within_days: default_active_within(),
        }
    }
}

/// What one of erosion's labels (`churn`, `erosion`) means, in words, over a horizon of
/// `horizon_days`, with the population it is defined on when the table's configuration is
/// known; `None` for any other column (a user's own target). The one wording that bundles,
/// model cards and summaries carry.
pub fn label_definition(
    label: &str,
    horizon_days: u32,
    config: Option<&FeatureConfig>,
) -> Option<String> {
    let text = match label {
        "churn" => format!(
            "churn: no purchase or visit in the {horizon_days} days from the cutoff, or a cancel in them"
        ),
        "erosion" => format!(
            "erosion: within {horizon_days} days of the cutoff an unsubscribe, spam report, opt-out, consent withdrawal, \
privacy complaint, an NPS drop of 3 or more points, or a churn (a data deletion request erases the customer instead)"
        ),
        _ => return None,
    };
    Some(match config {
        Some(c) => format!("{text}; over the population: {}", c.population_rule()),
        None => text,
    })
}

/// Event types whose appearance in the horizon is an `erosion` (besides an NPS drop of 3 or
/// more points and a churn). A `data_deletion_request` is not among them: it erases the
/// customer from every per-customer output, so it labels nothing.
pub const EROSION_EVENTS: [EventType; 5] = [
    EventType::Unsubscribe,
    EventType::SpamReport,
    EventType::OptOut,
    EventType::ConsentWithdrawn,
    EventType::PrivacyComplaint,
];

#[cfg(test)]
mod tests;
