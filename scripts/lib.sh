# shellcheck shell=bash disable=SC2034 # globals here are read by the scripts sourcing this file
# Shared functions for scripts/run.sh, scripts/test.sh and scripts/bench.sh.
#
# Source it from a script that runs under `set -euo pipefail`:
#     source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Conventions:
# - Log lines go to stderr; functions that produce a value print only that value on stdout.
# - Everything a script starts is recorded (AR_CLEANUP_*), and `ar_cleanup` stops it again.
#   `ar_setup_traps` installs `ar_cleanup` on EXIT, so it runs however the script ends.
# - As root, PostgreSQL runs as the `postgres` user (initdb and postgres refuse root); the
#   responder, worker and nginx master run as root, nginx workers as `nobody`.

# The repository root (the folder holding Package.swift).
AR_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The PostgreSQL superuser created by initdb; clients connect as this role, no password.
AR_PG_USER=alertrelay
# Longest unix socket path we accept (sun_path holds 108 bytes including the NUL).
AR_MAX_SOCKET_PATH=100

# What `ar_cleanup` stops or removes, in this order: process groups, nginx prefixes, pid
# files, child pids, PostgreSQL data dirs, paths.
AR_CLEANUP_GROUPS=()
AR_CLEANUP_NGINX=()
AR_CLEANUP_PIDFILES=()
AR_CLEANUP_PIDS=()
AR_CLEANUP_PG=()
AR_CLEANUP_PATHS=()
# Log files whose tails `ar_dump_logs` prints.
AR_LOG_FILES=()
# Set by ar_spawn: pid of the last process started.
AR_LAST_PID=
# Set by ar_pg_start: the running cluster.
AR_PG_DIR=
AR_PG_PORT=
AR_PG_SOCKDIR=
# Set by ar_venv: python3 of the venv.
AR_PYTHON=

# ---------------------------------------------------------------------------------------------
# Logging and small helpers

ar_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
ar_warn() { printf '[%s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
ar_die() {
    printf '[%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2
    exit 1
}

ar_is_root() { [[ $(id -u) -eq 0 ]]; }

# ar_sbin NAME — path of a program that may live in /usr/sbin or /sbin, which are not on a
# normal user's PATH on Debian (nginx, runuser, useradd).
ar_sbin() {
    local dir
    if command -v "$1" 2>/dev/null; then return 0; fi
    for dir in /usr/local/sbin /usr/sbin /sbin; do
        if [[ -x $dir/$1 ]]; then
            echo "$dir/$1"
            return 0
        fi
    done
    ar_die "$1 not found"
}

# ar_pid_alive PID — true if PID runs. A zombie (exited, not yet reaped) counts as dead:
# in this sandbox daemonised processes are not always reaped (PLATFORM §3), so `kill -0`
# alone would report them alive forever.
ar_pid_alive() {
    local pid=$1 stat state
    [[ -n $pid && -r /proc/$pid/stat ]] || return 1
    stat=$(<"/proc/$pid/stat") || return 1
    # Field 3, after the parenthesised command name (which may itself contain spaces).
    state=${stat##*) }
    state=${state%% *}
    [[ $state != Z && $state != X ]]
}

# ar_wait_until DESCRIPTION TIMEOUT_SECONDS PID|- COMMAND... — run COMMAND every 0.2 s until
# it succeeds. Fails (after printing the log tails) on timeout, or as soon as PID has died.
ar_wait_until() {
    local desc=$1 timeout=$2 pid=$3
    shift 3
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if [[ $pid != - ]] && ! ar_pid_alive "$pid"; then
            ar_dump_logs 40
            ar_die "$desc: the process ($pid) exited before it was ready"
        fi
        if ((SECONDS >= deadline)); then
            ar_dump_logs 40
            ar_die "$desc: not ready after ${timeout}s"
        fi
        sleep 0.2
    done
}

# ar_http_ok URL — true if URL answers 2xx within 2 s.
ar_http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

# ar_port_listening PORT — true if something listens on TCP PORT (any address). Reads
# /proc/net/tcp{,6} instead of connecting, so it can watch a canary that must never
# receive a connection.
ar_port_listening() {
    local hex
    hex=$(printf '%04X' "$1")
    # Columns: sl local_address rem_address st ...; state 0A is LISTEN.
    awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# ar_free_port [HOST] — a TCP port that is free on HOST (default 127.0.0.1) right now.
ar_free_port() {
    python3 -c 'import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
print(s.getsockname()[1])
s.close()' "${1:-127.0.0.1}"
}

# ar_port_free PORT [HOST] — true if PORT can be bound on HOST (default 127.0.0.1).
ar_port_free() {
    python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((sys.argv[2], int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1" "${2:-127.0.0.1}"
}

# ar_random_token — 43 URL-safe characters (256 bits).
ar_random_token() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }

# ar_can_traverse USER DIR — true if USER can reach DIR (every parent has the x bit for it).
# Always true when not root (the services then run as ourselves).
ar_can_traverse() {
    local user=$1 dir=$2
    ar_is_root || return 0
    (cd / && "$(ar_sbin runuser)" -u "$user" -- test -x "$dir") 2>/dev/null
}

# ar_mkdir_shared DIR... — create DIR (and parents) readable and traversable by everyone
# (0755), so that `postgres` and nginx's `nobody` workers can reach what lies inside.
ar_mkdir_shared() {
    local dir
    for dir in "$@"; do
        mkdir -p "$dir"
        chmod 0755 "$dir"
    done
}

# ar_service_dir VAR WANTED — set VAR to WANTED if it is a usable home for sockets and the
# PostgreSQL cluster: short enough for unix socket paths, and (as root) traversable by
# `postgres` and `nobody`. Otherwise set VAR to a fresh folder under /tmp, which is removed
# at cleanup. WANTED is created (0755) first.
ar_service_dir() {
    local -n _ar_out=$1
    local wanted=$2
    ar_mkdir_shared "$wanted"
    wanted=$(cd "$wanted" && pwd)
    # Longest socket we put below it: pg/pgsock/.s.PGSQL.NNNNN.lock
    if ((${#wanted} + 32 <= AR_MAX_SOCKET_PATH)) &&
        ar_can_traverse postgres "$wanted" && ar_can_traverse nobody "$wanted"; then
        _ar_out=$wanted
        return
    fi
    _ar_out=$(mktemp -d /tmp/alert-relay.XXXXXX)
    chmod 0755 "$_ar_out"
    AR_CLEANUP_PATHS+=("$_ar_out")
    ar_warn "$wanted is too long for unix sockets or not reachable by postgres/nobody; using $_ar_out"
}

# Where scripts/run.sh keeps, as root, what `postgres` and `nobody` must reach when the
# checkout itself is out of their reach (e.g. a clone in root's 0700 home folder).
AR_ROOT_STATE_BASE=/var/lib/alert-relay-dev

# ar_checkout_hash — 12 hex digits naming this checkout (SHA-256 of its absolute path), so that
# two clones never share a folder under AR_ROOT_STATE_BASE.
ar_checkout_hash() {
    printf '%s' "$AR_REPO" | sha256sum | cut -c1-12
}

# ar_persistent_service_dir VAR WANTED — like ar_service_dir, for state that must outlive the
# run (the run command's PostgreSQL cluster): VAR is WANTED when it is usable (always, when not
# root: nothing changes for a normal user). Otherwise, as root, VAR is
# AR_ROOT_STATE_BASE/<ar_checkout_hash> (0755, kept between runs, never removed by ar_cleanup;
# its file `checkout` names the checkout it belongs to).
ar_persistent_service_dir() {
    local -n _ar_pout=$1
    local wanted=$2
    ar_mkdir_shared "$wanted"
    wanted=$(cd "$wanted" && pwd)
    if ! ar_is_root || { ((${#wanted} + 32 <= AR_MAX_SOCKET_PATH)) &&
        ar_can_traverse postgres "$wanted" && ar_can_traverse nobody "$wanted"; }; then
        _ar_pout=$wanted
        return
    fi
    _ar_pout=$AR_ROOT_STATE_BASE/$(ar_checkout_hash)
    ar_mkdir_shared "$AR_ROOT_STATE_BASE" "$_ar_pout"
    printf '%s\n' "$AR_REPO" >"$_ar_pout/checkout"
}

# ---------------------------------------------------------------------------------------------
# Packages

AR_APT_PACKAGES=(
    libfcgi-dev libpq-dev libcurl4-openssl-dev nginx postgresql postgresql-contrib
    pkg-config wrk python3-venv curl
)

# What scripts/test.sh needs on top: headless Chromium and its WebDriver for scripts/browser_test.py.
AR_TEST_APT_PACKAGES=(chromium chromium-driver)

# What scripts/test-ops.sh needs on top: systemd-analyze and systemd-sysusers (systemd),
# cgi-fcgi (libfcgi-bin), openssl (a throwaway certificate), git (to copy the checkout).
AR_OPS_APT_PACKAGES=(systemd libfcgi-bin openssl git)

# ar_install_packages [PACKAGE...] — make sure the toolchain and the Debian packages (the list
# above plus any given) are there. Installs missing packages with apt-get (through sudo when not
# root); prints the command instead when that is impossible.
# shellcheck disable=SC2120 # the extra packages are optional
ar_install_packages() {
    command -v swift >/dev/null 2>&1 ||
        ar_die "swift is not on PATH; install the Swift 6 toolchain (https://www.swift.org/install/) first"
    if ! command -v dpkg-query >/dev/null 2>&1; then
        ar_warn "dpkg-query not found (not Debian/Ubuntu?); make sure these are installed: ${AR_APT_PACKAGES[*]} $*"
        return 0
    fi
    local pkg missing=()
    for pkg in "${AR_APT_PACKAGES[@]}" "$@"; do
        if [[ $(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) != installed ]]; then
            missing+=("$pkg")
        fi
    done
    ((${#missing[@]} == 0)) && return 0
    ar_log "missing packages: ${missing[*]}"
    local sudo=()
    if ! ar_is_root; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            printf 'Run as root:\n  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y %s\n' \
                "${missing[*]}" >&2
            exit 1
        fi
    fi
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL: a private cluster in DIR/pgdata with its socket in DIR/pgsock.

# ar_pg_bin — the folder holding initdb/pg_ctl/psql; PostgreSQL 15 preferred, else the newest.
ar_pg_bin() {
    if [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
        echo /usr/lib/postgresql/15/bin
        return
    fi
    local candidates
    candidates=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/pg_ctl' 2>/dev/null | sort -V | tail -n 1)
    [[ -n $candidates ]] || ar_die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
    dirname "$candidates"
}

# _ar_pg_as_owner COMMAND... — run COMMAND as the cluster owner: `postgres` when we are root,
# ourselves otherwise. Runs from / so that `postgres` never needs access to our cwd.
_ar_pg_as_owner() {
    if ar_is_root; then
        (cd / && "$(ar_sbin runuser)" -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

# _ar_pg_ensure_user — as root, make sure the `postgres` user exists.
_ar_pg_ensure_user() {
    ar_is_root || return 0
    id -u postgres >/dev/null 2>&1 && return 0
    ar_log "creating system user postgres"
    "$(ar_sbin useradd)" -r -M -d /nonexistent -s /usr/sbin/nologin postgres
}

# _ar_pg_write_conf DIR PORT — our settings, included from postgresql.conf.
_ar_pg_write_conf() {
    local dir=$1 port=$2 conf="$1/pgdata/alert_relay.conf"
    local tmp="$conf.tmp"
    {
        echo "# Written by scripts/lib.sh (ar_pg_init / ar_pg_start); rewritten on each start."
        echo "port = $port"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$dir/pgsock'"
        echo "max_connections = 300"
    } >"$tmp"
    ar_is_root && chown postgres: "$tmp"
    mv -f "$tmp" "$conf"
}

# ar_pg_init DIR PORT — create the cluster unless DIR/pgdata already holds one.
ar_pg_init() {
    local dir port=$2 bin
    mkdir -p "$1"
    dir=$(cd "$1" && pwd)
    bin=$(ar_pg_bin)
    _ar_pg_ensure_user
    local lock="$dir/pgsock/.s.PGSQL.$port.lock"
    ((${#lock} <= AR_MAX_SOCKET_PATH)) ||
        ar_die "$dir is too deep for a unix socket path ($lock); use a shorter path"
    mkdir -p "$dir/pgdata" "$dir/pgsock"
    chmod 0700 "$dir/pgdata"
    chmod 0755 "$dir/pgsock"
    if ar_is_root; then
        chown postgres: "$dir/pgdata" "$dir/pgsock"
        ar_can_traverse postgres "$dir/pgdata" ||
            ar_die "user postgres cannot reach $dir (a parent folder lacks o+x); move the repository or chmod o+x its parents"
    fi
    if [[ ! -f $dir/pgdata/PG_VERSION ]]; then
        ar_log "initdb $dir/pgdata"
        _ar_pg_as_owner "$bin/initdb" -D "$dir/pgdata" -U "$AR_PG_USER" --auth=trust -E UTF8 \
            --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
            {
                cat "$dir/initdb.log" >&2
                ar_die "initdb failed"
            }
        echo "include_if_exists = 'alert_relay.conf'" >>"$dir/pgdata/postgresql.conf"
    fi
    _ar_pg_write_conf "$dir" "$port"
}

# ar_pg_running DIR — true if the cluster in DIR/pgdata runs (pg_ctl status, not pgrep).
ar_pg_running() {
    [[ -f $1/pgdata/PG_VERSION ]] || return 1
    _ar_pg_as_owner "$(ar_pg_bin)/pg_ctl" status -D "$1/pgdata" >/dev/null 2>&1
}

# ar_pg_start DIR PORT [LOGFILE] — start the cluster (ar_pg_init first) unless it runs already,
# then wait until it accepts connections. A cluster we start is stopped by ar_cleanup; one that
# was already running is left alone. Sets AR_PG_DIR, AR_PG_PORT, AR_PG_SOCKDIR.
ar_pg_start() {
    local dir port=$2 log=${3:-} bin
    dir=$(cd "$1" && pwd)
    log=${log:-$dir/pgdata/server.log}
    bin=$(ar_pg_bin)
    AR_PG_DIR=$dir
    AR_PG_SOCKDIR=$dir/pgsock
    if ar_pg_running "$dir"; then
        # Line 4 of postmaster.pid is the port it listens on.
        AR_PG_PORT=$(sed -n 4p "$dir/pgdata/postmaster.pid")
        [[ $AR_PG_PORT == "$port" ]] ||
            ar_warn "PostgreSQL in $dir already runs on port $AR_PG_PORT (wanted $port); using it"
        ar_log "PostgreSQL in $dir already running on port $AR_PG_PORT; reusing it"
    else
        AR_PG_PORT=$port
        _ar_pg_write_conf "$dir" "$port"
        touch "$log"
        ar_is_root && chown postgres: "$log"
        ar_log "starting PostgreSQL ($dir, port $port, log $log)"
        AR_LOG_FILES+=("$log")
        _ar_pg_as_owner "$bin/pg_ctl" -D "$dir/pgdata" -l "$log" -w -t 60 start >/dev/null ||
            {
                tail -n 30 "$log" >&2
                ar_die "PostgreSQL did not start"
            }
        AR_CLEANUP_PG+=("$dir")
    fi
    ar_pg_wait 30
}

# ar_pg_stop DIR — stop the cluster if it runs (fast shutdown, waits).
ar_pg_stop() {
    local dir=$1
    if ar_pg_running "$dir"; then
        ar_log "stopping PostgreSQL ($dir)"
        _ar_pg_as_owner "$(ar_pg_bin)/pg_ctl" -D "$dir/pgdata" -m fast -w -t 60 stop >/dev/null && return 0
    fi
    # pg_ctl failed, or it (or the status check) was cut short: runuser passes a second Ctrl-C
    # on as SIGTERM even while we ignore SIGINT. Check the pid file and stop it ourselves.
    _ar_pg_stop_postmaster "$dir"
}

# _ar_pg_stop_postmaster DIR — SIGINT (fast shutdown) to the postmaster named in
# DIR/pgdata/postmaster.pid, then wait up to 60 s until it is gone. No runuser or pg_ctl,
# so no signal to us can cut it short.
_ar_pg_stop_postmaster() {
    local pidfile=$1/pgdata/postmaster.pid pid comm
    [[ -s $pidfile ]] || return 0
    pid=$(head -n 1 "$pidfile" 2>/dev/null) || return 0
    [[ $pid =~ ^[0-9]+$ ]] && ar_pid_alive "$pid" || return 0
    comm=$(<"/proc/$pid/comm") || return 0
    [[ $comm == postgres* ]] || return 0 # a stale pid file whose pid was reused
    ar_log "stopping PostgreSQL ($1, postmaster $pid)"
    kill -INT "$pid" 2>/dev/null || true
    _ar_wait_gone "$pid" 60 || ar_warn "PostgreSQL ($pid, $1) did not stop within 60 s"
}

# ar_pg_wait [TIMEOUT] — wait until the cluster from ar_pg_start accepts connections.
ar_pg_wait() {
    ar_wait_until "PostgreSQL on port $AR_PG_PORT" "${1:-30}" - \
        "$(ar_pg_bin)/pg_isready" -q -h "$AR_PG_SOCKDIR" -p "$AR_PG_PORT" -U "$AR_PG_USER" -d postgres
}

# ar_pg_psql ARGS... — psql as the superuser against the cluster from ar_pg_start.
ar_pg_psql() {
    "$(ar_pg_bin)/psql" -X -v ON_ERROR_STOP=1 -q -h "$AR_PG_SOCKDIR" -p "$AR_PG_PORT" -U "$AR_PG_USER" "$@"
}

# ar_pg_createdb NAME — create database NAME in the cluster from ar_pg_start unless it exists.
ar_pg_createdb() {
    local name=$1
    [[ $name =~ ^[a-z_][a-z0-9_]*$ ]] || ar_die "unexpected database name: $name"
    if [[ $(ar_pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'") != 1 ]]; then
        ar_log "creating database $name"
        ar_pg_psql -d postgres -c "CREATE DATABASE $name"
    fi
}

# ar_pg_conninfo DBNAME — libpq conninfo for DBNAME in the cluster from ar_pg_start.
ar_pg_conninfo() {
    local host=$AR_PG_SOCKDIR
    # conninfo values with spaces need single quotes (and \ before ' and \).
    if [[ $host == *[[:space:]\'\\]* ]]; then
        host=${host//\\/\\\\}
        host="'${host//\'/\\\'}'"
    fi
    echo "host=$host port=$AR_PG_PORT user=$AR_PG_USER dbname=$1"
}

# ---------------------------------------------------------------------------------------------
# Python venv for the test helpers

# Pinned so that a fixed seed generates the same cases on every machine.
AR_SCHEMATHESIS_VERSION=4.32.5
AR_OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0

AR_SELENIUM_VERSION=4.51.0
AR_AXE_SELENIUM_VERSION=2.1.6

# ar_venv DIR — create (or reuse) a venv with aiosmtpd, standardwebhooks, schemathesis,
# openapi-spec-validator, selenium and axe-selenium-python; sets AR_PYTHON.
ar_venv() {
    local dir=$1
    local check="import aiosmtpd, standardwebhooks, openapi_spec_validator, schemathesis, selenium, axe_selenium_python, sys
sys.exit(schemathesis.__version__ != '$AR_SCHEMATHESIS_VERSION' or selenium.__version__ != '$AR_SELENIUM_VERSION')"
    if [[ ! -x $dir/bin/python3 ]] || ! "$dir/bin/python3" -c "$check" 2>/dev/null; then
        ar_log "preparing Python venv in $dir"
        python3 -m venv "$dir"
        "$dir/bin/python3" -m pip install --quiet --disable-pip-version-check aiosmtpd standardwebhooks \
            "schemathesis==$AR_SCHEMATHESIS_VERSION" "openapi-spec-validator==$AR_OPENAPI_SPEC_VALIDATOR_VERSION" \
            "selenium==$AR_SELENIUM_VERSION" "axe-selenium-python==$AR_AXE_SELENIUM_VERSION"
    fi
    AR_PYTHON=$(cd "$dir/bin" && pwd)/python3
}

# ---------------------------------------------------------------------------------------------
# API conformance: schemathesis against openapi.yaml (scripts/test.sh and scripts/fuzz.sh)

# Budget of one run (one token); scripts/fuzz.sh raises them.
AR_SCHEMATHESIS_SEED=${ALERT_RELAY_SCHEMATHESIS_SEED:-20261127}
AR_SCHEMATHESIS_MAX_EXAMPLES=${ALERT_RELAY_SCHEMATHESIS_MAX_EXAMPLES:-25}
AR_SCHEMATHESIS_MAX_TIME=${ALERT_RELAY_SCHEMATHESIS_MAX_TIME:-110}

# ar_schemathesis_run LABEL TOKEN BASE_URL REPORT_DIR [ORG] — one schemathesis run over every
# operation of openapi.yaml: all phases (examples, coverage, fuzzing, stateful), all checks, the
# seed and budget above, `Authorization: Bearer TOKEN`; with ORG, the `{org}` path parameter is
# always ORG (an organization token can act only there). Prints its figures; fails when
# schemathesis found anything (or could not run).
ar_schemathesis_run() {
    local label=$1 token=$2 base_url=$3 dir=$4 org=${5:-} status=0 started
    local st
    st=$(dirname "$AR_PYTHON")/schemathesis
    rm -rf "$dir"
    mkdir -p "$dir"
    {
        echo "# Written by ar_schemathesis_run (scripts/lib.sh)."
        if [[ -n $org ]]; then
            echo "[parameters]"
            echo "\"path.org\" = \"$org\""
        fi
    } >"$dir/schemathesis.toml"
    ar_log "schemathesis ($label token): seed $AR_SCHEMATHESIS_SEED, at most $AR_SCHEMATHESIS_MAX_EXAMPLES examples per operation and phase, ${AR_SCHEMATHESIS_MAX_TIME}s"
    started=$SECONDS
    # The token travels in a header option, never in a log line of ours.
    # From the report folder: schemathesis keeps a cache folder (.schemathesis) where it runs.
    # An organization token could revoke itself (DELETE .../api-tokens/{id} with its own id) and turn
    # the rest of its run into 401s; that operation is fuzzed by the admin run.
    local exclude=()
    [[ -z $org ]] || exclude=(--exclude-operation-id deleteApiToken)
    (cd "$dir" && "$st" --config-file "$dir/schemathesis.toml" run "$AR_REPO/openapi.yaml" --url "$base_url" \
        --phases examples,coverage,fuzzing,stateful --checks all \
        --seed "$AR_SCHEMATHESIS_SEED" --max-examples "$AR_SCHEMATHESIS_MAX_EXAMPLES" \
        --max-time "$AR_SCHEMATHESIS_MAX_TIME" --workers 1 --request-timeout 65 \
        --generation-database none --no-color --output-sanitize true \
        --report ndjson,junit --report-dir "$dir" \
        "${exclude[@]}" -H "Authorization: Bearer $token") >"$dir/output.txt" 2>&1 || status=$?
    cat "$dir/output.txt" >&2
    "$AR_PYTHON" "$AR_REPO/scripts/schemathesis_figures.py" --label "$label" \
        --seconds $((SECONDS - started)) --exit-status "$status" "$dir" >&2 || ((status != 0)) || status=1
    return "$status"
}

# ar_schemathesis_suite BASE_URL DIR — validate openapi.yaml, then one run with the admin token
# (ALERT_RELAY_ADMIN_TOKEN) and one with a new organization's token holding every scope.
ar_schemathesis_suite() {
    local base_url=$1 dir=$2 status=0 slug org_token
    "$(dirname "$AR_PYTHON")/openapi-spec-validator" "$AR_REPO/openapi.yaml" >&2 || {
        ar_warn "openapi.yaml is not a valid OpenAPI document"
        return 1
    }
    slug=fuzz-$(date +%s)-$$
    curl -fsS -o /dev/null -H "Authorization: Bearer $ALERT_RELAY_ADMIN_TOKEN" -H 'Content-Type: application/json' \
        -d "{\"slug\":\"$slug\",\"name\":\"Fuzzing\"}" "$base_url/api/0/organizations" ||
        ar_die "could not create the fuzzing organization"
    org_token=$(curl -fsS -H "Authorization: Bearer $ALERT_RELAY_ADMIN_TOKEN" -H 'Content-Type: application/json' \
        -d '{"name":"schemathesis","scopes":["org:admin","alerts:write"]}' \
        "$base_url/api/0/organizations/$slug/api-tokens" |
        "$AR_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["token"])') ||
        ar_die "could not create the fuzzing organization's token"
    ar_schemathesis_run admin "$ALERT_RELAY_ADMIN_TOKEN" "$base_url" "$dir/admin" || status=1
    ar_schemathesis_run organization "$org_token" "$base_url" "$dir/organization" "$slug" || status=1
    "$AR_PYTHON" "$AR_REPO/scripts/schemathesis_figures.py" --total "$dir/admin" "$dir/organization" >&2 || status=1
    return "$status"
}

# ---------------------------------------------------------------------------------------------
# nginx

# ar_nginx_render TEMPLATE OUT NAME=VALUE... — copy TEMPLATE to OUT replacing each ${NAME}.
# Only the given names are replaced (nginx's own $variables are left alone); a ${UPPER_CASE}
# placeholder left over is an error.
ar_nginx_render() {
    local template=$1 out=$2
    shift 2
    local text pair name value
    text=$(<"$template")
    for pair in "$@"; do
        name=${pair%%=*}
        value=${pair#*=}
        [[ $name =~ ^[A-Z_][A-Z0-9_]*$ && $pair == *=* ]] || ar_die "ar_nginx_render: bad argument $pair"
        # Both the pattern and the replacement are quoted, so they are taken literally.
        text=${text//"\${$name}"/"$value"}
    done
    if [[ $text =~ \$\{[A-Z_][A-Z0-9_]*\} ]]; then
        ar_die "ar_nginx_render: $template: no value for ${BASH_REMATCH[0]}"
    fi
    printf '%s\n' "$text" >"$out"
}

# ar_nginx_upstream_servers CONF SOCKET... — CONF was rendered with the first SOCKET in its one
# `server unix:SOCKET...;` line (nginx/alert-relay.conf.template); repeat that line, with the
# same parameters, once for each SOCKET, so the upstream balances over all of them.
ar_nginx_upstream_servers() {
    local conf=$1 first=$2 line sock found=0
    shift
    local out=()
    while IFS= read -r line || [[ -n $line ]]; do
        if ((found == 0)) && [[ $line == *"server unix:$first;"* || $line == *"server unix:$first "* ]]; then
            found=1
            for sock in "$@"; do out+=("${line/"unix:$first"/"unix:$sock"}"); done
        else
            out+=("$line")
        fi
    done <"$conf"
    ((found)) || ar_die "ar_nginx_upstream_servers: no 'server unix:$first' line in $conf"
    printf '%s\n' "${out[@]}" >"$conf"
}

# ar_nginx_start CONF PREFIX — check and start nginx (daemonises; pid file PREFIX/nginx.pid,
# which the templates set). Stopped again by ar_cleanup.
ar_nginx_start() {
    local conf=$1 prefix
    prefix=$(cd "$2" && pwd)
    # As root, workers run as nobody and must reach the temp dirs and the FastCGI socket.
    chmod 0755 "$prefix"
    AR_LOG_FILES+=("$prefix/nginx-error.log")
    local nginx
    nginx=$(ar_sbin nginx)
    "$nginx" -t -q -c "$conf" -p "$prefix/" -e "$prefix/nginx-error.log" ||
        ar_die "nginx rejected $conf"
    ar_log "starting nginx ($conf)"
    "$nginx" -c "$conf" -p "$prefix/" -e "$prefix/nginx-error.log" || {
        ar_dump_logs 40
        ar_die "nginx did not start"
    }
    AR_CLEANUP_NGINX+=("$prefix")
    ar_wait_until "nginx pid file" 10 - test -s "$prefix/nginx.pid"
}

# ar_nginx_stop PREFIX — graceful stop (QUIT), TERM after 10 s. Safe if not running.
ar_nginx_stop() {
    local prefix=$1 pid
    [[ -s $prefix/nginx.pid ]] || return 0
    pid=$(<"$prefix/nginx.pid")
    ar_pid_alive "$pid" || return 0
    ar_log "stopping nginx ($prefix)"
    kill -QUIT "$pid" 2>/dev/null || true
    _ar_wait_gone "$pid" 10 || kill -TERM "$pid" 2>/dev/null || true
    _ar_wait_gone "$pid" 5 || ar_warn "nginx ($pid) did not stop"
}

# ---------------------------------------------------------------------------------------------
# Processes and cleanup

# ar_spawn NAME LOGFILE COMMAND... — start COMMAND in the background, output appended to
# LOGFILE; sets AR_LAST_PID. Stopped (TERM, then KILL) by ar_cleanup.
ar_spawn() {
    local name=$1 log=$2
    shift 2
    ar_log "starting $name (log $log)"
    "$@" >>"$log" 2>&1 </dev/null &
    AR_LAST_PID=$!
    AR_CLEANUP_PIDS+=("$AR_LAST_PID")
    AR_LOG_FILES+=("$log")
}

# ar_forget_pid PID — drop PID (reaped already) from what ar_cleanup stops, so that a later
# process that happens to get the same pid is never signalled.
ar_forget_pid() {
    local pid keep=()
    for pid in "${AR_CLEANUP_PIDS[@]}"; do
        [[ $pid == "$1" ]] || keep+=("$pid")
    done
    AR_CLEANUP_PIDS=("${keep[@]}")
}

# ar_spawn_group COMMAND... — start COMMAND in the background as the leader of a new session
# (output not redirected); sets AR_LAST_PID. ar_cleanup stops the whole process group, so
# that whatever COMMAND started (e.g. the test binary under `swift test`) stops too.
ar_spawn_group() {
    setsid "$@" </dev/null &
    AR_LAST_PID=$!
    AR_CLEANUP_GROUPS+=("$AR_LAST_PID")
}

# ar_stop_group PGID — TERM the process group, KILL it after 10 s; reaps its leader.
ar_stop_group() {
    local pgid=$1
    if kill -0 -- "-$pgid" 2>/dev/null; then
        kill -TERM -- "-$pgid" 2>/dev/null || true
        _ar_wait_gone "$pgid" 10 || true
        kill -KILL -- "-$pgid" 2>/dev/null || true
    fi
    wait "$pgid" 2>/dev/null || true
}

# _ar_wait_gone PID SECONDS — true once PID is no longer alive.
_ar_wait_gone() {
    local pid=$1 deadline=$((SECONDS + $2))
    while ar_pid_alive "$pid"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# ar_stop_pid PID — TERM, wait up to 10 s, then KILL; reaps it if it is our child.
ar_stop_pid() {
    local pid=$1
    if ar_pid_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        if ! _ar_wait_gone "$pid" 10; then
            ar_warn "process $pid ignored SIGTERM; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            _ar_wait_gone "$pid" 5 || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

# ar_dump_logs [LINES] — print the tail of every recorded log file.
ar_dump_logs() {
    local f
    for f in "${AR_LOG_FILES[@]}"; do
        [[ -s $f ]] || continue
        printf '\n----- last %s lines of %s -----\n' "${1:-40}" "$f" >&2
        tail -n "${1:-40}" "$f" >&2
    done
    [[ ${#AR_LOG_FILES[@]} -eq 0 ]] || printf -- '----- end of logs -----\n\n' >&2
}

# ar_cleanup — stop everything recorded (process groups, nginx, pid files, children,
# PostgreSQL) and remove the recorded paths. Best effort, and safe to call twice: each list
# is emptied as it is handled.
ar_cleanup() {
    local errexit=0 item pid i
    [[ $- == *e* ]] && errexit=1
    set +e
    # A second Ctrl-C (or a SIGTERM from a supervisor) must not cut the clean-up short and leave
    # PostgreSQL or nginx running.
    trap '' INT TERM
    for item in "${AR_CLEANUP_GROUPS[@]}"; do ar_stop_group "$item"; done
    AR_CLEANUP_GROUPS=()
    for item in "${AR_CLEANUP_NGINX[@]}"; do ar_nginx_stop "$item"; done
    AR_CLEANUP_NGINX=()
    for item in "${AR_CLEANUP_PIDFILES[@]}"; do
        [[ -s $item ]] && pid=$(<"$item") && ar_stop_pid "$pid"
    done
    AR_CLEANUP_PIDFILES=()
    # Newest first: the worker and responder before the helpers they talk to.
    for ((i = ${#AR_CLEANUP_PIDS[@]} - 1; i >= 0; i--)); do ar_stop_pid "${AR_CLEANUP_PIDS[i]}"; done
    AR_CLEANUP_PIDS=()
    for item in "${AR_CLEANUP_PG[@]}"; do ar_pg_stop "$item"; done
    AR_CLEANUP_PG=()
    for item in "${AR_CLEANUP_PATHS[@]}"; do rm -rf -- "$item"; done
    AR_CLEANUP_PATHS=()
    ((errexit)) && set -e
    return 0
}

# ar_setup_traps STATUS — run ar_cleanup on exit. SIGINT and SIGTERM exit (which runs the
# cleanup too) with STATUS, or with 130 / 143 when STATUS is `signal`.
ar_setup_traps() {
    trap ar_cleanup EXIT
    if [[ $1 == signal ]]; then
        trap 'exit 130' INT
        trap 'exit 143' TERM
    else
        # shellcheck disable=SC2064 # expand the status now
        trap "exit $1" INT TERM
    fi
}
