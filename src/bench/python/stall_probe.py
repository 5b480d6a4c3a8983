#!/usr/bin/python3
"""Times how late one CPU wakes a sleeping thread, for ProcessClientsBench's results.

Pinned to --cpu under the normal policy, it sleeps --period-ms in a loop and appends
'start_ns late_ns' (CLOCK_MONOTONIC, like the process clients' timestamps) to --out for every
wake-up at least --report-ms late. On an otherwise idle guest such a wake-up is time the host did
not run that virtual CPU (docs/performance.md, "Stalls of the host, not the guest"); under load it
also counts a guest that kept the CPU busy that long. Prints 'STARTED'; ends when its stdin closes
(the bench ending) or after --seconds, whichever comes first.
"""
import argparse
import os
import sys
import threading
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cpu', type=int, required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--period-ms', type=float, default=5.0)
    parser.add_argument('--report-ms', type=float, default=10.0)
    parser.add_argument('--seconds', type=float, default=3600.0)
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    done = threading.Event()

    def until_stdin_closes():
        sys.stdin.read()
        done.set()

    threading.Thread(target=until_stdin_closes, daemon=True).start()
    period_ns = int(args.period_ms * 1e6)
    report_ns = int(args.report_ms * 1e6)
    end = time.monotonic_ns() + int(args.seconds * 1e9)
    sys.stdout.write('STARTED\n')
    sys.stdout.flush()
    with open(args.out, 'a', buffering=1) as out:
        while not done.is_set():
            start = time.monotonic_ns()
            if start > end:
                break
            time.sleep(period_ns / 1e9)
            late = time.monotonic_ns() - start - period_ns
            if late >= report_ns:
                out.write('%d %d\n' % (start, late))


if __name__ == '__main__':
    main()
