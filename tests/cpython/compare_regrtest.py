#!/usr/bin/env python3
"""CPython's own regression tests, with and without iomon, compared test by test.

iomon must never change the program it watches.  CPython's test suites for
the modules that sit closest to the calls iomon wraps -- os, io, fileio,
shutil, tempfile, subprocess, signal, threading, selectors and pty -- are a
large body of other people's assertions about exactly that: return values,
errno, descriptors, signals, fork and exec, threads.  This runs each module
twice, a few regrtests at a time, each in its own scratch directory (its
own --tempdir, TMPDIR and working directory, so none sees another's files):

    bare    PYTHON -m test -j1 -u RESOURCES --junit-xml ... MODULE
    iomon   iomon -o TRACE -- PYTHON -m test -j1 ...  (the same arguments)

With -j1 regrtest runs the module in a worker process, so under iomon every
test runs in a traced child of the traced regrtest.  Each test case
(test.test_os.FileTests.test_access, ...) gets an outcome from the JUnit
file regrtest writes: passed, skipped, failure or error, or absent when its
module produced none (a crash, a timeout); each module gets its file-level
result from regrtest's log (passed, failed, env changed, timed out...),
and its exit status.  All of them must be equal.

Some tests fail on this machine without iomon: the bare run is the
baseline, never all-green.  Some are timing-sensitive and can differ between
two runs with no iomon involved, so a first-round difference is not yet a
verdict: the tests that differ are run again, bare and under iomon, and a
difference is reported only when it shows again.  Every retried test is
printed with its four outcomes; one that did not show again is listed as
such, never dropped silently.

The iomon runs must also have really traced: the launcher's exit status is
the traced regrtest's (its STOP record says so too), the trace has a START
record of the regrtest worker running the module, which has records beyond its
START, and no DROPPED record says that records were lost.  So the test
cannot pass because iomon silently did nothing.

The interpreter: the first of --python (default: the one running this
script, then Debian's /usr/bin/python3) that has the `test` package with
all the modules; pyenv's shims are resolved to the real executable (through
its sys.executable), so that the traced program is Python, not a shell
script.  ./bootstrap installs Debian's libpython3.11-testsuite for them.

Resources (-u): everything but network and urlfetch (they need the
network) and largefile (test_io's multi-gigabyte files: minutes of disk
I/O, nothing the other tests do not already cover for iomon).  cpu and
walltime are on: threads hammering one buffered file and the long
timing tests are the very cases iomon must not disturb.
"""

import argparse
import concurrent.futures
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

# Longest first, so that -jN finishes sooner (regrtest keeps this order).
MODULES = ['test_subprocess', 'test_signal', 'test_io', 'test_threading', 'test_os',
           'test_selectors', 'test_shutil', 'test_tempfile', 'test_pty', 'test_fileio']
RESOURCES = 'all,-network,-urlfetch,-largefile'

# The record codes (libiomon/codes.h; they never change meaning).
DOMAIN_START_STOP = '16'
OP_START, OP_STOP, OP_DROPPED = '47', '48', '55'

# How a regrtest worker's command line names its module: 3.11.7 runs
# `-m test.libregrtest.worker {"tests": ["test_os"], ...}`, Debian's 3.11.2
# `-m test.regrtest --worker-args '[{...}, "test_os"]'`.
WORKER_MARKS = ('test.libregrtest.worker', '--worker-args', '--worker-json')

ABSENT = 'absent'


class Failure(Exception):
    pass


def pick_python(candidates, modules):
    """The real executable of the first candidate whose test package has
    every module, and what was wrong with the ones before it."""
    probe = ('import sys, importlib.util as u\n'
             'print(sys.executable)\n'
             'print(sys.version.split()[0])\n'
             'print(u.find_spec("test").submodule_search_locations[0]'
             ' if u.find_spec("test.libregrtest") else "")\n'
             'print(" ".join(m for m in sys.argv[1:] if not u.find_spec("test." + m)))\n')
    rejected = []
    for cand in candidates:
        if not cand or not shutil.which(cand):
            rejected.append(f'{cand or "(empty)"}: not found')
            continue
        try:
            out = subprocess.run([cand, '-I', '-c', probe, *modules], capture_output=True,
                                 text=True, timeout=60, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as e:
            rejected.append(f'{cand}: {e}')
            continue
        lines = out.stdout.split('\n')
        if out.returncode != 0 or len(lines) < 4:
            rejected.append(f'{cand}: probe failed: {out.stderr.strip()[-200:]}')
        elif not lines[2]:
            rejected.append(f'{cand} ({lines[0]}): no test package (test.libregrtest)')
        elif lines[3]:
            rejected.append(f'{cand} ({lines[0]}): no {lines[3]} in {lines[2]}')
        else:
            return lines[0], lines[1], lines[2], rejected
    return None, None, None, rejected


class Run:
    """One regrtest run, bare or under iomon, in a scratch directory of its own."""

    def __init__(self, name, base, python, modules, args, iomon=None, match=None):
        self.name = name
        self.dir = os.path.join(base, name)
        os.makedirs(os.path.join(self.dir, 'tmp'))
        self.modules = modules
        self.junit = os.path.join(self.dir, 'junit.xml')
        self.log = os.path.join(self.dir, 'regrtest.log')
        self.trace = os.path.join(self.dir, 'trace.csv') if iomon else None
        # -j1: a worker process, traced like any child, and one thread
        # in regrtest making the worker's files, so that their descriptor
        # numbers do not depend on how two threads interleave (test_os's
        # closerange tests skip or run according to them).
        argv = [python, '-m', 'test', '-j1', '-u', RESOURCES,
                '--timeout', str(args.timeout), '--tempdir', os.path.join(self.dir, 'tmp'),
                '--junit-xml', self.junit]
        if match:
            matchfile = os.path.join(self.dir, 'match.txt')
            with open(matchfile, 'w') as f:
                f.writelines(m + '\n' for m in match)
            argv += ['--matchfile', matchfile]
        argv += modules
        if iomon:
            argv = [iomon, '-o', self.trace, '--'] + argv
        self.argv = argv
        env = dict(os.environ)
        for var in ('TMPDIR', 'TEMP', 'TMP'):
            env[var] = os.path.join(self.dir, 'tmp')
        self.start = time.monotonic()
        with open(self.log, 'wb') as log:
            self.proc = subprocess.Popen(argv, cwd=self.dir, env=env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)

    def wait(self):
        self.status = self.proc.wait()
        self.seconds = time.monotonic() - self.start
        self.cases, self.messages = read_junit(self.junit)
        self.files = read_file_results(self.log, self.modules)
        return self

    def outcomes(self):
        """test id -> outcome; file-level results under 'test_x (file)'."""
        out = dict(self.cases)
        for m in self.modules:
            out[f'{m} (file)'] = self.files.get(m, ABSENT)
        out[f'{self.modules[0]} (exit status)'] = str(self.status)
        return out

    def tail(self, lines=25):
        with open(self.log, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])

    def hung(self):
        """Where each module that regrtest's --timeout stopped was: the
        frames in test files of the traceback it dumped."""
        out, dumping = [], False
        with open(self.log, errors='replace') as f:
            for line in f:
                timeout = re.search(r'Timeout \(\d+:\d\d:\d\d\)!', line)
                if timeout:
                    out.append(timeout.group(0) + '\n')
                    dumping = True
                elif dumping and line.startswith('  File '):
                    if '/test/test_' in line or '/test/support/' in line:
                        out.append(line)
                elif dumping and line.strip():
                    dumping = line.startswith(('Thread 0x', 'Current thread'))
        return ''.join(out)


def read_junit(path):
    """test id -> outcome, and test id -> the message of its failure."""
    cases, messages = {}, {}
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return cases, messages
    for tc in root.iter('testcase'):
        outcome = 'passed'
        for child in tc:
            if child.tag in ('error', 'failure', 'skipped'):
                # An error outweighs a failure, which outweighs a skip.
                rank = ('skipped', 'failure', 'error')
                if outcome == 'passed' or rank.index(child.tag) > rank.index(outcome):
                    outcome = child.tag
                if child.tag != 'skipped':
                    messages[tc.get('name')] = (child.get('message') or '') + (child.text or '')
        cases[tc.get('name')] = outcome
    return cases, messages


# "0:00:25 load avg: 1.2 [ 1/10] test_os passed", "[10/10/1] test_threading
# failed (1 failure) (31.2 sec) -- running ...", "test_x failed (env changed)".
FILE_RESULT = re.compile(r'\[\s*\d+/\d+(?:/\d+)?\] (test_\w+) (.*)$')


def read_file_results(log, modules):
    results = {}
    with open(log, errors='replace') as f:
        for line in f:
            m = FILE_RESULT.search(line.rstrip('\n'))
            if not m or m.group(1) not in modules:
                continue
            text = m.group(2).split(' -- ')[0]
            state = text.split(' (')[0].strip()
            if 'env changed' in text:
                state = 'env changed'
            results[m.group(1)] = state
    return results


def check_trace(run):
    """What proves that iomon traced the run: a list of problems, empty if none."""
    problems = []
    try:
        size = os.path.getsize(run.trace)
    except OSError as e:
        return [f'no trace: {e}']
    if size == 0:
        return ['the trace is empty']
    starts, stops, records, dropped = {}, {}, {}, 0
    with open(run.trace, newline='', encoding='utf-8', errors='surrogateescape') as f:
        for row in csv.reader(f):
            if len(row) != 11:
                problems.append(f'a record without 11 fields: {row[:6]}')
                continue
            pid = row[3]
            records[pid] = records.get(pid, 0) + 1
            if row[4] != DOMAIN_START_STOP:
                continue
            if row[5] == OP_START:
                starts[pid] = (row[9], row[10])
            elif row[5] == OP_STOP:
                stops[pid] = row[10]
            elif row[5] == OP_DROPPED:
                dropped += 1
    launcher = str(run.proc.pid)
    top = [pid for pid, (_, parent) in starts.items() if parent == launcher]
    if len(top) != 1:
        problems.append(f'{len(top)} START records of a child of the launcher (pid {launcher}), '
                        'not 1')
    elif stops.get(top[0]) != str(run.status):
        problems.append(f'the launcher exited {run.status}, but regrtest (pid {top[0]}) has '
                        f'STOP status {stops.get(top[0], "(no STOP record)")}')
    # The workers are regrtest's children (their own fork children start
    # with the same command line).
    workers = {pid: cmd for pid, (cmd, parent) in starts.items()
               if top and parent == top[0] and any(mark in cmd for mark in WORKER_MARKS)}
    for module in run.modules:
        mine = [pid for pid, cmd in workers.items() if f'"{module}"' in cmd]
        if not mine:
            problems.append(f'no START record of a regrtest worker running {module}')
        for pid in mine:
            if records.get(pid, 0) < 2:
                problems.append(f'worker {pid} ({module}) has no record but its START')
    if dropped:
        problems.append(f'{dropped} DROPPED records: records were lost')
    run.trace_summary = (f'{size / 1e6:.0f} MB, {sum(records.values())} records, '
                         f'{len(starts)} processes, {len(workers)} regrtest workers')
    return problems


class Runs:
    """The runs of one side (bare or iomon) of a round, one per module."""

    def __init__(self, name, runs):
        self.name = name
        self.runs = runs
        self.cases, self.messages, self.files = {}, {}, {}
        for r in runs:
            self.cases.update(r.cases)
            self.messages.update(r.messages)
            self.files.update(r.files)

    def outcomes(self):
        out = {}
        for r in self.runs:
            out.update(r.outcomes())
        return out


def run_pair(base, round_name, python, modules, args, match=None):
    """Each module bare and under iomon, args.jobs regrtest processes at a
    time, each in its own scratch directory."""
    def one(mode, module):
        name = f'{round_name}-{mode}-{module}'
        run = Run(name, base, python, [module], args, match=match,
                  iomon=args.iomon if mode == 'iomon' else None)
        if mode == 'iomon' and module == modules[0]:
            print(f'{round_name}: $ {" ".join(run.argv)}', flush=True)
        run.wait()
        print(f'{round_name}: {name} exited {run.status} in {run.seconds:.0f} s; '
              f'{len(run.cases)} test cases', flush=True)
        return run

    jobs = [(mode, m) for m in modules for mode in ('bare', 'iomon')]
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        runs = list(pool.map(lambda job: one(*job), jobs))
    return (Runs(f'{round_name}-bare', [r for r in runs if r.trace is None]),
            Runs(f'{round_name}-iomon', [r for r in runs if r.trace is not None]))


def differing(a, b):
    oa, ob = a.outcomes(), b.outcomes()
    return sorted(k for k in set(oa) | set(ob) if oa.get(k, ABSENT) != ob.get(k, ABSENT))


def module_of(test_id):
    """'test_os' for 'test.test_os.FileTests.test_access' and 'test_os (file)'."""
    if test_id.endswith((' (file)', ' (exit status)')):
        return test_id.split()[0]
    if test_id.startswith('test.'):
        return test_id.split('.')[1]
    return None


def retry_selection(diffs, files):
    """The modules and match patterns that run the differing tests again.
    A module runs again whole when its file-level result differs and no test
    case of it explains why (env changed, timed out, crashed)."""
    def whole_module(t):
        return t.endswith((' (file)', ' (exit status)'))

    with_cases = {module_of(t) for t in diffs if not whole_module(t)}
    whole = {module_of(t) for t in diffs if whole_module(t)
             and (module_of(t) not in with_cases
                  or not {r.get(module_of(t)) for r in files} <= {'passed', 'failed'})}
    patterns = {f'test.{m}.*' for m in whole}
    patterns |= {t for t in diffs if module_of(t) not in whole and not whole_module(t)}
    retry = {module_of(t) for t in diffs} - {None}
    return [m for m in MODULES if m in retry] + sorted(retry - set(MODULES)), sorted(patterns)


def collapse(rows, at_least=10):
    """Rows of one module with the same outcomes, when there are many (a
    module that timed out), as one row."""
    groups = {}
    for row in rows:
        groups.setdefault((module_of(row[0]), row[1:]), []).append(row)
    out = []
    for row in rows:
        group = groups[(module_of(row[0]), row[1:])]
        if len(group) < at_least or module_of(row[0]) is None:
            out.append(row)
        elif row is group[0]:
            out.append((f'test.{module_of(row[0])}.* ({len(group)} tests)',) + row[1:])
    return out


def table(rows, header):
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    fmt = '  '.join(f'{{:{w}}}' for w in widths)
    return '\n'.join(fmt.format(*r).rstrip() for r in [header] + rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    ap.add_argument('--iomon', required=True, help='the iomon launcher to test')
    ap.add_argument('--python', action='append',
                    help='an interpreter to try (repeatable; default: this one, then '
                         '/usr/bin/python3)')
    ap.add_argument('--module', action='append', help='run only this test module')
    ap.add_argument('--jobs', type=int, default=4,
                    help='regrtest processes at a time, bare and iomon together (default 4)')
    ap.add_argument('--timeout', type=int, default=300,
                    help='regrtest --timeout: seconds a test module may take (default 300)')
    ap.add_argument('--keep', action='store_true', help='keep the scratch directories')
    args = ap.parse_args()
    modules = args.module or MODULES

    python, version, testdir, rejected = pick_python(
        args.python or [sys.executable, '/usr/bin/python3'], modules)
    for r in rejected:
        print(f'cpython: not using {r}')
    if not python:
        print('cpython: FAIL: no interpreter has the test modules; ./bootstrap installs '
              "Debian's libpython3.11-testsuite")
        return 1
    print(f'cpython: interpreter {python} (Python {version}), tests from {testdir}')
    print(f'cpython: modules {" ".join(modules)}; {args.jobs} at a time, -u {RESOURCES}')

    base = tempfile.mkdtemp(prefix='iomon-cpython-')
    started = time.monotonic()
    try:
        return compare(base, python, modules, args, started)
    finally:
        if args.keep:
            print(f'cpython: scratch directories kept in {base}')
        else:
            shutil.rmtree(base, ignore_errors=True)


def traced_as_it_should(runs, round_name):
    ok = True
    for run in runs.runs:
        problems = check_trace(run)
        print(f'cpython: {run.name} trace: {getattr(run, "trace_summary", "-")}')
        for p in problems:
            print(f'cpython: FAIL: iomon did not trace as it should ({run.name}): {p}')
        ok &= not problems
    return ok


def print_baseline(bare):
    counts = {}
    for outcome in bare.cases.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    print(f'cpython: without iomon: {len(bare.cases)} test cases: '
          + ', '.join(f'{n} {o}' for o, n in sorted(counts.items())))
    failing = sorted(k for k, v in bare.cases.items() if v in ('failure', 'error'))
    failing += sorted(f'{m} (file): {v}' for m, v in bare.files.items() if v != 'passed')
    if failing:
        print('cpython: failing without iomon too (the baseline): ' + ', '.join(failing))


def print_details(test_ids, runs, kept, most=10):
    for test_id in test_ids[:most]:
        for run in runs:
            msg = run.messages.get(test_id)
            if msg:
                print(f'--- {test_id}, {run.name}:')
                print('\n'.join(msg.rstrip().split('\n')[-20:]))
    modules = {module_of(t) for t in test_ids}
    for run in [r for side in runs for r in side.runs if r.modules[0] in modules]:
        hung = run.hung()
        if hung:
            print(f'--- where {run.name} timed out (regrtest --timeout):')
            print(hung, end='')
        print(f'--- the end of {run.name}\'s output ({run.log}'
              f'{"" if kept else ", kept with --keep"}):')
        print(run.tail())


def compare(base, python, modules, args, started):
    bare, traced = run_pair(base, 'round1', python, modules, args)
    compared = len(set(bare.outcomes()) | set(traced.outcomes()))
    traced_ok = traced_as_it_should(traced, 'round1')
    print_baseline(bare)
    diffs = differing(bare, traced)
    real = []
    if diffs:
        o1b, o1i = bare.outcomes(), traced.outcomes()
        retry_modules, patterns = retry_selection(diffs, (bare.files, traced.files))
        if retry_modules:
            print(f'cpython: {len(diffs)} differ; running them again, in '
                  f'{" ".join(retry_modules)}: {" ".join(patterns[:20])}'
                  + (f' and {len(patterns) - 20} more' if len(patterns) > 20 else ''),
                  flush=True)
            bare, traced = run_pair(base, 'round2', python, retry_modules, args, match=patterns)
            traced_ok &= traced_as_it_should(traced, 'round2')
        # Without a second round (only the exit status differed), the first
        # round's outcomes are the verdict.
        o2b, o2i = bare.outcomes(), traced.outcomes()
        rows = []
        for test_id in diffs:
            b2, i2 = o2b.get(test_id, ABSENT), o2i.get(test_id, ABSENT)
            rows.append((test_id, o1b.get(test_id, ABSENT), o1i.get(test_id, ABSENT), b2, i2,
                         'DIFFERS' if b2 != i2 else 'not again (flaky)'))
            if b2 != i2:
                real.append(test_id)
        print(table(collapse(rows),
                    ('test', 'bare', 'iomon', 'bare again', 'iomon again', 'verdict')))
        flaky_bare = [r[0] for r in rows if r[1] != r[3]]
        if flaky_bare:
            print('cpython: changed between the two runs without iomon (flaky): '
                  + ', '.join(flaky_bare))
    if real:
        print(f'\ncpython: {len(real)} differ with iomon, in both rounds:')
        print_details(real, (bare, traced), args.keep)
    seconds = time.monotonic() - started
    if real or not traced_ok:
        print(f'cpython: FAIL: {len(real)} differences that showed twice; iomon traced '
              f'{"as it should" if traced_ok else "NOT as it should"} ({seconds:.0f} s in all)')
        return 1
    print(f'cpython: PASS: the same outcomes for all {compared} tests, files and exit '
          f'status{" (the differences did not show again)" if diffs else ""}; iomon traced '
          f'as it should ({seconds:.0f} s in all)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
