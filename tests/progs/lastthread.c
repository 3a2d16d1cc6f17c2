/*
 * A program whose main thread calls pthread_exit() while another thread
 * makes its calls and then ends, so that the C library ends the process
 * (exit(0)) when that last thread is gone:
 *   lastthread DIR returns   the thread writes DIR/t, then returns
 *   lastthread DIR exits     the same, ending with pthread_exit()
 *   lastthread DIR blocks    the thread writes DIR/first, then, 1.5 s
 *                            later, DIR/second, then waits for its
 *                            standard input to close before returning
 *   lastthread DIR slow-exit as returns, but the thread ends 1.5 s after
 *                            its write, and the atexit handler writes
 *                            DIR/late 1.5 s after DIR/atexit
 * and an atexit handler writes DIR/atexit, on whichever thread ends the
 * process.  For tests/e2e/test_robust.c: with the library, the process
 * must end as it does without, and every record come.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static void write_file(const char *name)
{
	int fd = open(in_dir(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0 && write(fd, name, strlen(name)) == (ssize_t)strlen(name) && close(fd) == 0);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts) < 0)
		CHECK(errno == EINTR);
}

static bool slow_exit;

static void at_exit(void)
{
	write_file("atexit");
	if (slow_exit) {
		/* Longer than an idle sender thread lasts. */
		sleep_ms(1500);
		write_file("late");
	}
}

static void *returns(void *arg)
{
	write_file("t");
	sleep_ms(100);
	return arg;
}

/* Ends after an idle sender thread has ended: it runs the exit. */
static void *returns_late(void *arg)
{
	write_file("t");
	sleep_ms(1500);
	return arg;
}

static void *exits(void *arg)
{
	returns(arg);
	pthread_exit(arg);
}

static void *blocks(void *arg)
{
	struct pollfd in = { .fd = 0, .events = POLLIN };

	write_file("first");
	/* Long enough for an idle sender thread to have ended. */
	sleep_ms(1500);
	write_file("second");
	CHECK(poll(&in, 1, 60 * 1000) == 1);
	return arg;
}

/* Main's part: start the thread, then end main's thread only. */
static void last_thread(void *(*fn)(void *))
{
	pthread_t thread;

	CHECK(atexit(at_exit) == 0);
	CHECK(pthread_create(&thread, NULL, fn, NULL) == 0);
	pthread_exit(NULL);
}

static void run_returns(void)
{
	last_thread(returns);
}

static void run_exits(void)
{
	last_thread(exits);
}

static void run_blocks(void)
{
	last_thread(blocks);
}

static void run_slow_exit(void)
{
	slow_exit = true;
	last_thread(returns_late);
}

static const struct scenario scenarios[] = {
	{ "returns", run_returns },
	{ "exits", run_exits },
	{ "blocks", run_blocks },
	{ "slow-exit", run_slow_exit },
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
