//! # erosion-fairness
//!
//! The fairness audit of a binary classifier across customer segments, as
//! numbers: given labels, scores (and optionally ready-made decisions) and named
//! group columns, [`audit`] returns a [`FairnessReport`] with
//!
//! - per group and overall: count, base rate, selection rate, TPR, FPR, FNR, TNR,
//!   precision, NPV, accuracy, ROC-AUC, Brier score, mean score against observed
//!   rate, each with a 95 % interval (Wilson for rates, a seeded bootstrap for
//!   the others);
//! - disparities with their basis named: between groups (max - min, min / max,
//!   as Fairlearn's `between_groups`), to the overall value (Fairlearn's
//!   `to_overall`), and against a reference group (default: the largest);
//! - Fairlearn-named aggregates (demographic parity, equalized odds worst case and
//!   mean, equal opportunity; differences and ratios), predictive parity and the
//!   four-fifths rule, every one with a bootstrap interval;
//! - the intersection of the group columns;
//! - small groups (fewer than `min_group_size` rows) reported by count only, as
//!   insufficient evidence, never as 0 and never dropped; groups without
//!   positives or negatives get the metrics that are defined and a reason for
//!   the others;
//! - optional mitigation by deterministic group-specific thresholds, with its
//!   cost and a trade-off curve over a tolerance grid;
//! - plain-language findings for a summary.
//!
//! Every number that Fairlearn 0.15 also computes matches it to 1e-9 (tested on a
//! committed Telco fixture). The bootstrap is seeded, independent of the number
//! of threads, and fast: it draws row counts per atom (rows sharing group cell,
//! label, decision and score bin) from a multinomial, which is exactly row
//! resampling, instead of touching every row in every replicate.
//!
//! What it deliberately does not do: read or write files, parse flags, score a
//! model, or draw plots (see `erosion-report` for plots and the HTML report).
//!
//! ```
//! use erosion_fairness::{audit, AuditConfig, AuditData, Metric};
//!
//! let labels = vec![true, false, true, false, true, false, false, true];
//! let scores = vec![0.9, 0.2, 0.7, 0.6, 0.4, 0.1, 0.3, 0.8];
//! let groups = vec![("gender".to_string(), ["F", "F", "F", "F", "M", "M", "M", "M"].map(String::from).to_vec())];
//! let data = AuditData { labels: &labels, scores: &scores, decisions: None, groups: &groups };
//! let config = AuditConfig { min_group_size: 2, bootstrap_replicates: 50, ..AuditConfig::default() };
//! let report = audit(&data, &config).unwrap();
//! let gender = report.grouping("gender").unwrap();
//! assert_eq!(gender.group("F").unwrap().metric(Metric::SelectionRate).value, Some(0.75));
//! ```

#![warn(missing_docs)]

mod assemble;
mod bootstrap;
mod compute;
mod curves;
mod error;
mod input;
mod mitigation;
mod prep;
mod report;
pub mod stats;

pub use compute::Metric;
pub use error::FairnessError;
pub use input::{
    labels_from_f64, labels_from_strings, AuditConfig, AuditData, BootstrapInterval,
    MitigationConstraint,
};
pub use mitigation::{GroupThreshold, MitigationPoint, MitigationReport, UnchangedGroup};
pub use report::*;

/// Runs the fairness audit. See the crate documentation for what it reports.
///
/// Fails with a [`FairnessError`] naming the input (and row) when lengths differ,
/// a score is not in `[0, 1]`, no group column is given, or a setting is invalid.
pub fn audit(data: &AuditData, config: &AuditConfig) -> Result<FairnessReport, FairnessError> {
    audit_with_progress(data, config, &|_, _| {})
}

/// [`audit`] that calls `progress(done, total)` after each bootstrap replicate
/// (from several threads, in any order), for a progress bar.
pub fn audit_with_progress(
    data: &AuditData,
    config: &AuditConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<FairnessReport, FairnessError> {
    assemble::run(data, config, progress)
}
