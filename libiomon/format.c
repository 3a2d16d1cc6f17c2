/* Record formatting: see format.h. */
#include <string.h>

#include "format.h"

static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static unsigned digits(uint64_t v)
{
	unsigned n = 1;

	while (v >= 10000) {
		v /= 10000;
		n += 4;
	}
	return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

/* Digits written in place, two at a time, from the last one back. */
char *iomon_put_u64(char *dst, uint64_t v)
{
	if (v < 10) {
		*dst = (char)('0' + v);
		return dst + 1;
	}
	if (v < 100) {
		dst[0] = digit_pairs[v * 2];
		dst[1] = digit_pairs[v * 2 + 1];
		return dst + 2;
	}
	char *end = dst + digits(v), *p = end;
	while (v >= 100) {
		unsigned i = (unsigned)(v % 100) * 2;
		v /= 100;
		*--p = digit_pairs[i + 1];
		*--p = digit_pairs[i];
	}
	if (v >= 10) {
		*--p = digit_pairs[v * 2 + 1];
		*--p = digit_pairs[v * 2];
	} else {
		*--p = (char)('0' + v);
	}
	return end;
}

char *iomon_put_i64(char *dst, int64_t v)
{
	if (v < 0) {
		*dst++ = '-';
		return iomon_put_u64(dst, -(uint64_t)v);
	}
	return iomon_put_u64(dst, (uint64_t)v);
}

const char *iomon_octal_str(uint64_t v, char buf[static 24])
{
	char digits[23];
	size_t n = 0;

	do {
		digits[n++] = (char)('0' + (v & 7));
		v >>= 3;
	} while (v);
	while (n < 3)
		digits[n++] = '0';
	char *p = buf;
	*p++ = '0';
	while (n)
		*p++ = digits[--n];
	*p = '\0';
	return buf;
}

const char *iomon_int_str(int64_t v, char buf[static 24])
{
	*iomon_put_i64(buf, v) = '\0';
	return buf;
}

char *iomon_put_duration(char *dst, uint64_t ns)
{
	uint32_t frac = (uint32_t)(ns % 1000000);

	dst = iomon_put_u64(dst, ns / 1000000);
	*dst++ = '.';
	for (int i = 4; i >= 0; i -= 2) {
		unsigned pair = (frac % 100) * 2;
		frac /= 100;
		dst[i] = digit_pairs[pair];
		dst[i + 1] = digit_pairs[pair + 1];
	}
	return dst + 6;
}

/* Four passes of the C library's vectorised memchr beat one pass byte by
 * byte on paths of any length worth the name. */
static int needs_quotes(const char *src, size_t len)
{
	return memchr(src, ',', len) || memchr(src, '"', len) || memchr(src, '\n', len) ||
	       memchr(src, '\r', len);
}

size_t iomon_csv_len(const char *src, size_t len)
{
	if (len > IOMON_STRING_MAX)
		len = IOMON_STRING_MAX;
	if (!needs_quotes(src, len))
		return len;
	size_t n = len + 2;
	for (size_t i = 0; i < len; i++)
		n += src[i] == '"';
	return n;
}

char *iomon_put_csv(char *dst, const char *src, size_t len)
{
	if (len == 0)
		return dst;
	if (len > IOMON_STRING_MAX)
		len = IOMON_STRING_MAX;
	if (!needs_quotes(src, len)) {
		memcpy(dst, src, len);
		return dst + len;
	}
	*dst++ = '"';
	for (size_t i = 0; i < len; i++) {
		if (src[i] == '"')
			*dst++ = '"';
		*dst++ = src[i];
	}
	*dst++ = '"';
	return dst;
}

size_t iomon_csv_decode(const char *src, size_t len, char *dst, size_t max)
{
	size_t n = 0;

	if (len < 2 || src[0] != '"') {
		n = len < max ? len : max;
		memcpy(dst, src, n);
		return n;
	}
	for (size_t i = 1; i + 1 < len && n < max; i++) {
		if (src[i] == '"')
			i++;	/* "" stands for one quote */
		dst[n++] = src[i];
	}
	return n;
}

char *iomon_put_str(char *dst, struct iomon_str s)
{
	if (s.kind == IOMON_STR_ENCODED) {
		if (s.len)
			memcpy(dst, s.ptr, s.len);
		return dst + s.len;
	}
	return iomon_put_csv(dst, s.ptr, s.len);
}

char *iomon_put_head(char *dst, const char *facility, size_t facility_len,
		     const struct iomon_record *r)
{
	memcpy(dst, facility, facility_len);
	dst += facility_len;
	*dst++ = ',';
	dst = iomon_put_i64(dst, r->ts);
	*dst++ = ',';
	dst = iomon_put_duration(dst, r->dur_ns);
	*dst++ = ',';
	dst = iomon_put_i64(dst, r->pid);
	*dst++ = ',';
	dst = iomon_put_u64(dst, r->domain);
	*dst++ = ',';
	dst = iomon_put_u64(dst, r->op);
	*dst++ = ',';
	dst = iomon_put_i64(dst, r->err);
	*dst++ = ',';
	dst = iomon_put_i64(dst, r->fd);
	*dst++ = ',';
	dst = iomon_put_u64(dst, r->bytes);
	*dst++ = ',';
	return dst;
}

char *iomon_put_record(char *dst, const char *facility, size_t facility_len,
		       const struct iomon_record *r)
{
	dst = iomon_put_head(dst, facility, facility_len, r);
	dst = iomon_put_str(dst, r->s1);
	*dst++ = ',';
	dst = iomon_put_str(dst, r->s2);
	*dst++ = '\n';
	return dst;
}

#include <fcntl.h>

static const struct {
	int bit;
	const char *name;
} oflag_names[] = {
	{ O_CREAT, "O_CREAT" },	    { O_EXCL, "O_EXCL" },
	{ O_NOCTTY, "O_NOCTTY" },   { O_TRUNC, "O_TRUNC" },
	{ O_APPEND, "O_APPEND" },   { O_NONBLOCK, "O_NONBLOCK" },
	{ O_SYNC, "O_SYNC" },	    { O_DSYNC, "O_DSYNC" },
	{ O_ASYNC, "O_ASYNC" },	    { O_DIRECT, "O_DIRECT" },
	{ O_TMPFILE, "O_TMPFILE" }, { O_DIRECTORY, "O_DIRECTORY" },
	{ O_NOFOLLOW, "O_NOFOLLOW" }, { O_NOATIME, "O_NOATIME" },
	{ O_CLOEXEC, "O_CLOEXEC" }, { O_PATH, "O_PATH" },
	{ O_LARGEFILE, "O_LARGEFILE" },
};

static char *put_text(char *dst, const char *s)
{
	size_t n = strlen(s);

	memcpy(dst, s, n);
	return dst + n;
}

const char *iomon_oflags_str(int flags, char buf[static IOMON_OFLAGS_MAX])
{
	static const char *const access_names[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	unsigned rest = (unsigned)flags & ~(unsigned)O_ACCMODE;
	char *p = put_text(buf, access_names[flags & O_ACCMODE]);

	/* Multi-bit flags (O_SYNC, O_TMPFILE) come before their parts. */
	for (size_t i = 0; i < sizeof(oflag_names) / sizeof(oflag_names[0]); i++) {
		unsigned bit = (unsigned)oflag_names[i].bit;
		if (bit && (rest & bit) == bit) {
			*p++ = '|';
			p = put_text(p, oflag_names[i].name);
			rest &= ~bit;
		}
	}
	if (rest) {
		static const char hex[] = "0123456789abcdef";
		p = put_text(p, "|0x");
		int shift = 28;
		while (shift > 0 && !(rest >> shift & 0xf))
			shift -= 4;
		for (; shift >= 0; shift -= 4)
			*p++ = hex[rest >> shift & 0xf];
	}
	*p = '\0';
	return buf;
}
