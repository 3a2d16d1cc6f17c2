/*
 * Prometheus metrics of the records a collector receives, and a tiny HTTP
 * server that exposes them: `iomon listen --metrics ADDR:PORT`.
 *
 * The registry is one per process.  Per facility, domain and op (names, so
 * that label sets stay bounded: never a path or a pid), it counts calls,
 * failed calls and bytes, and keeps a latency histogram with fixed bucket
 * bounds from 1us to 10s; beside them, the collector's own counters.  At
 * most METRICS_MAX_SERIES label sets are kept: records beyond that are
 * counted in iomon_unlabelled_records_total, never silently left out.
 *
 * The server runs in a thread of its own, with its own poll loop, so a slow
 * or hostile scraper never holds up the collector: the collector only ever
 * waits for the registry's lock, which a scrape holds just long enough to
 * copy the counters.  It answers GET /metrics (text exposition format
 * 0.0.4) and nothing else: 404 for another path, 405 for another method,
 * 400 for a malformed or oversized request; one request per connection.
 */
#ifndef IOMON_METRICS_H
#define IOMON_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* Distinct facility/domain/op label sets kept. */
#define METRICS_MAX_SERIES 1024

/* Counts one record: a call, or START/STOP/DROPPED, which count processes
 * and records lost rather than calls.  Thread-safe. */
void metrics_observe(const struct iomon_parsed *rec);

/* The collector's totals so far (collector_rejected(), collector_refused()):
 * lines rejected as malformed and connections refused. */
void metrics_set_collector_counts(uint64_t rejected, uint64_t refused);

/* The exposition text of the registry now: a malloc'ed string of *len
 * bytes (free() it).  Exits when out of memory. */
char *metrics_render(size_t *len);

/* Forgets every count (for tests). */
void metrics_reset(void);

/*
 * Serves /metrics on ADDR:PORT, "[IPV6]:PORT", or PORT alone (127.0.0.1):
 * binds now, then answers from a thread of its own.  Port 0 lets the kernel
 * pick; metrics_port() tells which.  Returns false, with a message, when
 * the address is malformed or cannot be bound.  One server per process.
 */
bool metrics_serve(const char *address);
unsigned metrics_port(void);
/* The address served, port included: "127.0.0.1:9100", "[::1]:9100". */
const char *metrics_address(void);
/* Stops the server and waits for its thread. */
void metrics_stop(void);

#endif
