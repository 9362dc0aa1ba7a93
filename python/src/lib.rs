//! `erosion._erosion`: the native half of the Python package `erosion` (`python/erosion` is the
//! other half, the API users call). Every function here is a thin layer over the workspace's
//! libraries: loading goes through `erosion_io` (`load_*` for a path, `*_from_frame` for an Arrow
//! table: the same conversion and checks), features through `erosion_features::compute` and
//! `erosion_frame::feature_frame`, scoring through `erosion_score::run::score_loaded`, the very
//! function `erosion-score` runs between loading its files and writing its outputs. So the
//! columns, the exclusions and the probabilities are `erosion-score`'s, bit for bit, and an
//! error is raised with the message `erosion-score` prints after `error: `.
//!
//! Tables cross the boundary through the Arrow C stream interface without copies
//! ([`arrow`]). The work runs with the GIL released.

mod arrow;

use arrow::{frame_from_py, frame_to_py, ArrowStream};
use erosion_core::Error;
use erosion_score::consent::{self, SuppressList};
use erosion_score::run::{self, Failure, Loaded, Scope, Summary};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use std::path::{Path, PathBuf};
use std::sync::Arc;

create_exception!(
    _erosion,
    ErosionError,
    PyException,
    "An erosion error; its message is the one `erosion-score` prints after `error: `."
);
create_exception!(
    _erosion,
    InputError,
    ErosionError,
    "Bad usage or bad input (`erosion-score` exits 2): the message names the file or table, the column and the row."
);
create_exception!(
    _erosion,
    EnvironmentFailure,
    ErosionError,
    "The environment failed (a file that cannot be read): `erosion-score` exits 1."
);
create_exception!(
    _erosion,
    InternalError,
    ErosionError,
    "An internal error (for example counts that do not add up): `erosion-score` exits 1."
);

/// The Python exception of a failure, with `erosion-score`'s message.
fn raise(f: Failure) -> PyErr {
    let message = f.to_string();
    match f {
        Failure::Input(_) => InputError::new_err(message),
        Failure::Environment(_) => EnvironmentFailure::new_err(message),
        Failure::Internal(_) => InternalError::new_err(message),
    }
}

fn raise_error(e: Error) -> PyErr {
    raise(Failure::from(e))
}

/// A model bundle written by `erosion train`, loaded and checked once.
#[pyclass(module = "erosion._erosion", frozen)]
pub struct Bundle {
    inner: Arc<erosion_bundle::Bundle>,
    path: PathBuf,
}

#[pymethods]
impl Bundle {
    /// The file it was read from.
    #[getter]
    fn path(&self) -> String {
        self.path.display().to_string()
    }

    /// The model's id, written in every score row.
    #[getter]
    fn model_id(&self) -> String {
        self.inner.model_id.clone()
    }

    /// The id column of the tables the model reads (`customer_id` unless trained otherwise).
    #[getter]
    fn id_column(&self) -> String {
        self.inner
            .id_column
            .clone()
            .unwrap_or_else(|| "customer_id".into())
    }

    /// `erosion-score`'s warning for a model whose exact reasons are slow per customer, or None.
    #[getter]
    fn cost_note(&self) -> Option<String> {
        run::cost_note(&self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "Bundle(path={:?}, model_id={:?})",
            self.path.display().to_string(),
            self.inner.model_id
        )
    }
}

/// Reads and checks a bundle (checksum, format version), as `erosion-score --model` does.
#[pyfunction]
fn load_bundle(py: Python<'_>, path: PathBuf) -> PyResult<Bundle> {
    let inner = py
        .detach(|| erosion_bundle::Bundle::read(&path))
        .map_err(raise_error)?;
    Ok(Bundle {
        inner: Arc::new(inner),
        path,
    })
}

/// An input: a file path (read as `erosion-score` reads it) or an Arrow table (converted by the
/// same code), and the name errors give it.
enum Source {
    File(PathBuf),
    Table(erosion_io::polars::prelude::DataFrame, PathBuf),
}

impl Source {
    fn of(obj: &Bound<'_, PyAny>, what: &str, name: Option<String>) -> PyResult<Source> {
        if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
            return Ok(Source::File(obj.extract::<PathBuf>()?));
        }
        let df = frame_from_py(obj, what)?;
        Ok(Source::Table(
            df,
            PathBuf::from(name.unwrap_or_else(|| what.to_string())),
        ))
    }

    fn events(self) -> Result<(erosion_core::EventLog, PathBuf), Error> {
        let opts = erosion_io::EventLoadOptions::default();
        match self {
            Source::File(p) => Ok((erosion_io::load_events(&p, &opts)?, p)),
            Source::Table(df, name) => {
                Ok((erosion_io::events_from_frame(&df, &name, &opts)?, name))
            }
        }
    }

    fn customers(self) -> Result<erosion_core::Customers, Error> {
        let opts = erosion_io::CustomerLoadOptions::default();
        match self {
            Source::File(p) => erosion_io::load_customers(&p, &opts),
            Source::Table(df, name) => erosion_io::customers_from_frame(&df, &name, &opts),
        }
    }

    fn table(self) -> Result<erosion_frame::Table, Error> {
        match self {
            Source::File(p) => erosion_frame::Table::read(&p),
            Source::Table(df, name) => Ok(erosion_frame::Table::from_frame(&name, df)),
        }
    }
}

/// A suppression list: a file read as `--suppress` reads it, or ids given in Python.
fn suppress_list(
    obj: Option<&Bound<'_, PyAny>>,
    id_column: &str,
) -> PyResult<Option<SuppressList>> {
    let Some(obj) = obj else { return Ok(None) };
    if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
        let path: PathBuf = obj.extract()?;
        return consent::read_suppress(&path, id_column)
            .map(Some)
            .map_err(raise_error);
    }
    let ids: Vec<String> = obj
        .try_iter()?
        .map(|x| x.and_then(|x| x.extract::<String>()))
        .collect::<PyResult<_>>()?;
    let path = PathBuf::from(format!("(a list of {} ids given in Python)", ids.len()));
    Ok(Some(SuppressList {
        path,
        ids: ids.into_iter().collect(),
    }))
}

/// The summary as a dict: counts, exclusions, bands, actions, consent lines, warnings.
fn summary_dict<'py>(py: Python<'py>, s: &Summary) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("input", s.input)?;
    d.set_item("in_partition", s.in_partition)?;
    d.set_item("scored", s.scored)?;
    let counts = |xs: &[(&str, usize)]| -> PyResult<Bound<'py, PyDict>> {
        let c = PyDict::new(py);
        for (k, n) in xs {
            c.set_item(*k, *n)?;
        }
        Ok(c)
    };
    d.set_item("excluded", counts(&s.excluded)?)?;
    d.set_item("bands", counts(&s.bands)?)?;
    d.set_item("actions", counts(&s.actions)?)?;
    let mut consent = s.consent.lines();
    consent.extend(s.consent.warning());
    d.set_item("consent", consent)?;
    d.set_item("warnings", s.warnings.clone())?;
    Ok(d)
}

/// Scores a night in memory: raw histories (`events`, `customers`, `as_of`) or a feature table
/// (`features`, optional `as_of`). Returns the scores and the exclusions as Arrow streams, the
/// summary and the run record (JSON). See `erosion.score` for the arguments.
#[pyfunction]
#[pyo3(signature = (
    bundle, *, events=None, customers=None, as_of=None, features=None, suppress=None,
    consent_handled_upstream=false, partition=None, whole_input_consent=None,
    for_people=false, events_name=None, customers_name=None, features_name=None
))]
#[allow(clippy::too_many_arguments)]
fn score<'py>(
    py: Python<'py>,
    bundle: &Bundle,
    events: Option<&Bound<'py, PyAny>>,
    customers: Option<&Bound<'py, PyAny>>,
    as_of: Option<String>,
    features: Option<&Bound<'py, PyAny>>,
    suppress: Option<&Bound<'py, PyAny>>,
    consent_handled_upstream: bool,
    partition: Option<(u32, u32)>,
    whole_input_consent: Option<String>,
    for_people: bool,
    events_name: Option<String>,
    customers_name: Option<String>,
    features_name: Option<String>,
) -> PyResult<(ArrowStream, ArrowStream, Bound<'py, PyDict>, String)> {
    if let Some((i, n)) = partition {
        if n == 0 || i >= n {
            return Err(raise_error(Error::usage(format!(
                "partition ({i}, {n}) is not (I, N) with 0 <= I < N (for example (0, 8))"
            ))));
        }
    }
    enum Input {
        Raw(Source, Source, String),
        Features(Source, Option<String>),
    }
    let input = match (events, customers, as_of, features) {
        (Some(e), Some(c), Some(d), None) => Input::Raw(
            Source::of(e, "events", events_name)?,
            Source::of(c, "customers", customers_name)?,
            d,
        ),
        (None, None, d, Some(f)) => Input::Features(Source::of(f, "features", features_name)?, d),
        _ => return Err(raise_error(Error::usage(
            "give either events=, customers= and as_of=, or features= (with an optional as_of=)",
        ))),
    };
    let suppress = suppress_list(suppress, &bundle.id_column())?;
    let model = bundle.inner.clone();
    let night = py
        .detach(move || -> Result<run::Night, Failure> {
            let loaded = match input {
                Input::Raw(events, customers, as_of) => {
                    run::as_of_ms(&as_of)?;
                    let customers = customers.customers()?;
                    let (events, name) = events.events()?;
                    Loaded::Raw {
                        events,
                        customers,
                        as_of,
                        name,
                    }
                }
                Input::Features(table, as_of) => {
                    if let Some(d) = &as_of {
                        run::as_of_ms(d)?;
                    }
                    Loaded::Features {
                        table: table.table()?,
                        as_of,
                    }
                }
            };
            let scope = Scope {
                suppress: suppress.as_ref(),
                consent_handled_upstream,
                partition,
                whole_input_consent,
            };
            run::score_loaded(&model, loaded, &scope, for_people)
        })
        .map_err(raise)?;
    let summary = summary_dict(py, &night.summary)?;
    Ok((
        frame_to_py(night.scores)?,
        frame_to_py(night.exclusions)?,
        summary,
        night.note,
    ))
}

/// The feature table `erosion features` writes for these events (and customers) at the
/// `as_of` dates, with the bundle's feature configuration (windows, horizon, population rule)
/// when a bundle is given, else the default one.
#[pyfunction]
#[pyo3(signature = (events, *, as_of, customers=None, bundle=None, events_name=None, customers_name=None))]
fn features(
    py: Python<'_>,
    events: &Bound<'_, PyAny>,
    as_of: Vec<String>,
    customers: Option<&Bound<'_, PyAny>>,
    bundle: Option<&Bundle>,
    events_name: Option<String>,
    customers_name: Option<String>,
) -> PyResult<ArrowStream> {
    let events = Source::of(events, "events", events_name)?;
    let customers = customers
        .map(|c| Source::of(c, "customers", customers_name))
        .transpose()?;
    let config = bundle
        .and_then(|b| b.inner.feature_config.clone())
        .unwrap_or_default();
    let df = py
        .detach(move || -> Result<_, Error> {
            let mut cutoffs = as_of
                .iter()
                .map(|d| run::as_of_ms(d))
                .collect::<Result<Vec<i64>, Error>>()?;
            if cutoffs.is_empty() {
                return Err(Error::usage("give at least one as_of date (YYYY-MM-DD)"));
            }
            cutoffs.sort_unstable();
            cutoffs.dedup();
            let customers = customers.map(Source::customers).transpose()?;
            let (log, _) = events.events()?;
            let table = erosion_features::compute(&log, customers.as_ref(), &cutoffs, &config);
            Ok(erosion_frame::feature_frame(&table))
        })
        .map_err(raise_error)?;
    frame_to_py(df)
}

/// The consent information of a whole night's events given as `(event_type, count)` pairs, as
/// `erosion-score` finds it in its events file: the text it records, or None when there is
/// none but `suppress` or `consent_handled_upstream` lets the night go on; otherwise raises
/// `erosion-score`'s refusal, naming `name`.
#[pyfunction]
#[pyo3(signature = (type_counts, *, name="events".to_string(), suppress=None, consent_handled_upstream=false, id_column="customer_id".to_string()))]
fn consent_information(
    type_counts: Vec<(String, u64)>,
    name: String,
    suppress: Option<&Bound<'_, PyAny>>,
    consent_handled_upstream: bool,
    id_column: String,
) -> PyResult<Option<String>> {
    let suppress = suppress_list(suppress, &id_column)?;
    let found = consent::in_type_counts(&type_counts);
    let rules = consent::Rules {
        suppress: suppress.as_ref(),
        upstream: consent_handled_upstream,
    };
    rules
        .require(&found, Path::new(&name))
        .map_err(raise_error)?;
    Ok(found.ok())
}

/// The partition (0-based, of `n`) of a customer id: `erosion-score --partition`'s FNV-1a rule.
#[pyfunction]
fn partition_of(customer_id: &str, n: u32) -> PyResult<u32> {
    if n == 0 {
        return Err(raise_error(Error::usage("n must be at least 1")));
    }
    Ok(erosion_score::partition_of(customer_id, n))
}

/// Hands an Arrow table back as it came (imported, then exported): the test that tables cross
/// the boundary without copies compares the buffers' addresses.
#[pyfunction]
fn echo(table: &Bound<'_, PyAny>) -> PyResult<ArrowStream> {
    frame_to_py(frame_from_py(table, "table")?)
}

/// The native module.
#[pymodule]
fn _erosion(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ErosionError", py.get_type::<ErosionError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("EnvironmentFailure", py.get_type::<EnvironmentFailure>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add_class::<Bundle>()?;
    m.add_class::<ArrowStream>()?;
    m.add_function(wrap_pyfunction!(load_bundle, m)?)?;
    m.add_function(wrap_pyfunction!(score, m)?)?;
    m.add_function(wrap_pyfunction!(features, m)?)?;
    m.add_function(wrap_pyfunction!(consent_information, m)?)?;
    m.add_function(wrap_pyfunction!(partition_of, m)?)?;
    m.add_function(wrap_pyfunction!(echo, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
