/* Internal to the SQLite backend of server/store.h (store_sqlite.c and
 * store_sqlite_dir.c): the statement table's ids and the helpers its files
 * share. Nothing outside the backend includes this file. */
#ifndef LIAISON_SERVER_STORE_SQLITE_H
#define LIAISON_SERVER_STORE_SQLITE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "server/store.h"

enum stmt_id {
	S_BEGIN, S_COMMIT, S_ROLLBACK, S_SAVEPOINT, S_RELEASE, S_ROLLBACK_TO,
	S_SETTING_GET, S_SETTING_SET,
	S_INVITE_ADD, S_INVITE_GET, S_INVITE_USE, S_BOOTSTRAP_GET, S_BOOTSTRAP_MARK,
	S_ACCOUNT_ADD, S_ACCOUNT_GET, S_ACCOUNT_REVOKE,
	S_SPK_SET, S_SPK_GET, S_PK_ADD, S_PK_COUNT, S_PK_FIRST, S_PK_DEL,
	S_SENT_ADD, S_SENT_DEL, S_MAIL_ADD, S_MAIL_FETCH, S_MAIL_ACK,
	S_EXPIRE_MAIL_END, S_EXPIRE_MAIL, S_EXPIRE_SENT_END, S_EXPIRE_SENT,
	S_COUNT_ACCOUNTS, S_COUNT_REVOKED, S_COUNT_QUEUED, S_MAX_SEQ,
	S_DIR_ADD, S_DIR_HEAD_SET, S_DIR_SNAP_SET, S_DIR_VERSION, S_DIR_CHANGES, S_DIR_HEAD_GET,
	S_DIR_SNAP_GET, S_ENROLLMENTS,
	S_COUNT_
};

/* The backend's connection (for what the statement table cannot hold). */
sqlite3 *sq_db(struct store *st);
/* The kept statement id, reset and unbound, ready to bind. */
sqlite3_stmt *sq_stmt(struct store *st, enum stmt_id id);
/* Resets and unbinds a statement after use. */
void sq_done(sqlite3_stmt *s);
/* Logs what failed with SQLite's words, marks the open batch failed when
 * SQLite dropped the transaction, and returns LIAISON_ERR_STORAGE. */
int sq_err(struct store *st, const char *what) LIAISON_WUR;
/* Steps a statement that returns no row, then sq_done. */
int sq_run(struct store *st, sqlite3_stmt *s, const char *what) LIAISON_WUR;
int sq_bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n) LIAISON_WUR;
int sq_column_fixed(sqlite3_stmt *s, int col, uint8_t *out, size_t n) LIAISON_WUR;
/* One operation inside the open batch: a savepoint that sq_op_end rolls
 * back when status is an error, and releases either way. */
int sq_op_begin(struct store *st) LIAISON_WUR;
int sq_op_end(struct store *st, int status) LIAISON_WUR;
/* Runs a query, optionally keyed by one blob (?1), to its first row: 0
 * with *out on that row (read it, then sq_done), LIAISON_ERR_NOT_FOUND when
 * there is none, or another error (logged with what); on any error the
 * statement is already done. */
int sq_row(struct store *st, enum stmt_id id, const uint8_t *key, size_t keylen,
	   const char *what, sqlite3_stmt **out) LIAISON_WUR;
/* A single-number query, optionally keyed by one blob. */
int sq_count(struct store *st, enum stmt_id id, const uint8_t *key, size_t keylen,
	     uint64_t *out) LIAISON_WUR;

#endif
