#!/usr/bin/env python3
"""Reference detections of the non-Darknet YOLO families, each computed the
way the family's own tool does it, for yoloo-core's parity tests.

    ultralytics  Ultralytics 8.4's predict pipeline for an ONNX export
                 (`[1, 4+C, N]`, e.g. yolov8n.onnx), re-implemented with
                 numpy + ONNX Runtime + OpenCV (no torch):
                   cv2.imread (BGR) -> LetterBox (r = min(H/h, W/w);
                   new_unpad = round(w*r), round(h*r); cv2.resize INTER_LINEAR;
                   pads round(d/2 -+ 0.1); copyMakeBorder 114) -> RGB, /255,
                   float32 -> ONNX Runtime -> non_max_suppression (best class,
                   score > conf, boxes offset by class * 7680 for per-class
                   NMS, torchvision-style greedy NMS at iou, first 300) ->
                   scale_boxes (per-axis gains of the rounded sides, pads as
                   LetterBox) -> clip_boxes.
    yolox        YOLOX's ONNX demo pipeline (`[1, N, 5+C]` before grid
                 decoding, e.g. ddddocr's common_det.onnx):
                   cv2.imread (BGR) -> preproc (r = min(H/h, W/w); resize to
                   int(w*r) x int(h*r); top-left on 114) -> float32 BGR 0-255
                   -> ONNX Runtime -> demo_postprocess (xy = (t + grid) *
                   stride, wh = exp(t) * stride; strides 8, 16, 32) ->
                   boxes / r -> multiclass_nms (class-agnostic, obj * cls >
                   score_thr, greedy NMS with +1-pixel areas at nms_thr).

Both record, per image and threshold, the detections (class, label,
confidence, x1 y1 x2 y2 in image pixels) and `near_threshold`: pre-NMS
scores within 0.02 of the threshold, which may flip with tiny numeric
changes. Thresholds 0.5 and 0.25; the eight public photos of
scripts/fetch_assets.py (plus --image PATH ones).

Usage:
    python3 scripts/make_family_reference.py ultralytics [--model models/yolov8n.onnx]
    python3 scripts/make_family_reference.py yolox [--model models/ddddocr-common_det.onnx]
        [--images-dir D] [--image PATH ...] [--only-extra] [--out FILE]

Requirements: scripts/requirements-reference.txt (numpy, onnxruntime,
opencv-python-headless 4.x).
"""

import argparse
import collections
import json
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO_ROOT, "yoloo-core", "tests", "fixtures")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The photos, thresholds and near-threshold margin of the Darknet reference.
from make_opencv_reference import IMAGES, NEAR, THRESHOLDS, sha256_file, thr_key  # noqa: E402

FAMILIES = {
    # family: (default model, default output, NMS IoU, class-agnostic, max detections)
    "ultralytics": ("yolov8n.onnx", "ultralytics_reference.json", 0.7, False, 300),
    "yolox": ("ddddocr-common_det.onnx", "yolox_reference.json", 0.45, True, None),
}
MAX_WH = 7680  # Ultralytics' per-class box offset


def session(path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])


def input_hw(sess):
    shape = sess.get_inputs()[0].shape
    h, w = shape[2], shape[3]
    if not isinstance(h, int) or not isinstance(w, int):
        raise SystemExit("the model's input %s is dynamic; this script needs a fixed size" % shape)
    return h, w


def model_names(sess, classes):
    import ast

    meta = sess.get_modelmeta().custom_metadata_map
    if "names" in meta:
        names = ast.literal_eval(meta["names"])
        return [names[i] for i in range(len(names))]
    return ["class_%d" % i for i in range(classes)]


# ------------------------------------------------------------ Ultralytics


def ultralytics_letterbox(img, new_shape):
    import cv2

    shape = img.shape[:2]
    r = min(new_shape[0] / shape[0], new_shape[1] / shape[1])
    new_unpad = max(round(shape[1] * r), 1), max(round(shape[0] * r), 1)
    dw, dh = new_shape[1] - new_unpad[0], new_shape[0] - new_unpad[1]
    dw /= 2
    dh /= 2
    if shape[::-1] != new_unpad:
        img = cv2.resize(img, new_unpad, interpolation=cv2.INTER_LINEAR)
    top, bottom = round(dh - 0.1), round(dh + 0.1)
    left, right = round(dw - 0.1), round(dw + 0.1)
    return cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))


def greedy_nms(boxes, scores, iou_thr, plus_one=False):
    """Greedy NMS, most confident first; a box is dropped when its IoU with a
    kept one is above iou_thr. float32 arithmetic, as torchvision does it
    (plus_one: YOLOX's +1-pixel areas)."""
    import numpy as np

    boxes = boxes.astype(np.float32)
    order = np.argsort(-scores, kind="stable")
    one = np.float32(1.0 if plus_one else 0.0)
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = (x2 - x1 + one) * (y2 - y1 + one)
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(int(i))
        rest = order[1:]
        w = np.maximum(np.float32(0), np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + one)
        h = np.maximum(np.float32(0), np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + one)
        inter = w * h
        iou = inter / (areas[i] + areas[rest] - inter)
        order = rest[iou <= iou_thr]
    return keep


def ultralytics_detect(raw, conf, iou, agnostic, max_det, in_hw, orig_hw):
    """raw: [4+C, N] -> list of (score, class, x1, y1, x2, y2) in image pixels."""
    import numpy as np

    x = raw.T  # [N, 4+C]
    cls = x[:, 4:]
    xc = cls.max(1) > conf
    x = x[xc]
    if not len(x):
        return [], []
    boxes = np.empty((len(x), 4), dtype=np.float32)
    boxes[:, 0] = x[:, 0] - x[:, 2] / 2
    boxes[:, 1] = x[:, 1] - x[:, 3] / 2
    boxes[:, 2] = x[:, 0] + x[:, 2] / 2
    boxes[:, 3] = x[:, 1] + x[:, 3] / 2
    scores = x[:, 4:].max(1)
    j = x[:, 4:].argmax(1)
    keep = scores > conf
    boxes, scores, j = boxes[keep], scores[keep], j[keep]
    offset = (j.astype(np.float32) * np.float32(0 if agnostic else MAX_WH))[:, None]
    kept = greedy_nms(boxes + offset, scores, iou)[:max_det]
    boxes, scores, j = boxes[kept], scores[kept], j[kept]
    # scale_boxes + clip_boxes
    (h1, w1), (h0, w0) = in_hw, orig_hw
    gain = min(h1 / h0, w1 / w0)
    new_h, new_w = (max(round(v * gain), 1) for v in (h0, w0))
    gain_y, gain_x = new_h / h0, new_w / w0
    pad_x, pad_y = round((w1 - new_w) / 2 - 0.1), round((h1 - new_h) / 2 - 0.1)
    boxes[:, [0, 2]] -= pad_x
    boxes[:, [1, 3]] -= pad_y
    boxes[:, [0, 2]] /= gain_x
    boxes[:, [1, 3]] /= gain_y
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w0)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h0)
    return [(float(s), int(c), *map(float, b)) for s, c, b in zip(scores, j, boxes)], raw[4:].max(0)


def ultralytics_run(sess, img, conf, cfg):
    import numpy as np

    in_hw = input_hw(sess)
    lb = ultralytics_letterbox(img, in_hw)
    x = np.ascontiguousarray(lb[..., ::-1].transpose(2, 0, 1))[None].astype(np.float32) / np.float32(255)
    raw = sess.run(None, {sess.get_inputs()[0].name: x})[0][0]
    _, iou, agnostic, max_det = cfg
    return ultralytics_detect(raw, conf, iou, agnostic, max_det, in_hw, img.shape[:2])


# ------------------------------------------------------------------ YOLOX


def yolox_preproc(img, in_hw):
    import cv2
    import numpy as np

    padded = np.ones((in_hw[0], in_hw[1], 3), dtype=np.uint8) * 114
    r = min(in_hw[0] / img.shape[0], in_hw[1] / img.shape[1])
    resized = cv2.resize(img, (int(img.shape[1] * r), int(img.shape[0] * r)),
                         interpolation=cv2.INTER_LINEAR).astype(np.uint8)
    padded[: int(img.shape[0] * r), : int(img.shape[1] * r)] = resized
    return np.ascontiguousarray(padded.transpose(2, 0, 1), dtype=np.float32), r


def yolox_grid_decode(out, in_hw, strides=(8, 16, 32)):
    import numpy as np

    grids, expanded = [], []
    for s in strides:
        hsize, wsize = in_hw[0] // s, in_hw[1] // s
        xv, yv = np.meshgrid(np.arange(wsize), np.arange(hsize))
        grid = np.stack((xv, yv), 2).reshape(1, -1, 2)
        grids.append(grid)
        expanded.append(np.full((*grid.shape[:2], 1), s))
    grids = np.concatenate(grids, 1)
    expanded = np.concatenate(expanded, 1)
    out = out.copy()
    out[..., :2] = (out[..., :2] + grids) * expanded
    out[..., 2:4] = np.exp(out[..., 2:4]) * expanded
    return out


def yolox_run(sess, img, conf, cfg):
    import numpy as np

    in_hw = input_hw(sess)
    x, r = yolox_preproc(img, in_hw)
    out = sess.run(None, {sess.get_inputs()[0].name: x[None]})[0]
    pred = yolox_grid_decode(out, in_hw)[0]
    boxes = pred[:, :4]
    scores = pred[:, 4:5] * pred[:, 5:]
    xyxy = np.ones_like(boxes)
    xyxy[:, 0] = boxes[:, 0] - boxes[:, 2] / 2.0
    xyxy[:, 1] = boxes[:, 1] - boxes[:, 3] / 2.0
    xyxy[:, 2] = boxes[:, 0] + boxes[:, 2] / 2.0
    xyxy[:, 3] = boxes[:, 1] + boxes[:, 3] / 2.0
    xyxy /= r
    # multiclass_nms, class-agnostic (YOLOX's demo default)
    cls_inds = scores.argmax(1)
    cls_scores = scores[np.arange(len(cls_inds)), cls_inds]
    valid = cls_scores > conf
    vb, vs, vc = xyxy[valid], cls_scores[valid], cls_inds[valid]
    dets = []
    if len(vs):
        keep = greedy_nms(vb, vs, cfg[1], plus_one=True)
        dets = [(float(vs[k]), int(vc[k]), *map(float, vb[k])) for k in keep]
    return dets, cls_scores


# ------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("family", choices=sorted(FAMILIES))
    ap.add_argument("--model", help="the ONNX file (default: models/<the family's model>)")
    ap.add_argument("--images-dir", default=os.path.join(REPO_ROOT, "assets", "images"))
    ap.add_argument("--image", action="append", default=[], help="another image (repeatable)")
    ap.add_argument("--only-extra", action="store_true", help="only the --image ones, not the photos")
    ap.add_argument("--out", help="the JSON file (default: yoloo-core/tests/fixtures/<family>_reference.json)")
    args = ap.parse_args(argv)

    try:
        import cv2
        import numpy as np
        import onnxruntime
    except ImportError as e:
        print("make_family_reference: %s\n  pip install -r scripts/requirements-reference.txt" % e,
              file=sys.stderr)
        return 2

    default_model, default_out, nms_iou, agnostic, max_det = FAMILIES[args.family]
    cfg = (args.family, nms_iou, agnostic, max_det)
    model = args.model or os.path.join(REPO_ROOT, "models", default_model)
    out_path = args.out or os.path.join(FIXTURES, default_out)
    paths = [] if args.only_extra else [os.path.join(args.images_dir, i) for i in IMAGES]
    paths += args.image
    for p in [model] + paths:
        if not os.path.isfile(p):
            print("make_family_reference: missing %s (run scripts/fetch_assets.py --extra-models)" % p,
                  file=sys.stderr)
            return 1
    sess = session(model)
    in_hw = input_hw(sess)
    out_shape = sess.get_outputs()[0].shape
    classes = (out_shape[1] - 4) if args.family == "ultralytics" else (out_shape[2] - 5)
    labels = model_names(sess, classes)
    run = ultralytics_run if args.family == "ultralytics" else yolox_run

    images = collections.OrderedDict()
    for path in paths:
        name = os.path.basename(path)
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            print("make_family_reference: cannot decode %s" % path, file=sys.stderr)
            return 1
        H, W = img.shape[:2]
        per_thr = collections.OrderedDict()
        summary = []
        for t in THRESHOLDS:
            dets, pre_scores = run(sess, img, t, cfg)
            dets.sort(key=lambda d: -d[0])
            rows = [collections.OrderedDict([
                ("class_id", c),
                ("label", labels[c]),
                ("confidence", round(s, 6)),
                ("x1", round(x1, 3)), ("y1", round(y1, 3)),
                ("x2", round(x2, 3)), ("y2", round(y2, 3)),
            ]) for s, c, x1, y1, x2, y2 in dets]
            near = sorted((round(float(s), 6) for s in np.asarray(pre_scores).ravel()
                           if abs(float(s) - t) <= NEAR), reverse=True)
            per_thr[thr_key(t)] = collections.OrderedDict([("detections", rows), ("near_threshold", near)])
            counts = collections.Counter(d["label"] for d in rows)
            summary.append("@%s: %d [%s]%s" % (
                thr_key(t), len(rows),
                ", ".join("%s x%d" % (k, v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
                " near=%d" % len(near) if near else ""))
        images[name] = collections.OrderedDict([("width", W), ("height", H), ("thresholds", per_thr)])
        print("%-20s %4dx%-4d %s" % (name, W, H, "  ".join(summary)))

    doc = collections.OrderedDict([
        ("generator", "scripts/make_family_reference.py " + args.family),
        ("versions", collections.OrderedDict([
            ("onnxruntime", onnxruntime.__version__), ("opencv", cv2.__version__), ("numpy", np.__version__)])),
        ("model", collections.OrderedDict([
            ("file", os.path.basename(model)), ("sha256", sha256_file(model))])),
        ("family", args.family),
        ("input_size", [in_hw[1], in_hw[0]]),
        ("resize", "letterbox"),
        ("nms_iou", nms_iou),
        ("agnostic", agnostic),
        ("max_detections", max_det),
        ("images", images),
    ])
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, out_path)
    print("wrote %s" % os.path.relpath(out_path, os.getcwd()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
