/*
 * Unit tests for launcher/metrics.c: the exposition text for hand-made
 * records, its validity by promtool's own checker, and the HTTP server's
 * answers to good, bad and stalled requests.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "metrics.h"
#include "record.h"

static struct iomon_parsed parsed;

static void observe(const char *line)
{
	int status = iomon_record_parse(line, strlen(line), &parsed);

	cr_assert_eq(status, IOMON_RECORD_OK, "%s: %s", line, iomon_record_strerror(status));
	metrics_observe(&parsed);
}

static char *text;

static void render(void)
{
	size_t len;

	free(text);
	text = metrics_render(&len);
	cr_assert_eq(strlen(text), len, "render's length is the text's");
}

/* line is one whole line of the text. */
static void assert_line(const char *line)
{
	size_t len = strlen(line);

	for (const char *p = strstr(text, line); p; p = strstr(p + 1, line))
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return;
	cr_assert_fail("no line \"%s\" in:\n%s", line, text);
}

static void assert_no(const char *part)
{
	cr_assert_null(strstr(text, part), "\"%s\" should not be in:\n%s", part, text);
}

static void setup(void)
{
	metrics_reset();
}

static void teardown(void)
{
	free(text);
	text = NULL;
}

TestSuite(exposition, .init = setup, .fini = teardown);

Test(exposition, empty_registry_has_every_family_with_help_and_type)
{
	static const char *const counters[] = {
	    "iomon_calls_total",	     "iomon_errors_total",
	    "iomon_bytes_total",	     "iomon_processes_started_total",
	    "iomon_processes_exited_total",  "iomon_records_total",
	    "iomon_records_dropped_total",   "iomon_records_unlabelled_total",
	    "iomon_lines_rejected_total",    "iomon_connections_refused_total",
	};
	char line[128];

	render();
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		snprintf(line, sizeof(line), "# TYPE %s counter", counters[i]);
		assert_line(line);
		snprintf(line, sizeof(line), "# HELP %s ", counters[i]);
		cr_assert_not_null(strstr(text, line), "%s has HELP", counters[i]);
	}
	assert_line("# TYPE iomon_call_duration_seconds histogram");
	assert_line("iomon_records_total 0");
	assert_no("{");
}

Test(exposition, calls_errors_and_bytes_per_facility_domain_and_op)
{
	observe("abcd,1487975251,0.002000,100,12,3,0,3,4096,/tmp/a,");
	observe("abcd,1487975251,0.003000,101,12,3,5,3,0,/tmp/b,");
	observe("abcd,1487975252,0.001000,100,11,2,0,4,10,/tmp/c,");
	observe("xy,1487975252,0.001000,102,12,3,0,3,7,/tmp/a,");
	render();
	assert_line("iomon_calls_total{facility=\"abcd\",domain=\"FILE_READ\",op=\"READ\"} 2");
	assert_line("iomon_errors_total{facility=\"abcd\",domain=\"FILE_READ\",op=\"READ\"} 1");
	assert_line("iomon_bytes_total{facility=\"abcd\",domain=\"FILE_READ\",op=\"READ\"} 4096");
	assert_line("iomon_calls_total{facility=\"abcd\",domain=\"FILE_WRITE\",op=\"WRITE\"} 1");
	assert_line("iomon_bytes_total{facility=\"abcd\",domain=\"FILE_WRITE\",op=\"WRITE\"} 10");
	assert_line("iomon_calls_total{facility=\"xy\",domain=\"FILE_READ\",op=\"READ\"} 1");
	assert_line("iomon_records_total 4");
	/* Bounded label sets: no path, no pid. */
	assert_no("/tmp/");
	assert_no("pid");
}

/* Absurd records (a collector takes any well-formed line) do not make a
 * counter wrap round to a small number: it stays at its largest. */
Test(exposition, sums_stop_at_their_largest_rather_than_wrap)
{
	for (int i = 0; i < 2; i++) {
		observe("abcd,1,0.000000,100,12,3,0,3,18446744073709551615,/tmp/a,");
		observe("abcd,1,0.000000,7,16,55,0,-1,18446744073709551615,,");
	}
	render();
	assert_line("iomon_bytes_total{facility=\"abcd\",domain=\"FILE_READ\",op=\"READ\"} "
		    "18446744073709551615");
	assert_line("iomon_records_dropped_total 18446744073709551615");
}

Test(exposition, histogram_buckets_are_cumulative_and_bounds_inclusive)
{
	/* 1us exactly is in le="1e-06"; 1.001us is not; 20s is past 10s. */
	observe("abcd,1,0.001000,1,13,0,0,3,0,/f,r");
	observe("abcd,1,0.001001,1,13,0,0,3,0,/f,r");
	observe("abcd,1,0.300000,1,13,0,0,3,0,/f,r");
	observe("abcd,1,20000.000000,1,13,0,0,3,0,/f,r");
	render();
#define H "iomon_call_duration_seconds"
#define L "facility=\"abcd\",domain=\"FILE_OPEN_CLOSE\",op=\"OPEN\""
	assert_line(H "_bucket{" L ",le=\"1e-06\"} 1");
	assert_line(H "_bucket{" L ",le=\"2.5e-06\"} 2");
	assert_line(H "_bucket{" L ",le=\"0.00025\"} 2");
	assert_line(H "_bucket{" L ",le=\"0.0005\"} 3");
	assert_line(H "_bucket{" L ",le=\"10\"} 3");
	assert_line(H "_bucket{" L ",le=\"+Inf\"} 4");
	assert_line(H "_count{" L "} 4");
	/* 1us + 1.001us + 300us + 20s, exactly. */
	assert_line(H "_sum{" L "} 20.000302001");
#undef H
#undef L
}

Test(exposition, start_stop_and_dropped_count_processes_and_losses_not_calls)
{
	observe("abcd,1,0.000000,7,16,47,0,-1,0,/bin/true,1");
	observe("abcd,1,0.000000,7,16,55,0,-1,12,,");
	observe("abcd,1,0.000000,7,16,55,0,-1,30,,");
	observe("abcd,1,5.000000,7,16,48,0,-1,0,,0");
	metrics_set_collector_counts(3, 2);
	render();
	assert_line("iomon_processes_started_total 1");
	assert_line("iomon_processes_exited_total 1");
	assert_line("iomon_records_dropped_total 42");
	assert_line("iomon_records_total 4");
	assert_line("iomon_lines_rejected_total 3");
	assert_line("iomon_connections_refused_total 2");
	assert_no("START_STOP");
}

Test(exposition, label_sets_past_the_limit_are_counted_unlabelled)
{
	char line[128];
	unsigned made = 0;

	/* Distinct facility/op pairs up to one past the limit. */
	for (unsigned f = 0; made <= METRICS_MAX_SERIES; f++)
		for (unsigned op = 0; op < IOMON_OP_COUNT && made <= METRICS_MAX_SERIES;
		     op++, made++) {
			snprintf(line, sizeof(line), "f%u,1,0.001000,1,14,%u,0,3,1,,", f, op);
			observe(line);
		}
	observe(line); /* the same one again: still no room */
	render();
	assert_line("iomon_records_unlabelled_total 2");
	snprintf(line, sizeof(line), "iomon_records_total %u", METRICS_MAX_SERIES + 2);
	assert_line(line);
}

/* promtool, Prometheus' own checker, accepts the text: run only where the
 * prometheus package is installed (./bootstrap installs it). */
Test(exposition, promtool_check_metrics_accepts_the_text)
{
	FILE *promtool;
	char cmd[256];
	char path[] = "/tmp/iomon-metrics-XXXXXX";
	int fd;

	if (access("/usr/bin/promtool", X_OK) != 0)
		cr_skip_test("promtool is not installed (Debian package prometheus)");
	observe("abcd,1487975251,0.002000,100,12,3,0,3,4096,/tmp/a,");
	observe("abcd,1487975251,0.003000,101,12,3,5,3,0,/tmp/b,");
	observe("xy,1487975252,1.500000,102,5,4,0,3,0,/tmp/a,");
	observe("abcd,1,0.000000,7,16,55,0,-1,30,,");
	render();
	fd = mkstemp(path);
	cr_assert_geq(fd, 0, "mkstemp");
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	/* promtool prints problems (and lint advice) and exits non-zero. */
	snprintf(cmd, sizeof(cmd), "/usr/bin/promtool check metrics < %s 2>&1", path);
	promtool = popen(cmd, "r");
	cr_assert_not_null(promtool);
	char out[4096];
	size_t n = fread(out, 1, sizeof(out) - 1, promtool);
	out[n] = '\0';
	int status = pclose(promtool);
	unlink(path);
	cr_assert_eq(status, 0, "promtool check metrics failed:\n%s\non:\n%s", out, text);
	cr_assert_eq(n, 0, "promtool says:\n%s", out);
}

/* ---- The HTTP server ---- */

static int connect_server(void)
{
	struct sockaddr_in addr = {
	    .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	    .sin_port = htons((uint16_t)metrics_port()),
	};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0, "socket");
	cr_assert_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0, "connect");
	return fd;
}

/* Sends request, reads the whole answer (the server closes after it). */
static char *exchange(int fd, const char *request, size_t request_len)
{
	size_t cap = 1 << 16, len = 0;
	char *answer = malloc(cap);
	ssize_t n;

	cr_assert_not_null(answer);
	if (request_len > 0)
		cr_assert_eq(send(fd, request, request_len, MSG_NOSIGNAL), (ssize_t)request_len,
			     "send request");
	while ((n = read(fd, answer + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			cap *= 2;
			answer = realloc(answer, cap);
			cr_assert_not_null(answer);
		}
	}
	answer[len] = '\0';
	close(fd);
	return answer;
}

static char *ask(const char *request)
{
	return exchange(connect_server(), request, strlen(request));
}

static void assert_status(const char *answer, const char *status)
{
	size_t len = strlen(status);

	cr_assert(strncmp(answer, status, len) == 0 && answer[len] == '\r',
		  "want \"%s\", got:\n%s", status, answer);
}

static void serve(void)
{
	metrics_reset();
	cr_assert(metrics_serve("127.0.0.1:0"), "serve on a port the kernel picks");
	cr_assert_neq(metrics_port(), 0u);
}

TestSuite(http, .init = serve, .fini = metrics_stop);

Test(http, get_metrics_answers_the_exposition_text)
{
	observe("abcd,1487975251,0.002000,100,12,3,0,3,4096,/tmp/a,");
	char *answer = ask("GET /metrics HTTP/1.1\r\nHost: localhost\r\n"
			   "Accept: text/plain;version=0.0.4\r\n\r\n");

	assert_status(answer, "HTTP/1.1 200 OK");
	cr_assert_not_null(strstr(answer, "\r\nContent-Type: text/plain; version=0.0.4; "
					  "charset=utf-8\r\n"));
	const char *body = strstr(answer, "\r\n\r\n");
	cr_assert_not_null(body);
	body += 4;
	char length[64];
	snprintf(length, sizeof(length), "\r\nContent-Length: %zu\r\n", strlen(body));
	cr_assert_not_null(strstr(answer, length), "%s in:\n%.300s", length, answer);
	cr_assert_not_null(
	    strstr(body, "\niomon_calls_total{facility=\"abcd\",domain=\"FILE_READ\",op=\"READ\"} 1\n"));
	free(answer);
}

Test(http, http_1_0_bare_newlines_and_a_query_string_are_accepted)
{
	char *answer = ask("GET /metrics?x=1 HTTP/1.0\n\n");

	assert_status(answer, "HTTP/1.1 200 OK");
	free(answer);
}

Test(http, other_paths_methods_and_malformed_requests_are_refused)
{
	static const struct {
		const char *request, *status;
	} cases[] = {
	    {"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"},
	    {"GET /metricsx HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"},
	    {"GET /metrics/ HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"},
	    {"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
	     "HTTP/1.1 405 Method Not Allowed"},
	    {"HEAD /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"},
	    {"GET /metrics HTTP/2.0\r\n\r\n", "HTTP/1.1 400 Bad Request"},
	    {"GET /metrics\r\n\r\n", "HTTP/1.1 400 Bad Request"},
	    {"GET  /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"},
	    {"GET metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"},
	    {"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", "HTTP/1.1 400 Bad Request"},
	    {"GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n", "HTTP/1.1 400 Bad Request"},
	    {"GET /metrics HTTP/1.1\r\nBad\x01: control\r\n\r\n", "HTTP/1.1 400 Bad Request"},
	    {"G\xc3\x89T /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *answer = ask(cases[i].request);

		assert_status(answer, cases[i].status);
		cr_assert_null(strstr(answer, "iomon_calls_total"), "no metrics for %s",
			       cases[i].request);
		free(answer);
	}
}

Test(http, a_nul_byte_in_the_request_is_refused)
{
	static const char request[] = "GET /metrics HTTP/1.1\r\nX: a\0b\r\n\r\n";
	char *answer = exchange(connect_server(), request, sizeof(request) - 1);

	assert_status(answer, "HTTP/1.1 400 Bad Request");
	free(answer);
}

Test(http, an_oversized_request_is_refused_without_reading_it_all)
{
	size_t len = 64 * 1024;
	char *request = malloc(len + 1);

	cr_assert_not_null(request);
	memcpy(request, "GET /metrics HTTP/1.1\r\nX-Long: ", 31);
	memset(request + 31, 'a', len - 31);
	request[len] = '\0';

	int fd = connect_server();
	/* The server answers after 8 KiB and closes: the rest may not be
	 * taken, so send what goes without blocking, then read. */
	ssize_t n = send(fd, request, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	cr_assert_gt(n, 0);
	char *answer = exchange(fd, "", 0);

	assert_status(answer, "HTTP/1.1 431 Request Header Fields Too Large");
	free(answer);
	free(request);
}

Test(http, a_stalled_client_does_not_hold_up_others)
{
	/* Half a request, never finished; then many scrapes meanwhile. */
	int stalled = connect_server();

	cr_assert_eq(write(stalled, "GET /metr", 9), 9);
	for (int i = 0; i < 50; i++) {
		char *answer = ask("GET /metrics HTTP/1.1\r\n\r\n");

		assert_status(answer, "HTTP/1.1 200 OK");
		free(answer);
	}
	close(stalled);
}

/* More idle connections than the server serves at once (16), none of which
 * sends a request: a scraper still gets its answer, and the connection
 * that waited longest is the one let go. */
Test(http, idle_connections_do_not_lock_a_scraper_out)
{
	int idle[20];
	char byte;

	for (size_t i = 0; i < sizeof(idle) / sizeof(idle[0]); i++)
		idle[i] = connect_server();
	char *answer = ask("GET /metrics HTTP/1.1\r\n\r\n");
	assert_status(answer, "HTTP/1.1 200 OK");
	free(answer);
	/* The first was closed for the others: end of file, not a wait. */
	cr_assert_eq(read(idle[0], &byte, 1), 0, "the oldest idle connection is still open");
	for (size_t i = 0; i < sizeof(idle) / sizeof(idle[0]); i++)
		close(idle[i]);
}

Test(http, malformed_addresses_are_refused_with_a_message)
{
	static const char *const bad[] = {
	    "127.0.0.1:99999", "127.0.0.1:", "127.0.0.1:http", ":9100", "::1:9100", "",
	    "localhost:9100",  "1.2.3:9100", "[127.0.0.1]:9100", "[::1:9100",
	};

	metrics_stop();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(metrics_serve(bad[i]), "\"%s\" is refused", bad[i]);
	/* The fixture's metrics_stop() finds nothing running. */
}
