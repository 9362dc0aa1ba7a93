#!/usr/bin/env python3
"""Fairness peer: Fairlearn 0.15's MetricFrame on the predictions file `erosion audit
--predictions` reads.

Make the predictions (seeded; label, score, gender, age_band):

    python fairness_fairlearn.py --make preds_1000000.parquet --rows 1000000

Audit them as erosion does (threshold 0.5; by gender, by age_band and by their intersection):

    python fairness_fairlearn.py --predictions preds_1000000.parquet --json-out fl.json [--n-boot 0]

Per grouping: count, base rate, selection rate, TPR, FPR, FNR, TNR, precision, NPV, accuracy
(on decisions score >= threshold), ROC-AUC, Brier and mean score (on scores), each by group and
overall, and the difference and ratio aggregates both ways (between groups, to overall). With
--n-boot K, MetricFrame's own bootstrap (n_boot=K, 95 % quantiles) too. Times: reading, then
the metric frames alone (what the JSON calls `compute_s`).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

GENDER = np.array(["female", "male", "nonbinary"])
AGE = np.array(["18-24", "25-34", "35-44", "45-54", "55-64", "65+"])


def make(path, n, seed=0):
    rng = np.random.default_rng(seed)
    gender = rng.choice(3, n, p=[0.49, 0.49, 0.02])
    age = rng.choice(6, n, p=[0.12, 0.22, 0.22, 0.18, 0.14, 0.12])
    logit = -1.2 + 0.3 * (gender == 0) + 0.15 * age + rng.normal(0, 1.3, n)
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    score = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.8, n))))
    pd.DataFrame({"customer_id": np.arange(n).astype(str), "label": label, "score": score,
                  "gender": GENDER[gender], "age_band": AGE[age]}).to_parquet(path, index=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--make")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--predictions")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--n-boot", type=int, default=0)
    ap.add_argument("--json-out")
    a = ap.parse_args()
    if a.make:
        make(a.make, a.rows)
        return

    from fairlearn.metrics import MetricFrame
    t0 = time.perf_counter()
    df = pd.read_parquet(a.predictions)
    read_s = time.perf_counter() - t0
    y = df["label"].to_numpy().astype(int)
    s = df["score"].to_numpy()
    # the metric definitions the committed Fairlearn parity fixture was built with
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "crates" / "erosion-fairness" / "tests" / "fixtures"))
    from make_fairlearn_expected import erosion_metrics
    metrics, score_metrics = erosion_metrics()
    boot = {"n_boot": a.n_boot, "ci_quantiles": [0.025, 0.975], "random_state": 0} if a.n_boot else {}
    t1 = time.perf_counter()
    y_pred = (s >= a.threshold).astype(int)
    out = {"rows": int(len(y)), "threshold": a.threshold, "n_boot": a.n_boot, "groupings": {}}
    for cols in (["gender"], ["age_band"], ["gender", "age_band"]):
        f = df[cols] if len(cols) > 1 else df[cols[0]]
        g = {"by_group": {}, "overall": {}, "aggregates": {}}
        for ms, pred in ((metrics, y_pred), (score_metrics, s)):
            mf = MetricFrame(metrics=ms, y_true=y, y_pred=pred, sensitive_features=f, **boot)
            agg = {"difference_between_groups": mf.difference(method="between_groups"),
                   "difference_to_overall": mf.difference(method="to_overall"),
                   "ratio_between_groups": mf.ratio(method="between_groups"),
                   "ratio_to_overall": mf.ratio(method="to_overall")}
            bg = mf.by_group
            if boot:
                lo, hi = mf.by_group_ci
            for key, row in bg.iterrows():
                name = " & ".join(key) if isinstance(key, tuple) else str(key)
                d = g["by_group"].setdefault(name, {})
                for m in ms:
                    d[m] = float(row[m])
                    if boot:
                        d[m + "_ci"] = [float(lo.loc[key, m]), float(hi.loc[key, m])]
            for m in ms:
                g["overall"][m] = float(mf.overall[m])
                for k, v in agg.items():
                    g["aggregates"].setdefault(k, {})[m] = float(v[m])
        out["groupings"][" x ".join(cols)] = g
    out["compute_s"] = time.perf_counter() - t1
    out["read_s"] = read_s
    print(json.dumps({"compute_s": out["compute_s"], "read_s": read_s}))
    if a.json_out:
        with open(a.json_out, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
