/* The record wire format: see record.h. */
#include <limits.h>
#include <string.h>

#include "record.h"

/* Fields before s1: facility and the eight numbers. */
#define HEAD_FIELDS (IOMON_RECORD_FIELDS - 2)

/* ---- Codes ---- */

#define NAME_ROW(name, num) [num] = #name,
static const char *const domain_names[IOMON_DOMAIN_COUNT] = {IOMON_DOMAIN_LIST(NAME_ROW)};
static const char *const op_names[IOMON_OP_COUNT] = {IOMON_OP_LIST(NAME_ROW)};
#undef NAME_ROW

const char *iomon_domain_name(unsigned domain)
{
	return domain < IOMON_DOMAIN_COUNT ? domain_names[domain] : NULL;
}

const char *iomon_op_name(unsigned op)
{
	return op < IOMON_OP_COUNT ? op_names[op] : NULL;
}

/* ---- Parsing one line ---- */

static const char *const status_text[] = {
    [-IOMON_RECORD_OK] = "no error",
    [-IOMON_RECORD_TOO_LONG] = "record too long",
    [-IOMON_RECORD_TOO_FEW_FIELDS] = "too few fields",
    [-IOMON_RECORD_TOO_MANY_FIELDS] = "too many fields",
    [-IOMON_RECORD_BAD_FACILITY] = "bad facility",
    [-IOMON_RECORD_BAD_TS] = "bad timestamp",
    [-IOMON_RECORD_BAD_DURATION] = "bad duration",
    [-IOMON_RECORD_BAD_PID] = "bad pid",
    [-IOMON_RECORD_BAD_DOMAIN] = "bad domain",
    [-IOMON_RECORD_BAD_OP] = "bad op-type",
    [-IOMON_RECORD_BAD_ERR] = "bad error code",
    [-IOMON_RECORD_BAD_FD] = "bad fd",
    [-IOMON_RECORD_BAD_BYTES] = "bad bytes transferred",
    [-IOMON_RECORD_BAD_QUOTING] = "bad quoting in s1 or s2",
    [-IOMON_RECORD_NUL_BYTE] = "NUL byte in s1 or s2",
};

const char *iomon_record_strerror(int status)
{
	size_t i = status <= 0 ? (size_t) - (long)status : SIZE_MAX;

	if (i < sizeof(status_text) / sizeof(status_text[0]) && status_text[i])
		return status_text[i];
	return "unknown record error";
}

bool iomon_is_facility_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

struct span {
	const char *p;
	size_t len;
};

/* Decimal digits that cannot overflow 64 bits, whatever they are. */
#define SAFE_DIGITS 19

/* Unsigned decimal up to max; hand-written because strtoull accepts signs,
 * spaces and the locale's ideas, which the format does not. */
static bool parse_uint(struct span s, uint64_t max, uint64_t *value)
{
	uint64_t v = 0;

	if (s.len == 0)
		return false;
	/* The collector parses eight numbers a record: only a longer one
	 * (leading zeros) needs the overflow check, a division per digit. */
	if (s.len <= SAFE_DIGITS) {
		for (size_t i = 0; i < s.len; i++) {
			unsigned digit = (unsigned)((unsigned char)s.p[i] - '0');

			if (digit > 9)
				return false;
			v = v * 10 + digit;
		}
		if (v > max)
			return false;
		*value = v;
		return true;
	}
	for (size_t i = 0; i < s.len; i++) {
		unsigned digit = (unsigned)((unsigned char)s.p[i] - '0');

		if (digit > 9 || v > (max - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	*value = v;
	return true;
}

static bool parse_int(struct span s, int *value)
{
	uint64_t v;

	if (!parse_uint(s, INT_MAX, &v))
		return false;
	*value = (int)v;
	return true;
}

static bool parse_facility(struct span s)
{
	if (s.len == 0 || s.len > IOMON_FACILITY_MAX)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!iomon_is_facility_char((unsigned char)s.p[i]))
			return false;
	return true;
}

/* Milliseconds with exactly six decimals: "0.305000" is 305000 ns. */
static bool parse_duration(struct span s, uint64_t *ns)
{
	const char *dot = memchr(s.p, '.', s.len);
	uint64_t ms, frac;

	if (!dot || s.p + s.len - dot != 7)
		return false;
	if (!parse_uint((struct span){s.p, (size_t)(dot - s.p)}, UINT64_MAX, &ms) ||
	    !parse_uint((struct span){dot + 1, 6}, UINT64_MAX, &frac) ||
	    ms > (UINT64_MAX - frac) / 1000000)
		return false;
	*ns = ms * 1000000 + frac;
	return true;
}

static bool parse_fd(struct span s, int *fd)
{
	if (s.len == 2 && s.p[0] == '-' && s.p[1] == '1') {
		*fd = -1;
		return true;
	}
	return parse_int(s, fd);
}

static int parse_head(const struct span f[HEAD_FIELDS], struct iomon_parsed *out)
{
	uint64_t v;

	if (!parse_facility(f[0]))
		return IOMON_RECORD_BAD_FACILITY;
	out->facility = f[0].p;
	out->facility_len = f[0].len;
	if (!parse_uint(f[1], UINT64_MAX, &out->ts))
		return IOMON_RECORD_BAD_TS;
	if (!parse_duration(f[2], &out->duration_ns))
		return IOMON_RECORD_BAD_DURATION;
	if (!parse_int(f[3], &out->pid))
		return IOMON_RECORD_BAD_PID;
	if (!parse_uint(f[4], IOMON_DOMAIN_COUNT - 1, &v))
		return IOMON_RECORD_BAD_DOMAIN;
	out->domain = (unsigned)v;
	if (!parse_uint(f[5], IOMON_OP_COUNT - 1, &v))
		return IOMON_RECORD_BAD_OP;
	out->op = (unsigned)v;
	if (!parse_int(f[6], &out->err))
		return IOMON_RECORD_BAD_ERR;
	if (!parse_fd(f[7], &out->fd))
		return IOMON_RECORD_BAD_FD;
	if (!parse_uint(f[8], UINT64_MAX, &out->bytes))
		return IOMON_RECORD_BAD_BYTES;
	return IOMON_RECORD_OK;
}

/* What ends an unquoted field: its ',', or a byte it may not hold. */
static const bool ends_unquoted[256] = {
    [','] = true, ['"'] = true, ['\r'] = true, ['\n'] = true, ['\0'] = true,
};

/*
 * Decodes the CSV field starting at *pos into dst ('\0'-terminated) and
 * leaves *pos on the ',' or the end that follows it.  The format quotes
 * exactly the fields holding ',', '"', CR or LF, so those are refused in an
 * unquoted field.
 */
static int parse_string(const char **pos, const char *end, char *dst, size_t *len)
{
	const char *p = *pos;
	char *d = dst;

	if (p < end && *p == '"') {
		for (p++;; p++) {
			if (p == end)
				return IOMON_RECORD_BAD_QUOTING;
			if (*p == '"') {
				if (p + 1 == end || p[1] != '"')
					break;
				p++;
			} else if (*p == '\0') {
				return IOMON_RECORD_NUL_BYTE;
			}
			*d++ = *p;
		}
		p++;
		if (p < end && *p != ',')
			return IOMON_RECORD_BAD_QUOTING;
	} else {
		/* Scanned first, then copied at once: most records are a path. */
		const char *start = p;

		while (p < end && !ends_unquoted[(unsigned char)*p])
			p++;
		if (p < end && *p != ',')
			return *p == '\0' ? IOMON_RECORD_NUL_BYTE : IOMON_RECORD_BAD_QUOTING;
		memcpy(d, start, (size_t)(p - start));
		d += p - start;
	}
	*d = '\0';
	*len = (size_t)(d - dst);
	*pos = p;
	return IOMON_RECORD_OK;
}

int iomon_record_parse(const char *line, size_t len, struct iomon_parsed *out)
{
	const char *p = line, *end = line + len;
	struct span head[HEAD_FIELDS];
	int status;

	if (len > IOMON_RECORD_MAX)
		return IOMON_RECORD_TOO_LONG;

	/* The head fields hold no quotes, so their commas are separators.
	 * They are short: a loop costs less than a call to memchr each. */
	for (int i = 0; i < HEAD_FIELDS; i++) {
		const char *comma = p;

		while (comma < end && *comma != ',')
			comma++;
		if (comma == end)
			return IOMON_RECORD_TOO_FEW_FIELDS;
		head[i] = (struct span){p, (size_t)(comma - p)};
		p = comma + 1;
	}
	status = parse_head(head, out);
	if (status)
		return status;

	char *dst = out->strings;

	status = parse_string(&p, end, dst, &out->s1_len);
	if (status)
		return status;
	if (p == end)
		return IOMON_RECORD_TOO_FEW_FIELDS;
	out->s1 = dst;
	dst += out->s1_len + 1;
	p++;
	status = parse_string(&p, end, dst, &out->s2_len);
	if (status)
		return status;
	if (p != end)
		return IOMON_RECORD_TOO_MANY_FIELDS;
	out->s2 = dst;
	return IOMON_RECORD_OK;
}

/* ---- Framing a stream ---- */

/* Where the framer's scan is: only a quoted part changes what '\n' means. */
enum {
	AT_FIELD_START,
	IN_FIELD,
	IN_QUOTES,
	QUOTE_IN_QUOTES, /* a '"' inside quotes: an escape or the close */
};

void iomon_framer_init(struct iomon_framer *f)
{
	/* buf is not cleared: len says how much of it counts. */
	f->len = 0;
	f->field = 0;
	f->state = AT_FIELD_START;
	f->overlong = false;
}

/* Returns the '\n' ending the current line, or NULL when the line goes on
 * past end; the scan state carries over to the next call. */
static const char *find_line_end(struct iomon_framer *f, const char *p, const char *end)
{
	unsigned state = f->state, field = f->field;

	/* Most lines hold no quote at all: without a '"' before it, the next
	 * '\n' ends the line whatever the field. */
	if (state == AT_FIELD_START || state == IN_FIELD) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl && !memchr(p, '"', (size_t)(nl - p))) {
			f->state = AT_FIELD_START;
			f->field = 0;
			return nl;
		}
	}
	for (; p < end; p++) {
		char c = *p;

		switch (state) {
		case IN_QUOTES:
			if (c == '"')
				state = QUOTE_IN_QUOTES;
			continue;
		case QUOTE_IN_QUOTES:
			if (c == '"') {
				state = IN_QUOTES;
				continue;
			}
			break;
		case AT_FIELD_START:
			if (c == '"' && field >= HEAD_FIELDS) {
				state = IN_QUOTES;
				continue;
			}
			break;
		}
		if (c == '\n') {
			f->state = AT_FIELD_START;
			f->field = 0;
			return p;
		}
		if (c == ',') {
			state = AT_FIELD_START;
			if (field < HEAD_FIELDS)
				field++;
		} else {
			state = IN_FIELD;
		}
	}
	f->state = (unsigned char)state;
	f->field = field;
	return NULL;
}

size_t iomon_framer_feed(struct iomon_framer *f, const void *data, size_t len,
			 iomon_line_fn *on_line, void *arg)
{
	const char *p = data, *end = p + len;
	size_t dropped = 0;

	while (p < end) {
		const char *eol = find_line_end(f, p, end);
		size_t n = (size_t)((eol ? eol : end) - p);

		if (!f->overlong && n > IOMON_RECORD_MAX - f->len)
			f->overlong = true;
		if (!eol) {
			if (!f->overlong) {
				memcpy(f->buf + f->len, p, n);
				f->len += n;
			}
			break;
		}
		if (f->overlong) {
			dropped++;
		} else if (f->len == 0) {
			on_line(arg, p, n);
		} else {
			memcpy(f->buf + f->len, p, n);
			on_line(arg, f->buf, f->len + n);
		}
		f->len = 0;
		f->overlong = false;
		p = eol + 1;
	}
	return dropped;
}

size_t iomon_framer_finish(struct iomon_framer *f)
{
	size_t dropped = f->len > 0 || f->overlong;

	iomon_framer_init(f);
	return dropped;
}
