"""Shared fixtures: a simulated night made with the repository's own binaries.

The binaries are ``$EROSION_BIN_DIR/erosion`` and ``erosion-score`` (default: the repository's
``target/debug``, which ``cargo test --workspace`` builds; ``.ci/run`` runs these tests after it).
The data: ``erosion simulate`` (3,000 customers, two years), a feature table at two cutoffs to
train a GBDT on, the bundle, its ONNX export, a feature table at the scoring date and a
suppression list. Made once per session in a temporary directory.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2025-10-01"
CUSTOMERS = int(os.environ.get("EROSION_PY_TEST_CUSTOMERS", "3000"))


def bin_path(name: str) -> Path:
    """An erosion binary: ``$EROSION_BIN_DIR/name`` or ``target/debug/name``."""
    d = Path(os.environ.get("EROSION_BIN_DIR", REPO / "target" / "debug"))
    p = d / name
    if not p.exists():
        pytest.fail(
            f"{p} does not exist: build it first (`cargo build -p erosion-cli -p erosion-score`) "
            "or set EROSION_BIN_DIR to the directory that holds erosion and erosion-score"
        )
    return p


def run(*args: object, expect: int = 0) -> subprocess.CompletedProcess:
    """Runs a binary; fails the test with its stderr when the exit code is not ``expect``."""
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if p.returncode != expect:
        pytest.fail(f"{args[0]} exited {p.returncode}, expected {expect}:\n{p.stderr}")
    return p


def cli_error(p: subprocess.CompletedProcess) -> str:
    """The message of the ``error: ...`` line an erosion binary printed."""
    lines = [l for l in p.stderr.splitlines() if l.startswith("error: ")]
    assert len(lines) == 1, p.stderr
    return lines[0][len("error: ") :]


@dataclass(frozen=True)
class Night:
    """The files of one simulated night."""

    dir: Path
    events: Path
    customers: Path
    model: Path
    onnx: Path
    features: Path
    suppress: Path


@pytest.fixture(scope="session")
def night(tmp_path_factory: pytest.TempPathFactory) -> Night:
    d = tmp_path_factory.mktemp("night")
    erosion = bin_path("erosion")
    run(erosion, "--quiet", "simulate", "--n-customers", CUSTOMERS, "--duration", "730d",
        "--seed", 11, "--out", d / "sim")
    events, customers = d / "sim" / "events.parquet", d / "sim" / "customers.parquet"
    run(erosion, "--quiet", "features", "--events", events, "--customers", customers,
        "--as-of", "2025-01-01..2025-07-02/91d", "--horizon", "90d", "--out", d / "train.parquet")
    run(erosion, "--quiet", "train", "--features", d / "train.parquet", "--label", "erosion",
        "--family", "gbdt", "--out", d / "model.json")
    run(erosion, "--quiet", "export", "--model", d / "model.json", "--format", "onnx",
        "--out", d / "model.onnx")
    run(erosion, "--quiet", "features", "--events", events, "--customers", customers,
        "--as-of", AS_OF, "--horizon", "90d", "--out", d / "tonight.parquet")
    import pyarrow.parquet as pq

    ids = pq.read_table(customers, columns=["customer_id"]).column(0).to_pylist()
    suppress = d / "suppress.txt"
    # a header, a comment, ids from the middle of the file and one that is no customer
    suppress.write_text("customer_id\n# complaints\n" + "\n".join(ids[5:40:3]) + "\nnobody\n")
    return Night(d, events, customers, d / "model.json", d / "model.onnx",
                 d / "tonight.parquet", suppress)


def erosion_score(night: Night, out: Path, *extra: object, expect: int = 0,
                  features: bool = False) -> subprocess.CompletedProcess:
    """Runs ``erosion-score`` on the night (raw mode unless ``features``), Parquet outputs."""
    if features:
        inputs = ["--features", night.features]
    else:
        inputs = ["--events", night.events, "--customers", night.customers, "--as-of", AS_OF]
    return run(bin_path("erosion-score"), "--quiet", "--model", night.model, *inputs,
               "--out", out, "--exclusions", out.with_name(out.stem + ".exclusions.parquet"),
               *extra, expect=expect)
