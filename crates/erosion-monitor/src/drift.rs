//! Tonight's values of a column against its training reference, and the alerts that follow.

use serde::{Deserialize, Serialize};

use crate::action::share_moved;
use crate::ks::{KsCounts, KsTest};
use crate::reference::{category_counts, CategoryShare, Distribution, InputReference, Values};
use crate::stats::{bin_of, jensen_shannon, psi, shares};
use crate::usual::{usual_value_share, UsualValueShare};

/// Bucket name of categories outside the reference's list.
pub const OTHER_BUCKET: &str = "(other)";

/// Numeric or categorical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Numbers.
    Numeric,
    /// Text categories.
    Categorical,
}

/// One bin (numeric) or category (categorical) with its share on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketShare {
    /// `(lo, hi]` of a bin, or the category.
    pub bucket: String,
    /// Share of the reference's non-missing values.
    pub reference: f64,
    /// Share of tonight's non-missing values.
    pub current: f64,
}

/// How one column moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputDrift {
    /// Column name.
    pub input: String,
    /// Numeric or categorical.
    pub kind: Kind,
    /// Rows tonight.
    pub rows: usize,
    /// Non-missing rows tonight.
    pub present: usize,
    /// Missing share in the reference.
    pub missing_share_reference: f64,
    /// Missing share tonight.
    pub missing_share: f64,
    /// PSI of the non-missing values over the reference's bins or categories; `None` when
    /// tonight has none.
    pub psi: Option<f64>,
    /// What PSI is expected to be with no drift at all at these sample sizes,
    /// `(buckets - 1) (1/n + 1/n_reference)` (PSI is close to a chi-square divergence).
    pub psi_expected_without_drift: Option<f64>,
    /// Jensen–Shannon distance (base 2) over the same buckets.
    pub jensen_shannon: Option<f64>,
    /// Kolmogorov–Smirnov against the reference's sample (numeric columns).
    pub ks: Option<KsTest>,
    /// The share away from the input's usual value, tonight against the reference's (numeric
    /// inputs where one value holds at least half of the reference, see [`crate::usual`]).
    #[serde(default)]
    pub usual_value: Option<UsualValueShare>,
    /// Shares per bucket, reference order.
    pub buckets: Vec<BucketShare>,
    /// Tonight's categories outside the reference's list, most frequent first (at most 10).
    pub unseen_categories: Vec<CategoryShare>,
}

/// A column whose values do not fit its reference.
#[derive(Debug, Clone, PartialEq)]
pub struct KindMismatch {
    /// Column name.
    pub input: String,
    /// The reference's kind.
    pub expected: Kind,
}

impl std::fmt::Display for KindMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (want, got) = match self.expected {
            Kind::Numeric => ("numbers", "text"),
            Kind::Categorical => ("text", "numbers"),
        };
        write!(
            f,
            "column {:?} held {want} in training but {got} tonight",
            self.input
        )
    }
}

impl std::error::Error for KindMismatch {}

fn label(edges: &[f64], i: usize) -> String {
    let lo = if i == 0 {
        "-inf".to_string()
    } else {
        format!("{}", edges[i - 1])
    };
    let hi = edges.get(i).map_or("inf".to_string(), |e| format!("{e}"));
    format!("({lo}, {hi}]")
}

fn missing_share(missing: usize, rows: usize) -> f64 {
    if rows == 0 {
        0.0
    } else {
        missing as f64 / rows as f64
    }
}

/// Compares tonight's `values` of one column with its reference.
pub fn compare(reference: &InputReference, values: Values) -> Result<InputDrift, KindMismatch> {
    match (&reference.distribution, values) {
        (Distribution::Numeric { .. }, Values::Numeric(v)) => Ok(compare_numeric(reference, v)),
        (Distribution::Categorical { .. }, Values::Categorical(v)) => {
            Ok(compare_categorical(reference, v))
        }
        (Distribution::Numeric { .. }, _) => Err(KindMismatch {
            input: reference.name.clone(),
            expected: Kind::Numeric,
        }),
        (Distribution::Categorical { .. }, _) => Err(KindMismatch {
            input: reference.name.clone(),
            expected: Kind::Categorical,
        }),
    }
}

/// Distances between two share vectors and PSI's no-drift expectation.
fn distances(
    expected: &[f64],
    counts: &[usize],
    n_ref: usize,
) -> (Vec<f64>, Option<f64>, Option<f64>, Option<f64>) {
    let present: usize = counts.iter().sum();
    let current = shares(counts);
    if present == 0 {
        return (current, None, None, None);
    }
    let null = (expected.len().saturating_sub(1)) as f64
        * (1.0 / present as f64 + 1.0 / n_ref.max(1) as f64);
    (
        current.clone(),
        Some(psi(expected, &current)),
        Some(null),
        jensen_shannon(expected, &current),
    )
}

fn compare_numeric(reference: &InputReference, values: &[f64]) -> InputDrift {
    let Distribution::Numeric {
        edges,
        shares: ref_shares,
        sample,
        sampled_from,
    } = &reference.distribution
    else {
        unreachable!("checked by compare")
    };
    let mut counts = vec![0usize; edges.len() + 1];
    for &v in values.iter().filter(|v| !v.is_nan()) {
        counts[bin_of(edges, v)] += 1;
    }
    let present: usize = counts.iter().sum();
    let (current, psi, null, js) = distances(ref_shares, &counts, *sampled_from);
    let ks = KsCounts::new(sample, values.iter().copied()).test();
    InputDrift {
        input: reference.name.clone(),
        kind: Kind::Numeric,
        rows: values.len(),
        present,
        missing_share_reference: reference.missing_share,
        missing_share: missing_share(values.len() - present, values.len()),
        psi,
        psi_expected_without_drift: null,
        jensen_shannon: js,
        ks,
        usual_value: usual_value_share(reference, values),
        buckets: (0..counts.len())
            .map(|i| BucketShare {
                bucket: label(edges, i),
                reference: ref_shares[i],
                current: current[i],
            })
            .collect(),
        unseen_categories: Vec::new(),
    }
}

fn compare_categorical(reference: &InputReference, values: &[Option<String>]) -> InputDrift {
    let Distribution::Categorical {
        categories,
        other_share,
    } = &reference.distribution
    else {
        unreachable!("checked by compare")
    };
    let (missing, tonight) = category_counts(values);
    let mut counts = vec![0usize; categories.len() + 1];
    let mut unseen = Vec::new();
    for (value, c) in &tonight {
        match categories.iter().position(|k| &k.value == value) {
            Some(i) => counts[i] += c,
            None => {
                counts[categories.len()] += c;
                unseen.push((value.clone(), *c));
            }
        }
    }
    let present = values.len() - missing;
    let mut expected: Vec<f64> = categories.iter().map(|c| c.share).collect();
    expected.push(*other_share);
    let n_ref = ((1.0 - reference.missing_share) * reference.rows as f64).round() as usize;
    let (current, psi, null, js) = distances(&expected, &counts, n_ref);
    let mut buckets: Vec<BucketShare> = categories
        .iter()
        .zip(&current)
        .map(|(c, &cur)| BucketShare {
            bucket: c.value.clone(),
            reference: c.share,
            current: cur,
        })
        .collect();
    buckets.push(BucketShare {
        bucket: OTHER_BUCKET.into(),
        reference: *other_share,
        current: current[categories.len()],
    });
    InputDrift {
        input: reference.name.clone(),
        kind: Kind::Categorical,
        rows: values.len(),
        present,
        missing_share_reference: reference.missing_share,
        missing_share: missing_share(missing, values.len()),
        psi,
        psi_expected_without_drift: null,
        jensen_shannon: js,
        ks: None,
        usual_value: None,
        buckets,
        unseen_categories: unseen
            .into_iter()
            .take(10)
            .map(|(value, c)| CategoryShare {
                value,
                share: c as f64 / present.max(1) as f64,
            })
            .collect(),
    }
}

/// When a movement is an alert. Defaults: PSI above 0.2 plus what PSI is expected to be
/// without drift at these sample sizes; a KS p-value below 0.01 after a Bonferroni correction
/// over every test of the run *and* a KS statistic of at least 0.1 (so a million rows do not
/// alarm on a trivial shift that is merely significant); a missing share that moved by 0.1 or
/// more; nothing on fewer than 100 rows. A numeric PSI alert also needs the KS test to be
/// significant, so that sampling noise in a small segment's bins does not alarm. The share of
/// customers at or above the action threshold alerts when it differs from the reference's by a
/// two-proportion z-test significant at the same corrected level *and* by at least a fifth of
/// the reference's share (capacity planned for 10 % that must serve 12 %). The share of
/// customers away from an input's usual value (see [`crate::usual`]) alerts by the same rule:
/// significant at the corrected level and at least a fifth more (or less) than the
/// reference's share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// PSI above this (plus the no-drift expectation) is an alert.
    pub psi: f64,
    /// Family-wise significance level of the KS tests.
    pub ks_alpha: f64,
    /// Smallest KS statistic that is an alert.
    pub ks_min_statistic: f64,
    /// Smallest absolute change of the missing share that is an alert.
    pub missing_change: f64,
    /// Fewest rows a scope needs before it can alert.
    pub min_rows: usize,
    /// Smallest relative change of the share at or above the action threshold that is an
    /// alert (`|share / reference share - 1|`).
    #[serde(default = "default_action_share_change")]
    pub action_share_change: f64,
    /// Smallest relative change of the share away from an input's usual value that is an
    /// alert (`|share / reference share - 1|`).
    #[serde(default = "default_action_share_change")]
    pub usual_share_change: f64,
}

fn default_action_share_change() -> f64 {
    0.2
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            psi: 0.2,
            ks_alpha: 0.01,
            ks_min_statistic: 0.1,
            missing_change: 0.1,
            min_rows: 100,
            action_share_change: default_action_share_change(),
            usual_share_change: default_action_share_change(),
        }
    }
}

/// One alert: what moved, where, by which statistic, how far past which threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// `overall`, or the segment (`region=north`).
    pub scope: String,
    /// Input column, or the score.
    pub input: String,
    /// `psi`, `ks`, `missing_share`, `usual_share` or `action_share`.
    pub statistic: String,
    /// Its value (for `missing_share`, the change; for `usual_share`, the relative change of
    /// the share away from the usual value; for `action_share`, the relative change of the
    /// share at or above the action threshold).
    pub value: f64,
    /// The threshold it crossed (for `ks`, the minimum statistic; the corrected level is in
    /// `p_value_threshold`).
    pub threshold: f64,
    /// The test's p-value, when the statistic is `ks`, `usual_share` or `action_share`.
    pub p_value: Option<f64>,
    /// The Bonferroni-corrected level the p-value was compared with.
    pub p_value_threshold: Option<f64>,
    /// Rows in the scope.
    pub rows: usize,
    /// `|value| / threshold`: how far past the threshold (alerts are ranked by it).
    pub severity: f64,
    /// The model's global importance of the input (mean absolute contribution), when known.
    pub importance: Option<f64>,
}

impl Alert {
    /// Its value and threshold as a reader takes them: a share's relative change in percent
    /// (`+629 %` against `±20 %`), other statistics as numbers to four decimals.
    pub fn value_text(&self) -> (String, String) {
        match self.statistic.as_str() {
            "usual_share" | "action_share" => (
                format!("{:+.0} %", 100.0 * self.value),
                format!("±{:.0} %", 100.0 * self.threshold),
            ),
            _ => (
                format!("{:.4}", self.value),
                format!("{:.4}", self.threshold),
            ),
        }
    }
}

/// The KS test of `d` is significant at the corrected level.
fn ks_significant(d: &InputDrift, level: f64) -> bool {
    d.ks.is_some_and(|k| k.p_value < level)
}

/// Alerts of one column in one scope; `tests` is the number of KS tests in the whole run (the
/// Bonferroni divisor).
pub fn alerts_for(scope: &str, d: &InputDrift, t: &Thresholds, tests: usize) -> Vec<Alert> {
    let mut out = Vec::new();
    if d.rows < t.min_rows {
        return out;
    }
    let level = t.ks_alpha / tests.max(1) as f64;
    let alert = |statistic: &str, value: f64, threshold: f64, p: Option<f64>| Alert {
        scope: scope.to_string(),
        input: d.input.clone(),
        statistic: statistic.to_string(),
        value,
        threshold,
        p_value: p,
        p_value_threshold: p.map(|_| level),
        rows: d.rows,
        severity: value.abs() / threshold,
        importance: None,
    };
    let change = d.missing_share - d.missing_share_reference;
    if change.abs() >= t.missing_change {
        out.push(alert("missing_share", change, t.missing_change, None));
    }
    if d.present < t.min_rows {
        return out;
    }
    if let (Some(p), Some(null)) = (d.psi, d.psi_expected_without_drift) {
        let needed = t.psi + null;
        let significant = d.kind == Kind::Categorical || ks_significant(d, level);
        if p > needed && significant {
            out.push(alert("psi", p, needed, None));
        }
    }
    if let Some(k) = d.ks {
        if k.p_value < level && k.statistic >= t.ks_min_statistic {
            out.push(alert(
                "ks",
                k.statistic,
                t.ks_min_statistic,
                Some(k.p_value),
            ));
        }
    }
    if let Some(u) = &d.usual_value {
        let change = u.relative_change.unwrap_or(0.0);
        if share_moved(u.p_value, u.relative_change, level, t.usual_share_change) {
            out.push(alert(
                "usual_share",
                change,
                t.usual_share_change,
                Some(u.p_value),
            ));
        }
    }
    out
}

/// The alert of the share at or above the action threshold in one scope of `rows` rows, if
/// any; `tests` as in [`alerts_for`] (this test counts among them).
pub fn action_alert(
    scope: &str,
    a: &crate::action::ActionShare,
    t: &Thresholds,
    tests: usize,
) -> Option<Alert> {
    let level = t.ks_alpha / tests.max(1) as f64;
    let change = a.relative_change?;
    let moved = share_moved(a.p_value, a.relative_change, level, t.action_share_change);
    (a.rows >= t.min_rows && moved).then(|| Alert {
        scope: scope.to_string(),
        input: crate::reference::SCORE_NAME.to_string(),
        statistic: "action_share".to_string(),
        value: change,
        threshold: t.action_share_change,
        p_value: Some(a.p_value),
        p_value_threshold: Some(level),
        rows: a.rows,
        severity: change.abs() / t.action_share_change,
        importance: None,
    })
}

/// Puts `importance` beside each alert and ranks them: furthest past its threshold first,
/// then the more important input.
pub fn rank_alerts(alerts: &mut [Alert], importance: impl Fn(&str) -> Option<f64>) {
    for a in alerts.iter_mut() {
        a.importance = importance(&a.input);
    }
    alerts.sort_by(|a, b| {
        b.severity
            .total_cmp(&a.severity)
            .then_with(|| {
                b.importance
                    .unwrap_or(0.0)
                    .total_cmp(&a.importance.unwrap_or(0.0))
            })
            .then_with(|| a.input.cmp(&b.input))
            .then_with(|| a.scope.cmp(&b.scope))
    });
}
