#!/usr/bin/env python3
"""Scoring a feature table in Spark with the ONNX export (``erosion export``) and ONNX Runtime.

For a platform that runs ONNX models and not the ``erosion`` package: the graph holds the
preprocessing, the model and the calibration, and gives the probability ``erosion-score``
computes (to 1e-9 on the repository's test night). Its input is a feature table, one row per
customer (``erosion features``, or ``erosion.features`` inside Spark), as ``erosion-score
--features`` takes; it gives probabilities only: no trust score, band, reasons or action, which
stay in the bundle and ``erosion-score``.

Consent as ``erosion-score --features``: a customer whose ``consent_withdrawn`` column is set is
excluded as ``consent_withdrawn``, else one whose ``consent_opted_out`` is set as ``opted_out``,
else one on the suppression list (here a Parquet table of ids, column ``customer_id``) as
``suppressed`` (erasure needs no rule here: ``erosion
features`` leaves out every customer with a deletion request). A set flag is 1 or true; this
example reads the numeric or boolean columns ``erosion features`` writes (a table whose flags are
text such as ``yes``, or with no consent column at all, should go through ``erosion-score`` or the
package, which read flags by meaning and refuse input without consent information).

Run it (from the repository root, after ``pip install pyspark onnxruntime pandas``)::

    python python/examples/spark_onnx.py --onnx model.onnx --features features.parquet \\
        --out onnx-night/ [--suppress suppressed_ids.parquet]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf


def graph_inputs(onnx_path: str) -> list[tuple[str, str]]:
    """The graph's inputs: ``(name, type)``, ``tensor(double)`` or ``tensor(string)``."""
    import onnxruntime as ort

    s = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    return [(i.name, i.type) for i in s.get_inputs()]


def probability_udf(onnx_path: str, inputs: list[tuple[str, str]]):
    """A pandas UDF: the graph's input columns in, the calibrated probability out. One ONNX
    Runtime session per Python worker."""
    sessions: dict = {}

    @pandas_udf("double")
    def probability(*columns: pd.Series) -> pd.Series:
        import onnxruntime as ort

        s = sessions.get(onnx_path)
        if s is None:
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1
            s = sessions[onnx_path] = ort.InferenceSession(
                onnx_path, opts, providers=["CPUExecutionProvider"])
        feeds = {}
        for (name, kind), col in zip(inputs, columns):
            if kind == "tensor(double)":
                feeds[name] = pd.to_numeric(col, errors="raise").astype("float64") \
                    .to_numpy(na_value=np.nan)
            else:
                feeds[name] = col.astype("object").where(col.notna(), "").map(
                    lambda v: str(v).strip()).to_numpy(dtype=object)
        (p,) = s.run(["probability"], feeds)
        return pd.Series(np.asarray(p, dtype=np.float64).reshape(-1))

    return probability


def score_onnx(spark: SparkSession, *, onnx: str, features: str, out: str,
               suppress: str | None = None, id_column: str = "customer_id") -> dict:
    """Scores the feature table; writes ``out/scores`` (``customer_id, erosion_probability``) and
    ``out/exclusions`` (``customer_id, reason``). Returns the counts."""
    table = spark.read.parquet(features)
    cols = set(table.columns)
    if not cols & {"consent_withdrawn", "consent_opted_out"}:
        raise ValueError(f"{features}: no consent_withdrawn or consent_opted_out column")

    def flag(name: str):
        if name not in cols:
            return F.lit(False)
        return F.coalesce(F.col(name).cast("double") == 1.0, F.lit(False))

    suppressed = F.lit(False)
    if suppress is not None:
        ids = spark.read.parquet(suppress).select(id_column).distinct()
        table = table.join(ids.withColumn("_suppressed", F.lit(True)), id_column, "left")
        suppressed = F.coalesce(F.col("_suppressed"), F.lit(False))
    reason = (F.when(flag("consent_withdrawn"), "consent_withdrawn")
              .when(flag("consent_opted_out"), "opted_out")
              .when(suppressed, "suppressed"))
    table = table.withColumn("_reason", reason)
    inputs = graph_inputs(onnx)
    missing = [n for n, _ in inputs if n not in cols]
    if missing:
        raise ValueError(f"{features}: missing the model's input columns {missing}")
    probability = probability_udf(onnx, inputs)
    scores = (table.where(F.col("_reason").isNull())
              .select(F.col(id_column).alias("customer_id"),
                      probability(*[F.col(n) for n, _ in inputs]).alias("erosion_probability")))
    exclusions = table.where(F.col("_reason").isNotNull()).select(
        F.col(id_column).alias("customer_id"), F.col("_reason").alias("reason"))
    scores.orderBy("customer_id").write.mode("overwrite").parquet(f"{out}/scores")
    exclusions.orderBy("customer_id").write.mode("overwrite").parquet(f"{out}/exclusions")
    return {
        "input": table.count(),
        "scored": spark.read.parquet(f"{out}/scores").count(),
        "excluded": spark.read.parquet(f"{out}/exclusions").count(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--onnx", required=True)
    p.add_argument("--features", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--suppress")
    p.add_argument("--master", default="local[2]")
    a = p.parse_args(argv)
    spark = (SparkSession.builder.master(a.master).appName("erosion-onnx")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    try:
        counts = score_onnx(spark, onnx=a.onnx, features=a.features, out=a.out,
                            suppress=a.suppress)
    finally:
        spark.stop()
    print(f"{counts['input']} customers: {counts['scored']} scored + {counts['excluded']} excluded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
