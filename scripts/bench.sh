#!/usr/bin/env bash
# Benchmarks of the release build through nginx, on loopback:
#
#   scripts/bench.sh
#
# Starts, on free ports under a temp folder (<repo>/.data/bench-<pid>, removed at exit):
# PostgreSQL (database alertrelay_bench, migrated), the responder, the worker (dispatcher and job drain), nginx in
# front of the responder, a second nginx on 127.0.0.2 that answers 204 to anything (a webhook receiver that costs
# next to nothing) and a receiver on 127.0.0.2 that never answers (scripts/blackhole.py). Then measures, each with
# wrk unless said otherwise, and prints one line per figure and the ratios to the ceilings of the same run:
#
#   nginx-ping      nginx answering by itself: the machine's ceiling for HTTP
#   healthz         one FastCGI round trip and SELECT 1
#   org-read        an authenticated read (token and organization from the caches)
#   alerts          inline alerts to one app (inline limits raised to the thread count for this row):
#                   201 after the attempt, delivered and logged
#   alerts-async    alerts with `Prefer: respond-async`: accepted (202) per second, the dispatcher running
#   end-to-end      queued alerts sent for BENCH_E2E_DURATION as fast as they are accepted; delivered and logged per
#                   second from the first request until the last delivery was recorded; peak backlog; drain time
#   hang            one app whose receiver never answers (timeout 10 s) gets BENCH_HANG_RATE alerts/s (default
#                   limits: they are inline up to the per-app limit, queued beyond it) while the healthy app's
#                   inline alerts (wrk -c16), /healthz (wrk -c4) and the healthy app's end-to-end rate are measured
#                   one after the other, and the same three without the hanging app
#   pages           the owner's dashboard page (issue 11) with 100 request-log entries, signed in through a sign-in
#                   link: its size (HTML + CSS) and, at wrk -c1, its latency through nginx (an upper bound of the
#                   server time; goal: under 20 ms) and rate
#   pgbench-insert  PostgreSQL's own single-row INSERT rate at wrk's concurrency: the ceiling for durable writes
#   soak            (only when asked for: BENCH_ONLY=soak) BENCH_SOAK_SECONDS (600) of mixed load at wrk -c4: inline and
#                   queued alerts to the healthy app, queued alerts to an app whose receiver answers 500 (retries,
#                   error counters), organization reads and /healthz, with 10 alerts/s to the hanging app; the
#                   responder's and the worker's RSS sampled every 10 s; growth from the end of the first minute
#                   to the end (goal: under 10 %)
#
# Environment:
#   BENCH_DURATION (10s), BENCH_CONNECTIONS (32), BENCH_THREADS (2)  wrk settings
#   BENCH_E2E_DURATION (30s)  how long end-to-end sends
#   BENCH_HANG_RATE (50)      alerts per second to the hanging app
#   BENCH_ONLY                space-separated subset of: basic alerts async e2e hang pages (default: all but soak)
#   ALERT_RELAY_THREADS (8)   responder threads
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
e2e_duration=${BENCH_E2E_DURATION:-30s}
hang_rate=${BENCH_HANG_RATE:-50}
responder_threads=${ALERT_RELAY_THREADS:-8}
bench_only=${BENCH_ONLY:-basic alerts async e2e hang pages}

# Results, one line each, printed again at the end; figures by name for the ratios.
bench_results=()
declare -A figure

wants() { [[ " $bench_only " == *" $1 "* ]]; }

# bench_wrk NAME URL [WRK_ARGS...] — run wrk against URL (BENCH_WRK_CONNECTIONS overrides -c), print and record
# req/s, p50, p99 and the non-2xx/3xx and socket errors; figure[NAME]=req/s, figure[NAME.p50|p99]=ms.
bench_wrk() {
    local name=$1 url=$2
    shift 2
    local out line connections=${BENCH_WRK_CONNECTIONS:-$bench_connections}
    local threads=$((bench_threads < connections ? bench_threads : connections))
    ar_log "wrk: $name ($url, $bench_duration, -t$threads -c$connections)"
    out=$(wrk -t"$threads" -c"$connections" -d"$bench_duration" --latency "$@" "$url") ||
        ar_die "wrk failed for $name"
    line=$(awk -v name="$name" '
        /Requests\/sec:/ { rps = $2 }
        /^ +50%/ { p50 = $2 }
        /^ +99%/ { p99 = $2 }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        /Socket errors:/ { errors = $0; sub(/^ *Socket errors: */, "", errors) }
        END {
            printf "%-26s %12s req/s   p50 %9s   p99 %9s   non-2xx %s%s\n", name, rps, p50, p99,
                (bad == "" ? 0 : bad), (errors == "" ? "" : "   socket errors: " errors)
        }' <<<"$out")
    printf '%s\n' "$line"
    bench_results+=("$line")
    figure[$name]=$(awk '/Requests\/sec:/ { print $2 }' <<<"$out")
    figure[$name.p50]=$(awk '/^ +50%/ { print $2 }' <<<"$out" | to_ms)
    figure[$name.p99]=$(awk '/^ +99%/ { print $2 }' <<<"$out" | to_ms)
}

# to_ms — wrk's latency (e.g. 812.00us, 1.20ms, 2.01s) on stdin, in milliseconds.
to_ms() {
    awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) }
           else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f\n", v }'
}

record() { # record NAME VALUE TEXT — a result line and a figure
    figure[$1]=$2
    bench_results+=("$(printf '%-26s %s' "$1" "$3")")
    printf '%-26s %s\n' "$1" "$3"
}

ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{100 * a / b:.1f} %' if b else 'n/a')" "$1" "$2"; }

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
sql() { ar_pg_psql -d alertrelay_bench -Atc "$1"; }

# --- receivers on 127.0.0.2: nginx answering 204, and one that never answers -----------------
receiver_port=$(ar_free_port 127.0.0.2)
ar_nginx_render nginx/bench-receiver.conf.template "$tmp/receiver/nginx.conf" \
    PREFIX="$tmp/receiver" PORT="$receiver_port"
ar_nginx_start "$tmp/receiver/nginx.conf" "$tmp/receiver"
export BENCH_RECEIVER_URL=http://127.0.0.2:$receiver_port
ar_spawn blackhole "$log/blackhole.log" python3 scripts/blackhole.py --host 127.0.0.2 --port 0 \
    --port-file "$tmp/blackhole.port"
ar_wait_until "blackhole receiver" 10 "$AR_LAST_PID" test -s "$tmp/blackhole.port"
blackhole_url=http://127.0.0.2:$(<"$tmp/blackhole.port")/hook

# --- responder, worker, nginx -------------------------------------------------------------
nginx_port=$(ar_free_port 127.0.0.1)
base_url=http://127.0.0.1:$nginx_port
ALERT_RELAY_ADMIN_TOKEN=$(ar_random_token)
export ALERT_RELAY_ADMIN_TOKEN
export ALERT_RELAY_ALLOW_TARGETS=127.0.0.2/32
export ALERT_RELAY_URL_PREFIX=$base_url
export ALERT_RELAY_MAIL_TRANSPORT=log
export ALERT_RELAY_MAX_BODY_BYTES=1048576
ALERT_RELAY_LINK_KEY=$(ar_random_token)
export ALERT_RELAY_LINK_KEY

socket=$tmp/run/fcgi.sock
responder_pid=
# start_responder [NAME=VALUE...] — (re)start the responder with these extra variables.
start_responder() {
    if [[ -n $responder_pid ]]; then
        ar_stop_pid "$responder_pid"
        rm -f "$socket"
    fi
    ar_spawn responder "$log/responder.log" env "$@" \
        "$bin_dir/alert-relay-fcgi" --socket "$socket" --threads "$responder_threads"
    responder_pid=$AR_LAST_PID
    ar_wait_until "responder socket" 30 "$responder_pid" test -S "$socket"
}
start_responder

ar_spawn worker "$log/worker.log" "$bin_dir/alert-relay-worker" --concurrency 4
worker_pid=$AR_LAST_PID

ar_nginx_render nginx/alert-relay.conf.template "$tmp/nginx/nginx.conf" \
    PREFIX="$tmp/nginx" PORT="$nginx_port" SOCKET="$socket" \
    MAX_BODY="$ALERT_RELAY_MAX_BODY_BYTES" ACCESS_LOG=off
ar_nginx_start "$tmp/nginx/nginx.conf" "$tmp/nginx"
ar_wait_until "GET $base_url/healthz" 30 "$responder_pid" ar_http_ok "$base_url/healthz"

# --- fixtures: an organization, a token, a project, a healthy app and a hanging one -------------
api() { # api METHOD PATH [JSON] — admin call, prints the body
    curl -fsS -X "$1" "$base_url$2" -H "Authorization: Bearer $ALERT_RELAY_ADMIN_TOKEN" \
        -H 'Content-Type: application/json' ${3:+-d "$3"}
}
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
api POST /api/0/organizations '{"slug":"bench","name":"Bench"}' >/dev/null
org_token=$(api POST /api/0/organizations/bench/api-tokens \
    '{"name":"bench","scopes":["org:read","alerts:write"]}' | json_field token)
api POST /api/0/organizations/bench/projects '{"slug":"web","name":"Web"}' >/dev/null
app_id=$(api POST /api/0/organizations/bench/sentry-apps \
    "{\"name\":\"Bench Hook\",\"slug\":\"bench-hook\",\"webhook_url\":\"$BENCH_RECEIVER_URL/_bench_hook\",\"timeout_ms\":1000}" |
    json_field id)
fail_id=$(api POST /api/0/organizations/bench/sentry-apps \
    "{\"name\":\"Bench Fail\",\"slug\":\"bench-fail\",\"webhook_url\":\"$BENCH_RECEIVER_URL/_bench_500\",\"timeout_ms\":1000}" |
    json_field id)
hang_id=$(api POST /api/0/organizations/bench/sentry-apps \
    "{\"name\":\"Bench Hang\",\"slug\":\"bench-hang\",\"webhook_url\":\"$blackhole_url\",\"timeout_ms\":10000}" |
    json_field id)

alert_body() { # alert_body APP_SLUG
    printf '{"sentry_app":"%s","rule":"Bench rule","event":{"event_id":"0123456789abcdef0123456789abcdef","project":"web","group_id":42,"title":"Benchmark event","level":"error","message":"An error happened in /api/checkout","tags":[["browser","Firefox 120"],["os","Linux"]],"timestamp":1764201600.25}}' "$1"
}
write_lua() { # write_lua FILE APP_SLUG [async]
    {
        echo 'wrk.method = "POST"'
        echo 'wrk.headers["Content-Type"] = "application/json"'
        [[ ${3:-} == async ]] && echo 'wrk.headers["Prefer"] = "respond-async"'
        printf "wrk.body = '%s'\n" "$(alert_body "$2")"
    } >"$1"
}
write_lua "$tmp/alert.lua" bench-hook
write_lua "$tmp/alert-async.lua" bench-hook async
alert_body bench-hang >"$tmp/hang-body.json"
alerts_url=$base_url/api/0/organizations/bench/alerts
auth=(-H "Authorization: Bearer $org_token")

if [[ ${BENCH_HOLD:-} == 1 ]]; then
    {
        echo "export DATABASE_URL='$DATABASE_URL' PGHOST='$AR_PG_SOCKDIR' PGPORT='$AR_PG_PORT' PGUSER=alertrelay"
        echo "export BASE_URL='$base_url' ORG_TOKEN='$org_token' RESPONDER_PID='$responder_pid' WORKER_PID='$worker_pid'"
        echo "export ALERT_LUA='$tmp/alert.lua' ALERT_ASYNC_LUA='$tmp/alert-async.lua'"
    } >"$tmp/env.sh"
    ar_log "holding: source $tmp/env.sh (Ctrl-C or kill $$ ends)"
    while :; do sleep 1; done
fi

pending() { # pending [APP_ID] — deliveries not yet delivered or failed
    sql "SELECT count(*) FROM deliveries WHERE status IN ('queued', 'retrying', 'sending')${1:+ AND app_id = $1}"
}
# wait_drained APP_ID TIMEOUT_S — wait until the app has nothing pending; prints the seconds it took.
wait_drained() {
    local started now
    started=$(date +%s.%N)
    while (($(pending "$1") > 0)); do
        now=$(date +%s.%N)
        if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) - float(sys.argv[2]) > float(sys.argv[3]) else 1)" \
            "$now" "$started" "$2"; then
            ar_warn "app $1 still has $(pending "$1") deliveries pending after $2 s"
            break
        fi
        sleep 0.1
    done
    python3 -c "import sys, time; print(round(time.time() - float(sys.argv[1]), 2))" "$started"
}
delivered() { sql "SELECT count(*) FROM deliveries WHERE app_id = $1 AND status = 'delivered'"; }
# stack_cpu — CPU ticks (1/100 s) used so far by this run's PostgreSQL (postmaster and backends) and worker.
stack_cpu() {
    local pm ticks_pg ticks_wk
    pm=$(head -n 1 "$tmp/pg/pgdata/postmaster.pid")
    # A backend may exit between pgrep and cat: what is left is counted, and the pipeline does not fail.
    ticks_pg=$({ cat "/proc/$pm/stat" $(pgrep -P "$pm" | sed 's#.*#/proc/&/stat#') 2>/dev/null || true; } |
        awk '{ s += $14 + $15 } END { print s + 0 }')
    ticks_wk=$(awk '{ print $14 + $15 }' "/proc/$worker_pid/stat")
    echo "$ticks_pg $ticks_wk"
}
logged() { sql "SELECT count(*) FROM request_log WHERE app_id = $1"; }

# end_to_end NAME DURATION — queued alerts to the healthy app for DURATION, then wait until all are delivered;
# records NAME (delivered and logged per second over the whole window), NAME.peak and NAME.drain.
end_to_end() {
    local name=$1 duration=$2 before_d before_l start_ns sampler peak drain elapsed_ns count_d count_l rate
    before_d=$(delivered "$app_id")
    before_l=$(logged "$app_id")
    start_ns=$(date +%s%N)
    (
        peak=0
        while :; do
            n=$(pending "$app_id" 2>/dev/null || echo 0)
            ((n > peak)) && peak=$n && echo "$peak" >"$tmp/$name.peak"
            sleep 0.5
        done
    ) &
    sampler=$!
    bench_duration=$duration bench_wrk "$name-accept" "$alerts_url" "${auth[@]}" -s "$tmp/alert-async.lua" >/dev/null
    drain=$(wait_drained "$app_id" 300)
    elapsed_ns=$(($(date +%s%N) - start_ns))
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    peak=$(cat "$tmp/$name.peak" 2>/dev/null || echo 0)
    count_d=$(($(delivered "$app_id") - before_d))
    count_l=$(($(logged "$app_id") - before_l))
    rate=$(python3 -c "print(round(min($count_d, $count_l) / ($elapsed_ns / 1e9), 1))")
    figure[$name.peak]=$peak
    figure[$name.drain]=$drain
    record "$name" "$rate" "$(printf '%12s delivered+logged/s   (%s delivered, %s logged in %.1f s; peak backlog %s, drained %s s after sending stopped)' \
        "$rate" "$count_d" "$count_l" "$(python3 -c "print($elapsed_ns / 1e9)")" "$peak" "$drain")"
}

# --- measurements -------------------------------------------------------------------------
ar_log "responder: $responder_threads threads; RSS before load: $(bench_peak_rss "$responder_pid")"

# nginx alone (return 200): the ceiling of this machine.
bench_wrk nginx-ping "$base_url/_nginx_ping"
if wants basic; then
    bench_wrk healthz "$base_url/healthz"
    bench_wrk org-read "$base_url/api/0/organizations/bench" "${auth[@]}"
fi

if wants alerts; then
    # Every alert inline: the limits raised to the thread count for this row only.
    start_responder ALERT_RELAY_INLINE_MAX="$responder_threads" ALERT_RELAY_INLINE_PER_APP="$responder_threads"
    before_d=$(delivered "$app_id")
    before_l=$(logged "$app_id")
    start_ns=$(date +%s%N)
    bench_wrk alerts "$alerts_url" "${auth[@]}" -s "$tmp/alert.lua"
    elapsed_ns=$(($(date +%s%N) - start_ns))
    count_d=$(($(delivered "$app_id") - before_d))
    count_l=$(($(logged "$app_id") - before_l))
    rate=$(python3 -c "print(round(min($count_d, $count_l) / ($elapsed_ns / 1e9), 1))")
    record alerts-delivered "$rate" "$(printf '%12s delivered+logged/s   (%s delivered, %s logged)' "$rate" "$count_d" "$count_l")"
    ar_log "responder peak RSS after inline alerts: $(bench_peak_rss "$responder_pid")"
    start_responder
    wait_drained "$app_id" 120 >/dev/null
fi

if wants async; then
    before=$(sql "SELECT count(*) FROM deliveries WHERE app_id = $app_id")
    bench_wrk alerts-async "$alerts_url" "${auth[@]}" -s "$tmp/alert-async.lua"
    accepted=$(($(sql "SELECT count(*) FROM deliveries WHERE app_id = $app_id") - before))
    ar_log "alerts-async: $accepted deliveries recorded; draining"
    wait_drained "$app_id" 300 >/dev/null
fi

if wants e2e; then
    end_to_end end-to-end "$e2e_duration"
    # The dispatcher alone: 30,000 deliveries queued in one statement (copies of one just delivered), drained.
    drain_count=30000
    read -r cpu_pg0 cpu_wk0 < <(stack_cpu)
    sql "INSERT INTO deliveries (organization_id, app_id, project_id, event_type, resource, request_id, webhook_id,
                                 payload, status, due_at)
         SELECT organization_id, app_id, project_id, event_type, resource, md5(random()::text),
                'msg_' || md5(random()::text), payload, 'queued', now()
         FROM (SELECT * FROM deliveries WHERE app_id = $app_id AND status = 'delivered' LIMIT 1) d,
              generate_series(1, $drain_count)" >/dev/null
    drain_seconds=$(wait_drained "$app_id" 300)
    read -r cpu_pg1 cpu_wk1 < <(stack_cpu)
    rate=$(python3 -c "print(round($drain_count / max($drain_seconds, 0.01)))")
    record dispatcher-drain "$rate" "$(printf '%12s delivered+logged/s   (%s queued at once, drained in %s s; CPU per delivery: PostgreSQL %s us, worker %s us)' \
        "$rate" "$drain_count" "$drain_seconds" "$(((cpu_pg1 - cpu_pg0) * 10000 / drain_count))" \
        "$(((cpu_wk1 - cpu_wk0) * 10000 / drain_count))")"
fi

if wants hang; then
    # Without the hanging app: the healthy app's inline alerts and /healthz side by side, then its end-to-end rate.
    hang_phase() { # hang_phase SUFFIX — the healthy app's inline alerts, then /healthz, then its end-to-end rate
        BENCH_WRK_CONNECTIONS=16 bench_wrk "healthy-alerts$1" "$alerts_url" "${auth[@]}" -s "$tmp/alert.lua"
        wait_drained "$app_id" 120 >/dev/null
        BENCH_WRK_CONNECTIONS=4 bench_wrk "healthz$1" "$base_url/healthz"
        end_to_end "healthy-e2e$1" "$bench_duration"
    }
    hang_phase -alone
    hang_seconds=$((${bench_duration%s} * 4 + 20))
    ar_log "hang: $hang_rate alerts/s to an app whose receiver never answers, for $hang_seconds s"
    python3 scripts/pace.py --url "$alerts_url" --rate "$hang_rate" --seconds "$hang_seconds" \
        --body "$tmp/hang-body.json" --header "Authorization: Bearer $org_token" --connections 16 \
        >"$tmp/pace.out" 2>"$log/pace.log" &
    pace_pid=$!
    AR_CLEANUP_PIDS+=("$pace_pid") # stopped with the rest if the run ends early
    sleep 5
    hang_phase -with-hang
    wait "$pace_pid" || true
    ar_forget_pid "$pace_pid"
    hang_status=$(cat "$tmp/pace.out")
    hang_in_flight=$(sql "SELECT count(*) FROM deliveries WHERE app_id = $hang_id AND status = 'sending'")
    record hang-stream 0 "$(printf 'statuses %s; %s of its deliveries being attempted at the end, %s pending' \
        "$hang_status" "$hang_in_flight" "$(pending "$hang_id")")"
fi

if wants soak; then
    soak_seconds=${BENCH_SOAK_SECONDS:-600}
    # One request per call, in turn: inline alert, queued alert, queued alert to the failing app, organization read,
    # /healthz.
    {
        printf "local alert = '%s'\n" "$(alert_body bench-hook)"
        printf "local failing = '%s'\n" "$(alert_body bench-fail)"
        cat <<'LUA'
local n = 0
request = function()
    n = n + 1
    local kind = n % 5
    local headers = { ["Content-Type"] = "application/json" }
    for name, value in pairs(wrk.headers) do headers[name] = value end
    if kind == 0 then return wrk.format("POST", "/api/0/organizations/bench/alerts", headers, alert) end
    if kind == 1 then headers["Prefer"] = "respond-async"; return wrk.format("POST", "/api/0/organizations/bench/alerts", headers, alert) end
    if kind == 2 then headers["Prefer"] = "respond-async"; return wrk.format("POST", "/api/0/organizations/bench/alerts", headers, failing) end
    if kind == 3 then return wrk.format("GET", "/api/0/organizations/bench", wrk.headers) end
    return wrk.format("GET", "/healthz", wrk.headers)
end
LUA
    } >"$tmp/mixed.lua"
    ar_log "soak: $soak_seconds s of mixed load; RSS sampled every 10 s"
    python3 scripts/pace.py --url "$alerts_url" --rate 10 --seconds "$soak_seconds" --body "$tmp/hang-body.json" \
        --header "Authorization: Bearer $org_token" --connections 4 >"$tmp/soak-pace.out" 2>>"$log/pace.log" &
    soak_pace=$!
    AR_CLEANUP_PIDS+=("$soak_pace")
    wrk -t1 -c4 -d"${soak_seconds}s" --latency -s "$tmp/mixed.lua" -H "Authorization: Bearer $org_token" "$base_url" \
        >"$tmp/soak-wrk.out" &
    soak_wrk=$!
    AR_CLEANUP_PIDS+=("$soak_wrk")
    : >"$tmp/soak-rss.tsv"
    for ((second = 0; second <= soak_seconds; second += 10)); do
        printf '%s\t%s\t%s\n' "$second" "$(awk '/^VmRSS:/ { print $2 }' "/proc/$responder_pid/status")" \
            "$(awk '/^VmRSS:/ { print $2 }' "/proc/$worker_pid/status")" >>"$tmp/soak-rss.tsv"
        ((second < soak_seconds)) && sleep 10
    done
    wait "$soak_wrk" || true
    wait "$soak_pace" || true
    ar_forget_pid "$soak_wrk"
    ar_forget_pid "$soak_pace"
    cp "$tmp/soak-rss.tsv" "$AR_REPO/.data/soak-rss.tsv"
    soak_summary=$(python3 - "$tmp/soak-rss.tsv" <<'PY'
import sys
rows = [tuple(map(int, line.split())) for line in open(sys.argv[1]) if line.strip()]
base = next(r for r in rows if r[0] >= 60)
last = rows[-1]
def growth(i): return 100.0 * (last[i] - base[i]) / base[i]
print("responder %.1f -> %.1f MiB (%+.1f %%), max %.1f; worker %.1f -> %.1f MiB (%+.1f %%), max %.1f" % (
    base[1] / 1024, last[1] / 1024, growth(1), max(r[1] for r in rows) / 1024,
    base[2] / 1024, last[2] / 1024, growth(2), max(r[2] for r in rows) / 1024))
PY
)
    record soak 0 "$(awk '/Requests\/sec:/ { r = $2 } /requests in/ { n = $1 } /Non-2xx/ { bad = $NF } END { printf "%s requests (%s not 2xx), %s req/s; ", n, (bad == "" ? 0 : bad), r }' "$tmp/soak-wrk.out")RSS from 60 s to $soak_seconds s: $soak_summary (samples in .data/soak-rss.tsv)"
fi

if wants pages; then
    # 100 fresh entries in the healthy app's log (inline alerts), newest first on the page.
    for _ in $(seq 100); do
        curl -fsS -o /dev/null -X POST "$alerts_url" "${auth[@]}" -H 'Content-Type: application/json' \
            -d "$(alert_body bench-hook)"
    done
    member_id=$(api POST /api/0/organizations/bench/members '{"email":"owner@bench.example","role":"owner"}' | json_field id)
    link=$(api POST "/api/0/organizations/bench/members/$member_id/sign-in-link" '{"app":"bench-hook"}' | json_field url)
    curl -fsS -o /dev/null -c "$tmp/cookies" "$link"
    session=$(awk '$6 == "ar_session" { print $7 }' "$tmp/cookies")
    [[ -n $session ]] || ar_die "pages: the sign-in link set no session cookie"
    dashboard=$base_url/settings/bench/developer-settings/bench-hook/dashboard/
    html_bytes=$(curl -fsS -H "Cookie: ar_session=$session" "$dashboard" | wc -c)
    css_path=$(curl -fsS -H "Cookie: ar_session=$session" "$dashboard" | { grep -o 'href="[^"]*\.css[^"]*"' || true; } | head -n 1 | sed 's/^href="//; s/"$//')
    css_bytes=0
    [[ -z $css_path ]] || css_bytes=$(curl -fsS "$base_url$css_path" | wc -c)
    entries=$(curl -fsS -H "Cookie: ar_session=$session" "$dashboard" | grep -c '<tr id="r' || true)
    record pages-weight "$((html_bytes + css_bytes))" "$(printf '%12s bytes (HTML %s + CSS %s; %s log entries shown; goal < 61,440)' \
        "$((html_bytes + css_bytes))" "$html_bytes" "$css_bytes" "$entries")"
    BENCH_WRK_CONNECTIONS=1 bench_wrk pages-dashboard "$dashboard" -H "Cookie: ar_session=$session"
fi

# PostgreSQL's own single-row INSERT rate at the same concurrency: the ceiling for durable writes.
ar_pg_psql -d alertrelay_bench -qc "CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, v text NOT NULL)"
echo "INSERT INTO bench_insert (v) VALUES ('x');" >"$tmp/insert.sql"
pgbench_out=$("$(ar_pg_bin)/pgbench" -n -M prepared -f "$tmp/insert.sql" -c "$bench_connections" -j "$bench_threads" \
    -T "${bench_duration%s}" -h "$AR_PG_SOCKDIR" -p "$AR_PG_PORT" -U alertrelay alertrelay_bench 2>&1) ||
    ar_die "pgbench failed: $pgbench_out"
pgbench_tps=$(awk '/^tps = / { printf "%.0f", $3; exit }' <<<"$pgbench_out")
record pgbench-insert "$pgbench_tps" "$(printf '%12s tx/s (pgbench -c%s)' "$pgbench_tps" "$bench_connections")"

printf '\nResults (wrk -t%s -c%s -d%s; responder %s threads; %s)\n' "$bench_threads" "$bench_connections" \
    "$bench_duration" "$responder_threads" "$(date -u +%Y-%m-%dT%H:%MZ)"
printf '%s\n' "${bench_results[@]}"
printf 'responder peak RSS: %s; worker peak RSS: %s\n' "$(bench_peak_rss "$responder_pid")" "$(bench_peak_rss "$worker_pid")"
printf '\nRatios\n'
[[ -n ${figure[alerts-delivered]:-} ]] &&
    printf 'alerts (inline)   %s of pgbench INSERT (goal >= 12 %%), p99 %s ms (goal <= 20)\n' \
        "$(ratio "${figure[alerts-delivered]}" "$pgbench_tps")" "${figure[alerts.p99]}"
[[ -n ${figure[alerts-async]:-} ]] &&
    printf 'alerts-async      %s of pgbench INSERT (goal >= 40 %%), p50 %s ms, p99 %s ms\n' \
        "$(ratio "${figure[alerts-async]}" "$pgbench_tps")" "${figure[alerts-async.p50]}" "${figure[alerts-async.p99]}"
[[ -n ${figure[end-to-end]:-} ]] &&
    printf 'end-to-end        %s of pgbench INSERT (goal >= 25 %%)\n' "$(ratio "${figure[end-to-end]}" "$pgbench_tps")"
[[ -n ${figure[dispatcher-drain]:-} ]] &&
    printf 'dispatcher alone  %s of pgbench INSERT\n' "$(ratio "${figure[dispatcher-drain]}" "$pgbench_tps")"
if [[ -n ${figure[healthy-e2e-with-hang]:-} ]]; then
    printf 'hang: healthy alerts p99 %s ms with the hanging app vs %s ms without (goal <= 1.5x: %s)\n' \
        "${figure[healthy-alerts-with-hang.p99]}" "${figure[healthy-alerts-alone.p99]}" \
        "$(python3 -c "print(f'{${figure[healthy-alerts-with-hang.p99]} / ${figure[healthy-alerts-alone.p99]}:.2f}x')")"
    printf 'hang: /healthz p99 %s ms with the hanging app (goal <= 5 ms), %s ms without\n' \
        "${figure[healthz-with-hang.p99]}" "${figure[healthz-alone.p99]}"
    printf 'hang: healthy end-to-end %s/s with the hanging app vs %s/s without: %s (goal >= 80 %%)\n' \
        "${figure[healthy-e2e-with-hang]}" "${figure[healthy-e2e-alone]}" \
        "$(ratio "${figure[healthy-e2e-with-hang]}" "${figure[healthy-e2e-alone]}")"
fi
[[ -n ${figure[pages-dashboard]:-} ]] &&
    printf 'owner dashboard   %s bytes with 100 entries (goal < 60 KB), p50 %s ms, p99 %s ms at -c1 through nginx (goal < 20 ms)\n' \
        "${figure[pages-weight]}" "${figure[pages-dashboard.p50]}" "${figure[pages-dashboard.p99]}"
printf 'nginx return 200: %s req/s\n' "${figure[nginx-ping]}"
