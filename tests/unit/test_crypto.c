/* protocol/crypto.c against known answers: SHA-256 (FIPS 180-2), crypto_kdf,
 * keyed hash and crypto_auth (computed independently with Python's hashlib
 * BLAKE2b and HMAC-SHA512), Argon2id (the reference libargon2), and the AEAD,
 * padding and comparison behaviour the rest of Liaison relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "protocol/crypto.h"
#include "protocol/encoding.h"

static void assert_hex(const uint8_t *got, size_t n, const char *want)
{
	char hex[2 * 128 + 1];

	assert_true(n <= 128);
	hex_encode(got, n, hex);
	assert_string_equal(hex, want);
}

static const uint8_t key_0_31[LC_KEY_BYTES] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

static int setup(void **state)
{
	(void)state;
	return lc_init() == 0 ? 0 : -1;
}

static void test_sha256_abc(void **state)
{
	uint8_t h[LC_HASH_BYTES];

	(void)state;
	assert_int_equal(lc_sha256("abc", 3, h), 0);
	assert_hex(h, sizeof(h),
		   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(lc_sha256("", 0, h), 0);
	assert_hex(h, sizeof(h),
		   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_sha256_streaming_equals_oneshot(void **state)
{
	static const char msg[] =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	const size_t n = sizeof(msg) - 1;
	uint8_t one[LC_HASH_BYTES], stream[LC_HASH_BYTES], again[LC_HASH_BYTES];
	struct lc_sha256 *h;
	size_t i;

	(void)state;
	assert_int_equal(lc_sha256(msg, n, one), 0);
	assert_hex(one, sizeof(one),
		   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

	h = lc_sha256_new();
	assert_non_null(h);
	for (i = 0; i < n; i += 5)
		assert_int_equal(lc_sha256_update(h, msg + i, n - i < 5 ? n - i : 5), 0);
	assert_int_equal(lc_sha256_update(h, NULL, 0), 0);
	assert_int_equal(lc_sha256_final(h, stream), 0);
	assert_memory_equal(one, stream, LC_HASH_BYTES);

	/* final starts the context again: a second message hashes on its own. */
	assert_int_equal(lc_sha256_update(h, "abc", 3), 0);
	assert_int_equal(lc_sha256_final(h, again), 0);
	assert_hex(again, sizeof(again),
		   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	lc_sha256_free(h);
	lc_sha256_free(NULL);
}

static void test_seal_open_round_trip(void **state)
{
	static const uint8_t msg[] = "the evidence file is attached";
	static const uint8_t ad[] = "messages/body/row-1/v1";
	uint8_t key[LC_KEY_BYTES];
	uint8_t c[sizeof(msg) + LC_AEAD_OVERHEAD];
	uint8_t c2[sizeof(msg) + LC_AEAD_OVERHEAD];
	uint8_t m[sizeof(msg)];
	size_t clen = 0, clen2 = 0, mlen = 0;

	(void)state;
	lc_random(key, sizeof(key));
	assert_int_equal(lc_seal(c, sizeof(c), &clen, msg, sizeof(msg), ad, sizeof(ad), key), 0);
	assert_int_equal(clen, sizeof(msg) + LC_AEAD_OVERHEAD);
	assert_int_equal(lc_open(m, sizeof(m), &mlen, c, clen, ad, sizeof(ad), key), 0);
	assert_int_equal(mlen, sizeof(msg));
	assert_memory_equal(m, msg, sizeof(msg));

	/* A fresh random nonce each time: the same message seals differently. */
	assert_int_equal(lc_seal(c2, sizeof(c2), &clen2, msg, sizeof(msg), ad, sizeof(ad), key), 0);
	assert_memory_not_equal(c, c2, LC_NONCE_BYTES);

	/* Empty message and no associated data. */
	assert_int_equal(lc_seal(c, sizeof(c), &clen, NULL, 0, NULL, 0, key), 0);
	assert_int_equal(clen, LC_AEAD_OVERHEAD);
	assert_int_equal(lc_open(m, sizeof(m), &mlen, c, clen, NULL, 0, key), 0);
	assert_int_equal(mlen, 0);
}

static void test_open_refuses_altered(void **state)
{
	static const uint8_t msg[] = "meet at the border post";
	static const uint8_t ad[] = "row-1";
	static const uint8_t other_ad[] = "row-2";
	uint8_t key[LC_KEY_BYTES], wrong[LC_KEY_BYTES];
	uint8_t c[sizeof(msg) + LC_AEAD_OVERHEAD];
	uint8_t m[sizeof(msg)];
	size_t clen = 0, mlen = 1234, i;

	(void)state;
	lc_random(key, sizeof(key));
	memcpy(wrong, key, sizeof(key));
	wrong[0] ^= 1;
	assert_int_equal(lc_seal(c, sizeof(c), &clen, msg, sizeof(msg), ad, sizeof(ad), key), 0);

	/* Every single flipped bit, in nonce, ciphertext or tag, is refused. */
	for (i = 0; i < clen * 8; i++) {
		c[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(lc_open(m, sizeof(m), &mlen, c, clen, ad, sizeof(ad), key),
				 LIAISON_ERR_DECRYPT);
		c[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	assert_int_equal(lc_open(m, sizeof(m), &mlen, c, clen, other_ad, sizeof(other_ad), key),
			 LIAISON_ERR_DECRYPT);
	assert_int_equal(lc_open(m, sizeof(m), &mlen, c, clen, NULL, 0, key),
			 LIAISON_ERR_DECRYPT);
	assert_int_equal(lc_open(m, sizeof(m), &mlen, c, clen, ad, sizeof(ad), wrong),
			 LIAISON_ERR_DECRYPT);
	assert_int_equal(lc_open(m, sizeof(m), &mlen, c, clen - 1, ad, sizeof(ad), key),
			 LIAISON_ERR_DECRYPT);
	assert_int_equal(lc_open(m, sizeof(m), &mlen, c, LC_AEAD_OVERHEAD - 1, ad, sizeof(ad), key),
			 LIAISON_ERR_DECRYPT);
	/* Out-parameter untouched on failure. */
	assert_int_equal(mlen, 1234);
	/* Buffers too small are refused, not overrun. */
	assert_int_equal(lc_seal(c, sizeof(c) - 1, &clen, msg, sizeof(msg), ad, sizeof(ad), key),
			 LIAISON_ERR_TOO_BIG);
	assert_int_equal(lc_open(m, sizeof(m) - 1, &mlen, c, clen, ad, sizeof(ad), key),
			 LIAISON_ERR_TOO_BIG);
}

static void test_pad_unpad(void **state)
{
	uint8_t buf[3 * LC_PAD_BLOCK];
	size_t padded = 0, unpadded = 0;
	size_t sizes[] = { 0, 1, 100, LC_PAD_BLOCK - 1, LC_PAD_BLOCK, LC_PAD_BLOCK + 1 };
	size_t want[] = { 256, 256, 256, 256, 512, 512 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(buf, 0xab, sizeof(buf));
		assert_int_equal(lc_pad(buf, sizes[i], sizeof(buf), &padded), 0);
		assert_int_equal(padded, want[i]);
		assert_int_equal(lc_unpad(buf, padded, &unpadded), 0);
		assert_int_equal(unpadded, sizes[i]);
	}
	/* No room for the padding. */
	assert_int_equal(lc_pad(buf, LC_PAD_BLOCK, LC_PAD_BLOCK, &padded), LIAISON_ERR_TOO_BIG);
	/* Not padded: all zeros has no 0x80 marker; a length off the bucket. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(lc_unpad(buf, LC_PAD_BLOCK, &unpadded), LIAISON_ERR_INVALID);
	assert_int_equal(lc_unpad(buf, 100, &unpadded), LIAISON_ERR_INVALID);
	assert_int_equal(lc_unpad(buf, 0, &unpadded), LIAISON_ERR_INVALID);
}

static void test_kdf_known_answer(void **state)
{
	uint8_t a[32], b[32], c[32], d[64];

	(void)state;
	/* BLAKE2b(key=00..1f, salt=LE64(1)||0^8, person="liaison!"||0^8). */
	assert_int_equal(lc_kdf(a, sizeof(a), 1, "liaison!", key_0_31), 0);
	assert_hex(a, sizeof(a),
		   "2998979af9958259444e2bf55238a0062f4a1dc29d11863229a4ca6543775838");
	assert_int_equal(lc_kdf(b, sizeof(b), 1, "liaison!", key_0_31), 0);
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(lc_kdf(c, sizeof(c), 2, "liaison!", key_0_31), 0);
	assert_memory_not_equal(a, c, sizeof(a));
	assert_int_equal(lc_kdf(c, sizeof(c), 1, "liaisoN!", key_0_31), 0);
	assert_memory_not_equal(a, c, sizeof(a));
	assert_int_equal(lc_kdf(d, 64, 1, "liaison!", key_0_31), 0);
	assert_int_equal(lc_kdf(d, 15, 1, "liaison!", key_0_31), LIAISON_ERR_INVALID);
	assert_int_equal(lc_kdf(d, 65, 1, "liaison!", key_0_31), LIAISON_ERR_INVALID);
}

static void test_keyed_hash_and_auth_known_answers(void **state)
{
	uint8_t h[32], mac[LC_MAC_BYTES];

	(void)state;
	assert_int_equal(lc_keyed_hash(h, sizeof(h), "abc", 3, key_0_31), 0);
	assert_hex(h, sizeof(h),
		   "d63a32d3e44738d7907f964316c241adaba0abfeabc32349677578a15a203f7f");
	assert_int_equal(lc_keyed_hash(h, 8, "abc", 3, key_0_31), LIAISON_ERR_INVALID);

	/* HMAC-SHA512 truncated to 32 bytes. */
	assert_int_equal(lc_auth(mac, (const uint8_t *)"abc", 3, key_0_31), 0);
	assert_hex(mac, sizeof(mac),
		   "69d4a21e226bf0d348cb9a847c01cf24e93e8ac30d7c951704b936f82f795a62");
	assert_int_equal(lc_auth_verify(mac, (const uint8_t *)"abc", 3, key_0_31), 0);
	assert_int_equal(lc_auth_verify(mac, (const uint8_t *)"abd", 3, key_0_31),
			 LIAISON_ERR_SIGNATURE);
	mac[31] ^= 0x80;
	assert_int_equal(lc_auth_verify(mac, (const uint8_t *)"abc", 3, key_0_31),
			 LIAISON_ERR_SIGNATURE);
}

static void test_pwhash_known_answer(void **state)
{
	static const char pass[] = "correct horse battery staple";
	uint8_t salt[LC_SALT_BYTES];
	uint8_t a[32], b[32];
	enum lc_kdf_level level = LC_KDF_SENSITIVE;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)i;
	/* Argon2id v1.3, t=2, m=64 MiB, p=1: libargon2's argon2id_hash_raw. */
	assert_int_equal(lc_pwhash(a, sizeof(a), pass, strlen(pass), salt, LC_KDF_INTERACTIVE), 0);
	assert_hex(a, sizeof(a),
		   "c05ce4c4dd7e0e45ee6011cc59d068ade47df1b01fc0cf9cd4678bdf68a5b7b0");
	salt[0] ^= 1;
	assert_int_equal(lc_pwhash(b, sizeof(b), pass, strlen(pass), salt, LC_KDF_INTERACTIVE), 0);
	assert_memory_not_equal(a, b, sizeof(a));

	assert_int_equal(lc_kdf_level_parse("interactive", &level), 0);
	assert_int_equal(level, LC_KDF_INTERACTIVE);
	assert_int_equal(lc_kdf_level_parse("moderate", &level), 0);
	assert_int_equal(level, LC_KDF_MODERATE);
	assert_int_equal(lc_kdf_level_parse("sensitive", &level), 0);
	assert_int_equal(level, LC_KDF_SENSITIVE);
	assert_int_equal(lc_kdf_level_parse("fast", &level), LIAISON_ERR_INVALID);
	assert_int_equal(lc_kdf_level_parse("", &level), LIAISON_ERR_INVALID);
	assert_int_equal(level, LC_KDF_SENSITIVE);
}

static void test_equal_and_secure_memory(void **state)
{
	uint8_t a[32], b[32];
	uint8_t *s;

	(void)state;
	memset(a, 7, sizeof(a));
	memset(b, 7, sizeof(b));
	assert_int_equal(lc_equal(a, b, sizeof(a)), 1);
	b[31] = 8;
	assert_int_equal(lc_equal(a, b, sizeof(a)), 0);
	assert_int_equal(lc_equal(a, b, 31), 1);

	s = lc_secure_alloc(LC_ED_SK_BYTES);
	assert_non_null(s);
	assert_int_equal(lc_ed25519_keypair(a, s), 0);
	lc_wipe(s, LC_ED_SK_BYTES);
	memset(b, 0, sizeof(b));
	assert_memory_equal(s, b, 32);
	lc_secure_free(s);
	lc_secure_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_abc),
		cmocka_unit_test(test_sha256_streaming_equals_oneshot),
		cmocka_unit_test(test_seal_open_round_trip),
		cmocka_unit_test(test_open_refuses_altered),
		cmocka_unit_test(test_pad_unpad),
		cmocka_unit_test(test_kdf_known_answer),
		cmocka_unit_test(test_keyed_hash_and_auth_known_answers),
		cmocka_unit_test(test_pwhash_known_answer),
		cmocka_unit_test(test_equal_and_secure_memory),
	};

	return cmocka_run_group_tests_name("crypto", tests, setup, NULL);
}
