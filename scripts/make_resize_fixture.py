#!/usr/bin/env python3
"""Record OpenCV's INTER_LINEAR resize results, for yoloo's bit-exactness test.

Writes yoloo-core/tests/fixtures/opencv_resize.json: for synthetic patterned
images (any size, 1/3/4 channels) and for the PNG test photos, the FNV-1a
64-bit hash of `cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)`
in RGB(A) channel order. yoloo-core/tests/opencv_resize.rs recomputes them.

Requires: pip install -r scripts/requirements-reference.txt (OpenCV 4.x).
Run from the repository root after scripts/fetch_assets.py.
"""
import json
import os
import sys

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "yoloo-core", "tests", "fixtures", "opencv_resize.json")


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def pattern(w, h, cn):
    """Deterministic texture; the Rust test builds the same one."""
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(cn), indexing="ij")
    return ((x * 7 + y * 13 + c * 29 + (x * y) % 17) % 256).astype(np.uint8)


def main():
    cases = []
    synthetic = [
        (37, 23, 3, 32, 32), (640, 480, 3, 416, 416), (1920, 1080, 3, 416, 416),
        (100, 300, 3, 416, 416), (832, 832, 3, 416, 416), (5, 4, 3, 64, 96),
        (1, 1, 3, 32, 32), (300, 200, 1, 320, 256), (300, 200, 4, 416, 416),
        (416, 416, 3, 608, 608),
    ]
    for sw, sh, cn, dw, dh in synthetic:
        out = cv2.resize(pattern(sw, sh, cn), (dw, dh), interpolation=cv2.INTER_LINEAR)
        cases.append({"source": "pattern", "src": [sw, sh, cn], "dst": [dw, dh],
                      "fnv1a64": fnv1a64(out.reshape(dh, dw, cn).tobytes())})
    images = os.path.join(ROOT, "assets", "images")
    for name in ["astronaut.png", "coffee.png", "chelsea.png", "motorcycle_left.png"]:
        img = cv2.cvtColor(cv2.imread(os.path.join(images, name), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        for dw, dh in [(416, 416), (320, 320), (608, 608)]:
            out = cv2.resize(img, (dw, dh), interpolation=cv2.INTER_LINEAR)
            cases.append({"source": name, "dst": [dw, dh], "fnv1a64": fnv1a64(out.tobytes())})
    doc = {"generator": "scripts/make_resize_fixture.py", "opencv_version": cv2.__version__,
           "pattern": "(x*7 + y*13 + c*29 + (x*y) % 17) % 256", "cases": cases}
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote %s (%d cases)" % (os.path.relpath(OUT, ROOT), len(cases)))


if __name__ == "__main__":
    sys.exit(main())
