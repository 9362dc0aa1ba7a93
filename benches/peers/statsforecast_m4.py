#!/usr/bin/env python3
"""Peer benchmark: statsforecast 2.x on an M4 subset, evaluated as the M4 organisers do.

Runs AutoETS, AutoARIMA, Theta and AutoTheta (season length --season; statsforecast itself
drops the seasonal part of AutoETS for seasons over 24) on one core, and prints sMAPE, MASE
(in-sample naive scale at lag --mase-m), OWA against Naive2 and wall and CPU time per model.

Setup (outside the repository):
    python3 -m venv /work/venv-forecast
    /work/venv-forecast/bin/pip install "statsforecast>=2,<3" pandas
Run:
    /work/venv-forecast/bin/python statsforecast_m4.py Weekly-train.csv Weekly-test.csv
The Rust example `m4_eval --peer-python PY` calls it with --tsv and prints its rows beside
erosion's.
"""

import argparse
import os
import sys
import time
from pathlib import Path

# One core, like the Rust side's --threads 1.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

# The M4 measures (sMAPE, MASE, Naive2, OWA) and the CSV reader are the workspace's one copy,
# shared with the peers harness.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benches" / "peers"))
from m4_peer import evaluate, naive2, read_wide  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("--horizon", type=int, default=13)
    ap.add_argument("--season", type=int, default=52)
    ap.add_argument("--mase-m", type=int, default=1)
    ap.add_argument(
        "--models",
        default="AutoETS,AutoARIMA,Theta,AutoTheta",
        help="comma-separated; NAME:M sets that model's season length (default --season)",
    )
    ap.add_argument("--tsv", action="store_true", help="machine-readable rows for m4_eval")
    args = ap.parse_args()

    import statsforecast
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, Theta

    train = read_wide(args.train)
    test = read_wide(args.test)
    h, m = args.horizon, args.season
    df = pd.concat(
        [pd.DataFrame({"unique_id": sid, "ds": np.arange(1, len(y) + 1), "y": y}) for sid, y in train],
        ignore_index=True,
    )
    makers = {
        "AutoETS": lambda sl: AutoETS(season_length=sl),
        "AutoARIMA": lambda sl: AutoARIMA(season_length=sl),
        "Theta": lambda sl: Theta(season_length=sl),
        "AutoTheta": lambda sl: AutoTheta(season_length=sl),
    }
    n2 = evaluate(train, test, [naive2(y, args.mase_m, h) for _, y in train], args.mase_m)
    rows = []
    warm = df[df["unique_id"] == train[0][0]]
    for spec in args.models.split(","):
        # "Name" uses --season; "Name:1" overrides the season length for that model.
        name, _, sl = spec.partition(":")
        sl = int(sl) if sl else m
        # Warm-up on one series so numba's compilation is not counted.
        StatsForecast(models=[makers[name](sl)], freq=1, n_jobs=1).forecast(df=warm, h=h)
        sf = StatsForecast(models=[makers[name](sl)], freq=1, n_jobs=1)
        t0, c0 = time.perf_counter(), time.process_time()
        out = sf.forecast(df=df, h=h)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        col = [c for c in out.columns if c not in ("unique_id", "ds")][0]
        by_id = {sid: g[col].to_numpy() for sid, g in out.groupby("unique_id", sort=False)}
        fc = [by_id[sid] for sid, _ in train]
        s, q = evaluate(train, test, fc, args.mase_m)
        owa = 0.5 * (s / n2[0] + q / n2[1])
        rows.append((f"{name}({sl})", s, q, owa, wall, cpu))
        print(f"{name}: sMAPE {s:.3f} MASE {q:.3f} OWA {owa:.3f} wall {wall:.1f}s cpu {cpu:.1f}s", file=sys.stderr)
    if args.tsv:
        print("model\tsmape\tmase\towa\twall_s\tcpu_s")
        for r in rows:
            print("\t".join([r[0]] + [f"{v:.6f}" for v in r[1:]]))
    else:
        print(f"statsforecast {statsforecast.__version__}; Naive2 sMAPE {n2[0]:.3f} MASE {n2[1]:.3f}")
        print(f"{'model':<16} {'sMAPE':>7} {'MASE':>6} {'OWA':>6} {'wall s':>8} {'cpu s':>8}")
        for r in rows:
            print(f"{r[0]:<16} {r[1]:>7.3f} {r[2]:>6.3f} {r[3]:>6.3f} {r[4]:>8.1f} {r[5]:>8.1f}")


if __name__ == "__main__":
    main()
