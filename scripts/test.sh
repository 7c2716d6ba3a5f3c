#!/usr/bin/env bash
# The whole test suite, from a fresh checkout:
#   1. fetch the yolov3-tiny model, the test and calibration photos, the real
#      models of the other families (--extra-models, never committed) and the
#      ONNX Runtime and OpenVINO libraries (SHA-256 verified, cached);
#   2. a Python virtualenv with ONNX Runtime (export check), the DeepStack
#      clients (detector service compatibility), moto and schemathesis (both
#      services against their OpenAPI documents);
#   3. the static checks of k8s/ and the Dockerfiles (scripts/check-k8s.sh);
#   4. every Rust test, doc test and a one-iteration run of every benchmark,
#      and the viewer's annotate tests again with its libjpeg-turbo encoder.
# Tests run the real model, so everything is built optimised (--release).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 scripts/fetch_assets.py --quiet --runtimes --extra-models

venv="${YOLOO_VENV:-${YOLOO_CACHE:-$HOME/.cache/yoloo}/venv}"
# ONNX Runtime, the DeepStack clients, moto, schemathesis; remade when the requirements change.
source scripts/venv.sh
ensure_venv "$venv" scripts/requirements-test.txt scripts/requirements-test-nodeps.txt
export YOLOO_PYTHON="$venv/bin/python"
export YOLOO_MOTO_SERVER="$venv/bin/moto_server"
export YOLOO_SCHEMATHESIS="$venv/bin/st"

# yoloo-viewer-svc's browser test: playwright-core (drives Debian's chromium).
browser=yoloo-viewer-svc/tests/browser
if [[ ! -d $browser/node_modules/playwright-core || $browser/package-lock.json -nt $browser/node_modules ]]; then
  echo "== npm ci in $browser"
  npm ci --prefix "$browser" --no-audit --no-fund --silent
fi

# The deployment: every k8s overlay and both Dockerfiles, checked offline
# (schemas 1.30+, checkov), plus the fixtures that must be refused.
scripts/check-k8s.sh

cargo test --release --workspace --locked "$@"
# The rolling-update proof's figures (yoloo-detector-svc/tests/rolling_update.rs).
if [[ -f ${CARGO_TARGET_DIR:-target}/tmp/rolling-update.md ]]; then cat "${CARGO_TARGET_DIR:-target}/tmp/rolling-update.md"; fi
# Benchmarks compile and run once each (criterion's test mode): they cannot rot.
cargo test --release --workspace --locked --benches "$@"
# The viewer's libjpeg-turbo encoder (feature `turbojpeg`, what its image
# ships; building it needs cmake and nasm): its quality tests, and its
# benchmark run once.
cargo test --release --workspace --locked --features yoloo-viewer-svc/turbojpeg \
  --test annotate --bench annotate "$@"
# The engine comparison (yoloo vs ONNX Runtime vs OpenCV) in its smoke mode,
# two iterations per row, so the harness cannot rot; it keeps its own
# virtualenv (benches/requirements.txt). Not a timed test: nothing is asserted on time.
python3 benches/compare.py --quick
