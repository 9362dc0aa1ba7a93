#!/usr/bin/env python3
"""Forecasting peers: statsforecast's AutoETS, AutoARIMA and AutoTheta on one core, and the M4
organisers' accuracy measures for them and for erosion's forecasts on the same files.

M4 Weekly (wide train/test CSVs):

    python m4_peer.py --train Weekly-train.csv --test Weekly-test.csv --horizon 13 --season 52 \
        --models AutoETS,AutoARIMA,AutoTheta --evaluate erosion_auto=auto.csv --json-out m4.json

  For each statsforecast model: wall and CPU seconds of `StatsForecast(n_jobs=1).forecast` (after
  a warm-up on one series, so numba's compilation is not counted) and sMAPE, MASE (in-sample
  naive scale, lag 1 as M4-info gives for Weekly) and OWA against Naive2 computed here on the
  same files (Weekly has frequency 1 in M4, so Naive2 is the plain naive). `--evaluate NAME=FILE`
  scores a forecast file of `erosion forecast --format m4` (columns series_id, ds, yhat) the same
  way.

Scale (many short weekly series, long format):

    python m4_peer.py --make-scale scale.csv --series 10000 --weeks 104      # seeded, synthetic
    python m4_peer.py --long scale.csv --horizon 13 --season 52 --models AutoETS --json-out s.json

--models takes NAME or NAME:SEASON (e.g. AutoETS:1 for the non-seasonal AutoETS); results are
keyed NAME:SEASON.
"""

import argparse
import csv
import json
import math
import os
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def read_wide(path):
    rows = []
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for rec in reader:
            rows.append((rec[0], np.array([float(c) for c in rec[1:] if c != ""])))
    return rows


def smape(y, f):
    d = np.abs(y) + np.abs(f)
    return float(np.mean(np.where(d == 0, 0.0, 200.0 * np.abs(y - f) / np.where(d == 0, 1.0, d))))


def mase(ins, y, f, m):
    m = m if len(ins) > m else 1
    scale = float(np.mean(np.abs(ins[m:] - ins[:-m])))
    if scale <= 0:
        scale = float(np.mean(np.abs(ins))) or 1.0
    return float(np.mean(np.abs(y - f))) / scale


def seasonality_test(y, m):
    """The M4 organisers' 90 % autocorrelation test for seasonality at lag m."""
    n = len(y)
    if m < 2 or n < 3 * m:
        return False
    mu = y.mean()
    den = float(np.sum((y - mu) ** 2))
    if den <= 0:
        return False
    r = [float(np.sum((y[k:] - mu) * (y[:-k] - mu)) / den) for k in range(1, m + 1)]
    limit = 1.645 * math.sqrt((1 + 2 * sum(v * v for v in r[:-1])) / n)
    return abs(r[-1]) > limit


def naive2(y, m, h):
    """Naive2: the naive forecast of the seasonally adjusted series (classical multiplicative
    decomposition) when the series passes the test at lag m, the plain naive otherwise (always,
    for m = 1, which M4 gives Weekly)."""
    if m > 1 and seasonality_test(y, m) and np.all(y > 0):
        from statsmodels.tsa.seasonal import seasonal_decompose

        si = seasonal_decompose(y, model="multiplicative", period=m).seasonal
        n = len(y)
        last = y[-1] / si[-1]
        return np.array([last * si[(n - m) + (i % m)] for i in range(h)])
    return np.repeat(y[-1], h)


def evaluate(train, test, fc, m):
    s = float(np.mean([smape(te, f) for (_, te), f in zip(test, fc)]))
    q = float(np.mean([mase(tr, te, f, m) for (_, tr), (_, te), f in zip(train, test, fc)]))
    return s, q


def make_scale(path, n, weeks, seed=0):
    """NPS-like weekly levels with drift, a yearly cycle and noise; every fourth series a
    zero-heavy complaint rate."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-02")
    ds = (start + np.arange(weeks) * np.timedelta64(7, "D")).astype(str)
    t = np.arange(weeks)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["series_id", "ds", "y"])
        for k in range(n):
            if k % 4 == 3:
                y = rng.poisson(rng.uniform(0.2, 3.0), weeks) / 100.0
            else:
                level = rng.uniform(20, 60)
                y = (level + rng.normal(0, 0.05) * t + rng.uniform(0, 6) * np.sin(2 * np.pi * t / 52 + rng.uniform(0, 6.3))
                     + rng.normal(0, rng.uniform(1, 5), weeks))
            sid = f"s{k:05d}"
            for d, v in zip(ds, y):
                w.writerow([sid, d, f"{v:.4f}"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train")
    ap.add_argument("--test")
    ap.add_argument("--long", help="long table series_id, ds, y (scale benchmark)")
    ap.add_argument("--make-scale")
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--horizon", type=int, default=13)
    ap.add_argument("--season", type=int, default=52)
    ap.add_argument("--mase-m", type=int, default=1)
    ap.add_argument("--models", default="AutoETS,AutoARIMA,AutoTheta")
    ap.add_argument("--evaluate", action="append", default=[], help="NAME=FILE: an erosion forecast file")
    ap.add_argument("--json-out")
    a = ap.parse_args()

    if a.make_scale:
        make_scale(a.make_scale, a.series, a.weeks)
        return

    h, m = a.horizon, a.season
    out = {"horizon": h, "season": m, "models": {}}
    if a.long:
        df = pd.read_csv(a.long, dtype={"series_id": str})
        df = df.rename(columns={"series_id": "unique_id"})
        df["ds"] = pd.to_datetime(df["ds"])
        freq = "W-MON"
        train = test = None
    else:
        train, test = read_wide(a.train), read_wide(a.test)
        df = pd.concat([pd.DataFrame({"unique_id": sid, "ds": np.arange(1, len(y) + 1), "y": y}) for sid, y in train],
                       ignore_index=True)
        freq = 1
        n2 = evaluate(train, test, [naive2(y, a.mase_m, h) for _, y in train], a.mase_m)
        out["naive2"] = {"smape": n2[0], "mase": n2[1]}
    out["series"] = int(df["unique_id"].nunique())

    def score(fc):
        s, q = evaluate(train, test, fc, a.mase_m)
        return {"smape": s, "mase": q, "owa": 0.5 * (s / n2[0] + q / n2[1])}

    for spec in a.evaluate:
        name, _, path = spec.partition("=")
        e = pd.read_csv(path, dtype={"series_id": str})
        e["step"] = pd.to_numeric(e["ds"])
        by_id = {sid: g.sort_values("step")["yhat"].to_numpy()[:h] for sid, g in e.groupby("series_id", sort=False)}
        missing = [sid for sid, _ in train if sid not in by_id]
        if missing:
            out["models"][name] = {"error": f"{len(missing)} series missing, e.g. {missing[0]}"}
            continue
        fc = [by_id[sid] for sid, _ in train]
        r = score(fc)
        if "model" in e:
            # "auto: combination -> mean(...)": keep what auto chose, before the details.
            kind = e.groupby("series_id")["model"].first().map(
                lambda x: str(x).split(" -> ")[0].removeprefix("auto:").strip()[:40])
            counts = kind.value_counts().head(6)
            r["chosen"] = {str(k): int(v) for k, v in counts.items()}
        out["models"][name] = r
        print(name, r, file=sys.stderr, flush=True)

    if a.models:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoARIMA, AutoETS, AutoTheta
        makers = {"AutoETS": AutoETS, "AutoARIMA": AutoARIMA, "AutoTheta": AutoTheta}
        first = df["unique_id"].iloc[0]
        warm = df[df["unique_id"] == first]
        for spec in a.models.split(","):
            # NAME or NAME:SEASON (a season length of its own); results keyed NAME:SEASON.
            name, _, sl = spec.partition(":")
            sl = int(sl) if sl else m
            StatsForecast(models=[makers[name](season_length=sl)], freq=freq, n_jobs=1).forecast(df=warm, h=h)
            sf = StatsForecast(models=[makers[name](season_length=sl)], freq=freq, n_jobs=1)
            t0, c0 = time.perf_counter(), time.process_time()
            fc = sf.forecast(df=df, h=h)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            col = [c for c in fc.columns if c not in ("unique_id", "ds")][0]
            r = {"wall_s": wall, "cpu_s": cpu, "nan": int(fc[col].isna().sum())}
            if train is not None:
                by_id = {sid: g[col].to_numpy() for sid, g in fc.groupby("unique_id", sort=False)}
                r.update(score([by_id[sid] for sid, _ in train]))
            out["models"][f"{name}:{sl}"] = r
            print(f"{name}:{sl}", r, file=sys.stderr, flush=True)
            if a.json_out:  # as we go: a run cut short keeps the models it finished
                with open(a.json_out, "w") as fh:
                    json.dump(out, fh, indent=1)

    if a.json_out:
        with open(a.json_out, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
