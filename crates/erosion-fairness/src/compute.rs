//! The statistics of one sample (the data itself or a bootstrap replicate):
//! group sums from atom weights, metrics from sums, disparities and aggregates
//! from metrics. The point estimate and every replicate go through the same code.

use serde::{Deserialize, Serialize};

use crate::prep::{Atom, Grouping};

/// A per-group metric. The order of [`Metric::ALL`] is the order used in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Share of rows whose label is positive.
    BaseRate,
    /// Share of rows flagged.
    SelectionRate,
    /// True positive rate (recall).
    Tpr,
    /// False positive rate.
    Fpr,
    /// False negative rate.
    Fnr,
    /// True negative rate (specificity).
    Tnr,
    /// Precision (positive predictive value).
    Precision,
    /// Negative predictive value.
    Npv,
    /// Accuracy.
    Accuracy,
    /// Area under the ROC curve of the scores.
    RocAuc,
    /// Brier score of the scores.
    Brier,
    /// Mean score (predicted rate), to compare with the base rate.
    MeanScore,
    /// Mean score minus base rate (calibration-in-the-large).
    CalibrationGap,
}

/// Number of metrics.
pub const NM: usize = 13;

impl Metric {
    /// Every metric, in report order.
    pub const ALL: [Metric; NM] = [
        Metric::BaseRate,
        Metric::SelectionRate,
        Metric::Tpr,
        Metric::Fpr,
        Metric::Fnr,
        Metric::Tnr,
        Metric::Precision,
        Metric::Npv,
        Metric::Accuracy,
        Metric::RocAuc,
        Metric::Brier,
        Metric::MeanScore,
        Metric::CalibrationGap,
    ];

    /// Position in [`Metric::ALL`].
    pub fn index(self) -> usize {
        Metric::ALL
            .iter()
            .position(|&m| m == self)
            .expect("every metric is in ALL")
    }

    /// Snake-case name, as in the JSON and CSV.
    pub fn name(self) -> &'static str {
        match self {
            Metric::BaseRate => "base_rate",
            Metric::SelectionRate => "selection_rate",
            Metric::Tpr => "tpr",
            Metric::Fpr => "fpr",
            Metric::Fnr => "fnr",
            Metric::Tnr => "tnr",
            Metric::Precision => "precision",
            Metric::Npv => "npv",
            Metric::Accuracy => "accuracy",
            Metric::RocAuc => "roc_auc",
            Metric::Brier => "brier",
            Metric::MeanScore => "mean_score",
            Metric::CalibrationGap => "calibration_gap",
        }
    }

    /// Human title for plots and tables.
    pub fn title(self) -> &'static str {
        match self {
            Metric::BaseRate => "Base rate (observed)",
            Metric::SelectionRate => "Selection rate (flagged)",
            Metric::Tpr => "True positive rate",
            Metric::Fpr => "False positive rate",
            Metric::Fnr => "False negative rate",
            Metric::Tnr => "True negative rate",
            Metric::Precision => "Precision",
            Metric::Npv => "Negative predictive value",
            Metric::Accuracy => "Accuracy",
            Metric::RocAuc => "ROC AUC",
            Metric::Brier => "Brier score",
            Metric::MeanScore => "Mean score",
            Metric::CalibrationGap => "Calibration gap",
        }
    }

    /// Definition, written into the report next to every number.
    pub fn definition(self) -> &'static str {
        match self {
            Metric::BaseRate => "P / n: share of rows with a positive label (Fairlearn mean_prediction on y_true)",
            Metric::SelectionRate => "(TP + FP) / n: share of rows flagged (Fairlearn selection_rate)",
            Metric::Tpr => "TP / (TP + FN) (Fairlearn true_positive_rate)",
            Metric::Fpr => "FP / (FP + TN) (Fairlearn false_positive_rate)",
            Metric::Fnr => "FN / (TP + FN) (Fairlearn false_negative_rate)",
            Metric::Tnr => "TN / (FP + TN) (Fairlearn true_negative_rate)",
            Metric::Precision => "TP / (TP + FP) (scikit-learn precision_score)",
            Metric::Npv => "TN / (TN + FN) (scikit-learn precision_score with pos_label=0)",
            Metric::Accuracy => "(TP + TN) / n (scikit-learn accuracy_score)",
            Metric::RocAuc => "P(score of a positive > score of a negative), ties count 1/2 (scikit-learn roc_auc_score)",
            Metric::Brier => "mean of (score - label)^2 (scikit-learn brier_score_loss)",
            Metric::MeanScore => "mean of the scores (Fairlearn mean_prediction on the scores)",
            Metric::CalibrationGap => "mean score - base rate; 0 when the model is calibrated in the large",
        }
    }

    /// Whether the interval is a Wilson score interval (a rate of counts) rather
    /// than a bootstrap interval.
    pub fn is_rate(self) -> bool {
        !matches!(
            self,
            Metric::RocAuc | Metric::Brier | Metric::MeanScore | Metric::CalibrationGap
        )
    }

    /// Whether a ratio of two values of this metric means anything (it does not
    /// for a signed gap).
    pub fn ratio_meaningful(self) -> bool {
        self != Metric::CalibrationGap
    }
}

/// Weighted sums of one group in one sample.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sums {
    pub tp: f64,
    pub fp: f64,
    pub tn: f64,
    pub fn_: f64,
    pub score_sum: f64,
    pub sq_err_sum: f64,
    /// Mann-Whitney numerator: pairs (positive, negative) ordered right, ties 1/2.
    pub auc_num: f64,
}

impl Sums {
    pub fn n(&self) -> f64 {
        self.tp + self.fp + self.tn + self.fn_
    }
    pub fn pos(&self) -> f64 {
        self.tp + self.fn_
    }
    pub fn neg(&self) -> f64 {
        self.fp + self.tn
    }
    pub fn selected(&self) -> f64 {
        self.tp + self.fp
    }
}

/// Accumulates the Mann-Whitney numerator of many groups from (key, group, label,
/// weight) events arriving in ascending key order; equal keys are ties.
pub(crate) struct AucAcc {
    run_pos: Vec<f64>,
    run_neg: Vec<f64>,
    neg_below: Vec<f64>,
    pub num: Vec<f64>,
    in_run: Vec<bool>,
    touched: Vec<usize>,
    key: u64,
}

impl AucAcc {
    pub fn new(groups: usize) -> Self {
        AucAcc {
            run_pos: vec![0.0; groups],
            run_neg: vec![0.0; groups],
            neg_below: vec![0.0; groups],
            num: vec![0.0; groups],
            in_run: vec![false; groups],
            touched: Vec::new(),
            key: u64::MAX,
        }
    }

    #[inline]
    pub fn push(&mut self, key: u64, g: usize, y: bool, w: f64) {
        if key != self.key {
            self.flush();
            self.key = key;
        }
        if !self.in_run[g] {
            self.in_run[g] = true;
            self.touched.push(g);
        }
        if y {
            self.run_pos[g] += w;
        } else {
            self.run_neg[g] += w;
        }
    }

    pub fn flush(&mut self) {
        for &g in &self.touched {
            self.num[g] += self.run_pos[g] * (self.neg_below[g] + 0.5 * self.run_neg[g]);
            self.neg_below[g] += self.run_neg[g];
            self.run_pos[g] = 0.0;
            self.run_neg[g] = 0.0;
            self.in_run[g] = false;
        }
        self.touched.clear();
    }
}

/// Group sums of every grouping from atom weights (`weights[i]` rows drawn of atom `i`).
pub(crate) fn group_sums(
    atoms: &[Atom],
    weights: &[f64],
    groupings: &[Grouping],
) -> Vec<Vec<Sums>> {
    let mut out: Vec<Vec<Sums>> = groupings
        .iter()
        .map(|g| vec![Sums::default(); g.n_groups()])
        .collect();
    let mut aucs: Vec<AucAcc> = groupings
        .iter()
        .map(|g| AucAcc::new(g.n_groups()))
        .collect();
    for (a, &w) in atoms.iter().zip(weights) {
        if w == 0.0 {
            continue;
        }
        let scale = w / a.count as f64;
        for ((grouping, sums), auc) in groupings.iter().zip(out.iter_mut()).zip(aucs.iter_mut()) {
            let g = grouping.cell_group[a.cell as usize] as usize;
            let s = &mut sums[g];
            match (a.y, a.d) {
                (true, true) => s.tp += w,
                (true, false) => s.fn_ += w,
                (false, true) => s.fp += w,
                (false, false) => s.tn += w,
            }
            s.score_sum += a.score_sum * scale;
            s.sq_err_sum += a.sq_err_sum * scale;
            auc.push(a.bin as u64, g, a.y, w);
        }
    }
    for (sums, mut auc) in out.iter_mut().zip(aucs) {
        auc.flush();
        for (s, num) in sums.iter_mut().zip(auc.num) {
            s.auc_num = num;
        }
    }
    out
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        f64::NAN
    }
}

/// Metrics of one group from its sums; NaN where undefined.
pub(crate) fn metrics_of(s: &Sums) -> [f64; NM] {
    let n = s.n();
    let base = ratio(s.pos(), n);
    let mean_score = ratio(s.score_sum, n);
    [
        base,
        ratio(s.selected(), n),
        ratio(s.tp, s.pos()),
        ratio(s.fp, s.neg()),
        ratio(s.fn_, s.pos()),
        ratio(s.tn, s.neg()),
        ratio(s.tp, s.selected()),
        ratio(s.tn, s.tn + s.fn_),
        ratio(s.tp + s.tn, n),
        ratio(s.auc_num, s.pos() * s.neg()),
        ratio(s.sq_err_sum, n),
        mean_score,
        mean_score - base,
    ]
}

/// Fixed choices made once on the data and kept for every replicate, so that a
/// replicate computes the same statistic as the point estimate.
#[derive(Debug, Clone)]
pub(crate) struct GroupingPlan {
    /// Per metric, the groups that take part in its disparities (sufficient size
    /// and metric defined on the data).
    pub included: Vec<Vec<usize>>,
    /// Reference group index.
    pub reference: usize,
    /// Per metric, (highest, lowest) group on the data, if at least two are included.
    pub extremes: Vec<Option<(usize, usize)>>,
}

/// Disparity statistics of one metric in one grouping.
#[derive(Debug, Clone)]
pub(crate) struct DispStats {
    /// max - min over included groups.
    pub between_diff: f64,
    /// min / max over included groups.
    pub between_ratio: f64,
    /// max |group - overall|.
    pub overall_diff: f64,
    /// min over groups of min(group/overall, overall/group), as Fairlearn.
    pub overall_ratio: f64,
    /// highest - lowest (groups fixed on the data).
    pub pair_diff: f64,
    /// highest / lowest.
    pub pair_ratio: f64,
    /// Per group: group - reference (NaN when not included).
    pub ref_diff: Vec<f64>,
    /// Per group: group / reference.
    pub ref_ratio: Vec<f64>,
}

/// Named aggregates, in report order: (name, basis, definition).
pub(crate) const AGGREGATES: [(&str, &str, &str); 10] = [
    ("demographic_parity_difference", "", "selection rate: max - min (between_groups) or max |group - overall| (to_overall)"),
    ("demographic_parity_ratio", "", "selection rate: min / max (between_groups) or min of group/overall folded below 1 (to_overall)"),
    ("equalized_odds_difference", "worst_case", "larger of the TPR and FPR differences"),
    ("equalized_odds_difference", "mean", "mean of the TPR and FPR differences"),
    ("equalized_odds_ratio", "worst_case", "smaller of the TPR and FPR ratios"),
    ("equalized_odds_ratio", "mean", "mean of the TPR and FPR ratios"),
    ("equal_opportunity_difference", "", "TPR difference"),
    ("equal_opportunity_ratio", "", "TPR ratio"),
    ("predictive_parity_difference", "", "precision difference (not in Fairlearn)"),
    ("predictive_parity_ratio", "", "precision ratio (not in Fairlearn)"),
];
/// The two methods of every aggregate, as Fairlearn names them.
pub(crate) const METHODS: [&str; 2] = ["between_groups", "to_overall"];
/// Number of aggregate values per grouping (aggregates x methods).
pub(crate) const NA: usize = AGGREGATES.len() * METHODS.len();

/// All statistics of one grouping in one sample.
#[derive(Debug, Clone)]
pub(crate) struct GroupingStats {
    pub metrics: Vec<[f64; NM]>,
    pub disp: Vec<DispStats>,
    /// Index `method * AGGREGATES.len() + aggregate`.
    pub aggs: [f64; NA],
}

/// All statistics of one sample.
#[derive(Debug, Clone)]
pub(crate) struct SampleStats {
    pub overall: [f64; NM],
    pub groupings: Vec<GroupingStats>,
}

/// Reads one disparity statistic.
type Getter = fn(&DispStats) -> f64;

fn max2(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}
fn min2(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

fn disparity(values: &[f64], overall: f64, plan: &GroupingPlan, m: usize) -> DispStats {
    let inc = &plan.included[m];
    let mut dmax = f64::NEG_INFINITY;
    let mut dmin = f64::INFINITY;
    let mut odiff = 0.0f64;
    let mut oratio = f64::INFINITY;
    let mut oratio_nan = false;
    let mut any_nan = false;
    for &g in inc {
        let v = values[g];
        if v.is_nan() {
            any_nan = true;
            break;
        }
        dmax = dmax.max(v);
        dmin = dmin.min(v);
        odiff = odiff.max((v - overall).abs());
        // Fairlearn: x = group / overall, folded below 1 by taking 1/x when x > 1.
        let x = v / overall;
        let folded = if x > 1.0 { 1.0 / x } else { x };
        if folded.is_nan() {
            oratio_nan = true;
        } else {
            oratio = oratio.min(folded);
        }
    }
    let enough = inc.len() >= 2 && !any_nan;
    let nan = f64::NAN;
    let (between_diff, between_ratio, overall_diff, overall_ratio) = if enough && !overall.is_nan()
    {
        (
            dmax - dmin,
            dmin / dmax,
            odiff,
            if oratio_nan { nan } else { oratio },
        )
    } else if enough {
        (dmax - dmin, dmin / dmax, nan, nan)
    } else {
        (nan, nan, nan, nan)
    };
    let (pair_diff, pair_ratio) = match plan.extremes[m] {
        Some((hi, lo)) => (values[hi] - values[lo], values[hi] / values[lo]),
        None => (nan, nan),
    };
    let reference = values[plan.reference];
    let ref_ok = inc.contains(&plan.reference);
    let mut ref_diff = vec![nan; values.len()];
    let mut ref_ratio = vec![nan; values.len()];
    if ref_ok {
        for &g in inc {
            ref_diff[g] = values[g] - reference;
            ref_ratio[g] = values[g] / reference;
        }
    }
    let fix = |x: f64| if x.is_finite() { x } else { nan };
    DispStats {
        between_diff: fix(between_diff),
        between_ratio: fix(between_ratio),
        overall_diff: fix(overall_diff),
        overall_ratio: fix(overall_ratio),
        pair_diff: fix(pair_diff),
        pair_ratio: fix(pair_ratio),
        ref_diff: ref_diff.into_iter().map(fix).collect(),
        ref_ratio: ref_ratio.into_iter().map(fix).collect(),
    }
}

/// Statistics of one sample from its group sums (index 0 = the overall pseudo
/// grouping, then one entry per plan).
pub(crate) fn sample_stats(sums: &[Vec<Sums>], plans: &[GroupingPlan]) -> SampleStats {
    let overall = metrics_of(&sums[0][0]);
    let groupings = sums[1..]
        .iter()
        .zip(plans)
        .map(|(gs, plan)| {
            let metrics: Vec<[f64; NM]> = gs.iter().map(metrics_of).collect();
            let disp: Vec<DispStats> = (0..NM)
                .map(|m| {
                    let values: Vec<f64> = metrics.iter().map(|r| r[m]).collect();
                    disparity(&values, overall[m], plan, m)
                })
                .collect();
            let sr = Metric::SelectionRate.index();
            let tpr = Metric::Tpr.index();
            let fpr = Metric::Fpr.index();
            let prec = Metric::Precision.index();
            let mut aggs = [f64::NAN; NA];
            for (mi, _) in METHODS.iter().enumerate() {
                let (d, r): (Getter, Getter) = if mi == 0 {
                    (|x| x.between_diff, |x| x.between_ratio)
                } else {
                    (|x| x.overall_diff, |x| x.overall_ratio)
                };
                let base = mi * AGGREGATES.len();
                aggs[base] = d(&disp[sr]);
                aggs[base + 1] = r(&disp[sr]);
                aggs[base + 2] = max2(d(&disp[tpr]), d(&disp[fpr]));
                aggs[base + 3] = (d(&disp[tpr]) + d(&disp[fpr])) / 2.0;
                aggs[base + 4] = min2(r(&disp[tpr]), r(&disp[fpr]));
                aggs[base + 5] = (r(&disp[tpr]) + r(&disp[fpr])) / 2.0;
                aggs[base + 6] = d(&disp[tpr]);
                aggs[base + 7] = r(&disp[tpr]);
                aggs[base + 8] = d(&disp[prec]);
                aggs[base + 9] = r(&disp[prec]);
            }
            GroupingStats {
                metrics,
                disp,
                aggs,
            }
        })
        .collect();
    SampleStats { overall, groupings }
}

impl SampleStats {
    /// Every number in a fixed order (the same for every sample of one audit).
    pub fn flatten(&self) -> Vec<f64> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.overall);
        for g in &self.groupings {
            for m in &g.metrics {
                out.extend_from_slice(m);
            }
            for d in &g.disp {
                out.extend_from_slice(&[
                    d.between_diff,
                    d.between_ratio,
                    d.overall_diff,
                    d.overall_ratio,
                    d.pair_diff,
                    d.pair_ratio,
                ]);
                out.extend_from_slice(&d.ref_diff);
                out.extend_from_slice(&d.ref_ratio);
            }
            out.extend_from_slice(&g.aggs);
        }
        out
    }

    /// The inverse of [`SampleStats::flatten`] for a sample of the same shape as `self`.
    pub fn unflatten_like(&self, flat: &[f64]) -> SampleStats {
        let mut it = flat.iter().copied();
        let mut next = || {
            it.next()
                .expect("flat statistics have the shape of the template")
        };
        let mut overall = [0.0; NM];
        overall.iter_mut().for_each(|v| *v = next());
        let groupings = self
            .groupings
            .iter()
            .map(|g| {
                let metrics = g
                    .metrics
                    .iter()
                    .map(|_| {
                        let mut a = [0.0; NM];
                        a.iter_mut().for_each(|v| *v = next());
                        a
                    })
                    .collect();
                let disp = g
                    .disp
                    .iter()
                    .map(|d| DispStats {
                        between_diff: next(),
                        between_ratio: next(),
                        overall_diff: next(),
                        overall_ratio: next(),
                        pair_diff: next(),
                        pair_ratio: next(),
                        ref_diff: d.ref_diff.iter().map(|_| next()).collect(),
                        ref_ratio: d.ref_ratio.iter().map(|_| next()).collect(),
                    })
                    .collect();
                let mut aggs = [0.0; NA];
                aggs.iter_mut().for_each(|v| *v = next());
                GroupingStats {
                    metrics,
                    disp,
                    aggs,
                }
            })
            .collect();
        SampleStats { overall, groupings }
    }
}
