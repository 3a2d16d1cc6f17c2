/*
 * Replays recorded records into a collector as fast as the collector takes
 * them: the traced command of the collector throughput benchmark
 * (bench/replay.py, BENCHMARKS.md).
 *
 *   iomon -o OUT -- replay FILE [CONNECTIONS [REPEAT]]
 *
 * FILE is a trace that iomon wrote (-o): the records exactly as a library
 * sent them, one CSV row each.  The replayer cuts it into CONNECTIONS (4)
 * slices of whole records, opens that many connections to the collector
 * named by IOMON_PORT, and on each sends what a library sends: the session
 * hello (IOMON_TOKEN), then its slice REPEAT (1) times, in chunks of a
 * library's ring, taking turns between connections.
 *
 * The launcher preloads the library into it; its own sends must not become
 * records, so it first runs itself again without LD_PRELOAD (the records the
 * library makes of that start and exec are all it adds to the trace).
 *
 * It prints, a "key value" line each: the records and bytes it sent, and
 * the CPU time it used itself (all its threads, the run before the exec
 * included), so that the benchmark can subtract it from the collector's.
 */
#include <arpa/inet.h>
#include <err.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"

#define MAX_CONNECTIONS 64
/* What a library sends at most at once: one thread's ring. */
#define CHUNK_BYTES (64 * 1024)

struct slice {
	const char *start;
	size_t len;
	uint64_t records;
	size_t sent; /* of the current repetition */
	unsigned round;
	int fd;
};

/* ---- Not recorded ---- */

static void drop_library(char **argv)
{
	const char *preload = getenv("LD_PRELOAD");

	if (!preload || !*preload)
		return;
	if (unsetenv("LD_PRELOAD") < 0)
		err(1, "unsetenv");
	execv("/proc/self/exe", argv);
	err(1, "exec /proc/self/exe");
}

/* ---- Cutting the trace ---- */

struct cut {
	const char *base;
	size_t *ends; /* offset after each record's '\n' */
	size_t n, cap;
};

static void on_record(void *arg, const char *line, size_t len)
{
	struct cut *c = arg;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 1024;
		c->ends = reallocarray(c->ends, c->cap, sizeof(*c->ends));
		if (!c->ends)
			err(1, "records");
	}
	/* One feed of the whole trace: every line is handed out in place. */
	c->ends[c->n++] = (size_t)(line + len + 1 - c->base);
}

/* The same framer as the collector's: a quoted path may hold a '\n'. */
static size_t cut_slices(const char *data, size_t len, struct slice *s, size_t n)
{
	static struct iomon_framer framer;
	struct cut c = {.base = data};
	size_t first = 0, from = 0;

	iomon_framer_init(&framer);
	if (iomon_framer_feed(&framer, data, len, on_record, &c) || iomon_framer_finish(&framer))
		errx(1, "the trace holds a line too long, or ends inside a record");
	if (c.n < n)
		n = c.n;
	for (size_t i = 0; i < n; i++) {
		size_t last = (i + 1) * c.n / n; /* records [first, last) */
		size_t to = c.ends[last - 1];

		s[i] =
		    (struct slice){.start = data + from, .len = to - from, .records = last - first};
		first = last;
		from = to;
	}
	free(c.ends);
	return n;
}

/* ---- Sending ---- */

static uint16_t collector_port(void)
{
	const char *v = getenv("IOMON_PORT");
	const char *why = NULL;
	long long port = v ? strtonum(v, 1, 65535, &why) : 0;

	if (!v || why)
		errx(1, "IOMON_PORT is %s: run me under iomon", v ? why : "not set");
	return (uint16_t)port;
}

static int connect_collector(uint16_t port, const char *hello)
{
	struct sockaddr_in addr = {
	    .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	    .sin_port = htons(port),
	};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		err(1, "connect to 127.0.0.1:%u", port);
	if (send(fd, hello, strlen(hello), MSG_NOSIGNAL) != (ssize_t)strlen(hello))
		err(1, "send hello");
	return fd;
}

/* One chunk on one connection; false once its slice has been sent. */
static bool send_chunk(struct slice *s, unsigned repeat)
{
	size_t n = s->len - s->sent < CHUNK_BYTES ? s->len - s->sent : CHUNK_BYTES;
	ssize_t put = send(s->fd, s->start + s->sent, n, MSG_NOSIGNAL);

	if (put < 0)
		err(1, "send");
	s->sent += (size_t)put;
	if (s->sent == s->len) {
		s->sent = 0;
		s->round++;
	}
	return s->round < repeat;
}

static void send_all(struct slice *s, size_t n, unsigned repeat)
{
	size_t active = n;

	while (active > 0) {
		active = 0;
		for (size_t i = 0; i < n; i++)
			if (s[i].round < repeat && send_chunk(&s[i], repeat))
				active++;
	}
}

/* ---- Main ---- */

static unsigned number(const char *v, unsigned max, const char *what)
{
	const char *why = NULL;
	long long n = strtonum(v, 1, max, &why);

	if (why)
		errx(2, "%s %s: %s", what, v, why);
	return (unsigned)n;
}

static double seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	static struct slice slices[MAX_CONNECTIONS];
	char hello[IOMON_HELLO_MAX + 2];
	const char *token = getenv("IOMON_TOKEN");
	unsigned connections = 4, repeat = 1;
	uint64_t records = 0, bytes = 0;
	struct stat st;
	struct rusage self;
	size_t n;
	int fd;

	if (argc < 2 || argc > 4)
		errx(2, "usage: replay FILE [CONNECTIONS [REPEAT]]");
	drop_library(argv);
	if (argc > 2)
		connections = number(argv[2], MAX_CONNECTIONS, "connections");
	if (argc > 3)
		repeat = number(argv[3], 1000000, "repeat");
	snprintf(hello, sizeof(hello), "%s%s\n", IOMON_HELLO_PREFIX, token ? token : "");
	uint16_t port = collector_port();

	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		err(1, "%s", argv[1]);
	if (st.st_size == 0)
		errx(1, "%s: empty", argv[1]);
	const char *data =
	    mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (data == MAP_FAILED)
		err(1, "%s", argv[1]);
	close(fd);

	n = cut_slices(data, (size_t)st.st_size, slices, connections);
	for (size_t i = 0; i < n; i++) {
		slices[i].fd = connect_collector(port, token ? hello : "");
		records += slices[i].records * repeat;
		bytes += slices[i].len * repeat;
	}
	send_all(slices, n, repeat);
	for (size_t i = 0; i < n; i++)
		close(slices[i].fd);

	if (getrusage(RUSAGE_SELF, &self) < 0)
		err(1, "getrusage");
	printf("connections %zu\n", n);
	printf("records %" PRIu64 "\n", records);
	printf("bytes %" PRIu64 "\n", bytes);
	printf("cpu_s %.6f\n", seconds(self.ru_utime) + seconds(self.ru_stime));
	return 0;
}
