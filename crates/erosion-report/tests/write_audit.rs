//! Writes a full audit to a temporary directory and checks the files.

use erosion_fairness::{
    audit, AuditConfig, AuditData, FairnessReport, Metric, MitigationConstraint,
};
use erosion_report::{group_metrics_csv, write_audit, AuditInputs};

/// Labels, scores and named group columns.
type Table = (Vec<bool>, Vec<f64>, Vec<(String, Vec<String>)>);

fn telco_with_tiny_region() -> Table {
    let text = include_str!("../../erosion-fairness/tests/fixtures/telco_oof.csv");
    let (mut labels, mut scores, mut gender, mut region) = (vec![], vec![], vec![], vec![]);
    for (i, line) in text.lines().skip(1).enumerate().take(2500) {
        let f: Vec<&str> = line.split(',').collect();
        gender.push(f[1].to_string());
        // A made-up region with one tiny group, to show insufficient evidence.
        region.push(
            if i % 200 == 0 {
                "island"
            } else if i % 2 == 0 {
                "north"
            } else {
                "south"
            }
            .to_string(),
        );
        labels.push(f[3] == "1");
        scores.push(f[4].parse::<f64>().unwrap());
    }
    (
        labels,
        scores,
        vec![("gender".into(), gender), ("region".into(), region)],
    )
}

fn report() -> FairnessReport {
    let (labels, scores, groups) = telco_with_tiny_region();
    let data = AuditData {
        labels: &labels,
        scores: &scores,
        decisions: None,
        groups: &groups,
    };
    let config = AuditConfig {
        bootstrap_replicates: 60,
        mitigation: Some(MitigationConstraint::DemographicParity),
        ..AuditConfig::default()
    };
    audit(&data, &config).unwrap()
}

#[test]
fn writes_json_csv_plots_and_a_self_contained_html() {
    let report = report();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("audit");
    let inputs = AuditInputs {
        title: Some("Test audit".into()),
        ..AuditInputs::default()
    };
    let files = write_audit(&report, &inputs, &out).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "fairness.json",
        "group_metrics.csv",
        "metrics_gender.svg",
        "metrics_gender.png",
        "disparity_region.png",
        "roc_gender_x_region.svg",
        "calibration_gender.png",
        "tradeoff_gender.png",
        "report.html",
    ] {
        assert!(
            names.contains(&want.to_string()),
            "{want} missing from {names:?}"
        );
    }
    assert_eq!(names.last().unwrap(), "report.html");
    for f in &files {
        let meta = std::fs::metadata(f).unwrap();
        assert!(meta.len() > 200, "{} is nearly empty", f.display());
        if f.extension().unwrap() == "png" {
            let bytes = std::fs::read(f).unwrap();
            assert_eq!(
                &bytes[..8],
                b"\x89PNG\r\n\x1a\n",
                "{} is a PNG",
                f.display()
            );
        }
    }
    // No temporary files left behind.
    for entry in std::fs::read_dir(&out).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with(".tmp-"), "temporary file {name} left");
    }
    // JSON reads back into a report (floats to the last bit or so: serde_json's
    // default float parser is not always correctly rounded).
    let json = std::fs::read_to_string(out.join("fairness.json")).unwrap();
    let back: FairnessReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back.groupings.len(), report.groupings.len());
    assert_eq!(back.findings, report.findings);
    let sr = |r: &FairnessReport| {
        r.grouping("gender")
            .unwrap()
            .group("Male")
            .unwrap()
            .metric(Metric::SelectionRate)
            .value
            .unwrap()
    };
    assert!((sr(&back) - sr(&report)).abs() < 1e-15);
    assert!(json.contains("\"demographic_parity_difference\""));
    assert!(json.contains("\"definition\""));

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("<script"), "no JavaScript");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network references"
    );
    assert!(html.contains("data:image/png;base64,"));
    // the verdict box comes first, under the title, one line per grouping
    let verdict = html.find("<div class=verdict>").expect("a verdict box");
    assert!(
        verdict < html.find("<h2>").unwrap(),
        "the verdict box is on top"
    );
    let boxed = &html[verdict..html[verdict..].find("</div>").unwrap() + verdict];
    for g in &report.groupings {
        assert!(
            boxed.contains(&format!("<b>By {}:</b> four-fifths rule", g.name)),
            "{boxed}"
        );
    }
    assert!(
        html.contains("bias-corrected percentile (BC)"),
        "the interval method is named"
    );
    let summary = html.find("Summary").unwrap();
    let detail = html.find("Metrics by group").unwrap();
    assert!(summary < detail, "summary comes first");
    assert!(html.contains("unlawful"));
    assert!(html.contains("The model flags"));
    assert!(html.contains("island"), "small group is named");
    assert!(html.contains("Mitigation: demographic_parity"));
}

#[test]
fn csv_has_one_row_per_group_and_blank_cells_for_small_groups() {
    let report = report();
    let csv = group_metrics_csv(&report);
    let lines: Vec<&str> = csv.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header.len(), 6 + 3 * Metric::ALL.len());
    let groups: usize = report.groupings.iter().map(|g| g.groups.len()).sum();
    assert_eq!(lines.len(), 1 + 1 + groups);
    let island = lines
        .iter()
        .find(|l| l.starts_with("region,island,"))
        .unwrap();
    let cells: Vec<&str> = island.split(',').collect();
    assert_eq!(cells[2], "13");
    assert_eq!(cells[5], "insufficient_evidence");
    assert!(cells[6..].iter().all(|c| c.is_empty()), "{island}");
    let col = header.iter().position(|h| *h == "selection_rate").unwrap();
    let female = lines
        .iter()
        .find(|l| l.starts_with("gender,Female,"))
        .unwrap();
    let v: f64 = female.split(',').nth(col).unwrap().parse().unwrap();
    let expected = report
        .grouping("gender")
        .unwrap()
        .group("Female")
        .unwrap()
        .metric(Metric::SelectionRate)
        .value
        .unwrap();
    assert_eq!(v, expected);
}
