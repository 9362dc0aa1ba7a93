//! The audit's output: a serde-serialisable [`FairnessReport`] in which every
//! number carries its definition, its interval and, when it is missing, why.

use serde::{Deserialize, Serialize};

use crate::compute::Metric;
use crate::mitigation::MitigationReport;

/// Version tag of the JSON layout.
pub const SCHEMA: &str = "erosion.fairness/1";

/// Plain statement, printed in every report, about using protected attributes.
pub const LEGAL_NOTICE: &str = "Using a protected attribute (for example sex, age, ethnicity or disability) at \
decision time, as group-specific thresholds do, can be unlawful in some settings (for example as disparate \
treatment in US law or direct discrimination under EU and UK equality law), even when it is meant to reduce a \
disparity. This audit uses such attributes only to measure; take legal advice before acting on a mitigation.";

/// Whether a number could be estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Estimated.
    Ok,
    /// The group is smaller than `min_group_size`: not reported.
    InsufficientEvidence,
    /// Not defined on this data (see `reason`).
    Undefined,
}

/// How an interval was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalMethod {
    /// Wilson score interval of a proportion.
    Wilson,
    /// Percentile interval of the seeded bootstrap.
    BootstrapPercentile,
    /// Bias-corrected percentile (BC) interval of the seeded bootstrap, widened to hold the
    /// percentile interval.
    BootstrapBiasCorrected,
    /// No interval.
    None,
}

/// A number with its interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The estimate; `None` when not estimated (see `status` and `reason`).
    pub value: Option<f64>,
    /// Lower end of the interval.
    pub ci_low: Option<f64>,
    /// Upper end of the interval.
    pub ci_high: Option<f64>,
    /// How the interval was obtained.
    pub interval: IntervalMethod,
    /// Whether the number was estimated.
    pub status: Status,
    /// Why the value or its interval is missing, when it is.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
}

impl Estimate {
    /// A missing estimate with its status and reason.
    pub fn missing(status: Status, reason: impl Into<String>) -> Self {
        Estimate {
            value: None,
            ci_low: None,
            ci_high: None,
            interval: IntervalMethod::None,
            status,
            reason: Some(reason.into()),
        }
    }

    /// `(low, high)` when both ends exist.
    pub fn interval_pair(&self) -> Option<(f64, f64)> {
        Some((self.ci_low?, self.ci_high?))
    }

    /// Whether the interval lies wholly on one side of `x` (so the difference
    /// from `x` is unlikely to be chance at the report's confidence level).
    pub fn excludes(&self, x: f64) -> Option<bool> {
        self.interval_pair().map(|(lo, hi)| lo > x || hi < x)
    }
}

/// One metric of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricEstimate {
    /// Which metric.
    pub metric: Metric,
    /// Its definition.
    pub definition: String,
    /// The number.
    #[serde(flatten)]
    pub estimate: Estimate,
}

/// Counts and metrics of one group (or of all rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupReport {
    /// Label: the value, or the values joined by ", " for an intersection.
    pub group: String,
    /// The group's value in each column of the grouping.
    pub values: Vec<String>,
    /// Rows in the group (always reported).
    pub count: u64,
    /// Rows with a positive label (not reported for small groups).
    pub positives: Option<u64>,
    /// Rows flagged (not reported for small groups).
    pub selected: Option<u64>,
    /// `insufficient_evidence` when `count < min_group_size`.
    pub status: Status,
    /// Why the group is not reported, when it is not.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
    /// Every metric of [`Metric::ALL`], in that order.
    pub metrics: Vec<MetricEstimate>,
}

impl GroupReport {
    /// The estimate of one metric.
    pub fn metric(&self, m: Metric) -> &Estimate {
        &self.metrics[m.index()].estimate
    }
}

/// A group left out of a comparison, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Excluded {
    /// Group label.
    pub group: String,
    /// Why.
    pub reason: String,
}

/// One group against the reference group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceComparison {
    /// Group label.
    pub group: String,
    /// group - reference.
    pub difference: Estimate,
    /// group / reference.
    pub ratio: Estimate,
}

/// Disparities of one metric within one grouping, each with its basis named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricDisparity {
    /// Which metric.
    pub metric: Metric,
    /// Groups compared.
    pub compared: Vec<String>,
    /// Groups left out, and why.
    pub excluded: Vec<Excluded>,
    /// Fairlearn `difference(method="between_groups")`: max - min.
    pub between_groups_difference: Estimate,
    /// Fairlearn `ratio(method="between_groups")`: min / max.
    pub between_groups_ratio: Estimate,
    /// Fairlearn `difference(method="to_overall")`: max |group - overall|.
    pub to_overall_difference: Estimate,
    /// Fairlearn `ratio(method="to_overall")`: min over groups of group/overall folded below 1.
    pub to_overall_ratio: Estimate,
    /// Group with the highest value on the data.
    pub highest: Option<String>,
    /// Group with the lowest value on the data.
    pub lowest: Option<String>,
    /// highest - lowest, the two groups fixed on the data (signed in every replicate).
    pub highest_minus_lowest: Estimate,
    /// highest / lowest.
    pub highest_over_lowest: Estimate,
    /// Each compared group against the reference group (Aequitas style).
    pub versus_reference: Vec<ReferenceComparison>,
}

/// A Fairlearn-named aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// e.g. `equalized_odds_difference`.
    pub name: String,
    /// `between_groups` or `to_overall`.
    pub method: String,
    /// `worst_case` or `mean` for equalized odds.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub agg: Option<String>,
    /// Definition.
    pub definition: String,
    /// The number.
    #[serde(flatten)]
    pub estimate: Estimate,
}

/// Verdict of a rule of thumb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The rule holds on the data.
    Pass,
    /// The rule fails on the data.
    Fail,
    /// Fewer than two groups could be compared.
    InsufficientEvidence,
}

/// The four-fifths (80 %) rule on selection rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FourFifths {
    /// Lowest over highest selection rate.
    pub selection_rate_ratio: Estimate,
    /// The rule's threshold, 0.8.
    pub threshold: f64,
    /// Pass when the ratio is at least 0.8.
    pub verdict: Verdict,
    /// Whether the interval lies wholly on one side of 0.8.
    pub clear: bool,
    /// Plain-language statement.
    pub explanation: String,
}

/// Predictive parity: equal precision across groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictiveParity {
    /// Highest minus lowest precision.
    pub difference: Estimate,
    /// Lowest over highest precision.
    pub ratio: Estimate,
    /// Whether the interval of the signed highest-minus-lowest difference contains 0.
    pub consistent_with_parity: Option<bool>,
    /// Plain-language statement.
    pub explanation: String,
}

/// One point of a ROC curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    /// False positive rate.
    pub fpr: f64,
    /// True positive rate.
    pub tpr: f64,
}

/// ROC curve of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocCurve {
    /// Group label.
    pub group: String,
    /// Points from (0, 0) to (1, 1).
    pub points: Vec<RocPoint>,
}

/// One bin of a calibration curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    /// Lower edge of the score bin.
    pub lower: f64,
    /// Upper edge of the score bin.
    pub upper: f64,
    /// Rows in the bin.
    pub count: u64,
    /// Mean score in the bin.
    pub mean_score: f64,
    /// Observed positive rate in the bin.
    pub observed_rate: f64,
    /// Wilson interval of the observed rate.
    pub ci_low: f64,
    /// Wilson interval of the observed rate.
    pub ci_high: f64,
}

/// Calibration curve of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationCurve {
    /// Group label.
    pub group: String,
    /// Non-empty bins in score order.
    pub bins: Vec<CalibrationBin>,
}

/// The reference group and how it was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceInfo {
    /// Group label.
    pub group: String,
    /// `largest group` or `chosen`.
    pub basis: String,
}

/// Everything about one grouping (a column, or an intersection of columns).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupingReport {
    /// "gender", or "gender × age_band" for an intersection.
    pub name: String,
    /// The columns.
    pub columns: Vec<String>,
    /// Reference group.
    pub reference: ReferenceInfo,
    /// Every group, sorted by value; small groups included with their count.
    pub groups: Vec<GroupReport>,
    /// Groups below `min_group_size`, with their counts.
    pub insufficient_groups: Vec<Excluded>,
    /// One entry per metric of [`Metric::ALL`].
    pub disparities: Vec<MetricDisparity>,
    /// Fairlearn-named aggregates, each with both methods.
    pub aggregates: Vec<Aggregate>,
    /// The four-fifths rule.
    pub four_fifths: FourFifths,
    /// Predictive parity.
    pub predictive_parity: PredictiveParity,
    /// ROC curves of the groups with enough rows and both classes.
    pub roc: Vec<RocCurve>,
    /// Calibration curves of the groups with enough rows.
    pub calibration: Vec<CalibrationCurve>,
    /// Mitigation, when asked for.
    pub mitigation: Option<MitigationReport>,
}

impl GroupingReport {
    /// The disparities of one metric.
    pub fn disparity(&self, m: Metric) -> &MetricDisparity {
        &self.disparities[m.index()]
    }

    /// An aggregate by name, method and (for equalized odds) agg.
    pub fn aggregate(&self, name: &str, method: &str, agg: Option<&str>) -> Option<&Aggregate> {
        self.aggregates
            .iter()
            .find(|a| a.name == name && a.method == method && a.agg.as_deref() == agg)
    }

    /// A group by label.
    pub fn group(&self, label: &str) -> Option<&GroupReport> {
        self.groups.iter().find(|g| g.group == label)
    }
}

/// A plain-language finding for the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Grouping name.
    pub grouping: String,
    /// Metric it is about, if any.
    pub metric: Option<Metric>,
    /// Whether the interval says the difference is unlikely to be chance.
    pub significant: bool,
    /// The sentence.
    pub text: String,
}

/// The settings the audit ran with, and facts about how it computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Decision threshold (flag when score >= threshold).
    pub threshold: f64,
    /// `score >= threshold` or `given`.
    pub decisions: String,
    /// Minimum group size for a group's rates to be reported.
    pub min_group_size: usize,
    /// Confidence level of every interval.
    pub confidence: f64,
    /// Bootstrap replicates.
    pub bootstrap_replicates: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// How bootstrap intervals were read off the replicates (`BootstrapInterval::name`).
    #[serde(default)]
    pub bootstrap_interval: String,
    /// How the bootstrap resampled.
    pub bootstrap_method: String,
    /// Distinct score values in the data.
    pub distinct_scores: usize,
    /// Score bins used by the bootstrap and the mitigation search.
    pub score_bins: usize,
}

/// The whole audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessReport {
    /// [`SCHEMA`].
    pub schema: String,
    /// Settings and computation facts.
    pub settings: Settings,
    /// Rows audited.
    pub rows: u64,
    /// All rows together.
    pub overall: GroupReport,
    /// Each group column, then their intersection.
    pub groupings: Vec<GroupingReport>,
    /// Plain-language findings, most important first.
    pub findings: Vec<Finding>,
    /// Notices every reader should see (legal, in-sample mitigation).
    pub notices: Vec<String>,
}

impl FairnessReport {
    /// A grouping by name (e.g. `gender` or `gender × age_band`).
    pub fn grouping(&self, name: &str) -> Option<&GroupingReport> {
        self.groupings.iter().find(|g| g.name == name)
    }
}
