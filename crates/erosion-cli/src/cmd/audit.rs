//! `erosion audit`: flags to an [`AuditRequest`], and the findings printed.

use crate::args::AuditArgs;
use erosion_core::Error;
use erosion_fairness::MitigationConstraint;
use erosion_pipeline::audit::{AuditRequest, AuditSource};
use erosion_pipeline::Failure;

/// Where the scores come from: `--model` with `--features`, or `--predictions` with `--label`
/// and `--score`.
fn source(a: &AuditArgs) -> Result<AuditSource, Error> {
    if let Some(model) = &a.model {
        let features = a
            .features
            .clone()
            .ok_or_else(|| Error::usage("--model needs --features (the table to score)"))?;
        return Ok(AuditSource::Model {
            model: model.clone(),
            features,
        });
    }
    let path = a.predictions.clone().ok_or_else(|| {
        Error::usage("give --model MODEL --features F, or --predictions F --label COL --score COL")
    })?;
    Ok(AuditSource::Predictions {
        path,
        label: a
            .label
            .clone()
            .ok_or_else(|| Error::usage("--predictions needs --label COL"))?,
        score: a
            .score
            .clone()
            .ok_or_else(|| Error::usage("--predictions needs --score COL"))?,
        positive: a.positive.clone(),
        decision: a.decision.clone(),
        id: a.id.clone(),
    })
}

/// The request the flags describe.
pub fn request(a: &AuditArgs) -> Result<AuditRequest, Failure> {
    Ok(AuditRequest {
        source: source(a)?,
        customers: a.customers.clone(),
        groups: a.group.clone(),
        threshold: a.threshold,
        references: erosion_pipeline::audit::parse_references(&a.reference)?,
        min_group_size: a.min_group_size,
        mitigation: a.mitigate.map(|m| {
            MitigationConstraint::parse(&crate::args::choice(&m))
                .expect("every --mitigate choice is a constraint (args tests)")
        }),
        bootstrap: a.bootstrap,
        seed: a.seed,
        out: a.out.clone(),
    })
}

pub fn run(a: &AuditArgs, quiet: bool) -> anyhow::Result<()> {
    audit(&request(a)?, quiet)
}

/// Audits as asked and prints the leading findings.
pub fn audit(r: &AuditRequest, quiet: bool) -> anyhow::Result<()> {
    let bars = crate::progress::Bars::new(quiet);
    let done = erosion_pipeline::audit::audit(r, &bars)?;
    bars.clear();
    erosion_io::outln!(
        "audited {} rows by {} at threshold {:.4}",
        done.rows,
        r.groups.join(", "),
        done.threshold
    );
    for f in done.report.findings.iter().take(6) {
        erosion_io::outln!("  - {}", f.text);
    }
    erosion_io::outln!(
        "wrote {} files; report: {}",
        done.files.len(),
        done.page.display()
    );
    Ok(())
}
