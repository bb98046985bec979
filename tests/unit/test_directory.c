/* directory/: the log of signed changes refuses what a tampering relay or a
 * rogue key could make of it (out of order, off the chain, signed by the
 * wrong key or for another purpose, backdated), heads expire and are renewed
 * only when exempt, snapshots let a new client start, and the bytes have one
 * spelling. */
#include "test_directory_fx.h"

/* ---- tests ---- */

static void test_genesis(void **state)
{
	struct person sec;
	struct wb rec;
	struct dir_state *st = genesis_with(&sec, DIR_DEFAULT_HEAD_LIFETIME_S, &rec), *other = NULL;
	uint8_t root[32], id[16], other_pk[32], other_sk[64];

	(void)state;
	assert_int_equal(st->version, 1);
	assert_int_equal(st->n_authorities, 1);
	assert_int_equal(st->n_contacts, 1);
	assert_non_null(dir_find_authority(st, "GLOBE-SEC"));
	assert_int_equal(dir_find_contact(st, sec.account)->role, ROLE_SECRETARIAT);
	assert_int_equal(layout_key_id(sec.spk, id), 0);
	assert_ptr_equal(dir_find_signer(st, id), dir_find_contact(st, sec.account));
	/* A relay learns the root from the genesis, which the root signed. */
	assert_int_equal(dir_genesis_root(rec.data, rec.len, root), 0);
	assert_memory_equal(root, root_pk, 32);
	/* A client that trusts another root refuses this genesis. */
	assert_int_equal(lc_ed25519_keypair(other_pk, other_sk), 0);
	assert_int_equal(dir_state_new(other_pk, sctx, &other), 0);
	assert_int_equal(dir_apply(other, rec.data, rec.len, T0), LIAISON_ERR_SIGNER);
	assert_int_equal(other->version, 0);
	/* A genesis cannot come twice. */
	assert_int_equal(dir_apply(st, rec.data, rec.len, T0), LIAISON_ERR_CHAIN);
	dir_state_free(other);
	wb_free(&rec);
	dir_state_free(st);
	person_free(&sec);
}

static void test_change_bytes_are_canonical(void **state)
{
	struct dir_change c, back;
	struct wb w, again;
	uint8_t h[32];
	char hex[65];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.version = 7;
	memset(c.prev_hash, 0xab, 32);
	c.issued = T0;
	memset(c.signer_id, 0x11, 16);
	c.kind = DIR_ADD_AUTHORITY;
	authority(&c.authority, "ES-FGE", "ES", "Fiscalía General del Estado", DIR_TYPE_PROSECUTION);
	assert_int_equal(dir_change_encode(&c, &w), 0);
	/* LV | version | prev | issued | signer | kind | var body */
	assert_int_equal(w.data[0], 1);
	assert_int_equal(w.data[8], 7);
	assert_int_equal(w.data[9], 0xab);
	assert_int_equal(w.data[1 + 8 + 32 + 8], 0x11);
	assert_int_equal(w.data[1 + 8 + 32 + 8 + 16], DIR_ADD_AUTHORITY);
	assert_int_equal(dir_change_parse(w.data, w.len, &back), 0);
	assert_string_equal(back.authority.name, c.authority.name);
	assert_int_equal(dir_change_encode(&back, &again), 0);
	assert_int_equal(again.len, w.len);
	assert_memory_equal(again.data, w.data, w.len);
	/* Byte-exact stability: these bytes are signed and must never drift. */
	assert_int_equal(lc_sha256(w.data, w.len, h), 0);
	hex_encode(h, 32, hex);
	assert_string_equal(hex, CHANGE_KAT);
	/* Trailing bytes, an unknown kind, another layout version: refused. */
	{
		uint8_t buf[DIR_MAX_CHANGE];
		size_t i;

		memcpy(buf, w.data, w.len);
		buf[w.len] = 0;
		assert_int_not_equal(dir_change_parse(buf, w.len + 1, &back), 0);
		buf[1 + 8 + 32 + 8 + 16] = 99;
		assert_int_equal(dir_change_parse(buf, w.len, &back), LIAISON_ERR_UNSUPPORTED);
		memcpy(buf, w.data, w.len);
		buf[0] = 2;
		assert_int_equal(dir_change_parse(buf, w.len, &back), LIAISON_ERR_UNSUPPORTED);
		for (i = 0; i < w.len; i++)
			assert_int_not_equal(dir_change_parse(w.data, i, &back), 0);
	}
	wb_free(&again);
	wb_free(&w);
}

static void test_state_round_trip(void **state)
{
	struct person sec, m1, m2;
	struct dir_state *st = genesis(&sec), *back = NULL;
	struct wb w, again;
	size_t i;

	(void)state;
	person_make(&m1, "FR-PNF", ROLE_MEMBER, "Élise Martin", 0);
	person_make(&m2, "GR-FIU", ROLE_MEMBER, "Νίκος Παπαδόπουλος", 0);
	assert_int_equal(add_authority(st, &sec, "GR-FIU", T0 + 1), 0);
	assert_int_equal(add_authority(st, &sec, "FR-PNF", T0 + 2), 0);
	assert_int_equal(add_contact(st, sec.spk, sec.ssk, &m2, T0 + 3), 0);
	assert_int_equal(add_contact(st, sec.spk, sec.ssk, &m1, T0 + 4), 0);
	encode(st, &w);
	assert_int_equal(dir_state_decode(w.data, w.len, sctx, &back), 0);
	assert_int_equal(back->version, 5);
	assert_memory_equal(back->chain_hash, st->chain_hash, 32);
	assert_string_equal(dir_find_contact(back, m2.account)->name, "Νίκος Παπαδόπουλος");
	/* Sorted on the wire whatever the order of the history. */
	assert_string_equal(back->authorities[0].id, "FR-PNF");
	encode(back, &again);
	assert_int_equal(again.len, w.len);
	assert_memory_equal(again.data, w.data, w.len);
	/* Every cut is refused, and so is a trailing byte. */
	for (i = 0; i < w.len; i += 7) {
		struct dir_state *bad = NULL;
		assert_int_not_equal(dir_state_decode(w.data, i, sctx, &bad), 0);
		assert_null(bad);
	}
	{
		uint8_t *longer = malloc(w.len + 1);
		struct dir_state *bad = NULL;

		assert_non_null(longer);
		memcpy(longer, w.data, w.len);
		longer[w.len] = 0;
		assert_int_equal(dir_state_decode(longer, w.len + 1, sctx, &bad), LIAISON_ERR_INVALID);
		free(longer);
	}
	wb_free(&again);
	wb_free(&w);
	dir_state_free(back);
	dir_state_free(st);
	person_free(&m1);
	person_free(&m2);
	person_free(&sec);
}

static void test_signatures(void **state)
{
	struct person sec, m1, m2, sec2;
	struct dir_state *st = genesis(&sec), *before;
	struct dir_change c;
	struct wb w;
	size_t i;

	(void)state;
	assert_int_equal(add_authority(st, &sec, "FR-PNF", T0 + 1), 0);
	before = copy(st);
	/* A flipped bit anywhere in the signed bytes or the signature. */
	memset(&c, 0, sizeof(c));
	c.kind = DIR_ADD_AUTHORITY;
	c.issued = T0 + 2;
	authority(&c.authority, "DE-BKA", "DE", "Bundeskriminalamt", DIR_TYPE_POLICE);
	assert_int_equal(dir_change_sign(st, &c, sec.spk, sec.ssk, &w), 0);
	for (i = 17; i < w.len; i += 5) {
		w.data[i] ^= 0x01;
		assert_int_not_equal(dir_apply(st, w.data, w.len, T0 + 2), 0);
		w.data[i] ^= 0x01;
	}
	assert_same_state(st, before);
	assert_int_equal(dir_apply(st, w.data, w.len, T0 + 2), 0);
	wb_free(&w);
	/* The enrollee's own signature over its enrollment. */
	person_make(&m1, "FR-PNF", ROLE_MEMBER, "Élise Martin", 0);
	m1.enr_sig[3] ^= 0x20;
	assert_int_equal(add_contact(st, sec.spk, sec.ssk, &m1, T0 + 3), LIAISON_ERR_SIGNATURE);
	/* An enrollment altered after it was signed. */
	person_make(&m2, "FR-PNF", ROLE_MEMBER, "Jean Dupont", 0);
	m2.enr[m2.enr_len - 1] ^= 0x01;
	assert_int_not_equal(add_contact(st, sec.spk, sec.ssk, &m2, T0 + 3), 0);
	/* A certificate not signed by the root. */
	person_make(&sec2, "GLOBE-SEC", ROLE_SECRETARIAT, "Bo Second", T0 + 365 * DAY);
	sec2.cert.signature[0] ^= 1;
	assert_int_equal(add_contact(st, root_pk, root_sk, &sec2, T0 + 3), LIAISON_ERR_SIGNATURE);
	assert_int_equal(st->version, 3);
	dir_state_free(before);
	dir_state_free(st);
	person_free(&m1);
	person_free(&m2);
	person_free(&sec2);
	person_free(&sec);
}

static void test_purpose_separation(void **state)
{
	struct person sec;
	struct dir_state *st = genesis(&sec);
	struct dir_change c;
	struct dir_head head;
	struct wb rec;
	uint8_t hb[DIR_HEAD_BYTES];
	int p;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.version = 2;
	memcpy(c.prev_hash, st->change_hash, 32);
	c.issued = T0 + 1;
	assert_int_equal(layout_key_id(sec.spk, c.signer_id), 0);
	c.kind = DIR_ADD_AUTHORITY;
	authority(&c.authority, "FR-PNF", "FR", "PNF", DIR_TYPE_PROSECUTION);
	/* Signed for any other purpose, a change does not verify as one. */
	for (p = 0; p < SIG_PURPOSE_COUNT; p++)
		if (p != SIG_DIRECTORY)
			assert_int_equal(craft_apply(st, &c, p, sec.spk, sec.ssk, T0 + 1),
					 LIAISON_ERR_SIGNATURE);
	assert_int_equal(craft_apply(st, &c, SIG_DIRECTORY, sec.spk, sec.ssk, T0 + 1), 0);
	/* A head's bytes signed as a change or a snapshot are no head. */
	assert_int_equal(dir_head_sign(st, T0 + 2, 0, sec.spk, sec.ssk, &rec), 0);
	assert_int_equal(dir_head_verify(st, rec.data, rec.len, T0 + 3, 0, &head), 0);
	memcpy(hb, rec.data + 1 + 16 + 64 + 4, sizeof(hb));
	wb_free(&rec);
	for (p = 0; p < SIG_PURPOSE_COUNT; p++) {
		if (p == SIG_DIRECTORY_HEAD)
			continue;
		assert_int_equal(dir_sign_record(p, hb, sizeof(hb), sec.spk, sec.ssk, &rec), 0);
		assert_int_equal(dir_head_verify(st, rec.data, rec.len, T0 + 3, 0, &head),
				 LIAISON_ERR_SIGNATURE);
		wb_free(&rec);
	}
	/* A snapshot signature is no change either. */
	assert_int_equal(dir_snapshot_sign(st, T0 + 2, sec.spk, sec.ssk, &rec), 0);
	assert_int_not_equal(dir_apply(st, rec.data, rec.len, T0 + 3), 0);
	wb_free(&rec);
	dir_state_free(st);
	person_free(&sec);
}

static void test_snapshot(void **state)
{
	struct person sec, m1;
	struct dir_state *st = genesis(&sec), *loaded = NULL;
	struct wb snap, bytes;
	uint8_t other_pk[32], other_sk[64];

	(void)state;
	assert_int_equal(add_authority(st, &sec, "FR-PNF", T0 + 1), 0);
	person_make(&m1, "FR-PNF", ROLE_MEMBER, "Élise Martin", 0);
	assert_int_equal(add_contact(st, sec.spk, sec.ssk, &m1, T0 + 2), 0);
	assert_int_equal(add_authority(st, &sec, "DE-BKA", T0 + 3), 0);
	assert_true(dir_snapshot_due(st));	/* every 4 versions */
	assert_int_equal(dir_snapshot_sign(st, T0 + 4, sec.spk, sec.ssk, &snap), 0);
	encode(st, &bytes);
	assert_int_equal(dir_snapshot_load(root_pk, sctx, snap.data, snap.len, bytes.data,
					   bytes.len, T0 + 5, &loaded), 0);
	assert_same_state(st, loaded);
	/* A new client goes on from the snapshot with the changes after it. */
	assert_int_equal(add_authority(st, &sec, "IT-DNA", T0 + 6), 0);
	assert_int_equal(add_authority(loaded, &sec, "IT-DNA", T0 + 6), 0);
	assert_same_state(st, loaded);
	dir_state_free(loaded);
	loaded = NULL;
	/* Under another root, signed by a stranger, or with the state altered. */
	assert_int_equal(lc_ed25519_keypair(other_pk, other_sk), 0);
	assert_int_equal(dir_snapshot_load(other_pk, sctx, snap.data, snap.len, bytes.data,
					   bytes.len, T0 + 5, &loaded), LIAISON_ERR_SIGNER);
	{
		uint8_t *p = memmem(bytes.data, bytes.len, "Martin", 6);

		assert_non_null(p);
		p[0] = 'N';
		assert_int_equal(dir_snapshot_load(root_pk, sctx, snap.data, snap.len, bytes.data,
						   bytes.len, T0 + 5, &loaded),
				 LIAISON_ERR_SIGNATURE);
		p[0] = 'M';
	}
	wb_free(&snap);
	{
		struct dir_state *v4 = NULL;

		assert_int_equal(dir_state_decode(bytes.data, bytes.len, sctx, &v4), 0);
		assert_int_equal(dir_snapshot_sign(v4, T0 + 4, other_pk, other_sk, &snap), 0);
		dir_state_free(v4);
	}
	assert_int_equal(dir_snapshot_load(root_pk, sctx, snap.data, snap.len, bytes.data,
					   bytes.len, T0 + 5, &loaded), LIAISON_ERR_SIGNER);
	assert_null(loaded);
	wb_free(&snap);
	wb_free(&bytes);
	dir_state_free(st);
	person_free(&m1);
	person_free(&sec);
}

static void test_head(void **state)
{
	struct person sec;
	struct dir_state *st = genesis_with(&sec, 2, NULL), *old, *forked;
	struct dir_head h;
	struct wb head, head_old;
	uint8_t rnd_pk[32], rnd_sk[64];

	(void)state;
	assert_int_equal(add_authority(st, &sec, "FR-PNF", T0 + SEC_MS), 0);
	old = copy(st);
	assert_int_equal(dir_head_sign(st, T0 + SEC_MS, 0, sec.spk, sec.ssk, &head_old), 0);
	/* Lifetime 2 s: fresh for 2 s, then stale, unless the caller renews. */
	assert_int_equal(dir_head_verify(st, head_old.data, head_old.len, T0 + 2 * SEC_MS, 0, &h), 0);
	assert_true(h.expires == T0 + 3 * SEC_MS);
	assert_int_equal(dir_head_verify(st, head_old.data, head_old.len, T0 + 3 * SEC_MS, 0, &h),
			 LIAISON_ERR_STALE);
	assert_int_equal(dir_head_verify(st, head_old.data, head_old.len, T0 + 90 * SEC_MS,
					 DIR_HEAD_EXEMPT, &h), 0);
	/* An expired head can always be renewed. */
	assert_int_equal(dir_head_sign(st, T0 + 90 * SEC_MS, 0, sec.spk, sec.ssk, &head), 0);
	assert_int_equal(dir_head_verify(st, head.data, head.len, T0 + 91 * SEC_MS, 0, &h), 0);
	wb_free(&head);
	/* Signed from the future, beyond the skew. */
	assert_int_equal(dir_head_sign(st, T0 + 1000 * SEC_MS, 0, sec.spk, sec.ssk, &head), 0);
	assert_int_equal(dir_head_verify(st, head.data, head.len, T0 + 2 * SEC_MS, 0, &h),
			 LIAISON_ERR_CLOCK);
	wb_free(&head);
	/* The chain moves on: the old head is a rollback, and an old state
	 * shown the new head is behind. */
	forked = copy(st);
	assert_int_equal(add_authority(st, &sec, "DE-BKA", T0 + 4 * SEC_MS), 0);
	assert_int_equal(dir_head_sign(st, T0 + 4 * SEC_MS, 0, sec.spk, sec.ssk, &head), 0);
	assert_int_equal(dir_head_verify(st, head_old.data, head_old.len, T0 + 2 * SEC_MS, 0, &h),
			 LIAISON_ERR_ROLLBACK);
	assert_int_equal(dir_head_verify(old, head.data, head.len, T0 + 5 * SEC_MS, 0, &h),
			 LIAISON_ERR_BEHIND);
	/* Another change at the same version: a fork. */
	assert_int_equal(add_authority(forked, &sec, "IT-DNA", T0 + 4 * SEC_MS), 0);
	assert_int_equal(dir_head_verify(forked, head.data, head.len, T0 + 5 * SEC_MS, 0, &h),
			 LIAISON_ERR_FORK);
	wb_free(&head);
	/* A head by a key the state does not know. */
	assert_int_equal(lc_ed25519_keypair(rnd_pk, rnd_sk), 0);
	assert_int_equal(dir_head_sign(st, T0 + 4 * SEC_MS, 0, rnd_pk, rnd_sk, &head), 0);
	assert_int_equal(dir_head_verify(st, head.data, head.len, T0 + 5 * SEC_MS, 0, &h),
			 LIAISON_ERR_BEHIND);
	wb_free(&head);
	/* The root signs no heads. */
	assert_int_equal(dir_head_sign(st, T0 + 4 * SEC_MS, 0, root_pk, root_sk, &head), 0);
	assert_int_equal(dir_head_verify(st, head.data, head.len, T0 + 5 * SEC_MS, 0, &h),
			 LIAISON_ERR_BEHIND);
	wb_free(&head);
	wb_free(&head_old);
	dir_state_free(forked);
	dir_state_free(old);
	dir_state_free(st);
	person_free(&sec);
}

static void test_tracker(void **state)
{
	struct dir_tracker tr, back;
	uint8_t h1[32], h2[32], enc[DIR_TRACKER_BYTES];

	(void)state;
	memset(&tr, 0, sizeof(tr));
	memset(h1, 1, 32);
	memset(h2, 2, 32);
	assert_int_equal(dir_tracker_fresh(&tr, T0), LIAISON_ERR_STALE);
	assert_int_equal(dir_tracker_observe(&tr, 5, h1, T0 + 10), 0);
	assert_int_equal(dir_tracker_fresh(&tr, T0), 0);
	assert_int_equal(dir_tracker_fresh(&tr, T0 + 10), LIAISON_ERR_STALE);
	assert_int_equal(dir_tracker_observe(&tr, 4, h2, 0), LIAISON_ERR_ROLLBACK);
	/* Two valid heads of one version with different chain hashes. */
	assert_int_equal(dir_tracker_observe(&tr, 5, h2, T0 + 20), LIAISON_ERR_FORK);
	assert_int_equal(dir_tracker_observe(&tr, 5, h1, T0 + 20), 0);
	assert_int_equal(dir_tracker_observe(&tr, 6, h2, 0), 0);
	assert_true(tr.version == 6 && tr.head_expires == T0 + 20);
	dir_tracker_encode(&tr, enc);
	assert_int_equal(dir_tracker_decode(enc, sizeof(enc), &back), 0);
	assert_memory_equal(&back.chain_hash, h2, 32);
	assert_true(back.version == 6 && back.head_expires == T0 + 20);
	assert_int_not_equal(dir_tracker_decode(enc, sizeof(enc) - 1, &back), 0);
}

static void test_paging(void **state)
{
	struct person sec;
	struct wb g;
	struct dir_state *st = genesis_with(&sec, DIR_DEFAULT_HEAD_LIFETIME_S, &g), *fresh = NULL;
	uint8_t *recs[12];
	size_t lens[12], i, start, end, applied, pages = 0;
	struct dir_change c;
	struct wb w;

	(void)state;
	recs[0] = g.data;
	lens[0] = g.len;
	for (i = 1; i < 12; i++) {
		char id[16];

		memset(&c, 0, sizeof(c));
		c.kind = DIR_ADD_AUTHORITY;
		c.issued = T0 + i;
		snprintf(id, sizeof(id), "AU-%02zu", i);
		authority(&c.authority, id, "AU", "Authority", DIR_TYPE_POLICE);
		assert_int_equal(dir_change_sign(st, &c, sec.spk, sec.ssk, &w), 0);
		assert_int_equal(dir_apply(st, w.data, w.len, T0 + i), 0);
		recs[i] = w.data;
		lens[i] = w.len;
	}
	assert_int_equal(dir_state_new(root_pk, sctx, &fresh), 0);
	for (start = 0; start < 12; start = end) {
		assert_int_equal(dir_page_span((const uint8_t *const *)recs, lens, 12, start, 1000, &end), 0);
		assert_true(end > start);
		assert_int_equal(dir_page_build((const uint8_t *const *)recs + start, lens + start,
						end - start, 1000, &w), 0);
		assert_true(w.len <= 1000);
		assert_int_equal(dir_apply_page(fresh, w.data, w.len, T0 + 100, &applied), 0);
		assert_int_equal(applied, end - start);
		wb_free(&w);
		pages++;
	}
	assert_true(pages > 1);
	assert_same_state(st, fresh);
	/* One record over the limit cannot be paged. */
	assert_int_equal(dir_page_span((const uint8_t *const *)recs, lens, 12, 0, 100, &end),
			 LIAISON_ERR_TOO_BIG);
	for (i = 1; i < 12; i++)
		free(recs[i]);
	wb_free(&g);
	dir_state_free(fresh);
	dir_state_free(st);
	person_free(&sec);
}

static void test_own_entry(void **state)
{
	struct person sec, m1;
	struct dir_state *st = genesis(&sec), *before;
	struct dir_own own;
	struct signing_cert cert;
	uint8_t spk[32], ssk[64];

	(void)state;
	person_make(&m1, "GLOBE-SEC", ROLE_MEMBER, "Élise Martin", 0);
	memcpy(own.account, m1.account, 16);
	memcpy(own.identity_key, m1.idpub, 33);
	assert_int_equal(dir_own_check(NULL, st, &own, 0), LIAISON_ERR_PENDING);
	assert_int_equal(add_contact(st, sec.spk, sec.ssk, &m1, T0 + 1), 0);
	assert_int_equal(dir_own_check(NULL, st, &own, 0), 0);
	/* The directory lists another key than the one this client holds. */
	own.identity_key[5] ^= 1;
	assert_int_equal(dir_own_check(NULL, st, &own, 0), LIAISON_ERR_OWN_CHANGED);
	own.identity_key[5] ^= 1;
	/* A role given without asking. */
	before = copy(st);
	assert_int_equal(lc_ed25519_keypair(spk, ssk), 0);
	memcpy(cert.key, spk, 32);
	memcpy(cert.account, m1.account, 16);
	cert.not_after = T0 + DAY;
	assert_int_equal(layout_cert_sign(&cert, root_sk), 0);
	assert_int_equal(by_cert(st, DIR_GRANT_SECRETARIAT, root_pk, root_sk, &cert, T0 + 2), 0);
	assert_int_equal(dir_own_check(before, st, &own, 0), LIAISON_ERR_OWN_CHANGED);
	assert_int_equal(dir_own_check(before, st, &own, DIR_OWN_ASKED), 0);
	/* Revoked. */
	assert_int_equal(by_account(st, DIR_REVOKE_CONTACT, root_pk, root_sk, m1.account, T0 + 3), 0);
	assert_int_equal(dir_own_check(before, st, &own, 0), LIAISON_ERR_REVOKED);
	assert_int_equal(liaison_exit_code(LIAISON_ERR_REVOKED), 3);
	assert_int_equal(liaison_exit_code(LIAISON_ERR_OWN_CHANGED), 4);
	dir_state_free(before);
	dir_state_free(st);
	person_free(&m1);
	person_free(&sec);
}

static void test_error_words(void **state)
{
	int codes[] = { LIAISON_ERR_ROLLBACK, LIAISON_ERR_FORK, LIAISON_ERR_BEHIND,
			LIAISON_ERR_WITHHELD, LIAISON_ERR_SIGNER, LIAISON_ERR_CHAIN,
			LIAISON_ERR_CLOCK, LIAISON_ERR_STALE, LIAISON_ERR_OWN_CHANGED };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_string_not_equal(liaison_strerror(codes[i]), "unknown error");
		assert_int_equal(liaison_exit_code(codes[i]), 4);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_genesis),
		cmocka_unit_test(test_change_bytes_are_canonical),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_purpose_separation),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_tracker),
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_own_entry),
		cmocka_unit_test(test_error_words),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
