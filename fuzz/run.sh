#!/usr/bin/env bash
# Fuzzes one target: fuzz/run.sh TARGET [SECONDS] [RUNS]
# New inputs go to fuzz/corpus/TARGET (git-ignored); the committed seeds are
# read too. Stops after SECONDS (default 1200) or RUNS executions (default
# 1000000), whichever comes first; a crash, a timeout (10 s) or more than
# 2 GB of memory stops it with the input saved in fuzz/artifacts/TARGET/.
# Needs cargo-fuzz and a nightly toolchain (fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")"
target=$1 seconds=${2:-1200} runs=${3:-1000000}
declare -A max_len=([darknet_cfg]=16384 [darknet_weights]=8192 [detect_bytes]=65536 [upload_form]=65536 [model_metadata]=8192)
mkdir -p "corpus/$target"
exec cargo +nightly fuzz run -s none -a "$target" "corpus/$target" "seeds/$target" -- \
  -max_total_time="$seconds" -runs="$runs" -timeout=10 -rss_limit_mb=2048 \
  -max_len="${max_len[$target]:-65536}" -print_final_stats=1
