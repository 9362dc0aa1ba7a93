//! The one error type for bad input and bad usage. Every variant says what was expected and,
//! where it can, the file, the column and the row, so that the CLI can print it as it is and
//! exit with code 2.

use std::path::PathBuf;

/// Result with erosion's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Bad input or bad usage (exit code 2), or an output that could not be written
/// ([`Error::Write`], exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input file does not exist.
    #[error("{path}: no such file")]
    MissingFile {
        /// The file concerned.
        path: PathBuf,
    },
    /// The file exists but could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What went wrong, in words.
        message: String,
    },
    /// The extension does not tell a format erosion reads.
    #[error("{path}: unknown extension {ext:?}; expected .csv, .parquet, .ndjson or .jsonl (or .txt/.tsv with a separator flag)")]
    UnknownExtension {
        /// The file concerned.
        path: PathBuf,
        /// The extension found.
        ext: String,
    },
    /// The file has no data rows.
    #[error("{path}: the file is empty (no data rows)")]
    EmptyFile {
        /// The file concerned.
        path: PathBuf,
    },
    /// A required column is absent.
    #[error("{path}: missing required column {column:?}; the file has columns {available:?}")]
    MissingColumn {
        /// The file concerned.
        path: PathBuf,
        /// The column concerned.
        column: String,
        /// The columns the file has.
        available: Vec<String>,
    },
    /// A value that does not parse or is out of range. `row` is 1-based over data rows.
    #[error("{path}: column {column:?}, row {row}: {value:?} is not {expected}")]
    BadValue {
        /// The file concerned.
        path: PathBuf,
        /// The column concerned.
        column: String,
        /// Data row, 1-based.
        row: usize,
        /// The value as written in the file.
        value: String,
        /// What was expected, in words.
        expected: String,
    },
    /// A customer appears twice in a table that must have one row per customer.
    #[error("{path}: column {column:?}, row {row}: duplicate customer {id:?} (first seen at row {first_row})")]
    DuplicateCustomer {
        /// The file concerned.
        path: PathBuf,
        /// The column concerned.
        column: String,
        /// Data row, 1-based.
        row: usize,
        /// The repeated customer id.
        id: String,
        /// Data row of its first appearance, 1-based.
        first_row: usize,
    },
    /// The file could not be parsed at all (malformed CSV, not Parquet, ...).
    #[error("{path}: cannot be read as {format}: {message}")]
    Unreadable {
        /// The file concerned.
        path: PathBuf,
        /// The format it was read as.
        format: String,
        /// What went wrong, in words.
        message: String,
    },
    /// Flags or arguments that do not make sense together.
    #[error("{0}")]
    Usage(String),
    /// An output could not be written (disk full, file too large, no permission): a failure of
    /// the environment, not of the input, so the CLIs exit with 1. The I/O error is the cause.
    #[error("{path}: cannot write")]
    Write {
        /// The file concerned.
        path: PathBuf,
        /// The I/O error, the cause.
        #[source]
        /// The I/O error, the cause.
        source: std::io::Error,
    },
}

impl Error {
    /// Shorthand for an I/O error on a path.
    pub fn io(path: impl Into<PathBuf>, err: impl std::fmt::Display) -> Self {
        Error::Io {
            path: path.into(),
            message: err.to_string(),
        }
    }

    /// Shorthand for a failed write of an output.
    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Write {
            path: path.into(),
            source,
        }
    }

    /// Whether the failure is the environment's (an output could not be written) rather than
    /// the input's or the usage's: exit code 1 instead of 2.
    pub fn is_environment(&self) -> bool {
        matches!(self, Error::Write { .. })
    }

    /// Shorthand for a usage error.
    pub fn usage(msg: impl Into<String>) -> Self {
        Error::Usage(msg.into())
    }
}
