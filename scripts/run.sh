#!/usr/bin/env bash
# Build and run alert-relay locally: PostgreSQL, the FastCGI responder(s), the worker(s) and nginx.
#
#   scripts/run.sh            # then open http://127.0.0.1:8080 (Ctrl-C stops everything)
#   ALERT_RELAY_RESPONDERS=2 ALERT_RELAY_WORKERS=2 scripts/run.sh    # a small fleet
#
# State lives in <repo>/.data/: the PostgreSQL cluster (pg/, kept between runs), the admin
# token (admin-token), the mail outbox (outbox/), sockets and pid files (run/) and logs (log/).
# As root, when `postgres` or nginx's `nobody` workers cannot reach <repo>/.data (a clone in
# root's 0700 home folder, say), the cluster, the sockets, the pid files and nginx's folder go to
# /var/lib/alert-relay-dev/<hash of the checkout path>/ instead (kept between runs; the output
# says where); the admin token, the outbox and the logs stay in .data/.
#
# A responder or worker that dies is started again, like systemd's Restart=on-failure: after
# 1 s, doubling up to 30 s while it keeps dying, back to 1 s once it stayed up for 60 s; one that
# exits with status 0 stays stopped. Ctrl-C or SIGTERM stops everything (exit 0).
#
# Environment (see the README's configuration table; every ALERT_RELAY_* variable is passed on):
#   ALERT_RELAY_PORT (8080)        nginx port on 127.0.0.1
#   ALERT_RELAY_PG_PORT (55432)    port of the local PostgreSQL cluster
#   ALERT_RELAY_RESPONDERS (1)     responder processes, each on its own unix socket
#   ALERT_RELAY_WORKERS (1)        worker processes (0: none)
#   ALERT_RELAY_THREADS (8)        threads of each responder
#   ALERT_RELAY_WORKER_CONCURRENCY (4)  sender threads of each worker
#   ALERT_RELAY_BIN_DIR            use the alert-relay-fcgi and alert-relay-worker found here
#                                  instead of building (e.g. .build/release)
#   DATABASE_URL                   use this database instead of the local cluster
#   ALERT_RELAY_ADMIN_TOKEN        admin token (default: generated once, kept in .data/admin-token)
#   ALERT_RELAY_LINK_KEY           key of the e-mails' sign-in links (default: generated once, kept in .data/link-key)
set -euo pipefail
umask 022

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$AR_REPO"

data=$AR_REPO/.data
ar_mkdir_shared "$data" "$data/run" "$data/log"

export ALERT_RELAY_PORT=${ALERT_RELAY_PORT:-8080}
pg_port=${ALERT_RELAY_PG_PORT:-55432}
threads=${ALERT_RELAY_THREADS:-8}
worker_concurrency=${ALERT_RELAY_WORKER_CONCURRENCY:-4}
responders=${ALERT_RELAY_RESPONDERS:-1}
workers=${ALERT_RELAY_WORKERS:-1}
if ! [[ $responders =~ ^[0-9]+$ ]] || ((responders < 1 || responders > 32)); then
    ar_die "ALERT_RELAY_RESPONDERS must be a number from 1 to 32 (got '$responders')"
fi
if ! [[ $workers =~ ^[0-9]+$ ]] || ((workers > 32)); then
    ar_die "ALERT_RELAY_WORKERS must be a number from 0 to 32 (got '$workers')"
fi

ar_install_packages

ar_port_free "$ALERT_RELAY_PORT" ||
    ar_die "port $ALERT_RELAY_PORT on 127.0.0.1 is in use (another run.sh?); set ALERT_RELAY_PORT"

if [[ -n ${ALERT_RELAY_BIN_DIR:-} ]]; then
    bin_dir=$(cd "$ALERT_RELAY_BIN_DIR" && pwd) || ar_die "ALERT_RELAY_BIN_DIR=$ALERT_RELAY_BIN_DIR is not a folder"
    ar_log "using the binaries in $bin_dir (ALERT_RELAY_BIN_DIR; not building)"
else
    ar_log "building (swift build -c release)"
    swift build -c release
    bin_dir=$(swift build -c release --show-bin-path)
fi
for exe in alert-relay-fcgi alert-relay-worker; do
    [[ -x $bin_dir/$exe ]] || ar_die "$bin_dir/$exe is missing or not executable"
done

# --- where the services live ----------------------------------------------------------------
# `postgres` (the cluster) and nginx's `nobody` workers (sockets, temp folders) must reach this
# folder: .data itself when they can, otherwise (root only) a per-checkout folder under
# /var/lib/alert-relay-dev. Not /tmp: the cluster is kept between runs.
if ar_is_root && [[ -z ${DATABASE_URL:-} ]]; then
    _ar_pg_ensure_user # so that the reachability check below can ask it
fi
svc=
ar_persistent_service_dir svc "$data"
ar_mkdir_shared "$svc/run" "$svc/nginx" "$svc/log"
if [[ $svc != "$data" ]]; then
    ar_log "postgres/nobody cannot reach $data; PostgreSQL, sockets and nginx live in $svc"
fi

# Stop whatever we start on exit; Ctrl-C and SIGTERM are a normal way to stop (exit 0).
ar_setup_traps 0

# --- PostgreSQL ---------------------------------------------------------------------------
pg_log=$svc/log/postgresql.log
if [[ -z ${DATABASE_URL:-} ]]; then
    ar_pg_init "$svc/pg" "$pg_port"
    ar_pg_start "$svc/pg" "$pg_port" "$pg_log"
    ar_pg_createdb alertrelay
    DATABASE_URL=$(ar_pg_conninfo alertrelay)
    pg_where="port $AR_PG_PORT, socket folder $AR_PG_SOCKDIR, data $AR_PG_DIR/pgdata (log $pg_log)"
else
    ar_log "using DATABASE_URL from the environment"
    pg_where="DATABASE_URL from the environment"
fi
export DATABASE_URL
# Every log in one place: link the ones that had to live elsewhere.
if [[ $svc != "$data" ]]; then
    [[ -e $pg_log ]] && ln -sfn "$pg_log" "$data/log/postgresql.log"
    ln -sfn "$svc/nginx/nginx-error.log" "$data/log/nginx-error.log"
fi

# --- configuration ------------------------------------------------------------------------
if [[ -z ${ALERT_RELAY_ADMIN_TOKEN:-} ]]; then
    if [[ ! -s $data/admin-token ]]; then
        (
            umask 077
            ar_random_token >"$data/admin-token"
        )
    fi
    chmod 600 "$data/admin-token"
    ALERT_RELAY_ADMIN_TOKEN=$(<"$data/admin-token")
fi
export ALERT_RELAY_ADMIN_TOKEN
# The key that signs the owner e-mails' sign-in links: generated once and kept like the admin token (a new key
# invalidates every link sent before).
if [[ -z ${ALERT_RELAY_LINK_KEY:-} ]]; then
    if [[ ! -s $data/link-key ]]; then
        (
            umask 077
            ar_random_token >"$data/link-key"
        )
    fi
    chmod 600 "$data/link-key"
    ALERT_RELAY_LINK_KEY=$(<"$data/link-key")
fi
export ALERT_RELAY_LINK_KEY
export ALERT_RELAY_URL_PREFIX=${ALERT_RELAY_URL_PREFIX:-http://127.0.0.1:$ALERT_RELAY_PORT}
export ALERT_RELAY_MAIL_TRANSPORT=${ALERT_RELAY_MAIL_TRANSPORT:-file}
export ALERT_RELAY_MAIL_DIR=${ALERT_RELAY_MAIL_DIR:-$data/outbox}
export ALERT_RELAY_MAX_BODY_BYTES=${ALERT_RELAY_MAX_BODY_BYTES:-1048576}
mkdir -p "$ALERT_RELAY_MAIL_DIR"

ar_log "applying migrations"
"$bin_dir/alert-relay-fcgi" migrate --directory "$AR_REPO/sql"

# --- the supervised processes ---------------------------------------------------------------
# One slot per responder and worker. A slot remembers its process, when it started and how long
# to wait before the next restart.
slot_name=() slot_kind=() slot_file=() slot_log=() slot_socket=() slot_metrics=()
slot_pid=() slot_started=() slot_delay=() slot_due=()
restart_first=1 restart_max=30 restart_reset_after=60

for ((n = 1; n <= responders; n++)); do
    slot_name+=("responder $n") slot_kind+=(responder) slot_file+=("responder-$n")
    slot_log+=("$data/log/responder-$n.log") slot_socket+=("$svc/run/fcgi-$n.sock") slot_metrics+=("")
done
for ((n = 1; n <= workers; n++)); do
    metrics=${ALERT_RELAY_WORKER_METRICS_FILE:-}
    # Each worker writes its own file: node_exporter's textfile collector reads every *.prom.
    if [[ -n $metrics ]] && ((workers > 1)); then metrics=${metrics%.prom}-$n.prom; fi
    slot_name+=("worker $n") slot_kind+=(worker) slot_file+=("worker-$n")
    slot_log+=("$data/log/worker-$n.log") slot_socket+=("") slot_metrics+=("$metrics")
done
for i in "${!slot_name[@]}"; do
    slot_pid[i]='' slot_started[i]=0 slot_delay[i]=$restart_first slot_due[i]=0
done

# start_slot I — start slot I's process; record its pid (also in <svc>/run/<name>.pid).
start_slot() {
    local i=$1
    case ${slot_kind[i]} in
    responder)
        rm -f "${slot_socket[i]}"
        ar_spawn "${slot_name[i]}" "${slot_log[i]}" \
            "$bin_dir/alert-relay-fcgi" serve --socket "${slot_socket[i]}" --threads "$threads"
        ;;
    worker)
        ALERT_RELAY_WORKER_METRICS_FILE=${slot_metrics[i]} ar_spawn "${slot_name[i]}" "${slot_log[i]}" \
            "$bin_dir/alert-relay-worker" --concurrency "$worker_concurrency"
        ;;
    esac
    slot_pid[i]=$AR_LAST_PID
    slot_started[i]=$SECONDS
    echo "$AR_LAST_PID" >"$svc/run/${slot_file[i]}.pid"
}

# describe_exit STATUS — "exited with status 3" or "was killed by SIGKILL".
describe_exit() {
    if (($1 > 128)); then
        echo "was killed by SIG$(kill -l "$(($1 - 128))" 2>/dev/null || echo "$(($1 - 128))")"
    else
        echo "exited with status $1"
    fi
}

# supervise_once — reap dead processes, schedule their restart, start the ones due.
supervise_once() {
    local i pid status up now=$SECONDS
    for i in "${!slot_name[@]}"; do
        pid=${slot_pid[i]}
        if [[ -n $pid ]] && ! ar_pid_alive "$pid"; then
            status=0
            wait "$pid" 2>/dev/null || status=$?
            ar_forget_pid "$pid"
            slot_pid[i]=''
            up=$((now - slot_started[i]))
            if ((status == 0)); then
                ar_warn "${slot_name[i]} (pid $pid) exited with status 0 after ${up}s; not restarting it (as Restart=on-failure would not); see ${slot_log[i]}"
                slot_due[i]=never
                continue
            fi
            ((up < restart_reset_after)) || slot_delay[i]=$restart_first
            ar_warn "${slot_name[i]} (pid $pid) $(describe_exit "$status") after ${up}s; restarting it in ${slot_delay[i]}s (see ${slot_log[i]})"
            slot_due[i]=$((now + slot_delay[i]))
            slot_delay[i]=$((slot_delay[i] * 2 > restart_max ? restart_max : slot_delay[i] * 2))
        fi
        if [[ -z ${slot_pid[i]} && ${slot_due[i]} != never ]] && ((now >= slot_due[i])); then
            start_slot "$i"
            ar_log "${slot_name[i]} restarted (pid ${slot_pid[i]})"
        fi
    done
    # A responder that exited cleanly stays down; with none left there is nothing to serve.
    for i in "${!slot_name[@]}"; do
        [[ ${slot_kind[i]} == responder && ${slot_due[i]} != never ]] && return 0
    done
    ar_warn "no responder is left running; stopping"
    exit 1
}

for i in "${!slot_name[@]}"; do
    [[ ${slot_kind[i]} == responder ]] && start_slot "$i"
done
for i in "${!slot_name[@]}"; do
    [[ ${slot_kind[i]} == responder ]] || continue
    ar_wait_until "${slot_name[i]} socket ${slot_socket[i]}" 30 "${slot_pid[i]}" test -S "${slot_socket[i]}"
done
for i in "${!slot_name[@]}"; do
    [[ ${slot_kind[i]} == worker ]] && start_slot "$i"
done

# --- nginx: one upstream over every responder socket, connections kept --------------------
# Kept connections are fine with any number of responders: each responder serves its kept
# connections from an epoll set (any free thread takes the next request), not one thread per
# connection as libfcgi's own accept loop would (PLATFORM §4).
sockets=()
for i in "${!slot_name[@]}"; do
    [[ ${slot_kind[i]} == responder ]] && sockets+=("${slot_socket[i]}")
done
ar_nginx_render nginx/alert-relay.conf.template "$svc/nginx/nginx.conf" \
    PREFIX="$svc/nginx" PORT="$ALERT_RELAY_PORT" SOCKET="${sockets[0]}" \
    MAX_BODY="$ALERT_RELAY_MAX_BODY_BYTES" ACCESS_LOG="$data/log/nginx-access.log"
ar_nginx_upstream_servers "$svc/nginx/nginx.conf" "${sockets[@]}"
ar_nginx_start "$svc/nginx/nginx.conf" "$svc/nginx"
keepalive=$(awk '$1 == "keepalive" { sub(";", "", $2); print $2; exit }' "$svc/nginx/nginx.conf")

base_url=http://127.0.0.1:$ALERT_RELAY_PORT
ar_wait_until "GET $base_url/healthz" 60 "${slot_pid[0]}" ar_http_ok "$base_url/healthz"

# --- what runs where ------------------------------------------------------------------------
{
    echo
    echo "alert-relay is running at $base_url  (Ctrl-C stops everything)"
    echo
    printf '  %-13s 127.0.0.1:%s, upstream of %s responder socket(s), keepalive %s per nginx worker; pid %s, config %s\n' \
        nginx "$ALERT_RELAY_PORT" "$responders" "${keepalive:-?}" "$(<"$svc/nginx/nginx.pid")" "$svc/nginx/nginx.conf"
    for i in "${!slot_name[@]}"; do
        if [[ ${slot_kind[i]} == responder ]]; then
            printf '  %-13s pid %s, unix:%s, %s threads, log %s\n' \
                "${slot_name[i]}" "${slot_pid[i]}" "${slot_socket[i]}" "$threads" "${slot_log[i]}"
        else
            printf '  %-13s pid %s, %s sender threads, log %s%s\n' "${slot_name[i]}" "${slot_pid[i]}" \
                "$worker_concurrency" "${slot_log[i]}" "${slot_metrics[i]:+, metrics ${slot_metrics[i]}}"
        fi
    done
    printf '  %-13s %s\n' PostgreSQL "$pg_where"
    printf '  %-13s %s (admin token, outbox, logs)\n' state "$data"
    if [[ $svc != "$data" ]]; then
        printf '  %-13s %s (as root: postgres and nobody cannot reach %s)\n' services "$svc" "$data"
    fi
    echo "  pid files     $svc/run/*.pid; a responder or worker that dies is restarted (1 s, doubling to 30 s)"
    cat <<EOF

Admin token: $ALERT_RELAY_ADMIN_TOKEN

Create an organization:
  curl -sS -X POST $base_url/api/0/organizations \\
    -H 'Authorization: Bearer $ALERT_RELAY_ADMIN_TOKEN' \\
    -H 'Content-Type: application/json' \\
    -d '{"slug": "acme", "name": "Acme"}'

EOF
}

# --- keep serving until Ctrl-C / SIGTERM (trap: exit 0, cleanup) ----------------------------
while true; do
    supervise_once
    # In the background and waited for, so that a signal runs the trap at once. (stderr: bash
    # would report "Killed" for a child reaped meanwhile; supervise_once says it better.)
    sleep 0.5 &
    wait $! 2>/dev/null || true
done
