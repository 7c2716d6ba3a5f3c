#!/usr/bin/env python3
"""Generate reference YOLOv3-tiny detections with OpenCV's Darknet importer.

This reproduces, step by step, what the original Python/OpenCV app did, so the
Rust implementation (yoloo-core) can be checked against it:

    net = cv2.dnn.readNetFromDarknet(cfg, weights)      # DNN_BACKEND_OPENCV
    img = cv2.imread(path, cv2.IMREAD_COLOR)            # BGR; alpha dropped,
                                                        # grayscale -> 3 channels
    blob = cv2.dnn.blobFromImage(img, 1/255.0, (416, 416), swapRB=True, crop=False)
    outs = net.forward(net.getUnconnectedOutLayersNames())
    per row: scores = row[5:]; class_id = argmax; conf = scores[class_id]
             keep if conf > threshold, with the tutorial's *integer* box:
               center_x = int(row[0]*W); center_y = int(row[1]*H)
               w = int(row[2]*W); h = int(row[3]*H)
               x = int(center_x - w/2); y = int(center_y - h/2)
    cv2.dnn.NMSBoxes(int boxes, confidences, threshold, 0.4)   # class-agnostic

For every kept detection the JSON records class_id, label, confidence, the
integer box (x, y, w, h) and the exact float box
(x1 = cx*W - w*W/2, y1, x2 = cx*W + w*W/2, y2). For every image and threshold
``near_threshold`` lists the pre-NMS max class scores within 0.02 of the
threshold (either side): those detections may flip with tiny numeric changes.

Requirements (see scripts/requirements-reference.txt):
    opencv-python-headless==4.14.0.94   # OpenCV 5 has no readNetFromDarknet
    numpy

Inputs come from scripts/fetch_assets.py (models/ and assets/images/).
Output: yoloo-core/tests/fixtures/opencv_reference.json (indent 1).

``--yolov4-tiny`` does the same for the real YOLOv4-tiny weights of
``customyolov4==2`` (``--extra-models``), whose package has no cfg: the
stock yolov4-tiny.cfg with classes=10 (filters=45) is written here, as
yoloo-core's tests write it, and its text is kept in the fixture
(yoloo-core/tests/fixtures/opencv_yolov4_tiny_reference.json) so that the
test can check it builds the very same network.

Usage:
    python3 scripts/make_opencv_reference.py [--models-dir D] [--images-dir D] [--out FILE]
                                             [--yolov4-tiny]
"""
# requirements: opencv-python-headless==4.14.0.94 numpy==2.4.6

import argparse
import collections
import hashlib
import json
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

IMAGES = [
    "bus.jpg",
    "zidane.jpg",
    "grace_hopper.jpg",
    "camera.png",
    "coffee.png",
    "motorcycle_left.png",
    "astronaut.png",
    "chelsea.png",
]
THRESHOLDS = [0.5, 0.25]
NMS_IOU = 0.4
INPUT_SIZE = 416
NEAR = 0.02


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def conv_section(filters, size, stride, act, bn):
    return "[convolutional]\n%sfilters=%d\nsize=%d\nstride=%d\npad=1\nactivation=%s\n\n" % (
        "batch_normalize=1\n" if bn else "", filters, size, stride, act)


def yolov4_head(mask, anchors, classes, num, scale_x_y):
    return ("[yolo]\nmask = %s\nanchors = %s\nclasses=%d\nnum=%d\njitter=.3\n"
            "scale_x_y = %s\ncls_normalizer=1.0\niou_normalizer=0.07\niou_loss=ciou\n"
            "ignore_thresh = .7\ntruth_thresh = 1\nrandom=0\nresize=1.5\nnms_kind=greedynms\nbeta_nms=0.6\n\n"
            % (mask, anchors, classes, num, scale_x_y))


def yolov4_tiny_cfg(size, classes):
    """The stock yolov4-tiny.cfg for `classes` classes; the same text as
    yoloo-core/tests/support's yolov4_tiny_cfg."""
    s = ("[net]\n# Testing\n#batch=1\n#subdivisions=1\n# Training\nbatch=64\nsubdivisions=1\n"
         "width=%d\nheight=%d\nchannels=3\nmomentum=0.9\ndecay=0.0005\nangle=0\n"
         "saturation = 1.5\nexposure = 1.5\nhue=.1\n\nlearning_rate=0.00261\nburn_in=1000\n"
         "max_batches = 2000200\npolicy=steps\nsteps=1600000,1800000\nscales=.1,.1\n\n" % (size, size))
    filters = (classes + 5) * 3
    anchors = "10,14,  23,27,  37,58,  81,82,  135,169,  344,319"
    s += conv_section(32, 3, 2, "leaky", True)
    s += conv_section(64, 3, 2, "leaky", True)
    for width in (64, 128, 256):
        if width > 64:
            s += "[maxpool]\nsize=2\nstride=2\n\n"
        s += conv_section(width, 3, 1, "leaky", True)
        s += "[route]\nlayers=-1\ngroups=2\ngroup_id=1\n\n"
        s += conv_section(width // 2, 3, 1, "leaky", True)
        s += conv_section(width // 2, 3, 1, "leaky", True)
        s += "[route]\nlayers = -1,-2\n\n"
        s += conv_section(width, 1, 1, "leaky", True)
        s += "[route]\nlayers = -6,-1\n\n"
    s += "[maxpool]\nsize=2\nstride=2\n\n"
    s += conv_section(512, 3, 1, "leaky", True)
    s += "##################################\n\n"
    s += conv_section(256, 1, 1, "leaky", True)
    s += conv_section(512, 3, 1, "leaky", True)
    s += conv_section(filters, 1, 1, "linear", False)
    s += yolov4_head("3,4,5", anchors, classes, 6, "1.05")
    s += "[route]\nlayers = -4\n\n"
    s += conv_section(128, 1, 1, "leaky", True)
    s += "[upsample]\nstride=2\n\n[route]\nlayers = -1, 23\n\n"
    s += conv_section(256, 3, 1, "leaky", True)
    s += conv_section(filters, 1, 1, "linear", False)
    s += yolov4_head("1,2,3", anchors, classes, 6, "1.05")
    return s


def thr_key(t):
    return repr(float(t))  # "0.5", "0.25"


def candidates(outs, W, H):
    """All rows of all output layers as (max score, class_id, row)."""
    import numpy as np

    rows = []
    for out in outs:
        for det in out:
            scores = det[5:]
            cid = int(np.argmax(scores))
            rows.append((float(scores[cid]), cid, det))
    return rows


def detect(rows, W, H, threshold, labels):
    import cv2

    boxes, confs, keep_rows = [], [], []
    for conf, cid, det in rows:
        if conf > threshold:
            center_x = int(det[0] * W)
            center_y = int(det[1] * H)
            w = int(det[2] * W)
            h = int(det[3] * H)
            x = int(center_x - w / 2)
            y = int(center_y - h / 2)
            boxes.append([x, y, w, h])
            confs.append(conf)
            keep_rows.append((conf, cid, det))
    idx = cv2.dnn.NMSBoxes(boxes, confs, threshold, NMS_IOU) if boxes else []
    idx = [int(i) for i in (idx.flatten() if hasattr(idx, "flatten") else idx)]
    dets = []
    for order, i in enumerate(idx):
        conf, cid, det = keep_rows[i]
        cx, cy = float(det[0]) * W, float(det[1]) * H
        bw, bh = float(det[2]) * W, float(det[3]) * H
        x, y, w, h = boxes[i]
        dets.append((conf, order, collections.OrderedDict([
            ("class_id", cid),
            ("label", labels[cid]),
            ("confidence", round(conf, 6)),
            ("x", x), ("y", y), ("w", w), ("h", h),
            ("x1", round(cx - bw / 2, 3)),
            ("y1", round(cy - bh / 2, 3)),
            ("x2", round(cx + bw / 2, 3)),
            ("y2", round(cy + bh / 2, 3)),
        ])))
    dets.sort(key=lambda d: (-d[0], d[1]))  # confidence desc, NMS order on ties
    near = sorted((round(c, 6) for c, _, _ in rows if abs(c - threshold) <= NEAR), reverse=True)
    return [d[2] for d in dets], near


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models-dir", default=os.path.join(REPO_ROOT, "models"))
    ap.add_argument("--images-dir", default=os.path.join(REPO_ROOT, "assets", "images"))
    ap.add_argument("--out", help="the JSON file (default: yoloo-core/tests/fixtures/"
                                  "opencv_reference.json, or opencv_yolov4_tiny_reference.json)")
    ap.add_argument("--yolov4-tiny", action="store_true",
                    help="the real YOLOv4-tiny weights (--extra-models) with the stock cfg, classes=10")
    args = ap.parse_args(argv)
    fixtures = os.path.join(REPO_ROOT, "yoloo-core", "tests", "fixtures")
    if args.out is None:
        args.out = os.path.join(fixtures, "opencv_yolov4_tiny_reference.json" if args.yolov4_tiny
                                else "opencv_reference.json")

    try:
        import cv2
        import numpy as np  # noqa: F401
    except ImportError as e:
        print("make_opencv_reference: %s\n  pip install -r scripts/requirements-reference.txt" % e,
              file=sys.stderr)
        return 2
    if not hasattr(cv2.dnn, "readNetFromDarknet"):
        print("make_opencv_reference: this OpenCV (%s) lacks cv2.dnn.readNetFromDarknet; "
              "use opencv-python-headless==4.14.0.94" % cv2.__version__, file=sys.stderr)
        return 2

    cfg_text = None
    if args.yolov4_tiny:
        import tempfile

        cfg_text = yolov4_tiny_cfg(INPUT_SIZE, 10)
        cfg = os.path.join(tempfile.mkdtemp(prefix="yoloo-ref-"), "yolov4-tiny.cfg")
        with open(cfg, "w", encoding="utf-8") as f:
            f.write(cfg_text)
        weights = os.path.join(args.models_dir, "yolov4-tiny-customyolov4.weights")
        names = os.path.join(args.models_dir, "yolov4-tiny-customyolov4.names")
    else:
        cfg = os.path.join(args.models_dir, "yolov3-tiny.cfg")
        weights = os.path.join(args.models_dir, "yolov3-tiny.weights")
        names = os.path.join(args.models_dir, "coco.names")
    for p in [cfg, weights, names] + [os.path.join(args.images_dir, i) for i in IMAGES]:
        if not os.path.isfile(p):
            print("make_opencv_reference: missing %s (run scripts/fetch_assets.py)" % p,
                  file=sys.stderr)
            return 1
    with open(names, encoding="utf-8") as f:
        labels = [l.strip() for l in f if l.strip()]

    net = cv2.dnn.readNetFromDarknet(cfg, weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    out_names = net.getUnconnectedOutLayersNames()

    images = collections.OrderedDict()
    for name in IMAGES:
        path = os.path.join(args.images_dir, name)
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            print("make_opencv_reference: cannot decode %s" % path, file=sys.stderr)
            return 1
        H, W = img.shape[:2]
        blob = cv2.dnn.blobFromImage(img, 1 / 255.0, (INPUT_SIZE, INPUT_SIZE), swapRB=True, crop=False)
        net.setInput(blob)
        outs = net.forward(out_names)
        rows = candidates(outs, W, H)
        per_thr = collections.OrderedDict()
        summary = []
        for t in THRESHOLDS:
            dets, near = detect(rows, W, H, t, labels)
            per_thr[thr_key(t)] = collections.OrderedDict([("detections", dets), ("near_threshold", near)])
            counts = collections.Counter(d["label"] for d in dets)
            summary.append("@%s: %d [%s]%s" % (
                thr_key(t), len(dets),
                ", ".join("%s x%d" % (k, v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
                " near=%d" % len(near) if near else ""))
        images[name] = collections.OrderedDict([("width", W), ("height", H), ("thresholds", per_thr)])
        print("%-20s %4dx%-4d %s" % (name, W, H, "  ".join(summary)))

    doc = collections.OrderedDict([
        ("generator", "scripts/make_opencv_reference.py"),
        ("opencv_version", cv2.__version__),
        ("model", collections.OrderedDict([
            ("cfg", os.path.basename(cfg)),
            ("cfg_sha256", sha256_file(cfg)),
            ("weights", os.path.basename(weights)),
            ("weights_sha256", sha256_file(weights)),
        ] + ([("cfg_text", cfg_text)] if cfg_text else []))),
        ("input_size", INPUT_SIZE),
        ("resize", "stretch"),
        ("nms_iou", NMS_IOU),
        ("agnostic", True),
        ("images", images),
    ])
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, args.out)
    print("wrote %s" % os.path.relpath(args.out, os.getcwd()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
