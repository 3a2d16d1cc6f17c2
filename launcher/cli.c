/* What the iomon subcommands share on their command lines: see cli.h. */
#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void usage_error(const char *try, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vwarnx(fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "Try '%s'.\n", try);
	exit(EXIT_USAGE);
}

void exit_after_printing(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "standard output");
	exit(0);
}

bool parse_decimal(const char *text, long long max_units, uint64_t *billionths)
{
	static const char digits[] = "0123456789";
	char whole[24];
	size_t n = strspn(text, digits);
	const char *errstr;
	uint64_t fraction = 0;

	if (n == 0 || n >= sizeof(whole))
		return false;
	memcpy(whole, text, n);
	whole[n] = '\0';
	long long units = strtonum(whole, 0, max_units, &errstr);
	if (errstr)
		return false;
	if (text[n] == '.') {
		const char *f = text + n + 1;
		size_t fn = strspn(f, digits);

		if (fn == 0 || fn > 9 || f[fn] != '\0')
			return false;
		for (size_t i = 0; i < 9; i++)
			fraction = fraction * 10 + (uint64_t)(i < fn ? f[i] - '0' : 0);
		if (units == max_units && fraction)
			return false;
	} else if (text[n] != '\0') {
		return false;
	}
	*billionths = (uint64_t)units * 1000000000u + fraction;
	return true;
}
