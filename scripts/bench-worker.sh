#!/usr/bin/env bash
# Benchmark of alert-relay-worker against pgqueuer, in one run on one private PostgreSQL:
#
#   scripts/bench-worker.sh
#
# 1. alert-relay-worker (release build) drains BENCH_JOBS pre-enqueued `noop` jobs
#    (--drain-and-exit, --concurrency BENCH_CONCURRENCY, --batch-size BENCH_BATCH).
# 2. pgqueuer 1.6.0 (PyPI, in a venv under .data/) drains BENCH_JOBS pre-enqueued no-op jobs with
#    BENCH_PGQ_DEQUEUERS QueueManagers of batch BENCH_PGQ_BATCH each (the defaults of its own
#    `tools/benchmark.py -s drain`, which is not available offline: the drain script below uses
#    its public API the same way).
# 3. alert-relay-worker sends BENCH_EMAILS e-mails over SMTP to scripts/smtp_sink.py (which
#    writes and fsyncs every message), and to a discard SMTP server (aiosmtpd, two processes, nothing
#    written) that shows the worker's own ceiling.
#
# Rates are wall-clock: from starting the drain (process start included for the worker) until the
# queue is empty. Each drain starts from a freshly VACUUM ANALYZEd table.
#
# Environment: BENCH_JOBS (50000), BENCH_EMAILS (5000), BENCH_CONCURRENCY (4), BENCH_BATCH (100),
# BENCH_PGQ_DEQUEUERS (5), BENCH_PGQ_BATCH (10).
set -euo pipefail
umask 022

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$AR_REPO"

jobs=${BENCH_JOBS:-50000}
emails=${BENCH_EMAILS:-5000}
concurrency=${BENCH_CONCURRENCY:-4}
batch=${BENCH_BATCH:-100}
pgq_dequeuers=${BENCH_PGQ_DEQUEUERS:-5}
pgq_batch=${BENCH_PGQ_BATCH:-10}

ar_install_packages

ar_log "building (swift build -c release --product alert-relay-worker)"
swift build -c release --product alert-relay-worker
bin_dir=$(swift build -c release --show-bin-path)

ar_setup_traps signal

# --- temp folder, PostgreSQL, Python ---------------------------------------------------------
ar_mkdir_shared "$AR_REPO/.data"
tmp_wanted=$AR_REPO/.data/bench-worker-$$
AR_CLEANUP_PATHS+=("$tmp_wanted")
tmp=
ar_service_dir tmp "$tmp_wanted"
ar_mkdir_shared "$tmp/log"
log=$tmp/log

pg_port=$(ar_free_port 127.0.0.1)
ar_pg_init "$tmp/pg" "$pg_port"
ar_pg_start "$tmp/pg" "$pg_port" "$log/postgresql.log"
ar_pg_createdb alertrelay_bench
for migration in sql/[0-9]*.sql; do
    ar_pg_psql -d alertrelay_bench -f "$migration" >/dev/null
done
DATABASE_URL=$(ar_pg_conninfo alertrelay_bench)
export DATABASE_URL
psql_bench() { ar_pg_psql -d alertrelay_bench "$@"; }

ar_venv "$AR_REPO/.data/venv"
sink_python=$AR_PYTHON
pgq_venv=$AR_REPO/.data/venv-pgqueuer
if [[ ! -x $pgq_venv/bin/python3 ]] || ! "$pgq_venv/bin/python3" -c 'import pgqueuer, asyncpg' 2>/dev/null; then
    ar_log "creating $pgq_venv with pgqueuer 1.6.0"
    python3 -m venv "$pgq_venv"
    "$pgq_venv/bin/python3" -m pip install --quiet --disable-pip-version-check pgqueuer==1.6.0 asyncpg==0.32.0
fi

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

export ALERT_RELAY_LOG_LEVEL=notice
export ALERT_RELAY_JOB_POLL_SECONDS=1

# run_worker NAME — drain the job table with the worker; sets worker_seconds.
run_worker() {
    local name=$1 start end
    start=$(now)
    "$bin_dir/alert-relay-worker" --drain-and-exit --concurrency "$concurrency" --batch-size "$batch" \
        >>"$log/worker-$name.log" 2>&1 || {
        tail -n 30 "$log/worker-$name.log" >&2
        ar_die "the worker failed ($name)"
    }
    end=$(now)
    worker_seconds=$(seconds "$start" "$end")
    worker_start=$start
    worker_end=$end
}

count_state() { psql_bench -tAc "SELECT count(*) FROM jobs WHERE state = '$1'"; }

# --- 1. worker, no-op jobs -----------------------------------------------------------------
ar_log "enqueueing $jobs noop jobs"
psql_bench -c "TRUNCATE jobs" -c "INSERT INTO jobs (kind, payload) SELECT 'noop', '{}' FROM generate_series(1, $jobs)" \
    -c "VACUUM ANALYZE jobs"
ar_log "worker: draining $jobs noop jobs (--concurrency $concurrency --batch-size $batch)"
run_worker noop
done_count=$(count_state "done")
[[ $done_count == "$jobs" ]] || ar_die "worker: $done_count of $jobs jobs done"
worker_rate=$(rate "$jobs" "$worker_start" "$worker_end")
noop_seconds=$worker_seconds

# --- 2. pgqueuer, no-op jobs ---------------------------------------------------------------
cat >"$tmp/pgq_drain.py" <<'PY'
"""Drain N pre-enqueued no-op jobs with pgqueuer, like its tools/benchmark.py `-s drain`."""
import argparse, asyncio, time

import asyncpg
from pgqueuer import types
from pgqueuer.qm import QueueManager
from pgqueuer.queries import Queries


async def main():
    p = argparse.ArgumentParser()
    for name in ("host", "user", "database"):
        p.add_argument("--" + name, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--jobs", type=int, required=True)
    p.add_argument("--dequeuers", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    args = p.parse_args()

    async def connect():
        return await asyncpg.connect(host=args.host, port=args.port, user=args.user, database=args.database)

    setup = await connect()
    queries = Queries.from_asyncpg_connection(setup)
    if not await queries.schema_is_installed():
        await queries.install()
    await setup.execute("TRUNCATE pgqueuer")
    for start in range(0, args.jobs, 1000):
        n = min(1000, args.jobs - start)
        await queries.enqueue(["noop"] * n, [None] * n, [0] * n)
    await setup.execute("VACUUM ANALYZE pgqueuer")

    done = 0

    async def dequeuer():
        qm = QueueManager(Queries.from_asyncpg_connection(await connect()))

        @qm.entrypoint("noop")
        async def noop(job):
            nonlocal done
            done += 1

        await qm.run(batch_size=args.batch, mode=types.QueueExecutionMode.drain)

    started = time.perf_counter()
    await asyncio.gather(*(dequeuer() for _ in range(args.dequeuers)))
    seconds = time.perf_counter() - started
    left = await setup.fetchval("SELECT count(*) FROM pgqueuer")
    print(f"{done} {left} {seconds:.3f}")


asyncio.run(main())
PY
ar_log "pgqueuer: draining $jobs no-op jobs ($pgq_dequeuers dequeuers x batch $pgq_batch)"
read -r pgq_done pgq_left pgq_seconds < <(
    "$pgq_venv/bin/python3" "$tmp/pgq_drain.py" --host "$AR_PG_SOCKDIR" --port "$AR_PG_PORT" --user "$AR_PG_USER" \
        --database alertrelay_bench --jobs "$jobs" --dequeuers "$pgq_dequeuers" --batch "$pgq_batch" \
        2>>"$log/pgqueuer.log"
) || ar_die "the pgqueuer drain failed; see $log/pgqueuer.log"
[[ $pgq_done == "$jobs" && $pgq_left == 0 ]] || ar_die "pgqueuer: $pgq_done of $jobs done, $pgq_left left"
pgq_rate=$(awk -v n="$jobs" -v s="$pgq_seconds" 'BEGIN { printf "%.0f", n / s }')

# --- 3. worker, e-mail over SMTP -----------------------------------------------------------
enqueue_emails() {
    psql_bench -c "TRUNCATE jobs" -c "
        INSERT INTO jobs (kind, payload, max_attempts)
        SELECT 'email', jsonb_build_object(
            'to', 'owner' || g || '@example.com', 'from', 'alert-relay@example.com',
            'subject', 'Action required: Fix your Bench Hook integration',
            'text', repeat('Your Bench Hook integration has been disabled. ', 20),
            'html', '<p>' || repeat('Your Bench Hook integration has been disabled. ', 20) || '</p>',
            'message_id', '<bench-' || g || '@example.com>', 'date', extract(epoch FROM now())::bigint), 8
        FROM generate_series(1, $emails) g" -c "VACUUM ANALYZE jobs"
}

# email_run NAME PORT — sets email_rate
email_run() {
    local name=$1 port=$2
    enqueue_emails
    ar_log "worker: sending $emails e-mails to $name (port $port)"
    export ALERT_RELAY_MAIL_TRANSPORT=smtp ALERT_RELAY_SMTP_URL=smtp://127.0.0.1:$port ALERT_RELAY_SMTP_TLS=none
    run_worker "email-$name"
    done_count=$(count_state "done")
    [[ $done_count == "$emails" ]] || ar_die "e-mail to $name: $done_count of $emails done"
    email_rate=$(rate "$emails" "$worker_start" "$worker_end")
    email_seconds=$worker_seconds
}

sink_port=$(ar_free_port 127.0.0.1)
ar_spawn smtp_sink "$log/smtp_sink.log" "$sink_python" scripts/smtp_sink.py --host 127.0.0.1 --port "$sink_port" \
    --mailbox "$tmp/mailbox" --port-file "$tmp/smtp.port"
sink_pid=$AR_LAST_PID
ar_wait_until "smtp_sink" 30 "$sink_pid" test -s "$tmp/smtp.port"
email_run smtp_sink "$sink_port"
delivered=$(find "$tmp/mailbox" -name '*.eml' | wc -l)
[[ $delivered == "$emails" ]] || ar_die "smtp_sink holds $delivered of $emails messages"
sink_rate=$email_rate
sink_seconds=$email_seconds
ar_stop_pid "$sink_pid"

cat >"$tmp/discard_sink.py" <<'PY'
"""An SMTP server that accepts and discards every message; PROCESSES processes share the port."""
import asyncio, os, sys

from aiosmtpd.smtp import SMTP


class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 discarded"


async def serve(port):
    loop = asyncio.get_running_loop()
    await loop.create_server(lambda: SMTP(Discard(), hostname="discard.test"), host="127.0.0.1", port=port,
                             reuse_port=True)
    print("listening", flush=True)
    await asyncio.Event().wait()


port, processes = int(sys.argv[1]), int(sys.argv[2])
for _ in range(processes - 1):
    if os.fork() == 0:
        break
asyncio.run(serve(port))
PY
discard_port=$(ar_free_port 127.0.0.1)
ar_spawn_group "$sink_python" "$tmp/discard_sink.py" "$discard_port" 2 >>"$log/discard_sink.log" 2>&1
ar_wait_until "discard SMTP server" 30 - ar_port_listening "$discard_port"
email_run discard "$discard_port"
discard_rate=$email_rate
discard_seconds=$email_seconds

# --- results --------------------------------------------------------------------------------
ratio=$(awk -v a="$worker_rate" -v b="$pgq_rate" 'BEGIN { printf "%.1f", a / b }')
echo
echo "alert-relay-worker vs pgqueuer, $(nproc) cores, PostgreSQL $(ar_pg_psql -d postgres -tAc 'SHOW server_version')"
printf '%-58s %8s jobs/s  (%s s)\n' "alert-relay-worker: $jobs noop jobs, -c $concurrency, batch $batch" \
    "$worker_rate" "$noop_seconds"
printf '%-58s %8s jobs/s  (%s s)\n' "pgqueuer 1.6.0: $jobs no-op jobs, $pgq_dequeuers x batch $pgq_batch" "$pgq_rate" \
    "$pgq_seconds"
printf '%-58s %8sx\n' "ratio worker / pgqueuer" "$ratio"
printf '%-58s %8s emails/s  (%s s)\n' "alert-relay-worker: $emails e-mails to scripts/smtp_sink.py" "$sink_rate" \
    "$sink_seconds"
printf '%-58s %8s emails/s  (%s s)\n' "alert-relay-worker: $emails e-mails to a discard SMTP server" "$discard_rate" \
    "$discard_seconds"
