/* The process domain's wrappers, generated from its table. */
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wrap.h"

/* posix_spawn's child, once it exists (pid may be NULL). */
#define IOMON_STR_SPAWNED(pid) \
	iomon_str_c(failed || !(pid) ? "" : iomon_int_str(*(pid), call.s2buf))

/* kill's target and signal: "1234 SIGTERM" (or the number, if unnamed). */
#define IOMON_STR_SIGNAL(pid, sig) iomon_str_c(iomon_signal_str(pid, sig, call.s2buf))

static const char *iomon_signal_str(pid_t pid, int sig, char buf[static 192])
{
	const char *name = sig ? sigabbrev_np(sig) : "0";
	char *p = iomon_put_i64(buf, pid);

	*p++ = ' ';
	if (name && sig) {
		memcpy(p, "SIG", 3);
		p += 3;
	}
	if (name) {
		size_t n = strlen(name);
		memcpy(p, name, n);
		p += n;
	} else {
		p = iomon_put_i64(p, sig);
	}
	*p = '\0';
	return buf;
}

#include "process.def"
