#!/usr/bin/env python3
"""Telco churn peers: 5-fold stratified cross-validated ROC-AUC (seed 0) of scikit-learn's
LogisticRegression (one-hot + scaling), HistGradientBoostingClassifier, LightGBM (200 trees) and
XGBoost on the IBM Telco CSV, as `erosion train --label Churn --positive Yes --id customerID`
sees it (every other column an input, TotalCharges' blanks missing).

    python telco_peer.py --csv Telco-Customer-Churn.csv --json-out telco_peer.json [--runs 3]

Writes, per model: the mean and sample standard deviation of the per-fold ROC-AUC (what
`erosion train --metrics-out` reports) and the wall seconds of each repetition of the whole
cross-validation (fit + predict of the 5 folds).
"""

import argparse
import json
import statistics
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def load(path):
    df = pd.read_csv(path)
    y = (df.pop("Churn") == "Yes").astype(int).to_numpy()
    df = df.drop(columns=["customerID"])
    df["TotalCharges"] = pd.to_numeric(df["TotalCharges"].str.strip().replace("", np.nan), errors="coerce")
    cats = [c for c in df.columns if df[c].dtype == object]
    for c in cats:
        df[c] = df[c].astype("category")
    return df, y, cats


def makers(cats, nums):
    def logistic():
        pre = ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), nums),
            ("cat", OneHotEncoder(handle_unknown="ignore"), cats),
        ])
        return make_pipeline(pre, LogisticRegression(max_iter=2000))

    def hgb():
        return HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)

    def lightgbm():
        import lightgbm as lgb
        return lgb.LGBMClassifier(n_estimators=200, random_state=0, verbose=-1)

    def xgboost():
        import xgboost as xgb
        return xgb.XGBClassifier(n_estimators=200, tree_method="hist", enable_categorical=True,
                                 random_state=0)

    return {"logistic": logistic, "hgb": hgb, "lightgbm": lightgbm, "xgboost": xgboost}


def cv_auc(make, x, y, seed):
    aucs = []
    for tr, va in StratifiedKFold(n_splits=5, shuffle=True, random_state=seed).split(x, y):
        m = make()
        m.fit(x.iloc[tr], y[tr])
        aucs.append(roc_auc_score(y[va], m.predict_proba(x.iloc[va])[:, 1]))
    return aucs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--json-out", required=True)
    ap.add_argument("--models", default="logistic,hgb,lightgbm,xgboost")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    x, y, cats = load(a.csv)
    nums = [c for c in x.columns if c not in cats]
    mk = makers(cats, nums)
    out = {"rows": int(len(y)), "positives": int(y.sum()), "models": {}}
    for name in a.models.split(","):
        try:
            walls, aucs = [], None
            for _ in range(a.runs):
                t0 = time.perf_counter()
                aucs = cv_auc(mk[name], x, y, a.seed)
                walls.append(time.perf_counter() - t0)
            out["models"][name] = {"auc_mean": float(np.mean(aucs)), "auc_std": float(statistics.stdev(aucs)),
                                   "auc_folds": [float(v) for v in aucs], "wall_s": walls}
        except ImportError as e:
            out["models"][name] = {"error": f"not installed: {e}"}
        print(name, out["models"][name], flush=True)
    with open(a.json_out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
