#!/usr/bin/env python3
"""A real Prometheus scrapes `iomon listen --metrics`.

    test_prometheus.py IOMON STRESS

Starts `iomon listen -p 0 --metrics 127.0.0.1:0`, checks one scrape with
`promtool check metrics`, starts /usr/bin/prometheus with a temporary
configuration that scrapes the collector every second, runs a known workload
under `iomon -p PORT` (two threads, 50 writes and 50 preads of 64 bytes
each), then asks Prometheus' HTTP API until the counters it stored are the
workload's.  Everything it started is killed at the end, pass or fail.

Exits 77 (skipped, for meson) only when Prometheus is not installed:
./bootstrap installs it (Debian package prometheus).
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from outside import fail, outside_env

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
DEADLINE_S = 120  # for the whole test; far more than it needs

THREADS, ITER, SIZE = 2, 50, 64
# What Prometheus must end up with, query -> value.
EXPECTED = {
    'iomon_calls_total{facility="prom",domain="FILE_WRITE",op="WRITE"}': THREADS * ITER,
    'iomon_bytes_total{facility="prom",domain="FILE_WRITE",op="WRITE"}': THREADS * ITER * SIZE,
    'iomon_calls_total{facility="prom",domain="FILE_READ",op="READ"}': THREADS * ITER,
    'iomon_bytes_total{facility="prom",domain="FILE_READ",op="READ"}': THREADS * ITER * SIZE,
    'iomon_errors_total{facility="prom",domain="FILE_READ",op="READ"}': 0,
    'iomon_call_duration_seconds_count{facility="prom",domain="FILE_READ",op="READ"}':
        THREADS * ITER,
    'iomon_call_duration_seconds_bucket{facility="prom",domain="FILE_READ",op="READ",le="+Inf"}':
        THREADS * ITER,
    'iomon_processes_started_total': 1,
    'iomon_processes_exited_total': 1,
    'iomon_records_dropped_total': 0,
    'iomon_lines_rejected_total': 0,
    'up{job="iomon"}': 1,
}

started = []  # every process this test started, killed at the end
deadline = time.monotonic() + DEADLINE_S


def left():
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        fail(f"not done within {DEADLINE_S} s")
    return remaining


def start(args, log, env=None):
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
    started.append(proc)
    return proc


def wait_for_line(path, pattern, proc):
    """The first match of pattern in the file a process writes to."""
    while True:
        with open(path, errors="replace") as f:
            match = re.search(pattern, f.read())
        if match:
            return match
        if proc.poll() is not None:
            with open(path, errors="replace") as f:
                fail(f"{proc.args[0]} exited ({proc.returncode}):\n{f.read()}")
        left()
        time.sleep(0.05)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=min(5, left())) as answer:
        return answer.status, answer.headers, answer.read()


def start_prometheus(tmp, target):
    config = os.path.join(tmp, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n"
                "  scrape_interval: 1s\n"
                "  evaluation_interval: 1s\n"
                "scrape_configs:\n"
                "  - job_name: iomon\n"
                "    static_configs:\n"
                f"      - targets: ['{target}']\n")
    # A port free a moment ago may be taken by then: try a few.
    for attempt in range(5):
        port = free_port()
        log_path = os.path.join(tmp, f"prometheus-{attempt}.log")
        log = open(log_path, "w")
        proc = start([PROMETHEUS, f"--config.file={config}",
                      f"--storage.tsdb.path={os.path.join(tmp, 'data')}",
                      f"--web.listen-address=127.0.0.1:{port}"], log, outside_env())
        while proc.poll() is None:
            try:
                status, _, _ = get(f"http://127.0.0.1:{port}/-/ready")
                if status == 200:
                    return port
            except OSError:
                pass
            left()
            time.sleep(0.2)
        with open(log_path) as f:
            text = f.read()
        if "address already in use" not in text:
            fail(f"prometheus exited ({proc.returncode}):\n{text}")
    fail("no free port for prometheus")


def query(port, expr):
    url = (f"http://127.0.0.1:{port}/api/v1/query?" +
           urllib.parse.urlencode({"query": expr}))
    _, _, body = get(url)
    answer = json.loads(body)
    if answer["status"] != "success":
        fail(f"query {expr}: {answer}")
    result = answer["data"]["result"]
    return [float(r["value"][1]) for r in result]


def check_promtool(metrics_url, tmp):
    status, headers, body = get(metrics_url)
    if status != 200 or not headers["Content-Type"].startswith("text/plain; version=0.0.4"):
        fail(f"GET {metrics_url}: {status} {headers['Content-Type']}")
    path = os.path.join(tmp, "scrape.txt")
    with open(path, "wb") as f:
        f.write(body)
    with open(path, "rb") as f:
        check = subprocess.run([PROMTOOL, "check", "metrics"], stdin=f, env=outside_env(),
                               capture_output=True, text=True, timeout=left())
    if check.returncode != 0 or check.stdout or check.stderr:
        fail(f"promtool check metrics:\n{check.stdout}{check.stderr}\non:\n"
             f"{body.decode()}")


def main():
    if len(sys.argv) != 3:
        fail("usage: test_prometheus.py IOMON STRESS")
    iomon, stress = sys.argv[1:]
    if not (os.access(PROMETHEUS, os.X_OK) and os.access(PROMTOOL, os.X_OK)):
        print("SKIP: prometheus is not installed (Debian package prometheus; "
              "./bootstrap installs it)")
        sys.exit(77)

    tmp = tempfile.mkdtemp(prefix="iomon-prometheus-")
    try:
        listen_log = os.path.join(tmp, "listen.log")
        listen = start([iomon, "listen", "-p", "0", "--metrics", "127.0.0.1:0",
                        "-o", os.path.join(tmp, "records.csv")],
                       open(listen_log, "w"))
        port = int(wait_for_line(listen_log, r"listening on 127\.0\.0\.1:(\d+)", listen)[1])
        metrics = wait_for_line(listen_log, r"metrics on (http://127\.0\.0\.1:(\d+)/metrics)",
                                listen)

        prometheus = start_prometheus(tmp, f"127.0.0.1:{metrics[2]}")

        work = os.path.join(tmp, "work")
        os.mkdir(work)
        run = subprocess.run([iomon, "-f", "prom", "-p", str(port), "--", stress, work,
                              "threads", str(THREADS), str(ITER)],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=left())
        if run.returncode != 0:
            fail(f"workload exited {run.returncode}:\n{run.stdout}{run.stderr}")

        check_promtool(metrics[1], tmp)

        # Prometheus scrapes every second: ask until it has every value.
        while True:
            got = {expr: query(prometheus, expr) for expr in EXPECTED}
            if all(values == [want] for (expr, want), values in
                   zip(EXPECTED.items(), got.values())):
                break
            if deadline - time.monotonic() < 1:
                fail("Prometheus did not get the expected values:\n" +
                     "\n".join(f"  {expr}: got {got[expr]}, want [{want}]"
                               for expr, want in EXPECTED.items()))
            time.sleep(0.5)
        for expr, want in EXPECTED.items():
            print(f"ok {expr} = {want}")
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.terminate()
        for proc in started:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    # iomon listen exits 0 on SIGTERM, once its output is written.
    if listen.returncode != 0:
        fail(f"iomon listen exited {listen.returncode}")
    print("PASS: Prometheus stored the workload's counters")


if __name__ == "__main__":
    main()
