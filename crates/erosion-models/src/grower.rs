//! Leaf-wise histogram tree learner shared by the GBDT and the random forest.
//!
//! Rows of each leaf are kept contiguous in an index array; a leaf's histogram holds, per feature
//! and bin, the sums of gradient and hessian. Histograms are built row by row over each row's
//! cells outside their feature's most frequent (default) bin (`Binned::groups`, prefetched a few
//! rows ahead, the gradient pair loaded once per row); a default bin's sums are the node's total
//! minus the feature's other bins, as in LightGBM. The feature groups are histogrammed in
//! parallel. Only the smaller child of a split is histogrammed, the larger one is the parent
//! minus it. As in LightGBM, the row count on each side of a candidate split is estimated from
//! its hessian share (`min_data_in_leaf` is checked on that estimate); the exact counts are known
//! after the partition and become the nodes' covers. Every sum is taken in a fixed order, so a
//! tree depends only on its inputs, never on the thread count.

use rayon::prelude::*;

use crate::binning::{Binned, FeatureBins, SparseRows};
use crate::rng::SplitMix64;
use crate::tree::{Node, Tree};

/// Histogram updates (rows x features) above which features are histogrammed in parallel.
const PAR_WORK: usize = 65_536;

pub(crate) struct GrowParams {
    pub max_leaves: usize,
    pub max_depth: usize,
    pub min_data_in_leaf: usize,
    pub min_sum_hessian: f64,
    pub lambda_l2: f64,
    pub min_gain: f64,
    /// Multiplies leaf values (the learning rate).
    pub leaf_scale: f64,
    /// Features drawn at random for each node (random forest); `None` = all allowed ones.
    pub features_per_node: Option<usize>,
}

/// Sums of gradient and hessian per histogram slot, feature after feature (`Binned::offsets`).
type Hist = Vec<[f64; 2]>;

#[derive(Clone, Copy)]
struct Split {
    feature: usize,
    bin: u8,
    default_left: bool,
    gain: f64,
    left: [f64; 2],
    right: [f64; 2],
}

struct Leaf {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
    hist: Option<Hist>,
    best: Option<Split>,
}

/// A grown tree and where its training rows ended up.
pub(crate) struct Grown {
    pub tree: Tree,
    /// Per node, the bin threshold of its split (binned traversal: go left when `code <= bin`).
    pub bin_threshold: Vec<u8>,
    /// `(node, start, end)`: the leaf's rows are `rows[start..end]`.
    pub leaves: Vec<(usize, usize, usize)>,
}

/// Rows ahead whose codes (and gradients) are prefetched while building a histogram or
/// partitioning a leaf.
const PREFETCH_AHEAD: usize = 16;

/// Hints the CPU to bring the cache line at `p` into L1. Only a hint: never faults, changes no
/// result.
#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` reads no memory architecturally (a prefetch cannot fault, even on an
    // invalid address) and SSE is part of the x86_64 baseline.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The gradient pairs of `rows`, gathered in their order (LightGBM's ordered gradients: every
/// feature group then reads them front to back), and their sum, in row order.
fn gather(gh: &[[f64; 2]], rows: &[u32], ordered: &mut Vec<[f64; 2]>) -> [f64; 2] {
    ordered.clear();
    ordered.extend(rows.iter().map(|&i| gh[i as usize]));
    let mut t = [0.0; 2];
    for g in ordered.iter() {
        add(&mut t, g);
    }
    t
}

/// Histogram of the features of group `g` (whose slots are `h`) over `rows` (with gradient pairs
/// `ordered`, one per row in the same order), whose sums are `total`: row by row, each row's
/// gradient pair is added to the slots of its cells outside the default bins, so each of those
/// slots is summed in row order; then each feature's default bin gets `total` minus the
/// feature's other bins.
fn hist_group(
    h: &mut [[f64; 2]],
    g: &SparseRows,
    b: &Binned,
    ordered: &[[f64; 2]],
    rows: &[u32],
    total: &[f64; 2],
) {
    h.fill([0.0; 2]);
    let (starts, slots) = (&g.starts, &g.slots);
    // every slot of the group is below its slot count (`Binned::sparse_rows`), which is `h`'s
    // length: checked once here, so the loop below needs no check per cell
    assert_eq!(h.len(), g.n_slots, "histogram of the group's slots");
    assert_eq!(ordered.len(), rows.len(), "one gradient pair per row");
    for (k, (&i, gi)) in rows.iter().zip(ordered).enumerate() {
        if let Some(&ahead) = rows.get(k + PREFETCH_AHEAD) {
            let a = ahead as usize;
            if let Some(&far) = rows.get(k + 2 * PREFETCH_AHEAD) {
                prefetch(&starts[far as usize]);
            }
            prefetch(slots.as_ptr().wrapping_add(starts[a] as usize));
        }
        let i = i as usize;
        for &slot in &slots[starts[i] as usize..starts[i + 1] as usize] {
            // SAFETY: `slot < g.n_slots == h.len()` (asserted above; `SparseRows::slots` holds
            // only slots of the group's features)
            let hs = unsafe { h.get_unchecked_mut(usize::from(slot)) };
            add(hs, gi);
        }
    }
    let base = b.offsets[g.features.start];
    for j in g.features.clone() {
        let fh = &mut h[b.offsets[j] - base..b.offsets[j + 1] - base];
        let d = usize::from(b.default_bin[j]);
        let mut others = [0.0; 2];
        for s in fh.iter() {
            add(&mut others, s);
        }
        fh[d] = sub(total, &others);
    }
}

fn new_hist(b: &Binned, pool: &mut Vec<Hist>) -> Hist {
    pool.pop()
        .unwrap_or_else(|| vec![[0.0; 2]; b.total_slots()])
}

/// Histogram of `rows` into a buffer from `pool` (reused buffers avoid page-faulting fresh
/// memory), and the rows' sums. Above `PAR_WORK` updates the feature groups are histogrammed in
/// parallel; each slot is still summed in row order by one thread, so the bits never depend on
/// the thread count.
fn build_hist(
    b: &Binned,
    gh: &[[f64; 2]],
    rows: &[u32],
    pool: &mut Vec<Hist>,
    ordered: &mut Vec<[f64; 2]>,
) -> (Hist, [f64; 2]) {
    let mut acc = new_hist(b, pool);
    let sum = gather(gh, rows, ordered);
    let ordered = &ordered[..];
    let mut parts: Vec<(&SparseRows, &mut [[f64; 2]])> = Vec::with_capacity(b.groups.len());
    let mut rest: &mut [[f64; 2]] = &mut acc;
    for g in &b.groups {
        let (head, tail) =
            rest.split_at_mut(b.offsets[g.features.end] - b.offsets[g.features.start]);
        parts.push((g, head));
        rest = tail;
    }
    if rows.len() * b.p < PAR_WORK || rayon::current_num_threads() == 1 {
        for (g, h) in parts {
            hist_group(h, g, b, ordered, rows, &sum);
        }
    } else {
        parts
            .into_par_iter()
            .for_each(|(g, h)| hist_group(h, g, b, ordered, rows, &sum));
    }
    (acc, sum)
}

fn leaf_value(s: &[f64; 2], p: &GrowParams) -> f64 {
    -s[0] / (s[1] + p.lambda_l2) * p.leaf_scale
}

fn score(s: &[f64; 2], lambda: f64) -> f64 {
    s[0] * s[0] / (s[1] + lambda)
}

fn sub(a: &[f64; 2], b: &[f64; 2]) -> [f64; 2] {
    [a[0] - b[0], a[1] - b[1]]
}

fn add(a: &mut [f64; 2], b: &[f64; 2]) {
    a[0] += b[0];
    a[1] += b[1];
}

fn find_best(
    b: &Binned,
    hist: &Hist,
    sum: &[f64; 2],
    count: usize,
    features: &[usize],
    p: &GrowParams,
) -> Option<Split> {
    let lambda = p.lambda_l2;
    let parent = score(sum, lambda);
    let min_data = p.min_data_in_leaf as f64;
    // rows on a side, estimated from its hessian share and rounded as LightGBM does
    // (`RoundInt(h * cnt_factor) < min_data` is `h * cnt_factor + 0.5 < min_data`, and needs no
    // call to `round`)
    let cnt_factor = count as f64 / sum[1];
    let mut best: Option<Split> = None;
    let mut consider =
        |l: [f64; 2], r: [f64; 2], feature: usize, bin: usize, default_left: bool| {
            if l[1] < p.min_sum_hessian
                || r[1] < p.min_sum_hessian
                || l[1] * cnt_factor + 0.5 < min_data
                || r[1] * cnt_factor + 0.5 < min_data
            {
                return;
            }
            let gain = score(&l, lambda) + score(&r, lambda) - parent;
            if gain > p.min_gain && best.is_none_or(|s| gain > s.gain) {
                best = Some(Split {
                    feature,
                    bin: bin as u8,
                    default_left,
                    gain,
                    left: l,
                    right: r,
                });
            }
        };
    for &j in features {
        let h = &hist[b.offsets[j]..b.offsets[j + 1]];
        let nb = b.slots[j] - 1;
        let miss = h[nb];
        let has_missing = miss[1] > 0.0;
        // missing values go right
        let mut l = [0.0; 2];
        for (bin, s) in h[..nb].iter().enumerate() {
            add(&mut l, s);
            if bin + 1 == nb && !has_missing {
                break;
            }
            let r = sub(sum, &l);
            // with no missing value in training, unseen missing values follow the heavier side
            let default_left = !has_missing && l[1] >= r[1];
            consider(l, r, j, bin, default_left);
        }
        if has_missing {
            let mut l = miss;
            for (bin, s) in h[..nb.saturating_sub(1)].iter().enumerate() {
                add(&mut l, s);
                consider(l, sub(sum, &l), j, bin, true);
            }
        }
    }
    best
}

/// Grows one tree on `rows` (reordered in place so each leaf's rows are contiguous).
#[allow(clippy::too_many_arguments)]
#[allow(clippy::too_many_lines)] // known debt: split when next changed
pub(crate) fn grow(
    b: &Binned,
    bins: &[FeatureBins],
    gh: &[[f64; 2]],
    rows: &mut [u32],
    allowed: &[usize],
    p: &GrowParams,
    rng: &mut SplitMix64,
) -> Grown {
    let pick = |rng: &mut SplitMix64| -> Vec<usize> {
        match p.features_per_node {
            Some(k) if k < allowed.len() => {
                let mut f = allowed.to_vec();
                for i in 0..k {
                    let j = i + rng.below(f.len() - i);
                    f.swap(i, j);
                }
                f.truncate(k);
                f
            }
            _ => allowed.to_vec(),
        }
    };
    let can_split =
        |count: usize, depth: usize| count >= 2 * p.min_data_in_leaf && depth < p.max_depth;
    let mut pool: Vec<Hist> = Vec::new();

    // the gradient pairs of the rows being histogrammed, in their order (reused buffer)
    let mut ordered: Vec<[f64; 2]> = Vec::with_capacity(rows.len());
    let (root_hist, sum) = build_hist(b, gh, rows, &mut pool, &mut ordered);
    let mut nodes = vec![Node {
        feature: 0,
        threshold: 0.0,
        left: 0,
        right: 0,
        default_left: false,
        value: leaf_value(&sum, p),
        cover: rows.len() as f64,
        gain: 0.0,
    }];
    let mut bin_threshold = vec![0u8];
    let best = if can_split(rows.len(), 0) {
        find_best(b, &root_hist, &sum, rows.len(), &pick(rng), p)
    } else {
        None
    };
    let mut leaves = vec![Leaf {
        node: 0,
        start: 0,
        end: rows.len(),
        depth: 0,
        hist: best.map(|_| root_hist),
        best,
    }];
    let mut scratch: Vec<u32> = Vec::new();

    while leaves.len() < p.max_leaves {
        let mut chosen: Option<usize> = None;
        for (k, leaf) in leaves.iter().enumerate() {
            if let Some(s) = &leaf.best {
                if chosen
                    .is_none_or(|c| s.gain > leaves[c].best.as_ref().map_or(f64::MIN, |t| t.gain))
                {
                    chosen = Some(k);
                }
            }
        }
        let Some(k) = chosen else { break };
        let leaf = leaves.swap_remove(k);
        let split = leaf.best.expect("chosen leaf has a split");
        let f = split.feature;
        let missing_code = (b.slots[f] - 1) as u8;

        // partition the leaf's rows: left first, then right, both in their original order.
        // Without a branch on the side: each row is written to both places and only the cursor
        // of its side moves (writing at `nl <= t` never overwrites a row not yet read).
        scratch.clear();
        scratch.resize(leaf.end - leaf.start, 0);
        let col = b.column(f);
        let (mut nl, mut nr) = (leaf.start, 0);
        for t in leaf.start..leaf.end {
            if let Some(&ahead) = rows[..leaf.end].get(t + PREFETCH_AHEAD) {
                prefetch(&col[ahead as usize]);
            }
            let i = rows[t];
            let c = col[i as usize];
            // split bins are below the missing code, so `c <= bin` only holds for present values
            let go_left = (c <= split.bin) | ((c == missing_code) & split.default_left);
            rows[nl] = i;
            scratch[nr] = i;
            nl += usize::from(go_left);
            nr += usize::from(!go_left);
        }
        rows[nl..leaf.end].copy_from_slice(&scratch[..nr]);

        let (li, ri) = (nodes.len(), nodes.len() + 1);
        {
            let n = &mut nodes[leaf.node];
            n.feature = f as u32;
            n.threshold = bins[f].upper[split.bin as usize];
            n.left = li as u32;
            n.right = ri as u32;
            n.default_left = split.default_left;
            n.value = 0.0;
            n.gain = split.gain;
        }
        bin_threshold[leaf.node] = split.bin;
        let (ls, rs) = ((leaf.start, nl), (nl, leaf.end));
        for (s, (start, end)) in [(&split.left, ls), (&split.right, rs)] {
            nodes.push(Node {
                feature: 0,
                threshold: 0.0,
                left: 0,
                right: 0,
                default_left: false,
                value: leaf_value(s, p),
                cover: (end - start) as f64,
                gain: 0.0,
            });
            bin_threshold.push(0);
        }

        let depth = leaf.depth + 1;
        // after the split that reaches `max_leaves` nothing is split again: as in LightGBM, its
        // children get no histogram and no search
        let last = leaves.len() + 2 >= p.max_leaves;
        let left_can = !last && can_split(ls.1 - ls.0, depth);
        let right_can = !last && can_split(rs.1 - rs.0, depth);
        let parent = leaf.hist.expect("splittable leaf keeps its histogram");
        let (lh, rh) = if left_can || right_can {
            let mut parent = parent;
            let left_smaller = ls.1 - ls.0 <= rs.1 - rs.0;
            let (s0, s1) = if left_smaller { ls } else { rs };
            let (small, _) = build_hist(b, gh, &rows[s0..s1], &mut pool, &mut ordered);
            for (a, s) in parent.iter_mut().zip(&small) {
                a[0] -= s[0];
                a[1] -= s[1];
            }
            if left_smaller {
                (Some(small), Some(parent))
            } else {
                (Some(parent), Some(small))
            }
        } else {
            pool.push(parent);
            (None, None)
        };
        for (node, (start, end), s, h, can) in [
            (li, ls, split.left, lh, left_can),
            (ri, rs, split.right, rh, right_can),
        ] {
            let best = match (&h, can) {
                (Some(h), true) => find_best(b, h, &s, end - start, &pick(rng), p),
                _ => None,
            };
            let hist = match (h, best.is_some()) {
                (Some(h), true) => Some(h),
                (Some(h), false) => {
                    pool.push(h);
                    None
                }
                (None, _) => None,
            };
            leaves.push(Leaf {
                node,
                start,
                end,
                depth,
                hist,
                best,
            });
        }
    }
    let mut leaf_rows: Vec<(usize, usize, usize)> =
        leaves.iter().map(|l| (l.node, l.start, l.end)).collect();
    leaf_rows.sort_unstable();
    Grown {
        tree: Tree { nodes },
        bin_threshold,
        leaves: leaf_rows,
    }
}

/// Output of a grown tree for row `i` of a binned dataset (same rule as the raw thresholds).
#[inline]
pub(crate) fn predict_binned(g: &Grown, b: &Binned, i: usize) -> f64 {
    let nodes = &g.tree.nodes;
    let mut k = 0usize;
    loop {
        let n = &nodes[k];
        if n.left == 0 {
            return n.value;
        }
        let f = n.feature as usize;
        let c = b.code(i, f);
        let go_left = if c as usize == b.slots[f] - 1 {
            n.default_left
        } else {
            c <= g.bin_threshold[k]
        };
        k = if go_left { n.left } else { n.right } as usize;
    }
}
