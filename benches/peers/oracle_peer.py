#!/usr/bin/env python3
"""Oracle for simulated churn: models that know the simulator's latent truth at the cutoff.

    python oracle_peer.py --features features.parquet --truth truth.parquet \
        --customers customers.parquet --cutoff 2025-10-01 --target churn --json-out oracle.json

Rows and labels are erosion's (`erosion features` at the cutoff; rows whose label is observed).
The oracle's inputs come from `truth.parquet` only as of the cutoff (month ends before it), so
it knows what no observer can (the hidden trust path, whether and when the customer already
churned, the hidden privacy sensitivity and personalisation tolerance) but nothing of the future:

- trust at the last month end before the cutoff and 1, 3, 6 and 12 months earlier, its minimum
  and mean over the last 6 months;
- already churned before the cutoff (latent churn date < cutoff) and days since;
- already eroded before the cutoff (first erosion date < cutoff);
- privacy sensitivity, personalisation tolerance, and the customer's tier (standard and
  premium customers emit `cancel` when they churn).

Models: LightGBM (300 trees, seed 0) and a logistic regression on those columns, and again on the
latent traits alone (without `churned_before` and `days_since_churn`: the oracle of issue 13,
"trust, privacy sensitivity, tolerance"), 5-fold
stratified cross-validated ROC-AUC (seed 0), and the naive score −trust for reference; and, as the
peer on the same observed information, LightGBM (300 trees) on erosion's own feature table with the
same folds.

The rows are erosion's population at the cutoff (what `erosion features` writes): the script also
reports the share of them who had already churned by the simulator's truth (latent churn date
before the cutoff), the question the population rule must answer.
"""

import argparse
import json
import statistics
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


# What the latent truth knows that no trait does: that the customer already left, silently, before
# the cutoff (the simulator stops their events; no observer can know it until time tells).
SILENT_EXIT = ("churned_before", "days_since_churn")


def oracle_table(truth, customers, cutoff):
    cut = pd.Timestamp(cutoff)
    t = truth.copy()
    t["month_end"] = pd.to_datetime(t["month_end"])
    t = t[t["month_end"] < cut].sort_values(["customer_id", "month_end"])
    piv = t.pivot_table(index="customer_id", columns="month_end", values="trust", aggfunc="last")
    piv = piv.reindex(sorted(piv.columns), axis=1)
    last = piv.columns[-1]
    f = pd.DataFrame(index=piv.index)
    for k in (0, 1, 3, 6, 12):
        if len(piv.columns) > k:
            f[f"trust_m{k}"] = piv[piv.columns[-1 - k]]
    f["trust_min6"] = piv[piv.columns[-6:]].min(axis=1)
    f["trust_mean6"] = piv[piv.columns[-6:]].mean(axis=1)
    f["trust_change3"] = f["trust_m0"] - f.get("trust_m3")
    static = t.groupby("customer_id").last()
    churn_date = pd.to_datetime(static["churn_date"])
    f["churned_before"] = (churn_date < cut).astype(float).reindex(f.index)
    f["days_since_churn"] = ((cut - churn_date).dt.days.where(churn_date < cut)).reindex(f.index)
    ero = pd.to_datetime(static["first_erosion_date"])
    f["eroded_before"] = (ero < cut).astype(float).reindex(f.index)
    f["privacy_sensitivity"] = static["privacy_sensitivity"].reindex(f.index)
    f["personalization_tolerance"] = static["personalization_tolerance"].reindex(f.index)
    tier = customers.set_index("customer_id")["tier"].reindex(f.index)
    for v in ("standard", "premium"):
        f[f"tier_{v}"] = (tier == v).astype(float)
    f.attrs["last_month_end"] = str(last.date())
    return f


def cv(make, x, y):
    aucs = []
    for tr, va in StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(x, y):
        m = make()
        m.fit(x.iloc[tr], y[tr])
        aucs.append(roc_auc_score(y[va], m.predict_proba(x.iloc[va])[:, 1]))
    return {"auc_mean": float(np.mean(aucs)), "auc_std": float(statistics.stdev(aucs)), "auc_folds": aucs}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--features", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--customers", required=True)
    ap.add_argument("--cutoff", required=True)
    ap.add_argument("--target", default="churn")
    ap.add_argument("--json-out", required=True)
    a = ap.parse_args()
    t0 = time.perf_counter()
    full = pd.read_parquet(a.features)
    full["customer_id"] = full["customer_id"].astype(str)
    e = full.dropna(subset=[a.target]).reset_index(drop=True)
    truth = pd.read_parquet(a.truth)
    truth["customer_id"] = truth["customer_id"].astype(str)
    cust = pd.read_parquet(a.customers, columns=["customer_id", "tier"])
    cust["customer_id"] = cust["customer_id"].astype(str)
    f = oracle_table(truth, cust, a.cutoff)
    x = f.reindex(e["customer_id"]).reset_index(drop=True)
    y = e[a.target].astype(int).to_numpy()
    everyone = f.reindex(full["customer_id"])
    already = everyone["churned_before"].fillna(0.0)
    out = {"rows": int(len(y)), "positives": int(y.sum()), "missing_truth_rows": int(x["trust_m0"].isna().sum()),
           "population_rows": int(len(full)), "already_churned_share": float(already.mean()),
           "last_month_end": f.attrs["last_month_end"], "columns": list(x.columns), "models": {}}
    import lightgbm as lgb
    t1 = time.perf_counter()
    out["models"]["lightgbm"] = cv(lambda: lgb.LGBMClassifier(n_estimators=300, learning_rate=0.05, random_state=0, verbose=-1), x, y)
    out["models"]["lightgbm"]["wall_s"] = time.perf_counter() - t1
    own = e.drop(columns=[c for c in ("customer_id", "cutoff", "churn", "erosion") if c in e.columns])
    t1 = time.perf_counter()
    out["models"]["lightgbm_features"] = cv(lambda: lgb.LGBMClassifier(n_estimators=300, learning_rate=0.05, random_state=0, verbose=-1), own, y)
    out["models"]["lightgbm_features"]["wall_s"] = time.perf_counter() - t1
    xf = x.fillna({"days_since_churn": -1}).fillna(x.median(numeric_only=True))
    t1 = time.perf_counter()
    out["models"]["logistic"] = cv(lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)), xf, y)
    out["models"]["logistic"]["wall_s"] = time.perf_counter() - t1
    # The oracle of the issue that set the bar: the latent traits (trust path, privacy
    # sensitivity, personalisation tolerance, tier) without knowing who already left silently.
    traits = [c for c in xf.columns if c not in SILENT_EXIT]
    t1 = time.perf_counter()
    out["models"]["lightgbm_traits"] = cv(lambda: lgb.LGBMClassifier(n_estimators=300, learning_rate=0.05, random_state=0, verbose=-1), x[traits], y)
    out["models"]["lightgbm_traits"]["wall_s"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    out["models"]["logistic_traits"] = cv(lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)), xf[traits], y)
    out["models"]["logistic_traits"]["wall_s"] = time.perf_counter() - t1
    out["traits_columns"] = traits
    out["models"]["minus_trust"] = {"auc_mean": float(roc_auc_score(y, -xf["trust_m0"].to_numpy()))}
    out["wall_s"] = time.perf_counter() - t0
    print(json.dumps(out["models"], indent=1))
    with open(a.json_out, "w") as fh:
        json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
