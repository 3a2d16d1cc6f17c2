/*
 * The collector: a TCP listener (on 127.0.0.1 unless told otherwise) that
 * takes the record streams of every traced process and hands each valid
 * record to its sinks: the output writer, the summary, ... in the order
 * they were added.
 *
 * It owns no loop: the caller polls it with collector_poll(), which can watch
 * one more descriptor of the caller's (iomon's signal fd) at the same time.
 * One read per ready connection and round, on non-blocking sockets: a slow,
 * stalled or hostile peer holds up no other.
 * Any failure of the machinery itself (socket, memory) ends iomon, status 1.
 */
#ifndef IOMON_COLLECTOR_H
#define IOMON_COLLECTOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "record.h"

struct collector;

/* Listens on addr (addr_len bytes of it), named name in messages, or, when
 * addr is NULL, on 127.0.0.1 at a port the kernel picks. */
struct collector *collector_open(const struct sockaddr *addr, socklen_t addr_len,
				 const char *name);

/*
 * Something that sees every valid record: on_record gets the line as it
 * came (without its '\n') and its parsed form, both valid during the call
 * only; on_round (may be NULL) is called at the end of each round of
 * collector_poll() and of collector_drain_now(), when a live viewer should
 * see what came (an output flushes there).
 */
struct collector_sink {
	void (*on_record)(void *arg, const char *line, size_t len, const struct iomon_parsed *rec);
	void (*on_round)(void *arg);
	void *arg;
};

/* Adds a sink (copied); sinks see records in the order they were added. */
void collector_add_sink(struct collector *c, const struct collector_sink *sink);

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
 * (IOMON_HELLO_PREFIX); one that does not is refused and counted.  Without
 * a token, every connection is admitted (its lines are still validated),
 * and a first line "#iomon ..." is skipped. */
void collector_require_token(struct collector *c, const char *token);

/* Connections refused so far for want of the token. */
uint64_t collector_refused(const struct collector *c);

/* Lines refused so far: malformed, too long, or cut short by their end. */
uint64_t collector_rejected(const struct collector *c);

/* Says on standard error how many lines were rejected and connections
 * refused, if any. */
void collector_warn_counts(const struct collector *c);

/* Closes every connection and the listener; the sinks are the caller's. */
void collector_close(struct collector *c);

#endif
