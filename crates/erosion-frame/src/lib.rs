//! Internal to erosion (no stability promise): the one place where polars frames meet
//! erosion's types, so that `erosion` and `erosion-score` read and write tables the same way.
//!
//! - [`feature_frame`]: a [`FeatureTable`] as the frame `erosion features` writes;
//! - [`Table`]: any table (ours or the user's, such as Telco's CSV) as model inputs
//!   ([`Table::raw_columns`]), a binary target, cutoffs and flags. One place decides which
//!   columns may become model inputs, so training, evaluation and nightly scoring see the same
//!   numbers bit for bit.

use erosion_core::time::DAY_MS;
use erosion_core::Error;
use erosion_features::{FeatureConfig, FeatureTable};
use erosion_inference::RawColumn;
use erosion_io::polars::prelude::*;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Label columns of `erosion features` output: never model inputs (they are the future).
pub const LABEL_COLUMNS: [&str; 2] = ["churn", "erosion"];

/// How a feature table was made, carried with it (Parquet key-value metadata, or a sidecar
/// beside a CSV; see [`erosion_io::write_table_noted`]) so that `train` uses the same horizon and
/// the bundle the same configuration, windows and population rule, as `erosion features` did.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableOrigin {
    /// The tool and version that wrote the table.
    pub made_by: String,
    /// The feature configuration, with `observed_until` set to the table's.
    pub feature_config: FeatureConfig,
}

/// The metadata key (and sidecar content) of a [`TableOrigin`].
pub const ORIGIN_KEY: &str = "erosion.feature_table";

impl TableOrigin {
    /// The origin of a table computed with `config` from data observed until `observed_until`.
    pub fn new(config: &FeatureConfig, observed_until: i64) -> TableOrigin {
        TableOrigin {
            made_by: format!("erosion features {}", env!("CARGO_PKG_VERSION")),
            feature_config: FeatureConfig {
                observed_until: Some(observed_until),
                ..config.clone()
            },
        }
    }

    /// The origin recorded with the table at `path`, if it has one (a user's own table has none).
    pub fn read(path: &Path) -> Result<Option<TableOrigin>, Error> {
        let Some(text) = erosion_io::read_table_note(path, ORIGIN_KEY)? else {
            return Ok(None);
        };
        serde_json::from_str(&text).map(Some).map_err(|e| Error::Unreadable {
            path: path.to_path_buf(),
            format: "an erosion feature table".into(),
            message: format!(
                "its note on how it was made ({ORIGIN_KEY}) does not read ({e}); rebuild it with `erosion features`"
            ),
        })
    }
}

/// Writes a feature table with its [`TableOrigin`], atomically.
pub fn write_feature_table(
    path: &Path,
    df: &mut DataFrame,
    origin: &TableOrigin,
) -> Result<(), Error> {
    let note = serde_json::to_string(origin).map_err(|e| Error::io(path, e))?;
    erosion_io::write_table_noted(path, df, Some((ORIGIN_KEY, &note)))
}

/// [`write_feature_table`] a batch of rows at a time: a sink for `path` that records `origin`
/// as [`write_feature_table`] does (`erosion features` on events spilled to partitions).
pub fn feature_table_sink(
    path: &Path,
    origin: &TableOrigin,
) -> Result<erosion_io::TableSink, Error> {
    let note = serde_json::to_string(origin).map_err(|e| Error::io(path, e))?;
    erosion_io::TableSink::create(path, Some((ORIGIN_KEY, &note)))
}

/// A loaded table and the file it came from (named in every error).
pub struct Table {
    /// The file, for error messages.
    pub path: PathBuf,
    /// The rows.
    pub df: DataFrame,
}

impl Table {
    /// Reads CSV, Parquet or NDJSON by extension, through erosion-io like every command.
    pub fn read(path: &Path) -> Result<Table, Error> {
        let df = erosion_io::read_table(path, &erosion_io::ReadOptions::default())?;
        Ok(Table {
            path: path.to_path_buf(),
            df,
        })
    }

    /// A frame already in memory; errors name `path`.
    pub fn from_frame(path: &Path, df: DataFrame) -> Table {
        Table {
            path: path.to_path_buf(),
            df,
        }
    }

    /// Whether the table has a column of this name.
    pub fn has(&self, name: &str) -> bool {
        self.df.column(name).is_ok()
    }

    /// A column, or [`Error::MissingColumn`] naming the file and the columns it has.
    pub fn column(&self, name: &str) -> Result<&Column, Error> {
        self.df.column(name).map_err(|_| Error::MissingColumn {
            path: self.path.clone(),
            column: name.to_string(),
            available: self.names(),
        })
    }

    /// The column names, in order.
    pub fn names(&self) -> Vec<String> {
        self.df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// A column as optional strings (numbers formatted as polars prints them).
    pub fn strings(&self, name: &str) -> Result<Vec<Option<String>>, Error> {
        let col = self.column(name)?;
        let s = col
            .cast(&DataType::String)
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(s.str()
            .expect("String")
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    }

    /// The binary target: `Some(1)` positive, `Some(0)` negative, `None` unlabelled (null).
    /// Booleans and 0/1 numbers need no `positive`; text needs it unless the values are
    /// yes/no or true/false.
    pub fn target(&self, name: &str, positive: Option<&str>) -> Result<Vec<Option<u8>>, Error> {
        let col = self.column(name)?;
        let bad = |row: usize, value: String, expected: &str| Error::BadValue {
            path: self.path.clone(),
            column: name.to_string(),
            row: row + 1,
            value,
            expected: expected.to_string(),
        };
        if let (Ok(b), None) = (col.bool(), positive) {
            return Ok(b.iter().map(|v| v.map(u8::from)).collect());
        }
        if col.dtype().is_primitive_numeric() && positive.is_none() {
            let f = col
                .cast(&DataType::Float64)
                .map_err(|e| Error::io(&self.path, e))?;
            return f
                .f64()
                .expect("Float64")
                .iter()
                .enumerate()
                .map(|(row, v)| match v {
                    None => Ok(None),
                    Some(0.0) => Ok(Some(0)),
                    Some(1.0) => Ok(Some(1)),
                    Some(x) => Err(bad(row, x.to_string(), "0 or 1 (or give --positive)")),
                })
                .collect();
        }
        let values = self.strings(name)?;
        let positive = match positive {
            Some(p) => p.to_string(),
            None => {
                let mut distinct: Vec<String> = values
                    .iter()
                    .flatten()
                    .map(|s| s.trim().to_ascii_lowercase())
                    .collect();
                distinct.sort();
                distinct.dedup();
                let known = [["no", "yes"], ["false", "true"], ["0", "1"], ["n", "y"]];
                match known.iter().find(|k| distinct.iter().all(|d| k.contains(&d.as_str()))) {
                    Some(k) => k[1].to_string(),
                    None => {
                        return Err(Error::usage(format!(
                            "{}: column {name:?} has the values {:?}; say which one is positive with --positive VALUE",
                            self.path.display(),
                            distinct.iter().take(10).collect::<Vec<_>>()
                        )))
                    }
                }
            }
        };
        let mut seen_other: Option<String> = None;
        values
            .iter()
            .enumerate()
            .map(|(row, v)| match v.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(s) if s.eq_ignore_ascii_case(&positive) => Ok(Some(1)),
                Some(s) => {
                    // a binary target has exactly one negative value
                    match &seen_other {
                        None => seen_other = Some(s.to_string()),
                        Some(o) if o.eq_ignore_ascii_case(s) => {}
                        Some(o) => {
                            return Err(bad(
                                row,
                                s.to_string(),
                                &format!("{positive:?} or {o:?} (a binary target has two values)"),
                            ))
                        }
                    }
                    Ok(Some(0))
                }
            })
            .collect()
    }

    /// The `cutoff` column as days since the epoch, if the table has one.
    pub fn cutoffs(&self) -> Result<Option<Vec<i64>>, Error> {
        if !self.has("cutoff") {
            return Ok(None);
        }
        let col = self.column("cutoff")?;
        let bad = |row: usize, v: String| Error::BadValue {
            path: self.path.clone(),
            column: "cutoff".into(),
            row: row + 1,
            value: v,
            expected: "a date (YYYY-MM-DD)".into(),
        };
        if matches!(col.dtype(), DataType::Date) {
            let d = col
                .cast(&DataType::Int32)
                .map_err(|e| Error::io(&self.path, e))?;
            return d
                .i32()
                .expect("Int32")
                .iter()
                .enumerate()
                .map(|(row, v)| v.map(i64::from).ok_or_else(|| bad(row, "(empty)".into())))
                .collect::<Result<Vec<_>, _>>()
                .map(Some);
        }
        self.strings("cutoff")?
            .iter()
            .enumerate()
            .map(|(row, v)| {
                let s = v.as_deref().unwrap_or("");
                erosion_core::time::parse_timestamp(s, None)
                    .map(|ms| ms.div_euclid(DAY_MS))
                    .ok_or_else(|| bad(row, s.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// Every column except `exclude`, as raw model inputs: numbers and booleans as numbers,
    /// text as text (the encoder coerces numeric text with blanks, such as Telco's
    /// TotalCharges, and one-hot encodes the rest). Date columns are not inputs.
    pub fn raw_columns(&self, exclude: &[String]) -> Result<Vec<RawColumn>, Error> {
        self.raw_columns_where(exclude, None)
    }

    /// [`Table::raw_columns`] of the rows `keep` marks (every row with `None`): the same values
    /// as filtering the table first, without a filtered copy of it. Columns are converted in
    /// parallel.
    pub fn raw_columns_where(
        &self,
        exclude: &[String],
        keep: Option<&[bool]>,
    ) -> Result<Vec<RawColumn>, Error> {
        let inputs: Vec<&Column> = self
            .df
            .columns()
            .iter()
            .filter(|c| !exclude.iter().any(|e| e == c.name().as_str()))
            .filter(|c| {
                let dt = c.dtype();
                dt.is_primitive_numeric() || matches!(dt, DataType::Boolean | DataType::String)
            })
            .collect();
        let kept = |row: usize| keep.is_none_or(|k| k[row]);
        inputs
            .par_iter()
            .map(|col| {
                let name = col.name().as_str();
                if matches!(col.dtype(), DataType::String) {
                    let mut v = self.strings(name)?;
                    if keep.is_some() {
                        let mut row = 0;
                        v.retain(|_| {
                            row += 1;
                            kept(row - 1)
                        });
                    }
                    return Ok(RawColumn::text(name, v));
                }
                let f = col
                    .cast(&DataType::Float64)
                    .map_err(|e| Error::io(&self.path, e))?;
                let ca = f.f64().expect("Float64");
                let mut v =
                    Vec::with_capacity(keep.map_or(ca.len(), |k| k.iter().filter(|&&b| b).count()));
                let mut row = 0;
                for arr in ca.downcast_iter() {
                    let values = arr.values().as_slice();
                    match arr.validity() {
                        None => {
                            for &x in values {
                                if kept(row) {
                                    v.push(x);
                                }
                                row += 1;
                            }
                        }
                        Some(valid) => {
                            for (&x, ok) in values.iter().zip(valid.iter()) {
                                if kept(row) {
                                    v.push(if ok { x } else { f64::NAN });
                                }
                                row += 1;
                            }
                        }
                    }
                }
                Ok(RawColumn::numbers(name, v))
            })
            .collect()
    }

    /// A 0/1 column as flags, read by meaning whatever the file's format, so that a CSV and a
    /// Parquet of the same table give the same flags: `true` for a boolean true, a number equal
    /// to 1 or text that reads as one (`1`, `1.0`, `true`, `yes`, any case); `false` for false,
    /// 0 (`0`, `0.0`, `false`, `no`) and for a missing value (null, blank or NaN: nothing
    /// recorded). Anything else is [`Error::BadValue`] naming the file, column and row. `None`
    /// when the table has no such column.
    pub fn flags(&self, name: &str) -> Result<Option<Vec<bool>>, Error> {
        if !self.has(name) {
            return Ok(None);
        }
        let bad = |row: usize, value: String| Error::BadValue {
            path: self.path.clone(),
            column: name.to_string(),
            row: row + 1,
            value,
            expected: "a flag: 1, 1.0, true or yes when set; 0, 0.0, false, no or empty when not"
                .into(),
        };
        let col = self.column(name)?;
        if col.dtype().is_primitive_numeric() || matches!(col.dtype(), DataType::Boolean) {
            let f = col
                .cast(&DataType::Float64)
                .map_err(|e| Error::io(&self.path, e))?;
            return f
                .f64()
                .expect("Float64")
                .iter()
                .enumerate()
                .map(|(row, v)| {
                    flag_of_number(v).ok_or_else(|| bad(row, format!("{}", v.unwrap_or(f64::NAN))))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some);
        }
        self.strings(name)?
            .into_iter()
            .enumerate()
            .map(|(row, v)| {
                let v = v.unwrap_or_default();
                flag_of_text(&v).ok_or_else(|| bad(row, v))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// A number as a flag: 1 set, 0 or missing (null, NaN) not set, `None` for any other number.
fn flag_of_number(v: Option<f64>) -> Option<bool> {
    match v {
        None => Some(false),
        Some(x) if x.is_nan() || x == 0.0 => Some(false),
        Some(1.0) => Some(true),
        Some(_) => None,
    }
}

/// Text as a flag: `true`/`yes` and `false`/`no` in any case, blank, or a number
/// ([`flag_of_number`]); `None` for anything else.
fn flag_of_text(s: &str) -> Option<bool> {
    let s = s.trim();
    if s.is_empty() {
        return Some(false);
    }
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" => Some(true),
        "false" | "no" => Some(false),
        other => other
            .parse::<f64>()
            .ok()
            .and_then(|x| flag_of_number(Some(x))),
    }
}

/// The feature table as a frame: `customer_id`, `cutoff` (date), the features (null where
/// missing), `churn` and `erosion` (null where the horizon is not observed).
pub fn feature_frame(t: &FeatureTable) -> DataFrame {
    let mut columns = Vec::with_capacity(t.names.len() + 4);
    columns.push(Column::new("customer_id".into(), t.customer_id.clone()));
    let days: Vec<i32> = t
        .cutoff
        .iter()
        .map(|&c| c.div_euclid(DAY_MS) as i32)
        .collect();
    columns.push(
        Int32Chunked::from_vec("cutoff".into(), days)
            .into_date()
            .into_column(),
    );
    // feature columns converted in parallel, kept in order
    let features: Vec<Column> = t
        .names
        .par_iter()
        .zip(&t.columns)
        .map(|(name, col)| {
            Float64Chunked::from_iter_options(
                name.as_str().into(),
                col.iter().map(|&v| if v.is_nan() { None } else { Some(v) }),
            )
            .into_column()
        })
        .collect();
    columns.extend(features);
    columns.push(Column::new("churn".into(), t.churn.clone()));
    columns.push(Column::new("erosion".into(), t.erosion.clone()));
    DataFrame::new(t.len(), columns).expect("columns of equal length")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flag column means the same as text (a CSV) and as numbers or booleans (a Parquet), and
    /// anything that is not a flag is an error naming the file, the column and the row.
    #[test]
    fn flags_read_by_meaning_whatever_the_type() {
        let path = Path::new("features.csv");
        let text = df!(
            "f" => [Some("1"), Some("1.0"), Some(" TRUE "), Some("yes"), Some("0"), Some("0.0"),
                    Some("false"), Some("No"), Some(""), None, Some("NaN")],
        )
        .unwrap();
        let want = [
            true, true, true, true, false, false, false, false, false, false, false,
        ];
        let got = Table::from_frame(path, text).flags("f").unwrap().unwrap();
        assert_eq!(got, want);
        let numbers = df!(
            "f" => [Some(1.0), Some(1.0), Some(1.0), Some(1.0), Some(0.0), Some(0.0), Some(0.0),
                    Some(0.0), None, None, Some(f64::NAN)],
            "i" => [Some(1i64), Some(1), Some(1), Some(1), Some(0), Some(0), Some(0), Some(0),
                    None, None, None],
            "b" => [Some(true), Some(true), Some(true), Some(true), Some(false), Some(false),
                    Some(false), Some(false), None, None, None],
        )
        .unwrap();
        let t = Table::from_frame(Path::new("features.parquet"), numbers);
        for c in ["f", "i", "b"] {
            assert_eq!(t.flags(c).unwrap().unwrap(), want, "{c}");
        }
        assert_eq!(t.flags("absent").unwrap(), None);
        let bad = |df: DataFrame| {
            Table::from_frame(path, df)
                .flags("consent_opted_out")
                .unwrap_err()
                .to_string()
        };
        let e = bad(df!("consent_opted_out" => ["0", "1", "opted out"]).unwrap());
        assert!(
            e.contains("features.csv")
                && e.contains("\"consent_opted_out\"")
                && e.contains("row 3")
                && e.contains("\"opted out\"")
                && e.contains("a flag: 1, 1.0, true or yes"),
            "{e}"
        );
        let e = bad(df!("consent_opted_out" => [0.0, 2.0]).unwrap());
        assert!(e.contains("row 2") && e.contains("\"2\""), "{e}");
        let e = bad(df!("consent_opted_out" => ["0", "0.5"]).unwrap());
        assert!(e.contains("row 2") && e.contains("\"0.5\""), "{e}");
    }

    /// `raw_columns_where` with a row mask equals `raw_columns` of the filtered table: numbers
    /// with nulls, booleans, text, an excluded column, and a frame of several chunks.
    #[test]
    fn raw_columns_of_some_rows_equal_those_of_the_filtered_table() {
        let part = |k: i64| {
            df!(
                "customer_id" => [format!("c{k}"), format!("d{k}"), format!("e{k}")],
                "spend" => [Some(1.5 * k as f64), None, Some(f64::NAN)],
                "visits" => [Some(k), Some(2), None],
                "flag" => [Some(true), None, Some(false)],
                "plan" => [Some("basic"), None, Some("pro")],
            )
            .unwrap()
        };
        let mut df = part(1);
        for k in 2..5 {
            df.vstack_mut(&part(k)).unwrap();
        }
        assert!(df.first_col_n_chunks() > 1, "the test wants several chunks");
        let keep: Vec<bool> = (0..df.height()).map(|r| r % 3 != 1 && r != 4).collect();
        let path = Path::new("t.parquet");
        let exclude = vec!["customer_id".to_string()];
        let table = Table::from_frame(path, df.clone());
        let got = table.raw_columns_where(&exclude, Some(&keep)).unwrap();
        let mask = BooleanChunked::from_slice("m".into(), &keep);
        let want = Table::from_frame(path, df.filter(&mask).unwrap())
            .raw_columns(&exclude)
            .unwrap();
        assert_eq!(got.len(), 4);
        // NaN != NaN: compare the debug text, which spells NaN alike
        assert_eq!(format!("{got:?}"), format!("{want:?}"));
        // every row when there is no mask; nulls and NaN both missing
        let all = table.raw_columns(&exclude).unwrap();
        match &all[0].values {
            erosion_inference::RawValues::Number(v) => {
                assert_eq!(v.len(), 12);
                for (r, x) in v.iter().enumerate() {
                    assert_eq!(x.is_nan(), r % 3 != 0, "row {r}: {x}");
                }
            }
            other => panic!("spend is numeric: {other:?}"),
        }
    }
}
