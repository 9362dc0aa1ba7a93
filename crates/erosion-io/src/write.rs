//! Atomic writing: a temporary file in the destination's directory, renamed over the
//! destination only when complete, so a crash never leaves half a file.

use erosion_core::{Error, Result};
use polars::prelude::*;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes `path` through `fill`, atomically: the data goes to a hidden temporary file beside
/// it, which is flushed, synced and renamed over `path` only if `fill` succeeds. On failure
/// the temporary file is removed and any previous `path` is left untouched.
pub fn atomic_write<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> Result<()>,
{
    let tmp = temporary_beside(path)?;
    let result = (|| {
        let file = File::create(&tmp).map_err(|e| Error::write(&tmp, e))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        fill(&mut w)?;
        w.flush().map_err(|e| Error::write(&tmp, e))?;
        let file = w
            .into_inner()
            .map_err(|e| Error::write(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| Error::write(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::write(path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes a frame atomically as CSV or Parquet, chosen by the extension of `path`.
pub fn write_table(path: &Path, df: &mut DataFrame) -> Result<()> {
    write_table_noted(path, df, None)
}

/// The file beside a CSV (or NDJSON) table that holds its note: `features.csv` →
/// `features.csv.erosion.json`.
pub fn note_sidecar(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".erosion.json");
    path.with_file_name(name)
}

/// Writes a CSV table's note to [`note_sidecar`] atomically, or removes a stale one when the
/// table has none.
fn write_sidecar(path: &Path, note: Option<&str>) -> Result<()> {
    let sidecar = note_sidecar(path);
    match note {
        Some(text) => atomic_write(&sidecar, |w| {
            w.write_all(text.as_bytes())
                .map_err(|e| Error::write(&sidecar, e))
        }),
        None if sidecar.exists() => {
            std::fs::remove_file(&sidecar).map_err(|e| Error::write(&sidecar, e))
        }
        None => Ok(()),
    }
}

/// [`write_table`] with a note on how the table was made (JSON text): Parquet keeps it in its
/// key-value metadata under `key`; a CSV file in [`note_sidecar`], written atomically before the
/// table (a stale note beside a CSV written without one is removed). [`read_table_note`]
/// reads it back.
pub fn write_table_noted(
    path: &Path,
    df: &mut DataFrame,
    note: Option<(&str, &str)>,
) -> Result<()> {
    let ext = crate::extension_of(path);
    let polars_err = |e: PolarsError| write_error(path, e);
    match ext.as_str() {
        "csv" => {
            write_sidecar(path, note.map(|(_, text)| text))?;
            atomic_write(path, |w| {
                CsvWriter::new(w).finish(df).map_err(polars_err)?;
                Ok(())
            })
        }
        "parquet" | "pq" => atomic_write(path, |w| {
            let meta = note.map(|(k, v)| {
                polars::io::parquet::write::KeyValueMetadata::from_static(vec![(
                    k.to_string(),
                    v.to_string(),
                )])
            });
            ParquetWriter::new(w)
                .with_key_value_metadata(meta)
                .finish(df)
                .map_err(polars_err)?;
            Ok(())
        }),
        _ => Err(Error::UnknownExtension {
            path: path.to_path_buf(),
            ext: format!(".{ext}"),
        }),
    }
}

/// The note [`write_table_noted`] left on a table under `key`, if any: Parquet key-value
/// metadata, or the sidecar of a CSV or NDJSON file.
pub fn read_table_note(path: &Path, key: &str) -> Result<Option<String>> {
    let ext = crate::extension_of(path);
    if matches!(ext.as_str(), "parquet" | "pq") {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut reader = ParquetReader::new(file);
        let meta = reader.get_metadata().map_err(|e| Error::io(path, e))?;
        return Ok(meta.key_value_metadata().as_ref().and_then(|kv| {
            kv.iter()
                .find(|x| x.key == key)
                .and_then(|x| x.value.clone())
        }));
    }
    let sidecar = note_sidecar(path);
    match std::fs::read_to_string(&sidecar) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&sidecar, e)),
    }
}

/// A Parquet file written in batches (bounded memory), atomically: batches go to a temporary
/// file that [`ParquetSink::finish`] renames over the destination. Dropped unfinished, it
/// removes the temporary file and leaves any previous file in place.
pub struct ParquetSink {
    path: PathBuf,
    tmp: PathBuf,
    writer: Option<polars::io::parquet::write::BatchedWriter<File>>,
    rows: usize,
    note: Option<(String, String)>,
}

impl ParquetSink {
    /// Starts a sink for `path`; nothing is visible at `path` until [`finish`](Self::finish).
    pub fn create(path: &Path) -> Result<Self> {
        Ok(ParquetSink {
            path: path.to_path_buf(),
            tmp: temporary_beside(path)?,
            writer: None,
            rows: 0,
            note: None,
        })
    }

    /// [`create`](Self::create) with a note kept in the key-value metadata under a key, as
    /// [`write_table_noted`] keeps it.
    pub fn create_noted(path: &Path, note: Option<(&str, &str)>) -> Result<Self> {
        let mut sink = ParquetSink::create(path)?;
        sink.note = note.map(|(k, v)| (k.to_string(), v.to_string()));
        Ok(sink)
    }

    /// Appends a batch; every batch must have the first batch's schema.
    pub fn write(&mut self, df: &DataFrame) -> Result<()> {
        if self.writer.is_none() {
            let file = File::create(&self.tmp).map_err(|e| Error::write(&self.tmp, e))?;
            let meta = self.note.take().map(|(k, v)| {
                polars::io::parquet::write::KeyValueMetadata::from_static(vec![(k, v)])
            });
            let w = ParquetWriter::new(file)
                .with_key_value_metadata(meta)
                .batched(df.schema())
                .map_err(|e| write_error(&self.path, e))?;
            self.writer = Some(w);
        }
        self.rows += df.height();
        self.writer
            .as_mut()
            .expect("created above")
            .write_batch(df)
            .map_err(|e| write_error(&self.path, e))
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Finishes the file and renames it into place.
    pub fn finish(mut self) -> Result<()> {
        let w = self
            .writer
            .take()
            .ok_or_else(|| Error::usage(format!("{}: nothing to write", self.path.display())))?;
        w.finish().map_err(|e| write_error(&self.path, e))?;
        drop(w);
        File::open(&self.tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::write(&self.tmp, e))?;
        std::fs::rename(&self.tmp, &self.path).map_err(|e| Error::write(&self.path, e))
    }
}

impl Drop for ParquetSink {
    fn drop(&mut self) {
        if self.tmp.exists() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// A hidden temporary path beside `path` (its directory made if need be).
fn temporary_beside(path: &Path) -> Result<PathBuf> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::write(&dir, e))?;
    let name = path
        .file_name()
        .ok_or_else(|| Error::usage(format!("{}: not a file path", path.display())))?
        .to_string_lossy()
        .to_string();
    Ok(dir.join(format!(".{name}.tmp-{}", std::process::id())))
}

/// A table written in batches (bounded memory), as CSV or Parquet by the extension of its path,
/// atomically and with an optional note, exactly as [`write_table_noted`] writes it whole:
/// batches go to a temporary file renamed over the destination by [`TableSink::finish`] (a
/// CSV's note is written to its sidecar first). Dropped unfinished, it removes the temporary
/// file and leaves any previous file in place.
pub enum TableSink {
    /// Parquet, the note in the key-value metadata.
    Parquet(Box<ParquetSink>),
    /// CSV, the header with the first batch, the note in a sidecar.
    Csv(CsvSink),
}

/// The CSV side of [`TableSink`].
pub struct CsvSink {
    path: PathBuf,
    tmp: PathBuf,
    writer: Option<BufWriter<File>>,
    rows: usize,
    note: Option<String>,
}

impl TableSink {
    /// Starts a sink for `path` (`.csv`, `.parquet` or `.pq`); nothing is visible at `path`
    /// until [`finish`](Self::finish).
    pub fn create(path: &Path, note: Option<(&str, &str)>) -> Result<TableSink> {
        let ext = crate::extension_of(path);
        match ext.as_str() {
            "csv" => Ok(TableSink::Csv(CsvSink {
                path: path.to_path_buf(),
                tmp: temporary_beside(path)?,
                writer: None,
                rows: 0,
                note: note.map(|(_, text)| text.to_string()),
            })),
            "parquet" | "pq" => Ok(TableSink::Parquet(Box::new(ParquetSink::create_noted(
                path, note,
            )?))),
            _ => Err(Error::UnknownExtension {
                path: path.to_path_buf(),
                ext: format!(".{ext}"),
            }),
        }
    }

    /// Appends a batch; every batch must have the first batch's columns.
    pub fn write(&mut self, df: &mut DataFrame) -> Result<()> {
        match self {
            TableSink::Parquet(p) => p.write(df),
            TableSink::Csv(c) => {
                let first = c.writer.is_none();
                if first {
                    let file = File::create(&c.tmp).map_err(|e| Error::write(&c.tmp, e))?;
                    c.writer = Some(BufWriter::with_capacity(1 << 20, file));
                }
                let w = c.writer.as_mut().expect("created above");
                CsvWriter::new(w)
                    .include_header(first)
                    .finish(df)
                    .map_err(|e| write_error(&c.path, e))?;
                c.rows += df.height();
                Ok(())
            }
        }
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        match self {
            TableSink::Parquet(p) => p.rows(),
            TableSink::Csv(c) => c.rows,
        }
    }

    /// Finishes the file and renames it into place (a CSV's note first, beside it).
    pub fn finish(self) -> Result<()> {
        match self {
            TableSink::Parquet(p) => p.finish(),
            TableSink::Csv(mut c) => {
                let mut w = c.writer.take().ok_or_else(|| {
                    Error::usage(format!("{}: nothing to write", c.path.display()))
                })?;
                w.flush().map_err(|e| Error::write(&c.tmp, e))?;
                let file = w
                    .into_inner()
                    .map_err(|e| Error::write(&c.tmp, e.into_error()))?;
                file.sync_all().map_err(|e| Error::write(&c.tmp, e))?;
                drop(file);
                write_sidecar(&c.path, c.note.as_deref())?;
                std::fs::rename(&c.tmp, &c.path).map_err(|e| Error::write(&c.path, e))
            }
        }
    }
}

impl Drop for CsvSink {
    fn drop(&mut self) {
        if self.tmp.exists() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// A failed write through polars as [`Error::Write`], keeping the I/O error when there is one.
fn write_error(path: &Path, e: PolarsError) -> Error {
    let source = match e {
        PolarsError::IO { error, .. } => std::io::Error::new(error.kind(), error.to_string()),
        other => std::io::Error::other(other.to_string()),
    };
    Error::write(path, source)
}
