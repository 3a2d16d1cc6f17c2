/*
 * libFuzzer target: the collector's input path, framer then parser, on
 * arbitrary bytes from a connection.  Each line handed out must parse or
 * be refused with a status, and a line that parses must read back as a
 * record within the documented bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct iomon_framer framer;
static struct iomon_parsed parsed;

static void on_line(void *arg, const char *line, size_t len)
{
	(void)arg;
	if (len > IOMON_RECORD_MAX)
		abort();
	if (iomon_record_parse(line, len, &parsed) != IOMON_RECORD_OK)
		return;
	if (parsed.facility_len < 1 || parsed.facility_len > IOMON_FACILITY_MAX ||
	    parsed.domain >= IOMON_DOMAIN_COUNT || parsed.op >= IOMON_OP_COUNT ||
	    parsed.fd < -1 || parsed.s1_len > len || parsed.s2_len > len ||
	    parsed.s1[parsed.s1_len] != '\0' || parsed.s2[parsed.s2_len] != '\0' ||
	    memchr(parsed.s1, '\0', parsed.s1_len) || memchr(parsed.s2, '\0', parsed.s2_len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first byte says where the stream is cut in two reads, as a
	 * connection may deliver it anywhere. */
	size_t cut = size ? data[0] % (size + 1) : 0;

	iomon_framer_init(&framer);
	iomon_framer_feed(&framer, data, cut, on_line, NULL);
	iomon_framer_feed(&framer, data + cut, size - cut, on_line, NULL);
	iomon_framer_finish(&framer);
	return 0;
}
