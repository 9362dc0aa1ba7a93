#!/usr/bin/env python3
"""CDNOW churn peers: LightGBM on 8 RFM features and the BG/NBD model (`lifetimes`), on the
same cutoff and label as `erosion features --as-of 1997-10-01 --horizon 273d`.

    python cdnow_peer.py --events CDNOW_master.txt --json-out cdnow_peer.json \
        [--erosion-features cdnow_features.parquet] [--runs 3]

Label: churn = no purchase in [cutoff, cutoff + horizon) among customers with a purchase before
the cutoff (all of CDNOW's, who joined in 1997-Q1). With --erosion-features, the rows are
erosion's (same customers) and the label agreement with erosion's `churn` column is reported.

- LightGBM (200 trees, seed 0) on recency, frequency, monetary total, mean order value, tenure
  (days since the first purchase), purchases and dollars in the last 90 days, CDs bought:
  5-fold stratified cross-validated ROC-AUC (seed 0), mean over folds.
- BG/NBD (`lifetimes.BetaGeoFitter`, penalizer 0.001) fitted on the calibration period (it needs
  no label): the score is minus the expected number of purchases in the horizon; ROC-AUC on all
  rows (no folds: the label never reaches the fit).
"""

import argparse
import json
import statistics
import time

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold


def rfm(events, cutoff, horizon_days):
    cut = pd.Timestamp(cutoff)
    end = cut + pd.Timedelta(days=horizon_days)
    before = events[events.date < cut]
    after = events[(events.date >= cut) & (events.date < end)]
    g = before.groupby("customer_id")
    last, first = g.date.max(), g.date.min()
    recent = before[before.date >= cut - pd.Timedelta(days=90)].groupby("customer_id")
    f = pd.DataFrame({
        "recency_days": (cut - last).dt.days,
        "frequency": g.size(),
        "monetary": g.dollar_value.sum(),
        "mean_order": g.dollar_value.mean(),
        "tenure_days": (cut - first).dt.days,
        "purchases_90d": recent.size(),
        "dollars_90d": recent.dollar_value.sum(),
        "cds": g.cds.sum(),
    }).fillna({"purchases_90d": 0, "dollars_90d": 0.0})
    buyers = set(after.customer_id)
    f["churn"] = [0 if c in buyers else 1 for c in f.index]
    # BG/NBD summary in days: repeat purchase days, time of the last repeat after the first, age.
    days = before.drop_duplicates(["customer_id", "date"]).groupby("customer_id").date
    f["bg_frequency"] = days.count() - 1
    f["bg_recency"] = (days.max() - days.min()).dt.days
    f["bg_T"] = (cut - days.min()).dt.days
    return f


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", required=True)
    ap.add_argument("--cutoff", default="1997-10-01")
    ap.add_argument("--horizon-days", type=int, default=273)
    ap.add_argument("--erosion-features")
    ap.add_argument("--json-out", required=True)
    ap.add_argument("--runs", type=int, default=1)
    a = ap.parse_args()
    # CDNOW_master.txt: a header line (customer_id date number_of_cds dollar_value), whitespace.
    ev = pd.read_csv(a.events, sep=r"\s+", header=0, names=["customer_id", "date", "cds", "dollar_value"],
                     dtype={"customer_id": str, "date": str})
    ev["customer_id"] = ev["customer_id"].astype(int).astype(str)
    ev["date"] = pd.to_datetime(ev["date"], format="%Y%m%d")
    f = rfm(ev, a.cutoff, a.horizon_days)
    out = {"cutoff": a.cutoff, "horizon_days": a.horizon_days}
    if a.erosion_features:
        e = pd.read_parquet(a.erosion_features, columns=["customer_id", "churn"])
        e["customer_id"] = e["customer_id"].astype(str).str.strip().astype(int).astype(str)
        e = e.dropna(subset=["churn"]).set_index("customer_id")
        common = f.index.intersection(e.index)
        agree = float((f.loc[common, "churn"].to_numpy() == e.loc[common, "churn"].astype(int).to_numpy()).mean())
        out["label_check"] = {"erosion_rows": int(len(e)), "peer_rows": int(len(f)), "common": int(len(common)),
                              "label_agreement": agree}
        f = f.loc[common]
    y = f["churn"].to_numpy()
    out["rows"], out["positives"] = int(len(y)), int(y.sum())
    cols = ["recency_days", "frequency", "monetary", "mean_order", "tenure_days", "purchases_90d", "dollars_90d", "cds"]
    x = f[cols].astype(float)

    import lightgbm as lgb
    walls = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        aucs = []
        for tr, va in StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(x, y):
            m = lgb.LGBMClassifier(n_estimators=200, random_state=0, verbose=-1)
            m.fit(x.iloc[tr], y[tr])
            aucs.append(roc_auc_score(y[va], m.predict_proba(x.iloc[va])[:, 1]))
        walls.append(time.perf_counter() - t0)
    out["lightgbm"] = {"auc_mean": float(np.mean(aucs)), "auc_std": float(statistics.stdev(aucs)),
                       "auc_folds": [float(v) for v in aucs], "wall_s": walls}
    print("lightgbm", out["lightgbm"], flush=True)

    try:
        from lifetimes import BetaGeoFitter
        walls = []
        for _ in range(a.runs):
            t0 = time.perf_counter()
            bg = BetaGeoFitter(penalizer_coef=0.001)
            bg.fit(f["bg_frequency"], f["bg_recency"], f["bg_T"])
            exp = bg.conditional_expected_number_of_purchases_up_to_time(
                a.horizon_days, f["bg_frequency"], f["bg_recency"], f["bg_T"])
            walls.append(time.perf_counter() - t0)
        out["bgnbd"] = {"auc": float(roc_auc_score(y, -np.asarray(exp, dtype=float))), "wall_s": walls}
        alive = bg.conditional_probability_alive(f["bg_frequency"], f["bg_recency"], f["bg_T"])
        out["bgnbd"]["auc_p_alive"] = float(roc_auc_score(y, -np.asarray(alive, dtype=float)))
    except Exception as e:  # noqa: BLE001 - lifetimes is old; report what broke
        out["bgnbd"] = {"error": f"{type(e).__name__}: {e}"}
    print("bgnbd", out["bgnbd"], flush=True)
    with open(a.json_out, "w") as fh:
        json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
