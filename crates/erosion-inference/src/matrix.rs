//! The dense input every model takes: a column-major `f64` matrix with named, typed columns.

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// What a matrix column is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ColumnKind {
    /// A number; NaN means missing.
    Numeric,
    /// A 0/1 indicator for one level of a categorical source column.
    OneHot {
        /// The categorical column it was derived from.
        source: String,
        /// The level this column indicates.
        level: String,
    },
}

/// Name and type of one matrix column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnMeta {
    /// Column name, unique within a matrix.
    pub name: String,
    /// Numeric or one-hot.
    #[serde(flatten)]
    pub kind: ColumnKind,
}

impl ColumnMeta {
    /// A numeric column.
    pub fn numeric(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: ColumnKind::Numeric,
        }
    }

    /// A one-hot column `source=level`.
    pub fn one_hot(source: impl Into<String>, level: impl Into<String>) -> Self {
        let (source, level) = (source.into(), level.into());
        Self {
            name: format!("{source}={level}"),
            kind: ColumnKind::OneHot { source, level },
        }
    }

    /// The input column this feature comes from (itself for numeric columns).
    pub fn source(&self) -> &str {
        match &self.kind {
            ColumnKind::Numeric => &self.name,
            ColumnKind::OneHot { source, .. } => source,
        }
    }
}

/// A dense, column-major matrix: value of row `i`, column `j` at `data[j * n_rows + i]`.
///
/// NaN marks a missing value; infinities are rejected.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    n_rows: usize,
    columns: Vec<ColumnMeta>,
    data: Vec<f64>,
}

impl FeatureMatrix {
    /// Builds a matrix from a column-major buffer, checking shape, unique names and finiteness.
    pub fn new(n_rows: usize, columns: Vec<ColumnMeta>, data: Vec<f64>) -> Result<Self> {
        let expected = n_rows * columns.len();
        if data.len() != expected {
            return Err(ModelError::BadShape {
                rows: n_rows,
                cols: columns.len(),
                expected,
                got: data.len(),
            });
        }
        let mut names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(ModelError::DuplicateColumn {
                column: w[0].to_string(),
            });
        }
        if n_rows > 0 {
            for (j, col) in data.chunks(n_rows).enumerate() {
                if let Some(row) = col.iter().position(|v| v.is_infinite()) {
                    return Err(ModelError::Infinite {
                        column: columns[j].name.clone(),
                        row,
                    });
                }
            }
        }
        Ok(Self {
            n_rows,
            columns,
            data,
        })
    }

    /// Builds a matrix of numeric columns from `(name, values)` pairs.
    pub fn from_numeric_columns(cols: Vec<(String, Vec<f64>)>) -> Result<Self> {
        let n = cols.first().map_or(0, |c| c.1.len());
        let mut meta = Vec::with_capacity(cols.len());
        let mut data = Vec::with_capacity(n * cols.len());
        for (name, values) in cols {
            if values.len() != n {
                return Err(ModelError::LengthMismatch {
                    what: format!("column '{name}'"),
                    expected: n,
                    got: values.len(),
                });
            }
            meta.push(ColumnMeta::numeric(name));
            data.extend(values);
        }
        Self::new(n, meta, data)
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }

    /// Column descriptions, in order.
    pub fn columns(&self) -> &[ColumnMeta] {
        &self.columns
    }

    /// Column `j` as a slice of `n_rows` values.
    pub fn column(&self, j: usize) -> &[f64] {
        &self.data[j * self.n_rows..(j + 1) * self.n_rows]
    }

    /// Value at row `i`, column `j`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[j * self.n_rows + i]
    }

    /// The whole column-major buffer.
    pub fn data(&self) -> &[f64] {
        &self.data
    }

    /// A new matrix holding the given rows, in that order.
    pub fn select_rows(&self, rows: &[usize]) -> FeatureMatrix {
        let mut data = Vec::with_capacity(rows.len() * self.n_cols());
        for j in 0..self.n_cols() {
            let col = self.column(j);
            data.extend(rows.iter().map(|&i| col[i]));
        }
        FeatureMatrix {
            n_rows: rows.len(),
            columns: self.columns.clone(),
            data,
        }
    }

    /// Reorders this matrix's columns to `wanted` (by name), failing on the first absent one.
    ///
    /// Extra columns are dropped; types are taken from `wanted`.
    pub fn align_to(&self, wanted: &[ColumnMeta]) -> Result<FeatureMatrix> {
        if wanted.len() == self.columns.len()
            && wanted
                .iter()
                .zip(&self.columns)
                .all(|(a, b)| a.name == b.name)
        {
            return Ok(self.clone());
        }
        let mut data = Vec::with_capacity(self.n_rows * wanted.len());
        for w in wanted {
            let j = self
                .columns
                .iter()
                .position(|c| c.name == w.name)
                .ok_or_else(|| ModelError::MissingColumn {
                    column: w.name.clone(),
                })?;
            data.extend_from_slice(self.column(j));
        }
        Ok(FeatureMatrix {
            n_rows: self.n_rows,
            columns: wanted.to_vec(),
            data,
        })
    }

    /// Indices of the columns with no value in any row.
    pub fn all_missing_columns(&self) -> Vec<usize> {
        (0..self.n_cols())
            .filter(|&j| self.column(j).iter().all(|v| v.is_nan()))
            .collect()
    }

    /// Sets every value of the given columns to `value` (a column a model must not use).
    pub fn set_columns(&mut self, columns: &[usize], value: f64) {
        for &j in columns {
            self.data[j * self.n_rows..(j + 1) * self.n_rows].fill(value);
        }
    }

    /// Checks this matrix can be trained on: rows present, no column entirely missing.
    pub fn check_trainable(&self) -> Result<()> {
        if self.n_rows == 0 {
            return Err(ModelError::Empty {
                what: "the matrix has no rows".into(),
            });
        }
        if self.columns.is_empty() {
            return Err(ModelError::Empty {
                what: "the matrix has no feature columns".into(),
            });
        }
        for j in 0..self.n_cols() {
            if self.column(j).iter().all(|v| v.is_nan()) {
                return Err(ModelError::AllMissing {
                    column: self.columns[j].name.clone(),
                    rows: self.n_rows,
                });
            }
        }
        Ok(())
    }
}

/// Checks labels against a matrix: same length, values 0/1, both classes present.
pub fn check_labels(y: &[u8], n_rows: usize) -> Result<()> {
    if y.len() != n_rows {
        return Err(ModelError::LengthMismatch {
            what: "labels".into(),
            expected: n_rows,
            got: y.len(),
        });
    }
    if let Some(row) = y.iter().position(|&v| v > 1) {
        return Err(ModelError::BadLabel { row, value: y[row] });
    }
    let pos = y.iter().filter(|&&v| v == 1).count();
    if pos == 0 || pos == y.len() {
        return Err(ModelError::OneClass {
            class: u8::from(pos > 0),
            rows: y.len(),
        });
    }
    Ok(())
}
