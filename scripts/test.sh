#!/usr/bin/env bash
# The whole test suite, from a fresh checkout:
#   1. fetch the yolov3-tiny model and the test photos (SHA-256 verified, cached);
#   2. a Python virtualenv with ONNX Runtime for the export check;
#   3. every Rust test, doc test and a one-iteration run of every benchmark.
# Tests run the real model, so everything is built optimised (--release).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 scripts/fetch_assets.py --quiet

venv="${YOLOO_VENV:-${YOLOO_CACHE:-$HOME/.cache/yoloo}/venv}"
if ! "$venv/bin/python" -c 'import numpy, onnxruntime' 2>/dev/null; then
  echo "== creating $venv (ONNX Runtime for the export test)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi
export YOLOO_PYTHON="$venv/bin/python"

cargo test --release --workspace --locked "$@"
# Benchmarks compile and run once each (criterion's test mode): they cannot rot.
cargo test --release --workspace --locked --benches "$@"
# The engine comparison (yoloo vs ONNX Runtime vs OpenCV) in its smoke mode,
# two iterations per row, so the harness cannot rot; it keeps its own
# virtualenv (benches/requirements.txt). Not a timed test: nothing is asserted on time.
python3 benches/compare.py --quick
