//! Audits the committed Telco fixture (out-of-fold logistic regression scores)
//! by gender and SeniorCitizen, mitigates for equal opportunity, and writes the
//! report into the directory given as the first argument (default `telco-audit`).
//!
//! `cargo run -p erosion-report --example telco_audit -- /tmp/telco-audit`

use std::path::PathBuf;

use erosion_fairness::{audit, AuditConfig, AuditData, MitigationConstraint};
use erosion_report::{write_audit, AuditInputs};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "telco-audit".into()),
    );
    let text = include_str!("../../erosion-fairness/tests/fixtures/telco_oof.csv");
    let (mut labels, mut scores, mut gender, mut senior) = (vec![], vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        gender.push(f[1].to_string());
        senior.push(f[2].to_string());
        labels.push(f[3] == "1");
        scores.push(f[4].parse::<f64>()?);
    }
    let groups = vec![
        ("gender".to_string(), gender),
        ("SeniorCitizen".to_string(), senior),
    ];
    let data = AuditData {
        labels: &labels,
        scores: &scores,
        decisions: None,
        groups: &groups,
    };
    let config = AuditConfig {
        mitigation: Some(MitigationConstraint::EqualOpportunity),
        ..AuditConfig::default()
    };
    let report = audit(&data, &config)?;
    let inputs = AuditInputs {
        title: Some("Fairness audit: Telco churn, logistic regression (out-of-fold)".into()),
        model: Some("logistic regression, 5-fold out-of-fold".into()),
        data: Some("Telco-Customer-Churn.csv".into()),
        label: Some("Churn (1 = left)".into()),
        score: Some("score".into()),
        flag_meaning: Some("flagged as likely to leave".into()),
        generated_by: Some(format!("erosion-report {}", env!("CARGO_PKG_VERSION"))),
    };
    for p in write_audit(&report, &inputs, &out)? {
        println!("{}", p.display());
    }
    Ok(())
}
