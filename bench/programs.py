#!/usr/bin/env python3
"""What iomon costs real programs: BENCHMARKS.md, "Real programs".

Runs each of a few everyday programs bare, under iomon (records streamed
to its collector and written to a file, the default) and under
`strace -f -o /dev/null`, interleaved in shuffled rounds (--runs), and
prints the median wall time of each, its ratio to bare, the records iomon
wrote (START/STOP left out), and what it added per record:

    true     true                                (iomon's own start and end)
    tar      tar -cf /dev/zero -C /usr include   (reads every header file)
    python   python3 -c 'import ...'             (an interpreter's start-up)
    cc       cc -O2 -c bench/workload.c          (a compiler's process tree)

The times are the whole run's, start-up included: iomon's launcher, its
collector and the library's start-up are part of what a program pays, and
true shows that part alone.  +ms: what iomon or strace added to the run,
the median of each round's difference with that round's bare run (95%
interval from 6 rounds on); +us/record: what iomon added less what it
added to true, per record.  A program that is not here (no tar, no cc)
is said to be skipped.  Exit status: 0, or 2 if a program could not be
run.
"""

import argparse
import csv
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import (COUNT, SECONDS, START_STOP_DOMAIN, RunError,  # noqa: E402
                 paired, print_table, run)

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
PYTHON_IMPORTS = ("import argparse, asyncio, decimal, email.parser, http.client, json, "
                  "unittest, xml.dom.minidom")


def programs(args, workdir):
    """(name, argv) of each program that can run here."""
    found = [("true", [shutil.which("true") or "/bin/true"])]
    tar = shutil.which("tar")
    if tar and os.path.isdir("/usr/include"):
        # /dev/zero rather than /dev/null: GNU tar reads no file for an
        # archive that is /dev/null.
        found.append(("tar", [tar, "-cf", "/dev/zero", "-C", "/usr", "include"]))
    else:
        print("skipped: tar (no tar, or no /usr/include)")
    found.append(("python", [sys.executable, "-c", PYTHON_IMPORTS]))
    cc = shutil.which(args.cc)
    if cc:
        found.append(("cc", [cc, "-O2", "-D_GNU_SOURCE", "-c",
                             os.path.join(BENCH_DIR, "workload.c"),
                             "-o", os.path.join(workdir, "workload.o")]))
    else:
        print("skipped: cc (no %s)" % args.cc)
    return found


def timed(argv):
    """Runs argv (run.py's run(): a clean environment, RunError if it
    fails); returns its wall time in seconds."""
    start = time.monotonic()
    run(argv)
    return time.monotonic() - start


def records_in(path):
    """Records of a CSV trace, every process's, START/STOP left out."""
    with open(path, newline="", errors="surrogateescape") as f:
        return sum(1 for row in csv.reader(f) if len(row) > 4 and row[4] != START_STOP_DOMAIN)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iomon", required=True, help="the built iomon launcher")
    p.add_argument("--runs", type=COUNT, default=5, help="runs of each configuration (5)")
    p.add_argument("--seed", type=int, default=1, help="of each round's order (1)")
    p.add_argument("--pause", type=SECONDS, default=0.2, help="seconds between two runs (0.2)")
    p.add_argument("--cc", default="cc", help="the compiler the cc program runs (cc)")
    p.add_argument("--strace", default=shutil.which("strace"), help="strace to compare with")
    p.add_argument("--no-strace", dest="strace", action="store_const", const=None)
    args = p.parse_args()

    workdir = tempfile.mkdtemp(prefix="iomon-programs.",
                               dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    trace = os.path.join(workdir, "trace.csv")
    configs = [("bare", lambda argv: argv), ("iomon", lambda argv: [args.iomon, "-o", trace,
                                                                    "--", *argv])]
    if args.strace:
        configs.append(("strace -f", lambda argv: [args.strace, "-f", "-o", "/dev/null", *argv]))
    print("iomon on real programs, %s; %d runs of each, interleaved in shuffled rounds"
          " (seed %d); medians of the whole run's wall time"
          % (time.strftime("%Y-%m-%d %H:%M:%S %z"), args.runs, args.seed))
    order = random.Random(args.seed)
    fixed = 0.0
    try:
        for name, argv in programs(args, workdir):
            timed(argv)  # once first: the files it reads in the page cache
            secs = {c: [] for c, _ in configs}
            records = []
            for _ in range(args.runs):
                for c, wrap in order.sample(configs, len(configs)):
                    time.sleep(args.pause)
                    secs[c].append(timed(wrap(argv)))
                    if c == "iomon":
                        records.append(records_in(trace))
                        os.unlink(trace)
            added = report(name, argv, configs, secs, records, fixed)
            if name == "true":
                fixed = added
    except (RunError, OSError) as e:
        print("bench: %s" % e, file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def report(name, argv, configs, secs, records, fixed):
    """Prints a program's table; returns what iomon added to it, in
    seconds (the median of the paired differences)."""
    bare = statistics.median(secs["bare"])
    n = statistics.median(records)
    print()
    print("%s: %s" % (name, " ".join(argv)))
    rows = []
    for c, _ in configs:
        t = statistics.median(secs[c])
        diff, lo, hi = paired(secs[c], secs["bare"])
        interval = "" if lo is None else " (%+.1f..%+.1f)" % (1e3 * lo, 1e3 * hi)
        per_record = ""
        if c == "iomon":
            added = diff
            if n >= 100:
                per_record = "%+.2f" % (1e6 * (added - fixed) / n)
        rows.append((c, "%.3f" % t, "%.2f" % (t / bare),
                     "" if c == "bare" else "%+.1f%s" % (1e3 * diff, interval),
                     "%d" % n if c == "iomon" else "", per_record))
    print_table(("configuration", "seconds", "x bare", "+ms, paired (95%)", "records",
                 "+us/record"), rows)
    return added


if __name__ == "__main__":
    sys.exit(main())
