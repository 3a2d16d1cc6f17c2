/* The descriptor domain's wrappers, generated from its table. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "wrap.h"

/* "first-last" of a range of descriptors; "3-" when it runs to the end. */
#define IOMON_STR_RANGE(first, last) iomon_str_c(range_str(first, last, call.s2buf))

static const char *range_str(unsigned first, unsigned last, char buf[static 192])
{
	char *p = iomon_put_u64(buf, first);

	*p++ = '-';
	if (last != ~0u)
		p = iomon_put_u64(p, last);
	*p = '\0';
	return buf;
}

/* close_range and closefrom leave the library's own descriptor open. */
#define IOMON_FD_BEFORE_SPARING_RANGE real = iomon_close_range_sparing
#define IOMON_FD_AFTER_SPARING_RANGE (void)0
#define IOMON_FD_BEFORE_SPARING_FROM real = iomon_closefrom_sparing
#define IOMON_FD_AFTER_SPARING_FROM (void)0
#define IOMON_FD_OWN_SPARING_RANGE 0
#define IOMON_FD_OWN_SPARING_FROM 0

/* close_range with CLOSE_RANGE_CLOEXEC only marks the descriptors. */
#define IOMON_HAS_EFFECT_CLOSES_RANGE_UNLESS_CLOEXEC(first, last, flags) 1
#define IOMON_TABLE_ONLY_CLOSES_RANGE_UNLESS_CLOEXEC(first, last, flags) 0
#define IOMON_EFFECT_BEFORE_CLOSES_RANGE_UNLESS_CLOEXEC(first, last, flags) (void)0
#define IOMON_EFFECT_RETURNED_CLOSES_RANGE_UNLESS_CLOEXEC(first, last, flags) (void)0
#define IOMON_EFFECT_CLOSES_RANGE_UNLESS_CLOEXEC(first, last, flags)                  \
	do {                                                                           \
		if (!failed && !((unsigned)(flags) & CLOSE_RANGE_CLOEXEC))             \
			iomon_fd_forget_range(first, last);                            \
	} while (0)

/* fcntl: the command by name, and F_DUPFD's copy in the fd table. */
#define IOMON_STR_FCNTL_CMD(cmd) iomon_str_c(fcntl_cmd_str(cmd, call.s2buf))
#define IOMON_HAS_EFFECT_FCNTL_EFFECT(cmd) 1
#define IOMON_TABLE_ONLY_FCNTL_EFFECT(cmd) 1
#define IOMON_EFFECT_BEFORE_FCNTL_EFFECT(cmd) (void)0
#define IOMON_EFFECT_RETURNED_FCNTL_EFFECT(cmd) (void)0
#define IOMON_EFFECT_FCNTL_EFFECT(cmd)                                                 \
	do {                                                                           \
		if (!failed && ((cmd) == F_DUPFD || (cmd) == F_DUPFD_CLOEXEC))         \
			iomon_fd_copy(ret, fd);                                        \
	} while (0)

static const char *fcntl_cmd_str(int cmd, char buf[static 192])
{
	static const struct {
		int cmd;
		const char *name;
	} names[] = {
		{ F_DUPFD, "F_DUPFD" },		  { F_DUPFD_CLOEXEC, "F_DUPFD_CLOEXEC" },
		{ F_GETFD, "F_GETFD" },		  { F_SETFD, "F_SETFD" },
		{ F_GETFL, "F_GETFL" },		  { F_SETFL, "F_SETFL" },
		{ F_GETLK, "F_GETLK" },		  { F_SETLK, "F_SETLK" },
		{ F_SETLKW, "F_SETLKW" },	  { F_OFD_GETLK, "F_OFD_GETLK" },
		{ F_OFD_SETLK, "F_OFD_SETLK" },	  { F_OFD_SETLKW, "F_OFD_SETLKW" },
		{ F_GETOWN, "F_GETOWN" },	  { F_SETOWN, "F_SETOWN" },
		{ F_GETOWN_EX, "F_GETOWN_EX" },	  { F_SETOWN_EX, "F_SETOWN_EX" },
		{ F_GETSIG, "F_GETSIG" },	  { F_SETSIG, "F_SETSIG" },
		{ F_GETLEASE, "F_GETLEASE" },	  { F_SETLEASE, "F_SETLEASE" },
		{ F_NOTIFY, "F_NOTIFY" },	  { F_GETPIPE_SZ, "F_GETPIPE_SZ" },
		{ F_SETPIPE_SZ, "F_SETPIPE_SZ" }, { F_ADD_SEALS, "F_ADD_SEALS" },
		{ F_GET_SEALS, "F_GET_SEALS" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].cmd == cmd)
			return names[i].name;
	return iomon_int_str(cmd, buf);
}

#include "fd.def"
