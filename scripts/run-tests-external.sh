#!/usr/bin/env bash
# Proves the external-engine path: start the embedded servers as if they were external, then run the
# engine tests with only ECOMON_DATABASE_URL / ECOMON_NATS_URL pointing at them.
set -euo pipefail
cd "$(dirname "$0")/.."
export ECOMON_HOME="$PWD/var/external"
./.venv/bin/ecomon engines start
# With the URLs set the engines count as external and `engines stop` would leave them running: unset them.
trap 'env -u ECOMON_DATABASE_URL -u ECOMON_NATS_URL ./.venv/bin/ecomon engines stop' EXIT
export ECOMON_DATABASE_URL="$(./.venv/bin/ecomon engines url postgres)"
export ECOMON_NATS_URL="$(./.venv/bin/ecomon engines url nats)"
# A representative set of every engine path (import and aggregates, query API, HJ 212 through JetStream, QC and
# audit, evaluation) rather than the whole suite a second time; pass test paths to run others.
if [ "$#" -eq 0 ]; then
    set -- tests/foundation tests/api tests/gateway/test_gateway_e2e.py tests/quality_ops tests/evaluation
fi
ECOMON_TEST_HOME="$PWD/var/external-client" ./.venv/bin/pytest -m engines "$@"
