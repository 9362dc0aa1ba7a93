//! Turns rows into the compact form every later step works on: finest cells
//! (the intersection of all group columns), groupings as unions of cells, the
//! score order, and "atoms": rows that share cell, label, decision and score bin.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::input::{AuditConfig, AuditData};

/// Display form of a group value: the empty string is shown as `(missing)`.
pub(crate) fn display_value(v: &str) -> String {
    if v.is_empty() {
        "(missing)".to_string()
    } else {
        v.to_string()
    }
}

/// A way of splitting the rows into groups: one column, or the intersection of
/// several. Index 0 of [`Prepared::groupings`] is the pseudo grouping "overall"
/// with a single group holding every row.
#[derive(Debug, Clone)]
pub(crate) struct Grouping {
    /// "gender", or "gender × SeniorCitizen" for an intersection.
    pub name: String,
    /// The group columns this grouping splits by.
    pub columns: Vec<String>,
    /// Per group, its value in each of `columns`.
    pub values: Vec<Vec<String>>,
    /// Per group, its display label (values joined by ", ").
    pub labels: Vec<String>,
    /// Finest cell -> group index.
    pub cell_group: Vec<u32>,
}

impl Grouping {
    pub fn n_groups(&self) -> usize {
        self.labels.len()
    }
}

/// Rows sharing finest cell, label, decision and score bin.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Atom {
    pub bin: u32,
    pub cell: u32,
    pub y: bool,
    pub d: bool,
    pub count: u64,
    pub score_sum: f64,
    pub sq_err_sum: f64,
}

/// Everything derived from the rows that the statistics need.
pub(crate) struct Prepared {
    pub n: usize,
    pub groupings: Vec<Grouping>,
    /// Scores in ascending order.
    pub sorted_scores: Vec<f64>,
    /// Finest cell of each row, in ascending score order.
    pub sorted_cells: Vec<u32>,
    /// Label of each row, in ascending score order.
    pub sorted_labels: Vec<bool>,
    /// Number of distinct score values.
    pub distinct_scores: usize,
    /// Whether each distinct score has its own bin (exact bootstrap).
    pub exact_bins: bool,
    /// Smallest score in each bin; `score >= bin_min[b]` selects bins `b..`.
    pub bin_min: Vec<f64>,
    /// Atoms in ascending bin order.
    pub atoms: Vec<Atom>,
}

/// Codes of one column, with levels sorted by value.
fn encode_column(values: &[String]) -> (Vec<String>, Vec<u32>) {
    let mut map: HashMap<&str, u32> = HashMap::new();
    let mut first: Vec<&str> = Vec::new();
    let codes: Vec<u32> = values
        .iter()
        .map(|v| {
            *map.entry(v.as_str()).or_insert_with(|| {
                first.push(v.as_str());
                (first.len() - 1) as u32
            })
        })
        .collect();
    let mut order: Vec<u32> = (0..first.len() as u32).collect();
    order.sort_by(|&a, &b| first[a as usize].cmp(first[b as usize]));
    let mut remap = vec![0u32; first.len()];
    for (new, &old) in order.iter().enumerate() {
        remap[old as usize] = new as u32;
    }
    let levels = order
        .iter()
        .map(|&o| first[o as usize].to_string())
        .collect();
    (
        levels,
        codes.into_iter().map(|c| remap[c as usize]).collect(),
    )
}

#[allow(clippy::too_many_lines)] // known debt: split when next changed
pub(crate) fn prepare(data: &AuditData, config: &AuditConfig, n: usize) -> Prepared {
    let columns: Vec<(Vec<String>, Vec<u32>)> = data
        .groups
        .par_iter()
        .map(|(_, v)| encode_column(v))
        .collect();

    // Finest cells: the distinct tuples of codes, numbered in lexicographic order.
    // A tuple is keyed by its mixed-radix number (dense table when small).
    let radix: Option<u64> = columns.iter().try_fold(1u64, |acc, (levels, _)| {
        acc.checked_mul(levels.len().max(1) as u64)
    });
    let tuple_of = |i: usize| -> Vec<u32> { columns.iter().map(|(_, codes)| codes[i]).collect() };
    let mut tuples: Vec<Vec<u32>> = Vec::new();
    let mut raw_cell = Vec::with_capacity(n);
    match radix {
        Some(total) => {
            let number = |i: usize| {
                columns.iter().fold(0u64, |acc, (levels, codes)| {
                    acc * levels.len() as u64 + codes[i] as u64
                })
            };
            if total <= 1 << 22 {
                let mut dense = vec![u32::MAX; total as usize];
                for i in 0..n {
                    let slot = &mut dense[number(i) as usize];
                    if *slot == u32::MAX {
                        *slot = tuples.len() as u32;
                        tuples.push(tuple_of(i));
                    }
                    raw_cell.push(*slot);
                }
            } else {
                let mut ids: HashMap<u64, u32> = HashMap::new();
                for i in 0..n {
                    let id = *ids.entry(number(i)).or_insert_with(|| {
                        tuples.push(tuple_of(i));
                        (tuples.len() - 1) as u32
                    });
                    raw_cell.push(id);
                }
            }
        }
        None => {
            let mut ids: HashMap<Vec<u32>, u32> = HashMap::new();
            for i in 0..n {
                let id = *ids.entry(tuple_of(i)).or_insert_with(|| {
                    tuples.push(tuple_of(i));
                    (tuples.len() - 1) as u32
                });
                raw_cell.push(id);
            }
        }
    }
    let mut order: Vec<u32> = (0..tuples.len() as u32).collect();
    order.sort_by(|&a, &b| tuples[a as usize].cmp(&tuples[b as usize]));
    let mut remap = vec![0u32; tuples.len()];
    for (new, &old) in order.iter().enumerate() {
        remap[old as usize] = new as u32;
    }
    let cell_tuples: Vec<&Vec<u32>> = order.iter().map(|&o| &tuples[o as usize]).collect();
    let cell_of_row: Vec<u32> = raw_cell.into_iter().map(|c| remap[c as usize]).collect();
    let n_cells = cell_tuples.len();

    let mut groupings = vec![Grouping {
        name: "overall".into(),
        columns: Vec::new(),
        values: vec![Vec::new()],
        labels: vec!["overall".into()],
        cell_group: vec![0; n_cells],
    }];
    for (j, ((name, _), (levels, _))) in data.groups.iter().zip(&columns).enumerate() {
        groupings.push(Grouping {
            name: name.clone(),
            columns: vec![name.clone()],
            values: levels.iter().map(|l| vec![l.clone()]).collect(),
            labels: levels.iter().map(|l| display_value(l)).collect(),
            cell_group: cell_tuples.iter().map(|t| t[j]).collect(),
        });
    }
    if config.intersections && columns.len() >= 2 {
        let values: Vec<Vec<String>> = cell_tuples
            .iter()
            .map(|t| {
                t.iter()
                    .zip(&columns)
                    .map(|(&c, (levels, _))| levels[c as usize].clone())
                    .collect()
            })
            .collect();
        groupings.push(Grouping {
            name: data
                .groups
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(" × "),
            columns: data.groups.iter().map(|(n, _)| n.clone()).collect(),
            labels: values
                .iter()
                .map(|v| {
                    v.iter()
                        .map(|s| display_value(s))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .collect(),
            values,
            cell_group: (0..n_cells as u32).collect(),
        });
    }

    // Score order: sort (score bits, row) pairs, contiguous in memory. Scores are
    // in [0, 1], where the bit patterns of non-negative floats sort like the
    // floats (-0.0 is mapped to 0.0).
    let scores = data.scores;
    let mut keyed: Vec<(u64, u32)> = scores
        .par_iter()
        .enumerate()
        .map(|(i, &s)| ((s + 0.0).to_bits(), i as u32))
        .collect();
    keyed.par_sort_unstable();
    let sorted_scores: Vec<f64> = keyed.par_iter().map(|&(b, _)| f64::from_bits(b)).collect();
    let sorted_cells: Vec<u32> = keyed
        .par_iter()
        .map(|&(_, i)| cell_of_row[i as usize])
        .collect();
    let sorted_labels: Vec<bool> = keyed
        .par_iter()
        .map(|&(_, i)| data.labels[i as usize])
        .collect();
    let sorted_decisions: Vec<bool> = match data.decisions {
        Some(d) => keyed.par_iter().map(|&(_, i)| d[i as usize]).collect(),
        None => sorted_scores
            .par_iter()
            .map(|&s| s >= config.threshold)
            .collect(),
    };
    drop(keyed);
    drop(cell_of_row);
    let distinct_scores = 1 + sorted_scores.windows(2).filter(|w| w[0] != w[1]).count();
    let exact_bins = distinct_scores <= config.max_score_bins;

    // Atoms, walking the score order bin by bin.
    let mut acc = AtomAcc::new(n_cells * 4);
    let mut atoms: Vec<Atom> = Vec::new();
    let mut bin_min: Vec<f64> = Vec::new();
    let mut target_of_current = usize::MAX;
    let mut rank = 0usize;
    for p in 0..n {
        let s = sorted_scores[p];
        let new_run = p == 0 || s != sorted_scores[p - 1];
        if new_run {
            let target = if exact_bins {
                rank
            } else {
                p * config.max_score_bins / n
            };
            rank += 1;
            if target != target_of_current {
                if !bin_min.is_empty() {
                    acc.flush((bin_min.len() - 1) as u32, &mut atoms);
                }
                bin_min.push(s);
                target_of_current = target;
            }
        }
        let y = sorted_labels[p];
        let slot =
            sorted_cells[p] as usize * 4 + usize::from(y) * 2 + usize::from(sorted_decisions[p]);
        acc.add(slot, s, y);
    }
    acc.flush((bin_min.len() - 1) as u32, &mut atoms);

    Prepared {
        n,
        groupings,
        sorted_scores,
        sorted_cells,
        sorted_labels,
        distinct_scores,
        exact_bins,
        bin_min,
        atoms,
    }
}

/// Per-bin accumulator of atoms, indexed by `cell * 4 + y * 2 + d`.
struct AtomAcc {
    count: Vec<u64>,
    score: Vec<f64>,
    sq: Vec<f64>,
    touched: Vec<usize>,
}

impl AtomAcc {
    fn new(slots: usize) -> Self {
        AtomAcc {
            count: vec![0; slots],
            score: vec![0.0; slots],
            sq: vec![0.0; slots],
            touched: Vec::new(),
        }
    }

    fn add(&mut self, slot: usize, s: f64, y: bool) {
        if self.count[slot] == 0 {
            self.touched.push(slot);
        }
        self.count[slot] += 1;
        self.score[slot] += s;
        let e = s - if y { 1.0 } else { 0.0 };
        self.sq[slot] += e * e;
    }

    fn flush(&mut self, bin: u32, atoms: &mut Vec<Atom>) {
        self.touched.sort_unstable();
        for &s in &self.touched {
            atoms.push(Atom {
                bin,
                cell: (s / 4) as u32,
                y: s % 4 >= 2,
                d: s % 2 == 1,
                count: self.count[s],
                score_sum: self.score[s],
                sq_err_sum: self.sq[s],
            });
            self.count[s] = 0;
            self.score[s] = 0.0;
            self.sq[s] = 0.0;
        }
        self.touched.clear();
    }
}
