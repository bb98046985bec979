/* Unit tests for protocol/log.c: one line per event with time, level and
 * tag; levels filter; a peer's control characters cannot forge a line;
 * account ids are shortened. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/log.h"

static size_t read_all(FILE *fp, char *buf, size_t cap)
{
	size_t n;

	rewind(fp);
	n = fread(buf, 1, cap - 1, fp);
	buf[n] = '\0';
	return n;
}

static void test_lines_and_levels(void **state)
{
	FILE *fp = tmpfile();
	char buf[2048];

	(void)state;
	assert_non_null(fp);
	log_set_file(fp);
	log_set_level(LOG_INFO);
	log_info("relay", "listening %s:%d", "127.0.0.1", 7443);
	log_debug("relay", "not shown");
	log_warn("store", "evil\n2026-01-01T00:00:00Z error forged: \x1b[31mline");
	read_all(fp, buf, sizeof(buf));
	assert_non_null(strstr(buf, " info relay: listening 127.0.0.1:7443\n"));
	assert_null(strstr(buf, "not shown"));
	/* the forged line and the escape stay inside one line */
	assert_non_null(strstr(buf, " warn store: evil?2026-01-01T00:00:00Z error forged: ?[31mline\n"));
	assert_int_equal(buf[4], '-');
	assert_int_equal(buf[19], 'Z');
	log_set_file(NULL);
	fclose(fp);
}

static void test_errno_variant(void **state)
{
	FILE *fp = tmpfile();
	char buf[1024];

	(void)state;
	assert_non_null(fp);
	log_set_file(fp);
	errno = ENOENT;
	log_err_f("home", "cannot open %s", "/nowhere");
	assert_int_equal(errno, ENOENT);
	read_all(fp, buf, sizeof(buf));
	assert_non_null(strstr(buf, " error home: cannot open /nowhere: No such file or directory\n"));
	log_set_file(NULL);
	fclose(fp);
}

static void test_short_id(void **state)
{
	uint8_t id[16] = { 0 };
	char out[9];

	(void)state;
	assert_string_equal(log_short_id(id, out), "aaaaaaaa");
	memset(id, 0xff, sizeof(id));
	assert_string_equal(log_short_id(id, out), "77777777");
}

static void test_long_message_truncated(void **state)
{
	FILE *fp = tmpfile();
	char big[3000], buf[4096];
	size_t n;

	(void)state;
	assert_non_null(fp);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_set_file(fp);
	log_err("t", "%s", big);
	n = read_all(fp, buf, sizeof(buf));
	assert_true(n > 500 && n <= 1024);
	assert_int_equal(buf[n - 1], '\n');
	log_set_file(NULL);
	fclose(fp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_and_levels),
		cmocka_unit_test(test_errno_variant),
		cmocka_unit_test(test_short_id),
		cmocka_unit_test(test_long_message_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
