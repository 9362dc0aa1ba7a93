//! What an audit takes: the data ([`AuditData`]), the settings ([`AuditConfig`]),
//! and helpers that turn raw label columns into booleans with row-precise errors.

use serde::{Deserialize, Serialize};

use crate::error::FairnessError;

/// The predictions to audit. All slices have one entry per row.
#[derive(Debug, Clone, Copy)]
pub struct AuditData<'a> {
    /// Observed outcome (`true` = the positive class, e.g. churned).
    pub labels: &'a [bool],
    /// Predicted probability of the positive class, each in `[0, 1]`.
    pub scores: &'a [f64],
    /// Ready-made decisions (`true` = flagged). When `None`, a row is flagged
    /// when `score >= threshold` (scikit-learn's and Fairlearn's usual rule).
    pub decisions: Option<&'a [bool]>,
    /// Named group columns (e.g. `("gender", values)`), one value per row.
    /// The empty string is a group of its own, shown as `(missing)`.
    pub groups: &'a [(String, Vec<String>)],
}

/// Which constraint mitigation should meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MitigationConstraint {
    /// Equal true positive rates across groups (Hardt et al.'s equal opportunity).
    EqualOpportunity,
    /// Equal selection rates across groups.
    DemographicParity,
}

impl MitigationConstraint {
    /// The name used on the command line and in the report.
    pub fn name(self) -> &'static str {
        match self {
            MitigationConstraint::EqualOpportunity => "equal_opportunity",
            MitigationConstraint::DemographicParity => "demographic_parity",
        }
    }

    /// Parses `equal_opportunity` or `demographic_parity`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "equal_opportunity" => Some(MitigationConstraint::EqualOpportunity),
            "demographic_parity" => Some(MitigationConstraint::DemographicParity),
            _ => None,
        }
    }
}

/// Settings of an audit. `AuditConfig::default()` gives the documented defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditConfig {
    /// Decision threshold: flagged when `score >= threshold`. Default 0.5.
    /// Ignored for the decisions when [`AuditData::decisions`] is given.
    pub threshold: f64,
    /// Groups with fewer rows are reported as insufficient evidence (count only).
    /// Default 30.
    pub min_group_size: usize,
    /// Reference groups as `(column, value)` pairs. A column without one uses its
    /// largest group; an intersection uses the combination of its columns'
    /// references when all are given, else its largest group.
    pub references: Vec<(String, String)>,
    /// Also audit the intersection of all group columns when there are two or more.
    /// Default true.
    pub intersections: bool,
    /// Number of bootstrap replicates for intervals; 0 turns bootstrap intervals off.
    /// Default 1000.
    pub bootstrap_replicates: usize,
    /// How bootstrap intervals are read off the replicates. Default bias-corrected.
    #[serde(default)]
    pub bootstrap_interval: BootstrapInterval,
    /// Seed of the bootstrap (results do not depend on the number of threads).
    /// Default 0.
    pub seed: u64,
    /// Confidence level of every interval. Default 0.95.
    pub confidence: f64,
    /// Largest number of score bins the bootstrap resamples at. When the scores
    /// have no more distinct values than this the bootstrap is exact; otherwise
    /// AUC, Brier and mean score are resampled at equal-count score bins and their
    /// intervals are re-centred on the exact estimate. Default 1024.
    pub max_score_bins: usize,
    /// Mitigation to run, if any.
    pub mitigation: Option<MitigationConstraint>,
    /// Largest allowed gap (max minus min across groups) of the constrained rate
    /// for the mitigation result. Default 0.02.
    pub mitigation_tolerance: f64,
    /// Tolerances of the trade-off curve. Default 0, 0.01, 0.02, 0.05, 0.1, 0.2, 1.
    pub tolerance_grid: Vec<f64>,
    /// Number of equal-width bins of the calibration curves. Default 10.
    pub calibration_bins: usize,
    /// Largest number of points kept per ROC curve. Default 200.
    pub roc_points: usize,
}

/// How a bootstrap interval is read off the replicates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BootstrapInterval {
    /// The `alpha/2` and `1 - alpha/2` quantiles of the replicates. Sits at the edge of (or
    /// beside) the estimate when the replicates are biased, as the max/min of group rates are.
    Percentile,
    /// Bias-corrected percentile (BC, Efron 1981): the quantile levels are shifted by how far
    /// the replicates' median is from the estimate, so a biased bootstrap distribution does not
    /// leave the estimate at an edge; then widened to hold the percentile interval, so that
    /// where the replicates pile up at a bound the correction never narrows the interval.
    #[default]
    BiasCorrected,
}

impl BootstrapInterval {
    /// How the report names it.
    pub fn name(self) -> &'static str {
        match self {
            BootstrapInterval::Percentile => "percentile",
            BootstrapInterval::BiasCorrected => {
                "bias-corrected percentile (BC), widened to hold the percentile interval"
            }
        }
    }
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            threshold: 0.5,
            min_group_size: 30,
            references: Vec::new(),
            intersections: true,
            bootstrap_replicates: 1000,
            bootstrap_interval: BootstrapInterval::BiasCorrected,
            seed: 0,
            confidence: 0.95,
            max_score_bins: 1024,
            mitigation: None,
            mitigation_tolerance: 0.02,
            tolerance_grid: vec![0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 1.0],
            calibration_bins: 10,
            roc_points: 200,
        }
    }
}

impl AuditConfig {
    pub(crate) fn validate(&self) -> Result<(), FairnessError> {
        let bad = |name, value: String, why| Err(FairnessError::InvalidConfig { name, value, why });
        if !(self.threshold.is_finite() && (0.0..=1.0).contains(&self.threshold)) {
            return bad("threshold", self.threshold.to_string(), "must be in [0, 1]");
        }
        if self.min_group_size == 0 {
            return bad("min_group_size", "0".into(), "must be at least 1");
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return bad(
                "confidence",
                self.confidence.to_string(),
                "must be strictly between 0 and 1",
            );
        }
        if self.max_score_bins < 2 {
            return bad(
                "max_score_bins",
                self.max_score_bins.to_string(),
                "must be at least 2",
            );
        }
        if self.calibration_bins == 0 {
            return bad("calibration_bins", "0".into(), "must be at least 1");
        }
        if self.roc_points < 2 {
            return bad(
                "roc_points",
                self.roc_points.to_string(),
                "must be at least 2",
            );
        }
        if !(self.mitigation_tolerance.is_finite()
            && (0.0..=1.0).contains(&self.mitigation_tolerance))
        {
            return bad(
                "mitigation_tolerance",
                self.mitigation_tolerance.to_string(),
                "must be in [0, 1]",
            );
        }
        if let Some(t) = self
            .tolerance_grid
            .iter()
            .find(|t| !(t.is_finite() && (0.0..=1.0).contains(*t)))
        {
            return bad(
                "tolerance_grid",
                t.to_string(),
                "every tolerance must be in [0, 1]",
            );
        }
        Ok(())
    }
}

impl AuditData<'_> {
    /// Checks lengths, scores and group column names; returns the number of rows.
    pub(crate) fn validate(&self) -> Result<usize, FairnessError> {
        let n = self.labels.len();
        if n == 0 {
            return Err(FairnessError::Empty);
        }
        if self.scores.len() != n {
            return Err(FairnessError::LengthMismatch {
                what: "scores".into(),
                expected: n,
                found: self.scores.len(),
            });
        }
        if let Some(d) = self.decisions {
            if d.len() != n {
                return Err(FairnessError::LengthMismatch {
                    what: "decisions".into(),
                    expected: n,
                    found: d.len(),
                });
            }
        }
        if let Some((row, &value)) = self
            .scores
            .iter()
            .enumerate()
            .find(|(_, s)| !(**s >= 0.0 && **s <= 1.0))
        {
            return Err(FairnessError::ScoreOutOfRange { row, value });
        }
        if self.groups.is_empty() {
            return Err(FairnessError::NoGroups);
        }
        for (i, (name, values)) in self.groups.iter().enumerate() {
            if name.is_empty() || self.groups[..i].iter().any(|(other, _)| other == name) {
                return Err(FairnessError::BadGroupColumnName(name.clone()));
            }
            if values.len() != n {
                return Err(FairnessError::LengthMismatch {
                    what: format!("group column '{name}'"),
                    expected: n,
                    found: values.len(),
                });
            }
        }
        Ok(n)
    }
}

fn quoted_list<S: AsRef<str>>(values: &[S]) -> String {
    values
        .iter()
        .map(|v| format!("'{}'", v.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Turns a string label column into booleans.
///
/// With `positive = Some(v)`, rows equal to `v` are positive. Without it, the
/// positive value is inferred only when the two values are unambiguous, case
/// insensitively: `1`/`0`, `true`/`false`, `yes`/`no`, `y`/`n` (one value alone
/// also works when it is one of these). Errors name the row of a third value.
pub fn labels_from_strings<S: AsRef<str>>(
    values: &[S],
    positive: Option<&str>,
) -> Result<Vec<bool>, FairnessError> {
    let mut seen: Vec<&str> = Vec::with_capacity(2);
    for (row, v) in values.iter().enumerate() {
        let v = v.as_ref();
        if !seen.contains(&v) {
            if seen.len() == 2 {
                return Err(FairnessError::TooManyLabelValues {
                    row,
                    value: v.to_string(),
                    seen: quoted_list(&seen),
                });
            }
            seen.push(v);
        }
    }
    let positive = match positive {
        Some(p) => {
            if !seen.contains(&p) {
                return Err(FairnessError::PositiveLabelAbsent {
                    positive: p.to_string(),
                    values: quoted_list(&seen),
                });
            }
            p.to_string()
        }
        None => {
            const PAIRS: [(&str, &str); 4] =
                [("1", "0"), ("true", "false"), ("yes", "no"), ("y", "n")];
            let lower: Vec<String> = seen.iter().map(|s| s.trim().to_ascii_lowercase()).collect();
            let found = PAIRS.iter().find_map(|(pos, neg)| {
                let fits = lower.iter().all(|l| l == pos || l == neg);
                fits.then_some(*pos)
            });
            match found {
                Some(pos) => match lower.iter().position(|l| l == pos) {
                    Some(i) => seen[i].to_string(),
                    // Only the negative value occurs: nothing is positive.
                    None => return Ok(vec![false; values.len()]),
                },
                None => {
                    return Err(FairnessError::AmbiguousPositiveLabel {
                        values: quoted_list(&seen),
                    })
                }
            }
        }
    };
    Ok(values.iter().map(|v| v.as_ref() == positive).collect())
}

/// Turns a numeric label column (0/1) into booleans; any other value is an error
/// that names its row.
pub fn labels_from_f64(values: &[f64]) -> Result<Vec<bool>, FairnessError> {
    values
        .iter()
        .enumerate()
        .map(|(row, &v)| {
            if v == 1.0 {
                Ok(true)
            } else if v == 0.0 {
                Ok(false)
            } else {
                Err(FairnessError::LabelNotBinary { row, value: v })
            }
        })
        .collect()
}
