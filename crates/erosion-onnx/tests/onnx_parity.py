#!/usr/bin/env python3
"""Scores erosion's exported ONNX models with ONNX Runtime and compares with erosion's own
probabilities.

Usage:
    onnx_parity.py [--tolerance 1e-5] [--expected-column expected_probability] MODEL CSV [MODEL CSV ...]

Each CSV has one column per graph input (named as the input; for a `tensor(double)` input an
empty cell or `nan` is a missing value, for a `tensor(string)` input the cell is passed as it is)
and the column of expected probabilities. For every MODEL/CSV pair the script runs the model on
all rows, prints `case=... rows=... max_abs_diff=...`, and fails when any difference exceeds the
tolerance or an output is not a finite probability. When the `onnx` package is installed the
model must also pass `onnx.checker.check_model(full_check=True)`.

Exit status: 0 all cases agree, 1 some case disagrees or is malformed, 2 bad usage,
3 onnxruntime or numpy is not installed for this interpreter.
"""

import argparse
import csv
import math
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tolerance", type=float, default=1e-5)
    parser.add_argument("--expected-column", default="expected_probability")
    parser.add_argument("pairs", nargs="+", metavar="MODEL CSV")
    args = parser.parse_args()
    if len(args.pairs) % 2 != 0:
        parser.error("expected MODEL CSV pairs")

    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:
        print(
            f"onnx_parity: {e.name or e} is not installed for {sys.executable}.\n"
            "Install it with `python3 -m pip install onnxruntime numpy` (ideally in a venv),\n"
            "or point EROSION_PYTHON at an interpreter that has onnxruntime.",
            file=sys.stderr,
        )
        return 3
    try:
        import onnx  # optional: validates the model against the ONNX standard
    except ImportError:
        onnx = None

    print(f"onnxruntime {ort.__version__}; onnx checker: {'on' if onnx else 'off (onnx not installed)'}")
    failed = False
    for model_path, csv_path in zip(args.pairs[0::2], args.pairs[1::2]):
        case = os.path.basename(model_path)
        if onnx is not None:
            try:
                onnx.checker.check_model(onnx.load(model_path), full_check=True)
            except Exception as e:  # noqa: BLE001 - any checker failure fails the case
                print(f"case={case} FAILED onnx.checker: {e}")
                failed = True
                continue
        with open(csv_path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        if not rows:
            print(f"case={case} FAILED: {csv_path} has no rows")
            failed = True
            continue
        sess = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
        feeds = {}
        for inp in sess.get_inputs():
            if inp.name not in rows[0]:
                print(f"case={case} FAILED: {csv_path} lacks input column '{inp.name}'")
                failed = True
                break
            cells = [r[inp.name] for r in rows]
            if inp.type == "tensor(double)":
                feeds[inp.name] = np.array(
                    [math.nan if c.strip() in ("", "nan", "NaN") else float(c) for c in cells],
                    dtype=np.float64,
                )
            elif inp.type == "tensor(string)":
                feeds[inp.name] = np.array(cells, dtype=object)
            else:
                print(f"case={case} FAILED: input '{inp.name}' has unexpected type {inp.type}")
                failed = True
                break
        else:
            expected = np.array([float(r[args.expected_column]) for r in rows], dtype=np.float64)
            (got,) = sess.run(["probability"], feeds)
            got = np.asarray(got, dtype=np.float64).reshape(-1)
            if got.shape != expected.shape:
                print(f"case={case} FAILED: {got.shape[0]} outputs for {expected.shape[0]} rows")
                failed = True
                continue
            if not np.all(np.isfinite(got)) or np.any(got < 0) or np.any(got > 1):
                print(f"case={case} FAILED: outputs that are not probabilities")
                failed = True
                continue
            diff = np.abs(got - expected)
            worst = int(np.argmax(diff))
            ok = bool(diff[worst] <= args.tolerance)
            print(
                f"case={case} rows={len(rows)} max_abs_diff={diff[worst]:.3e} "
                f"worst_row={worst} onnx={got[worst]!r} erosion={expected[worst]!r} "
                f"{'ok' if ok else 'FAILED'}"
            )
            failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
