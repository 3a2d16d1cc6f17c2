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
 *   senderview DIR tables   writes /dev/null 2000 times (6000 records, more
 *                           than a process sends before its sender asks
 *                           for a table of its own) and waits likewise,
 *                           writes DIR/f, waits likewise, and prints
 *                           "fds=A,B,... sender_fds=C,...": the
 *                           descriptors of the main thread's table and of
 *                           the other thread's, if any
 *   senderview DIR exec     with 3000 more descriptors open (copies of
 *                           stdin; fewer if the limit is lower), 5 times: a child writes /dev/null 2000
 *                           times and waits likewise, opens an executable
 *                           script DIR/x-I, calls setuid(getuid()) (after
 *                           which the library starts a new sender, with a
 *                           table of its own: a copy of one where the
 *                           script is open for writing), writes and closes
 *                           it, and runs it; prints "ran=K" (K: the
 *                           children whose script ran, exiting 7; not
 *                           ETXTBSY)
 * The library's sender thread is the kernel's second, which the C library
 * does not count; it must not keep the credentials the program dropped,
 * nor make fail the calls that want a process of one thread.
 * For tests/e2e/test_transparency.c.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
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

/* More records than a process sends before its sender asks for a table of
 * its own (4096), all sent: the next record starts that sender. */
static void be_a_busy_process(void)
{
	for (int i = 0; i < 2000; i++)
		write_to("/dev/null");
	wait_for_the_sender();
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

/* The descriptors of a task's table, as "A,B,...", in dst. */
static void list_fds(const char *task, char *dst, size_t size)
{
	char path[300];

	snprintf(path, sizeof(path), "/proc/self/task/%s/fd", task);
	DIR *d = opendir(path);
	struct dirent *e;
	size_t len = 0;

	CHECK(d);
	dst[0] = '\0';
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && len < size)
			len += (size_t)snprintf(dst + len, size - len, "%s%s", len ? "," : "",
						e->d_name);
	CHECK(closedir(d) == 0);
}

static void run_tables(void)
{
	char mine[4096], other[4096] = "", self[32];
	struct dirent *e;

	be_a_busy_process();
	write_to(in_dir("f"));
	wait_for_the_sender();
	DIR *tasks = opendir("/proc/self/task");
	CHECK(tasks);
	snprintf(self, sizeof(self), "%d", (int)getpid());
	while ((e = readdir(tasks)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, self) != 0)
			list_fds(e->d_name, other, sizeof(other));
	CHECK(closedir(tasks) == 0);
	list_fds(self, mine, sizeof(mine));
	printf("fds=%s sender_fds=%s\n", mine, other);
}

static void run_exec(void)
{
	static const char script[] = "#!/bin/sh\nexit 7\n";
	struct rlimit files;
	int ran = 0;

	/* A table that takes a while to copy and to close: 3000 more, or as
	 * many as the limit allows. */
	CHECK(getrlimit(RLIMIT_NOFILE, &files) == 0);
	if (files.rlim_cur < 4000) {
		files.rlim_cur = files.rlim_max < 4000 ? files.rlim_max : 4000;
		CHECK(setrlimit(RLIMIT_NOFILE, &files) == 0);
	}
	for (rlim_t i = 0; i < 3000 && i + 100 < files.rlim_cur; i++)
		CHECK(fcntl(0, F_DUPFD_CLOEXEC, 3) >= 0);
	for (int i = 0; i < 5; i++) {
		char name[32];
		snprintf(name, sizeof(name), "x-%d", i);
		const char *path = in_dir(name);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			be_a_busy_process();
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
			/* The same credentials again: the library starts a new
			 * sender, here and now. */
			if (fd < 0 || setuid(getuid()) != 0 ||
			    write(fd, script, sizeof(script) - 1) != sizeof(script) - 1 ||
			    close(fd) != 0)
				_exit(1);
			execl(path, path, (char *)NULL);
			fprintf(stderr, "senderview: exec %s: %s\n", path, strerror(errno));
			_exit(errno == ETXTBSY ? 2 : 3);
		}
		int status;
		CHECK(waitpid(pid, &status, 0) == pid);
		ran += WIFEXITED(status) && WEXITSTATUS(status) == 7;
	}
	printf("ran=%d\n", ran);
}

int main(int argc, char **argv)
{
	static const struct scenario scenarios[] = {
		{ "single", run_single },
		{ "setuid", run_setuid },
		{ "alone", run_alone },
		{ "tables", run_tables },
		{ "exec", run_exec },
	};

	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
