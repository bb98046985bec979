/* Unit tests for protocol/timefmt.c: RFC 3339 in UTC both ways, durations
 * as people type them, and the refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/timefmt.h"

static void test_format_known_times(void **state)
{
	char out[TIME_RFC3339_CHARS];

	(void)state;
	time_format(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	time_format(1764459098999ULL, out);	/* milliseconds are dropped */
	assert_string_equal(out, "2025-11-29T23:31:38Z");
	time_format(951782400000ULL, out);	/* leap day */
	assert_string_equal(out, "2000-02-29T00:00:00Z");
	time_format(UINT64_MAX, out);		/* clamped, always fits */
	assert_string_equal(out, "9999-12-31T23:59:59Z");
}

static void test_format_ignores_local_zone(void **state)
{
	char out[TIME_RFC3339_CHARS];

	(void)state;
	assert_int_equal(setenv("TZ", "Asia/Tokyo", 1), 0);
	time_format(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	assert_int_equal(unsetenv("TZ"), 0);
}

static void test_parse_round_trip(void **state)
{
	char out[TIME_RFC3339_CHARS];
	uint64_t ms = 1, now = time_now_ms() / 1000 * 1000;

	(void)state;
	assert_int_equal(time_parse("2025-11-29T23:31:38Z", &ms), 0);
	assert_true(ms == 1764459098000ULL);
	time_format(now, out);
	assert_int_equal(time_parse(out, &ms), 0);
	assert_true(ms == now);
	ms = 7;
	assert_int_not_equal(time_parse("2026-02-30T00:00:00Z", &ms), 0);
	assert_int_not_equal(time_parse("2025-11-29 23:31:38Z", &ms), 0);
	assert_int_not_equal(time_parse("2025-11-29T23:31:38", &ms), 0);
	assert_int_not_equal(time_parse("2025-11-29T23:31:38+01:00", &ms), 0);
	assert_int_not_equal(time_parse("", &ms), 0);
	assert_int_equal(ms, 7);
}

static void test_now_is_plausible(void **state)
{
	uint64_t now = time_now_ms();

	(void)state;
	assert_true(now > 1700000000000ULL);	/* after November 2023 */
	assert_true(now < 4102444800000ULL);	/* before 2100 */
}

static void test_durations(void **state)
{
	uint64_t s = 0;

	(void)state;
	assert_int_equal(time_parse_duration("90s", &s), 0);
	assert_true(s == 90);
	assert_int_equal(time_parse_duration("30m", &s), 0);
	assert_true(s == 1800);
	assert_int_equal(time_parse_duration("12h", &s), 0);
	assert_true(s == 43200);
	assert_int_equal(time_parse_duration("7d", &s), 0);
	assert_true(s == 604800);
	assert_int_equal(time_parse_duration("10", &s), 0);
	assert_true(s == 10);
	assert_int_equal(time_parse_duration("3650d", &s), 0);
	assert_int_equal(time_parse_duration("0", &s), 0);
	assert_true(s == 0);
}

static void test_durations_refused(void **state)
{
	static const char *const bad[] = { "", "-1", "-1d", "5w", "1d2", "d", "1 d", " 1d",
					   "1dd", "4000d", "9999999999999999999", "1.5h", "1D" };
	uint64_t s = 42;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (time_parse_duration(bad[i], &s) == 0)
			fail_msg("duration \"%s\" was accepted as %llu s", bad[i],
				 (unsigned long long)s);
	}
	assert_true(s == 42);
	assert_int_not_equal(time_parse_duration(NULL, &s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_known_times),
		cmocka_unit_test(test_format_ignores_local_zone),
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_now_is_plausible),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_durations_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
