//! A table read a batch of rows at a time, in file order: a Parquet file by groups of row
//! groups (the next batch read by a prefetch thread while the current one is used), a
//! delimited text file by chunks of whole lines. Other formats (NDJSON, whitespace-separated
//! text) are read whole, as one batch.

use crate::read::{read_table, Format, ReadOptions, Separator};
use erosion_core::{Error, Result};
use polars::io::parquet::metadata::{FileMetadata, FileMetadataRef};
use polars::prelude::*;
use std::io::{Cursor, Read};
use std::path::Path;

/// Bytes of delimited text parsed at a time per row of a batch (whole lines): 64 MB for
/// batches of 512 Ki rows.
const CSV_BYTES_PER_ROW: usize = 128;

/// Calls `f(batch, first_row)` for each batch of the table at `path`, in file order, where
/// `first_row` is the 0-based data row of the batch's first row. `columns` keeps only those
/// columns (those the file has; `None` for all). Parquet batches hold whole row groups, at
/// least `batch_rows` rows unless the file ends; text batches hold the whole lines of about
/// `batch_rows` × 128 bytes.
pub fn for_each_batch(
    path: &Path,
    read: &ReadOptions,
    columns: Option<&[String]>,
    batch_rows: usize,
    mut f: impl FnMut(DataFrame, usize) -> Result<()>,
) -> Result<()> {
    if !path.exists() {
        return Err(Error::MissingFile {
            path: path.to_path_buf(),
        });
    }
    match Format::of(path, read.separator)? {
        Format::Parquet if read.names.is_none() && !read.no_header => {
            parquet_batches(path, columns, batch_rows, f)
        }
        Format::Csv(Separator::Byte(sep)) => {
            let chunk = batch_rows.saturating_mul(CSV_BYTES_PER_ROW).max(1);
            csv_chunks(path, read, sep, columns, chunk, f)
        }
        _ => f(read_table(path, read)?, 0),
    }
}

fn unreadable(path: &Path, format: &str, e: impl std::fmt::Display) -> Error {
    Error::Unreadable {
        path: path.to_path_buf(),
        format: format.to_string(),
        message: e.to_string(),
    }
}

/// Parquet by groups of row groups, with the next group read by a prefetch thread.
fn parquet_batches(
    path: &Path,
    columns: Option<&[String]>,
    batch_rows: usize,
    mut f: impl FnMut(DataFrame, usize) -> Result<()>,
) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    if file.metadata().map_err(|e| Error::io(path, e))?.len() == 0 {
        return Err(Error::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    let mut reader = ParquetReader::new(file);
    let schema = reader
        .schema()
        .map_err(|e| unreadable(path, "Parquet", e))?;
    let metadata = reader
        .get_metadata()
        .map_err(|e| unreadable(path, "Parquet", e))?
        .clone();
    if metadata.num_rows == 0 {
        return Err(Error::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    let columns: Option<Vec<String>> = columns.map(|cs| {
        cs.iter()
            .filter(|c| schema.get(c.as_str()).is_some())
            .fold(Vec::new(), |mut v, c| {
                if !v.contains(c) {
                    v.push(c.clone());
                }
                v
            })
    });
    let batches = row_group_batches(&metadata, batch_rows);
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(DataFrame, usize)>>(1);
        let columns = &columns;
        scope.spawn(move || {
            for (offset, metadata) in batches {
                let df = std::fs::File::open(path)
                    .map_err(|e| Error::io(path, e))
                    .and_then(|file| {
                        let mut r = ParquetReader::new(file);
                        r.set_metadata(metadata);
                        r.with_columns(columns.clone())
                            .read_parallel(ParallelStrategy::Columns)
                            .finish()
                            .map_err(|e| unreadable(path, "Parquet", e))
                    });
                let stop = df.is_err();
                if tx.send(df.map(|df| (df, offset))).is_err() || stop {
                    return;
                }
            }
        });
        // Dropping the receiver on an error ends the prefetch thread at its next send.
        for batch in rx {
            let (df, offset) = batch?;
            f(df, offset)?;
        }
        Ok(())
    })
}

/// A Parquet file's row groups in consecutive batches of at least `batch_rows` rows (the last
/// may hold fewer): each batch's first row, and the file's metadata with that batch's row
/// groups only. A reader given it reads those row groups and touches no other: asked for a
/// slice of the whole file instead, polars decodes the dictionary pages of every row group
/// before the slice, which made reading a file batch by batch quadratic in its row groups.
pub(crate) fn row_group_batches(
    metadata: &FileMetadata,
    batch_rows: usize,
) -> Vec<(usize, FileMetadataRef)> {
    let empty = FileMetadata {
        row_groups: Vec::new(),
        num_rows: 0,
        ..metadata.clone()
    };
    let mut batches = Vec::new();
    let (mut first_group, mut start, mut rows) = (0, 0, 0);
    let groups = &metadata.row_groups;
    for (g, rg) in groups.iter().enumerate() {
        rows += rg.num_rows();
        if rows >= batch_rows || g + 1 == groups.len() {
            batches.push((
                start,
                Arc::new(FileMetadata {
                    row_groups: groups[first_group..=g].to_vec(),
                    num_rows: rows,
                    ..empty.clone()
                }),
            ));
            (first_group, start, rows) = (g + 1, start + rows, 0);
        }
    }
    batches
}

/// Delimited text by chunks of whole lines (a line break inside double quotes does not end a
/// line), each parsed with the header line in front, exactly as [`read_table`] parses the file.
fn csv_chunks(
    path: &Path,
    read: &ReadOptions,
    sep: u8,
    columns: Option<&[String]>,
    chunk_bytes: usize,
    mut f: impl FnMut(DataFrame, usize) -> Result<()>,
) -> Result<()> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut pending: Vec<u8> = Vec::new();
    let mut header: Option<Vec<u8>> = read.no_header.then(Vec::new);
    let mut row = 0usize;
    let mut eof = false;
    let mut buf = vec![0u8; chunk_bytes];
    while !eof {
        let k = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        eof = k == 0;
        pending.extend_from_slice(&buf[..k]);
        if header.is_none() {
            match line_end(&pending, 0) {
                Some(end) => header = Some(pending.drain(..end).collect()),
                None if eof => header = Some(std::mem::take(&mut pending)),
                None => continue,
            }
        }
        let cut = if eof {
            pending.len()
        } else {
            match last_line_end(&pending) {
                Some(end) => end,
                None => continue,
            }
        };
        if pending[..cut].iter().all(|b| b.is_ascii_whitespace()) {
            pending.drain(..cut);
            continue;
        }
        let mut text = header.clone().unwrap_or_default();
        text.extend(pending.drain(..cut));
        let df = parse_csv(path, read, sep, columns, text)?;
        let n = df.height();
        f(df, row)?;
        row += n;
    }
    if row == 0 {
        return Err(Error::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// The end (after the `\n`) of the first line starting at `from`, outside double quotes.
fn line_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut quoted = false;
    for (i, &b) in bytes.iter().enumerate().skip(from) {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The end (after the `\n`) of the last complete line outside double quotes (`bytes` starts
/// at a line start).
fn last_line_end(bytes: &[u8]) -> Option<usize> {
    let mut quoted = false;
    let mut last = None;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => last = Some(i + 1),
            _ => {}
        }
    }
    last
}

/// One chunk (the header line, then whole lines), with the options [`read_table`] uses.
fn parse_csv(
    path: &Path,
    read: &ReadOptions,
    sep: u8,
    columns: Option<&[String]>,
    text: Vec<u8>,
) -> Result<DataFrame> {
    let mut df = CsvReadOptions::default()
        .with_has_header(!read.no_header)
        .with_infer_schema_length(Some(0))
        .with_parse_options(
            CsvParseOptions::default()
                .with_separator(sep)
                .with_missing_is_null(true),
        )
        .into_reader_with_file_handle(Cursor::new(text))
        .finish()
        .map_err(|e| unreadable(path, "CSV", e))?;
    if let Some(names) = &read.names {
        crate::read::rename(&mut df, path, names)?;
    }
    if let Some(keep) = columns {
        let keep: Vec<PlSmallStr> = df
            .get_column_names()
            .into_iter()
            .filter(|c| keep.iter().any(|k| k == c.as_str()))
            .cloned()
            .collect();
        df = df.select(keep).map_err(|e| unreadable(path, "CSV", e))?;
    }
    Ok(df)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_outside_quotes_only() {
        let text = b"a,\"x\ny\"\nb,c\nd";
        assert_eq!(line_end(text, 0), Some(8));
        assert_eq!(last_line_end(text), Some(12));
        assert_eq!(last_line_end(b"\"open\n"), None);
    }
}
