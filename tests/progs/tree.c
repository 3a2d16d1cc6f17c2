/*
 * A process tree that counts its own wrapped calls, for the lossless test
 * of tests/e2e/test_tree.c:
 *
 *   tree DIR root
 *
 * root      works in 2 threads and its main thread, and meanwhile forks
 *   a         which works and ends with exit()
 *   b         which works in 3 threads and its main thread, forks
 *     b1        which execs `tree DIR leaf`,
 *             and ends with _exit()
 *   c         which execs `tree DIR branch`:
 * branch    works, forks
 *   c1        which works in 2 threads and ends with exit()
 *   c2        which execs `tree DIR leaf`;
 *           and returns from main
 * leaf      works in 2 threads and its main thread, returns from main.
 *
 * Seven processes.  Working is opening a file of its own in DIR, writing
 * to it WRITES times, and closing it.  Every parent waits for its children.
 *
 * Each process image prints "calls PID N" as it ends or execs: N is how
 * many of its calls went to a wrapper, which is the number of records
 * (START and STOP aside) iomon must deliver for it.  Whether a function is
 * wrapped is asked of the dynamic linker (dladdr), not assumed: the
 * library's domains are chosen at build time.  An exec that succeeds is
 * not a record of its own: the new image's START is.  Output goes through
 * printf, unbuffered, which calls no wrapped function.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "check.h"

#define WRITES	    2000
#define MAX_THREADS 4

static char *self;
static _Atomic unsigned long calls;

/* Counts a call to fn when fn is one of the library's wrappers. */
static void count(void *fn)
{
	Dl_info info;

	if (dladdr(fn, &info) && info.dli_fname && strstr(info.dli_fname, "libiomon"))
		calls++;
}

#define CALL(fn, ...) (count((void *)(fn)), fn(__VA_ARGS__))

/* Before the image ends: the count can no longer change. */
static void report(void)
{
	printf("calls %d %lu\n", (int)getpid(), (unsigned long)calls);
}

static void *work(void *arg)
{
	char name[64], text[32];
	int fd;

	snprintf(name, sizeof(name), "%d-%s", (int)getpid(), (const char *)arg);
	fd = CALL(open, in_dir(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	for (int i = 0; i < WRITES; i++) {
		int n = snprintf(text, sizeof(text), "%d\n", i);
		CHECK(CALL(write, fd, text, (size_t)n) == n);
	}
	CHECK(CALL(close, fd) == 0);
	return NULL;
}

/* ---- Threads ---- */

struct crew {
	int n;
	pthread_t t[MAX_THREADS];
};

static const char *const thread_names[MAX_THREADS] = {"t0", "t1", "t2", "t3"};

static void crew_start(struct crew *c, int n)
{
	c->n = n;
	for (int i = 0; i < n; i++)
		CHECK(CALL(pthread_create, &c->t[i], NULL, work, (void *)thread_names[i]) == 0);
}

static void crew_join(struct crew *c)
{
	for (int i = 0; i < c->n; i++)
		CHECK(CALL(pthread_join, c->t[i], NULL) == 0);
}

/* ---- Processes ---- */

/* Runs child() in a new process, which must not return; returns its pid. */
static pid_t spawn(void (*child)(void))
{
	pid_t pid = CALL(fork);

	CHECK(pid >= 0);
	if (pid == 0) {
		calls = 0; /* the child's own count; the fork was the parent's */
		child();
		abort();
	}
	return pid;
}

static void wait_for(pid_t pid)
{
	int status;

	CHECK(CALL(waitpid, pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void become(const char *scenario)
{
	char *argv[] = {self, (char *)dir, (char *)scenario, NULL};

	/* A successful exec makes no record of its own: the START of the new
	 * image stands for it (a failed one is recorded, but fails the run). */
	report();
	execv(self, argv);
	CHECK(!"exec");
}

static void end_with_exit(void)
{
	count((void *)exit);
	report();
	exit(0);
}

static void end_with__exit(void)
{
	count((void *)_exit);
	report();
	_exit(0);
}

/* ---- The tree ---- */

static void a(void)
{
	work("main");
	end_with_exit();
}

static void b1(void)
{
	become("leaf");
}

static void b(void)
{
	struct crew crew;

	crew_start(&crew, 3);
	work("main");
	pid_t child = spawn(b1);
	crew_join(&crew);
	wait_for(child);
	end_with__exit();
}

static void c(void)
{
	become("branch");
}

static void root(void)
{
	struct crew crew;
	pid_t children[3];

	crew_start(&crew, 2);
	children[0] = spawn(a);
	children[1] = spawn(b);
	children[2] = spawn(c);
	work("main");
	crew_join(&crew);
	for (int i = 0; i < 3; i++)
		wait_for(children[i]);
	report();
}

static void c1(void)
{
	struct crew crew;

	crew_start(&crew, 2);
	crew_join(&crew);
	end_with_exit();
}

static void c2(void)
{
	become("leaf");
}

static void branch(void)
{
	work("main");
	pid_t first = spawn(c1);
	pid_t second = spawn(c2);
	wait_for(first);
	wait_for(second);
	report();
}

static void leaf(void)
{
	struct crew crew;

	crew_start(&crew, 2);
	work("main");
	crew_join(&crew);
	report();
}

int main(int argc, char **argv)
{
	static const struct scenario scenarios[] = {
	    {"root", root},
	    {"branch", branch},
	    {"leaf", leaf},
	};

	/* Lines from several processes share the output: one write each. */
	setvbuf(stdout, NULL, _IONBF, 0);
	self = argv[0];
	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
