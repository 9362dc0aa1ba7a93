#!/usr/bin/env python3
"""LightGBM through `erosion train --family gbdt`'s whole protocol, on the same table and folds.

    python train_protocol_peer.py --features features.parquet --target churn \
        --erosion-metrics gbdt.metrics.json --threads 1 --json-out peer.json

The protocol, step for step as erosion's (crates/erosion-models, `train` and `Gbdt::fit`):
- the validation folds are erosion's own, read from its `--metrics-out` (time-based: each fold
  validates one cutoff with a model trained on the cutoffs at least the horizon earlier);
- every fit holds out a stratified 15 % of its rows for early stopping (patience 50, at most 2,000
  rounds), then refits on all its rows with the best number of rounds;
- trees as erosion's defaults: learning rate 0.05, 8 leaves, depth 4, at least 20 rows and 1e-3
  hessian a leaf, L2 1, 255 bins, no subsampling;
- Platt calibration on the out-of-fold scores, the final model on every row (early stopping and
  refit again), and SHAP contributions (`pred_contrib`) on up to 5,000 evenly spaced rows for
  the global importance.
Reading the table is not timed; everything after is. Prints and writes the fold ROC-AUCs and the
seconds per stage.
"""

import argparse
import json
import time

import numpy as np
import pandas as pd


def fit(lgb, x, y, threads, seed=0):
    from sklearn.model_selection import train_test_split
    idx = np.arange(len(y))
    tr, va = train_test_split(idx, test_size=0.15, stratify=y, random_state=seed)
    params = dict(objective="binary", learning_rate=0.05, num_leaves=8, max_depth=4, min_data_in_leaf=20,
                  min_sum_hessian_in_leaf=1e-3, lambda_l2=1.0, max_bin=255, num_threads=threads,
                  verbose=-1, seed=seed, deterministic=True)
    dt = lgb.Dataset(x[tr], y[tr], params={"max_bin": 255})
    dv = lgb.Dataset(x[va], y[va], reference=dt)
    first = lgb.train(params, dt, num_boost_round=2000, valid_sets=[dv],
                      callbacks=[lgb.early_stopping(50, verbose=False)])
    rounds = max(first.best_iteration, 1)
    return lgb.train(params, lgb.Dataset(x, y, params={"max_bin": 255}), num_boost_round=rounds), rounds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--features", required=True)
    ap.add_argument("--target", default="churn")
    ap.add_argument("--erosion-metrics", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json-out", required=True)
    a = ap.parse_args()
    import lightgbm as lgb
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    df = pd.read_parquet(a.features)
    df = df[df[a.target].notna()].reset_index(drop=True)
    cut = pd.to_datetime(df["cutoff"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    y = df[a.target].astype(int).to_numpy()
    x = df.drop(columns=[c for c in ("customer_id", "cutoff", "churn", "erosion") if c in df.columns])
    x = x.astype(float).to_numpy()
    folds = json.load(open(a.erosion_metrics))["folds"]
    t0 = time.perf_counter()
    stages, aucs, oof_s, oof_y = {}, [], [], []
    for f in folds:
        tr = np.flatnonzero(cut <= f["latest_train_cutoff"])
        va = np.flatnonzero(cut == f["cutoff"])
        t = time.perf_counter()
        m, rounds = fit(lgb, x[tr], y[tr], a.threads)
        s = m.predict(x[va], raw_score=True)
        aucs.append(float(roc_auc_score(y[va], s)))
        oof_s.append(s)
        oof_y.append(y[va])
        stages[f"fold {f['cutoff']}"] = {"s": time.perf_counter() - t, "rounds": rounds,
                                        "train_rows": int(len(tr)), "valid_rows": int(len(va))}
    t = time.perf_counter()
    LogisticRegression().fit(np.concatenate(oof_s)[:, None], np.concatenate(oof_y))
    stages["calibration"] = {"s": time.perf_counter() - t}
    t = time.perf_counter()
    final, rounds = fit(lgb, x, y, a.threads)
    stages["final model"] = {"s": time.perf_counter() - t, "rounds": rounds}
    t = time.perf_counter()
    take = min(5000, len(y))
    rows = (np.arange(take) * len(y)) // take
    final.predict(x[rows], pred_contrib=True)
    stages["importance (SHAP)"] = {"s": time.perf_counter() - t}
    out = {"wall_s": time.perf_counter() - t0, "threads": a.threads, "rows": int(len(y)),
           "fold_auc": aucs, "auc_mean": float(np.mean(aucs)), "stages": stages,
           "lightgbm": lgb.__version__}
    print(json.dumps(out, indent=1))
    with open(a.json_out, "w") as fh:
        json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
