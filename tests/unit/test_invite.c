/* Unit tests for protocol/invite.c: tokens survive copy and paste, any
 * altered character fails the checksum, any altered field fails the
 * signature, and only the root grants the secretariat role. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/crypto.h"
#include "protocol/invite.h"

#define NOW 1764459098000ULL
#define DAY (86400ULL * 1000)

struct keys {
	uint8_t root_pk[32], root_sk[64];
	uint8_t sec_pk[32], sec_sk[64];
	struct signing_cert cert;	/* sec_pk certified by the root */
};

static struct keys K;

static void base_invite(struct invite *inv, int kind, int role)
{
	memset(inv, 0, sizeof(*inv));
	inv->kind = (uint8_t)kind;
	strcpy(inv->url, "wss://relay.example.org:7443");
	memset(inv->pin, 0x50, sizeof(inv->pin));
	lc_random(inv->invite_id, sizeof(inv->invite_id));
	inv->expires = NOW + 7 * DAY;
	lc_random(inv->secret, sizeof(inv->secret));
	inv->role = (uint8_t)role;
	strcpy(inv->authority, "FR-PNF");
	strcpy(inv->country, "FR");
	strcpy(inv->authority_name, "Parquet national financier");
}

static void root_signed(struct invite *inv, int role)
{
	base_invite(inv, INVITE_MINTED, role);
	memcpy(inv->root_pk, K.root_pk, 32);
	memcpy(inv->signer_pk, K.root_pk, 32);
	assert_int_equal(invite_sign(inv, K.root_sk), 0);
}

static void cert_signed(struct invite *inv, int role)
{
	base_invite(inv, INVITE_MINTED, role);
	memcpy(inv->root_pk, K.root_pk, 32);
	memcpy(inv->signer_pk, K.sec_pk, 32);
	inv->cert = K.cert;
	assert_int_equal(invite_sign(inv, K.sec_sk), 0);
}

static void assert_invite_equal(const struct invite *a, const struct invite *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_string_equal(a->url, b->url);
	assert_memory_equal(a->pin, b->pin, 32);
	assert_memory_equal(a->invite_id, b->invite_id, 16);
	assert_true(a->expires == b->expires);
	assert_memory_equal(a->secret, b->secret, 32);
	assert_int_equal(a->role, b->role);
	assert_string_equal(a->authority, b->authority);
	assert_string_equal(a->country, b->country);
	assert_string_equal(a->authority_name, b->authority_name);
	if (a->kind == INVITE_MINTED) {
		assert_memory_equal(a->root_pk, b->root_pk, 32);
		assert_memory_equal(a->signer_pk, b->signer_pk, 32);
		assert_memory_equal(a->signature, b->signature, 64);
		if (memcmp(a->root_pk, a->signer_pk, 32) != 0)
			assert_memory_equal(&a->cert, &b->cert, sizeof(a->cert));
	}
}

/* encode, check the text, decode, compare */
static char *round_trip(const struct invite *inv, struct invite *back)
{
	char *token = NULL;
	size_t i;

	assert_int_equal(invite_encode(inv, &token), 0);
	assert_non_null(token);
	assert_true(strncmp(token, INVITE_PREFIX, strlen(INVITE_PREFIX)) == 0);
	assert_true(strlen(token) <= INVITE_MAX_TOKEN);
	for (i = strlen(INVITE_PREFIX); token[i] != '\0'; i++)
		assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz234567", token[i]));
	assert_int_equal(invite_decode(token, strlen(token), back), 0);
	assert_invite_equal(inv, back);
	return token;
}

static void test_bootstrap_round_trip(void **state)
{
	struct invite inv, back;
	char *token;

	(void)state;
	base_invite(&inv, INVITE_BOOTSTRAP, ROLE_SECRETARIAT);
	token = round_trip(&inv, &back);
	assert_int_equal(invite_verify(&back, NOW), 0);
	assert_int_equal(invite_verify(&back, NOW + 8 * DAY), LIAISON_ERR_EXPIRED);
	free(token);
	/* the relay's invite is only for the first secretariat */
	base_invite(&inv, INVITE_BOOTSTRAP, ROLE_MEMBER);
	token = NULL;
	assert_int_not_equal(invite_encode(&inv, &token), 0);
	assert_null(token);
}

static void test_minted_round_trips(void **state)
{
	struct invite inv, back;
	char *token;

	(void)state;
	root_signed(&inv, ROLE_MEMBER);
	token = round_trip(&inv, &back);
	assert_int_equal(invite_verify(&back, NOW), 0);
	free(token);

	root_signed(&inv, ROLE_SECRETARIAT);
	token = round_trip(&inv, &back);
	assert_int_equal(invite_verify(&back, NOW), 0);
	free(token);

	cert_signed(&inv, ROLE_MEMBER);
	token = round_trip(&inv, &back);
	assert_int_equal(invite_verify(&back, NOW), 0);
	free(token);
}

static void test_copy_and_paste_tolerated(void **state)
{
	struct invite inv, back;
	char *token, *mangled;
	size_t i, o = 0, n;

	(void)state;
	cert_signed(&inv, ROLE_MEMBER);
	token = round_trip(&inv, &back);
	n = strlen(token);
	mangled = malloc(3 * n + 16);
	assert_non_null(mangled);
	/* wrapped at 40 columns by a mail client, indented, upper-cased, with a
	 * trailing CRLF and spaces a person added */
	memcpy(mangled + o, "  \t\n", 4);
	o += 4;
	for (i = 0; i < n; i++) {
		if (i > 0 && i % 40 == 0) {
			memcpy(mangled + o, "\r\n  ", 4);
			o += 4;
		}
		if (i % 13 == 5)
			mangled[o++] = ' ';
		mangled[o++] = (char)(token[i] >= 'a' && token[i] <= 'z' ? token[i] - 32 : token[i]);
	}
	memcpy(mangled + o, " \r\n", 3);
	o += 3;
	memset(&back, 0, sizeof(back));
	assert_int_equal(invite_decode(mangled, o, &back), 0);
	assert_invite_equal(&inv, &back);
	assert_int_equal(invite_verify(&back, NOW), 0);
	free(mangled);
	free(token);
}

static void test_altered_text_fails_checksum(void **state)
{
	struct invite inv, back;
	char *token;
	size_t n, i, checked = 0;

	(void)state;
	root_signed(&inv, ROLE_MEMBER);
	token = round_trip(&inv, &back);
	n = strlen(token);
	/* one flipped character anywhere after the prefix */
	for (i = strlen(INVITE_PREFIX); i < n; i += 7) {
		char was = token[i];

		token[i] = was == 'a' ? 'b' : 'a';
		if (invite_decode(token, n, &back) != LIAISON_ERR_CHECKSUM)
			fail_msg("flipping character %zu of %zu was not caught by the checksum", i, n);
		token[i] = was;
		checked++;
	}
	assert_true(checked > 50);
	/* a character outside the alphabet, and a cut token */
	token[n / 2] = '1';
	assert_int_equal(invite_decode(token, n, &back), LIAISON_ERR_CHECKSUM);
	token[n / 2] = 'a';
	assert_int_equal(invite_decode(token, n - 8, &back), LIAISON_ERR_CHECKSUM);
	assert_int_equal(invite_decode(token, n - 1, &back), LIAISON_ERR_CHECKSUM);
	/* no prefix */
	assert_int_equal(invite_decode(token + 1, n - 1, &back), LIAISON_ERR_INVALID);
	assert_int_equal(invite_decode("", 0, &back), LIAISON_ERR_INVALID);
	assert_int_equal(invite_decode(token, INVITE_MAX_TOKEN * 4 + 1, &back), LIAISON_ERR_TOO_BIG);
	free(token);
}

static void test_modified_field_fails_signature(void **state)
{
	struct invite inv, back;
	char *token;

	(void)state;
	cert_signed(&inv, ROLE_MEMBER);

	/* re-encoded with a valid checksum but a changed field */
	back = inv;
	strcpy(back.authority, "FR-OTHER");
	assert_int_equal(invite_encode(&back, &token), 0);
	assert_int_equal(invite_decode(token, strlen(token), &back), 0);
	assert_int_equal(invite_verify(&back, NOW), LIAISON_ERR_SIGNATURE);
	free(token);

	back = inv;
	back.expires += DAY;
	assert_int_equal(invite_verify(&back, NOW), LIAISON_ERR_SIGNATURE);
	back = inv;
	back.pin[0] ^= 1;
	assert_int_equal(invite_verify(&back, NOW), LIAISON_ERR_SIGNATURE);
	back = inv;
	strcpy(back.url, "wss://evil.example:443");
	assert_int_equal(invite_verify(&back, NOW), LIAISON_ERR_SIGNATURE);
	/* S is covered through SHA-256(redeem) */
	back = inv;
	back.secret[0] ^= 1;
	assert_int_equal(invite_verify(&back, NOW), LIAISON_ERR_SIGNATURE);
	back = inv;
	back.signature[10] ^= 1;
	assert_int_equal(invite_verify(&back, NOW), LIAISON_ERR_SIGNATURE);
	/* a certificate for another key than the signer's */
	back = inv;
	back.cert.key[0] ^= 1;
	assert_int_equal(invite_verify(&back, NOW), LIAISON_ERR_SIGNATURE);
	/* another root: the certificate does not verify under it */
	back = inv;
	back.root_pk[0] ^= 1;
	assert_int_equal(invite_verify(&back, NOW), LIAISON_ERR_SIGNATURE);
	assert_int_equal(invite_verify(&inv, NOW), 0);
}

static void test_root_signed_versus_certificate_signed(void **state)
{
	struct invite inv, back;
	uint8_t other_pk[32], other_sk[64];

	(void)state;
	assert_int_equal(lc_ed25519_keypair(other_pk, other_sk), 0);
	/* a signer claiming to be the root must be the root */
	base_invite(&inv, INVITE_MINTED, ROLE_MEMBER);
	memcpy(inv.root_pk, other_pk, 32);
	memcpy(inv.signer_pk, other_pk, 32);
	assert_int_equal(invite_sign(&inv, other_sk), 0);
	assert_int_equal(invite_verify(&inv, NOW), 0);	/* self-consistent ... */
	memcpy(inv.root_pk, K.root_pk, 32);		/* ... but not under our root */
	assert_int_not_equal(invite_verify(&inv, NOW), 0);

	/* an uncertified key cannot sign, even with a certificate of another */
	base_invite(&inv, INVITE_MINTED, ROLE_MEMBER);
	memcpy(inv.root_pk, K.root_pk, 32);
	memcpy(inv.signer_pk, other_pk, 32);
	inv.cert = K.cert;
	assert_int_equal(invite_sign(&inv, other_sk), 0);
	assert_int_equal(invite_verify(&inv, NOW), LIAISON_ERR_SIGNATURE);

	/* invite_sign refuses a key other than the named signer */
	cert_signed(&back, ROLE_MEMBER);
	assert_int_equal(invite_sign(&back, other_sk), LIAISON_ERR_INVALID);
	assert_int_equal(invite_verify(&back, NOW), 0);
}

static void test_secretariat_needs_root(void **state)
{
	struct invite inv, back;
	char *token;

	(void)state;
	cert_signed(&inv, ROLE_SECRETARIAT);
	token = round_trip(&inv, &back);
	assert_int_equal(invite_verify(&back, NOW), LIAISON_ERR_DENIED);
	free(token);
	root_signed(&inv, ROLE_SECRETARIAT);
	assert_int_equal(invite_verify(&inv, NOW), 0);
}

static void test_expiry(void **state)
{
	struct invite inv;

	(void)state;
	root_signed(&inv, ROLE_MEMBER);
	assert_int_equal(invite_verify(&inv, inv.expires), 0);
	assert_int_equal(invite_verify(&inv, inv.expires + 1), LIAISON_ERR_EXPIRED);
	/* the signer's certificate expires before the invite does */
	cert_signed(&inv, ROLE_MEMBER);
	assert_int_equal(invite_verify(&inv, K.cert.not_after + 1), LIAISON_ERR_EXPIRED);
}

static void test_derive(void **state)
{
	uint8_t s[32], r1[32], b1[32], r2[32], b2[32];

	(void)state;
	memset(s, 9, sizeof(s));
	assert_int_equal(invite_derive(s, r1, b1), 0);
	assert_int_equal(invite_derive(s, r2, b2), 0);
	assert_memory_equal(r1, r2, 32);
	assert_memory_equal(b1, b2, 32);
	assert_memory_not_equal(r1, b1, 32);
	s[0] ^= 1;
	assert_int_equal(invite_derive(s, r2, b2), 0);
	assert_memory_not_equal(r1, r2, 32);
}

static void test_field_rules(void **state)
{
	struct invite inv;
	char *token = NULL;

	(void)state;
	base_invite(&inv, INVITE_BOOTSTRAP, ROLE_SECRETARIAT);
	strcpy(inv.url, "https://relay.example.org");
	assert_int_not_equal(invite_encode(&inv, &token), 0);
	base_invite(&inv, INVITE_BOOTSTRAP, ROLE_SECRETARIAT);
	strcpy(inv.country, "fr");
	assert_int_not_equal(invite_encode(&inv, &token), 0);
	base_invite(&inv, INVITE_BOOTSTRAP, ROLE_SECRETARIAT);
	inv.authority[0] = '\0';
	assert_int_not_equal(invite_encode(&inv, &token), 0);
	base_invite(&inv, INVITE_BOOTSTRAP, ROLE_SECRETARIAT);
	inv.country[0] = '\0';
	inv.authority_name[0] = '\0';
	assert_int_equal(invite_encode(&inv, &token), 0);
	free(token);
}

static int setup(void **state)
{
	(void)state;
	if (lc_init() != 0 || lc_ed25519_keypair(K.root_pk, K.root_sk) != 0 ||
	    lc_ed25519_keypair(K.sec_pk, K.sec_sk) != 0)
		return -1;
	memcpy(K.cert.key, K.sec_pk, 32);
	memset(K.cert.account, 0x61, sizeof(K.cert.account));
	K.cert.not_after = NOW + 30 * DAY;
	return layout_cert_sign(&K.cert, K.root_sk) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bootstrap_round_trip),
		cmocka_unit_test(test_minted_round_trips),
		cmocka_unit_test(test_copy_and_paste_tolerated),
		cmocka_unit_test(test_altered_text_fails_checksum),
		cmocka_unit_test(test_modified_field_fails_signature),
		cmocka_unit_test(test_root_signed_versus_certificate_signed),
		cmocka_unit_test(test_secretariat_needs_root),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_derive),
		cmocka_unit_test(test_field_rules),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
