/*
 * Unit tests for launcher/html.c: the timeline's buckets (in and out of
 * time order, widening past HTML_MAX_BUCKETS) and the page's escaping.
 * tests/external/test_html.py renders whole pages in Chromium.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "html.h"
#include "summary.h"

static struct summary *summary;
static struct html *html;
static struct iomon_parsed parsed;
static char *page;

static void add(const char *line)
{
	int status = iomon_record_parse(line, strlen(line), &parsed);

	cr_assert_eq(status, IOMON_RECORD_OK, "%s: %s", line, iomon_record_strerror(status));
	summary_add(summary, &parsed);
	html_add(html, &parsed);
}

static void write_page(void)
{
	size_t len;
	FILE *out = open_memstream(&page, &len);

	cr_assert_not_null(out);
	cr_assert(html_write(html, summary, "t<&>.csv", out));
	cr_assert_eq(fclose(out), 0);
}

/* The calls of the overall timeline's columns, in order. */
static size_t overall_columns(uint64_t *calls, size_t max)
{
	const char *p = strstr(page, "id=\"timeline-overall\"");
	const char *end = p ? strstr(p, "</svg>") : NULL;
	size_t n = 0;

	cr_assert(p && end, "an overall timeline");
	while ((p = strstr(p, "data-calls=\"")) && p < end && n < max) {
		p += strlen("data-calls=\"");
		calls[n++] = strtoull(p, NULL, 10);
	}
	return n;
}

static void setup(void)
{
	summary = summary_new();
	html = html_new();
}

static void teardown(void)
{
	html_free(html);
	summary_free(summary);
	free(page);
}

TestSuite(timeline, .init = setup, .fini = teardown);

Test(timeline, one_second_buckets_in_any_order)
{
	/* Seconds 10, 12, 11, 10, 12: out of order, one column a second. */
	static const unsigned ts[] = {10, 12, 11, 10, 12};
	char line[128];
	uint64_t calls[8];

	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		snprintf(line, sizeof(line), "abcd,%u,0.001000,7,12,3,0,3,10,/f,", ts[i]);
		add(line);
	}
	write_page();
	cr_assert_eq(overall_columns(calls, 8), 3, "three seconds, three columns");
	cr_assert_eq(calls[0], 2, "second 10");
	cr_assert_eq(calls[1], 1, "second 11");
	cr_assert_eq(calls[2], 2, "second 12");
}

Test(timeline, a_long_trace_widens_buckets_and_keeps_every_call)
{
	char line[128];
	uint64_t calls[2 * HTML_MAX_BUCKETS], total = 0;
	size_t n;

	/* 1000 seconds, backwards for half of them: out of order on purpose. */
	for (unsigned i = 0; i < 1000; i++) {
		unsigned ts = 1000000 + (i < 500 ? 499 - i : i);

		snprintf(line, sizeof(line), "abcd,%u,0.001000,%u,12,3,0,3,10,/f%u,", ts, 7 + i % 3,
			 i % 5);
		add(line);
	}
	write_page();
	n = overall_columns(calls, sizeof(calls) / sizeof(calls[0]));
	cr_assert(n > HTML_MAX_BUCKETS / 4 && n <= HTML_MAX_BUCKETS, "%zu columns", n);
	for (size_t i = 0; i < n; i++)
		total += calls[i];
	cr_assert_eq(total, 1000, "every call is in a column");
	/* At 8 s, 1000 s take 125 buckets; at 16 s, 63. */
	cr_assert_not_null(strstr(page, "63 buckets of 16 s"), "1000 s in buckets of 16 s");
}

Test(timeline, files_past_the_limit_still_count_overall)
{
	char line[128];
	uint64_t calls[8];

	/* The first file is the busiest: its lane is drawn. */
	add("abcd,5,9.000000,7,12,3,0,3,1,/busy,");
	for (unsigned i = 0; i < HTML_MAX_FILES; i++) {
		snprintf(line, sizeof(line), "abcd,5,0.000001,7,12,3,0,3,1,/f%u,", i);
		add(line);
	}
	write_page();
	cr_assert_eq(overall_columns(calls, 8), 1);
	cr_assert_eq(calls[0], HTML_MAX_FILES + 1, "every call overall");
	const char *lanes = strstr(page, "id=\"timeline-files\"");
	cr_assert(lanes && strstr(lanes, "<title>/busy</title>"), "the busiest file's lane");
}

Test(timeline, names_are_escaped_and_bytes_that_are_not_utf8_shown)
{
	add("abcd,1,0.001000,7,12,3,0,3,10,\"/tmp/<b>&\"\"x\xff\xc3\xa9\",");
	write_page();
	cr_assert_not_null(strstr(page, "/tmp/&lt;b&gt;&amp;&quot;x\\xff\xc3\xa9"),
			   "the path, escaped, in:\n%s", page);
	cr_assert_null(strstr(page, "/tmp/<b>"), "no markup from a name");
	cr_assert_not_null(strstr(page, "<title>iomon report: t&lt;&amp;&gt;.csv</title>"));
}
