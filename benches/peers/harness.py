#!/usr/bin/env python3
"""The peers benchmark harness: erosion against its Python peers, on the same files, in one run.

One command regenerates BENCHMARKS.md at the workspace root:

    python3 benches/peers/harness.py

It
1. creates (if missing) a virtualenv outside the repo (default /work/erosion-peers-venv) and
   installs the peers pinned in benches/peers/requirements.txt from PyPI;
2. builds the release binary (`cargo build --release -p erosion-cli`, plain release profile);
3. makes the data with `erosion simulate --customers N --days 730 --seed 7 --out DATA/simN`
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
import os
import platform
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
            "(`--cutoff {cutoff}`, windows 30/90/365 days, horizon 90 days), from the simulator's "
            "`events.parquet` and `customers.parquet`, written to Parquet. The peer is "
            "`benches/peers/features_polars.py`: the same definitions in Python polars (lazy API, "
            "streaming engine); `compare_features.py` checks after the runs that both tables are "
            "equal column by column (1e-9, null == null)."),
        peer_name="Python polars",
        erosion=lambda c: [str(c.erosion), "features", "--events", str(c.data / "events.parquet"),
                           "--customers", str(c.data / "customers.parquet"), "--cutoff", c.cutoff,
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
# Self-contained sections: benchmarks that do not run on the simulator's data and time phases
# inside the tools themselves (each tool prints JSON lines). A section is a name, a `run`
# (arguments, peers' Python, log file -> entry for results.json) and a `render` (entry -> lines
# of BENCHMARKS.md). They are run after the benchmarks above; `--only NAME` runs one alone
# (without building the CLI or simulating).

@dataclasses.dataclass
class Section:
    name: str
    run: Callable[[argparse.Namespace, Path, Path], dict]
    render: Callable[[dict], list[str]]


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


SECTIONS: list[Section] = [
    Section(name="gbdt_speed", run=_gbdt_speed_run, render=_gbdt_speed_render),
]


def run_sections_only(a: argparse.Namespace, sections: list[Section], py: Path, logfile: Path,
                      load_before: str) -> int:
    """`--only` names sections alone: run them, keep everything else of results.json."""
    doc = {} if a.fresh or not RESULTS.exists() else json.loads(RESULTS.read_text())
    for sec in sections:
        doc.setdefault("sections", {})[sec.name] = sec.run(a, py, logfile)
    doc.setdefault("versions", {})["peers"] = peer_versions(py)
    doc["versions"].setdefault("rustc", tool_version(["rustc", "--version"]))
    doc.setdefault("machine", machine())
    doc.setdefault("date", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    for k, v in (("simulate", {}), ("benchmarks", {}), ("runs", a.runs), ("load_before", load_before),
                 ("sim_flags", {"days": a.days, "seed": a.seed})):
        doc.setdefault(k, v)
    doc.setdefault("load_after", loadavg())
    RESULTS.write_text(json.dumps(doc, indent=1) + "\n")
    a.out.write_text(render(doc))
    log(f"wrote {a.out} and {RESULTS}")
    return 0


# --------------------------------------------------------------------------------------------
# Running and timing.

def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    log("$ " + shlex.join(cmd))
    return subprocess.run(cmd, **kw)


def timed(cmd: list[str], scratch: Path, timeout: float, logfile: Path) -> dict:
    """Runs `cmd` under /usr/bin/time: wall seconds, peak RSS in MB, exit code."""
    tfile = scratch / ".time"
    tfile.unlink(missing_ok=True)
    log("$ " + shlex.join(cmd))
    with open(logfile, "a") as out:
        out.write(f"\n$ {shlex.join(cmd)}\n")
        out.flush()
        try:
            p = subprocess.run([TIME, "-f", "%e %M", "-o", str(tfile), *cmd],
                               stdout=out, stderr=out, timeout=timeout)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    wall = peak = None
    if tfile.exists():
        for line in tfile.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2:
                try:
                    wall, peak = float(parts[0]), int(parts[1]) / 1024.0
                except ValueError:
                    pass
    res = {"wall_s": wall, "peak_mb": peak, "rc": rc}
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

def simulate(binary: Path, n: int, days: int, seed: int, data_root: Path, force: bool,
             logfile: Path, timeout: float) -> tuple[Path, dict | None]:
    """Makes DATA/simN unless it was made by this binary with these flags; returns the timing
    of the simulation when it ran, else the one recorded with the data."""
    d = data_root / f"sim{n}"
    stamp_file = d / "erosion-bench-stamp.json"
    stamp = {"binary_sha256": sha256(binary), "customers": n, "days": days, "seed": seed}
    if not force and stamp_file.exists():
        old = json.loads(stamp_file.read_text())
        if {k: old.get(k) for k in stamp} == stamp and all(
                (d / f).exists() for f in ("events.parquet", "customers.parquet")):
            log(f"reusing {d} (same binary and flags)")
            return d, old.get("timing")
    d.mkdir(parents=True, exist_ok=True)
    res = timed([str(binary), "simulate", "--customers", str(n), "--days", str(days),
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
        "- Data: `erosion simulate --customers N --days {days} --seed {seed}`, outside the repo.".format(**doc["sim_flags"]),
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
    for sec in SECTIONS:  # self-contained sections, after the benchmarks
        if doc.get("sections", {}).get(sec.name):
            out += sec.render(doc["sections"][sec.name])
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="customers per data set")
    ap.add_argument("--runs", type=int, default=3, help="runs of each tool per benchmark and size")
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cutoff", default="2025-10-01")
    ap.add_argument("--only", nargs="+", help="benchmarks to run (default all); others keep their last results")
    ap.add_argument("--venv", type=Path, default=Path("/work/erosion-peers-venv"))
    ap.add_argument("--data", type=Path, default=Path("/work/bench-data"), help="data sets and scratch, outside the repo")
    ap.add_argument("--binary", type=Path, default=ROOT / "target" / "release" / "erosion")
    ap.add_argument("--skip-build", action="store_true", help="use --binary as it is")
    ap.add_argument("--resimulate", action="store_true", help="make the data sets again even if current")
    ap.add_argument("--reinstall", action="store_true", help="pip install the peers again")
    ap.add_argument("--timeout", type=float, default=3 * 3600, help="seconds per command")
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--fresh", action="store_true", help="forget the results of earlier runs")
    ap.add_argument("--report-only", action="store_true", help="only write BENCHMARKS.md again from results.json")
    a = ap.parse_args(argv)

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
    sections = [sec for sec in SECTIONS if not a.only or sec.name in a.only]
    if a.only and not any(b.name in a.only for b in BENCHMARKS):
        if len(sections) != len(a.only):
            sys.exit(f"unknown benchmark in {a.only}; known: {[b.name for b in BENCHMARKS + SECTIONS]}")
        return run_sections_only(a, sections, py, logfile, load_before)
    if not a.skip_build:
        run(["cargo", "build", "--release", "-p", "erosion-cli"], cwd=ROOT, check=True)
    if not a.binary.exists():
        sys.exit(f"no binary at {a.binary}")

    doc = {} if a.fresh or not RESULTS.exists() else json.loads(RESULTS.read_text())
    doc.setdefault("simulate", {})
    doc.setdefault("benchmarks", {})
    selected = [b for b in BENCHMARKS if not a.only or b.name in a.only]
    if a.only and len(selected) + len(sections) != len(a.only):
        sys.exit(f"unknown benchmark in {a.only}; known: {[b.name for b in BENCHMARKS]}")

    for n in a.sizes:
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

    for sec in sections:
        doc.setdefault("sections", {})[sec.name] = sec.run(a, py, logfile)

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
    RESULTS.write_text(json.dumps(doc, indent=1) + "\n")
    a.out.write_text(render(doc))
    log(f"wrote {a.out} and {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
