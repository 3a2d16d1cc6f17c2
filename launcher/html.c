/* iomon report --html: see html.h. */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/tree.h>
#include <time.h>

#include "html.h"
#include "jsonl.h"
#include "xalloc.h"

/* ---- The timeline's data ---- */

/* What one row (everything, a process, a file) did in one time bucket. */
struct cell {
	uint64_t idx; /* ts / width */
	uint64_t calls, bytes, time_ns;
};

/* A row's cells, by idx: records come mostly in time order, so a record
 * is nearly always added to the last cell or appended after it. */
struct row {
	struct cell *cells;
	size_t n, cap;
};

struct file_row {
	RB_ENTRY(file_row) entry;
	size_t len;
	char *path;
	struct row row;
};

struct process_row {
	RB_ENTRY(process_row) entry;
	int pid;
	struct row row;
};

static int file_cmp(const struct file_row *a, const struct file_row *b)
{
	int c = memcmp(a->path, b->path, a->len < b->len ? a->len : b->len);

	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int process_cmp(const struct process_row *a, const struct process_row *b)
{
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

RB_HEAD(file_rows, file_row);
RB_PROTOTYPE(file_rows, file_row, entry, file_cmp)
RB_GENERATE(file_rows, file_row, entry, file_cmp)
RB_HEAD(process_rows, process_row);
RB_PROTOTYPE(process_rows, process_row, entry, process_cmp)
RB_GENERATE(process_rows, process_row, entry, process_cmp)

struct html {
	struct row all;
	struct file_rows files;
	struct process_rows processes;
	/* The last rows used: a process's records, or a file's, come in runs. */
	struct file_row *last_file;
	struct process_row *last_process;
	size_t n_files, n_processes;
	uint64_t width;	 /* seconds per bucket */
	uint64_t lo, hi; /* first and last bucket index seen */
	bool empty;	 /* no call yet */
};

struct html *html_new(void)
{
	struct html *h = xcalloc(1, sizeof(*h), "html report");

	RB_INIT(&h->files);
	RB_INIT(&h->processes);
	h->width = 1;
	h->empty = true;
	return h;
}

/* The first cell of row at or after idx. */
static size_t lower_bound(const struct row *row, uint64_t idx)
{
	size_t lo = 0, hi = row->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (row->cells[mid].idx < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void row_add(struct row *row, uint64_t idx, const struct iomon_parsed *rec)
{
	size_t pos = row->n;
	struct cell *c;

	if (pos > 0 && row->cells[pos - 1].idx >= idx)
		pos = row->cells[pos - 1].idx == idx ? pos - 1 : lower_bound(row, idx);
	if (pos == row->n || row->cells[pos].idx != idx) {
		if (row->n == row->cap) {
			size_t cap = row->cap ? 2 * row->cap : 1;
			struct cell *cells = reallocarray(row->cells, cap, sizeof(*cells));

			if (!cells)
				err(1, "html report");
			row->cells = cells;
			row->cap = cap;
		}
		memmove(&row->cells[pos + 1], &row->cells[pos],
			(row->n - pos) * sizeof(*row->cells));
		row->cells[pos] = (struct cell){.idx = idx};
		row->n++;
	}
	c = &row->cells[pos];
	c->calls++;
	c->bytes += rec->bytes;
	c->time_ns += rec->duration_ns;
}

/* Buckets twice as wide: each pair of cells merges into one. */
static void row_widen(struct row *row)
{
	size_t kept = 0;

	for (size_t i = 0; i < row->n; i++) {
		struct cell c = row->cells[i];

		c.idx /= 2;
		if (kept > 0 && row->cells[kept - 1].idx == c.idx) {
			row->cells[kept - 1].calls += c.calls;
			row->cells[kept - 1].bytes += c.bytes;
			row->cells[kept - 1].time_ns += c.time_ns;
		} else {
			row->cells[kept++] = c;
		}
	}
	row->n = kept;
}

static void widen(struct html *h)
{
	struct file_row *f;
	struct process_row *p;

	h->width *= 2;
	h->lo /= 2;
	h->hi /= 2;
	row_widen(&h->all);
	RB_FOREACH(f, file_rows, &h->files)
		row_widen(&f->row);
	RB_FOREACH(p, process_rows, &h->processes)
		row_widen(&p->row);
}

/* Whether a record names a file in s1: the summary's rule (summary.h). */
static bool names_file(const struct iomon_parsed *rec)
{
	return rec->domain != IOMON_DOMAIN_PROCESSES && rec->s1_len > 0;
}

/* A file's row, or NULL when HTML_MAX_FILES files have one already. */
static struct row *file_row(struct html *h, const char *path, size_t len)
{
	struct file_row probe = {.path = (char *)path, .len = len};
	struct file_row *f = h->last_file;

	if (f && file_cmp(f, &probe) == 0)
		return &f->row;
	f = RB_FIND(file_rows, &h->files, &probe);
	if (!f) {
		if (h->n_files == HTML_MAX_FILES)
			return NULL;
		h->n_files++;
		f = xcalloc(1, sizeof(*f) + len + 1, "html report");
		f->path = (char *)(f + 1);
		memcpy(f->path, path, len);
		f->path[len] = '\0';
		f->len = len;
		RB_INSERT(file_rows, &h->files, f);
	}
	h->last_file = f;
	return &f->row;
}

/* A process's row, or NULL when HTML_MAX_PROCESSES have one already. */
static struct row *process_row(struct html *h, int pid)
{
	struct process_row probe = {.pid = pid};
	struct process_row *p = h->last_process;

	if (p && p->pid == pid)
		return &p->row;
	p = RB_FIND(process_rows, &h->processes, &probe);
	if (!p) {
		if (h->n_processes == HTML_MAX_PROCESSES)
			return NULL;
		h->n_processes++;
		p = xcalloc(1, sizeof(*p), "html report");
		p->pid = pid;
		RB_INSERT(process_rows, &h->processes, p);
	}
	h->last_process = p;
	return &p->row;
}

void html_add(struct html *h, const struct iomon_parsed *rec)
{
	struct row *row;
	uint64_t idx;

	/* START, STOP and DROPPED describe processes, not calls. */
	if (rec->domain == IOMON_DOMAIN_START_STOP)
		return;
	idx = rec->ts / h->width;
	if (h->empty) {
		h->lo = h->hi = idx;
		h->empty = false;
	}
	if (idx < h->lo)
		h->lo = idx;
	if (idx > h->hi)
		h->hi = idx;
	while (h->hi - h->lo + 1 > HTML_MAX_BUCKETS) {
		widen(h);
		idx = rec->ts / h->width;
	}
	row_add(&h->all, idx, rec);
	row = process_row(h, rec->pid);
	if (row)
		row_add(row, idx, rec);
	row = names_file(rec) ? file_row(h, rec->s1, rec->s1_len) : NULL;
	if (row)
		row_add(row, idx, rec);
}

void html_free(struct html *h)
{
	struct file_row *f, *next_f;
	struct process_row *p, *next_p;

	if (!h)
		return;
	for (f = RB_MIN(file_rows, &h->files); f; f = next_f) {
		next_f = RB_NEXT(file_rows, &h->files, f);
		RB_REMOVE(file_rows, &h->files, f);
		free(f->row.cells);
		free(f);
	}
	for (p = RB_MIN(process_rows, &h->processes); p; p = next_p) {
		next_p = RB_NEXT(process_rows, &h->processes, p);
		RB_REMOVE(process_rows, &h->processes, p);
		free(p->row.cells);
		free(p);
	}
	free(h->all.cells);
	free(h);
}

/* ---- Writing HTML ---- */

/* Text as HTML: markup characters as entities; bytes that are not valid
 * UTF-8, and control characters, as \xNN, so that any path shows. */
static void put_text(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n;

		switch (c) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			n = c < 0x20 || c == 0x7f ? 0
						  : jsonl_utf8_length((const unsigned char *)s + i,
								      len - i);
			if (n == 0) {
				fprintf(out, "\\x%02x", c);
				break;
			}
			fwrite(s + i, 1, n, out);
			i += n;
			continue;
		}
		i++;
	}
}

static void put_str(FILE *out, const char *s)
{
	put_text(out, s, strlen(s));
}

static void put_duration(FILE *out, uint64_t ns)
{
	char buf[SUMMARY_FIELD_MAX];

	summary_format_duration(buf, ns);
	put_str(out, buf);
}

static void put_bytes(FILE *out, uint64_t bytes)
{
	char buf[SUMMARY_FIELD_MAX];

	summary_format_bytes(buf, bytes);
	put_str(out, buf);
}

static void put_op_name(FILE *out, unsigned domain, unsigned op)
{
	const char *d = iomon_domain_name(domain), *o = iomon_op_name(op);

	if (d)
		fputs(d, out);
	else
		fprintf(out, "%u", domain);
	putc('/', out);
	if (o)
		fputs(o, out);
	else
		fprintf(out, "%u", op);
}

/* "2017-02-24 22:27:31" (UTC). */
static void format_time(char buf[32], uint64_t ts)
{
	time_t t = (time_t)ts;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, 32, "%" PRIu64, ts);
}

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;"
    "border-bottom:1px solid #ddd;padding-bottom:4px}"
    "table{border-collapse:collapse;margin:4px 0}"
    "th,td{padding:2px 10px;text-align:right;border-bottom:1px solid #eee;white-space:nowrap}"
    "th{background:#f4f4f4}td.name,th.name{text-align:left;white-space:normal;"
    "word-break:break-all;max-width:520px}"
    ".totals span{margin-right:18px}.muted{color:#777}"
    ".hists{display:flex;flex-wrap:wrap;gap:16px}"
    "h3{font-size:14px;margin:16px 0 6px}"
    ".hist{border:1px solid #eee;padding:6px}.hist h3{font-size:13px;margin:0 0 4px}"
    "svg text{font-size:10px;fill:#555}svg.chart{max-width:100%;height:auto}"
    ".lane-label{font-size:11px;fill:#222}";

/* ---- The timeline ---- */

/* Bits in ns: 0 for 0, then floor(log2(ns)) + 1; a log scale in integers. */
static unsigned bin_of(uint64_t ns)
{
	unsigned b = 0;

	for (; ns; ns >>= 1)
		b++;
	return b;
}

#define LANE_LABEL_W 240
#define CHART_W 640
#define BAR_H 90
#define LANE_H 16
#define LABEL_MAX 34 /* bytes of a lane's label shown */

struct lane {
	const char *label; /* text; may hold any byte */
	size_t label_len;
	const struct row *row;
};

/* The cell of bucket idx, or NULL when the row did nothing then. */
static const struct cell *find_cell(const struct row *row, uint64_t idx)
{
	size_t pos = lower_bound(row, idx);

	return pos < row->n && row->cells[pos].idx == idx ? &row->cells[pos] : NULL;
}

static void put_bucket_title(FILE *out, const struct html *h, uint64_t idx, const struct cell *c)
{
	char from[32];

	format_time(from, idx * h->width);
	fprintf(out, "<title>%s UTC, %" PRIu64 " s: %" PRIu64 " calls, ", from, h->width,
		c ? c->calls : 0);
	put_bytes(out, c ? c->bytes : 0);
	fputs(", ", out);
	put_duration(out, c ? c->time_ns : 0);
	fputs("</title>", out);
}

/* The overall bars: bytes per bucket, calls as a line over them. */
static void put_overall(FILE *out, const struct html *h, uint64_t n)
{
	uint64_t max_bytes = 1, max_calls = 1;
	double w = (double)CHART_W / (double)n;

	for (uint64_t i = 0; i < n; i++) {
		const struct cell *c = find_cell(&h->all, h->lo + i);

		if (c && c->bytes > max_bytes)
			max_bytes = c->bytes;
		if (c && c->calls > max_calls)
			max_calls = c->calls;
	}
	fprintf(out,
		"<svg id=\"timeline-overall\" class=\"chart\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\">\n",
		LANE_LABEL_W + CHART_W, BAR_H + 20, LANE_LABEL_W + CHART_W, BAR_H + 20);
	fprintf(out,
		"<text class=\"lane-label\" x=\"0\" y=\"14\">bytes per bucket (bars)</text>"
		"<text class=\"lane-label\" x=\"0\" y=\"30\" fill=\"#c0392b\">calls per bucket "
		"(line)</text><text x=\"0\" y=\"46\">max ");
	put_bytes(out, max_bytes);
	fprintf(out, ", %" PRIu64 " calls</text>\n", max_calls);
	for (uint64_t i = 0; i < n; i++) {
		const struct cell *c = find_cell(&h->all, h->lo + i);
		double bh = c ? (double)BAR_H * (double)c->bytes / (double)max_bytes : 0;

		fprintf(out,
			"<rect class=\"bin\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\" fill=\"#3a7bd5\" data-calls=\"%" PRIu64 "\">",
			LANE_LABEL_W + w * (double)i, BAR_H - bh, w > 2 ? w - 1 : w,
			bh > 0 ? bh : 0.0, c ? c->calls : 0);
		put_bucket_title(out, h, h->lo + i, c);
		fputs("</rect>\n", out);
	}
	fputs("<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.5\" points=\"", out);
	for (uint64_t i = 0; i < n; i++) {
		const struct cell *c = find_cell(&h->all, h->lo + i);
		double ch = c ? (double)BAR_H * (double)c->calls / (double)max_calls : 0;

		fprintf(out, "%.1f,%.1f ", LANE_LABEL_W + w * ((double)i + 0.5), BAR_H - ch);
	}
	fputs("\"/>\n", out);
	char first[32], last[32];
	format_time(first, h->lo * h->width);
	format_time(last, (h->hi + 1) * h->width - 1);
	fprintf(out,
		"<text x=\"%d\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" "
		"text-anchor=\"end\">%s UTC</text>\n</svg>\n",
		LANE_LABEL_W, BAR_H + 14, first, LANE_LABEL_W + CHART_W, BAR_H + 14, last);
}

/* One row per process or file: each bucket's cell shaded by its time
 * spent, on a log scale against the busiest cell of all the lanes. */
static void put_lanes(FILE *out, const struct html *h, uint64_t n, const char *id,
		      const struct lane *lanes, size_t n_lanes)
{
	double w = (double)CHART_W / (double)n;
	uint64_t max_time = 1;

	for (size_t l = 0; l < n_lanes; l++)
		for (uint64_t i = 0; i < n; i++) {
			const struct cell *c = find_cell(lanes[l].row, h->lo + i);

			if (c && c->time_ns > max_time)
				max_time = c->time_ns;
		}
	fprintf(out,
		"<svg id=\"%s\" class=\"chart\" width=\"%d\" height=\"%zu\" viewBox=\"0 0 %d "
		"%zu\" role=\"img\">\n",
		id, LANE_LABEL_W + CHART_W, n_lanes * LANE_H + 2, LANE_LABEL_W + CHART_W,
		n_lanes * LANE_H + 2);
	for (size_t l = 0; l < n_lanes; l++) {
		double y = (double)(l * LANE_H);
		size_t shown = lanes[l].label_len;

		/* The end of a path says most: keep its last LABEL_MAX bytes. */
		const char *label = lanes[l].label;
		fprintf(out, "<g class=\"lane\"><text class=\"lane-label\" x=\"0\" y=\"%.0f\">",
			y + 12);
		if (shown > LABEL_MAX) {
			fputs("…", out);
			label += shown - LABEL_MAX;
			shown = LABEL_MAX;
		}
		put_text(out, label, shown);
		fputs("<title>", out);
		put_text(out, lanes[l].label, lanes[l].label_len);
		fputs("</title></text>", out);
		fprintf(out,
			"<rect x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%d\" fill=\"#f6f6f6\"/>",
			LANE_LABEL_W, y + 1, CHART_W, LANE_H - 2);
		for (uint64_t i = 0; i < n; i++) {
			const struct cell *c = find_cell(lanes[l].row, h->lo + i);
			double shade;

			if (!c)
				continue;
			shade = 0.15 + 0.85 * bin_of(c->time_ns) / bin_of(max_time);
			fprintf(out,
				"<rect class=\"bin\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" "
				"height=\"%d\" fill=\"#e67e22\" fill-opacity=\"%.2f\" "
				"data-calls=\"%" PRIu64 "\">",
				LANE_LABEL_W + w * (double)i, y + 1, w, LANE_H - 2, shade, c->calls);
			put_bucket_title(out, h, h->lo + i, c);
			fputs("</rect>", out);
		}
		fputs("</g>\n", out);
	}
	fputs("</svg>\n", out);
}

static void put_timeline(FILE *out, const struct html *h, const struct summary *s)
{
	const struct summary_process *procs[HTML_TOP_ROWS];
	const struct summary_file *files[HTML_TOP_ROWS];
	struct lane lanes[HTML_TOP_ROWS];
	char labels[HTML_TOP_ROWS][64];
	size_t n_procs, n_files, kept = 0;
	uint64_t n;

	fputs("<section id=\"timeline\"><h2>Timeline</h2>\n", out);
	if (h->empty) {
		fputs("<p class=\"muted\">No calls.</p></section>\n", out);
		return;
	}
	n = h->hi - h->lo + 1;
	fprintf(out,
		"<p class=\"muted\">%" PRIu64 " bucket%s of %" PRIu64
		" s (records carry whole seconds); hover for figures.</p>\n",
		n, n == 1 ? "" : "s", h->width);
	put_overall(out, h, n);

	/* The summary ranks processes and files; this module has their rows. */
	n_procs = summary_sorted_processes(s, SUMMARY_BY_TIME, procs, HTML_TOP_ROWS);
	for (size_t i = 0; i < n_procs; i++) {
		struct process_row probe = {.pid = procs[i]->pid};
		const struct process_row *p =
		    RB_FIND(process_rows, (struct process_rows *)&h->processes, &probe);
		int len = snprintf(labels[kept], sizeof(labels[kept]), "%d %s", procs[i]->pid,
				   procs[i]->command ? procs[i]->command : "");

		if (len < 0)
			len = 0;
		if ((size_t)len >= sizeof(labels[kept]))
			len = sizeof(labels[kept]) - 1;
		if (p) {
			lanes[kept] = (struct lane){labels[kept], (size_t)len, &p->row};
			kept++;
		}
	}
	fprintf(out, "<h3>Per process (pid, command), the %zu busiest by time</h3>\n", kept);
	put_lanes(out, h, n, "timeline-processes", lanes, kept);

	n_files = summary_sorted_files(s, SUMMARY_BY_TIME, files, HTML_TOP_ROWS);
	kept = 0;
	for (size_t i = 0; i < n_files; i++) {
		struct file_row probe = {.path = (char *)files[i]->path, .len = files[i]->path_len};
		const struct file_row *f =
		    RB_FIND(file_rows, (struct file_rows *)&h->files, &probe);

		if (f)
			lanes[kept++] = (struct lane){files[i]->path, files[i]->path_len, &f->row};
	}
	fprintf(out, "<h3>Per file, the %zu busiest by time</h3>\n", kept);
	put_lanes(out, h, n, "timeline-files", lanes, kept);
	fputs("</section>\n", out);
}

/* ---- Latency histograms ---- */

#define HIST_W 300
#define HIST_H 100

/* Bin 0 holds the calls of 0 ns, bin b >= 1 those in [2^(b-1), 2^b): every
 * power of two is a bucket boundary of the summary's histograms, so each
 * bin's count is exact (histogram.h). */
#define MAX_BINS 65

static uint64_t below_pow2(const struct histogram *hist, unsigned k)
{
	return k >= 64 ? hist->count : histogram_count_at_most(hist, (UINT64_C(1) << k) - 1);
}

static uint64_t bin_low(unsigned b)
{
	return b == 0 ? 0 : UINT64_C(1) << (b - 1);
}

static uint64_t bin_high(unsigned b)
{
	return b == 0 ? 0 : b >= 64 ? UINT64_MAX : (UINT64_C(1) << b) - 1;
}

static void put_histogram(FILE *out, const struct summary_op *op)
{
	const struct histogram *hist = &op->latency;
	unsigned first = bin_of(hist->min), last = bin_of(hist->max);
	uint64_t counts[MAX_BINS], max = 1;
	double w;

	for (unsigned b = first; b <= last; b++) {
		counts[b] = below_pow2(hist, b) - (b == 0 ? 0 : below_pow2(hist, b - 1));
		if (counts[b] > max)
			max = counts[b];
	}
	/* A narrow histogram keeps narrow bars. */
	w = (double)HIST_W / (last - first + 1 < 8 ? 8 : last - first + 1);
	fputs("<div class=\"hist\"><h3>", out);
	put_op_name(out, op->domain, op->op);
	fprintf(out, " <span class=\"muted\">%" PRIu64 " calls, p50 ", op->calls);
	put_duration(out, histogram_percentile(hist, 50));
	fputs(", p99 ", out);
	put_duration(out, histogram_percentile(hist, 99));
	fputs("</span></h3>\n<svg class=\"histogram\" data-op=\"", out);
	put_op_name(out, op->domain, op->op);
	fprintf(out, "\" width=\"%d\" height=\"%d\" role=\"img\">\n", HIST_W, HIST_H + 28);
	for (unsigned b = first; b <= last; b++) {
		double bh = (double)HIST_H * (double)counts[b] / (double)max;

		fprintf(out,
			"<rect class=\"bin\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			"fill=\"#27ae60\" data-count=\"%" PRIu64 "\"><title>",
			w * (b - first), HIST_H - bh, w > 2 ? w - 1 : w, bh, counts[b]);
		put_duration(out, bin_low(b));
		fputs(" to ", out);
		put_duration(out, bin_high(b));
		fprintf(out, ": %" PRIu64 " calls</title></rect>\n", counts[b]);
	}
	fprintf(out, "<text x=\"0\" y=\"%d\">", HIST_H + 12);
	put_duration(out, bin_low(first));
	fprintf(out, "</text><text x=\"%.0f\" y=\"%d\" text-anchor=\"end\">",
		w * (last - first + 1), HIST_H + 12);
	put_duration(out, bin_high(last));
	fprintf(out,
		"</text><text x=\"%d\" y=\"%d\" text-anchor=\"middle\">latency (bins of powers "
		"of two)</text>\n</svg></div>\n",
		HIST_W / 2, HIST_H + 24);
}

static void put_histograms(FILE *out, const struct summary_op *ops, size_t n)
{
	fputs("<section id=\"histograms\"><h2>Latency per op</h2>\n", out);
	if (n > HTML_TOP_ROWS)
		fprintf(out, "<p class=\"muted\">The %d ops with the most time spent, of %zu.</p>\n",
			HTML_TOP_ROWS, n);
	fputs("<div class=\"hists\">\n", out);
	for (size_t i = 0; i < n && i < HTML_TOP_ROWS; i++)
		if (ops[i].calls)
			put_histogram(out, &ops[i]);
	fputs("</div></section>\n", out);
}

/* ---- Tables ---- */

static void put_ops_table(FILE *out, const struct summary_op *ops, size_t n)
{
	fputs("<section id=\"summary\"><h2>Per op</h2>\n<table id=\"ops\"><thead><tr>"
	      "<th class=\"name\">op</th><th>calls</th><th>errors</th><th>bytes</th>"
	      "<th>total time</th><th>mean</th><th>p50</th><th>p95</th><th>p99</th>"
	      "<th>max</th></tr></thead><tbody>\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		const struct summary_op *op = &ops[i];

		fputs("<tr><td class=\"name\">", out);
		put_op_name(out, op->domain, op->op);
		fprintf(out, "</td><td class=\"calls\">%" PRIu64 "</td><td class=\"errors\">%" PRIu64
			     "</td><td class=\"bytes\" title=\"%" PRIu64 " bytes\">",
			op->calls, op->errors, op->bytes);
		put_bytes(out, op->bytes);
		fputs("</td><td>", out);
		put_duration(out, op->latency.total);
		fputs("</td><td>", out);
		put_duration(out, histogram_mean(&op->latency));
		static const double pcts[] = {50, 95, 99};
		for (size_t k = 0; k < 3; k++) {
			fputs("</td><td>", out);
			put_duration(out, histogram_percentile(&op->latency, pcts[k]));
		}
		fputs("</td><td>", out);
		put_duration(out, op->latency.max);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table></section>\n", out);
}

static void put_files_table(FILE *out, const struct summary *s, enum summary_order order,
			    const char *id, const char *heading)
{
	const struct summary_file *files[HTML_TOP_ROWS];
	size_t n = summary_sorted_files(s, order, files, HTML_TOP_ROWS);

	fprintf(out,
		"<section id=\"%s\"><h2>%s</h2>\n<table><thead><tr><th class=\"name\">file</th>"
		"<th>calls</th><th>errors</th><th>bytes</th><th>time</th></tr></thead><tbody>\n",
		id, heading);
	for (size_t i = 0; i < n; i++) {
		fputs("<tr><td class=\"name\">", out);
		put_text(out, files[i]->path, files[i]->path_len);
		fprintf(out, "</td><td class=\"calls\">%" PRIu64 "</td><td>%" PRIu64
			     "</td><td class=\"bytes\" title=\"%" PRIu64 " bytes\">",
			files[i]->calls, files[i]->errors, files[i]->bytes);
		put_bytes(out, files[i]->bytes);
		fputs("</td><td>", out);
		put_duration(out, files[i]->time_ns);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table></section>\n", out);
}

static void put_processes_table(FILE *out, const struct summary *s)
{
	const struct summary_process *procs[HTML_TOP_ROWS];
	size_t n = summary_sorted_processes(s, SUMMARY_BY_TIME, procs, HTML_TOP_ROWS);

	fputs("<section id=\"processes\"><h2>Processes</h2>\n<table><thead><tr><th>pid</th>"
	      "<th>parent</th><th class=\"name\">command</th><th>calls</th><th>bytes</th>"
	      "<th>time</th><th>exit</th><th>lost</th></tr></thead><tbody>\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		const struct summary_process *p = procs[i];

		fprintf(out, "<tr><td>%d</td><td>%d</td><td class=\"name\">", p->pid, p->ppid);
		if (p->command)
			put_str(out, p->command);
		fprintf(out, "</td><td class=\"calls\">%" PRIu64 "</td><td>", p->calls);
		put_bytes(out, p->bytes);
		fputs("</td><td>", out);
		put_duration(out, p->time_ns);
		fputs("</td><td>", out);
		put_str(out, p->exit_status ? p->exit_status : "");
		fprintf(out, "</td><td>%" PRIu64 "</td></tr>\n", p->dropped);
	}
	fputs("</tbody></table>", out);
	if (s->process_count > n)
		fprintf(out, "<p class=\"muted\">The %zu busiest of %zu.</p>", n, s->process_count);
	fputs("</section>\n", out);
}

static void put_totals(FILE *out, const struct summary *s)
{
	char first[32], last[32];

	fputs("<p class=\"totals\" id=\"totals\">", out);
	fprintf(out, "<span><b id=\"total-calls\">%" PRIu64 "</b> calls</span>", s->calls);
	fprintf(out, "<span><b id=\"total-errors\">%" PRIu64 "</b> errors</span><span><b>",
		s->errors);
	put_bytes(out, s->bytes);
	fputs("</b> transferred</span><span><b>", out);
	put_duration(out, s->time_ns);
	fprintf(out, "</b> in calls</span><span><b>%zu</b> processes</span><span><b>%zu</b> "
		     "files</span>",
		s->process_count, s->file_count);
	if (s->dropped)
		fprintf(out, "<span><b>%" PRIu64 "</b> records lost</span>", s->dropped);
	if (s->records) {
		format_time(first, s->first_ts);
		format_time(last, s->last_ts);
		fprintf(out, "<span class=\"muted\">%s to %s UTC</span>", first, last);
	}
	fputs("</p>\n", out);
}

bool html_write(const struct html *h, const struct summary *s, const char *title, FILE *out)
{
	size_t n_ops;
	struct summary_op *ops = summary_merged_ops(s, &n_ops);

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>iomon report: ",
	      out);
	put_str(out, title);
	fprintf(out, "</title>\n<style>%s</style>\n</head><body>\n<h1>iomon report: ", style);
	put_str(out, title);
	fputs("</h1>\n", out);
	put_totals(out, s);
	put_timeline(out, h, s);
	put_histograms(out, ops, n_ops);
	put_files_table(out, s, SUMMARY_BY_BYTES, "top-bytes", "Top files by bytes");
	put_files_table(out, s, SUMMARY_BY_TIME, "top-time", "Top files by time");
	put_ops_table(out, ops, n_ops);
	put_processes_table(out, s);
	fputs("</body></html>\n", out);
	free(ops);
	return fflush(out) != EOF && !ferror(out);
}
