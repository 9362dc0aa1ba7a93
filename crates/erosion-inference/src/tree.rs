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
/// 16 M entries, 128 MB. A tree whose table would not fit its share is explained row by row.
pub const SHAP_TABLE_BUDGET: usize = 16 << 20;
/// Trees with at most this many internal nodes are tabulated whole (see [`ShapPaths`]).
const MAX_MASK_NODES: usize = 10;
/// Marks "no such node" in [`LinearShap`]'s links.
const NONE: u32 = u32::MAX;

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

/// A tree prepared for Linear TreeSHAP (Yu, Peng et al. 2022): exact path-dependent TreeSHAP in
/// time linear in the nodes, where Algorithm 2 is quadratic in the depth at every leaf.
///
/// For a leaf `v` with value `x_v` and a feature `i` on its path, with `p_j` the product of the
/// cover ratios of the path's splits on `j` and `q_j` = 1/`p_j` when the row takes the path's side
/// at every split on `j`, else 0, the contribution is
/// `R_v (q_i - 1) ∫₀¹ Π_{j ≠ i} (1 - t + t q_j) dt` with `R_v = x_v cover_v / cover_root`
/// (the Shapley weights `|S|! (d-|S|-1)! / d!` are the Beta integrals of the expanded product).
/// The integrand is a polynomial of degree below the depth, so Gauss–Legendre quadrature with
/// half the depth in points is exact. Products `A` run down the tree (a repeated feature's
/// earlier factor divided out), sums `S = Σ R_v A_v` run up it, and each split's contribution is
/// read from the sum of the leaves for which it is the deepest split on its feature.
struct LinearShap {
    /// Quadrature points and weights on [0, 1].
    t: Vec<f64>,
    w: Vec<f64>,
    /// Nodes, parents before children.
    order: Vec<u32>,
    parent: Vec<u32>,
    /// For a node `c` below the root: the node below the nearest split above `c`'s parent on the
    /// same feature as its parent, on `c`'s path ([`NONE`] if there is none).
    prev: Vec<u32>,
    /// `1 / p` of the edge into `c`: the product of the cover ratios of the splits on its
    /// feature down to `c` (0 when a cover is 0: no training row went there).
    inv_p: Vec<f64>,
    /// `R_v` for leaves, 0 elsewhere.
    r: Vec<f64>,
    /// For a node `c`: the nodes whose `prev` is `c` (`owned[owned_at[c]..owned_at[c + 1]]`).
    owned_at: Vec<u32>,
    owned: Vec<u32>,
    /// The factors `1 - t + t/p` of each node's edge at each point, then their reciprocals
    /// (see [`LinearShap::factors`]), when they fit the tree's share of [`SHAP_TABLE_BUDGET`];
    /// otherwise they are recomputed for every row.
    factors: Option<Vec<f64>>,
    /// `1 - t` (the factor when the row leaves the path's side: `q = 0`) and its reciprocal.
    off: Vec<f64>,
    inv_off: Vec<f64>,
}

/// Gauss–Legendre points and weights on [0, 1] (exact for polynomials of degree below `2k`).
fn gauss_legendre(k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut t = Vec::with_capacity(k);
    let mut w = Vec::with_capacity(k);
    for i in 1..=k {
        // Newton's method on the Legendre polynomial P_k from the usual first guess
        let mut x = (std::f64::consts::PI * (i as f64 - 0.25) / (k as f64 + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, x);
            for j in 2..=k {
                let p2 = ((2 * j - 1) as f64 * x * p1 - (j - 1) as f64 * p0) / j as f64;
                p0 = p1;
                p1 = p2;
            }
            if k == 1 {
                p0 = 1.0;
            }
            dp = k as f64 * (x * p1 - p0) / (x * x - 1.0);
            let dx = p1 / dp;
            x -= dx;
            if dx.abs() < 1e-16 {
                break;
            }
        }
        t.push((1.0 - x) / 2.0);
        w.push(1.0 / ((1.0 - x * x) * dp * dp));
    }
    (t, w)
}

impl LinearShap {
    fn new(tree: &Tree, budget: usize) -> LinearShap {
        let nodes = &tree.nodes;
        let n = nodes.len();
        let mut order = Vec::with_capacity(n);
        let mut parent = vec![NONE; n];
        let mut prev = vec![NONE; n];
        let mut inv_p = vec![0.0; n];
        let mut r = vec![0.0; n];
        // per node: the distinct features above it (for the depth) and, per feature, the node below
        // the deepest split on it so far with that split's p
        type Seen = Vec<(u32, u32, f64)>;
        let root_cover = nodes[0].cover;
        let mut depth = 0usize;
        let mut stack: Vec<(u32, Seen)> = vec![(0, Vec::new())];
        while let Some((k, seen)) = stack.pop() {
            order.push(k);
            let node = &nodes[k as usize];
            depth = depth.max(seen.len());
            if node.is_leaf() {
                r[k as usize] = if root_cover > 0.0 {
                    node.value * (node.cover / root_cover)
                } else {
                    0.0
                };
                continue;
            }
            for child in [node.right, node.left] {
                let c = child as usize;
                parent[c] = k;
                let ratio = if node.cover > 0.0 {
                    nodes[c].cover / node.cover
                } else {
                    0.0
                };
                let mut s = seen.clone();
                let p = match s.iter_mut().find(|e| e.0 == node.feature) {
                    Some(e) => {
                        prev[c] = e.1;
                        e.1 = child;
                        e.2 *= ratio;
                        e.2
                    }
                    None => {
                        s.push((node.feature, child, ratio));
                        ratio
                    }
                };
                inv_p[c] = if p > 0.0 { 1.0 / p } else { 0.0 };
                stack.push((child, s));
            }
        }
        let mut count = vec![0u32; n + 1];
        for &p in &prev {
            if p != NONE {
                count[p as usize + 1] += 1;
            }
        }
        for c in 0..n {
            count[c + 1] += count[c];
        }
        let owned_at = count.clone();
        let mut owned = vec![0u32; prev.iter().filter(|&&p| p != NONE).count()];
        for (c, &p) in prev.iter().enumerate() {
            if p != NONE {
                owned[count[p as usize] as usize] = c as u32;
                count[p as usize] += 1;
            }
        }
        let (t, w) = gauss_legendre(depth.div_ceil(2).max(1));
        let off: Vec<f64> = t.iter().map(|&t| 1.0 - t).collect();
        let mut linear = LinearShap {
            inv_off: off.iter().map(|&f| 1.0 / f).collect(),
            off,
            t,
            w,
            order,
            parent,
            prev,
            inv_p,
            r,
            owned_at,
            owned,
            factors: None,
        };
        if 2 * n * linear.t.len() <= budget {
            let mut f = Vec::new();
            linear.fill_factors(&mut f);
            linear.factors = Some(f);
        }
        linear
    }

    /// `out[c * k + j]` = `1 - t_j + t_j / p_c` for every node `c` (1 at the root), then the
    /// same many reciprocals: what a row's pass multiplies by when it takes the path's side.
    fn fill_factors(&self, out: &mut Vec<f64>) {
        let k = self.t.len();
        let n = self.inv_p.len();
        out.clear();
        out.resize(2 * n * k, 1.0);
        let (fac, inv) = out.split_at_mut(n * k);
        for c in 1..n {
            for j in 0..k {
                let f = 1.0 - self.t[j] + self.t[j] * self.inv_p[c];
                fac[c * k + j] = f;
                inv[c * k + j] = 1.0 / f;
            }
        }
    }

    /// Rows explained together by [`LinearShap::add_rows`]: as many as keep its working arrays
    /// (two of nodes × points × rows) within about 4 MB, at most 64.
    fn rows_at_once(&self) -> usize {
        let per_row = 16 * self.inv_p.len() * self.t.len();
        ((4 << 20) / per_row.max(1)).clamp(1, 64)
    }

    /// Adds `scale` times the contributions of `m` rows into `phi` (row `r`'s at
    /// `phi[r * p..(r + 1) * p]`), given in `s.left[node * m + r]` whether row `r` goes left at
    /// each internal node. Rows run side by side through every loop, so a node's bookkeeping is
    /// paid once per `m` rows; each row's arithmetic is the same whatever `m`.
    #[allow(clippy::too_many_lines)] // known debt: split when next changed
    fn add_rows(
        &self,
        tree: &Tree,
        m: usize,
        phi: &mut [f64],
        p: usize,
        scale: f64,
        s: &mut ShapScratch,
    ) {
        let nodes = &tree.nodes;
        let n = nodes.len();
        let k = self.t.len();
        let ShapScratch {
            left,
            on,
            a,
            s: sums,
            tmp,
            factors,
            acc,
            ob,
        } = s;
        let all: &[f64] = match &self.factors {
            Some(f) => f,
            None => {
                self.fill_factors(factors);
                factors
            }
        };
        let (fac, inv) = all.split_at(n * k);
        let km = k * m;
        on.clear();
        on.resize(n * m, true);
        a.clear();
        a.resize(n * km, 0.0);
        sums.clear();
        sums.resize(n * km, 0.0);
        a[..km].iter_mut().for_each(|v| *v = 1.0);
        // down: which splits each row agrees with, and the products A (a repeated feature's
        // earlier factor divided out)
        for &c in &self.order[1..] {
            let c = c as usize;
            let pa = self.parent[c] as usize;
            let is_left = nodes[pa].left as usize == c;
            let before = self.prev[c];
            ob.clear();
            for r in 0..m {
                let on_before = before == NONE || on[before as usize * m + r];
                ob.push(on_before);
                on[c * m + r] = on_before && left[pa * m + r] == is_left;
            }
            let on_c = &on[c * m..(c + 1) * m];
            let (head, tail) = a.split_at_mut(c * km);
            let (a_c, rest) = tail.split_at_mut(km);
            // a parent may sit before or after its child in the node array
            let a_p = if pa < c {
                &head[pa * km..(pa + 1) * km]
            } else {
                &rest[(pa - c - 1) * km..(pa - c) * km]
            };
            for j in 0..k {
                let (f_on, f_off) = (fac[c * k + j], self.off[j]);
                let (src, dst) = (&a_p[j * m..(j + 1) * m], &mut a_c[j * m..(j + 1) * m]);
                if before == NONE {
                    for ((d, &x), &o) in dst.iter_mut().zip(src).zip(on_c) {
                        *d = x * if o { f_on } else { f_off };
                    }
                } else {
                    let u = inv[before as usize * k + j];
                    for (((d, &x), &o), &b) in dst.iter_mut().zip(src).zip(on_c).zip(ob.iter()) {
                        // off the path before (q was 0 and stays 0): the factor does not change
                        let y = x * if o { f_on } else { f_off } * u;
                        *d = if b { y } else { x };
                    }
                }
            }
        }
        // up: S = Σ R_v A_v over each subtree
        for &c in self.order.iter().rev() {
            let c = c as usize;
            let node = &nodes[c];
            let (head, tail) = sums.split_at_mut(c * km);
            let (out, rest) = tail.split_at_mut(km);
            if node.is_leaf() {
                let r = self.r[c];
                for (o, &x) in out.iter_mut().zip(&a[c * km..(c + 1) * km]) {
                    *o = r * x;
                }
            } else {
                // a child may sit before or after its parent in the node array
                let child = |k: usize| -> &[f64] {
                    if k < c {
                        &head[k * km..(k + 1) * km]
                    } else {
                        &rest[(k - c - 1) * km..(k - c) * km]
                    }
                };
                let (l, rt) = (child(node.left as usize), child(node.right as usize));
                for ((o, &x), &y) in out.iter_mut().zip(l).zip(rt) {
                    *o = x + y;
                }
            }
        }
        // each split's share: the leaves for which it is the deepest split on its feature
        tmp.resize(km, 0.0);
        acc.resize(4 * m, 0.0);
        for &c in &self.order[1..] {
            let c = c as usize;
            let q = |r: usize| if on[c * m + r] { self.inv_p[c] } else { 0.0 };
            if (0..m).all(|r| q(r) == 1.0) {
                continue;
            }
            tmp.copy_from_slice(&sums[c * km..(c + 1) * km]);
            for &o in &self.owned[self.owned_at[c] as usize..self.owned_at[c + 1] as usize] {
                for (v, &x) in tmp
                    .iter_mut()
                    .zip(&sums[o as usize * km..(o as usize + 1) * km])
                {
                    *v -= x;
                }
            }
            // four running sums per row: no chain of dependent additions
            acc.iter_mut().for_each(|v| *v = 0.0);
            let on_c = &on[c * m..(c + 1) * m];
            for j in 0..k {
                let (w, g_on, g_off) = (self.w[j], inv[c * k + j], self.inv_off[j]);
                let lane = &mut acc[(j % 4) * m..(j % 4 + 1) * m];
                for ((v, &x), &o) in lane.iter_mut().zip(&tmp[j * m..(j + 1) * m]).zip(on_c) {
                    *v += w * x * if o { g_on } else { g_off };
                }
            }
            let feature = nodes[self.parent[c] as usize].feature as usize;
            for r in 0..m {
                let q = q(r);
                if q != 1.0 {
                    let sum = (acc[r] + acc[m + r]) + (acc[2 * m + r] + acc[3 * m + r]);
                    phi[r * p + feature] += (q - 1.0) * sum * scale;
                }
            }
        }
    }
}

/// A tree prepared so that exact TreeSHAP over many rows is cheap: a small tree's whole
/// contribution is tabulated by the directions a row takes at its internal nodes (one test per
/// internal node and one addition per feature the tree uses); any other tree is explained by
/// Linear TreeSHAP ([`LinearShap`]). Gives the same values as [`Tree::shap_into`] (Algorithm 2)
/// up to rounding.
pub struct ShapPaths {
    /// Small trees (at most [`MAX_MASK_NODES`] internal nodes): the tree's whole contribution
    /// for each pattern of directions at its internal nodes.
    by_mask: Option<MaskTable>,
    linear: LinearShap,
}

impl Tree {
    /// Prepares the tree for [`ShapPaths::add_row`], tabulating it whole when it is small and
    /// the table takes at most `budget` entries.
    pub fn shap_paths(&self, budget: usize) -> ShapPaths {
        let mut paths = ShapPaths {
            by_mask: None,
            linear: LinearShap::new(self, budget),
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
        let size = (1usize << internal.len().min(MAX_MASK_NODES + 1)) * features.len();
        if internal.len() > MAX_MASK_NODES || size > budget {
            return paths;
        }
        let patterns = 1usize << internal.len();
        let width = features.last().map_or(0, |&f| f as usize + 1);
        let mut values = vec![0.0; size];
        let mut s = ShapScratch::default();
        let mut phi = vec![0.0; width];
        for mask in 0..patterns {
            s.left.clear();
            s.left.resize(self.nodes.len(), false);
            for (b, &k) in internal.iter().enumerate() {
                s.left[k as usize] = (mask >> b) & 1 == 1;
            }
            phi.iter_mut().for_each(|v| *v = 0.0);
            paths.linear.add_rows(self, 1, &mut phi, width, 1.0, &mut s);
            // stored feature-major
            for (i, &f) in features.iter().enumerate() {
                values[i * patterns + mask] = phi[f as usize];
            }
        }
        let bit: std::collections::HashMap<u32, usize> =
            internal.iter().enumerate().map(|(b, &k)| (k, b)).collect();
        let leaf = (0..patterns)
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
        let tests = internal
            .iter()
            .map(|&k| {
                let n = &self.nodes[k as usize];
                (n.feature, n.threshold, n.default_left)
            })
            .collect();
        paths.by_mask = Some(MaskTable {
            tests,
            features,
            values,
            leaf,
        });
        paths
    }
}

/// Scratch space for [`ShapPaths::add_row`], reused across rows and trees.
#[derive(Default)]
pub struct ShapScratch {
    left: Vec<bool>,
    on: Vec<bool>,
    a: Vec<f64>,
    s: Vec<f64>,
    tmp: Vec<f64>,
    factors: Vec<f64>,
    acc: Vec<f64>,
    ob: Vec<bool>,
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
        let p = phi.len();
        directions(tree, row, 1, p, &mut s.left);
        self.linear.add_rows(tree, 1, phi, p, scale, s);
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

/// Whether each of `m` rows (row-major, `p` values a row) goes left at each internal node:
/// `left[node * m + r]`. A missing value goes where the node says.
fn directions(tree: &Tree, rows: &[f64], m: usize, p: usize, left: &mut Vec<bool>) {
    left.clear();
    left.resize(tree.nodes.len() * m, false);
    for (k, n) in tree.nodes.iter().enumerate() {
        if !n.is_leaf() {
            for r in 0..m {
                let x = rows[r * p + n.feature as usize];
                left[k * m + r] = if x.is_nan() {
                    n.default_left
                } else {
                    x <= n.threshold
                };
            }
        }
    }
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
                        // Linear TreeSHAP, a few rows at a time
                        let chunk = q.linear.rows_at_once();
                        for (ci, rows) in s.rows[..m * p].chunks(chunk * p).enumerate() {
                            let mc = rows.len() / p;
                            directions(tree, rows, mc, p, &mut s.shap.left);
                            s.row_phi.clear();
                            s.row_phi.resize(mc * p, 0.0);
                            q.linear
                                .add_rows(tree, mc, &mut s.row_phi, p, phi_scale, &mut s.shap);
                            for (r, row_phi) in s.row_phi.chunks(p).enumerate() {
                                for (j, &v) in row_phi.iter().enumerate() {
                                    s.phi_t[j * m + ci * chunk + r] += v;
                                }
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
