#!/usr/bin/env python3
"""Run an ONNX model in ONNX Runtime and compare its outputs with saved ones.

Used by a Rust test: the Rust converter exports DIR/model.onnx, runs it in
tract, and dumps the input and tract's outputs as raw little-endian float32:

    DIR/model.onnx
    DIR/meta.json = {"input":   {"name": "...", "shape": [1, 3, 416, 416], "file": "input.f32"},
                     "outputs": [{"name": "...", "shape": [...], "file": "out0.f32"}, ...]}

Usage:
    python3 scripts/ort_compare.py DIR [--tol 1e-3]

Prints one line per output ``name shape max_abs_diff`` and then the overall
maximum. Exit status: 0 if every output is within --tol, 1 if not (or on a
shape/name/NaN mismatch or bad input files), 2 if numpy or onnxruntime cannot
be imported (pip install -r scripts/requirements-test.txt).

ONNX Runtime runs on the CPU execution provider with 2 threads.
"""

import argparse
import json
import os
import sys


def fail(msg, code=1):
    print("ort_compare: %s" % msg, file=sys.stderr)
    return code


def load_f32(np, path, shape):
    expected = 1
    for d in shape:
        expected *= int(d)
    size = os.path.getsize(path)
    if size != expected * 4:
        raise ValueError("%s holds %d bytes, shape %s needs %d" % (path, size, list(shape), expected * 4))
    return np.fromfile(path, dtype="<f4").reshape([int(d) for d in shape])


def main(argv=None):
    ap = argparse.ArgumentParser(description="Compare ONNX Runtime outputs with saved (tract) outputs.")
    ap.add_argument("dir", help="directory with model.onnx, meta.json and the .f32 files")
    ap.add_argument("--tol", type=float, default=1e-3, help="max allowed absolute difference (default 1e-3)")
    args = ap.parse_args(argv)

    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:
        return fail("cannot import numpy/onnxruntime (%s); "
                    "pip install -r scripts/requirements-test.txt" % e, 2)

    d = args.dir
    try:
        with open(os.path.join(d, "meta.json"), encoding="utf-8") as f:
            meta = json.load(f)
        inp = meta["input"]
        outputs = meta["outputs"]
        x = load_f32(np, os.path.join(d, inp["file"]), inp["shape"])
        expected = [(o["name"], load_f32(np, os.path.join(d, o["file"]), o["shape"])) for o in outputs]
    except (OSError, ValueError, KeyError, TypeError) as e:
        return fail("bad input directory %s: %s" % (d, e))
    if not expected:
        return fail("meta.json lists no outputs")

    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    try:
        sess = ort.InferenceSession(os.path.join(d, "model.onnx"), sess_options=so,
                                    providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types
        return fail("onnxruntime cannot load %s: %s" % (os.path.join(d, "model.onnx"), e))

    model_inputs = [i.name for i in sess.get_inputs()]
    model_outputs = [o.name for o in sess.get_outputs()]
    if inp["name"] not in model_inputs:
        return fail("input %r not in model inputs %s" % (inp["name"], model_inputs))
    missing = [n for n, _ in expected if n not in model_outputs]
    if missing:
        return fail("outputs %s not in model outputs %s" % (missing, model_outputs))

    try:
        got = sess.run([n for n, _ in expected], {inp["name"]: x})
    except Exception as e:
        return fail("onnxruntime run failed: %s" % e)

    ok = True
    overall = 0.0
    for (name, want), have in zip(expected, got):
        have = np.asarray(have)
        if tuple(have.shape) != tuple(want.shape):
            print("%s shape mismatch: onnxruntime %s, expected %s" % (name, list(have.shape), list(want.shape)))
            ok = False
            continue
        want64 = want.astype(np.float64)
        have64 = have.astype(np.float64)
        if want64.size == 0:
            diff = 0.0
        else:
            nan_mismatch = np.isnan(want64) != np.isnan(have64)
            both_finite = np.isfinite(want64) & np.isfinite(have64)
            inf_mismatch = ~both_finite & ~np.isnan(want64) & ~np.isnan(have64) & (want64 != have64)
            if nan_mismatch.any() or inf_mismatch.any():
                diff = float("inf")
            else:
                d_ = np.abs(want64 - have64)[both_finite]
                diff = float(d_.max()) if d_.size else 0.0
        print("%s %s %.6g" % (name, list(want.shape), diff))
        overall = max(overall, diff)
        if not diff <= args.tol:
            ok = False
    print("overall max_abs_diff %.6g (tol %g) %s" % (overall, args.tol, "OK" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
