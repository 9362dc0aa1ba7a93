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

/// Categorical palette for groups: Okabe and Ito's colour-blind-safe colours first, then Paul
/// Tol's muted scheme and a brown, 16 colours in all, each at least 20 CIE76 units from every
/// other and from [`ALL_ROWS_GREY`] (a test measures it), so that 12 and more groups stay apart.
pub const PALETTE: [RGBColor; 16] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(136, 34, 85),
    RGBColor(17, 119, 51),
    RGBColor(51, 34, 136),
    RGBColor(153, 153, 51),
    RGBColor(170, 68, 153),
    RGBColor(153, 204, 0),
    RGBColor(204, 102, 119),
    RGBColor(221, 204, 119),
    RGBColor(102, 17, 0),
];

/// The grey reserved for "all rows" (the overall estimate); no group ever gets it.
pub const ALL_ROWS_GREY: RGBColor = RGBColor(128, 128, 128);

/// The colour of a chart element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hue {
    /// Palette colour `i`, cycled after 16 (label rows, do not rely on colour alone).
    Group(usize),
    /// The grey of all rows together.
    AllRows,
}

impl Hue {
    /// The colour.
    pub fn rgb(self) -> RGBColor {
        match self {
            Hue::Group(i) => PALETTE[i % PALETTE.len()],
            Hue::AllRows => ALL_ROWS_GREY,
        }
    }
}

const GREY: RGBColor = RGBColor(110, 110, 110);
const LIGHT: RGBColor = RGBColor(200, 200, 200);
const TITLE_SIZE: u32 = 20;
const LABEL_SIZE: u32 = 14;

/// Width and height in pixels of `text` in the embedded font at `size` px: what the renderer
/// will draw, so label areas can be sized to hold their labels.
pub fn text_size(text: &str, size: u32) -> (u32, u32) {
    ensure_font();
    ("sans-serif", size)
        .into_font()
        .box_size(text)
        .unwrap_or((text.chars().count() as u32 * size * 6 / 10, size))
}

/// Width in pixels of the widest of `labels` at `size` px.
pub fn widest(labels: impl IntoIterator<Item = impl AsRef<str>>, size: u32) -> u32 {
    labels
        .into_iter()
        .map(|l| text_size(l.as_ref(), size).0)
        .max()
        .unwrap_or(0)
}

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
    /// Colour of the dot.
    pub hue: Hue,
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

impl DotWhiskerChart {
    /// Pixels left of the plot that hold the widest row label (measured in the embedded font).
    pub fn label_width(&self) -> u32 {
        widest(self.rows.iter().map(|r| &r.label), LABEL_SIZE).max(40) + 20
    }
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
    /// Legend entry; empty for none.
    pub name: String,
    /// Points `(x, y)` in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Whiskers `(x, low, high)` drawn as vertical bars at points; empty for none.
    pub whiskers: Vec<(f64, f64, f64)>,
    /// Line, markers or both.
    pub mode: SeriesMode,
    /// Colour.
    pub hue: Hue,
}

impl Series {
    /// A plain line series.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>, hue: Hue) -> Self {
        Series {
            name: name.into(),
            points,
            whiskers: Vec::new(),
            mode: SeriesMode::Line,
            hue,
        }
    }
}

/// A shaded interval `(x, low, high)` of a [`LineChart`], e.g. a forecast's 95 % interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Legend entry; empty for none.
    pub name: String,
    /// `(x, low, high)` in x order.
    pub points: Vec<(f64, f64, f64)>,
    /// Colour.
    pub hue: Hue,
    /// Opacity of the fill, 0 to 1: nested bands use clearly different ones.
    pub opacity: f64,
}

/// A highlighted point with a label, e.g. the point that raised an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Where.
    pub at: (f64, f64),
    /// Label drawn next to it (and in the legend).
    pub label: String,
    /// Colour of the ring.
    pub hue: Hue,
}

/// Where a [`LineChart`]'s legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Legend {
    /// No legend.
    Hidden,
    /// Inside the plot, lower right (where ROC curves leave room).
    LowerRight,
    /// Right of the plot, outside the data: it can hide nothing.
    Outside,
}

/// Formats axis tick values.
pub type TickFormat = Arc<dyn Fn(f64) -> String + Send + Sync>;

/// Lines, markers and shaded interval bands on numeric axes.
#[derive(Clone)]
pub struct LineChart {
    /// Title above the chart.
    pub title: String,
    /// Smaller grey line under the title (e.g. the model behind a forecast).
    pub subtitle: Option<String>,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// The series.
    pub series: Vec<Series>,
    /// Shaded intervals, drawn under the series.
    pub bands: Vec<Band>,
    /// Highlighted points with labels, drawn on top.
    pub markers: Vec<Marker>,
    /// Small grey texts `(x, y, text)` at data coordinates (e.g. counts per bin).
    pub notes: Vec<(f64, f64, String)>,
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
    /// Format of the y tick labels (e.g. percentages); default: up to 3 decimals.
    pub y_format: Option<TickFormat>,
    /// Where the legend goes.
    pub legend: Legend,
}

impl std::fmt::Debug for LineChart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineChart")
            .field("title", &self.title)
            .field("series", &self.series)
            .field("bands", &self.bands)
            .field("markers", &self.markers)
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
            subtitle: None,
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            bands: Vec::new(),
            markers: Vec::new(),
            notes: Vec::new(),
            x_range: None,
            y_range: None,
            diagonal: false,
            vlines: Vec::new(),
            x_format: None,
            y_format: None,
            legend: Legend::LowerRight,
        }
    }

    /// Width in pixels of the legend's box (or strip right of the plot, when outside).
    pub fn legend_width(&self) -> u32 {
        let entries = self.legend_entries();
        if entries.is_empty() {
            return 0;
        }
        widest(entries.iter().map(|e| e.1), LEGEND_FONT) + SWATCH_W as u32 + 48
    }

    /// The legend's entries in drawing order: series, then bands, then markers.
    fn legend_entries(&self) -> Vec<(LegendSwatch, &str)> {
        let series = self
            .series
            .iter()
            .filter(|s| !s.name.is_empty())
            .map(|s| (LegendSwatch::Series(s.mode, s.hue), s.name.as_str()));
        let bands = self
            .bands
            .iter()
            .filter(|b| !b.name.is_empty())
            .map(|b| (LegendSwatch::Band(b.hue, b.opacity), b.name.as_str()));
        let markers = self
            .markers
            .iter()
            .map(|m| (LegendSwatch::Marker(m.hue), m.label.as_str()));
        series.chain(bands).chain(markers).collect()
    }
}

#[derive(Debug, Clone, Copy)]
enum LegendSwatch {
    Series(SeriesMode, Hue),
    Band(Hue, f64),
    Marker(Hue),
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
    /// Title over the whole grid (small multiples); `None` for none.
    pub title: Option<String>,
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
            title: None,
            charts: vec![chart],
            columns: 1,
            width,
            height,
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(e)?;
        let grid = match &self.title {
            Some(t) => root
                .titled(t, ("sans-serif", TITLE_SIZE + 2).into_font())
                .map_err(e)?,
            None => root.clone(),
        };
        let cols = self.columns.max(1);
        let rows = self.charts.len().div_ceil(cols).max(1);
        let areas = grid.split_evenly((rows, cols));
        for (chart, area) in self.charts.iter().zip(areas.iter()) {
            match chart {
                Chart::DotWhisker(c) => draw_dot_whisker(c, area)?,
                Chart::Line(c) => draw_line_chart(c, area)?,
            }
        }
        root.present().map_err(e)
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

    /// Renders the figure into an RGB pixel buffer (`width * height * 3` bytes), for tests
    /// that look at what was drawn where.
    pub fn to_rgb(&self) -> Result<Vec<u8>, PlotError> {
        ensure_font();
        let mut buf = vec![0u8; self.width as usize * self.height as usize * 3];
        {
            let root =
                BitMapBackend::with_buffer(&mut buf, (self.width, self.height)).into_drawing_area();
            self.draw(&root).map_err(perr("RGB figure"))?;
        }
        Ok(buf)
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

/// Title and optional subtitle drawn at the top of `area`; returns the area below them.
fn titled<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: Option<&str>,
) -> Result<DrawingArea<DB, Shift>, String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let below = area
        .titled(title, ("sans-serif", TITLE_SIZE).into_font())
        .map_err(e)?;
    match subtitle {
        Some(s) => below
            .titled(s, ("sans-serif", 13).into_font().color(&GREY))
            .map_err(e),
        None => Ok(below),
    }
}

fn dot_whisker_range(c: &DotWhiskerChart) -> (f64, f64) {
    c.x_range.unwrap_or_else(|| {
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
    })
}

fn draw_dot_whisker<DB: DrawingBackend>(
    c: &DotWhiskerChart,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let n = c.rows.len().max(1);
    let (xmin, xmax) = dot_whisker_range(c);
    let inner = titled(area, &c.title, None)?;
    let mut chart = ChartBuilder::on(&inner)
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(c.label_width())
        .build_cartesian_2d(xmin..xmax, -0.5f64..(n as f64 - 0.5))
        .map_err(e)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(8)
        .x_desc(&c.x_label)
        .x_label_formatter(&|v| format_tick(*v))
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
    let base = inner.get_base_pixel();
    for (i, r) in c.rows.iter().enumerate() {
        let y = y_of(i);
        let col = r.hue.rgb();
        // Row label, right-aligned left of the plot, in the area sized to hold it.
        let (px, py) = chart.backend_coord(&(xmin, y));
        let style = TextStyle::from(("sans-serif", LABEL_SIZE).into_font())
            .color(&BLACK)
            .pos(Pos::new(HPos::Right, VPos::Center));
        inner
            .draw_text(&r.label, &style, (px - base.0 - 8, py - base.1))
            .map_err(e)?;
        match r.value {
            Some(v) => {
                if let (Some(lo), Some(hi)) = (r.low, r.high) {
                    let whisker = |pts: Vec<(f64, f64)>| PathElement::new(pts, col.stroke_width(2));
                    chart
                        .draw_series([
                            whisker(vec![(lo, y), (hi, y)]),
                            whisker(vec![(lo, y - 0.15), (lo, y + 0.15)]),
                            whisker(vec![(hi, y - 0.15), (hi, y + 0.15)]),
                        ])
                        .map_err(e)?;
                }
                chart
                    .draw_series(std::iter::once(Circle::new((v, y), 5, col.filled())))
                    .map_err(e)?;
            }
            None => {
                let note = r.note.clone().unwrap_or_else(|| "not defined".into());
                let style = TextStyle::from(("sans-serif", 13).into_font())
                    .color(&GREY)
                    .pos(Pos::new(HPos::Left, VPos::Center));
                inner
                    .draw_text(&note, &style, (px - base.0 + 8, py - base.1))
                    .map_err(e)?;
            }
        }
    }
    Ok(())
}

/// The data's x and y ranges, padded, unless the chart fixes them.
fn line_chart_ranges(c: &LineChart) -> ((f64, f64), (f64, f64)) {
    let mut xs: Vec<f64> = Vec::new();
    let mut ys: Vec<f64> = Vec::new();
    for s in &c.series {
        for &(x, y) in &s.points {
            xs.push(x);
            ys.push(y);
        }
        for &(x, lo, hi) in &s.whiskers {
            xs.extend([x]);
            ys.extend([lo, hi]);
        }
    }
    for b in &c.bands {
        for &(x, lo, hi) in &b.points {
            xs.push(x);
            ys.extend([lo, hi]);
        }
    }
    for m in &c.markers {
        xs.push(m.at.0);
        ys.push(m.at.1);
    }
    let fold = |v: &[f64]| {
        (
            v.iter().copied().fold(f64::INFINITY, f64::min),
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    };
    let x = c.x_range.unwrap_or_else(|| {
        let (a, b) = fold(&xs);
        nice_range(a, b, 0.03)
    });
    let y = c.y_range.unwrap_or_else(|| {
        let (a, b) = fold(&ys);
        nice_range(a, b, 0.08)
    });
    (x, y)
}

const LEGEND_FONT: u32 = 14;
const SWATCH_W: i32 = 26;
const LEGEND_ROW: i32 = 24;

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    swatch: LegendSwatch,
    (x, y): (i32, i32),
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    match swatch {
        LegendSwatch::Series(mode, hue) => {
            let col = hue.rgb();
            if mode != SeriesMode::Markers {
                area.draw(&PathElement::new(
                    vec![(x, y), (x + SWATCH_W, y)],
                    col.stroke_width(3),
                ))?;
            }
            if mode != SeriesMode::Line {
                area.draw(&Circle::new((x + SWATCH_W / 2, y), 5, col.filled()))?;
            }
            Ok(())
        }
        LegendSwatch::Band(hue, opacity) => {
            let r = [(x, y - 8), (x + SWATCH_W, y + 8)];
            area.draw(&Rectangle::new(r, WHITE.filled()))?;
            area.draw(&Rectangle::new(r, hue.rgb().mix(opacity).filled()))
        }
        LegendSwatch::Marker(hue) => draw_ring(area, (x + SWATCH_W / 2, y), hue),
    }
}

/// The ring that marks a highlighted point: white halo, coloured ring, dark dot.
fn draw_ring<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    hue: Hue,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    area.draw(&Circle::new(at, 11, WHITE.stroke_width(5)))?;
    area.draw(&Circle::new(at, 9, hue.rgb().stroke_width(3)))?;
    area.draw(&Circle::new(at, 3, BLACK.filled()))
}

fn draw_legend<DB: DrawingBackend>(
    c: &LineChart,
    area: &DrawingArea<DB, Shift>,
    (x0, y0): (i32, i32),
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let style = TextStyle::from(("sans-serif", LEGEND_FONT).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (k, (swatch, name)) in c.legend_entries().into_iter().enumerate() {
        let y = y0 + LEGEND_ROW / 2 + k as i32 * LEGEND_ROW;
        draw_swatch(area, swatch, (x0, y)).map_err(e)?;
        area.draw_text(name, &style, (x0 + SWATCH_W + 8, y))
            .map_err(e)?;
    }
    Ok(())
}

fn draw_line_chart<DB: DrawingBackend>(
    c: &LineChart,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let ((x0, x1), (y0, y1)) = line_chart_ranges(c);
    let inner = titled(area, &c.title, c.subtitle.as_deref())?;
    let (plot_area, legend_area) = if c.legend == Legend::Outside {
        let w = inner.dim_in_pixel().0;
        let lw = c.legend_width().min(w / 2);
        let (p, l) = inner.split_horizontally(w - lw);
        (p, Some(l))
    } else {
        (inner.clone(), None)
    };
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(e)?;
    let xf = c.x_format.clone();
    let x_fmt = move |v: &f64| xf.as_ref().map_or_else(|| format_tick(*v), |f| f(*v));
    let yf = c.y_format.clone();
    let y_fmt = move |v: &f64| yf.as_ref().map_or_else(|| format_tick(*v), |f| f(*v));
    chart
        .configure_mesh()
        .x_desc(&c.x_label)
        .y_desc(&c.y_label)
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
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
            .draw_series([PathElement::new(
                vec![(*x, y0), (*x, y1)],
                GREY.stroke_width(1),
            )])
            .map_err(e)?;
        chart
            .draw_series([Text::new(
                label.clone(),
                (*x, y1),
                ("sans-serif", 13).into_font().color(&GREY),
            )])
            .map_err(e)?;
    }
    // Bands first, so lines stay on top.
    for b in c.bands.iter().filter(|b| b.points.len() >= 2) {
        let mut poly: Vec<(f64, f64)> = b.points.iter().map(|&(x, lo, _)| (x, lo)).collect();
        poly.extend(b.points.iter().rev().map(|&(x, _, hi)| (x, hi)));
        chart
            .draw_series([Polygon::new(poly, b.hue.rgb().mix(b.opacity).filled())])
            .map_err(e)?;
    }
    for s in &c.series {
        draw_series_of(&mut chart, s).map_err(e)?;
    }
    for &(x, y, ref text) in &c.notes {
        chart
            .draw_series([Text::new(
                text.clone(),
                (x, y),
                TextStyle::from(("sans-serif", 11).into_font())
                    .color(&GREY)
                    .pos(Pos::new(HPos::Center, VPos::Bottom)),
            )])
            .map_err(e)?;
    }
    for m in &c.markers {
        draw_marker(&chart, &plot_area, m).map_err(e)?;
    }
    match (c.legend, legend_area) {
        (Legend::Outside, Some(l)) => {
            let top = chart.backend_coord(&(x0, y1)).1 - l.get_base_pixel().1;
            draw_legend(c, &l, (8, top))?;
        }
        (Legend::LowerRight, _) if !c.legend_entries().is_empty() => {
            let (px, py) = chart.backend_coord(&(x1, y0));
            let base = plot_area.get_base_pixel();
            let n = c.legend_entries().len() as i32;
            let w = c.legend_width() as i32;
            let (lx, ly) = (px - base.0 - w - 4, py - base.1 - n * LEGEND_ROW - 10);
            plot_area
                .draw(&Rectangle::new(
                    [(lx, ly), (lx + w, ly + n * LEGEND_ROW + 6)],
                    WHITE.mix(0.9).filled(),
                ))
                .map_err(e)?;
            draw_legend(c, &plot_area, (lx + 8, ly + 3))?;
        }
        _ => {}
    }
    Ok(())
}

type Cart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn draw_series_of<DB: DrawingBackend>(
    chart: &mut Cart<'_, DB>,
    s: &Series,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let col = s.hue.rgb();
    for &(x, lo, hi) in &s.whiskers {
        chart.draw_series([PathElement::new(
            vec![(x, lo), (x, hi)],
            col.mix(0.7).stroke_width(2),
        )])?;
    }
    if s.mode != SeriesMode::Markers {
        chart.draw_series(LineSeries::new(
            s.points.iter().copied(),
            col.stroke_width(3),
        ))?;
    }
    if s.mode != SeriesMode::Line {
        let r = if s.mode == SeriesMode::Markers { 5 } else { 4 };
        chart.draw_series(s.points.iter().map(|&p| Circle::new(p, r, col.filled())))?;
    }
    Ok(())
}

/// A highlighted point: a ring, and its label in a white box on the side with room (left of
/// points in the right half, above points in the lower half), kept inside the plot.
fn draw_marker<DB: DrawingBackend>(
    chart: &Cart<'_, DB>,
    area: &DrawingArea<DB, Shift>,
    m: &Marker,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let base = area.get_base_pixel();
    let (px, py) = chart.backend_coord(&m.at);
    let (px, py) = (px - base.0, py - base.1);
    draw_ring(area, (px, py), m.hue)?;
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let (xr, yr) = (
        (xr.start - base.0)..(xr.end - base.0),
        (yr.start - base.1)..(yr.end - base.1),
    );
    let (tw, th) = text_size(&m.label, 13);
    let (tw, th) = (tw as i32 + 10, th as i32 + 8);
    let right_half = px > (xr.start + xr.end) / 2;
    let lower_half = py > (yr.start + yr.end) / 2;
    let lx = if right_half { px - 16 - tw } else { px + 16 };
    let ly = if lower_half { py - 18 - th } else { py + 18 };
    let lx = lx.clamp(xr.start + 2, (xr.end - tw - 2).max(xr.start + 2));
    let ly = ly.clamp(yr.start + 2, (yr.end - th - 2).max(yr.start + 2));
    area.draw(&Rectangle::new(
        [(lx, ly), (lx + tw, ly + th)],
        WHITE.mix(0.92).filled(),
    ))?;
    area.draw(&Rectangle::new(
        [(lx, ly), (lx + tw, ly + th)],
        m.hue.rgb().stroke_width(1),
    ))?;
    let style = TextStyle::from(("sans-serif", 13).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    area.draw_text(&m.label, &style, (lx + 5, ly + th / 2))
}

/// A count with thousands separated by commas: `1,234`.
pub fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
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

    /// CIE76 distance between two colours (sRGB to CIE L*a*b*, D65).
    fn delta_e(a: RGBColor, b: RGBColor) -> f64 {
        fn lab(c: RGBColor) -> [f64; 3] {
            let lin = |v: u8| {
                let v = v as f64 / 255.0;
                if v <= 0.04045 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            let (r, g, b) = (lin(c.0), lin(c.1), lin(c.2));
            let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
            let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
            let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
            let f = |t: f64| {
                if t > 0.008856 {
                    t.cbrt()
                } else {
                    7.787 * t + 16.0 / 116.0
                }
            };
            [
                116.0 * f(y) - 16.0,
                500.0 * (f(x) - f(y)),
                200.0 * (f(y) - f(z)),
            ]
        }
        let (p, q) = (lab(a), lab(b));
        ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
    }

    #[test]
    fn the_palette_keeps_sixteen_groups_apart_and_never_uses_the_all_rows_grey() {
        let mut closest = f64::INFINITY;
        for i in 0..16 {
            assert_ne!(Hue::Group(i).rgb(), ALL_ROWS_GREY);
            closest = closest.min(delta_e(Hue::Group(i).rgb(), ALL_ROWS_GREY));
            for j in 0..i {
                closest = closest.min(delta_e(Hue::Group(i).rgb(), Hue::Group(j).rgb()));
            }
        }
        assert!(closest >= 20.0, "two colours only {closest:.1} apart");
        // cycled past the end, still never the grey
        assert!((16..100).all(|i| Hue::Group(i).rgb() != ALL_ROWS_GREY));
    }

    /// The helpers draw a forecast: history, forecast, two nested bands, a marker.
    pub(crate) fn forecast_chart() -> LineChart {
        let y = |w: usize| 40.0 + 8.0 * (w as f64 / 8.0).sin();
        let history: Vec<(f64, f64)> = (0..52).map(|w| (w as f64, y(w))).collect();
        let forecast: Vec<(f64, f64)> = (51..65).map(|w| (w as f64, y(w))).collect();
        let band = |k: f64| -> Vec<(f64, f64, f64)> {
            (51..65)
                .map(|w| {
                    let h = (w - 51) as f64;
                    (w as f64, y(w) - k * h.sqrt(), y(w) + k * h.sqrt())
                })
                .collect()
        };
        let mut c = LineChart::new("Weekly NPS of segment A", "week", "NPS");
        c.subtitle = Some("ETS(A,N,N)".into());
        c.series
            .push(Series::line("history", history, Hue::Group(6)));
        c.series
            .push(Series::line("forecast", forecast, Hue::Group(0)));
        c.bands.push(Band {
            name: "95 % interval".into(),
            points: band(3.0),
            hue: Hue::Group(0),
            opacity: 0.15,
        });
        c.bands.push(Band {
            name: "80 % interval".into(),
            points: band(2.0),
            hue: Hue::Group(0),
            opacity: 0.4,
        });
        c.markers.push(Marker {
            at: (51.0, y(51)),
            label: "alert: NPS 33".into(),
            hue: Hue::Group(1),
        });
        c.vlines.push((51.0, " forecast origin".into()));
        c.x_format = Some(Arc::new(|x| format!("W{}", x as i64)));
        c.legend = Legend::Outside;
        c
    }

    #[test]
    fn forecast_chart_renders_to_svg_and_png() {
        let fig = Figure::single(Chart::Line(forecast_chart()), 900, 450);
        let svg = fig.to_svg().unwrap();
        assert!(svg.starts_with("<svg"));
        for needle in [
            "forecast origin",
            "W20",
            "ETS(A,N,N)",
            "80 % interval",
            "alert: NPS 33",
        ] {
            assert!(svg.contains(needle), "{needle}");
        }
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("forecast.png");
        fig.write_png(&png).unwrap();
        assert_eq!(&std::fs::read(&png).unwrap()[..4], b"\x89PNG");
        if std::env::var_os("EROSION_KEEP_PLOTS").is_some() {
            let keep = std::env::temp_dir().join("erosion-plots");
            std::fs::create_dir_all(&keep).unwrap();
            std::fs::copy(&png, keep.join("forecast.png")).unwrap();
        }
    }

    /// The legend placed outside leaves the plot's right edge (where the last points and the
    /// alert sit) free: the pixels right of the plot area hold the legend, not the data.
    #[test]
    fn an_outside_legend_sits_right_of_the_plot() {
        let c = forecast_chart();
        let lw = c.legend_width();
        assert!(lw > text_size("forecast origin", LEGEND_FONT).0);
        let (w, h) = (900u32, 450u32);
        let rgb = Figure::single(Chart::Line(c.clone()), w, h)
            .to_rgb()
            .unwrap();
        let px = |x: u32, y: u32| {
            let i = (y * w + x) as usize * 3;
            RGBColor(rgb[i], rgb[i + 1], rgb[i + 2])
        };
        // the 80 % swatch (opacity 0.4 over white) and the 95 % one (0.15) are drawn in the
        // legend strip, and differ clearly
        let strip: Vec<RGBColor> = (0..h)
            .flat_map(|y| (w - lw + 8..w - lw + 8 + SWATCH_W as u32).map(move |x| (x, y)))
            .map(|(x, y)| px(x, y))
            .collect();
        let blend = |a: f64| {
            let c = Hue::Group(0).rgb();
            let m = |v: u8| (255.0 * (1.0 - a) + v as f64 * a).round() as i32;
            (m(c.0), m(c.1), m(c.2))
        };
        let near = |p: &RGBColor, q: (i32, i32, i32)| {
            (p.0 as i32 - q.0).abs() <= 3
                && (p.1 as i32 - q.1).abs() <= 3
                && (p.2 as i32 - q.2).abs() <= 3
        };
        assert!(strip.iter().any(|p| near(p, blend(0.4))), "no 80 % swatch");
        assert!(strip.iter().any(|p| near(p, blend(0.15))), "no 95 % swatch");
        assert!(
            delta_e(
                RGBColor(blend(0.4).0 as u8, blend(0.4).1 as u8, blend(0.4).2 as u8),
                RGBColor(
                    blend(0.15).0 as u8,
                    blend(0.15).1 as u8,
                    blend(0.15).2 as u8
                )
            ) > 15.0
        );
    }

    #[test]
    fn dot_whisker_with_missing_values_renders() {
        let row = |label: &str, value: Option<f64>, note: Option<&str>| DotWhiskerRow {
            label: label.into(),
            value,
            low: value.map(|v| v - 0.1),
            high: value.map(|v| v + 0.1),
            note: note.map(String::from),
            hue: Hue::Group(0),
        };
        let chart = DotWhiskerChart {
            title: "t".into(),
            x_label: "x".into(),
            rows: vec![
                row("a", Some(0.3), None),
                row("tiny", None, Some("insufficient evidence (n = 3)")),
            ],
            x_range: None,
            reference_lines: vec![0.25],
            band: Some((0.2, 0.3)),
        };
        let svg = Figure::single(Chart::DotWhisker(chart), 600, 200)
            .to_svg()
            .unwrap();
        assert!(svg.contains("insufficient evidence (n = 3)"));
    }

    /// Row labels get an area measured in the font they are drawn in, however long they are.
    #[test]
    fn the_label_area_holds_the_widest_label() {
        let long = "Selection rate: female × 65+ (n=1,234) / male × 35-49 (n=2,345)";
        let chart = DotWhiskerChart {
            title: "t".into(),
            x_label: "x".into(),
            rows: vec![DotWhiskerRow {
                label: long.into(),
                value: Some(1.0),
                low: None,
                high: None,
                note: None,
                hue: Hue::AllRows,
            }],
            x_range: None,
            reference_lines: Vec::new(),
            band: None,
        };
        let measured = text_size(long, LABEL_SIZE).0;
        assert!(
            measured > 300,
            "a 64-character label measures {measured} px"
        );
        assert!(chart.label_width() >= measured + 8);
    }

    #[test]
    fn tick_format_is_short() {
        assert_eq!(format_tick(0.5), "0.5");
        assert_eq!(format_tick(2.0), "2");
        assert_eq!(format_tick(-0.0001), "0");
        assert_eq!(format_tick(0.125), "0.125");
    }

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1234), "1,234");
        assert_eq!(format_count(1234567), "1,234,567");
    }
}
