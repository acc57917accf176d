#!/usr/bin/env bash
# Build and run the whole test suite against real services:
#
#   scripts/test.sh                     # everything
#   scripts/test.sh --filter Webhook    # extra arguments go to `swift test`
#
# First runs scripts/test-ops.sh (systemd units, the nginx fleet site, scripts/run.sh as root
# from a 0700 folder) with the debug binaries; its failure fails the run too.
#
# Starts, on free loopback ports under a temp folder (<repo>/.data/test-<pid>, removed at
# exit): PostgreSQL (database alertrelay_test, migrated), the recording receiver on
# 127.0.0.2, the canary, the SMTP sink, the responder, the worker and nginx; exports the
# variables of TEST_ENV.md and runs `swift test`, then schemathesis against openapi.yaml (see
# the block at the end). Exits non-zero when either fails.
# CI is passed through as given (CI=true turns skips into failures in the tests). With CI=true the
# build is strict (warnings are errors, undeclared target imports fail) and the tests run a second
# time under ThreadSanitizer (ALERT_RELAY_TEST_TSAN=0/1 overrides).
set -euo pipefail
umask 022

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$AR_REPO"

ar_install_packages "${AR_TEST_APT_PACKAGES[@]}"

# Every module a target imports is listed among its dependencies (transitive ones do not count).
ar_log "checking imports against Package.swift (scripts/check-imports.py)"
python3 scripts/check-imports.py || ar_die "a target imports a module Package.swift does not list for it"

# CI builds strictly: warnings are errors in this package's targets (Package.swift reads
# ALERT_RELAY_WARNINGS_AS_ERRORS), and a target that imports another without declaring it fails.
build_flags=()
if [[ ${CI:-} == true ]]; then
    export ALERT_RELAY_WARNINGS_AS_ERRORS=1
    build_flags=(--explicit-target-dependency-import-check error)
fi
ar_log "building (swift build --build-tests ${build_flags[*]})"
swift build --build-tests "${build_flags[@]}"
bin_dir=$(swift build --show-bin-path)
# ThreadSanitizer: CI runs every test a second time, built with -sanitize=thread in .build-tsan
# (ALERT_RELAY_TEST_TSAN=1 runs it outside CI too, =0 skips it).
tsan=${ALERT_RELAY_TEST_TSAN:-}
if [[ -z $tsan ]]; then
    tsan=0
    [[ ${CI:-} != true ]] || tsan=1
fi
if [[ $tsan != 0 ]]; then
    ar_log "building with ThreadSanitizer (swift build --build-tests --sanitize=thread --build-path .build-tsan)"
    swift build --build-tests --sanitize=thread --build-path "$AR_REPO/.build-tsan" "${build_flags[@]}"
fi
for exe in alert-relay-fcgi alert-relay-worker; do
    [[ -x $bin_dir/$exe ]] || ar_die "$bin_dir/$exe was not built"
done

ar_setup_traps signal

# --- operations checks: deploy kit, scripts/run.sh as root (scripts/test-ops.sh) -----------
# With the binaries just built (no release build); a failure fails the run after swift test.
ops_status=0
ALERT_RELAY_BIN_DIR=$bin_dir scripts/test-ops.sh || ops_status=$?

# --- temp folder --------------------------------------------------------------------------
ar_mkdir_shared "$AR_REPO/.data"
tmp_wanted=$AR_REPO/.data/test-$$
AR_CLEANUP_PATHS+=("$tmp_wanted")
tmp=
ar_service_dir tmp "$tmp_wanted"
ar_mkdir_shared "$tmp/log" "$tmp/run" "$tmp/nginx" "$tmp/mailbox" "$tmp/bin"
log=$tmp/log

# --- PostgreSQL ---------------------------------------------------------------------------
pg_port=$(ar_free_port 127.0.0.1)
ar_pg_init "$tmp/pg" "$pg_port"
ar_pg_start "$tmp/pg" "$pg_port" "$log/postgresql.log"
ar_pg_createdb alertrelay_test
DATABASE_URL=$(ar_pg_conninfo alertrelay_test)
export DATABASE_URL

# Scripts the tests call to restart / stop / start this PostgreSQL.
pg_bin=$(ar_pg_bin)
pg_ctl_cmd=("$pg_bin/pg_ctl" -D "$tmp/pg/pgdata" -l "$log/postgresql.log" -w -t 60)
pg_status_cmd=("$pg_bin/pg_ctl" -D "$tmp/pg/pgdata")
if ar_is_root; then
    pg_ctl_cmd=("$(ar_sbin runuser)" -u postgres -- "${pg_ctl_cmd[@]}")
    pg_status_cmd=("$(ar_sbin runuser)" -u postgres -- "${pg_status_cmd[@]}")
fi
# write_script FILE GUARD COMMAND... — an executable script that runs COMMAND, or does
# nothing when GUARD (`running` or `stopped`) already holds, so start and stop can be
# called twice.
write_script() {
    local file=$1 guard=$2 status
    shift 2
    printf -v status '%q ' "${pg_status_cmd[@]}"
    {
        echo '#!/usr/bin/env bash'
        echo 'set -euo pipefail'
        echo 'cd /'
        case $guard in
        running) echo "if ${status}status >/dev/null 2>&1; then exit 0; fi" ;;
        stopped) echo "if ! ${status}status >/dev/null 2>&1; then exit 0; fi" ;;
        esac
        printf '%q ' "$@"
        echo
    } >"$file"
    chmod 0755 "$file"
}
write_script "$tmp/bin/pg-restart" - "${pg_ctl_cmd[@]}" -m fast restart
write_script "$tmp/bin/pg-stop" stopped "${pg_ctl_cmd[@]}" -m fast stop
write_script "$tmp/bin/pg-start" running "${pg_ctl_cmd[@]}" start

ar_log "applying migrations"
"$bin_dir/alert-relay-fcgi" migrate >>"$log/migrate.log" 2>&1 || {
    cat "$log/migrate.log" >&2
    ar_die "alert-relay-fcgi migrate failed"
}

# --- Python helpers: receiver, canary, SMTP sink -------------------------------------------
ar_venv "$AR_REPO/.data/venv"
python=$AR_PYTHON

ar_spawn receiver "$log/receiver.log" \
    "$python" scripts/receiver.py --host 127.0.0.2 --port 0 --port-file "$tmp/receiver.port"
ar_wait_until "receiver" 30 "$AR_LAST_PID" test -s "$tmp/receiver.port"
receiver_port=$(<"$tmp/receiver.port")

canary_port=$(ar_free_port 127.0.0.1)
ar_spawn canary "$log/canary.log" \
    "$python" scripts/canary.py --port "$canary_port" --log "$tmp/canary-hits.log"
# Checked through /proc, not by connecting: the canary must never see a connection.
ar_wait_until "canary" 30 "$AR_LAST_PID" ar_port_listening "$canary_port"

# The SMTP sink is started and stopped by these scripts (the tests call them too); it keeps
# its port across restarts. The pid file lets the cleanup stop whichever instance runs.
smtp_port=$(ar_free_port 127.0.0.1)
{
    echo '#!/usr/bin/env bash'
    echo '# Start the SMTP sink (scripts/smtp_sink.py) in the background; wait until it listens.'
    echo 'set -euo pipefail'
    printf 'pid_file=%q\nport_file=%q\nlog_file=%q\n' "$tmp/smtp.pid" "$tmp/smtp.port" "$log/smtp_sink.log"
    # shellcheck disable=SC2016 # $port_file is expanded by the written script
    printf 'command=(%q %q --host 127.0.0.1 --port %q --mailbox %q --port-file "$port_file")\n' \
        "$python" "$AR_REPO/scripts/smtp_sink.py" "$smtp_port" "$tmp/mailbox"
    cat <<'EOF'
alive() { # a zombie (state Z) has exited already
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ $state != Z ]]
}
if [[ -s $pid_file ]] && alive "$(<"$pid_file")"; then
    exit 0
fi
rm -f "$port_file"
cd /
"${command[@]}" >>"$log_file" 2>&1 </dev/null &
echo $! >"$pid_file"
for _ in $(seq 150); do
    [[ -s $port_file ]] && exit 0
    alive "$(<"$pid_file")" || { echo "smtp_sink exited; see $log_file" >&2; exit 1; }
    sleep 0.2
done
echo "smtp_sink not ready after 30 s; see $log_file" >&2
exit 1
EOF
} >"$tmp/bin/smtp-start"
{
    echo '#!/usr/bin/env bash'
    echo '# Stop the SMTP sink started by smtp-start; wait until it is gone.'
    echo 'set -euo pipefail'
    printf 'pid_file=%q\n' "$tmp/smtp.pid"
    cat <<'EOF'
alive() { # a zombie (state Z) has exited already
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ $state != Z ]]
}
[[ -s $pid_file ]] || exit 0
pid=$(<"$pid_file")
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 100); do
    alive "$pid" || break
    sleep 0.1
done
if alive "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$pid_file"
EOF
} >"$tmp/bin/smtp-stop"
chmod 0755 "$tmp/bin/smtp-start" "$tmp/bin/smtp-stop"
AR_CLEANUP_PIDFILES+=("$tmp/smtp.pid")
AR_LOG_FILES+=("$log/smtp_sink.log")
ar_log "starting smtp_sink (log $log/smtp_sink.log)"
"$tmp/bin/smtp-start" || {
    ar_dump_logs 40
    ar_die "the SMTP sink did not start"
}

# --- responder, worker, nginx -------------------------------------------------------------
nginx_port=$(ar_free_port 127.0.0.1)
base_url=http://127.0.0.1:$nginx_port

ALERT_RELAY_ADMIN_TOKEN=$(ar_random_token)
export ALERT_RELAY_ADMIN_TOKEN
ALERT_RELAY_LINK_KEY=$(ar_random_token)
export ALERT_RELAY_LINK_KEY
export ALERT_RELAY_ALLOW_TARGETS=127.0.0.2/32
# Webhooks reach the allowlist only: no global address, and no name is looked up (the API fuzzing
# below creates apps with arbitrary webhook URLs).
export ALERT_RELAY_ALLOW_GLOBAL_TARGETS=false
export ALERT_RELAY_URL_PREFIX=$base_url
export ALERT_RELAY_MAIL_TRANSPORT=smtp
export ALERT_RELAY_SMTP_URL=smtp://127.0.0.1:$smtp_port
export ALERT_RELAY_RETRY_SCHEDULE=1,1,1
export ALERT_RELAY_BROKEN_TIMEOUT_THRESHOLD=3
export ALERT_RELAY_MAX_BODY_BYTES=1048576
export ALERT_RELAY_MAIL_FROM=${ALERT_RELAY_MAIL_FROM:-alert-relay@localhost}

socket=$tmp/run/fcgi.sock
ar_spawn responder "$log/responder.log" \
    "$bin_dir/alert-relay-fcgi" --socket "$socket" --threads 16
responder_pid=$AR_LAST_PID
ar_wait_until "responder socket" 30 "$responder_pid" test -S "$socket"

ALERT_RELAY_WORKER_METRICS_FILE=$tmp/worker-metrics.prom \
    ar_spawn worker "$log/worker.log" "$bin_dir/alert-relay-worker" --concurrency 4
worker_pid=$AR_LAST_PID
# A second worker (dispatcher and job drain) on the same database: the fleet's shape, two of each process.
ALERT_RELAY_WORKER_METRICS_FILE=$tmp/worker-2-metrics.prom \
    ar_spawn worker-2 "$log/worker-2.log" "$bin_dir/alert-relay-worker" --concurrency 4
worker_2_pid=$AR_LAST_PID

ar_nginx_render nginx/alert-relay.conf.template "$tmp/nginx/nginx.conf" \
    PREFIX="$tmp/nginx" PORT="$nginx_port" SOCKET="$socket" \
    MAX_BODY="$ALERT_RELAY_MAX_BODY_BYTES" ACCESS_LOG="$log/nginx-access.log"
ar_nginx_start "$tmp/nginx/nginx.conf" "$tmp/nginx"
ar_wait_until "GET $base_url/healthz" 30 "$responder_pid" ar_http_ok "$base_url/healthz"
ar_pid_alive "$worker_pid" || {
    ar_dump_logs 40
    ar_die "the worker exited"
}

# A second responder with at most one inline attempt per app (API.md "Alerts": beyond the limit an alert is
# queued), behind its own nginx, for the tests of the inline limits.
socket_b=$tmp/run/fcgi-b.sock
ar_mkdir_shared "$tmp/nginx-b"
ALERT_RELAY_INLINE_PER_APP=1 ar_spawn responder-b "$log/responder-b.log" \
    "$bin_dir/alert-relay-fcgi" --socket "$socket_b" --threads 4
responder_b_pid=$AR_LAST_PID
ar_wait_until "responder B socket" 30 "$responder_b_pid" test -S "$socket_b"
nginx_b_port=$(ar_free_port 127.0.0.1)
ar_nginx_render nginx/alert-relay.conf.template "$tmp/nginx-b/nginx.conf" \
    PREFIX="$tmp/nginx-b" PORT="$nginx_b_port" SOCKET="$socket_b" \
    MAX_BODY="$ALERT_RELAY_MAX_BODY_BYTES" ACCESS_LOG="$log/nginx-b-access.log"
ar_nginx_start "$tmp/nginx-b/nginx.conf" "$tmp/nginx-b"
ar_wait_until "GET responder B /healthz" 30 "$responder_b_pid" ar_http_ok "http://127.0.0.1:$nginx_b_port/healthz"

# --- the tests ----------------------------------------------------------------------------
export ALERT_RELAY_TEST_PG_RESTART=$tmp/bin/pg-restart
export ALERT_RELAY_TEST_PG_STOP=$tmp/bin/pg-stop
export ALERT_RELAY_TEST_PG_START=$tmp/bin/pg-start
export ALERT_RELAY_TEST_BASE_URL=$base_url
export ALERT_RELAY_TEST_BASE_URL_INLINE_ONE=http://127.0.0.1:$nginx_b_port
export ALERT_RELAY_TEST_RECEIVER_URL=http://127.0.0.2:$receiver_port
export ALERT_RELAY_TEST_CANARY_PORT=$canary_port
export ALERT_RELAY_TEST_CANARY_LOG=$tmp/canary-hits.log
export ALERT_RELAY_TEST_SMTP_PORT=$smtp_port
export ALERT_RELAY_TEST_MAILBOX=$tmp/mailbox
export ALERT_RELAY_TEST_SMTP_START=$tmp/bin/smtp-start
export ALERT_RELAY_TEST_SMTP_STOP=$tmp/bin/smtp-stop
export ALERT_RELAY_TEST_PYTHON=$python
export ALERT_RELAY_TEST_BIN_DIR=$bin_dir
export ALERT_RELAY_TEST_WORKER_METRICS=$tmp/worker-metrics.prom
export ALERT_RELAY_TEST_WORKER_2_METRICS=$tmp/worker-2-metrics.prom

ar_log "services ready (nginx $base_url, receiver $ALERT_RELAY_TEST_RECEIVER_URL, PostgreSQL port $AR_PG_PORT); running swift test"
# In its own process group, waited for in the background: a SIGTERM/SIGINT to this script
# then tears down at once (the trap runs as soon as `wait` returns) and stops the test
# binaries too.
status=0
# ALERT_RELAY_TEST_SWIFT=0 skips `swift test` (scripts/fuzz.sh uses the stack for schemathesis alone).
if [[ ${ALERT_RELAY_TEST_SWIFT:-1} != 0 ]]; then
    ar_spawn_group swift test --skip-build "$@"
    wait "$AR_LAST_PID" || status=$?
    if [[ $tsan != 0 ]]; then
        # The same tests against the same stack, instrumented: a data race report fails the run
        # (TSan's exit code 66), as does any test failing under the slower build.
        ar_log "running swift test again under ThreadSanitizer"
        tsan_status=0
        TSAN_OPTIONS=${TSAN_OPTIONS:-exitcode=66 history_size=4} \
            ar_spawn_group swift test --skip-build --sanitize=thread --build-path "$AR_REPO/.build-tsan" "$@"
        wait "$AR_LAST_PID" || tsan_status=$?
        ((tsan_status == 0)) || ar_warn "swift test under ThreadSanitizer failed (status $tsan_status)"
        ((tsan_status == 0)) || ((status != 0)) || status=$tsan_status
    fi
fi

# --- the owner pages in a real browser (scripts/browser_test.py) ---------------------------
# Headless Chromium through selenium against this stack: a disable e-mail's link from the SMTP sink,
# the pages' content, Re-enable, screenshots at 360 and 1440 px in .data/screenshots/ and axe (no
# serious or critical violation). Runs when no arguments are given (like schemathesis below), or with
# ALERT_RELAY_TEST_BROWSER=1; ALERT_RELAY_TEST_BROWSER=0 skips it.
if [[ -z ${ALERT_RELAY_TEST_BROWSER:-} ]]; then
    ALERT_RELAY_TEST_BROWSER=1
    (($# == 0)) || ALERT_RELAY_TEST_BROWSER=0
fi
if [[ $ALERT_RELAY_TEST_BROWSER != 0 ]]; then
    ar_log "browser checks (scripts/browser_test.py; screenshots in .data/screenshots)"
    browser_status=0
    "$python" scripts/browser_test.py --base-url "$base_url" --receiver-url "$ALERT_RELAY_TEST_RECEIVER_URL" \
        --mailbox "$tmp/mailbox" --psql "$pg_bin/psql" --database "$DATABASE_URL" \
        --screenshots "$AR_REPO/.data/screenshots" || browser_status=$?
    ((browser_status == 0)) || ((status != 0)) || status=$browser_status
fi

# --- API conformance: schemathesis against openapi.yaml -----------------------------------
# openapi.yaml must be a valid OpenAPI document, and schemathesis (every phase, every check)
# must find nothing, once with the admin token and once with an organization token holding
# every scope. A fixed seed and a bounded budget (ALERT_RELAY_SCHEMATHESIS_MAX_EXAMPLES per
# operation and phase, ALERT_RELAY_SCHEMATHESIS_MAX_TIME seconds per run); scripts/fuzz.sh
# raises both. Runs by default when no arguments are given (a filtered run skips it, unless
# ALERT_RELAY_TEST_SCHEMATHESIS=1); ALERT_RELAY_TEST_SCHEMATHESIS=0 skips it.
if [[ -z ${ALERT_RELAY_TEST_SCHEMATHESIS:-} ]]; then
    ALERT_RELAY_TEST_SCHEMATHESIS=1
    (($# == 0)) || ALERT_RELAY_TEST_SCHEMATHESIS=0
fi
if [[ $ALERT_RELAY_TEST_SCHEMATHESIS != 0 ]]; then
    st_status=0
    ar_schemathesis_suite "$base_url" "$AR_REPO/.data/schemathesis" || st_status=$?
    ((st_status == 0)) || ((status != 0)) || status=$st_status
fi

# A responder or worker that died during the run is a defect even if no test noticed.
for service in responder:$responder_pid responder-b:$responder_b_pid worker:$worker_pid worker-2:$worker_2_pid; do
    if ! ar_pid_alive "${service#*:}"; then
        ar_warn "the ${service%%:*} exited during the tests; see $log/${service%%:*}.log"
        ((status != 0)) || status=1
    fi
done
# The canary stands for a refused target: any contact, in swift test, the browser checks or schemathesis,
# means the SSRF guard let something through, and fails the run.
if [[ -s $tmp/canary-hits.log ]]; then
    ar_warn "the canary was contacted:"
    cat "$tmp/canary-hits.log" >&2
    ((status != 0)) || status=1
fi
if ((ops_status != 0)); then
    ar_warn "scripts/test-ops.sh failed (status $ops_status); its output is above swift test's"
    ((status != 0)) || status=$ops_status
fi
if ((status != 0)); then
    ar_log "the test run failed (status $status); service logs follow"
    ar_dump_logs 60
fi
exit "$status"
