//! Arrow tables in and out through the Arrow PyCapsule interface (`__arrow_c_stream__`, the C
//! stream interface of the Arrow C data interface), with polars' own `polars_arrow::ffi`.
//!
//! In: any Python object with `__arrow_c_stream__` (a `pyarrow.Table` or `RecordBatchReader`, a
//! `polars.DataFrame`, a pandas frame, what Spark hands `applyInArrow`). The stream's batches
//! become the chunks of the frame's columns as they are: the buffers are the producer's, not
//! copies (polars keeps them alive through the release callback). Text arriving as `string` or
//! `large_string` is turned into polars' string views as polars does for any import (a copy of the
//! text only); `string_view` arrives as it is.
//!
//! Out: [`ArrowStream`], an object with `__arrow_c_stream__` over the frame's own chunks, at
//! polars' newest compatibility level (text as `string_view`), so nothing is copied either.

use erosion_io::polars::prelude::*;
use polars_arrow::array::{Array, StructArray};
use polars_arrow::datatypes::{ArrowDataType, Field as ArrowFieldT};
use polars_arrow::ffi::{export_iterator, ArrowArrayStream, ArrowArrayStreamReader};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use std::ffi::CStr;
use std::sync::Mutex;

/// The capsule name the Arrow PyCapsule interface gives a C stream.
const STREAM: &CStr = c"arrow_array_stream";

/// Imports an Arrow table-like object as a frame without copying its buffers. `what` names the
/// argument in a type error.
pub fn frame_from_py(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<DataFrame> {
    if !obj.hasattr("__arrow_c_stream__")? {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected an Arrow table (pyarrow.Table, polars.DataFrame, anything with \
             __arrow_c_stream__) or a file path, got {}",
            obj.get_type().name()?
        )));
    }
    let capsule = obj
        .call_method0("__arrow_c_stream__")?
        .cast_into::<PyCapsule>()?;
    let ptr = capsule.pointer_checked(Some(STREAM))?;
    // SAFETY: the capsule holds an `ArrowArrayStream` (its name says so); we move the struct out
    // and leave a released one behind, as the interface asks of a consumer, so the producer's
    // capsule destructor finds nothing to release.
    let stream = unsafe {
        std::ptr::replace(
            ptr.as_ptr().cast::<ArrowArrayStream>(),
            ArrowArrayStream::empty(),
        )
    };
    let bad = |e: PolarsError| PyValueError::new_err(format!("{what}: not an Arrow table: {e}"));
    // SAFETY: the producer implements the C stream interface.
    let mut reader = unsafe { ArrowArrayStreamReader::try_new(Box::new(stream)) }.map_err(bad)?;
    let fields = match reader.field().dtype() {
        ArrowDataType::Struct(fields) => fields.clone(),
        other => {
            return Err(PyValueError::new_err(format!(
                "{what}: not a table: its Arrow stream holds {other:?}, not record batches"
            )))
        }
    };
    let mut chunks: Vec<Vec<ArrayRef>> = vec![Vec::new(); fields.len()];
    let mut height = 0;
    // SAFETY: as above.
    while let Some(batch) = unsafe { reader.next() } {
        let batch = batch.map_err(bad)?;
        let batch = batch
            .as_any()
            .downcast_ref::<StructArray>()
            .ok_or_else(|| PyValueError::new_err(format!("{what}: a batch is not a struct")))?;
        if batch.validity().is_some_and(|v| v.unset_bits() > 0) {
            return Err(PyValueError::new_err(format!(
                "{what}: a batch has null rows"
            )));
        }
        height += batch.len();
        for (c, values) in chunks.iter_mut().zip(batch.values()) {
            c.push(values.clone());
        }
    }
    let columns = fields
        .iter()
        .zip(chunks)
        .map(|(f, c)| column(f, c))
        .collect::<PolarsResult<Vec<Column>>>()
        .map_err(bad)?;
    DataFrame::new(height, columns).map_err(bad)
}

/// One column from its chunks (an empty column of the field's type when there are none).
fn column(field: &ArrowFieldT, chunks: Vec<ArrayRef>) -> PolarsResult<Column> {
    if chunks.is_empty() {
        let dtype = DataType::from_arrow_field(field);
        return Ok(Series::new_empty(field.name.clone(), &dtype).into_column());
    }
    Ok(Series::try_from((field, chunks))?.into_column())
}

/// A table on its way to Python: hands its Arrow C stream over once, to whoever asks first
/// (`pyarrow.table(x)`, `polars.DataFrame(x)`, `pyarrow.RecordBatchReader.from_stream(x)`).
#[pyclass(module = "erosion._erosion")]
pub struct ArrowStream {
    /// Taken by the first reader (a mutex: Python objects may be shared between threads).
    stream: Mutex<Option<ArrowArrayStream>>,
}

#[pymethods]
impl ArrowStream {
    /// The Arrow PyCapsule interface. `requested_schema` is ignored (the interface allows it).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let taken = self.stream.lock().map(|mut s| s.take()).unwrap_or(None);
        let stream = taken.ok_or_else(|| {
            PyValueError::new_err("this Arrow stream was already read (each can be read once)")
        })?;
        PyCapsule::new_with_value(py, stream, STREAM)
    }
}

/// Exports a frame's chunks as they are (no copy: text stays in string views).
pub fn frame_to_py(mut df: DataFrame) -> PyResult<ArrowStream> {
    // Equal chunks across columns: batches need them (a no-op for the frames built here, which
    // hold one chunk per column).
    df.align_chunks_par();
    let compat = CompatLevel::newest();
    let fields: Vec<ArrowFieldT> = df
        .columns()
        .iter()
        .map(|c| c.field().to_arrow(compat))
        .collect();
    let dtype = ArrowDataType::Struct(fields);
    let batches: Vec<Box<dyn Array>> = df
        .iter_chunks(compat, false)
        .map(|b| {
            let len = b.height();
            StructArray::new(dtype.clone(), len, b.into_arrays(), None).boxed()
        })
        .collect();
    let field = ArrowFieldT::new("".into(), dtype, false);
    let stream = export_iterator(Box::new(batches.into_iter().map(Ok)), field);
    Ok(ArrowStream {
        stream: Mutex::new(Some(stream)),
    })
}
