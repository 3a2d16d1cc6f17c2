#!/usr/bin/env python3
"""What iomon costs a program: the benchmark of BENCHMARKS.md.

For each workload (bench/workload.c), runs the configurations

    bare      the workload alone
    iomon     iomon -o FILE -- workload       (records batched, the default)
    iomon -u  iomon -u -o FILE -- workload    (one send per record)
    strace    strace -f -o /dev/null workload

and, with --reference LIB (Meson's targets give it bench/libcounter.so, the
reference interposer of bench/counter.c), what a preload tool that counts
calls, and one that counts and times them, costs on this machine:

    counter          LD_PRELOAD=LIB workload                 (counts the calls)
    counter, clock   LD_PRELOAD=LIB COUNTER_CLOCK=1 workload (and times them)

interleaved (ABCD DBAC ..., each round in an order of its own, with a
short pause between runs), --runs times each, since the machines this
runs on are shared and noisy, and prints the medians of the time per call
measured inside the workload's loop, the ratios to bare, the time iomon
adds per wrapped call, and the record count check: the records iomon
delivered for the workload's pid (START/STOP left out) must be exactly the
wrapped calls the workload says it made (and the calls the reference
counted, too).

It first prints what a system call that does no work costs here (the
workload's nullcall mode, bare): the floor under every call, by which
machines differ most.

With --callgrind, also counts user-space instructions per wrapped call
with valgrind's callgrind, which does not depend on the machine's load,
and shows which functions they are spent in.

Builds nothing: give it the built iomon and workload (Meson's benchmark()
targets do).  Exit status: 0, or 1 if a record count check failed, or 2
if something could not be run.
"""

import argparse
import csv
import math
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

WORKLOADS = ("smallfiles", "preadwrite")
# Run only when asked for (--workloads): opens and closes alone.
MORE_WORKLOADS = ("openclose",)
START_STOP_DOMAIN = "16"
# Iterations of the calibration runs, and of the two callgrind runs whose
# difference cancels every cost paid once (start-up, exit).
CALIBRATION_N = {"smallfiles": 2000, "preadwrite": 10000, "openclose": 5000}
CALLGRIND_N = {"smallfiles": (200, 1200), "preadwrite": (500, 3000), "openclose": (500, 3000)}
# getppid() calls of each run that measures a system call's own cost.
NULL_CALLS = 200000


class RunError(Exception):
    pass


def number_at_least(kind, least, what):
    """An argparse type: a number of kind (int or float) that is at least
    least; anything else is a usage error that says so."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or value < least:
            raise argparse.ArgumentTypeError("%r: not %s" % (text, what))
        return value
    return parse


# The benchmarks' numeric options (run.py, programs.py, replay.py).
COUNT = number_at_least(int, 1, "a whole number of 1 or more")
COUNT_OR_0 = number_at_least(int, 0, "a whole number of 0 or more")
SECONDS = number_at_least(float, 0, "a number of seconds, 0 or more")


def clean_env():
    """The environment without anything that would change what is measured."""
    return {k: v for k, v in os.environ.items()
            if k != "LD_PRELOAD" and not k.startswith("IOMON_")}


def parse_workload_output(text):
    out = {"functions": []}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "function":
            name, calls, in_loop, obj = value.split()
            out["functions"].append((name, int(calls), int(in_loop), obj))
        elif key == "mode":
            out[key] = value
        elif key:
            out[key] = float(value) if "." in value else int(value)
    for key in ("pid", "iterations", "loop_ns", "loop_cpu_ns", "loop_thread_cpu_ns",
                "loop_calls", "loop_wrapped_calls", "wrapped_calls"):
        if key not in out:
            raise RunError("the workload did not print %s:\n%s" % (key, text))
    return out


def run(argv, env=None):
    """Runs argv, with env added to the environment; returns its output and the
    CPU time it and its children used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=dict(clean_env(), **(env or {})))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RunError("%s exited with %d:\n%s%s" % (" ".join(argv), proc.returncode,
                                                    proc.stdout, proc.stderr))
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return proc.stdout, cpu


def count_records(path, pid):
    """Records of pid in an iomon trace, START/STOP records left out."""
    pid = str(pid)
    n = 0
    with open(path, newline="") as f:
        for row in csv.reader(f):
            if len(row) > 4 and row[3] == pid and row[4] != START_STOP_DOMAIN:
                n += 1
    return n


class Config:
    def __init__(self, name, prefix, traced=False, n_divisor=1, env=None, filtered=False,
                 counted=False):
        self.name = name
        self.prefix = prefix		# a function of the trace file's path
        self.traced = traced		# writes an iomon trace to check
        self.n_divisor = n_divisor
        self.env = env			# added to the environment
        self.filtered = filtered	# every wrapped call filtered out: no record
        self.counted = counted		# the reference interposer: prints its count

    @property
    def wraps(self):
        """Whether a library of the run wraps the workload's calls: its
        figures are per wrapped call, and its count is checked."""
        return self.traced or self.counted


# iomon with every call of the workload filtered out by the library: its
# domains not monitored (only START/STOP are), or paused before an open
# that never comes.  What is left is the cost of a wrapper that passes the
# call through (for open and close, the fd table's bookkeeping too).
FILTERED = (
    ("iomon, not monitored", {"MONITOR_DOMAINS": "START_STOP"}),
    ("iomon, paused", {"START_ON_OPEN": "/nothing/opens/this"}),
)


def configurations(args):
    configs = [Config("bare", lambda trace: [])]
    configs.append(Config("iomon", lambda trace: [args.iomon, "-o", trace, "--"],
                          traced=True))
    configs.append(Config("iomon -u", lambda trace: [args.iomon, "-u", "-o", trace, "--"],
                          traced=True))
    if args.filtered:
        for name, env in FILTERED:
            configs.append(Config(name, lambda trace: [args.iomon, "-o", trace, "--"],
                                  traced=True, env=env, filtered=True))
    if args.reference:
        configs.append(Config("counter", lambda trace: [], counted=True,
                              env={"LD_PRELOAD": args.reference}))
        configs.append(Config("counter, clock", lambda trace: [], counted=True,
                              env={"LD_PRELOAD": args.reference, "COUNTER_CLOCK": "1"}))
    if args.strace:
        configs.append(Config("strace -f", lambda trace: [args.strace, "-f", "-o",
                                                          "/dev/null"],
                              n_divisor=args.strace_divisor))
    return configs


def run_once(args, config, mode, n, workdir, extra=()):
    trace = os.path.join(workdir, "trace.csv")
    argv = config.prefix(trace) + [args.workload, mode, str(n), workdir, *extra]
    stdout, cpu = run(argv, config.env)
    out = parse_workload_output(stdout)
    out["run_cpu_ns"] = cpu * 1e9
    if config.traced:
        if out["wrapped_calls"] == 0:
            raise RunError("under %s the workload made no wrapped call: was libiomon.so "
                           "preloaded?\n%s" % (config.name, " ".join(argv)))
        out["records"] = count_records(trace, out["pid"])
        out["expected_records"] = 0 if config.filtered else out["wrapped_calls"]
        os.unlink(trace)
    if config.counted:
        if "counter_calls" not in out or out["wrapped_calls"] == 0:
            raise RunError("under %s the workload made no call the reference counted: was "
                           "%s preloaded?\n%s" % (config.name, args.reference, " ".join(argv)))
        out["records"] = out["counter_calls"]
        out["expected_records"] = out["wrapped_calls"]
    return out


def iterations(args, mode, workdir):
    """--n, or the iterations that take about --seconds bare (found once)."""
    if args.n:
        return args.n
    if mode not in args.calibrated:
        args.calibrated[mode] = calibrate(args, mode, workdir)
    return args.calibrated[mode]


def calibrate(args, mode, workdir):
    """Iterations that take about --seconds bare."""
    n0 = CALIBRATION_N[mode]
    per_iteration = statistics.median(
        run_once(args, Config("bare", lambda t: []), mode, n0, workdir)["loop_ns"] / n0
        for _ in range(3))
    return max(1000, int(args.seconds * 1e9 / per_iteration))


def median_interval(n, level=0.95):
    """The ranks (0-based) of the order statistics that bound a median's
    confidence interval at level, for n samples (distribution-free: the
    number of samples below the median is binomial(n, 1/2)); (None, None)
    when n is too small for one."""
    tail = 0.0
    k = 0
    while tail + math.comb(n, k) / 2 ** n <= (1 - level) / 2:
        tail += math.comb(n, k) / 2 ** n
        k += 1
    if k == 0:
        return None, None
    return k - 1, n - k


def paired(values, base):
    """Each round's value less that round's bare one (the machine's slow
    spells, which last longer than a round, cancel): their median, and the
    bounds of its 95% confidence interval (None, None when there are too
    few rounds for one)."""
    diffs = sorted(a - b for a, b in zip(values, base))
    lo, hi = median_interval(len(diffs))
    if lo is None:
        return statistics.median(diffs), None, None
    return statistics.median(diffs), diffs[lo], diffs[hi]


def fmt_ns(x):
    return "%.0f" % x if abs(x) >= 100 else "%.1f" % x


def print_table(head, rows, left=(0,)):
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  " + "  ".join(v.ljust(w) if i in left else v.rjust(w)
                               for i, (v, w) in enumerate(zip(r, widths))).rstrip())


def record_check(config, runs):
    """Whether a traced configuration's runs delivered other records than
    the workload's wrapped calls (or the reference counted other calls);
    and the table's text for it."""
    if not config.wraps:
        return False, ""
    bad = [r for r in runs if r["records"] != r["expected_records"]]
    if bad:
        return True, "NOT AS EXPECTED in %d of %d runs: %s" % (
            len(bad), len(runs),
            ", ".join("%d records, %d expected" % (r["records"], r["expected_records"])
                      for r in bad))
    return False, "as expected in %d runs (%d)" % (len(runs), runs[0]["records"])


def report_timing(mode, n, configs, results):
    """Prints the tables of one workload; returns whether a record count check failed."""
    bare = results["bare"]
    wrapping = [c for c in configs if c.wraps]
    sample = results[wrapping[0].name][0] if wrapping else bare[0]
    calls_per_iter = bare[0]["loop_calls"] / bare[0]["iterations"]
    wrapped_per_iter = sample["loop_wrapped_calls"] / sample["iterations"]
    functions = ", ".join("%s%s" % (name, "" if obj.startswith("libc") else "*")
                          for name, _, in_loop, obj in sample["functions"] if in_loop)
    print()
    print("%s: %d iterations of %g I/O calls (%s), %g of them wrapped"
          % (mode, n, calls_per_iter, functions, wrapped_per_iter))
    print("  (* = wrapped by libiomon.so in this build)")
    for c in configs:
        if c.n_divisor != 1:
            print("  %s runs do %d iterations (1/%d), to keep the run short"
                  % (c.name, max(1, n // c.n_divisor), c.n_divisor))

    def per_call(config, key):
        """The runs' values of key, per I/O call made in the loop."""
        return [r[key] / r["loop_calls"] for r in results[config.name]]

    def per_wrapped(config, extra):
        return "%+.0f" % (extra * calls_per_iter / (wrapped_per_iter if config.wraps
                                                   else calls_per_iter))

    def added(config, key):
        """Median cost added per wrapped call (iomon, the reference) or per
        call (strace)."""
        extra = statistics.median(per_call(config, key)) - statistics.median(
            per_call(configs[0], key))
        return per_wrapped(config, extra)

    def added_paired(config, key):
        """The same, paired with each round's bare run, with the 95%
        confidence interval of that median."""
        median, lo, hi = paired(per_call(config, key), per_call(configs[0], key))
        text = per_wrapped(config, median)
        if lo is None:
            return text
        return "%s (%s..%s)" % (text, per_wrapped(config, lo).lstrip("+"),
                                per_wrapped(config, hi).lstrip("+"))

    bare_wall = statistics.median(per_call(configs[0], "loop_ns"))
    bare_run_cpu = statistics.median(per_call(configs[0], "run_cpu_ns"))
    check_failed = False
    wall_rows, cpu_rows = [], []
    for c in configs:
        rs = results[c.name]
        wall = per_call(c, "loop_ns")
        failed, records = record_check(c, rs)
        check_failed |= failed
        first = c is configs[0]
        wall_rows.append((c.name, fmt_ns(statistics.median(wall)),
                          "%s..%s" % (fmt_ns(min(wall)), fmt_ns(max(wall))),
                          "%.2f" % (statistics.median(wall) / bare_wall),
                          "" if first else added(c, "loop_ns"),
                          "" if first else added_paired(c, "loop_ns"), records))
        run_cpu = statistics.median(per_call(c, "run_cpu_ns"))
        cpu_rows.append((c.name, fmt_ns(statistics.median(per_call(c, "loop_thread_cpu_ns"))),
                         "" if first else added(c, "loop_thread_cpu_ns"),
                         "" if first else added_paired(c, "loop_thread_cpu_ns"),
                         fmt_ns(statistics.median(per_call(c, "loop_cpu_ns"))),
                         "" if first else added(c, "loop_cpu_ns"),
                         fmt_ns(run_cpu), "%.2f" % (run_cpu / bare_run_cpu),
                         "" if first else added(c, "run_cpu_ns"),
                         "%.0f" % statistics.median(r["loop_thread_faults"] for r in rs)))
    print()
    print("  wall clock, in the loop:")
    print_table(("configuration", "ns/call", "min..max", "x bare", "+ns/call", "paired",
                 "records"), wall_rows, left=(0, 6))
    print()
    print("  CPU time: of the workload's calling thread in the loop; of its process in the"
          " loop (the sender thread too);")
    print("  of every process for the whole run")
    print_table(("configuration", "thread ns/call", "+ns/call", "paired", "loop ns/call",
                 "+ns/call", "run ns/call", "x bare", "+ns/call", "faults"), cpu_rows)
    return check_failed


TIMING_LEGEND = """\
ns/call: the median over the runs of a time divided by the I/O calls made in
the loop; +ns/call: how much longer than bare, per wrapped call for iomon
and the reference, per call for strace (each is a system call it stops),
from the medians;
paired: the median of each round's difference with that round's bare run
(the machine's slow spells, longer than a round, cancel), and in brackets
its 95% confidence interval (from 6 rounds on).  loop: measured inside
the workload, around its loop; thread: the CPU time of the thread making the
calls, without iomon's sender thread.  run: the CPU time of every process of the
run (workload, iomon and its collector, or strace), start-up and exit
included; the workload's loop CPU time leaves strace itself out.  faults: the
page faults the calling thread took in the loop, median of the runs (a young
ring's pages, unless iomon's sender made them present first).
records: iomon's records of the workload's pid (START/STOP left out) against
the wrapped calls the workload made (none when every call is filtered out:
"not monitored" runs with MONITOR_DOMAINS=START_STOP, "paused" with a
START_ON_OPEN that no open matches); for the reference, the calls it counted.
counter: the reference interposer (bench/counter.c), a preload library that
only counts the calls, with a per-thread counter; counter, clock: the same,
timing each call with two clock_gettime() readings, as tools that count and
time calls do.  What counter adds is what interposing alone costs here."""


def timing(args, workdir):
    configs = configurations(args)
    check_failed = False
    print()
    print(TIMING_LEGEND)
    for mode in args.workloads:
        n = iterations(args, mode, workdir)
        results = {c.name: [] for c in configs}
        # Each round runs every configuration once, in an order of its
        # own: on a VM whose host rations CPU time, the run after a heavy
        # one (iomon -u, strace) is slower, and a fixed order would always
        # charge that to the same configurations.  A pause between runs
        # lets the ration fill up again.
        order = random.Random(args.seed)
        for _ in range(args.runs):
            for c in order.sample(configs, len(configs)):
                time.sleep(args.pause)
                results[c.name].append(
                    run_once(args, c, mode, max(1, n // c.n_divisor), workdir))
        check_failed |= report_timing(mode, n, configs, results)
    return check_failed


AB_LEGEND = """\
Within one process ("workload MODE N DIR ab"): blocks of 100 iterations
through the program's own calls (iomon's wrappers, when it runs under
iomon, or the reference's) alternate with blocks through the C library's
functions called directly, which no wrapper sees; each block pair's
difference per call shares the machine's state of the moment, which
separate runs do not.
added: the median of a run's block pairs, per wrapped call (bare: per call,
the method's own error, both kinds being the same calls), with its 95%
confidence interval; then the median of the runs.  mean: the same from the
sums of a run's blocks (the time of all own blocks less that of all direct
ones), which a few slow blocks (the sender reading the ring, an interrupt)
pull up; the median of the runs.  Both are what a record costs the thread
that makes the call; what the process's other threads (the sender) cost it
on a machine this small shows in the runs above."""


def within_process(args, workdir):
    """The "ab" runs, bare and under iomon, interleaved; returns whether a
    record count check failed."""
    configs = [c for c in configurations(args)
               if c.name in ("bare", "iomon", "counter", "counter, clock")]
    check_failed = False
    print()
    print(AB_LEGEND)
    order = random.Random(args.seed)
    for mode in args.workloads:
        n = iterations(args, mode, workdir)
        results = {c.name: [] for c in configs}
        for _ in range(args.runs):
            for c in order.sample(configs, len(configs)):
                time.sleep(args.pause)
                results[c.name].append(run_once(args, c, mode, n, workdir, ["ab"]))
        print()
        print("%s: %d iterations of each kind a run, in blocks of 100" % (mode, n))
        rows = []
        for c in configs:
            runs, added, mean = results[c.name], [], []
            texts = []
            for r in runs:
                per = 1 / (r["loop_wrapped_calls"] if c.wraps else r["loop_calls"])
                calls = r["loop_calls"] * per
                added.append(r["ab_added_ns"] * calls)
                mean.append((r["ab_own_ns"] - r["ab_direct_ns"]) * per)
                texts.append("%+.0f (%.0f..%.0f)" % (r["ab_added_ns"] * calls,
                                                   r["ab_added_lo_ns"] * calls,
                                                   r["ab_added_hi_ns"] * calls))
            failed, records = record_check(c, runs)
            check_failed |= failed
            rows.append((c.name, "%+.0f" % statistics.median(added),
                         "%+.0f" % statistics.median(mean), "  ".join(texts), records))
        print_table(("configuration", "added ns/call", "mean", "each run: median (95% interval)",
                     "records"), rows, left=(0, 3, 4))
    return check_failed


def callgrind_total(path):
    """Ir of a callgrind output file, from its summary: or totals: line."""
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RunError("no summary or totals line in %s" % path)


ANNOTATE_LINE = re.compile(r"^\s*([\d,]+)\s+(?:\([\d.]+%\)\s+)?(\S.*?)\s*$")


def callgrind_functions(args, path):
    """Exclusive Ir of every function of a callgrind output file."""
    stdout, _ = run([args.callgrind_annotate, "--inclusive=no", "--threshold=100", "--auto=no",
                     path])
    functions = {}
    for line in stdout.splitlines():
        m = ANNOTATE_LINE.match(line)
        if m and ":" in m.group(2):
            name = short_function_name(m.group(2))
            functions[name] = functions.get(name, 0) + int(m.group(1).replace(",", ""))
    return functions


def short_function_name(text):
    """'/a/b/format.c:put_csv [/x/libiomon.so]' as 'put_csv (format.c, libiomon.so)'."""
    m = re.match(r"^(.*?):(\S+)(?:\s+\[(.*)\])?$", text)
    if not m:
        return text
    where = [os.path.basename(m.group(1))]
    if m.group(3):
        where.append(os.path.basename(m.group(3)))
    return "%s (%s)" % (m.group(2), ", ".join(where))


def callgrind_run(args, mode, n, workdir, traced, env=None):
    out = os.path.join(workdir, "callgrind.%s.%d.%s" % (mode, n, "iomon" if traced else "bare"))
    # A file per thread (OUT-01 the workload's own, OUT-02 iomon's sender):
    # what iomon costs the calling thread shows apart.
    argv = [args.valgrind, "--tool=callgrind", "--separate-threads=yes",
            "--callgrind-out-file=" + out, args.workload, mode, str(n), workdir]
    if traced:
        argv = [args.iomon, "-o", os.path.join(workdir, "trace.csv"), "--"] + argv
    result = parse_workload_output(run(argv, env)[0])
    if traced and result["wrapped_calls"] == 0:
        raise RunError("libiomon.so was not loaded under valgrind: " + " ".join(argv))
    files = sorted(f for f in (os.path.join(workdir, name) for name in os.listdir(workdir))
                   if f.startswith(out + "-"))
    if not files:
        raise RunError("callgrind wrote no %s-NN file" % out)
    result["ir"] = sum(callgrind_total(f) for f in files)
    result["ir_caller"] = callgrind_total(files[0])
    result["functions"] = {}
    for f in files:
        if args.callgrind_annotate:
            for name, ir in callgrind_functions(args, f).items():
                result["functions"][name] = result["functions"].get(name, 0) + ir
        os.unlink(f)
    return result


def callgrind(args, workdir):
    print()
    print("callgrind: user-space instructions (Ir) of the traced process, from the"
          " difference of two runs (N1, N2 iterations), so start-up and exit cancel")
    rows = []
    where = {}
    for mode in args.workloads:
        n1, n2 = CALLGRIND_N[mode]
        r = {(t, n): callgrind_run(args, mode, n, workdir, t)
             for t in (False, True) for n in (n1, n2)}
        if args.filtered:
            for name, env in FILTERED:
                for n in (n1, n2):
                    r[name, n] = callgrind_run(args, mode, n, workdir, True, env)
        d_calls = r[True, n2]["wrapped_calls"] - r[True, n1]["wrapped_calls"]
        d_io = r[False, n2]["loop_calls"] - r[False, n1]["loop_calls"]
        bare_slope = (r[False, n2]["ir"] - r[False, n1]["ir"]) / d_io
        def added(key, t=True):
            return ((r[t, n2][key] - r[t, n1][key])
                    - (r[False, n2][key] - r[False, n1][key])) / d_calls
        rows.append((mode, "%d/%d" % (n1, n2), "%.0f" % bare_slope, "%.0f" % added("ir"),
                     "%.0f" % added("ir_caller")))
        if args.filtered:
            for name, _ in FILTERED:
                rows.append(("  " + name, "", "", "%.0f" % added("ir", name),
                             "%.0f" % added("ir_caller", name)))
        # Where the added instructions go: per function, the iomon run's
        # slope less the bare run's.
        def slope(t):
            a, b = r[t, n1]["functions"], r[t, n2]["functions"]
            return {f: b.get(f, 0) - a.get(f, 0) for f in set(a) | set(b)}
        si, sb = slope(True), slope(False)
        where[mode] = sorted(((si.get(f, 0) - sb.get(f, 0)) / d_calls, f)
                             for f in set(si) | set(sb))[::-1]
    print_table(("workload", "N1/N2", "Ir/call bare", "+Ir/wrapped call", "calling thread"),
                rows)
    print("  Ir/call bare: the workload's and the C library's instructions per I/O call;"
          " +Ir/wrapped call: what iomon adds,")
    print("  its sender thread included; calling thread: of those, what the workload's own"
          " thread runs.")
    print("  Under valgrind clock_gettime() is a system call, not the vDSO's code, and rdtsc"
          " one instruction.")
    for mode, functions in where.items():
        if not functions:
            continue
        print()
        print("  %s: where the added instructions go, Ir per wrapped call"
              " (callgrind_annotate --inclusive=no)" % mode)
        total = sum(x for x, _ in functions)
        for ir, f in functions[:args.top]:
            if ir < 0.5:
                break
            print("    %7.1f  %4.1f%%  %s" % (ir, 100 * ir / total, f))


def machine():
    load = os.getloadavg()
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d CPUs (%s), Linux %s, load average %.2f %.2f %.2f" % (
        platform.node(), os.cpu_count(), cpu, platform.release(), *load)


def null_call_ns(args, workdir):
    """What a system call that does no work (getppid) costs here, bare: the
    floor under every I/O call, by which machines differ most."""
    n = NULL_CALLS
    return statistics.median(
        run_once(args, Config("bare", lambda t: []), "nullcall", n, workdir)["loop_ns"] / n
        for _ in range(5))


def fs_type(path):
    best, kind = "", "?"
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            mnt = fields[1]
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                best, kind = mnt, fields[2]
    return kind


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iomon", required=True, help="the built iomon launcher")
    p.add_argument("--workload", required=True, help="the built bench/workload")
    p.add_argument("--runs", type=COUNT, default=5, help="runs of each configuration (5)")
    p.add_argument("--n", type=COUNT_OR_0, default=0,
                   help="iterations per run (default: what takes --seconds bare)")
    p.add_argument("--seconds", type=number_at_least(float, 1e-3, "a number of seconds,"
                                                         " 0.001 or more"), default=0.3,
                   help="bare time per run when --n is not given (0.3)")
    p.add_argument("--workloads", default=",".join(WORKLOADS),
                   help="comma-separated, of: %s (default: %s)"
                   % (", ".join(WORKLOADS + MORE_WORKLOADS), ",".join(WORKLOADS)))
    p.add_argument("--seed", type=int, default=1,
                   help="of the order of the configurations in each round (1)")
    p.add_argument("--pause", type=SECONDS, default=0.2,
                   help="seconds between two timed runs (0.2)")
    p.add_argument("--strace", default=shutil.which("strace"), help="strace to compare with")
    p.add_argument("--no-strace", dest="strace", action="store_const", const=None)
    p.add_argument("--strace-divisor", type=COUNT, default=10,
                   help="strace runs do N/this iterations (10): it is that much slower")
    p.add_argument("--reference", help="the reference interposer, bench/libcounter.so,"
                   " to run beside iomon (default: none)")
    p.add_argument("--no-timing", action="store_true", help="skip the timed runs")
    p.add_argument("--no-filtered", dest="filtered", action="store_false",
                   help="leave out the configurations where the library filters every call"
                   " out")
    p.add_argument("--callgrind", action="store_true",
                   help="count instructions per wrapped call with callgrind")
    p.add_argument("--valgrind", default=shutil.which("valgrind") or "valgrind")
    p.add_argument("--callgrind-annotate", default=shutil.which("callgrind_annotate"),
                   help="for the functions the instructions go to")
    p.add_argument("--top", type=COUNT_OR_0, default=12, help="functions to show (12)")
    p.add_argument("--dir", help="where the workload's files and the traces go"
                   " (default: a new directory in /dev/shm, a tmpfs)")
    args = p.parse_args()
    args.calibrated = {}
    args.workloads = [w for w in args.workloads.split(",") if w]
    for w in args.workloads:
        if w not in WORKLOADS + MORE_WORKLOADS:
            p.error("unknown workload %s" % w)

    parent = args.dir or ("/dev/shm" if os.path.isdir("/dev/shm") else None)
    workdir = tempfile.mkdtemp(prefix="iomon-bench.", dir=parent)
    print("iomon benchmark, %s" % time.strftime("%Y-%m-%d %H:%M:%S %z"))
    print("machine: %s" % machine())
    print("files and traces in %s (%s)" % (workdir, fs_type(workdir)))
    if not args.no_timing:
        print("%d runs of each configuration, interleaved in shuffled rounds (seed %d); medians"
              % (args.runs, args.seed))
        print("a system call that does no work (getppid), bare: %s ns (median of 5 runs)"
              % fmt_ns(null_call_ns(args, workdir)))
    start = time.monotonic()
    try:
        check_failed = False
        if not args.no_timing:
            check_failed = timing(args, workdir)
            check_failed |= within_process(args, workdir)
        if args.callgrind:
            callgrind(args, workdir)
    except (RunError, OSError) as e:
        print("bench: %s" % e, file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print("%.0f s; load average at the end %.2f %.2f %.2f"
          % (time.monotonic() - start, *os.getloadavg()))
    if check_failed:
        print("FAILED: iomon lost or added records (see 'records' above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
