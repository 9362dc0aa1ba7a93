#!/usr/bin/env python3
"""Who does the nightly job score? Checks erosion-score's output against the simulator's truth.

    python population_check.py --scores scores.parquet --exclusions excluded.parquet \
        --truth truth.parquet --events events.parquet --as-of 2025-10-01 --json-out check.json

Reports, among the customers `erosion-score` scored: the share who had already churned by the
simulator's truth (latent churn date before as-of), how many had a `cancel` before as-of that no
purchase or visit followed, and how many of those got an action; the exclusions by reason; and the
ROC-AUC of the scores against the customers who churn in the 90 days from as-of by the truth.
"""

import argparse
import json

import pandas as pd
from sklearn.metrics import roc_auc_score


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scores", required=True)
    ap.add_argument("--exclusions", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--events", required=True)
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--json-out", required=True)
    a = ap.parse_args()
    as_of = pd.Timestamp(a.as_of)
    scores = pd.read_parquet(a.scores) if a.scores.endswith(".parquet") else pd.read_csv(a.scores)
    exc = pd.read_parquet(a.exclusions) if a.exclusions.endswith(".parquet") else pd.read_csv(a.exclusions)
    scores["customer_id"] = scores["customer_id"].astype(str)
    truth = pd.read_parquet(a.truth, columns=["customer_id", "churn_date"])
    truth["customer_id"] = truth["customer_id"].astype(str)
    churn = pd.to_datetime(truth.groupby("customer_id")["churn_date"].last())
    s_churn = churn.reindex(scores["customer_id"])
    already = (s_churn < as_of).fillna(False).to_numpy()

    ev = pd.read_parquet(a.events, columns=["customer_id", "timestamp", "event_type"])
    ev["customer_id"] = ev["customer_id"].astype(str)
    ev = ev[pd.to_datetime(ev["timestamp"]).dt.tz_localize(None) < as_of]
    ts = pd.to_datetime(ev["timestamp"]).dt.tz_localize(None)
    last_cancel = ts[ev["event_type"] == "cancel"].groupby(ev["customer_id"]).max()
    last_active = ts[ev["event_type"].isin(["purchase", "visit"])].groupby(ev["customer_id"]).max()
    cancelled = last_cancel[~(last_active.reindex(last_cancel.index) > last_cancel)].index
    scored_cancelled = scores["customer_id"].isin(cancelled)
    acted = scored_cancelled & (scores["recommended_action"].fillna("none") != "none")

    horizon_end = as_of + pd.Timedelta(days=90)
    will_churn = ((s_churn >= as_of) & (s_churn < horizon_end)).fillna(False).to_numpy()
    auc = None
    if 0 < will_churn.sum() < len(will_churn):
        auc = float(roc_auc_score(will_churn, scores["erosion_probability"]))
    out = {
        "scored": int(len(scores)),
        "excluded": {str(k): int(v) for k, v in exc["reason"].value_counts().sort_index().items()},
        "already_churned": int(already.sum()),
        "already_churned_share": float(already.mean()) if len(already) else None,
        "scored_after_cancel": int(scored_cancelled.sum()),
        "actions_after_cancel": int(acted.sum()),
        "flagged_share": float((scores["recommended_action"].fillna("none") != "none").mean()),
        "truth_churn_90d_auc": auc,
    }
    print(json.dumps(out, indent=1))
    with open(a.json_out, "w") as fh:
        json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
