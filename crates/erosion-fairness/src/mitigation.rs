//! Post-processing mitigation: one score threshold per group, chosen
//! deterministically to maximise accuracy subject to the constrained rate (TPR
//! for equal opportunity, selection rate for demographic parity) differing by at
//! most a tolerance across groups. In the spirit of Fairlearn's
//! ThresholdOptimizer, without its randomisation.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::compute::Sums;
use crate::input::{AuditConfig, MitigationConstraint};
use crate::prep::Prepared;

/// Accuracy, selection rate and disparity of one set of decisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MitigationPoint {
    /// The tolerance asked for (`None` for the decisions before mitigation).
    pub tolerance: Option<f64>,
    /// Accuracy over all rows.
    pub accuracy: f64,
    /// Selection rate over all rows.
    pub selection_rate: f64,
    /// Max minus min of the constrained rate over the adjusted groups.
    pub disparity: f64,
    /// Per adjusted group (same order as [`MitigationReport::thresholds`]):
    /// the threshold (`None` = flag nobody in the group).
    pub thresholds: Vec<Option<f64>>,
}

/// One group's threshold and what it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupThreshold {
    /// Group label.
    pub group: String,
    /// Flag rows of this group with `score >= threshold`; `None` = flag nobody.
    pub threshold: Option<f64>,
    /// Constrained rate before mitigation.
    pub rate_before: f64,
    /// Constrained rate after mitigation.
    pub rate_after: f64,
    /// Selection rate of the group before.
    pub selection_rate_before: f64,
    /// Selection rate of the group after.
    pub selection_rate_after: f64,
}

/// A group left at its original decisions, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnchangedGroup {
    /// Group label.
    pub group: String,
    /// Why it was not adjusted.
    pub reason: String,
}

/// Result of mitigation for one grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MitigationReport {
    /// The constraint.
    pub constraint: MitigationConstraint,
    /// The rate the constraint equalises (`tpr` or `selection_rate`).
    pub constrained_rate: String,
    /// The tolerance of the chosen solution.
    pub tolerance: f64,
    /// How thresholds are chosen and where they were fitted.
    pub method: String,
    /// Groups given their own threshold.
    pub thresholds: Vec<GroupThreshold>,
    /// Groups kept at their original decisions.
    pub unchanged: Vec<UnchangedGroup>,
    /// Before mitigation.
    pub before: MitigationPoint,
    /// After mitigation at `tolerance`.
    pub after: MitigationPoint,
    /// Accuracy before minus after (positive = mitigation costs accuracy).
    pub accuracy_cost: f64,
    /// Selection rate after minus before.
    pub selection_rate_change: f64,
    /// One point per tolerance of the grid.
    pub tradeoff: Vec<MitigationPoint>,
}

/// Per group: cumulative counts when flagging bins `j..` for each candidate `j`
/// in `0..=bins` (`j = bins` flags nobody).
struct Candidates {
    /// Constrained rate per candidate.
    rate: Vec<f64>,
    /// Correct decisions per candidate.
    correct: Vec<f64>,
    /// Flagged rows per candidate.
    selected: Vec<f64>,
}

fn best_for_tolerance(cands: &[Candidates], tol: f64) -> Option<(f64, Vec<usize>)> {
    let eps = 1e-12;
    let mut lows: Vec<f64> = cands.iter().flat_map(|c| c.rate.iter().copied()).collect();
    lows.sort_by(f64::total_cmp);
    lows.dedup();
    // Per group: candidate indices sorted by ascending rate (rate falls as j rises).
    let orders: Vec<Vec<usize>> = cands
        .iter()
        .map(|c| {
            let mut o: Vec<usize> = (0..c.rate.len()).rev().collect();
            o.sort_by(|&a, &b| c.rate[a].total_cmp(&c.rate[b]));
            o
        })
        .collect();
    let mut right = vec![0usize; cands.len()];
    let mut deques: Vec<VecDeque<usize>> = cands.iter().map(|_| VecDeque::new()).collect();
    let mut best: Option<(f64, Vec<usize>)> = None;
    for &low in &lows {
        let mut total = 0.0;
        let mut pick = Vec::with_capacity(cands.len());
        let mut feasible = true;
        for (gi, c) in cands.iter().enumerate() {
            let order = &orders[gi];
            let dq = &mut deques[gi];
            while right[gi] < order.len() && c.rate[order[right[gi]]] <= low + tol + eps {
                let j = order[right[gi]];
                while dq.back().is_some_and(|&b| c.correct[b] <= c.correct[j]) {
                    dq.pop_back();
                }
                dq.push_back(j);
                right[gi] += 1;
            }
            while dq.front().is_some_and(|&f| c.rate[f] < low - eps) {
                dq.pop_front();
            }
            match dq.front() {
                Some(&j) => {
                    total += c.correct[j];
                    pick.push(j);
                }
                None => {
                    feasible = false;
                    break;
                }
            }
        }
        if feasible && best.as_ref().is_none_or(|(b, _)| total > *b) {
            best = Some((total, pick));
        }
    }
    best
}

/// Mitigation for grouping `gi` of `prep`. Group `g` gets its own threshold when
/// `unchanged_reason[g]` is `None`; otherwise it keeps its decisions, for that reason.
#[allow(clippy::too_many_lines)] // known debt: split when next changed
pub(crate) fn mitigate(
    prep: &Prepared,
    gi: usize,
    labels: &[String],
    sums: &[Sums],
    unchanged_reason: &[Option<String>],
    constraint: MitigationConstraint,
    config: &AuditConfig,
) -> Option<MitigationReport> {
    let tolerance = config.mitigation_tolerance;
    let grid = &config.tolerance_grid;
    let grouping = &prep.groupings[gi];
    let bins = prep.bin_min.len();
    let adjusted: Vec<usize> = (0..grouping.n_groups())
        .filter(|&g| unchanged_reason[g].is_none())
        .collect();
    if adjusted.is_empty() {
        return None;
    }
    let mut pos = vec![vec![0.0f64; bins]; grouping.n_groups()];
    let mut neg = pos.clone();
    for a in &prep.atoms {
        let g = grouping.cell_group[a.cell as usize] as usize;
        if a.y {
            pos[g][a.bin as usize] += a.count as f64;
        } else {
            neg[g][a.bin as usize] += a.count as f64;
        }
    }
    let rate_of = |s: &Sums, tp: f64, selected: f64| match constraint {
        MitigationConstraint::EqualOpportunity => tp / s.pos(),
        MitigationConstraint::DemographicParity => selected / s.n(),
    };
    let cands: Vec<Candidates> = adjusted
        .iter()
        .map(|&g| {
            let s = &sums[g];
            let mut c = Candidates {
                rate: vec![0.0; bins + 1],
                correct: vec![0.0; bins + 1],
                selected: vec![0.0; bins + 1],
            };
            let (mut tp, mut fp) = (0.0, 0.0);
            c.correct[bins] = s.neg();
            for j in (0..bins).rev() {
                tp += pos[g][j];
                fp += neg[g][j];
                c.rate[j] = rate_of(s, tp, tp + fp);
                c.correct[j] = tp + (s.neg() - fp);
                c.selected[j] = tp + fp;
            }
            c
        })
        .collect();
    let n = prep.n as f64;
    let fixed_correct: f64 = (0..grouping.n_groups())
        .filter(|g| unchanged_reason[*g].is_some())
        .map(|g| sums[g].tp + sums[g].tn)
        .sum();
    let fixed_selected: f64 = (0..grouping.n_groups())
        .filter(|g| unchanged_reason[*g].is_some())
        .map(|g| sums[g].selected())
        .sum();
    let spread = |rates: &[f64]| {
        let max = rates.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let min = rates.iter().copied().fold(f64::INFINITY, f64::min);
        max - min
    };
    let threshold_of = |j: usize| {
        if j < bins {
            Some(prep.bin_min[j])
        } else {
            None
        }
    };
    let point = |tol: f64| -> Option<(MitigationPoint, Vec<usize>)> {
        let (correct, pick) = best_for_tolerance(&cands, tol)?;
        let selected: f64 = pick
            .iter()
            .zip(&cands)
            .map(|(&j, c)| c.selected[j])
            .sum::<f64>()
            + fixed_selected;
        let rates: Vec<f64> = pick.iter().zip(&cands).map(|(&j, c)| c.rate[j]).collect();
        Some((
            MitigationPoint {
                tolerance: Some(tol),
                accuracy: (correct + fixed_correct) / n,
                selection_rate: selected / n,
                disparity: spread(&rates),
                thresholds: pick.iter().map(|&j| threshold_of(j)).collect(),
            },
            pick,
        ))
    };
    let before_rates: Vec<f64> = adjusted
        .iter()
        .map(|&g| rate_of(&sums[g], sums[g].tp, sums[g].selected()))
        .collect();
    let total =
        |f: &dyn Fn(&Sums) -> f64| (0..grouping.n_groups()).map(|g| f(&sums[g])).sum::<f64>();
    let before = MitigationPoint {
        tolerance: None,
        accuracy: total(&|s| s.tp + s.tn) / n,
        selection_rate: total(&|s| s.selected()) / n,
        disparity: spread(&before_rates),
        thresholds: Vec::new(),
    };
    // Selecting everyone (or no one) meets any tolerance, so a solution always exists.
    let (after, pick) = point(tolerance)?;
    let tradeoff = grid
        .iter()
        .filter_map(|&t| point(t).map(|(p, _)| p))
        .collect();
    let thresholds = adjusted
        .iter()
        .zip(&pick)
        .zip(&cands)
        .enumerate()
        .map(|(k, ((&g, &j), c))| GroupThreshold {
            group: labels[g].clone(),
            threshold: threshold_of(j),
            rate_before: before_rates[k],
            rate_after: c.rate[j],
            selection_rate_before: sums[g].selected() / sums[g].n(),
            selection_rate_after: c.selected[j] / sums[g].n(),
        })
        .collect();
    let unchanged = (0..grouping.n_groups())
        .filter_map(|g| {
            unchanged_reason[g].as_ref().map(|r| UnchangedGroup {
                group: labels[g].clone(),
                reason: r.clone(),
            })
        })
        .collect();
    Some(MitigationReport {
        constraint,
        constrained_rate: match constraint {
            MitigationConstraint::EqualOpportunity => "tpr".into(),
            MitigationConstraint::DemographicParity => "selection_rate".into(),
        },
        tolerance,
        method: format!(
            "one threshold per group (flag when score >= threshold), chosen to maximise overall accuracy subject to \
             max - min of the constrained rate <= tolerance; searched over {} candidate thresholds per group; \
             fitted and evaluated on the audited data, so validate on held-out data before use",
            bins + 1
        ),
        thresholds,
        unchanged,
        accuracy_cost: before.accuracy - after.accuracy,
        selection_rate_change: after.selection_rate - before.selection_rate,
        before,
        after,
        tradeoff,
    })
}
