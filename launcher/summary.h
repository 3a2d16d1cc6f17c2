/*
 * A summary of records: what `iomon -c`, `iomon listen -c` and
 * `iomon report` print, and what other writers (HTML, Prometheus) read.
 *
 * Records are added one at a time, in any order; nothing is kept per
 * record, so memory grows with the number of distinct ops, files and
 * processes, not with the number of records.  Three maps, each a red-black
 * tree (libbsd's sys/tree.h):
 *   ops        per facility, domain and op: calls, errors, bytes and a
 *              latency histogram (histogram.h) of the calls' durations
 *   files      per s1 of the records that name a file (every domain but
 *              START_STOP and PROCESSES, whose s1 is a command line or a
 *              program; an empty s1 names nothing): calls, errors, bytes,
 *              time
 *   processes  per pid: command line and parent (from START), exit status
 *              and lifetime (from STOP), calls, errors, bytes, time, and
 *              the records it reported lost (DROPPED)
 * The records of domain START_STOP (START, STOP, DROPPED) describe
 * processes, not calls: they are in no op's or file's figures and in none
 * of the call totals.  Every DROPPED record's count is summed in
 * summary.dropped, which summary_print shows first and last.
 *
 * The structures are plain data, readable by any writer; change them only
 * through summary_add.  Walk them with summary_foreach_*; summary_merged_ops
 * and summary_sorted_* give the orders summary_print uses.
 */
#ifndef IOMON_SUMMARY_H
#define IOMON_SUMMARY_H

#include <stdint.h>
#include <stdio.h>
#include <sys/tree.h>

#include "histogram.h"
#include "record.h"

/* Rows of each "top files" table summary_print prints, unless set. */
#define SUMMARY_TOP_DEFAULT 10

/* Files and processes kept one by one, unless set: a collector that runs
 * for weeks must not grow without bound.  The calls of those past the
 * limit are summed in summary.other_files / other_processes, and still in
 * every op's and the overall figures. */
#define SUMMARY_FILES_MAX 100000
#define SUMMARY_PROCESSES_MAX 10000
/* Entries per facility, domain and op (each holds a histogram of some 30
 * KiB): past this many, the calls of a facility not seen yet go to an entry
 * of no facility ("") for their domain and op, as summary_merged_ops sums
 * the facilities anyway: a sender making up facilities cannot exhaust memory. */
#define SUMMARY_OPS_MAX 1024

struct summary_op {
	RB_ENTRY(summary_op) entry;
	char facility[IOMON_FACILITY_MAX + 1]; /* "" in summary_merged_ops */
	unsigned domain;		       /* iomon_domain_name(domain) */
	unsigned op;			       /* iomon_op_name(op) */
	uint64_t calls;
	uint64_t errors; /* calls with a non-zero error code */
	uint64_t bytes;
	/* The durations in nanoseconds: latency.total is the time spent in
	 * the calls, latency.count == calls. */
	struct histogram latency;
};

struct summary_file {
	RB_ENTRY(summary_file) entry;
	const char *path; /* s1's bytes as recorded, '\0'-terminated */
	size_t path_len;
	uint64_t calls;
	uint64_t errors;
	uint64_t bytes;
	uint64_t time_ns; /* the calls' durations, summed */
	uint64_t first_ts, last_ts; /* unix seconds of its first and last record */
};

struct summary_process {
	RB_ENTRY(summary_process) entry;
	int pid;
	int ppid;	 /* from START's s2; -1 when unknown */
	char *command;	 /* START's s1 (the last, after an exec); NULL if none */
	char *exit_status; /* STOP's s2; NULL when no STOP came */
	uint64_t lifetime_ns; /* STOP's duration */
	uint64_t calls;
	uint64_t errors;
	uint64_t bytes;
	uint64_t time_ns;
	uint64_t dropped; /* records it reported lost */
	uint64_t first_ts, last_ts;
};

RB_HEAD(summary_ops, summary_op);
RB_HEAD(summary_files, summary_file);
RB_HEAD(summary_processes, summary_process);
/* So that RB_FOREACH(op, summary_ops, &s->ops) works anywhere. */
RB_PROTOTYPE(summary_ops, summary_op, entry, op_cmp)
RB_PROTOTYPE(summary_files, summary_file, entry, file_cmp)
RB_PROTOTYPE(summary_processes, summary_process, entry, process_cmp)

struct summary {
	struct summary_ops ops;
	struct summary_files files;
	struct summary_processes processes;
	size_t op_count, file_count, process_count; /* entries in each map */
	uint64_t records; /* every record added, START_STOP ones included */
	/* The calls: every record outside START_STOP. */
	uint64_t calls, errors, bytes, time_ns;
	uint64_t starts, stops; /* START and STOP records */
	uint64_t dropped;	/* records lost, summed from DROPPED records */
	uint64_t first_ts, last_ts; /* 0 while empty */
	unsigned top;		    /* rows of each top files table */
	size_t files_max, processes_max; /* entries kept in each map */
	/* The figures of files and processes past those limits, in no map
	 * (path "", pid -1, no command). */
	struct summary_file other_files;
	struct summary_process other_processes;
};

/* Every function here exits with a message when out of memory: a summary
 * that silently left records out would lie. */
struct summary *summary_new(void);
/* Adds one record. */
void summary_add(struct summary *s, const struct iomon_parsed *rec);
/* Prints the tables; callable any number of times, e.g. periodically. */
void summary_print(const struct summary *s, FILE *out);
void summary_free(struct summary *s);

/* Walks each map in key order: ops by domain, op, facility; files by
 * path bytes; processes by pid. */
void summary_foreach_op(const struct summary *s,
			void (*fn)(void *arg, const struct summary_op *op), void *arg);
void summary_foreach_file(const struct summary *s,
			  void (*fn)(void *arg, const struct summary_file *file), void *arg);
void summary_foreach_process(const struct summary *s,
			     void (*fn)(void *arg, const struct summary_process *proc),
			     void *arg);

/* The ops merged over facilities, one per domain and op, by total time
 * descending, then by name ("DOMAIN/OP"): a malloc'ed array of *n entries
 * (free() it; NULL with *n == 0 when empty).  Exits when out of memory. */
struct summary_op *summary_merged_ops(const struct summary *s, size_t *n);

enum summary_order {
	SUMMARY_BY_BYTES, /* bytes descending, then key */
	SUMMARY_BY_TIME,  /* time descending, then key */
	SUMMARY_BY_KEY,	  /* path bytes, or pid */
};
/* The first max files or processes in that order, into out[]; returns how
 * many were written. */
size_t summary_sorted_files(const struct summary *s, enum summary_order order,
			    const struct summary_file **out, size_t max);
size_t summary_sorted_processes(const struct summary *s, enum summary_order order,
				const struct summary_process **out, size_t max);

/* How summary_print writes a duration ("812ns", "1.25us", "3.40ms",
 * "2.500s") and a size (humanize_number: "512B", "1.2K"). */
#define SUMMARY_FIELD_MAX 32
void summary_format_duration(char buf[SUMMARY_FIELD_MAX], uint64_t ns);
void summary_format_bytes(char buf[SUMMARY_FIELD_MAX], uint64_t bytes);

#endif
