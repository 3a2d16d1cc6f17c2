/*
 * iomon listen, end to end: a standalone collector serving traced programs
 * started with `iomon -p`, beside hostile and stalled peers; SIGHUP log
 * rotation with a real rename; SIGTERM draining what is in flight; JSON
 * Lines; the summary; its command line.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codes.h"
#include "harness.h"

TestSuite(listen, .fini = scratch_cleanup, .timeout = 120);

/* A running `iomon listen -p 0 ...`, and its standard error. */
struct collector {
	pid_t pid;
	int err_fd;
	int port;
	char err[65536];
	size_t err_len;
};

/* Reads standard error until a '\n' after from, or its end. */
static bool read_err_line(struct collector *c, size_t from)
{
	while (!memchr(c->err + from, '\n', c->err_len - from)) {
		ssize_t n = read(c->err_fd, c->err + c->err_len, sizeof(c->err) - 1 - c->err_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		c->err_len += (size_t)n;
		c->err[c->err_len] = '\0';
	}
	return true;
}

/* Starts the collector and waits until it says it is listening. */
static void collector_start(struct collector *c, const char *const *opts)
{
	const char *argv[32] = { launcher_path(), "listen", "-p", "0" };
	size_t n = 4;
	int err[2];

	for (; *opts; opts++)
		argv[n++] = *opts;
	memset(c, 0, sizeof(*c));
	cr_assert(pipe2(err, O_CLOEXEC) == 0);
	c->pid = fork();
	cr_assert(c->pid >= 0);
	if (c->pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(err[1], 2);
		closefrom(3);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(err[1]);
	c->err_fd = err[0];
	cr_assert(read_err_line(c, 0), "iomon listen did not start: %s", c->err);
	const char *colon = strrchr(c->err, ':');
	/* 127.0.0.1 unless the test binds another address. */
	cr_assert(strstr(c->err, "iomon: listening on ") && colon, "%s", c->err);
	c->port = atoi(colon + 1);
	cr_assert_gt(c->port, 0, "%s", c->err);
}

/* Sends sig and waits for the exit; returns the exit status. */
static int collector_stop(struct collector *c, int sig)
{
	int status;

	kill(c->pid, sig);
	while (read_err_line(c, c->err_len))
		;
	close(c->err_fd);
	while (waitpid(c->pid, &status, 0) < 0)
		cr_assert(errno == EINTR);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

static const char *port_text(const struct collector *c)
{
	static char text[16];

	snprintf(text, sizeof(text), "%d", c->port);
	return text;
}

static int connect_to(const struct collector *c)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)c->port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0,
		  "connect: %s", strerror(errno));
	return fd;
}

static void send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		cr_assert(n > 0, "send: %s", strerror(errno));
		data += n;
		len -= (size_t)n;
	}
}

/* Waits until path holds at least n lines (the collector writes whole
 * lines each round); not a timed assert: the test's timeout is the limit. */
static void wait_for_lines(const char *path, size_t n)
{
	for (;;) {
		FILE *f = fopen(path, "r");
		size_t lines = 0;
		int ch;
		if (f) {
			while ((ch = getc(f)) != EOF)
				lines += ch == '\n';
			fclose(f);
		}
		if (lines >= n)
			return;
		usleep(20 * 1000);
	}
}

/* Records of pid in r. */
static size_t count_pid(const struct run *r, int pid)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nrecs; i++)
		n += r->recs[i].pid == pid;
	return n;
}

/* fileops DIR basic sent to the collector through `iomon -p`: returns its
 * pid, after it exited 0. */
static int traced_basic(const struct collector *c, const char *dir)
{
	struct run r;

	run_command(&r, LIST(launcher_path(), "-p", port_text(c), "--", prog_path("fileops"), dir,
			     "basic"),
		    NONE);
	cr_assert_eq(r.status, 0, "fileops: %s", r.err);
	int pid = printed_pid(&r);
	run_free(&r);
	return pid;
}

struct traced_thread {
	const struct collector *c;
	char dir[4200];
	int pid;
	pthread_t thread;
};

static void *traced_main(void *arg)
{
	struct traced_thread *t = arg;

	t->pid = traced_basic(t->c, t->dir);
	return NULL;
}

static const char *subdir(const char *name)
{
	const char *dir = scratch_file(name);

	cr_assert(mkdir(dir, 0755) == 0 || errno == EEXIST);
	return dir;
}

Test(listen, serves_two_programs_beside_a_hostile_and_a_stalled_peer)
{
	struct collector c;
	const char *trace = scratch_file("trace.csv");
	struct traced_thread t[2];

	collector_start(&c, LIST("-o", trace));
	/* The stalled peer: half a record, then nothing, for the whole test. */
	int stalled = connect_to(&c);
	send_all(stalled, "u,1,0.000001,7,12", 17);
	/* The hostile one: garbage lines, a line longer than any record, and
	 * bytes that are not text, all in one go. */
	int hostile = connect_to(&c);
	const char garbage[] = "garbage\n\x01\x02\xff\n,,,,,,,,,,\n";
	send_all(hostile, garbage, sizeof(garbage) - 1);
	static char flood[3 * IOMON_RECORD_MAX];
	memset(flood, 'x', sizeof(flood));
	flood[sizeof(flood) - 1] = '\n';
	send_all(hostile, flood, sizeof(flood));

	for (int i = 0; i < 2; i++) {
		t[i].c = &c;
		snprintf(t[i].dir, sizeof(t[i].dir), "%s", subdir(i ? "two" : "one"));
		pthread_create(&t[i].thread, NULL, traced_main, &t[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i].thread, NULL);
	/* The stalled peer never finished its line. */
	wait_for_lines(trace, 22);
	int status = collector_stop(&c, SIGTERM);
	close(stalled);
	close(hostile);
	cr_assert_eq(status, 0, "status %d: %s", status, c.err);

	struct run r;
	memset(&r, 0, sizeof(r));
	read_trace(&r, trace);
	cr_assert_eq(r.bad_lines, 0);
	cr_assert_eq(r.nrecs, 22, "%zu records, expected 11 of each program", r.nrecs);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(count_pid(&r, t[i].pid), 11, "program %d: %zu records", i,
			     count_pid(&r, t[i].pid));
	/* 3 garbage lines, the overlong one, and the stalled peer's half
	 * record, cut short by the end. */
	cr_assert(strstr(c.err, "5 malformed records rejected"), "stderr: %s", c.err);
	run_free(&r);
}

/* A client that streams numbered records, in small writes that cut records
 * anywhere; with pause_at, it stops after that many until go is set. */
struct streamer {
	const struct collector *c;
	unsigned records;
	unsigned pause_at;
	volatile int go;
	pthread_t thread;
};

static void *stream_main(void *arg)
{
	struct streamer *s = arg;
	int fd = connect_to(s->c);
	char buf[8192];
	size_t len = 0;

	for (unsigned i = 0; i < s->records; i++) {
		if (s->pause_at && i == s->pause_at)
			while (!s->go)
				usleep(1000);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"s,1,0.000001,4242,12,3,0,5,%u,/x/%u,\n", i, i);
		if (len > 4000 || i + 1 == s->records || i + 1 == s->pause_at) {
			/* An odd split: the next write starts mid-record. */
			size_t cut = len > 7 ? len - 7 : len;
			send_all(fd, buf, cut);
			memmove(buf, buf + cut, len - cut);
			len -= cut;
			usleep(200);
		}
	}
	send_all(fd, buf, len);
	close(fd);
	return NULL;
}

/* Every record i of 0..n-1 once, across the traces, and nothing else. */
static void expect_each_record_once(struct run *const *runs, size_t nruns, unsigned n)
{
	char *seen = calloc(n, 1);
	size_t total = 0;

	for (size_t k = 0; k < nruns; k++) {
		cr_assert_eq(runs[k]->bad_lines, 0, "trace %zu has split or bad lines", k);
		for (size_t i = 0; i < runs[k]->nrecs; i++) {
			uint64_t b = runs[k]->recs[i].bytes;
			cr_assert_lt(b, n);
			cr_assert(!seen[b], "record %llu twice", (unsigned long long)b);
			seen[b] = 1;
			total++;
		}
	}
	cr_assert_eq(total, n, "%zu records of %u", total, n);
	free(seen);
}

Test(listen, sighup_after_a_rename_starts_a_new_file_losing_and_splitting_nothing)
{
	struct collector c;
	const char *trace = scratch_file("trace.csv");
	char rotated[4200];
	struct stat st;
	const unsigned n = 20000;

	snprintf(rotated, sizeof(rotated), "%s.1", trace);
	collector_start(&c, LIST("-o", trace));
	/* A program's records, all before the rotation. */
	int before = traced_basic(&c, subdir("before"));
	wait_for_lines(trace, 11);

	/* Records streaming all through the rotation. */
	struct streamer s = { .c = &c, .records = n, .pause_at = n / 2 };
	pthread_create(&s.thread, NULL, stream_main, &s);
	wait_for_lines(trace, 11 + 100);
	cr_assert(rename(trace, rotated) == 0);
	kill(c.pid, SIGHUP);
	/* The collector opens the name again on SIGHUP. */
	while (stat(trace, &st) != 0)
		usleep(10 * 1000);
	s.go = 1;
	pthread_join(s.thread, NULL);
	/* And a program's records, all after it. */
	int after = traced_basic(&c, subdir("after"));
	int status = collector_stop(&c, SIGTERM);
	cr_assert_eq(status, 0, "status %d: %s", status, c.err);

	struct run old, new;
	memset(&old, 0, sizeof(old));
	memset(&new, 0, sizeof(new));
	read_trace(&old, rotated);
	read_trace(&new, trace);
	cr_assert_eq(count_pid(&old, before), 11, "%zu", count_pid(&old, before));
	cr_assert_eq(count_pid(&new, before), 0);
	cr_assert_eq(count_pid(&new, after), 11, "%zu", count_pid(&new, after));
	cr_assert_eq(count_pid(&old, after), 0);
	cr_assert_gt(count_pid(&old, 4242), 0, "no streamed record before the rotation");
	cr_assert_gt(count_pid(&new, 4242), 0, "no streamed record after the rotation");
	keep_domains(&old, MASK(FILE_READ));
	keep_domains(&new, MASK(FILE_READ));
	/* fileops' reads are not the streamer's: keep pid 4242's. */
	struct run *runs[] = { &old, &new };
	for (size_t k = 0; k < 2; k++) {
		size_t kept = 0;
		for (size_t i = 0; i < runs[k]->nrecs; i++)
			if (runs[k]->recs[i].pid == 4242)
				runs[k]->recs[kept++] = runs[k]->recs[i];
		runs[k]->nrecs = kept;
	}
	expect_each_record_once(runs, 2, n);
	cr_assert(!strstr(c.err, "rejected"), "stderr: %s", c.err);
	run_free(&old);
	run_free(&new);
}

Test(listen, sigterm_and_sigint_write_what_was_sent_before_exiting)
{
	const int signals[] = { SIGTERM, SIGINT };

	for (size_t k = 0; k < 2; k++) {
		struct collector c;
		const char *trace = scratch_file(k ? "int.csv" : "term.csv");
		const unsigned n = 5000;

		collector_start(&c, LIST("-o", trace));
		/* Sent and closed: the records are in flight, in the socket,
		 * when the signal comes. */
		struct streamer s = { .c = &c, .records = n };
		stream_main(&s);
		int status = collector_stop(&c, signals[k]);
		cr_assert_eq(status, 0, "status %d: %s", status, c.err);

		struct run r;
		memset(&r, 0, sizeof(r));
		read_trace(&r, trace);
		struct run *runs[] = { &r };
		expect_each_record_once(runs, 1, n);
		run_free(&r);
	}
}

Test(listen, admits_a_library_that_sends_a_token_of_its_own)
{
	struct collector c;
	const char *trace = scratch_file("trace.csv");
	struct run r;

	collector_start(&c, LIST("-o", trace));
	/* A token in the environment: the library says it first; listen has
	 * none, admits the connection and does not take that line as a record. */
	run_command(&r, LIST(launcher_path(), "-p", port_text(&c), "--", prog_path("fileops"),
			     scratch_dir(), "basic"),
		    LIST("IOMON_TOKEN=abc123"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	wait_for_lines(trace, 11);
	cr_assert_eq(collector_stop(&c, SIGTERM), 0);
	memset(&r, 0, sizeof(r));
	read_trace(&r, trace);
	cr_assert_eq(r.nrecs, 11);
	cr_assert(!strstr(c.err, "rejected"), "stderr: %s", c.err);
	run_free(&r);
}

Test(listen, with_token_refuses_connections_without_it)
{
	struct collector c;
	const char *trace = scratch_file("trace.csv");
	struct run r;

	collector_start(&c, LIST("-o", trace, "--token", "00ff"));
	int rogue = connect_to(&c);
	send_all(rogue, "evil,1,0.000001,1,12,3,0,5,0,/x,\n", 34);
	close(rogue);
	run_command(&r, LIST(launcher_path(), "-p", port_text(&c), "--", prog_path("fileops"),
			     scratch_dir(), "basic"),
		    LIST("IOMON_TOKEN=00ff"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	wait_for_lines(trace, 11);
	cr_assert_eq(collector_stop(&c, SIGTERM), 0);
	memset(&r, 0, sizeof(r));
	read_trace(&r, trace);
	cr_assert_eq(r.nrecs, 11);
	for (size_t i = 0; i < r.nrecs; i++)
		cr_assert_str_neq(r.recs[i].facility, "evil");
	cr_assert(strstr(c.err, "1 connection without the session token refused"), "%s", c.err);
	run_free(&r);
}

Test(listen, jsonl_and_a_summary_on_exit)
{
	struct collector c;
	const char *trace = scratch_file("trace.jsonl");

	collector_start(&c, LIST("-o", trace, "--format", "jsonl", "-c"));
	int pid = traced_basic(&c, scratch_dir());
	wait_for_lines(trace, 11);
	cr_assert_eq(collector_stop(&c, SIGTERM), 0, "%s", c.err);

	/* Python's json reads every line; the fields are the records'. */
	struct run py;
	char script[512];
	snprintf(script, sizeof(script),
		 "import json,sys\n"
		 "recs=[json.loads(l) for l in open(sys.argv[1],encoding='utf-8',"
		 "errors='surrogateescape')]\n"
		 "print(len(recs), sum(r['pid']==%d for r in recs),"
		 " sum(r['op_name']=='READ' and r['bytes']==6 for r in recs),"
		 " sum(r['error']==2 and r['domain_name']=='FILE_OPEN_CLOSE' for r in recs))\n",
		 pid);
	run_command(&py, LIST("/usr/bin/python3", "-c", script, trace), NONE);
	cr_assert_eq(py.status, 0, "python: %s", py.err);
	cr_assert_str_eq(py.out, "11 11 1 1\n");
	run_free(&py);
	/* The summary, on standard error, counts fileops' 9 calls. */
	cr_assert(strstr(c.err, "9 calls, 2 errors"), "stderr: %s", c.err);
}

Test(listen, a_periodic_summary_comes_without_a_signal)
{
	struct collector c;

	collector_start(&c, LIST("-o", "/dev/null", "-c", "--interval", "0.2"));
	traced_basic(&c, scratch_dir());
	/* Two summaries on stderr, the last one with the records, before any
	 * signal: read until then. */
	size_t from = c.err_len;
	while (!strstr(c.err + from, "9 calls, 2 errors"))
		cr_assert(read_err_line(&c, c.err_len), "stderr ended: %s", c.err);
	cr_assert_eq(collector_stop(&c, SIGTERM), 0, "%s", c.err);
}

Test(listen, bad_command_lines_exit_2_and_busy_ports_exit_1)
{
	const char *const *cases[] = {
		LIST("-p", "65536"),	   LIST("-p", "x"),
		LIST("--bind", "localhost"), LIST("--bind", "300.1.1.1"),
		LIST("--bind", "1.2.3"),   LIST("--bind", ""),
		LIST("--format", "xml"),   LIST("--interval", "1"),
		LIST("-c", "--interval", "0"), LIST("-c", "--interval", "-1"),
		LIST("--token", "XYZ"),	   LIST("--token", ""),
		LIST("some", "command"),   LIST("--no-such-option"),
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[16] = { launcher_path(), "listen" };
		size_t n = 2;
		for (const char *const *a = cases[i]; *a; a++)
			argv[n++] = *a;
		struct run r;
		run_command(&r, argv, NONE);
		cr_assert_eq(r.status, 2, "case %zu: status %d", i, r.status);
		cr_assert(strstr(r.err, "iomon") && strstr(r.err, "Try 'iomon listen --help'"),
			  "case %zu: no message: '%s'", i, r.err);
		run_free(&r);
	}

	/* A port already taken: a clear message, status 1. */
	struct collector c;
	struct run r;
	collector_start(&c, NONE);
	run_command(&r, LIST(launcher_path(), "listen", "-p", port_text(&c)), NONE);
	cr_assert_eq(r.status, 1, "status %d", r.status);
	cr_assert(strstr(r.err, "cannot listen on 127.0.0.1:") && strstr(r.err, "in use"), "%s",
		  r.err);
	run_free(&r);
	/* And so is one taken for the metrics; an address that is none is a
	 * usage error. */
	char taken[32];
	snprintf(taken, sizeof(taken), "127.0.0.1:%s", port_text(&c));
	run_command(&r, LIST(launcher_path(), "listen", "-p", "0", "--metrics", taken), NONE);
	cr_assert_eq(r.status, 1, "metrics: status %d", r.status);
	cr_assert(strstr(r.err, "cannot serve metrics on 127.0.0.1:") && strstr(r.err, "in use"),
		  "%s", r.err);
	run_free(&r);
	run_command(&r, LIST(launcher_path(), "listen", "-p", "0", "--metrics", "localhost:9"),
		    NONE);
	cr_assert_eq(r.status, 2, "metrics localhost: status %d", r.status);
	run_free(&r);
	cr_assert_eq(collector_stop(&c, SIGTERM), 0);
}

Test(listen, listens_on_loopback_unless_told_otherwise)
{
	struct collector c;
	const char *trace = scratch_file("trace.csv");

	collector_start(&c, LIST("-o", trace));
	cr_assert(strstr(c.err, "listening on 127.0.0.1:"), "%s", c.err);
	cr_assert_eq(collector_stop(&c, SIGTERM), 0);

	/* An explicit address, IPv6 here, is served, where the machine has
	 * IPv6 (containers may not). */
	struct sockaddr_in6 probe = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int probe_fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool has_ipv6 = probe_fd >= 0 && bind(probe_fd, (struct sockaddr *)&probe, sizeof(probe)) == 0;
	if (probe_fd >= 0)
		close(probe_fd);
	if (!has_ipv6) {
		cr_log_warn("no IPv6 loopback here: --bind ::1 not tried");
		return;
	}
	collector_start(&c, LIST("-o", trace, "--bind", "::1"));
	cr_assert(strstr(c.err, "listening on [::1]:"), "%s", c.err);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT,
				  .sin6_port = htons((uint16_t)c.port) };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect: %s",
		  strerror(errno));
	const char rec[] = "v6,1,0.000001,77,12,3,0,5,9,/x,\n";
	cr_assert_eq(write(fd, rec, sizeof(rec) - 1), (ssize_t)sizeof(rec) - 1);
	close(fd);
	wait_for_lines(trace, 1);
	cr_assert_eq(collector_stop(&c, SIGTERM), 0, "%s", c.err);
	struct run r;
	memset(&r, 0, sizeof(r));
	read_trace(&r, trace);
	cr_assert_eq(r.nrecs, 1);
	cr_assert_str_eq(r.recs[0].facility, "v6");
	run_free(&r);
}

Test(listen, serves_twenty_programs_at_once)
{
	struct collector c;
	const char *trace = scratch_file("trace.csv");
	char script[9000];
	struct run r;

	collector_start(&c, LIST("-o", trace));
	snprintf(script, sizeof(script),
		 "i=0; while [ $i -lt 20 ]; do i=$((i+1)); mkdir -p '%s'/$i; "
		 "'%s' -p %d -- '%s' '%s'/$i basic >/dev/null || echo failed & done; wait",
		 scratch_dir(), launcher_path(), c.port, prog_path("fileops"), scratch_dir());
	run_command(&r, LIST("/bin/sh", "-c", script), NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "", "a program failed");
	run_free(&r);
	wait_for_lines(trace, 20 * 11);
	cr_assert_eq(collector_stop(&c, SIGTERM), 0, "%s", c.err);

	memset(&r, 0, sizeof(r));
	read_trace(&r, trace);
	cr_assert_eq(r.bad_lines, 0);
	cr_assert_eq(r.nrecs, 20 * 11, "%zu records", r.nrecs);
	/* Each program's records are all there: 20 STARTs, and 11 records
	 * for each of their pids. */
	size_t starts = 0;
	for (size_t i = 0; i < r.nrecs; i++) {
		if (r.recs[i].op != O(START))
			continue;
		starts++;
		cr_assert_eq(count_pid(&r, r.recs[i].pid), 11, "pid %d: %zu records",
			     r.recs[i].pid, count_pid(&r, r.recs[i].pid));
	}
	cr_assert_eq(starts, 20);
	run_free(&r);
}
