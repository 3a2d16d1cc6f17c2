/* The miscellaneous domain's wrappers, generated from its table. */
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wrap.h"

/*
 * Rules this table needs that wrap.h does not have yet.
 */

/* S2 FLOCK_OP(op): flock(2)'s operation as its constants are spelled. */
static inline const char *iomon_flock_op_str(int op, char buf[static 24])
{
	switch (op) {
	case LOCK_SH: return "LOCK_SH";
	case LOCK_EX: return "LOCK_EX";
	case LOCK_UN: return "LOCK_UN";
	case LOCK_SH | LOCK_NB: return "LOCK_SH|LOCK_NB";
	case LOCK_EX | LOCK_NB: return "LOCK_EX|LOCK_NB";
	case LOCK_UN | LOCK_NB: return "LOCK_UN|LOCK_NB";
	default: return iomon_int_str(op, buf);
	}
}
#define IOMON_STR_FLOCK_OP(op) iomon_str_c(iomon_flock_op_str(op, call.s2buf))

/* S2 LOCKF_CMD(cmd): lockf(3)'s command as its constant is spelled. */
static inline const char *iomon_lockf_cmd_str(int cmd, char buf[static 24])
{
	switch (cmd) {
	case F_ULOCK: return "F_ULOCK";
	case F_LOCK: return "F_LOCK";
	case F_TLOCK: return "F_TLOCK";
	case F_TEST: return "F_TEST";
	default: return iomon_int_str(cmd, buf);
	}
}
#define IOMON_STR_LOCKF_CMD(cmd) iomon_str_c(iomon_lockf_cmd_str(cmd, call.s2buf))

#include "misc.def"
