/*
 * What a program can see of the library's sender thread:
 *   senderview DIR single   writes DIR/f, waits for the sender to have
 *                           run, and prints "single_threaded=B tasks=N":
 *                           what the C library thinks (1: only one
 *                           thread), and how many threads the kernel has
 *   senderview DIR setuid   writes DIR/f, drops to nobody (setgroups,
 *                           setresgid, setresuid), writes /dev/null, waits
 *                           likewise, and prints "tasks=N others=M": M
 *                           threads whose user is not nobody's
 *   senderview DIR alone    writes DIR/f, waits likewise, enters its own
 *                           mount namespace again (setns), writes
 *                           /dev/null, waits, enters a new user namespace
 *                           (unshare), writes /dev/null, and prints
 *                           "setns=R unshare=R": 0 or the errno of each
 * The library's sender thread is the kernel's second, which the C library
 * does not count; it must not keep the credentials the program dropped,
 * nor make fail the calls that want a process of one thread.
 * For tests/e2e/test_transparency.c.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/single_threaded.h>
#include <time.h>

#include "check.h"

#define NOBODY 65534

static void write_to(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0 && write(fd, "x", 1) == 1 && close(fd) == 0);
}

/* Longer than the sender waits between looks at a ring that has
 * something (at most 100 ms). */
static void wait_for_the_sender(void)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };

	while (nanosleep(&ts, &ts) < 0)
		CHECK(errno == EINTR);
}

/* The real user id of each of the process's threads, through f(uid). */
static int for_each_task(void (*f)(long uid, int *count), int *count)
{
	DIR *tasks = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	CHECK(tasks);
	while ((e = readdir(tasks))) {
		char path[300], line[256];
		long uid = -1;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
		FILE *status = fopen(path, "r");
		CHECK(status);
		while (fgets(line, sizeof(line), status))
			if (sscanf(line, "Uid: %ld", &uid) == 1)
				break;
		CHECK(fclose(status) == 0 && uid >= 0);
		f(uid, count);
		n++;
	}
	CHECK(closedir(tasks) == 0);
	return n;
}

static void not_nobody(long uid, int *count)
{
	*count += uid != NOBODY;
}

static void run_single(void)
{
	int others = 0;

	write_to(in_dir("f"));
	wait_for_the_sender();
	int tasks = for_each_task(not_nobody, &others);
	printf("single_threaded=%d tasks=%d\n", __libc_single_threaded, tasks);
}

static void run_setuid(void)
{
	const gid_t nogroup[] = { NOBODY };
	int others = 0;

	write_to(in_dir("f"));
	wait_for_the_sender();
	CHECK(setgroups(1, nogroup) == 0);
	CHECK(setresgid(NOBODY, NOBODY, NOBODY) == 0);
	CHECK(setresuid(NOBODY, NOBODY, NOBODY) == 0);
	write_to("/dev/null");
	wait_for_the_sender();
	int tasks = for_each_task(not_nobody, &others);
	printf("tasks=%d others=%d\n", tasks, others);
}

/* 0, or the errno of a call that failed. */
static int result(int ret)
{
	return ret == 0 ? 0 : errno;
}

static void run_alone(void)
{
	write_to(in_dir("f"));
	wait_for_the_sender();
	int mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	CHECK(mnt >= 0);
	int entered = result(setns(mnt, CLONE_NEWNS));
	CHECK(close(mnt) == 0);
	write_to("/dev/null");
	wait_for_the_sender();
	int unshared = result(unshare(CLONE_NEWUSER));
	write_to("/dev/null");
	printf("setns=%d unshare=%d\n", entered, unshared);
}

int main(int argc, char **argv)
{
	static const struct scenario scenarios[] = {
		{ "single", run_single },
		{ "setuid", run_setuid },
		{ "alone", run_alone },
	};

	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
