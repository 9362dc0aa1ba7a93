//! The share at or above the action threshold against the reference's: the two-proportion
//! z-test by hand and against statsmodels, and when it alerts.

use erosion_monitor::{
    action_alert, action_share, two_proportion_z, Column, InputReference, ReferenceOptions,
    Thresholds, Values,
};

fn score_reference(values: &[f64]) -> InputReference {
    InputReference::build(
        &Column {
            name: "erosion_probability",
            values: Values::Numeric(values),
        },
        &ReferenceOptions::default(),
    )
}

/// `k` of `n` scores at 0.9, the rest at 0.1.
fn scores(k: usize, n: usize) -> Vec<f64> {
    (0..n).map(|i| if i < k { 0.9 } else { 0.1 }).collect()
}

#[test]
fn two_proportion_z_equals_statsmodels() {
    // statsmodels.stats.proportion.proportions_ztest([800, 300], [2000, 1000])
    let (z, p) = two_proportion_z(800.0, 2000.0, 300.0, 1000.0);
    assert!((z - 5.357_997_197_768_201).abs() < 1e-12, "{z}");
    assert!((p - 8.414_954_525_440_4e-8).abs() < 1e-18, "{p}");
    // proportions_ztest([110, 100], [1000, 1000])
    let (z, p) = two_proportion_z(110.0, 1000.0, 100.0, 1000.0);
    assert!((z - 0.729_421_961_540_907_4).abs() < 1e-12, "{z}");
    assert!((p - 0.465_743_587_933_635_2).abs() < 1e-12, "{p}");
    // Both all in: no variance, no evidence.
    assert_eq!(two_proportion_z(5.0, 5.0, 7.0, 7.0), (0.0, 1.0));
}

#[test]
fn shares_at_the_threshold_by_hand() {
    // Reference: 1,000 scores i/1000; at or above 0.7: 300 (0.700 itself counts).
    let reference: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
    let r = score_reference(&reference);
    // Tonight: 800 of 2,000 at or above; a NaN is not a scored row.
    let mut tonight = scores(800, 2000);
    tonight.push(f64::NAN);
    let a = action_share(&r, 0.7, &tonight).expect("numeric reference");
    assert_eq!(a.reference_share, 0.3);
    assert_eq!(a.reference_rows, 1000);
    assert_eq!(a.rows, 2000);
    assert_eq!(a.share, 0.4);
    assert!((a.relative_change.unwrap() - 1.0 / 3.0).abs() < 1e-12);
    assert!((a.z - 5.357_997_197_768_201).abs() < 1e-12);
    let t = Thresholds::default();
    let alert = action_alert("overall", &a, &t, 10).expect("significant and a third more");
    assert_eq!(alert.statistic, "action_share");
    assert_eq!(alert.input, "erosion_probability");
    assert_eq!(alert.threshold, 0.2);
    assert_eq!(alert.p_value_threshold, Some(0.001));
}

#[test]
fn significant_but_small_or_large_but_not_significant_is_no_alert() {
    let r = score_reference(&scores(10_000, 100_000)); // 10 % at or above 0.5
    let t = Thresholds::default();
    // 11 % of a million: overwhelmingly significant, but a tenth more is under the minimum.
    let small = action_share(&r, 0.5, &scores(110_000, 1_000_000)).unwrap();
    assert!(small.p_value < 1e-20);
    assert!(action_alert("overall", &small, &t, 100).is_none());
    // 13 % of 300: a 30 % rise, but 39 of 300 against 10 % is not significant at 0.01/100.
    let noisy = action_share(&r, 0.5, &scores(39, 300)).unwrap();
    assert!(noisy.relative_change.unwrap() > 0.2);
    assert!(action_alert("overall", &noisy, &t, 100).is_none());
    // 14 % of 10,000: both.
    let both = action_share(&r, 0.5, &scores(1_400, 10_000)).unwrap();
    assert!(action_alert("overall", &both, &t, 100).is_some());
    // Fewer customers past the threshold alert too.
    let fewer = action_share(&r, 0.5, &scores(600, 10_000)).unwrap();
    let a = action_alert("overall", &fewer, &t, 100).unwrap();
    assert!(a.value < -0.2);
    // A scope under the minimum of rows never alerts.
    let tiny = action_share(&r, 0.5, &scores(90, 90)).unwrap();
    assert!(action_alert("overall", &tiny, &t, 1).is_none());
}

#[test]
fn no_scores_or_a_categorical_reference_give_nothing() {
    let r = score_reference(&scores(10, 100));
    assert!(action_share(&r, 0.5, &[]).is_none());
    assert!(action_share(&r, 0.5, &[f64::NAN, f64::NAN]).is_none());
    let texts = vec![Some("a".to_string())];
    let cat = InputReference::build(
        &Column {
            name: "x",
            values: Values::Categorical(&texts),
        },
        &ReferenceOptions::default(),
    );
    assert!(action_share(&cat, 0.5, &[0.7]).is_none());
}
