//! Times a full audit (two group columns and their intersection, 1,000 bootstrap
//! replicates by default) on data written by `benches/fairness_peer.py`:
//! `labels.u8`, `scores.f64` (little endian), `gender.u8`, `age_band.u8` in DIR.
//!
//! `cargo run --release -p erosion-fairness --example bench_audit -- DIR [REPLICATES]`
//!
//! Prints one JSON line with the timings; loading the files is not timed.

use std::time::Instant;

use erosion_fairness::{audit, AuditConfig, AuditData, Metric};

const GENDER: [&str; 2] = ["F", "M"];
const AGE: [&str; 5] = ["18-29", "30-44", "45-59", "60-74", "75+"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: bench_audit DIR [REPLICATES]")?,
    );
    let replicates: usize = std::env::args()
        .nth(2)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1000);
    let labels: Vec<bool> = std::fs::read(dir.join("labels.u8"))?
        .into_iter()
        .map(|b| b == 1)
        .collect();
    let scores: Vec<f64> = std::fs::read(dir.join("scores.f64"))?
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    let gender: Vec<String> = std::fs::read(dir.join("gender.u8"))?
        .into_iter()
        .map(|b| GENDER[b as usize].to_string())
        .collect();
    let age: Vec<String> = std::fs::read(dir.join("age_band.u8"))?
        .into_iter()
        .map(|b| AGE[b as usize].to_string())
        .collect();
    let groups = vec![
        ("gender".to_string(), gender),
        ("age_band".to_string(), age),
    ];
    let data = AuditData {
        labels: &labels,
        scores: &scores,
        decisions: None,
        groups: &groups,
    };
    let config = AuditConfig {
        bootstrap_replicates: replicates,
        ..AuditConfig::default()
    };

    let t = Instant::now();
    let point = audit(
        &data,
        &AuditConfig {
            bootstrap_replicates: 0,
            ..config.clone()
        },
    )?;
    let point_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let full = audit(&data, &config)?;
    let full_s = t.elapsed().as_secs_f64();
    let sr = full
        .grouping("gender × age_band")
        .ok_or("no intersection")?
        .disparity(Metric::SelectionRate);
    assert_eq!(
        point.overall.metric(Metric::RocAuc).value,
        full.overall.metric(Metric::RocAuc).value
    );
    println!(
        "{{\"rows\": {}, \"replicates\": {replicates}, \"threads\": {}, \"point_estimates_s\": {point_s:.3}, \"full_audit_s\": {full_s:.3}, \"score_bins\": {}, \"overall_auc\": {}, \"intersection_dp_difference\": {}, \"dp_difference_ci\": [{}, {}]}}",
        labels.len(),
        rayon::current_num_threads(),
        full.settings.score_bins,
        full.overall.metric(Metric::RocAuc).value.unwrap_or(f64::NAN),
        sr.between_groups_difference.value.unwrap_or(f64::NAN),
        sr.between_groups_difference.ci_low.unwrap_or(f64::NAN),
        sr.between_groups_difference.ci_high.unwrap_or(f64::NAN),
    );
    Ok(())
}
