/*
 * Where the records are written, and how: CSV (each record as it came) or
 * JSON Lines (jsonl.h), to a file or to standard error / output.
 *
 * A collector sink (collector.h): output_sink() hands it to the collector,
 * which writes each record into a large buffer and flushes it at the end of
 * each round, so a file only ever holds whole lines.  After a write error
 * records are discarded (the error is reported once) but the collector
 * keeps reading: a traced process blocked on a full socket would hang.
 */
#ifndef IOMON_OUTPUT_H
#define IOMON_OUTPUT_H

#include <stdbool.h>

#include "collector.h"

enum output_format { OUTPUT_CSV, OUTPUT_JSONL };

struct output;

/* Parses "csv" or "jsonl"; false for anything else. */
bool output_parse_format(const char *name, enum output_format *format);

/*
 * Opens path (created with mode 0666 less the umask; appended to when
 * append, else truncated), or, when path is NULL, a duplicate of
 * fallback_fd (named fallback_name).  Fails only by ending iomon, status 1.
 */
struct output *output_open(const char *path, bool append, int fallback_fd,
			   const char *fallback_name, enum output_format format);

/* The sink that writes records to o. */
struct collector_sink output_sink(struct output *o);

/*
 * The logrotate convention: writes out what is buffered to the file open
 * now (which may have been renamed), then opens path again, appending, so
 * that the records from now on go to a file of that name.  Nothing to do
 * for standard error/output.  Returns false (said why) if the new file
 * cannot be opened: the old one is kept.
 */
bool output_reopen(struct output *o);

/* The sink that adds records to a summary (summary.h). */
struct summary;
struct collector_sink summary_sink(struct summary *s);

/* Flushes and closes.  Returns false if records could not all be written
 * (the error has been reported). */
bool output_close(struct output *o);

#endif
