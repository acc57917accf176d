#!/usr/bin/env python3
"""Figures of schemathesis runs, read from their NDJSON reports (scripts/lib.sh, ar_schemathesis_run).

    schemathesis_figures.py --label admin --seconds 112 --exit-status 0 REPORT_DIR
    schemathesis_figures.py --total REPORT_DIR...

Prints test cases, HTTP requests, responses by status and server errors (5xx). Exits 1 when a
run answered any 5xx, when a report is missing, or (single run) when --exit-status is not 0.
"""

import argparse
import collections
import json
import pathlib
import sys


def read(directory):
    """(cases, requests, Counter of statuses, failed checks) of the NDJSON report in `directory`."""
    reports = sorted(pathlib.Path(directory).glob("*.ndjson"))
    if not reports:
        raise FileNotFoundError(f"no NDJSON report in {directory}")
    cases = requests = failed = 0
    statuses = collections.Counter()
    with open(reports[-1], encoding="utf-8") as stream:
        for line in stream:
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished.get("recorder") or {}
            cases += len(recorder.get("cases") or {})
            for interaction in (recorder.get("interactions") or {}).values():
                response = interaction.get("response")
                requests += 1
                statuses[response["status_code"] if response else "no response"] += 1
            for checks in (recorder.get("checks") or {}).values():
                failed += sum(1 for check in checks if check.get("status") == "failure")
    return cases, requests, statuses, failed


def describe(statuses):
    return ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items(), key=lambda item: str(item[0])))


def server_errors(statuses):
    return sum(count for status, count in statuses.items() if isinstance(status, int) and status >= 500)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--label")
    parser.add_argument("--seconds", type=int)
    parser.add_argument("--exit-status", type=int, default=0)
    parser.add_argument("--total", action="store_true", help="sum the runs in the given folders")
    parser.add_argument("directories", nargs="+")
    args = parser.parse_args()

    total_cases = total_requests = total_failed = 0
    total_statuses = collections.Counter()
    for directory in args.directories:
        try:
            cases, requests, statuses, failed = read(directory)
        except (OSError, ValueError, KeyError) as error:
            print(f"schemathesis figures: {error}")
            return 1
        total_cases += cases
        total_requests += requests
        total_failed += failed
        total_statuses += statuses

    label = "all runs" if args.total else args.label or args.directories[0]
    took = f" in {args.seconds} s" if args.seconds is not None else ""
    errors = server_errors(total_statuses)
    print(f"schemathesis figures ({label}): {total_cases} test cases, {total_requests} requests{took}")
    print(f"  responses by status: {describe(total_statuses)}")
    print(f"  server errors (5xx): {errors}; failed checks: {total_failed}"
          + ("" if args.total else f"; schemathesis exit status {args.exit_status}"))
    return 1 if errors or (not args.total and args.exit_status) else 0


if __name__ == "__main__":
    sys.exit(main())
