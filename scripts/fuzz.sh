#!/usr/bin/env bash
# A long schemathesis run against openapi.yaml: the same stack as scripts/test.sh (it runs
# scripts/test.sh with `swift test` turned off), the same checks, seed and two tokens (admin,
# and an organization's token with every scope), but a larger budget. Prints each run's figures
# (test cases, requests, responses by status, server errors) and the total; exits non-zero on
# any finding or 5xx. Webhooks of fuzzed apps stay on 127.0.0.2 (ALERT_RELAY_ALLOW_GLOBAL_TARGETS
# =false in scripts/test.sh).
#
#   scripts/fuzz.sh                                   # ~6 minutes, > 20,000 test cases
#   FUZZ_MAX_TIME=600 FUZZ_SEED=7 scripts/fuzz.sh     # seconds per run (two runs), another seed
#
# Reports (NDJSON, JUnit, schemathesis output) stay in .data/schemathesis/{admin,organization}.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export ALERT_RELAY_TEST_SWIFT=0
# The browser checks belong to the test run, not to the long fuzz run.
export ALERT_RELAY_TEST_BROWSER=0
export ALERT_RELAY_TEST_SCHEMATHESIS=1
export ALERT_RELAY_SCHEMATHESIS_MAX_TIME=${FUZZ_MAX_TIME:-180}
export ALERT_RELAY_SCHEMATHESIS_MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-200}
export ALERT_RELAY_SCHEMATHESIS_SEED=${FUZZ_SEED:-20261127}

started=$SECONDS
status=0
scripts/test.sh || status=$?
printf '[%s] fuzz.sh: seed %s, %s s per run, at most %s examples per operation and phase: %s after %d s\n' \
    "$(date +%H:%M:%S)" "$ALERT_RELAY_SCHEMATHESIS_SEED" "$ALERT_RELAY_SCHEMATHESIS_MAX_TIME" \
    "$ALERT_RELAY_SCHEMATHESIS_MAX_EXAMPLES" "$([[ $status == 0 ]] && echo passed || echo "FAILED ($status)")" \
    $((SECONDS - started)) >&2
exit "$status"
