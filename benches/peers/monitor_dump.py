#!/usr/bin/env python3
"""The drift statistics of erosion-monitor against SciPy and a Python PSI, at a million rows.

    python monitor_dump.py dump TRAIN.parquet TONIGHT.parquet DIR [--rows N]  # numeric columns as raw f64
    cargo run --release -p erosion-monitor --example drift_speed -- DIR 2
    python monitor_dump.py check DIR [--evidently]
    python monitor_dump.py evidently DIR [--rows N]    # Evidently alone, on tonight's first N rows
    python monitor_dump.py realised MONITOR.json SCORES.parquet LABELLED.parquet LABEL [--json-out F]

`realised` checks `erosion monitor --scores`' realised performance against scikit-learn on the same
rows: LABELLED.parquet is `erosion features --as-of` of the score file's night (its label column is
the bundle's definition, computed by the same code); the scored customers found there are the
labelled rows. ROC-AUC is compared with `roc_auc_score`, Brier with `brier_score_loss`, and the
rows and positives counted.

`dump --rows N` makes tonight exactly N rows (the table's rows, then its first rows again until N)
and also writes that table as DIR/tonight.parquet, so that the whole `erosion monitor` command can
be timed on the same rows.

`check` recomputes, for every column, SciPy's `ks_2samp(reference sample, tonight's non-missing
values)` (method "auto"), PSI from the reference's edges and shares (a reference implementation
written here: right-closed bins by searchsorted, shares floored at 1e-4) and
`jensenshannon(base=2)`, checks that the reference's sample is the training column's sorted
values at ranks (2i+1)n/(2*size), and prints the largest absolute differences. With
`--evidently` it times Evidently's DataDriftPreset on the same two tables and lists the columns
it calls drifted beside those with a KS statistic of at least 0.1 or a PSI above 0.2.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np

SKIP = {"customer_id", "cutoff", "churn", "erosion"}


def dump(train: str, tonight: str, out: str, rows: int | None) -> None:
    import polars as pl

    tr = pl.read_parquet(train)
    cols = [c for c, t in tr.schema.items() if c not in SKIP and t.is_numeric()]
    full = pl.read_parquet(tonight)
    if rows is not None:
        parts, have = [], 0
        while have < rows:
            parts.append(full.head(rows - have))
            have += parts[-1].height
        full = pl.concat(parts)
        full.write_parquet(f"{out}/tonight.parquet")
    cur = full.select(cols)
    open(f"{out}/names.txt", "w").write("\n".join(cols))
    for name, df in [("train", tr.select(cols)), ("tonight", cur)]:
        a = np.stack([df[c].cast(pl.Float64).fill_null(float("nan")).to_numpy() for c in cols])
        a.astype("<f8").tofile(f"{out}/{name}.f64")


def psi_reference(edges, ref_shares, values) -> float:
    bins = np.searchsorted(np.asarray(edges, dtype=float), values, side="left")
    counts = np.bincount(bins, minlength=len(edges) + 1).astype(float)
    actual = np.maximum(counts / counts.sum(), 1e-4)
    expected = np.maximum(np.asarray(ref_shares, dtype=float), 1e-4)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def check(out: str, evidently: bool) -> None:
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import ks_2samp

    names = open(f"{out}/names.txt").read().split("\n")
    res = json.load(open(f"{out}/drift.json"))
    train = np.fromfile(f"{out}/train.f64").reshape(len(names), -1)
    tonight = np.fromfile(f"{out}/tonight.f64").reshape(len(names), -1)
    worst = {"ks_statistic": 0.0, "ks_p_value": 0.0, "psi": 0.0, "jensen_shannon": 0.0}
    methods: dict[str, int] = {}
    samples_ok = True
    for i, c in enumerate(res["columns"]):
        tr = np.sort(train[i][~np.isnan(train[i])])
        size = len(c["sample"])
        ranks = ((2 * np.arange(size) + 1) * len(tr)) // (2 * size) if len(tr) > size else np.arange(len(tr))
        samples_ok &= bool(np.array_equal(tr[ranks], np.asarray(c["sample"])))
        v = tonight[i][~np.isnan(tonight[i])]
        if c["ks"] is None:
            continue
        r = ks_2samp(np.asarray(c["sample"]), v, method="auto")
        worst["ks_statistic"] = max(worst["ks_statistic"], abs(r.statistic - c["ks"]["statistic"]))
        worst["ks_p_value"] = max(worst["ks_p_value"], abs(r.pvalue - c["ks"]["p_value"]))
        methods[c["ks"]["method"]] = methods.get(c["ks"]["method"], 0) + 1
        worst["psi"] = max(worst["psi"], abs(psi_reference(c["edges"], c["shares"], v) - c["psi"]))
        js = jensenshannon(c["shares"], c["current"], base=2)
        worst["jensen_shannon"] = max(worst["jensen_shannon"], abs(js - c["jensen_shannon"]))
    out_json = {"columns": len(names), "rows_tonight": tonight.shape[1], "max_abs_difference": worst,
                "ks_methods": methods, "samples_are_the_rank_sample": samples_ok,
                "erosion_build_s": res["build_s"], "erosion_compare_s": res["compare_s"]}
    moved = sorted(c["name"] for c in res["columns"]
                   if c["ks"] and (c["ks"]["statistic"] >= 0.1 or (c["psi"] or 0) > 0.2))
    out_json["erosion_moved"] = moved
    if evidently:
        out_json["evidently"] = run_evidently(names, train, tonight)
    json.dump(out_json, open(f"{out}/check.json", "w"), indent=2)
    print(json.dumps(out_json, indent=2))


def run_evidently(names, train, tonight) -> dict:
    import evidently
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    t0 = time.perf_counter()
    ref = pd.DataFrame({n: train[i] for i, n in enumerate(names)})
    cur = pd.DataFrame({n: tonight[i] for i, n in enumerate(names)})
    dd = DataDefinition(numerical_columns=list(names))
    snap = Report([DataDriftPreset()]).run(Dataset.from_pandas(cur, data_definition=dd),
                                           Dataset.from_pandas(ref, data_definition=dd))
    result = snap.dict()
    wall = time.perf_counter() - t0
    drifted, methods = [], set()
    for m in result["metrics"]:
        cfg, value = m.get("config", {}), m.get("value")
        if not str(cfg.get("type", "")).endswith("ValueDrift") or not isinstance(value, (int, float)):
            continue
        method, threshold = str(cfg.get("method", "")), cfg.get("threshold")
        methods.add(method)
        if (value < threshold) if "p_value" in method else (value >= threshold):
            drifted.append(cfg["column"])
    return {"version": evidently.__version__, "wall_s": wall,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "methods": sorted(methods), "drifted": sorted(drifted)}


def realised(monitor_json: str, scores: str, labelled: str, label: str) -> dict:
    import polars as pl
    from sklearn.metrics import brier_score_loss, roc_auc_score

    report = json.load(open(monitor_json))
    night = next(n for n in report["realised"] if n["evaluated"] and n["file"].endswith(scores.split("/")[-1]))
    s = pl.read_parquet(scores).filter(pl.col("as_of").cast(pl.Utf8) == night["as_of"])
    lab = pl.read_parquet(labelled).select("customer_id", label).drop_nulls()
    j = s.join(lab, on="customer_id", how="inner")
    y, p = j[label].cast(pl.Int64).to_numpy(), j["erosion_probability"].to_numpy()
    overall = night["performance"][0]
    m = overall["metrics"]
    auc, brier = float(roc_auc_score(y, p)), float(brier_score_loss(y, p))
    return {"night": night["as_of"], "rows_erosion": overall["rows"], "rows_sklearn": int(len(y)),
            "positives_erosion": overall["positives"], "positives_sklearn": int(y.sum()),
            "roc_auc_erosion": m["roc_auc"], "roc_auc_sklearn": auc,
            "roc_auc_abs_difference": abs(m["roc_auc"] - auc),
            "brier_erosion": m["brier"], "brier_sklearn": brier,
            "brier_abs_difference": abs(m["brier"] - brier)}


def rows_flag() -> int | None:
    return int(sys.argv[sys.argv.index("--rows") + 1]) if "--rows" in sys.argv else None


def evidently_only(out: str, rows: int | None) -> None:
    """Evidently's DataDriftPreset alone (no SciPy check in the same process), for /usr/bin/time."""
    names = open(f"{out}/names.txt").read().split("\n")
    train = np.fromfile(f"{out}/train.f64").reshape(len(names), -1)
    tonight = np.fromfile(f"{out}/tonight.f64").reshape(len(names), -1)
    if rows is not None:
        tonight = np.ascontiguousarray(tonight[:, :rows])
    res = run_evidently(names, train, tonight)
    res["rows_tonight"], res["rows_reference"] = tonight.shape[1], train.shape[1]
    path = f"{out}/evidently-{tonight.shape[1]}.json"
    json.dump(res, open(path, "w"), indent=2)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(sys.argv[2], sys.argv[3], sys.argv[4], rows_flag())
    elif sys.argv[1] == "realised":
        res = realised(*sys.argv[2:6])
        if "--json-out" in sys.argv:
            json.dump(res, open(sys.argv[sys.argv.index("--json-out") + 1], "w"), indent=2)
        print(json.dumps(res, indent=2))
    elif sys.argv[1] == "evidently":
        evidently_only(sys.argv[2], rows_flag())
    else:
        check(sys.argv[2], "--evidently" in sys.argv)
