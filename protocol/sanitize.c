/* The one sanitiser for text from elsewhere before a person sees it
 * (DESIGN.md §11). It must never let a terminal obey what a peer wrote:
 * C0 controls and DEL become \xNN (ESC included, so no escape sequence
 * survives: what follows it is plain text), C1 controls, bidi embeddings,
 * overrides, isolates and marks (U+202A-202E, U+2066-2069, U+200E, U+200F,
 * U+061C) and line/paragraph separators (U+2028, U+2029) become \u{NNNN},
 * and bytes that are not UTF-8 (surrogates and overlongs included) become
 * \xNN. sanitize_text keeps '\n' so messages can span lines (sanitize_line,
 * for names and titles, escapes it); '\t', '\r' and every other control
 * are escaped. Printable Unicode (CJK, combining marks,
 * joiners in emoji and Indic scripts) is kept as it is. A backslash in the
 * input is kept as it is: the output is for reading, not for parsing back. */
#include "protocol/sanitize.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <utf8proc.h>

/* The longest replacement, "\u{10FFFF}", is 10 characters, for a
 * sequence of at least 2 bytes; a single byte becomes at most "\xNN". */
#define SANITIZE_MAX_GROWTH 5

static int escape_codepoint(int32_t c)
{
	if (c >= 0x80 && c <= 0x9f)                  /* C1 controls */
		return 1;
	if (c >= 0x202a && c <= 0x202e)              /* embeddings, overrides */
		return 1;
	if (c >= 0x2066 && c <= 0x2069)              /* isolates */
		return 1;
	if (c == 0x200e || c == 0x200f || c == 0x061c) /* LRM, RLM, ALM */
		return 1;
	if (c == 0x2028 || c == 0x2029)              /* line, paragraph separators */
		return 1;
	return 0;
}

/* A malloc'd buffer big enough for len input bytes grown by factor, or NULL. */
static char *out_alloc(size_t len, size_t factor)
{
	if (len > (SIZE_MAX - 1) / factor || len > (size_t)SSIZE_MAX)
		return NULL;
	return malloc(len * factor + 1);
}

static char *sanitize(const char *in, size_t len, int keep_newline)
{
	const uint8_t *p = (const uint8_t *)in;
	size_t i = 0, o = 0;
	utf8proc_int32_t c;
	utf8proc_ssize_t n;
	char *out;

	if (in == NULL && len > 0)
		return NULL;
	out = out_alloc(len, SANITIZE_MAX_GROWTH);
	if (out == NULL)
		return NULL;
	while (i < len) {
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
		if (n <= 0) {
			o += (size_t)sprintf(out + o, "\\x%02x", p[i]);
			i++;
			continue;
		}
		if (c == '\n' && keep_newline) {
			out[o++] = '\n';
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)sprintf(out + o, "\\x%02x", (unsigned)c);
		} else if (escape_codepoint(c)) {
			o += (size_t)sprintf(out + o, "\\u{%04X}", (unsigned)c);
		} else {
			memcpy(out + o, p + i, (size_t)n);
			o += (size_t)n;
		}
		i += (size_t)n;
	}
	out[o] = '\0';
	return out;
}

char *sanitize_text(const char *in, size_t len)
{
	return sanitize(in, len, 1);
}

char *sanitize_line(const char *in, size_t len)
{
	return sanitize(in, len, 0);
}

char *sanitize_utf8(const char *in, size_t len)
{
	static const char replacement[] = "\xef\xbf\xbd";	/* U+FFFD */
	const uint8_t *p = (const uint8_t *)in;
	size_t i = 0, o = 0;
	utf8proc_int32_t c;
	utf8proc_ssize_t n;
	char *out;

	if (in == NULL && len > 0)
		return NULL;
	out = out_alloc(len, 3);
	if (out == NULL)
		return NULL;
	while (i < len) {
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
		/* A NUL would cut the C string short: it is replaced as well. */
		if (n <= 0 || c == 0) {
			memcpy(out + o, replacement, 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, p + i, (size_t)n);
		o += (size_t)n;
		i += (size_t)n;
	}
	out[o] = '\0';
	return out;
}
