/*
 * The values iomon hands to the library through the environment, checked
 * before the command runs, whether they come from an option or from
 * iomon's own environment.  The library never complains (it falls back
 * to a default, so MONITOR_DOMAINS=NOPE records everything): a value that
 * is not valid is a usage error here, with a message that says where it
 * came from.
 */
#ifndef IOMON_SETTINGS_H
#define IOMON_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "codes.h"

/* Where a value comes from: an option ("--domains") or a variable iomon's
 * command would inherit ("MONITOR_DOMAINS"). */
struct origin {
	const char *name;
	bool inherited;
};

#define OPTION(name)	((struct origin){(name), false})
#define INHERITED(name) ((struct origin){(name), true})

/* Longest --start-after and --slower-than values, in seconds and in
 * milliseconds: a year, more than anyone waits, and no overflow. */
#define START_AFTER_MAX (366LL * 24 * 3600)
#define SLOWER_THAN_MAX (366LL * 24 * 3600 * 1000)

/* Each says what is wrong with value and exits 2 if it is not valid. */

/* A facility id: 1 or more of A-Z a-z 0-9 _ . -; one longer than
 * IOMON_FACILITY_MAX is cut, with a warning.  Into out when not NULL. */
void check_facility(struct origin from, const char *id, char out[IOMON_FACILITY_MAX + 1]);
/* Domain names separated by commas, in any case, or ALL (alone or among
 * them, as the library reads it). */
void check_domains(struct origin from, const char *list);
/* ':'-separated absolute path prefixes, as many as the library holds. */
void check_prefixes(struct origin from, const char *list);
/* A decimal number of units ("2", "2.5") up to max; into *billionths.
 * Inherited, it may also take the forms the library reads (".5", "5.",
 * more than nine decimals, cut). */
void check_decimal(struct origin from, const char *text, long long max, const char *unit,
		   uint64_t *billionths);
/* A whole number of nanoseconds since the epoch. */
void check_instant(struct origin from, const char *text);
/* 1 (on) or 0 (off). */
void check_switch(struct origin from, const char *text);
/* A session token: 1 to IOMON_TOKEN_MAX lowercase hexadecimal digits. */
void check_token(struct origin from, const char *text);

#endif
