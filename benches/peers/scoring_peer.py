#!/usr/bin/env python3
"""Scoring peers: LightGBM `predict_proba` and ONNX Runtime on the same feature table that
`erosion-score --features` scores.

The input columns are the exported ONNX graph's inputs (one 1-D double tensor per column of the
erosion model's feature spec, NaN where missing), so every tool sees the same columns.

    # LightGBM trained on the table erosion's model was trained on (not timed by the harness)
    python scoring_peer.py --fit --train train_features.parquet --target erosion --onnx model.onnx \
        --lgb lgb.txt --json-out fit.json
    # score a table: read Parquet, predict, write customer_id + probability to Parquet
    python scoring_peer.py --predict lightgbm --features F.parquet --onnx model.onnx --lgb lgb.txt \
        --out scores.parquet --json-out p.json
    python scoring_peer.py --predict onnx --features F.parquet --onnx model.onnx --out s.parquet \
        --json-out o.json [--check erosion_scores.parquet]

Each writes its read, predict and write seconds; --check compares ONNX Runtime's probabilities
with erosion-score's `erosion_probability` (max absolute difference).
"""

import argparse
import json
import time

import numpy as np
import pandas as pd


def input_names(onnx_path):
    import onnxruntime as ort
    s = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    return s, [(i.name, i.type) for i in s.get_inputs()]


def bundle_shape(path: str) -> dict:
    """Trees, largest leaf count and depth of an erosion GBDT bundle (header line, then JSON)."""
    with open(path) as f:
        f.readline()
        b = json.load(f)

    def find(o):
        if isinstance(o, dict):
            if "trees" in o:
                return o["trees"]
            for v in o.values():
                r = find(v)
                if r is not None:
                    return r
        return None

    trees = find(b["model"])

    def depth(nodes, i=0):
        n = nodes[i]
        return 0 if n["left"] == 0 else 1 + max(depth(nodes, n["left"]), depth(nodes, n["right"]))

    leaves = max(sum(1 for n in t["nodes"] if n["left"] == 0) for t in trees)
    return {"n_estimators": len(trees), "num_leaves": max(leaves, 2),
            "max_depth": max(depth(t["nodes"]) for t in trees)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--train")
    ap.add_argument("--target", default="erosion")
    ap.add_argument("--predict", choices=["lightgbm", "onnx"])
    ap.add_argument("--features")
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--lgb")
    ap.add_argument("--match-bundle", help="erosion model bundle whose tree count, leaves and depth LightGBM copies")
    ap.add_argument("--out")
    ap.add_argument("--check")
    ap.add_argument("--json-out", required=True)
    a = ap.parse_args()
    sess, inputs = input_names(a.onnx)
    cols = [n for n, _ in inputs]
    res = {"inputs": len(cols)}
    if a.fit:
        import lightgbm as lgb
        df = pd.read_parquet(a.train, columns=cols + [a.target]).dropna(subset=[a.target])
        t0 = time.perf_counter()
        shape = {"n_estimators": 200}
        if a.match_bundle:
            shape = bundle_shape(a.match_bundle)
        res["lightgbm_shape"] = shape
        m = lgb.LGBMClassifier(**shape, random_state=0, verbose=-1)
        m.fit(df[cols].astype(float), df[a.target].astype(int))
        res["fit_s"] = time.perf_counter() - t0
        m.booster_.save_model(a.lgb)
        res["rows"] = int(len(df))
    else:
        t0 = time.perf_counter()
        df = pd.read_parquet(a.features, columns=["customer_id"] + cols)
        t1 = time.perf_counter()
        if a.predict == "lightgbm":
            import lightgbm as lgb
            booster = lgb.Booster(model_file=a.lgb)
            p = booster.predict(df[cols].to_numpy(dtype=float))
        else:
            feeds = {}
            for name, typ in inputs:
                if "string" in typ:
                    feeds[name] = df[name].fillna("").astype(str).str.strip().to_numpy(dtype=object)
                else:
                    feeds[name] = df[name].astype(float).to_numpy()
            p = np.asarray(sess.run(None, feeds)[0], dtype=float).reshape(-1)
        t2 = time.perf_counter()
        pd.DataFrame({"customer_id": df["customer_id"], "probability": p}).to_parquet(a.out, index=False)
        t3 = time.perf_counter()
        res.update({"rows": int(len(df)), "read_s": t1 - t0, "predict_s": t2 - t1, "write_s": t3 - t2})
        if a.check:
            e = pd.read_parquet(a.check, columns=["customer_id", "erosion_probability"])
            j = pd.DataFrame({"customer_id": df["customer_id"], "p": p}).merge(e, on="customer_id")
            res["check"] = {"rows": int(len(j)), "max_abs_diff": float(np.max(np.abs(j["p"] - j["erosion_probability"])))}
    print(json.dumps(res))
    with open(a.json_out, "w") as fh:
        json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
