//! Reusable chart helpers on top of plotters, in SVG and PNG, with an embedded
//! font (DejaVu Sans, see `assets/DejaVuSans-LICENSE.txt`): the machines that
//! render these have no system fonts.
//!
//! Two chart kinds cover the audit and are meant to be reused elsewhere (for
//! example a forecast: history as one [`Series`], the forecast as another with
//! its interval as a shaded [`Series::band`], and a [`LineChart::vlines`] marker
//! at the forecast origin):
//!
//! - [`DotWhiskerChart`]: one row per item, a dot at the estimate and a whisker
//!   over its interval, with optional reference lines and a shaded band (e.g. the
//!   0.8 to 1.25 band of acceptable disparity ratios);
//! - [`LineChart`]: lines and/or markers with optional shaded interval bands, a
//!   diagonal (for ROC and calibration curves) and vertical markers.
//!
//! A [`Figure`] lays out one or more charts in a grid and renders it with
//! [`Figure::to_svg`] or [`Figure::write_png`].

use std::path::Path;
use std::sync::{Arc, Once};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle, RGBColor};

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("could not draw {what}: {message}")]
pub struct PlotError {
    /// The chart or file.
    pub what: String,
    /// The backend's message.
    pub message: String,
}

fn perr(what: &str) -> impl Fn(String) -> PlotError + '_ {
    move |message| PlotError {
        what: what.to_string(),
        message,
    }
}

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Registers the embedded font as `sans-serif` (idempotent). Every render calls it.
pub fn ensure_font() {
    REGISTER.call_once(|| {
        for family in ["sans-serif", "serif", "monospace"] {
            if register_font(family, FontStyle::Normal, FONT).is_err() {
                panic!("the embedded DejaVu Sans font does not parse");
            }
        }
    });
}

/// Colour-blind-safe palette (Okabe and Ito), cycled by index.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(0, 0, 0),
];

/// Palette colour `i` (cycled).
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

const GREY: RGBColor = RGBColor(110, 110, 110);
const LIGHT: RGBColor = RGBColor(200, 200, 200);

/// One row of a [`DotWhiskerChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct DotWhiskerRow {
    /// Row label, drawn left of the plot.
    pub label: String,
    /// The estimate; `None` draws `note` instead of a dot.
    pub value: Option<f64>,
    /// Lower end of the whisker.
    pub low: Option<f64>,
    /// Upper end of the whisker.
    pub high: Option<f64>,
    /// Text shown in place of a missing value (e.g. "insufficient evidence, n = 12").
    pub note: Option<String>,
    /// Palette index of the dot.
    pub color: usize,
}

/// Dots with interval whiskers, one row per item, top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub struct DotWhiskerChart {
    /// Title above the chart.
    pub title: String,
    /// Label of the value axis.
    pub x_label: String,
    /// Rows, drawn top to bottom.
    pub rows: Vec<DotWhiskerRow>,
    /// Value axis range; automatic (covering values, whiskers, lines and band) when `None`.
    pub x_range: Option<(f64, f64)>,
    /// Vertical reference lines (e.g. 1 for ratios).
    pub reference_lines: Vec<f64>,
    /// Shaded band of acceptable values (e.g. 0.8 to 1.25).
    pub band: Option<(f64, f64)>,
}

/// How a [`Series`] is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesMode {
    /// A line through the points.
    Line,
    /// A marker at each point.
    Markers,
    /// Both.
    LineMarkers,
}

/// One series of a [`LineChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// Points `(x, y)` in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Shaded interval `(x, low, high)`, in x order; empty for none.
    pub band: Vec<(f64, f64, f64)>,
    /// Whiskers `(x, low, high)` drawn as vertical bars at points; empty for none.
    pub whiskers: Vec<(f64, f64, f64)>,
    /// Line, markers or both.
    pub mode: SeriesMode,
    /// Palette index.
    pub color: usize,
}

impl Series {
    /// A plain line series.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series {
            name: name.into(),
            points,
            band: Vec::new(),
            whiskers: Vec::new(),
            mode: SeriesMode::Line,
            color,
        }
    }
}

/// Formats axis tick values.
pub type TickFormat = Arc<dyn Fn(f64) -> String + Send + Sync>;

/// Lines, markers and shaded interval bands on numeric axes.
#[derive(Clone)]
pub struct LineChart {
    /// Title above the chart.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// The series.
    pub series: Vec<Series>,
    /// X range; automatic when `None`.
    pub x_range: Option<(f64, f64)>,
    /// Y range; automatic when `None`.
    pub y_range: Option<(f64, f64)>,
    /// Draw the y = x diagonal (ROC chance line, perfect calibration).
    pub diagonal: bool,
    /// Vertical marker lines with labels (e.g. a forecast origin).
    pub vlines: Vec<(f64, String)>,
    /// Format of the x tick labels (e.g. dates); default: plotters' numbers.
    pub x_format: Option<TickFormat>,
    /// Legend in the lower right (else upper left).
    pub legend_lower_right: bool,
}

impl std::fmt::Debug for LineChart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineChart")
            .field("title", &self.title)
            .field("series", &self.series)
            .finish_non_exhaustive()
    }
}

impl LineChart {
    /// An empty chart with titles; fill `series` and options afterwards.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        LineChart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            x_range: None,
            y_range: None,
            diagonal: false,
            vlines: Vec::new(),
            x_format: None,
            legend_lower_right: true,
        }
    }
}

/// A chart of either kind.
#[derive(Debug, Clone)]
pub enum Chart {
    /// Dots and whiskers.
    DotWhisker(DotWhiskerChart),
    /// Lines and bands.
    Line(LineChart),
}

/// One or more charts in a grid.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Charts, filled row by row.
    pub charts: Vec<Chart>,
    /// Number of columns of the grid.
    pub columns: usize,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Figure {
    /// A figure with one chart.
    pub fn single(chart: Chart, width: u32, height: u32) -> Self {
        Figure {
            charts: vec![chart],
            columns: 1,
            width,
            height,
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let cols = self.columns.max(1);
        let rows = self.charts.len().div_ceil(cols).max(1);
        let areas = root.split_evenly((rows, cols));
        for (chart, area) in self.charts.iter().zip(areas.iter()) {
            match chart {
                Chart::DotWhisker(c) => draw_dot_whisker(c, area)?,
                Chart::Line(c) => draw_line_chart(c, area)?,
            }
        }
        root.present().map_err(|e| e.to_string())
    }

    /// Renders the figure as an SVG document.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        ensure_font();
        let mut out = String::new();
        {
            let root =
                SVGBackend::with_string(&mut out, (self.width, self.height)).into_drawing_area();
            self.draw(&root).map_err(perr("SVG figure"))?;
        }
        Ok(out)
    }

    /// Renders the figure as a PNG file at `path` (whose name must end in `.png`).
    pub fn write_png(&self, path: &Path) -> Result<(), PlotError> {
        ensure_font();
        let root = BitMapBackend::new(path, (self.width, self.height)).into_drawing_area();
        self.draw(&root).map_err(perr(&path.display().to_string()))
    }
}

fn nice_range(lo: f64, hi: f64, pad: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    if (hi - lo).abs() < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let p = (hi - lo) * pad;
    (lo - p, hi + p)
}

fn text_width_px(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.56
}

fn draw_dot_whisker<DB: DrawingBackend>(
    c: &DotWhiskerChart,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let n = c.rows.len().max(1);
    let (xmin, xmax) = c.x_range.unwrap_or_else(|| {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for r in &c.rows {
            for v in [r.value, r.low, r.high].into_iter().flatten() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        for &v in &c.reference_lines {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if let Some((a, b)) = c.band {
            lo = lo.min(a);
            hi = hi.max(b);
        }
        nice_range(lo, hi, 0.08)
    });
    let label_w = c
        .rows
        .iter()
        .map(|r| text_width_px(&r.label, 14.0))
        .fold(60.0, f64::max)
        .min(360.0) as u32
        + 16;
    let mut chart = ChartBuilder::on(area)
        .caption(&c.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(label_w)
        .build_cartesian_2d(xmin..xmax, -0.5f64..(n as f64 - 0.5))
        .map_err(e)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(8)
        .x_desc(&c.x_label)
        .axis_desc_style(("sans-serif", 15))
        .label_style(("sans-serif", 13))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(e)?;
    // Rows from the top: row i sits at y = n - 1 - i.
    let y_of = |i: usize| (n - 1 - i) as f64;
    if let Some((a, b)) = c.band {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(a.max(xmin), -0.5), (b.min(xmax), n as f64 - 0.5)],
                RGBColor(0, 158, 115).mix(0.12).filled(),
            )))
            .map_err(e)?;
    }
    for &v in &c.reference_lines {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(v, -0.5), (v, n as f64 - 0.5)],
                GREY.stroke_width(1),
            )))
            .map_err(e)?;
    }
    for (i, r) in c.rows.iter().enumerate() {
        let y = y_of(i);
        let col = color(r.color);
        // Row label, right-aligned left of the plot.
        let (px, py) = chart.backend_coord(&(xmin, y));
        let style = TextStyle::from(("sans-serif", 14).into_font())
            .color(&BLACK)
            .pos(Pos::new(HPos::Right, VPos::Center));
        area.draw_text(
            &r.label,
            &style,
            (
                px - area.get_base_pixel().0 - 8,
                py - area.get_base_pixel().1,
            ),
        )
        .map_err(e)?;
        match r.value {
            Some(v) => {
                if let (Some(lo), Some(hi)) = (r.low, r.high) {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(lo, y), (hi, y)],
                            col.stroke_width(2),
                        )))
                        .map_err(e)?;
                    for end in [lo, hi] {
                        chart
                            .draw_series(std::iter::once(PathElement::new(
                                vec![(end, y - 0.15), (end, y + 0.15)],
                                col.stroke_width(2),
                            )))
                            .map_err(e)?;
                    }
                }
                chart
                    .draw_series(std::iter::once(Circle::new((v, y), 5, col.filled())))
                    .map_err(e)?;
            }
            None => {
                let note = r.note.clone().unwrap_or_else(|| "not defined".into());
                let (nx, ny) = chart.backend_coord(&(xmin, y));
                let base = area.get_base_pixel();
                let style = TextStyle::from(("sans-serif", 13).into_font())
                    .color(&GREY)
                    .pos(Pos::new(HPos::Left, VPos::Center));
                area.draw_text(&note, &style, (nx - base.0 + 8, ny - base.1))
                    .map_err(e)?;
            }
        }
    }
    Ok(())
}

fn draw_line_chart<DB: DrawingBackend>(
    c: &LineChart,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let mut xs: Vec<f64> = Vec::new();
    let mut ys: Vec<f64> = Vec::new();
    for s in &c.series {
        for &(x, y) in &s.points {
            xs.push(x);
            ys.push(y);
        }
        for &(x, lo, hi) in s.band.iter().chain(&s.whiskers) {
            xs.push(x);
            ys.push(lo);
            ys.push(hi);
        }
    }
    let fold = |v: &[f64]| {
        (
            v.iter().copied().fold(f64::INFINITY, f64::min),
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    };
    let (x0, x1) = c.x_range.unwrap_or_else(|| {
        let (a, b) = fold(&xs);
        nice_range(a, b, 0.03)
    });
    let (y0, y1) = c.y_range.unwrap_or_else(|| {
        let (a, b) = fold(&ys);
        nice_range(a, b, 0.08)
    });
    let mut chart = ChartBuilder::on(area)
        .caption(&c.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(e)?;
    let fmt = c.x_format.clone();
    let x_fmt = move |v: &f64| match &fmt {
        Some(f) => f(*v),
        None => format_tick(*v),
    };
    chart
        .configure_mesh()
        .x_desc(&c.x_label)
        .y_desc(&c.y_label)
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&|v| format_tick(*v))
        .axis_desc_style(("sans-serif", 15))
        .label_style(("sans-serif", 13))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(e)?;
    if c.diagonal {
        let a = x0.max(y0);
        let b = x1.min(y1);
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(a, a), (b, b)],
                LIGHT.stroke_width(2),
            )))
            .map_err(e)?;
    }
    for (x, label) in &c.vlines {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(*x, y0), (*x, y1)],
                GREY.stroke_width(1),
            )))
            .map_err(e)?;
        chart
            .draw_series(std::iter::once(Text::new(
                label.clone(),
                (*x, y1),
                ("sans-serif", 13).into_font().color(&GREY),
            )))
            .map_err(e)?;
    }
    // Bands first, so lines stay on top.
    for s in &c.series {
        if s.band.len() >= 2 {
            let mut poly: Vec<(f64, f64)> = s.band.iter().map(|&(x, lo, _)| (x, lo)).collect();
            poly.extend(s.band.iter().rev().map(|&(x, _, hi)| (x, hi)));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    poly,
                    color(s.color).mix(0.18).filled(),
                )))
                .map_err(e)?;
        }
    }
    for s in &c.series {
        let col = color(s.color);
        for &(x, lo, hi) in &s.whiskers {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, lo), (x, hi)],
                    col.mix(0.7).stroke_width(2),
                )))
                .map_err(e)?;
        }
        let legend_col = col;
        let anno = match s.mode {
            SeriesMode::Line | SeriesMode::LineMarkers => chart
                .draw_series(LineSeries::new(
                    s.points.iter().copied(),
                    col.stroke_width(3),
                ))
                .map_err(e)?,
            SeriesMode::Markers => chart
                .draw_series(s.points.iter().map(|&p| Circle::new(p, 5, col.filled())))
                .map_err(e)?,
        };
        anno.label(s.name.clone()).legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 22, y)], legend_col.stroke_width(4))
        });
        if s.mode == SeriesMode::LineMarkers {
            chart
                .draw_series(s.points.iter().map(|&p| Circle::new(p, 4, col.filled())))
                .map_err(e)?;
        }
    }
    if c.series.iter().any(|s| !s.name.is_empty()) {
        chart
            .configure_series_labels()
            .position(if c.legend_lower_right {
                SeriesLabelPosition::LowerRight
            } else {
                SeriesLabelPosition::UpperLeft
            })
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.85))
            .border_style(LIGHT)
            .draw()
            .map_err(e)?;
    }
    Ok(())
}

/// Tick label: up to 3 decimals, trailing zeros dropped.
pub fn format_tick(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The helpers also draw a forecast: history, forecast with a shaded
    /// interval, and a marker at the forecast origin.
    pub(crate) fn forecast_figure() -> Figure {
        let history: Vec<(f64, f64)> = (0..52)
            .map(|w| (w as f64, 40.0 + 8.0 * (w as f64 / 8.0).sin()))
            .collect();
        let forecast: Vec<(f64, f64)> = (51..65)
            .map(|w| (w as f64, 40.0 + 8.0 * (w as f64 / 8.0).sin()))
            .collect();
        let band = forecast
            .iter()
            .enumerate()
            .map(|(h, &(x, y))| (x, y - 1.5 * (h as f64).sqrt(), y + 1.5 * (h as f64).sqrt()))
            .collect();
        let mut c = LineChart::new(
            "Weekly NPS of segment A: history and forecast",
            "week",
            "NPS",
        );
        c.series.push(Series::line("history", history, 7));
        c.series.push(Series {
            band,
            ..Series::line("forecast (95 % interval)", forecast, 0)
        });
        c.vlines.push((51.0, " forecast origin".into()));
        c.x_format = Some(Arc::new(|x| format!("W{}", x as i64)));
        c.legend_lower_right = false;
        Figure::single(Chart::Line(c), 900, 450)
    }

    #[test]
    fn forecast_chart_renders_to_svg_and_png() {
        let fig = forecast_figure();
        let svg = fig.to_svg().unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("forecast origin"));
        assert!(svg.contains("W20"), "custom x tick format is used");
        let dir = std::env::temp_dir().join(format!("erosion-plots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let png = dir.join("forecast.png");
        fig.write_png(&png).unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[..4], b"\x89PNG");
        if std::env::var_os("EROSION_KEEP_PLOTS").is_none() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn dot_whisker_with_missing_values_renders() {
        let rows = vec![
            DotWhiskerRow {
                label: "a".into(),
                value: Some(0.3),
                low: Some(0.2),
                high: Some(0.4),
                note: None,
                color: 0,
            },
            DotWhiskerRow {
                label: "tiny".into(),
                value: None,
                low: None,
                high: None,
                note: Some("insufficient evidence (n = 3)".into()),
                color: 1,
            },
        ];
        let chart = DotWhiskerChart {
            title: "t".into(),
            x_label: "x".into(),
            rows,
            x_range: None,
            reference_lines: vec![0.25],
            band: Some((0.2, 0.3)),
        };
        let svg = Figure::single(Chart::DotWhisker(chart), 600, 200)
            .to_svg()
            .unwrap();
        assert!(svg.contains("insufficient evidence (n = 3)"));
    }

    #[test]
    fn tick_format_is_short() {
        assert_eq!(format_tick(0.5), "0.5");
        assert_eq!(format_tick(2.0), "2");
        assert_eq!(format_tick(-0.0001), "0");
        assert_eq!(format_tick(0.125), "0.125");
    }
}
