//! # erosion-monitor
//!
//! Is last night's model still right? This crate holds the statistics behind `erosion monitor`:
//!
//! - a compact training [`Reference`] of each model input (quantile bins, a bounded sorted
//!   sample of raw values for the Kolmogorov–Smirnov test, categories with their shares, the
//!   missing share) and of the calibrated score, built from columns and stored in the bundle;
//! - [`compare`]: tonight's values of a column against its reference: PSI ([`stats::psi`], with
//!   empty bins floored at [`stats::PSI_EPSILON`]), the two-sample KS statistic and p-value as
//!   SciPy's `ks_2samp` computes them ([`ks`]), the Jensen–Shannon distance (base 2) and the
//!   change of the missing share;
//! - [`alerts_for`] with [`Thresholds`] that account for sample size (PSI's no-drift
//!   expectation, a Bonferroni-corrected KS level with a minimum effect size, a minimum of rows),
//!   and [`rank_alerts`], which ranks them with the model's global importance beside each;
//! - [`action_share`] and [`action_alert`]: the share of customers at or above the action
//!   threshold tonight against the reference's, by a two-proportion z-test with a minimum
//!   relative change (the score-side check a nightly owner plans capacity on);
//! - [`usual_value_share`]: for inputs where most customers hold one value (0 complaints, not
//!   opted out), the share away from it tonight against the reference's, by the same test and
//!   rule as the action share: the shift a consent banner or a breach makes, which KS's minimum
//!   effect size cannot see on a rare event;
//! - [`expected_performance`]: ROC-AUC, Brier and the decision at the action threshold that
//!   calibrated probabilities promise before labels arrive (NannyML's CBPE);
//! - [`movement`]: band transitions and changed top reasons between two nights' scores.
//!
//! The KS test runs against the reference's sample (up to [`ReferenceOptions::sample`] values
//! per input, the sorted training values at evenly spaced ranks), not against the whole
//! training column: its statistic and p-value are exactly SciPy's for that sample and tonight's
//! values, and the sample's own distance from the full training column is at most one over its
//! size.
//!
//! No files, flags, plotting or models: the caller turns tables into [`Column`]s.

#![warn(missing_docs)]

pub mod action;
pub mod drift;
pub mod estimate;
pub mod ks;
pub mod movement;
pub mod reference;
pub mod stats;
pub mod usual;

pub use action::{action_share, two_proportion_z, ActionShare};
pub use drift::{
    action_alert, alerts_for, compare, rank_alerts, Alert, BucketShare, InputDrift, Kind,
    KindMismatch, Thresholds,
};
pub use estimate::{expected_performance, Expected};
pub use ks::{ks_2samp, KsMethod, KsTest};
pub use movement::{movement, Movement, Scored, Transition};
pub use reference::{
    CategoryShare, Column, Distribution, InputReference, Reference, ReferenceOptions, Values,
    SCORE_NAME,
};
pub use usual::{usual_value_share, UsualValueShare, USUAL_SHARE};
