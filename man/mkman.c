/*
 * mkman: writes iomon(1) from its template, at build time.
 *
 *   mkman TEMPLATE OUTPUT VERSION LIBDIR
 *
 * The record codes and the wrapped functions are printed from the lists the
 * library itself is built from (codes.h, the domain catalog), so the page
 * cannot drift from the code.  Placeholders:
 *
 *   @VERSION@ @LIBDIR@ @DEFAULT_PORT@      replaced where they stand
 *   @DOMAIN_CODES@ @OP_CODES@
 *   @WRAPPED_FUNCTIONS@                    each alone on its line, which
 *                                          becomes a block of roff
 *
 * An unknown @NAME@, a block placeholder that is not alone on its line, or
 * a placeholder the template never uses is an error: a typo must fail the
 * build rather than ship a page with a hole in it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "codes.h"

#ifndef IOMON_DEFAULT_PORT
#error "IOMON_DEFAULT_PORT must be defined by the build"
#endif
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

struct code {
	const char *name;
	unsigned num;
};

#define IOMON_CODE_ROW(name, num) { #name, num },
static const struct code domain_codes[] = { IOMON_DOMAIN_LIST(IOMON_CODE_ROW) };
static const struct code op_codes[] = { IOMON_OP_LIST(IOMON_CODE_ROW) };
#undef IOMON_CODE_ROW

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *output_path;
static FILE *out;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("mkman: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* No half-written page may look up to date. */
	if (out) {
		fclose(out);
		remove(output_path);
	}
	exit(EXIT_FAILURE);
}

static const char *code_name(const struct code *codes, size_t n, unsigned num)
{
	for (size_t i = 0; i < n; i++)
		if (codes[i].num == num)
			return codes[i].name;
	return NULL;
}

/*
 * Text as roff reads it: a backslash is an escape and '-' a hyphen (a minus
 * is wanted in names and paths, so that they can be copied); a '.' or '\''
 * opens a request at the start of a line; a '"' or a space would end a macro
 * argument.
 */
static void put_roff(const char *s, bool line_start)
{
	if (line_start && (*s == '.' || *s == '\''))
		fputs("\\&", out);
	for (; *s; s++) {
		switch (*s) {
		case '\\':
			fputs("\\e", out);
			break;
		case '-':
			fputs("\\-", out);
			break;
		case '"':
			fputs("\\(dq", out);
			break;
		case ' ':
			fputs("\\ ", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

/* A name that must never be hyphenated. */
static void put_name(const char *name)
{
	fputs("\\%", out);
	put_roff(name, false);
}

/* A list of codes, one "number  NAME" line each. */
static void put_codes(const struct code *codes, size_t n)
{
	fputs(".PD 0\n", out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s\n%u\n.B ", i == 0 ? ".TP 4n" : ".TP", codes[i].num);
		put_name(codes[i].name);
		fputc('\n', out);
	}
	fputs(".PD\n", out);
}

static void put_domain_codes(void)
{
	put_codes(domain_codes, COUNT(domain_codes));
}

static void put_op_codes(void)
{
	put_codes(op_codes, COUNT(op_codes));
}

/*
 * Function names in the order a reader looks them up: leading underscores
 * ignored, so that glibc's "__open64_2" stands beside "open64", and '_'
 * before any letter or digit, so that "open" and "__open_2" come before
 * "open64".
 */
static int name_rank(char c)
{
	return c == '_' ? 1 : (unsigned char)c + 1;
}

static int compare_names(const char *a, const char *b)
{
	const char *p = a, *q = b;

	while (*p == '_')
		p++;
	while (*q == '_')
		q++;
	for (; *p && *p == *q; p++, q++)
		;
	if (*p != *q)
		return *p == '\0' ? -1 : *q == '\0' ? 1 : name_rank(*p) - name_rank(*q);
	return strcmp(a, b);
}

static int by_codes_then_name(const void *pa, const void *pb)
{
	const struct iomon_catalog_entry *a = *(const struct iomon_catalog_entry *const *)pa;
	const struct iomon_catalog_entry *b = *(const struct iomon_catalog_entry *const *)pb;

	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->op != b->op)
		return a->op < b->op ? -1 : 1;
	return compare_names(a->name, b->name);
}

/*
 * One subsection per domain, one tagged paragraph per operation, listing
 * the functions whose calls make records with those codes.
 */
static void put_wrapped_functions(void)
{
	size_t n = iomon_catalog_size;
	const struct iomon_catalog_entry **rows;

	if (n == 0) {
		fputs("This build of the library wraps no function.\n", out);
		return;
	}
	rows = malloc(n * sizeof(*rows));
	if (!rows)
		die("out of memory");
	for (size_t i = 0; i < n; i++) {
		rows[i] = &iomon_catalog[i];
		if (!code_name(domain_codes, COUNT(domain_codes), rows[i]->domain) ||
		    !code_name(op_codes, COUNT(op_codes), rows[i]->op))
			die("catalog: %s has domain %u, op %u: no such code", rows[i]->name,
			    rows[i]->domain, rows[i]->op);
		for (size_t j = 0; j < i; j++)
			if (strcmp(rows[i]->name, rows[j]->name) == 0)
				die("catalog: %s is listed twice", rows[i]->name);
	}
	qsort(rows, n, sizeof(*rows), by_codes_then_name);

	for (size_t i = 0; i < n; i++) {
		const struct iomon_catalog_entry *r = rows[i];
		bool new_domain = i == 0 || r->domain != rows[i - 1]->domain;
		bool new_op = new_domain || r->op != rows[i - 1]->op;
		bool last_of_op = i + 1 == n || rows[i + 1]->domain != r->domain ||
				  rows[i + 1]->op != r->op;

		if (new_domain) {
			fputs(".SS ", out);
			put_name(code_name(domain_codes, COUNT(domain_codes), r->domain));
			fprintf(out, " (%u)\n", r->domain);
		}
		if (new_op) {
			fputs(".TP\n.BR ", out);
			put_name(code_name(op_codes, COUNT(op_codes), r->op));
			fprintf(out, " \" (%u)\"\n", r->op);
		}
		fputs(last_of_op ? ".B " : ".BR ", out);
		put_name(r->name);
		fputs(last_of_op ? "\n" : " ,\n", out);
	}
	free(rows);
}

struct placeholder {
	const char *name;
	bool block;		/* alone on its line, replaced by lines of roff */
	const char *value;	/* inline: the text; block: NULL */
	void (*put_block)(void);
	unsigned uses;
};

enum { PH_VERSION, PH_LIBDIR, PH_DEFAULT_PORT, PH_DOMAIN_CODES, PH_OP_CODES, PH_WRAPPED };

static struct placeholder placeholders[] = {
	[PH_VERSION] = { "VERSION", false, NULL, NULL, 0 },
	[PH_LIBDIR] = { "LIBDIR", false, NULL, NULL, 0 },
	[PH_DEFAULT_PORT] = { "DEFAULT_PORT", false, STRINGIFY(IOMON_DEFAULT_PORT), NULL, 0 },
	[PH_DOMAIN_CODES] = { "DOMAIN_CODES", true, NULL, put_domain_codes, 0 },
	[PH_OP_CODES] = { "OP_CODES", true, NULL, put_op_codes, 0 },
	[PH_WRAPPED] = { "WRAPPED_FUNCTIONS", true, NULL, put_wrapped_functions, 0 },
};

static bool is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

/* The placeholder at s ("@NAME@..."), or NULL if s does not start with one. */
static struct placeholder *placeholder_at(const char *s, size_t *len, const char *template,
					  unsigned line)
{
	size_t n = 1;

	while (is_name_char(s[n]))
		n++;
	if (n == 1 || s[n] != '@')
		return NULL;
	for (size_t i = 0; i < COUNT(placeholders); i++) {
		if (strlen(placeholders[i].name) == n - 1 &&
		    memcmp(placeholders[i].name, s + 1, n - 1) == 0) {
			*len = n + 1;
			return &placeholders[i];
		}
	}
	die("%s:%u: unknown placeholder %.*s", template, line, (int)(n + 1), s);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t cap = 64 * 1024, len = 0;
	char *buf = malloc(cap);

	if (!f)
		die("%s: %s", path, strerror(errno));
	if (!buf)
		die("out of memory");
	for (;;) {
		len += fread(buf + len, 1, cap - len - 1, f);
		if (ferror(f))
			die("%s: %s", path, strerror(errno));
		if (feof(f))
			break;
		cap *= 2;
		buf = realloc(buf, cap);
		if (!buf)
			die("out of memory");
	}
	fclose(f);
	if (memchr(buf, '\0', len))
		die("%s: holds a NUL byte", path);
	buf[len] = '\0';
	return buf;
}

static void expand(const char *template, const char *text)
{
	unsigned line = 1;
	bool line_start = true;

	for (const char *p = text; *p;) {
		struct placeholder *ph;
		size_t len;

		if (*p != '@' || !(ph = placeholder_at(p, &len, template, line))) {
			line_start = *p == '\n';
			line += line_start;
			fputc(*p++, out);
			continue;
		}
		ph->uses++;
		if (ph->block) {
			if (!line_start || (p[len] != '\n' && p[len] != '\0'))
				die("%s:%u: @%s@ must be alone on its line", template, line,
				    ph->name);
			ph->put_block();
			p += len + (p[len] == '\n');
			line++;
			continue;
		}
		put_roff(ph->value, line_start);
		line_start = false;
		p += len;
	}
	if (!line_start)
		fputc('\n', out);
}

int main(int argc, char **argv)
{
	char *text;

	if (argc != 5) {
		fprintf(stderr, "usage: mkman TEMPLATE OUTPUT VERSION LIBDIR\n");
		return 2;
	}
	placeholders[PH_VERSION].value = argv[3];
	placeholders[PH_LIBDIR].value = argv[4];
	text = read_file(argv[1]);

	output_path = argv[2];
	out = fopen(output_path, "w");
	if (!out)
		die("%s: %s", output_path, strerror(errno));
	expand(argv[1], text);
	for (size_t i = 0; i < COUNT(placeholders); i++)
		if (!placeholders[i].uses)
			die("%s: @%s@ is never used", argv[1], placeholders[i].name);
	if (fflush(out) == EOF || ferror(out))
		die("%s: %s", output_path, strerror(errno));
	if (fclose(out) == EOF) {
		out = NULL;
		remove(output_path);
		die("%s: %s", output_path, strerror(errno));
	}
	free(text);
	return 0;
}
