/* The core's own state, shared by core.c and sender.c. */
#ifndef IOMON_CORE_H
#define IOMON_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "format.h"

struct iomon_config {
	char facility[IOMON_FACILITY_MAX + 1];
	size_t facility_len;
	const char *start_on_open;	/* NULL: record from the start */
	uint16_t port;
	uint32_t domains;		/* bit per domain to record */
	bool drop_when_full;		/* drop instead of waiting for the collector */
	bool unbuffered;		/* send each record as it is made */
	/* "#iomon TOKEN\n", the first line of every connection; empty when no
	 * IOMON_TOKEN was given. */
	char hello[IOMON_HELLO_MAX + 1];
	size_t hello_len;
};

extern struct iomon_config iomon_config;

/* Parses the environment; bad values fall back to safe defaults. */
void iomon_config_load(struct iomon_config *cfg);

/* The collector is gone for good: every wrapper passes straight through. */
void iomon_turn_off(void);

/* START: the library starts in this process (start-up, fork child). */
void iomon_lifecycle_start(void);

/* Fills the timestamp and pid of a record the library makes itself. */
void iomon_stamp(struct iomon_record *rec);
char *iomon_put_own_record(char *dst, const struct iomon_record *rec);

#endif
