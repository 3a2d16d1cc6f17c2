/* The core's own state, shared by core.c and sender.c. */
#ifndef IOMON_CORE_H
#define IOMON_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "format.h"

/* IOMON_PATHS, IOMON_EXCLUDE: absolute path prefixes, without their
 * trailing '/' ("/" itself is the empty prefix: every absolute path); at
 * most IOMON_PREFIXES_MAX of them, IOMON_PREFIXES_TEXT bytes in all
 * (codes.h). */
struct iomon_prefixes {
	unsigned n;			/* 0: no such filter */
	uint16_t off[IOMON_PREFIXES_MAX];
	uint16_t len[IOMON_PREFIXES_MAX];
	char text[IOMON_PREFIXES_TEXT];
};

/* Records do not read this: what they need of it is copied to the hot
 * page at start-up (core.c: filters_records, send_how, iomon_fds_unused). */
struct iomon_config {
	/* Any of the record filters below (paths, exclude, slower_than_ns,
	 * errors_only), which look at a record once made. */
	bool filters_records;
	bool unbuffered;		/* send each record as it is made */
	bool drop_when_full;		/* drop instead of waiting for the collector */
	bool errors_only;		/* keep failed calls only */
	uint32_t domains;		/* bit per domain to record; START_STOP always */
	uint64_t slower_than_ns;	/* keep calls at least this long; 0: all */
	uint64_t start_at_ns;		/* IOMON_START_AT, CLOCK_REALTIME; 0: none */
	uint64_t start_after_ns;	/* START_ON_ELAPSED; 0: none */
	const char *start_on_open;	/* NULL: record from the start */
	uint16_t port;
	char facility[IOMON_FACILITY_MAX + 1];
	size_t facility_len;
	/* "#iomon TOKEN\n", the first line of every connection; empty when no
	 * IOMON_TOKEN was given. */
	char hello[IOMON_HELLO_MAX + 1];
	size_t hello_len;
	struct iomon_prefixes paths;	/* keep only paths under one of these */
	struct iomon_prefixes exclude;	/* and drop those under one of these */
};

extern struct iomon_config iomon_config;

/* Parses the environment; bad values fall back to safe defaults. */
void iomon_config_load(struct iomon_config *cfg);

/* Whether path (len bytes, absolute) is under one of the prefixes. */
bool iomon_path_under(const struct iomon_prefixes *list, const char *path, size_t len);

/* The collector is gone for good: every wrapper passes straight through. */
void iomon_turn_off(void);

/* START: the library starts in this process (start-up, fork child). */
void iomon_lifecycle_start(void);

/* Fills the timestamp and pid of a record the library makes itself. */
void iomon_stamp(struct iomon_record *rec);
char *iomon_put_own_record(char *dst, const struct iomon_record *rec);

#endif
