//! Small groups, one-class groups, bad inputs, mitigation, and the bootstrap
//! against analytic standard errors.

use erosion_fairness::{
    audit, labels_from_f64, labels_from_strings, AuditConfig, AuditData, BootstrapInterval,
    FairnessError, Metric, MitigationConstraint, Status, Verdict,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Labels, scores and named group columns.
type Table = (Vec<bool>, Vec<f64>, Vec<(String, Vec<String>)>);

/// A synthetic audit table: `sizes` rows per group value of column `g`, with
/// label rate `base[i]` and scores that separate the classes.
fn synth(sizes: &[(&str, usize, f64)], seed: u64, distinct_scores: Option<u32>) -> Table {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut labels, mut scores, mut g) = (vec![], vec![], vec![]);
    for &(name, n, base) in sizes {
        for _ in 0..n {
            let y = rng.random::<f64>() < base;
            let mut s: f64 =
                (if y { 0.35 } else { 0.0 } + 0.65 * rng.random::<f64>()).clamp(0.0, 1.0);
            if let Some(k) = distinct_scores {
                s = (s * k as f64).round() / k as f64;
            }
            labels.push(y);
            scores.push(s);
            g.push(name.to_string());
        }
    }
    (labels, scores, vec![("g".to_string(), g)])
}

fn quick() -> AuditConfig {
    AuditConfig {
        bootstrap_replicates: 60,
        ..AuditConfig::default()
    }
}

#[test]
fn small_group_is_insufficient_evidence_with_its_count_never_zero_never_dropped() {
    let (labels, scores, groups) = synth(
        &[("big", 400, 0.3), ("other", 300, 0.3), ("tiny", 12, 0.5)],
        1,
        None,
    );
    let data = AuditData {
        labels: &labels,
        scores: &scores,
        decisions: None,
        groups: &groups,
    };
    let r = audit(&data, &quick()).unwrap();
    let g = r.grouping("g").unwrap();
    let tiny = g.group("tiny").expect("small group is listed");
    assert_eq!(tiny.count, 12);
    assert_eq!(tiny.status, Status::InsufficientEvidence);
    assert_eq!(
        tiny.positives, None,
        "small group's label counts stay private"
    );
    for m in &tiny.metrics {
        assert_eq!(
            m.estimate.value, None,
            "{:?} must not be reported",
            m.metric
        );
        assert_eq!(m.estimate.status, Status::InsufficientEvidence);
        assert!(m.estimate.reason.as_deref().unwrap().contains("12 rows"));
    }
    assert_eq!(g.insufficient_groups.len(), 1);
    assert_eq!(g.insufficient_groups[0].group, "tiny");
    let sr = g.disparity(Metric::SelectionRate);
    assert_eq!(sr.compared, vec!["big", "other"]);
    assert_eq!(sr.excluded[0].group, "tiny");
    // The JSON says null, not 0.
    let json = serde_json::to_value(tiny).unwrap();
    assert!(json["metrics"][1]["value"].is_null());
    assert!(r.findings.iter().any(|f| f.text.contains("tiny")));
    // With the threshold lowered the group is reported.
    let r2 = audit(
        &data,
        &AuditConfig {
            min_group_size: 10,
            ..quick()
        },
    )
    .unwrap();
    assert_eq!(
        r2.grouping("g").unwrap().group("tiny").unwrap().status,
        Status::Ok
    );
}

#[test]
fn one_class_group_gets_defined_metrics_and_reasons_for_the_others() {
    let (mut labels, scores, groups) = synth(
        &[("a", 200, 0.3), ("b", 200, 0.3), ("nopos", 80, 0.3)],
        2,
        None,
    );
    for (y, g) in labels.iter_mut().zip(&groups[0].1) {
        if g == "nopos" {
            *y = false;
        }
    }
    let data = AuditData {
        labels: &labels,
        scores: &scores,
        decisions: None,
        groups: &groups,
    };
    let r = audit(&data, &quick()).unwrap();
    let g = r.grouping("g").unwrap();
    let nopos = g.group("nopos").unwrap();
    assert_eq!(nopos.status, Status::Ok);
    for m in [Metric::Tpr, Metric::Fnr, Metric::RocAuc] {
        let e = nopos.metric(m);
        assert_eq!(e.value, None);
        assert_eq!(e.status, Status::Undefined);
        assert!(
            e.reason.as_deref().unwrap().contains("no positive labels"),
            "{m:?}: {:?}",
            e.reason
        );
    }
    for m in [
        Metric::SelectionRate,
        Metric::Fpr,
        Metric::Tnr,
        Metric::Accuracy,
        Metric::Brier,
        Metric::BaseRate,
    ] {
        assert!(nopos.metric(m).value.is_some(), "{m:?} is defined");
    }
    assert_eq!(nopos.metric(Metric::BaseRate).value, Some(0.0));
    // TPR disparities leave it out, with the reason; FPR disparities keep it.
    let tpr = g.disparity(Metric::Tpr);
    assert!(!tpr.compared.contains(&"nopos".to_string()));
    assert!(tpr
        .excluded
        .iter()
        .any(|e| e.group == "nopos" && e.reason.contains("no positive")));
    assert!(g
        .disparity(Metric::Fpr)
        .compared
        .contains(&"nopos".to_string()));
    assert!(g.roc.iter().all(|c| c.group != "nopos"));
    // Mitigation for equal opportunity leaves it unchanged, with the reason.
    let m = audit(
        &data,
        &AuditConfig {
            mitigation: Some(MitigationConstraint::EqualOpportunity),
            ..quick()
        },
    )
    .unwrap();
    let mit = m.grouping("g").unwrap().mitigation.as_ref().unwrap();
    assert!(mit.unchanged.iter().any(|u| u.group == "nopos"));
}

#[test]
#[allow(clippy::too_many_lines)] // known debt: split when next changed
fn bad_inputs_are_typed_errors_naming_what_and_where() {
    let labels = vec![true, false, true];
    let scores = vec![0.2, 1.5, 0.3];
    let groups = vec![(
        "g".to_string(),
        vec!["a".to_string(), "b".into(), "a".into()],
    )];
    let data = AuditData {
        labels: &labels,
        scores: &scores,
        decisions: None,
        groups: &groups,
    };
    let err = audit(&data, &quick()).unwrap_err();
    assert_eq!(err, FairnessError::ScoreOutOfRange { row: 1, value: 1.5 });
    assert!(
        err.to_string().contains("row index 1 (data row 2)"),
        "{err}"
    );

    let nan = vec![0.2, f64::NAN, 0.3];
    let e = audit(
        &AuditData {
            scores: &nan,
            ..data
        },
        &quick(),
    )
    .unwrap_err();
    assert!(matches!(e, FairnessError::ScoreOutOfRange { row: 1, .. }));

    let short = vec![0.2, 0.3];
    let e = audit(
        &AuditData {
            scores: &short,
            ..data
        },
        &quick(),
    )
    .unwrap_err();
    assert_eq!(
        e,
        FairnessError::LengthMismatch {
            what: "scores".into(),
            expected: 3,
            found: 2
        }
    );

    let bad_group = vec![("g".to_string(), vec!["a".to_string()])];
    let good_scores = vec![0.2, 0.5, 0.3];
    let e = audit(
        &AuditData {
            scores: &good_scores,
            groups: &bad_group,
            ..data
        },
        &quick(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("group column 'g' has 1 values but there are 3 labels"),
        "{e}"
    );

    let e = audit(
        &AuditData {
            scores: &good_scores,
            groups: &[],
            ..data
        },
        &quick(),
    )
    .unwrap_err();
    assert_eq!(e, FairnessError::NoGroups);

    let e = audit(
        &AuditData {
            labels: &[],
            scores: &[],
            decisions: None,
            groups: &[],
        },
        &quick(),
    )
    .unwrap_err();
    assert_eq!(e, FairnessError::Empty);

    let ok = AuditData {
        scores: &good_scores,
        ..data
    };
    let e = audit(
        &ok,
        &AuditConfig {
            references: vec![("region".into(), "x".into())],
            ..quick()
        },
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("group column 'region' does not exist"),
        "{e}"
    );
    let e = audit(
        &ok,
        &AuditConfig {
            references: vec![("g".into(), "zzz".into())],
            ..quick()
        },
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("'zzz' does not occur in group column 'g'; its values are: a, b"),
        "{e}"
    );
    let e = audit(
        &ok,
        &AuditConfig {
            references: vec![("g".into(), "a".into())],
            ..quick()
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, FairnessError::ReferenceTooSmall { count: 2, .. }),
        "{e}"
    );
    let e = audit(
        &ok,
        &AuditConfig {
            threshold: 2.0,
            ..quick()
        },
    )
    .unwrap_err();
    assert!(matches!(
        e,
        FairnessError::InvalidConfig {
            name: "threshold",
            ..
        }
    ));
    let e = audit(
        &ok,
        &AuditConfig {
            confidence: 1.0,
            ..quick()
        },
    )
    .unwrap_err();
    assert!(matches!(
        e,
        FairnessError::InvalidConfig {
            name: "confidence",
            ..
        }
    ));

    // A label with three values.
    let e = labels_from_strings(&["Yes", "No", "No", "Maybe"], None).unwrap_err();
    assert_eq!(
        e,
        FairnessError::TooManyLabelValues {
            row: 3,
            value: "Maybe".into(),
            seen: "'Yes', 'No'".into()
        }
    );
    assert!(e.to_string().contains("data row 4"));
    assert_eq!(
        labels_from_strings(&["YES", "no", "no"], None),
        Ok(vec![true, false, false])
    );
    assert_eq!(
        labels_from_strings(&["stay", "leave"], Some("leave")),
        Ok(vec![false, true])
    );
    assert!(matches!(
        labels_from_strings(&["stay", "leave"], None),
        Err(FairnessError::AmbiguousPositiveLabel { .. })
    ));
    assert!(matches!(
        labels_from_strings(&["stay"], Some("leave")),
        Err(FairnessError::PositiveLabelAbsent { .. })
    ));
    assert_eq!(labels_from_f64(&[0.0, 1.0]), Ok(vec![false, true]));
    assert_eq!(
        labels_from_f64(&[0.0, 2.0]),
        Err(FairnessError::LabelNotBinary { row: 1, value: 2.0 })
    );
}

#[test]
fn reference_group_and_intersections() {
    let (labels, scores, mut groups) = synth(&[("a", 300, 0.2), ("b", 500, 0.4)], 3, None);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let region: Vec<String> = (0..labels.len())
        .map(|_| {
            if rng.random::<f64>() < 0.5 {
                "north"
            } else {
                "south"
            }
            .to_string()
        })
        .collect();
    groups.push(("region".into(), region));
    let data = AuditData {
        labels: &labels,
        scores: &scores,
        decisions: None,
        groups: &groups,
    };
    let r = audit(&data, &quick()).unwrap();
    assert_eq!(r.groupings.len(), 3);
    let g = r.grouping("g").unwrap();
    assert_eq!(g.reference.group, "b");
    assert_eq!(g.reference.basis, "largest group");
    let vs = &g.disparity(Metric::SelectionRate).versus_reference;
    assert_eq!(vs.len(), 1);
    let a = g
        .group("a")
        .unwrap()
        .metric(Metric::SelectionRate)
        .value
        .unwrap();
    let b = g
        .group("b")
        .unwrap()
        .metric(Metric::SelectionRate)
        .value
        .unwrap();
    assert!((vs[0].difference.value.unwrap() - (a - b)).abs() < 1e-15);
    assert!((vs[0].ratio.value.unwrap() - a / b).abs() < 1e-15);
    let inter = r.grouping("g × region").unwrap();
    assert_eq!(inter.groups.len(), 4);
    assert_eq!(inter.groups[0].group, "a, north");
    assert_eq!(
        inter.groups.iter().map(|x| x.count).sum::<u64>(),
        labels.len() as u64
    );

    let chosen = audit(
        &data,
        &AuditConfig {
            references: vec![("g".into(), "a".into()), ("region".into(), "south".into())],
            ..quick()
        },
    )
    .unwrap();
    assert_eq!(chosen.grouping("g").unwrap().reference.group, "a");
    assert_eq!(chosen.grouping("g").unwrap().reference.basis, "chosen");
    assert_eq!(
        chosen.grouping("g × region").unwrap().reference.group,
        "a, south"
    );
}

#[test]
fn four_fifths_and_findings_speak_plainly() {
    // Group "w" is flagged far more often than "m".
    let n = 2000;
    let mut labels = vec![];
    let mut scores = vec![];
    let mut g = vec![];
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for i in 0..n {
        let w = i % 2 == 0;
        let y = rng.random::<f64>() < if w { 0.5 } else { 0.1 };
        labels.push(y);
        scores.push(((if y { 0.3 } else { 0.0 }) + 0.7 * rng.random::<f64>()).min(1.0));
        g.push(if w { "w" } else { "m" }.to_string());
    }
    let groups = vec![("sex".to_string(), g)];
    let data = AuditData {
        labels: &labels,
        scores: &scores,
        decisions: None,
        groups: &groups,
    };
    let r = audit(&data, &quick()).unwrap();
    let sex = r.grouping("sex").unwrap();
    assert_eq!(sex.four_fifths.verdict, Verdict::Fail);
    assert!(sex.four_fifths.clear);
    let f = &r.findings[0];
    assert!(f.significant);
    assert!(f.text.starts_with("The model flags sex = w "), "{}", f.text);
    assert!(f.text.contains("unlikely to be chance"), "{}", f.text);
    let ratio = sex
        .disparity(Metric::SelectionRate)
        .highest_over_lowest
        .value
        .unwrap();
    assert!(
        f.text.contains(&format!("{ratio:.2}x as often as sex = m")),
        "{}",
        f.text
    );
    assert!(r.notices[0].contains("unlawful"));
}

#[test]
fn a_four_fifths_pass_the_interval_does_not_make_clear_says_so() {
    // Two small groups flagged at about the same rate: the ratio is above 0.8, but its
    // interval straddles 0.8, so the pass rests on the estimate alone.
    let (labels, scores, groups) = synth(&[("a", 60, 0.3), ("b", 60, 0.3)], 9, None);
    let data = AuditData {
        labels: &labels,
        scores: &scores,
        decisions: None,
        groups: &groups,
    };
    let r = audit(&data, &quick()).unwrap();
    let ff = &r.grouping("g").unwrap().four_fifths;
    assert_eq!(ff.verdict, Verdict::Pass, "{}", ff.explanation);
    assert!(!ff.clear, "{}", ff.explanation);
    assert!(
        ff.explanation.contains("not conclusive")
            && ff
                .explanation
                .ends_with("so it passes on the estimate alone."),
        "{}",
        ff.explanation
    );
}

#[test]
fn mitigation_meets_its_tolerance_and_reports_its_cost() {
    let (labels, scores, groups) = synth(&[("a", 600, 0.15), ("b", 600, 0.45)], 5, None);
    let data = AuditData {
        labels: &labels,
        scores: &scores,
        decisions: None,
        groups: &groups,
    };
    for constraint in [
        MitigationConstraint::DemographicParity,
        MitigationConstraint::EqualOpportunity,
    ] {
        let config = AuditConfig {
            mitigation: Some(constraint),
            mitigation_tolerance: 0.02,
            ..quick()
        };
        let r = audit(&data, &config).unwrap();
        let g = r.grouping("g").unwrap();
        let mit = g.mitigation.as_ref().unwrap();
        assert!(
            mit.after.disparity <= 0.02 + 1e-12,
            "{constraint:?}: {}",
            mit.after.disparity
        );
        if constraint == MitigationConstraint::DemographicParity {
            assert!(
                mit.before.disparity > 0.1,
                "the groups differ in selection rate"
            );
        }
        assert_eq!(mit.thresholds.len(), 2);
        // Re-apply the thresholds to the rows: the reported rates and accuracy follow.
        let mut correct = 0usize;
        let mut selected = 0usize;
        for (i, (&y, &s)) in labels.iter().zip(&scores).enumerate() {
            let grp = &groups[0].1[i];
            let t = mit.thresholds.iter().find(|t| &t.group == grp).unwrap();
            let d = t.threshold.is_some_and(|t| s >= t);
            correct += usize::from(d == y);
            selected += usize::from(d);
        }
        let n = labels.len() as f64;
        assert!((mit.after.accuracy - correct as f64 / n).abs() < 1e-12);
        assert!((mit.after.selection_rate - selected as f64 / n).abs() < 1e-12);
        assert!((mit.accuracy_cost - (mit.before.accuracy - mit.after.accuracy)).abs() < 1e-15);
        let before_acc = g
            .groups
            .iter()
            .map(|x| x.metric(Metric::Accuracy).value.unwrap() * x.count as f64)
            .sum::<f64>()
            / n;
        assert!((mit.before.accuracy - before_acc).abs() < 1e-12);
        // Trade-off: looser tolerance never costs more accuracy.
        assert_eq!(mit.tradeoff.len(), config.tolerance_grid.len());
        for w in mit.tradeoff.windows(2) {
            assert!(w[1].accuracy >= w[0].accuracy - 1e-12);
            assert!(w[0].disparity <= w[0].tolerance.unwrap() + 1e-12);
        }
        // Deterministic.
        let again = audit(&data, &config).unwrap();
        assert_eq!(again.grouping("g").unwrap().mitigation, g.mitigation);
    }
}

fn normal_se_interval(p1: f64, n1: f64, p2: f64, n2: f64) -> f64 {
    2.0 * 1.959964 * (p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2).sqrt()
}

/// The multinomial atom bootstrap has the spread of row resampling: the width of
/// the interval of a selection-rate difference matches the analytic one, both
/// when rows are drawn one by one (many atoms) and by binomials (few atoms).
#[test]
fn bootstrap_width_matches_analytic_standard_error() {
    for distinct in [None, Some(20)] {
        let (labels, scores, groups) = synth(&[("a", 3000, 0.3), ("b", 2000, 0.5)], 6, distinct);
        let data = AuditData {
            labels: &labels,
            scores: &scores,
            decisions: None,
            groups: &groups,
        };
        let r = audit(
            &data,
            &AuditConfig {
                bootstrap_replicates: 400,
                ..AuditConfig::default()
            },
        )
        .unwrap();
        let g = r.grouping("g").unwrap();
        let (a, b) = (g.group("a").unwrap(), g.group("b").unwrap());
        let pa = a.metric(Metric::SelectionRate).value.unwrap();
        let pb = b.metric(Metric::SelectionRate).value.unwrap();
        let (lo, hi) = g
            .disparity(Metric::SelectionRate)
            .highest_minus_lowest
            .interval_pair()
            .unwrap();
        let expected = normal_se_interval(pa, 3000.0, pb, 2000.0);
        let ratio = (hi - lo) / expected;
        assert!(
            (0.85..1.15).contains(&ratio),
            "{distinct:?}: width {} vs analytic {expected}",
            hi - lo
        );
        assert_eq!(r.settings.bootstrap_replicates, 400);
        if distinct.is_some() {
            assert!(r
                .settings
                .bootstrap_method
                .starts_with("rows resampled with replacement (non-stratified), drawn exactly as"));
        }
    }
}

/// Binning the scores for the bootstrap keeps AUC intervals close to the exact ones.
#[test]
fn binned_bootstrap_agrees_with_exact_bootstrap() {
    let (labels, scores, groups) = synth(&[("a", 1500, 0.3), ("b", 1500, 0.4)], 8, None);
    let data = AuditData {
        labels: &labels,
        scores: &scores,
        decisions: None,
        groups: &groups,
    };
    let exact = audit(
        &data,
        &AuditConfig {
            bootstrap_replicates: 300,
            max_score_bins: 10_000,
            ..AuditConfig::default()
        },
    )
    .unwrap();
    let binned = audit(
        &data,
        &AuditConfig {
            bootstrap_replicates: 300,
            max_score_bins: 256,
            ..AuditConfig::default()
        },
    )
    .unwrap();
    assert!(exact
        .settings
        .bootstrap_method
        .contains("drawn exactly as a multinomial"));
    assert!(binned
        .settings
        .bootstrap_method
        .contains("256 equal-count score bins"));
    for (e, b) in exact
        .grouping("g")
        .unwrap()
        .groups
        .iter()
        .zip(&binned.grouping("g").unwrap().groups)
    {
        let (e_auc, b_auc) = (e.metric(Metric::RocAuc), b.metric(Metric::RocAuc));
        assert_eq!(
            e_auc.value, b_auc.value,
            "point estimates are exact either way"
        );
        let (el, eh) = e_auc.interval_pair().unwrap();
        let (bl, bh) = b_auc.interval_pair().unwrap();
        let w = eh - el;
        assert!(
            (el - bl).abs() < 0.2 * w && (eh - bh).abs() < 0.2 * w,
            "exact [{el}, {eh}] vs binned [{bl}, {bh}]"
        );
    }
}

#[test]
fn given_decisions_are_used_instead_of_the_threshold() {
    let (labels, scores, groups) = synth(&[("a", 100, 0.3), ("b", 100, 0.3)], 10, None);
    let decisions: Vec<bool> = (0..labels.len()).map(|i| i % 4 == 0).collect();
    let data = AuditData {
        labels: &labels,
        scores: &scores,
        decisions: Some(&decisions),
        groups: &groups,
    };
    let r = audit(&data, &quick()).unwrap();
    assert_eq!(r.settings.decisions, "given");
    assert_eq!(r.overall.metric(Metric::SelectionRate).value, Some(0.25));
    let short = vec![true];
    let e = audit(
        &AuditData {
            decisions: Some(&short),
            ..data
        },
        &quick(),
    )
    .unwrap_err();
    assert!(matches!(e, FairnessError::LengthMismatch { .. }));
}

/// Where `v` sits in `[lo, hi]`: 0 at the lower end, 1 at the upper.
fn position(e: &erosion_fairness::Estimate) -> f64 {
    let (lo, hi) = e.interval_pair().expect("an interval");
    (e.value.unwrap() - lo) / (hi - lo)
}

/// Twelve groups flagged at the same true rate: the lowest selection rate over the highest is
/// biased down, and so are its bootstrap replicates (the min of twelve noisy rates falls, the
/// max rises), so the percentile interval leaves the estimate at its upper edge (here 0.773
/// [0.536, 0.776]; the issue saw 0.902 [0.614, 0.948]). The bias-corrected interval reaches
/// past the estimate (0.773 [0.536, 0.814]): at least 10 % of its width on either side.
#[test]
fn the_bias_corrected_interval_of_a_max_min_ratio_does_not_sit_at_the_edge() {
    let groups: Vec<(String, usize, f64)> = (0..12).map(|i| (format!("g{i}"), 150, 0.3)).collect();
    let spec: Vec<(&str, usize, f64)> = groups
        .iter()
        .map(|(n, k, b)| (n.as_str(), *k, *b))
        .collect();
    let (labels, scores, groups) = synth(&spec, 21, None);
    let data = AuditData {
        labels: &labels,
        scores: &scores,
        decisions: None,
        groups: &groups,
    };
    let run = |how| {
        let config = AuditConfig {
            bootstrap_replicates: 400,
            bootstrap_interval: how,
            ..AuditConfig::default()
        };
        audit(&data, &config).unwrap()
    };
    let pct = run(BootstrapInterval::Percentile);
    let bc = run(BootstrapInterval::BiasCorrected);
    let g = |r: &erosion_fairness::FairnessReport| r.grouping("g").unwrap().clone();
    let (gp, gb) = (g(&pct), g(&bc));
    let pairs = [
        (
            gp.disparity(Metric::SelectionRate)
                .between_groups_ratio
                .clone(),
            gb.disparity(Metric::SelectionRate)
                .between_groups_ratio
                .clone(),
        ),
        (
            gp.aggregate("demographic_parity_ratio", "between_groups", None)
                .unwrap()
                .estimate
                .clone(),
            gb.aggregate("demographic_parity_ratio", "between_groups", None)
                .unwrap()
                .estimate
                .clone(),
        ),
    ];
    for (p, b) in pairs {
        assert_eq!(
            p.value, b.value,
            "the estimate does not depend on the interval"
        );
        assert!(
            position(&p) > 0.95,
            "percentile: {p:?} (position {:.2})",
            position(&p)
        );
        assert!(
            (0.1..=0.9).contains(&position(&b)),
            "bias-corrected: {b:?} (position {:.2})",
            position(&b)
        );
        assert_eq!(b.ci_low, p.ci_low, "widened, never narrowed: {b:?} {p:?}");
        assert_eq!(
            b.interval,
            erosion_fairness::IntervalMethod::BootstrapBiasCorrected
        );
    }
    assert_eq!(
        bc.settings.bootstrap_interval,
        BootstrapInterval::BiasCorrected.name()
    );
}
