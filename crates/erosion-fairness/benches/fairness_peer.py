#!/usr/bin/env python3
"""Speed benchmark: erosion's full audit against Fairlearn's MetricFrame.

Generates N rows (default 10,000,000) of labels, scores and two group columns
(gender, age_band) with numpy (seed 0) into DIR, times Fairlearn 0.15's
MetricFrame computing the point estimates erosion reports (count, base rate,
selection rate, TPR, FPR, FNR, TNR, precision, NPV, accuracy, ROC-AUC, Brier,
mean score; by gender, by age_band and by their intersection, with
difference/ratio both ways), then runs erosion's audit with 1,000 bootstrap
replicates on the same files (`--bin` is the release build of the
`bench_audit` example) and prints both timings as JSON.

    cargo build --release -p erosion-fairness --example bench_audit
    python3 fairness_peer.py --dir /tmp/fair-bench --rows 10000000 \
        --bin target/release/examples/bench_audit

Needs fairlearn==0.15.0, scikit-learn, pandas, numpy. Neither side's timing
includes reading or generating the data.
"""

import argparse
import json
import subprocess
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn.metrics as skm
from fairlearn.metrics import (
    MetricFrame,
    count,
    false_negative_rate,
    false_positive_rate,
    mean_prediction,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)

GENDER = np.array(["F", "M"])
AGE = np.array(["18-29", "30-44", "45-59", "60-74", "75+"])


def generate(d: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    gender = rng.integers(0, 2, n, dtype=np.uint8)
    age = rng.choice(5, n, p=[0.2, 0.3, 0.25, 0.17, 0.08]).astype(np.uint8)
    logit = -1.2 + 0.3 * gender + 0.25 * age.astype(float) + rng.normal(0, 1.3, n)
    labels = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.uint8)
    score = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.8, n))))
    d.mkdir(parents=True, exist_ok=True)
    labels.tofile(d / "labels.u8")
    score.astype("<f8").tofile(d / "scores.f64")
    gender.tofile(d / "gender.u8")
    age.tofile(d / "age_band.u8")


def fairlearn_point_estimates(d: Path, threshold: float) -> dict:
    y = np.fromfile(d / "labels.u8", dtype=np.uint8).astype(int)
    s = np.fromfile(d / "scores.f64", dtype="<f8")
    sf = pd.DataFrame({
        "gender": GENDER[np.fromfile(d / "gender.u8", dtype=np.uint8)],
        "age_band": AGE[np.fromfile(d / "age_band.u8", dtype=np.uint8)],
    })
    metrics = {
        "count": count,
        "base_rate": lambda y_t, y_p: float(np.mean(y_t)),
        "selection_rate": selection_rate,
        "tpr": true_positive_rate,
        "fpr": false_positive_rate,
        "fnr": false_negative_rate,
        "tnr": true_negative_rate,
        "precision": partial(skm.precision_score, zero_division=np.nan),
        "npv": partial(skm.precision_score, pos_label=0, zero_division=np.nan),
        "accuracy": skm.accuracy_score,
    }
    score_metrics = {"roc_auc": skm.roc_auc_score, "brier": skm.brier_score_loss, "mean_score": mean_prediction}
    t0 = time.perf_counter()
    y_pred = (s >= threshold).astype(int)
    out = {}
    for cols in (["gender"], ["age_band"], ["gender", "age_band"]):
        f = sf[cols] if len(cols) > 1 else sf[cols[0]]
        mf = MetricFrame(metrics=metrics, y_true=y, y_pred=y_pred, sensitive_features=f)
        mfs = MetricFrame(metrics=score_metrics, y_true=y, y_pred=s, sensitive_features=f)
        for frame in (mf, mfs):
            frame.difference(method="between_groups")
            frame.difference(method="to_overall")
            frame.ratio(method="between_groups")
            frame.ratio(method="to_overall")
        out["x".join(cols)] = float(mf.difference(method="between_groups")["selection_rate"])
    elapsed = time.perf_counter() - t0
    return {"fairlearn_point_estimates_s": round(elapsed, 3), "dp_difference": out}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, required=True)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--bin", type=Path, help="release build of the bench_audit example")
    args = ap.parse_args()
    if not (args.dir / "labels.u8").exists() or (args.dir / "labels.u8").stat().st_size != args.rows:
        generate(args.dir, args.rows)
    result = {"rows": args.rows, **fairlearn_point_estimates(args.dir, 0.5)}
    if args.bin:
        run = subprocess.run([str(args.bin), str(args.dir), str(args.replicates)], check=True, capture_output=True, text=True)
        result["erosion"] = json.loads(run.stdout)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
