/*
 * End-to-end test harness: runs real programs through the real launcher,
 * library and collector, and reads back the records they made.
 *
 * The paths of what the build made come from the environment of the test
 * (tests/e2e/meson.build): IOMON (the launcher), IOMON_LIB (libiomon.so),
 * PROGS (the directory of the test programs), SRCDIR (the source tree).
 */
#ifndef IOMON_TEST_HARNESS_H
#define IOMON_TEST_HARNESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One record as read back. */
struct rec {
	char facility[8];
	uint64_t ts;
	uint64_t duration_ns;
	int pid;
	unsigned domain;
	unsigned op;
	int err;
	int fd;
	uint64_t bytes;
	char *s1;
	size_t s1_len;
	char *s2;
};

struct run {
	int status;		/* exit status, 128+N when killed by signal N */
	char *out;		/* the standard output */
	char *err;		/* the standard error */
	struct rec *recs;
	size_t nrecs;
	size_t room;		/* records recs has room for */
	size_t bad_lines;	/* lines of the trace that did not parse */
};

/* A NULL-terminated list of strings. */
#define LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NONE ((const char *const[]){ NULL })

/* Runs argv with env_extra ("NAME=value", or "NAME" to unset) added to the
 * test's environment; collects stdout, stderr and the exit status. */
void run_command(struct run *r, const char *const *argv, const char *const *env_extra);

/* Runs `iomon OPTS -o TRACE -- argv...` and reads the records of TRACE. */
void run_traced(struct run *r, const char *const *opts, const char *const *argv,
		const char *const *env_extra);

/* Reads the records of a trace file into r. */
void read_trace(struct run *r, const char *path);
/* Parses records from a buffer (a whole stream of lines) into r. */
void parse_trace(struct run *r, const char *data, size_t len);

void run_free(struct run *r);

/* Paths of what the build made. */
const char *launcher_path(void);
const char *library_path(void);
const char *prog_path(const char *name);
const char *source_path(const char *rel);

/* LD_PRELOAD's value that preloads library after what the test's own
 * LD_PRELOAD holds, as the launcher does: in a sanitized build that is the
 * sanitizer's runtime, which must stay first (tests/meson.build).  And the
 * "LD_PRELOAD=..." setting of it, for run_command's env_extra. */
const char *preload_value(const char *library);
const char *preload_env(const char *library);

/* A fresh directory for one test, removed by scratch_cleanup(). */
const char *scratch_dir(void);
void scratch_cleanup(void);
/* A path inside the scratch directory. */
const char *scratch_file(const char *name);
/* The same, kept by value: scratch_file() reuses its buffers, so what it
 * returns does not outlive a few more calls. */
struct path {
	char s[4200];
};
struct path in_scratch(const char *name);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t now_ms(void);

/*
 * A collector of the test's own, for -p or a library preloaded without the
 * launcher, on a loopback port of its own (port).  It accepts every
 * connection; reads nothing for stall_ms after the first one (NEVER: at
 * all, and gives up on them when the test is over); after die_after_lines
 * lines (when not 0) closes every connection and the listener, as a
 * collector that dies does.  data holds what came, whole lines only: a
 * connection's lines are never split by another's, and a line that a
 * connection's end left unfinished is counted in cut_lines instead.
 */
#define NEVER (-1)

struct stub {
	int listener;
	int port;
	int stall_ms;
	int listen_after_ms;	/* the port refuses connections until then */
	size_t die_after_lines;
	char *data;
	size_t len;
	size_t room;
	size_t lines;
	size_t cut_lines; /* left unfinished by a connection's end */
	atomic_bool stop;
	bool died;
	uint64_t died_at; /* now_ms() */
	pthread_t thread;
	pthread_mutex_t lock; /* data, len, room: for stub_has() while it runs */
};

void stub_start(struct stub *s, int stall_ms, size_t die_after_lines);
/* A stub whose port refuses connections for its first listen_after_ms, as
 * a collector that is slow to start. */
void stub_start_late(struct stub *s, int listen_after_ms);
/* Has what came so far the string needle?  While the stub runs. */
bool stub_has(struct stub *s, const char *needle);
/* Waits until every connection has ended; what came is in s->data. */
void stub_finish(struct stub *s);

/* Asserts one record's fields; s1 and s2 NULL skip the check. */
void expect_rec(const struct run *r, size_t i, unsigned domain, unsigned op, int err, int fd,
		uint64_t bytes, const char *s1, const char *s2);

/* The pid the traced program printed as its first line of output. */
int printed_pid(const struct run *r);

/* A test program's run of one scenario (tests/progs/check.h): it exited
 * 0, every line of the trace parsed, every record is its own, and the
 * first is its START, naming its command line "PROG DIR SCENARIO". */
void expect_scenario_ran(const struct run *r, const char *prog, const char *scenario);

/* A loopback port on which nothing listens: bound by *holder (close it when
 * done), so that nobody else takes it meanwhile. */
int unused_port(int *holder);

/* Line n of the program's output (0 is its pid), into buf. */
const char *output_line(const struct run *r, unsigned n, char buf[static 4200]);

/* Removes the first record (a START the test has checked), or the last
 * (a STOP). */
void drop_first(struct run *r);
void drop_last(struct run *r);

/* Keeps the records of the domains in mask (a bit per domain, MASK(name)),
 * in their order; the others are dropped. */
void keep_domains(struct run *r, uint32_t mask);

/* Shorthands for the codes of libiomon/codes.h. */
#define D(name) IOMON_DOMAIN_##name
#define O(name) IOMON_OP_##name
#define MASK(name) (UINT32_C(1) << IOMON_DOMAIN_##name)

/* Records whose domain and op match, counted. */
size_t count_recs(const struct run *r, unsigned domain, unsigned op);
/* Is rec's s1 exactly path?  And the records of count_recs() whose s1 is. */
bool s1_is(const struct rec *rec, const char *path);
size_t count_on(const struct run *r, unsigned domain, unsigned op, const char *path);

#endif
