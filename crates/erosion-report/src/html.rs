//! The self-contained HTML report: summary first, then detail; plots inline as
//! base64 PNG; no network, no JavaScript.

use base64::Engine;
use erosion_fairness::{
    Estimate, FairnessReport, FourFifths, GroupingReport, Metric, Status, Verdict,
};

use crate::AuditInputs;

/// A rendered plot to inline.
pub(crate) struct Image {
    pub grouping: String,
    pub caption: String,
    pub file_stem: String,
    pub png: Vec<u8>,
}

/// Text made safe inside HTML (the one escape every erosion page uses).
pub fn esc(s: &str) -> String {
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
.pass{color:#007a55;font-weight:600}.fail{color:#c0392b;font-weight:600}.unclear{color:#9a5b00;font-weight:600}code{background:#f3f3f3;padding:0 .2em}
.verdict{background:#eef4fb;border-left:4px solid #2a6fb0;padding:.6em 1em;margin:1em 0}.verdict li{margin:.35em 0}
details{margin:.6em 0}summary{cursor:pointer;color:#0a5a8f}.figs{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}.figs figure{flex:1 1 420px;margin:.4em 0}";

/// Tables longer than this are collapsed under a `<details>` that says how many rows they hold.
pub(crate) const LONG_TABLE_ROWS: usize = 15;

/// `table` (with `rows` body rows) as is when short, else collapsed under a summary naming
/// `what` and the row count.
fn collapsible(table: String, rows: usize, what: &str) -> String {
    if rows <= LONG_TABLE_ROWS {
        table
    } else {
        format!(
            "<details><summary>{} ({rows} rows): show the table</summary>{table}</details>",
            esc(what)
        )
    }
}

/// The four-fifths result as a CSS class and a word: green only for a pass the interval makes
/// clear; a result whose interval straddles 0.8 is "not conclusive", in amber.
fn four_fifths_word(ff: &FourFifths) -> (&'static str, &'static str) {
    match (
        ff.verdict,
        ff.clear || ff.selection_rate_ratio.interval_pair().is_none(),
    ) {
        (Verdict::Pass, true) => ("pass", "passes"),
        (Verdict::Fail, true) => ("fail", "fails"),
        (Verdict::Pass, false) => ("unclear", "not conclusive (passes on the estimate alone)"),
        (Verdict::Fail, false) => ("unclear", "not conclusive (fails on the estimate alone)"),
        (Verdict::InsufficientEvidence, _) => ("muted", "not assessed"),
    }
}

/// The box on top of the page: per grouping, the four-fifths result, the differences unlikely
/// to be chance and predictive parity; then the mitigation's cost, when one was run.
fn verdict_box(report: &FairnessReport) -> String {
    let mut h = String::from("<div class=verdict><b>In short</b><ul>");
    for gr in &report.groupings {
        let (class, word) = four_fifths_word(&gr.four_fifths);
        let e = &gr.four_fifths.selection_rate_ratio;
        let ratio = match (e.value, e.interval_pair()) {
            (Some(r), Some((a, b))) => {
                format!(" (lowest selection rate {r:.2} of the highest, interval {a:.2} to {b:.2})")
            }
            (Some(r), None) => format!(" (lowest selection rate {r:.2} of the highest)"),
            (None, _) => String::new(),
        };
        let found: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.grouping == gr.name && f.significant)
            .map(|f| f.text.as_str())
            .collect();
        let differences = match found.first() {
            None => "no difference between groups that chance would not explain".to_string(),
            Some(first) => format!(
                "{} difference(s) unlikely to be chance, the first: {}",
                found.len(),
                esc(first.trim_end_matches('.'))
            ),
        };
        let parity = match gr.predictive_parity.consistent_with_parity {
            Some(false) => "; a flag means more in some groups than in others (precision differs)",
            _ => "",
        };
        h.push_str(&format!(
            "<li><b>By {}:</b> four-fifths rule <span class={class}>{word}</span>{ratio}; {differences}{parity}.</li>",
            esc(&gr.name)
        ));
    }
    for gr in &report.groupings {
        if let Some(m) = &gr.mitigation {
            h.push_str(&format!(
                "<li><b>Mitigation by {}</b> ({}): the gap in {} goes from {:.3} to {:.3}; accuracy changes by {:+.2} points.</li>",
                esc(&gr.name),
                esc(m.constraint.name()),
                esc(&m.constrained_rate),
                m.before.disparity,
                m.after.disparity,
                -m.accuracy_cost * 100.0
            ));
        }
    }
    h.push_str("</ul></div>\n");
    h
}

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
    collapsible(h, gr.groups.len() + 1, "Metrics of every group")
}

fn aggregate_table(gr: &GroupingReport) -> String {
    let mut h = String::from(
        "<table><tr><th>aggregate (Fairlearn name)</th><th>between groups</th><th>to overall</th><th>definition</th></tr>",
    );
    let mut seen: Vec<(String, Option<String>)> = Vec::new();
    let mut rows = 0;
    for a in &gr.aggregates {
        let key = (a.name.clone(), a.agg.clone());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        rows += 1;
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
    collapsible(h, rows, "Fairness aggregates")
}

fn reference_table(gr: &GroupingReport) -> String {
    let mut h = format!(
        "<table><tr><th>metric</th><th>group</th><th>difference to {0}</th><th>ratio to {0}</th></tr>",
        esc(&gr.reference.group)
    );
    let mut rows = 0;
    for d in &gr.disparities {
        for c in &d.versus_reference {
            rows += 1;
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
    collapsible(
        h,
        rows,
        "Every metric of every group against the reference group",
    )
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
    h.push_str(&format!(
        "<details><summary>The trade-off plot's numbers ({} tolerances)</summary>",
        m.tradeoff.len()
    ));
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
    h.push_str("</table></details>");
    h
}

/// An inline PNG with its caption and the names of its files.
fn figure(img: &Image) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(&img.png);
    format!(
        "<figure><img alt=\"{}\" src=\"data:image/png;base64,{b64}\"><figcaption>{} (<code>{}.svg</code>, <code>{}.png</code>)</figcaption></figure>\n",
        esc(&img.caption),
        esc(&img.caption),
        esc(&img.file_stem),
        esc(&img.file_stem)
    )
}

/// The whole HTML document.
#[allow(clippy::too_many_lines)] // known debt: split when next changed
pub(crate) fn render(report: &FairnessReport, inputs: &AuditInputs, images: &[Image]) -> String {
    let title = inputs
        .title
        .clone()
        .unwrap_or_else(|| "Fairness audit".into());
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n{}<p class=meta>",
        esc(&title),
        esc(&title),
        verdict_box(report)
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
        let (class, _) = four_fifths_word(&gr.four_fifths);
        h.push_str(&format!(
            "<p class={class}>{}</p>",
            esc(&gr.four_fifths.explanation)
        ));
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
        let side_by_side =
            |i: &Image| i.file_stem.starts_with("roc_") || i.file_stem.starts_with("tradeoff_");
        let mine: Vec<&Image> = images.iter().filter(|i| i.grouping == gr.name).collect();
        for img in mine.iter().filter(|i| !side_by_side(i)) {
            h.push_str(&figure(img));
        }
        h.push_str("<div class=figs>");
        for img in mine.iter().filter(|i| side_by_side(i)) {
            h.push_str(&figure(img));
        }
        h.push_str("</div>\n");
        h.push_str("<h3>Fairness aggregates</h3>");
        h.push_str(&aggregate_table(gr));
        h.push_str("<h3>Against the reference group</h3>");
        h.push_str(&reference_table(gr));
        h.push_str(&mitigation_section(gr));
    }
    let boot = format!("bootstrap, {}", s.bootstrap_interval);
    let mut defs =
        String::from("<table><tr><th>metric</th><th>definition</th><th>interval</th></tr>");
    for m in Metric::ALL {
        defs.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(m.name()),
            esc(m.definition()),
            if m.is_rate() {
                "Wilson score".to_string()
            } else {
                esc(&boot)
            }
        ));
    }
    defs.push_str("</table>");
    h.push_str("<h2>Definitions and method</h2>");
    h.push_str(&collapsible(
        defs,
        Metric::ALL.len(),
        "Definitions of the metrics",
    ));
    h.push_str(&format!(
        "<p>Bootstrap: {} replicates, seed {}; {}. Differences and ratios between groups, and every aggregate, get \
         bootstrap {} intervals{}. Disparities compare only groups with at least {} rows in which the metric is defined. \
         Every number is in <code>fairness.json</code> with its definition.</p>",
        s.bootstrap_replicates,
        s.seed,
        esc(&s.bootstrap_method),
        esc(&s.bootstrap_interval),
        if s.bootstrap_interval.contains("(BC)") {
            ": the quantile levels are moved by the share of replicates below the estimate, so that a \
             statistic whose replicates are biased (the lowest of several group rates over the highest, for one) \
             is not left at the edge of its interval"
        } else {
            ""
        },
        s.min_group_size
    ));
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use erosion_fairness::{Estimate, IntervalMethod};

    fn ff(verdict: Verdict, clear: bool, interval: Option<(f64, f64)>) -> FourFifths {
        FourFifths {
            selection_rate_ratio: Estimate {
                value: Some(0.85),
                ci_low: interval.map(|i| i.0),
                ci_high: interval.map(|i| i.1),
                interval: IntervalMethod::BootstrapBiasCorrected,
                status: Status::Ok,
                reason: None,
            },
            threshold: 0.8,
            verdict,
            clear,
            explanation: String::new(),
        }
    }

    #[test]
    fn a_four_fifths_result_the_interval_does_not_settle_is_never_green() {
        let straddles = Some((0.7, 0.95));
        assert_eq!(
            four_fifths_word(&ff(Verdict::Pass, true, Some((0.82, 0.9)))).0,
            "pass"
        );
        assert_eq!(
            four_fifths_word(&ff(Verdict::Fail, true, Some((0.6, 0.7)))).0,
            "fail"
        );
        for f in [
            ff(Verdict::Pass, false, straddles),
            ff(Verdict::Fail, false, straddles),
        ] {
            let (class, word) = four_fifths_word(&f);
            assert_eq!(class, "unclear");
            assert!(word.starts_with("not conclusive"), "{word}");
        }
        assert_eq!(
            four_fifths_word(&ff(Verdict::InsufficientEvidence, false, None)).0,
            "muted"
        );
    }

    #[test]
    fn long_tables_are_collapsed_with_their_row_count() {
        let short = collapsible("<table></table>".into(), LONG_TABLE_ROWS, "x");
        assert_eq!(short, "<table></table>");
        let long = collapsible("<table></table>".into(), 66, "Every metric");
        assert!(
            long.starts_with("<details><summary>Every metric (66 rows)"),
            "{long}"
        );
        assert!(long.ends_with("</table></details>"));
    }
}
