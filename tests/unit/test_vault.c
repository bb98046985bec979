/* client-tui/core/vault.c: values come back as they were put, a value moved
 * to another row no longer opens, and a seized database file shows neither
 * the account ids it is keyed by nor the text it holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>
#include <sys/stat.h>

#include "client-tui/core/home.h"
#include "client-tui/core/vault.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"

#define PASS "vault test passphrase"
#define PASSLEN (sizeof(PASS) - 1)

struct fixture {
	char dir[64];
	struct home *h;
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || lc_init() != 0)
		return -1;
	strcpy(f->dir, "/tmp/liaison-test-vault-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (home_lock(f->dir, 1, 0, &f->h) != 0)
		return -1;
	if (home_create(f->h, PASS, PASSLEN, LC_KDF_INTERACTIVE) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	home_close(f->h);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void assert_value(struct home *h, enum vault_table t, const char *key, const char *want)
{
	uint8_t *val = NULL;
	size_t vallen = 0;

	assert_int_equal(vault_get(h, t, key, strlen(key), &val, &vallen), 0);
	assert_int_equal(vallen, strlen(want));
	assert_memory_equal(val, want, vallen);
	vault_free_value(val, vallen);
}

struct walk {
	char seen[8][32];
	int n;
	int stop_at;
};

static int collect(const uint8_t *val, size_t vallen, void *arg)
{
	struct walk *w = arg;

	assert_true(vallen < sizeof(w->seen[0]));
	memcpy(w->seen[w->n], val, vallen);
	w->seen[w->n][vallen] = '\0';
	w->n++;
	return w->n == w->stop_at ? 7 : 0;
}

static void test_put_get_del_has_each(void **state)
{
	struct fixture *f = *state;
	struct walk w;
	uint8_t *val = NULL;
	size_t vallen = 0;

	assert_int_equal(vault_put(f->h, VT_META, "a", 1, "first", 5), 0);
	assert_int_equal(vault_put(f->h, VT_META, "b", 1, "second", 6), 0);
	assert_int_equal(vault_put(f->h, VT_META, "c", 1, "third", 5), 0);
	/* The same key in another table is another value. */
	assert_int_equal(vault_put(f->h, VT_MESSAGE, "a", 1, "elsewhere", 9), 0);
	assert_value(f->h, VT_META, "a", "first");
	assert_value(f->h, VT_MESSAGE, "a", "elsewhere");

	/* Replacing keeps the entry's place in the walk. */
	assert_int_equal(vault_put(f->h, VT_META, "a", 1, "FIRST!", 6), 0);
	assert_value(f->h, VT_META, "a", "FIRST!");

	assert_int_equal(vault_has(f->h, VT_META, "b", 1), 1);
	assert_int_equal(vault_has(f->h, VT_META, "z", 1), 0);
	assert_int_equal(vault_get(f->h, VT_META, "z", 1, &val, &vallen), LIAISON_ERR_NOT_FOUND);
	assert_null(val);

	memset(&w, 0, sizeof(w));
	assert_int_equal(vault_each(f->h, VT_META, collect, &w), 0);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.seen[0], "FIRST!");
	assert_string_equal(w.seen[1], "second");
	assert_string_equal(w.seen[2], "third");

	/* A non-zero return stops the walk and comes back. */
	memset(&w, 0, sizeof(w));
	w.stop_at = 2;
	assert_int_equal(vault_each(f->h, VT_META, collect, &w), 7);
	assert_int_equal(w.n, 2);

	assert_int_equal(vault_del(f->h, VT_META, "b", 1), 0);
	assert_int_equal(vault_del(f->h, VT_META, "b", 1), 0);  /* absent: still 0 */
	assert_int_equal(vault_has(f->h, VT_META, "b", 1), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(vault_each(f->h, VT_META, collect, &w), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.seen[1], "third");

	/* Empty values and binary keys. */
	assert_int_equal(vault_put(f->h, VT_META, "\0\1\2", 3, "", 0), 0);
	assert_int_equal(vault_get(f->h, VT_META, "\0\1\2", 3, &val, &vallen), 0);
	assert_int_equal(vallen, 0);
	vault_free_value(val, vallen);

	/* Bad arguments. */
	assert_int_equal(vault_put(f->h, (enum vault_table)0, "a", 1, "x", 1), LIAISON_ERR_INVALID);
	assert_int_equal(vault_put(f->h, VT_TABLE_COUNT_, "a", 1, "x", 1), LIAISON_ERR_INVALID);
	assert_int_equal(vault_put(f->h, VT_META, "a", 0, "x", 1), LIAISON_ERR_INVALID);
}

struct nested {
	struct home *h;
	int outer;
	int inner;
};

static int count_inner(const uint8_t *val, size_t vallen, void *arg)
{
	(void)val;
	(void)vallen;
	((struct nested *)arg)->inner++;
	return 0;
}

static int walk_inner(const uint8_t *val, size_t vallen, void *arg)
{
	struct nested *n = arg;

	(void)val;
	(void)vallen;
	n->outer++;
	return vault_each(n->h, VT_META, count_inner, n);
}

static void test_nested_walks(void **state)
{
	struct fixture *f = *state;
	struct nested n = { f->h, 0, 0 };

	assert_int_equal(vault_put(f->h, VT_META, "a", 1, "1", 1), 0);
	assert_int_equal(vault_put(f->h, VT_META, "b", 1, "2", 1), 0);
	assert_int_equal(vault_put(f->h, VT_META, "c", 1, "3", 1), 0);
	assert_int_equal(vault_each(f->h, VT_META, walk_inner, &n), 0);
	assert_int_equal(n.outer, 3);
	assert_int_equal(n.inner, 9);
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err ? err : "?");
}

static void test_moved_value_fails_to_open(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = home_db(f->h);
	uint8_t *val = NULL;
	size_t vallen = 0;

	assert_int_equal(vault_put(f->h, VT_CONTACT, "alice", 5, "alice's record", 14), 0);
	assert_int_equal(vault_put(f->h, VT_CONTACT, "mallory", 7, "mallory's record", 16), 0);
	assert_int_equal(vault_put(f->h, VT_META, "other", 5, "another table", 13), 0);

	/* Copy alice's sealed value onto mallory's row. */
	exec_ok(db, "UPDATE vault SET value = (SELECT value FROM vault WHERE seq = 1) "
		    "WHERE seq = 2");
	assert_int_equal(vault_get(f->h, VT_CONTACT, "mallory", 7, &val, &vallen),
			 LIAISON_ERR_DECRYPT);
	assert_null(val);
	assert_value(f->h, VT_CONTACT, "alice", "alice's record");

	/* Move a whole row (row id, index and value) into another table. */
	exec_ok(db, "UPDATE vault SET tbl = 2 WHERE seq = 3");
	assert_int_equal(vault_get(f->h, VT_CONTACT, "other", 5, &val, &vallen),
			 LIAISON_ERR_NOT_FOUND);

	/* A flipped bit in a value. */
	exec_ok(db, "UPDATE vault SET value = substr(value, 1, 20) || x'00' || "
		    "substr(value, 22) WHERE seq = 1");
	assert_int_equal(vault_get(f->h, VT_CONTACT, "alice", 5, &val, &vallen),
			 LIAISON_ERR_DECRYPT);
}

static int contains(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	size_t i;

	for (i = 0; m <= n && i <= n - m; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return 1;
	return 0;
}

/* Fails when needle appears in DIR/name (a missing file holds nothing). */
static void assert_file_lacks(const char *dir, const char *name, const void *needle, size_t m,
			      const char *what)
{
	char path[128];
	FILE *fp;
	uint8_t *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "rb");
	if (fp == NULL)
		return;
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	assert_int_equal(fseek(fp, 0, SEEK_SET), 0);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	if (contains(buf, (size_t)n, needle, m))
		fail_msg("expected %s to show no %s, but it does", path, what);
	free(buf);
}

static void test_nothing_readable_on_disk(void **state)
{
	struct fixture *f = *state;
	static const char marker[] = "MARKER-plaintext-7f3a9c";
	static const char *const files[] = { "liaison.db", "liaison.db-wal" };
	uint8_t account[16];
	char account_text[ID_CHARS + 1];
	uint8_t record[64];
	size_t i;
	int log_frames = -1, ckpt = -1;

	id_random(account);
	id_encode(account, account_text);
	memcpy(record, account, 16);
	memcpy(record + 16, marker, sizeof(marker) - 1);
	assert_int_equal(vault_put(f->h, VT_CONTACT, account, 16, record, 16 + sizeof(marker) - 1), 0);
	assert_int_equal(vault_put(f->h, VT_SESSION, account_text, ID_CHARS, marker,
				   sizeof(marker) - 1), 0);
	assert_int_equal(vault_put(f->h, VT_MESSAGE, marker, sizeof(marker) - 1, account_text,
				   ID_CHARS), 0);
	/* A deleted value is overwritten too (secure_delete). */
	assert_int_equal(vault_put(f->h, VT_META, "deleted", 7, marker, sizeof(marker) - 1), 0);
	assert_int_equal(vault_del(f->h, VT_META, "deleted", 7), 0);

	assert_int_equal(sqlite3_wal_checkpoint_v2(home_db(f->h), NULL, SQLITE_CHECKPOINT_FULL,
						   &log_frames, &ckpt), SQLITE_OK);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		assert_file_lacks(f->dir, files[i], account, 16, "account id bytes");
		assert_file_lacks(f->dir, files[i], account_text, ID_CHARS, "account id text");
		assert_file_lacks(f->dir, files[i], marker, sizeof(marker) - 1, "plaintext");
	}
	/* And after close, when SQLite folds the WAL back in. */
	home_close(f->h);
	f->h = NULL;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		assert_file_lacks(f->dir, files[i], account, 16, "account id bytes");
		assert_file_lacks(f->dir, files[i], account_text, ID_CHARS, "account id text");
		assert_file_lacks(f->dir, files[i], marker, sizeof(marker) - 1, "plaintext");
	}
}

static void test_locked_home_reads_nothing(void **state)
{
	struct fixture *f = *state;
	struct home *h = NULL;
	uint8_t *val = NULL;
	size_t vallen = 0;

	assert_int_equal(vault_put(f->h, VT_META, "k", 1, "v", 1), 0);
	home_close(f->h);
	f->h = NULL;
	assert_int_equal(home_lock(f->dir, 0, 0, &h), 0);
	assert_int_equal(vault_get(h, VT_META, "k", 1, &val, &vallen), LIAISON_ERR_INTERNAL);
	assert_int_equal(vault_put(h, VT_META, "k", 1, "w", 1), LIAISON_ERR_INTERNAL);
	assert_int_equal(home_unlock(h, PASS, PASSLEN), 0);
	assert_value(h, VT_META, "k", "v");
	f->h = h;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_del_has_each, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_walks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moved_value_fails_to_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_readable_on_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_home_reads_nothing, setup, teardown),
	};

	return cmocka_run_group_tests_name("vault", tests, NULL, NULL);
}
