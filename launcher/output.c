/* Where the records are written: see output.h. */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"
#include "output.h"
#include "summary.h"

/* A live viewer gets records each poll round anyway; the buffer only has to
 * keep a flood of records down to a few large writes. */
#define OUTPUT_BUFFER_SIZE (1024 * 1024)

struct output {
	FILE *out;
	const char *path; /* NULL: a standard stream */
	const char *name; /* in messages */
	enum output_format format;
	bool failed; /* after a write error records are discarded */
	bool lost;   /* some were, in a file closed since (output_reopen) */
	char buffer[OUTPUT_BUFFER_SIZE];
};

bool output_parse_format(const char *name, enum output_format *format)
{
	if (strcmp(name, "csv") == 0)
		*format = OUTPUT_CSV;
	else if (strcmp(name, "jsonl") == 0)
		*format = OUTPUT_JSONL;
	else
		return false;
	return true;
}

/* Our own descriptor even for a standard stream: its buffer is ours to
 * size, and iomon's messages on stderr stay unbuffered.  NULL on error,
 * with errno set. */
static FILE *open_stream(struct output *o, bool append, int fallback_fd)
{
	int fd = o->path ? open(o->path,
				O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC |
				    (append ? O_APPEND : O_TRUNC),
				0666)
			 : fcntl(fallback_fd, F_DUPFD_CLOEXEC, 0);
	FILE *out;

	if (fd < 0)
		return NULL;
	out = fdopen(fd, "w");
	if (!out) {
		close(fd);
		return NULL;
	}
	setvbuf(out, o->buffer, _IOFBF, sizeof(o->buffer));
	return out;
}

struct output *output_open(const char *path, bool append, int fallback_fd,
			   const char *fallback_name, enum output_format format)
{
	struct output *o = malloc(sizeof(*o));

	if (!o)
		err(1, "output");
	o->path = path;
	o->name = path ? path : fallback_name;
	o->format = format;
	o->failed = o->lost = false;
	o->out = open_stream(o, append, fallback_fd);
	if (!o->out)
		err(1, "%s", o->name);
	return o;
}

static void write_record(void *arg, const char *line, size_t len, const struct iomon_parsed *rec)
{
	struct output *o = arg;

	if (o->failed)
		return;
	if (o->format == OUTPUT_JSONL) {
		jsonl_write_record(o->out, rec);
		return;
	}
	/* iomon has one thread: skip stdio's per-call locking. */
	fwrite_unlocked(line, 1, len, o->out);
	putc_unlocked('\n', o->out);
}

static void flush(void *arg)
{
	struct output *o = arg;

	if (o->failed)
		return;
	if (fflush(o->out) == EOF || ferror(o->out)) {
		warn("writing records to %s", o->name);
		o->failed = true;
	}
}

struct collector_sink output_sink(struct output *o)
{
	return (struct collector_sink){.on_record = write_record, .on_round = flush, .arg = o};
}

static void add_to_summary(void *arg, const char *line, size_t len,
			   const struct iomon_parsed *rec)
{
	(void)line;
	(void)len;
	summary_add(arg, rec);
}

struct collector_sink summary_sink(struct summary *s)
{
	return (struct collector_sink){.on_record = add_to_summary, .arg = s};
}

/* Flushes and closes the stream; false on error (said). */
static bool close_stream(struct output *o)
{
	bool ok;

	flush(o);
	ok = !o->failed;
	if (fclose(o->out) == EOF && ok) {
		warn("writing records to %s", o->name);
		ok = false;
	}
	o->out = NULL;
	return ok;
}

bool output_reopen(struct output *o)
{
	FILE *fresh;

	if (!o->path)
		return true;
	flush(o);
	/* The buffer is the old stream's until it is closed: open the new
	 * descriptor first, so that on failure the old file is kept. */
	int fd = open(o->path, O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC | O_APPEND, 0666);

	if (fd < 0) {
		warn("reopening %s (records still go to the file open before)", o->path);
		return false;
	}
	o->lost |= !close_stream(o);
	fresh = fdopen(fd, "a");
	if (!fresh)
		err(1, "%s", o->path);
	setvbuf(fresh, o->buffer, _IOFBF, sizeof(o->buffer));
	o->out = fresh;
	/* A new file gets a new chance. */
	o->failed = false;
	return true;
}

bool output_close(struct output *o)
{
	bool ok = close_stream(o) && !o->lost;

	free(o);
	return ok;
}
