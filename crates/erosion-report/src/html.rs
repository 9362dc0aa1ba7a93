//! The self-contained HTML report: summary first, then detail; plots inline as
//! base64 PNG; no network, no JavaScript.

use base64::Engine;
use erosion_fairness::{Estimate, FairnessReport, GroupingReport, Metric, Status};

use crate::AuditInputs;

/// A rendered plot to inline.
pub(crate) struct Image {
    pub grouping: String,
    pub caption: String,
    pub file_stem: String,
    pub png: Vec<u8>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn fmt_est(e: &Estimate, pct: bool) -> String {
    let f = |x: f64| {
        if pct {
            format!("{:.1}%", x * 100.0)
        } else {
            format!("{x:.3}")
        }
    };
    match (e.value, e.status) {
        (None, Status::InsufficientEvidence) => "<span class=muted>insufficient</span>".into(),
        (None, _) => format!(
            "<span class=muted title=\"{}\">undefined</span>",
            esc(e.reason.as_deref().unwrap_or(""))
        ),
        (Some(v), _) => match e.interval_pair() {
            Some((lo, hi)) => format!("{} <span class=ci>[{}, {}]</span>", f(v), f(lo), f(hi)),
            None => format!(
                "{} <span class=ci title=\"{}\">[no interval]</span>",
                f(v),
                esc(e.reason.as_deref().unwrap_or(""))
            ),
        },
    }
}

/// The reports' style sheet (the audit page's, shared by the monitor page).
pub const STYLE: &str = "body{font-family:-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1a1a1a;line-height:1.45}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #0072b2;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.5em}
.meta{color:#555;font-size:.92em}.summary{background:#f4f8fb;border-left:5px solid #0072b2;padding:.6em 1.2em;margin:1.2em 0}
.summary li{margin:.45em 0}.sig{font-weight:600}.notice{background:#fff6e5;border-left:5px solid #e69f00;padding:.6em 1em}
table{border-collapse:collapse;font-size:.86em;margin:.8em 0;width:100%}th,td{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}th{background:#f0f0f0}.ci{color:#666;font-size:.9em;white-space:nowrap}.muted{color:#999;font-style:italic}
figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{color:#555;font-size:.9em}
.pass{color:#007a55;font-weight:600}.fail{color:#c0392b;font-weight:600}code{background:#f3f3f3;padding:0 .2em}";

fn group_table(report: &FairnessReport, gr: &GroupingReport) -> String {
    let cols = [
        Metric::BaseRate,
        Metric::SelectionRate,
        Metric::Tpr,
        Metric::Fpr,
        Metric::Precision,
        Metric::Accuracy,
        Metric::RocAuc,
        Metric::Brier,
        Metric::MeanScore,
    ];
    let mut h = String::from("<table><tr><th>group</th><th>rows</th>");
    for m in cols {
        h.push_str(&format!(
            "<th title=\"{}\">{}</th>",
            esc(m.definition()),
            esc(m.title())
        ));
    }
    h.push_str("</tr>");
    let rows = std::iter::once(&report.overall).chain(gr.groups.iter());
    for g in rows {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td>",
            esc(&g.group),
            g.count
        ));
        for m in cols {
            h.push_str(&format!(
                "<td>{}</td>",
                fmt_est(g.metric(m), m.is_rate() || m == Metric::MeanScore)
            ));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    h
}

fn aggregate_table(gr: &GroupingReport) -> String {
    let mut h = String::from(
        "<table><tr><th>aggregate (Fairlearn name)</th><th>between groups</th><th>to overall</th><th>definition</th></tr>",
    );
    let mut seen: Vec<(String, Option<String>)> = Vec::new();
    for a in &gr.aggregates {
        let key = (a.name.clone(), a.agg.clone());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let name = match &a.agg {
            Some(agg) => format!("{} ({agg})", a.name),
            None => a.name.clone(),
        };
        let get = |method: &str| {
            gr.aggregate(&a.name, method, a.agg.as_deref())
                .map(|x| fmt_est(&x.estimate, false))
                .unwrap_or_default()
        };
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&name),
            get("between_groups"),
            get("to_overall"),
            esc(&a.definition)
        ));
    }
    h.push_str("</table>");
    h
}

fn reference_table(gr: &GroupingReport) -> String {
    let mut h = format!(
        "<table><tr><th>metric</th><th>group</th><th>difference to {0}</th><th>ratio to {0}</th></tr>",
        esc(&gr.reference.group)
    );
    for d in &gr.disparities {
        for c in &d.versus_reference {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(d.metric.title()),
                esc(&c.group),
                fmt_est(&c.difference, false),
                fmt_est(&c.ratio, false)
            ));
        }
    }
    h.push_str("</table>");
    h
}

fn mitigation_section(gr: &GroupingReport) -> String {
    let Some(m) = &gr.mitigation else {
        return String::new();
    };
    let mut h = format!(
        "<h3>Mitigation: {}</h3><p>{}</p><p>Before: accuracy {:.2}%, selection rate {:.2}%, gap in {} {:.3}. \
         After (tolerance {}): accuracy {:.2}%, selection rate {:.2}%, gap {:.3}. \
         Cost in accuracy: <b>{:.2} points</b>; change in selection rate: <b>{:+.2} points</b>.</p>",
        esc(m.constraint.name()),
        esc(&m.method),
        m.before.accuracy * 100.0,
        m.before.selection_rate * 100.0,
        esc(&m.constrained_rate),
        m.before.disparity,
        m.tolerance,
        m.after.accuracy * 100.0,
        m.after.selection_rate * 100.0,
        m.after.disparity,
        m.accuracy_cost * 100.0,
        m.selection_rate_change * 100.0,
    );
    h.push_str("<table><tr><th>group</th><th>threshold</th><th>rate before</th><th>rate after</th><th>selection before</th><th>selection after</th></tr>");
    for t in &m.thresholds {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{:.3}</td><td>{:.3}</td><td>{:.1}%</td><td>{:.1}%</td></tr>",
            esc(&t.group),
            t.threshold.map(|x| format!("{x:.4}")).unwrap_or_else(|| "flag nobody".into()),
            t.rate_before,
            t.rate_after,
            t.selection_rate_before * 100.0,
            t.selection_rate_after * 100.0
        ));
    }
    h.push_str("</table>");
    for u in &m.unchanged {
        h.push_str(&format!(
            "<p class=muted>{} keeps its decisions: {}</p>",
            esc(&u.group),
            esc(&u.reason)
        ));
    }
    h.push_str(
        "<table><tr><th>tolerance</th><th>accuracy</th><th>selection rate</th><th>gap</th></tr>",
    );
    for p in &m.tradeoff {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{:.2}%</td><td>{:.2}%</td><td>{:.3}</td></tr>",
            p.tolerance.map(|t| t.to_string()).unwrap_or_default(),
            p.accuracy * 100.0,
            p.selection_rate * 100.0,
            p.disparity
        ));
    }
    h.push_str("</table>");
    h
}

/// The whole HTML document.
pub(crate) fn render(report: &FairnessReport, inputs: &AuditInputs, images: &[Image]) -> String {
    let title = inputs
        .title
        .clone()
        .unwrap_or_else(|| "Fairness audit".into());
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n<p class=meta>",
        esc(&title),
        esc(&title)
    );
    let mut meta = Vec::new();
    for (k, v) in [
        ("Model", &inputs.model),
        ("Data", &inputs.data),
        ("Label", &inputs.label),
        ("Score", &inputs.score),
        ("Flagged means", &inputs.flag_meaning),
        ("Generated by", &inputs.generated_by),
    ] {
        if let Some(v) = v {
            meta.push(format!("{k}: <b>{}</b>", esc(v)));
        }
    }
    let s = &report.settings;
    meta.push(format!("Rows: <b>{}</b>", report.rows));
    meta.push(if s.decisions == "given" {
        "Decisions: <b>given</b>".to_string()
    } else {
        format!("Decision: <b>flag when score &ge; {:.4}</b>", s.threshold)
    });
    meta.push(format!(
        "Groups: <b>{}</b>",
        esc(&report
            .groupings
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>()
            .join("; "))
    ));
    h.push_str(&meta.join(" &middot; "));
    h.push_str("</p>\n<section class=summary><h2>Summary</h2><ul>");
    for f in &report.findings {
        let class = if f.significant { " class=sig" } else { "" };
        h.push_str(&format!("<li{class}>{}</li>", esc(&f.text)));
    }
    h.push_str("</ul>");
    h.push_str(&format!(
        "<p>Intervals are {:.0} % intervals: a difference is called unlikely to be chance when the interval of the \
         difference between the two groups excludes zero. Groups with fewer than {} rows are reported by count only.</p></section>\n",
        s.confidence * 100.0,
        s.min_group_size
    ));
    for n in &report.notices {
        h.push_str(&format!("<p class=notice>{}</p>\n", esc(n)));
    }
    for gr in &report.groupings {
        h.push_str(&format!("<h2>By {}</h2>\n", esc(&gr.name)));
        let ff = &gr.four_fifths;
        // Green only for a pass the interval makes clear: a point estimate above 0.8 whose
        // interval straddles it is not conclusive, and is never shown as a pass.
        let class = match (ff.verdict, ff.clear) {
            (erosion_fairness::Verdict::Pass, true) => "pass",
            (erosion_fairness::Verdict::Pass, false) => "muted",
            (erosion_fairness::Verdict::Fail, _) => "fail",
            (erosion_fairness::Verdict::InsufficientEvidence, _) => "muted",
        };
        h.push_str(&format!("<p class={class}>{}</p>", esc(&ff.explanation)));
        h.push_str(&format!(
            "<p>{}</p>",
            esc(&gr.predictive_parity.explanation)
        ));
        h.push_str(&format!(
            "<p>Reference group: <b>{}</b> ({}).</p>",
            esc(&gr.reference.group),
            esc(&gr.reference.basis)
        ));
        if !gr.insufficient_groups.is_empty() {
            h.push_str("<p class=muted>Insufficient evidence: ");
            h.push_str(
                &gr.insufficient_groups
                    .iter()
                    .map(|e| format!("{} ({})", esc(&e.group), esc(&e.reason)))
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            h.push_str("</p>");
        }
        h.push_str("<h3>Metrics by group</h3>");
        h.push_str(&group_table(report, gr));
        for img in images.iter().filter(|i| i.grouping == gr.name) {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&img.png);
            h.push_str(&format!(
                "<figure><img alt=\"{}\" src=\"data:image/png;base64,{b64}\"><figcaption>{} (<code>{}.svg</code>, <code>{}.png</code>)</figcaption></figure>\n",
                esc(&img.caption),
                esc(&img.caption),
                esc(&img.file_stem),
                esc(&img.file_stem)
            ));
        }
        h.push_str("<h3>Fairness aggregates</h3>");
        h.push_str(&aggregate_table(gr));
        h.push_str("<h3>Against the reference group</h3>");
        h.push_str(&reference_table(gr));
        h.push_str(&mitigation_section(gr));
    }
    h.push_str("<h2>Definitions and method</h2><table><tr><th>metric</th><th>definition</th><th>interval</th></tr>");
    for m in Metric::ALL {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(m.name()),
            esc(m.definition()),
            if m.is_rate() {
                "Wilson score"
            } else {
                "bootstrap percentile"
            }
        ));
    }
    h.push_str("</table>");
    h.push_str(&format!(
        "<p>Bootstrap: {} replicates, seed {}; {}. Differences and ratios between groups, and every aggregate, get \
         bootstrap percentile intervals. Disparities compare only groups with at least {} rows in which the metric is defined. \
         Every number is in <code>fairness.json</code> with its definition.</p>",
        s.bootstrap_replicates,
        s.seed,
        esc(&s.bootstrap_method),
        s.min_group_size
    ));
    h.push_str("</body></html>\n");
    h
}
