/* Records as JSON Lines: see jsonl.h. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "jsonl.h"

/* Whether b is a continuation byte within [lo, hi] (RFC 3629's table). */
static bool in(unsigned char b, unsigned char lo, unsigned char hi)
{
	return b >= lo && b <= hi;
}

size_t jsonl_utf8_length(const unsigned char *s, size_t len)
{
	unsigned char b = s[0];
	unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
	size_t n;

	if (b < 0x80)
		return 1;
	if (in(b, 0xc2, 0xdf)) {
		n = 2;
	} else if (in(b, 0xe0, 0xef)) {
		n = 3;
		if (b == 0xe0)
			lo = 0xa0; /* overlong */
		else if (b == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (in(b, 0xf0, 0xf4)) {
		n = 4;
		if (b == 0xf0)
			lo = 0x90; /* overlong */
		else if (b == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (len < n || !in(s[1], lo, hi))
		return 0;
	for (size_t i = 2; i < n; i++)
		if (!in(s[i], 0x80, 0xbf))
			return 0;
	return n;
}

void jsonl_write_string(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0; /* p[run..i) is text to copy as it is */

	putc_unlocked('"', out);
	while (i < len) {
		unsigned char b = p[i];
		size_t n = b >= 0x20 && b != '"' && b != '\\' && b != 0x7f
				   ? jsonl_utf8_length(p + i, len - i)
				   : 0;

		if (n) {
			i += n;
			continue;
		}
		fwrite_unlocked(p + run, 1, i - run, out);
		switch (b) {
		case '"':
			fputs_unlocked("\\\"", out);
			break;
		case '\\':
			fputs_unlocked("\\\\", out);
			break;
		case '\n':
			fputs_unlocked("\\n", out);
			break;
		case '\r':
			fputs_unlocked("\\r", out);
			break;
		case '\t':
			fputs_unlocked("\\t", out);
			break;
		default:
			/* A control character, or a byte of no valid sequence. */
			fprintf(out, b < 0x80 ? "\\u%04x" : "\\udc%02x", b);
		}
		run = ++i;
	}
	fwrite_unlocked(p + run, 1, i - run, out);
	putc_unlocked('"', out);
}

void jsonl_write_record(FILE *out, const struct iomon_parsed *rec)
{
	/* Known codes have names; a newer library's unknown ones get null. */
	const char *domain = iomon_domain_name(rec->domain);
	const char *op = iomon_op_name(rec->op);

	fputs_unlocked("{\"facility\":", out);
	jsonl_write_string(out, rec->facility, rec->facility_len);
	fprintf(out,
		",\"ts\":%" PRIu64 ",\"duration\":%" PRIu64 ".%06" PRIu64
		",\"pid\":%d,\"domain\":%u,\"domain_name\":",
		rec->ts, rec->duration_ns / 1000000, rec->duration_ns % 1000000, rec->pid,
		rec->domain);
	if (domain)
		fprintf(out, "\"%s\"", domain);
	else
		fputs_unlocked("null", out);
	fprintf(out, ",\"op\":%u,\"op_name\":", rec->op);
	if (op)
		fprintf(out, "\"%s\"", op);
	else
		fputs_unlocked("null", out);
	fprintf(out, ",\"error\":%d,\"fd\":%d,\"bytes\":%" PRIu64 ",\"s1\":", rec->err, rec->fd,
		rec->bytes);
	jsonl_write_string(out, rec->s1, rec->s1_len);
	fputs_unlocked(",\"s2\":", out);
	jsonl_write_string(out, rec->s2, rec->s2_len);
	fputs_unlocked("}\n", out);
}
