/*
 * C library calls about the whole process, which the library's sender
 * thread would change: the sender is a thread of the kernel's that the C
 * library does not know of (sender.c).
 *
 * Credentials: in a multi-threaded program, setuid() and its kin change
 * those of every thread the C library knows of, and so not the sender's.
 * After each change the sender is renewed: the one running ends, and the
 * next starts with the new credentials.  Without this, a daemon that drops
 * its privileges would keep a thread with the old ones.  initgroups() is
 * here because the C library calls its own setgroups() directly.
 *
 * Namespaces: the kernel lets a process enter a new user namespace
 * (unshare, setns) only while it has one thread, and a new mount namespace
 * (setns) only while no other thread shares its working directory, as the
 * sender does.  The sender is held off for the call: it ends first, the
 * threads that record meanwhile send their records themselves, and a new
 * one starts after.
 *
 * None of these is recorded: they are no I/O.
 */
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <unistd.h>

#include "core.h"
#include "iomon.h"
#include "stream.h"
#include "wrap.h"

/* Not in a vfork child (iomon_busy): the sender is its parent's.  The real
 * function is resolved at its first call (IOMON_REAL_FN). */
#define RENEWS_SENDER(NAME, PARAMS, ARGS)                                      \
	static int(*IOMON_REAL(NAME)) PARAMS;                                  \
	IOMON_EXPORT int NAME PARAMS                                           \
	{                                                                      \
		int ret = IOMON_REAL_FN(NAME) ARGS;                            \
		if (ret == 0 && !iomon_busy) {                                 \
			int saved = errno;                                     \
			iomon_sender_renew();                                  \
			errno = saved;                                         \
		}                                                              \
		return ret;                                                    \
	}

RENEWS_SENDER(setuid, (uid_t uid), (uid))
RENEWS_SENDER(setgid, (gid_t gid), (gid))
RENEWS_SENDER(seteuid, (uid_t euid), (euid))
RENEWS_SENDER(setegid, (gid_t egid), (egid))
RENEWS_SENDER(setreuid, (uid_t ruid, uid_t euid), (ruid, euid))
RENEWS_SENDER(setregid, (gid_t rgid, gid_t egid), (rgid, egid))
RENEWS_SENDER(setresuid, (uid_t ruid, uid_t euid, uid_t suid), (ruid, euid, suid))
RENEWS_SENDER(setresgid, (gid_t rgid, gid_t egid, gid_t sgid), (rgid, egid, sgid))
RENEWS_SENDER(setgroups, (size_t size, const gid_t *list), (size, list))
RENEWS_SENDER(initgroups, (const char *user, gid_t group), (user, group))

/* What needs a process of one thread; setns() into a mount namespace
 * needs, besides, no other thread sharing the working directory, and its
 * 0 is any namespace. */
#define ONE_THREAD_ONLY (CLONE_NEWUSER | CLONE_THREAD | CLONE_VM | CLONE_SIGHAND)

#define HOLDS_SENDER(NAME, PARAMS, ARGS, WANTS)                                \
	static int(*IOMON_REAL(NAME)) PARAMS;                                  \
	IOMON_EXPORT int NAME PARAMS                                           \
	{                                                                      \
		if (!(WANTS) || iomon_busy)                                    \
			return IOMON_REAL_FN(NAME) ARGS;                       \
		iomon_sender_hold();                                           \
		int ret = IOMON_REAL_FN(NAME) ARGS;                            \
		int saved = errno;                                             \
		iomon_sender_release();                                        \
		errno = saved;                                                 \
		return ret;                                                    \
	}

HOLDS_SENDER(unshare, (int flags), (flags), flags & ONE_THREAD_ONLY)
HOLDS_SENDER(setns, (int fd, int nstype), (fd, nstype),
	     !nstype || nstype & (ONE_THREAD_ONLY | CLONE_NEWNS))
