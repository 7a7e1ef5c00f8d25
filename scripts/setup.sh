#!/usr/bin/env bash
# Create .venv (if missing) and install tnn with its test and examples extras at the pinned versions.
# Add the cuda extra on a GPU machine: TNN_EXTRAS=test,examples,cuda bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -c constraints.txt -e ".[${TNN_EXTRAS:-test,examples}]"
