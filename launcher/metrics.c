/* Prometheus metrics and their HTTP server: see metrics.h. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"

/* ---- The registry ---- */

/* Bucket upper bounds ("le"), 1-2.5-5 per decade from 1us to 10s: a cached
 * read is a few microseconds, a disk seek milliseconds, an fsync or a
 * network file system up to seconds.  Written as Go's strconv writes them,
 * the form Prometheus' own clients use. */
static const struct {
	uint64_t ns;
	const char *le;
} bounds[] = {
    {1000, "1e-06"},	      {2500, "2.5e-06"},	{5000, "5e-06"},
    {10000, "1e-05"},	      {25000, "2.5e-05"},	{50000, "5e-05"},
    {100000, "0.0001"},	      {250000, "0.00025"},	{500000, "0.0005"},
    {1000000, "0.001"},	      {2500000, "0.0025"},	{5000000, "0.005"},
    {10000000, "0.01"},	      {25000000, "0.025"},	{50000000, "0.05"},
    {100000000, "0.1"},	      {250000000, "0.25"},	{500000000, "0.5"},
    {1000000000, "1"},	      {2500000000, "2.5"},	{5000000000, "5"},
    {10000000000, "10"},
};
#define N_BOUNDS (sizeof(bounds) / sizeof(bounds[0]))

/* One label set: facility, domain and op. */
struct series {
	RB_ENTRY(series) entry;
	uint64_t key; /* facility bytes, domain and op packed: see series_key */
	char facility[IOMON_FACILITY_MAX + 1];
	unsigned domain, op;
	uint64_t calls, errors, bytes, time_ns;
	/* Calls per bucket, not cumulative; those over the last bound are
	 * calls minus the sum. */
	uint64_t buckets[N_BOUNDS];
};

static int series_cmp(const struct series *a, const struct series *b)
{
	return a->key < b->key ? -1 : a->key > b->key;
}

RB_HEAD(series_tree, series);
RB_PROTOTYPE(series_tree, series, entry, series_cmp)
RB_GENERATE(series_tree, series, entry, series_cmp)

struct counts {
	uint64_t records;    /* every record observed */
	uint64_t unlabelled; /* calls beyond METRICS_MAX_SERIES label sets */
	uint64_t started, exited; /* START and STOP records */
	uint64_t dropped;	  /* summed from DROPPED records */
	uint64_t rejected, refused; /* the collector's */
};

static struct {
	pthread_mutex_t lock;
	struct series_tree tree;
	size_t n_series;
	struct counts counts;
	struct series *last; /* the last series found: records come in runs */
	struct series series[METRICS_MAX_SERIES];
} reg = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .tree = RB_INITIALIZER(&reg.tree),
};

/* A facility is 1 to 4 bytes, none of them 0: with its length implied by
 * its bytes, facility, domain and op fit one integer, compared at once. */
static uint64_t series_key(const struct iomon_parsed *rec)
{
	uint64_t key = 0;

	for (size_t i = 0; i < rec->facility_len && i < IOMON_FACILITY_MAX; i++)
		key = key << 8 | (unsigned char)rec->facility[i];
	key <<= 8 * (IOMON_FACILITY_MAX - (rec->facility_len < IOMON_FACILITY_MAX
					       ? rec->facility_len
					       : IOMON_FACILITY_MAX));
	return (uint64_t)rec->domain << 48 | (uint64_t)rec->op << 32 | key;
}

/* Called with the lock held.  NULL when the label sets are all taken. */
static struct series *find_series(const struct iomon_parsed *rec)
{
	struct series probe = {.key = series_key(rec)};
	struct series *s = reg.last;
	size_t len = rec->facility_len < IOMON_FACILITY_MAX ? rec->facility_len
							   : IOMON_FACILITY_MAX;

	if (s && s->key == probe.key)
		return s;
	s = RB_FIND(series_tree, &reg.tree, &probe);
	if (s || reg.n_series == METRICS_MAX_SERIES)
		return reg.last = s;
	s = &reg.series[reg.n_series++];
	memset(s, 0, sizeof(*s));
	s->key = probe.key;
	memcpy(s->facility, rec->facility, len);
	s->facility[len] = '\0';
	s->domain = rec->domain;
	s->op = rec->op;
	RB_INSERT(series_tree, &reg.tree, s);
	return reg.last = s;
}

/* Counters must never go down (Prometheus takes a drop for a restart): a
 * sum that would pass UINT64_MAX, from absurd records, stays there. */
static uint64_t add_saturating(uint64_t sum, uint64_t n)
{
	return sum > UINT64_MAX - n ? UINT64_MAX : sum + n;
}

static void count_call(struct series *s, const struct iomon_parsed *rec)
{
	size_t b = 0;

	s->calls++;
	s->errors += rec->err != 0;
	s->bytes = add_saturating(s->bytes, rec->bytes);
	s->time_ns = add_saturating(s->time_ns, rec->duration_ns);
	while (b < N_BOUNDS && rec->duration_ns > bounds[b].ns)
		b++;
	if (b < N_BOUNDS)
		s->buckets[b]++;
}

void metrics_observe(const struct iomon_parsed *rec)
{
	pthread_mutex_lock(&reg.lock);
	reg.counts.records++;
	if (rec->domain != IOMON_DOMAIN_START_STOP) {
		struct series *s = find_series(rec);

		if (s)
			count_call(s, rec);
		else
			reg.counts.unlabelled++;
	} else if (rec->op == IOMON_OP_START) {
		reg.counts.started++;
	} else if (rec->op == IOMON_OP_STOP) {
		reg.counts.exited++;
	} else if (rec->op == IOMON_OP_DROPPED) {
		/* how many were lost */
		reg.counts.dropped = add_saturating(reg.counts.dropped, rec->bytes);
	}
	pthread_mutex_unlock(&reg.lock);
}

void metrics_set_collector_counts(uint64_t rejected, uint64_t refused)
{
	pthread_mutex_lock(&reg.lock);
	reg.counts.rejected = rejected;
	reg.counts.refused = refused;
	pthread_mutex_unlock(&reg.lock);
}

void metrics_reset(void)
{
	pthread_mutex_lock(&reg.lock);
	RB_INIT(&reg.tree);
	reg.n_series = 0;
	reg.last = NULL;
	memset(&reg.counts, 0, sizeof(reg.counts));
	pthread_mutex_unlock(&reg.lock);
}

/* ---- The exposition text ---- */

/* Label values as the format wants them: '\\', '"' and newline escaped.
 * Facilities and code names hold none today; the format is kept anyway. */
static void put_label_value(FILE *out, const char *value)
{
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			fprintf(out, "\\%c", *value);
		else if (*value == '\n')
			fputs("\\n", out);
		else
			putc(*value, out);
	}
}

static const char *name_or_number(const char *name, unsigned code, char buf[16])
{
	if (name)
		return name;
	snprintf(buf, 16, "%u", code);
	return buf;
}

/* {facility="...",domain="...",op="..." without the closing brace, so
 * that a histogram can add le. */
static void put_labels(FILE *out, const struct series *s)
{
	char domain[16], op[16];

	fputs("{facility=\"", out);
	put_label_value(out, s->facility);
	fputs("\",domain=\"", out);
	put_label_value(out, name_or_number(iomon_domain_name(s->domain), s->domain, domain));
	fputs("\",op=\"", out);
	put_label_value(out, name_or_number(iomon_op_name(s->op), s->op, op));
	putc('"', out);
}

static void put_header(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_counter(FILE *out, const char *name, const char *help, uint64_t value)
{
	put_header(out, name, "counter", help);
	fprintf(out, "%s %" PRIu64 "\n", name, value);
}

/* A per-series counter family; field is the offset of its count. */
static void put_series_counter(FILE *out, const char *name, const char *help,
			       const struct series *series, size_t n, size_t field)
{
	put_header(out, name, "counter", help);
	for (size_t i = 0; i < n; i++) {
		uint64_t value;

		memcpy(&value, (const char *)&series[i] + field, sizeof(value));
		fputs(name, out);
		put_labels(out, &series[i]);
		fprintf(out, "} %" PRIu64 "\n", value);
	}
}

static void put_histograms(FILE *out, const struct series *series, size_t n)
{
	static const char name[] = "iomon_call_duration_seconds";

	put_header(out, name, "histogram", "Time spent in the recorded I/O calls.");
	for (size_t i = 0; i < n; i++) {
		const struct series *s = &series[i];
		uint64_t cumulative = 0;

		for (size_t b = 0; b < N_BOUNDS; b++) {
			cumulative += s->buckets[b];
			fprintf(out, "%s_bucket", name);
			put_labels(out, s);
			fprintf(out, ",le=\"%s\"} %" PRIu64 "\n", bounds[b].le, cumulative);
		}
		fprintf(out, "%s_bucket", name);
		put_labels(out, s);
		fprintf(out, ",le=\"+Inf\"} %" PRIu64 "\n", s->calls);
		/* Seconds from integer nanoseconds, exactly, whatever the locale. */
		fprintf(out, "%s_sum", name);
		put_labels(out, s);
		fprintf(out, "} %" PRIu64 ".%09" PRIu64 "\n", s->time_ns / 1000000000,
			s->time_ns % 1000000000);
		fprintf(out, "%s_count", name);
		put_labels(out, s);
		fprintf(out, "} %" PRIu64 "\n", s->calls);
	}
}

/* By domain, op, then facility: stable from one scrape to the next. */
static int by_labels(const void *pa, const void *pb)
{
	const struct series *a = pa, *b = pb;

	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->op != b->op)
		return a->op < b->op ? -1 : 1;
	return strcmp(a->facility, b->facility);
}

char *metrics_render(size_t *len)
{
	struct series *series;
	struct counts counts;
	size_t n;
	char *text = NULL;
	FILE *out;

	/* Copy, then write without the lock: the collector waits for a
	 * memcpy at most, never for the formatting. */
	pthread_mutex_lock(&reg.lock);
	n = reg.n_series;
	counts = reg.counts;
	series = reallocarray(NULL, n ? n : 1, sizeof(*series));
	if (series)
		memcpy(series, reg.series, n * sizeof(*series));
	pthread_mutex_unlock(&reg.lock);
	if (!series)
		err(1, "metrics");
	qsort(series, n, sizeof(*series), by_labels);

	out = open_memstream(&text, len);
	if (!out)
		err(1, "metrics");
	put_series_counter(out, "iomon_calls_total",
			   "I/O calls recorded, by facility, domain and op.", series, n,
			   offsetof(struct series, calls));
	put_series_counter(out, "iomon_errors_total",
			   "Recorded I/O calls that failed (non-zero error code).", series, n,
			   offsetof(struct series, errors));
	put_series_counter(out, "iomon_bytes_total",
			   "Bytes transferred by the recorded I/O calls.", series, n,
			   offsetof(struct series, bytes));
	put_histograms(out, series, n);
	put_counter(out, "iomon_processes_started_total",
		    "Processes that started under the library (START records).",
		    counts.started);
	put_counter(out, "iomon_processes_exited_total",
		    "Processes that ended under the library (STOP records).", counts.exited);
	put_counter(out, "iomon_records_total", "Valid records received by the collector.",
		    counts.records);
	put_counter(out, "iomon_records_dropped_total",
		    "Records the traced processes reported lost (DROPPED records).",
		    counts.dropped);
	put_counter(out, "iomon_records_unlabelled_total",
		    "Calls counted in no series: the label sets were all taken.",
		    counts.unlabelled);
	put_counter(out, "iomon_lines_rejected_total",
		    "Lines the collector rejected: malformed, too long or cut short.",
		    counts.rejected);
	put_counter(out, "iomon_connections_refused_total",
		    "Connections the collector refused for want of the session token.",
		    counts.refused);
	if (fclose(out) == EOF)
		err(1, "metrics");
	free(series);
	return text;
}

/* ---- The HTTP server ---- */

/* Scrapers served at once.  A connection beyond them takes the place of the
 * one that has waited longest without a whole request (a scraper sends its
 * own at once: idle connections cannot lock it out), or, if every one is
 * being answered, is closed at once. */
#define MAX_CLIENTS 16
/* A request and its headers: Prometheus sends about 300 bytes. */
#define REQUEST_MAX 8192
/* From connect to the last byte of the answer: a client that has not sent
 * its request or read the answer by then is cut off. */
#define CLIENT_TIMEOUT_MS 10000

struct client {
	int fd; /* -1: free slot */
	int64_t deadline_ms;
	size_t got;	/* bytes of the request read */
	char *answer;	/* once the request is read: what is left to send */
	size_t answer_len, sent;
	bool draining; /* answer sent: waiting for the client to close */
	char request[REQUEST_MAX];
};

static struct {
	int listener;
	unsigned port;
	char name[NI_MAXHOST + 16]; /* "127.0.0.1:9100", "[::1]:9100" */
	int wake[2]; /* metrics_stop() writes to wake[1] */
	pthread_t thread;
	bool running;
	int64_t accept_paused_until; /* ms: accept failed for want of resources */
	struct client clients[MAX_CLIENTS];
} server = {.listener = -1, .wake = {-1, -1}};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_client(struct client *cl)
{
	close(cl->fd);
	cl->fd = -1;
	free(cl->answer);
	cl->answer = NULL;
}

static void set_answer(struct client *cl, const char *status, const char *extra_headers,
		       const char *content_type, const char *body, size_t body_len)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		err(1, "metrics");
	fprintf(out,
		"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
		"Connection: close\r\n\r\n",
		status, content_type, body_len, extra_headers);
	fwrite(body, 1, body_len, out);
	if (fclose(out) == EOF)
		err(1, "metrics");
	cl->answer = text;
	cl->answer_len = len;
	cl->sent = 0;
}

static void set_error(struct client *cl, const char *status, const char *extra_headers)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%s\n", status);

	set_answer(cl, status, extra_headers, "text/plain; charset=utf-8", body, (size_t)n);
}

/* Token characters of RFC 9110 for the method; visible ASCII for the
 * target; header lines must be printable (tab allowed) and hold a colon. */
static bool is_tchar(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static bool valid_header_line(const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);

	if (!colon || colon == line)
		return false;
	for (const char *p = line; p < colon; p++)
		if (!is_tchar((unsigned char)*p))
			return false;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
			return false;
	return true;
}

/* The length of the line at p, up to end, without its "\r\n" or "\n";
 * *next is the start of the next line. */
static size_t line_at(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t len = (size_t)(nl - p);

	*next = nl + 1;
	return len > 0 && p[len - 1] == '\r' ? len - 1 : len;
}

enum request { REQUEST_METRICS, REQUEST_BAD, REQUEST_NOT_FOUND, REQUEST_NOT_ALLOWED };

/* Judges the request, complete: it ends with an empty line at end. */
static enum request parse_request(const char *p, const char *end)
{
	const char *next;
	size_t len = line_at(p, end, &next);
	const char *sp1 = memchr(p, ' ', len), *sp2, *target, *version;
	size_t method_len, target_len;

	if (!sp1 || sp1 == p)
		return REQUEST_BAD;
	method_len = (size_t)(sp1 - p);
	for (size_t i = 0; i < method_len; i++)
		if (!is_tchar((unsigned char)p[i]))
			return REQUEST_BAD;
	target = sp1 + 1;
	sp2 = memchr(target, ' ', len - method_len - 1);
	if (!sp2 || sp2 == target || *target != '/')
		return REQUEST_BAD;
	target_len = (size_t)(sp2 - target);
	for (size_t i = 0; i < target_len; i++)
		if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] >= 0x7f)
			return REQUEST_BAD;
	version = sp2 + 1;
	if ((size_t)(p + len - version) != 8 ||
	    (memcmp(version, "HTTP/1.0", 8) != 0 && memcmp(version, "HTTP/1.1", 8) != 0))
		return REQUEST_BAD;
	for (const char *line = next; line < end; line = next) {
		size_t line_len = line_at(line, end, &next);

		if (line_len == 0)
			break;
		if (!valid_header_line(line, line_len))
			return REQUEST_BAD;
	}

	/* A query string is ignored, as Prometheus' own exporters do. */
	if (strcspn(target, "? ") != 8 || memcmp(target, "/metrics", 8) != 0)
		return REQUEST_NOT_FOUND;
	if (method_len != 3 || memcmp(p, "GET", 3) != 0)
		return REQUEST_NOT_ALLOWED;
	return REQUEST_METRICS;
}

static void answer(struct client *cl, const char *end)
{
	char *body;
	size_t body_len;

	switch (parse_request(cl->request, end)) {
	case REQUEST_BAD:
		set_error(cl, "400 Bad Request", "");
		break;
	case REQUEST_NOT_FOUND:
		set_error(cl, "404 Not Found", "");
		break;
	case REQUEST_NOT_ALLOWED:
		set_error(cl, "405 Method Not Allowed", "Allow: GET\r\n");
		break;
	case REQUEST_METRICS:
		body = metrics_render(&body_len);
		set_answer(cl, "200 OK", "", "text/plain; version=0.0.4; charset=utf-8", body,
			   body_len);
		free(body);
		break;
	}
}

/* Where the empty line that ends the request's headers ends, or NULL. */
static const char *end_of_request(const struct client *cl)
{
	const char *p = cl->request, *end = p + cl->got;

	for (const char *nl = memchr(p, '\n', cl->got); nl; nl = memchr(p, '\n', (size_t)(end - p))) {
		size_t len = (size_t)(nl - p);

		if (len == 0 || (len == 1 && *p == '\r'))
			return nl + 1;
		p = nl + 1;
	}
	return NULL;
}

static void read_request(struct client *cl)
{
	ssize_t n = recv(cl->fd, cl->request + cl->got, sizeof(cl->request) - cl->got,
			 MSG_DONTWAIT);
	const char *end;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close_client(cl);
		return;
	}
	cl->got += (size_t)n;
	end = end_of_request(cl);
	if (end)
		answer(cl, end);
	else if (cl->got == sizeof(cl->request))
		set_error(cl, "431 Request Header Fields Too Large", "");
	else if (memchr(cl->request, '\0', cl->got))
		set_error(cl, "400 Bad Request", "");
}

static void write_answer(struct client *cl)
{
	ssize_t n = send(cl->fd, cl->answer + cl->sent, cl->answer_len - cl->sent,
			 MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		close_client(cl);
		return;
	}
	cl->sent += (size_t)n;
	if (cl->sent == cl->answer_len) {
		/* A close with unread bytes would reset the connection, and the
		 * client could lose the answer: end ours, then read and discard
		 * until the client closes (or its deadline). */
		shutdown(cl->fd, SHUT_WR);
		cl->draining = true;
	}
}

static void drain(struct client *cl)
{
	char discard[4096];
	ssize_t n = recv(cl->fd, discard, sizeof(discard), MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		close_client(cl);
}

/* Out of descriptors or memory, accept is retried after this long, rather
 * than polling a listener that stays readable and spinning. */
#define ACCEPT_RETRY_MS 100

/* A slot for a new connection: a free one, or the one of the client that
 * has waited longest for its request to end, closed; NULL if none. */
static struct client *free_client(void)
{
	struct client *oldest = NULL;

	for (size_t i = 0; i < MAX_CLIENTS; i++) {
		struct client *cl = &server.clients[i];

		if (cl->fd < 0)
			return cl;
		if (!cl->answer && !cl->draining &&
		    (!oldest || cl->deadline_ms < oldest->deadline_ms))
			oldest = cl;
	}
	if (oldest)
		close_client(oldest);
	return oldest;
}

static void accept_clients(void)
{
	for (;;) {
		int fd = accept4(server.listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *cl;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				server.accept_paused_until = now_ms() + ACCEPT_RETRY_MS;
			return;
		}
		cl = free_client();
		if (!cl) {
			close(fd);
			continue;
		}
		cl->fd = fd;
		cl->got = 0;
		cl->draining = false;
		cl->deadline_ms = now_ms() + CLIENT_TIMEOUT_MS;
	}
}

static void *serve(void *arg)
{
	struct pollfd fds[2 + MAX_CLIENTS];

	(void)arg;
	for (;;) {
		int64_t now = now_ms(), timeout = -1;
		size_t slot[MAX_CLIENTS], n = 2;
		bool paused = server.accept_paused_until > now;

		fds[0] = (struct pollfd){.fd = server.wake[0], .events = POLLIN};
		fds[1] = (struct pollfd){.fd = paused ? -1 : server.listener, .events = POLLIN};
		if (paused)
			timeout = server.accept_paused_until - now;
		for (size_t i = 0; i < MAX_CLIENTS; i++) {
			struct client *cl = &server.clients[i];

			if (cl->fd < 0)
				continue;
			if (cl->deadline_ms <= now) {
				close_client(cl);
				continue;
			}
			if (timeout < 0 || cl->deadline_ms - now < timeout)
				timeout = cl->deadline_ms - now;
			slot[n - 2] = i;
			fds[n++] = (struct pollfd){
			    .fd = cl->fd, .events = cl->answer && !cl->draining ? POLLOUT : POLLIN};
		}
		if (poll(fds, n, (int)timeout) < 0) {
			if (errno == EINTR)
				continue;
			err(1, "metrics poll");
		}
		if (fds[0].revents)
			break;
		for (size_t k = 2; k < n; k++) {
			struct client *cl = &server.clients[slot[k - 2]];

			if (!fds[k].revents)
				continue;
			if (cl->draining)
				drain(cl);
			else if (cl->answer)
				write_answer(cl);
			else
				read_request(cl);
		}
		if (fds[1].revents)
			accept_clients();
	}
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (server.clients[i].fd >= 0)
			close_client(&server.clients[i]);
	return NULL;
}

/* ADDR:PORT, [ADDR]:PORT or PORT into host (NULL: loopback) and port. */
static bool split_address(const char *address, char *host, size_t host_size,
			  unsigned *port, bool *bracketed)
{
	const char *colon = strrchr(address, ':');
	const char *port_text = colon ? colon + 1 : address;
	const char *h = address, *errstr;
	size_t h_len = colon ? (size_t)(colon - address) : 0;

	*port = (unsigned)strtonum(port_text, 0, 65535, &errstr);
	if (errstr) {
		warnx("--metrics %s: port \"%s\" is %s", address, port_text, errstr);
		return false;
	}
	*bracketed = h_len >= 2 && h[0] == '[' && h[h_len - 1] == ']';
	if (*bracketed) {
		h++;
		h_len -= 2;
	} else if (memchr(h, ':', h_len)) {
		warnx("--metrics %s: write an IPv6 address in brackets: [::1]:PORT", address);
		return false;
	}
	if (h_len >= host_size) {
		warnx("--metrics %s: address too long", address);
		return false;
	}
	if (h_len == 0 && colon) {
		warnx("--metrics %s: no address before the port (127.0.0.1:PORT for loopback)",
		      address);
		return false;
	}
	memcpy(host, h, h_len);
	host[h_len] = '\0';
	if (h_len == 0)
		strlcpy(host, "127.0.0.1", host_size);
	return true;
}

/* A numeric address only, as for listen --bind: no name lookup, so no
 * surprise about the interface the metrics are exposed on. */
static int bind_listener(const char *address)
{
	char host[256];
	struct sockaddr_storage addr = {0};
	struct sockaddr_in *in = (struct sockaddr_in *)&addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr;
	socklen_t addr_len;
	unsigned port;
	int fd, one = 1;
	bool bracketed;

	if (!split_address(address, host, sizeof(host), &port, &bracketed))
		return -1;
	if (!bracketed && inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		addr_len = sizeof(*in);
	} else if (bracketed && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		addr_len = sizeof(*in6);
	} else {
		warnx("--metrics %s: '%s' is not a numeric IPv4 address or an IPv6 one in "
		      "brackets",
		      address, host);
		return -1;
	}
	fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		err(1, "metrics socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A port in use is no usage error: status 1, as the collector's. */
	if (bind(fd, (struct sockaddr *)&addr, addr_len) < 0 || listen(fd, SOMAXCONN) < 0)
		err(1, "cannot serve metrics on %s", address);
	return fd;
}

/* The address bound, port included, for messages. */
static void name_listener(int fd)
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof(addr);
	char host[NI_MAXHOST];

	if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
		err(1, "metrics getsockname");
	if (getnameinfo((struct sockaddr *)&addr, len, host, sizeof(host), NULL, 0,
			NI_NUMERICHOST) != 0)
		strlcpy(host, "?", sizeof(host));
	if (addr.ss_family == AF_INET6) {
		server.port = ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
		snprintf(server.name, sizeof(server.name), "[%s]:%u", host, server.port);
	} else {
		server.port = ntohs(((struct sockaddr_in *)&addr)->sin_port);
		snprintf(server.name, sizeof(server.name), "%s:%u", host, server.port);
	}
}

bool metrics_serve(const char *address)
{
	sigset_t all, saved;
	int rc;

	if (server.running)
		errx(1, "metrics: one server per process");
	server.listener = bind_listener(address);
	if (server.listener < 0)
		return false;
	name_listener(server.listener);
	if (pipe2(server.wake, O_CLOEXEC) < 0)
		err(1, "metrics");
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		server.clients[i].fd = -1;

	/* Signals are the main thread's business (iomon reads them from a
	 * signalfd): the server's thread takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	rc = pthread_create(&server.thread, NULL, serve, NULL);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (rc != 0) {
		errno = rc;
		err(1, "metrics thread");
	}
	server.running = true;
	return true;
}

unsigned metrics_port(void)
{
	return server.port;
}

const char *metrics_address(void)
{
	return server.name;
}

void metrics_stop(void)
{
	if (!server.running)
		return;
	if (write(server.wake[1], "", 1) < 0)
		err(1, "metrics");
	pthread_join(server.thread, NULL);
	close(server.wake[0]);
	close(server.wake[1]);
	close(server.listener);
	server.listener = server.wake[0] = server.wake[1] = -1;
	server.running = false;
}
