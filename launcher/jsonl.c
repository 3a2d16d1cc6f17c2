/* Records as JSON Lines: see jsonl.h. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

		if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\') {
			i++; /* printable ASCII: most of every path */
			continue;
		}
		size_t n = b >= 0x80 ? jsonl_utf8_length(p + i, len - i) : 0;

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

/* Decimal digits of v at p; returns the end.  (printf costs as much as the
 * rest of a record: the collector writes millions a second.) */
static char *put_u64(char *p, uint64_t v)
{
	char digits[20];
	size_t n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		*p++ = digits[--n];
	return p;
}

static char *put_int(char *p, int v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u64(p, -(uint64_t)v);
	}
	return put_u64(p, (uint64_t)v);
}

static char *put_text(char *p, const char *text)
{
	size_t n = strlen(text);

	memcpy(p, text, n);
	return p + n;
}

/* A code's name in quotes; a newer library's unknown code gets null. */
static char *put_name(char *p, const char *name)
{
	if (!name)
		return put_text(p, "null");
	*p++ = '"';
	p = put_text(p, name);
	*p++ = '"';
	return p;
}

void jsonl_write_record(FILE *out, const struct iomon_parsed *rec)
{
	/* Everything but the strings: numbers, and code names of at most a few
	 * dozen characters. */
	char buf[512], *p = buf;

	fputs_unlocked("{\"facility\":", out);
	jsonl_write_string(out, rec->facility, rec->facility_len);
	p = put_text(p, ",\"ts\":");
	p = put_u64(p, rec->ts);
	p = put_text(p, ",\"duration\":");
	p = put_u64(p, rec->duration_ns / 1000000);
	*p++ = '.';
	/* Six decimals, leading zeros included. */
	uint64_t fraction = rec->duration_ns % 1000000;
	for (uint64_t unit = 100000; unit; unit /= 10)
		*p++ = (char)('0' + fraction / unit % 10);
	p = put_text(p, ",\"pid\":");
	p = put_int(p, rec->pid);
	p = put_text(p, ",\"domain\":");
	p = put_u64(p, rec->domain);
	p = put_text(p, ",\"domain_name\":");
	p = put_name(p, iomon_domain_name(rec->domain));
	p = put_text(p, ",\"op\":");
	p = put_u64(p, rec->op);
	p = put_text(p, ",\"op_name\":");
	p = put_name(p, iomon_op_name(rec->op));
	p = put_text(p, ",\"error\":");
	p = put_int(p, rec->err);
	p = put_text(p, ",\"fd\":");
	p = put_int(p, rec->fd);
	p = put_text(p, ",\"bytes\":");
	p = put_u64(p, rec->bytes);
	p = put_text(p, ",\"s1\":");
	fwrite_unlocked(buf, 1, (size_t)(p - buf), out);
	jsonl_write_string(out, rec->s1, rec->s1_len);
	fputs_unlocked(",\"s2\":", out);
	jsonl_write_string(out, rec->s2, rec->s2_len);
	fputs_unlocked("}\n", out);
}
