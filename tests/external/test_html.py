#!/usr/bin/env python3
"""`iomon report FILE --html OUT.html`, rendered by a real headless Chromium.

    test_html.py IOMON STRESS

1. Records a known workload (`stress DIR threads 2 50`: each thread writes
   50 times 64 bytes to its file and preads them back), writes its HTML
   report, and checks the DOM Chromium renders against the records: the
   totals, the per-op table, the top file by bytes, one latency histogram
   per op whose bins add up to the op's calls, the timeline's lanes.  The
   page must be self-contained: nothing loaded from anywhere.
2. A trace of a million records over ten days: the page stays small (it is
   drawn from aggregates: at most 120 timeline columns) and Chromium renders
   it with the right total.

Exits 77 (skipped, for meson) only when Chromium is not installed:
./bootstrap installs it (Debian package chromium).
"""
import collections
import csv
import html.parser
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

from outside import fail, outside_env

CHROMIUM = "/usr/bin/chromium"
THREADS, ITER, SIZE = 2, 50, 64


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.text = [], ""

    def all_text(self):
        return self.text + "".join(c.all_text() for c in self.children)

    def find_all(self, pred):
        for c in self.children:
            if pred(c):
                yield c
            yield from c.find_all(pred)

    def by_id(self, id_):
        found = list(self.find_all(lambda n: n.attrs.get("id") == id_))
        if len(found) != 1:
            fail(f"want one element with id {id_}, found {len(found)}")
        return found[0]

    def tags(self, tag):
        return list(self.find_all(lambda n: n.tag == tag))


VOID = {"meta", "br", "img", "link", "input", "hr", "rect", "polyline"}


class TreeBuilder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#root", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.text += data


def render(page, tmp):
    """The DOM Chromium builds from the page, parsed."""
    dom = subprocess.run([CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox",
                          f"--user-data-dir={os.path.join(tmp, 'chromium')}",
                          "--dump-dom", "file://" + page],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         timeout=180, env=outside_env())
    if dom.returncode != 0 or "<body" not in dom.stdout:
        fail(f"chromium --dump-dom exited {dom.returncode}:\n{dom.stderr[-2000:]}")
    builder = TreeBuilder()
    builder.feed(dom.stdout)
    return builder.root


def report(iomon, trace, page):
    run = subprocess.run([iomon, "report", trace, "--html", page], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        fail(f"iomon report --html exited {run.returncode}:\n{run.stderr}")
    with open(page, encoding="utf-8") as f:
        text = f.read()
    # Self-contained: nothing fetched, no script or style from elsewhere.
    for pattern in (r"https?:", r"\bsrc\s*=", r"<link\b", r"@import", r"url\("):
        if re.search(pattern, text):
            fail(f"{page} refers to something outside it: /{pattern}/")
    return text


def rows(table):
    """A table's body rows as lists of cell texts."""
    return [[td.all_text().strip() for td in tr.tags("td")]
            for tr in table.tags("tbody")[0].tags("tr")]


def check_workload(iomon, stress, tmp):
    work = os.path.join(tmp, "work")
    os.mkdir(work)
    trace = os.path.join(tmp, "trace.csv")
    run = subprocess.run([iomon, "-f", "html", "-o", trace, "--", stress, work, "threads",
                          str(THREADS), str(ITER)],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        fail(f"workload exited {run.returncode}:\n{run.stderr}")

    # What the page must say, from the records themselves.
    ops = collections.Counter()
    file_bytes = collections.Counter()
    calls = 0
    with open(trace, newline="") as f:
        for r in csv.reader(f):
            domain, op, nbytes, s1 = int(r[4]), int(r[5]), int(r[8]), r[9]
            if domain == 16:  # START_STOP: processes, not calls
                continue
            calls += 1
            ops[(domain, op)] += 1
            if s1 and domain != 9:
                file_bytes[s1] += nbytes
    want_writes = ops[(11, 2)]
    want_reads = ops[(12, 3)]
    if want_writes != THREADS * ITER or want_reads != THREADS * ITER:
        fail(f"the trace holds {want_writes} writes and {want_reads} reads, "
             f"want {THREADS * ITER} each")
    # Bytes descending, then path: the report's order.
    top_file = sorted(file_bytes.items(), key=lambda kv: (-kv[1], kv[0].encode()))[0][0]

    page = os.path.join(tmp, "report.html")
    report(iomon, trace, page)
    dom = render(page, tmp)

    got_calls = dom.by_id("total-calls").all_text().strip()
    if got_calls != str(calls):
        fail(f"total calls shown {got_calls}, want {calls}")
    table = {r[0]: r for r in rows(dom.by_id("ops"))}
    for name, want in (("FILE_WRITE/WRITE", want_writes), ("FILE_READ/READ", want_reads)):
        if name not in table or table[name][1] != str(want):
            fail(f"per-op table row {name}: {table.get(name)}, want {want} calls")
    if len(table) != len(ops):
        fail(f"per-op table has {len(table)} rows, the trace {len(ops)} ops")
    top = rows(dom.by_id("top-bytes").tags("table")[0])
    if not top or top[0][0] != top_file:
        fail(f"top file by bytes shown {top[0][0] if top else None}, want {top_file}")

    hists = dom.find_all(lambda n: n.tag == "svg" and "histogram" in n.attrs.get("class", ""))
    hists = {h.attrs["data-op"]: h for h in hists}
    if len(hists) != min(len(ops), 12):
        fail(f"{len(hists)} histograms, want one per op ({len(ops)}, at most 12)")
    for name, want in (("FILE_WRITE/WRITE", want_writes), ("FILE_READ/READ", want_reads)):
        if name not in hists:
            fail(f"no histogram for {name}: {sorted(hists)}")
        bins = [int(r.attrs["data-count"]) for r in hists[name].tags("rect")]
        if sum(bins) != want:
            fail(f"histogram {name}: bins add up to {sum(bins)}, want {want}")

    lanes = dom.by_id("timeline-processes").find_all(
        lambda n: "lane" in n.attrs.get("class", "").split())
    if len(list(lanes)) != 1:
        fail("want one process lane in the timeline")
    # Each lane's label has the full path in its <title>.
    file_lanes = [g.tags("title")[0].all_text()
                  for g in dom.by_id("timeline-files").find_all(
                      lambda n: "lane" in n.attrs.get("class", "").split())]
    if top_file not in file_lanes:
        fail(f"the top file {top_file} has no lane in the file timeline: {file_lanes}")
    dom.by_id("timeline-overall")
    print(f"ok workload: {calls} calls, {len(ops)} ops, top file {top_file}, "
          f"{len(hists)} histograms")


def check_million(iomon, tmp):
    """A million records over ten days, 300 processes, 5000 files."""
    trace = os.path.join(tmp, "million.csv")
    rng = random.Random(7)
    start = 1700000000
    with open(trace, "w") as f:
        for i in range(1000000):
            ts = start + i * 864000 // 1000000
            f.write(f"big,{ts},0.{rng.randrange(1000000):06d},{1000 + i % 300},12,3,0,3,"
                    f"{rng.randrange(65536)},/data/file{rng.randrange(5000)},\n")
    page = os.path.join(tmp, "million.html")
    text = report(iomon, trace, page)
    if len(text) > 1000000:
        fail(f"the page of a million records is {len(text)} bytes: not aggregated")
    dom = render(page, tmp)
    got = dom.by_id("total-calls").all_text().strip()
    if got != "1000000":
        fail(f"million: total calls shown {got}")
    bars = dom.by_id("timeline-overall").tags("rect")
    if not 60 <= len(bars) <= 120:
        fail(f"million: {len(bars)} timeline columns, want 60 to 120")
    print(f"ok a million records: a page of {len(text)} bytes, {len(bars)} timeline columns")


def main():
    if len(sys.argv) != 3:
        fail("usage: test_html.py IOMON STRESS")
    iomon, stress = sys.argv[1:]
    if not os.access(CHROMIUM, os.X_OK):
        print("SKIP: chromium is not installed (Debian package chromium; "
              "./bootstrap installs it)")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="iomon-html-")
    try:
        check_workload(iomon, stress, tmp)
        check_million(iomon, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS: the HTML report renders with the trace's figures")


if __name__ == "__main__":
    main()
