/*
 * The embedded collector: a TCP listener on 127.0.0.1 that takes the record
 * streams of every traced process and writes the valid records, verbatim,
 * to one output.
 *
 * It owns no loop: the caller polls it with collector_poll(), which can watch
 * one more descriptor of the caller's (iomon's signal fd) at the same time.
 * Any failure of the machinery itself (socket, memory) ends iomon, status 1.
 */
#ifndef IOMON_COLLECTOR_H
#define IOMON_COLLECTOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct collector;

/* Listens on 127.0.0.1 at a port the kernel picks.  Records go to out, a
 * fully buffered stream that the collector owns from now on; out_name names
 * it in messages. */
struct collector *collector_open(FILE *out, const char *out_name);

unsigned collector_port(const struct collector *c);

/*
 * Waits up to timeout_ms (-1: no limit) for a new connection, data, or
 * extra_fd (-1: none) to become readable; accepts, reads and writes what is
 * ready, then flushes the output so that a live viewer sees it.  Returns
 * whether extra_fd is readable; the caller handles it.
 */
bool collector_poll(struct collector *c, int extra_fd, int timeout_ms);

/* No process will connect any more: accepts those already waiting in the
 * backlog, and closes the listener once the backlog is empty. */
void collector_stop_listening(struct collector *c);

/* Listener closed and every connection at its end. */
bool collector_idle(const struct collector *c);

/* Giving up on the rest: takes, without waiting, whatever the backlog and
 * the connections hold at this moment, then closes every connection. */
void collector_drain_now(struct collector *c);

/* From now on each connection must start with the line "#iomon TOKEN"
 * (IOMON_HELLO_PREFIX); one that does not is refused and counted. */
void collector_require_token(struct collector *c, const char *token);

/* Connections refused so far for want of the token. */
uint64_t collector_refused(const struct collector *c);

/* Lines refused so far: malformed, too long, or cut short by their end. */
uint64_t collector_rejected(const struct collector *c);

/* Closes everything, the output included.  Returns false if records could
 * not all be written (the error has been reported). */
bool collector_close(struct collector *c);

#endif
