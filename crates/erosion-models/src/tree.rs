//! Binary decision trees shared by the forest and the GBDT: prediction and exact TreeSHAP.

use serde::{Deserialize, Serialize};

/// One node. A node whose `left` is 0 is a leaf (the root, index 0, is never a child).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Feature tested (internal nodes).
    pub feature: u32,
    /// Go left when `x <= threshold`. `+inf` (every present value left, missing values by
    /// `default_left`) is a legitimate split; JSON has no infinity, so it is written as the
    /// string `"inf"` (see [`finite_or_named`]).
    #[serde(with = "finite_or_named")]
    pub threshold: f64,
    /// Left child index, 0 for a leaf.
    pub left: u32,
    /// Right child index, 0 for a leaf.
    pub right: u32,
    /// Where a missing value goes.
    pub default_left: bool,
    /// Output of a leaf (0 for internal nodes).
    pub value: f64,
    /// Training rows that reached the node (TreeSHAP's weights).
    pub cover: f64,
    /// Loss reduction of the split (0 for leaves); used for gain importance.
    pub gain: f64,
}

/// Serde for an `f64` that may be infinite or NaN: finite values as JSON numbers, the others as
/// the strings `"inf"`, `"-inf"` and `"nan"` (serde_json would write `null` and fail to read
/// it back).
pub mod finite_or_named {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes a finite value as a number, the others by name.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else if v.is_nan() {
            s.serialize_str("nan")
        } else if *v > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Number(f64),
        Name(String),
    }

    /// Reads a number or one of the names.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Number(v) => Ok(v),
            Repr::Name(n) => match n.as_str() {
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                "nan" => Ok(f64::NAN),
                other => Err(serde::de::Error::custom(format!(
                    "expected a number, \"inf\", \"-inf\" or \"nan\", found {other:?}"
                ))),
            },
        }
    }
}

impl Node {
    /// Whether the node is a leaf.
    pub fn is_leaf(&self) -> bool {
        self.left == 0
    }
}

/// A tree as a flat node array; node 0 is the root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Nodes, root first.
    pub nodes: Vec<Node>,
}

#[derive(Clone, Copy, Default)]
struct PathElement {
    feature: i64,
    zero_fraction: f64,
    one_fraction: f64,
    pweight: f64,
}

impl Tree {
    /// Output for one row given as a row slice (NaN = missing).
    #[inline]
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        let nodes = &self.nodes;
        let mut k = 0usize;
        loop {
            let n = &nodes[k];
            if n.left == 0 {
                return n.value;
            }
            let x = row[n.feature as usize];
            let go_left = if x.is_nan() {
                n.default_left
            } else {
                x <= n.threshold
            };
            k = if go_left { n.left } else { n.right } as usize;
        }
    }

    /// Depth of the deepest leaf (root alone = 0).
    pub fn depth(&self) -> usize {
        fn rec(t: &Tree, k: usize) -> usize {
            let n = &t.nodes[k];
            if n.is_leaf() {
                0
            } else {
                1 + rec(t, n.left as usize).max(rec(t, n.right as usize))
            }
        }
        rec(self, 0)
    }

    /// The sum over leaves of their depth squared.
    pub fn leaf_depth_squares(&self) -> f64 {
        let mut total = 0.0;
        let mut stack = vec![(0usize, 0.0f64)];
        while let Some((k, d)) = stack.pop() {
            let n = &self.nodes[k];
            if n.is_leaf() {
                total += d * d;
            } else {
                stack.push((n.left as usize, d + 1.0));
                stack.push((n.right as usize, d + 1.0));
            }
        }
        total
    }

    /// Mean output over the training rows (cover-weighted leaf values): TreeSHAP's base value.
    pub fn expected_value(&self) -> f64 {
        let root = self.nodes[0].cover;
        self.nodes
            .iter()
            .filter(|n| n.is_leaf())
            .map(|n| n.value * n.cover / root)
            .sum()
    }

    /// Adds `scale` times the exact path-dependent TreeSHAP values of `row` into `phi`
    /// (Lundberg, Erion and Lee 2018, Algorithm 2). `phi` has one slot per feature; the values
    /// sum to `predict_row(row) - expected_value()`.
    pub fn shap_into(&self, row: &[f64], phi: &mut [f64], scale: f64) {
        let d = self.depth();
        let mut path = vec![PathElement::default(); (d + 2) * (d + 3) / 2];
        self.shap_recurse(row, phi, scale, 0, 0, &mut path, 0, 1.0, 1.0, -1);
    }

    #[allow(clippy::too_many_arguments)]
    fn shap_recurse(
        &self,
        row: &[f64],
        phi: &mut [f64],
        scale: f64,
        node: usize,
        mut unique_depth: usize,
        path: &mut [PathElement],
        parent_off: usize,
        parent_zero: f64,
        parent_one: f64,
        parent_feature: i64,
    ) {
        let off = parent_off + unique_depth + 1;
        path.copy_within(parent_off..parent_off + unique_depth + 1, off);
        extend_path(
            &mut path[off..],
            unique_depth,
            parent_zero,
            parent_one,
            parent_feature,
        );
        let n = &self.nodes[node];
        if n.is_leaf() {
            let up = &path[off..];
            for i in 1..=unique_depth {
                let w = unwound_path_sum(up, unique_depth, i);
                let el = up[i];
                phi[el.feature as usize] +=
                    w * (el.one_fraction - el.zero_fraction) * n.value * scale;
            }
            return;
        }
        let x = row[n.feature as usize];
        let go_left = if x.is_nan() {
            n.default_left
        } else {
            x <= n.threshold
        };
        let (hot, cold) = if go_left {
            (n.left, n.right)
        } else {
            (n.right, n.left)
        };
        let (hot, cold) = (hot as usize, cold as usize);
        let w = n.cover;
        let hot_zero = self.nodes[hot].cover / w;
        let cold_zero = self.nodes[cold].cover / w;
        let (mut in_zero, mut in_one) = (1.0, 1.0);
        let feature = i64::from(n.feature);
        if let Some(pi) = (0..=unique_depth).find(|&i| path[off + i].feature == feature) {
            in_zero = path[off + pi].zero_fraction;
            in_one = path[off + pi].one_fraction;
            unwind_path(&mut path[off..], unique_depth, pi);
            unique_depth -= 1;
        }
        self.shap_recurse(
            row,
            phi,
            scale,
            hot,
            unique_depth + 1,
            path,
            off,
            hot_zero * in_zero,
            in_one,
            feature,
        );
        self.shap_recurse(
            row,
            phi,
            scale,
            cold,
            unique_depth + 1,
            path,
            off,
            cold_zero * in_zero,
            0.0,
            feature,
        );
    }
}

/// Most table entries (f64) a model's [`ShapPaths`] may hold in all, shared evenly by its trees:
/// 16 M entries, 128 MB. Leaves beyond a tree's share are computed row by row instead.
pub const SHAP_TABLE_BUDGET: usize = 16 << 20;
/// Leaves with more distinct features than this on their path are never tabulated.
const MAX_TABLE_DEPTH: usize = 10;
/// Trees with at most this many internal nodes are tabulated whole (see [`ShapPaths`]).
const MAX_MASK_NODES: usize = 10;

/// A small tree's contributions by direction pattern: bit `b` of a pattern is whether the row
/// goes left at the tree's `b`-th internal node; `values[i * patterns + pattern]` is the
/// contribution to `features[i]` (a feature's contributions side by side, so that a block of rows
/// looks them up in one small stretch of memory).
struct MaskTable {
    /// `(feature, threshold, default_left)` of the `b`-th internal node, packed: a row's pattern is read
    /// from these alone, without touching the tree's nodes.
    tests: Vec<(u32, f64, bool)>,
    features: Vec<u32>,
    values: Vec<f64>,
    /// The value of the leaf a row with each pattern reaches: the tree's prediction.
    leaf: Vec<f64>,
}

/// One root-to-leaf path: its distinct features, their zero fractions (the share of training
/// cover that follows the path's side at every split on the feature), and the tests a row must
/// pass for each feature's one fraction to be 1.
struct LeafPath {
    value: f64,
    features: Vec<u32>,
    zero: Vec<f64>,
    /// `(internal node, goes left, index of its feature in features)`.
    tests: Vec<(u32, bool, u8)>,
    /// When tabulated: for each pattern `b` of one fractions (bit `i` for `features[i]`),
    /// `table[b * d + i]` is the leaf's contribution to `features[i]`.
    table: Option<Vec<f64>>,
}

/// A tree's leaf paths, prepared once so that exact TreeSHAP over many rows costs, per row and
/// tree, one test per internal node and a table lookup per path feature (GPUTreeShap's path
/// decomposition, Mitchell et al. 2022). For a leaf, the Shapley weights depend only on which of
/// its path's features the row agrees with (each one fraction is 0 or 1), so they are computed
/// once per pattern. A small tree goes further: its whole contribution is tabulated by the
/// directions a row takes at its internal nodes. Gives the same values as [`Tree::shap_into`]
/// (Algorithm 2), up to the order in which floating-point terms are added.
pub struct ShapPaths {
    leaves: Vec<LeafPath>,
    /// Small trees (at most [`MAX_MASK_NODES`] internal nodes): the tree's whole contribution
    /// for each pattern of directions at its internal nodes, so that a row costs one test per
    /// internal node and one addition per feature the tree uses.
    by_mask: Option<MaskTable>,
    /// A path with 64 or more distinct features (a pattern would not fit a word): the tree
    /// is explained by [`Tree::shap_into`] instead.
    fallback: bool,
}

impl Tree {
    /// Prepares the tree's paths for [`ShapPaths::add_row`], tabulating leaves while at most
    /// `budget` table entries are used.
    pub fn shap_paths(&self, budget: usize) -> ShapPaths {
        let mut leaves = Vec::new();
        // depth-first; each stack entry: node, path tests so far, features and zero fractions
        type Partial = (usize, Vec<(u32, bool, u8)>, Vec<u32>, Vec<f64>);
        let mut stack: Vec<Partial> = vec![(0, Vec::new(), Vec::new(), Vec::new())];
        while let Some((k, tests, features, zero)) = stack.pop() {
            let n = &self.nodes[k];
            if n.is_leaf() {
                leaves.push(LeafPath {
                    value: n.value,
                    features,
                    zero,
                    tests,
                    table: None,
                });
                continue;
            }
            for (child, left) in [(n.right as usize, false), (n.left as usize, true)] {
                let frac = self.nodes[child].cover / n.cover;
                let (mut t, mut f, mut z) = (tests.clone(), features.clone(), zero.clone());
                let u: usize = match f.iter().position(|&g| g == n.feature) {
                    Some(u) => {
                        z[u] *= frac;
                        u
                    }
                    None => {
                        f.push(n.feature);
                        z.push(frac);
                        f.len() - 1
                    }
                };
                t.push((k as u32, left, u as u8));
                stack.push((child, t, f, z));
            }
        }
        if leaves.iter().any(|l| l.features.len() >= 64) {
            return ShapPaths {
                leaves: Vec::new(),
                by_mask: None,
                fallback: true,
            };
        }
        let mut paths = ShapPaths {
            leaves,
            by_mask: None,
            fallback: false,
        };
        let internal: Vec<u32> = (0..self.nodes.len() as u32)
            .filter(|&k| !self.nodes[k as usize].is_leaf())
            .collect();
        let mut features: Vec<u32> = internal
            .iter()
            .map(|&k| self.nodes[k as usize].feature)
            .collect();
        features.sort_unstable();
        features.dedup();
        let size = (1usize << internal.len()) * features.len();
        if internal.len() <= MAX_MASK_NODES && size <= budget {
            let width = features.last().map_or(0, |&f| f as usize + 1);
            let mut values = vec![0.0; size];
            let mut s = ShapScratch::default();
            let mut phi = vec![0.0; width];
            for (mask, out) in values
                .chunks_mut(features.len().max(1))
                .enumerate()
                .take(1 << internal.len())
            {
                s.left.clear();
                s.left.resize(self.nodes.len(), false);
                for (b, &k) in internal.iter().enumerate() {
                    s.left[k as usize] = (mask >> b) & 1 == 1;
                }
                phi.iter_mut().for_each(|v| *v = 0.0);
                paths.add_leaves(&mut phi, 1.0, &mut s);
                for (o, &f) in out.iter_mut().zip(&features) {
                    *o = phi[f as usize];
                }
            }
            // pattern-major as filled; stored feature-major
            let patterns = 1usize << internal.len();
            let w = features.len();
            let mut by_feature = vec![0.0; size];
            for mask in 0..patterns {
                for i in 0..w {
                    by_feature[i * patterns + mask] = values[mask * w + i];
                }
            }
            let tests = internal
                .iter()
                .map(|&k| {
                    let n = &self.nodes[k as usize];
                    (n.feature, n.threshold, n.default_left)
                })
                .collect();
            let bit: std::collections::HashMap<u32, usize> =
                internal.iter().enumerate().map(|(b, &k)| (k, b)).collect();
            let leaf = (0..1usize << internal.len())
                .map(|mask| {
                    let mut k = 0usize;
                    while !self.nodes[k].is_leaf() {
                        let left = (mask >> bit[&(k as u32)]) & 1 == 1;
                        let n = &self.nodes[k];
                        k = if left { n.left } else { n.right } as usize;
                    }
                    self.nodes[k].value
                })
                .collect();
            // the leaf paths served only to fill the table
            paths.leaves = Vec::new();
            paths.by_mask = Some(MaskTable {
                tests,
                features,
                values: by_feature,
                leaf,
            });
            return paths;
        }
        let mut leaves = std::mem::take(&mut paths.leaves);
        let mut used = 0usize;
        let mut path = Vec::new();
        for leaf in &mut leaves {
            let d = leaf.features.len();
            if d > MAX_TABLE_DEPTH {
                continue;
            }
            let size = (1usize << d) * d;
            if used + size > budget {
                continue;
            }
            used += size;
            let mut table = vec![0.0; size];
            let mut ones = vec![0.0; d];
            for (b, out) in table.chunks_mut(d.max(1)).enumerate().take(1 << d) {
                for (i, o) in ones.iter_mut().enumerate() {
                    *o = f64::from((b >> i) as u32 & 1);
                }
                leaf_phi(&leaf.zero, &ones, leaf.value, &mut path, out);
            }
            leaf.table = Some(table);
        }
        paths.leaves = leaves;
        paths
    }
}

/// Scratch space for [`ShapPaths::add_row`], reused across rows and trees.
#[derive(Default)]
pub struct ShapScratch {
    left: Vec<bool>,
    ones: Vec<f64>,
    phi: Vec<f64>,
    path: Vec<PathElement>,
}

impl ShapPaths {
    /// Adds `scale` times the row's exact TreeSHAP values into `phi` (one slot per feature);
    /// `tree` is the tree these paths were prepared from.
    pub fn add_row(
        &self,
        tree: &Tree,
        row: &[f64],
        phi: &mut [f64],
        scale: f64,
        s: &mut ShapScratch,
    ) {
        if self.fallback {
            tree.shap_into(row, phi, scale);
            return;
        }
        if let Some(t) = &self.by_mask {
            let mut mask = 0usize;
            for (b, &(f, threshold, default_left)) in t.tests.iter().enumerate() {
                let x = row[f as usize];
                // branch-free: a NaN compares false, and takes the default side
                let left = (x <= threshold) | (x.is_nan() & default_left);
                mask |= usize::from(left) << b;
            }
            let patterns = t.leaf.len();
            for (i, &f) in t.features.iter().enumerate() {
                phi[f as usize] += t.values[i * patterns + mask] * scale;
            }
            return;
        }
        s.left.clear();
        s.left.resize(tree.nodes.len(), false);
        for (k, n) in tree.nodes.iter().enumerate() {
            if !n.is_leaf() {
                let x = row[n.feature as usize];
                s.left[k] = if x.is_nan() {
                    n.default_left
                } else {
                    x <= n.threshold
                };
            }
        }
        self.add_leaves(phi, scale, s);
    }

    /// Every leaf's contribution for the directions in `s.left`.
    fn add_leaves(&self, phi: &mut [f64], scale: f64, s: &mut ShapScratch) {
        for leaf in &self.leaves {
            let d = leaf.features.len();
            let mut pattern = (1usize << d) - 1;
            for &(k, left, u) in &leaf.tests {
                if s.left[k as usize] != left {
                    pattern &= !(1usize << u);
                }
            }
            match &leaf.table {
                Some(t) => {
                    let entries = &t[pattern * d..(pattern + 1) * d];
                    for (&f, &c) in leaf.features.iter().zip(entries) {
                        phi[f as usize] += c * scale;
                    }
                }
                None => {
                    s.ones.clear();
                    s.ones
                        .extend((0..d).map(|i| f64::from((pattern >> i) as u32 & 1)));
                    s.phi.clear();
                    s.phi.resize(d, 0.0);
                    leaf_phi(&leaf.zero, &s.ones, leaf.value, &mut s.path, &mut s.phi);
                    for (&f, &c) in leaf.features.iter().zip(&s.phi) {
                        phi[f as usize] += c * scale;
                    }
                }
            }
        }
    }
}

/// One leaf's contribution to each of its path features, for given zero and one fractions:
/// Algorithm 2's EXTEND over the path, then UNWOUND-SUM per feature.
fn leaf_phi(zero: &[f64], ones: &[f64], value: f64, path: &mut Vec<PathElement>, out: &mut [f64]) {
    let d = zero.len();
    path.clear();
    path.resize(d + 1, PathElement::default());
    extend_path(path, 0, 1.0, 1.0, -1);
    for i in 0..d {
        extend_path(path, i + 1, zero[i], ones[i], i as i64);
    }
    for i in 1..=d {
        let w = unwound_path_sum(path, d, i);
        out[i - 1] = w * (ones[i - 1] - zero[i - 1]) * value;
    }
}

fn extend_path(path: &mut [PathElement], depth: usize, zero: f64, one: f64, feature: i64) {
    path[depth] = PathElement {
        feature,
        zero_fraction: zero,
        one_fraction: one,
        pweight: if depth == 0 { 1.0 } else { 0.0 },
    };
    let d1 = (depth + 1) as f64;
    for i in (0..depth).rev() {
        path[i + 1].pweight += one * path[i].pweight * (i + 1) as f64 / d1;
        path[i].pweight = zero * path[i].pweight * (depth - i) as f64 / d1;
    }
}

fn unwind_path(path: &mut [PathElement], depth: usize, index: usize) {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one = path[depth].pweight;
    let d1 = (depth + 1) as f64;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = path[i].pweight;
            path[i].pweight = next_one * d1 / ((i + 1) as f64 * one);
            next_one = tmp - path[i].pweight * zero * (depth - i) as f64 / d1;
        } else {
            path[i].pweight = path[i].pweight * d1 / (zero * (depth - i) as f64);
        }
    }
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
}

fn unwound_path_sum(path: &[PathElement], depth: usize, index: usize) -> f64 {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one = path[depth].pweight;
    let mut total = 0.0;
    if one != 0.0 {
        for i in (0..depth).rev() {
            let tmp = next_one / ((i + 1) as f64 * one);
            total += tmp;
            next_one = path[i].pweight - tmp * zero * (depth - i) as f64;
        }
    } else {
        for i in (0..depth).rev() {
            total += path[i].pweight / (zero * (depth - i) as f64);
        }
    }
    total * (depth + 1) as f64
}

/// Rows per block when scoring: a block is transposed to row-major so that tree walks stay in cache
/// (at most 256: a row of a block is named by a `u8`).
const BLOCK: usize = 256;

/// Marks, in [`WalkNode::next`], a child that is a leaf.
const LEAF: u32 = 1 << 31;

/// One node of a [`Walk`].
#[derive(Clone, Copy)]
struct WalkNode {
    threshold: f64,
    feature: u32,
    /// Child when the row goes left / right, with [`LEAF`] set when the child is a leaf.
    next: [u32; 2],
    /// Where a missing value goes (0 left, 1 right).
    missing: u32,
}

/// A tree laid out for scoring many rows: 24-byte nodes that say which children are leaves. The
/// rows of a block walk down side by side, one level per pass over the rows still walking; a step
/// is a select, not a branch, and the rows that reach a leaf drop out of the next pass (most rows
/// stop far above the deepest leaf). No pass waits on the previous step of the same row.
struct Walk {
    nodes: Vec<WalkNode>,
    values: Vec<f64>,
}

impl Walk {
    fn new(t: &Tree) -> Walk {
        let child = |k: u32| {
            if t.nodes[k as usize].is_leaf() {
                k | LEAF
            } else {
                k
            }
        };
        let nodes = t
            .nodes
            .iter()
            .map(|n| WalkNode {
                threshold: n.threshold,
                feature: n.feature,
                next: if n.is_leaf() {
                    [LEAF; 2]
                } else {
                    [child(n.left), child(n.right)]
                },
                missing: u32::from(!n.default_left),
            })
            .collect();
        Walk {
            nodes,
            values: t.nodes.iter().map(|n| n.value).collect(),
        }
    }

    /// Adds the tree's output for each row of a row-major block (`p` values a row, at most
    /// `BLOCK` rows) to `sums`. Same rule as [`Tree::predict_row`]: `x <= threshold` goes left, a
    /// missing value goes where the node says.
    #[inline]
    fn add_block(&self, rows: &[f64], p: usize, sums: &mut [f64]) {
        let m = sums.len();
        if self.nodes.len() == 1 {
            for s in sums.iter_mut() {
                *s += self.values[0];
            }
            return;
        }
        // node of each row (LEAF set once it has arrived), and the rows still walking
        let mut at = [0u32; BLOCK];
        let mut walking = [0u8; BLOCK];
        for (r, w) in walking[..m].iter_mut().enumerate() {
            *w = r as u8;
        }
        let mut live = m;
        while live > 0 {
            let mut kept = 0;
            for q in 0..live {
                let r = walking[q] as usize;
                let n = &self.nodes[at[r] as usize];
                let x = rows[r * p + n.feature as usize];
                // NaN compares false, so a missing value takes `missing`, any other `x > t`
                let side = u32::from(x > n.threshold) | (u32::from(x.is_nan()) & n.missing);
                let next = n.next[side as usize];
                at[r] = next;
                // compaction without a branch (`kept <= q`: nothing unread is overwritten)
                walking[kept] = r as u8;
                kept += usize::from(next & LEAF == 0);
            }
            live = kept;
        }
        for (s, &k) in sums.iter_mut().zip(&at[..m]) {
            *s += self.values[(k & !LEAF) as usize];
        }
    }
}

/// Sum over `trees` of each row's output, times `scale`, plus `base`, for a column-major buffer of
/// `n` rows and `p` columns. Rows are scored in parallel blocks; each row's sum is accumulated in tree
/// order, so results are bit-identical whatever the thread count (and to summing
/// [`Tree::predict_row`] over the trees).
pub fn predict_sum(
    trees: &[Tree],
    data: &[f64],
    n: usize,
    p: usize,
    base: f64,
    scale: f64,
) -> Vec<f64> {
    use rayon::prelude::*;
    let walks: Vec<Walk> = trees.iter().map(Walk::new).collect();
    let mut out = vec![0.0; n];
    out.par_chunks_mut(BLOCK)
        .enumerate()
        .for_each(|(b, chunk)| {
            let start = b * BLOCK;
            let m = chunk.len();
            let mut rows = vec![0.0; m * p];
            for j in 0..p {
                let col = &data[j * n + start..j * n + start + m];
                for (r, &v) in col.iter().enumerate() {
                    rows[r * p + j] = v;
                }
            }
            // tree by tree over the block: one tree's nodes stay in L1 while the block's rows go
            // by; each row still sums its trees in tree order, so blocking does not change a bit
            let mut sums = [0.0f64; BLOCK];
            for w in &walks {
                w.add_block(&rows, p, &mut sums[..m]);
            }
            for (o, s) in chunk.iter_mut().zip(&sums[..m]) {
                *o = base + scale * s;
            }
        });
    out
}

/// Rows per block of [`explain_blocks`].
const EXPLAIN_ROWS: usize = 256;

/// Per-thread buffers of [`explain_blocks`], reused block after block (a fresh buffer per block
/// would be a fresh mapping, and page faults, every time).
#[derive(Default)]
struct ExplainScratch {
    /// The block, one column after another (`cols[j * m + r]`).
    cols: Vec<f64>,
    /// The block row after row, for trees explained path by path.
    rows: Vec<f64>,
    /// Contributions, one feature after another (`phi_t[j * m + r]`), then row after row.
    phi_t: Vec<f64>,
    phi: Vec<f64>,
    /// One row's contributions from one tree explained path by path.
    row_phi: Vec<f64>,
    sums: Vec<f64>,
    raw: Vec<f64>,
    masks: Vec<u32>,
    shap: ShapScratch,
}

/// The sum of the trees' outputs and their exact TreeSHAP values, in one pass over a column-major
/// matrix, a block of rows at a time: calls `f(first_row, raw, phi)` for each block, where
/// `raw[r] = base + scale * (sum of the trees' outputs)` (bit for bit what [`predict_sum`] gives)
/// and `phi[r * p + j]` is `phi_scale` times the contributions of feature `j` to row
/// `first_row + r` (added tree by tree in tree order, as [`ShapPaths::add_row`] adds them).
/// Blocks run in parallel; the results come back in row order.
///
/// A tree tabulated whole ([`ShapPaths`]'s direction patterns) costs, per row, one comparison
/// per internal node (made a column at a time, so they vectorise), one lookup for its leaf and
/// one addition per feature it uses; other trees walk their nodes and paths row by row.
#[allow(clippy::too_many_arguments)]
pub(crate) fn explain_blocks<B: Send>(
    trees: &[Tree],
    data: &[f64],
    n: usize,
    p: usize,
    base: f64,
    scale: f64,
    phi_scale: f64,
    f: impl Fn(usize, &[f64], &[f64]) -> B + Sync,
) -> Vec<B> {
    use rayon::prelude::*;
    let share = SHAP_TABLE_BUDGET / trees.len().max(1);
    let paths: Vec<ShapPaths> = trees.par_iter().map(|t| t.shap_paths(share)).collect();
    let walks: Vec<Option<Walk>> = trees
        .iter()
        .zip(&paths)
        .map(|(t, q)| q.by_mask.is_none().then(|| Walk::new(t)))
        .collect();
    let need_rows = walks.iter().any(Option::is_some);
    let blocks = n.div_ceil(EXPLAIN_ROWS);
    (0..blocks)
        .into_par_iter()
        .map_init(ExplainScratch::default, |s, b| {
            let start = b * EXPLAIN_ROWS;
            let m = EXPLAIN_ROWS.min(n - start);
            s.cols.clear();
            for j in 0..p {
                s.cols
                    .extend_from_slice(&data[j * n + start..j * n + start + m]);
            }
            if need_rows {
                to_row_major(&s.cols, m, p, &mut s.rows);
            }
            s.phi_t.clear();
            s.phi_t.resize(p * m, 0.0);
            s.sums.clear();
            s.sums.resize(m, 0.0);
            s.masks.resize(m, 0);
            for ((tree, q), walk) in trees.iter().zip(&paths).zip(&walks) {
                match (&q.by_mask, walk) {
                    (Some(t), _) => {
                        let masks = &mut s.masks[..m];
                        masks.iter_mut().for_each(|v| *v = 0);
                        for (bit, &(feature, threshold, default_left)) in t.tests.iter().enumerate()
                        {
                            let col = &s.cols[feature as usize * m..(feature as usize + 1) * m];
                            // NaN compares false, so a missing value goes left only by default
                            if default_left {
                                for (v, &x) in masks.iter_mut().zip(col) {
                                    *v |= u32::from((x <= threshold) | x.is_nan()) << bit;
                                }
                            } else {
                                for (v, &x) in masks.iter_mut().zip(col) {
                                    *v |= u32::from(x <= threshold) << bit;
                                }
                            }
                        }
                        // patterns are a power of two: `& last` keeps every lookup in bounds
                        // without a check (it never changes a pattern)
                        let patterns = t.leaf.len();
                        let last = patterns - 1;
                        for (sum, &mask) in s.sums[..m].iter_mut().zip(masks.iter()) {
                            *sum += t.leaf[mask as usize & last];
                        }
                        // a feature at a time: its contributions for the block's rows, in order
                        for (i, &f) in t.features.iter().enumerate() {
                            let table = &t.values[i * patterns..(i + 1) * patterns];
                            let out = &mut s.phi_t[f as usize * m..(f as usize + 1) * m];
                            if phi_scale == 1.0 {
                                // `c * 1.0` is `c`, bit for bit: the GBDT skips the product
                                for (o, &mask) in out.iter_mut().zip(masks.iter()) {
                                    *o += table[mask as usize & last];
                                }
                            } else {
                                for (o, &mask) in out.iter_mut().zip(masks.iter()) {
                                    *o += table[mask as usize & last] * phi_scale;
                                }
                            }
                        }
                    }
                    (None, Some(walk)) => {
                        // a walk takes at most BLOCK rows at a time
                        for (rows, sums) in s.rows[..m * p]
                            .chunks(BLOCK * p.max(1))
                            .zip(s.sums[..m].chunks_mut(BLOCK))
                        {
                            walk.add_block(rows, p, sums);
                        }
                        for (r, row) in s.rows.chunks(p).enumerate() {
                            s.row_phi.clear();
                            s.row_phi.resize(p, 0.0);
                            q.add_row(tree, row, &mut s.row_phi, phi_scale, &mut s.shap);
                            for (j, &v) in s.row_phi.iter().enumerate() {
                                s.phi_t[j * m + r] += v;
                            }
                        }
                    }
                    (None, None) => unreachable!("every tree without a table has a walk"),
                }
            }
            to_row_major(&s.phi_t, m, p, &mut s.phi);
            s.raw.clear();
            s.raw.extend(s.sums.iter().map(|&v| base + scale * v));
            f(start, &s.raw, &s.phi)
        })
        .collect()
}

/// `m` rows of `p` values held one column after another (`src[j * m + r]`), written row after
/// row into `dst` (`dst[r * p + j]`).
fn to_row_major(src: &[f64], m: usize, p: usize, dst: &mut Vec<f64>) {
    dst.clear();
    dst.resize(m * p, 0.0);
    for (j, col) in src.chunks(m.max(1)).take(p).enumerate() {
        for (r, &v) in col.iter().enumerate() {
            dst[r * p + j] = v;
        }
    }
}

#[cfg(test)]
mod threshold_json {
    use super::Node;

    #[test]
    fn infinite_thresholds_survive_a_json_round_trip() {
        for t in [f64::INFINITY, f64::NEG_INFINITY, 0.25] {
            let n = Node {
                feature: 3,
                threshold: t,
                left: 1,
                right: 2,
                default_left: false,
                value: 0.0,
                cover: 10.0,
                gain: 1.5,
            };
            let json = serde_json::to_string(&n).unwrap();
            let back: Node = serde_json::from_str(&json).unwrap();
            assert_eq!(back, n, "{json}");
        }
    }
}
