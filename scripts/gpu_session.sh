#!/usr/bin/env bash
# What a session with a lent GPU runs, in two device calls of under 10 minutes each (the machine
# already has torch, triton, numpy, pytest, hypothesis, ml-dtypes and cuda-core; nothing is installed):
#
#   bash scripts/gpu_session.sh tests   # the whole suite on cuda (fast launch path in check mode),
#                                       # then the GPU-only fast-launch / autotune tests; logs to $OUT
#   bash scripts/gpu_session.sh bench   # python -m bench (every family, torch in the same run);
#                                       # results.json / results.md / PNGs as $OUT/bench-results.tgz
#
# Commit what comes back under bench/results/<device>-<date>/ and quote the ratios in the README.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=.
OUT=${OUT:-/tmp/tnn-gpu-out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/device.txt" 2>&1
python3 -c "import triton, torch; print('triton', triton.__version__, 'torch', torch.__version__)" >> "$OUT/device.txt" 2>&1
case "${1:-}" in
  tests)
    export TNN_TEST_DEVICE=cuda TNN_CACHE_DIR=/tmp/tnn-cache
    par="-p no:xdist"; python3 -c "import xdist" 2>/dev/null && par="-n 8"   # xdist may be absent there
    TNN_FAST_LAUNCH=check timeout 420 python3 -m pytest $par -q -p no:cacheprovider --maxfail=20 \
      > "$OUT/tests-cuda.log" 2>&1
    echo "suite rc=$?" >> "$OUT/tests-cuda.log"
    timeout 120 python3 -m pytest -q -p no:xdist -p no:cacheprovider -rs \
      tests/kernels/test_fastlaunch.py tests/kernels/test_autotune.py > "$OUT/tests-fastpath.log" 2>&1
    echo "fast path rc=$?" >> "$OUT/tests-fastpath.log"
    tail -n 5 "$OUT/tests-cuda.log" "$OUT/tests-fastpath.log"
    ;;
  bench)
    dir=bench/results/gpu-session
    rm -rf "$dir"
    timeout 560 python3 -m bench --out "$dir" > "$OUT/bench.log" 2>&1
    echo "bench rc=$?" >> "$OUT/bench.log"
    tar czf "$OUT/bench-results.tgz" -C bench/results gpu-session   # one file: at most 8 come back
    tail -n 3 "$OUT/bench.log"
    ;;
  *)
    echo "usage: bash scripts/gpu_session.sh tests|bench" >&2
    exit 2
    ;;
esac
