//! The share away from an input's usual value, on hand-made columns: the consent shift KS's
//! minimum effect size does not see, a continuous input (no usual value), a constant training
//! column, and the alert rule.

use erosion_monitor::{
    alerts_for, compare, usual_value_share, Column, InputReference, ReferenceOptions, Thresholds,
    Values,
};

/// `ones` ones among `n` values, the rest zeros, ones first.
fn flags(ones: usize, n: usize) -> Vec<f64> {
    (0..n).map(|i| f64::from(u8::from(i < ones))).collect()
}

fn reference_of(name: &str, v: &[f64]) -> InputReference {
    InputReference::build(
        &Column {
            name,
            values: Values::Numeric(v),
        },
        &ReferenceOptions::default(),
    )
}

#[test]
fn opt_outs_from_7_5_to_11_percent_alert_on_the_share_not_on_ks() {
    // The simulated breach: 7.5 % opted out in training, 11 % tonight, 10,000 rows each.
    let reference = reference_of("consent_opted_out", &flags(750, 10_000));
    assert_eq!(reference.usual_value(), Some((0.0, 0.925)));
    let tonight = flags(1100, 10_000);
    let u = usual_value_share(&reference, &tonight).expect("a usual value");
    assert_eq!(u.usual_value, 0.0);
    assert!((u.reference_share - 0.075).abs() < 1e-15);
    assert!((u.share - 0.11).abs() < 1e-15);
    assert!((u.relative_change.unwrap() - (0.11 / 0.075 - 1.0)).abs() < 1e-12);
    // statsmodels.stats.proportion.proportions_ztest([1100, 750], [10000, 10000]):
    // (8.5419861572694, 1.3193423796158999e-17).
    assert!((u.z - 8.5419861572694).abs() < 1e-9, "{}", u.z);
    assert!(
        (u.p_value / 1.3193423796158999e-17 - 1.0).abs() < 1e-6,
        "{}",
        u.p_value
    );

    let d = compare(&reference, Values::Numeric(&tonight)).unwrap();
    let ks = d.ks.unwrap();
    assert!((ks.statistic - 0.035).abs() < 1e-12, "{}", ks.statistic);
    let alerts = alerts_for("overall", &d, &Thresholds::default(), 100);
    let stats: Vec<&str> = alerts.iter().map(|a| a.statistic.as_str()).collect();
    assert_eq!(stats, ["usual_share"], "{alerts:?}");
    let a = &alerts[0];
    assert!((a.value - (0.11 / 0.075 - 1.0)).abs() < 1e-12);
    assert_eq!(a.threshold, 0.2);
    assert_eq!(a.p_value_threshold, Some(0.01 / 100.0));
}

#[test]
fn a_share_that_moved_little_or_not_significantly_does_not_alert() {
    let reference = reference_of("privacy_complaints_30d", &flags(750, 10_000));
    // 7.5 % to 8.5 %: significant at 0.01 alone, but only 13 % more.
    let d = compare(&reference, Values::Numeric(&flags(850, 10_000))).unwrap();
    assert!(d.usual_value.as_ref().unwrap().p_value < 0.01);
    assert!(alerts_for("overall", &d, &Thresholds::default(), 1).is_empty());
    // 7.5 % to 10 % on 200 rows: half as many again, but not significant.
    let d = compare(&reference, Values::Numeric(&flags(20, 200))).unwrap();
    assert!(d.usual_value.as_ref().unwrap().p_value > 0.01);
    assert!(alerts_for("overall", &d, &Thresholds::default(), 1).is_empty());
    // Fewer customers away from the usual value is a change too: 7.5 % to 4 %.
    let d = compare(&reference, Values::Numeric(&flags(400, 10_000))).unwrap();
    let alerts = alerts_for("overall", &d, &Thresholds::default(), 1);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].value < -0.2);
}

#[test]
fn continuous_and_constant_inputs() {
    let spread: Vec<f64> = (0..1000).map(f64::from).collect();
    let reference = reference_of("tenure_days", &spread);
    assert_eq!(reference.usual_value(), None);
    assert!(compare(&reference, Values::Numeric(&spread))
        .unwrap()
        .usual_value
        .is_none());
    // Half the values on one number is enough; just under half is not.
    let mut half = flags(0, 500);
    half.extend((1..=500).map(f64::from));
    assert_eq!(reference_of("x", &half).usual_value(), Some((0.0, 0.5)));
    let mut under = flags(0, 499);
    under.extend((1..=501).map(f64::from));
    assert_eq!(reference_of("x", &under).usual_value(), None);
    // Constant in training: no share to compare with; PSI and KS judge tonight.
    let constant = reference_of("spam_reports_total", &flags(0, 1000));
    let d = compare(&constant, Values::Numeric(&flags(300, 1000))).unwrap();
    let u = d.usual_value.as_ref().unwrap();
    assert_eq!((u.reference_share, u.relative_change), (0.0, None));
    assert!(alerts_for("overall", &d, &Thresholds::default(), 1)
        .iter()
        .all(|a| a.statistic != "usual_share"));
    // Missing values are neither usual nor away; all missing tonight gives no test.
    let mut gaps = flags(100, 1000);
    gaps.extend([f64::NAN; 500]);
    let u = usual_value_share(&reference_of("x", &flags(100, 1000)), &gaps).unwrap();
    assert_eq!((u.rows, u.share), (1000, 0.1));
    assert!(usual_value_share(&reference_of("x", &flags(100, 1000)), &[f64::NAN; 50]).is_none());
}
