//! Every number Fairlearn 0.15 (and the scikit-learn metrics it wraps) computes on
//! the committed Telco fixture must match ours to 1e-9. The fixture and the
//! expected values come from `tests/fixtures/make_fairlearn_expected.py`.

use erosion_fairness::{audit, AuditConfig, AuditData, FairnessReport, GroupingReport, Metric};
use serde_json::Value;

const TOL: f64 = 1e-9;

struct Fixture {
    labels: Vec<bool>,
    scores: Vec<f64>,
    groups: Vec<(String, Vec<String>)>,
}

fn load_fixture() -> Fixture {
    let text = include_str!("fixtures/telco_oof.csv");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("customerID,gender,SeniorCitizen,Churn,score")
    );
    let (mut labels, mut scores, mut gender, mut senior) = (vec![], vec![], vec![], vec![]);
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 5, "bad fixture line {line}");
        gender.push(f[1].to_string());
        senior.push(f[2].to_string());
        labels.push(match f[3] {
            "1" => true,
            "0" => false,
            other => panic!("label {other}"),
        });
        scores.push(f[4].parse::<f64>().unwrap());
    }
    Fixture {
        labels,
        scores,
        groups: vec![("gender".into(), gender), ("SeniorCitizen".into(), senior)],
    }
}

fn expected() -> Value {
    serde_json::from_str(include_str!("fixtures/fairlearn_expected.json")).unwrap()
}

fn run(fx: &Fixture, threshold: f64) -> FairnessReport {
    let data = AuditData {
        labels: &fx.labels,
        scores: &fx.scores,
        decisions: None,
        groups: &fx.groups,
    };
    // Point estimates do not depend on the bootstrap; keep the test fast.
    let config = AuditConfig {
        threshold,
        bootstrap_replicates: 0,
        ..AuditConfig::default()
    };
    audit(&data, &config).unwrap()
}

struct Checker {
    max_diff: f64,
    compared: usize,
}

impl Checker {
    fn check(&mut self, what: &str, ours: Option<f64>, theirs: &Value) {
        let theirs = theirs
            .as_f64()
            .unwrap_or_else(|| panic!("{what}: expected value missing"));
        let ours =
            ours.unwrap_or_else(|| panic!("{what}: we report no value, Fairlearn says {theirs}"));
        let d = (ours - theirs).abs();
        assert!(
            d <= TOL,
            "{what}: ours {ours} vs Fairlearn {theirs} (diff {d:e})"
        );
        self.max_diff = self.max_diff.max(d);
        self.compared += 1;
    }
}

fn metric_by_name(name: &str) -> Option<Metric> {
    Metric::ALL.iter().copied().find(|m| m.name() == name)
}

fn grouping_for<'a>(report: &'a FairnessReport, columns: &[Value]) -> &'a GroupingReport {
    let cols: Vec<&str> = columns.iter().map(|c| c.as_str().unwrap()).collect();
    report
        .groupings
        .iter()
        .find(|g| g.columns == cols)
        .unwrap_or_else(|| panic!("no grouping {cols:?}"))
}

#[test]
#[allow(clippy::too_many_lines)] // known debt: split when next changed
fn matches_fairlearn_to_1e9() {
    let fx = load_fixture();
    let exp = expected();
    assert_eq!(exp["versions"]["fairlearn"], "0.15.0");
    assert_eq!(exp["rows"].as_u64().unwrap() as usize, fx.labels.len());
    let mut c = Checker {
        max_diff: 0.0,
        compared: 0,
    };
    let cases = exp["cases"].as_array().unwrap();
    let mut reports: Vec<(f64, FairnessReport)> = Vec::new();
    for case in cases {
        let t = case["threshold"].as_f64().unwrap();
        if !reports.iter().any(|(rt, _)| *rt == t) {
            reports.push((t, run(&fx, t)));
        }
        let report = &reports.iter().find(|(rt, _)| *rt == t).unwrap().1;
        let gr = grouping_for(report, case["columns"].as_array().unwrap());
        let tag = format!("t={t} {}", gr.name);
        for (name, m) in case["metrics"].as_object().unwrap() {
            if name == "count" {
                for (g, v) in m["by_group"].as_object().unwrap() {
                    assert_eq!(
                        gr.group(g).unwrap().count,
                        v.as_f64().unwrap() as u64,
                        "{tag} count {g}"
                    );
                }
                assert_eq!(report.overall.count as f64, m["overall"].as_f64().unwrap());
                continue;
            }
            let metric = metric_by_name(name).unwrap_or_else(|| panic!("unknown metric {name}"));
            c.check(
                &format!("{tag} {name} overall"),
                report.overall.metric(metric).value,
                &m["overall"],
            );
            let mut values = Vec::new();
            for (g, v) in m["by_group"].as_object().unwrap() {
                let ours = gr
                    .group(g)
                    .unwrap_or_else(|| panic!("{tag}: no group {g}"))
                    .metric(metric)
                    .value;
                c.check(&format!("{tag} {name} [{g}]"), ours, v);
                values.push(ours.unwrap());
            }
            assert_eq!(
                values.len(),
                gr.groups.len(),
                "{tag}: same groups as Fairlearn"
            );
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            c.check(
                &format!("{tag} {name} group_min"),
                Some(min),
                &m["group_min"],
            );
            c.check(
                &format!("{tag} {name} group_max"),
                Some(max),
                &m["group_max"],
            );
            let d = gr.disparity(metric);
            let lowest = gr
                .group(d.lowest.as_ref().unwrap())
                .unwrap()
                .metric(metric)
                .value;
            let highest = gr
                .group(d.highest.as_ref().unwrap())
                .unwrap()
                .metric(metric)
                .value;
            c.check(
                &format!("{tag} {name} lowest group"),
                lowest,
                &m["group_min"],
            );
            c.check(
                &format!("{tag} {name} highest group"),
                highest,
                &m["group_max"],
            );
            c.check(
                &format!("{tag} {name} difference between_groups"),
                d.between_groups_difference.value,
                &m["difference_between_groups"],
            );
            c.check(
                &format!("{tag} {name} difference to_overall"),
                d.to_overall_difference.value,
                &m["difference_to_overall"],
            );
            c.check(
                &format!("{tag} {name} ratio between_groups"),
                d.between_groups_ratio.value,
                &m["ratio_between_groups"],
            );
            c.check(
                &format!("{tag} {name} ratio to_overall"),
                d.to_overall_ratio.value,
                &m["ratio_to_overall"],
            );
        }
        for (key, v) in case["aggregates"].as_object().unwrap() {
            let parts: Vec<&str> = key.split('.').collect();
            let agg = gr
                .aggregate(parts[0], parts[1], parts.get(2).copied())
                .unwrap_or_else(|| panic!("{tag}: no aggregate {key}"));
            c.check(&format!("{tag} {key}"), agg.estimate.value, v);
        }
        for (g, rates) in case["wilson95"].as_object().unwrap() {
            let group = gr.group(g).unwrap();
            for (name, iv) in rates.as_object().unwrap() {
                let e = group.metric(metric_by_name(name).unwrap());
                c.check(&format!("{tag} {name} [{g}] wilson low"), e.ci_low, &iv[0]);
                c.check(
                    &format!("{tag} {name} [{g}] wilson high"),
                    e.ci_high,
                    &iv[1],
                );
            }
        }
    }
    eprintln!(
        "compared {} numbers with Fairlearn/statsmodels; max abs diff {:e}",
        c.compared, c.max_diff
    );
    assert!(c.compared > 900, "compared only {}", c.compared);
}

#[test]
fn bootstrap_on_telco_is_seeded_and_brackets_the_estimate() {
    let fx = load_fixture();
    let data = AuditData {
        labels: &fx.labels,
        scores: &fx.scores,
        decisions: None,
        groups: &fx.groups,
    };
    let config = AuditConfig {
        bootstrap_replicates: 100,
        seed: 7,
        ..AuditConfig::default()
    };
    let a = audit(&data, &config).unwrap();
    // Same seed, one thread: identical numbers (independent of thread count).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let b = pool.install(|| audit(&data, &config).unwrap());
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    let c = audit(
        &data,
        &AuditConfig {
            seed: 8,
            ..config.clone()
        },
    )
    .unwrap();
    assert_ne!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&c).unwrap()
    );

    for gr in &a.groupings {
        for g in &gr.groups {
            for m in [Metric::RocAuc, Metric::Brier, Metric::MeanScore] {
                let e = g.metric(m);
                let (lo, hi) = e.interval_pair().unwrap();
                let v = e.value.unwrap();
                assert!(
                    lo <= v && v <= hi,
                    "{} {} {m:?}: {v} not in [{lo}, {hi}]",
                    gr.name,
                    g.group
                );
                assert!(hi - lo < 0.2, "{m:?} interval too wide");
            }
        }
        let eo = gr
            .aggregate(
                "equalized_odds_difference",
                "between_groups",
                Some("worst_case"),
            )
            .unwrap();
        let (lo, hi) = eo
            .estimate
            .interval_pair()
            .expect("equalized odds gets an interval");
        assert!(lo < hi);
    }
    // Women and men are flagged at similar rates in Telco; seniors far more often.
    let senior = a
        .grouping("SeniorCitizen")
        .unwrap()
        .disparity(Metric::SelectionRate);
    assert_eq!(senior.highest.as_deref(), Some("1"));
    assert!(senior.highest_over_lowest.excludes(1.0).unwrap());
    assert!(
        a.findings
            .iter()
            .any(|f| f.significant && f.text.contains("SeniorCitizen = 1")),
        "{:#?}",
        a.findings
    );
}
