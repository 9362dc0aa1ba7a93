"""Peers for erosion-models' Telco bar: scikit-learn and LightGBM, stratified 5-fold, seed 0, ROC-AUC.

Setup (a virtualenv outside the repository, packages from PyPI):
    python3 -m venv /work/venv-models
    /work/venv-models/bin/pip install numpy pandas scikit-learn lightgbm
Run:
    /work/venv-models/bin/python benches/peers/telco_peers_cv_split.py \
        ../shared/data/telco-customer-churn/Telco-Customer-Churn.csv

Same table preparation as `examples/telco_cv.rs`: target Churn == "Yes", customerID dropped, every
other column an input; numeric-looking columns are numbers (blank TotalCharges = missing), the rest
one-hot encoded. Two fold assignments are reported:
  - sklearn: StratifiedKFold(5, shuffle=True, random_state=0), the protocol of the quoted peer numbers;
  - erosion: the exact folds of erosion-models (per class, SplitMix64(0) Fisher-Yates shuffle, dealt
    round robin), so that the Rust numbers and these are on identical splits.
"""
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
import lightgbm as lgb

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


def erosion_folds(y, k=5, seed=0):
    """Identical to erosion_models::stratified_k_fold."""
    fold = np.zeros(len(y), dtype=int)
    rng = SplitMix64(seed)
    for cls in (0, 1):
        idx = [i for i in range(len(y)) if y[i] == cls]
        for i in range(len(idx) - 1, 0, -1):
            j = rng.below(i + 1)
            idx[i], idx[j] = idx[j], idx[i]
        for pos, i in enumerate(idx):
            fold[i] = pos % k
    return [(np.where(fold != f)[0], np.where(fold == f)[0]) for f in range(k)]


def load(path):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    y = (df["Churn"] == "Yes").astype(int).to_numpy()
    df = df.drop(columns=["customerID", "Churn"])
    cols = []
    for c in df.columns:
        s = df[c].str.strip()
        num = pd.to_numeric(s.replace("", np.nan), errors="coerce")
        if num.notna().sum() == (s != "").sum():
            cols.append(num.rename(c))
        else:
            cols.append(pd.get_dummies(s, prefix=c, prefix_sep="=").astype(float))
    return pd.concat(cols, axis=1).to_numpy(dtype=float), y


MODELS = {
    "sklearn LogisticRegression (C=1, median impute, scaled)": lambda: make_pipeline(
        SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(C=1.0, max_iter=5000)
    ),
    "sklearn RandomForest (300 trees, min_samples_leaf=10)": lambda: make_pipeline(
        SimpleImputer(strategy="median"),
        RandomForestClassifier(n_estimators=300, min_samples_leaf=10, n_jobs=2, random_state=0),
    ),
    "sklearn HistGradientBoosting (defaults)": lambda: HistGradientBoostingClassifier(random_state=0),
    "LightGBM (200 trees, defaults)": lambda: lgb.LGBMClassifier(n_estimators=200, verbose=-1, n_jobs=2),
}


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/telco-customer-churn/Telco-Customer-Churn.csv"
    x, y = load(path)
    print(f"Telco: {x.shape[0]} rows x {x.shape[1]} features, churn rate {y.mean():.4f}")
    splits = {
        "sklearn folds": list(StratifiedKFold(5, shuffle=True, random_state=0).split(x, y)),
        "erosion folds": erosion_folds(y),
    }
    print(f"{'model':<58} {'folds':<14} {'ROC-AUC':>8} {'std':>7} {'secs':>6}")
    for name, make in MODELS.items():
        for split_name, folds in splits.items():
            t = time.time()
            aucs = []
            for tr, te in folds:
                m = make().fit(x[tr], y[tr])
                aucs.append(roc_auc_score(y[te], m.predict_proba(x[te])[:, 1]))
            print(
                f"{name:<58} {split_name:<14} {np.mean(aucs):>8.4f} {np.std(aucs, ddof=1):>7.4f} {time.time() - t:>6.2f}"
            )


if __name__ == "__main__":
    main()
