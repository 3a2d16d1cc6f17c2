/*
 * iomon report --html: one self-contained page (inline CSS and SVG; no
 * network, no script or font from elsewhere) with a timeline of the I/O
 * per process and per file, latency histograms per op, the top files by
 * bytes and by time, and the summary's tables.
 *
 * The page is drawn from aggregates only, so its size does not grow with
 * the trace: the summary (summary.h) gives the tables and histograms, and
 * struct html, fed every record as the report reads it, keeps the timeline:
 * calls, bytes and time per time bucket, overall, per pid and per file.
 * Records carry whole seconds, so a bucket is one second or more; when the
 * trace spans more than HTML_MAX_BUCKETS of them, buckets double in width
 * (adjacent pairs merge), so the timeline keeps at most that many columns
 * and its memory grows with files and processes, not with records: at most
 * HTML_MAX_FILES files and HTML_MAX_PROCESSES processes have a timeline of
 * their own (the first seen; the overall timeline has every call).
 */
#ifndef IOMON_HTML_H
#define IOMON_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "record.h"
#include "summary.h"

/* Columns of the timeline, at most. */
#define HTML_MAX_BUCKETS 120
#define HTML_MAX_FILES 100000
#define HTML_MAX_PROCESSES 10000

/* Rows of each timeline (processes, files) and histograms drawn. */
#define HTML_TOP_ROWS 12

struct html;

/* Exits with a message when out of memory, as summary_new does. */
struct html *html_new(void);
/* Adds one record to the timeline. */
void html_add(struct html *h, const struct iomon_parsed *rec);
/* Writes the page about trace (named title) to out.  Returns false if
 * writing failed (errno tells why). */
bool html_write(const struct html *h, const struct summary *s, const char *title, FILE *out);
void html_free(struct html *h);

#endif
