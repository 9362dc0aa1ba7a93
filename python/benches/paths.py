#!/usr/bin/env python3
"""Times one way of scoring a night, for docs/SCALE.md's table. Run each under
``/usr/bin/time -v`` for its peak memory::

    paths.py MODE --model model.json --events events.parquet --customers customers.parquet \\
        --as-of 2025-10-01 [--features features.parquet --onnx model.onnx] --out DIR

MODE: ``package-paths`` (``erosion.score`` reading the files), ``package-arrow`` (pyarrow reads
the files, then ``erosion.score`` on the tables), ``spark`` (``examples/spark_nightly.py`` on
``local[2]``), ``spark-onnx`` (``examples/spark_onnx.py`` on ``local[2]``). Prints the wall time of
each stage and the number of customers scored.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["package-paths", "package-arrow", "spark", "spark-onnx"])
    p.add_argument("--model", required=True)
    p.add_argument("--events", required=True)
    p.add_argument("--customers", required=True)
    p.add_argument("--as-of", required=True)
    p.add_argument("--features")
    p.add_argument("--onnx")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    t0 = time.perf_counter()
    if a.mode.startswith("package"):
        import pyarrow.parquet as pq

        import erosion

        bundle = erosion.load_bundle(a.model)
        if a.mode == "package-arrow":
            events, customers = pq.read_table(a.events), pq.read_table(a.customers)
            print(f"read with pyarrow: {time.perf_counter() - t0:.2f} s")
        else:
            events, customers = a.events, a.customers
        t1 = time.perf_counter()
        night = erosion.score(bundle, events=events, customers=customers, as_of=a.as_of,
                              consent_handled_upstream=False)
        print(f"erosion.score: {time.perf_counter() - t1:.2f} s")
        scored = night.scores.num_rows
    else:
        os.environ["PYSPARK_PYTHON"] = sys.executable
        import spark_nightly
        import spark_onnx

        spark = spark_nightly.session("local[2]")
        spark.sparkContext.setLogLevel("ERROR")
        print(f"Spark session: {time.perf_counter() - t0:.2f} s")
        t1 = time.perf_counter()
        if a.mode == "spark":
            counts = spark_nightly.nightly(spark, model=a.model, events=a.events,
                                           customers=a.customers, as_of=a.as_of, out=a.out)
        else:
            counts = spark_onnx.score_onnx(spark, onnx=a.onnx, features=a.features, out=a.out)
        print(f"job: {time.perf_counter() - t1:.2f} s")
        scored = counts["scored"]
        spark.stop()
    print(f"total: {time.perf_counter() - t0:.2f} s, {scored} customers scored")
    return 0


if __name__ == "__main__":
    sys.exit(main())
