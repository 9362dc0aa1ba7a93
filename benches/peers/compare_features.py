#!/usr/bin/env python3
"""Compares two feature tables column by column: `erosion features` against features_polars.py.

    python compare_features.py EROSION.parquet POLARS.parquet [--tol 1e-9] [--show 5]

Checks that both have the same columns in the same order and the same rows (customer_id,
cutoff) in the same order, then every column: null == null, numbers equal within
`tol * max(1, |a|, |b|)` (absolute below 1, relative above: a sum of thousands of amounts
may differ in the last bits when added in another order), booleans, strings and dates exactly.
Prints each mismatching column with the count and the first rows. Exit 0 when everything
matches, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys

import polars as pl


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("erosion")
    p.add_argument("polars")
    p.add_argument("--tol", type=float, default=1e-9)
    p.add_argument("--show", type=int, default=5, help="rows to show per mismatching column")
    a = p.parse_args(argv)

    e = pl.read_parquet(a.erosion)
    q = pl.read_parquet(a.polars)
    ok = True
    print(f"erosion: {e.height} rows x {e.width} columns; polars: {q.height} rows x {q.width} columns")

    if e.columns != q.columns:
        ok = False
        only_e = [c for c in e.columns if c not in q.columns]
        only_q = [c for c in q.columns if c not in e.columns]
        if only_e:
            print(f"MISMATCH columns only in erosion: {only_e}")
        if only_q:
            print(f"MISMATCH columns only in polars: {only_q}")
        common = [c for c in e.columns if c in q.columns]
        if [c for c in q.columns if c in common] != common:
            print("MISMATCH column order differs")
    else:
        common = e.columns

    key = ["customer_id", "cutoff"]
    ke = e.select(key)
    kq = q.select(key)
    if not ke.equals(kq):
        ok = False
        print("MISMATCH rows differ (customer_id, cutoff) or their order; comparing the common rows")
        only_e = ke.join(kq, on=key, how="anti")
        only_q = kq.join(ke, on=key, how="anti")
        print(f"  rows only in erosion: {only_e.height} {only_e.head(a.show).rows()}")
        print(f"  rows only in polars: {only_q.height} {only_q.head(a.show).rows()}")
    j = e.select(common).join(q.select(common), on=key, how="inner", suffix="__q",
                              maintain_order="left")

    bad_cols = 0
    for c in common:
        if c in key:
            continue
        if e.schema[c] != q.schema[c]:
            print(f"NOTE {c}: dtype erosion {e.schema[c]} vs polars {q.schema[c]}")
        x, y = pl.col(c), pl.col(f"{c}__q")
        both_null = x.is_null() & y.is_null()
        if e.schema[c].is_numeric() and q.schema[c].is_numeric():
            xf, yf = x.cast(pl.Float64), y.cast(pl.Float64)
            scale = pl.max_horizontal(pl.lit(1.0), xf.abs(), yf.abs())
            same = both_null | ((xf - yf).abs() <= a.tol * scale).fill_null(False)
        else:
            same = both_null | (x.cast(pl.String) == y.cast(pl.String)).fill_null(False)
        diff = j.filter(~same)
        if diff.height:
            ok = False
            bad_cols += 1
            print(f"MISMATCH {c}: {diff.height} of {j.height} rows")
            for row in diff.select("customer_id", c, f"{c}__q").head(a.show).rows():
                print(f"    {row[0]}: erosion={row[1]!r} polars={row[2]!r}")
    n_compared = len(common) - len(key)
    print(f"{n_compared - bad_cols} of {n_compared} columns match on {j.height} common rows"
          + ("" if ok else " -- MISMATCHES above"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
