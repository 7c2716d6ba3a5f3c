#!/usr/bin/env python3
"""yoloo vs ONNX Runtime vs OpenCV DNN (and OpenVINO), in one run, on the
same machine, image, model files and thread counts. Prints markdown tables:
the first compares yoloo on its default engine (tract) with the peers; the
second ("engines") puts yoloo on each engine and precision beside the same
engine driven from Python, with fidelity against the OpenCV reference.

    python3 benches/compare.py            # full run (≈ 5–8 min on 2 cores)
    python3 benches/compare.py --quick    # smoke run: few iterations (CI)

What it does (see benches/README.md for what each row measures):
  1. makes (once) a virtualenv with the pinned peers, benches/requirements.txt,
     in ${YOLOO_CACHE:-~/.cache/yoloo}/bench-venv, and re-runs itself in it;
  2. builds the Rust side (`cargo build --release --workspace --bins --examples`)
     unless --no-build;
  3. `compare prepare`: the seeded full YOLOv3 (cfg + weights, written once),
     the ONNX exports of both models made by yoloo's converter, synthetic
     full-size head outputs — all in ${YOLOO_CACHE}/bench;
  4. times every row for yoloo (the `compare` binary, one process per
     measurement), ONNX Runtime (on yoloo's ONNX export) and OpenCV DNN
     (on the Darknet files), one engine after the other per row.

Nothing here asserts on time: the output is a report, not a test.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("YOLOO_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "yoloo"))
VENV = os.environ.get("YOLOO_BENCH_VENV", os.path.join(CACHE, "bench-venv"))
REQUIREMENTS = os.path.join(ROOT, "benches", "requirements.txt")
TARGET = os.path.join(ROOT, os.environ.get("CARGO_TARGET_DIR") or "target")

CONF, NMS_IOU, SIZE = 0.5, 0.4, 416


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------- set-up


def ensure_venv(args):
    """Re-executes this script with the bench virtualenv's Python."""
    try:
        import cv2  # noqa: F401
        import numpy  # noqa: F401
        import onnxruntime  # noqa: F401
        import openvino  # noqa: F401
        return
    except ImportError:
        pass
    py = os.path.join(VENV, "bin", "python")
    # A virtualenv's python is a symlink to the interpreter it was made from:
    # compare the environments, not the executables.
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV) or os.environ.get("YOLOO_BENCH_REEXEC"):
        sys.exit("compare.py: cannot import cv2/numpy/onnxruntime in %s; "
                 "pip install -r benches/requirements.txt" % sys.executable)
    ok = os.path.exists(py) and subprocess.run(
        [py, "-c", "import cv2, numpy, onnxruntime, openvino"], capture_output=True).returncode == 0
    if not ok:
        log("== creating %s (%s)" % (VENV, os.path.relpath(REQUIREMENTS, ROOT)))
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "-r", REQUIREMENTS], check=True)
    env = dict(os.environ, YOLOO_BENCH_REEXEC="1")
    os.execve(py, [py, os.path.abspath(__file__)] + sys.argv[1:], env)


def build(args):
    if args.no_build:
        return
    log("== cargo build --release --workspace --bins --examples")
    env = dict(os.environ, CARGO_TARGET_DIR=TARGET)
    subprocess.run(["cargo", "build", "--release", "--workspace", "--bins", "--examples", "--quiet"],
                   cwd=ROOT, env=env, check=True)


class YolooError(RuntimeError):
    pass


def yoloo(*argv):
    exe = os.path.join(TARGET, "release", "compare")
    # No backtrace in the error text: the notes quote its first line.
    env = dict(os.environ, RUST_LIB_BACKTRACE="0")
    out = subprocess.run([exe] + [str(a) for a in argv], cwd=ROOT, capture_output=True, text=True,
                         env=env)
    if out.returncode != 0:
        raise YolooError("compare %s failed:\n%s" % (" ".join(map(str, argv)), out.stderr.strip()))
    return json.loads(out.stdout.strip().splitlines()[-1])


def error_chain(text):
    """The `Error: … Caused by: …` text of a failed run in one line, without a
    backtrace."""
    text = text.split("Stack backtrace:")[0]
    parts = []
    for line in text.splitlines()[1:]:
        line = line.strip()
        if not line or line == "Caused by:":
            continue
        line = line.removeprefix("Error: ")
        head, _, rest = line.partition(": ")
        parts.append(rest if head.isdigit() else line)
    return ": ".join(parts) or text.strip()


# --------------------------------------------------------------- statistics


def percentile(xs, q):
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def stats(xs):
    return {"median": percentile(xs, 0.5), "p10": percentile(xs, 0.1), "p90": percentile(xs, 0.9),
            "n": len(xs), "samples": xs}


def time_calls(fn, iters, warmup):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(max(1, iters)):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1e3)
    return out


def interleaved(ours, theirs, iters, warmup, rounds):
    """Stats of `ours(n)` and `theirs(n, warmup)` (lists of ms), `iters`
    samples each, taken in `rounds` alternating turns; `theirs` may be None."""
    mine, peer = [], []
    per = [iters // rounds + (i < iters % rounds) for i in range(rounds)]
    # Ours first in the first round: a setting yoloo refuses fails before
    # the peer is timed for nothing.
    for i, n in enumerate(k for k in per if k):
        if not i % 2:
            mine += ours(n)
        if theirs:
            peer += theirs(n, warmup if i == 0 else 1)
        if i % 2:
            mine += ours(n)
    return stats(mine), (stats(peer) if theirs else None)


def best_of(old, ips, config):
    """The stats of `ips` (images/s per round), tagged with `config`, if
    their median beats `old`'s (or there is no `old`); else `old`."""
    s = stats(ips)
    s["config"] = config
    return s if old is None or s["median"] > old["median"] else old


def throughput_rounds(fns, rounds, per_round, warmup_rounds=1):
    """Images/s: len(fns) threads (each with its own engine instance) share
    per_round calls; one figure per round."""

    def one(n):
        lock = threading.Lock()
        left = [n]
        errors = []

        def worker(fn):
            try:
                while True:
                    with lock:
                        if left[0] <= 0:
                            return
                        left[0] -= 1
                    fn()
            except Exception as e:  # reported below
                errors.append(e)

        ts = [threading.Thread(target=worker, args=(f,)) for f in fns]
        t = time.perf_counter()
        for th in ts:
            th.start()
        for th in ts:
            th.join()
        if errors:
            raise errors[0]
        return n / (time.perf_counter() - t)

    for _ in range(warmup_rounds):
        one(len(fns))
    return [one(per_round) for _ in range(max(1, rounds))]


# --------------------------------------------------------------- peers


def ort_session(path, threads):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])


def ov_request(path, threads, precision):
    """An OpenVINO infer request with the settings yoloo's OpenVINO engine
    sets, or None when the CPU cannot run `precision`."""
    import openvino as ov

    core = ov.Core()
    caps = core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    if precision == "bf16" and "BF16" not in caps:
        return None
    core.set_property("CPU", {"PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": "1",
                              "INFERENCE_NUM_THREADS": str(threads),
                              "INFERENCE_PRECISION_HINT": "bf16" if precision == "bf16" else "f32"})
    return core.compile_model(path, "CPU").create_infer_request()


def python_engine(backend, precision, path, threads):
    """`run(blob) -> list of head arrays` for the engine driven from Python,
    or None (tract has no Python API; bf16 on a CPU without it)."""
    if backend == "onnxruntime":
        sess = ort_session(path, threads)
        name = sess.get_inputs()[0].name
        return lambda blob: sess.run(None, {name: blob})
    if backend == "openvino":
        req = ov_request(path, threads, precision)
        if req is None:
            return None
        n = len(req.model_outputs)
        return lambda blob: (req.infer({0: blob}), [req.get_output_tensor(i).data for i in range(n)])[1]
    return None


# (backend, precision) rows of the engines table.
SETTINGS = [("tract", "fp32"), ("onnxruntime", "fp32"), ("onnxruntime", "int8"),
            ("openvino", "fp32"), ("openvino", "bf16"), ("openvino", "int8"), ("tract", "int8")]
# Fidelity bars (acceptance): min IoU, max |Δconf|, no lost/added beyond boundary flips.
BARS = {"fp32": (0.97, 0.02), "bf16": (0.95, 0.025), "int8": (0.90, 0.05)}
FLIP = 0.02


def fidelity(found, fixture):
    """Matches yoloo's detections with the OpenCV reference as
    yoloo-core/tests/opencv_parity.rs does; returns the figures."""
    from math import inf

    def iou(a, b):
        ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        inter = ix * iy
        ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
        return inter / ua if ua > 0 else 0.0

    r = {"matched": 0, "worst_iou": 1.0, "worst_dconf": 0.0, "lost": 0, "added": 0, "flips": 0,
         "lost_at_05": 0, "added_at_05": 0}
    for name, entry in fixture["images"].items():
        W, H = entry["width"], entry["height"]
        for t, expected in entry["thresholds"].items():
            ours = found[name][str(float(t))] if str(float(t)) in found[name] else found[name][t]
            used = [False] * len(ours)
            for d in expected["detections"]:
                box = [min(max(d["x1"], 0), W), min(max(d["y1"], 0), H), min(max(d["x2"], 0), W),
                       min(max(d["y2"], 0), H)]
                best, bi = -inf, None
                for i, o in enumerate(ours):
                    if used[i] or o["label"] != d["label"]:
                        continue
                    v = iou(box, [o["x1"], o["y1"], o["x2"], o["y2"]])
                    if v > best:
                        best, bi = v, i
                if bi is not None and best >= 0.5:
                    used[bi] = True
                    r["matched"] += 1
                    r["worst_iou"] = min(r["worst_iou"], best)
                    r["worst_dconf"] = max(r["worst_dconf"], abs(ours[bi]["confidence"] - d["confidence"]))
                elif abs(d["confidence"] - float(t)) <= FLIP:
                    r["flips"] += 1
                else:
                    r["lost"] += 1
                    r["lost_at_05"] += float(t) == 0.5
            for o, u in zip(ours, used):
                if u:
                    continue
                if abs(o["confidence"] - float(t)) <= FLIP:
                    r["flips"] += 1
                else:
                    r["added"] += 1
                    r["added_at_05"] += float(t) == 0.5
    return r


def meets_bar(precision, f):
    min_iou, max_dconf = BARS[precision]
    if f["worst_iou"] < min_iou or f["worst_dconf"] > max_dconf:
        return False
    if precision == "int8":
        return f["lost_at_05"] == 0 and f["added_at_05"] == 0
    return f["lost"] == 0 and f["added"] == 0


def cv_net(cfg, weights):
    import cv2

    net = cv2.dnn.readNetFromDarknet(cfg, weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    return net, net.getUnconnectedOutLayersNames()


def blob_from(img):
    import cv2

    return cv2.dnn.blobFromImage(img, 1 / 255.0, (SIZE, SIZE), swapRB=True, crop=False)


def original_postprocess(outs, W, H):
    """The original app's loop over OpenCV's YOLO rows + class-agnostic NMSBoxes."""
    import cv2
    import numpy as np

    boxes, confidences, class_ids = [], [], []
    for out in outs:
        for detection in out:
            scores = detection[5:]
            class_id = np.argmax(scores)
            confidence = scores[class_id]
            if confidence > CONF:
                center_x = int(detection[0] * W)
                center_y = int(detection[1] * H)
                w = int(detection[2] * W)
                h = int(detection[3] * H)
                x = int(center_x - w / 2)
                y = int(center_y - h / 2)
                boxes.append([x, y, w, h])
                confidences.append(float(confidence))
                class_ids.append(int(class_id))
    idx = cv2.dnn.NMSBoxes(boxes, confidences, CONF, NMS_IOU) if boxes else []
    return [(class_ids[i], confidences[i], boxes[i]) for i in np.array(idx).reshape(-1)]


def raw_postprocess(heads, anchors, W, H):
    """Vectorised numpy decoding of raw YOLO heads (what yoloo's export gives
    ONNX Runtime) + class-agnostic NMSBoxes: the best a Python user would write."""
    import cv2
    import numpy as np

    cut = np.log(CONF / (1 - CONF))
    boxes, confs, classes = [], [], []
    for raw, anc in zip(heads, anchors):
        a = len(anc)
        g_h, g_w = raw.shape[-2], raw.shape[-1]
        t = raw.reshape(a, -1, g_h * g_w)
        ai, cell = np.nonzero(t[:, 4, :] > cut)
        if len(ai) == 0:
            continue
        sel = t[ai, :, cell]
        cls = sel[:, 5:]
        best = cls.argmax(1)
        sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
        conf = sig(sel[:, 4]) * sig(cls[np.arange(len(best)), best])
        keep = conf > CONF
        if not keep.any():
            continue
        sel, ai, cell, best, conf = sel[keep], ai[keep], cell[keep], best[keep], conf[keep]
        anc = np.asarray(anc, dtype=np.float32)[ai]
        cx = (cell % g_w + sig(sel[:, 0])) / g_w * W
        cy = (cell // g_w + sig(sel[:, 1])) / g_h * H
        w = np.exp(sel[:, 2]) * anc[:, 0] / SIZE * W
        h = np.exp(sel[:, 3]) * anc[:, 1] / SIZE * H
        boxes.append(np.stack([cx - w / 2, cy - h / 2, w, h], 1))
        confs.append(conf)
        classes.append(best)
    if not boxes:
        return []
    boxes = np.concatenate(boxes).tolist()
    confs = np.concatenate(confs).tolist()
    classes = np.concatenate(classes)
    idx = np.array(cv2.dnn.NMSBoxes(boxes, confs, CONF, NMS_IOU)).reshape(-1)
    return [(int(classes[i]), confs[i], boxes[i]) for i in idx]


def opencv_rows(heads, anchors, iw, ih):
    """OpenCV's YOLO-layer rows [cx, cy, w, h, obj, 80 scores] (relative,
    scores = sigmoid(class)·sigmoid(obj), zeroed at ≤ 0.2) computed from raw
    heads, in OpenCV's order (row, column, anchor). Not timed: in OpenCV this
    is part of the forward pass."""
    import numpy as np

    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    outs = []
    for raw, anc in zip(heads, anchors):
        a = len(anc)
        g_h, g_w = raw.shape[-2], raw.shape[-1]
        t = raw.reshape(a, -1, g_h, g_w).transpose(2, 3, 0, 1).astype(np.float32)  # y, x, a, 85
        rows = np.empty_like(t)
        xs = np.arange(g_w)[None, :, None]
        ys = np.arange(g_h)[:, None, None]
        anc = np.asarray(anc, dtype=np.float32)
        rows[..., 0] = (xs + sig(t[..., 0])) / g_w
        rows[..., 1] = (ys + sig(t[..., 1])) / g_h
        rows[..., 2] = np.exp(t[..., 2]) * anc[None, None, :, 0] / iw
        rows[..., 3] = np.exp(t[..., 3]) * anc[None, None, :, 1] / ih
        obj = sig(t[..., 4])
        rows[..., 4] = obj
        scores = sig(t[..., 5:]) * obj[..., None]
        scores[scores <= 0.2] = 0
        rows[..., 5:] = scores
        outs.append(rows.reshape(-1, t.shape[-1]))
    return outs


# --------------------------------------------------------------- rows


class Bench:
    def __init__(self, args, prep):
        import cv2

        self.args = args
        self.prep = prep
        self.image_path = os.path.join(ROOT, "assets", "images", args.image)
        with open(self.image_path, "rb") as f:
            self.jpeg = f.read()
        self.img = cv2.imread(self.image_path, cv2.IMREAD_COLOR)
        self.blob = blob_from(self.img)
        self.rows = []  # (row, model, {engine: result})
        self.engine_rows = []
        self.notes = []

    def it(self, full):
        a = self.args
        if a.quick:
            return 2, 1
        return (a.iters_full, 1) if full else (a.iters, 2)

    def rounds(self, full):
        """(rounds, calls per round) of a throughput row."""
        if self.args.quick:
            return 1, 2
        return (3, 4) if full else (5, 12)

    def add(self, row, model, unit, results, better="lower"):
        self.rows.append({"row": row, "model": model, "unit": unit, "better": better,
                          "results": results})
        cells = ", ".join("%s %.2f" % (k, v["median"]) for k, v in results.items() if v)
        log("   %-38s %-12s %s %s" % (row, model, cells, unit))

    def yolov8n_latency(self, threads):
        """The real YOLOv8n export (scripts/fetch_assets.py --extra-models):
        inference latency on the same file, yoloo vs ONNX Runtime, on the
        image letterboxed as Ultralytics does (OpenCV DNN is left out: it
        does not read this opset-22 export)."""
        path = os.path.join(ROOT, "models", "yolov8n.onnx")
        iters, warmup = self.it(False)
        y = yoloo("latency", "--model", path, "--threads", threads,
                  "--image", self.image_path, "--iters", iters, "--warmup", warmup)
        sess = ort_session(path, threads)
        sys.path.insert(0, os.path.join(ROOT, "scripts"))
        from make_family_reference import ultralytics_letterbox

        import numpy as np

        lb = ultralytics_letterbox(self.img, (640, 640))
        blob = np.ascontiguousarray(lb[..., ::-1].transpose(2, 0, 1))[None].astype(np.float32) / np.float32(255)
        feed = {sess.get_inputs()[0].name: blob}
        o = time_calls(lambda: sess.run(None, feed), iters, warmup)
        del sess
        self.add("inference latency, %d thread%s" % (threads, "s" if threads > 1 else ""), "yolov8n", "ms",
                 {"yoloo": stats(y["samples_ms"]), "ort": stats(o)})

    def models(self):
        p = self.prep
        out = []
        if "tiny" in self.args.models:
            out.append(("yolov3-tiny", p["tiny_cfg"], p["tiny_weights"], p["onnx"]["yolov3-tiny"],
                        p["int8"]["yolov3-tiny"], False))
        if "full" in self.args.models:
            out.append(("yolov3", p["full_cfg"], p["full_weights"], p["onnx"]["yolov3"], p["int8"]["yolov3"], True))
        return out

    def latency(self, name, cfg, weights, onnx, full, threads):
        import cv2

        iters, warmup = self.it(full)
        y = yoloo("latency", "--model", cfg, "--weights", weights, "--threads", threads,
                  "--image", self.image_path, "--iters", iters, "--warmup", warmup)
        sess = ort_session(onnx, threads)
        feed = {sess.get_inputs()[0].name: self.blob}
        o = time_calls(lambda: sess.run(None, feed), iters, warmup)
        del sess
        cv2.setNumThreads(threads)
        net, names = cv_net(cfg, weights)

        def cv_fwd():
            net.setInput(self.blob)
            net.forward(names)

        c = time_calls(cv_fwd, iters, warmup)
        del net
        self.add("inference latency, %d thread%s" % (threads, "s" if threads > 1 else ""), name, "ms",
                 {"yoloo": stats(y["samples_ms"]), "ort": stats(o), "opencv": stats(c)})

    def throughput(self, name, cfg, weights, onnx, full):
        """Best of 1 image × 2 threads and 2 images × 1 thread, per engine."""
        import cv2

        rounds, per_round = self.rounds(full)
        configs = [(1, 2), (2, 1)]
        best = {}

        def keep(engine, cfg_name, ips):
            best[engine] = best_of(best.get(engine), ips, cfg_name)

        for workers, threads in configs:
            cname = "%d×%d" % (workers, threads)
            y = yoloo("throughput", "--model", cfg, "--weights", weights, "--workers", workers,
                      "--threads", threads, "--image", self.image_path, "--rounds", rounds,
                      "--per-round", per_round)
            keep("yoloo", cname, y["rounds_ips"])
            # One session serves concurrent runs (ORT's Run is thread-safe).
            sess = ort_session(onnx, threads)
            feed = {sess.get_inputs()[0].name: self.blob}
            keep("ort", cname, throughput_rounds([lambda: sess.run(None, feed)] * workers, rounds, per_round))
            del sess
            # A cv2.dnn.Net is not thread-safe: one per worker.
            cv2.setNumThreads(threads)
            nets = [cv_net(cfg, weights) for _ in range(workers)]

            def fwd(net_names):
                net, names = net_names
                return lambda: (net.setInput(self.blob), net.forward(names))

            keep("opencv", cname, throughput_rounds([fwd(n) for n in nets], rounds, per_round))
            del nets
        self.add("throughput, both cores (best config)", name, "images/s", best, better="higher")

    def pipeline(self, name, cfg, weights, onnx, full):
        import cv2
        import numpy as np

        threads = 2
        iters, warmup = self.it(full)
        y = yoloo("pipeline", "--model", cfg, "--weights", weights, "--threads", threads,
                  "--image", self.image_path, "--iters", iters, "--warmup", warmup)
        counts = {"yoloo": y["detections"]}
        buf = np.frombuffer(self.jpeg, dtype=np.uint8)
        cv2.setNumThreads(threads)

        sess = ort_session(onnx, threads)
        in_name = sess.get_inputs()[0].name
        anchors = heads_anchors(cfg)

        def ort_pipe():
            img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
            outs = sess.run(None, {in_name: blob_from(img)})
            return raw_postprocess(outs, anchors, img.shape[1], img.shape[0])

        counts["ort"] = len(ort_pipe())
        o = time_calls(ort_pipe, iters, warmup)
        del sess
        net, names = cv_net(cfg, weights)

        def cv_pipe():
            img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
            net.setInput(blob_from(img))
            return original_postprocess(net.forward(names), img.shape[1], img.shape[0])

        counts["opencv"] = len(cv_pipe())
        c = time_calls(cv_pipe, iters, warmup)
        del net
        self.add("whole pipeline JPEG → detections, 2 threads", name, "ms",
                 {"yoloo": stats(y["samples_ms"]), "ort": stats(o), "opencv": stats(c)})
        self.notes.append("detections on %s (%s, confidence 0.5, class-agnostic NMS 0.4): %s"
                          % (self.args.image, name,
                             ", ".join("%s %d" % (k, v) for k, v in counts.items())))

    def pipeline_throughput(self, name, cfg, weights, onnx, full):
        """JPEG → detections per second on both cores, best configuration per engine."""
        import cv2
        import numpy as np

        rounds, per_round = self.rounds(full)
        buf = np.frombuffer(self.jpeg, dtype=np.uint8)
        anchors = heads_anchors(cfg)
        best = {}

        def keep(engine, cfg_name, ips):
            best[engine] = best_of(best.get(engine), ips, cfg_name)

        for workers, threads in [(1, 2), (2, 1)]:
            cname = "%d×%d" % (workers, threads)
            y = yoloo("pipeline-throughput", "--model", cfg, "--weights", weights, "--threads", 2,
                      "--image", self.image_path, "--rounds", rounds, "--per-round", per_round,
                      *(["--batch"] if workers == 2 else []))
            keep("yoloo", "batch" if workers == 2 else cname, y["rounds_ips"])
            cv2.setNumThreads(threads)
            sess = ort_session(onnx, threads)
            in_name = sess.get_inputs()[0].name

            def ort_pipe():
                img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
                outs = sess.run(None, {in_name: blob_from(img)})
                return raw_postprocess(outs, anchors, img.shape[1], img.shape[0])

            keep("ort", cname, throughput_rounds([ort_pipe] * workers, rounds, per_round))
            del sess

            def cv_pipe(net_names):
                net, names = net_names

                def run():
                    img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
                    net.setInput(blob_from(img))
                    return original_postprocess(net.forward(names), img.shape[1], img.shape[0])

                return run

            nets = [cv_net(cfg, weights) for _ in range(workers)]
            keep("opencv", cname, throughput_rounds([cv_pipe(n) for n in nets], rounds, per_round))
            del nets
        self.add("pipeline throughput JPEG → detections, both cores", name, "images/s", best,
                 better="higher")

    def engines(self, name, cfg, weights, onnx, int8, full):
        """Each yoloo engine × precision beside the same engine from Python
        (same file, threads, precision): inference latency, whole pipeline
        and, on yolov3-tiny, fidelity against the OpenCV reference."""
        import cv2
        import numpy as np

        iters, warmup = self.it(full)
        buf = np.frombuffer(self.jpeg, dtype=np.uint8)
        anchors = heads_anchors(cfg)
        fixture = None
        if not full:
            with open(os.path.join(ROOT, "yoloo-core", "tests", "fixtures", "opencv_reference.json")) as f:
                fixture = json.load(f)
        thread_counts = (2,) if (self.args.quick or full) else (1, 2)
        # yoloo and the Python peer take turns (a few iterations each) so that
        # a slow spell of the host weighs on both sides of a ratio alike.
        rounds = 1 if self.args.quick else 4
        for backend, precision in SETTINGS:
            path = int8 if precision == "int8" else onnx
            for threads in thread_counts:
                common = ["--model", path, "--backend", backend, "--precision", precision,
                          "--threads", threads]
                run = python_engine(backend, precision, path, threads)
                try:
                    y, peer = interleaved(
                        lambda n: yoloo("latency", *common, "--image", self.image_path, "--iters", n,
                                        "--warmup", warmup)["samples_ms"],
                        (lambda n, w: time_calls(lambda: run(self.blob), n, w)) if run else None,
                        iters, warmup, rounds)
                except YolooError as e:
                    why = error_chain(str(e))
                    self.notes.append("%s, %s %s: not run: %s" % (name, backend, precision, why))
                    del run
                    break
                row = {"model": name, "backend": backend, "precision": precision, "threads": threads,
                       "yoloo": y, "python": peer, "what": "inference"}
                if threads == 2:
                    cv2.setNumThreads(threads)

                    def pipe_of(engine):
                        def pipe():
                            img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
                            return raw_postprocess(engine(blob_from(img)), anchors, img.shape[1], img.shape[0])

                        return pipe

                    yp, pp = interleaved(
                        lambda n: yoloo("pipeline", *common, "--image", self.image_path, "--iters", n,
                                        "--warmup", warmup)["samples_ms"],
                        (lambda n, w: time_calls(pipe_of(run), n, w)) if run else None,
                        iters, warmup, rounds)
                    row["yoloo_pipeline"] = yp
                    if pp:
                        row["python_pipeline"] = pp
                    self.engine_throughput(row, common, pipe_of, run, backend, precision, path, full)
                    if fixture is not None:
                        d = yoloo("detections", *common, "--images", os.path.join(ROOT, "assets", "images"),
                                  "--names", ",".join(fixture["images"].keys()))
                        row["fidelity"] = fidelity(d["images"], fixture)
                        row["fidelity"]["meets_bar"] = meets_bar(precision, row["fidelity"])
                del run
                self.engine_rows.append(row)
                log("   %-12s %-22s %dT yoloo %.2f ms, python %s" % (
                    name, backend + " " + precision, threads, row["yoloo"]["median"],
                    "%.2f ms" % peer["median"] if peer else "—"))

    def engine_throughput(self, row, common, pipe_of, run, backend, precision, path, full):
        """JPEG → detections per second on both cores, best configuration
        each side: yoloo one `detect_bytes` after another (2 threads) or
        `detect_bytes_batch`; Python (when `run`, its 2-thread engine, is
        not None) that engine, or two Python threads with a 1-thread engine
        each. yoloo and Python alternate."""
        import cv2

        rounds, per_round = self.rounds(full)

        ours = theirs = None
        for batch, workers in ((False, 1), (True, 2)):
            y = yoloo("pipeline-throughput", *common, "--image", self.image_path, "--rounds", rounds,
                      "--per-round", per_round, *(["--batch"] if batch else []))
            ours = best_of(ours, y["rounds_ips"], "batch" if batch else "1×2")
            if not run:
                continue
            cv2.setNumThreads(2 // workers)
            engines = [run] if workers == 1 else [python_engine(backend, precision, path, 1)
                                                  for _ in range(workers)]
            theirs = best_of(theirs, throughput_rounds([pipe_of(e) for e in engines], rounds, per_round),
                          "%d×%d" % (workers, 2 // workers))
            del engines
        cv2.setNumThreads(2)
        row["yoloo_throughput"] = ours
        if theirs:
            row["python_throughput"] = theirs

    def preprocess(self):
        import cv2

        iters, warmup = (3, 1) if self.args.quick else (self.args.iters * 5, 5)
        y = yoloo("preprocess", "--image", self.image_path, "--iters", iters, "--warmup", warmup)
        cv2.setNumThreads(1)
        c = time_calls(lambda: blob_from(self.img), iters, warmup)
        h, w = self.img.shape[:2]
        self.add("preprocessing %d×%d → %d² (1 thread)" % (w, h, SIZE), "—", "ms",
                 {"yoloo": stats(y["samples_ms"]), "ort": None, "opencv": stats(c)})
        self.notes.append("preprocessing: yoloo = `Preprocessor::preprocess_into` a reused buffer; "
                          "the allocating `preprocess()` (a fresh zeroed tensor per call) took %.3g ms "
                          "(median); OpenCV = `blobFromImage(img, 1/255, (416, 416), swapRB=True)`, "
                          "which allocates its blob" % stats(y["alloc_samples_ms"])["median"])

    def decode_nms(self):
        import cv2
        import numpy as np

        with open(self.prep["heads"]) as f:
            meta = json.load(f)
        d = os.path.dirname(self.prep["heads"])
        heads = [np.fromfile(os.path.join(d, h["file"]), dtype="<f4").reshape(h["shape"]) for h in meta["heads"]]
        anchors = [h["anchors"] for h in meta["heads"]]
        W, H = meta["image"]
        iters, warmup = (3, 1) if self.args.quick else (self.args.iters * 5, 5)
        y = yoloo("decode-nms", "--heads", self.prep["heads"], "--iters", iters, "--warmup", warmup)
        cv2.setNumThreads(1)
        o = time_calls(lambda: raw_postprocess(heads, anchors, W, H), iters, warmup)
        rows = opencv_rows(heads, anchors, *meta["input"])
        kept = {"yoloo": y["kept"], "ort": len(raw_postprocess(heads, anchors, W, H)),
                "opencv": len(original_postprocess(rows, W, H))}
        c = time_calls(lambda: original_postprocess(rows, W, H), max(3, iters // 10), 1)
        self.add("decode + NMS, %d rows (1 thread)" % y["rows"], "yolov3 heads", "ms",
                 {"yoloo": stats(y["samples_ms"]), "ort": stats(o), "opencv": stats(c)})
        self.notes.append("decode + NMS: %d candidates above 0.5; kept %s"
                          % (y["candidates"], ", ".join("%s %d" % kv for kv in kept.items())))


def heads_anchors(cfg_path):
    """Anchors per [yolo] section, in the order of the network's outputs."""
    anchors, masks, cur = [], [], None
    with open(cfg_path) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line.startswith("["):
                cur = line
            elif "=" in line and cur == "[yolo]":
                k, v = [s.strip() for s in line.split("=", 1)]
                if k == "mask":
                    masks.append([int(x) for x in v.split(",")])
                elif k == "anchors" and not anchors:
                    n = [float(x) for x in v.split(",")]
                    anchors = list(zip(n[0::2], n[1::2]))
    return [[anchors[i] for i in m] for m in masks]


# --------------------------------------------------------------- output

ENGINES = [("yoloo", "yoloo"), ("ort", "ONNX Runtime"), ("opencv", "OpenCV DNN")]


def cell(r, unit):
    if not r:
        return "—"
    s = "%.3g" % r["median"] if r["median"] < 10 else "%.1f" % r["median"]
    spread = "%.3g–%.3g" % (r["p10"], r["p90"]) if r["median"] < 10 else "%.1f–%.1f" % (r["p10"], r["p90"])
    extra = " [%s]" % r["config"] if "config" in r else ""
    return "%s %s (%s)%s" % (s, unit, spread, extra)


def ratio(row, peer):
    y, p = row["results"].get("yoloo"), row["results"].get(peer)
    if not y or not p or not p["median"]:
        return "—"
    r = y["median"] / p["median"]
    return ("%.2f×" if r >= 0.1 else "%.3f×") % r


def table(rows):
    out = ["| row | model | yoloo | ONNX Runtime | OpenCV DNN | yoloo/ORT | yoloo/OpenCV |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        arrow = "↑" if r["better"] == "higher" else "↓"
        out.append("| %s %s | %s | %s | %s | %s | %s | %s |" % (
            r["row"], arrow, r["model"], *(cell(r["results"].get(k), r["unit"]) for k, _ in ENGINES),
            ratio(r, "ort"), ratio(r, "opencv")))
    return "\n".join(out)


def fmt_ms(r):
    if not r:
        return "—"
    return ("%.3g" if r["median"] < 10 else "%.1f") % r["median"]


def fmt_fidelity(f):
    if not f:
        return "—"
    # `\|`: a bare bar would end the table cell.
    return "%s IoU ≥ %.3f, \\|Δconf\\| ≤ %.3f, %d matched, %d lost, %d added, %d flips" % (
        "meets bar:" if f["meets_bar"] else "misses bar:", f["worst_iou"], f["worst_dconf"], f["matched"],
        f["lost"], f["added"], f["flips"])


def engines_table(rows):
    """yoloo on each engine beside that engine from Python (ms, median)."""
    ref = {(r["model"], r["threads"]): r["python"] for r in rows
           if r["backend"] == "onnxruntime" and r["precision"] == "fp32" and r["python"]}
    out = ["| model | engine, precision | threads | yoloo inference | Python inference | yoloo/Python "
           "| yoloo/ORT fp32 (Python) | yoloo pipeline | Python pipeline | yoloo/Python | fidelity (tiny) |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        y, p = r["yoloo"], r["python"]
        o = ref.get((r["model"], r["threads"]))
        yp, pp = r.get("yoloo_pipeline"), r.get("python_pipeline")
        out.append("| %s | %s %s | %d | %s ms | %s | %s | %s | %s | %s | %s | %s |" % (
            r["model"], r["backend"], r["precision"], r["threads"], fmt_ms(y),
            fmt_ms(p) + " ms" if p else "—",
            "%.2f×" % (y["median"] / p["median"]) if p else "—",
            "%.2f×" % (y["median"] / o["median"]) if o else "—",
            fmt_ms(yp) + " ms" if yp else "", fmt_ms(pp) + " ms" if pp else "",
            "%.2f×" % (yp["median"] / pp["median"]) if yp and pp else "",
            fmt_fidelity(r.get("fidelity"))))
    return "\n".join(out)


def engines_throughput_table(rows):
    """JPEG → detections per second, both cores, yoloo on each engine
    beside that engine from Python (best configuration each)."""
    rows = [r for r in rows if r.get("yoloo_throughput")]
    if not rows:
        return ""

    def cell(r):
        # `\[`: a bare [batch] would read as a link.
        return "%s %s" % (fmt_ms(r), r"\[batch\]" if r["config"] == "batch" else "[%s]" % r["config"])

    out = ["| model | engine, precision | yoloo images/s | Python images/s | yoloo/Python ↑ |",
           "|---|---|---|---|---|"]
    for r in rows:
        y, p = r["yoloo_throughput"], r.get("python_throughput")
        out.append("| %s | %s %s | %s | %s | %s |" % (
            r["model"], r["backend"], r["precision"], cell(y), cell(p) if p else "—",
            "%.2f×" % (y["median"] / p["median"]) if p else "—"))
    return "\n".join(out)


def engines_summary(rows):
    """The fastest yoloo setting meeting its fidelity bar, per model (2 threads)."""
    lines = []
    for model in dict.fromkeys(r["model"] for r in rows):
        two = [r for r in rows if r["model"] == model and r["threads"] == 2]
        ref = next((r["python"] for r in two if r["backend"] == "onnxruntime" and r["precision"] == "fp32"
                    and r["python"]), None)
        ok = [r for r in two if r.get("fidelity", {}).get("meets_bar", model != "yolov3-tiny")]
        if not ok or not ref:
            continue
        best = min(ok, key=lambda r: r["yoloo"]["median"])
        peers = [r for r in ok if r["python"]]
        fastest_peer = min(peers, key=lambda r: r["python"]["median"]) if peers else None
        lines.append("- %s, 2 threads: fastest yoloo setting %s %s at %.2f ms = %.2f× ONNX Runtime fp32 "
                     "from Python (%.2f ms)%s" % (
                         model, best["backend"], best["precision"], best["yoloo"]["median"],
                         best["yoloo"]["median"] / ref["median"], ref["median"],
                         "; fastest Python peer setting %s %s %.2f ms (yoloo best / it = %.2f×)" % (
                             fastest_peer["backend"], fastest_peer["precision"],
                             fastest_peer["python"]["median"],
                             best["yoloo"]["median"] / fastest_peer["python"]["median"])
                         if fastest_peer else ""))
    return lines


def machine():
    import cv2
    import numpy
    import onnxruntime
    import openvino

    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    tract = "?"
    try:
        with open(os.path.join(ROOT, "Cargo.lock")) as f:
            lock = f.read().split("[[package]]")
        tract = next(p.split('version = "')[1].split('"')[0] for p in lock if 'name = "tract-core"' in p)
    except (OSError, StopIteration, IndexError):
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "tract": tract, "onnxruntime": onnxruntime.__version__,
            "openvino": openvino.__version__.split("-")[0],
            "opencv": cv2.__version__, "numpy": numpy.__version__, "commit": commit}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 iterations per row")
    ap.add_argument("--models", default="tiny,full,yolov8n",
                    help="comma-separated subset of tiny, full, yolov8n (default: all; yolov8n: latency rows only)")
    ap.add_argument("--rows", default="latency,throughput,preprocess,decode,pipeline,engines",
                    help="comma-separated subset of: latency,throughput,preprocess,decode,pipeline,engines")
    ap.add_argument("--image", default="bus.jpg", help="a photo in assets/images (default bus.jpg)")
    ap.add_argument("--iters", type=int, default=20, help="timed iterations per yolov3-tiny row (default 20)")
    ap.add_argument("--iters-full", type=int, default=5, help="timed iterations per full YOLOv3 row (default 5)")
    ap.add_argument("--no-build", action="store_true", help="use the compare binary already built")
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--markdown", help="also write the table here")
    args = ap.parse_args()
    ensure_venv(args)
    args.models = [m.strip() for m in args.models.split(",")]
    args.rows = [r.strip() for r in args.rows.split(",")]

    started = time.time()
    fetch = [sys.executable, os.path.join(ROOT, "scripts", "fetch_assets.py"), "--quiet"]
    subprocess.run(fetch + (["--extra-models"] if "yolov8n" in args.models else []), check=True)
    build(args)
    bench_dir = os.path.join(CACHE, "bench")
    log("== preparing models in %s" % bench_dir)
    prep = yoloo("prepare", "--cache", bench_dir, "--size", SIZE)
    load_before = os.getloadavg()
    b = Bench(args, prep)
    for name, cfg, weights, onnx, int8, full in b.models():
        log("== %s" % name)
        if "latency" in args.rows:
            for threads in (1, 2):
                b.latency(name, cfg, weights, onnx, full, threads)
        if "throughput" in args.rows:
            b.throughput(name, cfg, weights, onnx, full)
        if "pipeline" in args.rows:
            b.pipeline(name, cfg, weights, onnx, full)
            b.pipeline_throughput(name, cfg, weights, onnx, full)
        if "engines" in args.rows:
            b.engines(name, cfg, weights, onnx, int8, full)
    if "yolov8n" in args.models and "latency" in args.rows:
        log("== yolov8n")
        for threads in (1, 2):
            b.yolov8n_latency(threads)
    log("== model-independent rows")
    if "preprocess" in args.rows:
        b.preprocess()
    if "decode" in args.rows:
        b.decode_nms()
    load_after = os.getloadavg()

    m = machine()
    md = [table(b.rows), ""]
    if b.engine_rows:
        md += [engines_table(b.engine_rows), "", engines_throughput_table(b.engine_rows), ""]
        md += engines_summary(b.engine_rows) + [""]
    md.append("%s, %d cores; tract %s, ONNX Runtime %s, OpenVINO %s, OpenCV %s, numpy %s; commit %s%s."
              % (m["cpu"], m["cores"], m["tract"], m["onnxruntime"], m["openvino"], m["opencv"], m["numpy"],
                 m["commit"],
                 ", quick mode" if args.quick else ""))
    md.append("Load average (1 min) %.2f before, %.2f after; %.0f s in all. "
              "Cells: median (p10–p90) over the timed iterations; ↓ lower is better, ↑ higher; "
              "ratio = yoloo median / peer median. Throughput [W×T] = W images at once × T threads each; "
              "[batch] = Detector::detect_bytes_batch (images in parallel, one thread each)."
              % (load_before[0], load_after[0], time.time() - started))
    for n in b.notes:
        md.append("- " + n)
    text = "\n".join(md)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": m, "args": vars(args), "rows": b.rows, "engines": b.engine_rows,
                       "notes": b.notes,
                       "load": [load_before, load_after]}, f, indent=1)


if __name__ == "__main__":
    main()
