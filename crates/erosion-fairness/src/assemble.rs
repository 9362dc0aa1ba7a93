//! Runs the audit: preparation, plans, point estimates, bootstrap, curves,
//! mitigation, and the assembly of the [`FairnessReport`].

use crate::bootstrap;
use crate::compute::{
    group_sums, metrics_of, sample_stats, GroupingPlan, Metric, SampleStats, Sums, AGGREGATES,
    METHODS, NM,
};
use crate::curves::{calibration_bins, exact_auc_nums, roc_curves};
use crate::error::FairnessError;
use crate::input::{AuditConfig, AuditData, BootstrapInterval};
use crate::mitigation::mitigate;
use crate::prep::{display_value, prepare, Prepared};
use crate::report::*;
use crate::stats::{normal_quantile, wilson_interval};

/// Lower ends, upper ends and defined shares of every statistic, shaped like the point.
struct Intervals {
    lo: SampleStats,
    hi: SampleStats,
    share: SampleStats,
    replicates: usize,
    method: IntervalMethod,
}

impl Intervals {
    fn boot(&self, value: f64, get: impl Fn(&SampleStats) -> f64, undefined: &str) -> Estimate {
        if !value.is_finite() {
            return Estimate::missing(Status::Undefined, undefined);
        }
        let (lo, hi) = (get(&self.lo), get(&self.hi));
        if lo.is_finite() && hi.is_finite() {
            Estimate {
                value: Some(value),
                ci_low: Some(lo),
                ci_high: Some(hi),
                interval: self.method,
                status: Status::Ok,
                reason: None,
            }
        } else {
            let reason = if self.replicates == 0 {
                "bootstrap turned off".to_string()
            } else {
                format!(
                    "no interval: undefined in {:.1} % of the bootstrap resamples (more than {:.0} %)",
                    (1.0 - get(&self.share)) * 100.0,
                    (1.0 - bootstrap::MIN_DEFINED_SHARE) * 100.0
                )
            };
            Estimate {
                value: Some(value),
                ci_low: None,
                ci_high: None,
                interval: IntervalMethod::None,
                status: Status::Ok,
                reason: Some(reason),
            }
        }
    }
}

/// Counts behind a rate metric: (numerator, denominator).
fn rate_counts(m: Metric, s: &Sums) -> (f64, f64) {
    match m {
        Metric::BaseRate => (s.pos(), s.n()),
        Metric::SelectionRate => (s.selected(), s.n()),
        Metric::Tpr => (s.tp, s.pos()),
        Metric::Fpr => (s.fp, s.neg()),
        Metric::Fnr => (s.fn_, s.pos()),
        Metric::Tnr => (s.tn, s.neg()),
        Metric::Precision => (s.tp, s.selected()),
        Metric::Npv => (s.tn, s.tn + s.fn_),
        Metric::Accuracy => (s.tp + s.tn, s.n()),
        _ => unreachable!("only rates have counts"),
    }
}

/// Why a metric is undefined in a group with these sums.
fn undefined_reason(m: Metric, s: &Sums) -> String {
    let no_pos = "no positive labels in this group";
    let no_neg = "no negative labels in this group";
    match m {
        Metric::Tpr | Metric::Fnr => no_pos.into(),
        Metric::Fpr | Metric::Tnr => no_neg.into(),
        Metric::Precision => "the model flags nobody in this group".into(),
        Metric::Npv => "the model flags everybody in this group".into(),
        Metric::RocAuc if s.pos() == 0.0 => format!("{no_pos}: AUC needs both classes"),
        Metric::RocAuc => format!("{no_neg}: AUC needs both classes"),
        _ => "no rows".into(),
    }
}

fn small_note(count: u64, min: usize) -> String {
    format!("insufficient evidence: {count} rows, fewer than min_group_size = {min}; rates not reported")
}

struct Ctx<'a> {
    config: &'a AuditConfig,
    z: f64,
    iv: &'a Intervals,
}

impl Ctx<'_> {
    fn group_report(
        &self,
        label: &str,
        values: Vec<String>,
        s: &Sums,
        point: &[f64; NM],
        get: impl Fn(&SampleStats) -> [f64; NM],
    ) -> GroupReport {
        let count = s.n() as u64;
        if count < self.config.min_group_size as u64 {
            let note = small_note(count, self.config.min_group_size);
            return GroupReport {
                group: label.to_string(),
                values,
                count,
                positives: None,
                selected: None,
                status: Status::InsufficientEvidence,
                note: Some(note.clone()),
                metrics: Metric::ALL
                    .iter()
                    .map(|&m| MetricEstimate {
                        metric: m,
                        definition: m.definition().into(),
                        estimate: Estimate::missing(Status::InsufficientEvidence, note.clone()),
                    })
                    .collect(),
            };
        }
        let metrics = Metric::ALL
            .iter()
            .map(|&m| {
                let i = m.index();
                let v = point[i];
                let estimate = if !v.is_finite() {
                    Estimate::missing(Status::Undefined, undefined_reason(m, s))
                } else if m.is_rate() {
                    let (k, n) = rate_counts(m, s);
                    let (lo, hi) = wilson_interval(k, n, self.z)
                        .expect("a defined rate has a positive denominator");
                    Estimate {
                        value: Some(v),
                        ci_low: Some(lo),
                        ci_high: Some(hi),
                        interval: IntervalMethod::Wilson,
                        status: Status::Ok,
                        reason: None,
                    }
                } else {
                    self.iv.boot(v, |st| get(st)[i], "")
                };
                MetricEstimate {
                    metric: m,
                    definition: m.definition().into(),
                    estimate,
                }
            })
            .collect();
        GroupReport {
            group: label.to_string(),
            values,
            count,
            positives: Some(s.pos() as u64),
            selected: Some(s.selected() as u64),
            status: Status::Ok,
            note: None,
            metrics,
        }
    }
}

/// Plans (included groups, reference, extremes) of each real grouping.
fn plans_for(
    prep: &Prepared,
    sums: &[Vec<Sums>],
    config: &AuditConfig,
    columns: &[String],
) -> Result<(Vec<GroupingPlan>, Vec<&'static str>), FairnessError> {
    let mut plans = Vec::new();
    let mut bases = Vec::new();
    for (gi, grouping) in prep.groupings.iter().enumerate().skip(1) {
        let gs = &sums[gi];
        let sufficient: Vec<bool> = gs
            .iter()
            .map(|s| s.n() >= config.min_group_size as f64)
            .collect();
        let metrics: Vec<[f64; NM]> = gs.iter().map(metrics_of).collect();
        let included: Vec<Vec<usize>> = (0..NM)
            .map(|m| {
                (0..gs.len())
                    .filter(|&g| sufficient[g] && metrics[g][m].is_finite())
                    .collect()
            })
            .collect();
        // Reference: chosen values of every column of the grouping, else the largest sufficient group.
        let chosen: Option<Vec<&String>> = grouping
            .columns
            .iter()
            .map(|c| {
                config
                    .references
                    .iter()
                    .find(|(rc, _)| rc == c)
                    .map(|(_, v)| v)
            })
            .collect();
        let (reference, basis) = match chosen {
            Some(vals) if !vals.is_empty() => {
                let g = grouping
                    .values
                    .iter()
                    .position(|v| v.iter().zip(&vals).all(|(a, b)| a == *b))
                    .ok_or_else(|| {
                        // Each value exists in its column (checked before), but the combination may not.
                        FairnessError::UnknownReferenceGroup {
                            column: grouping.name.clone(),
                            value: vals
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                            available: grouping.labels.join(", "),
                        }
                    })?;
                if !sufficient[g] {
                    return Err(FairnessError::ReferenceTooSmall {
                        grouping: grouping.name.clone(),
                        group: grouping.labels[g].clone(),
                        count: gs[g].n() as u64,
                        min: config.min_group_size,
                    });
                }
                (g, "chosen")
            }
            _ => {
                let mut best = 0usize;
                for g in 0..gs.len() {
                    let better = (sufficient[g], gs[g].n()) > (sufficient[best], gs[best].n());
                    if better {
                        best = g;
                    }
                }
                (best, "largest group")
            }
        };
        let extremes = included
            .iter()
            .enumerate()
            .map(|(m, inc)| {
                if inc.len() < 2 {
                    return None;
                }
                let mut hi = inc[0];
                let mut lo = inc[0];
                for &g in inc {
                    if metrics[g][m] > metrics[hi][m] {
                        hi = g;
                    }
                    if metrics[g][m] < metrics[lo][m] {
                        lo = g;
                    }
                }
                if hi == lo {
                    lo = inc[1];
                }
                Some((hi, lo))
            })
            .collect();
        plans.push(GroupingPlan {
            included,
            reference,
            extremes,
        });
        bases.push(basis);
    }
    let _ = columns;
    Ok((plans, bases))
}

fn percent(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

fn describe(grouping: &GroupingReport, label: &str) -> String {
    let g = grouping.group(label);
    match g {
        Some(g) => grouping
            .columns
            .iter()
            .zip(&g.values)
            .map(|(c, v)| format!("{c} = {}", display_value(v)))
            .collect::<Vec<_>>()
            .join(" and "),
        None => label.to_string(),
    }
}

fn findings_for(gr: &GroupingReport, confidence: f64) -> Vec<Finding> {
    let mut out = Vec::new();
    let conf = format!("{:.0} %", confidence * 100.0);
    let k = gr.groups.iter().filter(|g| g.status == Status::Ok).count();
    let post_hoc = if k > 2 {
        format!(" (the highest and lowest of {k} groups)")
    } else {
        String::new()
    };
    let pairs: [(Metric, &str); 3] = [
        (Metric::SelectionRate, "flags"),
        (
            Metric::Tpr,
            "Among customers with a positive label, the model catches",
        ),
        (
            Metric::Fpr,
            "Among customers with a negative label, the model wrongly flags",
        ),
    ];
    for (m, verb) in pairs {
        let d = gr.disparity(m);
        let (Some(hi), Some(lo)) = (&d.highest, &d.lowest) else {
            continue;
        };
        let (Some(hv), Some(lv)) = (
            gr.group(hi).and_then(|g| g.metric(m).value),
            gr.group(lo).and_then(|g| g.metric(m).value),
        ) else {
            continue;
        };
        let ratio = &d.highest_over_lowest;
        let (significant, tail) = match (ratio.value, d.highest_minus_lowest.interval_pair()) {
            (Some(_), Some((dlo, dhi))) => {
                let sig = dlo > 0.0 || dhi < 0.0;
                let ratio_iv = ratio
                    .interval_pair()
                    .map(|(a, b)| format!("the {conf} interval of the ratio is {a:.2} to {b:.2}"))
                    .unwrap_or_else(|| {
                        format!(
                            "the {conf} interval of the difference is {} to {} points",
                            fmt_pts(dlo),
                            fmt_pts(dhi)
                        )
                    });
                if sig {
                    (
                        true,
                        format!("{ratio_iv}, so the difference is unlikely to be chance"),
                    )
                } else {
                    (
                        false,
                        format!("{ratio_iv}, so the difference could be chance"),
                    )
                }
            }
            _ => (
                false,
                "no interval was computed, so chance cannot be ruled out".to_string(),
            ),
        };
        let times = match ratio.value {
            Some(r) if r.is_finite() => format!("{r:.2}x as often as"),
            _ => "more often than".to_string(),
        };
        let text = if m == Metric::SelectionRate {
            format!(
                "The model flags {} {times} {} ({} vs {}){post_hoc}; {tail}.",
                describe(gr, hi),
                describe(gr, lo),
                percent(hv),
                percent(lv)
            )
        } else {
            format!(
                "{verb} {} of {} but {} of {}{post_hoc}; {tail}.",
                percent(hv),
                describe(gr, hi),
                percent(lv),
                describe(gr, lo)
            )
        };
        out.push(Finding {
            grouping: gr.name.clone(),
            metric: Some(m),
            significant,
            text,
        });
    }
    out.push(Finding {
        grouping: gr.name.clone(),
        metric: Some(Metric::SelectionRate),
        significant: gr.four_fifths.verdict == Verdict::Fail && gr.four_fifths.clear,
        text: gr.four_fifths.explanation.clone(),
    });
    if !gr.insufficient_groups.is_empty() {
        out.push(Finding {
            grouping: gr.name.clone(),
            metric: None,
            significant: false,
            text: format!(
                "{} group(s) of {} have too few rows to judge and are reported by count only: {}.",
                gr.insufficient_groups.len(),
                gr.name,
                gr.insufficient_groups
                    .iter()
                    .map(|e| e.group.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    out
}

fn fmt_pts(x: f64) -> String {
    format!("{:.1}", x * 100.0)
}

/// The four-fifths rule: a selection-rate ratio below this is adverse impact.
const FOUR_FIFTHS: f64 = 0.8;

/// Reasons a disparity is not reported.
const TOO_FEW: &str = "fewer than two groups with enough rows and a defined value";

/// Checks that each reference group names a column and a value that occur.
fn check_references(
    data: &AuditData,
    config: &AuditConfig,
    columns: &[String],
) -> Result<(), FairnessError> {
    for (c, v) in &config.references {
        let Some((_, values)) = data.groups.iter().find(|(name, _)| name == c) else {
            return Err(FairnessError::UnknownGroupColumn {
                column: c.clone(),
                available: columns.join(", "),
            });
        };
        if !values.iter().any(|x| x == v) {
            let mut distinct: Vec<&str> = values.iter().map(|s| s.as_str()).collect();
            distinct.sort_unstable();
            distinct.dedup();
            return Err(FairnessError::UnknownReferenceGroup {
                column: c.clone(),
                value: v.clone(),
                available: distinct.join(", "),
            });
        }
    }
    Ok(())
}

/// Group sums with the exact AUC numerators, and the same sums with binned scores (what the
/// bootstrap resamples).
fn sums_of(prep: &Prepared) -> (Vec<Vec<Sums>>, Vec<Vec<Sums>>) {
    let counts: Vec<f64> = prep.atoms.iter().map(|a| a.count as f64).collect();
    let sums_binned = group_sums(&prep.atoms, &counts, &prep.groupings);
    let mut sums = sums_binned.clone();
    for (gs, nums) in sums.iter_mut().zip(exact_auc_nums(prep)) {
        for (s, num) in gs.iter_mut().zip(nums) {
            s.auc_num = num;
        }
    }
    (sums, sums_binned)
}

/// The bootstrap intervals of every statistic, re-centred on the exact estimates.
fn intervals(
    prep: &Prepared,
    plans: &[GroupingPlan],
    point: &SampleStats,
    point_binned: &SampleStats,
    config: &AuditConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Intervals {
    let shift: Vec<f64> = point
        .flatten()
        .iter()
        .zip(point_binned.flatten())
        .map(|(a, b)| a - b)
        .collect();
    let replicates = config.bootstrap_replicates;
    let reps = if replicates > 0 {
        bootstrap::run(prep, plans, replicates, config.seed, progress)
    } else {
        Vec::new()
    };
    let ivs = bootstrap::intervals(
        &reps,
        config.confidence,
        &shift,
        &point_binned.flatten(),
        config.bootstrap_interval,
    );
    let end = |pick: fn((f64, f64)) -> f64| -> Vec<f64> {
        ivs.iter()
            .map(|(iv, _)| iv.map_or(f64::NAN, pick))
            .collect()
    };
    let share: Vec<f64> = ivs.iter().map(|(_, s)| *s).collect();
    Intervals {
        lo: point.unflatten_like(&end(|x| x.0)),
        hi: point.unflatten_like(&end(|x| x.1)),
        share: point.unflatten_like(&share),
        replicates,
        method: match config.bootstrap_interval {
            BootstrapInterval::Percentile => IntervalMethod::BootstrapPercentile,
            BootstrapInterval::BiasCorrected => IntervalMethod::BootstrapBiasCorrected,
        },
    }
}

/// ROC curves and calibration bins of every group of every grouping.
struct Curves {
    rocs: Vec<Vec<Vec<(f64, f64)>>>,
    cals: Vec<Vec<Vec<crate::curves::CalBin>>>,
}

/// One grouping's inputs: its index among the groupings (0 is overall), plan, sums and point
/// estimates.
struct One<'a> {
    k: usize,
    gi: usize,
    plan: &'a GroupingPlan,
    grouping: &'a crate::prep::Grouping,
    gs: &'a [Sums],
    ps: &'a crate::compute::GroupingStats,
}

impl One<'_> {
    fn labels(&self) -> &[String] {
        &self.grouping.labels
    }
    fn n_groups(&self) -> usize {
        self.grouping.n_groups()
    }
}

impl Ctx<'_> {
    /// Why group `g` is not compared: too small, or the metric undefined in it.
    fn left_out_reason(
        &self,
        o: &One,
        groups: &[GroupReport],
        g: usize,
        m: Option<Metric>,
    ) -> String {
        match m {
            Some(m) if groups[g].status == Status::Ok => undefined_reason(m, &o.gs[g]),
            _ => small_note(o.gs[g].n() as u64, self.config.min_group_size),
        }
    }

    fn grouping_report(
        &self,
        prep: &Prepared,
        o: &One,
        basis: &str,
        curves: &Curves,
    ) -> GroupingReport {
        let labels = o.labels();
        let k = o.k;
        let groups: Vec<GroupReport> = (0..o.n_groups())
            .map(|g| {
                self.group_report(
                    &labels[g],
                    o.grouping.values[g].clone(),
                    &o.gs[g],
                    &o.ps.metrics[g],
                    |st| st.groupings[k].metrics[g],
                )
            })
            .collect();
        let insufficient_groups: Vec<Excluded> = (0..o.n_groups())
            .filter(|&g| groups[g].status != Status::Ok)
            .map(|g| Excluded {
                group: labels[g].clone(),
                reason: self.left_out_reason(o, &groups, g, None),
            })
            .collect();
        let disparities: Vec<MetricDisparity> = Metric::ALL
            .iter()
            .map(|&m| self.disparity(o, &groups, m))
            .collect();
        GroupingReport {
            name: o.grouping.name.clone(),
            columns: o.grouping.columns.clone(),
            reference: ReferenceInfo {
                group: labels[o.plan.reference].clone(),
                basis: basis.to_string(),
            },
            aggregates: self.aggregates(o),
            four_fifths: four_fifths(&o.grouping.name, &disparities),
            predictive_parity: predictive_parity(&o.grouping.name, &disparities),
            roc: roc_of(o, &groups, curves),
            calibration: self.calibration_of(o, &groups, curves),
            mitigation: self.mitigation(prep, o, &groups),
            groups,
            insufficient_groups,
            disparities,
        }
    }

    /// The disparities of one metric across a grouping's groups, with intervals.
    fn disparity(&self, o: &One, groups: &[GroupReport], m: Metric) -> MetricDisparity {
        let (k, iv, labels) = (o.k, self.iv, o.labels());
        let mi = m.index();
        let d = &o.ps.disp[mi];
        let inc = &o.plan.included[mi];
        let excluded = (0..o.n_groups())
            .filter(|g| !inc.contains(g))
            .map(|g| Excluded {
                group: labels[g].clone(),
                reason: self.left_out_reason(o, groups, g, Some(m)),
            })
            .collect();
        let ratio_est = |v: f64, get: &dyn Fn(&SampleStats) -> f64| {
            if m.ratio_meaningful() {
                iv.boot(v, get, TOO_FEW)
            } else {
                Estimate::missing(Status::Undefined, "a ratio of a signed gap has no meaning")
            }
        };
        let ref_label = &labels[o.plan.reference];
        let versus_reference = inc
            .iter()
            .filter(|&&g| g != o.plan.reference)
            .map(|&g| ReferenceComparison {
                group: labels[g].clone(),
                difference: iv.boot(
                    d.ref_diff[g],
                    |st| st.groupings[k].disp[mi].ref_diff[g],
                    &format!("reference group {ref_label} has no defined value"),
                ),
                ratio: ratio_est(d.ref_ratio[g], &|st| st.groupings[k].disp[mi].ref_ratio[g]),
            })
            .collect();
        let (highest, lowest) = match o.plan.extremes[mi] {
            Some((h, l)) => (Some(labels[h].clone()), Some(labels[l].clone())),
            None => (None, None),
        };
        MetricDisparity {
            metric: m,
            compared: inc.iter().map(|&g| labels[g].clone()).collect(),
            excluded,
            between_groups_difference: iv.boot(
                d.between_diff,
                |st| st.groupings[k].disp[mi].between_diff,
                TOO_FEW,
            ),
            between_groups_ratio: ratio_est(d.between_ratio, &|st| {
                st.groupings[k].disp[mi].between_ratio
            }),
            to_overall_difference: iv.boot(
                d.overall_diff,
                |st| st.groupings[k].disp[mi].overall_diff,
                TOO_FEW,
            ),
            to_overall_ratio: ratio_est(d.overall_ratio, &|st| {
                st.groupings[k].disp[mi].overall_ratio
            }),
            highest,
            lowest,
            highest_minus_lowest: iv.boot(
                d.pair_diff,
                |st| st.groupings[k].disp[mi].pair_diff,
                TOO_FEW,
            ),
            highest_over_lowest: ratio_est(d.pair_ratio, &|st| st.groupings[k].disp[mi].pair_ratio),
            versus_reference,
        }
    }

    /// Fairlearn's aggregates of a grouping (each method × aggregate), with intervals.
    fn aggregates(&self, o: &One) -> Vec<Aggregate> {
        let k = o.k;
        METHODS
            .iter()
            .enumerate()
            .flat_map(|(mi, method)| {
                AGGREGATES
                    .iter()
                    .enumerate()
                    .map(move |(ai, (name, agg, def))| (mi, method, ai, name, agg, def))
            })
            .map(|(mi, method, ai, name, agg, def)| {
                let idx = mi * AGGREGATES.len() + ai;
                Aggregate {
                    name: name.to_string(),
                    method: method.to_string(),
                    agg: (!agg.is_empty()).then(|| agg.to_string()),
                    definition: def.to_string(),
                    estimate: self
                        .iv
                        .boot(o.ps.aggs[idx], |st| st.groupings[k].aggs[idx], TOO_FEW),
                }
            })
            .collect()
    }

    /// Calibration bins of each group with enough rows, with Wilson intervals.
    fn calibration_of(
        &self,
        o: &One,
        groups: &[GroupReport],
        curves: &Curves,
    ) -> Vec<CalibrationCurve> {
        let nb = self.config.calibration_bins;
        (0..o.n_groups())
            .filter(|&g| groups[g].status == Status::Ok)
            .map(|g| CalibrationCurve {
                group: o.labels()[g].clone(),
                bins: curves.cals[o.gi][g]
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.count > 0.0)
                    .map(|(b, c)| {
                        let (lo, hi) =
                            wilson_interval(c.positives, c.count, self.z).expect("non-empty bin");
                        CalibrationBin {
                            lower: b as f64 / nb as f64,
                            upper: (b + 1) as f64 / nb as f64,
                            count: c.count as u64,
                            mean_score: c.score_sum / c.count,
                            observed_rate: c.positives / c.count,
                            ci_low: lo,
                            ci_high: hi,
                        }
                    })
                    .collect(),
            })
            .collect()
    }

    /// Group thresholds under the configured constraint, when one is asked for.
    fn mitigation(
        &self,
        prep: &Prepared,
        o: &One,
        groups: &[GroupReport],
    ) -> Option<crate::MitigationReport> {
        let constraint = self.config.mitigation?;
        let reasons: Vec<Option<String>> = (0..o.n_groups())
            .map(|g| {
                if groups[g].status != Status::Ok {
                    Some(self.left_out_reason(o, groups, g, None))
                } else if constraint == crate::MitigationConstraint::EqualOpportunity
                    && o.gs[g].pos() == 0.0
                {
                    Some("no positive labels: its true positive rate is undefined".into())
                } else {
                    None
                }
            })
            .collect();
        mitigate(
            prep,
            o.gi,
            o.labels(),
            o.gs,
            &reasons,
            constraint,
            self.config,
        )
    }
}

/// ROC curves of each group with enough rows.
fn roc_of(o: &One, groups: &[GroupReport], curves: &Curves) -> Vec<RocCurve> {
    (0..o.n_groups())
        .filter(|&g| groups[g].status == Status::Ok && !curves.rocs[o.gi][g].is_empty())
        .map(|g| RocCurve {
            group: o.labels()[g].clone(),
            points: curves.rocs[o.gi][g]
                .iter()
                .map(|&(fpr, tpr)| RocPoint { fpr, tpr })
                .collect(),
        })
        .collect()
}

/// The four-fifths rule on the selection-rate ratio, with how sure the verdict is.
fn four_fifths(grouping: &str, disparities: &[MetricDisparity]) -> FourFifths {
    let ratio = disparities[Metric::SelectionRate.index()]
        .between_groups_ratio
        .clone();
    let (verdict, clear, explanation) = match ratio.value {
        None => (
            Verdict::InsufficientEvidence,
            false,
            format!("Four-fifths rule for {grouping}: not assessed, fewer than two groups have enough rows."),
        ),
        Some(r) => {
            let verdict = if r >= FOUR_FIFTHS { Verdict::Pass } else { Verdict::Fail };
            let clear = ratio.excludes(FOUR_FIFTHS).unwrap_or(false);
            let certainty = match (ratio.interval_pair(), clear) {
                (Some((a, b)), true) => format!(" (interval {a:.2} to {b:.2}, clear of {FOUR_FIFTHS})"),
                (Some((a, b)), false) => format!(" (interval {a:.2} to {b:.2}, which straddles {FOUR_FIFTHS}: not conclusive)"),
                (None, _) => String::new(),
            };
            let word = match (verdict == Verdict::Pass, clear || ratio.interval_pair().is_none()) {
                (true, true) => "passes",
                (false, true) => "fails",
                (true, false) => "passes on the estimate alone",
                (false, false) => "fails on the estimate alone",
            };
            (
                verdict,
                clear,
                format!(
                    "Four-fifths rule for {grouping}: the lowest selection rate is {r:.2} of the highest{certainty}, so it {word}."
                ),
            )
        }
    };
    FourFifths {
        selection_rate_ratio: ratio,
        threshold: FOUR_FIFTHS,
        verdict,
        clear,
        explanation,
    }
}

/// Predictive parity: whether precision differs between groups more than chance explains.
fn predictive_parity(grouping: &str, disparities: &[MetricDisparity]) -> PredictiveParity {
    let pd = &disparities[Metric::Precision.index()];
    let consistent = pd.highest_minus_lowest.excludes(0.0).map(|e| !e);
    let explanation = match (pd.between_groups_difference.value, consistent) {
        (Some(v), Some(true)) => format!(
            "Predictive parity for {grouping}: precision differs by {} points between groups, within what chance explains.",
            fmt_pts(v)
        ),
        (Some(v), Some(false)) => format!(
            "Predictive parity for {grouping}: precision differs by {} points between groups ({} vs {}), more than chance explains: a flag means more in some groups than in others.",
            fmt_pts(v),
            pd.highest.as_deref().unwrap_or("?"),
            pd.lowest.as_deref().unwrap_or("?")
        ),
        (Some(v), None) => format!("Predictive parity for {grouping}: precision differs by {} points between groups (no interval).", fmt_pts(v)),
        (None, _) => format!("Predictive parity for {grouping}: not assessed."),
    };
    PredictiveParity {
        difference: pd.between_groups_difference.clone(),
        ratio: pd.between_groups_ratio.clone(),
        consistent_with_parity: consistent,
        explanation,
    }
}

/// The notices every reader should see: the legal caveat, optimistic mitigation, few rows.
fn notices(config: &AuditConfig, n: usize) -> Vec<String> {
    let mut notices = vec![LEGAL_NOTICE.to_string()];
    if config.mitigation.is_some() {
        notices.push(
            "Mitigation thresholds were fitted and evaluated on the audited data; their cost and effect are optimistic until checked on held-out data."
                .to_string(),
        );
    }
    if n < 8 * config.min_group_size {
        notices.push(format!(
            "Only {n} rows were audited: most intervals are wide."
        ));
    }
    notices
}

/// The settings the audit ran with, as the report records them.
fn settings(data: &AuditData, config: &AuditConfig, prep: &Prepared) -> Settings {
    let score_bins = prep.bin_min.len();
    let interval = config.bootstrap_interval.name();
    Settings {
        threshold: config.threshold,
        decisions: if data.decisions.is_some() {
            "given".into()
        } else {
            "score >= threshold".into()
        },
        min_group_size: config.min_group_size,
        confidence: config.confidence,
        bootstrap_replicates: config.bootstrap_replicates,
        bootstrap_interval: interval.to_string(),
        seed: config.seed,
        bootstrap_method: if prep.exact_bins {
            format!("rows resampled with replacement (non-stratified), drawn exactly as a multinomial over distinct (cell, label, decision, score) values; {interval} intervals")
        } else {
            format!(
                "rows resampled with replacement (non-stratified), drawn exactly for counts; AUC, Brier and mean score resampled at {score_bins} equal-count score bins and re-centred on the exact estimate; {interval} intervals"
            )
        },
        distinct_scores: prep.distinct_scores,
        score_bins,
    }
}

/// The whole audit: checks, point estimates, bootstrap intervals, one report per grouping,
/// findings (significant first) and notices.
pub(crate) fn run(
    data: &AuditData,
    config: &AuditConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<FairnessReport, FairnessError> {
    config.validate()?;
    let n = data.validate()?;
    let columns: Vec<String> = data.groups.iter().map(|(c, _)| c.clone()).collect();
    check_references(data, config, &columns)?;
    let prep = prepare(data, config, n);
    let (sums, sums_binned) = sums_of(&prep);
    let (plans, bases) = plans_for(&prep, &sums, config, &columns)?;
    let point = sample_stats(&sums, &plans);
    let point_binned = sample_stats(&sums_binned, &plans);
    let iv = intervals(&prep, &plans, &point, &point_binned, config, progress);
    let ctx = Ctx {
        config,
        z: normal_quantile(0.5 + config.confidence / 2.0),
        iv: &iv,
    };
    let curves = Curves {
        rocs: roc_curves(&prep, &sums, config.roc_points),
        cals: calibration_bins(&prep, config.calibration_bins),
    };
    let overall = ctx.group_report("overall", Vec::new(), &sums[0][0], &point.overall, |st| {
        st.overall
    });
    let groupings: Vec<GroupingReport> = plans
        .iter()
        .enumerate()
        .map(|(k, plan)| {
            let one = One {
                k,
                gi: k + 1,
                plan,
                grouping: &prep.groupings[k + 1],
                gs: &sums[k + 1],
                ps: &point.groupings[k],
            };
            ctx.grouping_report(&prep, &one, bases[k], &curves)
        })
        .collect();
    let mut findings: Vec<Finding> = groupings
        .iter()
        .flat_map(|g| findings_for(g, config.confidence))
        .collect();
    // Significant findings first, keeping the order otherwise.
    findings.sort_by_key(|f| !f.significant);
    Ok(FairnessReport {
        schema: SCHEMA.to_string(),
        settings: settings(data, config, &prep),
        rows: n as u64,
        overall,
        groupings,
        findings,
        notices: notices(config, n),
    })
}
