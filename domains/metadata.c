/* The file metadata domain's wrappers, generated from its table. */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>
#include <utime.h>

#include "wrap.h"

/*
 * The rules this table needs beyond wrap.h's.  Like everything a wrapper
 * runs, they may run in a signal handler: no printf, no locale, no
 * allocation.  The s2 formatters write into call.s2buf.
 */

static char *iomon_put_text(char *dst, const char *text, size_t len)
{
	memcpy(dst, text, len);
	return dst + len;
}

/* S2 ACCESS_MODE(mode): "F_OK", or the bits of the mode, "R_OK|W_OK";
 * bits access(2) does not know (it fails with EINVAL) in hex. */
static const char *iomon_access_mode_str(int mode, char *buf)
{
	static const struct {
		int bit;
		char name[5];
	} names[] = { { R_OK, "R_OK" }, { W_OK, "W_OK" }, { X_OK, "X_OK" } };
	static const char hex[] = "0123456789abcdef";
	unsigned rest = (unsigned)mode;
	char *p = buf;

	if (mode == F_OK)
		p = iomon_put_text(p, "F_OK", 4);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (rest & (unsigned)names[i].bit) {
			if (p != buf)
				*p++ = '|';
			p = iomon_put_text(p, names[i].name, 4);
			rest &= ~(unsigned)names[i].bit;
		}
	}
	if (rest) {
		if (p != buf)
			*p++ = '|';
		p = iomon_put_text(p, "0x", 2);
		int shift = 28;
		while (shift > 0 && !(rest >> shift & 0xf))
			shift -= 4;
		for (; shift >= 0; shift -= 4)
			*p++ = hex[rest >> shift & 0xf];
	}
	*p = '\0';
	return buf;
}
#define IOMON_STR_ACCESS_MODE(mode) iomon_str_c(iomon_access_mode_str(mode, call.s2buf))

/* One id of an owner; -1 asks chown(2) to leave it as it is, and is
 * recorded so rather than as 4294967295. */
static char *iomon_put_id(char *dst, id_t id)
{
	if (id == (id_t)-1)
		return iomon_put_text(dst, "-1", 2);
	return iomon_put_u64(dst, id);
}

/* S2 OWNER(uid, gid): "uid:gid". */
static const char *iomon_owner_str(uid_t uid, gid_t gid, char *buf)
{
	char *p = iomon_put_id(buf, uid);

	*p++ = ':';
	*iomon_put_id(p, gid) = '\0';
	return buf;
}
#define IOMON_STR_OWNER(uid, gid) iomon_str_c(iomon_owner_str(uid, gid, call.s2buf))

#include "metadata.def"
