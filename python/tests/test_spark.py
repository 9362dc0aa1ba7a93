"""Both Spark examples on local Spark (``local[2]``) against ``erosion-score`` on the same night:
the same customers in each output, probabilities bit for bit (the package) or within 1e-9 (ONNX
Runtime)."""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import AS_OF, erosion_score

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

import spark_nightly  # noqa: E402
import spark_onnx  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    # the workers run this interpreter, which has the package
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    s = spark_nightly.session("local[2]")
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def by_id(t: pa.Table, column: str) -> dict:
    ids = t.column("customer_id").to_pylist()
    values = t.column(column).to_pylist()
    assert len(set(ids)) == len(ids), "a customer twice"
    return dict(zip(ids, values))


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def test_the_nightly_job_in_spark_is_erosion_score(night, spark, tmp_path):
    out = tmp_path / "cli.parquet"
    erosion_score(night, out, "--suppress", night.suppress)
    want = pq.read_table(out)
    want_excl = pq.read_table(out.with_name("cli.exclusions.parquet"))

    counts = spark_nightly.nightly(
        spark, model=str(night.model), events=str(night.events), customers=str(night.customers),
        as_of=AS_OF, out=str(tmp_path / "spark"), suppress=str(night.suppress), buckets=5)
    got = pq.read_table(tmp_path / "spark" / "scores")
    got_excl = pq.read_table(tmp_path / "spark" / "exclusions")

    assert counts["scored"] == want.num_rows
    assert by_id(got_excl, "reason") == by_id(want_excl, "reason")
    assert set(by_id(got, "band")) == set(by_id(want, "band"))
    for column in want.column_names:
        g, w = by_id(got, column), by_id(want, column)
        if column in ("erosion_probability", "trust_score"):
            assert {k: bits(v) for k, v in g.items()} == {k: bits(v) for k, v in w.items()}, column
        else:
            assert g == w, column


def test_the_onnx_export_in_a_pandas_udf_agrees_to_1e_9(night, spark, tmp_path):
    out = tmp_path / "cli.parquet"
    ids = [l for l in night.suppress.read_text().splitlines()[2:] if l]
    suppress_table = tmp_path / "suppress.parquet"
    pq.write_table(pa.table({"customer_id": ids}), suppress_table)
    erosion_score(night, out, "--suppress", night.suppress, features=True)
    want = pq.read_table(out)
    want_excl = pq.read_table(out.with_name("cli.exclusions.parquet"))

    counts = spark_onnx.score_onnx(spark, onnx=str(night.onnx), features=str(night.features),
                                   out=str(tmp_path / "onnx"), suppress=str(suppress_table))
    got = pq.read_table(tmp_path / "onnx" / "scores")
    got_excl = pq.read_table(tmp_path / "onnx" / "exclusions")

    assert counts["scored"] == want.num_rows and counts["excluded"] == want_excl.num_rows
    assert by_id(got_excl, "reason") == by_id(want_excl, "reason")
    g, w = by_id(got, "erosion_probability"), by_id(want, "erosion_probability")
    assert set(g) == set(w)
    worst = max(abs(g[k] - w[k]) for k in w)
    print(f"ONNX Runtime against erosion-score: {len(w)} customers, max |diff| {worst:.3e}")
    assert worst <= 1e-9
