/* protocol/sig.c: a signature verifies only for its own purpose, its own
 * bytes and its own key, in both schemes (Ed25519 and libsignal's XEdDSA),
 * and every signature covers "liaison/v1/" || purpose || 0x00 || bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <sodium.h>

#include "protocol/crypto.h"
#include "protocol/sig.h"
#include "protocol/signal_provider.h"

static const uint8_t msg[] = "version 7, chain 9f2c..., issued 2024-05-01T10:00:00Z";

static int setup(void **state)
{
	(void)state;
	return lc_init() == 0 ? 0 : -1;
}

static void test_purpose_names(void **state)
{
	static const char *const want[SIG_PURPOSE_COUNT] = {
		"signing-key", "directory", "directory-head", "directory-snapshot",
		"invite", "enrollment", "login", "group-state", "manifest",
	};
	int i;

	(void)state;
	for (i = 0; i < SIG_PURPOSE_COUNT; i++)
		assert_string_equal(sig_purpose_name((enum sig_purpose)i), want[i]);
	assert_null(sig_purpose_name(SIG_PURPOSE_COUNT));
	assert_null(sig_purpose_name((enum sig_purpose)-1));
}

static void test_ed25519_covers_domain_and_purpose(void **state)
{
	uint8_t pk[LC_ED_PK_BYTES], sk[LC_ED_SK_BYTES], sig[SIG_BYTES];
	static const char prefix[] = "liaison/v1/invite";
	uint8_t full[sizeof(prefix) + sizeof(msg)];

	(void)state;
	assert_int_equal(lc_ed25519_keypair(pk, sk), 0);
	assert_int_equal(sig_ed25519_sign(sig, SIG_INVITE, msg, sizeof(msg), sk), 0);
	/* The same signature checks with plain Ed25519 over the laid-out bytes
	 * (sizeof(prefix) includes its NUL: the 0x00 separator). */
	memcpy(full, prefix, sizeof(prefix));
	memcpy(full + sizeof(prefix), msg, sizeof(msg));
	assert_int_equal(crypto_sign_verify_detached(sig, full, sizeof(full), pk), 0);
	/* ...and not over the bare bytes. */
	assert_int_not_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg), pk), 0);
	lc_wipe(sk, sizeof(sk));
}

static void test_ed25519_purpose_separation(void **state)
{
	uint8_t pk[LC_ED_PK_BYTES], sk[LC_ED_SK_BYTES], other_pk[LC_ED_PK_BYTES];
	uint8_t other_sk[LC_ED_SK_BYTES];
	uint8_t sig[SIG_BYTES], bad[sizeof(msg)];
	int s, v;

	(void)state;
	assert_int_equal(lc_ed25519_keypair(pk, sk), 0);
	assert_int_equal(lc_ed25519_keypair(other_pk, other_sk), 0);
	for (s = 0; s < SIG_PURPOSE_COUNT; s++) {
		assert_int_equal(sig_ed25519_sign(sig, (enum sig_purpose)s, msg, sizeof(msg), sk), 0);
		for (v = 0; v < SIG_PURPOSE_COUNT; v++)
			assert_int_equal(sig_ed25519_verify(sig, (enum sig_purpose)v, msg,
							    sizeof(msg), pk),
					 s == v ? 0 : LIAISON_ERR_SIGNATURE);
		/* A flipped message byte, a flipped signature bit, a wrong key. */
		memcpy(bad, msg, sizeof(msg));
		bad[3] ^= 0x01;
		assert_int_equal(sig_ed25519_verify(sig, (enum sig_purpose)s, bad, sizeof(bad), pk),
				 LIAISON_ERR_SIGNATURE);
		assert_int_equal(sig_ed25519_verify(sig, (enum sig_purpose)s, msg,
						    sizeof(msg) - 1, pk),
				 LIAISON_ERR_SIGNATURE);
		assert_int_equal(sig_ed25519_verify(sig, (enum sig_purpose)s, msg, sizeof(msg),
						    other_pk),
				 LIAISON_ERR_SIGNATURE);
		sig[10] ^= 0x20;
		assert_int_equal(sig_ed25519_verify(sig, (enum sig_purpose)s, msg, sizeof(msg), pk),
				 LIAISON_ERR_SIGNATURE);
	}
	/* Unknown purposes neither sign nor verify. */
	assert_int_equal(sig_ed25519_sign(sig, SIG_PURPOSE_COUNT, msg, sizeof(msg), sk),
			 LIAISON_ERR_INVALID);
	assert_int_equal(sig_ed25519_verify(sig, SIG_PURPOSE_COUNT, msg, sizeof(msg), pk),
			 LIAISON_ERR_SIGNATURE);
	/* An empty message is signable. */
	assert_int_equal(sig_ed25519_sign(sig, SIG_LOGIN, NULL, 0, sk), 0);
	assert_int_equal(sig_ed25519_verify(sig, SIG_LOGIN, NULL, 0, pk), 0);
	lc_wipe(sk, sizeof(sk));
	lc_wipe(other_sk, sizeof(other_sk));
}

static void make_identity(signal_context *ctx, ec_key_pair **pair, uint8_t pub[33])
{
	signal_buffer *buf = NULL;

	assert_int_equal(curve_generate_key_pair(ctx, pair), 0);
	assert_int_equal(ec_public_key_serialize(&buf, ec_key_pair_get_public(*pair)), 0);
	assert_int_equal(signal_buffer_len(buf), SIG_IDENTITY_KEY_BYTES);
	memcpy(pub, signal_buffer_data(buf), SIG_IDENTITY_KEY_BYTES);
	signal_buffer_free(buf);
}

static void test_xeddsa_purpose_separation(void **state)
{
	signal_context *ctx = NULL;
	ec_key_pair *alice = NULL, *mallory = NULL;
	uint8_t alice_pub[33], mallory_pub[33], broken_pub[33];
	uint8_t sig[SIG_BYTES], bad[sizeof(msg)];
	int s, v;

	(void)state;
	assert_int_equal(sigprov_context_new(&ctx), 0);
	make_identity(ctx, &alice, alice_pub);
	make_identity(ctx, &mallory, mallory_pub);
	memcpy(broken_pub, alice_pub, sizeof(broken_pub));
	broken_pub[0] = 0x04;	/* not a Curve25519 key type */

	for (s = 0; s < SIG_PURPOSE_COUNT; s++) {
		assert_int_equal(sig_xeddsa_sign(sig, (enum sig_purpose)s, msg, sizeof(msg),
						 ec_key_pair_get_private(alice), ctx), 0);
		for (v = 0; v < SIG_PURPOSE_COUNT; v++)
			assert_int_equal(sig_xeddsa_verify(sig, (enum sig_purpose)v, msg,
							   sizeof(msg), alice_pub, ctx),
					 s == v ? 0 : LIAISON_ERR_SIGNATURE);
		memcpy(bad, msg, sizeof(msg));
		bad[sizeof(bad) - 2] ^= 0x40;
		assert_int_equal(sig_xeddsa_verify(sig, (enum sig_purpose)s, bad, sizeof(bad),
						   alice_pub, ctx),
				 LIAISON_ERR_SIGNATURE);
		assert_int_equal(sig_xeddsa_verify(sig, (enum sig_purpose)s, msg, sizeof(msg),
						   mallory_pub, ctx),
				 LIAISON_ERR_SIGNATURE);
		assert_int_equal(sig_xeddsa_verify(sig, (enum sig_purpose)s, msg, sizeof(msg),
						   broken_pub, ctx),
				 LIAISON_ERR_SIGNATURE);
		sig[40] ^= 0x01;
		assert_int_equal(sig_xeddsa_verify(sig, (enum sig_purpose)s, msg, sizeof(msg),
						   alice_pub, ctx),
				 LIAISON_ERR_SIGNATURE);
	}
	/* An all-zero signature is not valid (libsignal's 0 is not our 0). */
	memset(sig, 0, sizeof(sig));
	assert_int_equal(sig_xeddsa_verify(sig, SIG_ENROLLMENT, msg, sizeof(msg), alice_pub, ctx),
			 LIAISON_ERR_SIGNATURE);

	SIGNAL_UNREF(alice);
	SIGNAL_UNREF(mallory);
	sigprov_context_free(ctx);
}

static void test_message_limit(void **state)
{
	uint8_t pk[LC_ED_PK_BYTES], sk[LC_ED_SK_BYTES], sig[SIG_BYTES];
	static uint8_t big[SIG_MAX_MESSAGE + 1];

	(void)state;
	assert_int_equal(lc_ed25519_keypair(pk, sk), 0);
	assert_int_equal(sig_ed25519_sign(sig, SIG_MANIFEST, big, SIG_MAX_MESSAGE, sk), 0);
	assert_int_equal(sig_ed25519_verify(sig, SIG_MANIFEST, big, SIG_MAX_MESSAGE, pk), 0);
	assert_int_equal(sig_ed25519_sign(sig, SIG_MANIFEST, big, sizeof(big), sk),
			 LIAISON_ERR_TOO_BIG);
	assert_int_equal(sig_ed25519_verify(sig, SIG_MANIFEST, big, sizeof(big), pk),
			 LIAISON_ERR_SIGNATURE);
	lc_wipe(sk, sizeof(sk));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_purpose_names),
		cmocka_unit_test(test_ed25519_covers_domain_and_purpose),
		cmocka_unit_test(test_ed25519_purpose_separation),
		cmocka_unit_test(test_xeddsa_purpose_separation),
		cmocka_unit_test(test_message_limit),
	};

	return cmocka_run_group_tests_name("sig", tests, setup, NULL);
}
