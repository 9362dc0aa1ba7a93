//! Reading a file into a polars `DataFrame`, by extension.

use erosion_core::{Error, Result};
use polars::prelude::*;
use std::path::Path;

/// How fields are separated in a text table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// One byte, such as `,` or `\t`.
    Byte(u8),
    /// Any run of spaces or tabs (fixed-width files such as CDNOW's).
    Whitespace,
}

impl std::str::FromStr for Separator {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "whitespace" | "ws" => Ok(Separator::Whitespace),
            "tab" | "\\t" | "\t" => Ok(Separator::Byte(b'\t')),
            "comma" => Ok(Separator::Byte(b',')),
            "semicolon" => Ok(Separator::Byte(b';')),
            "pipe" => Ok(Separator::Byte(b'|')),
            s if s.len() == 1 => Ok(Separator::Byte(s.as_bytes()[0])),
            _ => Err(format!(
                "unknown separator {s:?}; expected one character, tab, comma, semicolon, pipe or whitespace"
            )),
        }
    }
}

/// The file formats erosion reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text.
    Csv(Separator),
    /// Apache Parquet.
    Parquet,
    /// Newline-delimited JSON, one object per line.
    Ndjson,
}

/// Options for reading delimited text; ignored for Parquet and NDJSON.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Field separator; by default `,` for `.csv` and tab for `.tsv`. Required for `.txt`.
    pub separator: Option<Separator>,
    /// The file has no header line.
    pub no_header: bool,
    /// Column names to use (required with `no_header`, optional otherwise: they replace the
    /// header's names in order).
    pub names: Option<Vec<String>>,
}

impl Format {
    /// The format of a path, from its extension and the separator flag.
    pub fn of(path: &Path, separator: Option<Separator>) -> Result<Format> {
        let ext = crate::extension_of(path);
        match ext.as_str() {
            "csv" => Ok(Format::Csv(separator.unwrap_or(Separator::Byte(b',')))),
            "tsv" => Ok(Format::Csv(separator.unwrap_or(Separator::Byte(b'\t')))),
            "txt" | "dat" if separator.is_some() => Ok(Format::Csv(separator.unwrap())),
            "parquet" | "pq" => Ok(Format::Parquet),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            _ => Err(Error::UnknownExtension {
                path: path.to_path_buf(),
                ext: if ext.is_empty() {
                    "(none)".into()
                } else {
                    format!(".{ext}")
                },
            }),
        }
    }
}

/// Reads a table. Delimited text is read with every column as a string, so that the
/// conversion to the data model can report the row of a bad value; Parquet and NDJSON keep
/// their types. Fails with `MissingFile`, `UnknownExtension`, `EmptyFile` or `Unreadable`.
pub fn read_table(path: &Path, opts: &ReadOptions) -> Result<DataFrame> {
    if !path.exists() {
        return Err(Error::MissingFile {
            path: path.to_path_buf(),
        });
    }
    let format = Format::of(path, opts.separator)?;
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() == 0 {
        return Err(Error::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    let unreadable = |format: &str, e: PolarsError| Error::Unreadable {
        path: path.to_path_buf(),
        format: format.to_string(),
        message: e.to_string(),
    };
    let mut df = match format {
        Format::Csv(Separator::Whitespace) => read_whitespace(path, opts)?,
        Format::Csv(Separator::Byte(sep)) => CsvReadOptions::default()
            .with_has_header(!opts.no_header)
            .with_infer_schema_length(Some(0))
            .with_parse_options(
                CsvParseOptions::default()
                    .with_separator(sep)
                    .with_missing_is_null(true),
            )
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish())
            .map_err(|e| unreadable("CSV", e))?,
        Format::Parquet => {
            let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            ParquetReader::new(f)
                .finish()
                .map_err(|e| unreadable("Parquet", e))?
        }
        Format::Ndjson => {
            let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            JsonReader::new(f)
                .with_json_format(JsonFormat::JsonLines)
                .finish()
                .map_err(|e| unreadable("NDJSON", e))?
        }
    };
    if let Some(names) = &opts.names {
        if !matches!(format, Format::Csv(Separator::Whitespace)) {
            rename(&mut df, path, names)?;
        }
    } else if opts.no_header && !matches!(format, Format::Csv(_)) {
        return Err(Error::usage(
            "--no-header applies to delimited text files only",
        ));
    }
    if df.height() == 0 {
        return Err(Error::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    Ok(df)
}

/// Gives the columns of `df` the `--names` `names`, one for each.
pub(crate) fn rename(df: &mut DataFrame, path: &Path, names: &[String]) -> Result<()> {
    if names.len() != df.width() {
        return Err(Error::Usage(format!(
            "{}: --names gives {} names but the file has {} columns",
            path.display(),
            names.len(),
            df.width()
        )));
    }
    df.set_column_names(names).map_err(|e| Error::Unreadable {
        path: path.to_path_buf(),
        format: "a table".into(),
        message: e.to_string(),
    })
}

/// Reads a whitespace-separated text file (runs of spaces or tabs, CRLF tolerated) with every
/// column as a string.
fn read_whitespace(path: &Path, opts: &ReadOptions) -> Result<DataFrame> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = if opts.no_header {
        Vec::new()
    } else {
        match lines.next() {
            Some(l) => l.split_whitespace().map(str::to_string).collect(),
            None => {
                return Err(Error::EmptyFile {
                    path: path.to_path_buf(),
                })
            }
        }
    };
    let mut cols: Vec<Vec<String>> = Vec::new();
    for (row, line) in lines.enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if cols.is_empty() {
            cols = vec![Vec::new(); fields.len()];
        }
        if fields.len() != cols.len() {
            return Err(Error::BadValue {
                path: path.to_path_buf(),
                column: "(row)".into(),
                row: row + 1,
                value: line.to_string(),
                expected: format!("a row of {} fields", cols.len()),
            });
        }
        for (c, f) in cols.iter_mut().zip(fields) {
            c.push(f.to_string());
        }
    }
    if cols.is_empty() {
        return Err(Error::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    let names: Vec<String> = match (&opts.names, opts.no_header) {
        (Some(n), _) => n.clone(),
        (None, false) => header,
        (None, true) => (1..=cols.len()).map(|i| format!("column_{i}")).collect(),
    };
    if names.len() != cols.len() {
        return Err(Error::Usage(format!(
            "{}: {} column names for {} columns",
            path.display(),
            names.len(),
            cols.len()
        )));
    }
    let height = cols[0].len();
    let columns = names
        .iter()
        .zip(cols)
        .map(|(n, v)| Column::new(n.as_str().into(), v))
        .collect();
    DataFrame::new(height, columns).map_err(|e| Error::Unreadable {
        path: path.to_path_buf(),
        format: "whitespace-separated text".into(),
        message: e.to_string(),
    })
}
