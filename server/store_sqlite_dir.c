/* The directory's tables in the SQLite backend of server/store.h: change
 * records by version, the latest head and snapshot, and the enrollments a
 * secretariat reviews. Writes join the open batch like every other write;
 * nothing here verifies a record (the relay does, before it stores). */
#include "server/store.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "protocol/log.h"
#include "server/store_sqlite.h"

#define TAG "store"

/* ---- the directory --------------------------------------------------- */

static int put_record(struct store *st, enum stmt_id id, uint64_t version, const uint8_t *rec,
		      size_t len, const uint8_t *state, size_t state_len, const char *what)
{
	sqlite3_stmt *s = sq_stmt(st, id);
	if (sqlite3_bind_int64(s, 1, (sqlite3_int64)version) != SQLITE_OK ||
	    sq_bind_blob(s, 2, rec, len) != 0 ||
	    (state != NULL && sq_bind_blob(s, 3, state, state_len) != 0)) {
		sq_done(s);
		return LIAISON_ERR_STORAGE;
	}
	return sq_run(st, s, what);
}

static int dir_publish_steps(struct store *st, const struct store_dir_publish *p)
{
	uint64_t current = 0;
	size_t i;
	int rc;

	rc = sq_count(st, S_DIR_VERSION, NULL, 0, &current);
	if (rc != 0)
		return rc;
	if (p->n_changes > 0 && p->first_version != current + 1)
		return LIAISON_ERR_CHAIN;
	for (i = 0; i < p->n_changes; i++) {
		if (p->change_lens[i] == 0 || p->change_lens[i] > STORE_DIR_MAX_RECORD)
			return LIAISON_ERR_TOO_BIG;
		rc = put_record(st, S_DIR_ADD, p->first_version + i, p->changes[i], p->change_lens[i],
				NULL, 0, "storing a directory change");
		if (rc == LIAISON_ERR_EXISTS)
			return LIAISON_ERR_CHAIN;
		if (rc != 0)
			return rc;
	}
	if (p->head == NULL || p->head_len == 0 || p->head_len > STORE_DIR_MAX_RECORD)
		return LIAISON_ERR_INVALID;
	rc = put_record(st, S_DIR_HEAD_SET, p->head_version, p->head, p->head_len, NULL, 0,
			"storing the directory head");
	if (rc != 0)
		return rc;
	if (p->snapshot != NULL) {
		if (p->snapshot_len == 0 || p->snapshot_len > STORE_DIR_MAX_RECORD ||
		    p->state == NULL)
			return LIAISON_ERR_INVALID;
		rc = put_record(st, S_DIR_SNAP_SET, p->snapshot_version, p->snapshot,
				p->snapshot_len, p->state, p->state_len,
				"storing the directory snapshot");
		if (rc != 0)
			return rc;
	}
	for (i = 0; i < p->n_revoke; i++) {
		rc = store_account_revoke(st, p->revoke[i]);
		if (rc == LIAISON_ERR_NOT_FOUND)
			rc = 0;
		if (rc != 0)
			return rc;
	}
	return 0;
}

int store_dir_publish(struct store *st, const struct store_dir_publish *p)
{
	int rc = sq_op_begin(st);
	if (rc != 0)
		return rc;
	return sq_op_end(st, dir_publish_steps(st, p));
}

int store_dir_version(struct store *st, uint64_t *version)
{
	return sq_count(st, S_DIR_VERSION, NULL, 0, version);
}

int store_dir_changes(struct store *st, uint64_t after, size_t max_count, store_record_fn fn,
		      void *arg, size_t *count)
{
	sqlite3_stmt *s = sq_stmt(st, S_DIR_CHANGES);
	size_t n = 0;
	int rc;

	if (max_count > INT64_MAX)
		max_count = INT64_MAX;
	if (sqlite3_bind_int64(s, 1, (sqlite3_int64)(after > INT64_MAX ? INT64_MAX : after)) !=
		    SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, (sqlite3_int64)max_count) != SQLITE_OK) {
		rc = LIAISON_ERR_STORAGE;
		goto out;
	}
	for (;;) {
		const void *p;
		int len;
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE) {
			rc = 0;
			break;
		}
		if (rc != SQLITE_ROW) {
			rc = sq_err(st, "reading the directory");
			goto out;
		}
		p = sqlite3_column_blob(s, 1);
		len = sqlite3_column_bytes(s, 1);
		if (p == NULL || len <= 0 || (size_t)len > STORE_DIR_MAX_RECORD) {
			rc = LIAISON_ERR_STORAGE;
			goto out;
		}
		rc = fn(arg, (uint64_t)sqlite3_column_int64(s, 0), p, (size_t)len);
		if (rc < 0)
			goto out;
		if (rc > 0) {
			rc = 0;
			break;
		}
		n++;
	}
	if (count != NULL)
		*count = n;
out:
	sq_done(s);
	return rc;
}

/* Copies a blob column of 1..STORE_DIR_MAX_RECORD bytes into a new buffer. */
static int column_record(sqlite3_stmt *s, int col, uint8_t **out, size_t *len)
{
	const void *p = sqlite3_column_blob(s, col);
	int n = sqlite3_column_bytes(s, col);
	uint8_t *copy;
	if (p == NULL || n <= 0 || (size_t)n > STORE_DIR_MAX_RECORD)
		return LIAISON_ERR_STORAGE;
	copy = malloc((size_t)n);
	if (copy == NULL)
		return LIAISON_ERR_NOMEM;
	memcpy(copy, p, (size_t)n);
	*out = copy;
	*len = (size_t)n;
	return 0;
}

int store_dir_head(struct store *st, uint8_t **rec, size_t *len, uint64_t *version)
{
	sqlite3_stmt *s = sq_stmt(st, S_DIR_HEAD_GET);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		rc = LIAISON_ERR_NOT_FOUND;
	} else if (rc != SQLITE_ROW) {
		rc = sq_err(st, "reading the directory head");
	} else {
		rc = column_record(s, 1, rec, len);
		if (rc == 0)
			*version = (uint64_t)sqlite3_column_int64(s, 0);
	}
	sq_done(s);
	return rc;
}

int store_dir_snapshot(struct store *st, uint8_t **rec, size_t *len, uint64_t *version,
		       uint64_t *state_len)
{
	sqlite3_stmt *s = sq_stmt(st, S_DIR_SNAP_GET);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		rc = LIAISON_ERR_NOT_FOUND;
	} else if (rc != SQLITE_ROW) {
		rc = sq_err(st, "reading the directory snapshot");
	} else if (sqlite3_column_int64(s, 2) < 0) {
		rc = LIAISON_ERR_STORAGE;
	} else {
		uint64_t n = (uint64_t)sqlite3_column_int64(s, 2);
		uint64_t v = (uint64_t)sqlite3_column_int64(s, 0);
		rc = column_record(s, 1, rec, len);
		if (rc == 0) {
			*version = v;
			*state_len = n;
		}
	}
	sq_done(s);
	return rc;
}

int store_dir_snapshot_read(struct store *st, uint64_t offset, uint8_t *buf, size_t n)
{
	sqlite3_blob *b = NULL;
	int rc = 0, total;

	/* The snapshot row's rowid is its `one` column, always 1. */
	rc = sqlite3_blob_open(sq_db(st), "main", "dir_snapshot", "state", 1, 0, &b);
	if (rc != SQLITE_OK) {
		sqlite3_blob_close(b);
		return rc == SQLITE_ERROR ? LIAISON_ERR_NOT_FOUND : sq_err(st, "opening the snapshot");
	}
	total = sqlite3_blob_bytes(b);
	if (total < 0 || offset > (uint64_t)total || n > (uint64_t)total - offset) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	if (n > 0 && sqlite3_blob_read(b, buf, (int)n, (int)offset) != SQLITE_OK) {
		rc = sq_err(st, "reading the snapshot");
		goto out;
	}
	rc = 0;
out:
	if (sqlite3_blob_close(b) != SQLITE_OK && rc == 0)
		rc = sq_err(st, "closing the snapshot");
	return rc;
}

int store_enrollments(struct store *st, store_pending_fn fn, void *arg)
{
	sqlite3_stmt *s = sq_stmt(st, S_ENROLLMENTS);
	struct store_pending p;
	int rc;

	for (;;) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE) {
			rc = 0;
			break;
		}
		if (rc != SQLITE_ROW) {
			rc = sq_err(st, "reading the enrollments");
			break;
		}
		memset(&p, 0, sizeof(p));
		rc = sq_column_fixed(s, 0, p.account, sizeof(p.account));
		if (rc == 0)
			rc = sq_column_fixed(s, 4, p.signature, sizeof(p.signature));
		if (rc == 0)
			rc = sq_column_fixed(s, 5, p.bind_mac, sizeof(p.bind_mac));
		if (rc != 0)
			break;
		p.role = (uint8_t)sqlite3_column_int(s, 1);
		p.bootstrap = sqlite3_column_int(s, 2) != 0;
		p.enrollment = sqlite3_column_blob(s, 3);
		p.enrollment_len = (size_t)sqlite3_column_bytes(s, 3);
		p.enrolled_at = (uint64_t)sqlite3_column_int64(s, 6);
		if (p.enrollment == NULL || p.enrollment_len > LAYOUT_MAX_ENROLLMENT) {
			rc = LIAISON_ERR_STORAGE;
			break;
		}
		rc = fn(arg, &p);
		if (rc != 0) {
			if (rc > 0)
				rc = 0;
			break;
		}
	}
	sq_done(s);
	return rc;
}
