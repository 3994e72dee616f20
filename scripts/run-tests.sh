#!/usr/bin/env bash
# Runs the whole suite against the embedded engines; exit 5 (no tests collected) counts as failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./.venv/bin/pytest "$@"
