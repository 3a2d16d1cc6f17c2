/*
 * The job: the command iomon runs and every process descending from it.
 *
 * iomon is the subreaper of the job, as strace -f follows every process, so
 * orphans come back to it and the job is over only once the last descendant
 * has exited.  Signals reach iomon through a descriptor (signal_fd) that its
 * poll loop watches, not through handlers.
 */
#ifndef IOMON_JOB_H
#define IOMON_JOB_H

#include <signal.h>
#include <stdbool.h>
#include <stdnoreturn.h>
#include <sys/resource.h>
#include <sys/types.h>

struct job {
	pid_t main;	 /* the command; 0 once it has been reaped */
	int main_status; /* its wait status, once reaped */
	bool done;	 /* no descendant is left */
	int signal_fd;	 /* readable: call job_on_signals() */

	/* iomon's own settings, which the command gets back as they were. */
	sigset_t saved_mask;
	struct sigaction saved_sigpipe, saved_sigchld;
	struct rlimit saved_nofile;
};

/* Starts argv[0] with argv as the main child.  Fails only by ending iomon. */
void job_start(struct job *j, char **argv);

/*
 * Handles the signals pending on signal_fd: reaps exited descendants, and
 * forwards SIGINT, SIGTERM and SIGHUP to the command.  Once the command has
 * exited, those signals ask iomon to stop waiting for the rest of the job:
 * then it returns true.
 */
bool job_on_signals(struct job *j);

/* The command's exit status, or 128+N when signal N killed it. */
int job_exit_status(const struct job *j);

/* Replaces this process with the command; on failure says why and exits
 * 127 if it was not found, 126 otherwise, as shells do. */
noreturn void job_exec(char **argv);

#endif
