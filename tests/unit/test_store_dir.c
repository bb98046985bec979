/* The relay's directory storage (server/store.h): change records by
 * version, the latest head and snapshot, publication all or nothing and
 * durable only after commit, revocations with it, the enrollments an
 * approver sees, and the migration that keeps older accounts' access. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "protocol/layout.h"
#include "server/store.h"
#include "tests/unit/store_fixture.h"

#define NOW 1700000000000ull

static int setup(void **state)
{
	*state = fixture_open("liaison-test-storedir");
	return 0;
}

static int teardown(void **state)
{
	fixture_close(*state);
	return 0;
}

/* A record of n bytes, every byte v (the store does not parse records). */
static uint8_t recs[8][100];

static void publish(struct store *st, uint64_t first, size_t n, uint8_t head_v, int want)
{
	const uint8_t *changes[8];
	size_t lens[8], i;
	uint8_t head[40];
	struct store_dir_publish p;

	memset(&p, 0, sizeof(p));
	for (i = 0; i < n; i++) {
		memset(recs[i], (int)(first + i), sizeof(recs[i]));
		changes[i] = recs[i];
		lens[i] = 50 + first + i;
	}
	memset(head, head_v, sizeof(head));
	p.changes = changes;
	p.change_lens = lens;
	p.n_changes = n;
	p.first_version = first;
	p.head = head;
	p.head_len = sizeof(head);
	p.head_version = first + n - 1;
	assert_int_equal(store_dir_publish(st, &p), want);
}

struct seen {
	uint64_t versions[16];
	size_t lens[16];
	uint8_t first_byte[16];
	size_t n;
	size_t stop_after;
};

static int see(void *arg, uint64_t version, const uint8_t *rec, size_t len)
{
	struct seen *s = arg;
	if (s->stop_after != 0 && s->n == s->stop_after)
		return 1;
	s->versions[s->n] = version;
	s->lens[s->n] = len;
	s->first_byte[s->n] = rec[0];
	s->n++;
	return 0;
}

static void test_changes_in_order_after_commit(void **state)
{
	struct fixture *f = *state;
	struct seen s;
	uint8_t *head = NULL;
	size_t len = 0, count = 0;
	uint64_t version = 99, hv = 0;

	assert_int_equal(store_dir_version(f->st, &version), 0);
	assert_int_equal(version, 0);
	assert_int_equal(store_dir_head(f->st, &head, &len, &hv), LIAISON_ERR_NOT_FOUND);

	publish(f->st, 1, 3, 0xa1, 0);
	fixture_commit(f->st);
	publish(f->st, 4, 1, 0xa2, 0);
	fixture_commit(f->st);
	fixture_reopen(f);

	assert_int_equal(store_dir_version(f->st, &version), 0);
	assert_int_equal(version, 4);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_dir_changes(f->st, 1, 100, see, &s, &count), 0);
	assert_int_equal(count, 3);
	assert_int_equal(s.versions[0], 2);
	assert_int_equal(s.versions[2], 4);
	assert_int_equal(s.lens[0], 52);
	assert_int_equal(s.first_byte[2], 4);

	/* fn may stop a page early; max_count bounds it too. */
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	assert_int_equal(store_dir_changes(f->st, 0, 100, see, &s, &count), 0);
	assert_int_equal(count, 2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_dir_changes(f->st, 0, 1, see, &s, &count), 0);
	assert_int_equal(count, 1);

	assert_int_equal(store_dir_head(f->st, &head, &len, &hv), 0);
	assert_int_equal(len, 40);
	assert_int_equal(hv, 4);
	assert_int_equal(head[0], 0xa2);
	free(head);
}

static void test_publish_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	struct store_dir_publish p;
	const uint8_t *changes[1];
	size_t lens[1];
	uint64_t version = 0, hv = 0;
	uint8_t *head = NULL;
	size_t len = 0;

	publish(f->st, 1, 2, 0xb1, 0);
	fixture_commit(f->st);
	/* Out of order: refused, nothing staged. */
	publish(f->st, 4, 1, 0xb2, LIAISON_ERR_CHAIN);
	publish(f->st, 2, 1, 0xb3, LIAISON_ERR_CHAIN);
	/* A missing head undoes the changes staged before it. */
	memset(&p, 0, sizeof(p));
	memset(recs[0], 3, sizeof(recs[0]));
	changes[0] = recs[0];
	lens[0] = 60;
	p.changes = changes;
	p.change_lens = lens;
	p.n_changes = 1;
	p.first_version = 3;
	assert_int_equal(store_dir_publish(f->st, &p), LIAISON_ERR_INVALID);
	fixture_commit(f->st);
	assert_int_equal(store_dir_version(f->st, &version), 0);
	assert_int_equal(version, 2);
	assert_int_equal(store_dir_head(f->st, &head, &len, &hv), 0);
	assert_int_equal(head[0], 0xb1);
	free(head);

	/* A head alone (a refresh) replaces the head. */
	publish(f->st, 3, 0, 0xb4, 0);
	fixture_commit(f->st);
	assert_int_equal(store_dir_head(f->st, &head, &len, &hv), 0);
	assert_int_equal(head[0], 0xb4);
	free(head);
	assert_int_equal(store_dir_version(f->st, &version), 0);
	assert_int_equal(version, 2);
}

static void test_snapshot_chunks(void **state)
{
	struct fixture *f = *state;
	struct store_dir_publish p;
	const uint8_t *changes[1];
	size_t lens[1], len = 0;
	uint8_t snap[30], *st_bytes, buf[100], *rec = NULL;
	uint64_t version = 0, total = 0;
	size_t i;

	st_bytes = malloc(300000);
	assert_non_null(st_bytes);
	for (i = 0; i < 300000; i++)
		st_bytes[i] = (uint8_t)(i * 7);
	assert_int_equal(store_dir_snapshot(f->st, &rec, &len, &version, &total),
			 LIAISON_ERR_NOT_FOUND);
	assert_int_equal(store_dir_snapshot_read(f->st, 0, buf, 1), LIAISON_ERR_NOT_FOUND);

	memset(&p, 0, sizeof(p));
	memset(recs[0], 1, sizeof(recs[0]));
	changes[0] = recs[0];
	lens[0] = 80;
	memset(snap, 0x5a, sizeof(snap));
	p.changes = changes;
	p.change_lens = lens;
	p.n_changes = 1;
	p.first_version = 1;
	p.head = snap;
	p.head_len = 20;
	p.head_version = 1;
	p.snapshot = snap;
	p.snapshot_len = sizeof(snap);
	p.snapshot_version = 1;
	p.state = st_bytes;
	p.state_len = 300000;
	assert_int_equal(store_dir_publish(f->st, &p), 0);
	fixture_commit(f->st);
	fixture_reopen(f);

	assert_int_equal(store_dir_snapshot(f->st, &rec, &len, &version, &total), 0);
	assert_int_equal(len, sizeof(snap));
	assert_int_equal(version, 1);
	assert_int_equal(total, 300000);
	free(rec);
	assert_int_equal(store_dir_snapshot_read(f->st, 299900, buf, 100), 0);
	assert_memory_equal(buf, st_bytes + 299900, 100);
	assert_int_equal(store_dir_snapshot_read(f->st, 0, buf, 100), 0);
	assert_memory_equal(buf, st_bytes, 100);
	assert_int_equal(store_dir_snapshot_read(f->st, 299950, buf, 100), LIAISON_ERR_INVALID);
	assert_int_equal(store_dir_snapshot_read(f->st, 300001, buf, 0), LIAISON_ERR_INVALID);
	free(st_bytes);
}

static void enroll(struct store *st, uint8_t v, int bootstrap, int pre_directory, uint64_t at)
{
	struct store_invite inv;
	struct store_enrollment e;
	static const uint8_t bytes[6] = { 9, 8, 7, 6, 5, 4 };

	memset(&inv, 0, sizeof(inv));
	memset(inv.id, v, 16);
	memset(inv.redeem_hash, v, 32);
	inv.role = bootstrap ? ROLE_SECRETARIAT : ROLE_MEMBER;
	strcpy(inv.authority, "AUTH");
	inv.expires = NOW + 1000;
	inv.bootstrap = bootstrap;
	assert_int_equal(store_invite_add(st, &inv), 0);
	memset(&e, 0, sizeof(e));
	memset(e.account, v, 16);
	e.identity_key[0] = 5;
	e.role = inv.role;
	strcpy(e.authority, "AUTH");
	memcpy(e.invite_id, inv.id, 16);
	e.bootstrap = bootstrap;
	e.enrollment = bytes;
	e.enrollment_len = sizeof(bytes);
	memset(e.signature, v, 64);
	memset(e.bind_mac, v + 1, 32);
	e.signed_prekey.public_key[0] = 5;
	e.enrolled_at = at;
	e.pre_directory = pre_directory;
	assert_int_equal(store_enroll(st, &e), 0);
}

struct listed {
	uint8_t first[8];
	int bootstrap[8];
	size_t n;
};

static int list_one(void *arg, const struct store_pending *p)
{
	struct listed *l = arg;
	assert_int_equal(p->enrollment_len, 6);
	assert_int_equal(p->enrollment[0], 9);
	assert_int_equal(p->signature[0], p->account[0]);
	assert_int_equal(p->bind_mac[0], p->account[0] + 1);
	l->first[l->n] = p->account[0];
	l->bootstrap[l->n] = p->bootstrap;
	l->n++;
	return 0;
}

static void test_revocation_and_enrollments(void **state)
{
	struct fixture *f = *state;
	struct store_dir_publish p;
	struct store_account a;
	struct listed l;
	uint8_t revoke[2][16], head[10] = { 1 }, id[16];

	enroll(f->st, 0x30, 1, 1, NOW + 3);
	enroll(f->st, 0x10, 0, 0, NOW + 1);
	enroll(f->st, 0x20, 0, 0, NOW + 2);
	fixture_commit(f->st);
	memset(id, 0x10, 16);
	assert_int_equal(store_account_get(f->st, id, &a), 0);
	assert_int_equal(a.pre_directory, 0);
	memset(id, 0x30, 16);
	assert_int_equal(store_account_get(f->st, id, &a), 0);
	assert_int_equal(a.pre_directory, 1);

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_enrollments(f->st, list_one, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.first[0], 0x10);	/* oldest first */
	assert_int_equal(l.first[2], 0x30);
	assert_int_equal(l.bootstrap[2], 1);

	/* A revocation lands with its change; an account unknown here is
	 * skipped, not an error. */
	memset(&p, 0, sizeof(p));
	memset(revoke[0], 0x20, 16);
	memset(revoke[1], 0x77, 16);
	p.head = head;
	p.head_len = sizeof(head);
	p.revoke = (const uint8_t (*)[16])revoke;
	p.n_revoke = 2;
	assert_int_equal(store_dir_publish(f->st, &p), 0);
	fixture_commit(f->st);
	memset(id, 0x20, 16);
	assert_int_equal(store_account_get(f->st, id, &a), 0);
	assert_int_equal(a.revoked, 1);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_enrollments(f->st, list_one, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.first[1], 0x30);
}

/* The first schema, as relays before the directory made it. */
static const char schema_v1[] =
	"CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE invites(id BLOB PRIMARY KEY, redeem_hash BLOB NOT NULL,"
	" role INTEGER NOT NULL, authority TEXT NOT NULL, expires INTEGER NOT NULL,"
	" bootstrap INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE bootstrap_redeemed(one INTEGER PRIMARY KEY CHECK (one = 1),"
	" invite_id BLOB NOT NULL);"
	"CREATE TABLE accounts(id BLOB PRIMARY KEY, identity_key BLOB NOT NULL,"
	" registration_id INTEGER NOT NULL, role INTEGER NOT NULL, authority TEXT NOT NULL,"
	" enrollment BLOB NOT NULL, signature BLOB NOT NULL, bind_mac BLOB NOT NULL,"
	" invite_id BLOB NOT NULL UNIQUE, bootstrap INTEGER NOT NULL,"
	" revoked INTEGER NOT NULL DEFAULT 0, enrolled_at INTEGER NOT NULL);"
	"CREATE TABLE signed_prekeys(account BLOB PRIMARY KEY, id INTEGER NOT NULL,"
	" public_key BLOB NOT NULL, signature BLOB NOT NULL);"
	"CREATE TABLE prekeys(account BLOB NOT NULL, id INTEGER NOT NULL,"
	" public_key BLOB NOT NULL, PRIMARY KEY (account, id)) WITHOUT ROWID;"
	"CREATE TABLE mailbox(seq INTEGER PRIMARY KEY AUTOINCREMENT, recipient BLOB NOT NULL,"
	" sender BLOB NOT NULL, message_id BLOB NOT NULL, type INTEGER NOT NULL,"
	" ciphertext BLOB NOT NULL, received_at INTEGER NOT NULL);"
	"CREATE INDEX mailbox_by_recipient ON mailbox(recipient, seq);"
	"CREATE INDEX mailbox_by_arrival ON mailbox(received_at);"
	"CREATE TABLE sent_ids(sender BLOB NOT NULL, message_id BLOB NOT NULL,"
	" received_at INTEGER NOT NULL, PRIMARY KEY (sender, message_id)) WITHOUT ROWID;"
	"CREATE INDEX sent_ids_by_arrival ON sent_ids(received_at);"
	"INSERT INTO accounts VALUES (x'11111111111111111111111111111111',"
	" x'05" "0000000000000000000000000000000000000000000000000000000000000000', 1, 1, 'A',"
	" x'00', x'00', x'00', x'22222222222222222222222222222222', 0, 0, 5);"
	"INSERT INTO sent_ids VALUES (x'11111111111111111111111111111111',"
	" x'33333333333333333333333333333333', 5);"
	"PRAGMA user_version = 1;";

static void test_migration_keeps_older_accounts_active(void **state)
{
	struct fixture *f = *state;
	char path[160];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	struct store *st = NULL;
	struct store_account a;
	uint8_t id[16], other[16], msg[16];
	uint64_t version = 9, seq = 0;
	int duplicate = 0;

	snprintf(path, sizeof(path), "%s/old.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema_v1, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(store_open(path, 0, &st), 0);
	memset(id, 0x11, 16);
	assert_int_equal(store_account_get(st, id, &a), 0);
	assert_int_equal(a.pre_directory, 1);
	assert_int_equal(store_dir_version(st, &version), 0);
	assert_int_equal(version, 0);
	/* Migration 5 rebuilt the ids with the message id first in the key:
	 * the id held before is still a duplicate, the same id from another
	 * sender is not. */
	memset(other, 0x44, 16);
	memset(msg, 0x33, 16);
	assert_int_equal(store_mailbox_put(st, id, other, msg, 2, (const uint8_t *)"x", 1, 6, &seq,
					   &duplicate), 0);
	assert_int_equal(duplicate, 1);
	assert_int_equal(store_mailbox_put(st, other, id, msg, 2, (const uint8_t *)"x", 1, 6, &seq,
					   &duplicate), 0);
	assert_int_equal(duplicate, 0);
	fixture_commit(st);
	store_close(st);
	/* Migration 4 dropped the indexes by time of arrival. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name IN"
					    " ('mailbox_by_arrival', 'sent_ids_by_arrival')", -1, &s,
					    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 0);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT group_concat(name) FROM (SELECT name FROM"
					    " pragma_table_info('sent_ids') WHERE pk > 0 ORDER BY pk)",
					    -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "message_id,sender");
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_changes_in_order_after_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revocation_and_enrollments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_keeps_older_accounts_active, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
