/* Unit tests for protocol/buf.c: the bounded reader never reads past its
 * input nor moves on a failed read; the writer never grows past its limit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/buf.h"

static void test_read_integers_big_endian(void **state)
{
	static const uint8_t in[] = { 0x7f, 0x01, 0x02, 0x03, 0x04,
				      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
	struct rd r;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	rd_init(&r, in, sizeof(in));
	assert_int_equal(rd_u8(&r, &u8), 0);
	assert_int_equal(u8, 0x7f);
	assert_int_equal(rd_u32(&r, &u32), 0);
	assert_int_equal(u32, 0x01020304u);
	assert_int_equal(rd_u64(&r, &u64), 0);
	assert_true(u64 == 0x0102030405060708ull);
	assert_int_equal(rd_end(&r), 0);
	/* Nothing left: every read refuses and leaves the value alone. */
	u8 = 0x55;
	assert_int_equal(rd_u8(&r, &u8), LIAISON_ERR_INVALID);
	assert_int_equal(u8, 0x55);
}

static void test_short_reads_refused_without_moving(void **state)
{
	static const uint8_t in[] = { 1, 2, 3 };
	struct rd r;
	uint32_t u32 = 9;
	uint64_t u64 = 9;
	uint8_t fixed[4];

	(void)state;
	rd_init(&r, in, sizeof(in));
	assert_int_equal(rd_u32(&r, &u32), LIAISON_ERR_INVALID);
	assert_int_equal(rd_u64(&r, &u64), LIAISON_ERR_INVALID);
	assert_int_equal(rd_fixed(&r, fixed, 4), LIAISON_ERR_INVALID);
	assert_int_equal(u32, 9);
	assert_int_equal(r.left, 3);
	assert_int_equal(rd_end(&r), LIAISON_ERR_INVALID);
	assert_int_equal(rd_fixed(&r, fixed, 3), 0);
	assert_memory_equal(fixed, in, 3);
	assert_int_equal(rd_end(&r), 0);
}

static void test_var_respects_limit_and_input(void **state)
{
	static const uint8_t in[] = { 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 9, 'x' };
	const uint8_t *p = NULL;
	size_t n = 0;
	struct rd r;

	(void)state;
	rd_init(&r, in, sizeof(in));
	assert_int_equal(rd_var(&r, &p, &n, 2), LIAISON_ERR_TOO_BIG);
	assert_int_equal(r.left, sizeof(in));
	assert_int_equal(rd_var(&r, &p, &n, 3), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "abc", 3);
	/* A length that claims more than the input holds. */
	assert_int_equal(rd_var(&r, &p, &n, 100), LIAISON_ERR_INVALID);
	assert_int_equal(r.left, 5);
}

static void test_str_refuses_nul_and_overflow(void **state)
{
	static const uint8_t ok[] = { 0, 0, 0, 2, 'h', 'i' };
	static const uint8_t nul[] = { 0, 0, 0, 2, 'h', 0 };
	char out[3];
	struct rd r;

	(void)state;
	rd_init(&r, ok, sizeof(ok));
	assert_int_equal(rd_str(&r, out, 2), LIAISON_ERR_TOO_BIG);
	assert_int_equal(rd_str(&r, out, sizeof(out)), 0);
	assert_string_equal(out, "hi");
	rd_init(&r, nul, sizeof(nul));
	assert_int_equal(rd_str(&r, out, sizeof(out)), LIAISON_ERR_INVALID);
	assert_int_equal(r.left, sizeof(nul));
}

static void test_writer_round_trip(void **state)
{
	struct wb w;
	struct rd r;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	char s[16];
	const uint8_t *p;
	size_t n;

	(void)state;
	wb_init(&w, 1024);
	wb_u8(&w, 1);
	wb_u32(&w, 0xdeadbeef);
	wb_u64(&w, 0x1122334455667788ull);
	wb_str(&w, "liaison");
	wb_var(&w, "", 0);
	wb_fixed(&w, "zz", 2);
	assert_int_equal(wb_status(&w), 0);
	assert_int_equal(w.len, 1 + 4 + 8 + 4 + 7 + 4 + 2);

	rd_init(&r, w.data, w.len);
	assert_int_equal(rd_u8(&r, &u8), 0);
	assert_int_equal(rd_u32(&r, &u32), 0);
	assert_int_equal(rd_u64(&r, &u64), 0);
	assert_int_equal(rd_str(&r, s, sizeof(s)), 0);
	assert_int_equal(rd_var(&r, &p, &n, 0), 0);
	assert_int_equal(n, 0);
	assert_int_equal(r.left, 2);
	assert_int_equal(u8, 1);
	assert_int_equal(u32, 0xdeadbeefu);
	assert_true(u64 == 0x1122334455667788ull);
	assert_string_equal(s, "liaison");
	wb_free(&w);
	assert_null(w.data);
	assert_int_equal(w.len, 0);
}

static void test_writer_stops_at_max(void **state)
{
	uint8_t big[300];
	struct wb w;

	(void)state;
	memset(big, 0xab, sizeof(big));
	wb_init(&w, 200);
	wb_fixed(&w, big, 150);
	assert_int_equal(wb_status(&w), 0);
	wb_var(&w, big, 60);	/* 4 + 60 would pass 200 */
	assert_int_equal(wb_status(&w), LIAISON_ERR_TOO_BIG);
	assert_int_equal(w.len, 150);
	/* Later puts are no-ops, even small ones. */
	wb_u8(&w, 1);
	assert_int_equal(w.len, 150);
	assert_int_equal(wb_status(&w), LIAISON_ERR_TOO_BIG);
	wb_free(&w);

	wb_init(&w, 200);
	wb_fixed(&w, big, 200);
	assert_int_equal(wb_status(&w), 0);
	assert_int_equal(w.len, 200);
	wb_free(&w);
}

static void test_writer_grows_past_first_block(void **state)
{
	uint8_t big[5000];
	struct wb w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	wb_init(&w, 1 << 20);
	for (i = 0; i < 10; i++)
		wb_fixed(&w, big, sizeof(big));
	assert_int_equal(wb_status(&w), 0);
	assert_int_equal(w.len, 50000);
	assert_memory_equal(w.data + 45000, big, sizeof(big));
	wb_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_integers_big_endian),
		cmocka_unit_test(test_short_reads_refused_without_moving),
		cmocka_unit_test(test_var_respects_limit_and_input),
		cmocka_unit_test(test_str_refuses_nul_and_overflow),
		cmocka_unit_test(test_writer_round_trip),
		cmocka_unit_test(test_writer_stops_at_max),
		cmocka_unit_test(test_writer_grows_past_first_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
