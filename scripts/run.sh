#!/usr/bin/env bash
# Build and run alert-relay locally: PostgreSQL, the FastCGI responder, the worker and nginx.
#
#   scripts/run.sh            # then open http://127.0.0.1:8080 (Ctrl-C stops everything)
#
# State lives in <repo>/.data/: the PostgreSQL cluster (pg/, kept between runs), the admin
# token (admin-token), the mail outbox (outbox/), sockets (run/) and logs (log/).
#
# Environment (see API.md "Configuration names"; every ALERT_RELAY_* variable is passed on):
#   ALERT_RELAY_PORT (8080)        nginx port on 127.0.0.1
#   ALERT_RELAY_PG_PORT (55432)    port of the local PostgreSQL cluster
#   ALERT_RELAY_THREADS (8)       responder threads
#   ALERT_RELAY_WORKER_CONCURRENCY (4)
#   DATABASE_URL                   use this database instead of the local cluster
#   ALERT_RELAY_ADMIN_TOKEN        admin token (default: generated once, kept in .data/admin-token)
set -euo pipefail
umask 022

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$AR_REPO"

data=$AR_REPO/.data
ar_mkdir_shared "$data" "$data/run" "$data/log" "$data/nginx"

export ALERT_RELAY_PORT=${ALERT_RELAY_PORT:-8080}
pg_port=${ALERT_RELAY_PG_PORT:-55432}
threads=${ALERT_RELAY_THREADS:-8}
worker_concurrency=${ALERT_RELAY_WORKER_CONCURRENCY:-4}

ar_install_packages

ar_port_free "$ALERT_RELAY_PORT" ||
    ar_die "port $ALERT_RELAY_PORT on 127.0.0.1 is in use (another run.sh?); set ALERT_RELAY_PORT"

if ar_is_root; then
    # PostgreSQL runs as `postgres`, nginx workers as `nobody`: both must reach .data.
    ar_can_traverse nobody "$data/run" ||
        ar_warn "user nobody cannot reach $data/run (a parent folder lacks o+x): nginx will answer 503; chmod o+x the parents of $AR_REPO"
fi

ar_log "building (swift build -c release)"
swift build -c release
bin_dir=$(swift build -c release --show-bin-path)

# Stop whatever we start on exit; Ctrl-C and SIGTERM are a normal way to stop (exit 0).
ar_setup_traps 0

# --- PostgreSQL ---------------------------------------------------------------------------
if [[ -z ${DATABASE_URL:-} ]]; then
    if ar_is_root && ! ar_can_traverse postgres "$data"; then
        ar_die "user postgres cannot reach $data (a parent folder lacks o+x); chmod o+x the parents of $AR_REPO or set DATABASE_URL"
    fi
    ar_pg_init "$data/pg" "$pg_port"
    ar_pg_start "$data/pg" "$pg_port" "$data/log/postgresql.log"
    ar_pg_createdb alertrelay
    DATABASE_URL=$(ar_pg_conninfo alertrelay)
else
    ar_log "using DATABASE_URL from the environment"
fi
export DATABASE_URL

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
export ALERT_RELAY_URL_PREFIX=${ALERT_RELAY_URL_PREFIX:-http://127.0.0.1:$ALERT_RELAY_PORT}
export ALERT_RELAY_MAIL_TRANSPORT=${ALERT_RELAY_MAIL_TRANSPORT:-file}
export ALERT_RELAY_MAIL_DIR=${ALERT_RELAY_MAIL_DIR:-$data/outbox}
export ALERT_RELAY_MAX_BODY_BYTES=${ALERT_RELAY_MAX_BODY_BYTES:-1048576}
mkdir -p "$ALERT_RELAY_MAIL_DIR"

ar_log "applying migrations"
"$bin_dir/alert-relay-fcgi" migrate

# --- responder, worker, nginx -------------------------------------------------------------
socket=$data/run/fcgi.sock
rm -f "$socket"
ar_spawn responder "$data/log/responder.log" \
    "$bin_dir/alert-relay-fcgi" --socket "$socket" --threads "$threads"
responder_pid=$AR_LAST_PID
ar_wait_until "responder socket $socket" 30 "$responder_pid" test -S "$socket"

ar_spawn worker "$data/log/worker.log" \
    "$bin_dir/alert-relay-worker" --concurrency "$worker_concurrency"
worker_pid=$AR_LAST_PID

ar_nginx_render nginx/alert-relay.conf.template "$data/nginx/nginx.conf" \
    PREFIX="$data/nginx" PORT="$ALERT_RELAY_PORT" SOCKET="$socket" \
    MAX_BODY="$ALERT_RELAY_MAX_BODY_BYTES" ACCESS_LOG="$data/log/nginx-access.log"
ar_nginx_start "$data/nginx/nginx.conf" "$data/nginx"

base_url=http://127.0.0.1:$ALERT_RELAY_PORT
ar_wait_until "GET $base_url/healthz" 60 "$responder_pid" ar_http_ok "$base_url/healthz"

cat <<EOF

alert-relay is running at $base_url  (logs: $data/log/, Ctrl-C stops everything)

Admin token: $ALERT_RELAY_ADMIN_TOKEN

Create an organization:
  curl -sS -X POST $base_url/api/0/organizations \\
    -H 'Authorization: Bearer $ALERT_RELAY_ADMIN_TOKEN' \\
    -H 'Content-Type: application/json' \\
    -d '{"slug": "acme", "name": "Acme"}'

EOF

# Wait until Ctrl-C / SIGTERM (trap: exit 0, cleanup) or until a service dies (exit 1).
status=0
wait -n "$responder_pid" "$worker_pid" || status=$?
ar_pid_alive "$responder_pid" || ar_warn "the responder exited (status $status); see $data/log/responder.log"
ar_pid_alive "$worker_pid" || ar_warn "the worker exited (status $status); see $data/log/worker.log"
ar_dump_logs 20
exit 1
