#!/usr/bin/env python3
"""Small table step for the harness: drop columns (e.g. `cutoff`, for `erosion train` builds that
insist on time-based validation when a table has one distinct cutoff) and, with --drop-empty,
columns missing in every row (windows the history cannot observe).

    python prep_table.py IN.parquet OUT.parquet --drop cutoff --drop-empty
"""

import argparse

import polars as pl


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--drop", action="append", default=[])
    ap.add_argument("--drop-empty", action="store_true")
    a = ap.parse_args()
    df = pl.read_parquet(a.inp)
    df = df.drop([c for c in a.drop if c in df.columns])
    dropped = list(a.drop)
    if a.drop_empty:
        empty = [c for c in df.columns
                 if df[c].null_count() == df.height
                 or (df[c].dtype in (pl.Float32, pl.Float64) and df[c].is_nan().fill_null(True).all())]
        df = df.drop(empty)
        dropped += empty
    df.write_parquet(a.out)
    print(f"dropped {dropped}; {df.height} rows, {df.width} columns")


if __name__ == "__main__":
    main()
