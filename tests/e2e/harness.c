/* End-to-end test harness: see harness.h. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codes.h"
#include "harness.h"
#include "record.h"

extern char **environ;

static char *scratch;

static const char *env_or_die(const char *name)
{
	const char *v = getenv(name);

	cr_assert(v && *v, "the test needs %s in its environment (run it with meson test)", name);
	return v;
}

const char *launcher_path(void)
{
	return env_or_die("IOMON");
}

const char *library_path(void)
{
	return env_or_die("IOMON_LIB");
}

static const char *join(const char *dir, const char *name)
{
	static char buf[8][4200];
	static int next;
	char *p = buf[next++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

const char *prog_path(const char *name)
{
	return join(env_or_die("PROGS"), name);
}

const char *source_path(const char *rel)
{
	return join(env_or_die("SRCDIR"), rel);
}

const char *preload_value(const char *library)
{
	static char buf[4][8400];
	static int next;
	const char *ours = getenv("LD_PRELOAD");
	char *p = buf[next++ % 4];

	if (ours && *ours)
		snprintf(p, sizeof(buf[0]), "%s:%s", ours, library);
	else
		snprintf(p, sizeof(buf[0]), "%s", library);
	return p;
}

const char *preload_env(const char *library)
{
	static char buf[4][8500];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "LD_PRELOAD=%s", preload_value(library));
	return p;
}

const char *scratch_dir(void)
{
	if (!scratch) {
		char tmpl[] = "/tmp/iomon-test-XXXXXX";
		cr_assert(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
		scratch = strdup(tmpl);
	}
	return scratch;
}

const char *scratch_file(const char *name)
{
	return join(scratch_dir(), name);
}

struct path in_scratch(const char *name)
{
	struct path p;

	snprintf(p.s, sizeof(p.s), "%s/%s", scratch_dir(), name);
	return p;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void scratch_cleanup(void)
{
	if (scratch)
		nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(scratch);
	scratch = NULL;
}

/* environ plus the extras: "NAME=value" sets, "NAME" unsets. */
static char **make_env(const char *const *extra)
{
	size_t n = 0, m = 0;

	while (environ[n])
		n++;
	while (extra[m])
		m++;
	char **env = calloc(n + m + 1, sizeof(*env));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool overridden = false;
		for (size_t j = 0; j < m; j++) {
			size_t len = strcspn(extra[j], "=");
			if (strncmp(environ[i], extra[j], len) == 0 && environ[i][len] == '=')
				overridden = true;
		}
		if (!overridden)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++)
		if (strchr(extra[j], '='))
			env[k++] = (char *)extra[j];
	return env;
}

static void drain_into(int fd, char **buf, size_t *len, bool *open_)
{
	char chunk[65536];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n <= 0) {
		*open_ = false;
		return;
	}
	*buf = realloc(*buf, *len + (size_t)n + 1);
	memcpy(*buf + *len, chunk, (size_t)n);
	*len += (size_t)n;
	(*buf)[*len] = '\0';
}

void run_command(struct run *r, const char *const *argv, const char *const *env_extra)
{
	int out[2], err[2];
	size_t out_len = 0, err_len = 0;

	memset(r, 0, sizeof(*r));
	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	cr_assert(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
	char **env = make_env(env_extra);
	pid_t pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		/* Only 0, 1 and 2, as from a shell: the descriptors the programs
		 * get are part of what the tests assert. */
		closefrom(3);
		execve(argv[0], (char *const *)argv, env);
		dprintf(2, "harness: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(env);
	close(out[1]);
	close(err[1]);
	bool out_open = true, err_open = true;
	while (out_open || err_open) {
		struct pollfd p[2] = { { out_open ? out[0] : -1, POLLIN, 0 },
				       { err_open ? err[0] : -1, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0 && errno == EINTR)
			continue;
		if (p[0].revents)
			drain_into(out[0], &r->out, &out_len, &out_open);
		if (p[1].revents)
			drain_into(err[0], &r->err, &err_len, &err_open);
	}
	close(out[0]);
	close(err[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		cr_assert(errno == EINTR, "waitpid: %s", strerror(errno));
	r->status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* One parse buffer (16 KiB) for every line, and room for records grown by
 * doubling: a trace can hold a million records. */
static struct iomon_parsed parsed;

static void keep_line(void *arg, const char *line, size_t len)
{
	struct run *r = arg;
	struct iomon_parsed *p = &parsed;

	if (iomon_record_parse(line, len, p) != 0) {
		r->bad_lines++;
		return;
	}
	if (r->nrecs == r->room) {
		r->room = r->room ? 2 * r->room : 1024;
		r->recs = realloc(r->recs, r->room * sizeof(*r->recs));
	}
	struct rec *rec = &r->recs[r->nrecs++];
	memset(rec, 0, sizeof(*rec));
	memcpy(rec->facility, p->facility, p->facility_len < 7 ? p->facility_len : 7);
	rec->ts = p->ts;
	rec->duration_ns = p->duration_ns;
	rec->pid = p->pid;
	rec->domain = p->domain;
	rec->op = p->op;
	rec->err = p->err;
	rec->fd = p->fd;
	rec->bytes = p->bytes;
	rec->s1 = malloc(p->s1_len + 1);
	memcpy(rec->s1, p->s1, p->s1_len + 1);
	rec->s1_len = p->s1_len;
	rec->s2 = strdup(p->s2);
}

void parse_trace(struct run *r, const char *data, size_t len)
{
	struct iomon_framer *f = malloc(sizeof(*f));

	iomon_framer_init(f);
	r->bad_lines += iomon_framer_feed(f, data, len, keep_line, r);
	r->bad_lines += iomon_framer_finish(f);
	free(f);
}

void read_trace(struct run *r, const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert(f, "no trace at %s: %s", path, strerror(errno));
	char *data = NULL;
	size_t cap = 0, len = 0, n;
	do {
		if (cap - len < 65536)
			data = realloc(data, cap = cap * 2 + 65536);
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	parse_trace(r, data, len);
	free(data);
}

void run_traced(struct run *r, const char *const *opts, const char *const *argv,
		const char *const *env_extra)
{
	const char *trace = scratch_file("trace.csv");
	const char *args[64];
	size_t n = 0;

	args[n++] = launcher_path();
	for (size_t i = 0; opts[i]; i++)
		args[n++] = opts[i];
	args[n++] = "-o";
	args[n++] = trace;
	args[n++] = "--";
	for (size_t i = 0; argv[i]; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	cr_assert(n < 64);
	unlink(trace);
	run_command(r, args, env_extra);
	read_trace(r, trace);
}

void run_free(struct run *r)
{
	for (size_t i = 0; i < r->nrecs; i++) {
		free(r->recs[i].s1);
		free(r->recs[i].s2);
	}
	free(r->recs);
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

void expect_rec(const struct run *r, size_t i, unsigned domain, unsigned op, int err, int fd,
		uint64_t bytes, const char *s1, const char *s2)
{
	cr_assert_lt(i, r->nrecs, "record %zu missing: only %zu records", i, r->nrecs);
	const struct rec *rec = &r->recs[i];
	cr_assert_eq(rec->domain, domain, "record %zu: domain %u, expected %u (s1 %s)", i,
		     rec->domain, domain, rec->s1);
	cr_assert_eq(rec->op, op, "record %zu: op %u, expected %u (s1 %s)", i, rec->op, op,
		     rec->s1);
	cr_assert_eq(rec->err, err, "record %zu: error %d, expected %d", i, rec->err, err);
	cr_assert_eq(rec->fd, fd, "record %zu: fd %d, expected %d", i, rec->fd, fd);
	cr_assert_eq(rec->bytes, bytes, "record %zu: bytes %llu, expected %llu", i,
		     (unsigned long long)rec->bytes, (unsigned long long)bytes);
	if (s1)
		cr_assert_str_eq(rec->s1, s1, "record %zu: s1 '%s', expected '%s'", i, rec->s1, s1);
	if (s2)
		cr_assert_str_eq(rec->s2, s2, "record %zu: s2 '%s', expected '%s'", i, rec->s2, s2);
}

int printed_pid(const struct run *r)
{
	return atoi(r->out);
}

void expect_scenario_ran(const struct run *r, const char *prog, const char *scenario)
{
	char cmdline[4400];

	cr_assert_eq(r->status, 0, "%s %s failed: %s", prog, scenario, r->err);
	cr_assert_eq(r->bad_lines, 0, "%zu malformed lines in the trace", r->bad_lines);
	for (size_t i = 0; i < r->nrecs; i++)
		cr_assert_eq(r->recs[i].pid, printed_pid(r), "record %zu has pid %d, not %d", i,
			     r->recs[i].pid, printed_pid(r));
	snprintf(cmdline, sizeof(cmdline), "%s %s %s", prog_path(prog), scratch_dir(), scenario);
	expect_rec(r, 0, IOMON_DOMAIN_START_STOP, IOMON_OP_START, 0, -1, 0, cmdline, NULL);
}

int unused_port(int *holder)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	*holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(*holder >= 0 && bind(*holder, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		  getsockname(*holder, (struct sockaddr *)&a, &len) == 0);
	return ntohs(a.sin_port);
}

const char *output_line(const struct run *r, unsigned n, char buf[static 4200])
{
	const char *p = r->out;

	for (unsigned i = 0; i < n && p; i++)
		if ((p = strchr(p, '\n')))
			p++;
	cr_assert(p && *p, "no line %u in the output:\n%s", n, r->out);
	snprintf(buf, 4200, "%.*s", (int)strcspn(p, "\n"), p);
	return buf;
}

void drop_first(struct run *r)
{
	cr_assert_gt(r->nrecs, 0);
	free(r->recs[0].s1);
	free(r->recs[0].s2);
	memmove(r->recs, r->recs + 1, --r->nrecs * sizeof(*r->recs));
}

void keep_domains(struct run *r, uint32_t mask)
{
	size_t kept = 0;

	for (size_t i = 0; i < r->nrecs; i++) {
		if (mask >> r->recs[i].domain & 1) {
			r->recs[kept++] = r->recs[i];
		} else {
			free(r->recs[i].s1);
			free(r->recs[i].s2);
		}
	}
	r->nrecs = kept;
}

void drop_last(struct run *r)
{
	cr_assert_gt(r->nrecs, 0);
	r->nrecs--;
	free(r->recs[r->nrecs].s1);
	free(r->recs[r->nrecs].s2);
}

size_t count_recs(const struct run *r, unsigned domain, unsigned op)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nrecs; i++)
		n += r->recs[i].domain == domain && r->recs[i].op == op;
	return n;
}

bool s1_is(const struct rec *rec, const char *path)
{
	size_t n = strlen(path);

	return rec->s1_len == n && memcmp(rec->s1, path, n) == 0;
}

size_t count_on(const struct run *r, unsigned domain, unsigned op, const char *path)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nrecs; i++)
		n += r->recs[i].domain == domain && r->recs[i].op == op && s1_is(&r->recs[i], path);
	return n;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The buffer grows by doubling: megabytes come 64 KiB at a time, and a
 * realloc() that copies (as the sanitizers' allocators always do) would
 * make that quadratic. */
static void stub_append(struct stub *s, const char *buf, size_t n)
{
	pthread_mutex_lock(&s->lock);
	if (s->room - s->len < n + 1)
		s->data = realloc(s->data, s->room = 2 * s->room + n + 1);
	memcpy(s->data + s->len, buf, n);
	s->len += n;
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < n; i++)
		s->lines += buf[i] == '\n';
}

/* What a connection sent after its last whole line.  The trace takes whole
 * lines only, as the collector does, lest the bytes of two connections
 * interleave within a line. */
struct stub_conn {
	char *part;
	size_t len, room;
	bool quoted; /* within double quotes, where a line feed is data */
};

static void stub_take(struct stub *s, struct stub_conn *c, const char *buf, size_t n)
{
	size_t whole = 0;

	for (size_t i = 0; i < n; i++) {
		c->quoted ^= buf[i] == '"';
		if (buf[i] == '\n' && !c->quoted)
			whole = i + 1;
	}
	if (whole) {
		if (c->len)
			stub_append(s, c->part, c->len);
		stub_append(s, buf, whole);
		c->len = 0;
	}
	if (whole == n)
		return;
	if (c->room - c->len < n - whole)
		c->part = realloc(c->part, c->room = 2 * c->room + n - whole);
	memcpy(c->part + c->len, buf + whole, n - whole);
	c->len += n - whole;
}

/* A connection's end: a line it cut short is not a record (it may lack
 * only its line feed, and be counted as dropped), as for the collector. */
static void stub_close(struct stub *s, struct pollfd *fd, struct stub_conn *c)
{
	close(fd->fd);
	s->cut_lines += c->len > 0;
	free(c->part);
	*c = (struct stub_conn){0};
}

static void *stub_main(void *arg)
{
	struct stub *s = arg;
	struct pollfd fds[64];
	struct stub_conn conns[64] = {0};
	nfds_t n = 1;
	uint64_t first_accept = 0;

	if (s->listen_after_ms) {
		usleep((useconds_t)s->listen_after_ms * 1000);
		cr_assert(listen(s->listener, 16) == 0);
	}
	fds[0] = (struct pollfd){s->listener, POLLIN, 0};
	for (;;) {
		bool stalled = s->stall_ms == NEVER ||
			       (first_accept && now_ms() < first_accept + (uint64_t)s->stall_ms);
		bool stopping = atomic_load(&s->stop);
		/* While stalled only new connections are taken. */
		if (poll(fds, stalled ? 1 : n, stopping && !stalled ? 0 : 20) < 0 && errno != EINTR)
			break;
		if (fds[0].revents & POLLIN && n < 64) {
			int c = accept(s->listener, NULL, NULL);
			if (c >= 0) {
				fds[n++] = (struct pollfd){c, POLLIN, 0};
				first_accept = first_accept ? first_accept : now_ms();
			}
			continue;
		}
		if (stopping && n == 1)
			break;
		if (stopping && s->stall_ms == NEVER) {
			for (nfds_t i = 1; i < n; i++)
				stub_close(s, &fds[i], &conns[i]);
			break;
		}
		if (stalled)
			continue;
		for (nfds_t i = 1; i < n; i++) {
			if (!fds[i].revents)
				continue;
			char buf[65536];
			ssize_t got = read(fds[i].fd, buf, sizeof(buf));
			if (got <= 0) {
				stub_close(s, &fds[i], &conns[i]);
				fds[i] = fds[--n];
				conns[i--] = conns[n];
				conns[n] = (struct stub_conn){0};
				continue;
			}
			stub_take(s, &conns[i], buf, (size_t)got);
		}
		if (s->die_after_lines && s->lines >= s->die_after_lines) {
			for (nfds_t i = 1; i < n; i++)
				stub_close(s, &fds[i], &conns[i]);
			close(s->listener);
			s->listener = -1;
			s->died = true;
			s->died_at = now_ms();
			break;
		}
	}
	return NULL;
}

static void stub_begin(struct stub *s, int stall_ms, size_t die_after_lines, int listen_after_ms)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->stall_ms = stall_ms;
	s->die_after_lines = die_after_lines;
	s->listen_after_ms = listen_after_ms;
	s->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(s->listener >= 0 && bind(s->listener, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		  (listen_after_ms || listen(s->listener, 16) == 0) &&
		  getsockname(s->listener, (struct sockaddr *)&a, &alen) == 0);
	s->port = ntohs(a.sin_port);
	cr_assert(pthread_create(&s->thread, NULL, stub_main, s) == 0);
}

void stub_start(struct stub *s, int stall_ms, size_t die_after_lines)
{
	stub_begin(s, stall_ms, die_after_lines, 0);
}

void stub_start_late(struct stub *s, int listen_after_ms)
{
	stub_begin(s, 0, 0, listen_after_ms);
}

bool stub_has(struct stub *s, const char *needle)
{
	pthread_mutex_lock(&s->lock);
	bool has = s->len && memmem(s->data, s->len, needle, strlen(needle));
	pthread_mutex_unlock(&s->lock);
	return has;
}

void stub_finish(struct stub *s)
{
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	if (s->listener >= 0)
		close(s->listener);
}
