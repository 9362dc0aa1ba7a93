//! erosion's commands as a library. Each command's policy (which columns a model never sees,
//! what a label means, where the action threshold comes from, which files are written and
//! refused) lives here as a typed request and a result:
//!
//! | command            | request                          | result                  |
//! |--------------------|----------------------------------|-------------------------|
//! | `erosion simulate` | [`simulate::simulate_to`]        | [`simulate::Written`]   |
//! | `erosion features` | [`features::FeaturesRequest`]    | [`features::Built`]     |
//! | `erosion train`    | [`train::TrainRequest`]          | [`train::Trained`]      |
//! | `erosion evaluate` | [`evaluate::EvaluateRequest`]    | [`evaluate::Evaluated`] |
//! | `erosion audit`    | [`audit::AuditRequest`]          | [`audit::Audited`]      |
//! | `erosion forecast` | [`forecast::ForecastRequest`]    | [`forecast::Forecasted`] |
//! | `erosion monitor`  | [`monitor::MonitorRequest`]      | [`monitor::Monitored`]  |
//! | `erosion export`   | [`export::ExportRequest`]        | [`export::Exported`]    |
//!
//! The binary `erosion` parses flags into these requests and prints the results; `erosion demo`
//! builds the same requests in code.
//!
//! Invariants:
//! - **No flags, no printing.** Nothing here depends on clap or writes to standard output or
//!   standard error: progress, notes and warnings go to the caller's [`Observer`]. (Messages
//!   still name the CLI's flags where that is what a user would change, e.g. `--allow`.)
//! - **Errors keep their type.** A command fails with a [`Failure`], which holds the library
//!   error as it was raised (a [`erosion_models::ModelError`], a
//!   [`erosion_fairness::FairnessError`], ...) beside the file it concerns; nothing is
//!   flattened to a string. Whether a failure is the environment's or the input's is
//!   [`Failure::is_environment`]; the binaries map that to exit codes in one place.
//! - **Nothing half-written.** Every output is written atomically through
//!   [`erosion_io::atomic_write`] (or a writer that renames at the end), after the inputs are
//!   checked and never over an input ([`erosion_io::refuse_overlap`]).

pub mod audit;
pub mod evaluate;
pub mod export;
pub mod features;
pub mod forecast;
pub mod monitor;
pub mod reference;
pub mod simulate;
pub mod train;

use std::path::PathBuf;

/// Why a command failed. Each variant keeps the error of the library that raised it.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Bad input or usage, or an output that could not be written (see
    /// [`erosion_core::Error::is_environment`]).
    #[error(transparent)]
    Input(#[from] erosion_core::Error),
    /// A learner or the model refused the data.
    #[error("{}: {error}", file.display())]
    Model {
        /// The table the model was given.
        file: PathBuf,
        /// The model's error.
        error: erosion_models::ModelError,
    },
    /// The fairness audit refused its inputs.
    #[error("{}: {}{error}", file.display(), in_column(.column))]
    Fairness {
        /// The table audited.
        file: PathBuf,
        /// The column concerned, when one is.
        column: Option<String>,
        /// The audit's error.
        error: erosion_fairness::FairnessError,
    },
    /// A forecast refused a series.
    #[error("{}: {error}", file.display())]
    Forecast {
        /// The file the series came from.
        file: PathBuf,
        /// The forecaster's error (boxed: it is the largest).
        error: Box<erosion_forecast::ForecastError>,
    },
    /// The model cannot be written as ONNX.
    #[error("{}: the model cannot be exported to ONNX: {error}", file.display())]
    Export {
        /// The bundle.
        file: PathBuf,
        /// The exporter's error.
        error: erosion_onnx::OnnxError,
    },
    /// The audit's report could not be written.
    #[error("{}: {error}", dir.display())]
    Report {
        /// The report's folder.
        dir: PathBuf,
        /// The report writer's error.
        error: erosion_report::ReportError,
    },
    /// The nightly scorer failed (as `erosion-score` would).
    #[error("{0}")]
    Score(erosion_score::run::Failure),
}

impl Failure {
    /// Whether the failure is the environment's (an output that could not be written, an
    /// internal error) rather than the input's or the usage's.
    pub fn is_environment(&self) -> bool {
        use erosion_score::run::Failure as Score;
        match self {
            Failure::Input(e) => e.is_environment(),
            Failure::Report { error, .. } => !matches!(error, erosion_report::ReportError::Plot(_)),
            Failure::Score(Score::Input(_)) => false,
            Failure::Score(_) => true,
            Failure::Model { .. }
            | Failure::Fairness { .. }
            | Failure::Forecast { .. }
            | Failure::Export { .. } => false,
        }
    }

    /// A model error about `file`.
    pub fn model(file: impl Into<PathBuf>, error: erosion_models::ModelError) -> Self {
        Failure::Model {
            file: file.into(),
            error,
        }
    }
}

impl From<erosion_score::run::Failure> for Failure {
    fn from(f: erosion_score::run::Failure) -> Self {
        Failure::Score(f)
    }
}

fn in_column(column: &Option<String>) -> String {
    column
        .as_ref()
        .map(|c| format!("column {c:?}: "))
        .unwrap_or_default()
}

/// Shorthand for a usage error (bad flags or a bad combination of them).
pub(crate) fn usage(msg: impl Into<String>) -> Failure {
    Failure::Input(erosion_core::Error::usage(msg))
}

/// What a command reports while it works: stages with counts, notes and warnings. The CLI
/// draws stages as progress bars and prints notes on standard error; a library user may
/// ignore them ([`Silent`]).
pub trait Observer: Sync {
    /// A stage of `total` steps begins (it ends when the next begins or the command returns).
    fn stage(&self, _name: &str, _total: u64) {}
    /// `done` of the current stage's steps are finished; `what` says what is under way.
    fn progress(&self, _done: u64, _what: &str) {}
    /// Something the user should know that changes nothing (a column left out, a choice made).
    fn note(&self, _text: &str) {}
    /// Something the user should check (a column that predicts the target suspiciously well).
    fn warning(&self, _text: &str) {}
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {}

/// Writes `bytes` to `path` atomically.
pub(crate) fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), Failure> {
    erosion_io::atomic_write(path, |w| {
        use std::io::Write;
        w.write_all(bytes)
            .map_err(|e| erosion_core::Error::write(path, e))
    })?;
    Ok(())
}
