//! Random forest of probability trees: bootstrap rows per tree, a random subset of features per
//! node, splits that minimise the squared error of the 0/1 label (equivalent to Gini impurity),
//! leaves holding the positive share of their bootstrap rows. Splits are searched over the same
//! histogram bins as the GBDT (up to 255 per feature), and missing values are routed natively.
//!
//! The output is the mean leaf share: a probability, not log-odds.

use rayon::prelude::*;

pub use erosion_inference::forest::*;

use crate::binning::{fit_bins, Binned};
use crate::error::{ModelError, Result};
use crate::grower::{grow, GrowParams};
use crate::matrix::{check_labels, FeatureMatrix};
use crate::rng::SplitMix64;
use crate::tree::Tree;
use crate::Learner;

impl Learner for Forest {
    type Params = ForestParams;

    /// Fits on all rows of `x`.
    fn fit(x: &FeatureMatrix, y: &[u8], params: &ForestParams) -> Result<Forest> {
        x.check_trainable()?;
        check_labels(y, x.n_rows())?;
        if params.n_trees == 0
            || params.min_samples_leaf == 0
            || !(2..=255).contains(&params.max_bin)
            || !(0.0..1.0).contains(&params.min_leaf_share)
        {
            return Err(ModelError::InvalidParameter {
                name: "forest".into(),
                value: format!(
                    "n_trees={}, min_samples_leaf={}, max_bin={}, min_leaf_share={}",
                    params.n_trees, params.min_samples_leaf, params.max_bin, params.min_leaf_share
                ),
                why: "n_trees and min_samples_leaf must be >= 1, max_bin in 2..=255, \
                      min_leaf_share in [0, 1)"
                    .into(),
            });
        }
        let (n, p) = (x.n_rows(), x.n_cols());
        let bins = fit_bins(x.data(), n, p, params.max_bin, 200_000);
        let binned = Binned::for_growing(x.data(), n, &bins);
        let mtry = params
            .max_features
            .unwrap_or_else(|| (p as f64).sqrt().round() as usize)
            .clamp(1, p);
        let gp = GrowParams {
            max_leaves: usize::MAX,
            max_depth: params.max_depth.unwrap_or(usize::MAX),
            min_data_in_leaf: params
                .min_samples_leaf
                .max((params.min_leaf_share * n as f64) as usize),
            min_sum_hessian: 1e-12,
            lambda_l2: 0.0,
            min_gain: 1e-12,
            leaf_scale: 1.0,
            features_per_node: Some(mtry),
        };
        let allowed: Vec<usize> = (0..p).collect();
        let trees: Vec<Tree> = (0..params.n_trees)
            .into_par_iter()
            .map(|t| {
                let mut rng = SplitMix64::new(params.seed).fork(t as u64 + 1);
                let mut w = vec![0.0f64; n];
                for _ in 0..n {
                    w[rng.below(n)] += 1.0;
                }
                let mut rows: Vec<u32> = (0..n as u32).filter(|&i| w[i as usize] > 0.0).collect();
                // squared error of y with weights w: gradient -w*y, hessian w, leaf = weighted mean
                let gh: Vec<[f64; 2]> = w
                    .iter()
                    .zip(y)
                    .map(|(&wi, &yi)| [-wi * f64::from(yi), wi])
                    .collect();
                grow(&binned, &bins, &gh, &mut rows, &allowed, &gp, &mut rng).tree
            })
            .collect();
        Ok(Forest {
            trees,
            n_features: p,
        })
    }
}
