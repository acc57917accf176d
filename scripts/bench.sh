#!/usr/bin/env bash
# Benchmarks of the release build through nginx, on loopback:
#
#   scripts/bench.sh
#
# Starts, on free ports under a temp folder (<repo>/.data/bench-<pid>, removed at exit):
# PostgreSQL (database alertrelay_bench, migrated), the responder, the worker, nginx in front
# of the responder, and a second nginx on 127.0.0.2 that answers 204 to anything (a webhook
# receiver that costs next to nothing; its URL is in $BENCH_RECEIVER_URL). Then runs wrk
# against each path and prints requests/s, p50 and p99, and the responder's peak RSS; then the
# ceilings: pgbench single-row INSERTs, and pgbench replaying each alert's two statements alone.
#
# Environment:
#   BENCH_DURATION (10s), BENCH_CONNECTIONS (32), BENCH_THREADS (2)  wrk settings
#   ALERT_RELAY_THREADS (8)  responder threads
#   BENCH_ALERT_WARMUP  e.g. 5s: send alerts that long and ANALYZE before measuring them (steady state)
#   BENCH_HOLD=1  set everything up, print how to reach it, and wait (Ctrl-C ends) instead of measuring:
#                 for profiling with perf, strace or pg_stat_statements against the same set-up
set -euo pipefail
umask 022

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$AR_REPO"

bench_duration=${BENCH_DURATION:-10s}
bench_connections=${BENCH_CONNECTIONS:-32}
bench_threads=${BENCH_THREADS:-2}
responder_threads=${ALERT_RELAY_THREADS:-8}

# Results, one line each, printed again at the end.
bench_results=()

# bench_wrk NAME URL [WRK_ARGS...] — run wrk against URL, print and record req/s, p50, p99
# and the number of non-2xx/3xx responses and socket errors.
bench_wrk() {
    local name=$1 url=$2
    shift 2
    local out line
    ar_log "wrk: $name ($url, $bench_duration, -c$bench_connections)"
    out=$(wrk -t"$bench_threads" -c"$bench_connections" -d"$bench_duration" --latency "$@" "$url") ||
        ar_die "wrk failed for $name"
    line=$(awk -v name="$name" '
        /Requests\/sec:/ { rps = $2 }
        /^ +50%/ { p50 = $2 }
        /^ +99%/ { p99 = $2 }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        /Socket errors:/ { errors = $0; sub(/^ *Socket errors: */, "", errors) }
        END {
            printf "%-28s %12s req/s   p50 %9s   p99 %9s   non-2xx %s%s\n", name, rps, p50, p99,
                (bad == "" ? 0 : bad), (errors == "" ? "" : "   socket errors: " errors)
        }' <<<"$out")
    printf '%s\n' "$line"
    bench_results+=("$line")
}

# bench_peak_rss PID — peak resident set size (VmHWM) of PID, e.g. "41.2 MiB".
bench_peak_rss() {
    awk '/^VmHWM:/ { printf "%.1f MiB\n", $2 / 1024 }' "/proc/$1/status"
}

ar_install_packages
command -v wrk >/dev/null 2>&1 || ar_die "wrk is not installed (apt-get install wrk)"

ar_log "building (swift build -c release)"
swift build -c release
bin_dir=$(swift build -c release --show-bin-path)

ar_setup_traps signal

# --- temp folder and PostgreSQL -----------------------------------------------------------
ar_mkdir_shared "$AR_REPO/.data"
tmp_wanted=$AR_REPO/.data/bench-$$
AR_CLEANUP_PATHS+=("$tmp_wanted")
tmp=
ar_service_dir tmp "$tmp_wanted"
ar_mkdir_shared "$tmp/log" "$tmp/run" "$tmp/nginx" "$tmp/receiver"
log=$tmp/log

pg_port=$(ar_free_port 127.0.0.1)
ar_pg_init "$tmp/pg" "$pg_port"
ar_pg_start "$tmp/pg" "$pg_port" "$log/postgresql.log"
ar_pg_createdb alertrelay_bench
DATABASE_URL=$(ar_pg_conninfo alertrelay_bench)
export DATABASE_URL
"$bin_dir/alert-relay-fcgi" migrate >>"$log/migrate.log" 2>&1 || {
    cat "$log/migrate.log" >&2
    ar_die "alert-relay-fcgi migrate failed"
}

# --- the 204 receiver on 127.0.0.2 ----------------------------------------------------------
receiver_port=$(ar_free_port 127.0.0.2)
ar_nginx_render nginx/bench-receiver.conf.template "$tmp/receiver/nginx.conf" \
    PREFIX="$tmp/receiver" PORT="$receiver_port"
ar_nginx_start "$tmp/receiver/nginx.conf" "$tmp/receiver"
export BENCH_RECEIVER_URL=http://127.0.0.2:$receiver_port

# --- responder, worker, nginx -------------------------------------------------------------
nginx_port=$(ar_free_port 127.0.0.1)
base_url=http://127.0.0.1:$nginx_port
ALERT_RELAY_ADMIN_TOKEN=$(ar_random_token)
export ALERT_RELAY_ADMIN_TOKEN
export ALERT_RELAY_ALLOW_TARGETS=127.0.0.2/32
export ALERT_RELAY_URL_PREFIX=$base_url
export ALERT_RELAY_MAIL_TRANSPORT=log
export ALERT_RELAY_MAX_BODY_BYTES=1048576

socket=$tmp/run/fcgi.sock
ar_spawn responder "$log/responder.log" \
    "$bin_dir/alert-relay-fcgi" --socket "$socket" --threads "$responder_threads"
responder_pid=$AR_LAST_PID
ar_wait_until "responder socket" 30 "$responder_pid" test -S "$socket"

ar_spawn worker "$log/worker.log" "$bin_dir/alert-relay-worker" --concurrency 4

ar_nginx_render nginx/alert-relay.conf.template "$tmp/nginx/nginx.conf" \
    PREFIX="$tmp/nginx" PORT="$nginx_port" SOCKET="$socket" \
    MAX_BODY="$ALERT_RELAY_MAX_BODY_BYTES" ACCESS_LOG=off
ar_nginx_start "$tmp/nginx/nginx.conf" "$tmp/nginx"
ar_wait_until "GET $base_url/healthz" 30 "$responder_pid" ar_http_ok "$base_url/healthz"

# --- fixtures: an organization, a token, a project, an internal app aimed at the 204 receiver ---
api() { # api METHOD PATH [JSON] — admin call, prints the body
    curl -fsS -X "$1" "$base_url$2" -H "Authorization: Bearer $ALERT_RELAY_ADMIN_TOKEN" \
        -H 'Content-Type: application/json' ${3:+-d "$3"}
}
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
api POST /api/0/organizations '{"slug":"bench","name":"Bench"}' >/dev/null
org_token=$(api POST /api/0/organizations/bench/api-tokens \
    '{"name":"bench","scopes":["org:read","alerts:write"]}' | json_field token)
api POST /api/0/organizations/bench/projects '{"slug":"web","name":"Web"}' >/dev/null
api POST /api/0/organizations/bench/sentry-apps \
    "{\"name\":\"Bench Hook\",\"slug\":\"bench-hook\",\"webhook_url\":\"$BENCH_RECEIVER_URL/_bench_hook\",\"timeout_ms\":1000}" >/dev/null

cat >"$tmp/alert.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"sentry_app":"bench-hook","rule":"Bench rule","event":{"event_id":"0123456789abcdef0123456789abcdef","project":"web","group_id":42,"title":"Benchmark event","level":"error","message":"An error happened in /api/checkout","tags":[["browser","Firefox 120"],["os","Linux"]],"timestamp":1764201600.25}}'
LUA

if [[ ${BENCH_HOLD:-} == 1 ]]; then
    {
        echo "export DATABASE_URL='$DATABASE_URL' PGHOST='$AR_PG_SOCKDIR' PGPORT='$AR_PG_PORT' PGUSER=alertrelay"
        echo "export BASE_URL='$base_url' ORG_TOKEN='$org_token' RESPONDER_PID='$responder_pid'"
        echo "export ALERT_LUA='$tmp/alert.lua'"
    } >"$tmp/env.sh"
    ar_log "holding: source $tmp/env.sh (Ctrl-C or kill $$ ends)"
    while :; do sleep 1; done
fi

# --- measurements -------------------------------------------------------------------------
ar_log "responder: $responder_threads threads; RSS before load: $(bench_peak_rss "$responder_pid")"

# nginx alone (return 200): the ceiling of this machine.
bench_wrk nginx-ping "$base_url/_nginx_ping"
# One FastCGI round trip plus one database query.
bench_wrk healthz "$base_url/healthz"
# Token lookup (one query) + organization through the model cache.
bench_wrk org-read "$base_url/api/0/organizations/bench" -H "Authorization: Bearer $org_token"

# Alerts: validate, look up, record the delivery, sign, POST to the receiver, log, count.
# By default from empty tables (a cold start); BENCH_ALERT_WARMUP=5s first sends alerts for that long and
# runs ANALYZE, as autovacuum would within a minute on a live system, and measures the steady state.
if [[ -n ${BENCH_ALERT_WARMUP:-} ]]; then
    ar_log "warming up: alerts for $BENCH_ALERT_WARMUP, then ANALYZE"
    wrk -t"$bench_threads" -c"$bench_connections" -d"$BENCH_ALERT_WARMUP" -s "$tmp/alert.lua" \
        -H "Authorization: Bearer $org_token" "$base_url/api/0/organizations/bench/alerts" >/dev/null
    ar_pg_psql -d alertrelay_bench -qc "ANALYZE"
fi
before=$(ar_pg_psql -d alertrelay_bench -Atc "SELECT count(*) FROM request_log")
delivered_before=$(ar_pg_psql -d alertrelay_bench -Atc "SELECT count(*) FROM deliveries WHERE status = 'delivered'")
start_ns=$(date +%s%N)
bench_wrk alerts "$base_url/api/0/organizations/bench/alerts" -H "Authorization: Bearer $org_token" -s "$tmp/alert.lua"
elapsed_ns=$(($(date +%s%N) - start_ns))
delivered=$(($(ar_pg_psql -d alertrelay_bench -Atc "SELECT count(*) FROM deliveries WHERE status = 'delivered'") -
    delivered_before))
logged=$(($(ar_pg_psql -d alertrelay_bench -Atc "SELECT count(*) FROM request_log") - before))
bench_results+=("$(printf '%-28s %12s delivered+logged/s (%s deliveries delivered, %s log rows)' alerts-delivered \
    "$(python3 -c "print(round($delivered / ($elapsed_ns / 1e9), 1))")" "$delivered" "$logged")")

# PostgreSQL's own single-row INSERT rate at the same concurrency: the ceiling for durable writes.
ar_pg_psql -d alertrelay_bench -qc "CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, v text NOT NULL)"
echo "INSERT INTO bench_insert (v) VALUES ('x');" >"$tmp/insert.sql"
pgbench_bin=$(ar_pg_bin)/pgbench
# bench_pgbench SCRIPT CLIENTS — pgbench's tps for SCRIPT at CLIENTS connections; "failed" (with a warning)
# instead of ending the run and losing the wrk figures.
bench_pgbench() {
    local out=
    if [[ -s $1 ]] && out=$("$pgbench_bin" -n -M prepared -f "$1" -c "$2" -j "$bench_threads" \
        -T "${bench_duration%s}" -h "$AR_PG_SOCKDIR" -p "$AR_PG_PORT" -U alertrelay alertrelay_bench 2>&1); then
        awk '/^tps = / { print $3; exit }' <<<"$out"
    else
        ar_warn "pgbench $1 -c$2 failed: ${out:-the script is empty}"
        echo failed
    fi
}
bench_results+=("$(printf '%-28s %12s tx/s (pgbench -c%s)' pgbench-insert \
    "$(bench_pgbench "$tmp/insert.sql" "$bench_connections")" "$bench_connections")")

# PostgreSQL alone doing each alert's writes: the two statements of an inline delivery (record the delivery,
# validated against the app and installation; then the log row, the delivery update and the counter), replayed
# by pgbench with a payload and headers taken from the alerts just sent, at the responder's concurrency
# (one connection per thread) and at wrk's. Nothing else runs meanwhile, so this is the ceiling for alerts
# on this machine with this durability. The statements mirror DeliveryStore.insertForApp and the success
# branch of DeliveryAttempt.perform; keep them in step.
ar_pg_psql -d alertrelay_bench -Atq >"$tmp/alert-writes.sql" <<'SQL' || ar_warn "could not build the alert-writes script"
SELECT format($f$\set shard random(0, 63)
WITH a AS (
    SELECT r.* FROM app_rows r
    JOIN installations i ON i.app_id = r.id AND i.organization_id = %1$s AND i.uuid = %3$L::uuid
    WHERE r.id = %2$s
), d AS (
    INSERT INTO deliveries (organization_id, app_id, project_id, event_type, resource, request_id, webhook_id,
                            payload, status, lease_until, redelivery_of)
    SELECT %1$s, a.id, %4$L::bigint, 'event_alert.triggered', 'event_alert', md5(random()::text), 'msg_' || md5(random()::text),
           %5$L, 'sending', now() + make_interval(secs => a.timeout_ms / 1000 + 5), NULL
    FROM a WHERE a.disabled_at IS NULL
    RETURNING id, organization_id, app_id, project_id, event_type, resource, request_id, webhook_id,
              payload, status, attempts, response_code, error_class, rfc3339(next_attempt_at), rfc3339(date_created)
)
SELECT d.id AS delivery_id FROM a LEFT JOIN d ON true \gset
WITH log AS (
    INSERT INTO request_log (app_id, organization_id, delivery_id, attempt, event_type, webhook_url,
                             response_code, duration_ms, error_class, error_id, project_id,
                             request_headers, request_body, response_headers, response_body)
    VALUES (%2$s, %1$s, :delivery_id, 1, 'event_alert.triggered', %6$L, 204, 0.4, NULL, NULL, NULL, %7$L, %5$L, %8$L, '')
), upd AS (
    UPDATE deliveries SET status = 'delivered', attempts = 1, response_code = 204, error_class = NULL,
           next_attempt_at = NULL, lease_until = NULL, date_updated = now()
    WHERE id = :delivery_id AND attempts = 0 AND status IN ('queued', 'sending', 'retrying')
)
INSERT INTO health_counters AS h (app_id, organization_id, day, shard, success)
VALUES (%2$s, %1$s, current_date, :shard, 1)
ON CONFLICT (app_id, organization_id, day, shard) DO UPDATE SET success = h.success + 1;
$f$, d.organization_id, d.app_id, i.uuid, d.project_id, d.payload, l.webhook_url, l.request_headers,
     l.response_headers)
FROM deliveries d
JOIN installations i ON i.app_id = d.app_id AND i.organization_id = d.organization_id
JOIN request_log l ON l.delivery_id = d.id
ORDER BY d.id LIMIT 1
SQL
for clients in "$responder_threads" "$bench_connections"; do
    bench_results+=("$(printf '%-28s %12s alerts/s (pgbench -c%s, the database part only)' \
        pgbench-alert-writes "$(bench_pgbench "$tmp/alert-writes.sql" "$clients")" "$clients")")
done

printf '\nResults (wrk -t%s -c%s -d%s)\n' "$bench_threads" "$bench_connections" "$bench_duration"
printf '%s\n' "${bench_results[@]}"
printf 'responder peak RSS: %s\n' "$(bench_peak_rss "$responder_pid")"
