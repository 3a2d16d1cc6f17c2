/*
 * The process domain's calls, one scenario per run:
 *   process_calls DIR SCENARIO
 *   calls    prints, one per line: its pid, then "fork PID", "vfork PID",
 *            "vfork_exit PID", "spawn PID", "spawnp PID", "system STATUS";
 *            ends with exit(6).
 *   refused  the calls that make processes, refused: by a child with no
 *            process left to it, and system() that cannot wait for its own.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

extern char **environ;

static int wait_for(pid_t pid)
{
	int status;

	CHECK(waitpid(pid, &status, 0) == pid);
	return status;
}

static char *true_argv[] = { "/bin/true", NULL };

static void calls(void)
{
	pid_t pid;

	fflush(stdout);

	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(3);
	CHECK(WEXITSTATUS(wait_for(pid)) == 3);
	printf("fork %d\n", (int)pid);

	/* The vfork child runs on our memory: it must leave no record. */
	pid = vfork();
	if (pid == 0) {
		execve("/bin/true", true_argv, environ);
		_exit(127);
	}
	CHECK(pid > 0 && wait_for(pid) == 0);
	printf("vfork %d\n", (int)pid);
	pid = vfork();
	if (pid == 0)
		_exit(7);
	CHECK(pid > 0 && WEXITSTATUS(wait_for(pid)) == 7);
	printf("vfork_exit %d\n", (int)pid);

	CHECK(posix_spawn(&pid, "/bin/true", NULL, NULL, true_argv, environ) == 0);
	CHECK(wait_for(pid) == 0);
	printf("spawn %d\n", (int)pid);
	CHECK(posix_spawnp(&pid, "true", NULL, NULL, true_argv, environ) == 0);
	CHECK(wait_for(pid) == 0);
	printf("spawnp %d\n", (int)pid);
	CHECK(posix_spawn(&pid, "/nonexistent/iomon", NULL, NULL, true_argv, environ) == ENOENT);

	int status = system("exit 5");
	CHECK(WEXITSTATUS(status) == 5);
	printf("system %d\n", status);

	CHECK(kill(getpid(), 0) == 0);
	errno = 0;
	CHECK(kill(INT_MAX, SIGTERM) == -1 && errno == ESRCH);

	errno = 0;
	CHECK(execl("/nonexistent/iomon", "x", (char *)NULL) == -1 && errno == ENOENT);
	CHECK(execlp("iomon-no-such-program", "x", (char *)NULL) == -1 && errno == ENOENT);
	CHECK(execle("/nonexistent/iomon", "x", (char *)NULL, environ) == -1 && errno == ENOENT);
	CHECK(execv("/nonexistent/iomon", true_argv) == -1 && errno == ENOENT);
	CHECK(execvp("iomon-no-such-program", true_argv) == -1 && errno == ENOENT);
	CHECK(execvpe("iomon-no-such-program", true_argv, environ) == -1 && errno == ENOENT);
	CHECK(fexecve(-1, true_argv, environ) == -1 && errno == EINVAL);
	fflush(stdout);
	exit(6);
}

static void refused(void)
{
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* A user with no process left: root gives itself up first, as
		 * the limit does not bind it. */
		struct rlimit none = { 0, 0 };
		if (geteuid() == 0)
			CHECK(setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0);
		CHECK(setrlimit(RLIMIT_NPROC, &none) == 0);
		errno = 0;
		CHECK(fork() == -1 && errno == EAGAIN);
		CHECK(vfork() == -1 && errno == EAGAIN);
		CHECK(posix_spawn(&pid, "/bin/true", NULL, NULL, true_argv, environ) == EAGAIN);
		CHECK(posix_spawnp(&pid, "true", NULL, NULL, true_argv, environ) == EAGAIN);
		CHECK(execve("/nonexistent/iomon", true_argv, environ) == -1 && errno == ENOENT);
		_Exit(4);
	}
	CHECK(WEXITSTATUS(wait_for(pid)) == 4);
	/* With SIGCHLD ignored the kernel reaps system()'s shell itself, so
	 * system() has no status to give. */
	CHECK(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
	errno = 0;
	CHECK(system("exit 0") == -1 && errno == ECHILD);
}

static const struct scenario scenarios[] = {
	{ "calls", calls },
	{ "refused", refused },
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
