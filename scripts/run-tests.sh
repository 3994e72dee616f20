#!/usr/bin/env bash
# Runs the whole suite against the embedded engines; exit 5 (no tests collected) counts as failure.
# The suite starts its engines under ECOMON_TEST_HOME (default var/test) and they are stopped at the end with the
# suite's own exit status kept; ECOMON_KEEP_ENGINES=1 leaves them running, so that the next run starts in seconds.
set -uo pipefail
cd "$(dirname "$0")/.."
./.venv/bin/pytest "$@"
status=$?
if [ "${ECOMON_KEEP_ENGINES:-0}" != 1 ]; then
    ECOMON_HOME="${ECOMON_TEST_HOME:-$PWD/var/test}" env -u ECOMON_DATABASE_URL -u ECOMON_NATS_URL \
        ./.venv/bin/ecomon engines stop >/dev/null || echo "warning: the test engines did not stop" >&2
fi
exit "$status"
