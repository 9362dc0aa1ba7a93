//! # erosion-report
//!
//! Turns a [`FairnessReport`] from `erosion-fairness` into files a fairness
//! reviewer can file: `fairness.json` (every number, with definitions and
//! intervals), `group_metrics.csv` (one row per group), plots in SVG and PNG, and
//! a self-contained `report.html` (plots inline as PNG, no network, no
//! JavaScript) whose plain-language summary comes first. [`write_audit`] is the
//! one entry point; every file is written atomically (temporary file in the same
//! directory, then rename).
//!
//! The chart helpers in [`plots`] are generic (dot-and-whisker charts, line
//! charts with shaded interval bands, highlighted points, legends outside the
//! data); [`forecast::forecast_figure`] draws a forecast with them for
//! `erosion forecast`.
//!
//! What it deliberately does not do: compute any statistic (all numbers come
//! from the report it is given), read input data, or parse flags.

#![warn(missing_docs)]

pub mod forecast;
pub mod plots;

mod figures;
mod html;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use erosion_fairness::{FairnessReport, Metric};

pub use figures::audit_figures;
pub use html::{esc, STYLE};

/// Where the audited predictions came from, for the report's header.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditInputs {
    /// Report title; default "Fairness audit".
    pub title: Option<String>,
    /// The model, e.g. a bundle path and id, or "external predictions".
    pub model: Option<String>,
    /// The data file(s) audited.
    pub data: Option<String>,
    /// Label column and what a positive label means, e.g. "churn (1 = left)".
    pub label: Option<String>,
    /// Score column, e.g. "erosion_probability".
    pub score: Option<String>,
    /// What being flagged means for a customer, e.g. "flagged as at risk of leaving".
    pub flag_meaning: Option<String>,
    /// Tool and version that produced the audit.
    pub generated_by: Option<String>,
}

/// Why writing the audit failed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] plots::PlotError),
    /// The report could not be serialised.
    #[error("cannot serialise the report: {0}")]
    Json(#[from] serde_json::Error),
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A temporary path next to `path` whose name keeps the extension (plotters
/// picks the image format from it).
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".tmp-{}-{name}", std::process::id()))
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory,
/// synced, then renamed over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io_err(path))
}

fn write_png_atomic(fig: &plots::Figure, path: &Path) -> Result<(), ReportError> {
    let tmp = temp_path(path);
    if let Err(e) = fig.write_png(&tmp) {
        let _ = fs::remove_file(&tmp);
        return Err(e.into());
    }
    fs::rename(&tmp, path).map_err(io_err(path))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn num(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

/// `group_metrics.csv`: one row per group of every grouping, plus `overall`;
/// for each metric its value and interval (empty when not reported).
pub fn group_metrics_csv(report: &FairnessReport) -> String {
    let mut out = String::from("grouping,group,count,positives,selected,status");
    for m in Metric::ALL {
        let n = m.name();
        out.push_str(&format!(",{n},{n}_ci_low,{n}_ci_high"));
    }
    out.push('\n');
    let rows = std::iter::once(("overall", &report.overall)).chain(
        report
            .groupings
            .iter()
            .flat_map(|g| g.groups.iter().map(move |x| (g.name.as_str(), x))),
    );
    for (grouping, g) in rows {
        let status = serde_json::to_value(g.status)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{}",
            csv_field(grouping),
            csv_field(&g.group),
            g.count,
            g.positives.map(|x| x.to_string()).unwrap_or_default(),
            g.selected.map(|x| x.to_string()).unwrap_or_default(),
            status
        ));
        for m in Metric::ALL {
            let e = g.metric(m);
            out.push_str(&format!(
                ",{},{},{}",
                num(e.value),
                num(e.ci_low),
                num(e.ci_high)
            ));
        }
        out.push('\n');
    }
    out
}

/// Writes the whole audit into `out_dir` (created if missing): `fairness.json`,
/// `group_metrics.csv`, every figure as `.svg` and `.png`, and `report.html`.
/// Returns the paths written, `report.html` last.
pub fn write_audit(
    report: &FairnessReport,
    inputs: &AuditInputs,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    fs::create_dir_all(out_dir).map_err(io_err(out_dir))?;
    let mut written = Vec::new();
    let json_path = out_dir.join("fairness.json");
    write_atomic(&json_path, &serde_json::to_vec_pretty(report)?)?;
    written.push(json_path);
    let csv_path = out_dir.join("group_metrics.csv");
    write_atomic(&csv_path, group_metrics_csv(report).as_bytes())?;
    written.push(csv_path);

    let mut images = Vec::new();
    for nf in audit_figures(report) {
        let svg_path = out_dir.join(format!("{}.svg", nf.file_stem));
        write_atomic(&svg_path, nf.figure.to_svg()?.as_bytes())?;
        written.push(svg_path);
        let png_path = out_dir.join(format!("{}.png", nf.file_stem));
        write_png_atomic(&nf.figure, &png_path)?;
        let png = fs::read(&png_path).map_err(io_err(&png_path))?;
        written.push(png_path);
        images.push(html::Image {
            grouping: nf.grouping,
            caption: nf.caption,
            file_stem: nf.file_stem,
            png,
        });
    }
    let html_path = out_dir.join("report.html");
    write_atomic(&html_path, html::render(report, inputs, &images).as_bytes())?;
    written.push(html_path);
    Ok(written)
}
