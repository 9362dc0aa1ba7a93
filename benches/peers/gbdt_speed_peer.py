#!/usr/bin/env python3
"""LightGBM's side of the GBDT speed benchmark, and the data both sides read.

    python gbdt_speed_peer.py --make-data DIR        # once: writes the synthetic data set
    python gbdt_speed_peer.py --data DIR --threads 1 --runs 3

The data (deterministic, numpy seed 20261124): 200,000 training rows and 1,000,000 test rows of 30
features, a binary label from a noisy logistic model with interactions, thresholds and missing
values (see `make_data`). Files, column-major little-endian, read as they are by erosion's side
(`crates/erosion-models/examples/gbdt_speed.rs`):

    DIR/train_x.f64  DIR/train_y.u8  DIR/test_x.f64  DIR/test_y.u8  (NaN = missing)

Settings, the same on both sides: 200 trees, 31 leaves, 255 bins, learning rate 0.1, at least 20
rows and 1e-3 hessian a leaf, no L2, no depth limit, no row or column subsampling, no early
stopping, binary log-loss, base score from the positive rate, bins learned from (up to) 200,000
rows. "fit" is building the binned data set from the numpy array plus training (erosion's
`Gbdt::fit` bins too); "predict" is raw scores for the 1,000,000 test rows. Loading the files is
not timed. Prints one JSON line per run and a summary line (medians).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

P = 30
N_TRAIN = 200_000
N_TEST = 1_000_000
SEED = 20261124

PARAMS = {
    "objective": "binary",
    "num_leaves": 31,
    "max_bin": 255,
    "learning_rate": 0.1,
    "min_data_in_leaf": 20,
    "min_sum_hessian_in_leaf": 1e-3,
    "lambda_l2": 0.0,
    "max_depth": -1,
    "feature_fraction": 1.0,
    "bagging_fraction": 1.0,
    "bin_construct_sample_cnt": 200_000,
    "verbose": -1,
    "seed": 0,
    "deterministic": True,
}
ROUNDS = 200


def make_data(out: Path) -> None:
    """Writes the data set: mixed feature kinds, a label that needs trees to be fit well."""
    rng = np.random.default_rng(SEED)
    n = N_TRAIN + N_TEST
    x = np.empty((P, n), dtype=np.float64)  # column-major: one row of this array per feature
    for j in range(P):
        kind = j % 5
        if kind == 0:
            x[j] = rng.normal(size=n)
        elif kind == 1:
            x[j] = rng.uniform(0.0, 100.0, size=n)
        elif kind == 2:
            x[j] = rng.exponential(2.0, size=n)  # skewed, like spend or tenure
        elif kind == 3:
            x[j] = rng.integers(0, 12, size=n).astype(np.float64)  # few distinct values
        else:
            x[j] = rng.normal(size=n) + 0.5 * x[j - 4]  # correlated with another feature
    z = (0.8 * x[0] - 0.03 * (x[1] - 50.0) + 0.4 * np.log1p(x[2]) + 0.15 * (x[3] - 6.0)
         + 0.6 * x[4] * x[5] / 50.0 + 1.0 * (x[6] > 0.5) - 0.7 * (x[8] > 8) + 0.5 * np.sin(x[10])
         + 0.02 * x[11] * (x[12] > 2.0) + 0.3 * x[14] * x[15] - 0.5 * (np.abs(x[20]) > 1.0)
         + 0.01 * x[21] - 0.2 * x[24])
    z = z - z.mean()
    logit = 1.2 * z / z.std() - 1.0
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.uint8)
    # missing values: 10 % in a few columns (after the label, which saw the true values)
    for j in (2, 7, 13, 22):
        x[j, rng.uniform(size=n) < 0.10] = np.nan
    out.mkdir(parents=True, exist_ok=True)
    for name, sl in (("train", slice(0, N_TRAIN)), ("test", slice(N_TRAIN, n))):
        np.ascontiguousarray(x[:, sl]).astype("<f8").tofile(out / f"{name}_x.f64")
        y[sl].tofile(out / f"{name}_y.u8")
    print(f"wrote {out}: {N_TRAIN} train and {N_TEST} test rows, {P} features, "
          f"positive rate {y.mean():.3f}", file=sys.stderr)


def read(d: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    y = np.fromfile(d / f"{name}_y.u8", dtype=np.uint8)
    x = np.fromfile(d / f"{name}_x.f64", dtype="<f8").reshape(P, len(y))
    return np.ascontiguousarray(x.T), y  # row-major, LightGBM's preferred layout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--make-data", type=Path, help="write the data set to this directory and exit")
    ap.add_argument("--data", type=Path, default=Path("/work/bench-data/gbdt-speed"))
    ap.add_argument("--threads", type=int, default=1, help="LightGBM num_threads (0 = all cores)")
    ap.add_argument("--runs", type=int, default=1)
    a = ap.parse_args()
    if a.make_data:
        make_data(a.make_data)
        return 0

    import lightgbm as lgb
    from sklearn.metrics import roc_auc_score

    xtr, ytr = read(a.data, "train")
    xte, yte = read(a.data, "test")
    params = {**PARAMS, "num_threads": a.threads}
    fits, preds = [], []
    for _ in range(a.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        ds = lgb.Dataset(xtr, label=ytr, params=params, free_raw_data=False)
        booster = lgb.train(params, ds, num_boost_round=ROUNDS)
        fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        s = booster.predict(xte, raw_score=True, num_threads=a.threads)
        pred_s, pred_cpu = time.perf_counter() - t0, time.process_time() - c0
        auc = float(roc_auc_score(yte, s))
        fits.append(fit_s)
        preds.append(pred_s)
        print(json.dumps({"tool": "lightgbm", "version": lgb.__version__, "threads": a.threads,
                          "fit_s": fit_s, "predict_s": pred_s, "fit_cpu_s": fit_cpu,
                          "predict_cpu_s": pred_cpu, "auc": auc,
                          "trees": booster.num_trees()}), flush=True)
    print(json.dumps({"tool": "lightgbm", "summary": True, "threads": a.threads,
                      "fit_median_s": statistics.median(fits),
                      "predict_median_s": statistics.median(preds), "auc": auc}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
