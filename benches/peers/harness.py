#!/usr/bin/env python3
"""The peers benchmark harness: erosion against its Python peers, on the same files, in one run.

One command regenerates BENCHMARKS.md at the workspace root:

    python3 benches/peers/harness.py

It
1. creates (if missing) a virtualenv outside the repo (default /work/erosion-peers-venv) and
   installs the peers pinned in benches/peers/requirements.txt from PyPI;
2. builds the release binary (`cargo build --release -p erosion-cli`, plain release profile);
3. makes the data with `erosion simulate --n-customers N --duration 730d --seed 7 --out DATA/simN`
   for each size (default 100000 and 1000000), outside the repo, timing each simulation
   (wall seconds and peak resident memory, from /usr/bin/time); a data set is reused while
   it was made by the same binary with the same flags;
4. runs each benchmark of BENCHMARKS (below): erosion and its peer on the same files,
   alternating (A B A B ..., --runs times each), each run under /usr/bin/time;
5. checks, where a benchmark says how, that both produced the same result;
6. writes BENCHMARKS.md (date, machine, versions, one section per benchmark: median wall
   time, min-max, peak memory, ratio) and the raw measurements to benches/peers/results.json.

A later benchmark is one more `Benchmark(...)` in BENCHMARKS: a name, the erosion command,
the peer command, and optionally a check. Results of benchmarks not run this time (--only)
are kept from results.json, so a section can be refreshed alone.

Only the standard library of Python 3.11 is used here; the peers run in the virtualenv.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent  # the workspace
RESULTS = HERE / "results.json"
TIME = "/usr/bin/time"


# --------------------------------------------------------------------------------------------
# The benchmarks.

@dataclasses.dataclass
class Ctx:
    """What a command needs: the binary, the peers' Python, the data set and a scratch dir."""
    erosion: Path
    python: Path
    data: Path          # DATA/simN with customers.parquet, events.parquet, truth.parquet
    customers: int      # N
    scratch: Path       # outputs of the runs, outside the repo
    cutoff: str


@dataclasses.dataclass
class Benchmark:
    name: str                                   # key in results.json, e.g. "features"
    title: str                                  # section title
    about: str                                  # one paragraph: what is measured
    peer_name: str                              # e.g. "Python polars"
    erosion: Callable[[Ctx], list[str]]         # the erosion command
    peer: Callable[[Ctx], list[str]]            # the peer command
    target: str = ""                            # the target the issue sets, if any
    check: Callable[[Ctx], tuple[bool, str]] | None = None  # after the runs: same result?


def _features_check(c: Ctx) -> tuple[bool, str]:
    r = subprocess.run(
        [str(c.python), str(HERE / "compare_features.py"),
         str(c.scratch / "features_erosion.parquet"), str(c.scratch / "features_polars.parquet")],
        capture_output=True, text=True)
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    return r.returncode == 0, (lines[-1] if lines else r.stderr.strip()[-300:])


BENCHMARKS: list[Benchmark] = [
    Benchmark(
        name="features",
        title="Features: `erosion features` vs Python polars",
        about=(
            "Every feature of the catalogue and the `churn`/`erosion` labels, one cutoff "
            "(`--as-of {cutoff}`, windows 30/90/365 days, horizon 90 days), from the simulator's "
            "`events.parquet` and `customers.parquet`, written to Parquet. The peer is "
            "`benches/peers/features_polars.py`: the same definitions in Python polars (lazy API, "
            "streaming engine); `compare_features.py` checks after the runs that both tables are "
            "equal column by column (1e-9, null == null)."),
        peer_name="Python polars",
        erosion=lambda c: [str(c.erosion), "features", "--events", str(c.data / "events.parquet"),
                           "--customers", str(c.data / "customers.parquet"), "--as-of", c.cutoff,
                           "--out", str(c.scratch / "features_erosion.parquet")],
        peer=lambda c: [str(c.python), str(HERE / "features_polars.py"),
                        "--events", str(c.data / "events.parquet"),
                        "--customers", str(c.data / "customers.parquet"), "--cutoff", c.cutoff,
                        "--out", str(c.scratch / "features_polars.parquet")],
        target="erosion no slower than Python polars; 1M customers within 8 GB peak memory.",
        check=_features_check,
    ),
    # Later issues add: training vs LightGBM, audit vs Fairlearn, forecasting vs statsforecast,
    # scoring vs onnxruntime, each as one more Benchmark(...).
]


# --------------------------------------------------------------------------------------------
# Sections: accuracy and speed against peers where the peers measure more than one command's
# wall time (cross-validated AUC, forecast accuracy, agreement of audits). A section runs
# erosion and its peers on the same files in one run and stores ready tables, the targets with
# met / not met, notes and the commands in results.json under "sections".

SHARED = Path(os.environ.get("EROSION_SHARED_DATA", "/work/shared/data"))


@dataclasses.dataclass
class SCtx:
    erosion: Path
    score: Path            # the erosion-score binary
    python: Path
    data_root: Path
    scratch: Path          # DATA/<section>
    logfile: Path
    runs: int              # repetitions of the cheap commands
    timeout: float
    sims: dict             # customers -> DATA/simN
    shared: Path
    commands: list = dataclasses.field(default_factory=list)
    notes: list = dataclasses.field(default_factory=list)

    def run(self, cmd: list, env: dict | None = None, record: bool = True) -> dict:
        cmd = [str(x) for x in cmd]
        if record and shlex.join(cmd) not in self.commands:
            self.commands.append(shlex.join(cmd))
        return timed(cmd, self.scratch, self.timeout, self.logfile, env=env)

    def runs_of(self, cmd: list, n: int | None = None, env: dict | None = None) -> list[dict]:
        return [self.run(cmd, env=env) for _ in range(n or self.runs)]

    def peer(self, script: str, args: list, env: dict | None = None) -> tuple[dict, dict | None]:
        """Runs a peer script with --json-out; returns (timing, its JSON or None)."""
        out = self.scratch / (Path(script).stem + "-" + hashlib.sha1(shlex.join(map(str, args)).encode()).hexdigest()[:8] + ".json")
        out.unlink(missing_ok=True)
        t = self.run([self.python, HERE / script, *args, "--json-out", out], env=env)
        return t, (json.loads(out.read_text()) if out.exists() else None)


@dataclasses.dataclass
class Section:
    name: str
    title: str = ""
    about: str = ""
    run: Callable[[SCtx], dict] | None = None
    sims: tuple = ()       # simulated data sets it needs (customers)
    # A self-contained section times phases inside the tools themselves (each prints JSON
    # lines): raw_run(arguments, peers' Python, log file) -> entry, raw_render(entry) -> lines.
    raw_run: Callable[[argparse.Namespace, Path, Path], dict] | None = None
    raw_render: Callable[[dict], list[str]] | None = None


def one_thread_env() -> dict:
    env = dict(os.environ)
    for v in ("RAYON_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "NUMBA_NUM_THREADS", "POLARS_MAX_THREADS"):
        env[v] = "1"
    return env


def tsum(runs: list[dict]) -> dict:
    """Median, min, max of wall seconds, the largest peak memory and the median CPU seconds."""
    s = summarize(runs)
    cpus = [r["cpu_s"] for r in runs if r.get("rc") == 0 and r.get("cpu_s") is not None]
    if cpus:
        s["cpu_median_s"] = statistics.median(cpus)
    return s


def fmt_t(s: dict) -> str:
    if not s.get("n"):
        return f"failed ({s.get('failed', '?')} runs)"
    if s["n"] == 1:
        return fmt_s(s["median_s"])
    return f"{fmt_s(s['median_s'])} ({fmt_s(s['min_s'])}–{fmt_s(s['max_s'])})"


def fmt_list(xs: list[float]) -> str:
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    if len(xs) == 1:
        return fmt_s(xs[0])
    return f"{fmt_s(statistics.median(xs))} ({fmt_s(min(xs))}–{fmt_s(max(xs))})"


def verdict(target: str, met: bool | None, detail: str) -> list:
    return [target, met, detail]


def ok(r: dict) -> bool:
    return r.get("rc") == 0


def read_json(p: Path) -> dict | None:
    try:
        return json.loads(Path(p).read_text())
    except (OSError, ValueError):
        return None


def selected_auc(metrics: dict) -> tuple[str, float, float | None]:
    """The kept family's mean and standard deviation of per-fold ROC-AUC from
    `erosion train --metrics-out`."""
    sel = metrics.get("selected")
    for c in metrics.get("candidates", []):
        if c.get("kind") == sel:
            std = (c["metrics"].get("std") or {}).get("roc_auc")
            return str(sel), c["metrics"]["mean"]["roc_auc"], std
    c = metrics["candidates"][0]
    return str(c["kind"]), c["metrics"]["mean"]["roc_auc"], (c["metrics"].get("std") or {}).get("roc_auc")


def candidates(metrics: dict) -> str:
    return ", ".join(f"{c['kind']} {c['metrics']['mean']['roc_auc']:.4f}" for c in metrics.get("candidates", []))


def train_erosion(c: SCtx, table: Path, target: str, model: str, tag: str, extra: list, runs: int) -> dict:
    """`erosion train` `runs` times; the validation metrics of the last run."""
    out, met = c.scratch / f"{tag}.model.json", c.scratch / f"{tag}.metrics.json"
    cmd = [c.erosion, "train", "--features", table, "--label", target, *extra, "--family", model,
           "--folds", "5", "--seed", "0", "--out", out, "--metrics-out", met]
    t = [c.run(cmd) for _ in range(runs)]
    m = read_json(met) if all(ok(r) for r in t) else None
    res = {"times": t, "metrics": m}
    if m:
        res["selected"], res["auc"], res["std"] = selected_auc(m)
        res["candidates"] = candidates(m)
    return res


def auc_cell(auc: float | None, std: float | None = None) -> str:
    if auc is None:
        return "failed"
    return f"{auc:.4f}" + (f" ± {std:.4f}" if std is not None else "")


# ---- 1. Telco ---------------------------------------------------------------------------------

def sec_telco(c: SCtx) -> dict:
    csv = c.shared / "telco-customer-churn" / "Telco-Customer-Churn.csv"
    extra = ["--positive", "Yes", "--id", "customerID"]
    rows, res = [], {}
    for m in ("auto", "gbdt", "logistic", "forest"):
        # auto also fits the forest, so it and the forest run once; the others c.runs times.
        res[m] = train_erosion(c, csv, "Churn", m, f"telco_{m}", extra, 1 if m in ("auto", "forest") else c.runs)
    t, peer = c.peer("telco_peer.py", ["--csv", csv, "--runs", str(c.runs)])
    for m in ("auto", "gbdt", "logistic", "forest"):
        r = res[m]
        label = f"erosion train --family {m}" + (f" (kept {r['selected']})" if m == "auto" and r.get("selected") else "")
        rows.append([label, auc_cell(r.get("auc"), r.get("std")), fmt_t(tsum(r["times"])),
                     "5-fold CV, calibration, final fit, SHAP, model card" + ("; candidates: " + r["candidates"] if m == "auto" and r.get("candidates") else "")])
    names = {"logistic": "scikit-learn LogisticRegression (one-hot + scaling)",
             "hgb": "scikit-learn HistGradientBoostingClassifier", "lightgbm": "LightGBM (200 trees)",
             "xgboost": "XGBoost (200 trees, hist)"}
    pm = (peer or {}).get("models", {})
    for k, label in names.items():
        p = pm.get(k, {})
        if "auc_mean" in p:
            rows.append([label, auc_cell(p["auc_mean"], p["auc_std"]), fmt_list(p["wall_s"]), "5-fold CV fit + predict"])
        else:
            rows.append([label, "failed", "", p.get("error", "peer did not run")])
    auto, gbdt = res["auto"].get("auc"), res["gbdt"].get("auc")
    best_peer = max((p["auc_mean"] for p in pm.values() if "auc_mean" in p), default=None)
    verdicts = [
        verdict("`--family auto` ROC-AUC ≥ 0.845", None if auto is None else auto >= 0.845, f"{auto:.4f}" if auto else "failed"),
        verdict("`--family gbdt` ROC-AUC ≥ 0.840", None if gbdt is None else gbdt >= 0.840, f"{gbdt:.4f}" if gbdt else "failed"),
    ]
    if auto is not None and best_peer is not None:
        c.notes.append(f"Best peer: {best_peer:.4f}; erosion auto − best peer = {auto - best_peer:+.4f}.")
    ta, tf = tsum(res["auto"]["times"]), tsum(res["forest"]["times"])
    if ta.get("n") and tf.get("n") and tf["median_s"] > 5 * ta["median_s"]:
        c.notes.append(f"`--family forest` took {fmt_s(tf['median_s'])} s while `--family auto`, which cross-validates "
                       f"the same forest, took {fmt_s(ta['median_s'])} s: the forest's time goes to what follows "
                       "cross-validation when it is the kept model (calibration, final fit, explanations), not to "
                       "the folds: mostly the exact TreeSHAP of the global importance, which for a large forest "
                       "averages over fewer training rows (at least 1,000; the model card says how many).")
    c.notes.append("Folds differ between erosion (its own stratified split, seed 0) and the peers "
                   "(scikit-learn `StratifiedKFold(5, shuffle=True, random_state=0)`); both report the mean "
                   "of the per-fold ROC-AUC of uncalibrated probabilities, ± the standard deviation over folds. "
                   "Wall times are not like for like: `erosion train` also calibrates, refits on all rows and "
                   "writes explanations; the peers only cross-validate.")
    return {"tables": [{"columns": ["model", "ROC-AUC (mean ± sd over 5 folds)", "wall s", "what the time covers"],
                        "rows": rows}],
            "verdicts": verdicts, "raw": {"erosion": {k: {kk: v for kk, v in r.items() if kk != "metrics"} for k, r in res.items()},
                                          "peer": peer, "peer_time": t}}


# ---- 2. CDNOW ---------------------------------------------------------------------------------

CDNOW_FLAGS = ["--separator", "whitespace", "--timestamp-col", "date", "--time-format", "%Y%m%d", "--value-col", "dollar_value",
               "--default-event-type", "purchase"]


def train_single_cutoff(c: SCtx, table: Path, target: str, model: str, tag: str, runs: int) -> dict:
    """Trains on a one-cutoff feature table; if this build of `erosion train` refuses it (it may
    demand time-based validation with one distinct cutoff), drops `cutoff` and columns missing
    in every row with prep_table.py and trains on that, saying so."""
    r = train_erosion(c, table, target, model, tag, [], 1)
    if r.get("auc") is not None:
        if runs > 1:
            r2 = train_erosion(c, table, target, model, tag, [], runs - 1)
            r["times"] += r2["times"]
        return r
    log(f"erosion train failed on {table}; dropping `cutoff` and retrying")
    prepped = table.with_name(table.stem + ".nocutoff.parquet")
    c.run([c.python, HERE / "prep_table.py", table, prepped, "--drop", "cutoff", "--drop-empty"])
    c.notes.append(f"This build of `erosion train` refused the one-cutoff table `{table.name}` "
                   "(time-based validation needs several cutoffs), so the harness dropped the `cutoff` "
                   "column and the columns missing in every row (`prep_table.py`) and trained with "
                   "5-fold stratified validation instead.")
    return train_erosion(c, prepped, target, model, tag, [], runs)


def sec_cdnow(c: SCtx) -> dict:
    events = c.shared / "cdnow" / "CDNOW_master.txt"
    feats = c.scratch / "cdnow_features.parquet"
    ft = c.runs_of([c.erosion, "features", "--events", events, *CDNOW_FLAGS, "--as-of", "1997-10-01",
                    "--horizon", "273d", "--active-within", "all", "--out", feats], 1)
    r = train_single_cutoff(c, feats, "churn", "auto", "cdnow_auto", c.runs) if ok(ft[0]) else {"times": []}
    t, peer = c.peer("cdnow_peer.py", ["--events", events, "--cutoff", "1997-10-01", "--horizon-days", "273",
                                       "--erosion-features", feats, "--runs", str(c.runs)])
    peer = peer or {}
    lg, bg = peer.get("lightgbm", {}), peer.get("bgnbd", {})
    rows = [
        [f"erosion features + train --family auto (kept {r.get('selected', '?')})", auc_cell(r.get("auc"), r.get("std")),
         fmt_t(tsum(r["times"])), f"features {fmt_t(tsum(ft))} s; candidates: {r.get('candidates', '')}"],
        ["LightGBM (200 trees) on 8 RFM features", auc_cell(lg.get("auc_mean"), lg.get("auc_std")),
         fmt_list(lg.get("wall_s", [])), "recency, frequency, monetary, mean order, tenure, 90-day purchases and dollars, CDs"],
        ["BG/NBD (lifetimes): − expected purchases in 273 days", auc_cell(bg.get("auc")), fmt_list(bg.get("wall_s", [])),
         bg.get("error", "fitted on the calibration period only; no label used")],
    ]
    lc = peer.get("label_check")
    if lc:
        c.notes.append(f"Same rows and labels: the peers score erosion's {lc['erosion_rows']:,} labelled customers "
                       f"({lc['common']:,} in common with the raw file's {lc['peer_rows']:,}); the peer's own churn label "
                       f"agrees with erosion's on {100 * lc['label_agreement']:.2f} % of them.")
    auc = r.get("auc")
    return {"tables": [{"columns": ["model", "ROC-AUC", "wall s", "notes"], "rows": rows}],
            "verdicts": [verdict("erosion ROC-AUC ≥ 0.765", None if auc is None else auc >= 0.765,
                                 f"{auc:.4f}" if auc else "failed")],
            "raw": {"features": ft, "erosion": {k: v for k, v in r.items() if k != "metrics"}, "peer": peer, "peer_time": t}}


# ---- 3. Oracle --------------------------------------------------------------------------------

ORACLE_N = 100_000


def sec_oracle(c: SCtx) -> dict:
    sim = c.sims[ORACLE_N]
    cutoff = "2025-10-01"
    feats = c.scratch / "oracle_features.parquet"
    ft = c.runs_of([c.erosion, "features", "--events", sim / "events.parquet", "--customers", sim / "customers.parquet",
                    "--as-of", cutoff, "--horizon", "90d", "--out", feats], 1)
    r = train_single_cutoff(c, feats, "churn", "auto", "oracle_auto", 1) if ok(ft[0]) else {"times": []}
    t, peer = c.peer("oracle_peer.py", ["--features", feats, "--truth", sim / "truth.parquet",
                                        "--customers", sim / "customers.parquet", "--cutoff", cutoff, "--target", "churn"])
    peer = peer or {}
    pm = peer.get("models", {})
    auc = r.get("auc")
    rows = [[f"erosion features + train --family auto (kept {r.get('selected', '?')}; observed events only)",
             auc_cell(auc, r.get("std")), fmt_t(tsum(r["times"])), f"features {fmt_t(tsum(ft))} s"]]
    labels = {"lightgbm_features": "LightGBM (300 trees) on erosion's feature table (same rows, same folds)",
              "lightgbm_traits": "traits oracle: LightGBM (300 trees) on the latent traits (trust path, sensitivity, tolerance, tier)",
              "logistic_traits": "traits oracle: logistic regression on the latent traits",
              "lightgbm": "full oracle: LightGBM (300 trees) on the traits and who already left silently",
              "logistic": "full oracle: logistic regression on the traits and who already left silently",
              "minus_trust": "naive oracle: − latent trust at the last month end"}
    for k, label in labels.items():
        p = pm.get(k, {})
        rows.append([label, auc_cell(p.get("auc_mean"), p.get("auc_std")),
                     fmt_s(p["wall_s"]) if "wall_s" in p else "", "" if k != "minus_trust" else "no fit"])
    def best_of(keys):
        return max((pm[k]["auc_mean"] for k in keys if "auc_mean" in pm.get(k, {})), default=None)
    best, full = best_of(("lightgbm_traits", "logistic_traits")), best_of(("lightgbm", "logistic"))
    v = []
    share = peer.get("already_churned_share")
    v.append(verdict("at most 5 % of the population had already churned (simulator truth)",
                     None if share is None else share <= 0.05,
                     "failed" if share is None else
                     f"{100 * share:.2f} % of {peer.get('population_rows', 0):,} population rows"))
    if auc is not None and best is not None:
        gap = best - auc
        v.append(verdict("erosion within 0.04 ROC-AUC of the traits oracle on the population", gap <= 0.04,
                         f"oracle {best:.4f}, erosion {auc:.4f}, gap {gap:+.4f}"))
        v.append(verdict("goal: within 0.02 of the traits oracle", gap <= 0.02, f"gap {gap:+.4f}"))
        if full is not None:
            v.append(verdict("within 0.04 of the full oracle (knows who already left silently)", full - auc <= 0.04,
                             f"oracle {full:.4f}, erosion {auc:.4f}, gap {full - auc:+.4f}"))
        c.notes.append(f"Rows: erosion's population at {cutoff} ({peer.get('population_rows', 0):,} customers with a "
                       "purchase or visit in the 90 days before it, no cancel, no deletion request; "
                       f"{peer.get('rows', 0):,} labelled). The oracle sees the truth as of the last month end before "
                       f"the cutoff ({peer.get('last_month_end')}): {', '.join(peer.get('columns', []))}. "
                       "The traits oracle leaves out churned_before and days_since_churn: it knows the customer's hidden "
                       "state, as issue 13's oracle did (trust, privacy sensitivity, tolerance), but not that they "
                       "already left without a word (no observer can know that until time tells; it is what "
                       "erosion's silence features estimate). "
                       "Nothing after the cutoff reaches it. It is not a ceiling: the label is behavioural "
                       "(no purchase or visit in 90 days, or a cancel), so chance in the next 90 days "
                       "stays unexplained, and observed behaviour can add to what the latent state says "
                       "(e.g. a customer's own visit rate).")
    else:
        v.append(verdict("erosion within 0.04 ROC-AUC of the oracle", None, "a side failed"))
    return {"tables": [{"columns": ["model", "ROC-AUC (mean ± sd, 5 folds)", "wall s", "notes"], "rows": rows}],
            "verdicts": v, "raw": {"features": ft, "erosion": {k: x for k, x in r.items() if k != "metrics"},
                                   "peer": peer, "peer_time": t}}


# ---- 3a. Training end to end, against LightGBM through the same protocol ----------------------

def sec_train_protocol(c: SCtx) -> dict:
    sim = c.sims[ORACLE_N]
    table = c.scratch / "train_table.parquet"
    ft = c.runs_of([c.erosion, "features", "--events", sim / "events.parquet", "--customers", sim / "customers.parquet",
                    "--as-of", "2024-10-01..2025-10-01/91d", "--horizon", "90d", "--out", table], 1)
    out, met = c.scratch / "gbdt.model.json", c.scratch / "gbdt.metrics.json"
    t = c.runs_of([c.erosion, "train", "--features", table, "--label", "churn", "--family", "gbdt",
                   "--quiet", "--out", out, "--metrics-out", met], 1) if ok(ft[0]) else []
    m = read_json(met) if t and ok(t[0]) else None
    rows, v, raw = [], [], {"features": ft, "erosion": t}
    auc = None
    if m:
        _, auc, std = selected_auc(m)
        n = sum(f["valid_rows"] for f in m["folds"])
        rows.append(["erosion train --family gbdt (2 cores)", auc_cell(auc, std), fmt_t(tsum(t)),
                     fmt_s(tsum(t).get("cpu_median_s")) if tsum(t).get("cpu_median_s") else "",
                     f"{len(m['folds'])} time-based folds, {n:,} validated rows"])
    for threads in (1, 2):
        if not m:
            break
        pt, peer = c.peer("train_protocol_peer.py", ["--features", table, "--target", "churn",
                                                     "--erosion-metrics", met, "--threads", str(threads)])
        raw[f"peer_{threads}"] = {"time": pt, "json": peer}
        if not peer:
            continue
        rows.append([f"LightGBM {peer.get('lightgbm')}, same protocol, {threads} thread(s)",
                     auc_cell(peer["auc_mean"], statistics.stdev(peer["fold_auc"])), fmt_s(peer["wall_s"]),
                     fmt_s(pt.get("cpu_s")) if pt.get("cpu_s") else "", "reading not timed"])
        if threads == 2 and t:
            e = tsum(t)["median_s"]
            v.append(verdict("erosion train end to end no slower than LightGBM's same protocol (2 threads)",
                             e <= peer["wall_s"], f"{e:.1f} s vs {peer['wall_s']:.1f} s ({e / peer['wall_s']:.2f}×); "
                             f"ROC-AUC {auc:.4f} vs {peer['auc_mean']:.4f}"))
    if m:
        c.notes.append(f"Table: `erosion features` at five cutoffs 91 days apart on the 100k simulation "
                       f"({m['folds'][-1]['train_rows'] + m['folds'][-1]['valid_rows']:,} population rows). "
                       "erosion's wall time covers reading the table, validation, calibration, the final model, "
                       "SHAP importance, the model card and writing; LightGBM's covers the same steps after "
                       "reading (`train_protocol_peer.py`).")
    return {"tables": [{"columns": ["tool", "ROC-AUC (mean ± sd over folds)", "wall s", "CPU s", "notes"],
                        "rows": rows}], "verdicts": v, "raw": raw}


# ---- 3b. Who the nightly job scores ------------------------------------------------------------

POPULATION_N, POPULATION_SEED = 20_000, 11


def sec_population(c: SCtx) -> dict:
    """A fresh simulation (a seed no other section uses), trained as the demo trains, scored from
    raw histories; the scores checked against the simulator's truth."""
    sim, _ = simulate(c.erosion, POPULATION_N, 730, POPULATION_SEED, c.data_root / f"seed{POPULATION_SEED}",
                      False, c.logfile, c.timeout)
    ev, cu = sim / "events.parquet", sim / "customers.parquet"
    train, model = c.scratch / "train.parquet", c.scratch / "model.json"
    scores, exc = c.scratch / "scores.parquet", c.scratch / "exclusions.parquet"
    steps = [
        [c.erosion, "features", "--events", ev, "--customers", cu, "--as-of", "2025-01-01..2025-07-02/91d",
         "--out", train],
        [c.erosion, "train", "--features", train, "--label", "erosion", "--family", "gbdt", "--out", model],
        [c.score, "--model", model, "--events", ev, "--customers", cu, "--as-of", "2025-10-01", "--out", scores,
         "--exclusions", exc],
    ]
    for cmd in steps:
        if not ok(c.run(cmd)):
            return {"tables": [], "verdicts": [verdict("population check", None, f"failed: {shlex.join(map(str, cmd))}")],
                    "raw": {}}
    _, chk = c.peer("population_check.py", ["--scores", scores, "--exclusions", exc, "--truth", sim / "truth.parquet",
                                            "--events", ev, "--as-of", "2025-10-01"])
    chk = chk or {}
    share = chk.get("already_churned_share")
    rows = [["scored", f"{chk.get('scored', 0):,}", "customers in the population at 2025-10-01"],
            ["of them already churned (latent churn date before as-of)", f"{chk.get('already_churned', 0):,}",
             "–" if share is None else f"{100 * share:.2f} %"],
            ["scored after a cancel that no purchase or visit followed", f"{chk.get('scored_after_cancel', 0):,}", ""],
            ["of them with an action", f"{chk.get('actions_after_cancel', 0):,}", ""],
            ["excluded, by reason", ", ".join(f"{k} {v:,}" for k, v in chk.get("excluded", {}).items()), ""],
            ["ROC-AUC of the scores for a latent churn in the 90 days from as-of",
             "–" if chk.get("truth_churn_90d_auc") is None else f"{chk['truth_churn_90d_auc']:.4f}",
             "on the scored customers; the model was trained on the erosion label"]]
    v = [verdict("at most 5 % of the scored customers had already churned (simulator truth)",
                 None if share is None else share <= 0.05, "–" if share is None else f"{100 * share:.2f} %"),
         verdict("no customer who had cancelled gets an action", chk.get("actions_after_cancel") == 0
                 if chk else None, f"{chk.get('actions_after_cancel', '?')} actions after a cancel")]
    return {"tables": [{"columns": ["", "customers", "share / note"], "rows": rows}], "verdicts": v,
            "raw": {"check": chk}}


# ---- 5. M4 ------------------------------------------------------------------------------------

def sec_m4(c: SCtx) -> dict:
    d = c.shared / "m4"
    train, test = d / "Weekly-train.csv", d / "Weekly-test.csv"
    one = one_thread_env()
    ero = {}
    for m in ("auto", "ets", "arima", "theta"):
        out = c.scratch / f"m4_{m}.csv"
        n = c.runs if m in ("auto", "ets") else 1
        ero[m] = c.runs_of([c.erosion, "forecast", "--series", train, "--format", "m4", "--periods", "13",
                            "--season", "52", "--method", m, "--out", out], n, env=one)
    evals = [f"--evaluate=erosion_{m}={c.scratch / f'm4_{m}.csv'}" for m in ero if all(ok(r) for r in ero[m])]
    t, peer = c.peer("m4_peer.py", ["--train", train, "--test", test, "--horizon", "13", "--season", "52",
                                    "--models", "AutoETS:1,AutoTheta,AutoARIMA,AutoETS", *evals], env=one)
    pm = (peer or {}).get("models", {})
    rows = []
    for m in ero:
        p, s = pm.get(f"erosion_{m}", {}), tsum(ero[m])
        if "owa" not in p:
            rows.append([f"erosion forecast --method {m}", "failed", "", "", fmt_t(s), "", p.get("error", "")])
            continue
        chosen = ", ".join(f"{k} {v}" for k, v in p.get("chosen", {}).items()) if m == "auto" else ""
        rows.append([f"erosion forecast --method {m}", f"{p['smape']:.3f}", f"{p['mase']:.3f}", f"{p['owa']:.3f}",
                     fmt_t(s), fmt_list([x.get("cpu_s") for x in ero[m] if ok(x)]), chosen])
    for k in ("AutoETS:1", "AutoETS:52", "AutoARIMA:52", "AutoTheta:52"):
        p = pm.get(k, {})
        name, _, sl = k.partition(":")
        label = f"statsforecast {name} (season {sl})"
        if "owa" in p:
            rows.append([label, f"{p['smape']:.3f}", f"{p['mase']:.3f}", f"{p['owa']:.3f}",
                         fmt_s(p["wall_s"]), fmt_s(p["cpu_s"]), "in-process time of `forecast`, after a warm-up"])
        else:
            rows.append([label, "not measured", "", "", "", "", "run cut short or failed"])
    n2 = (peer or {}).get("naive2", {})
    if n2:
        rows.append(["Naive2 (here, on the same files)", f"{n2['smape']:.3f}", f"{n2['mase']:.3f}", "1.000", "", "",
                     "published Weekly Naive2: sMAPE 9.161, MASE 2.777"])
    v = []
    a = pm.get("erosion_auto", {})
    if "owa" in a:
        v.append(verdict("`--method auto` OWA ≤ 0.88", a["owa"] <= 0.88, f"{a['owa']:.3f}"))
    s = tsum(ero["auto"])
    for k in ("AutoETS:1", "AutoETS:52"):
        ets = pm.get(k, {})
        if "wall_s" in ets and s.get("n"):
            v.append(verdict(f"`--method auto` faster than statsforecast AutoETS (season {k[8:]}; wall, one core)",
                             s["median_s"] < ets["wall_s"],
                             f"{fmt_s(s['median_s'])} s (whole command: reading, forecasting, writing) vs "
                             f"{fmt_s(ets['wall_s'])} s (AutoETS `forecast` call alone)"))
    c.notes.append("One core on both sides: erosion with RAYON_NUM_THREADS=1 (and POLARS_MAX_THREADS=1), "
                   "statsforecast with n_jobs=1 and OMP/NUMBA threads 1. Season 52 for erosion; statsforecast's "
                   "AutoETS with season 1 (non-seasonal, as measured before) and 52, AutoARIMA and AutoTheta with "
                   "52. erosion's times are "
                   "the whole command under /usr/bin/time; the peers' the `forecast` call timed in-process "
                   "(Python start-up, imports, reading and numba compilation excluded), which favours the peers.")
    # Scale: 10,000 synthetic weekly segment series of 104 weeks.
    scale = c.data_root / "scale_10000x104.csv"
    if not scale.exists():
        c.run([c.python, HERE / "m4_peer.py", "--make-scale", scale, "--series", "10000", "--weeks", "104"])
    srows, sraw = [], {}
    for m, season in (("auto", 52), ("ets", 52), ("ets", 1)):
        r = c.runs_of([c.erosion, "forecast", "--series", scale, "--periods", "13", "--season", str(season),
                       "--method", m, "--out", c.scratch / f"scale_{m}_{season}.csv"], 1, env=one)
        sraw[f"{m}:{season}"] = r
        srows.append([f"erosion forecast --method {m} --season {season}", fmt_t(tsum(r)),
                      fmt_list([x.get("cpu_s") for x in r if ok(x)]), f"{tsum(r).get('peak_mb', 0):.0f}", "whole command"])
    ts, sp = c.peer("m4_peer.py", ["--long", scale, "--horizon", "13", "--season", "52", "--models", "AutoETS:1"], env=one)
    se = (sp or {}).get("models", {}).get("AutoETS:1", {})
    srows.append(["statsforecast AutoETS (season 1)", fmt_s(se["wall_s"]) if "wall_s" in se else "failed",
                  fmt_s(se["cpu_s"]) if "cpu_s" in se else "", f"{ts.get('peak_mb') or 0:.0f}",
                  "`forecast` call, after a warm-up"])
    return {"tables": [{"caption": "M4 Weekly: 359 series, horizon 13 (accuracy as the M4 organisers define it).",
                        "columns": ["model", "sMAPE", "MASE", "OWA", "wall s", "CPU s", "notes"], "rows": rows},
                       {"caption": "Scale: 10,000 synthetic weekly series × 104 weeks (seeded: `m4_peer.py --make-scale`), horizon 13, season 52, one core.",
                        "columns": ["model", "wall s", "CPU s", "peak memory MiB", "time covers"], "rows": srows}],
            "verdicts": v, "raw": {"erosion": ero, "peer": peer, "peer_time": t, "scale": sraw, "scale_peer": sp, "scale_peer_time": ts}}


# ---- rendering of sections --------------------------------------------------------------------

def render_section(s: "Section", e: dict) -> list[str]:
    out = ["", f"## {s.title}", "", s.about, "", f"Measured {e.get('measured', '?')}; erosion `{e.get('erosion_version', '?')}`; load average "
           f"{e.get('load_after', '?')} at the end (a shared machine: wall times of this section carry that noise).", ""]
    if e.get("error"):
        out += [f"**The section failed:** {e['error']}", ""]
    for t in e.get("tables", []):
        if t.get("caption"):
            out += [t["caption"], ""]
        cols = t["columns"]
        out.append("| " + " | ".join(cols) + " |")
        out.append("|" + "|".join(["---"] + ["---:" if i < len(cols) - 1 else "---" for i in range(1, len(cols))]) + "|")
        for r in t["rows"]:
            out.append("| " + " | ".join(str(x) for x in r) + " |")
        out.append("")
    if e.get("verdicts"):
        out.append("Targets:")
        out.append("")
        for target, met, detail in e["verdicts"]:
            word = "**met**" if met else ("**not met**" if met is False else "**not measured**")
            out.append(f"- {target}: {word} ({detail}).")
        out.append("")
    for n in e.get("notes", []):
        out += [n, ""]
    if e.get("commands"):
        out += ["Commands:", "", "```", *e["commands"], "```", ""]
    return out


# ---- 4. Fairness ------------------------------------------------------------------------------


_SEP = re.compile(r"\s+(?:&|×|x|\||/|∩)\s+|\s*[,|]\s*")


def _key(s: str) -> frozenset:
    return frozenset(p.strip() for p in _SEP.split(str(s)) if p.strip())


def compare_audit(group_csv: Path, fl: dict) -> tuple[bool, str, dict]:
    """Largest absolute difference between erosion's group metrics and Fairlearn's, over every
    grouping, group (and overall) and metric both report."""
    import csv as _csv
    with open(group_csv, newline="") as fh:
        rows = list(_csv.DictReader(fh))
    fl_groups = {_key(k): v for k, v in fl["groupings"].items()}
    worst, n, missing = (0.0, ""), 0, 0
    per_metric: dict = {}
    overall = next(iter(fl["groupings"].values()))["overall"]
    for r in rows:
        if r["grouping"] == "overall":
            ref = overall
        else:
            g = fl_groups.get(_key(r["grouping"]))
            if g is None:
                missing += 1
                continue
            ref = next((v for k, v in g["by_group"].items() if _key(k) == _key(r["group"])), None)
            if ref is None:
                missing += 1
                continue
        for m, v in ref.items():
            if m.endswith("_ci") or m not in r or r[m] == "":
                continue
            a, b = float(r[m]), float(v)
            if math.isnan(a) and math.isnan(b):
                continue
            d = abs(a - b) if not (math.isnan(a) or math.isnan(b)) else float("inf")
            n += 1
            per_metric[m] = max(per_metric.get(m, 0.0), d)
            if d > worst[0]:
                worst = (d, f"{r['grouping']}={r['group']} {m}: erosion {a:.12g}, Fairlearn {b:.12g}")
    okk = n > 0 and worst[0] <= 1e-9 and missing == 0
    msg = (f"{n} values compared ({len(rows)} rows of group_metrics.csv, {missing} not matched); "
           f"largest absolute difference {worst[0]:.2e}" + (f" at {worst[1]}" if worst[1] else ""))
    return okk, msg, per_metric


def sec_fairness(c: SCtx) -> dict:
    rows, raw, v = [], {}, []
    big = getattr(c, "fair_big", False)
    for n in (1_000_000, 10_000_000):
        preds = c.data_root / f"preds_{n}.parquet"
        if not preds.exists():
            c.run([c.python, HERE / "fairness_fairlearn.py", "--make", preds, "--rows", str(n)])
        base = ["--predictions", preds, "--label", "label", "--score", "score", "--group", "gender",
                "--group", "age_band", "--threshold", "0.5"]
        runs = c.runs if n == 1_000_000 else 1
        e = c.runs_of([c.erosion, "audit", *base, "--bootstrap", "1000", "--out", c.scratch / f"audit_{n}"], runs)
        e0 = c.runs_of([c.erosion, "audit", *base, "--bootstrap", "0", "--out", c.scratch / f"audit_{n}_noboot"], runs)
        raw[n] = {"erosion": e, "erosion_noboot": e0}
        se, se0 = tsum(e), tsum(e0)
        rows.append([f"{fmt_n(n)}", "erosion audit (1,000 bootstrap replicates, Wilson and bootstrap intervals, plots, report)",
                     fmt_t(se), f"{se.get('peak_mb', 0):.0f}", "whole command"])
        rows.append([f"{fmt_n(n)}", "erosion audit --bootstrap 0 (point estimates, Wilson intervals, plots, report)",
                     fmt_t(se0), f"{se0.get('peak_mb', 0):.0f}", "whole command"])
        if n == 1_000_000 or big:
            t, fl = c.peer("fairness_fairlearn.py", ["--predictions", preds])
            raw[n].update({"fairlearn": fl, "fairlearn_time": t})
            if fl:
                rows.append([f"{fmt_n(n)}", "Fairlearn MetricFrame (point estimates; same metrics, groupings and aggregates)",
                             fmt_s(t["wall_s"]), f"{t['peak_mb']:.0f}",
                             f"whole script; MetricFrames alone {fmt_s(fl['compute_s'])} s, reading {fmt_s(fl['read_s'])} s"])
                gm = c.scratch / f"audit_{n}_noboot" / "group_metrics.csv"
                if gm.exists():
                    okk, msg, per = compare_audit(gm, fl)
                    raw[n]["check"] = [okk, msg, per]
                    v.append(verdict(f"same numbers as Fairlearn at {fmt_n(n)} rows (1e-9)", okk, msg))
                if se.get("n") and n == 1_000_000:
                    v.append(verdict("erosion's full audit faster than Fairlearn's point estimates at 1M rows",
                                     se["median_s"] < t["wall_s"],
                                     f"{fmt_s(se['median_s'])} s vs {fmt_s(t['wall_s'])} s, "
                                     f"{t['wall_s'] / se['median_s']:.0f}× "))
            else:
                rows.append([f"{fmt_n(n)}", "Fairlearn MetricFrame", "failed", "", ""])
        else:
            rows.append([f"{fmt_n(n)}", "Fairlearn MetricFrame", "not run", "",
                         "about 25 min at 10M earlier; `--fairness-10m-peer` runs it"])
    c.notes.append("Predictions are synthetic and seeded (`fairness_fairlearn.py --make`): label, score, gender "
                   "(3 groups, one of 2 %), age_band (6 groups); threshold 0.5; groupings gender, age_band and "
                   "gender × age_band. Fairlearn computes the point estimates erosion reports (13 metrics by "
                   "group and overall, difference and ratio both ways) but no intervals; its MetricFrame "
                   "bootstrap (`n_boot`) repeats all of that per replicate, so 1,000 replicates were not run. "
                   "The check compares erosion's `group_metrics.csv` with Fairlearn's by-group and overall values.")
    return {"tables": [{"columns": ["rows", "tool", "wall s", "peak memory MiB", "time covers"], "rows": rows}],
            "verdicts": v, "raw": {str(k): x for k, x in raw.items()}}


# ---- 6. Scoring -------------------------------------------------------------------------------

def sec_scoring(c: SCtx) -> dict:
    s100, s1m = c.sims[100_000], c.sims[1_000_000]
    d = c.scratch
    stamp = d / "prep-stamp.json"
    want = {"erosion": sha256(c.erosion), "sim100k": str(s100), "sim1m": str(s1m)}
    old = read_json(stamp) or {}
    if REUSE_ANY_BINARY and old:
        want["erosion"] = old.get("erosion")
    cached = old == want and all(x.exists() for x in (d / "model.json", d / "model.onnx", d / "lgb.txt",
                                                      d / "train_features.parquet", d / "score_features.parquet"))
    train_t, model, onnx = d / "train_features.parquet", d / "model.json", d / "model.onnx"
    score_t, lgbm = d / "score_features.parquet", d / "lgb.txt"
    matched = d / "lgb-matched.json"  # LightGBM refitted with the erosion model's shape
    prep = {}
    if not cached:
        stamp.unlink(missing_ok=True)
        prep["train_features"] = c.run([c.erosion, "features", "--events", s100 / "events.parquet", "--customers",
                                        s100 / "customers.parquet", "--as-of", "2025-01-01..2025-07-02/91d",
                                        "--horizon", "90d", "--out", train_t])
        prep["train"] = c.run([c.erosion, "train", "--features", train_t, "--label", "erosion", "--family", "gbdt",
                               "--horizon", "90d", "--out", model])
        prep["export"] = c.run([c.erosion, "export", "--model", model, "--format", "onnx", "--out", onnx])
        prep["score_features"] = c.run([c.erosion, "features", "--events", s1m / "events.parquet", "--customers",
                                        s1m / "customers.parquet", "--as-of", "2025-10-01", "--horizon", "90d",
                                        "--out", score_t])
        tf, fit = c.peer("scoring_peer.py", ["--fit", "--train", train_t, "--target", "erosion", "--onnx", onnx,
                                              "--lgb", lgbm, "--match-bundle", model])
        prep["lightgbm_fit"] = {**tf, "json": fit}
        if all(ok(x) for x in prep.values()):
            stamp.write_text(json.dumps(want))
            matched.write_text(json.dumps(fit))
    if cached and not matched.exists():
        # LightGBM with the erosion model's trees, leaves and depth (same work per row)
        tf, fit = c.peer("scoring_peer.py", ["--fit", "--train", train_t, "--target", "erosion", "--onnx", onnx,
                                              "--lgb", lgbm, "--match-bundle", model])
        prep["lightgbm_fit"] = {**tf, "json": fit}
        if ok(prep["lightgbm_fit"]):
            matched.write_text(json.dumps(fit))
    if cached:
        c.notes.append("The model, its ONNX export, the LightGBM model and both feature tables were reused from an "
                       "earlier run" + (" (`--reuse-data`: made by an earlier build of erosion)" if REUSE_ANY_BINARY else
                                        " with the same erosion binary and data") +
                       "; delete `prep-stamp.json` to redo them.")
        for cmd in ([c.erosion, "features", "--events", s100 / "events.parquet", "--customers", s100 / "customers.parquet",
                     "--as-of", "2025-01-01..2025-07-02/91d", "--horizon", "90d", "--out", train_t],
                    [c.erosion, "train", "--features", train_t, "--label", "erosion", "--family", "gbdt", "--horizon", "90d", "--out", model],
                    [c.erosion, "export", "--model", model, "--format", "onnx", "--out", onnx],
                    [c.erosion, "features", "--events", s1m / "events.parquet", "--customers", s1m / "customers.parquet",
                     "--as-of", "2025-10-01", "--horizon", "90d", "--out", score_t]):
            c.commands.append("# (reused) " + shlex.join(map(str, cmd)))
    rows, raw = [], {"prep": prep}
    n = 1_000_000
    runs = max(1, min(c.runs, 3))
    ero_f, lg, ox = [], [], []
    for _ in range(runs):
        ero_f.append(c.run([c.score, "--model", model, "--features", score_t, "--out", d / "scores_features.parquet", "--quiet"]))
        lg.append(c.peer("scoring_peer.py", ["--predict", "lightgbm", "--features", score_t, "--onnx", onnx,
                                             "--lgb", lgbm, "--out", d / "scores_lgb.parquet"]))
        ox.append(c.peer("scoring_peer.py", ["--predict", "onnx", "--features", score_t, "--onnx", onnx,
                                             "--out", d / "scores_onnx.parquet", "--check", d / "scores_features.parquet"]))
    raw.update({"erosion_features": ero_f, "lightgbm": lg, "onnx": ox})
    se = tsum(ero_f)
    sl = tsum([t for t, _ in lg])
    so = tsum([t for t, _ in ox])
    # Rows of the feature table (the population at the cutoff), as the peers read it.
    n = next((j["rows"] for _, j in lg + ox if j and j.get("rows")), n)
    c.notes.append(f"The feature table has {n:,} rows (the population of the 1M simulated at "
                   "2025-10-01: customers still here, active in the 90 days before it); rows/s divides that by the median wall time. erosion-score writes customers who "
                   "objected to profiling to its exclusions file instead of scoring them; the peers score every row.")

    def rate(s):
        return f"{n / s['median_s']:,.0f}" if s.get("n") else "–"

    def inner(pairs):
        js = [j for _, j in pairs if j]
        return (f"read {fmt_list([j['read_s'] for j in js])}, predict {fmt_list([j['predict_s'] for j in js])}, "
                f"write {fmt_list([j['write_s'] for j in js])} s") if js else ""
    rows.append(["erosion-score --features (probability, trust score, band, 3 reasons, action)", fmt_t(se),
                 fmt_list([x.get("cpu_s") for x in ero_f if ok(x)]), f"{se.get('peak_mb', 0):.0f}", rate(se), "whole command"])
    shape = (read_json(matched) or {}).get("lightgbm_shape") or {"n_estimators": 200}
    shape_txt = f"{shape['n_estimators']} trees" + (
        f", {shape['num_leaves']} leaves, depth {shape['max_depth']}: the erosion model's shape" if "num_leaves" in shape else "")
    rows.append([f"LightGBM 4.7 `Booster.predict` ({shape_txt}, same columns)", fmt_t(sl),
                 fmt_list([t.get("cpu_s") for t, _ in lg if ok(t)]), f"{sl.get('peak_mb', 0):.0f}", rate(sl),
                 "whole script: " + inner(lg)])
    rows.append(["ONNX Runtime 1.32 on `erosion export` (probability only)", fmt_t(so),
                 fmt_list([t.get("cpu_s") for t, _ in ox if ok(t)]), f"{so.get('peak_mb', 0):.0f}", rate(so),
                 "whole script: " + inner(ox)])
    v = []
    if se.get("n") and sl.get("n"):
        v.append(verdict("erosion-score (features mode) ≥ 2× LightGBM's rows/s", sl["median_s"] / se["median_s"] >= 2,
                         f"{rate(se)} vs {rate(sl)} rows/s: {sl['median_s'] / se['median_s']:.2f}×"))
    chk = [j.get("check") for _, j in ox if j and j.get("check")]
    if chk:
        c.notes.append(f"ONNX Runtime's probabilities against erosion-score's on {chk[-1]['rows']:,} customers: "
                       f"largest absolute difference {chk[-1]['max_abs_diff']:.2e}.")
        if se.get("n") and sl.get("n"):
            scored = chk[-1]["rows"]
            c.notes.append(f"Counting only the {scored:,} customers erosion-score scored (the others objected to "
                           f"profiling and were written to the exclusions file unscored), erosion-score's rate is "
                           f"{scored / se['median_s']:,.0f} scored rows/s against LightGBM's {rate(sl)} rows/s: "
                           f"{scored / se['median_s'] / (n / sl['median_s']):.2f}×.")
    # Raw mode: events and customers of 1M simulated customers.
    raw_runs = c.runs_of([c.score, "--model", model, "--events", s1m / "events.parquet", "--customers",
                          s1m / "customers.parquet", "--as-of", "2025-10-01", "--out", d / "scores_raw.parquet", "--quiet"], 1)
    raw["erosion_raw"] = raw_runs
    sr = tsum(raw_runs)
    rows2 = [["erosion-score --events --customers --as-of (features + scoring)", fmt_t(sr),
              fmt_list([x.get("cpu_s") for x in raw_runs if ok(x)]), f"{sr.get('peak_mb', 0):.0f}",
              f"{1_000_000 / sr['median_s']:,.0f} customers/s" if sr.get("n") else "–"]]
    if sr.get("n"):
        v.append(verdict("raw mode at 1M customers under 8 GB peak memory", sr["peak_mb"] * 1024 * 1024 < 8e9,
                         f"{sr['peak_mb']:.0f} MiB, {fmt_s(sr['median_s'])} s"))
    c.notes.append("Model: `erosion train --family gbdt --label erosion` on the features of 100k simulated customers at "
                   f"the demo's three cutoffs (2025-01-01..2025-07-02/91d); LightGBM ({shape_txt}) trained on the same "
                   "table and input columns (the ONNX graph's inputs). Scored: the features of 1M simulated customers "
                   "at 2025-10-01. erosion-score writes more per row (trust score, band, reasons, action) than the "
                   "peers (probability). CPU s above wall s means more than one core was used.")
    return {"tables": [{"caption": "Features mode: 1M customers, a ready feature table.",
                        "columns": ["tool", "wall s", "CPU s", "peak memory MiB", "rows/s", "time covers"], "rows": rows},
                       {"caption": "Raw mode: 1M customers' events and customers files.",
                        "columns": ["tool", "wall s", "CPU s", "peak memory MiB", "rows/s"], "rows": rows2}],
            "verdicts": v, "raw": raw}


# ---- gbdt_speed: erosion's gbdt vs LightGBM, fit 200k x 30 and predict 1M x 30 (issue 4) ----

GBDT_SPEED_PEER = HERE / "gbdt_speed_peer.py"


def _gbdt_speed_run(a: argparse.Namespace, py: Path, logfile: Path) -> dict:
    data = a.data / "gbdt-speed"
    stamp = data / "stamp.json"
    want = {"script_sha256": sha256(GBDT_SPEED_PEER)}
    if not stamp.exists() or json.loads(stamp.read_text()) != want:
        run([str(py), str(GBDT_SPEED_PEER), "--make-data", str(data)], check=True)
        stamp.write_text(json.dumps(want))
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    if not a.skip_build:  # with --skip-build, the example as it was last built
        run(["cargo", "build", "--release", "-p", "erosion-models", "--example", "gbdt_speed"],
            cwd=ROOT, check=True)
    example = target / "release" / "examples" / "gbdt_speed"
    nproc = os.cpu_count() or 1
    entry = {"measured": "", "threads": {}, "commands": {}, "load_before": loadavg()}
    for threads in sorted({1, nproc}):
        cmds = {
            "erosion": ([str(example), str(data), "1"], {"RAYON_NUM_THREADS": str(threads)}),
            # several OpenMP threads wait passively: on a shared machine, spinning threads
            # fight the other work for the cores (its fit took ~8x longer on 2 busy cores)
            "lightgbm": ([str(py), str(GBDT_SPEED_PEER), "--data", str(data),
                          "--threads", str(threads), "--runs", "1"],
                         {"OMP_WAIT_POLICY": "PASSIVE"} if threads > 1 else {}),
        }
        runs: dict[str, list[dict]] = {"erosion": [], "lightgbm": []}
        for _ in range(a.runs):  # alternating: erosion, LightGBM, erosion, ...
            for tool, (cmd, env) in cmds.items():
                log("$ " + " ".join(f"{k}={v}" for k, v in env.items()) + " " + shlex.join(cmd))
                r = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True,
                                   timeout=a.timeout)
                with open(logfile, "a") as out:
                    out.write(f"\n$ {shlex.join(cmd)}\n{r.stdout}{r.stderr}")
                lines = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
                one = next((l for l in lines if not l.get("summary")), None)
                runs[tool].append(one if r.returncode == 0 and one else {"rc": r.returncode})
                log(f"  -> {runs[tool][-1]}")
        entry["threads"][str(threads)] = runs
        entry["commands"][str(threads)] = [
            " ".join(f"{k}={v}" for k, v in env.items()) + (" " if env else "") + shlex.join(cmd)
            for cmd, env in cmds.values()]
    entry["measured"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    entry["load_after"] = loadavg()
    return entry


def _gbdt_speed_render(e: dict) -> list[str]:
    out = ["## Training and scoring: erosion `gbdt` vs LightGBM", "",
           "Gradient-boosted trees fit on 200,000 rows x 30 features and scoring 1,000,000 rows, "
           "on one synthetic data set both tools read from the same files "
           "(`benches/peers/gbdt_speed_peer.py --make-data`: numpy, fixed seed; normal, uniform, "
           "skewed, few-valued and correlated features, 10 % missing in 4 of them, a noisy "
           "logistic label with interactions and thresholds). Same settings on both sides: 200 "
           "trees, 31 leaves, 255 bins, learning rate 0.1, at least 20 rows and 1e-3 hessian a "
           "leaf, no L2, no depth limit, no subsampling, no early stopping, bins from 200,000 "
           "rows. Fit = binning + training from an in-memory matrix (erosion `Gbdt::fit`, "
           "LightGBM `Dataset` + `train`); predict = raw scores of the 1,000,000 test rows; the "
           "test AUC is of those scores. Timed inside each tool (loading not timed): "
           "`crates/erosion-models/examples/gbdt_speed.rs` and the peer script, one process "
           "per run, alternating; median wall time (min–max), median CPU time, and the ratio "
           "of median wall times (erosion / LightGBM: below 1 means erosion is faster). With "
           "several threads LightGBM runs with `OMP_WAIT_POLICY=PASSIVE`, so that its waiting "
           "threads sleep instead of spinning: on a shared machine with busy cores, spinning "
           "made its 2-thread fit about 8x slower (erosion's rayon threads sleep after a short spin).", "",
           "Target (issue 4): fit within 1.5x of LightGBM's time at equal AUC (within 0.002), "
           "predict at least as fast.", "",
           f"Measured {e.get('measured', '?')}; load average {e.get('load_before', '?')} before, "
           f"{e.get('load_after', '?')} after (on a shared machine, CPU time is the steadier "
           "measure; wall time counts time spent waiting for a core).", ""]
    for threads, runs in sorted(e["threads"].items(), key=lambda kv: int(kv[0])):
        out += [f"**{threads} thread{'s' if threads != '1' else ''}:**", "",
                "| tool | fit s (median) | fit min–max | fit CPU s | predict s (median) | "
                "predict min–max | predict CPU s | test AUC | ratio fit | ratio predict |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        med = {}
        for tool in ("erosion", "lightgbm"):
            ok = [r for r in runs[tool] if "fit_s" in r]
            if ok:
                med[tool] = {k: statistics.median(r[k] for r in ok)
                             for k in ("fit_s", "predict_s", "fit_cpu_s", "predict_cpu_s", "auc")}
                med[tool]["fit_rng"] = (min(r["fit_s"] for r in ok), max(r["fit_s"] for r in ok))
                med[tool]["pred_rng"] = (min(r["predict_s"] for r in ok),
                                         max(r["predict_s"] for r in ok))
                med[tool]["n"] = len(ok)
                med[tool]["failed"] = len(runs[tool]) - len(ok)
        for tool, label in (("erosion", "erosion gbdt"), ("lightgbm", "LightGBM")):
            m = med.get(tool)
            if not m:
                out.append(f"| {label} | failed | | | | | | | | |")
                continue
            rf = rp = "–"
            if "erosion" in med and "lightgbm" in med:
                rf = f"{m['fit_s'] / med['lightgbm']['fit_s']:.2f}"
                rp = f"{m['predict_s'] / med['lightgbm']['predict_s']:.2f}"
            fail = f" ({m['failed']} failed)" if m["failed"] else ""
            out.append(f"| {label}{fail} | {m['fit_s']:.2f} | {m['fit_rng'][0]:.2f}–{m['fit_rng'][1]:.2f} | "
                       f"{m['fit_cpu_s']:.2f} | {m['predict_s']:.2f} | "
                       f"{m['pred_rng'][0]:.2f}–{m['pred_rng'][1]:.2f} | {m['predict_cpu_s']:.2f} | "
                       f"{m['auc']:.4f} | {rf} | {rp} |")
        if "erosion" in med and "lightgbm" in med:
            er, lg = med["erosion"], med["lightgbm"]
            fit_ok = er["fit_s"] <= 1.5 * lg["fit_s"]
            auc_ok = abs(er["auc"] - lg["auc"]) <= 0.002
            pred_ok = er["predict_s"] <= lg["predict_s"]
            out += ["", f"Target met: {'yes' if fit_ok and auc_ok and pred_ok else 'NO'} "
                    f"(fit {er['fit_s'] / lg['fit_s']:.2f}x LightGBM's, AUC difference "
                    f"{er['auc'] - lg['auc']:+.4f}, predict {er['predict_s'] / lg['predict_s']:.2f}x)."]
        one = {}
        for tool in ("erosion", "lightgbm"):
            ok1 = [r for r in e["threads"].get("1", {}).get(tool, []) if "fit_cpu_s" in r]
            if ok1:
                one[tool] = statistics.median(r["fit_cpu_s"] for r in ok1)
        for tool, label in (("erosion", "erosion"), ("lightgbm", "LightGBM")):
            if threads != "1" and tool in med and tool in one and med[tool]["fit_cpu_s"] > 2 * one[tool]:
                out += ["", f"{label}'s fit used {med[tool]['fit_cpu_s'] / one[tool]:.1f}x the CPU time "
                        "it needs on one thread: its threads spent it waiting for each other (busy "
                        "waiting) while the machine's cores were taken by other work, so this row "
                        "measures the load more than the tool."]
        out += ["", "Commands:", "", "```", *e["commands"][threads], "```", ""]
    return out


# ---- monitor: drift of every input at a million rows, exactness, Evidently, detection (issue 17) ----

MONITOR_DUMP = HERE / "monitor_dump.py"
EVIDENTLY_LIMIT_S = 1800  # Evidently at 1M stopped after 30 minutes; then 100k and 300k instead


def _sha_files(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(bytes.fromhex(sha256(p)))
    return h.hexdigest()


def _evidently(c: SCtx, d: Path, rows: int, data_sha: str) -> dict:
    """Evidently's DataDriftPreset on the dumped tables (tonight's first `rows` rows), under
    /usr/bin/time; reused when an earlier run measured it on the same dumped data."""
    cache = d / f"evidently-{rows}.timing.json"
    cmd = [c.python, MONITOR_DUMP, "evidently", d, "--rows", rows]
    old = read_json(cache) or {}
    if old.get("data_sha256") == data_sha and old.get("timing", {}).get("rc") in (0, "timeout"):
        c.commands.append("# (reused, measured " + old.get("measured", "?") + ") " + shlex.join(map(str, cmd)))
        return old
    c.commands.append(shlex.join(map(str, cmd)))
    t = timed([str(x) for x in cmd], d, EVIDENTLY_LIMIT_S, c.logfile)
    res = {"data_sha256": data_sha, "timing": t, "load_after": loadavg(),
           "measured": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "result": read_json(d / f"evidently-{rows}.json") if t["rc"] == 0 else None}
    cache.write_text(json.dumps(res, indent=1))
    return res


def _alerted_inputs(alerts_json: Path) -> set:
    return {a["input"] for a in (read_json(alerts_json) or []) if a.get("scope") == "overall"
            and a["input"] != "erosion_probability"}


CONSENT_WORDS = ("consent", "privacy", "data_access", "unsubscribed", "trust_credibility")


def _is_consent(alert: str) -> bool:
    """An alert (`input:statistic`) on a consent or privacy input: consent state, privacy
    complaints, data access requests, unsubscribing, and the credibility index built on them."""
    return any(w in alert.split(":")[0] for w in CONSENT_WORDS)


def _detection_rows(det: dict) -> list:
    rows = []
    q = det["quiet_halves"]
    rows.append([det["seed"], "quiet night, other half", len(q["alerts"]), "", f"{q['score_psi']:.4f}", f"{q['score_ks']:.4f}",
                 f"{100 * q['action_share']:.2f} % vs {100 * q['action_reference_share']:.2f} % (p {q['action_p_value']:.2g})",
                 "yes" if any(a.startswith("erosion_probability") for a in q["alerts"]) else "no",
                 ", ".join(a for a in q["alerts"] if _is_consent(a)), ""])
    for date in ("2024-07-15", "2024-08-15", "2024-09-01"):
        x = det[date]
        for tag in ("incident", "control"):
            n = x[tag]
            rows.append([det["seed"], f"{date} {'after the incident' if tag == 'incident' else 'no incident (control)'}",
                         len(n["alerts"]), f"{n['erosion_rate']:.3f}", f"{n['score_psi']:.4f}", f"{n['score_ks']:.4f}",
                         f"{100 * n['action_share']:.2f} % vs {100 * n['action_reference_share']:.2f} % "
                         f"({n['action_relative_change']:+.0%}, p {n['action_p_value']:.2g})",
                         "yes" if any(a.startswith("erosion_probability") for a in n["alerts"]) else "no",
                         ", ".join(a for a in n["alerts"] if _is_consent(a)),
                         ", ".join(x["incident_only"]) if tag == "incident" else ""])
    return rows


def _realised_at_scale(c: SCtx, s1m: Path, model: Path, d: Path) -> list:
    """The nightly pair at a million customers with a matured night: `erosion-score` of the 1M
    simulation at 2025-07-01, then `erosion monitor` from raw events at 2025-10-01 with that score
    file (features, labels, realised performance and fairness by region), with the default 1,000
    bootstrap replicates of the fairness intervals and with none: what the intervals cost."""
    scores = d / "scores_july_1m.parquet"
    if not ok(c.run([c.score, "--model", model, "--events", s1m / "events.parquet", "--customers",
                     s1m / "customers.parquet", "--as-of", "2025-07-01", "--out", scores, "--quiet"])):
        return []
    rows = []
    for b in (1000, 0):
        t = c.run([c.erosion, "monitor", "--model", model, "--events", s1m / "events.parquet", "--customers",
                   s1m / "customers.parquet", "--as-of", "2025-10-01", "--scores", scores, "--by", "region",
                   "--bootstrap", b, "--out", d / f"realised1m-{b}", "-q"])
        night = ((read_json(d / f"realised1m-{b}" / "monitor.json") or {}).get("realised") or [{}])[0]
        labelled = sum(p["rows"] for p in night.get("performance", [])[:1])
        rows.append([f"`erosion monitor --events --as-of 2025-10-01 --scores` (1M customers' events; the score file of "
                     f"2025-07-01 matured: {labelled:,} labelled customers; realised performance and fairness by "
                     f"region, `--bootstrap {b}`)", fmt_s(t["wall_s"]) if ok(t) else "failed",
                     fmt_list([t.get("cpu_s")]), f"{t.get('peak_mb') or 0:.0f}"])
    return rows


def sec_monitor(c: SCtx) -> dict:
    s100, s1m = c.sims[100_000], c.sims[1_000_000]
    d = c.scratch
    train_t, score_t, model = d / "train_features.parquet", d / "score_features.parquet", d / "model.json"
    stamp = d / "prep-stamp.json"
    want = {"erosion": sha256(c.erosion), "sim100k": str(s100), "sim1m": str(s1m)}
    old = read_json(stamp) or {}
    if REUSE_ANY_BINARY and old:
        want["erosion"] = old.get("erosion")
    prep_cmds = [
        [c.erosion, "features", "--events", s100 / "events.parquet", "--customers", s100 / "customers.parquet",
         "--as-of", "2025-01-01..2025-07-02/91d", "--horizon", "90d", "--out", train_t],
        [c.erosion, "features", "--events", s1m / "events.parquet", "--customers", s1m / "customers.parquet",
         "--as-of", "2025-10-01", "--horizon", "90d", "--out", score_t],
        [c.erosion, "train", "--features", train_t, "--label", "erosion", "--family", "gbdt", "--horizon", "90d",
         "--out", model],
        [c.python, MONITOR_DUMP, "dump", train_t, score_t, d, "--rows", 1_000_000],
    ]
    if old == want and all(x.exists() for x in (train_t, score_t, model, d / "tonight.parquet", d / "tonight.f64")):
        c.notes.append("The feature tables, the model and the dumps were reused from an earlier run of the same "
                       "erosion binary; delete `prep-stamp.json` to redo them.")
        c.commands += ["# (reused) " + shlex.join(map(str, x)) for x in prep_cmds]
    else:
        stamp.unlink(missing_ok=True)
        if not all(ok(c.run(x)) for x in prep_cmds):
            return {"error": "preparing the tables, the model or the dumps failed (see harness.log)"}
        stamp.write_text(json.dumps(want))
    data_sha = _sha_files(d / "train.f64", d / "tonight.f64")
    names = (d / "names.txt").read_text().split("\n")
    tables, v = [], []
    head = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %cd", "--date=format:%Y-%m-%d %H:%M"],
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "crates"],
                           capture_output=True, text=True).stdout.strip()
    built = dt.datetime.fromtimestamp(c.erosion.stat().st_mtime, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    c.notes.append(f"Workspace at commit {head}{' with uncommitted changes under crates/' if dirty else ''}; "
                   f"`{c.erosion}` built {built} (the workspace's plain release profile).")

    # 1. The whole command at a million rows, and the statistics alone.
    mon = c.runs_of([c.erosion, "monitor", "--model", model, "--features", d / "tonight.parquet",
                     "--out", d / "mon1m", "-q"], max(1, min(c.runs, 3)))
    sm = tsum(mon)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    run(["cargo", "build", "--release", "-p", "erosion-monitor", "--example", "drift_speed"], cwd=ROOT, check=True)
    stats = c.run([target / "release" / "examples" / "drift_speed", d, "2"])
    chk_t = c.run([c.python, MONITOR_DUMP, "check", d])
    chk = read_json(d / "check.json") or {}
    rows = [["`erosion monitor --features` (read 1M-row Parquet, score it, drift of every model input and the score, "
             "write monitor.json, alerts.json, report.html)", fmt_t(sm), fmt_list([x.get("cpu_s") for x in mon if ok(x)]),
             f"{sm.get('peak_mb', 0):.0f}"]]
    if chk:
        rows.append([f"the statistics alone ({len(names)} columns × 1,000,000 rows against the reference; "
                     "`drift_speed` example, 2 threads)", f"{chk['erosion_compare_s']:.2f}", "", ""])
        rows.append(["building the reference (193,355 training rows)", f"{chk['erosion_build_s']:.2f}", "", ""])
    rows += _realised_at_scale(c, s1m, model, d)
    tables.append({"caption": "Speed: 1,000,000 rows tonight (the 627,064-row population of the 1M simulation at "
                              "2025-10-01, then its first rows again) against the reference of the 193,355 training rows.",
                   "columns": ["what", "wall s", "CPU s", "peak memory MiB"], "rows": rows})
    if chk:
        v.append(verdict("drift of every input, 1M rows, under 10 s on this machine (the statistics)",
                         chk["erosion_compare_s"] < 10, f"{chk['erosion_compare_s']:.2f} s"))
    if sm.get("n"):
        v.append(verdict("the whole `erosion monitor` command at 1M rows under 10 s", sm["median_s"] < 10,
                         f"{fmt_s(sm['median_s'])} s, {sm['peak_mb']:.0f} MiB"))

    # 2. Exactness: KS vs SciPy, PSI vs a Python reference, JS vs SciPy; realised ROC-AUC vs scikit-learn.
    ex = []
    if chk:
        w = chk["max_abs_difference"]
        ex += [["KS statistic vs `scipy.stats.ks_2samp`", f"{w['ks_statistic']:.2g}", f"{len(names)} columns"],
               ["KS p-value vs SciPy", f"{w['ks_p_value']:.2g}", ", ".join(f"{k}: {n}" for k, n in chk["ks_methods"].items())],
               ["PSI vs the Python reference in monitor_dump.py", f"{w['psi']:.2g}", ""],
               ["Jensen–Shannon vs `scipy.spatial.distance.jensenshannon(base=2)`", f"{w['jensen_shannon']:.2g}", ""]]
        v.append(verdict("KS equal to SciPy's ks_2samp (1e-9)", w["ks_statistic"] <= 1e-9 and w["ks_p_value"] <= 1e-9,
                         f"statistic {w['ks_statistic']:.2g}, p-value {w['ks_p_value']:.2g}"))
    july, lab = d / "scores_july.parquet", d / "labels_july.parquet"
    real_ok = all(ok(c.run(x)) for x in (
        [c.score, "--model", model, "--events", s100 / "events.parquet", "--customers", s100 / "customers.parquet",
         "--as-of", "2025-07-01", "--out", july, "--quiet"],
        [c.erosion, "monitor", "--model", model, "--events", s100 / "events.parquet", "--customers",
         s100 / "customers.parquet", "--as-of", "2025-10-01", "--scores", july, "--by", "region",
         "--out", d / "realised", "-q"],
        [c.erosion, "features", "--events", s100 / "events.parquet", "--customers", s100 / "customers.parquet",
         "--as-of", "2025-07-01", "--horizon", "90d", "--out", lab, "-q"],
        [c.python, MONITOR_DUMP, "realised", d / "realised" / "monitor.json", july, lab, "erosion",
         "--json-out", d / "realised.json"]))
    real = read_json(d / "realised.json") if real_ok else None
    if real:
        ex.append(["realised ROC-AUC vs `sklearn.metrics.roc_auc_score`", f"{real['roc_auc_abs_difference']:.2g}",
                   f"{real['rows_erosion']:,} labelled customers of the 100k simulation scored 2025-07-01 "
                   f"(scikit-learn: {real['rows_sklearn']:,}; positives {real['positives_erosion']:,} / {real['positives_sklearn']:,})"])
        ex.append(["realised Brier vs `sklearn.metrics.brier_score_loss`", f"{real['brier_abs_difference']:.2g}", ""])
        v.append(verdict("realised ROC-AUC equal to scikit-learn's on the same rows (1e-9)",
                         real["roc_auc_abs_difference"] <= 1e-9 and real["rows_erosion"] == real["rows_sklearn"],
                         f"{real['roc_auc_abs_difference']:.2g} on {real['rows_erosion']:,} rows"))
    if ex:
        tables.append({"caption": "Exactness: largest absolute difference.", "columns": ["what", "difference", "on"], "rows": ex})

    # 3. Evidently's data-drift report on the same two tables.
    ev_rows, drifted_1m = [], None
    alerted = _alerted_inputs(d / "mon1m" / "alerts.json")
    inputs = [x["input"] for x in (read_json(d / "mon1m" / "monitor.json") or {"drift": [{"inputs": []}]})["drift"][0]["inputs"]]
    full = _evidently(c, d, 1_000_000, data_sha)
    runs_ev = [(1_000_000, full)]
    if full["timing"]["rc"] != 0:
        runs_ev += [(n, _evidently(c, d, n, data_sha)) for n in (100_000, 300_000)]
    for n, e in runs_ev:
        t = e["timing"]
        res = e.get("result") or {}
        if t["rc"] == 0:
            ev_rows.append([f"{n:,}", f"{t['wall_s']:.0f}", f"{t.get('cpu_s', 0):.0f}", f"{t['peak_mb']:.0f}",
                            str(len(res.get("drifted", []))), e["measured"], e.get("load_after", "")])
            if n == 1_000_000:
                drifted_1m = set(res.get("drifted", []))
        else:
            ev_rows.append([f"{n:,}", f"stopped after {t['wall_s'] or EVIDENTLY_LIMIT_S:.0f}" if t["rc"] == "timeout"
                            else f"failed ({t['rc']})", f"{t.get('cpu_s') or 0:.0f}", f"{t['peak_mb'] or 0:.0f}", "",
                            e["measured"], e.get("load_after", "")])
    tables.append({"caption": f"Evidently {((full.get('result') or {}).get('version')) or '0.7'} `DataDriftPreset` "
                              f"(its defaults) on the same {len(names)} columns: 193,355 reference rows against tonight's "
                              "first N rows, one process under /usr/bin/time (reading the dumps into pandas included).",
                   "columns": ["rows tonight", "wall s", "CPU s", "peak memory MiB", "columns it calls drifted",
                               "measured", "load average after"], "rows": ev_rows})
    if drifted_1m is not None and inputs:
        common = [x for x in inputs if x in names]
        ev, er = drifted_1m & set(common), alerted & set(common)
        agree = sum(1 for x in common if (x in ev) == (x in er))
        c.notes.append(f"Drifted columns at 1M rows, on the {len(common)} columns both tools compared: erosion alerts on "
                       f"{len(er)}, Evidently calls {len(ev)} drifted; they agree on {agree} of {len(common)} columns "
                       f"({len(ev & er)} drifted for both). Evidently only: {', '.join(sorted(ev - er)) or 'none'}. "
                       f"erosion only: {', '.join(sorted(er - ev)) or 'none'}. Evidently's per-column tests at this "
                       f"size are {', '.join((full.get('result') or {}).get('methods', []))} against its 0.1 threshold; "
                       "erosion's are PSI above 0.2 plus its no-drift expectation with a significant KS, KS ≥ 0.1 at a "
                       "Bonferroni-corrected p < 0.01, a share away from an input's usual value changed by a fifth "
                       "at the same level, or a missing share moved by 0.1.")
    if sm.get("n") and full["timing"]["rc"] == 0:
        v.append(verdict("Evidently's data-drift report on the same 1M-row tables, side by side", True,
                         f"erosion monitor {fmt_s(sm['median_s'])} s / {sm['peak_mb']:.0f} MiB, Evidently "
                         f"{full['timing']['wall_s']:.0f} s / {full['timing']['peak_mb']:.0f} MiB"))

    # 4. Detection: the incident flagged, a quiet night's two halves not (two seeds, no-incident controls).
    det_rows = []
    for seed in (5, 11):
        out = d / f"detection-{seed}.json"
        if ok(c.run([c.python, HERE / "monitor_detection.py", "--bin", c.erosion.parent, "--seed", seed,
                     "--work", d / "detection", "--json-out", out])):
            det = read_json(out)
            det_rows += _detection_rows(det)
            quiet = not det["quiet_halves"]["alerts"]
            after = [det[x]["incident"]["alerts"] for x in ("2024-08-15", "2024-09-01")]
            flagged = all("erosion_probability:action_share" in a for a in after)
            late = [det[x]["incident_only"] for x in ("2024-08-15", "2024-09-01")]
            engagement = [sorted({a.split(":")[0] for a in x if not a.startswith("erosion_probability")}) for x in late]
            consent = [[a for a in x if _is_consent(a)] for x in late]
            in_control = sorted({a for x in ("2024-08-15", "2024-09-01") for a in det[x]["control"]["alerts"]
                                 if _is_consent(a)})
            v.append(verdict(f"detection, seed {seed}: inputs the incident moves flagged (not in the control) at 8 and 10 weeks",
                             all(engagement), "; ".join(", ".join(x) or "none" for x in engagement)))
            v.append(verdict(f"detection, seed {seed}: consent and privacy inputs flagged (not in the control) at 8 and 10 weeks",
                             all(consent), "; ".join(", ".join(x) or "none" for x in consent)
                             + f"; flagged in the control too (opt-outs and totals accumulate without the incident): "
                             f"{', '.join(in_control) or 'none'}"))
            v.append(verdict(f"detection, seed {seed}: the quiet night's two halves flag nothing", quiet,
                             f"{len(det['quiet_halves']['alerts'])} alerts"))
            v.append(verdict(f"detection, seed {seed}: the score flagged 8 and 10 weeks after the incident", flagged,
                             "action share " + ", ".join(f"{det[x]['incident']['action_relative_change']:+.0%}"
                                                         for x in ("2024-07-15", "2024-08-15", "2024-09-01"))
                             + " at 4, 8, 10 weeks; controls " + ", ".join(f"{det[x]['control']['action_relative_change']:+.0%}"
                                                                            for x in ("2024-07-15", "2024-08-15", "2024-09-01"))))
    if det_rows:
        tables.append({"caption": "Detection (`monitor_detection.py`): 20,000 simulated customers from 2022-01-01, the "
                                  "incident on 2024-06-19; the model (`--family auto`) trained on one half of the quiet "
                                  "night 2024-03-01; each night also simulated without the incident (the control).",
                       "columns": ["seed", "night", "alerts", "erosion rate (truth)", "score PSI", "score KS",
                                   "share at or above the action threshold vs reference", "score flagged",
                                   "consent and privacy alerts", "alerts only with the incident"], "rows": det_rows})
    return {"tables": tables, "verdicts": v, "raw": {"monitor": mon, "stats": stats, "check": chk_t, "realised": real}}




SECTIONS: list[Section] = [
    Section(name="gbdt_speed", raw_run=_gbdt_speed_run, raw_render=_gbdt_speed_render),
    Section(
        name="telco",
        title="Training accuracy on Telco: `erosion train` vs scikit-learn, LightGBM, XGBoost",
        about=("IBM Telco churn CSV (7,043 customers) as it is: `--label Churn --positive Yes --id customerID`, "
               "every other column an input. 5-fold stratified cross-validated ROC-AUC, seed 0, from "
               "`erosion train --metrics-out` (the validated family's mean over folds) and from "
               "`benches/peers/telco_peer.py` for the peers."),
        run=sec_telco),
    Section(
        name="cdnow",
        title="Churn on real purchase histories (CDNOW): `erosion features` + `train` vs LightGBM on RFM and BG/NBD",
        about=("CDNOW's 69,659 purchases of 23,570 customers read as they are (whitespace-separated with a header line, "
               "YYYYMMDD) through the column-mapping flags; cutoff 1997-10-01, churn = no purchase from the cutoff "
               "to 1998-06-30 (horizon 273 days), over every customer ever active (`--active-within all`: \"will they ever come back\"). erosion: `erosion features` then `erosion train --family auto` "
               "(5-fold stratified). Peers (`cdnow_peer.py`): LightGBM on 8 RFM features from the same file "
               "(5-fold stratified, seed 0) and the BG/NBD model of `lifetimes`."),
        run=sec_cdnow),
    Section(
        name="oracle",
        title="Early warning on the population: simulated churn against an oracle that knows the latent truth",
        about=("`erosion simulate --n-customers 100000 --duration 730d --seed 7`; `erosion features --as-of 2025-10-01 "
               "--horizon 90d` (the population: customers still here, active in the 90 days before the cutoff) and "
               "`erosion train --label churn --family auto` (5-fold) on observed events only, against LightGBM on "
               "the same feature table and oracles (`oracle_peer.py`) fitted on the simulator's `truth.parquet` as "
               "of the cutoff, on the same rows and labels, 5-fold stratified (seed 0)."),
        run=sec_oracle, sims=(ORACLE_N,)),
    Section(
        name="train_protocol",
        title="Training end to end: `erosion train --family gbdt` vs LightGBM through the same protocol",
        about=("`erosion features` at five cutoffs (2024-10-01 to 2025-09-30, 91 days apart) on the 100k "
               "simulation; `erosion train --label churn --family gbdt`: time-based validation (three folds, each "
               "trained on cutoffs at least the 90-day horizon earlier), early stopping on a stratified 15 % with "
               "refit in every fit, Platt calibration, the final model, SHAP importance. `train_protocol_peer.py` "
               "runs LightGBM through the same steps on erosion's folds with erosion's tree settings."),
        run=sec_train_protocol, sims=(ORACLE_N,)),
    Section(
        name="population",
        title="Who the nightly job scores: erosion-score against the simulator's truth",
        about=("A fresh `erosion simulate --n-customers 20000 --duration 730d --seed 11`; `erosion features` at the demo's "
               "three cutoffs, `erosion train --label erosion --family gbdt` (the demo's model), then `erosion-score` "
               "from the raw histories as of 2025-10-01. `population_check.py` joins the scores to `truth.parquet` "
               "and to the events: who had already churned, who had cancelled, and whether they got an action."),
        run=sec_population),
    Section(
        name="fairness",
        title="Fairness audit: `erosion audit --predictions` vs Fairlearn MetricFrame",
        about=("The same predictions file (Parquet: label, score, gender, age_band) audited by gender, age band and "
               "their intersection at threshold 0.5: `erosion audit --predictions` (with and without its 1,000 "
               "bootstrap replicates) against `fairness_fairlearn.py` (Fairlearn 0.15 MetricFrame with the same "
               "metrics and aggregates); then erosion's `group_metrics.csv` is checked against Fairlearn's values."),
        run=sec_fairness),
    Section(
        name="m4",
        title="Forecasting: `erosion forecast` vs statsforecast on M4 Weekly, and at scale",
        about=("M4 Weekly (359 series, horizon 13) from the organisers' train and test files: `erosion forecast "
               "--format m4 --season 52 --method auto|ets|arima|theta` and statsforecast 2.1 AutoETS (season 1 and 52), "
               "AutoARIMA and AutoTheta (season 52), n_jobs=1, all scored by `m4_peer.py` with the organisers' measures: sMAPE, "
               "MASE (in-sample naive scale, lag 1 as M4-info gives for Weekly) and OWA against Naive2 computed on "
               "the same files."),
        run=sec_m4),
    Section(
        name="scoring",
        title="Nightly scoring: `erosion-score` vs LightGBM and ONNX Runtime",
        about=("One million simulated customers scored with a GBDT erosion model trained as the demo trains it. "
               "Features mode: `erosion-score --features` against LightGBM `Booster.predict` and ONNX Runtime on "
               "the model `erosion export --format onnx` wrote, all reading the same Parquet table and writing "
               "Parquet (`scoring_peer.py`). Raw mode: `erosion-score --events --customers --as-of`, which builds "
               "the features itself (no peer does)."),
        run=sec_scoring, sims=(100_000, 1_000_000)),
    Section(
        name="monitor",
        title="Monitoring: `erosion monitor` at a million rows, its exactness, Evidently side by side, detection",
        about=("Reference: the training table of the scoring section's model (`erosion features` of the 100k simulation "
               "at the demo's three cutoffs, 193,355 rows; `erosion train --family gbdt`). Tonight: the features of the "
               "1M simulation at 2025-10-01 (627,064 rows) followed by its first 372,936 rows again: 1,000,000 rows. "
               "`monitor_dump.py` dumps every numeric column of both tables (id, cutoff and labels left out) for the "
               "statistics-only example, the SciPy check and Evidently, and writes the 1M-row table `erosion monitor` "
               "reads. Realised performance: `erosion-score` of the 100k simulation at 2025-07-01 (whose horizon has "
               "passed), evaluated by `erosion monitor --scores` and by scikit-learn on the labels `erosion features` "
               "gives the same night. Detection: `monitor_detection.py`, two seeds."),
        run=sec_monitor, sims=(100_000, 1_000_000)),
]


# --------------------------------------------------------------------------------------------
# Running and timing.

def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    log("$ " + shlex.join(cmd))
    return subprocess.run(cmd, **kw)


def timed(cmd: list[str], scratch: Path, timeout: float, logfile: Path,
          env: dict | None = None) -> dict:
    """Runs `cmd` under /usr/bin/time: wall seconds, peak RSS in MB, CPU seconds (user +
    system), exit code."""
    tfile = scratch / ".time"
    tfile.unlink(missing_ok=True)
    log("$ " + shlex.join(cmd))
    with open(logfile, "a") as out:
        out.write(f"\n$ {shlex.join(cmd)}\n")
        out.flush()
        try:
            p = subprocess.run([TIME, "-f", "%e %M %U %S", "-o", str(tfile), *cmd],
                               stdout=out, stderr=out, timeout=timeout, env=env)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    wall = peak = cpu = None
    if tfile.exists():
        for line in tfile.read_text().splitlines():
            parts = line.split()
            if len(parts) in (2, 4):
                try:
                    wall, peak = float(parts[0]), int(parts[1]) / 1024.0
                    if len(parts) == 4:
                        cpu = float(parts[2]) + float(parts[3])
                except ValueError:
                    pass
    res = {"wall_s": wall, "peak_mb": peak, "rc": rc}
    if cpu is not None:
        res["cpu_s"] = round(cpu, 2)
    log(f"  -> {res}")
    return res


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ensure_venv(venv: Path, reinstall: bool) -> Path:
    py = venv / "bin" / "python"
    req = HERE / "requirements.txt"
    stamp = venv / ".erosion-requirements"
    want = req.read_text()
    if not py.exists():
        if venv.resolve().is_relative_to(ROOT):
            sys.exit(f"the virtualenv must be outside the repo, not {venv}")
        run([sys.executable, "-m", "venv", str(venv)], check=True)
    if reinstall or not stamp.exists() or stamp.read_text() != want:
        run([str(py), "-m", "pip", "install", "--quiet", "-r", str(req)], check=True)
        stamp.write_text(want)
    return py


def peer_versions(py: Path) -> dict[str, str]:
    names = [l.split("==")[0].strip() for l in (HERE / "requirements.txt").read_text().splitlines()
             if "==" in l and not l.lstrip().startswith("#")]
    code = ("import importlib.metadata as m, json, sys, platform;"
            f"n={names!r};"
            "d={k: m.version(k) for k in n};d['python']=platform.python_version();print(json.dumps(d))")
    r = subprocess.run([str(py), "-c", code], capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return {"nproc": nproc, "cpu": cpu, "memory": mem,
            "os": f"{platform.system()} {platform.release()}"}


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def tool_version(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


# --------------------------------------------------------------------------------------------
# The data.

REUSE_ANY_BINARY = False  # --reuse-data: keep data sets and prepared models made by another build


def simulate(binary: Path, n: int, days: int, seed: int, data_root: Path, force: bool,
             logfile: Path, timeout: float) -> tuple[Path, dict | None]:
    """Makes DATA/simN unless it was made by this binary with these flags; returns the timing
    of the simulation when it ran, else the one recorded with the data."""
    d = data_root / f"sim{n}"
    stamp_file = d / "erosion-bench-stamp.json"
    stamp = {"binary_sha256": sha256(binary), "customers": n, "days": days, "seed": seed}
    if not force and stamp_file.exists():
        old = json.loads(stamp_file.read_text())
        if REUSE_ANY_BINARY:
            stamp["binary_sha256"] = old.get("binary_sha256")
        if {k: old.get(k) for k in stamp} == stamp and all(
                (d / f).exists() for f in ("events.parquet", "customers.parquet")):
            log(f"reusing {d} (same binary and flags)")
            return d, old.get("timing")
    d.mkdir(parents=True, exist_ok=True)
    res = timed([str(binary), "simulate", "--n-customers", str(n), "--duration", f"{days}d",
                 "--seed", str(seed), "--out", str(d)], d, timeout, logfile)
    events = d / "events.parquet"
    if res["rc"] == 0 and events.exists():
        res["events_mb"] = events.stat().st_size / 1e6
        res["rows"] = count_rows(events)
        res["measured"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        stamp["timing"] = res
        stamp_file.write_text(json.dumps(stamp, indent=1))
    return d, res


def count_rows(parquet: Path) -> int | None:
    """Row count from the Parquet footer (FileMetaData.num_rows) without a Parquet library:
    the footer is Thrift compact; field 3 of FileMetaData is num_rows (i64)."""
    try:
        with open(parquet, "rb") as f:
            f.seek(-8, os.SEEK_END)
            tail = f.read(8)
            if tail[4:] != b"PAR1":
                return None
            n = int.from_bytes(tail[:4], "little")
            f.seek(-8 - n, os.SEEK_END)
            meta = f.read(n)
        return _thrift_num_rows(meta)
    except (OSError, ValueError, IndexError):
        return None


def _thrift_num_rows(b: bytes) -> int | None:
    # Walk the top-level struct of the compact protocol until field 3 (i64, zigzag varint).
    pos = 0
    last = 0

    def varint() -> int:
        nonlocal pos
        shift = res = 0
        while True:
            byte = b[pos]
            pos += 1
            res |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return res
            shift += 7

    def skip(t: int) -> None:
        nonlocal pos
        if t in (1, 2):            # bool true/false
            return
        if t == 3:                 # byte
            pos += 1
        elif t in (4, 5, 6):       # i16, i32, i64
            varint()
        elif t == 7:               # double
            pos += 8
        elif t == 8:               # binary
            n = varint()
            pos += n
        elif t in (9, 10):         # list, set
            h = b[pos]
            pos += 1
            n = h >> 4
            if n == 15:
                n = varint()
            et = h & 0x0F
            for _ in range(n):
                if et in (1, 2):
                    pos += 1
                else:
                    skip(et)
        elif t == 11:              # map
            n = varint()
            if n:
                kv = b[pos]
                pos += 1
                for _ in range(n):
                    skip(kv >> 4)
                    skip(kv & 0x0F)
        elif t == 12:              # struct
            last_inner = 0
            while True:
                h = b[pos]
                pos += 1
                if h == 0:
                    return
                delta, ft = h >> 4, h & 0x0F
                if delta == 0:
                    fid = varint()
                    fid = (fid >> 1) ^ -(fid & 1)
                else:
                    fid = last_inner + delta
                last_inner = fid
                skip(ft)
        else:
            raise ValueError(f"thrift type {t}")

    while pos < len(b):
        h = b[pos]
        pos += 1
        if h == 0:
            return None
        delta, ft = h >> 4, h & 0x0F
        if delta == 0:
            fid = varint()
            fid = (fid >> 1) ^ -(fid & 1)
        else:
            fid = last + delta
        last = fid
        if fid == 3 and ft == 6:
            z = varint()
            return (z >> 1) ^ -(z & 1)
        skip(ft)
    return None


# --------------------------------------------------------------------------------------------
# The report.

def summarize(runs: list[dict]) -> dict:
    ok = [r for r in runs if r.get("rc") == 0 and r.get("wall_s") is not None]
    if not ok:
        return {"ok": False, "n": 0, "failed": len(runs)}
    walls = [r["wall_s"] for r in ok]
    peaks = [r["peak_mb"] for r in ok]
    return {"ok": len(ok) == len(runs), "n": len(ok), "failed": len(runs) - len(ok),
            "median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
            "peak_mb": max(peaks), "peak_median_mb": statistics.median(peaks)}


def fmt_s(x: float) -> str:
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


def fmt_n(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else (
        f"{n // 1000}k" if n % 1000 == 0 else str(n))


def render(doc: dict) -> str:
    m, v = doc["machine"], doc["versions"]
    out = [
        "# Benchmarks",
        "",
        "Generated by `python3 benches/peers/harness.py` (see `benches/peers/`); do not edit by hand.",
        "",
        f"- Date: {doc['date']}",
        f"- Machine: {m['nproc']} cores ({m['cpu']}), {m['memory']} memory, {m['os']}; "
        f"load average {doc['load_before']} before the run, {doc['load_after']} after "
        "(the machine is shared: other builds may have run alongside).",
        f"- Rust: {v.get('rustc', '?')}; erosion: `{v.get('erosion', '?')}`, binary `{doc.get('binary', '?')}` "
        "(the workspace's release profile is plain: no LTO).",
        "- Python peers: " + ", ".join(f"{k} {val}" for k, val in sorted(v.get("peers", {}).items())) + ".",
        "- Data: `erosion simulate --n-customers N --duration {days}d --seed {seed}`, outside the repo.".format(**doc["sim_flags"]),
        "- Method: erosion and its peer run on the same files in the same run, alternating "
        f"(A B A B ...), {doc['runs']} runs each; wall time and peak resident memory (max RSS) "
        "from `/usr/bin/time -f '%e %M'` (MiB = 1024 × 1024 bytes). Median wall time, min–max, the largest peak memory over "
        "the runs, and the ratio of median wall times (erosion / peer: below 1 means erosion is faster).",
        "",
        "## Simulator: `erosion simulate`",
        "",
        "One run per size (the simulator has no peer).",
        "",
        "| customers | events | events.parquet MB | wall s | peak memory MiB | measured |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    for n in sorted(doc["simulate"], key=int):
        s = doc["simulate"][n]
        if not s or s.get("rc") != 0:
            out.append(f"| {fmt_n(int(n))} | failed ({s.get('rc') if s else 'not run'}) | | | | |")
            continue
        rows = f"{s['rows']:,}" if s.get("rows") else "?"
        out.append(f"| {fmt_n(int(n))} | {rows} | {s.get('events_mb', 0):.0f} | {fmt_s(s['wall_s'])} | "
                   f"{s['peak_mb']:.0f} | {s.get('measured', '')} |")
    for b in BENCHMARKS:
        res = doc["benchmarks"].get(b.name)
        if not res:
            continue
        out += ["", f"## {b.title}", "", b.about.format(cutoff=doc.get("cutoff", "")), ""]
        if b.target:
            out += [f"Target: {b.target}", ""]
        for n in sorted(res, key=int):
            r = res[n]
            e, p = summarize(r["erosion"]), summarize(r["peer"])
            out += [f"**{fmt_n(int(n))} customers** (measured {r['measured']}):", "",
                    "| tool | median wall s | min–max s | peak memory MiB | ratio (time) | ratio (memory) |",
                    "|---|---:|---:|---:|---:|---:|"]
            for label, s in (("erosion", e), (b.peer_name, p)):
                if s["n"] == 0:
                    out.append(f"| {label} | failed ({s['failed']} of {s['failed']} runs) | | | | |")
                    continue
                if e["n"] and p["n"]:
                    rt = f"{s['median_s'] / p['median_s']:.2f}"
                    rm = f"{s['peak_mb'] / p['peak_mb']:.2f}"
                else:
                    rt = rm = "–"
                fail = f" ({s['failed']} failed)" if s["failed"] else ""
                out.append(f"| {label}{fail} | {fmt_s(s['median_s'])} | {fmt_s(s['min_s'])}–{fmt_s(s['max_s'])} | "
                           f"{s['peak_mb']:.0f} | {rt} | {rm} |")
            if r.get("check"):
                ok, msg = r["check"]
                out += ["", f"Same result: {'yes' if ok else 'NO'} ({msg})."]
            out += ["", "Commands:", "", "```", r["erosion_cmd"], r["peer_cmd"], "```", ""]
    for sec in SECTIONS:
        e = doc.get("sections", {}).get(sec.name)
        if e:
            out += sec.raw_render(e) if sec.raw_render else render_section(sec, e)
    # Running at scale (benches/scale/run.sh, measured by hand: its figures are kept as written).
    scale = Path(__file__).resolve().parent.parent / "scale" / "RESULTS.md"
    if scale.exists():
        out += ["", scale.read_text().rstrip(), ""]
    # Targets at a glance, after the header (before the simulator's table).
    glance = []
    for sec in SECTIONS:
        e = doc.get("sections", {}).get(sec.name)
        if not e:
            continue
        for target, met, detail in e.get("verdicts", []):
            word = "met" if met else ("**not met**" if met is False else "not measured")
            glance.append(f"| {sec.name} | {target} | {word} | {detail} | {e.get('measured', '')} |")
        if e.get("error"):
            glance.append(f"| {sec.name} | (section failed) | **not measured** | {e['error']} | {e.get('measured', '')} |")
    if glance:
        at = out.index("## Simulator: `erosion simulate`")
        out[at:at] = ["## Targets at a glance", "",
                      "| section | target | result | measured | when |", "|---|---|---|---|---|", *glance, ""]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).rstrip() + "\n"


# --------------------------------------------------------------------------------------------

def save_results(doc: dict, sections: list[str], benchmarks: list[str] = ()) -> dict:
    """Writes results.json, merging into what is there now, so that two harness runs of different
    sections (--only) at the same time do not drop each other's results."""
    cur = read_json(RESULTS) or {}
    for k, v in doc.items():
        if k not in ("sections", "benchmarks", "simulate"):
            cur[k] = v
    for key, names in (("sections", sections), ("benchmarks", benchmarks)):
        cur.setdefault(key, {})
        for n in names:
            if n in doc.get(key, {}):
                cur[key][n] = doc[key][n]
    cur.setdefault("simulate", {}).update({k: v for k, v in doc.get("simulate", {}).items() if v})
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(cur, indent=1, default=str) + "\n")
    tmp.replace(RESULTS)
    return cur


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="customers per data set")
    ap.add_argument("--runs", type=int, default=3, help="runs of each tool per benchmark and size")
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cutoff", default="2025-10-01")
    ap.add_argument("--only", nargs="+",
                    help="benchmarks or sections to run (default all): features, telco, cdnow, oracle, train_protocol, population, fairness, "
                         "m4, scoring, monitor; the others keep their last results")
    ap.add_argument("--section-runs", type=int, default=3,
                    help="runs of the cheap commands of the sections (expensive ones run once)")
    ap.add_argument("--fairness-10m-peer", action="store_true", help="also run Fairlearn on 10M rows (about 25 min)")
    ap.add_argument("--venv", type=Path, default=Path("/work/erosion-peers-venv"))
    ap.add_argument("--data", type=Path, default=Path("/work/bench-data"), help="data sets and scratch, outside the repo")
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    ap.add_argument("--binary", type=Path, default=target_dir / "release" / "erosion")
    ap.add_argument("--score-binary", type=Path, help="erosion-score (default: beside --binary)")
    ap.add_argument("--skip-build", action="store_true", help="use --binary as it is")
    ap.add_argument("--resimulate", action="store_true", help="make the data sets again even if current")
    ap.add_argument("--reuse-data", action="store_true",
                    help="reuse data sets (and the scoring section's model and tables) made by another build")
    ap.add_argument("--reinstall", action="store_true", help="pip install the peers again")
    ap.add_argument("--timeout", type=float, default=3 * 3600, help="seconds per command")
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--fresh", action="store_true", help="forget the results of earlier runs")
    ap.add_argument("--report-only", action="store_true", help="only write BENCHMARKS.md again from results.json")
    a = ap.parse_args(argv)

    global REUSE_ANY_BINARY
    REUSE_ANY_BINARY = a.reuse_data
    if a.report_only:
        a.out.write_text(render(json.loads(RESULTS.read_text())))
        log(f"wrote {a.out} from {RESULTS}")
        return 0

    if not Path(TIME).exists():
        sys.exit(f"{TIME} is needed (Debian: apt-get install time)")
    a.data.mkdir(parents=True, exist_ok=True)
    logfile = a.data / "harness.log"
    load_before = loadavg()

    py = ensure_venv(a.venv, a.reinstall)
    if not a.skip_build:
        run(["cargo", "build", "--release", "-p", "erosion-cli", "-p", "erosion-score"], cwd=ROOT, check=True)
    if not a.binary.exists():
        sys.exit(f"no binary at {a.binary}")

    doc = {} if a.fresh or not RESULTS.exists() else json.loads(RESULTS.read_text())
    doc.setdefault("simulate", {})
    doc.setdefault("benchmarks", {})
    doc.setdefault("sections", {})
    selected = [b for b in BENCHMARKS if not a.only or b.name in a.only]
    sections = [x for x in SECTIONS if not a.only or x.name in a.only]
    if a.only and len(selected) + len(sections) != len(a.only):
        sys.exit(f"unknown benchmark in {a.only}; known: {[b.name for b in BENCHMARKS] + [x.name for x in SECTIONS]}")
    score_bin = a.score_binary or a.binary.with_name("erosion-score")
    sims: dict[int, Path] = {}

    for n in (a.sizes if selected else []):
        data, sim = simulate(a.binary, n, a.days, a.seed, a.data, a.resimulate, logfile, a.timeout)
        doc["simulate"][str(n)] = sim
        if not sim or sim.get("rc") != 0:
            log(f"simulation of {n} customers failed; see {logfile}")
            continue
        scratch = a.data / f"out{n}"
        scratch.mkdir(parents=True, exist_ok=True)
        ctx = Ctx(erosion=a.binary, python=py, data=data, customers=n, scratch=scratch, cutoff=a.cutoff)
        for b in selected:
            runs = {"erosion": [], "peer": []}
            for i in range(a.runs):
                runs["erosion"].append(timed(b.erosion(ctx), scratch, a.timeout, logfile))
                runs["peer"].append(timed(b.peer(ctx), scratch, a.timeout, logfile))
            entry = {**runs, "measured": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                     "erosion_cmd": shlex.join(b.erosion(ctx)), "peer_cmd": shlex.join(b.peer(ctx))}
            if b.check and all(r["rc"] == 0 for r in runs["erosion"] + runs["peer"]):
                ok, msg = b.check(ctx)
                entry["check"] = [ok, msg]
                log(f"check {b.name} {n}: {'ok' if ok else 'MISMATCH'}: {msg}")
            doc["benchmarks"].setdefault(b.name, {})[str(n)] = entry

    erosion_version = tool_version([str(a.binary), "--version"])
    for sec in [x for x in sections if x.raw_run]:
        log(f"== section {sec.name}")
        doc["sections"][sec.name] = sec.raw_run(a, py, logfile)
        save_results(doc, [sec.name])
    for sec in [x for x in sections if not x.raw_run]:
        for n in sec.sims:
            if n not in sims:
                data, sim = simulate(a.binary, n, a.days, a.seed, a.data, a.resimulate, logfile, a.timeout)
                doc["simulate"][str(n)] = sim
                sims[n] = data
        scratch = a.data / sec.name
        scratch.mkdir(parents=True, exist_ok=True)
        c = SCtx(erosion=a.binary, score=score_bin, python=py, data_root=a.data, scratch=scratch, logfile=logfile,
                 runs=a.section_runs, timeout=a.timeout, sims=sims, shared=SHARED)
        c.fair_big = a.fairness_10m_peer
        log(f"== section {sec.name}")
        try:
            entry = sec.run(c)
        except Exception as e:  # noqa: BLE001 - keep the other sections; say what broke
            import traceback
            traceback.print_exc()
            entry = {"error": f"{type(e).__name__}: {e}"}
        entry.update({"measured": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                      "erosion_version": erosion_version, "commands": c.commands, "notes": c.notes,
                      "load_after": loadavg()})
        doc["sections"][sec.name] = entry
        # Save as we go: a long run cut short keeps what it measured.
        save_results(doc, [sec.name])

    doc.update({
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "versions": {"rustc": tool_version(["rustc", "--version"]),
                     "erosion": tool_version([str(a.binary), "--version"]),
                     "peers": peer_versions(py)},
        "runs": a.runs,
        "binary": str(a.binary.resolve().relative_to(ROOT)) if a.binary.resolve().is_relative_to(ROOT) else str(a.binary),
        "cutoff": a.cutoff,
        "sim_flags": {"days": a.days, "seed": a.seed},
        "load_before": load_before,
        "load_after": loadavg(),
    })
    doc = save_results(doc, [x.name for x in sections], [b.name for b in selected])
    a.out.write_text(render(doc))
    log(f"wrote {a.out} and {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
