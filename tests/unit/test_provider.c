/* protocol/signal_provider.c against published vectors: HMAC-SHA256 (RFC 4231
 * cases 1 and 2), SHA-512 (FIPS 180-2 "abc"), AES-128-CBC and AES-128-CTR
 * (NIST SP 800-38A F.2.1, F.5.1) both ways, and libsignal's own fingerprint
 * test vector computed through our provider (its SHA-512 5200 times). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <signal/fingerprint.h>

#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/signal_provider.h"

static void assert_hex(const uint8_t *got, size_t n, const char *want)
{
	char hex[2 * 128 + 1];

	assert_true(n <= 128);
	hex_encode(got, n, hex);
	assert_string_equal(hex, want);
}

static void unhex(const char *text, uint8_t *out, size_t n)
{
	assert_int_equal(hex_decode_loose(text, out, n), 0);
}

static int setup(void **state)
{
	(void)state;
	return lc_init() == 0 ? 0 : -1;
}

static void hmac_check(const uint8_t *key, size_t key_len, const void *data, size_t len,
		       const char *want)
{
	const signal_crypto_provider *p = sigprov_provider();
	signal_buffer *out = NULL;
	void *ctx = NULL;
	size_t half = len / 2;

	assert_int_equal(p->hmac_sha256_init_func(&ctx, key, key_len, p->user_data), 0);
	assert_int_equal(p->hmac_sha256_update_func(ctx, data, half, p->user_data), 0);
	assert_int_equal(p->hmac_sha256_update_func(ctx, (const uint8_t *)data + half,
						    len - half, p->user_data), 0);
	assert_int_equal(p->hmac_sha256_final_func(ctx, &out, p->user_data), 0);
	assert_non_null(out);
	assert_int_equal(signal_buffer_len(out), 32);
	assert_hex(signal_buffer_data(out), 32, want);
	signal_buffer_free(out);
	p->hmac_sha256_cleanup_func(ctx, p->user_data);
}

static void test_hmac_sha256_rfc4231(void **state)
{
	uint8_t key1[20];

	(void)state;
	memset(key1, 0x0b, sizeof(key1));
	/* Test case 1. */
	hmac_check(key1, sizeof(key1), "Hi There", 8,
		   "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* Test case 2. */
	hmac_check((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28,
		   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* An empty key and message (HMAC as defined: the key is zero-padded). */
	hmac_check(NULL, 0, "", 0,
		   "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void test_sha512_fips180_twice(void **state)
{
	static const char want[] =
		"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
	const signal_crypto_provider *p = sigprov_provider();
	signal_buffer *out = NULL;
	void *ctx = NULL;
	int round;

	(void)state;
	assert_int_equal(p->sha512_digest_init_func(&ctx, p->user_data), 0);
	/* final must leave the context ready: the same context, twice. */
	for (round = 0; round < 2; round++) {
		assert_int_equal(p->sha512_digest_update_func(ctx, (const uint8_t *)"ab", 2,
							      p->user_data), 0);
		assert_int_equal(p->sha512_digest_update_func(ctx, (const uint8_t *)"c", 1,
							      p->user_data), 0);
		assert_int_equal(p->sha512_digest_final_func(ctx, &out, p->user_data), 0);
		assert_int_equal(signal_buffer_len(out), 64);
		assert_hex(signal_buffer_data(out), 64, want);
		signal_buffer_free(out);
		out = NULL;
	}
	p->sha512_digest_cleanup_func(ctx, p->user_data);
}

static const char nist_key[] = "2b7e151628aed2a6abf7158809cf4f3c";
static const char nist_plain[] =
	"6bc1bee22e409f96e93d7e117393172a" "ae2d8a571e03ac9c9eb76fac45af8e51"
	"30c81c46a35ce411e5fbc1191a0a52ef" "f69f2445df4f9b17ad2b417be66c3710";

static void test_aes128_cbc_sp800_38a(void **state)
{
	static const char cbc_cipher[] =
		"7649abac8119b246cee98e9b12e9197d" "5086cb9b507219ee95db113a917678b2"
		"73bed6b8e3c1743b7116e69e22229516" "3ff1caa1681fac09120eca307586e1a7";
	const signal_crypto_provider *p = sigprov_provider();
	uint8_t key[16], iv[16], plain[64], want[64];
	signal_buffer *ct = NULL, *pt = NULL;

	(void)state;
	unhex(nist_key, key, sizeof(key));
	unhex("000102030405060708090a0b0c0d0e0f", iv, sizeof(iv));
	unhex(nist_plain, plain, sizeof(plain));
	unhex(cbc_cipher, want, sizeof(want));

	/* Encrypt: the four NIST blocks, then one whole block of PKCS#5 padding. */
	assert_int_equal(p->encrypt_func(&ct, SG_CIPHER_AES_CBC_PKCS5, key, 16, iv, 16,
					 plain, sizeof(plain), p->user_data), 0);
	assert_int_equal(signal_buffer_len(ct), 80);
	assert_memory_equal(signal_buffer_data(ct), want, 64);

	/* Decrypt: NIST's ciphertext (with its padding block) gives the plaintext. */
	assert_int_equal(p->decrypt_func(&pt, SG_CIPHER_AES_CBC_PKCS5, key, 16, iv, 16,
					 signal_buffer_data(ct), signal_buffer_len(ct),
					 p->user_data), 0);
	assert_int_equal(signal_buffer_len(pt), 64);
	assert_memory_equal(signal_buffer_data(pt), plain, 64);
	signal_buffer_free(pt);
	pt = NULL;

	/* A cut ciphertext, a bad key or IV size, an unknown mode are refused. */
	assert_true(p->decrypt_func(&pt, SG_CIPHER_AES_CBC_PKCS5, key, 16, iv, 16,
				    signal_buffer_data(ct), 79, p->user_data) < 0);
	assert_true(p->encrypt_func(&pt, SG_CIPHER_AES_CBC_PKCS5, key, 15, iv, 16,
				    plain, 16, p->user_data) < 0);
	assert_true(p->encrypt_func(&pt, SG_CIPHER_AES_CBC_PKCS5, key, 16, iv, 12,
				    plain, 16, p->user_data) < 0);
	assert_true(p->encrypt_func(&pt, 99, key, 16, iv, 16, plain, 16, p->user_data) < 0);
	assert_null(pt);
	signal_buffer_free(ct);
}

static void test_aes128_ctr_sp800_38a(void **state)
{
	static const char ctr_cipher[] =
		"874d6191b620e3261bef6864990db6ce" "9806f66b7970fdff8617187bb9fffdff"
		"5ae4df3edbd5d35e5b4f09020db03eab" "1e031dda2fbe03d1792170a0f3009cee";
	const signal_crypto_provider *p = sigprov_provider();
	uint8_t key[16], ctr[16], plain[64], want[64];
	signal_buffer *ct = NULL, *pt = NULL;

	(void)state;
	unhex(nist_key, key, sizeof(key));
	unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", ctr, sizeof(ctr));
	unhex(nist_plain, plain, sizeof(plain));
	unhex(ctr_cipher, want, sizeof(want));

	assert_int_equal(p->encrypt_func(&ct, SG_CIPHER_AES_CTR_NOPADDING, key, 16, ctr, 16,
					 plain, sizeof(plain), p->user_data), 0);
	assert_int_equal(signal_buffer_len(ct), 64);
	assert_memory_equal(signal_buffer_data(ct), want, 64);

	assert_int_equal(p->decrypt_func(&pt, SG_CIPHER_AES_CTR_NOPADDING, key, 16, ctr, 16,
					 want, sizeof(want), p->user_data), 0);
	assert_int_equal(signal_buffer_len(pt), 64);
	assert_memory_equal(signal_buffer_data(pt), plain, 64);
	signal_buffer_free(pt);
	pt = NULL;

	/* No padding in CTR: a partial block stays its own length. */
	assert_int_equal(p->decrypt_func(&pt, SG_CIPHER_AES_CTR_NOPADDING, key, 16, ctr, 16,
					 want, 23, p->user_data), 0);
	assert_int_equal(signal_buffer_len(pt), 23);
	assert_memory_equal(signal_buffer_data(pt), plain, 23);
	signal_buffer_free(pt);
	signal_buffer_free(ct);
}

static void test_cbc_pkcs5_round_trip_all_key_sizes(void **state)
{
	const signal_crypto_provider *p = sigprov_provider();
	const size_t key_sizes[] = { 16, 24, 32 };
	uint8_t key[32], iv[16], plain[70];
	size_t k, n;

	(void)state;
	lc_random(key, sizeof(key));
	lc_random(iv, sizeof(iv));
	lc_random(plain, sizeof(plain));
	for (k = 0; k < 3; k++) {
		for (n = 0; n <= sizeof(plain); n++) {
			signal_buffer *ct = NULL, *pt = NULL;
			int mode;

			assert_int_equal(p->encrypt_func(&ct, SG_CIPHER_AES_CBC_PKCS5, key,
							 key_sizes[k], iv, 16, plain, n,
							 p->user_data), 0);
			assert_int_equal(signal_buffer_len(ct), (n / 16 + 1) * 16);
			assert_int_equal(p->decrypt_func(&pt, SG_CIPHER_AES_CBC_PKCS5, key,
							 key_sizes[k], iv, 16,
							 signal_buffer_data(ct), signal_buffer_len(ct),
							 p->user_data), 0);
			assert_int_equal(signal_buffer_len(pt), n);
			if (n > 0)
				assert_memory_equal(signal_buffer_data(pt), plain, n);
			signal_buffer_free(ct);
			signal_buffer_free(pt);
			ct = pt = NULL;

			mode = SG_CIPHER_AES_CTR_NOPADDING;
			assert_int_equal(p->encrypt_func(&ct, mode, key, key_sizes[k], iv, 16,
							 plain, n, p->user_data), 0);
			assert_int_equal(signal_buffer_len(ct), n);
			assert_int_equal(p->decrypt_func(&pt, mode, key, key_sizes[k], iv, 16,
							 signal_buffer_data(ct), n,
							 p->user_data), 0);
			assert_int_equal(signal_buffer_len(pt), n);
			if (n > 0)
				assert_memory_equal(signal_buffer_data(pt), plain, n);
			signal_buffer_free(ct);
			signal_buffer_free(pt);
		}
	}
}

/* libsignal-protocol-c's tests/test_fingerprint.c vector (v1, 5200 rounds). */
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
static const char vector_safety[] =
	"300354477692869396892869876765458257569162576843440918079131";
static const char alice_scannable_v1[] =
	"080112220a201e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61"
	"df1a220a20d62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d";

static void test_libsignal_fingerprint_vector(void **state)
{
	signal_context *ctx = NULL;
	ec_public_key *alice = NULL, *bob = NULL;
	fingerprint_generator *gen = NULL;
	fingerprint *fa = NULL, *fb = NULL;
	signal_buffer *scan = NULL;

	(void)state;
	assert_int_equal(sigprov_context_new(&ctx), 0);
	assert_int_equal(curve_decode_point(&alice, alice_identity, 33, ctx), 0);
	assert_int_equal(curve_decode_point(&bob, bob_identity, 33, ctx), 0);
	assert_int_equal(fingerprint_generator_create(&gen, 5200, 1, ctx), 0);
	assert_int_equal(fingerprint_generator_create_for(gen, "+14152222222", alice,
							  "+14153333333", bob, &fa), 0);
	assert_int_equal(fingerprint_generator_create_for(gen, "+14153333333", bob,
							  "+14152222222", alice, &fb), 0);
	assert_string_equal(displayable_fingerprint_text(fingerprint_get_displayable(fa)),
			    vector_safety);
	assert_string_equal(displayable_fingerprint_text(fingerprint_get_displayable(fb)),
			    vector_safety);
	assert_int_equal(scannable_fingerprint_serialize(&scan, fingerprint_get_scannable(fa)), 0);
	assert_int_equal(signal_buffer_len(scan), 74);
	assert_hex(signal_buffer_data(scan), 74, alice_scannable_v1);

	signal_buffer_free(scan);
	SIGNAL_UNREF(fa);
	SIGNAL_UNREF(fb);
	fingerprint_generator_free(gen);
	SIGNAL_UNREF(alice);
	SIGNAL_UNREF(bob);
	sigprov_context_free(ctx);
	sigprov_context_free(NULL);
}

/* libsignal's own lock entry points: exported by the library, declared only
 * in its internal header. They call our callbacks. */
void signal_lock(signal_context *context);
void signal_unlock(signal_context *context);

static void test_lock_is_reentrant(void **state)
{
	signal_context *ctx = NULL;

	(void)state;
	assert_int_equal(sigprov_context_new(&ctx), 0);
	/* A non-recursive mutex would hang here; the alarm turns that into a
	 * failure instead of a stuck suite. */
	alarm(5);
	signal_lock(ctx);
	signal_lock(ctx);
	signal_unlock(ctx);
	signal_unlock(ctx);
	alarm(0);
	sigprov_context_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_sha256_rfc4231),
		cmocka_unit_test(test_sha512_fips180_twice),
		cmocka_unit_test(test_aes128_cbc_sp800_38a),
		cmocka_unit_test(test_aes128_ctr_sp800_38a),
		cmocka_unit_test(test_cbc_pkcs5_round_trip_all_key_sizes),
		cmocka_unit_test(test_libsignal_fingerprint_vector),
		cmocka_unit_test(test_lock_is_reentrant),
	};

	return cmocka_run_group_tests_name("signal_provider", tests, setup, NULL);
}
