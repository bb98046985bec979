/* Unit tests for protocol/layout.c: the bytes we sign have one spelling,
 * decoders refuse what does not fit the limits, certificates verify only
 * under their root and only until they expire. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/crypto.h"
#include "protocol/layout.h"

static void sample_enrollment(struct enrollment *e, int role)
{
	memset(e, 0, sizeof(*e));
	memset(e->account, 0xa1, sizeof(e->account));
	strcpy(e->authority, "FR-PNF");
	e->role = (uint8_t)role;
	strcpy(e->name, "Élise Martin");
	strcpy(e->title, "Magistrate, 日本 desk");
	memset(e->invite_id, 0xb2, sizeof(e->invite_id));
	e->invite_expires = 1764459098000ULL;
	e->identity_key[0] = 0x05;
	memset(e->identity_key + 1, 0xc3, 32);
	if (role == ROLE_SECRETARIAT) {
		e->has_signing_key = 1;
		memset(e->signing_key, 0xd4, sizeof(e->signing_key));
	}
}

static void assert_enrollment_equal(const struct enrollment *a, const struct enrollment *b)
{
	assert_memory_equal(a->account, b->account, sizeof(a->account));
	assert_string_equal(a->authority, b->authority);
	assert_int_equal(a->role, b->role);
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->title, b->title);
	assert_memory_equal(a->invite_id, b->invite_id, sizeof(a->invite_id));
	assert_true(a->invite_expires == b->invite_expires);
	assert_memory_equal(a->identity_key, b->identity_key, sizeof(a->identity_key));
	assert_int_equal(a->has_signing_key, b->has_signing_key);
	if (a->has_signing_key)
		assert_memory_equal(a->signing_key, b->signing_key, sizeof(a->signing_key));
}

static void test_enrollment_round_trip(void **state)
{
	struct enrollment e, back;
	struct wb w;
	int roles[2] = { ROLE_MEMBER, ROLE_SECRETARIAT }, i;

	(void)state;
	for (i = 0; i < 2; i++) {
		sample_enrollment(&e, roles[i]);
		assert_int_equal(layout_enrollment_encode(&e, &w), 0);
		assert_int_equal(w.data[0], LAYOUT_VERSION);
		assert_int_equal(layout_enrollment_decode(w.data, w.len, &back), 0);
		assert_enrollment_equal(&e, &back);
		wb_free(&w);
	}
}

static void test_enrollment_encoding_is_stable(void **state)
{
	struct enrollment e;
	struct wb w;
	/* version, account, authority "FR-PNF", role ... : the first bytes */
	static const uint8_t head[] = { 0x01, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1,
					0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1,
					0, 0, 0, 6, 'F', 'R', '-', 'P', 'N', 'F', 0x01 };

	(void)state;
	sample_enrollment(&e, ROLE_MEMBER);
	assert_int_equal(layout_enrollment_encode(&e, &w), 0);
	assert_memory_equal(w.data, head, sizeof(head));
	/* 1 + 16 + (4+6) + 1 + (4+13) + (4+22) + 16 + 8 + 33 + 1 */
	assert_int_equal(w.len, 1 + 16 + 10 + 1 + 4 + strlen(e.name) + 4 + strlen(e.title) +
				16 + 8 + 33 + 1);
	wb_free(&w);
}

static void test_enrollment_limits(void **state)
{
	struct enrollment e, back;
	struct wb w;

	(void)state;
	/* a name of exactly the limit passes, one more byte does not */
	sample_enrollment(&e, ROLE_MEMBER);
	memset(e.name, 'n', LAYOUT_MAX_NAME);
	e.name[LAYOUT_MAX_NAME] = '\0';
	assert_int_equal(layout_enrollment_encode(&e, &w), 0);
	assert_int_equal(layout_enrollment_decode(w.data, w.len, &back), 0);
	wb_free(&w);

	sample_enrollment(&e, ROLE_MEMBER);
	e.name[0] = '\0';
	assert_int_not_equal(layout_enrollment_encode(&e, &w), 0);
	sample_enrollment(&e, ROLE_MEMBER);
	e.authority[0] = '\0';
	assert_int_not_equal(layout_enrollment_encode(&e, &w), 0);
	sample_enrollment(&e, ROLE_MEMBER);
	e.role = 3;
	assert_int_not_equal(layout_enrollment_encode(&e, &w), 0);
	/* a secretariat must carry its signing key, a member must not */
	sample_enrollment(&e, ROLE_SECRETARIAT);
	e.has_signing_key = 0;
	assert_int_not_equal(layout_enrollment_encode(&e, &w), 0);
	sample_enrollment(&e, ROLE_MEMBER);
	e.has_signing_key = 1;
	assert_int_not_equal(layout_enrollment_encode(&e, &w), 0);
	sample_enrollment(&e, ROLE_MEMBER);
	e.identity_key[0] = 0x06;
	assert_int_not_equal(layout_enrollment_encode(&e, &w), 0);
}

static void test_enrollment_decode_refusals(void **state)
{
	struct enrollment e, back;
	struct wb w;
	uint8_t *copy;
	size_t i;

	(void)state;
	sample_enrollment(&e, ROLE_SECRETARIAT);
	assert_int_equal(layout_enrollment_encode(&e, &w), 0);
	copy = malloc(w.len + 1);
	assert_non_null(copy);
	memcpy(copy, w.data, w.len);
	/* every truncation is refused */
	for (i = 0; i < w.len; i++)
		assert_int_not_equal(layout_enrollment_decode(copy, i, &back), 0);
	/* a trailing byte is refused */
	copy[w.len] = 0;
	assert_int_equal(layout_enrollment_decode(copy, w.len + 1, &back), LIAISON_ERR_INVALID);
	/* another version */
	copy[0] = 2;
	assert_int_equal(layout_enrollment_decode(copy, w.len, &back), LIAISON_ERR_UNSUPPORTED);
	copy[0] = 1;
	/* an authority length past the limit */
	copy[17] = 0;
	copy[18] = 0;
	copy[19] = 1;
	copy[20] = 0;
	assert_int_not_equal(layout_enrollment_decode(copy, w.len, &back), 0);
	/* too big overall */
	assert_int_equal(layout_enrollment_decode(copy, LAYOUT_MAX_ENROLLMENT + 1, &back),
			 LIAISON_ERR_TOO_BIG);
	free(copy);
	wb_free(&w);
}

static void test_login_tuple(void **state)
{
	uint8_t out[LAYOUT_LOGIN_BYTES], sn[32], cn[32], acct[16], pin[32];

	(void)state;
	memset(sn, 1, sizeof(sn));
	memset(cn, 2, sizeof(cn));
	memset(acct, 3, sizeof(acct));
	memset(pin, 4, sizeof(pin));
	layout_login(out, sn, cn, acct, pin, 0x0102030405060708ULL);
	assert_int_equal(sizeof(out), 121);
	assert_int_equal(out[0], LAYOUT_VERSION);
	assert_memory_equal(out + 1, sn, 32);
	assert_memory_equal(out + 33, cn, 32);
	assert_memory_equal(out + 65, acct, 16);
	assert_memory_equal(out + 81, pin, 32);
	assert_int_equal(out[113], 0x01);
	assert_int_equal(out[120], 0x08);
}

static void test_roles(void **state)
{
	int role = 0;

	(void)state;
	assert_string_equal(role_name(ROLE_MEMBER), "member");
	assert_string_equal(role_name(ROLE_SECRETARIAT), "secretariat");
	assert_null(role_name(0));
	assert_null(role_name(3));
	assert_int_equal(role_parse("member", &role), 0);
	assert_int_equal(role, ROLE_MEMBER);
	assert_int_equal(role_parse("secretariat", &role), 0);
	assert_int_equal(role, ROLE_SECRETARIAT);
	assert_int_not_equal(role_parse("Secretariat", &role), 0);
	assert_int_not_equal(role_parse("admin", &role), 0);
	assert_int_not_equal(role_parse("", &role), 0);
	assert_int_equal(role, ROLE_SECRETARIAT);
}

static void test_certificate(void **state)
{
	uint8_t root_pk[32], root_sk[64], other_pk[32], other_sk[64];
	struct signing_cert c;

	(void)state;
	assert_int_equal(lc_ed25519_keypair(root_pk, root_sk), 0);
	assert_int_equal(lc_ed25519_keypair(other_pk, other_sk), 0);
	memset(&c, 0, sizeof(c));
	memset(c.key, 0x42, sizeof(c.key));
	memset(c.account, 0x43, sizeof(c.account));
	c.not_after = 2000000000000ULL;
	assert_int_equal(layout_cert_sign(&c, root_sk), 0);
	assert_int_equal(layout_cert_verify(&c, root_pk, 1900000000000ULL), 0);
	assert_int_equal(layout_cert_verify(&c, root_pk, 0), 0);
	/* past not_after */
	assert_int_equal(layout_cert_verify(&c, root_pk, 2000000000001ULL), LIAISON_ERR_EXPIRED);
	/* another root */
	assert_int_equal(layout_cert_verify(&c, other_pk, 1900000000000ULL), LIAISON_ERR_SIGNATURE);
	/* any changed field */
	c.not_after++;
	assert_int_equal(layout_cert_verify(&c, root_pk, 0), LIAISON_ERR_SIGNATURE);
	c.not_after--;
	c.account[3] ^= 1;
	assert_int_equal(layout_cert_verify(&c, root_pk, 0), LIAISON_ERR_SIGNATURE);
	c.account[3] ^= 1;
	c.key[0] ^= 1;
	assert_int_equal(layout_cert_verify(&c, root_pk, 0), LIAISON_ERR_SIGNATURE);
	c.key[0] ^= 1;
	assert_int_equal(layout_cert_verify(&c, root_pk, 0), 0);
}

static void test_key_id(void **state)
{
	uint8_t pk[32], id[16], h[32];

	(void)state;
	memset(pk, 7, sizeof(pk));
	assert_int_equal(layout_key_id(pk, id), 0);
	assert_int_equal(lc_sha256(pk, sizeof(pk), h), 0);
	assert_memory_equal(id, h, 16);
}

static int setup(void **state)
{
	(void)state;
	return lc_init() == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enrollment_round_trip),
		cmocka_unit_test(test_enrollment_encoding_is_stable),
		cmocka_unit_test(test_enrollment_limits),
		cmocka_unit_test(test_enrollment_decode_refusals),
		cmocka_unit_test(test_login_tuple),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_certificate),
		cmocka_unit_test(test_key_id),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
