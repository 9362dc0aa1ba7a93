"""Speed peer for erosion's gbdt: LightGBM fit on 200,000 x 30 and predict on 1,000,000 x 30.

Also writes the data set that `examples/gbdt_speed.rs` reads, so both sides use the very same rows:
    /work/venv-models/bin/python crates/erosion-models/benches-peer/gbdt_speed_peer.py [DIR]
    cargo run --release -p erosion-models --example gbdt_speed -- [DIR]
DIR defaults to /tmp/erosion-speed. Files: {train,test}_x.f64 (column-major little-endian f64,
NaN = missing), {train,test}_y.u8.

Settings on both sides: 200 trees, 31 leaves, 255 bins, learning rate 0.1, min 20 rows a leaf,
min hessian 1e-3, no L2, no subsampling, no early stopping, no depth limit, 2 threads.
"""
import os
import sys
import time

import numpy as np
import lightgbm as lgb
from sklearn.metrics import roc_auc_score

N_TRAIN, N_TEST, P = 200_000, 1_000_000, 30


def make(n, rng):
    x = rng.standard_normal((n, P))
    z = np.nan_to_num(x)
    logit = (
        1.0 * z[:, 0]
        - 0.8 * z[:, 1]
        + 0.6 * z[:, 2] * z[:, 3]
        + 0.5 * np.sin(2 * z[:, 4])
        + 0.4 * (z[:, 5] > 0.5)
        + 0.3 * z[:, 6] ** 2
        - 0.25 * np.abs(z[:, 7])
        + 0.2 * z[:, 8:14].sum(axis=1)
        - 0.6
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.uint8)
    for j in range(5):  # 5 % missing in five features, including two informative ones
        x[rng.random(n) < 0.05, j * 6] = np.nan
    return x, y


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/erosion-speed"
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    xtr, ytr = make(N_TRAIN, rng)
    xte, yte = make(N_TEST, rng)
    for name, x, y in (("train", xtr, ytr), ("test", xte, yte)):
        path = os.path.join(out, f"{name}_x.f64")
        if not os.path.exists(path):
            x.T.astype("<f8").tofile(path)  # x.T in C order = x in column-major order
            y.tofile(os.path.join(out, f"{name}_y.u8"))
    print(f"data: train {xtr.shape}, test {xte.shape}, positive rate {ytr.mean():.3f}, in {out}")
    params = dict(
        n_estimators=200, num_leaves=31, max_bin=255, learning_rate=0.1, min_child_samples=20,
        min_child_weight=1e-3, reg_lambda=0.0, subsample=1.0, colsample_bytree=1.0, n_jobs=threads, verbose=-1,
    )
    fits, preds, fit_cpu, pred_cpu = [], [], [], []
    for _ in range(3):
        m = lgb.LGBMClassifier(**params)
        t, c = time.perf_counter(), time.process_time()
        m.fit(xtr, ytr)
        fits.append(time.perf_counter() - t)
        fit_cpu.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        p = m.predict_proba(xte)[:, 1]
        preds.append(time.perf_counter() - t)
        pred_cpu.append(time.process_time() - c)
    print(f"LightGBM {lgb.__version__} ({threads} threads): fit wall {' '.join(f'{v:.2f}' for v in fits)} s "
          f"(median {np.median(fits):.2f}), cpu median {np.median(fit_cpu):.2f} s; "
          f"predict 1M wall {' '.join(f'{v:.2f}' for v in preds)} s (median {np.median(preds):.2f}), "
          f"cpu median {np.median(pred_cpu):.2f} s; test AUC {roc_auc_score(yte, p):.4f}")


if __name__ == "__main__":
    main()
