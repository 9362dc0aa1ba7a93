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

/// A binned dataset: the bin codes column-major (for partitioning a leaf on one feature and for
/// tree walks), each feature's histogram slots, and, when built for growing trees, the cells that
/// are not their feature's most frequent bin row by row (`groups`), which is all a histogram reads.
pub(crate) struct Binned {
    pub n: usize,
    pub p: usize,
    /// Column-major: code of row `i`, feature `j` at `j * n + i`.
    pub columns: Vec<u8>,
    /// Per feature, histogram slots (non-missing bins + 1 for missing).
    pub slots: Vec<usize>,
    /// Per feature, first slot in a histogram; one more entry at the end: the total.
    pub offsets: Vec<usize>,
    /// Per feature, its most frequent non-missing bin (the default bin); a histogram gets that
    /// bin's sums as the node's total minus the feature's other bins, as LightGBM does.
    pub default_bin: Vec<u8>,
    /// Contiguous groups of features covering all of them, in order, each with its rows' cells
    /// outside the default bin (empty when built for tree walks only).
    pub groups: Vec<SparseRows>,
}

/// The cells of a group of features that are not in their feature's default bin, row by row:
/// row `i`'s cells are `slots[starts[i]..starts[i + 1]]`, each the histogram slot it adds to,
/// counted from the group's first slot.
pub(crate) struct SparseRows {
    /// Features of the group.
    pub features: std::ops::Range<usize>,
    /// Per row (and one more at the end), where its cells start.
    pub starts: Vec<u32>,
    /// Histogram slot of each cell, from the group's first slot.
    pub slots: Vec<u16>,
    /// Histogram slots of the group's features: every entry of `slots` is below it.
    pub n_slots: usize,
}

/// Most groups the features are split into for histograms (the unit of parallel work): one per
/// thread up to this. Each group is a pass over the leaf's rows, so fewer is faster on one core;
/// a slot's sum never depends on the grouping (each slot is summed in row order in any group).
const MAX_GROUPS: usize = 8;

impl Binned {
    /// Bins a column-major buffer with given per-feature bins, for tree walks only.
    pub fn new(data: &[f64], n: usize, bins: &[FeatureBins]) -> Binned {
        let p = bins.len();
        let mut columns = vec![0u8; n * p];
        if n > 0 {
            columns.par_chunks_mut(n).enumerate().for_each(|(j, col)| {
                let fb = &bins[j];
                for (o, &x) in col.iter_mut().zip(&data[j * n..(j + 1) * n]) {
                    *o = fb.bin(x);
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
            columns,
            slots,
            offsets,
            default_bin: vec![0; p],
            groups: Vec::new(),
        }
    }

    /// Bins a column-major buffer with given per-feature bins, for growing trees: also finds each
    /// feature's default bin and lays out the other cells row by row.
    pub fn for_growing(data: &[f64], n: usize, bins: &[FeatureBins]) -> Binned {
        let mut b = Binned::new(data, n, bins);
        let counted: Vec<(u8, usize)> = (0..b.p)
            .into_par_iter()
            .map(|j| {
                let mut counts = [0usize; 256];
                for &c in b.column(j) {
                    counts[c as usize] += 1;
                }
                // the missing slot is never the default: whether a node has missing values must
                // stay an exact count
                let present = &counts[..b.slots[j] - 1];
                let (bin, count) =
                    present
                        .iter()
                        .enumerate()
                        .fold((0, 0), |m, (k, &c)| if c > m.1 { (k, c) } else { m });
                (bin as u8, n - count)
            })
            .collect();
        b.default_bin = counted.iter().map(|c| c.0).collect();
        let cells: Vec<usize> = counted.iter().map(|c| c.1).collect();
        let groups = rayon::current_num_threads().clamp(1, MAX_GROUPS);
        b.groups = feature_groups(&cells, &b.offsets, groups)
            .into_par_iter()
            .map(|features| b.sparse_rows(features))
            .collect();
        b
    }

    /// Cells of `features` outside their default bins, row by row.
    fn sparse_rows(&self, features: std::ops::Range<usize>) -> SparseRows {
        let base = self.offsets[features.start];
        let cols: Vec<(&[u8], u8, u16)> = features
            .clone()
            .map(|j| {
                let local = u16::try_from(self.offsets[j] - base).expect("group fits u16 slots");
                (self.column(j), self.default_bin[j], local)
            })
            .collect();
        let mut starts = Vec::with_capacity(self.n + 1);
        let mut slots = Vec::new();
        starts.push(0u32);
        for i in 0..self.n {
            for &(col, default, local) in &cols {
                let c = col[i];
                if c != default {
                    slots.push(local + u16::from(c));
                }
            }
            starts.push(u32::try_from(slots.len()).expect("group fits u32 cells"));
        }
        let n_slots = self.offsets[features.end] - base;
        SparseRows {
            features,
            starts,
            slots,
            n_slots,
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
        self.columns[j * self.n + i]
    }
}

/// Splits features (with `cells[j]` cells outside their default bin and histogram slots from
/// `offsets[j]`) into at most about `groups` contiguous groups of similar cell counts; a group
/// never holds more than `u16::MAX` slots or `u32::MAX` cells.
fn feature_groups(
    cells: &[usize],
    offsets: &[usize],
    groups: usize,
) -> Vec<std::ops::Range<usize>> {
    let total: usize = cells.iter().sum();
    let share = total.div_ceil(groups).max(1);
    let mut groups = Vec::new();
    let (mut start, mut acc) = (0, 0usize);
    for (j, &c) in cells.iter().enumerate() {
        let too_big =
            offsets[j + 1] - offsets[start] > usize::from(u16::MAX) || acc + c > u32::MAX as usize;
        if j > start && (too_big || acc >= share) {
            groups.push(start..j);
            start = j;
            acc = 0;
        }
        acc += c;
    }
    if start < cells.len() {
        groups.push(start..cells.len());
    }
    groups
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
