//! The audit's figures, built from a [`FairnessReport`] with the generic helpers
//! of [`crate::plots`].

use erosion_fairness::{FairnessReport, GroupingReport, Metric, Status};

use std::sync::Arc;

use crate::plots::{
    format_count, format_tick, Chart, DotWhiskerChart, DotWhiskerRow, Figure, Hue, Legend,
    LineChart, Series, SeriesMode,
};

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
/// Pixels per row of a dot-and-whisker panel.
const ROW_PX: u32 = 22;
/// Width of a dot-and-whisker panel's plot, right of its labels.
const PANEL_PLOT_PX: u32 = 330;

/// A group's label with its size: `female (n=1,234)`.
pub(crate) fn with_n(group: &str, count: u64) -> String {
    format!("{group} (n={})", format_count(count))
}

fn group_hue(gr: &GroupingReport, group: &str) -> Hue {
    Hue::Group(gr.groups.iter().position(|g| g.group == group).unwrap_or(0))
}

fn metric_panel(report: &FairnessReport, gr: &GroupingReport, m: Metric) -> DotWhiskerChart {
    let e = report.overall.metric(m);
    let mut rows = vec![DotWhiskerRow {
        label: with_n("all rows", report.overall.count),
        value: e.value,
        low: e.ci_low,
        high: e.ci_high,
        note: e.reason.clone(),
        hue: Hue::AllRows,
    }];
    for (i, g) in gr.groups.iter().enumerate() {
        let e = g.metric(m);
        let note = match e.status {
            Status::InsufficientEvidence => Some("insufficient evidence".to_string()),
            _ => e.reason.clone(),
        };
        rows.push(DotWhiskerRow {
            label: with_n(&g.group, g.count),
            value: e.value,
            low: e.ci_low,
            high: e.ci_high,
            note,
            hue: Hue::Group(i),
        });
    }
    let how = if m.is_rate() { "Wilson" } else { "bootstrap" };
    DotWhiskerChart {
        title: m.title().to_string(),
        x_label: format!("{} (95 % {how} interval)", m.name()),
        rows,
        x_range: None,
        reference_lines: Vec::new(),
        band: None,
    }
}

fn ratio_panel(gr: &GroupingReport, m: Metric) -> DotWhiskerChart {
    let d = gr.disparity(m);
    let mut rows: Vec<DotWhiskerRow> = d
        .versus_reference
        .iter()
        .map(|cmp| {
            let count = gr
                .groups
                .iter()
                .find(|g| g.group == cmp.group)
                .map_or(0, |g| g.count);
            DotWhiskerRow {
                label: with_n(&cmp.group, count),
                value: cmp.ratio.value,
                low: cmp.ratio.ci_low,
                high: cmp.ratio.ci_high,
                note: cmp.ratio.reason.clone(),
                hue: group_hue(gr, &cmp.group),
            }
        })
        .collect();
    if rows.is_empty() {
        rows.push(DotWhiskerRow {
            label: "no group".into(),
            value: None,
            low: None,
            high: None,
            note: Some("no group to compare with the reference".into()),
            hue: Hue::AllRows,
        });
    }
    DotWhiskerChart {
        title: format!("{} / {}", m.title(), gr.reference.group),
        x_label: "ratio (95 % interval); 1 = parity".into(),
        rows,
        x_range: None,
        reference_lines: vec![1.0],
        band: Some((0.8, 1.25)),
    }
}

/// Dot-and-whisker panels in a grid of `columns`, each wide enough for its labels.
fn panel_grid(title: Option<String>, panels: Vec<DotWhiskerChart>, columns: usize) -> Figure {
    let label_w = panels.iter().map(|p| p.label_width()).max().unwrap_or(0);
    let rows = panels.iter().map(|p| p.rows.len()).max().unwrap_or(1) as u32;
    let grid_rows = panels.len().div_ceil(columns) as u32;
    let title_h = if title.is_some() { 36 } else { 0 };
    Figure {
        title,
        columns,
        width: columns as u32 * (label_w + PANEL_PLOT_PX + 40),
        height: title_h + grid_rows * (rows * ROW_PX + 100),
        charts: panels.into_iter().map(Chart::DotWhisker).collect(),
    }
}

fn roc_chart(gr: &GroupingReport) -> LineChart {
    let mut c = LineChart::new(
        format!("ROC curves by {}", gr.name),
        "false positive rate",
        "true positive rate",
    );
    c.x_range = Some((0.0, 1.0));
    c.y_range = Some((0.0, 1.0));
    c.diagonal = true;
    c.legend = Legend::Outside;
    for curve in &gr.roc {
        let Some(g) = gr.groups.iter().find(|g| g.group == curve.group) else {
            continue;
        };
        let name = match g.metric(Metric::RocAuc).value {
            Some(a) => format!("{}, AUC {a:.3}", with_n(&curve.group, g.count)),
            None => with_n(&curve.group, g.count),
        };
        c.series.push(Series::line(
            name,
            curve.points.iter().map(|p| (p.fpr, p.tpr)).collect(),
            group_hue(gr, &curve.group),
        ));
    }
    c
}

/// A bin count in at most 4 characters, so neighbouring bins' counts do not collide.
fn short_count(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// One calibration panel per group: observed rate against mean score in each bin with its
/// Wilson interval, and the bin's row count along the bottom (alternating heights).
fn calibration_panels(gr: &GroupingReport) -> Vec<Chart> {
    gr.calibration
        .iter()
        .map(|curve| {
            let count = gr
                .groups
                .iter()
                .find(|g| g.group == curve.group)
                .map_or(0, |g| g.count);
            let mut c = LineChart::new(
                with_n(&curve.group, count),
                "mean score in bin",
                "observed rate",
            );
            // A strip below 0 holds the bin counts, clear of the points.
            c.x_range = Some((0.0, 1.0));
            c.y_range = Some((-0.16, 1.0));
            c.y_format = Some(Arc::new(|v| {
                if v < -1e-9 {
                    String::new()
                } else {
                    format_tick(v)
                }
            }));
            c.diagonal = true;
            c.legend = Legend::Hidden;
            c.series.push(Series {
                name: String::new(),
                points: curve
                    .bins
                    .iter()
                    .map(|b| (b.mean_score, b.observed_rate))
                    .collect(),
                whiskers: curve
                    .bins
                    .iter()
                    .map(|b| (b.mean_score, b.ci_low, b.ci_high))
                    .collect(),
                mode: SeriesMode::LineMarkers,
                hue: group_hue(gr, &curve.group),
            });
            c.notes = curve
                .bins
                .iter()
                .enumerate()
                .map(|(k, b)| {
                    let y = if k % 2 == 0 { -0.07 } else { -0.14 };
                    (b.mean_score, y, short_count(b.count))
                })
                .collect();
            Chart::Line(c)
        })
        .collect()
}

fn tradeoff_chart(gr: &GroupingReport) -> Option<LineChart> {
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
    c.legend = Legend::Outside;
    let mut pts: Vec<(f64, f64)> = mit
        .tradeoff
        .iter()
        .map(|p| (p.disparity, p.accuracy))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    c.series.push(Series {
        mode: SeriesMode::LineMarkers,
        ..Series::line(
            "group thresholds over the tolerance grid",
            pts,
            Hue::Group(0),
        )
    });
    c.series.push(Series {
        mode: SeriesMode::Markers,
        ..Series::line(
            "single threshold (before)",
            vec![(mit.before.disparity, mit.before.accuracy)],
            Hue::Group(1),
        )
    });
    c.series.push(Series {
        mode: SeriesMode::Markers,
        ..Series::line(
            format!("chosen (tolerance {})", mit.tolerance),
            vec![(mit.after.disparity, mit.after.accuracy)],
            Hue::Group(2),
        )
    });
    Some(c)
}

/// Every figure of the audit: per grouping, metrics by group, ratios to the
/// reference group, ROC curves, calibration small multiples, and the mitigation
/// trade-off when there is one.
pub fn audit_figures(report: &FairnessReport) -> Vec<NamedFigure> {
    let mut out = Vec::new();
    for gr in &report.groupings {
        let s = slug(&gr.name);
        let named = |stem: &str, caption: String, figure: Figure| NamedFigure {
            grouping: gr.name.clone(),
            file_stem: format!("{stem}_{s}"),
            caption,
            figure,
        };
        out.push(named(
            "metrics",
            format!(
                "Metrics by {} with 95 % intervals (Wilson for rates, bootstrap for AUC and Brier); grey = all rows; n = rows in the group.",
                gr.name
            ),
            panel_grid(None, PANEL_METRICS.iter().map(|&m| metric_panel(report, gr, m)).collect(), 3),
        ));
        let reference = gr
            .groups
            .iter()
            .find(|g| g.group == gr.reference.group)
            .map_or(0, |g| g.count);
        out.push(named(
            "disparity",
            format!(
                "Each group's rate divided by the reference group's ({}); the shaded band is 0.8 to 1.25, the usual tolerance.",
                with_n(&gr.reference.group, reference)
            ),
            panel_grid(None, RATIO_METRICS.iter().map(|&m| ratio_panel(gr, m)).collect(), 3),
        ));
        let roc = roc_chart(gr);
        let roc_w = 620 + roc.legend_width();
        out.push(named(
            "roc",
            format!(
                "ROC curve of each group of {} with enough rows and both outcomes.",
                gr.name
            ),
            Figure::single(Chart::Line(roc), roc_w, 600),
        ));
        let panels = calibration_panels(gr);
        let cols = panels.len().clamp(1, 4);
        let grid_rows = panels.len().div_ceil(cols).max(1) as u32;
        out.push(named(
            "calibration",
            format!(
                "Observed rate against mean score in ten score bins, one panel per group of {}; whiskers are 95 % Wilson intervals, the numbers along the bottom are the rows in each bin; the diagonal is perfect calibration.",
                gr.name
            ),
            Figure {
                title: Some(format!("Calibration by {}", gr.name)),
                charts: panels,
                columns: cols,
                width: cols as u32 * 330,
                height: 40 + grid_rows * 290,
            },
        ));
        if let Some(chart) = tradeoff_chart(gr) {
            let w = 640 + chart.legend_width();
            out.push(named(
                "tradeoff",
                "Accuracy against the remaining disparity for group-specific thresholds over the tolerance grid (fitted in-sample).".into(),
                Figure::single(Chart::Line(chart), w, 480),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use erosion_fairness::{audit, AuditConfig, AuditData};

    /// Twelve groups (an intersection-sized audit) of different sizes.
    fn twelve_groups() -> FairnessReport {
        let (mut labels, mut scores, mut g) = (Vec::new(), Vec::new(), Vec::new());
        for k in 0..12usize {
            for i in 0..(60 + 10 * k) {
                let s = ((i * 37 + k * 11) % 100) as f64 / 100.0;
                labels.push((i * 7 + k) % 10 < (s * 10.0) as usize);
                scores.push(s);
                g.push(format!("group {k}"));
            }
        }
        let groups = vec![("segment".to_string(), g)];
        let data = AuditData {
            labels: &labels,
            scores: &scores,
            decisions: None,
            groups: &groups,
        };
        let config = AuditConfig {
            bootstrap_replicates: 20,
            ..AuditConfig::default()
        };
        audit(&data, &config).unwrap()
    }

    #[test]
    fn group_plots_show_sizes_distinct_colours_and_one_calibration_panel_per_group() {
        let report = twelve_groups();
        let gr = &report.groupings[0];
        let panel = metric_panel(&report, gr, Metric::SelectionRate);
        assert_eq!(panel.rows[0].label, "all rows (n=1,380)");
        assert_eq!(panel.rows[0].hue, Hue::AllRows);
        assert!(panel.rows.iter().any(|r| r.label == "group 11 (n=170)"));
        let hues: Vec<Hue> = panel.rows[1..].iter().map(|r| r.hue).collect();
        for (i, h) in hues.iter().enumerate() {
            assert_ne!(h.rgb(), Hue::AllRows.rgb());
            assert!(
                hues[..i].iter().all(|o| o.rgb() != h.rgb()),
                "colour {i} repeats"
            );
        }
        let panels = calibration_panels(gr);
        assert_eq!(panels.len(), 12, "one panel per group");
        let Chart::Line(first) = &panels[0] else {
            panic!("a line chart")
        };
        let n0 = gr.group(&gr.calibration[0].group).unwrap().count;
        assert_eq!(first.title, with_n(&gr.calibration[0].group, n0));
        let bins = &gr.calibration[0].bins;
        assert_eq!(first.notes.len(), bins.len(), "a count per bin");
        assert_eq!(first.notes[0].2, bins[0].count.to_string());
        assert!(
            first.notes.iter().all(|n| n.1 < 0.0),
            "counts below the data"
        );
        let fig = audit_figures(&report)
            .into_iter()
            .find(|f| f.file_stem == "calibration_segment")
            .unwrap();
        assert_eq!((fig.figure.columns, fig.figure.charts.len()), (4, 12));
        assert!(fig.figure.to_svg().unwrap().contains("group 11 (n=170)"));
    }

    #[test]
    fn short_counts_fit_four_characters() {
        assert_eq!(short_count(812), "812");
        assert_eq!(short_count(9_999), "9999");
        assert_eq!(short_count(12_345), "12k");
        assert_eq!(short_count(2_500_000), "2.5M");
    }
}
