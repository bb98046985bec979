/* Encrypted tables: one SQLite table of (row id, blind index, sealed value)
 * rows, each tagged with its vault table. It must never store a lookup key
 * or a value in clear, nor open a value under any row but its own. */
#include "client-tui/core/vault.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/crypto.h"

#define VAULT_SCHEMA_VERSION 1
#define VAULT_ROW_ID_BYTES 16
#define VAULT_INDEX_BYTES 32
#define VAULT_AD_PREFIX "liaison/v1/vault"
#define VAULT_AD_BYTES (sizeof(VAULT_AD_PREFIX) - 1 + 1 + VAULT_ROW_ID_BYTES + 1)

/* Statement slots in the home's cache. */
enum {
	S_FIND = 0,
	S_INSERT,
	S_UPDATE,
	S_DELETE,
	S_EACH,
	S_USER_VERSION
};

static const char *const sql_text[] = {
	[S_FIND] = "SELECT row_id, value FROM vault WHERE tbl = ?1 AND idx = ?2",
	[S_INSERT] = "INSERT INTO vault (tbl, row_id, idx, value) VALUES (?1, ?2, ?3, ?4)",
	[S_UPDATE] = "UPDATE vault SET value = ?2 WHERE row_id = ?1",
	[S_DELETE] = "DELETE FROM vault WHERE tbl = ?1 AND idx = ?2",
	[S_EACH] = "SELECT row_id, value FROM vault WHERE tbl = ?1 ORDER BY seq",
	[S_USER_VERSION] = "PRAGMA user_version",
};

int vault_migrate(struct home *h)
{
	sqlite3_stmt *st = NULL;
	int version;
	int rc;

	rc = home_stmt(h, S_USER_VERSION, sql_text[S_USER_VERSION], &st);
	if (rc != 0)
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW) {
		(void)sqlite3_reset(st);
		return LIAISON_ERR_STORAGE;
	}
	version = sqlite3_column_int(st, 0);
	(void)sqlite3_reset(st);
	if (version == VAULT_SCHEMA_VERSION)
		return 0;
	if (version > VAULT_SCHEMA_VERSION)
		return LIAISON_ERR_UNSUPPORTED;
	rc = home_begin(h);
	if (rc != 0)
		return rc;
	/* Migration 1: the vault table. Later migrations follow as further
	 * steps, each guarded by the version it upgrades from. */
	if (version < 1 &&
	    sqlite3_exec(home_db(h),
			 "CREATE TABLE vault ("
			 " seq INTEGER PRIMARY KEY,"
			 " tbl INTEGER NOT NULL,"
			 " row_id BLOB NOT NULL UNIQUE CHECK (length(row_id) = 16),"
			 " idx BLOB NOT NULL CHECK (length(idx) = 32),"
			 " value BLOB NOT NULL,"
			 " UNIQUE (tbl, idx));"
			 "CREATE INDEX vault_walk ON vault (tbl, seq);"
			 "PRAGMA user_version = 1;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		home_rollback(h);
		return LIAISON_ERR_STORAGE;
	}
	return home_commit(h);
}

static int check_args(enum vault_table t, const void *key, size_t keylen)
{
	if ((int)t < 1 || (int)t >= VT_TABLE_COUNT_)
		return LIAISON_ERR_INVALID;
	if (key == NULL || keylen == 0)
		return LIAISON_ERR_INVALID;
	if (keylen > VAULT_MAX_KEY)
		return LIAISON_ERR_TOO_BIG;
	return 0;
}

static void make_ad(uint8_t ad[VAULT_AD_BYTES], enum vault_table t,
		    const uint8_t row_id[VAULT_ROW_ID_BYTES], uint8_t version)
{
	size_t n = sizeof(VAULT_AD_PREFIX) - 1;

	memcpy(ad, VAULT_AD_PREFIX, n);
	ad[n] = (uint8_t)t;
	memcpy(ad + n + 1, row_id, VAULT_ROW_ID_BYTES);
	ad[n + 1 + VAULT_ROW_ID_BYTES] = version;
}

/* The blind index of key in table t. */
static int blind_index(struct home *h, enum vault_table t, const void *key, size_t keylen,
		       uint8_t idx[VAULT_INDEX_BYTES])
{
	const uint8_t *ikey;
	const uint8_t *vkey;
	int rc;

	rc = home_vault_keys(h, (int)t, &ikey, &vkey);
	if (rc != 0)
		return rc;
	return lc_keyed_hash(idx, VAULT_INDEX_BYTES, key, keylen, ikey);
}

/* Opens a stored value of row_id into a malloc'd buffer. */
static int open_value(struct home *h, enum vault_table t, const uint8_t *row_id,
		      size_t row_id_len, const uint8_t *blob, size_t bloblen,
		      uint8_t **val, size_t *vallen)
{
	const uint8_t *ikey;
	const uint8_t *vkey;
	uint8_t ad[VAULT_AD_BYTES];
	uint8_t *plain = NULL;
	size_t plainlen = 0;
	size_t cap;
	int rc;

	rc = home_vault_keys(h, (int)t, &ikey, &vkey);
	if (rc != 0)
		return rc;
	if (row_id == NULL || row_id_len != VAULT_ROW_ID_BYTES || blob == NULL ||
	    bloblen < 1 + LC_AEAD_OVERHEAD)
		return LIAISON_ERR_DECRYPT;
	if (blob[0] != VAULT_FORMAT_VERSION)
		return LIAISON_ERR_UNSUPPORTED;
	cap = bloblen - 1 - LC_AEAD_OVERHEAD;
	if (cap > VAULT_MAX_VALUE)
		return LIAISON_ERR_TOO_BIG;
	plain = malloc(cap > 0 ? cap : 1);
	if (plain == NULL)
		return LIAISON_ERR_NOMEM;
	make_ad(ad, t, row_id, blob[0]);
	rc = lc_open(plain, cap, &plainlen, blob + 1, bloblen - 1, ad, sizeof(ad), vkey);
	if (rc != 0)
		goto out;
	*val = plain;
	*vallen = plainlen;
	plain = NULL;
out:
	if (plain != NULL)
		vault_free_value(plain, cap);
	return rc;
}

/* Seals val for row_id into a malloc'd blob: version || lc_seal(...). */
static int seal_value(struct home *h, enum vault_table t, const uint8_t row_id[VAULT_ROW_ID_BYTES],
		      const void *val, size_t vallen, uint8_t **blob, size_t *bloblen)
{
	const uint8_t *ikey;
	const uint8_t *vkey;
	uint8_t ad[VAULT_AD_BYTES];
	uint8_t *out = NULL;
	size_t cap = 1 + vallen + LC_AEAD_OVERHEAD;
	size_t sealed = 0;
	int rc;

	rc = home_vault_keys(h, (int)t, &ikey, &vkey);
	if (rc != 0)
		return rc;
	out = malloc(cap);
	if (out == NULL)
		return LIAISON_ERR_NOMEM;
	out[0] = VAULT_FORMAT_VERSION;
	make_ad(ad, t, row_id, VAULT_FORMAT_VERSION);
	rc = lc_seal(out + 1, cap - 1, &sealed, vallen > 0 ? val : (const void *)"", vallen,
		     ad, sizeof(ad), vkey);
	if (rc != 0) {
		free(out);
		return rc;
	}
	*blob = out;
	*bloblen = 1 + sealed;
	return 0;
}

int vault_put(struct home *h, enum vault_table t, const void *key, size_t keylen,
	      const void *val, size_t vallen)
{
	uint8_t idx[VAULT_INDEX_BYTES];
	uint8_t row_id[VAULT_ROW_ID_BYTES];
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	sqlite3_stmt *st = NULL;
	int exists = 0;
	int rc;

	rc = check_args(t, key, keylen);
	if (rc != 0)
		return rc;
	if (val == NULL && vallen > 0)
		return LIAISON_ERR_INVALID;
	if (vallen > VAULT_MAX_VALUE)
		return LIAISON_ERR_TOO_BIG;
	rc = blind_index(h, t, key, keylen, idx);
	if (rc != 0)
		return rc;

	rc = home_stmt(h, S_FIND, sql_text[S_FIND], &st);
	if (rc != 0)
		goto out;
	rc = LIAISON_ERR_STORAGE;
	if (sqlite3_bind_int(st, 1, (int)t) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 2, idx, sizeof(idx), SQLITE_STATIC) != SQLITE_OK)
		goto out;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		if (sqlite3_column_bytes(st, 0) != VAULT_ROW_ID_BYTES)
			goto out;
		memcpy(row_id, sqlite3_column_blob(st, 0), VAULT_ROW_ID_BYTES);
		exists = 1;
		break;
	case SQLITE_DONE:
		lc_random(row_id, sizeof(row_id));
		break;
	default:
		goto out;
	}
	(void)sqlite3_reset(st);
	st = NULL;

	rc = seal_value(h, t, row_id, val, vallen, &blob, &bloblen);
	if (rc != 0)
		goto out;
	if (exists) {
		rc = home_stmt(h, S_UPDATE, sql_text[S_UPDATE], &st);
		if (rc != 0)
			goto out;
		rc = LIAISON_ERR_STORAGE;
		if (sqlite3_bind_blob(st, 1, row_id, sizeof(row_id), SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_blob(st, 2, blob, (int)bloblen, SQLITE_STATIC) != SQLITE_OK)
			goto out;
	} else {
		rc = home_stmt(h, S_INSERT, sql_text[S_INSERT], &st);
		if (rc != 0)
			goto out;
		rc = LIAISON_ERR_STORAGE;
		if (sqlite3_bind_int(st, 1, (int)t) != SQLITE_OK ||
		    sqlite3_bind_blob(st, 2, row_id, sizeof(row_id), SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_blob(st, 3, idx, sizeof(idx), SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_blob(st, 4, blob, (int)bloblen, SQLITE_STATIC) != SQLITE_OK)
			goto out;
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	rc = 0;
out:
	if (st != NULL) {
		(void)sqlite3_reset(st);
		(void)sqlite3_clear_bindings(st);
	}
	free(blob);
	return rc;
}

/* Prepares statement `which` (S_FIND or S_DELETE) bound to the table and
 * the blind index of key: the lookup every keyed read or delete shares. */
static int keyed_stmt(struct home *h, int which, enum vault_table t, const void *key,
		      size_t keylen, sqlite3_stmt **out)
{
	uint8_t idx[VAULT_INDEX_BYTES];
	sqlite3_stmt *st = NULL;
	int rc;

	rc = check_args(t, key, keylen);
	if (rc == 0)
		rc = blind_index(h, t, key, keylen, idx);
	if (rc == 0)
		rc = home_stmt(h, which, sql_text[which], &st);
	if (rc != 0)
		return rc;
	if (sqlite3_bind_int(st, 1, (int)t) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 2, idx, sizeof(idx), SQLITE_TRANSIENT) != SQLITE_OK) {
		(void)sqlite3_reset(st);
		(void)sqlite3_clear_bindings(st);
		return LIAISON_ERR_STORAGE;
	}
	*out = st;
	return 0;
}

int vault_get(struct home *h, enum vault_table t, const void *key, size_t keylen,
	      uint8_t **val, size_t *vallen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = keyed_stmt(h, S_FIND, t, key, keylen, &st);
	if (rc != 0)
		return rc;
	rc = LIAISON_ERR_STORAGE;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		rc = open_value(h, t, sqlite3_column_blob(st, 0),
				(size_t)sqlite3_column_bytes(st, 0), sqlite3_column_blob(st, 1),
				(size_t)sqlite3_column_bytes(st, 1), val, vallen);
		break;
	case SQLITE_DONE:
		rc = LIAISON_ERR_NOT_FOUND;
		break;
	default:
		break;
	}
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
	return rc;
}

int vault_del(struct home *h, enum vault_table t, const void *key, size_t keylen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = keyed_stmt(h, S_DELETE, t, key, keylen, &st);
	if (rc != 0)
		return rc;
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : LIAISON_ERR_STORAGE;
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
	return rc;
}

int vault_has(struct home *h, enum vault_table t, const void *key, size_t keylen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = keyed_stmt(h, S_FIND, t, key, keylen, &st);
	if (rc != 0)
		return rc;
	rc = LIAISON_ERR_STORAGE;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		rc = 1;
		break;
	case SQLITE_DONE:
		rc = 0;
		break;
	default:
		break;
	}
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
	return rc;
}

int vault_each(struct home *h, enum vault_table t, vault_each_fn fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	sqlite3_stmt *own = NULL;   /* when the kept statement is mid-walk */
	uint8_t *val = NULL;
	size_t vallen = 0;
	int step;
	int rc;

	if ((int)t < 1 || (int)t >= VT_TABLE_COUNT_ || fn == NULL)
		return LIAISON_ERR_INVALID;
	if (!home_is_unlocked(h))
		return LIAISON_ERR_INTERNAL;
	rc = home_stmt(h, S_EACH, sql_text[S_EACH], &st);
	if (rc == LIAISON_ERR_BUSY) {
		/* A walk inside a walk: the kept statement is in use. */
		if (sqlite3_prepare_v2(home_db(h), sql_text[S_EACH], -1, &own, NULL) != SQLITE_OK)
			return LIAISON_ERR_STORAGE;
		st = own;
	} else if (rc != 0) {
		return rc;
	}
	rc = LIAISON_ERR_STORAGE;
	if (sqlite3_bind_int(st, 1, (int)t) != SQLITE_OK)
		goto out;
	for (;;) {
		step = sqlite3_step(st);
		if (step == SQLITE_DONE) {
			rc = 0;
			break;
		}
		if (step != SQLITE_ROW) {
			rc = LIAISON_ERR_STORAGE;
			break;
		}
		rc = open_value(h, t, sqlite3_column_blob(st, 0),
				(size_t)sqlite3_column_bytes(st, 0), sqlite3_column_blob(st, 1),
				(size_t)sqlite3_column_bytes(st, 1), &val, &vallen);
		if (rc != 0)
			break;
		rc = fn(val, vallen, arg);
		vault_free_value(val, vallen);
		val = NULL;
		if (rc != 0)
			break;
	}
out:
	if (own != NULL) {
		sqlite3_finalize(own);
	} else {
		(void)sqlite3_reset(st);
		(void)sqlite3_clear_bindings(st);
	}
	return rc;
}

void vault_free_value(uint8_t *val, size_t vallen)
{
	if (val == NULL)
		return;
	lc_wipe(val, vallen);
	free(val);
}
