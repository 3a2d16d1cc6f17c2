/* The embedded collector: see collector.h. */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "collector.h"
#include "record.h"

/* One read; large, because one traced process can stream millions of records
 * a second and each read costs a poll round. */
#define CHUNK_SIZE (64 * 1024)

/* Out of descriptors or memory, accept is retried after this long, rather
 * than polling a listener that stays readable and spinning. */
#define ACCEPT_RETRY_MS 100

/* pollfd slots before the connections'. */
enum { SLOT_LISTENER, SLOT_EXTRA, SLOT_CONNECTIONS };

struct connection {
	int fd;
	struct collector *c;
	bool trusted;	/* has shown the session token */
	bool refused;	/* has not: the rest of what it sends is ignored */
	struct iomon_framer framer;
};

struct collector {
	int listener; /* -1 once closed */
	unsigned port;
	bool stopping;	    /* close the listener when its backlog is empty */
	bool accept_paused; /* accept failed for want of resources */

	struct collector_sink *sinks;
	size_t n_sinks;
	uint64_t rejected;
	uint64_t refused;	   /* connections without the token */
	char hello[IOMON_HELLO_MAX]; /* "#iomon TOKEN", or "" for none */
	size_t hello_len;

	struct connection **conns;
	size_t n_conns, cap_conns;
	struct pollfd *fds; /* SLOT_CONNECTIONS + cap_conns of them */

	struct iomon_parsed parsed; /* scratch, too large for the stack */
	char chunk[CHUNK_SIZE];
};

/* ---- Records ---- */

/* A connection's first line must be the session's token: another local
 * user may know the port, not the token.  Without a token, a library that
 * has one of its own still says it first: that line is no record. */
static bool admit(struct collector *c, struct connection *conn, const char *line, size_t len)
{
	const size_t prefix = sizeof(IOMON_HELLO_PREFIX) - 1;

	if (conn->trusted)
		return true;
	if (conn->refused)
		return false;
	if (c->hello_len == 0) {
		conn->trusted = true;
		return !(len >= prefix && memcmp(line, IOMON_HELLO_PREFIX, prefix) == 0);
	}
	if (len == c->hello_len && memcmp(line, c->hello, len) == 0) {
		conn->trusted = true;
		return false;
	}
	conn->refused = true;
	c->refused++;
	return false;
}

static void on_line(void *arg, const char *line, size_t len)
{
	struct connection *conn = arg;
	struct collector *c = conn->c;

	if (!admit(c, conn, line, len))
		return;
	if (iomon_record_parse(line, len, &c->parsed) != IOMON_RECORD_OK) {
		c->rejected++;
		return;
	}
	for (size_t i = 0; i < c->n_sinks; i++)
		c->sinks[i].on_record(c->sinks[i].arg, line, len, &c->parsed);
}

static void end_round(struct collector *c)
{
	for (size_t i = 0; i < c->n_sinks; i++)
		if (c->sinks[i].on_round)
			c->sinks[i].on_round(c->sinks[i].arg);
}

void collector_add_sink(struct collector *c, const struct collector_sink *sink)
{
	struct collector_sink *sinks = reallocarray(c->sinks, c->n_sinks + 1, sizeof(*sinks));

	if (!sinks)
		err(1, "collector");
	sinks[c->n_sinks++] = *sink;
	c->sinks = sinks;
}

/* ---- Connections ---- */

/* No fixed limit: a build can run hundreds of traced processes at once. */
static void grow_connections(struct collector *c)
{
	size_t cap = c->cap_conns ? 2 * c->cap_conns : 16;
	struct connection **conns = reallocarray(c->conns, cap, sizeof(*conns));

	if (!conns)
		err(1, "collector");
	c->conns = conns;

	struct pollfd *fds = reallocarray(c->fds, SLOT_CONNECTIONS + cap, sizeof(*fds));

	if (!fds)
		err(1, "collector");
	c->fds = fds;
	c->cap_conns = cap;
}

static void add_connection(struct collector *c, int fd)
{
	struct connection *conn = malloc(sizeof(*conn));

	if (!conn)
		err(1, "collector");
	conn->fd = fd;
	conn->c = c;
	conn->trusted = conn->refused = false;
	iomon_framer_init(&conn->framer);
	if (c->n_conns == c->cap_conns)
		grow_connections(c);
	c->conns[c->n_conns++] = conn;
}

/* Leaves a NULL in the array; remove_closed() compacts it. */
static void close_connection(struct collector *c, size_t i)
{
	struct connection *conn = c->conns[i];

	size_t cut = iomon_framer_finish(&conn->framer);
	if (!conn->refused)
		c->rejected += cut;
	close(conn->fd);
	free(conn);
	c->conns[i] = NULL;
}

static void remove_closed(struct collector *c)
{
	size_t kept = 0;

	for (size_t i = 0; i < c->n_conns; i++)
		if (c->conns[i])
			c->conns[kept++] = c->conns[i];
	c->n_conns = kept;
}

static void close_listener(struct collector *c)
{
	close(c->listener);
	c->listener = -1;
}

static void accept_pending(struct collector *c)
{
	while (c->listener >= 0) {
		int fd = accept4(c->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			add_connection(c, fd);
			continue;
		}
		switch (errno) {
		case EINTR:
		case ECONNABORTED:
			continue;
		case EAGAIN:
			if (c->stopping)
				close_listener(c);
			return;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			/* The connection waits in the backlog meanwhile. */
			c->accept_paused = true;
			return;
		default:
			err(1, "collector accept");
		}
	}
}

static void feed_connection(struct collector *c, struct connection *conn, size_t n)
{
	size_t overlong = iomon_framer_feed(&conn->framer, c->chunk, n, on_line, conn);

	if (!conn->refused)
		c->rejected += overlong;
}

/* One read per ready connection and round, so that a busy process cannot
 * starve the others.  Returns false once the connection is over. */
static bool read_connection(struct collector *c, struct connection *conn)
{
	ssize_t n = read(conn->fd, c->chunk, sizeof(c->chunk));

	if (n > 0) {
		feed_connection(c, conn, (size_t)n);
		return !conn->refused;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	/* A reset ends the stream as EOF does: what came before is kept. */
	if (n < 0 && errno != ECONNRESET)
		warn("collector read");
	return false;
}

/* ---- The interface ---- */

struct collector *collector_open(const struct sockaddr *addr, socklen_t addr_len,
				 const char *name)
{
	struct collector *c = calloc(1, sizeof(*c));
	/* Loopback by default: records name files and must not leave the
	 * machine. */
	struct sockaddr_in loopback = {
	    .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	    .sin_port = 0,
	};
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof(bound);
	int one = 1;

	if (!c)
		err(1, "collector");
	grow_connections(c);
	if (!addr) {
		addr = (const struct sockaddr *)&loopback;
		addr_len = sizeof(loopback);
		name = "127.0.0.1";
	}
	c->listener = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->listener < 0)
		err(1, "collector socket");
	/* A collector restarted on its port must not wait for the old
	 * connections' TIME_WAIT. */
	if (setsockopt(c->listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(c->listener, addr, addr_len) < 0 || listen(c->listener, SOMAXCONN) < 0 ||
	    getsockname(c->listener, (struct sockaddr *)&bound, &bound_len) < 0)
		err(1, "cannot listen on %s", name);
	c->port = ntohs(bound.ss_family == AF_INET6
			    ? ((struct sockaddr_in6 *)&bound)->sin6_port
			    : ((struct sockaddr_in *)&bound)->sin_port);
	return c;
}

unsigned collector_port(const struct collector *c)
{
	return c->port;
}

void collector_require_token(struct collector *c, const char *token)
{
	int n = snprintf(c->hello, sizeof(c->hello), "%s%s", IOMON_HELLO_PREFIX, token);

	if (n < 0 || (size_t)n >= sizeof(c->hello))
		errx(1, "session token too long");
	c->hello_len = (size_t)n;
}

uint64_t collector_refused(const struct collector *c)
{
	return c->refused;
}

uint64_t collector_rejected(const struct collector *c)
{
	return c->rejected;
}

void collector_warn_counts(const struct collector *c)
{
	if (c->rejected)
		warnx("%llu malformed record%s rejected", (unsigned long long)c->rejected,
		      c->rejected == 1 ? "" : "s");
	if (c->refused)
		warnx("%llu connection%s without the session token refused",
		      (unsigned long long)c->refused, c->refused == 1 ? "" : "s");
}

bool collector_idle(const struct collector *c)
{
	return c->listener < 0 && c->n_conns == 0;
}

bool collector_poll(struct collector *c, int extra_fd, int timeout_ms)
{
	struct pollfd *fds = c->fds;
	size_t n_polled = c->n_conns;
	bool retry_accept = c->accept_paused;
	bool extra_ready;

	if (retry_accept && (timeout_ms < 0 || timeout_ms > ACCEPT_RETRY_MS))
		timeout_ms = ACCEPT_RETRY_MS;
	fds[SLOT_LISTENER] =
	    (struct pollfd){.fd = retry_accept ? -1 : c->listener, .events = POLLIN};
	fds[SLOT_EXTRA] = (struct pollfd){.fd = extra_fd, .events = POLLIN};
	for (size_t i = 0; i < n_polled; i++)
		fds[SLOT_CONNECTIONS + i] =
		    (struct pollfd){.fd = c->conns[i]->fd, .events = POLLIN};

	if (poll(fds, (nfds_t)(SLOT_CONNECTIONS + n_polled), timeout_ms) < 0) {
		if (errno != EINTR)
			err(1, "collector poll");
		return false;
	}
	extra_ready = fds[SLOT_EXTRA].revents != 0;

	for (size_t i = 0; i < n_polled; i++)
		if (fds[SLOT_CONNECTIONS + i].revents && !read_connection(c, c->conns[i]))
			close_connection(c, i);
	remove_closed(c);
	c->accept_paused = false;
	if (fds[SLOT_LISTENER].revents || retry_accept)
		accept_pending(c);
	end_round(c);
	return extra_ready;
}

void collector_stop_listening(struct collector *c)
{
	c->stopping = true;
	accept_pending(c);
}

void collector_drain_now(struct collector *c)
{
	c->stopping = true;
	accept_pending(c);
	if (c->listener >= 0)
		close_listener(c);

	/* Only what is queued now: a process still writing must not keep
	 * iomon reading for ever. */
	for (size_t i = 0; i < c->n_conns; i++) {
		struct connection *conn = c->conns[i];
		int queued = 0;
		size_t left;

		if (ioctl(conn->fd, FIONREAD, &queued) < 0)
			queued = 0;
		for (left = queued > 0 ? (size_t)queued : 0; left > 0;) {
			ssize_t n = read(conn->fd, c->chunk,
					 left < sizeof(c->chunk) ? left : sizeof(c->chunk));

			if (n <= 0)
				break;
			feed_connection(c, conn, (size_t)n);
			left -= (size_t)n;
		}
		close_connection(c, i);
	}
	remove_closed(c);
	end_round(c);
}

void collector_close(struct collector *c)
{
	for (size_t i = 0; i < c->n_conns; i++)
		close_connection(c, i);
	remove_closed(c);
	if (c->listener >= 0)
		close_listener(c);
	end_round(c);
	free(c->sinks);
	free(c->conns);
	free(c->fds);
	free(c);
}
