#!/usr/bin/env python3
"""Issue 17's detection bar for `erosion monitor`, with the real commands, on one simulation seed.

    python monitor_detection.py --bin DIR --seed 5 --work WORK [--family auto] [--json-out F]

DIR holds the `erosion` binary. For the seed it simulates 20,000 customers from 2022-01-01 over
1,095 days with the incident on day 900 (2024-06-19), and the same seed with `--no-incident` (the
control: what the same nights look like without the incident). Then:

- the quiet night 2024-03-01 (its 90-day horizon ends before the incident): `erosion features
  --as-of`, split in two halves by a hash of the customer id; `erosion train` on one half
  (label `erosion`, `--family` as given), `erosion monitor --features` on the other half;
- the nights 2024-07-15, 2024-08-15 and 2024-09-01 (4, 8 and 10 weeks after the incident), with
  and without the incident: `erosion features --as-of`, `erosion monitor --features` against the
  same bundle.

History before the quiet night is two years (2022-01-01 on), so that 365-day windows and their
trends are whole on every night: with a shorter history they drift on every night for that
reason alone, incident or not.

Prints, per night, the alerts, the score's PSI and KS, the share at or above the action
threshold against the reference's, and which alerts the incident run has that its control has
not. Nothing here is tuned: the thresholds are `erosion monitor`'s defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess

import polars as pl

QUIET = "2024-03-01"
AFTER = ["2024-07-15", "2024-08-15", "2024-09-01"]


def run(*args: str) -> str:
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(args)}\n{r.stderr}")
    return r.stdout


def night(erosion: str, sim: str, date: str, out: str) -> str:
    if not os.path.exists(out):
        run(erosion, "features", "--events", f"{sim}/events.parquet", "--customers",
            f"{sim}/customers.parquet", "--as-of", date, "--horizon", "90d", "--out", out, "-q")
    return out


def monitor(erosion: str, model: str, features: str, out: str) -> dict:
    run(erosion, "monitor", "--model", model, "--features", features, "--out", out, "-q")
    report = json.load(open(f"{out}/monitor.json"))
    alerts = json.load(open(f"{out}/alerts.json"))
    overall = report["drift"][0]
    score, action = overall.get("score") or {}, overall.get("action") or {}
    return {
        "rows": report["rows"],
        "alerts": [f"{a['input']}:{a['statistic']}" for a in alerts],
        "score_psi": score.get("psi"),
        "score_ks": (score.get("ks") or {}).get("statistic"),
        "action_share": action.get("share"),
        "action_reference_share": action.get("reference_share"),
        "action_relative_change": action.get("relative_change"),
        "action_p_value": action.get("p_value"),
        "erosion_rate": pl.read_parquet(features)["erosion"].mean(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--family", default="auto")
    ap.add_argument("--json-out")
    a = ap.parse_args()
    erosion = os.path.join(a.bin, "erosion")
    w = os.path.join(a.work, f"seed{a.seed}")
    os.makedirs(w, exist_ok=True)
    sims = {}
    for tag, extra in [("incident", ["--incident-after", "900d"]), ("control", ["--no-incident"])]:
        sims[tag] = f"{w}/sim_{tag}"
        if not os.path.exists(f"{sims[tag]}/events.parquet"):
            run(erosion, "simulate", "--n-customers", "20000", "--seed", str(a.seed), "--start",
                "2022-01-01", "--duration", "1095d", *extra, "--out", sims[tag], "-q")
    quiet = pl.read_parquet(night(erosion, sims["incident"], QUIET, f"{w}/quiet.parquet"))
    half = quiet["customer_id"].hash(seed=1) % 2
    quiet.filter(half == 0).write_parquet(f"{w}/quiet_a.parquet")
    quiet.filter(half == 1).write_parquet(f"{w}/quiet_b.parquet")
    model = f"{w}/model_{a.family}.json"
    trained = run(erosion, "train", "--features", f"{w}/quiet_a.parquet", "--label", "erosion",
                  "--family", a.family, "--out", model)
    kept = next((line.strip() for line in trained.splitlines() if " kept" in line or "requested" in line), "")
    result = {"seed": a.seed, "family": a.family, "kept": kept,
              "quiet_halves": monitor(erosion, model, f"{w}/quiet_b.parquet", f"{w}/mon_quiet")}
    for date in AFTER:
        inc = monitor(erosion, model, night(erosion, sims["incident"], date, f"{w}/inc_{date}.parquet"),
                      f"{w}/mon_inc_{date}")
        ctl = monitor(erosion, model, night(erosion, sims["control"], date, f"{w}/ctl_{date}.parquet"),
                      f"{w}/mon_ctl_{date}")
        result[date] = {"incident": inc, "control": ctl,
                        "incident_only": sorted(set(inc["alerts"]) - set(ctl["alerts"])),
                        "control_only": sorted(set(ctl["alerts"]) - set(inc["alerts"]))}
    text = json.dumps(result, indent=2)
    if a.json_out:
        open(a.json_out, "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
