/* Unit tests for protocol/sanitize.c: what a peer wrote is shown, never
 * obeyed by the terminal, and readable text in any script stays as it is. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/sanitize.h"

static void expect_text(const char *in, size_t len, const char *want)
{
	char *out = sanitize_text(in, len);

	assert_non_null(out);
	if (strcmp(out, want) != 0)
		fail_msg("sanitize_text: expected \"%s\", got \"%s\"", want, out);
	free(out);
}

/* in is a string literal: its length comes from sizeof, NULs included. */
#define EXPECT(in, want) expect_text(in, sizeof(in) - 1, want)

static void test_printable_kept(void **state)
{
	static const char cjk[] = "日本語の報告書 / 검찰청 / Οικονομική / Fiscalía";
	static const char emoji[] = "team \xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb ok";
	static const char combining[] = "e\xcc\x81 \xe0\xa4\x95\xe0\xa5\x8d\xe2\x80\x8c\xe0\xa4\xb7";

	(void)state;
	EXPECT("hello, world", "hello, world");
	expect_text(cjk, strlen(cjk), cjk);
	expect_text(emoji, strlen(emoji), emoji);		/* ZWJ kept */
	expect_text(combining, strlen(combining), combining);	/* ZWNJ kept */
	EXPECT("C:\\path", "C:\\path");
	EXPECT("", "");
}

static void test_controls_escaped(void **state)
{
	(void)state;
	EXPECT("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
	EXPECT("\x1b]0;title\x07", "\\x1b]0;title\\x07");
	EXPECT("a\tb", "a\\x09b");
	EXPECT("a\rb", "a\\x0db");
	EXPECT("a\x7f", "a\\x7f");
	EXPECT("a\0b", "a\\x00b");
	/* C1: CSI U+009B and NEL U+0085 as UTF-8 */
	EXPECT("\xc2\x9b" "2J", "\\u{009B}2J");
	EXPECT("\xc2\x85", "\\u{0085}");
}

static void test_newline_kept_in_text_escaped_in_line(void **state)
{
	char *out;

	(void)state;
	EXPECT("line one\nline two", "line one\nline two");
	out = sanitize_line("name\nforged: line", sizeof("name\nforged: line") - 1);
	assert_non_null(out);
	assert_string_equal(out, "name\\x0aforged: line");
	free(out);
}

static void test_bidi_escaped(void **state)
{
	(void)state;
	EXPECT("a\xe2\x80\xae" "cba", "a\\u{202E}cba");		/* RLO */
	EXPECT("\xe2\x80\xaa\xe2\x80\xac", "\\u{202A}\\u{202C}");	/* LRE, PDF */
	EXPECT("\xe2\x81\xa6x\xe2\x81\xa9", "\\u{2066}x\\u{2069}");	/* LRI, PDI */
	EXPECT("\xe2\x80\x8e\xe2\x80\x8f", "\\u{200E}\\u{200F}");	/* LRM, RLM */
	EXPECT("\xe2\x80\xa8", "\\u{2028}");				/* line separator */
}

static void test_invalid_utf8_escaped(void **state)
{
	(void)state;
	EXPECT("a\xff" "b", "a\\xffb");
	EXPECT("\xc0\xaf", "\\xc0\\xaf");			/* overlong '/' */
	EXPECT("\xed\xa0\x80", "\\xed\\xa0\\x80");		/* surrogate */
	EXPECT("\xe6\x97", "\\xe6\\x97");			/* cut */
	EXPECT("\xc2", "\\xc2");
}

static void test_worst_case_growth(void **state)
{
	char in[3000];
	char *out;
	size_t i;

	(void)state;
	/* Every byte invalid: each becomes four characters. */
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)0xff;
	out = sanitize_text(in, sizeof(in));
	assert_non_null(out);
	assert_int_equal(strlen(out), 4 * sizeof(in));
	free(out);
	/* Every character a 3-byte bidi override. */
	for (i = 0; i + 3 <= sizeof(in); i += 3)
		memcpy(in + i, "\xe2\x80\xae", 3);
	out = sanitize_text(in, sizeof(in));
	assert_non_null(out);
	assert_int_equal(strlen(out), 8 * (sizeof(in) / 3));
	free(out);
}

static void test_utf8_for_json(void **state)
{
	char *out;

	(void)state;
	out = sanitize_utf8("ok \x1b[1m 日本 \xff end", sizeof("ok \x1b[1m 日本 \xff end") - 1);
	assert_non_null(out);
	/* controls stay (JSON escapes them); the bad byte becomes U+FFFD */
	assert_string_equal(out, "ok \x1b[1m 日本 \xef\xbf\xbd end");
	free(out);
	out = sanitize_utf8("a\0b", 3);
	assert_non_null(out);
	assert_string_equal(out, "a\xef\xbf\xbd" "b");
	free(out);
	out = sanitize_utf8("", 0);
	assert_non_null(out);
	assert_string_equal(out, "");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printable_kept),
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_newline_kept_in_text_escaped_in_line),
		cmocka_unit_test(test_bidi_escaped),
		cmocka_unit_test(test_invalid_utf8_escaped),
		cmocka_unit_test(test_worst_case_growth),
		cmocka_unit_test(test_utf8_for_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
