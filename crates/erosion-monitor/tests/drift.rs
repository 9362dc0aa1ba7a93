//! The reference and the comparison on small hand-made columns: an empty segment, a category
//! unseen in training, a feature all missing tonight, thresholds and ranking.

use erosion_monitor::{
    alerts_for, compare, rank_alerts, Column, Distribution, InputReference, Kind, Reference,
    ReferenceOptions, Thresholds, Values,
};

fn numbers(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| ((i as f64) * 0.618033988749895) % 1.0)
        .collect()
}

fn texts(pattern: &[&str], n: usize) -> Vec<Option<String>> {
    (0..n)
        .map(|i| Some(pattern[i % pattern.len()].to_string()))
        .collect()
}

fn reference_of(col: Column) -> InputReference {
    InputReference::build(&col, &ReferenceOptions::default())
}

#[test]
fn numeric_reference_by_hand() {
    let mut v: Vec<f64> = (1..=10).map(f64::from).collect();
    v.push(f64::NAN);
    v.push(f64::NAN);
    let opts = ReferenceOptions {
        bins: 2,
        sample: 4,
        max_categories: 5,
    };
    let r = InputReference::build(
        &Column {
            name: "x",
            values: Values::Numeric(&v),
        },
        &opts,
    );
    assert_eq!(r.rows, 12);
    assert!((r.missing_share - 2.0 / 12.0).abs() < 1e-15);
    let Distribution::Numeric {
        edges,
        shares,
        sample,
        sampled_from,
    } = r.distribution
    else {
        panic!("numeric")
    };
    assert_eq!(edges, vec![5.5]); // the median of 1..10
    assert_eq!(shares, vec![0.5, 0.5]);
    assert_eq!(sampled_from, 10);
    // ranks (2i+1) * 10 / 8 for i < 4: 1, 3, 6, 8 -> values 2, 4, 7, 9
    assert_eq!(sample, vec![2.0, 4.0, 7.0, 9.0]);
}

#[test]
fn categorical_reference_keeps_the_most_frequent() {
    let v = texts(&["a", "a", "a", "b", "b", "c"], 60);
    let opts = ReferenceOptions {
        bins: 10,
        sample: 10,
        max_categories: 2,
    };
    let r = InputReference::build(
        &Column {
            name: "c",
            values: Values::Categorical(&v),
        },
        &opts,
    );
    let Distribution::Categorical {
        categories,
        other_share,
    } = r.distribution
    else {
        panic!("categorical")
    };
    assert_eq!(categories.len(), 2);
    assert_eq!(categories[0].value, "a");
    assert!((categories[0].share - 0.5).abs() < 1e-15);
    assert!((other_share - 1.0 / 6.0).abs() < 1e-15);
}

#[test]
fn same_data_does_not_drift() {
    let v = numbers(5000);
    let r = reference_of(Column {
        name: "x",
        values: Values::Numeric(&v),
    });
    let d = compare(&r, Values::Numeric(&v)).unwrap();
    assert_eq!(d.psi, Some(0.0));
    assert_eq!(d.ks.unwrap().statistic, 0.0);
    assert!(alerts_for("overall", &d, &Thresholds::default(), 10).is_empty());
}

#[test]
fn a_shift_alerts_on_psi_and_ks() {
    let v = numbers(5000);
    let r = reference_of(Column {
        name: "x",
        values: Values::Numeric(&v),
    });
    let shifted: Vec<f64> = v.iter().map(|x| x + 0.3).collect();
    let d = compare(&r, Values::Numeric(&shifted)).unwrap();
    let alerts = alerts_for("overall", &d, &Thresholds::default(), 10);
    let stats: Vec<&str> = alerts.iter().map(|a| a.statistic.as_str()).collect();
    assert_eq!(stats, ["psi", "ks"], "{alerts:?}");
    assert!((d.ks.unwrap().statistic - 0.3).abs() < 0.01);
}

#[test]
fn a_trivial_shift_on_many_rows_is_significant_but_not_an_alert() {
    let v = numbers(200_000);
    let r = reference_of(Column {
        name: "x",
        values: Values::Numeric(&v),
    });
    let shifted: Vec<f64> = v.iter().map(|x| x + 0.03).collect();
    let d = compare(&r, Values::Numeric(&shifted)).unwrap();
    let ks = d.ks.unwrap();
    // significant even after the correction for 10 tests, but a 3-point shift
    assert!(ks.p_value < 0.01 / 10.0, "{ks:?}");
    assert!(alerts_for("overall", &d, &Thresholds::default(), 10).is_empty());
}

#[test]
fn an_empty_segment_has_no_statistics_and_no_alerts() {
    let v = numbers(1000);
    let r = reference_of(Column {
        name: "x",
        values: Values::Numeric(&v),
    });
    let d = compare(&r, Values::Numeric(&[])).unwrap();
    assert_eq!((d.rows, d.present), (0, 0));
    assert_eq!(d.psi, None);
    assert_eq!(d.ks, None);
    assert_eq!(d.missing_share, 0.0);
    assert!(alerts_for("region=nowhere", &d, &Thresholds::default(), 1).is_empty());
}

#[test]
fn a_feature_all_missing_tonight_alerts_on_its_missing_share() {
    let v = numbers(1000);
    let r = reference_of(Column {
        name: "x",
        values: Values::Numeric(&v),
    });
    let tonight = vec![f64::NAN; 500];
    let d = compare(&r, Values::Numeric(&tonight)).unwrap();
    assert_eq!(d.missing_share, 1.0);
    assert_eq!(d.psi, None);
    assert_eq!(d.ks, None);
    let alerts = alerts_for("overall", &d, &Thresholds::default(), 1);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].statistic, "missing_share");
    assert_eq!(alerts[0].value, 1.0);
}

#[test]
fn a_category_unseen_in_training_goes_to_other_and_is_named() {
    let train = texts(&["email", "web"], 1000);
    let r = reference_of(Column {
        name: "channel",
        values: Values::Categorical(&train),
    });
    let tonight = texts(&["email", "web", "app", "app"], 1000);
    let d = compare(&r, Values::Categorical(&tonight)).unwrap();
    assert_eq!(d.kind, Kind::Categorical);
    assert_eq!(d.unseen_categories.len(), 1);
    assert_eq!(d.unseen_categories[0].value, "app");
    assert!((d.unseen_categories[0].share - 0.5).abs() < 1e-12);
    let other = d.buckets.last().unwrap();
    assert_eq!((other.reference, other.current), (0.0, 0.5));
    // PSI: email and web 0.5 -> 0.25 each, (other) 0 (floored at 1e-4) -> 0.5.
    let want = 2.0 * (0.25 - 0.5) * (0.5f64).ln() + (0.5 - 1e-4) * (0.5f64 / 1e-4).ln();
    assert!((d.psi.unwrap() - want).abs() < 1e-12);
    let alerts = alerts_for("overall", &d, &Thresholds::default(), 1);
    assert_eq!(alerts[0].statistic, "psi");
}

#[test]
fn kinds_must_match() {
    let r = reference_of(Column {
        name: "x",
        values: Values::Numeric(&[1.0, 2.0]),
    });
    let e = compare(&r, Values::Categorical(&[Some("a".into())])).unwrap_err();
    assert!(e.to_string().contains("numbers in training"), "{e}");
}

#[test]
fn small_scopes_do_not_alert_and_alerts_rank_by_severity() {
    let v = numbers(2000);
    let r = reference_of(Column {
        name: "x",
        values: Values::Numeric(&v),
    });
    let few: Vec<f64> = v.iter().take(50).map(|x| x + 0.5).collect();
    let d = compare(&r, Values::Numeric(&few)).unwrap();
    assert!(alerts_for("tiny", &d, &Thresholds::default(), 1).is_empty());

    let a: Vec<f64> = v.iter().map(|x| x + 0.2).collect();
    let b: Vec<f64> = v.iter().map(|x| x + 0.6).collect();
    let mut alerts = alerts_for(
        "overall",
        &compare(&r, Values::Numeric(&a)).unwrap(),
        &Thresholds::default(),
        2,
    );
    let mut big = alerts_for(
        "overall",
        &compare(&r, Values::Numeric(&b)).unwrap(),
        &Thresholds::default(),
        2,
    );
    big.iter_mut().for_each(|x| x.input = "y".into());
    alerts.extend(big);
    rank_alerts(&mut alerts, |name| (name == "y").then_some(0.5));
    assert_eq!(alerts[0].input, "y");
    assert_eq!(alerts[0].importance, Some(0.5));
    assert!(alerts.windows(2).all(|w| w[0].severity >= w[1].severity));
}

#[test]
fn reference_round_trips_through_json() {
    let v = numbers(300);
    let c = texts(&["a", "b"], 300);
    let score: Vec<f64> = v.iter().map(|x| x / 2.0).collect();
    let r = Reference::build(
        &[
            Column {
                name: "x",
                values: Values::Numeric(&v),
            },
            Column {
                name: "c",
                values: Values::Categorical(&c),
            },
        ],
        Some(&score),
        "test",
        &ReferenceOptions::default(),
    );
    let json = serde_json::to_string(&r).unwrap();
    let back: Reference = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    assert!(back.input("c").is_some());
    assert_eq!(back.score.unwrap().rows, 300);
}

#[test]
fn expected_performance_by_hand() {
    use erosion_monitor::expected_performance;
    // Positive mass 1.0, negative mass 1.0. ROC points (0, 0), (0.2, 0.8), (1, 1):
    // 0.5 * 0.2 * 0.8 + 0.8 * (0.8 + 1) / 2 = 0.8.
    let e = expected_performance(&[0.8, 0.2], 0.5).unwrap();
    assert!((e.roc_auc - 0.8).abs() < 1e-15, "{e:?}");
    assert!((e.brier - 0.16).abs() < 1e-15);
    assert_eq!(e.positive_rate, 0.5);
    assert_eq!(e.flagged_share, 0.5);
    assert!((e.precision_at_action - 0.8).abs() < 1e-15);
    assert!((e.capture_at_action - 0.8).abs() < 1e-15);
    // Every probability equal: nothing to rank, 0.5.
    let e = expected_performance(&[0.3; 4], 0.5).unwrap();
    assert!((e.roc_auc - 0.5).abs() < 1e-15);
    assert!(e.precision_at_action.is_nan());
    assert!(expected_performance(&[], 0.5).is_none());
    assert!(expected_performance(&[0.0, 0.0], 0.5).is_none());
}

#[test]
fn movement_by_hand() {
    use erosion_monitor::{movement, Scored};
    let s = |id: &str, band: &str, reason: &str| Scored {
        id: id.into(),
        band: band.into(),
        top_reason: Some(reason.into()),
    };
    let before = [
        s("a", "watch", "2 complaints in 30 days (raises risk)"),
        s("b", "watch", "opted out of email (raises risk)"),
        s("c", "healthy", "12 purchases (lowers risk)"),
        s("gone", "critical", "x"),
    ];
    let tonight = [
        s("a", "at_risk", "3 complaints in 30 days (raises risk)"),
        s("b", "at_risk", "no visit in 45 days (raises risk)"),
        s("c", "healthy", "12 purchases (lowers risk)"),
        s("new", "watch", "y"),
    ];
    let m = movement(&before, &tonight);
    assert_eq!((m.in_both, m.only_previous, m.only_tonight), (3, 1, 1));
    let pairs: Vec<(&str, &str, usize)> = m
        .transitions
        .iter()
        .map(|t| (t.from.as_str(), t.to.as_str(), t.customers))
        .collect();
    assert_eq!(pairs, [("healthy", "healthy", 1), ("watch", "at_risk", 2)]);
    // a's reason only changed its number; b's changed what it is about
    assert_eq!(m.top_reason_changed, 1);
    assert_eq!(m.top_reason_changed_examples, ["b"]);
}
