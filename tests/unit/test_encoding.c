/* Unit tests for protocol/encoding.c: base32 is read only in its canonical
 * spelling (one id, one text), hex is read loosely as people type it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/crypto.h"
#include "protocol/encoding.h"

static void test_base32_rfc4648_vectors(void **state)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const text[] = { "", "my", "mzxq", "mzxw6", "mzxw6yq", "mzxw6ytb",
					    "mzxw6ytboi" };
	char out[32];
	uint8_t back[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < 7; i++) {
		assert_int_equal(base32_encode((const uint8_t *)plain[i], strlen(plain[i]),
					       out, sizeof(out)), 0);
		assert_string_equal(out, text[i]);
		assert_int_equal(base32_decode(text[i], strlen(text[i]), back, sizeof(back), &n), 0);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(back, plain[i], n);
	}
}

static void test_base32_refuses_non_canonical(void **state)
{
	uint8_t out[16];
	size_t n = 99;

	(void)state;
	/* upper case */
	assert_int_not_equal(base32_decode("MZXW6", 5, out, sizeof(out), &n), 0);
	/* padding */
	assert_int_not_equal(base32_decode("my======", 8, out, sizeof(out), &n), 0);
	assert_int_not_equal(base32_decode("my=", 3, out, sizeof(out), &n), 0);
	/* non-zero unused bits: "mz" would also read as "f" */
	assert_int_not_equal(base32_decode("mz", 2, out, sizeof(out), &n), 0);
	assert_int_not_equal(base32_decode("mzxw7", 5, out, sizeof(out), &n), 0);
	/* lengths no encoder produces */
	assert_int_not_equal(base32_decode("m", 1, out, sizeof(out), &n), 0);
	assert_int_not_equal(base32_decode("mzx", 3, out, sizeof(out), &n), 0);
	assert_int_not_equal(base32_decode("mzxw6y", 6, out, sizeof(out), &n), 0);
	/* characters outside the alphabet */
	assert_int_not_equal(base32_decode("m0", 2, out, sizeof(out), &n), 0);
	assert_int_not_equal(base32_decode("m8", 2, out, sizeof(out), &n), 0);
	/* does not fit */
	assert_int_equal(base32_decode("mzxw6ytboi", 10, out, 5, &n), LIAISON_ERR_TOO_BIG);
	assert_int_equal(n, 99);
	/* output buffer too small for encode */
	{
		char small[4];
		assert_int_not_equal(base32_encode((const uint8_t *)"foo", 3, small, sizeof(small)), 0);
	}
}

static void test_id_round_trip_and_strictness(void **state)
{
	uint8_t id[ID_BYTES], back[ID_BYTES];
	char text[ID_CHARS + 1], bad[ID_CHARS + 2];
	int i;

	(void)state;
	for (i = 0; i < 50; i++) {
		id_random(id);
		id_encode(id, text);
		assert_int_equal(strlen(text), ID_CHARS);
		assert_int_equal(strspn(text, "abcdefghijklmnopqrstuvwxyz234567"), ID_CHARS);
		assert_int_equal(id_decode(text, back), 0);
		assert_memory_equal(id, back, ID_BYTES);
	}
	memset(id, 0, sizeof(id));
	id_encode(id, text);
	assert_string_equal(text, "aaaaaaaaaaaaaaaaaaaaaaaaaa");
	/* 16 bytes leave 2 unused bits in the last character: "b" is not canonical */
	memcpy(bad, text, sizeof(text));
	bad[ID_CHARS - 1] = 'b';
	assert_int_not_equal(id_decode(bad, back), 0);
	/* wrong length, upper case */
	assert_int_not_equal(id_decode("aaaaaaaaaaaaaaaaaaaaaaaaa", back), 0);
	assert_int_not_equal(id_decode("aaaaaaaaaaaaaaaaaaaaaaaaaaa", back), 0);
	assert_int_not_equal(id_decode("AAAAAAAAAAAAAAAAAAAAAAAAAA", back), 0);
	assert_int_not_equal(id_decode("", back), 0);
	assert_int_not_equal(id_decode(NULL, back), 0);
}

static void test_hex_encode_lowercase(void **state)
{
	static const uint8_t in[] = { 0x00, 0x01, 0xab, 0xff };
	char out[9];

	(void)state;
	hex_encode(in, sizeof(in), out);
	assert_string_equal(out, "0001abff");
}

static void test_hex_decode_loose(void **state)
{
	uint8_t out[4], want[4] = { 0xab, 0xcd, 0xef, 0x01 };

	(void)state;
	assert_int_equal(hex_decode_loose("abcdef01", out, 4), 0);
	assert_memory_equal(out, want, 4);
	memset(out, 0, sizeof(out));
	assert_int_equal(hex_decode_loose("AB CD:eF 01", out, 4), 0);
	assert_memory_equal(out, want, 4);
	assert_int_equal(hex_decode_loose(" a b c d e f 0 1 ", out, 4), 0);
	assert_memory_equal(out, want, 4);
	/* wrong lengths, odd digits, other characters */
	assert_int_not_equal(hex_decode_loose("abcdef", out, 4), 0);
	assert_int_not_equal(hex_decode_loose("abcdef0102", out, 4), 0);
	assert_int_not_equal(hex_decode_loose("abcdef0", out, 4), 0);
	assert_int_not_equal(hex_decode_loose("abcdef0g", out, 4), 0);
	assert_int_not_equal(hex_decode_loose("abcd-ef01", out, 4), 0);
	assert_int_not_equal(hex_decode_loose("", out, 4), 0);
}

static int setup(void **state)
{
	(void)state;
	return lc_init() == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base32_rfc4648_vectors),
		cmocka_unit_test(test_base32_refuses_non_canonical),
		cmocka_unit_test(test_id_round_trip_and_strictness),
		cmocka_unit_test(test_hex_encode_lowercase),
		cmocka_unit_test(test_hex_decode_loose),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
