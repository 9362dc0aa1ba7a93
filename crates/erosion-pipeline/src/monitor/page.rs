//! `DIR/report.html` of `erosion monitor`: a self-contained page in the audit report's style
//! (its style sheet, plots inline as SVG, no network, no JavaScript): the verdict first, then
//! the alerts, the inputs that moved most, their distributions, realised performance and
//! movement.

use erosion_monitor::{Alert, InputDrift};
use erosion_report::esc;
use erosion_report::plots::{
    Chart, DotWhiskerChart, DotWhiskerRow, Figure, Hue, LineChart, Series, SeriesMode,
};

use super::MonitorReport;

fn num(v: Option<f64>) -> String {
    v.map_or("<span class=muted>-</span>".into(), |x| format!("{x:.4}"))
}

/// The inputs of the overall scope by PSI, largest first (the score first when present).
fn moved_most(r: &MonitorReport) -> Vec<&InputDrift> {
    let Some(overall) = r.drift.first() else {
        return Vec::new();
    };
    let mut v: Vec<&InputDrift> = overall.inputs.iter().collect();
    v.sort_by(|a, b| b.psi.unwrap_or(0.0).total_cmp(&a.psi.unwrap_or(0.0)));
    overall.score.iter().chain(v).collect()
}

fn psi_chart(r: &MonitorReport) -> Figure {
    let rows: Vec<DotWhiskerRow> = moved_most(r)
        .into_iter()
        .take(15)
        .map(|d| DotWhiskerRow {
            label: d.input.clone(),
            value: d.psi,
            low: None,
            high: None,
            note: d.psi.is_none().then(|| "no value tonight".to_string()),
            hue: Hue::Group(0),
        })
        .collect();
    let height = 80 + 28 * rows.len() as u32;
    Figure::single(
        Chart::DotWhisker(DotWhiskerChart {
            title: "PSI against the training reference (overall)".into(),
            x_label: "PSI".into(),
            rows,
            x_range: None,
            reference_lines: vec![r.thresholds.psi],
            band: None,
        }),
        900,
        height.max(200),
    )
}

fn shares_chart(d: &InputDrift) -> Figure {
    let points = |f: fn(&erosion_monitor::BucketShare) -> f64| -> Vec<(f64, f64)> {
        d.buckets
            .iter()
            .enumerate()
            .map(|(i, b)| (i as f64, f(b)))
            .collect()
    };
    let mut chart = LineChart::new(
        format!("{}: share per bin (0 = lowest)", d.input),
        "bin or category (see monitor.json for edges)",
        "share of non-missing values",
    );
    for (name, color, pts) in [
        ("training reference", Hue::Group(0), points(|b| b.reference)),
        ("tonight", Hue::Group(1), points(|b| b.current)),
    ] {
        let mut s = Series::line(name, pts, color);
        s.mode = SeriesMode::LineMarkers;
        chart.series.push(s);
    }
    Figure::single(Chart::Line(chart), 440, 300)
}

fn svg(f: &Figure) -> String {
    f.to_svg()
        .unwrap_or_else(|e| format!("<p class=muted>plot not drawn: {}</p>", esc(&e.to_string())))
}

fn verdict(r: &MonitorReport, alerts: &[Alert]) -> String {
    let mut items = vec![format!(
        "{} rows tonight against a reference of {} training rows; {} scope(s).",
        r.rows,
        r.reference_rows,
        r.drift.len()
    )];
    items.push(match alerts.first() {
        None => "<span class=pass>No alert</span> at the default thresholds.".into(),
        Some(a) => format!(
            "<span class=fail>{} alert(s)</span>; the largest: {} in {} ({} {}, threshold {}).",
            alerts.len(),
            esc(&a.input),
            esc(&a.scope),
            esc(&a.statistic),
            a.value_text().0,
            a.value_text().1
        ),
    });
    if let Some(x) = r.drift.first().and_then(|d| d.action.as_ref()) {
        items.push(format!(
            "At or above the action threshold ({:.4}): {:.2} % of tonight's customers against {:.2} % of the reference's (two-proportion z {:.2}, p {:.2e}).",
            x.threshold,
            100.0 * x.share,
            100.0 * x.reference_share,
            x.z,
            x.p_value
        ));
    }
    if let Some(e) = &r.expected {
        items.push(format!(
            "If the probabilities are calibrated, tonight's ROC-AUC is expected near {:.3} and the Brier score near {:.3}.",
            e.roc_auc, e.brier
        ));
    }
    let lis: String = items.iter().map(|i| format!("<li>{i}</li>")).collect();
    format!("<div class=summary><ul>{lis}</ul></div>")
}

fn alerts_table(alerts: &[Alert]) -> String {
    if alerts.is_empty() {
        return "<p>None.</p>".into();
    }
    let mut h = String::from("<table><tr><th>input</th><th>scope</th><th>statistic</th><th>value</th><th>threshold</th><th>p-value</th><th>rows</th><th>importance</th></tr>");
    for a in alerts.iter().take(50) {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.input),
            esc(&a.scope),
            esc(&a.statistic),
            a.value_text().0,
            a.value_text().1,
            a.p_value.map_or("-".into(), |p| format!("{p:.2e}")),
            a.rows,
            num(a.importance)
        ));
    }
    h + "</table>"
}

fn drift_table(r: &MonitorReport) -> String {
    let mut h = String::from("<table><tr><th>input</th><th>kind</th><th>PSI</th><th>PSI without drift</th><th>KS</th><th>KS p-value</th><th>JS distance</th><th>away from the usual value (train → tonight)</th><th>missing (train → tonight)</th></tr>");
    for d in moved_most(r) {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{:?}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3} → {:.3}</td></tr>",
            esc(&d.input),
            d.kind,
            num(d.psi),
            num(d.psi_expected_without_drift),
            num(d.ks.map(|k| k.statistic)),
            d.ks.map_or("-".into(), |k| format!("{:.2e}", k.p_value)),
            num(d.jensen_shannon),
            d.usual_value.as_ref().map_or("-".into(), |u| format!(
                "≠ {}: {:.3} → {:.3} (p {:.2e})",
                u.usual_value, u.reference_share, u.share, u.p_value
            )),
            d.missing_share_reference,
            d.missing_share
        ));
    }
    h + "</table>"
}

fn realised_table(r: &MonitorReport) -> String {
    if r.realised.is_empty() {
        return "<p class=muted>No earlier score file given (--scores).</p>".into();
    }
    let mut h = String::from("<table><tr><th>night</th><th>scope</th><th>labelled</th><th>ROC-AUC</th><th>expected ROC-AUC</th><th>PR-AUC</th><th>Brier</th><th>capture at action</th><th>note</th></tr>");
    for n in &r.realised {
        if n.performance.is_empty() {
            h.push_str(&format!(
                "<tr><td>{}</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>{}</td></tr>",
                esc(&n.as_of),
                esc(n.note.as_deref().unwrap_or(""))
            ));
        }
        for p in &n.performance {
            let m = p.metrics.as_ref();
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td></td></tr>",
                esc(&n.as_of),
                esc(&p.scope),
                p.rows,
                num(m.map(|m| m.roc_auc)),
                num((p.scope == "overall").then_some(()).and(n.expected.as_ref()).map(|e| e.roc_auc)),
                num(m.map(|m| m.pr_auc)),
                num(m.map(|m| m.brier)),
                num(p.at_action.as_ref().map(|a| a.capture))
            ));
        }
    }
    h + "</table>"
}

/// An estimate with its interval, `0.812 [0.731, 0.905]`, or `-`.
fn with_interval(e: &erosion_fairness::Estimate) -> String {
    match (e.value, e.interval_pair()) {
        (Some(v), Some((lo, hi))) => format!("{v:.3} [{lo:.3}, {hi:.3}]"),
        (Some(v), None) => format!("{v:.3}"),
        _ => "-".into(),
    }
}

/// Fairness of each realised night's decisions: lowest over highest group's selection rate,
/// TPR and FPR, with intervals.
fn fairness_table(r: &MonitorReport) -> String {
    let nights: Vec<_> = r
        .realised
        .iter()
        .filter(|n| !n.fairness.is_empty())
        .collect();
    if nights.is_empty() {
        return "<p class=muted>No realised night with a grouping to audit (--scores with --by, or a bundle with sensitive columns).</p>".into();
    }
    let mut h = String::from("<p>Ratios are the lowest group's rate over the highest's at the action threshold (1 is parity; the four-fifths rule asks at least 0.8 of the selection rate), with 95 % bootstrap intervals, from erosion-fairness as <code>erosion audit</code> computes them.</p><table><tr><th>night</th><th>grouping</th><th>groups</th><th>selection-rate ratio</th><th>TPR ratio</th><th>FPR ratio</th><th>note</th></tr>");
    for n in nights {
        for f in &n.fairness {
            let ratio = |i: usize| {
                f.disparities
                    .get(i)
                    .map_or("-".into(), |d| with_interval(&d.between_groups_ratio))
            };
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&n.as_of),
                esc(&f.grouping),
                f.groups.len(),
                ratio(0),
                ratio(1),
                ratio(2),
                esc(f.note.as_deref().unwrap_or(""))
            ));
        }
    }
    h + "</table>"
}

fn movement_table(r: &MonitorReport) -> String {
    let Some(m) = &r.movement else {
        return "<p class=muted>No previous night given (--previous-scores).</p>".into();
    };
    let mut h = format!(
        "<p>{} customers scored both nights ({} only the previous night, {} only tonight); {} changed their top reason.</p><table><tr><th>from</th><th>to</th><th>customers</th></tr>",
        m.in_both, m.only_previous, m.only_tonight, m.top_reason_changed
    );
    for t in &m.transitions {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&t.from),
            esc(&t.to),
            t.customers
        ));
    }
    h + "</table>"
}

/// The whole page.
pub fn page(r: &MonitorReport, alerts: &[Alert]) -> String {
    let figures: String = moved_most(r)
        .into_iter()
        .filter(|d| d.present > 0)
        .take(6)
        .map(|d| {
            format!(
                "<figure style=\"display:inline-block;margin:.3em\">{}</figure>",
                svg(&shares_chart(d))
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Model monitor {id}</title><style>{style}</style></head><body>\n\
<h1>Is model {id} still right?</h1>\n<p class=meta>{input}; score reference: {src}</p>\n{verdict}\n\
<h2>Alerts</h2>\n{alerts}\n<h2>What moved</h2>\n<figure>{psi}</figure>\n{drift}\n\
<h2>Distributions of the inputs that moved most</h2>\n{figures}\n\
<h2>Realised performance</h2>\n{realised}\n<h2>Fairness over time</h2>\n{fairness}\n<h2>Movement since the previous night</h2>\n{movement}\n</body></html>\n",
        id = esc(&r.model_id),
        style = erosion_report::STYLE,
        input = esc(&r.input),
        src = esc(&r.score_reference),
        verdict = verdict(r, alerts),
        alerts = alerts_table(alerts),
        psi = svg(&psi_chart(r)),
        drift = drift_table(r),
        figures = figures,
        realised = realised_table(r),
        fairness = fairness_table(r),
        movement = movement_table(r),
    )
}
