//! The crate's error type.

use thiserror::Error;

/// Everything that can go wrong while encoding, training or scoring.
///
/// Each variant names what is wrong and where (column, row, length), so that a CLI can turn it
/// into an exit-2 message without guessing.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ModelError {
    /// Two inputs that must describe the same rows have different lengths.
    #[error("length mismatch: {what} has {got} rows but {expected} were expected")]
    LengthMismatch {
        /// Which input is off (e.g. `labels`, `column 'tenure'`).
        what: String,
        /// Rows expected.
        expected: usize,
        /// Rows found.
        got: usize,
    },
    /// The matrix buffer does not hold `rows * columns` values.
    #[error("matrix buffer has {got} values but {rows} rows x {cols} columns need {expected}")]
    BadShape {
        /// Rows declared.
        rows: usize,
        /// Columns declared.
        cols: usize,
        /// `rows * cols`.
        expected: usize,
        /// Values in the buffer.
        got: usize,
    },
    /// The target has a single class, so there is nothing to learn.
    #[error("target has only one class ({class}) in {rows} rows: a classifier needs both positives and negatives")]
    OneClass {
        /// The class present (0 or 1).
        class: u8,
        /// Rows seen.
        rows: usize,
    },
    /// A label is neither 0 nor 1.
    #[error("label at row {row} is {value}: labels must be 0 or 1")]
    BadLabel {
        /// Row index (0-based).
        row: usize,
        /// Value found.
        value: u8,
    },
    /// A feature column has no observed value in the training rows.
    #[error("column '{column}' is missing in every one of the {rows} rows: drop it or fill it")]
    AllMissing {
        /// Column name.
        column: String,
        /// Rows seen.
        rows: usize,
    },
    /// A value is infinite (NaN means missing; infinities are a bug upstream).
    #[error("column '{column}' has an infinite value at row {row}")]
    Infinite {
        /// Column name.
        column: String,
        /// Row index (0-based).
        row: usize,
    },
    /// A value that should be a number is not one.
    #[error("column '{column}' row {row}: '{value}' is not a number (blank means missing)")]
    NotANumber {
        /// Column name.
        column: String,
        /// Row index (0-based).
        row: usize,
        /// The offending text.
        value: String,
    },
    /// A column the model needs is absent from the data being scored.
    #[error("column '{column}' is required by the model but absent from the input")]
    MissingColumn {
        /// Column name.
        column: String,
    },
    /// Two columns share a name.
    #[error("column '{column}' appears more than once")]
    DuplicateColumn {
        /// Column name.
        column: String,
    },
    /// The data has no rows or no feature columns.
    #[error("nothing to learn from: {what}")]
    Empty {
        /// What is empty.
        what: String,
    },
    /// Validation could not be set up (e.g. too few rows of a class for k folds, a single cutoff).
    #[error("validation: {0}")]
    Validation(String),
    /// A parameter is out of range.
    #[error("invalid parameter {name} = {value}: {why}")]
    InvalidParameter {
        /// Parameter name.
        name: String,
        /// Value given.
        value: String,
        /// What range is allowed.
        why: String,
    },
    /// Serialising or deserialising a trained model failed.
    #[error("model (de)serialisation: {0}")]
    Serde(String),
}

/// Result alias used across the crate.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;
