//! Hand-computed expectations on a small fixture, per family, and the leakage property.

use super::*;
use erosion_core::model::{EventLogBuilder, NO_CHANNEL};
use erosion_core::time::{parse_date, DAY_MS};
use erosion_core::EventLog;
use proptest::prelude::*;

fn day(n: i64) -> i64 {
    parse_date("2024-01-01").unwrap() + n * DAY_MS
}

fn push(b: &mut EventLogBuilder, id: &str, d: i64, kind: &str, value: f64, pers: Option<bool>) {
    let c = b.customer(id);
    let k = b.kind(kind);
    b.push(c, day(d), k, value, NO_CHANNEL, pers);
}

fn fixture() -> EventLog {
    let mut b = EventLogBuilder::default();
    let n = f64::NAN;
    // a: the customer every expectation below is computed for by hand
    push(&mut b, "a", 5, "opt_in", n, None);
    push(&mut b, "a", 10, "purchase", 20.0, None);
    push(&mut b, "a", 20, "nps", 9.0, None);
    push(&mut b, "a", 40, "purchase", 30.0, None);
    push(&mut b, "a", 60, "opt_out", n, None);
    push(&mut b, "a", 70, "nps", 5.0, None);
    push(&mut b, "a", 80, "purchase", 10.0, None);
    push(&mut b, "a", 85, "email_sent", n, Some(true));
    push(&mut b, "a", 86, "email_open", n, Some(true));
    push(&mut b, "a", 90, "email_sent", n, Some(false));
    push(&mut b, "a", 92, "csat", 2.0, None);
    push(&mut b, "a", 93, "complaint", n, None);
    push(&mut b, "a", 95, "visit", n, None);
    push(&mut b, "a", 95, "personalized_view", n, Some(true));
    push(&mut b, "a", 96, "why_this_click", n, Some(true));
    push(&mut b, "a", 99, "loyalty_points", n, None);
    // at and after the cutoff (day 100): only labels may see these
    push(&mut b, "a", 100, "purchase", 999.0, None);
    push(&mut b, "a", 110, "unsubscribe", n, None);
    push(&mut b, "a", 120, "visit", n, None);
    // b: never active (only emails) -> not in the table
    push(&mut b, "b", 50, "email_sent", n, Some(false));
    push(&mut b, "b", 200, "email_sent", n, Some(false));
    // c: asked for deletion before the cutoff -> left out and counted
    push(&mut b, "c", 10, "visit", n, None);
    push(&mut b, "c", 20, "data_deletion_request", n, None);
    // d: one purchase, then silence -> churn
    push(&mut b, "d", 5, "purchase", 15.0, None);
    b.finish()
}

fn value(t: &FeatureTable, row: usize, name: &str) -> f64 {
    let j = t
        .names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no feature {name}"));
    t.columns[j][row]
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() < 1e-9
}

macro_rules! check {
    ($t:expr, $row:expr, $($name:literal => $want:expr),* $(,)?) => {
        $( let got = value(&$t, $row, $name);
           assert!(close(got, $want), "{}: got {got}, want {}", $name, $want); )*
    };
}

/// Every customer ever active (`--active-within all`), so that `d`, silent for 95 days, has a
/// row whose values the tests below check by hand.
fn all_time() -> FeatureConfig {
    FeatureConfig {
        active_within_days: None,
        ..FeatureConfig::default()
    }
}

fn table() -> FeatureTable {
    compute(&fixture(), None, &[day(100)], &all_time())
}

fn reasons(t: &FeatureTable, log: &EventLog) -> Vec<(String, LeftOut)> {
    t.left_out
        .iter()
        .map(|r| (log.customer_ids[r.customer as usize].clone(), r.reason))
        .collect()
}

#[test]
fn population_deletions_and_order() {
    let t = table();
    assert_eq!(t.customer_id, vec!["a", "d"]);
    let want = vec![
        ("b".to_string(), LeftOut::NoActivity),
        ("c".to_string(), LeftOut::Erased),
    ];
    assert_eq!(reasons(&t, &fixture()), want);
    assert_eq!(t.left_out_counts(day(100)), [1, 0, 0, 1]);
    assert_eq!(t.observed_until, day(201));
    // With the default rule (active within the 90-day horizon) d, silent for 95 days, lapsed.
    let t = compute(&fixture(), None, &[day(100)], &FeatureConfig::default());
    assert_eq!(t.customer_id, vec!["a"]);
    assert_eq!(t.left_out_counts(day(100)), [1, 0, 1, 1]);
}

/// A hand-made history: a name, (day, event type) pairs, and whether it is in the population.
type Case<'a> = (&'a str, &'a [(i64, &'a str)], Result<(), LeftOut>);

/// The population rule on hand-made histories: one customer per case, cutoff day 200.
#[test]
fn population_rule_cases() {
    let mut b = EventLogBuilder::default();
    let n = f64::NAN;
    let cases: &[Case] = &[
        ("active", &[(10, "purchase"), (150, "visit")], Ok(())),
        ("boundary", &[(110, "visit")], Ok(())), // exactly 90 days before
        (
            "lapsed",
            &[(10, "purchase"), (109, "visit")],
            Err(LeftOut::Lapsed),
        ),
        (
            "cancelled",
            &[(150, "purchase"), (160, "cancel")],
            Err(LeftOut::Cancelled),
        ),
        ("came_back", &[(100, "cancel"), (170, "purchase")], Ok(())),
        ("returning", &[(5, "purchase"), (190, "visit")], Ok(())),
        (
            "new",
            &[(150, "email_sent"), (199, "opt_in")],
            Err(LeftOut::NoActivity),
        ),
        (
            "erased_before",
            &[(150, "visit"), (160, "data_deletion_request")],
            Err(LeftOut::Erased),
        ),
        (
            "erased_after",
            &[(150, "visit"), (260, "data_deletion_request")],
            Err(LeftOut::Erased),
        ),
        ("cancel_after", &[(150, "visit"), (210, "cancel")], Ok(())),
        (
            "future_only",
            &[(150, "email_open"), (205, "purchase")],
            Err(LeftOut::NoActivity),
        ),
    ];
    for (id, events, _) in cases {
        for &(d, kind) in events.iter() {
            push(&mut b, id, d, kind, n, None);
        }
    }
    let log = b.finish();
    let t = compute(&log, None, &[day(200)], &FeatureConfig::default());
    let left = reasons(&t, &log);
    for (id, _, want) in cases {
        let got = match left.iter().find(|(c, _)| c == id) {
            Some((_, r)) => Err(*r),
            None => Ok(()),
        };
        assert_eq!(&got, want, "{id}");
        assert_eq!(
            t.customer_id.contains(&id.to_string()),
            want.is_ok(),
            "{id}"
        );
    }
    // `all` keeps the lapsed customer; nothing else changes.
    let t = compute(&log, None, &[day(200)], &all_time());
    assert!(t.customer_id.contains(&"lapsed".to_string()));
    assert_eq!(t.left_out_counts(day(200)), [2, 1, 0, 2]);
}

#[test]
fn activity_family() {
    let t = table();
    check!(t, 0,
        "recency_days" => 20.0,
        "days_since_last_activity" => 5.0,
        "tenure_days" => 95.0,
        "purchases_total" => 3.0,
        "monetary_total" => 60.0,
        "monetary_mean" => 20.0,
        "purchase_gap_mean_days" => 35.0,
        "purchase_gap_std_days" => 50f64.sqrt(),
        "overdue_ratio" => 20.0 / 35.0,
        "purchases_30d" => 1.0,
        "monetary_30d" => 10.0,
        "purchases_90d" => 2.0,
        "monetary_90d" => 40.0,
        "purchases_365d" => 3.0,
        "activity_30d" => 2.0,
        // previous 30 days are [30, 60) days before the cutoff: nothing (day 40 is 60 days before)
        "activity_trend_30d" => (3.0f64).ln(),
        "has_cancelled" => 0.0,
    );
    // d: a single purchase has no rhythm
    check!(t, 1,
        "purchase_gap_mean_days" => f64::NAN,
        "overdue_ratio" => f64::NAN,
        "recency_days" => 95.0,
    );
}

/// The change features of `a` at day 100: four activities (purchases on days 10, 40 and 80, a
/// visit on day 95) over 95 days of history.
#[test]
fn change_features() {
    let t = table();
    let per_day = 4.0 / 95.0;
    // Weekly counts, oldest to latest over 13 weeks: 1 at weeks 0, 4, 10 and 12 (x), mean 4/13.
    let (sxy, sxx) = (2.0, 182.0);
    check!(t, 0,
        "activity_per_week" => 7.0 * per_day,
        "activity_missed" => 5.0 * per_day,
        "activity_vs_baseline" => (2.5 / (30.0 * per_day + 0.5)).ln(),
        "activity_slope_13w" => sxy / sxx / (4.0 / 13.0 + 0.1),
        "purchases_per_visit_90d" => 2.0,
        "email_open_rate_vs_baseline" => 0.0,
        "why_this_per_personalized_touch_90d" => 0.5,
        "nps_vs_mean" => -2.0,
        "days_since_nps_drop" => 30.0,
    );
    // Silence and response: a's latest event (loyalty points) is a day old; 16 events in 95 days.
    let w = |age: f64| 0.5f64.powf(age / 180.0);
    check!(t, 0,
        "days_since_last_event" => 1.0,
        "days_since_last_engagement" => 1.0,
        "events_missed" => 16.0 / 95.0,
        "days_since_nps" => 30.0,
        "nps_recent" => (9.0 * w(80.0) + 5.0 * w(30.0)) / (w(80.0) + w(30.0)),
        "csat_recent" => 2.0,
        "email_clicks_per_open_365d" => 0.0,
        "recommendation_clicks_per_view_365d" => 0.0,
        "personalized_bounce_rate_365d" => 0.0,
    );
    // d: one purchase 95 days ago, no NPS answer
    check!(t, 1,
        "days_since_last_event" => 95.0,
        "events_missed" => 1.0,
        "days_since_nps" => f64::NAN,
        "nps_recent" => f64::NAN,
        "email_clicks_per_open_365d" => f64::NAN,
        "activity_missed" => 95.0 * 1.0 / 95.0,
        "nps_vs_mean" => f64::NAN,
        "days_since_nps_drop" => f64::NAN,
        "purchases_per_visit_90d" => f64::NAN,
    );
}

#[test]
fn engagement_and_exposure_families() {
    let t = table();
    check!(t, 0,
        "emails_sent_30d" => 2.0,
        "email_open_rate_30d" => 0.5,
        "email_click_rate_30d" => 0.0,
        "email_open_rate_change_30d" => f64::NAN,
        "visits_30d" => 1.0,
        "personalized_touches_per_week_30d" => 2.0 / (30.0 / 7.0),
        "personalized_response_rate_30d" => 0.5,
        "personalization_fatigue_30d" => 2.0 / (30.0 / 7.0) * 0.5,
        "unsubscribed" => 0.0,
    );
    // d never received an email: no open rate, not 0
    check!(t, 1, "email_open_rate_365d" => f64::NAN, "personalized_response_rate_90d" => f64::NAN,
        "personalization_fatigue_90d" => 0.0);
}

#[test]
fn transparency_and_voice_families() {
    let t = table();
    check!(t, 0,
        "why_this_clicks_30d" => 1.0,
        "consent_opted_in" => 0.0,
        "consent_opted_out" => 1.0,
        "days_since_consent_change" => 40.0,
        "nps_last" => 5.0,
        "nps_mean" => 7.0,
        "nps_change" => -4.0,
        "csat_last" => 2.0,
        "csat_change" => f64::NAN,
        "complaints_30d" => 1.0,
        "review_mean" => f64::NAN,
        "custom_loyalty_points_30d" => 1.0,
    );
    check!(t, 1, "nps_last" => f64::NAN, "days_since_consent_change" => f64::NAN);
}

#[test]
fn trust_family() {
    let t = table();
    // credibility: 1 / (1 + 0 + 0 + 0 + 2 (opted out))
    let cred = 1.0 / 3.0;
    // reliability: mean of 1 / (1 + 1 complaint) and (2 - 1) / 4
    let rel = 0.5 * (0.5 + 0.25);
    // intimacy: mean of the 90-day open rate (1 open / 2 sent) and nps 5 / 10
    let int = 0.5 * (0.5 + 0.5);
    // self-orientation: 1 + fatigue over 90 days: 2 touches in 90/7 weeks, half answered
    let so = 1.0 + 2.0 / (90.0 / 7.0) * 0.5;
    check!(t, 0,
        "trust_credibility" => cred,
        "trust_reliability" => rel,
        "trust_intimacy" => int,
        "trust_self_orientation" => so,
        "trust_index" => (cred + rel + int) / so,
    );
}

#[test]
fn labels() {
    let t = table();
    assert_eq!(t.churn, vec![Some(false), Some(true)]);
    assert_eq!(t.erosion, vec![Some(true), Some(true)]);
    // A horizon past the data's end has no label.
    let late = compute(&fixture(), None, &[day(150)], &all_time());
    assert!(late.churn.iter().all(Option::is_none));
    // Several cutoffs stack, ordered by cutoff.
    let both = compute(&fixture(), None, &[day(100), day(30)], &all_time());
    assert_eq!(both.cutoff.first(), Some(&day(100)));
    assert_eq!(both.len(), 2 + 2);
}

#[test]
fn catalogue_matches_columns() {
    let cfg = FeatureConfig::default();
    let cat = catalogue(&cfg, &["loyalty_points".to_string()]);
    let t = table();
    assert_eq!(
        cat.iter().map(|d| d.name.clone()).collect::<Vec<_>>(),
        t.names
    );
    let mut seen = std::collections::HashSet::new();
    assert!(
        cat.iter().all(|d| seen.insert(d.name.clone())),
        "names are unique"
    );
    assert!(cat.iter().all(|d| !d.description.is_empty()));
}

fn same_bits(a: &FeatureTable, b: &FeatureTable) -> bool {
    a.names == b.names
        && a.customer_id == b.customer_id
        && a.columns
            .iter()
            .zip(&b.columns)
            .all(|(x, y)| x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()))
}

#[test]
fn events_at_or_after_the_cutoff_change_no_feature() {
    let base = table();
    let mut log = fixture();
    // change every event at or after the cutoff, and add more
    for i in 0..log.len() {
        if log.timestamp[i] >= day(100) {
            log.value[i] = 12345.0;
            log.timestamp[i] += 3 * DAY_MS;
        }
    }
    let a = log.customer_ids.iter().position(|x| x == "a").unwrap() as u32;
    for (d, k) in [
        (100, erosion_core::EventType::Complaint),
        (101, erosion_core::EventType::Purchase),
    ] {
        log.customer.push(a);
        log.timestamp.push(day(d));
        log.kind.push(erosion_core::EventKind::Known(k));
        log.value.push(5.0);
        log.channel.push(NO_CHANNEL);
        log.personalized.push(Some(true));
    }
    let after = compute(&log, None, &[day(100)], &all_time());
    assert!(same_bits(&base, &after));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Whatever happens at or after the cutoff, every feature before it is unchanged (a deletion
    /// request is the one exception: it erases the customer, see `erasure_is_not_only_forward`).
    #[test]
    fn no_leakage(
        before in proptest::collection::vec((0u8..4, 0i64..99, 0usize..25, 0.0f64..10.0), 1..60),
        after in proptest::collection::vec((0u8..4, 100i64..300, 0usize..25, 0.0f64..10.0), 0..60),
    ) {
        let build = |events: &[(u8, i64, usize, f64)]| {
            let mut b = EventLogBuilder::default();
            for id in ["p", "q", "r", "s"] { b.customer(id); }
            for &(c, d, k, v) in events {
                let kind = erosion_core::EventKind::Known(erosion_core::EventType::ALL[k]);
                b.push(c as u32, day(d), kind, v, NO_CHANNEL, Some(v > 5.0));
            }
            b.finish()
        };
        let cfg = FeatureConfig { observed_until: Some(day(400)), ..FeatureConfig::default() };
        let erase = erosion_core::EventType::ALL
            .iter()
            .position(|&t| t == erosion_core::EventType::DataDeletionRequest)
            .unwrap();
        let only = build(&before);
        let mut all_events = before.clone();
        all_events.extend(after.iter().copied().filter(|e| e.2 != erase));
        let both = build(&all_events);
        let x = compute(&only, None, &[day(100)], &cfg);
        let y = compute(&both, None, &[day(100)], &cfg);
        prop_assert!(same_bits(&x, &y));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// A customer with a deletion request anywhere (before, at or after any cutoff) is in no row.
    #[test]
    fn erasure_is_not_only_forward(
        events in proptest::collection::vec((0u8..4, 0i64..300, 0usize..25), 1..80),
        cutoffs in proptest::collection::vec(1i64..300, 1..4),
    ) {
        let mut b = EventLogBuilder::default();
        for id in ["p", "q", "r", "s"] { b.customer(id); }
        for &(c, d, k) in &events {
            let kind = erosion_core::EventKind::Known(erosion_core::EventType::ALL[k]);
            b.push(c as u32, day(d), kind, 1.0, NO_CHANNEL, None);
        }
        let log = b.finish();
        let cutoffs: Vec<i64> = cutoffs.iter().map(|&d| day(d)).collect();
        let erased: Vec<&str> = events
            .iter()
            .filter(|e| erosion_core::EventType::ALL[e.2] == erosion_core::EventType::DataDeletionRequest)
            .map(|e| ["p", "q", "r", "s"][e.0 as usize])
            .collect();
        for cfg in [FeatureConfig::default(), all_time()] {
            let t = compute(&log, None, &cutoffs, &cfg);
            for id in &t.customer_id {
                prop_assert!(!erased.contains(&id.as_str()), "{} erased but has a row", id);
            }
        }
    }
}

/// A log of `events` (customer, timestamp), in the given order, over `customers` ids.
fn log_of(customers: usize, events: &[(u32, i64)]) -> EventLog {
    let mut b = EventLogBuilder::default();
    for c in 0..customers {
        b.customer(&format!("c{c}"));
    }
    let kind = erosion_core::EventKind::Known(erosion_core::EventType::Visit);
    for &(c, t) in events {
        b.push(c, t, kind, f64::NAN, NO_CHANNEL, None);
    }
    b.finish()
}

/// The groups `order_by_customer_time` reports: each customer's range of the order.
fn groups_of(log: &EventLog, order: &[u32]) -> Vec<(usize, usize)> {
    let mut groups = Vec::new();
    let mut s = 0;
    for i in 1..=order.len() {
        if i == order.len() || log.customer[order[i] as usize] != log.customer[order[s] as usize] {
            groups.push((s, i));
            s = i;
        }
    }
    groups
}

#[test]
fn counting_sort_orders_like_the_comparison_sort() {
    // Empty, one event, customers without events, interleaved customers, ties in time (kept
    // in log order), a customer already in time order and one in reverse.
    let cases: Vec<(usize, Vec<(u32, i64)>)> = vec![
        (0, vec![]),
        (3, vec![]),
        (1, vec![(0, 5)]),
        (
            4,
            vec![
                (2, 9),
                (0, 3),
                (2, 1),
                (0, 3),
                (3, 7),
                (2, 9),
                (0, 1),
                (3, 8),
                (2, 5),
            ],
        ),
        (2, (0..50).map(|i| (i % 2, 100 - i as i64 / 2)).collect()),
    ];
    for (customers, events) in cases {
        let log = log_of(customers, &events);
        let want = log.order_by_customer_time();
        let (order, groups) = crate::compute::order_by_customer_time(&log);
        assert_eq!(order, want, "{events:?}");
        assert_eq!(groups, groups_of(&log, &want), "{events:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// The counting sort gives the order (customer, time, position) on any log, large enough
    /// to be split into several chunks and blocks.
    #[test]
    fn counting_sort_matches_on_random_logs(
        customers in 1usize..300,
        events in proptest::collection::vec((0u32..1000, 0i64..40), 0..20_000),
    ) {
        let events: Vec<(u32, i64)> =
            events.into_iter().map(|(c, t)| (c % customers as u32, t)).collect();
        let log = log_of(customers, &events);
        let want = log.order_by_customer_time();
        let (order, groups) = crate::compute::order_by_customer_time(&log);
        prop_assert_eq!(&order, &want);
        prop_assert_eq!(groups, groups_of(&log, &want));
    }
}

#[test]
fn signups_join_by_id_at_scale() {
    // Ids sharing a long prefix (as "C0000001") must still hash apart: the signup lookup of a
    // few hundred thousand customers stays fast, and each customer gets their own date.
    let n = 200_000;
    let mut b = EventLogBuilder::default();
    let ids: Vec<String> = (0..n).map(|i| format!("C{i:07}")).collect();
    for id in &ids {
        let c = b.customer(id);
        let k = b.kind("visit");
        b.push(c, day(10), k, f64::NAN, NO_CHANNEL, None);
    }
    let log = b.finish();
    let customers = erosion_core::Customers {
        ids: ids.clone(),
        signup: (0..n).map(|i| Some(day(-(i as i64 % 300)))).collect(),
        attributes: Vec::new(),
    };
    let t = std::time::Instant::now();
    let table = compute(
        &log,
        Some(&customers),
        &[day(20)],
        &FeatureConfig::default(),
    );
    assert!(t.elapsed().as_secs_f64() < 20.0, "took {:?}", t.elapsed());
    assert_eq!(table.len(), n);
    for (row, id) in table.customer_id.iter().enumerate().step_by(9973) {
        let i: i64 = id[1..].parse().unwrap();
        let tenure = value(&table, row, "tenure_days");
        assert!(close(tenure, 20.0 + (i % 300) as f64), "{id}: {tenure}");
    }
}
