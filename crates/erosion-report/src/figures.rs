//! The audit's figures, built from a [`FairnessReport`] with the generic helpers
//! of [`crate::plots`].

use erosion_fairness::{FairnessReport, GroupingReport, Metric, Status};

use crate::plots::{Chart, DotWhiskerChart, DotWhiskerRow, Figure, LineChart, Series, SeriesMode};

/// A figure with its file name (without extension) and caption.
#[derive(Debug, Clone)]
pub struct NamedFigure {
    /// Grouping it belongs to.
    pub grouping: String,
    /// File name without extension, e.g. `metrics_gender`.
    pub file_stem: String,
    /// One-sentence caption.
    pub caption: String,
    /// The figure.
    pub figure: Figure,
}

/// A file-name-safe form of a grouping name (`gender × age` -> `gender_x_age`).
pub(crate) fn slug(name: &str) -> String {
    let mut s = String::new();
    for ch in name.chars() {
        match ch {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' => s.push(ch),
            '×' => s.push('x'),
            _ => {
                if !s.ends_with('_') {
                    s.push('_');
                }
            }
        }
    }
    s.trim_matches('_').to_string()
}

const PANEL_METRICS: [Metric; 6] = [
    Metric::SelectionRate,
    Metric::Tpr,
    Metric::Fpr,
    Metric::Precision,
    Metric::RocAuc,
    Metric::Brier,
];
const RATIO_METRICS: [Metric; 6] = [
    Metric::SelectionRate,
    Metric::Tpr,
    Metric::Fpr,
    Metric::Fnr,
    Metric::Precision,
    Metric::Accuracy,
];
const OVERALL_COLOR: usize = 6;

fn metric_panel(report: &FairnessReport, gr: &GroupingReport, m: Metric) -> Chart {
    let mut rows = vec![{
        let e = report.overall.metric(m);
        DotWhiskerRow {
            label: "overall".into(),
            value: e.value,
            low: e.ci_low,
            high: e.ci_high,
            note: e.reason.clone(),
            color: OVERALL_COLOR,
        }
    }];
    for (i, g) in gr.groups.iter().enumerate() {
        let e = g.metric(m);
        let note = match e.status {
            Status::InsufficientEvidence => {
                Some(format!("insufficient evidence (n = {})", g.count))
            }
            _ => e.reason.clone(),
        };
        rows.push(DotWhiskerRow {
            label: g.group.clone(),
            value: e.value,
            low: e.ci_low,
            high: e.ci_high,
            note,
            color: i,
        });
    }
    let how = if m.is_rate() { "Wilson" } else { "bootstrap" };
    Chart::DotWhisker(DotWhiskerChart {
        title: m.title().to_string(),
        x_label: format!("{} (95 % {how} interval)", m.name()),
        rows,
        x_range: None,
        reference_lines: Vec::new(),
        band: None,
    })
}

fn ratio_chart(gr: &GroupingReport) -> Chart {
    let mut rows = Vec::new();
    for m in RATIO_METRICS {
        let d = gr.disparity(m);
        for cmp in &d.versus_reference {
            let e = &cmp.ratio;
            let k = gr
                .groups
                .iter()
                .position(|g| g.group == cmp.group)
                .unwrap_or(0);
            rows.push(DotWhiskerRow {
                label: format!("{}: {} / {}", m.title(), cmp.group, gr.reference.group),
                value: e.value,
                low: e.ci_low,
                high: e.ci_high,
                note: e.reason.clone(),
                color: k,
            });
        }
        if d.versus_reference.is_empty() {
            rows.push(DotWhiskerRow {
                label: m.title().to_string(),
                value: None,
                low: None,
                high: None,
                note: Some("no group to compare with the reference".into()),
                color: 0,
            });
        }
    }
    Chart::DotWhisker(DotWhiskerChart {
        title: format!(
            "Ratio to the reference group ({}), with 0.8 to 1.25 band",
            gr.reference.group
        ),
        x_label: "ratio (95 % bootstrap interval); 1 = parity".into(),
        rows,
        x_range: None,
        reference_lines: vec![1.0],
        band: Some((0.8, 1.25)),
    })
}

fn roc_chart(gr: &GroupingReport) -> Chart {
    let mut c = LineChart::new(
        format!("ROC curves by {}", gr.name),
        "false positive rate",
        "true positive rate",
    );
    c.x_range = Some((0.0, 1.0));
    c.y_range = Some((0.0, 1.0));
    c.diagonal = true;
    for curve in &gr.roc {
        let idx = gr
            .groups
            .iter()
            .position(|g| g.group == curve.group)
            .unwrap_or(0);
        let auc = gr.groups[idx].metric(Metric::RocAuc).value;
        let name = match auc {
            Some(a) => format!("{} (AUC {a:.3})", curve.group),
            None => curve.group.clone(),
        };
        c.series.push(Series::line(
            name,
            curve.points.iter().map(|p| (p.fpr, p.tpr)).collect(),
            idx,
        ));
    }
    Chart::Line(c)
}

fn calibration_chart(gr: &GroupingReport) -> Chart {
    let mut c = LineChart::new(
        format!("Calibration by {}", gr.name),
        "mean score in bin",
        "observed rate in bin",
    );
    c.x_range = Some((0.0, 1.0));
    c.y_range = Some((0.0, 1.0));
    c.diagonal = true;
    c.legend_lower_right = true;
    for curve in &gr.calibration {
        let idx = gr
            .groups
            .iter()
            .position(|g| g.group == curve.group)
            .unwrap_or(0);
        c.series.push(Series {
            name: curve.group.clone(),
            points: curve
                .bins
                .iter()
                .map(|b| (b.mean_score, b.observed_rate))
                .collect(),
            band: Vec::new(),
            whiskers: curve
                .bins
                .iter()
                .map(|b| (b.mean_score, b.ci_low, b.ci_high))
                .collect(),
            mode: SeriesMode::LineMarkers,
            color: idx,
        });
    }
    Chart::Line(c)
}

fn tradeoff_chart(gr: &GroupingReport) -> Option<Chart> {
    let mit = gr.mitigation.as_ref()?;
    let rate = if mit.constrained_rate == "tpr" {
        "true positive rate"
    } else {
        "selection rate"
    };
    let mut c = LineChart::new(
        format!(
            "Mitigation trade-off ({}) by {}",
            mit.constraint.name(),
            gr.name
        ),
        format!("max - min {rate} across groups"),
        "accuracy",
    );
    c.legend_lower_right = true;
    let mut pts: Vec<(f64, f64)> = mit
        .tradeoff
        .iter()
        .map(|p| (p.disparity, p.accuracy))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    c.series.push(Series {
        mode: SeriesMode::LineMarkers,
        ..Series::line("group thresholds over the tolerance grid", pts, 0)
    });
    c.series.push(Series {
        mode: SeriesMode::Markers,
        ..Series::line(
            "single threshold (before)",
            vec![(mit.before.disparity, mit.before.accuracy)],
            1,
        )
    });
    c.series.push(Series {
        mode: SeriesMode::Markers,
        ..Series::line(
            format!("chosen (tolerance {})", mit.tolerance),
            vec![(mit.after.disparity, mit.after.accuracy)],
            2,
        )
    });
    Some(Chart::Line(c))
}

/// Every figure of the audit: per grouping, metrics by group, ratios to the
/// reference group, ROC curves, calibration curves, and the mitigation
/// trade-off when there is one.
pub fn audit_figures(report: &FairnessReport) -> Vec<NamedFigure> {
    let mut out = Vec::new();
    for gr in &report.groupings {
        let s = slug(&gr.name);
        let rows = gr.groups.len() + 1;
        let panel_h = (rows as u32 * 34 + 130).max(260);
        out.push(NamedFigure {
            grouping: gr.name.clone(),
            file_stem: format!("metrics_{s}"),
            caption: format!(
                "Metrics by {} with 95 % intervals (Wilson for rates, bootstrap for AUC and Brier); grey = all rows.",
                gr.name
            ),
            figure: Figure {
                charts: PANEL_METRICS.iter().map(|&m| metric_panel(report, gr, m)).collect(),
                columns: 3,
                width: 1650,
                height: panel_h * 2,
            },
        });
        let ratio_rows = RATIO_METRICS
            .iter()
            .map(|&m| gr.disparity(m).versus_reference.len().max(1))
            .sum::<usize>() as u32;
        out.push(NamedFigure {
            grouping: gr.name.clone(),
            file_stem: format!("disparity_{s}"),
            caption: format!(
                "Each group's rate divided by the reference group's ({}); the shaded band is 0.8 to 1.25, the usual tolerance.",
                gr.reference.group
            ),
            figure: Figure::single(ratio_chart(gr), 1200, ratio_rows * 34 + 140),
        });
        out.push(NamedFigure {
            grouping: gr.name.clone(),
            file_stem: format!("roc_{s}"),
            caption: format!(
                "ROC curve of each group of {} with enough rows and both outcomes.",
                gr.name
            ),
            figure: Figure::single(roc_chart(gr), 800, 720),
        });
        out.push(NamedFigure {
            grouping: gr.name.clone(),
            file_stem: format!("calibration_{s}"),
            caption: format!(
                "Observed rate against mean score in ten score bins, per group of {}; whiskers are 95 % Wilson intervals; the diagonal is perfect calibration.",
                gr.name
            ),
            figure: Figure::single(calibration_chart(gr), 800, 720),
        });
        if let Some(chart) = tradeoff_chart(gr) {
            out.push(NamedFigure {
                grouping: gr.name.clone(),
                file_stem: format!("tradeoff_{s}"),
                caption: "Accuracy against the remaining disparity for group-specific thresholds over the tolerance grid (fitted in-sample).".into(),
                figure: Figure::single(chart, 900, 600),
            });
        }
    }
    out
}
