/* The relay's storage (server/store.h) on a temporary directory: mailbox
 * put/fetch/ack, duplicates, expiry, invites (a bootstrap invite redeemable
 * exactly once), revocation, prekeys, and acknowledgements only after commit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "protocol/crypto.h"
#include "protocol/layout.h"
#include "server/store.h"
#include "tests/unit/store_fixture.h"

#define NOW 1700000000000ull
#define DAY_MS (24ull * 3600 * 1000)

static int setup(void **state)
{
	*state = fixture_open("liaison-test-store");
	return 0;
}

static int teardown(void **state)
{
	fixture_close(*state);
	return 0;
}

static void fill_id(uint8_t id[16], uint8_t v)
{
	memset(id, v, 16);
}

struct collected {
	uint64_t seq[32];
	uint8_t first_byte[32];
	size_t n;
};

static int collect(void *arg, const struct store_message *m)
{
	struct collected *c = arg;
	if (c->n < 32) {
		c->seq[c->n] = m->seq;
		c->first_byte[c->n] = m->ciphertext[0];
		c->n++;
	}
	return 0;
}

static size_t fetch_all(struct store *st, const uint8_t rcpt[16], struct collected *c)
{
	size_t count = 0;
	memset(c, 0, sizeof(*c));
	assert_int_equal(store_mailbox_fetch(st, rcpt, 0, 100, 1 << 20, collect, c, &count), 0);
	assert_int_equal(count, c->n);
	return count;
}

static void put(struct store *st, uint8_t sender_v, uint8_t rcpt_v, uint8_t msg_v,
		uint64_t arrival, int want_duplicate)
{
	uint8_t sender[16], rcpt[16], msg[16], ct[40];
	uint64_t seq = 0;
	int dup = -1;
	fill_id(sender, sender_v);
	fill_id(rcpt, rcpt_v);
	fill_id(msg, msg_v);
	memset(ct, msg_v, sizeof(ct));
	assert_int_equal(store_mailbox_put(st, sender, rcpt, msg, 2, ct, sizeof(ct), arrival,
					   &seq, &dup), 0);
	assert_int_equal(dup, want_duplicate);
	if (!want_duplicate)
		assert_true(seq > 0);
}

static void test_mailbox_put_fetch_ack(void **state)
{
	struct fixture *f = *state;
	struct collected c;
	uint8_t rcpt[16], other[16];
	uint64_t acks[2];

	fill_id(rcpt, 0xb0);
	fill_id(other, 0xc0);
	put(f->st, 0xa0, 0xb0, 1, NOW, 0);
	put(f->st, 0xa0, 0xb0, 2, NOW, 0);
	/* Staged but not committed: never handed out. */
	assert_int_equal(fetch_all(f->st, rcpt, &c), 0);
	fixture_commit(f->st);
	put(f->st, 0xa0, 0xb0, 3, NOW, 0);
	fixture_commit(f->st);
	assert_int_equal(fetch_all(f->st, rcpt, &c), 3);
	assert_int_equal(c.first_byte[0], 1);	/* oldest first */
	assert_int_equal(c.first_byte[2], 3);
	assert_true(c.seq[0] < c.seq[1] && c.seq[1] < c.seq[2]);
	assert_int_equal(fetch_all(f->st, other, &c), 0);

	/* Another account cannot delete them; the recipient can. */
	fetch_all(f->st, rcpt, &c);
	acks[0] = c.seq[0];
	acks[1] = c.seq[1];
	assert_int_equal(store_mailbox_ack(f->st, other, acks, 2), 0);
	fixture_commit(f->st);
	assert_int_equal(fetch_all(f->st, rcpt, &c), 3);
	assert_int_equal(store_mailbox_ack(f->st, rcpt, acks, 2), 0);
	fixture_commit(f->st);
	assert_int_equal(fetch_all(f->st, rcpt, &c), 1);
	assert_int_equal(c.first_byte[0], 3);
}

static void test_fetch_pages_after_cursor(void **state)
{
	struct fixture *f = *state;
	struct collected c;
	uint8_t rcpt[16];
	size_t count = 0;
	int i;

	fill_id(rcpt, 0xb1);
	for (i = 1; i <= 5; i++)
		put(f->st, 0xa1, 0xb1, (uint8_t)i, NOW, 0);
	fixture_commit(f->st);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_mailbox_fetch(f->st, rcpt, 0, 2, 1 << 20, collect, &c, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(store_mailbox_fetch(f->st, rcpt, c.seq[1], 10, 1 << 20, collect, &c,
					     &count), 0);
	assert_int_equal(count, 3);
	assert_int_equal(c.first_byte[4], 5);
}

static void test_duplicates(void **state)
{
	struct fixture *f = *state;
	struct collected c;
	uint8_t rcpt[16];

	fill_id(rcpt, 0xb2);
	put(f->st, 0xa2, 0xb2, 7, NOW, 0);
	/* The same (sender, message id) in the same batch and after commit. */
	put(f->st, 0xa2, 0xb2, 7, NOW, 1);
	fixture_commit(f->st);
	put(f->st, 0xa2, 0xb2, 7, NOW, 1);
	/* Another sender may use the same id. */
	put(f->st, 0xa3, 0xb2, 7, NOW, 0);
	fixture_commit(f->st);
	assert_int_equal(fetch_all(f->st, rcpt, &c), 2);

	/* Delivered and acknowledged: its id is still held until expiry. */
	assert_int_equal(store_mailbox_ack(f->st, rcpt, c.seq, 2), 0);
	fixture_commit(f->st);
	put(f->st, 0xa2, 0xb2, 7, NOW, 1);
	fixture_commit(f->st);
	assert_int_equal(fetch_all(f->st, rcpt, &c), 0);
}

/* Runs an expiry pass to its end in steps of 4 rows (bounded); cutoff_late
 * is asked from the fourth step on. Returns the messages it removed. */
static uint64_t expire_pass(struct store *st, uint64_t cutoff, uint64_t cutoff_late)
{
	uint64_t removed = 0, total = 0;
	int done = 0, steps = 0;
	do {
		assert_int_equal(store_expire_step(st, steps < 3 ? cutoff : cutoff_late, 4, &removed,
						   &done), 0);
		total += removed;
	} while (!done && ++steps < 100);
	assert_true(done);
	return total;
}

static void test_expiry(void **state)
{
	struct fixture *f = *state;
	struct collected c;
	uint8_t rcpt[16];

	fill_id(rcpt, 0xb3);
	put(f->st, 0xa4, 0xb3, 1, NOW, 0);
	put(f->st, 0xa4, 0xb3, 2, NOW + DAY_MS, 0);
	fixture_commit(f->st);
	/* The sweep removes what arrived at or before its cutoff. */
	assert_int_equal(expire_pass(f->st, NOW - 1, NOW - 1), 0);
	assert_int_equal(expire_pass(f->st, NOW, NOW), 1);
	fixture_commit(f->st);
	assert_int_equal(fetch_all(f->st, rcpt, &c), 1);
	assert_int_equal(c.first_byte[0], 2);
	/* The expired id is forgotten with its message; the other is kept. */
	put(f->st, 0xa4, 0xb3, 1, NOW + DAY_MS, 0);
	put(f->st, 0xa4, 0xb3, 2, NOW + DAY_MS, 1);
	fixture_commit(f->st);
}

/* Expiry a few rows at a time: every message that arrived by the cutoff
 * goes, in whatever order it was queued, and its id only after it, never
 * past the cutoff the pass began with. */
static void test_expiry_in_steps(void **state)
{
	struct fixture *f = *state;
	struct collected c;
	uint8_t rcpt[16];
	uint64_t removed = 0;
	int done = 1;

	fill_id(rcpt, 0xb4);
	for (uint8_t m = 1; m <= 20; m++)
		put(f->st, 0xa5, 0xb4, m, NOW, 0);
	for (uint8_t m = 21; m <= 25; m++)
		put(f->st, 0xa5, 0xb4, m, NOW + DAY_MS, 0);
	put(f->st, 0xa5, 0xb4, 26, NOW, 0);	/* after the clock stepped back */
	fixture_commit(f->st);

	/* A pass begun with a cutoff before every arrival removes nothing,
	 * even when its later steps are given a later cutoff. */
	assert_int_equal(expire_pass(f->st, NOW - 1, NOW + 2 * DAY_MS), 0);
	fixture_commit(f->st);
	assert_int_equal(fetch_all(f->st, rcpt, &c), 26);
	put(f->st, 0xa5, 0xb4, 1, NOW, 1);

	/* After a first step only messages have gone; an id whose message is
	 * still queued is still held. */
	assert_int_equal(store_expire_step(f->st, NOW, 4, &removed, &done), 0);
	assert_int_equal(removed, 4);
	assert_false(done);
	put(f->st, 0xa5, 0xb4, 26, NOW, 1);
	assert_int_equal(expire_pass(f->st, NOW, NOW) + removed, 21);
	fixture_commit(f->st);
	assert_int_equal(fetch_all(f->st, rcpt, &c), 5);
	assert_int_equal(c.first_byte[0], 21);
	/* The expired ids went with their messages; the others are held. */
	put(f->st, 0xa5, 0xb4, 1, NOW + DAY_MS, 0);
	put(f->st, 0xa5, 0xb4, 26, NOW + DAY_MS, 0);
	put(f->st, 0xa5, 0xb4, 21, NOW + DAY_MS, 1);
	fixture_commit(f->st);
}

static void make_invite(struct store_invite *inv, uint8_t id_v, int role, int bootstrap,
			uint64_t expires, const uint8_t redeem_hash[32])
{
	memset(inv, 0, sizeof(*inv));
	fill_id(inv->id, id_v);
	memcpy(inv->redeem_hash, redeem_hash, 32);
	inv->role = (uint8_t)role;
	strcpy(inv->authority, "AUTH-1");
	inv->expires = expires;
	inv->bootstrap = bootstrap;
}

static void make_enrollment(struct store_enrollment *e, uint8_t account_v,
			    const struct store_invite *inv, struct store_prekey *pks, size_t n)
{
	static const uint8_t bytes[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	size_t i;
	memset(e, 0, sizeof(*e));
	fill_id(e->account, account_v);
	e->identity_key[0] = 5;
	memset(e->identity_key + 1, account_v, 32);
	e->registration_id = 42;
	e->role = inv->role;
	strcpy(e->authority, inv->authority);
	memcpy(e->invite_id, inv->id, 16);
	e->bootstrap = inv->bootstrap;
	e->enrollment = bytes;
	e->enrollment_len = sizeof(bytes);
	e->signed_prekey.id = 1;
	e->signed_prekey.public_key[0] = 5;
	for (i = 0; i < n; i++) {
		pks[i].id = (uint32_t)(i + 1);
		pks[i].public_key[0] = 5;
		pks[i].public_key[1] = (uint8_t)i;
	}
	e->prekeys = pks;
	e->n_prekeys = n;
	e->enrolled_at = NOW;
}

static void test_bootstrap_once(void **state)
{
	struct fixture *f = *state;
	struct store_invite a, b, got;
	struct store_enrollment e;
	struct store_prekey pks[3];
	uint8_t hash_a[32], hash_b[32];
	int redeemed = -1;

	memset(hash_a, 0x11, 32);
	memset(hash_b, 0x22, 32);
	make_invite(&a, 0x01, ROLE_SECRETARIAT, 1, NOW + DAY_MS, hash_a);
	make_invite(&b, 0x02, ROLE_SECRETARIAT, 1, NOW + DAY_MS, hash_b);
	assert_int_equal(store_invite_add(f->st, &a), 0);
	assert_int_equal(store_invite_add(f->st, &b), 0);
	fixture_commit(f->st);
	assert_int_equal(store_bootstrap_redeemed(f->st, &redeemed), 0);
	assert_int_equal(redeemed, 0);

	/* Both were issued; the first redemption wins. */
	assert_int_equal(store_invite_check(f->st, a.id, hash_a, NOW, &got), 0);
	assert_int_equal(got.bootstrap, 1);
	assert_int_equal(store_invite_check(f->st, b.id, hash_b, NOW, &got), 0);
	make_enrollment(&e, 0x51, &a, pks, 3);
	assert_int_equal(store_enroll(f->st, &e), 0);
	fixture_commit(f->st);
	assert_int_equal(store_bootstrap_redeemed(f->st, &redeemed), 0);
	assert_int_equal(redeemed, 1);

	/* The second bootstrap invite is now refused, by the check and by the
	 * enrollment itself (even if a caller skipped the check). */
	assert_int_equal(store_invite_check(f->st, b.id, hash_b, NOW, &got), LIAISON_ERR_USED);
	make_enrollment(&e, 0x52, &b, pks, 3);
	assert_int_equal(store_enroll(f->st, &e), LIAISON_ERR_USED);
	fixture_commit(f->st);
	{
		struct store_account acc;
		uint8_t id[16];
		fill_id(id, 0x52);
		assert_int_equal(store_account_get(f->st, id, &acc), LIAISON_ERR_NOT_FOUND);
		fill_id(id, 0x51);
		assert_int_equal(store_account_get(f->st, id, &acc), 0);
		assert_int_equal(acc.bootstrap, 1);
		assert_int_equal(acc.role, ROLE_SECRETARIAT);
	}
}

static void test_invites_refused(void **state)
{
	struct fixture *f = *state;
	struct store_invite m, old, got;
	struct store_enrollment e;
	struct store_prekey pks[1];
	uint8_t hash[32], wrong[32], unknown[16];

	memset(hash, 0x33, 32);
	memset(wrong, 0x34, 32);
	fill_id(unknown, 0x0f);
	make_invite(&m, 0x03, ROLE_MEMBER, 0, NOW + DAY_MS, hash);
	make_invite(&old, 0x04, ROLE_MEMBER, 0, NOW - 1, hash);
	assert_int_equal(store_invite_add(f->st, &m), 0);
	assert_int_equal(store_invite_add(f->st, &old), 0);
	assert_int_equal(store_invite_add(f->st, &m), LIAISON_ERR_EXISTS);
	fixture_commit(f->st);

	assert_int_equal(store_invite_check(f->st, unknown, hash, NOW, &got), LIAISON_ERR_BAD_INVITE);
	assert_int_equal(store_invite_check(f->st, m.id, wrong, NOW, &got), LIAISON_ERR_BAD_INVITE);
	assert_int_equal(store_invite_check(f->st, old.id, hash, NOW, &got), LIAISON_ERR_EXPIRED);
	assert_int_equal(store_invite_check(f->st, m.id, hash, NOW, &got), 0);
	assert_int_equal(got.role, ROLE_MEMBER);
	assert_string_equal(got.authority, "AUTH-1");

	make_enrollment(&e, 0x61, &m, pks, 1);
	assert_int_equal(store_enroll(f->st, &e), 0);
	fixture_commit(f->st);
	assert_int_equal(store_invite_check(f->st, m.id, hash, NOW, &got), LIAISON_ERR_USED);
	make_enrollment(&e, 0x62, &m, pks, 1);
	assert_int_equal(store_enroll(f->st, &e), LIAISON_ERR_USED);
	fixture_commit(f->st);
}

static void test_account_exists_rolls_back(void **state)
{
	struct fixture *f = *state;
	struct store_invite m1, m2, got;
	struct store_enrollment e;
	struct store_prekey pks[1];
	uint8_t hash[32];

	memset(hash, 0x44, 32);
	make_invite(&m1, 0x05, ROLE_MEMBER, 0, NOW + DAY_MS, hash);
	make_invite(&m2, 0x06, ROLE_MEMBER, 0, NOW + DAY_MS, hash);
	assert_int_equal(store_invite_add(f->st, &m1), 0);
	assert_int_equal(store_invite_add(f->st, &m2), 0);
	make_enrollment(&e, 0x71, &m1, pks, 1);
	assert_int_equal(store_enroll(f->st, &e), 0);
	/* The same account id again: refused, and the second invite stays
	 * unused (the failed enrollment left nothing behind). */
	make_enrollment(&e, 0x71, &m2, pks, 1);
	assert_int_equal(store_enroll(f->st, &e), LIAISON_ERR_EXISTS);
	fixture_commit(f->st);
	assert_int_equal(store_invite_check(f->st, m2.id, hash, NOW, &got), 0);
}

static void test_revocation(void **state)
{
	struct fixture *f = *state;
	struct store_invite m;
	struct store_enrollment e;
	struct store_account acc;
	struct store_prekey pks[1];
	struct store_status s;
	uint8_t hash[32], unknown[16];

	memset(hash, 0x55, 32);
	fill_id(unknown, 0x0e);
	make_invite(&m, 0x07, ROLE_MEMBER, 0, NOW + DAY_MS, hash);
	assert_int_equal(store_invite_add(f->st, &m), 0);
	make_enrollment(&e, 0x81, &m, pks, 1);
	assert_int_equal(store_enroll(f->st, &e), 0);
	fixture_commit(f->st);
	assert_int_equal(store_account_get(f->st, e.account, &acc), 0);
	assert_int_equal(acc.revoked, 0);
	assert_int_equal(acc.registration_id, 42);
	assert_memory_equal(acc.identity_key, e.identity_key, 33);
	assert_int_equal(store_account_revoke(f->st, e.account), 0);
	assert_int_equal(store_account_revoke(f->st, unknown), LIAISON_ERR_NOT_FOUND);
	fixture_commit(f->st);
	assert_int_equal(store_account_get(f->st, e.account, &acc), 0);
	assert_int_equal(acc.revoked, 1);
	assert_int_equal(store_status(f->st, &s), 0);
	assert_int_equal(s.accounts, 1);
	assert_int_equal(s.revoked, 1);
}

static void test_prekeys(void **state)
{
	struct fixture *f = *state;
	struct store_invite m;
	struct store_enrollment e;
	struct store_prekey pks[3], more[2];
	struct store_bundle b;
	uint32_t left = 0;
	uint8_t hash[32];
	int i;

	memset(hash, 0x66, 32);
	make_invite(&m, 0x08, ROLE_MEMBER, 0, NOW + DAY_MS, hash);
	assert_int_equal(store_invite_add(f->st, &m), 0);
	make_enrollment(&e, 0x91, &m, pks, 3);
	assert_int_equal(store_enroll(f->st, &e), 0);
	fixture_commit(f->st);
	assert_int_equal(store_prekeys_count(f->st, e.account, &left), 0);
	assert_int_equal(left, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(store_bundle_take(f->st, e.account, &b, &left), 0);
		assert_int_equal(b.has_signed_prekey, 1);
		assert_int_equal(b.has_prekey, 1);
		assert_int_equal(b.prekey.id, (uint32_t)(i + 1));
		assert_int_equal(left, (uint32_t)(2 - i));
	}
	assert_int_equal(store_bundle_take(f->st, e.account, &b, &left), 0);
	assert_int_equal(b.has_prekey, 0);
	fixture_commit(f->st);
	more[0].id = 10;
	more[1].id = 11;
	memset(more[0].public_key, 5, 33);
	memset(more[1].public_key, 5, 33);
	assert_int_equal(store_prekeys_put(f->st, e.account, NULL, more, 2), 0);
	fixture_commit(f->st);
	assert_int_equal(store_prekeys_count(f->st, e.account, &left), 0);
	assert_int_equal(left, 2);
}

static void test_reopen_keeps_committed(void **state)
{
	struct fixture *f = *state;
	struct collected c;
	uint8_t rcpt[16];
	char value[64];

	fill_id(rcpt, 0xb9);
	assert_int_equal(store_setting_set(f->st, "url", "wss://127.0.0.1:7443"), 0);
	put(f->st, 0xa9, 0xb9, 1, NOW, 0);
	fixture_commit(f->st);
	fixture_reopen(f);
	assert_int_equal(fetch_all(f->st, rcpt, &c), 1);
	assert_int_equal(store_setting_get(f->st, "url", value, sizeof(value)), 0);
	assert_string_equal(value, "wss://127.0.0.1:7443");
	assert_int_equal(store_setting_get(f->st, "nothing", value, sizeof(value)),
			 LIAISON_ERR_NOT_FOUND);
}

/* A delivered and deleted message's seq is never handed out again, not
 * even after a restart with an empty mailbox: a late Ack for it must not
 * delete a newer message. */
static void test_seq_never_reused(void **state)
{
	struct fixture *f = *state;
	struct collected c;
	uint8_t sender[16], rcpt[16], msg[16], ct[8] = { 0 };
	uint64_t first, second = 0;
	int dup;

	fill_id(sender, 0xa1);
	fill_id(rcpt, 0xb1);
	fill_id(msg, 1);
	assert_int_equal(store_mailbox_put(f->st, sender, rcpt, msg, 2, ct, sizeof(ct), NOW,
					   &first, &dup), 0);
	fixture_commit(f->st);
	assert_int_equal(store_mailbox_ack(f->st, rcpt, &first, 1), 0);
	fixture_commit(f->st);
	assert_int_equal(fetch_all(f->st, rcpt, &c), 0);
	fixture_reopen(f);
	fill_id(msg, 2);
	assert_int_equal(store_mailbox_put(f->st, sender, rcpt, msg, 2, ct, sizeof(ct), NOW,
					   &second, &dup), 0);
	fixture_commit(f->st);
	assert_true(second > first);
	/* The late Ack of the first seq leaves the new message alone. */
	assert_int_equal(store_mailbox_ack(f->st, rcpt, &first, 1), 0);
	fixture_commit(f->st);
	assert_int_equal(fetch_all(f->st, rcpt, &c), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mailbox_put_fetch_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_pages_after_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_in_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bootstrap_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invites_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_exists_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revocation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prekeys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_committed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_never_reused, setup, teardown),
	};
	if (lc_init() != 0)
		return 1;
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
