/* What the iomon subcommands share on their command lines. */
#ifndef IOMON_CLI_H
#define IOMON_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

#define EXIT_USAGE 2

/* Says what is wrong (fmt NULL: getopt has said it), points at help
 * (try: "iomon --help") and exits EXIT_USAGE. */
noreturn __attribute__((format(printf, 2, 3))) void usage_error(const char *try,
								const char *fmt, ...);

/* Exits 0 once stdout has been written out, 1 if it could not be: a full
 * disk or a closed pipe must not look like success. */
noreturn void exit_after_printing(void);

/* A decimal number of units, "2" or "2.5" (digits, then optionally '.'
 * and 1 to 9 digits; no sign, no exponent), at most max_units, into
 * billionths of a unit.  False if text is not one. */
bool parse_decimal(const char *text, long long max_units, uint64_t *billionths);

#endif
