/* protocol/fingerprint.c: the printed forms people compare (identity, root,
 * pin) read back the way people type them, two parties see the same safety
 * number, and a scanned QR payload matches only the peer it came from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "protocol/crypto.h"
#include "protocol/fingerprint.h"
#include "protocol/signal_provider.h"

/* libsignal-protocol-c's fingerprint test vector (tests/test_fingerprint.c). */
static const uint8_t alice_identity[33] = {
	0x05, 0x06, 0x86, 0x3b, 0xc6, 0x6d, 0x02, 0xb4, 0x0d, 0x27, 0xb8,
	0xd4, 0x9c, 0xa7, 0xc0, 0x9e, 0x92, 0x39, 0x23, 0x6f, 0x9d, 0x7d,
	0x25, 0xd6, 0xfc, 0xca, 0x5c, 0xe1, 0x3c, 0x70, 0x64, 0xd8, 0x68,
};
static const uint8_t bob_identity[33] = {
	0x05, 0xf7, 0x81, 0xb6, 0xfb, 0x32, 0xfe, 0xd9, 0xba, 0x1c, 0xf2,
	0xde, 0x97, 0x8d, 0x4d, 0x5d, 0xa2, 0x8d, 0xc3, 0x40, 0x46, 0xae,
	0x81, 0x44, 0x02, 0xb5, 0xc0, 0xdb, 0xd9, 0x6f, 0xda, 0x90, 0x7b,
};

static const char alice_id[] = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char bob_id[] = "bbbbbbbbbbbbbbbbbbbbbbbbbb";
static const char carla_id[] = "cccccccccccccccccccccccccc";

static int setup(void **state)
{
	signal_context *ctx = NULL;

	if (lc_init() != 0 || sigprov_context_new(&ctx) != 0)
		return -1;
	*state = ctx;
	return 0;
}

static int teardown(void **state)
{
	sigprov_context_free(*state);
	return 0;
}

static void test_identity_and_root(void **state)
{
	char out[FP_HEX_CHARS + 1];

	(void)state;
	assert_int_equal(fp_identity(alice_identity, out), 0);
	assert_string_equal(out, "cc525b79663f536c0f49a8ce657a441179fb11e57371378c36f85a0353c4990c");
	assert_int_equal(fp_root(alice_identity + 1, out), 0);
	assert_string_equal(out, "07cff7eeec610bff4de5c1e8e3d1e39248b4260d16c4749cdc4ad291d1a6ad25");
}

static void test_pin_round_trip(void **state)
{
	uint8_t h[32], back[32];
	char pin[FP_PIN_CHARS + 1];
	char typed[3 * FP_PIN_CHARS];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(h); i++)
		h[i] = (uint8_t)(0xa0 + i);
	fp_pin_format(h, pin);
	assert_int_equal(strlen(pin), FP_PIN_CHARS);
	assert_string_equal(pin, "sha256:a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
	assert_int_equal(fp_pin_parse(pin, back), 0);
	assert_memory_equal(h, back, 32);

	/* Upper case, with a space every four digits and around it. */
	memcpy(typed, "  SHA256:", 9);
	j = 9;
	for (i = 7; pin[i] != '\0'; i++) {
		if ((i - 7) % 4 == 0)
			typed[j++] = ' ';
		typed[j++] = (pin[i] >= 'a' && pin[i] <= 'f') ? (char)(pin[i] - 32) : pin[i];
	}
	typed[j++] = '\n';
	typed[j] = '\0';
	memset(back, 0, sizeof(back));
	assert_int_equal(fp_pin_parse(typed, back), 0);
	assert_memory_equal(h, back, 32);

	/* Bare hex. */
	memset(back, 0, sizeof(back));
	assert_int_equal(fp_pin_parse(pin + 7, back), 0);
	assert_memory_equal(h, back, 32);

	/* One digit short, one too many, a stray letter, another prefix. */
	memset(back, 0x11, sizeof(back));
	pin[FP_PIN_CHARS - 1] = '\0';
	assert_int_equal(fp_pin_parse(pin, back), LIAISON_ERR_INVALID);
	fp_pin_format(h, pin);
	assert_int_equal(fp_pin_parse(strcat(strcpy(typed, pin), "0"), back), LIAISON_ERR_INVALID);
	pin[20] = 'g';
	assert_int_equal(fp_pin_parse(pin, back), LIAISON_ERR_INVALID);
	fp_pin_format(h, pin);
	memcpy(pin, "sha512:", 7);
	assert_int_equal(fp_pin_parse(pin, back), LIAISON_ERR_INVALID);
	assert_int_equal(fp_pin_parse("", back), LIAISON_ERR_INVALID);
	/* Nothing written on failure. */
	for (i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0x11);
}

static void test_safety_number_vector(void **state)
{
	signal_context *ctx = *state;
	char number[FP_SAFETY_DIGITS + 1];

	/* The library's own vector through our wrapper and provider. */
	assert_int_equal(fp_safety(ctx, "+14152222222", alice_identity,
				   "+14153333333", bob_identity, number, NULL, 0, NULL), 0);
	assert_string_equal(number, "300354477692869396892869876765458257569162576843440918079131");
}

static void make_identity(signal_context *ctx, uint8_t pub[33])
{
	ec_key_pair *pair = NULL;
	signal_buffer *buf = NULL;

	assert_int_equal(curve_generate_key_pair(ctx, &pair), 0);
	assert_int_equal(ec_public_key_serialize(&buf, ec_key_pair_get_public(pair)), 0);
	assert_int_equal(signal_buffer_len(buf), 33);
	memcpy(pub, signal_buffer_data(buf), 33);
	signal_buffer_free(buf);
	SIGNAL_UNREF(pair);
}

static void test_both_parties_agree(void **state)
{
	signal_context *ctx = *state;
	uint8_t a[33], b[33], c[33];
	char na[FP_SAFETY_DIGITS + 1], nb[FP_SAFETY_DIGITS + 1], nc[FP_SAFETY_DIGITS + 1];
	uint8_t sa[FP_SCANNABLE_MAX], sb[FP_SCANNABLE_MAX], sc[FP_SCANNABLE_MAX];
	size_t la = 0, lb = 0, lc = 0;
	uint8_t junk[FP_SCANNABLE_MAX];

	make_identity(ctx, a);
	make_identity(ctx, b);
	make_identity(ctx, c);
	assert_int_equal(fp_safety(ctx, alice_id, a, bob_id, b, na, sa, sizeof(sa), &la), 0);
	assert_int_equal(fp_safety(ctx, bob_id, b, alice_id, a, nb, sb, sizeof(sb), &lb), 0);
	assert_string_equal(na, nb);
	assert_int_equal(strlen(na), FP_SAFETY_DIGITS);
	assert_int_equal(la, 74);
	assert_int_equal(lb, 74);

	/* Alice scans Bob's code and Bob scans Alice's: both match. */
	assert_int_equal(fp_scannable_compare(ctx, sa, la, sb, lb), 0);
	assert_int_equal(fp_scannable_compare(ctx, sb, lb, sa, la), 0);
	/* Her own code shown back to her is not Bob's. */
	assert_int_equal(fp_scannable_compare(ctx, sa, la, sa, la), LIAISON_ERR_FINGERPRINT);

	/* Carla holds a code for herself and Alice: Alice, expecting Bob, refuses. */
	assert_int_equal(fp_safety(ctx, carla_id, c, alice_id, a, nc, sc, sizeof(sc), &lc), 0);
	assert_string_not_equal(nc, na);
	assert_int_equal(fp_scannable_compare(ctx, sa, la, sc, lc), LIAISON_ERR_FINGERPRINT);
	/* A key swapped under Bob's name gives another number and code. */
	assert_int_equal(fp_safety(ctx, bob_id, c, alice_id, a, nc, sc, sizeof(sc), &lc), 0);
	assert_string_not_equal(nc, na);
	assert_int_equal(fp_scannable_compare(ctx, sa, la, sc, lc), LIAISON_ERR_FINGERPRINT);

	/* Damaged or foreign payloads are not fingerprints at all. */
	memset(junk, 0xff, 40);
	assert_int_equal(fp_scannable_compare(ctx, sa, la, junk, 40), LIAISON_ERR_INVALID);
	assert_int_equal(fp_scannable_compare(ctx, sa, la, sb, 10), LIAISON_ERR_INVALID);
	assert_int_equal(fp_scannable_compare(ctx, sa, la, sb, 0), LIAISON_ERR_INVALID);
	assert_int_equal(fp_scannable_compare(ctx, sa, la, sb, FP_SCANNABLE_MAX + 1),
			 LIAISON_ERR_INVALID);
	/* A version 0 payload (field 1 = 0) is refused, not compared. */
	memcpy(junk, sb, lb);
	junk[1] = 0x00;
	assert_int_equal(fp_scannable_compare(ctx, sa, la, junk, lb), LIAISON_ERR_INVALID);

	/* A buffer too small for the payload is refused. */
	assert_int_equal(fp_safety(ctx, alice_id, a, bob_id, b, na, sa, 73, &la),
			 LIAISON_ERR_TOO_BIG);
	/* A malformed key or a missing id is refused. */
	c[0] = 0x04;
	assert_int_equal(fp_safety(ctx, alice_id, a, bob_id, c, na, NULL, 0, NULL),
			 LIAISON_ERR_INVALID);
	assert_int_equal(fp_safety(ctx, "", a, bob_id, b, na, NULL, 0, NULL),
			 LIAISON_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_and_root),
		cmocka_unit_test(test_pin_round_trip),
		cmocka_unit_test(test_safety_number_vector),
		cmocka_unit_test(test_both_parties_agree),
	};

	return cmocka_run_group_tests_name("fingerprint", tests, setup, teardown);
}
