/*
 * mkman: writes iomon(1) from its template, at build time.
 *
 *   mkman TEMPLATE OUTPUT VERSION LIBDIR [TABLE.def...]
 *
 * The record codes and the wrapped functions are printed from the lists the
 * library itself is built from (codes.h, the domain catalog), so the page
 * cannot drift from the code.  The TABLE.def files are the domain tables
 * compiled in, in the order of the build: each gets a subsection of the
 * wrapped functions, made of what its leading comment says of the records
 * (see "A table's leading comment" below), then its functions.
 * Placeholders:
 *
 *   @VERSION@ @LIBDIR@ @DEFAULT_PORT@      replaced where they stand
 *   @DOMAIN_CODES@ @OP_CODES@
 *   @WRAPPED_FUNCTIONS@                    each alone on its line, which
 *                                          becomes a block of roff
 *
 * An unknown @NAME@, a block placeholder that is not alone on its line, a
 * placeholder the template never uses, or a table and a catalog that do not
 * agree is an error: a typo must fail the build rather than ship a page
 * with a hole in it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
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

/* A domain table given on the command line: domains/<name>.def. */
struct table {
	const char *path;
	char name[32];
};

static struct table *tables;
static size_t n_tables;

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
 * A table's leading comment, as roff.
 *
 * Each domains/<name>.def starts with a comment that says what the records
 * of its functions hold; the page shows it to the library's users, so:
 *
 *   - the comment markers and each line's " * " go; a blank line ends a
 *     paragraph;
 *   - an indented line "tag  text", two spaces or more between the two, is
 *     an item of a list (.TP), continued by the lines indented further; any
 *     other indented line is shown as it stands (.EX);
 *   - sentences meant for the table's maintainers are left out: those that
 *     name a source file ("Columns: libiomon/wrap.h.") or speak of the
 *     table's rows and columns;
 *   - each sentence starts a line of roff, which then spaces it as one (and
 *     goes on over more lines if it is long);
 *   - s1 and s2 are set in italics; CONSTANTS, and calls written as such
 *     ("readdir()"), in bold; "text" between typographic quotes; a '-' is a
 *     minus unless it joins two letters.
 *
 * A comment that does not say what s1 and s2 hold fails the build: a table
 * added without it would leave a hole in the page.
 */

#define TAB_STOP 8
#define MAX_ITEM_WIDTH 24
#define DOC_LINE_MAX 60

/* A line of the comment: its indent, then its text ("" when blank). */
struct doc_line {
	size_t indent;
	const char *text;
	char *buf;		/* where text is */
};

/* A growing string. */
struct text {
	char *s;
	size_t len, cap;
};

struct doc {
	const char *path;
	bool started;		/* something written since the .SS */
	size_t items;		/* items of the current list written */
	bool in_quote;
	bool says_s1, says_s2;
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_word_char(char c)
{
	return is_letter(c) || is_digit(c) || c == '_';
}

/* Appends s, one space between it and what is there, and one between words. */
static void text_join(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->len + n + 2 > t->cap) {
		t->cap = 2 * (t->len + n + 2);
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			die("out of memory");
	}
	if (t->len)
		t->s[t->len++] = ' ';
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' || (t->len && t->s[t->len - 1] != ' '))
			t->s[t->len++] = s[i];
	t->s[t->len] = '\0';
}

static void text_clear(struct text *t)
{
	t->len = 0;
	if (t->s)
		t->s[0] = '\0';
}

/*
 * The lines of the comment that opens text, which this cuts and keeps
 * pointers into: markers and the indent common to all lines gone, tabs
 * expanded.
 */
static struct doc_line *comment_lines(const char *path, char *text, size_t *count)
{
	char *p = text + strspn(text, " \t\r\n");
	char *end;
	size_t n = 0, cap = 16, common = SIZE_MAX;
	struct doc_line *lines = xmalloc(cap * sizeof(*lines));

	if (strncmp(p, "/*", 2) != 0)
		die("%s: does not start with a comment", path);
	p += 2;
	end = strstr(p, "*/");
	if (!end)
		die("%s: its first comment has no end", path);
	*end = '\0';

	for (bool first = true; p; first = false) {
		char *nl = strchr(p, '\n');
		size_t raw_len = nl ? (size_t)(nl - p) : strlen(p);
		char *s = xmalloc(raw_len * TAB_STOP + 1), *t;
		size_t len = 0;

		for (size_t i = 0; i < raw_len; i++) {
			if (p[i] == '\t') {
				do
					s[len++] = ' ';
				while (len % TAB_STOP);
			} else {
				s[len++] = p[i];
			}
		}
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\r'))
			len--;
		s[len] = '\0';
		p = nl ? nl + 1 : NULL;

		/* " * text", or the text right after the opening marker. */
		t = s + strspn(s, " ");
		if (*t == '*')
			t += 1 + (t[1] == ' ');
		else if (!first)
			t = s;
		if (n == cap) {
			cap *= 2;
			lines = realloc(lines, cap * sizeof(*lines));
			if (!lines)
				die("out of memory");
		}
		lines[n].buf = s;
		lines[n].indent = strspn(t, " ");
		lines[n].text = t + lines[n].indent;
		if (*lines[n].text) {
			if (lines[n].indent < common)
				common = lines[n].indent;
		} else {
			lines[n].indent = 0;
		}
		n++;
	}
	for (size_t i = 0; i < n; i++)
		if (*lines[i].text)
			lines[i].indent -= common;
	*count = n;
	return lines;
}

/* Writes the UTF-8 character at s as a roff escape; returns its length. */
static size_t put_utf8(const struct doc *d, const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	unsigned long c = s[0] & (0x3f >> (len - 1));
	static const unsigned long least[] = { 0, 0, 0x80, 0x800, 0x10000 };

	if (s[0] < 0xc2 || s[0] > 0xf4 || len > n)
		die("%s: a byte that is not UTF-8 in its comment", d->path);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			die("%s: a byte that is not UTF-8 in its comment", d->path);
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < least[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		die("%s: a byte that is not UTF-8 in its comment", d->path);
	fprintf(out, "\\[u%04lX]", c);
	return len;
}

static bool is_catalog_name(const char *w, size_t n)
{
	for (size_t i = 0; i < iomon_catalog_size; i++)
		if (strlen(iomon_catalog[i].name) == n && memcmp(iomon_catalog[i].name, w, n) == 0)
			return true;
	return false;
}

/* A name in capitals ("AT_EMPTY_PATH", "SEEK_SET"), NULL excepted as in
 * man-pages(7). */
static bool is_constant(const char *w, size_t n)
{
	size_t capitals = 0;

	if (n < 2 || is_digit(w[0]) || (n == 4 && memcmp(w, "NULL", 4) == 0))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (w[i] >= 'A' && w[i] <= 'Z')
			capitals++;
		else if (!is_digit(w[i]) && w[i] != '_')
			return false;
	}
	return capitals >= 2;
}

static void put_doc_word(struct doc *d, const char *w, size_t n, char next)
{
	bool field = n == 2 && w[0] == 's' && (w[1] == '1' || w[1] == '2');

	if (field && w[1] == '1')
		d->says_s1 = true;
	else if (field)
		d->says_s2 = true;
	if (field && !d->in_quote)
		fprintf(out, "\\fI%.*s\\fR", (int)n, w);
	else if (!d->in_quote && (is_constant(w, n) || (next == '(' && is_catalog_name(w, n))))
		fprintf(out, "\\fB%.*s\\fR", (int)n, w);
	else
		fwrite(w, 1, n, out);
}

/* Whether roff must not hyphenate the word (up to a space) at s: a name, a
 * number, a path or a quoted value. */
static bool keep_whole(const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i] != ' '; i++)
		if (s[i] == '_' || s[i] == '"' || s[i] == '/' || is_digit(s[i]) ||
		    (i > 0 && s[i - 1] >= 'A' && s[i - 1] <= 'Z' && s[i] >= 'A' && s[i] <= 'Z'))
			return true;
	return false;
}

/* Text of the comment as roff, on the line begun (or, at_start, to begin). */
static void put_doc_text(struct doc *d, const char *s, size_t n, bool at_start)
{
	if (at_start && n && (s[0] == '.' || s[0] == '\''))
		fputs("\\&", out);
	for (size_t i = 0; i < n;) {
		char c = s[i];
		bool joins;

		/* \% inside a word would allow a break there: it goes first. */
		if ((i == 0 || s[i - 1] == ' ') && c != ' ' && keep_whole(s + i, n - i))
			fputs("\\%", out);
		if (is_word_char(c)) {
			size_t j = i;

			while (j < n && is_word_char(s[j]))
				j++;
			put_doc_word(d, s + i, j - i, j < n ? s[j] : '\0');
			i = j;
			continue;
		}
		if ((unsigned char)c >= 0x80) {
			i += put_utf8(d, (const unsigned char *)s + i, n - i);
			continue;
		}
		switch (c) {
		case '"':
			fputs(d->in_quote ? "\\(rq" : "\\(lq", out);
			d->in_quote = !d->in_quote;
			break;
		case '\\':
			fputs("\\e", out);
			break;
		case '-':
			/* A hyphen joins two letters ("re-entry"); else a minus. */
			joins = i > 0 && is_letter(s[i - 1]) && i + 1 < n && is_letter(s[i + 1]);
			fputs(joins ? "-" : "\\-", out);
			break;
		default:
			if ((unsigned char)c < ' ' || c == 0x7f)
				die("%s: a control character in its comment", d->path);
			fputc(c, out);
		}
		i++;
	}
}

/* Where the sentence that starts at s[i] ends: after its '.', '!' or '?' and
 * any closing marks, at a space; "e.g." and its kind end none. */
static size_t sentence_end(const char *s, size_t i, size_t n)
{
	static const char *const abbreviations[] = { "e.g", "i.e", "cf", "vs" };

	for (size_t j = i; j < n; j++) {
		size_t k = j + 1, w = j;
		bool abbreviation = false;

		if (s[j] != '.' && s[j] != '!' && s[j] != '?')
			continue;
		while (k < n && (s[k] == ')' || s[k] == '"' || s[k] == '\''))
			k++;
		if (k < n && s[k] != ' ')
			continue;
		while (w > i && s[w - 1] != ' ' && s[w - 1] != '(')
			w--;
		for (size_t a = 0; a < COUNT(abbreviations); a++)
			abbreviation |= s[j] == '.' && strlen(abbreviations[a]) == j - w &&
					memcmp(abbreviations[a], s + w, j - w) == 0;
		if (!abbreviation)
			return k;
	}
	return n;
}

static bool has_source_suffix(const char *w, size_t n)
{
	static const char *const suffixes[] = { ".c", ".h", ".def" };

	for (size_t i = 0; i < COUNT(suffixes); i++) {
		size_t k = strlen(suffixes[i]);

		if (n > k && memcmp(w + n - k, suffixes[i], k) == 0 && is_word_char(w[n - k - 1]))
			return true;
	}
	return false;
}

static bool same_word(const char *w, size_t n, const char *word)
{
	if (strlen(word) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((w[i] | 0x20) != word[i])
			return false;
	return true;
}

/* A sentence about the table rather than the records: it names a source
 * file, or the table's rows or columns. */
static bool for_maintainers(const char *s, size_t n)
{
	static const char *const words[] = { "row", "rows", "column", "columns" };

	for (size_t i = 0; i < n;) {
		size_t j = i, k;

		while (j < n && (is_word_char(s[j]) || s[j] == '/' || s[j] == '.' || s[j] == '-'))
			j++;
		for (k = j; k > i && s[k - 1] == '.'; k--)
			;
		if (has_source_suffix(s + i, k - i))
			return true;
		for (size_t w = 0; w < COUNT(words); w++)
			if (same_word(s + i, k - i, words[w]))
				return true;
		i = j + (j == i);
	}
	return false;
}

/* A sentence, on lines of at most DOC_LINE_MAX bytes of the comment where its
 * spaces allow: roff joins them again. */
static void put_doc_lines(struct doc *d, const char *s, size_t n)
{
	while (n) {
		size_t len = n;

		if (len > DOC_LINE_MAX) {
			for (len = DOC_LINE_MAX; len > 0 && s[len] != ' '; len--)
				;
			if (len == 0)
				len = strcspn(s, " ") < n ? strcspn(s, " ") : n;
		}
		put_doc_text(d, s, len, true);
		fputc('\n', out);
		while (len < n && s[len] == ' ')
			len++;
		s += len;
		n -= len;
	}
}

/* Writes the sentences of s kept for the page, each on a line of its own;
 * with put false, only counts them. */
static size_t put_sentences(struct doc *d, const char *s, bool put)
{
	size_t n = strlen(s), kept = 0;

	for (size_t i = 0; i < n;) {
		size_t end;

		while (i < n && s[i] == ' ')
			i++;
		if (i == n)
			break;
		end = sentence_end(s, i, n);
		if (!for_maintainers(s + i, end - i)) {
			kept++;
			if (put)
				put_doc_lines(d, s + i, end - i);
		}
		i = end;
	}
	return kept;
}

static void put_doc_paragraph(struct doc *d, const char *s)
{
	if (!put_sentences(d, s, false))
		return;
	if (d->started)
		fputs(".PP\n", out);
	d->started = true;
	d->in_quote = false;
	put_sentences(d, s, true);
}

/* An item of a list, its text width columns from its tag. */
static void put_doc_item(struct doc *d, const char *tag, size_t tag_len, size_t width,
			 const char *s)
{
	if (d->items == 1)
		fputs(".PD 0\n", out);
	fprintf(out, ".TP %zun\n", width < MAX_ITEM_WIDTH ? width : MAX_ITEM_WIDTH);
	d->in_quote = false;
	put_doc_text(d, tag, tag_len, true);
	fputc('\n', out);
	d->in_quote = false;
	put_sentences(d, s, true);
	d->items++;
	d->started = true;
}

static void end_doc_list(struct doc *d)
{
	if (d->items > 1)
		fputs(".PD\n", out);
	d->items = 0;
}

/* Lines shown as they stand. */
static void put_doc_literal(struct doc *d, const struct doc_line *lines, size_t n)
{
	size_t common = SIZE_MAX;

	for (size_t i = 0; i < n; i++)
		if (lines[i].indent < common)
			common = lines[i].indent;
	if (d->started)
		fputs(".PP\n", out);
	d->started = true;
	fputs(".in +4n\n.EX\n", out);
	for (size_t i = 0; i < n; i++) {
		const char *t = lines[i].text;

		fprintf(out, "%*s", (int)(lines[i].indent - common), "");
		if (lines[i].indent == common && (*t == '.' || *t == '\''))
			fputs("\\&", out);
		for (; *t; t++) {
			if ((unsigned char)*t >= 0x80)
				t += put_utf8(d, (const unsigned char *)t, strlen(t)) - 1;
			else if (*t == '\\')
				fputs("\\e", out);
			else if (*t == '-')
				fputs("\\-", out);
			else if ((unsigned char)*t < ' ' || *t == 0x7f)
				die("%s: a control character in its comment", d->path);
			else
				fputc(*t, out);
		}
		fputc('\n', out);
	}
	fputs(".EE\n.in\n", out);
}

/* Where the text of an item starts ("tag  text"), or 0 if line is none. */
static size_t item_text_at(const struct doc_line *line)
{
	const char *gap = strstr(line->text, "  ");

	return line->indent && gap ? (size_t)(gap - line->text) + strspn(gap, " ") : 0;
}

static void put_table_doc(const struct table *table)
{
	enum { NONE, PARAGRAPH, ITEM, LITERAL } block = NONE;
	char *source = read_file(table->path);
	size_t n, item_indent = 0, item_at = 0, tag_len = 0, literal_from = 0;
	struct doc_line *lines = comment_lines(table->path, source, &n);
	struct doc d = { .path = table->path };
	struct text text = { 0 };
	const char *tag = NULL;

	/* One pass more than there are lines, to end the last block. */
	for (size_t i = 0; i <= n; i++) {
		const struct doc_line *l = i < n ? &lines[i] : NULL;
		bool blank = !l || !*l->text;
		size_t at = blank ? 0 : item_text_at(l);

		if (!blank && ((block == PARAGRAPH && l->indent == 0) ||
			       (block == ITEM && l->indent > item_indent))) {
			text_join(&text, l->text);
			continue;
		}
		if (!blank && block == LITERAL && l->indent > 0 && !at)
			continue;

		if (block == PARAGRAPH)
			put_doc_paragraph(&d, text.s);
		else if (block == ITEM)
			put_doc_item(&d, tag, tag_len, item_at, text.s);
		else if (block == LITERAL)
			put_doc_literal(&d, lines + literal_from, i - literal_from);
		text_clear(&text);

		if (blank || !at)
			end_doc_list(&d);
		if (blank) {
			block = NONE;
		} else if (l->indent == 0) {
			block = PARAGRAPH;
			text_join(&text, l->text);
		} else if (at) {
			block = ITEM;
			tag = l->text;
			item_indent = l->indent;
			item_at = at;
			tag_len = (size_t)(strstr(tag, "  ") - tag);
			text_join(&text, l->text + at);
		} else {
			block = LITERAL;
			literal_from = i;
		}
	}
	if (!d.says_s1 || !d.says_s2)
		die("%s: its leading comment does not say what s1 and s2 hold", table->path);
	free(text.s);
	for (size_t i = 0; i < n; i++)
		free(lines[i].buf);
	free(lines);
	free(source);
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

/* A function of a table, with the order in which the table first names
 * its domain and its operation. */
struct listed {
	const struct iomon_catalog_entry *row;
	size_t domain_rank, op_rank;
};

static int by_table_order_then_name(const void *pa, const void *pb)
{
	const struct listed *a = pa, *b = pb;

	if (a->domain_rank != b->domain_rank)
		return a->domain_rank < b->domain_rank ? -1 : 1;
	if (a->op_rank != b->op_rank)
		return a->op_rank < b->op_rank ? -1 : 1;
	return compare_names(a->row->name, b->row->name);
}

/*
 * The functions of one table (rows, in its order), by domain and operation
 * in the order the table takes them: a subsection per domain, headed
 * ".SS \%NAME (number)" (tests/strace/crosscheck.py reads the page by
 * these), and in it a tagged paragraph per operation, listing the functions
 * whose calls make records with those codes.  A sentence first says which
 * domains follow, since their headings stand level with the table's.
 * Ragged right: a justified list of long names is mostly gaps.
 */
static void put_function_list(const struct iomon_catalog_entry **rows, size_t n)
{
	struct listed *list = xmalloc(n * sizeof(*list));
	size_t domains = 0, said = 0;

	for (size_t i = 0; i < n; i++) {
		list[i] = (struct listed){ rows[i], i, i };
		for (size_t j = i; j-- > 0;) {
			if (rows[j]->domain != rows[i]->domain)
				continue;
			list[i].domain_rank = list[j].domain_rank;
			if (rows[j]->op == rows[i]->op)
				list[i].op_rank = list[j].op_rank;
		}
		domains += list[i].domain_rank == i;
	}
	qsort(list, n, sizeof(*list), by_table_order_then_name);

	fprintf(out, ".na\n.PP\nIts functions make the records of the domain%s\n",
		domains > 1 ? "s" : "");
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && list[i].row->domain == list[i - 1].row->domain)
			continue;
		said++;
		/* Font escapes, not .BR: a ".BR \\%NAME" line is a function. */
		fputs("\\fB", out);
		put_name(code_name(domain_codes, COUNT(domain_codes), list[i].row->domain));
		fputs(said == domains		? "\\fR, listed \\%below.\n"
		      : said + 1 == domains ? "\\fR and\n"
					    : "\\fR,\n",
		      out);
	}

	for (size_t i = 0; i < n; i++) {
		const struct iomon_catalog_entry *r = list[i].row;
		bool new_domain = i == 0 || r->domain != list[i - 1].row->domain;
		bool new_op = new_domain || r->op != list[i - 1].row->op;
		bool last_of_op = i + 1 == n || list[i + 1].row->domain != r->domain ||
				  list[i + 1].row->op != r->op;

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
	fputs(".ad\n", out);
	free(list);
}

static const struct table *table_named(const char *name)
{
	for (size_t i = 0; i < n_tables; i++)
		if (strcmp(tables[i].name, name) == 0)
			return &tables[i];
	return NULL;
}

/*
 * One subsection per table, in the order of the build: what its records
 * hold, from its leading comment, then its functions.
 */
static void put_wrapped_functions(void)
{
	size_t n = iomon_catalog_size;
	const struct iomon_catalog_entry **rows = xmalloc(n * sizeof(*rows));

	for (size_t i = 0; i < n; i++) {
		const struct iomon_catalog_entry *r = &iomon_catalog[i];

		if (!code_name(domain_codes, COUNT(domain_codes), r->domain) ||
		    !code_name(op_codes, COUNT(op_codes), r->op))
			die("catalog: %s has domain %u, op %u: no such code", r->name, r->domain,
			    r->op);
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->name, iomon_catalog[j].name) == 0)
				die("catalog: %s is listed twice", r->name);
		if (!table_named(r->table))
			die("catalog: %s comes from table %s, which is not given", r->name,
			    r->table);
	}
	if (n_tables == 0)
		fputs(".PP\nThis build of the library wraps no function.\n", out);

	for (size_t t = 0; t < n_tables; t++) {
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			if (strcmp(iomon_catalog[i].table, tables[t].name) == 0)
				rows[k++] = &iomon_catalog[i];
		if (k == 0)
			die("%s: the catalog has no function of this table", tables[t].path);
		fputs(".SS The ", out);
		put_name(tables[t].name);
		fputs(" table\n", out);
		put_table_doc(&tables[t]);
		put_function_list(rows, k);
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

/* domains/<name>.def: the table's name. */
static void add_table(struct table *t, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = strlen(base);

	if (len <= 4 || strcmp(base + len - 4, ".def") != 0)
		die("%s: a table's name ends in .def", path);
	len -= 4;
	if (len >= sizeof(t->name))
		die("%s: the name is too long", path);
	memcpy(t->name, base, len);
	t->name[len] = '\0';
	if (table_named(t->name))
		die("%s: table %s is given twice", path, t->name);
	t->path = path;
}

int main(int argc, char **argv)
{
	char *text;

	if (argc < 5) {
		fprintf(stderr, "usage: mkman TEMPLATE OUTPUT VERSION LIBDIR [TABLE.def...]\n");
		return 2;
	}
	placeholders[PH_VERSION].value = argv[3];
	placeholders[PH_LIBDIR].value = argv[4];
	tables = xmalloc((size_t)(argc - 5) * sizeof(*tables));
	for (int i = 5; i < argc; i++, n_tables++)
		add_table(&tables[n_tables], argv[i]);
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
	free(tables);
	return 0;
}
