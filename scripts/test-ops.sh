#!/usr/bin/env bash
# Operations checks: the deploy kit and the run command. scripts/test.sh runs it before
# `swift test` (with the binaries it just built); it also runs alone:
#
#   scripts/test-ops.sh                      # builds the debug binaries if needed
#   ALERT_RELAY_BIN_DIR=.build/debug scripts/test-ops.sh
#
# 1. systemd: `systemd-analyze verify` of deploy/systemd/* in a temp root (no warning allowed; a
#    deliberately broken copy must be rejected, so the check cannot pass vacuously), their
#    `systemd-analyze security` exposure (at most 2.0), and deploy/sysusers.d through
#    `systemd-sysusers --root`.
# 2. nginx: deploy/nginx/alert-relay-fleet.conf with its backends moved to loopback and its paths
#    into a temp folder: `nginx -t`, then started on a free loopback port to see its JSON 503 (no
#    backend up) and its JSON 403 for /metrics from an address outside the allow list.
# 3. scripts/run.sh as root, from a copy of this checkout in a 0700 folder (what a clone in
#    root's home folder looks like): healthy, an admin call, Ctrl-C twice stops everything (exit
#    0, PostgreSQL and nginx gone by pg_ctl status and pid files); again as a fleet
#    (ALERT_RELAY_RESPONDERS=2 ALERT_RELAY_WORKERS=2): the cluster kept the data, both responders
#    answer, a killed responder and a killed worker are restarted and the new worker does a job,
#    Ctrl-C stops everything. The processes run under the kernel's PR_SET_MDWE, as
#    MemoryDenyWriteExecute=yes in the units would (when the kernel has it). Skipped, with the
#    reason, when not root; under CI=true that is a failure instead.
#
# Everything it starts is stopped, and every folder it makes removed, however it ends.
# Exits 0 when every check passed (or was skipped outside CI), 1 otherwise.
set -euo pipefail
umask 022

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$AR_REPO"

ci=${CI:-false}
passed=() failed=() skipped=()
pass() {
    passed+=("$1")
    ar_log "PASS: $1"
}
fail() {
    failed+=("$1")
    printf '[%s] FAIL: %s\n' "$(date +%H:%M:%S)" "$1" >&2
}
skip() {
    if [[ $ci == true ]]; then
        fail "$1 (cannot run: $2; CI=true)"
    else
        skipped+=("$1")
        printf '[%s] SKIP: %s (%s)\n' "$(date +%H:%M:%S)" "$1" "$2" >&2
    fi
}

# wait_for SECONDS COMMAND... — run COMMAND every 0.2 s until it succeeds; false on timeout.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

ar_install_packages "${AR_OPS_APT_PACKAGES[@]}"

tmp=$(mktemp -d /tmp/alert-relay-ops.XXXXXX)
chmod 0755 "$tmp"
AR_CLEANUP_PATHS+=("$tmp")
# Processes the run.sh check stopped with SIGSTOP: continued before the clean-up stops them.
stopped_pids=()
cleanup() {
    local pid
    for pid in "${stopped_pids[@]}"; do kill -CONT "$pid" 2>/dev/null || true; done
    ar_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# 1. systemd units

# verify_units ROOT UNIT... — systemd-analyze verify in ROOT; prints what it said, fails on any
# output (it reports unknown keys and unparsable values only as warnings, with status 0).
verify_units() {
    local root=$1 out status=0
    shift
    out=$(cd / && systemd-analyze verify --man=no --root="$root" "$@" 2>&1) || status=$?
    [[ -n $out ]] && printf '%s\n' "$out" >&2
    ((status == 0)) && [[ -z $out ]]
}

check_systemd() {
    local root=$tmp/sdroot unit
    if ! command -v systemd-analyze >/dev/null 2>&1; then
        skip "systemd units" "systemd-analyze not found"
        return
    fi
    # A root with the system's own units (the targets ours refer to) and stand-ins for the
    # binaries (verify checks that ExecStart= names an executable).
    mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd" "$root/opt/alert-relay/bin" \
        "$root/tmp" "$root/run" "$root/dev" "$root/var"
    chmod 1777 "$root/tmp"
    cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
    for unit in alert-relay-fcgi alert-relay-worker; do
        printf '#!/bin/sh\nexit 0\n' >"$root/opt/alert-relay/bin/$unit"
        chmod 0755 "$root/opt/alert-relay/bin/$unit"
    done
    cp deploy/systemd/* "$root/etc/systemd/system/"
    # An instance on a unix socket. (A HOST:PORT instance is just as valid, but systemd 252's
    # `verify` cannot handle a ":" in the name: "Couldn't process aliases".)
    local fcgi
    fcgi="alert-relay-fcgi@$(systemd-escape /run/alert-relay/fcgi-1.sock).service"
    local units=("$fcgi" alert-relay-worker.service alert-relay-worker@1.service
        alert-relay-migrate.service alert-relay.target)
    local ok=1
    if verify_units "$root" "${units[@]}"; then
        ar_log "systemd-analyze verify: ${units[*]}: no complaints"
    else
        ok=0
        fail "systemd-analyze verify of deploy/systemd"
    fi

    # The check must be able to fail: a misspelt setting (only a warning for systemd) and a
    # relative ExecStart= (an error) in copies of the responder unit.
    local broken=$tmp/sdbroken
    rm -rf "$broken" && cp -a "$root" "$broken"
    sed -i 's/^ProtectSystem=strict$/ProtectSytem=strict/' "$broken/etc/systemd/system/alert-relay-fcgi@.service"
    if verify_units "$broken" "$fcgi" 2>/dev/null; then
        ok=0
        fail "systemd-analyze verify accepted a unit with a misspelt setting (ProtectSytem=)"
    fi
    cp "$root/etc/systemd/system/alert-relay-fcgi@.service" "$broken/etc/systemd/system/"
    sed -i 's|^ExecStart=/opt/alert-relay/bin/|ExecStart=opt/alert-relay/bin/|' "$broken/etc/systemd/system/alert-relay-fcgi@.service"
    if verify_units "$broken" "$fcgi" 2>/dev/null; then
        ok=0
        fail "systemd-analyze verify accepted a unit with a relative ExecStart="
    fi

    # Hardening: systemd's own exposure score (0 = locked down, 10 = none; ours is 1.2).
    # --threshold counts tenths: 20 is an exposure of 2.0.
    local out
    if out=$(cd / && systemd-analyze security --offline=true --root="$root" --threshold=20 --no-pager \
        "$fcgi" alert-relay-worker.service alert-relay-worker@1.service alert-relay-migrate.service 2>&1); then
        grep 'Overall exposure' <<<"$out" >&2 || true
    else
        printf '%s\n' "$out" | grep -E '✗|Overall' >&2 || printf '%s\n' "$out" >&2
        ok=0
        fail "systemd-analyze security: exposure above 2.0"
    fi

    # The service user, as systemd-sysusers creates it from deploy/sysusers.d.
    # (Absolute paths: with --root, systemd-sysusers looks for relative ones inside the root.)
    if systemd-sysusers --root="$root" "$AR_REPO/deploy/sysusers.d/alert-relay.conf" \
        "$AR_REPO/deploy/sysusers.d/alert-relay-nginx.conf" >/dev/null 2>&1 &&
        grep -q '^alert-relay:x:[0-9]*:[0-9]*:[^:]*:/var/lib/alert-relay:/usr/sbin/nologin$' "$root/etc/passwd" &&
        grep -q '^alert-relay:x:[0-9]*:www-data$' "$root/etc/group"; then
        ar_log "systemd-sysusers: user alert-relay, group alert-relay with www-data"
    else
        ok=0
        fail "systemd-sysusers did not create alert-relay (and www-data in its group) from deploy/sysusers.d"
    fi
    ((ok)) && pass "systemd units (verify, broken copies rejected, security exposure, sysusers)"
    return 0
}

# ---------------------------------------------------------------------------------------------
# 2. nginx site

check_nginx_site() {
    local dir=$tmp/nginx-site nginx port plain_port site=deploy/nginx/alert-relay-fleet.conf
    nginx=$(ar_sbin nginx)
    mkdir -p "$dir/log"
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1 ||
        {
            fail "nginx site: openssl could not make a throwaway certificate"
            return
        }
    port=$(ar_free_port 127.0.0.1)
    plain_port=$(ar_free_port 127.0.0.1)
    # Backends (upstream servers and the per-backend metrics locations) on 127.0.0.x, which
    # nothing listens on; certificates and logs into the temp folder; HTTPS and plain HTTP on
    # free loopback ports, no IPv6 listeners.
    sed -E \
        -e 's/^([[:space:]]*(server|fastcgi_pass)[[:space:]]+)10\.0\.0\.([0-9]+):/\1127.0.0.\3:/' \
        -e "s|/etc/ssl/certs/alert-relay.example.com.pem|$dir/cert.pem|" \
        -e "s|/etc/ssl/private/alert-relay.example.com.key|$dir/key.pem|" \
        -e "s|/var/log/nginx/|$dir/log/|" \
        -e "s|^([[:space:]]*)listen 443 ssl http2;|\1listen 127.0.0.1:$port ssl http2;|" \
        -e "s|^([[:space:]]*)listen 80;|\1listen 127.0.0.1:$plain_port;|" \
        -e '/^[[:space:]]*listen \[::\]:(80|443)/d' \
        "$site" >"$dir/site.conf"
    if grep -nE '^[[:space:]]*(server|fastcgi_pass)[[:space:]]+10\.|/etc/ssl/|/var/log/|listen (80|443|\[::\])' "$dir/site.conf" >&2 ||
        [[ $(grep -cE '^[[:space:]]*listen 127\.0\.0\.1:' "$dir/site.conf") != 2 ]]; then
        fail "nginx site: the lines above were not moved to loopback/the temp folder (did $site change?)"
        return
    fi
    cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
daemon on;
pid $dir/nginx.pid;
error_log $dir/log/error.log warn;
events { worker_connections 64; }
http {
    client_body_temp_path $dir/client_body_temp;
    fastcgi_temp_path $dir/fastcgi_temp;
    proxy_temp_path $dir/proxy_temp;
    uwsgi_temp_path $dir/uwsgi_temp;
    scgi_temp_path $dir/scgi_temp;
    include $dir/site.conf;
}
EOF
    local out
    if ! out=$("$nginx" -t -c "$dir/nginx.conf" -p "$dir/" -e "$dir/log/error.log" 2>&1); then
        printf '%s\n' "$out" >&2
        fail "nginx -t rejected $site"
        return
    fi
    ar_log "nginx -t: $site is fine"
    "$nginx" -c "$dir/nginx.conf" -p "$dir/" -e "$dir/log/error.log" || {
        fail "nginx site: nginx did not start"
        return
    }
    AR_CLEANUP_NGINX+=("$dir")
    if ! wait_for 10 ar_port_listening "$port"; then
        fail "nginx site: nginx does not listen on port $port"
        return
    fi
    local base=https://127.0.0.1:$port ok=1 body code
    # Plain HTTP redirects to HTTPS.
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$plain_port/healthz") || true
    if [[ $code != 308 ]]; then
        ok=0
        fail "nginx site: plain HTTP gave $code (want 308 to HTTPS)"
    fi
    # No backend is up: nginx's JSON 503.
    code=$(curl -ks -o "$dir/body" -w '%{http_code}' --max-time 10 "$base/healthz") || true
    body=$(<"$dir/body")
    if [[ $code != 503 || $body != *'"code":"upstream_unavailable"'* ]]; then
        ok=0
        fail "nginx site: GET /healthz with no backend gave $code $body (want the JSON 503)"
    fi
    # /metrics from 127.0.0.2, outside the allow list: the JSON 403.
    code=$(curl -ks -o "$dir/body" -w '%{http_code}' --max-time 10 --interface 127.0.0.2 "$base/metrics") || true
    body=$(<"$dir/body")
    if [[ $code != 403 || $body != *'"code":"forbidden"'* ]]; then
        ok=0
        fail "nginx site: GET /metrics from 127.0.0.2 gave $code $body (want the JSON 403)"
    fi
    ar_nginx_stop "$dir"
    ((ok)) && pass "nginx site (nginx -t; 308 to HTTPS, JSON 503 without backends, JSON 403 for /metrics from outside)"
    return 0
}

# ---------------------------------------------------------------------------------------------
# 3. scripts/run.sh as root from a 0700 folder

# The run under test: its process group, output and state, and the binaries it uses.
run_bin_dir=
run_pid=
run_log=
clone=
svc=
pg_port=
nginx_port=

# start_run LOG [NAME=VALUE...] — start the clone's scripts/run.sh from / in its own process
# group, with SIGINT at its default (a background job of a script would ignore it, and Ctrl-C
# is what we mean to send).
start_run() {
    run_log=$1
    shift
    (cd / && exec setsid env --default-signal=INT ALERT_RELAY_BIN_DIR="$run_bin_dir" \
        ALERT_RELAY_PORT="$nginx_port" ALERT_RELAY_PG_PORT="$pg_port" "$@" \
        "$clone/scripts/run.sh" >"$run_log" 2>&1 </dev/null) &
    run_pid=$!
    AR_CLEANUP_GROUPS+=("$run_pid")
    AR_LOG_FILES+=("$run_log")
}

# run_alive — true while run.sh runs.
run_alive() { ar_pid_alive "$run_pid"; }

# wait_healthy — until /healthz answers 200 through nginx; false (with the log) if run.sh exits.
wait_healthy() {
    local deadline=$((SECONDS + 180))
    until ar_http_ok "http://127.0.0.1:$nginx_port/healthz" 2>/dev/null; do
        if ! run_alive || ((SECONDS >= deadline)); then
            tail -n 40 "$run_log" >&2
            return 1
        fi
        sleep 0.3
    done
}

# wait_log PATTERN [SECONDS] — until the run's output has a line matching the ERE PATTERN.
wait_log() {
    local deadline=$((SECONDS + ${2:-30}))
    until grep -Eq -- "$1" "$run_log"; do
        ((SECONDS < deadline)) && run_alive || return 1
        sleep 0.2
    done
}

# stop_run TIMES — Ctrl-C (SIGINT to the process group, as a terminal sends it) TIMES times,
# 0.3 s apart; then wait for run.sh. Sets run_status.
run_status=
stop_run() {
    local n
    for ((n = 1; n <= $1; n++)); do
        kill -INT -- "-$run_pid" 2>/dev/null || true
        ((n == $1)) || sleep 0.3
    done
    local deadline=$((SECONDS + 90))
    while run_alive && ((SECONDS < deadline)); do sleep 0.2; done
    run_status=0
    if run_alive; then
        run_status=timeout
    else
        wait "$run_pid" 2>/dev/null || run_status=$?
    fi
}

# nothing_left — true when the run's PostgreSQL, nginx, responders and workers are all gone:
# `pg_ctl status` and pid files, not pgrep (PLATFORM §3: stopped daemons may linger as zombies).
nothing_left() {
    local left=0 f pid
    if [[ -f $svc/pg/pgdata/PG_VERSION ]] &&
        (cd / && "$(ar_sbin runuser)" -u postgres -- "$(ar_pg_bin)/pg_ctl" status -D "$svc/pg/pgdata" >/dev/null 2>&1); then
        ar_warn "PostgreSQL still runs ($svc/pg/pgdata)"
        left=1
    fi
    if [[ -s $svc/nginx/nginx.pid ]] && ar_pid_alive "$(<"$svc/nginx/nginx.pid")"; then
        ar_warn "nginx still runs (pid $(<"$svc/nginx/nginx.pid"))"
        left=1
    fi
    for f in "$svc"/run/*.pid; do
        [[ -s $f ]] || continue
        pid=$(<"$f")
        if ar_pid_alive "$pid"; then
            ar_warn "$(basename "$f" .pid) still runs (pid $pid)"
            left=1
        fi
    done
    ((left == 0))
}

# http METHOD PATH [BODY] — curl through the run's nginx with the admin token; prints
# "STATUS BODY".
http() {
    local args=(-sS -o "$tmp/http-body" -w '%{http_code}' --max-time 30 -X "$1"
        -H "Authorization: Bearer $(<"$clone/.data/admin-token")")
    [[ -n ${3:-} ]] && args+=(-H 'Content-Type: application/json' --data "$3")
    local code
    code=$(curl "${args[@]}" "http://127.0.0.1:$nginx_port$2") || code=000
    printf '%s %s' "$code" "$(cat "$tmp/http-body" 2>/dev/null)"
}

# responder_requests SOCKET — that responder's own request counter, read straight from its
# socket (not through nginx) with libfcgi's cgi-fcgi.
responder_requests() {
    (cd / && env -i REQUEST_METHOD=GET DOCUMENT_URI=/metrics REQUEST_URI=/metrics SCRIPT_NAME=/metrics \
        QUERY_STRING= SERVER_PROTOCOL=HTTP/1.1 cgi-fcgi -bind -connect "$1" 2>/dev/null) |
        awk '$1 == "alert_relay_http_requests_total" { print $2 }'
}

# psql_run SQL — against the run's cluster.
psql_run() {
    "$(ar_pg_bin)/psql" -X -q -t -A -v ON_ERROR_STOP=1 -h "$svc/pg/pgsock" -p "$pg_port" \
        -U "$AR_PG_USER" -d alertrelay -c "$1"
}

check_run_as_root() {
    local name="scripts/run.sh as root from a 0700 folder"
    if ! ar_is_root; then
        skip "$name" "not root"
        return
    fi
    # The binaries: given, or the debug build.
    local real_bin=${ALERT_RELAY_BIN_DIR:-}
    if [[ -z $real_bin ]]; then
        ar_log "building the debug binaries (swift build)"
        if ! swift build --product alert-relay-fcgi >/dev/null || ! swift build --product alert-relay-worker >/dev/null; then
            fail "$name: swift build failed"
            return
        fi
        real_bin=$(swift build --show-bin-path)
    fi
    real_bin=$(cd "$real_bin" && pwd)

    # Under PR_SET_MDWE (what MemoryDenyWriteExecute=yes amounts to, and what systemd 254+ uses
    # for it), when the kernel has it: wrappers that set it and exec the real binary, same pid.
    run_bin_dir=$real_bin
    cat >"$tmp/mdwe.py" <<'EOF'
import ctypes, os, sys
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    sys.exit("PR_SET_MDWE: " + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
EOF
    if [[ $(python3 "$tmp/mdwe.py" /usr/bin/python3 -c 'import ctypes; print(ctypes.CDLL(None).prctl(66, 0, 0, 0, 0))' 2>/dev/null) == 1 ]]; then
        mkdir -p "$tmp/mdwe-bin"
        local exe
        for exe in alert-relay-fcgi alert-relay-worker; do
            printf '#!/bin/sh\nexec python3 %q %q "$@"\n' "$tmp/mdwe.py" "$real_bin/$exe" >"$tmp/mdwe-bin/$exe"
            chmod 0755 "$tmp/mdwe-bin/$exe"
        done
        run_bin_dir=$tmp/mdwe-bin
        ar_log "responders and workers run with PR_SET_MDWE (no writable+executable memory)"
    else
        ar_warn "this kernel has no PR_SET_MDWE: MemoryDenyWriteExecute is not checked"
    fi

    # A copy of this checkout (tracked and new files, as they are now) in a 0700 folder, like a
    # clone in root's home folder.
    local home=$tmp/home0700
    clone=$home/clone
    mkdir -p "$clone"
    chmod 0700 "$home"
    git ls-files -z --cached --others --exclude-standard |
        tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$clone"
    if ar_can_traverse nobody "$clone" || ar_can_traverse postgres "$clone"; then
        fail "$name: $clone is reachable by nobody/postgres, so this would not test anything"
        return
    fi
    svc=$AR_ROOT_STATE_BASE/$(printf '%s' "$clone" | sha256sum | cut -c1-12)
    # Stopped and removed at the end whatever happens (after run.sh's own clean-up).
    AR_CLEANUP_NGINX+=("$svc/nginx")
    AR_CLEANUP_PG+=("$svc/pg")
    AR_CLEANUP_PATHS+=("$svc")
    nginx_port=$(ar_free_port 127.0.0.1)
    pg_port=$(ar_free_port 127.0.0.1)
    local ok=1 result

    # --- run 1: one responder, one worker ---
    ar_log "run 1: $clone/scripts/run.sh (port $nginx_port, PostgreSQL port $pg_port)"
    start_run "$tmp/run1.log"
    if ! wait_healthy; then
        fail "$name: run 1 never answered /healthz through nginx"
        return
    fi
    if ! grep -qF "services      $svc" "$run_log" || [[ $(stat -c %U "$svc/pg/pgdata") != postgres ]]; then
        ok=0
        fail "$name: the output does not name $svc, or the cluster there is not owned by postgres"
    fi
    result=$(http POST /api/0/organizations '{"slug": "ops-check", "name": "Ops check"}')
    if [[ $result != 201* ]]; then
        ok=0
        fail "$name: creating an organization with the admin token gave: $result"
    fi
    # Ctrl-C twice in quick succession: the second must not cut the clean-up short.
    stop_run 2
    if [[ $run_status != 0 ]]; then
        ok=0
        fail "$name: run 1 after Ctrl-C twice ended with status $run_status (want 0)"
        tail -n 20 "$run_log" >&2
    fi
    if ! nothing_left; then
        ok=0
        fail "$name: run 1 left processes running after Ctrl-C twice"
    fi
    ((ok)) && ar_log "run 1: healthy, admin call answered, Ctrl-C twice stopped everything (exit 0)"

    # --- run 2: the fleet shape ---
    ar_log "run 2: ALERT_RELAY_RESPONDERS=2 ALERT_RELAY_WORKERS=2"
    start_run "$tmp/run2.log" ALERT_RELAY_RESPONDERS=2 ALERT_RELAY_WORKERS=2
    if ! wait_healthy; then
        fail "$name: run 2 (2 responders, 2 workers) never answered /healthz through nginx"
        return
    fi
    result=$(http GET /api/0/organizations/ops-check)
    if [[ $result != 200* ]]; then
        ok=0
        fail "$name: run 2 does not see run 1's organization (cluster not kept?): $result"
    fi

    # Both responders answer through nginx: each one's own counter grows.
    local s1=$svc/run/fcgi-1.sock s2=$svc/run/fcgi-2.sock b1 b2 a1 a2 n
    b1=$(responder_requests "$s1")
    b2=$(responder_requests "$s2")
    for ((n = 0; n < 20; n++)); do ar_http_ok "http://127.0.0.1:$nginx_port/healthz" 2>/dev/null || true; done
    a1=$(responder_requests "$s1")
    a2=$(responder_requests "$s2")
    # Each read counts itself: more than 1 up means nginx's requests reached it.
    if [[ -z $b1 || -z $b2 || -z $a1 || -z $a2 ]] || ((a1 - b1 < 3 || a2 - b2 < 3)); then
        ok=0
        fail "$name: not both responders answered 20 requests through nginx (responder 1: ${b1:-?} → ${a1:-?}, responder 2: ${b2:-?} → ${a2:-?})"
    else
        ar_log "run 2: 20 requests through nginx reached both responders ($((a1 - b1 - 1)) and $((a2 - b2 - 1)))"
    fi

    # A killed responder: nginx keeps answering through the other; run.sh restarts it.
    local old new bad=0
    old=$(<"$svc/run/responder-1.pid")
    kill -KILL "$old"
    for ((n = 0; n < 10; n++)); do ar_http_ok "http://127.0.0.1:$nginx_port/healthz" 2>/dev/null || bad=$((bad + 1)); done
    if ((bad > 0)) ||
        ! wait_log "responder 1 \(pid $old\) was killed by SIGKILL after [0-9]+s; restarting it in 1s" ||
        ! wait_log 'responder 1 restarted \(pid [0-9]+\)'; then
        ok=0
        fail "$name: after killing responder 1: $bad of 10 requests failed, or no restart in the log"
    else
        new=$(<"$svc/run/responder-1.pid")
        if [[ $new == "$old" ]] || ! ar_pid_alive "$new" ||
            ! wait_for 30 test -S "$s1" ||
            [[ -z $(responder_requests "$s1") ]]; then
            ok=0
            fail "$name: responder 1 was not restarted as a new process that answers (old $old, new $new)"
        else
            ar_log "run 2: responder 1 killed (pid $old) and restarted (pid $new), no request failed"
        fi
    fi

    # A killed worker is restarted, and the new process does the work: with worker 2 paused, a
    # no-op job can only be done by the new worker 1 (its id is host:pid:random).
    local w2 job state locked_by
    w2=$(<"$svc/run/worker-2.pid")
    old=$(<"$svc/run/worker-1.pid")
    kill -STOP "$w2"
    stopped_pids+=("$w2")
    kill -KILL "$old"
    if ! wait_log "worker 1 \(pid $old\) was killed by SIGKILL after [0-9]+s; restarting it in 1s" ||
        ! wait_log 'worker 1 restarted \(pid [0-9]+\)'; then
        ok=0
        fail "$name: killed worker 1 (pid $old) was not restarted (no log line)"
    else
        new=$(<"$svc/run/worker-1.pid")
        job=$(psql_run "INSERT INTO jobs (kind, payload) VALUES ('noop', '{}') RETURNING id" || true)
        state=
        for ((n = 0; n < 150; n++)); do
            state=$(psql_run "SELECT state || ' ' || coalesce(locked_by, '') FROM jobs WHERE id = ${job:-0}" || true)
            [[ $state == done* ]] && break
            sleep 0.2
        done
        locked_by=${state#* }
        if [[ $new == "$old" ]] || [[ $state != done* ]] || [[ $locked_by != *":$new:"* ]]; then
            ok=0
            fail "$name: the restarted worker 1 (pid $new, was $old) did not do a job (job ${job:-?}: ${state:-nothing})"
        else
            ar_log "run 2: worker 1 killed (pid $old), restarted (pid $new), and did job $job ($locked_by)"
        fi
    fi
    kill -CONT "$w2"
    stopped_pids=()

    stop_run 1
    if [[ $run_status != 0 ]]; then
        ok=0
        fail "$name: run 2 after Ctrl-C ended with status $run_status (want 0)"
        tail -n 20 "$run_log" >&2
    fi
    if ! nothing_left; then
        ok=0
        fail "$name: run 2 left processes running after Ctrl-C"
    fi
    ((ok)) && pass "$name (healthy, admin call, fleet of 2+2 through both responders, restarts, Ctrl-C)"
    return 0
}

ar_log "operations checks (deploy kit, run command)"
check_systemd
check_nginx_site
check_run_as_root

summary="${#passed[@]} passed, ${#failed[@]} failed, ${#skipped[@]} skipped"
if ((${#failed[@]} > 0)); then
    ar_log "operations checks: $summary"
    printf '  failed: %s\n' "${failed[@]}" >&2
    exit 1
fi
ar_log "operations checks: $summary"
