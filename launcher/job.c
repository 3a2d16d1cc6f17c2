/* The job: see job.h. */
#include <err.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "job.h"

/* Forwarded to the command; after it, they stop iomon's wait. */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP};

noreturn void job_exec(char **argv)
{
	execvp(argv[0], argv);

	int e = errno;

	/* Not stdio: after fork, the records buffered in iomon's memory must
	 * not be flushed a second time by the child. */
	dprintf(STDERR_FILENO, "iomon: cannot run '%s': %s\n", argv[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

/*
 * Signals arrive on a signalfd, so they must be blocked; SIGPIPE is ignored
 * so that a closed output is an error to report, not death; SIGCHLD must
 * not be ignored or the kernel would reap the job itself.  A signal ignored
 * when iomon started (nohup, a background job) stays ignored and is not
 * forwarded: the command inherits that choice, as from a shell.
 */
static void setup_signals(struct job *j)
{
	struct sigaction ignore = {.sa_handler = SIG_IGN}, dfl = {.sa_handler = SIG_DFL};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
		struct sigaction old;

		if (sigaction(forwarded[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaddset(&set, forwarded[i]);
	}
	if (sigprocmask(SIG_BLOCK, &set, &j->saved_mask) < 0 ||
	    sigaction(SIGPIPE, &ignore, &j->saved_sigpipe) < 0 ||
	    sigaction(SIGCHLD, &dfl, &j->saved_sigchld) < 0)
		err(1, "signals");
	j->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (j->signal_fd < 0)
		err(1, "signalfd");
}

/* The collector holds a descriptor per live traced process; the default soft
 * limit (1024) would stall a parallel build.  The command gets the original
 * back: raising it can break programs that still use select(). */
static void raise_fd_limit(struct job *j)
{
	struct rlimit raised;

	if (getrlimit(RLIMIT_NOFILE, &j->saved_nofile) < 0)
		err(1, "getrlimit");
	raised = j->saved_nofile;
	raised.rlim_cur = raised.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &raised) < 0)
		warn("raising the descriptor limit");
}

static noreturn void exec_child(const struct job *j, char **argv)
{
	sigaction(SIGPIPE, &j->saved_sigpipe, NULL);
	sigaction(SIGCHLD, &j->saved_sigchld, NULL);
	setrlimit(RLIMIT_NOFILE, &j->saved_nofile);
	sigprocmask(SIG_SETMASK, &j->saved_mask, NULL);
	job_exec(argv);
}

/*
 * Once the command is started, this process is its collector: it takes
 * the records in batches, as the command's senders hand them over, and
 * nothing it does is urgent to a few milliseconds.  Under the default
 * policy the scheduler lets it preempt the command each time a batch
 * wakes it, on the command's CPU when the machine has few: 35 ns a call
 * of a syscall-heavy program on two CPUs (BENCHMARKS.md).  SCHED_BATCH tells
 * the scheduler not to, and changes nothing else: the same share of CPU
 * time, the same nice value.  Only from the default policy: one the user
 * chose (chrt) stays.  Set after the fork, so the command keeps the
 * policy it was given; a refusal (a seccomp filter) changes nothing.
 */
static void yield_to_command(void)
{
	if (sched_getscheduler(0) == SCHED_OTHER)
		sched_setscheduler(0, SCHED_BATCH, &(struct sched_param){.sched_priority = 0});
}

void job_start(struct job *j, char **argv)
{
	*j = (struct job){.signal_fd = -1};
	setup_signals(j);
	raise_fd_limit(j);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		err(1, "becoming subreaper");

	j->main = fork();
	if (j->main < 0)
		err(1, "fork");
	if (j->main == 0)
		exec_child(j, argv);
	yield_to_command();
}

static void reap(struct job *j)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0) {
			if (pid == j->main) {
				j->main = 0;
				j->main_status = status;
			}
			continue;
		}
		if (pid == 0)
			return;
		if (errno == ECHILD) {
			/* Orphans are reparented before their parent can be
			 * reaped, so no child means no descendant. */
			j->done = true;
			return;
		}
		if (errno != EINTR)
			err(1, "waitpid");
	}
}

static void forward(const struct job *j, const struct signalfd_siginfo *si)
{
	/* The terminal signals the whole foreground process group: a command
	 * still in iomon's group has had this one already, and a second ^C
	 * could cut its own clean-up short. */
	if (si->ssi_code == SI_KERNEL && getpgid(j->main) == getpgrp())
		return;
	kill(j->main, (int)si->ssi_signo);
}

bool job_on_signals(struct job *j)
{
	struct signalfd_siginfo si;
	bool stop = false;
	ssize_t n;

	while ((n = read(j->signal_fd, &si, sizeof(si))) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap(j);
		else if (j->main > 0)
			forward(j, &si);
		else
			stop = true;
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		err(1, "signalfd");
	return stop;
}

int job_exit_status(const struct job *j)
{
	if (WIFSIGNALED(j->main_status))
		return 128 + WTERMSIG(j->main_status);
	return WEXITSTATUS(j->main_status);
}
