//! Histogram binning of feature columns (at most 255 bins per feature plus one for missing).

use rayon::prelude::*;

/// Bin edges of one feature: bin `b` holds values `x <= upper[b]` (and above the previous edge);
/// the last edge is +inf. Missing values go to bin `upper.len()`.
#[derive(Debug, Clone)]
pub(crate) struct FeatureBins {
    pub upper: Vec<f64>,
}

impl FeatureBins {
    /// Learns edges from the non-missing values of a column: every distinct value gets its own
    /// bin when there are at most `max_bin`, else bins of roughly equal counts. Edges lie halfway
    /// between neighbouring distinct values.
    pub fn fit(values: &[f64], max_bin: usize) -> FeatureBins {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        v.sort_by(f64::total_cmp);
        let mut distinct: Vec<(f64, usize)> = Vec::new();
        for x in v {
            match distinct.last_mut() {
                Some((d, c)) if *d == x => *c += 1,
                _ => distinct.push((x, 1)),
            }
        }
        let mut upper = Vec::new();
        if distinct.len() <= max_bin {
            for w in distinct.windows(2) {
                upper.push(midpoint(w[0].0, w[1].0));
            }
        } else {
            let total: usize = distinct.iter().map(|d| d.1).sum();
            let per_bin = total as f64 / max_bin as f64;
            let mut acc = 0usize;
            let mut next_cut = per_bin;
            for (k, w) in distinct.windows(2).enumerate() {
                acc += w[0].1;
                // close a bin once it holds its share, leaving enough distinct values for the rest
                let remaining_distinct = distinct.len() - k - 1;
                let remaining_bins = max_bin - upper.len() - 1;
                if (acc as f64 >= next_cut || remaining_distinct <= remaining_bins)
                    && upper.len() + 1 < max_bin
                {
                    upper.push(midpoint(w[0].0, w[1].0));
                    next_cut = acc as f64
                        + ((total - acc) as f64 / (max_bin - upper.len()) as f64).max(1.0);
                }
            }
        }
        upper.push(f64::INFINITY);
        FeatureBins { upper }
    }

    /// Non-missing bins.
    pub fn n_bins(&self) -> usize {
        self.upper.len()
    }

    /// Bin of a value.
    #[inline]
    pub fn bin(&self, x: f64) -> u8 {
        if x.is_nan() {
            self.upper.len() as u8
        } else {
            self.upper.partition_point(|&e| e < x) as u8
        }
    }
}

fn midpoint(a: f64, b: f64) -> f64 {
    let m = a + (b - a) / 2.0;
    // guard against rounding onto b, which would put b in the lower bin
    if m >= b {
        a
    } else {
        m
    }
}

/// A binned dataset: the bin codes twice, row-major for histograms and tree walks (`p` bytes per
/// row, so one row's codes share a cache line whichever rows a leaf holds) and column-major for
/// partitioning a leaf on one feature; and each feature's number of histogram slots.
pub(crate) struct Binned {
    pub n: usize,
    pub p: usize,
    /// Row-major: code of row `i`, feature `j` at `i * p + j`.
    pub codes: Vec<u8>,
    /// Column-major: code of row `i`, feature `j` at `j * n + i`.
    pub columns: Vec<u8>,
    /// Per feature, histogram slots (non-missing bins + 1 for missing).
    pub slots: Vec<usize>,
    /// Per feature, first slot in a histogram; one more entry at the end: the total.
    pub offsets: Vec<usize>,
}

/// Rows per parallel task when binning.
const BIN_CHUNK: usize = 4096;

impl Binned {
    /// Bins a column-major buffer with given per-feature bins.
    pub fn new(data: &[f64], n: usize, bins: &[FeatureBins]) -> Binned {
        let p = bins.len();
        let mut codes = vec![0u8; n * p];
        if n > 0 && p > 0 {
            codes
                .par_chunks_mut(BIN_CHUNK * p)
                .enumerate()
                .for_each(|(c, out)| {
                    let start = c * BIN_CHUNK;
                    let m = out.len() / p;
                    for (j, fb) in bins.iter().enumerate() {
                        let col = &data[j * n + start..j * n + start + m];
                        for (r, &x) in col.iter().enumerate() {
                            out[r * p + j] = fb.bin(x);
                        }
                    }
                });
        }
        let mut columns = vec![0u8; n * p];
        if n > 0 {
            columns.par_chunks_mut(n).enumerate().for_each(|(j, col)| {
                for (i, o) in col.iter_mut().enumerate() {
                    *o = codes[i * p + j];
                }
            });
        }
        let slots: Vec<usize> = bins.iter().map(|b| b.n_bins() + 1).collect();
        let mut offsets = Vec::with_capacity(p + 1);
        let mut acc = 0;
        offsets.push(0);
        for s in &slots {
            acc += s;
            offsets.push(acc);
        }
        Binned {
            n,
            p,
            codes,
            columns,
            slots,
            offsets,
        }
    }

    /// Slots of a histogram over all features.
    pub fn total_slots(&self) -> usize {
        self.offsets[self.p]
    }

    /// Bin codes of feature `j`, one per row.
    #[inline]
    pub fn column(&self, j: usize) -> &[u8] {
        &self.columns[j * self.n..(j + 1) * self.n]
    }

    /// Bin code of row `i`, feature `j`.
    #[inline]
    pub fn code(&self, i: usize, j: usize) -> u8 {
        self.codes[i * self.p + j]
    }
}

/// Learns bins for every column of a column-major buffer (from at most `sample` evenly spaced rows).
pub(crate) fn fit_bins(
    data: &[f64],
    n: usize,
    p: usize,
    max_bin: usize,
    sample: usize,
) -> Vec<FeatureBins> {
    let step = n.div_ceil(sample.max(1)).max(1);
    (0..p)
        .into_par_iter()
        .map(|j| {
            let col = &data[j * n..(j + 1) * n];
            let vals: Vec<f64> = col.iter().step_by(step).copied().collect();
            FeatureBins::fit(&vals, max_bin)
        })
        .collect()
}
