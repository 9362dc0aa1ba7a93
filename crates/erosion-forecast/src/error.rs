//! The one error type of this crate.

use thiserror::Error;

/// Everything that can go wrong when building a series, forecasting it or evaluating it.
///
/// Each variant that concerns a series names it (`series`) and, where a single point is at
/// fault, its zero-based position and its time as text, so that a CLI can turn it into a
/// message naming the row.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ForecastError {
    /// The series has no observations.
    #[error("series `{series}` is empty")]
    Empty {
        /// Series id.
        series: String,
    },
    /// Times and values have different lengths.
    #[error("series `{series}`: {times} time points but {values} values")]
    LengthMismatch {
        /// Series id.
        series: String,
        /// Number of time points.
        times: usize,
        /// Number of values.
        values: usize,
    },
    /// A value is NaN or infinite.
    #[error(
        "series `{series}`: value at {time} (point {position}) is not a finite number ({value})"
    )]
    NonFinite {
        /// Series id.
        series: String,
        /// Zero-based position of the point.
        position: usize,
        /// The point's time, as text.
        time: String,
        /// The offending value.
        value: f64,
    },
    /// The time index skips one or more periods.
    #[error(
        "series `{series}`: gap in the time index at point {position}: expected {expected} after {previous}, found {found}"
    )]
    Gap {
        /// Series id.
        series: String,
        /// Zero-based position of the first point after the gap.
        position: usize,
        /// Time of the point before the gap.
        previous: String,
        /// Time that was expected.
        expected: String,
        /// Time that was found.
        found: String,
    },
    /// The time index repeats a time or goes backwards.
    #[error(
        "series `{series}`: time {found} at point {position} is not after the previous time {previous} (duplicate or unsorted)"
    )]
    Unordered {
        /// Series id.
        series: String,
        /// Zero-based position of the offending point.
        position: usize,
        /// Time of the previous point.
        previous: String,
        /// Time found.
        found: String,
    },
    /// Dates that do not follow one of the supported frequencies.
    #[error("series `{series}`: cannot tell the frequency from {first} and {second}; use daily, weekly or monthly dates")]
    UnknownFrequency {
        /// Series id.
        series: String,
        /// First date.
        first: String,
        /// Second date.
        second: String,
    },
    /// A horizon of zero periods was asked for.
    #[error("the forecast horizon must be at least 1 period, got 0")]
    ZeroHorizon,
    /// A season length of zero was given.
    #[error("the season length must be at least 1 (1 means no seasonality), got 0")]
    ZeroSeason,
    /// Too few observations for what was asked.
    #[error("series `{series}` has {len} points; {what} needs at least {min}")]
    TooShort {
        /// Series id.
        series: String,
        /// Number of observations.
        len: usize,
        /// What needed more (a model, a backtest...).
        what: String,
        /// Minimum length required.
        min: usize,
    },
    /// A parameter outside its allowed range (interval level, threshold, fold count...).
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A model name that is not known.
    #[error("unknown model `{0}`; expected one of: auto, ets, arima, theta, naive, snaive, ses, holt, damped, hw-additive, hw-multiplicative, combination")]
    UnknownModel(String),
    /// A malformed line in an M4 file.
    #[error("{path}, line {line}: {reason}")]
    M4Parse {
        /// File path.
        path: String,
        /// One-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// An I/O error, as text (keeps the type `Clone` and comparable).
    #[error("{path}: {reason}")]
    Io {
        /// File path.
        path: String,
        /// The operating system's message.
        reason: String,
    },
}

/// Result alias of this crate.
pub type Result<T, E = ForecastError> = std::result::Result<T, E>;
