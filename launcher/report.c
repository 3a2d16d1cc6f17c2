/*
 * iomon report: the summary of a recorded trace.
 *
 * The trace is read as a stream, a chunk at a time, so its size does not
 * matter.  Its format is the one given by --format, else CSV unless its
 * first byte that is not white space is '{' (JSON Lines).  A JSON line is
 * decoded back into a CSV record and parsed by the collector's parser, so
 * both formats are checked by the same rules and give the same summary.
 *
 * A line that is not a record is skipped and counted, never fatal: the
 * count, and the first such line's number and fault, go to standard error.
 * Exit status: 0 when the trace was read to its end and held at least one
 * record, or nothing at all; 1 when it could not be opened or read, held
 * lines but no record, or the summary could not be written; 2 for a usage
 * error.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <unistd.h>

#include "html.h"
#include "jsonl.h"
#include "report.h"
#include "summary.h"
#include "xalloc.h"

#define EXIT_USAGE 2
#define READ_CHUNK (256 * 1024)

/* The longest JSON line that can hold a record: two strings of
 * IOMON_STRING_MAX bytes, each byte escaped in 6 characters at worst,
 * and the rest.  Longer lines are skipped as malformed, unbuffered. */
#define JSONL_LINE_MAX (2 * 6 * IOMON_STRING_MAX + 1024)

enum format { FORMAT_AUTO, FORMAT_CSV, FORMAT_JSONL };

struct reader {
	struct summary *summary;
	struct html *html; /* with --html: the page's timeline */
	enum format format;
	uint64_t lines;	    /* lines seen, for the line number of a fault */
	uint64_t malformed; /* lines that were not records */
	uint64_t first_bad_line;
	const char *first_bad_why;
	struct iomon_parsed rec;
	struct iomon_framer framer; /* CSV */
	/* JSONL: the unfinished line, and whether it is being skipped */
	size_t jsonl_len;
	bool jsonl_overlong;
	char jsonl_line[JSONL_LINE_MAX];
	char csv[IOMON_RECORD_MAX + 1]; /* a JSON line made CSV */
	char s1[IOMON_RECORD_MAX + 1], s2[IOMON_RECORD_MAX + 1];
};

/* r->rec, a record, into whatever is made of the trace. */
static void add_record(struct reader *r)
{
	summary_add(r->summary, &r->rec);
	if (r->html)
		html_add(r->html, &r->rec);
}

static void malformed(struct reader *r, const char *why)
{
	if (r->malformed++ == 0) {
		r->first_bad_line = r->lines;
		r->first_bad_why = why;
	}
}

/* ---- CSV ---- */

static const char csv_header[] = "facility,ts,duration,pid,domain,op-type,";

static void on_csv_line(void *arg, const char *line, size_t len)
{
	struct reader *r = arg;
	int status;

	r->lines++;
	if (len == 0)
		return;
	/* A header written by a spreadsheet or by hand is not a fault. */
	if (r->lines == 1 && len >= sizeof(csv_header) - 1 &&
	    memcmp(line, csv_header, sizeof(csv_header) - 1) == 0)
		return;
	status = iomon_record_parse(line, len, &r->rec);
	if (status != IOMON_RECORD_OK) {
		malformed(r, iomon_record_strerror(status));
		return;
	}
	add_record(r);
}

static void feed_csv(struct reader *r, const char *data, size_t len)
{
	size_t overlong = iomon_framer_feed(&r->framer, data, len, on_csv_line, r);

	for (size_t i = 0; i < overlong; i++) {
		r->lines++;
		malformed(r, "record too long");
	}
}

/* ---- JSON Lines (contracts.md) ---- */

/* Consumes the literal text lit at *p. */
static bool expect(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
		return false;
	*p += n;
	return true;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool read_u4(const char **p, const char *end, unsigned *value)
{
	*value = 0;
	if (end - *p < 6 || (*p)[0] != '\\' || (*p)[1] != 'u')
		return false;
	for (int i = 2; i < 6; i++) {
		int d = hex_digit((unsigned char)(*p)[i]);

		if (d < 0)
			return false;
		*value = *value << 4 | (unsigned)d;
	}
	*p += 6;
	return true;
}

static size_t put_utf8(char *dst, unsigned cp)
{
	if (cp < 0x80) {
		dst[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		dst[0] = (char)(0xc0 | cp >> 6);
		dst[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		dst[0] = (char)(0xe0 | cp >> 12);
		dst[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		dst[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	dst[0] = (char)(0xf0 | cp >> 18);
	dst[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	dst[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	dst[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One \u escape at *p, a surrogate pair included, into dst; \udcXX with
 * XX >= 80 is the byte XX (surrogateescape).  Returns the bytes written,
 * 0 for a bad escape. */
static size_t decode_u_escape(const char **p, const char *end, char *dst)
{
	unsigned cp, low;

	if (!read_u4(p, end, &cp))
		return 0;
	if (cp >= 0xdc80 && cp <= 0xdcff) {
		dst[0] = (char)(cp & 0xff);
		return 1;
	}
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return 0; /* a low surrogate alone */
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (!read_u4(p, end, &low) || low < 0xdc00 || low > 0xdfff)
			return 0;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
	}
	return put_utf8(dst, cp);
}

/* A JSON string at *p (from its opening quote) decoded into dst, at most
 * max bytes; false if it is not one or is longer. */
static bool read_string(const char **p, const char *end, char *dst, size_t max, size_t *len)
{
	static const char simple_from[] = "\"\\/bfnrt", simple_to[] = "\"\\/\b\f\n\r\t";
	const char *q = *p;
	size_t n = 0;

	if (q == end || *q++ != '"')
		return false;
	while (q < end && *q != '"') {
		const unsigned char c = (unsigned char)*q;
		const char *simple;
		size_t step;

		/* room for the longest thing one step writes */
		if (max - n < 4)
			return false;
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (end - q < 2)
				return false;
			if (q[1] == 'u') {
				step = decode_u_escape(&q, end, dst + n);
				if (step == 0)
					return false;
				n += step;
				continue;
			}
			simple = q[1] ? strchr(simple_from, q[1]) : NULL;
			if (!simple)
				return false;
			dst[n++] = simple_to[simple - simple_from];
			q += 2;
			continue;
		}
		step = jsonl_utf8_length((const unsigned char *)q, (size_t)(end - q));
		if (step == 0)
			return false;
		memcpy(dst + n, q, step);
		n += step;
		q += step;
	}
	if (q == end)
		return false;
	*p = q + 1;
	*len = n;
	return true;
}

/* A number's text: what the CSV parser will judge.  Only its characters
 * are checked here, so that it cannot end the CSV field early. */
static bool read_number(const char **p, const char *end, const char **text, size_t *len)
{
	const char *q = *p;

	while (q < end && ((*q >= '0' && *q <= '9') || *q == '.' || *q == '-'))
		q++;
	if (q == *p)
		return false;
	*text = *p;
	*len = (size_t)(q - *p);
	*p = q;
	return true;
}

struct csv_out {
	char *buf;
	size_t len, max;
	bool full;
};

static void csv_put(struct csv_out *o, const char *text, size_t len)
{
	if (o->full || o->max - o->len < len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, text, len);
	o->len += len;
}

/* A string as an RFC 4180 quoted field. */
static void csv_put_quoted(struct csv_out *o, const char *text, size_t len)
{
	const char *quote;

	csv_put(o, "\"", 1);
	while ((quote = memchr(text, '"', len))) {
		csv_put(o, text, (size_t)(quote - text) + 1);
		csv_put(o, "\"", 1);
		len -= (size_t)(quote - text) + 1;
		text = quote + 1;
	}
	csv_put(o, text, len);
	csv_put(o, "\"", 1);
}

/* The fields of a JSON line between facility and s1, in order: numbers
 * go to the CSV record as they are, names are checked against its codes. */
enum jsonl_kind { JSONL_NUMBER, JSONL_DOMAIN_NAME, JSONL_OP_NAME };
static const struct {
	const char *key;
	enum jsonl_kind kind;
} jsonl_fields[] = {
    {",\"ts\":", JSONL_NUMBER},
    {",\"duration\":", JSONL_NUMBER},
    {",\"pid\":", JSONL_NUMBER},
    {",\"domain\":", JSONL_NUMBER},
    {",\"domain_name\":", JSONL_DOMAIN_NAME},
    {",\"op\":", JSONL_NUMBER},
    {",\"op_name\":", JSONL_OP_NAME},
    {",\"error\":", JSONL_NUMBER},
    {",\"fd\":", JSONL_NUMBER},
    {",\"bytes\":", JSONL_NUMBER},
};

struct name_field {
	char text[32];
	size_t len;
};

static bool name_is(const struct name_field *name, const char *want)
{
	return strlen(want) == name->len && memcmp(want, name->text, name->len) == 0;
}

/* A JSON line of contracts.md's format made a CSV record in r->csv and
 * parsed into r->rec; NULL, else why not. */
static const char *parse_jsonl(struct reader *r, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *text;
	char facility[64];
	struct name_field names[2]; /* domain_name, op_name */
	size_t n, facility_len, s1_len, s2_len;
	struct csv_out o = {.buf = r->csv, .max = IOMON_RECORD_MAX};
	int status;

	if (!expect(&p, end, "{\"facility\":") ||
	    !read_string(&p, end, facility, sizeof(facility), &facility_len))
		return "bad facility";
	csv_put(&o, facility, facility_len);
	for (size_t i = 0; i < sizeof(jsonl_fields) / sizeof(jsonl_fields[0]); i++) {
		enum jsonl_kind kind = jsonl_fields[i].kind;

		if (!expect(&p, end, jsonl_fields[i].key))
			return "keys missing or out of order";
		if (kind == JSONL_NUMBER) {
			if (!read_number(&p, end, &text, &n))
				return "bad number";
			csv_put(&o, ",", 1);
			csv_put(&o, text, n);
		} else {
			struct name_field *name = &names[kind == JSONL_OP_NAME];

			if (!read_string(&p, end, name->text, sizeof(name->text), &name->len))
				return "bad domain_name or op_name";
		}
	}
	if (!expect(&p, end, ",\"s1\":") ||
	    !read_string(&p, end, r->s1, sizeof(r->s1) - 1, &s1_len))
		return "bad s1";
	if (!expect(&p, end, ",\"s2\":") ||
	    !read_string(&p, end, r->s2, sizeof(r->s2) - 1, &s2_len))
		return "bad s2";
	if (!expect(&p, end, "}") || p != end)
		return "bad JSON after s2";
	csv_put(&o, ",", 1);
	csv_put_quoted(&o, r->s1, s1_len);
	csv_put(&o, ",", 1);
	csv_put_quoted(&o, r->s2, s2_len);
	if (o.full)
		return "record too long";

	status = iomon_record_parse(r->csv, o.len, &r->rec);
	if (status != IOMON_RECORD_OK)
		return iomon_record_strerror(status);
	if (!name_is(&names[0], iomon_domain_name(r->rec.domain)))
		return "domain_name does not match domain";
	if (!name_is(&names[1], iomon_op_name(r->rec.op)))
		return "op_name does not match op";
	return NULL;
}

static void on_jsonl_line(struct reader *r, const char *line, size_t len)
{
	const char *why;

	r->lines++;
	if (len == 0)
		return;
	why = parse_jsonl(r, line, len);
	if (why)
		malformed(r, why);
	else
		add_record(r);
}

/* Splits at '\n' (JSON text holds none unescaped); lines within the chunk
 * are parsed in place, the chunk's last unfinished one is kept. */
static void feed_jsonl(struct reader *r, const char *data, size_t len)
{
	const char *end = data + len, *nl;

	while (data < end) {
		nl = memchr(data, '\n', (size_t)(end - data));
		size_t part = (size_t)((nl ? nl : end) - data);

		if (!r->jsonl_overlong && r->jsonl_len == 0 && nl) {
			on_jsonl_line(r, data, part);
		} else if (!r->jsonl_overlong) {
			if (JSONL_LINE_MAX - r->jsonl_len < part) {
				r->jsonl_overlong = true;
			} else {
				memcpy(r->jsonl_line + r->jsonl_len, data, part);
				r->jsonl_len += part;
				if (nl)
					on_jsonl_line(r, r->jsonl_line, r->jsonl_len);
			}
		}
		if (!nl)
			break;
		if (r->jsonl_overlong) {
			r->lines++;
			malformed(r, "line too long");
		}
		r->jsonl_len = 0;
		r->jsonl_overlong = false;
		data = nl + 1;
	}
}

/* ---- The trace ---- */

static void feed(struct reader *r, const char *data, size_t len)
{
	if (r->format == FORMAT_AUTO) {
		size_t i = 0;

		while (i < len && data[i] && strchr(" \t\r\n", data[i])) {
			r->lines += data[i] == '\n';
			i++;
		}
		if (i == len)
			return; /* only blank so far: nothing to decide, nothing lost */
		r->format = data[i] == '{' ? FORMAT_JSONL : FORMAT_CSV;
		/* The blank lines before are counted: skip them. */
		while (i > 0 && data[i - 1] != '\n')
			i--;
		data += i;
		len -= i;
	}
	if (r->format == FORMAT_JSONL)
		feed_jsonl(r, data, len);
	else
		feed_csv(r, data, len);
}

static void finish(struct reader *r)
{
	if (r->format == FORMAT_CSV) {
		if (iomon_framer_finish(&r->framer)) {
			r->lines++;
			malformed(r, "last line not ended");
		}
	} else if (r->format == FORMAT_JSONL) {
		/* A line cut short is no JSON object; a whole one without its
		 * '\n' is a record all the same. */
		if (r->jsonl_overlong) {
			r->lines++;
			malformed(r, "line too long");
		} else if (r->jsonl_len > 0) {
			on_jsonl_line(r, r->jsonl_line, r->jsonl_len);
		}
	}
}

static int read_trace(struct reader *r, const char *name, int fd)
{
	char *chunk = xcalloc(1, READ_CHUNK, "report");
	ssize_t n;

	while ((n = read(fd, chunk, READ_CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			warn("%s", name);
			free(chunk);
			return -1;
		}
		feed(r, chunk, (size_t)n);
	}
	free(chunk);
	finish(r);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: iomon report [options] FILE\n"
		"Print the summary of a trace recorded by iomon (CSV or JSON Lines; FILE\n"
		"'-' is standard input).\n"
		"\n"
		"Options:\n"
		"  -n, --top N          list the top N files by bytes and by time (default %d)\n"
		"      --format FORMAT  csv or jsonl (default: jsonl if the trace starts with\n"
		"                       '{', else csv)\n"
		"      --html OUT.html  also write the report as one self-contained web page\n"
		"  -h, --help           show this help and exit\n"
		"\n"
		"Exit status: 0 if the trace was read (lines that are not records are\n"
		"counted on standard error); 1 if it could not be read or held no record;\n"
		"2 if the command line is wrong.\n",
		SUMMARY_TOP_DEFAULT);
}

static noreturn void usage_error(const char *what, const char *arg)
{
	if (what)
		warnx("report: %s%s", what, arg ? arg : "");
	fprintf(stderr, "Try 'iomon report --help'.\n");
	exit(EXIT_USAGE);
}

enum { OPT_FORMAT = 0x100, OPT_HTML };

/* The page of --html, written to a new file at path. */
static bool write_html(const struct reader *r, const char *trace, const char *path)
{
	FILE *out = fopen(path, "we");

	if (!out || !html_write(r->html, r->summary, trace, out)) {
		warn("%s", path);
		if (out)
			fclose(out);
		return false;
	}
	if (fclose(out) == EOF) {
		warn("%s", path);
		return false;
	}
	return true;
}

int report_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"top", required_argument, NULL, 'n'},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"html", required_argument, NULL, OPT_HTML},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct reader *r = xcalloc(1, sizeof(*r), "report");
	const char *name, *errstr, *html_path = NULL;
	int c, fd, status = 0;
	unsigned top = SUMMARY_TOP_DEFAULT;

	while ((c = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			top = (unsigned)strtonum(optarg, 0, 1000000, &errstr);
			if (errstr)
				usage_error("--top must be a number from 0 to 1000000: ", optarg);
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "csv") == 0)
				r->format = FORMAT_CSV;
			else if (strcmp(optarg, "jsonl") == 0)
				r->format = FORMAT_JSONL;
			else
				usage_error("--format must be csv or jsonl, not ", optarg);
			break;
		case OPT_HTML:
			html_path = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(fflush(stdout) == EOF ? 1 : 0);
		default:
			usage_error(NULL, NULL);
		}
	}
	if (argc - optind != 1)
		usage_error(argc == optind ? "a trace FILE is needed" : "only one FILE, not: ",
			    argc == optind ? NULL : argv[optind + 1]);
	name = argv[optind];

	if (strcmp(name, "-") == 0) {
		fd = STDIN_FILENO;
		name = "standard input";
	} else {
		fd = open(name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			err(1, "%s", name);
	}
	r->summary = summary_new();
	r->summary->top = top;
	if (html_path)
		r->html = html_new();
	iomon_framer_init(&r->framer);
	if (read_trace(r, name, fd) < 0)
		status = 1;
	if (fd != STDIN_FILENO)
		close(fd);

	if (status == 0 && html_path && !write_html(r, name, html_path))
		status = 1;
	if (status == 0) {
		summary_print(r->summary, stdout);
		if (fflush(stdout) == EOF || ferror(stdout)) {
			warn("standard output");
			status = 1;
		}
	}
	if (r->malformed) {
		warnx("%s: %" PRIu64 " malformed lines skipped (the first, line %" PRIu64
		      ": %s)",
		      name, r->malformed, r->first_bad_line, r->first_bad_why);
		if (r->summary->records == 0 && status == 0) {
			warnx("%s: no record in it: is it an iomon trace?", name);
			status = 1;
		}
	}
	summary_free(r->summary);
	html_free(r->html);
	free(r);
	return status;
}
