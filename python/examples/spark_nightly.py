#!/usr/bin/env python3
"""The nightly job in Spark: ``erosion-score``'s raw-histories run, one bucket of customers at a time.

Reads the events and the customers (Parquet), puts each customer's events and customer row in
the same bucket (a hash of ``customer_id``), and inside ``applyInArrow`` scores each bucket with
the ``erosion`` package: the same Rust code as ``erosion-score``, so the features, the
exclusions and the probabilities are its own, bit for bit. Writes the scores and the exclusions
as Parquet directories.

Consent and erasure exactly as ``erosion-score``:

* before any work, the whole night's event types are counted (one small aggregate) and
  :func:`erosion.consent_information` refuses a night without consent information with
  ``erosion-score``'s message, unless ``--suppress`` or ``--consent-handled-upstream`` is given;
  a bucket holding no consent event is then not refused on its own
  (``whole_input_consent``);
* every exclusion (deletion request anywhere in the data, the latest consent event before
  ``--as-of``, the suppression list, the population rule) is decided per customer from all of
  that customer's events, which are all in the customer's bucket;
* every customer of the customers file is in exactly one output, which the job checks (each
  bucket's counts are checked in Rust, and the totals here).

Run it (from the repository root, after ``pip install ./python pyspark``)::

    python python/examples/spark_nightly.py --model model.json --events sim/events.parquet \\
        --customers sim/customers.parquet --as-of 2025-10-01 --out nightly/

``--suppress FILE`` is read by every task: on a cluster put it where the executors can read it
(a shared filesystem, or ``SparkContext.addFile`` and ``SparkFiles.get``).
A custom event type (one outside erosion's vocabulary) makes per-type count features; a bucket
that holds none of a type the model was trained on fails loudly (its input column is missing),
never silently: score such data with ``erosion-score --partition`` instead.
"""

from __future__ import annotations

import argparse
import sys
from functools import lru_cache

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

import erosion

#: The scores' columns (``erosion-score``'s, in its order) and the exclusion reason: one row per
#: input customer, ``excluded`` null for a scored customer.
RESULT = pa.schema(
    [
        ("customer_id", pa.string()),
        ("as_of", pa.string()),
        ("erosion_probability", pa.float64()),
        ("trust_score", pa.float64()),
        ("band", pa.string()),
        ("reason_1", pa.string()),
        ("reason_2", pa.string()),
        ("reason_3", pa.string()),
        ("recommended_action", pa.string()),
        ("model_id", pa.string()),
        ("reason_weights", pa.string()),
        ("excluded", pa.string()),
    ]
)
SCORE_COLUMNS = RESULT.names[:-1]
SPARK_SCHEMA = (
    "customer_id string, as_of string, erosion_probability double, trust_score double, "
    "band string, reason_1 string, reason_2 string, reason_3 string, "
    "recommended_action string, model_id string, reason_weights string, excluded string"
)
BUCKET = "_erosion_bucket"


@lru_cache(maxsize=4)
def _bundle(path: str) -> erosion.Bundle:
    """The bundle, read once per Python worker."""
    return erosion.load_bundle(path)


def bucket_scorer(model: str, as_of: str, *, events_name: str, customers_name: str,
                  suppress: str | None, consent_handled_upstream: bool,
                  whole_input_consent: str | None):
    """The function ``applyInArrow`` runs on each bucket: its events and its customers in,
    one row per customer of the bucket out (:data:`RESULT`)."""

    def score_bucket(key, events: pa.Table, customers: pa.Table) -> pa.Table:
        if customers.num_rows == 0:
            return RESULT.empty_table()
        bucket = key[0].as_py()
        night = erosion.score(
            _bundle(model),
            events=events.drop_columns([BUCKET]),
            customers=customers.drop_columns([BUCKET]),
            as_of=as_of,
            suppress=suppress,
            consent_handled_upstream=consent_handled_upstream,
            whole_input_consent=whole_input_consent,
            names={"events": f"{events_name} (bucket {bucket})",
                   "customers": f"{customers_name} (bucket {bucket})"},
        )
        scores = night.scores.select(SCORE_COLUMNS).append_column(
            "excluded", pa.nulls(night.scores.num_rows, pa.string()))
        exclusions = night.exclusions
        excluded = pa.table(
            {name: (exclusions.column("customer_id") if name == "customer_id" else
                    exclusions.column("reason") if name == "excluded" else
                    pa.nulls(exclusions.num_rows, RESULT.field(name).type))
             for name in RESULT.names})
        # erosion's text comes out as Arrow string views; Spark reads plain strings
        return pa.concat_tables([scores.cast(RESULT), excluded.cast(RESULT)])

    return score_bucket


def nightly(spark: SparkSession, *, model: str, events: str, customers: str, as_of: str,
            out: str, suppress: str | None = None, consent_handled_upstream: bool = False,
            buckets: int = 8) -> dict:
    """Scores the night and writes ``out/scores`` and ``out/exclusions`` (Parquet). Returns the
    counts: input customers, scored, excluded per reason."""
    bundle = erosion.load_bundle(model)  # a bad bundle stops the job here, before any task
    if __name__ != "__main__":
        # imported (a notebook, a test): the workers unpickle this module's functions by name
        spark.sparkContext.addPyFile(__file__)
    ev = spark.read.parquet(events)
    cu = spark.read.parquet(customers)
    types = ev.groupBy("event_type").count().collect()
    whole = erosion.consent_information(
        {r["event_type"]: r["count"] for r in types if r["event_type"] is not None},
        name=events, suppress=suppress, consent_handled_upstream=consent_handled_upstream,
        id_column=bundle.id_column)
    bucket_of = F.pmod(F.xxhash64(F.col("customer_id").cast("string")), F.lit(buckets))
    scorer = bucket_scorer(
        bundle.path, as_of, events_name=events, customers_name=customers, suppress=suppress,
        consent_handled_upstream=consent_handled_upstream, whole_input_consent=whole)
    result = (
        ev.withColumn(BUCKET, bucket_of).groupBy(BUCKET)
        .cogroup(cu.withColumn(BUCKET, bucket_of).groupBy(BUCKET))
        .applyInArrow(scorer, schema=SPARK_SCHEMA)
        .persist()
    )
    scored = result.where(F.col("excluded").isNull()).select(*SCORE_COLUMNS)
    excluded = result.where(F.col("excluded").isNotNull()).select(
        "customer_id", F.col("excluded").alias("reason"))
    scored.orderBy("customer_id").write.mode("overwrite").parquet(f"{out}/scores")
    excluded.orderBy("customer_id").write.mode("overwrite").parquet(f"{out}/exclusions")
    counts = {
        "input": cu.count(),
        "scored": scored.count(),
        "excluded": {r["reason"]: r["count"] for r in excluded.groupBy("reason").count().collect()},
    }
    result.unpersist()
    total = counts["scored"] + sum(counts["excluded"].values())
    if total != counts["input"] or result.select("customer_id").distinct().count() != total:
        raise RuntimeError(f"the counts do not add up: {counts}")
    return counts


def session(master: str = "local[2]") -> SparkSession:
    """A Spark session in UTC (timestamps cross to Arrow as UTC instants either way)."""
    return (
        SparkSession.builder.master(master)
        .appName("erosion-nightly")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--events", required=True)
    p.add_argument("--customers", required=True)
    p.add_argument("--as-of", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--suppress")
    p.add_argument("--consent-handled-upstream", action="store_true")
    p.add_argument("--buckets", type=int, default=8)
    p.add_argument("--master", default="local[2]")
    a = p.parse_args(argv)
    spark = session(a.master)
    try:
        counts = nightly(spark, model=a.model, events=a.events, customers=a.customers,
                         as_of=a.as_of, out=a.out, suppress=a.suppress,
                         consent_handled_upstream=a.consent_handled_upstream,
                         buckets=a.buckets)
    except erosion.InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        spark.stop()
    print(f"{counts['input']} input customers: {counts['scored']} scored + "
          f"{sum(counts['excluded'].values())} excluded {counts['excluded']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
