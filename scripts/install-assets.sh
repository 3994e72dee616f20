#!/usr/bin/env bash
# Front-end libraries come from the npm registry at set-up (never committed).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f package.json ]; then
  if [ ! -d node_modules ] || [ package.json -nt node_modules ]; then
    npm install --no-audit --no-fund --loglevel=error
    touch node_modules
  fi
fi
