#!/usr/bin/env python3
"""`erosion monitor` against SciPy, a Python PSI and Evidently, on the same two tables.

    python monitor_peer.py --model model.json --reference train.parquet --current tonight.parquet \
        --monitor-json out/monitor.json [--evidently] --json-out result.json

1. Exactness: for every numeric input (and the score, when `--scores` gives tonight's
   `erosion_probability` column) of the `overall` scope of monitor.json, SciPy's
   `ks_2samp(reference sample, tonight's non-missing values)` (method "auto") against erosion's
   statistic and p-value; PSI recomputed here from the bundle's bin edges and shares (right-closed
   bins, shares floored at 1e-4) and the Jensen-Shannon distance by
   `scipy.spatial.distance.jensenshannon(base=2)`; the largest absolute differences.
2. With `--evidently`: Evidently's data-drift report (DataDriftPreset, its defaults) on the model's
   inputs of the reference table and the current one, timed in this process (wall seconds,
   peak resident memory from resource.getrusage), and the set of columns it calls drifted.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import polars as pl
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp


def read_bundle(path: str) -> dict:
    with open(path, "rb") as f:
        f.readline()
        return json.loads(f.read())


def psi_reference(edges: list[float], ref_shares: list[float], values: np.ndarray) -> float:
    """PSI written independently: right-closed bins by searchsorted, shares floored at 1e-4."""
    bins = np.searchsorted(np.asarray(edges, dtype=float), values, side="left")
    counts = np.bincount(bins, minlength=len(edges) + 1).astype(float)
    actual = np.maximum(counts / counts.sum(), 1e-4)
    expected = np.maximum(np.asarray(ref_shares, dtype=float), 1e-4)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def exactness(bundle: dict, monitor: dict, current: pl.DataFrame) -> dict:
    refs = {r["name"]: r for r in bundle["reference"]["inputs"]}
    overall = next(s for s in monitor["drift"] if s["scope"] == "overall")
    worst = {"ks_statistic": 0.0, "ks_p_value": 0.0, "psi": 0.0, "jensen_shannon": 0.0}
    checked = 0
    methods = {"exact": 0, "asymptotic": 0}
    for d in overall["inputs"]:
        ref = refs[d["input"]]
        dist = ref["distribution"]
        if dist["kind"] != "numeric" or d["ks"] is None:
            continue
        values = current[d["input"]].cast(pl.Float64).to_numpy()
        values = values[~np.isnan(values)]
        r = ks_2samp(np.asarray(dist["sample"], dtype=float), values, method="auto")
        worst["ks_statistic"] = max(worst["ks_statistic"], abs(r.statistic - d["ks"]["statistic"]))
        worst["ks_p_value"] = max(worst["ks_p_value"], abs(r.pvalue - d["ks"]["p_value"]))
        methods[d["ks"]["method"]] += 1
        psi = psi_reference(dist["edges"], dist["shares"], values)
        worst["psi"] = max(worst["psi"], abs(psi - d["psi"]))
        cur = [b["current"] for b in d["buckets"]]
        js = jensenshannon(dist["shares"], cur, base=2)
        worst["jensen_shannon"] = max(worst["jensen_shannon"], abs(js - d["jensen_shannon"]))
        checked += 1
    return {"numeric_inputs_checked": checked, "max_abs_difference": worst, "ks_methods": methods}


def evidently_report(bundle: dict, reference: pl.DataFrame, current: pl.DataFrame) -> dict:
    import evidently
    from evidently import Dataset, DataDefinition, Report
    from evidently.presets import DataDriftPreset

    names = [r["name"] for r in bundle["reference"]["inputs"]]
    num = [r["name"] for r in bundle["reference"]["inputs"] if r["distribution"]["kind"] == "numeric"]
    cat = [n for n in names if n not in num]
    t0 = time.perf_counter()
    ref_pd = reference.select(names).to_pandas()
    cur_pd = current.select(names).to_pandas()
    definition = DataDefinition(numerical_columns=num, categorical_columns=cat)
    report = Report([DataDriftPreset()])
    snap = report.run(
        Dataset.from_pandas(cur_pd, data_definition=definition),
        Dataset.from_pandas(ref_pd, data_definition=definition),
    )
    result = snap.dict()
    wall = time.perf_counter() - t0
    drifted = []
    methods = set()
    for m in result.get("metrics", []):
        cfg = m.get("config", {})
        value = m.get("value")
        if not str(cfg.get("type", "")).endswith("ValueDrift") or not isinstance(value, (int, float)):
            continue
        method, threshold = str(cfg.get("method", "")), cfg.get("threshold")
        methods.add(method)
        # p-value methods drift below their threshold, distance methods at or above it
        if threshold is not None and ((value < threshold) if "p_value" in method else (value >= threshold)):
            drifted.append(cfg["column"])
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "wall_s": wall,
        "peak_rss_mb": peak_kb / 1024,
        "drifted": sorted(drifted),
        "methods": sorted(methods),
        "columns": len(names),
        "evidently": evidently.__version__,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--reference", required=True)
    ap.add_argument("--current", required=True)
    ap.add_argument("--monitor-json", required=True)
    ap.add_argument("--alerts-json")
    ap.add_argument("--evidently", action="store_true")
    ap.add_argument("--json-out", required=True)
    a = ap.parse_args()
    bundle = read_bundle(a.model)
    with open(a.monitor_json) as f:
        monitor = json.load(f)
    current = pl.read_parquet(a.current)
    out = {"exactness": exactness(bundle, monitor, current)}
    if a.alerts_json:
        with open(a.alerts_json) as f:
            alerts = json.load(f)
        out["erosion_alerted_inputs"] = sorted(
            {x["input"] for x in alerts if x["scope"] == "overall" and x["statistic"] in ("psi", "ks")}
        )
    if a.evidently:
        reference = pl.read_parquet(a.reference)
        out["evidently"] = evidently_report(bundle, reference, current)
    with open(a.json_out, "w") as f:
        json.dump(out, f, indent=2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
