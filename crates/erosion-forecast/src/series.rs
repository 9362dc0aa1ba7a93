//! Series: an id, a regular time index (integer periods or calendar dates) and finite values.

use std::fmt;

use chrono::{Datelike, Duration, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{ForecastError, Result};

/// Calendar frequency of a dated series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Freq {
    /// One point a day.
    Day,
    /// One point a week (any weekday, the same each week).
    Week,
    /// One point a calendar month (any day of the month; only year and month are compared).
    Month,
}

impl Freq {
    /// The usual season length for this frequency (7, 52, 12), for callers that want a default.
    pub fn default_season(self) -> usize {
        match self {
            Freq::Day => 7,
            Freq::Week => 52,
            Freq::Month => 12,
        }
    }

    fn step(self, d: NaiveDate, k: i64) -> NaiveDate {
        match self {
            Freq::Day => d + Duration::days(k),
            Freq::Week => d + Duration::weeks(k),
            Freq::Month => {
                let end_of_month = d.succ_opt().is_none_or(|n| n.month() != d.month());
                let moved = if k >= 0 {
                    d.checked_add_months(Months::new(k as u32))
                } else {
                    d.checked_sub_months(Months::new((-k) as u32))
                }
                .unwrap_or(d);
                if end_of_month {
                    last_day_of_month(moved)
                } else {
                    moved
                }
            }
        }
    }

    /// Number of whole periods from `a` to `b` (may be fractional-free only if aligned).
    fn periods_between(self, a: NaiveDate, b: NaiveDate) -> Option<i64> {
        match self {
            Freq::Day => Some((b - a).num_days()),
            Freq::Week => {
                let d = (b - a).num_days();
                (d % 7 == 0).then_some(d / 7)
            }
            Freq::Month => Some(month_index(b) - month_index(a)),
        }
    }
}

fn month_index(d: NaiveDate) -> i64 {
    d.year() as i64 * 12 + d.month0() as i64
}

fn last_day_of_month(d: NaiveDate) -> NaiveDate {
    let first_next = if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    };
    first_next.and_then(|f| f.pred_opt()).unwrap_or(d)
}

/// The time of one point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TimePoint {
    /// An integer period (1, 2, 3, ... or any consecutive integers).
    Period(i64),
    /// A calendar date.
    Date(NaiveDate),
}

impl fmt::Display for TimePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimePoint::Period(p) => write!(f, "{p}"),
            TimePoint::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
        }
    }
}

/// A regular time index, stored as its first time and its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeIndex {
    /// Consecutive integer periods starting at `start`.
    Periods {
        /// First period.
        start: i64,
    },
    /// Consecutive dates of frequency `freq` starting at `start`.
    Dates {
        /// First date.
        start: NaiveDate,
        /// Frequency.
        freq: Freq,
    },
}

impl TimeIndex {
    /// Time of the point at `position` (may be past the end, for forecasts).
    pub fn at(&self, position: usize) -> TimePoint {
        match *self {
            TimeIndex::Periods { start } => TimePoint::Period(start + position as i64),
            TimeIndex::Dates { start, freq } => TimePoint::Date(freq.step(start, position as i64)),
        }
    }
}

/// One univariate series with a regular index and finite values.
///
/// Construct it with [`Series::from_periods`], [`Series::from_dates`] or [`Series::new`]; all
/// check that values are finite and that the index has no gap, so models never see bad input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    id: String,
    index: TimeIndex,
    values: Vec<f64>,
}

impl Series {
    /// A series with a known regular index. Fails on an empty series or a non-finite value.
    pub fn new(id: impl Into<String>, index: TimeIndex, values: Vec<f64>) -> Result<Self> {
        let s = Series {
            id: id.into(),
            index,
            values,
        };
        s.check_values()?;
        Ok(s)
    }

    /// A series indexed by integer periods, which must be consecutive and increasing.
    pub fn from_periods(id: impl Into<String>, periods: &[i64], values: Vec<f64>) -> Result<Self> {
        let id = id.into();
        check_lengths(&id, periods.len(), values.len())?;
        for (i, w) in periods.windows(2).enumerate() {
            if w[1] <= w[0] {
                return Err(ForecastError::Unordered {
                    series: id,
                    position: i + 1,
                    previous: w[0].to_string(),
                    found: w[1].to_string(),
                });
            }
            if w[1] != w[0] + 1 {
                return Err(ForecastError::Gap {
                    series: id,
                    position: i + 1,
                    previous: w[0].to_string(),
                    expected: (w[0] + 1).to_string(),
                    found: w[1].to_string(),
                });
            }
        }
        Series::new(id, TimeIndex::Periods { start: periods[0] }, values)
    }

    /// A series indexed by dates. With `freq = None` the frequency is inferred from the first
    /// two dates (1 day, 7 days or one calendar month apart). Dates must then follow each other
    /// at exactly that frequency: a missing period is a [`ForecastError::Gap`].
    pub fn from_dates(
        id: impl Into<String>,
        dates: &[NaiveDate],
        values: Vec<f64>,
        freq: Option<Freq>,
    ) -> Result<Self> {
        let id = id.into();
        check_lengths(&id, dates.len(), values.len())?;
        let freq = match freq {
            Some(f) => f,
            None if dates.len() == 1 => Freq::Day,
            None => infer_freq(&id, dates[0], dates[1])?,
        };
        for (i, w) in dates.windows(2).enumerate() {
            let fmt = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
            if w[1] <= w[0] || freq.periods_between(w[0], w[1]) == Some(0) {
                return Err(ForecastError::Unordered {
                    series: id,
                    position: i + 1,
                    previous: fmt(w[0]),
                    found: fmt(w[1]),
                });
            }
            if freq.periods_between(w[0], w[1]) != Some(1) {
                return Err(ForecastError::Gap {
                    series: id,
                    position: i + 1,
                    previous: fmt(w[0]),
                    expected: fmt(freq.step(w[0], 1)),
                    found: fmt(w[1]),
                });
            }
        }
        Series::new(
            id,
            TimeIndex::Dates {
                start: dates[0],
                freq,
            },
            values,
        )
    }

    fn check_values(&self) -> Result<()> {
        if self.values.is_empty() {
            return Err(ForecastError::Empty {
                series: self.id.clone(),
            });
        }
        if let Some((i, v)) = self.values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(ForecastError::NonFinite {
                series: self.id.clone(),
                position: i,
                time: self.index.at(i).to_string(),
                value: *v,
            });
        }
        Ok(())
    }

    /// Series id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The time index.
    pub fn index(&self) -> TimeIndex {
        self.index
    }

    /// Observed values, oldest first.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Number of observations.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Always false: a series cannot be built empty. Present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Time of observation `position`.
    pub fn time(&self, position: usize) -> TimePoint {
        self.index.at(position)
    }

    /// Time of the last observation.
    pub fn last_time(&self) -> TimePoint {
        self.index.at(self.len() - 1)
    }

    /// The `horizon` times that follow the last observation.
    pub fn future_times(&self, horizon: usize) -> Vec<TimePoint> {
        (0..horizon)
            .map(|k| self.index.at(self.len() + k))
            .collect()
    }

    /// The first `n` observations as a series of their own (for backtests).
    pub fn truncated(&self, n: usize) -> Series {
        Series {
            id: self.id.clone(),
            index: self.index,
            values: self.values[..n.min(self.len())].to_vec(),
        }
    }
}

fn check_lengths(id: &str, times: usize, values: usize) -> Result<()> {
    if times != values {
        return Err(ForecastError::LengthMismatch {
            series: id.to_string(),
            times,
            values,
        });
    }
    if times == 0 {
        return Err(ForecastError::Empty {
            series: id.to_string(),
        });
    }
    Ok(())
}

fn infer_freq(id: &str, a: NaiveDate, b: NaiveDate) -> Result<Freq> {
    let days = (b - a).num_days();
    match days {
        1 => Ok(Freq::Day),
        7 => Ok(Freq::Week),
        28..=31 if month_index(b) - month_index(a) == 1 => Ok(Freq::Month),
        _ if days <= 0 => Err(ForecastError::Unordered {
            series: id.to_string(),
            position: 1,
            previous: a.format("%Y-%m-%d").to_string(),
            found: b.format("%Y-%m-%d").to_string(),
        }),
        _ => Err(ForecastError::UnknownFrequency {
            series: id.to_string(),
            first: a.format("%Y-%m-%d").to_string(),
            second: b.format("%Y-%m-%d").to_string(),
        }),
    }
}
