/* directory/chain.c: the order of the log (versions, previous hashes,
 * issue times), who may sign which change (root, active certified
 * secretariat, nobody else), and each kind's own rules. A refused change
 * leaves the state as it was. */
#include "test_directory_fx.h"

static void test_chain_order(void **state)
{
	struct person sec;
	struct dir_state *st = genesis(&sec);
	struct dir_change c;
	struct wb a, b;

	(void)state;
	/* Two changes signed for the same version: the second is off the chain. */
	memset(&c, 0, sizeof(c));
	c.kind = DIR_ADD_AUTHORITY;
	c.issued = T0 + 1;
	authority(&c.authority, "FR-PNF", "FR", "PNF", DIR_TYPE_PROSECUTION);
	assert_int_equal(dir_change_sign(st, &c, sec.spk, sec.ssk, &a), 0);
	authority(&c.authority, "DE-BKA", "DE", "BKA", DIR_TYPE_POLICE);
	assert_int_equal(dir_change_sign(st, &c, sec.spk, sec.ssk, &b), 0);
	assert_int_equal(dir_apply(st, a.data, a.len, T0 + 1), 0);
	assert_int_equal(dir_apply(st, b.data, b.len, T0 + 1), LIAISON_ERR_CHAIN);
	/* Replayed: refused too. */
	assert_int_equal(dir_apply(st, a.data, a.len, T0 + 1), LIAISON_ERR_CHAIN);
	wb_free(&a);
	wb_free(&b);
	/* A version skipped, and the right version off the previous hash. */
	memset(&c, 0, sizeof(c));
	c.kind = DIR_ADD_AUTHORITY;
	c.issued = T0 + 2;
	assert_int_equal(layout_key_id(sec.spk, c.signer_id), 0);
	authority(&c.authority, "IT-DNA", "IT", "DNA", DIR_TYPE_PROSECUTION);
	c.version = st->version + 2;
	memcpy(c.prev_hash, st->change_hash, 32);
	assert_int_equal(craft_apply(st, &c, SIG_DIRECTORY, sec.spk, sec.ssk, T0 + 2),
			 LIAISON_ERR_CHAIN);
	c.version = st->version + 1;
	memcpy(c.prev_hash, st->chain_hash, 32);	/* chain hash, not the change hash */
	assert_int_equal(craft_apply(st, &c, SIG_DIRECTORY, sec.spk, sec.ssk, T0 + 2),
			 LIAISON_ERR_CHAIN);
	memcpy(c.prev_hash, st->change_hash, 32);
	/* The signer named inside must be the key that verified. */
	memset(c.signer_id, 0x42, 16);
	assert_int_equal(craft_apply(st, &c, SIG_DIRECTORY, sec.spk, sec.ssk, T0 + 2),
			 LIAISON_ERR_SIGNER);
	assert_int_equal(layout_key_id(sec.spk, c.signer_id), 0);
	assert_int_equal(craft_apply(st, &c, SIG_DIRECTORY, sec.spk, sec.ssk, T0 + 2), 0);
	assert_int_equal(st->version, 3);
	dir_state_free(st);
	person_free(&sec);
}

static void test_chain_times(void **state)
{
	struct person sec, m1;
	struct dir_state *st = genesis(&sec);
	struct dir_change c;

	(void)state;
	assert_int_equal(add_authority(st, &sec, "FR-PNF", T0 + 10 * SEC_MS), 0);
	/* Backdated: before the previous change. */
	memset(&c, 0, sizeof(c));
	c.kind = DIR_ADD_AUTHORITY;
	c.issued = T0 + 9 * SEC_MS;
	authority(&c.authority, "DE-BKA", "DE", "BKA", DIR_TYPE_POLICE);
	assert_int_equal(sign_apply(st, &c, sec.spk, sec.ssk, T0 + 20 * SEC_MS), LIAISON_ERR_CLOCK);
	/* Further ahead than the skew (300 s); exactly at it is fine. */
	c.issued = T0 + 20 * SEC_MS + 301 * SEC_MS;
	assert_int_equal(sign_apply(st, &c, sec.spk, sec.ssk, T0 + 20 * SEC_MS), LIAISON_ERR_CLOCK);
	c.issued = T0 + 20 * SEC_MS + 300 * SEC_MS;
	assert_int_equal(sign_apply(st, &c, sec.spk, sec.ssk, T0 + 20 * SEC_MS), 0);
	/* An approval after the invite's expiry (its approval deadline). */
	person_make(&m1, "FR-PNF", ROLE_MEMBER, "Élise Martin", 0);
	assert_int_equal(add_contact(st, sec.spk, sec.ssk, &m1, T0 + 8 * DAY), LIAISON_ERR_EXPIRED);
	assert_int_equal(add_contact(st, sec.spk, sec.ssk, &m1, T0 + DAY), 0);
	dir_state_free(st);
	person_free(&m1);
	person_free(&sec);
}

static void test_chain_signers(void **state)
{
	struct person sec, sec2, m1, m2;
	struct dir_state *st = genesis(&sec);
	uint8_t rnd_pk[32], rnd_sk[64];
	struct signing_cert renewed;

	(void)state;
	assert_int_equal(lc_ed25519_keypair(rnd_pk, rnd_sk), 0);
	/* An uncertified key. */
	{
		struct person fake = sec;

		memcpy(fake.spk, rnd_pk, 32);
		memcpy(fake.ssk, rnd_sk, 64);
		assert_int_equal(add_authority(st, &fake, "FR-PNF", T0 + 1), LIAISON_ERR_SIGNER);
	}
	/* The root signs only the root's kinds. */
	{
		struct person rootp = sec;

		memcpy(rootp.spk, root_pk, 32);
		memcpy(rootp.ssk, root_sk, 64);
		assert_int_equal(add_authority(st, &rootp, "FR-PNF", T0 + 1), LIAISON_ERR_SIGNER);
	}
	assert_int_equal(add_authority(st, &sec, "FR-PNF", T0 + 1), 0);
	/* A secretariat contact needs the root; a secretariat key cannot add one. */
	person_make(&sec2, "GLOBE-SEC", ROLE_SECRETARIAT, "Bo Second", T0 + 2 * DAY);
	assert_int_equal(add_contact(st, sec.spk, sec.ssk, &sec2, T0 + 2), LIAISON_ERR_SIGNER);
	assert_int_equal(add_contact(st, root_pk, root_sk, &sec2, T0 + 2), 0);
	/* A member (no signing key; its identity key is no directory key). */
	person_make(&m1, "FR-PNF", ROLE_MEMBER, "Élise Martin", 0);
	assert_int_equal(add_contact(st, rnd_pk, rnd_sk, &m1, T0 + 3), LIAISON_ERR_SIGNER);
	assert_int_equal(add_contact(st, sec2.spk, sec2.ssk, &m1, T0 + 3), 0);
	/* Certificates come from the root only. */
	renewed = sec2.cert;
	renewed.not_after = T0 + 30 * DAY;
	assert_int_equal(layout_cert_sign(&renewed, root_sk), 0);
	assert_int_equal(by_cert(st, DIR_CERTIFY, sec.spk, sec.ssk, &renewed, T0 + 4),
			 LIAISON_ERR_SIGNER);
	/* sec2's certificate lapses at T0 + 2 days: a change issued after it is
	 * refused until the root renews it. */
	assert_int_equal(add_authority(st, &sec2, "DE-BKA", T0 + 3 * DAY), LIAISON_ERR_SIGNER);
	assert_int_equal(by_cert(st, DIR_CERTIFY, root_pk, root_sk, &renewed, T0 + 3 * DAY), 0);
	assert_int_equal(add_authority(st, &sec2, "DE-BKA", T0 + 3 * DAY), 0);
	/* Revoking a secretariat's role is the root's; afterwards its key signs
	 * nothing. */
	assert_int_equal(by_account(st, DIR_REVOKE_SECRETARIAT, sec.spk, sec.ssk, sec2.account,
				    T0 + 3 * DAY), LIAISON_ERR_SIGNER);
	assert_int_equal(by_account(st, DIR_REVOKE_SECRETARIAT, root_pk, root_sk, sec2.account,
				    T0 + 3 * DAY), 0);
	assert_int_equal(dir_find_contact(st, sec2.account)->role, ROLE_MEMBER);
	assert_int_equal(add_authority(st, &sec2, "IT-DNA", T0 + 3 * DAY), LIAISON_ERR_SIGNER);
	/* Granted again (root only), it signs again. */
	assert_int_equal(by_cert(st, DIR_GRANT_SECRETARIAT, sec.spk, sec.ssk, &renewed, T0 + 3 * DAY),
			 LIAISON_ERR_SIGNER);
	assert_int_equal(by_cert(st, DIR_GRANT_SECRETARIAT, root_pk, root_sk, &renewed, T0 + 3 * DAY),
			 0);
	assert_int_equal(add_authority(st, &sec2, "IT-DNA", T0 + 3 * DAY), 0);
	/* A revoked secretariat signs nothing; revoking one is the root's. */
	assert_int_equal(by_account(st, DIR_REVOKE_CONTACT, sec.spk, sec.ssk, sec2.account,
				    T0 + 3 * DAY), LIAISON_ERR_SIGNER);
	assert_int_equal(by_account(st, DIR_REVOKE_CONTACT, root_pk, root_sk, sec2.account,
				    T0 + 3 * DAY), 0);
	assert_int_equal(add_authority(st, &sec2, "ES-FGE", T0 + 3 * DAY), LIAISON_ERR_SIGNER);
	/* A member is revoked by any active secretariat. */
	person_make(&m2, "FR-PNF", ROLE_MEMBER, "Jean Dupont", 0);
	assert_int_equal(add_contact(st, sec.spk, sec.ssk, &m2, T0 + 3 * DAY), 0);
	assert_int_equal(by_account(st, DIR_REVOKE_CONTACT, sec.spk, sec.ssk, m2.account,
				    T0 + 3 * DAY), 0);
	dir_state_free(st);
	person_free(&m1);
	person_free(&m2);
	person_free(&sec2);
	person_free(&sec);
}

static void test_kind_rules(void **state)
{
	struct person sec, m1, m1_again, stranger;
	struct dir_state *st = genesis(&sec), *before;
	struct dir_change c;
	uint8_t nobody[16];

	(void)state;
	assert_int_equal(add_authority(st, &sec, "FR-PNF", T0 + 1), 0);
	assert_int_equal(add_authority(st, &sec, "FR-PNF", T0 + 2), LIAISON_ERR_EXISTS);
	memset(&c, 0, sizeof(c));
	c.kind = DIR_UPDATE_AUTHORITY;
	c.issued = T0 + 2;
	authority(&c.authority, "XX-NONE", "FR", "Nobody", DIR_TYPE_OTHER);
	assert_int_equal(sign_apply(st, &c, sec.spk, sec.ssk, T0 + 2), LIAISON_ERR_NOT_FOUND);
	authority(&c.authority, "FR-PNF", "FR", "Parquet national financier (PNF)",
		  DIR_TYPE_PROSECUTION);
	assert_int_equal(sign_apply(st, &c, sec.spk, sec.ssk, T0 + 2), 0);
	assert_string_equal(dir_find_authority(st, "FR-PNF")->name,
			    "Parquet national financier (PNF)");
	/* A contact of an authority that does not exist. */
	person_make(&stranger, "XX-NONE", ROLE_MEMBER, "Nobody", 0);
	assert_int_equal(add_contact(st, sec.spk, sec.ssk, &stranger, T0 + 3), LIAISON_ERR_NOT_FOUND);
	person_make(&m1, "FR-PNF", ROLE_MEMBER, "Élise Martin", 0);
	assert_int_equal(add_contact(st, sec.spk, sec.ssk, &m1, T0 + 3), 0);
	assert_int_equal(add_contact(st, sec.spk, sec.ssk, &m1, T0 + 4), LIAISON_ERR_EXISTS);
	/* The same invite cannot make a second account. */
	m1_again = m1;
	m1_again.id = NULL;
	{
		struct enrollment e;
		struct wb w;

		assert_int_equal(layout_enrollment_decode(m1.enr, m1.enr_len, &e), 0);
		e.account[0] ^= 1;
		assert_int_equal(layout_enrollment_encode(&e, &w), 0);
		memcpy(m1_again.enr, w.data, w.len);
		wb_free(&w);
		assert_int_equal(sig_xeddsa_sign(m1_again.enr_sig, SIG_ENROLLMENT, m1_again.enr,
						 m1_again.enr_len, ec_key_pair_get_private(m1.id),
						 sctx), 0);
	}
	assert_int_equal(add_contact(st, sec.spk, sec.ssk, &m1_again, T0 + 4), LIAISON_ERR_EXISTS);
	lc_random(nobody, 16);
	assert_int_equal(by_account(st, DIR_REVOKE_CONTACT, sec.spk, sec.ssk, nobody, T0 + 4),
			 LIAISON_ERR_NOT_FOUND);
	assert_int_equal(by_account(st, DIR_REVOKE_CONTACT, sec.spk, sec.ssk, m1.account, T0 + 4), 0);
	before = copy(st);
	assert_int_equal(by_account(st, DIR_REVOKE_CONTACT, sec.spk, sec.ssk, m1.account, T0 + 5),
			 LIAISON_ERR_REVOKED);
	assert_same_state(st, before);
	assert_int_equal(dir_find_contact(st, m1.account)->status, DIR_REVOKED);
	dir_state_free(before);
	dir_state_free(st);
	person_free(&m1);
	person_free(&stranger);
	person_free(&sec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_order),
		cmocka_unit_test(test_chain_times),
		cmocka_unit_test(test_chain_signers),
		cmocka_unit_test(test_kind_rules),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
