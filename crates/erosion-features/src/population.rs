//! The population at a cutoff: who is still a customer, and so worth a warning.
//!
//! One definition, used by `erosion features` (which writes population rows only), and through
//! it by train, evaluate, audit and `erosion-score` (which lists the others in its exclusions).

use crate::FeatureConfig;
use erosion_core::time::DAY_MS;
use erosion_core::{EventKind, EventLog, EventType};
use serde::{Deserialize, Serialize};

/// Why a customer is not in the population at a cutoff, in the order the rule checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeftOut {
    /// A `data_deletion_request` anywhere in the data, before or after the cutoff: the customer
    /// is erased from every per-customer output.
    Erased,
    /// A `cancel` before the cutoff that no activity event followed.
    Cancelled,
    /// Activity before the cutoff, but none in the `active_within_days` window.
    Lapsed,
    /// No activity event before the cutoff (a new sign-up, or only messages received).
    NoActivity,
}

impl LeftOut {
    /// Every reason, in the rule's order.
    pub const ALL: [LeftOut; 4] = [
        LeftOut::Erased,
        LeftOut::Cancelled,
        LeftOut::Lapsed,
        LeftOut::NoActivity,
    ];

    /// The reason as written in exclusion files and summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            LeftOut::Erased => "deletion_request",
            LeftOut::Cancelled => "cancelled",
            LeftOut::Lapsed => "lapsed",
            LeftOut::NoActivity => "no_activity",
        }
    }
}

/// Whether the customer whose events (indices into `log`, in time order, the whole history)
/// are `events` is in the population at `cutoff`: `Ok(())`, or the first reason that leaves
/// them out.
///
/// In the population: no data deletion request anywhere, no `cancel` before the cutoff unless
/// an activity event (`cfg.activity`, by default a purchase or a visit) came after it, and an
/// activity event in the `cfg.active_within_days` days before the cutoff (any time before it
/// when that is `None`).
pub fn membership(
    log: &EventLog,
    events: &[u32],
    cutoff: i64,
    cfg: &FeatureConfig,
) -> Result<(), LeftOut> {
    let kind = |e: u32| log.kind[e as usize];
    if events
        .iter()
        .any(|&e| kind(e) == EventKind::Known(EventType::DataDeletionRequest))
    {
        return Err(LeftOut::Erased);
    }
    let mut last_activity: Option<i64> = None;
    let mut cancelled = false;
    for &e in events {
        let ts = log.timestamp[e as usize];
        if ts >= cutoff {
            break;
        }
        match kind(e) {
            EventKind::Known(EventType::Cancel) => cancelled = true,
            EventKind::Known(t) if cfg.activity.contains(&t) => {
                last_activity = Some(ts);
                cancelled = false;
            }
            _ => {}
        }
    }
    if cancelled {
        return Err(LeftOut::Cancelled);
    }
    let Some(last) = last_activity else {
        return Err(LeftOut::NoActivity);
    };
    match cfg.active_within_days {
        Some(d) if cutoff - last > d as i64 * DAY_MS => Err(LeftOut::Lapsed),
        _ => Ok(()),
    }
}
