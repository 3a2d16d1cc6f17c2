#!/usr/bin/env python3
"""Collector throughput: how many records a second iomon's collector takes.

Records real traffic once: bench/workload (small files; pread/pwrite), a
Python interpreter importing modules (long paths, failed opens and stats)
and `cp -r` of a directory tree, each run under `iomon -o FILE`.  The
trace is the records exactly as the libraries sent them.

Then replays it, at full speed, into the real collector:

    iomon -o OUT -- replay TRACE CONNECTIONS REPEAT

replay (bench/replay.c) runs itself again without the library, connects to
the collector like a library does (IOMON_PORT, the session hello of
IOMON_TOKEN) and sends the trace, cut into CONNECTIONS slices, REPEAT times.
OUT is /dev/null, then a file on a tmpfs; the runs alternate, --runs of
each, and the medians are printed:

    records/s            records over iomon's wall time (start to exit)
    collector CPU        iomon's user+system time alone: wait4() gives iomon
                         and the replayer it reaped; the replayer's own time,
                         which it prints, is taken off
    records/CPU-s        records over the collector's CPU time: the rate of
                         one core given to the collector

With --callgrind, also counts the collector's user-space instructions per
record with valgrind's callgrind (one replay of the trace into /dev/null;
the replayer runs outside valgrind), which does not depend on the load.

The records check: the file output must hold every record replayed (plus
the START the library made of the replayer before it dropped the library),
and iomon must reject none.  Exit status: 0, 1 if the check failed, 2 if something could not run.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import COUNT, COUNT_OR_0, RunError, clean_env, number_at_least  # noqa: E402

TARGET_RECORDS_PER_CPU_S = 2e6


def run(argv, **kw):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=clean_env(), text=True, **kw)
    if proc.returncode != 0:
        raise RunError("%s exited %d: %s" % (" ".join(argv), proc.returncode,
                                            proc.stderr.strip()))
    return proc


def record_traffic(args, workdir):
    """The trace of a mix of real programs, concatenated."""
    trace = os.path.join(workdir, "trace.csv")
    scratch = os.path.join(workdir, "scratch")
    os.mkdir(scratch)
    programs = [
        [args.workload, "smallfiles", "20000", scratch],
        [args.workload, "preadwrite", "20000", scratch],
        [sys.executable, "-c", "import json, email.parser, http.client, "
         "xml.dom.minidom, unittest, argparse, decimal, asyncio"],
        ["cp", "-r", args.tree, os.path.join(scratch, "copy")],
    ]
    with open(trace, "wb") as out:
        for i, argv in enumerate(programs):
            part = os.path.join(workdir, "part%d.csv" % i)
            run([args.iomon, "-o", part, "--"] + argv)
            with open(part, "rb") as f:
                out.write(f.read())
            os.unlink(part)
    return trace


def trace_stats(trace):
    with open(trace, "rb") as f:
        data = f.read()
    return data.count(b"\n"), len(data)


def replay_once(args, trace, output, repeat):
    argv = [args.iomon, "-o", output, "--", args.replay, trace,
            str(args.connections), str(repeat)]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=clean_env(), text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    # communicate() has reaped it; its rusage is the children's delta.
    if proc.returncode != 0:
        raise RunError("%s exited %d: %s" % (" ".join(argv), proc.returncode,
                                            err.strip()))
    return out, err, wall


def replay_measured(args, trace, output, repeat):
    before = os.times()
    out, err, wall = replay_once(args, trace, output, repeat)
    after = os.times()
    both = (after.children_user - before.children_user
            + after.children_system - before.children_system)
    said = dict(line.split(" ", 1) for line in out.splitlines())
    records = int(said["records"])
    collector_cpu = both - float(said["cpu_s"])
    return {
        "records": records,
        "wall": wall,
        "collector_cpu": collector_cpu,
        "replayer_cpu": float(said["cpu_s"]),
        "stderr": err.strip(),
    }


def check_output(path, result):
    """Every replayed record is in the output; iomon rejected none."""
    with open(path, "rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    extra = lines - result["records"]
    problems = []
    if extra < 0 or extra > 16:
        problems.append("output has %d records, %d replayed" % (lines, result["records"]))
    if result["stderr"]:
        problems.append("iomon said: " + result["stderr"])
    return problems


def callgrind(args, trace, workdir):
    """Instructions of the collector per record, and where they go."""
    out = os.path.join(workdir, "callgrind.out")
    proc = run([args.valgrind, "--tool=callgrind", "--callgrind-out-file=" + out,
                args.iomon, "-o", "/dev/null", "--", args.replay, trace,
                str(args.connections), "1"])
    said = dict(line.split(" ", 1) for line in proc.stdout.splitlines())
    records = int(said["records"])
    with open(out) as f:
        total = next(int(line.split()[1]) for line in f if line.startswith("totals:"))
    print("callgrind: %d instructions in the collector for %d records: %.0f a record" % (
        total, records, total / records))
    annotate = run([args.callgrind_annotate, out]).stdout.splitlines()
    rows = [line for line in annotate if "%)" in line and "PROGRAM TOTALS" not in line]
    for line in rows[:args.top]:
        # "N (P%)  path/file.c:function [binary]" -> "N (P%)  file.c:function"
        count, _, where = line.strip().partition(")")
        where = where.split(" [")[0].strip()
        print("    %s)  %s" % (count, where.rsplit("/", 1)[-1]))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--iomon", required=True, help="the built iomon launcher")
    p.add_argument("--replay", required=True, help="the built bench/replay")
    p.add_argument("--workload", required=True, help="the built bench/workload")
    p.add_argument("--tree", default="/usr/include",
                   help="the directory `cp -r` copies while recorded (%(default)s)")
    p.add_argument("--records", type=number_at_least(float, 1, "a number of records, 1 or more"),
                   default=10e6,
                   help="records per replay run, at least (%(default).0f)")
    p.add_argument("--connections", type=COUNT, default=4,
                   help="connections the replayer sends on (%(default)s)")
    p.add_argument("--runs", type=COUNT, default=5, help="runs per output (%(default)s)")
    p.add_argument("--no-timing", action="store_true", help="skip the timed runs")
    p.add_argument("--callgrind", action="store_true",
                   help="count the collector's instructions per record with callgrind")
    p.add_argument("--valgrind", default="valgrind")
    p.add_argument("--callgrind-annotate", default="callgrind_annotate")
    p.add_argument("--top", type=COUNT_OR_0, default=8, help="functions to show (%(default)s)")
    p.add_argument("--dir", help="where the trace and the file output go "
                   "(default: a new directory in /dev/shm, a tmpfs)")
    args = p.parse_args()

    base = args.dir or ("/dev/shm" if os.path.isdir("/dev/shm") else None)
    failed = False
    with tempfile.TemporaryDirectory(prefix="iomon-replay-", dir=base) as workdir:
        try:
            trace = record_traffic(args, workdir)
            n_lines, n_bytes = trace_stats(trace)
            repeat = max(1, int(-(-args.records // n_lines)))
            print("trace: %d records, %d bytes (%.1f bytes a record), replayed %d times "
                  "on %d connections" % (n_lines, n_bytes, n_bytes / n_lines, repeat,
                                         args.connections))
            if args.callgrind:
                callgrind(args, trace, workdir)
            outputs = {"/dev/null": "/dev/null", "tmpfs file": os.path.join(workdir, "out.csv")}
            results = {name: [] for name in outputs}
            for _ in range(0 if args.no_timing else args.runs):
                for name, path in outputs.items():
                    r = replay_measured(args, trace, path, repeat)
                    if path != "/dev/null":
                        problems = check_output(path, r)
                        os.unlink(path)
                        for problem in problems:
                            print("RECORDS CHECK FAILED (%s): %s" % (name, problem))
                            failed = True
                    results[name].append(r)
        except (RunError, OSError) as e:
            print("replay: %s" % e, file=sys.stderr)
            return 2

    if args.no_timing:
        return 0
    print()
    print("%-11s %12s %14s %14s %15s" % ("output", "records", "records/s",
                                         "collector CPU", "records/CPU-s"))
    for name, rs in results.items():
        records = rs[0]["records"]
        wall = statistics.median(r["wall"] for r in rs)
        cpu = statistics.median(r["collector_cpu"] for r in rs)
        print("%-11s %12d %14s %13.3fs %15s" % (
            name, records, "%.2fM" % (records / wall / 1e6), cpu,
            "%.2fM" % (records / cpu / 1e6)))
    print()
    print("medians of %d runs each; target: %.0fM records per CPU-second" % (
        args.runs, TARGET_RECORDS_PER_CPU_S / 1e6))
    print("records check: %s" % ("FAILED" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
