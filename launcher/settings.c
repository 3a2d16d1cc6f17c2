/* The values iomon hands to the library, checked: see settings.h. */
#include <err.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* Only strnvisx is used, the same in both; this says which strnvis. */
#define LIBBSD_NETBSD_VIS
#include <vis.h>

#include "cli.h"
#include "record.h"
#include "settings.h"

#define TRY "iomon --help"

/* The most of a bad value a message shows. */
#define SHOWN_MAX 120

/* text as it can be shown on one line of a terminal (strvis(3)). */
static void visible(char *dst, size_t size, const char *text, size_t len)
{
	strnvisx(dst, size, text, len, VIS_CSTYLE | VIS_NL | VIS_TAB | VIS_OCTAL);
}

/* A value from the environment can hold anything: it is shown escaped,
 * and so is the reason, which may quote part of it. */
noreturn __attribute__((format(printf, 3, 4))) static void
bad_value(struct origin from, const char *value, const char *fmt, ...)
{
	char why[256], why_shown[4 * sizeof(why)], shown[4 * SHOWN_MAX + 1];
	size_t len = strlen(value);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	visible(why_shown, sizeof(why_shown), why, strlen(why));
	visible(shown, sizeof(shown), value, len < SHOWN_MAX ? len : SHOWN_MAX);
	if (from.inherited)
		usage_error(TRY, "%s='%s%s' in the environment: %s", from.name, shown,
			    len > SHOWN_MAX ? "..." : "", why_shown);
	usage_error(TRY, "%s '%s%s': %s", from.name, shown, len > SHOWN_MAX ? "..." : "",
		    why_shown);
}

void check_facility(struct origin from, const char *id, char out[IOMON_FACILITY_MAX + 1])
{
	char cut[IOMON_FACILITY_MAX + 1];

	if (*id == '\0')
		bad_value(from, id, "a facility must not be empty");
	for (const char *p = id; *p; p++)
		if (!iomon_is_facility_char((unsigned char)*p))
			bad_value(from, id, "only A-Z a-z 0-9 _ . - are allowed in a facility");
	if (strlcpy(out ? out : cut, id, sizeof(cut)) >= sizeof(cut))
		warnx("facility '%s' (%s) cut to '%.*s'", id, from.name, IOMON_FACILITY_MAX, id);
}

void check_domains(struct origin from, const char *list)
{
	const char *p = list;

	if (*list == '\0')
		bad_value(from, list, "the domain list must not be empty");
	for (;;) {
		size_t n = strcspn(p, ",");
		unsigned d;

		for (d = 0; d < IOMON_DOMAIN_COUNT; d++)
			if (strlen(iomon_domain_name(d)) == n &&
			    strncasecmp(p, iomon_domain_name(d), n) == 0)
				break;
		if (n == 0)
			bad_value(from, list, "a domain name is empty");
		/* ALL, alone or in the list, as the library reads it. */
		if (d == IOMON_DOMAIN_COUNT && !(n == 3 && strncasecmp(p, "ALL", 3) == 0))
			bad_value(from, list,
				  "unknown domain '%.*s' (see DOMAINS in man iomon, or use ALL)",
				  (int)n, p);
		if (p[n] == '\0')
			return;
		p += n + 1;
	}
}

/* As the library reads them (config.c): empty items skipped, each one's
 * trailing '/' not kept; the list is used whole or not at all. */
void check_prefixes(struct origin from, const char *list)
{
	size_t used = 0, count = 0;

	for (const char *p = list; *p; p += *p == ':') {
		size_t len = strcspn(p, ":");
		const char *item = p;

		p += len;
		if (len == 0)
			continue;
		if (*item != '/')
			bad_value(from, list, "'%.*s' is not an absolute path", (int)len, item);
		if (++count > IOMON_PREFIXES_MAX)
			bad_value(from, list, "more than %d path prefixes", IOMON_PREFIXES_MAX);
		if (len > IOMON_PREFIXES_TEXT - used)
			bad_value(from, list, "the path prefixes are longer than %d bytes in all",
				  IOMON_PREFIXES_TEXT);
		while (len > 0 && item[len - 1] == '/')
			len--;
		used += len;
	}
}

#define DIGITS "0123456789"

/*
 * A decimal as the library reads it (config.c, parse_fixed), in the form
 * parse_decimal() takes: the library also takes ".5" and "5.", and cuts
 * decimals beyond those it keeps, so a variable it would use as meant is
 * not refused.  Into canon; false if text is not a decimal at all.
 */
static bool library_decimal(const char *text, char canon[static 40])
{
	size_t whole = strspn(text, DIGITS);
	const char *point = text + whole;
	size_t frac = *point == '.' ? strspn(point + 1, DIGITS) : 0;

	if (whole + frac == 0 || point[*point == '.' ? 1 + frac : 0] != '\0' || whole > 24)
		return false;
	snprintf(canon, 40, "%.*s%s%.*s", whole ? (int)whole : 1, whole ? text : "0",
		 frac ? "." : "", frac > 9 ? 9 : (int)frac, point + 1);
	return true;
}

void check_decimal(struct origin from, const char *text, long long max, const char *unit,
		   uint64_t *billionths)
{
	char canon[40];
	uint64_t unused;
	/* A text that is no decimal to the library is none to parse_decimal()
	 * either, whose forms are a few of the library's. */
	const char *form = from.inherited && library_decimal(text, canon) ? canon : text;

	if (!parse_decimal(form, max, billionths ? billionths : &unused))
		bad_value(from, text, "it must be a number of %s, such as 2 or 2.5, up to %lld",
			  unit, max);
}

void check_instant(struct origin from, const char *text)
{
	const char *errstr;

	/* strtonum() alone would take a sign and leading spaces. */
	if (strspn(text, DIGITS) != strlen(text) || (strtonum(text, 0, LLONG_MAX, &errstr), errstr))
		bad_value(from, text, "it must be a number of nanoseconds since 1970");
}

void check_switch(struct origin from, const char *text)
{
	if (strcmp(text, "1") != 0 && strcmp(text, "0") != 0)
		bad_value(from, text, "it must be 1 (on) or 0 (off)");
}

void check_token(struct origin from, const char *text)
{
	size_t n = strlen(text);

	if (n == 0 || n > IOMON_TOKEN_MAX || strspn(text, "0123456789abcdef") != n)
		bad_value(from, text, "a token is 1 to %d lowercase hexadecimal digits",
			  IOMON_TOKEN_MAX);
}
