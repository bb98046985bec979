/* The SQLite backend of server/store.h: WAL, statements prepared once,
 * migrations by PRAGMA user_version. Writes go into one open transaction per
 * loop turn, committed by store_flush and made durable by store_sync.c (group
 * commit); it must never report a batch done, nor let Fetch see a message,
 * before a sync that began after its COMMIT returned has finished.
 *
 * Why an acknowledgement is never earlier than durability, with
 * synchronous=NORMAL: COMMIT appends the batch's frames to the WAL with
 * write(2) and returns without syncing; only then is its generation handed
 * to the sync thread, whose fdatasync of the WAL's inode (any descriptor
 * flushes it) starts after that and so covers the frames. Recovery replays
 * the longest prefix of frames whose chained checksums hold, so a durable
 * batch is replayed with everything committed before it. A checkpoint (on
 * the worker of store_ckpt.c, on the loop right after a COMMIT, or at close)
 * syncs the WAL before it copies pages into the database and syncs the
 * database after; the WAL is
 * reset (frames overwritten from its start, under a new salt, with the new
 * header synced) only after a checkpoint copied every frame. So a batch
 * whose frames are overwritten before its own sync ran was already durable
 * in the database; its completion still waits for that later sync. */
#include "server/store.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "protocol/crypto.h"
#include "protocol/log.h"
#include "server/store_ckpt.h"
#include "server/store_sqlite.h"
#include "server/store_sync.h"

#define TAG "store"
#define BUSY_TIMEOUT_MS 5000
#define CACHE_KIB 65536			/* SQLite's page cache: the hot mailbox pages */
#define SEQ_RESERVE 100000		/* mailbox seqs reserved at a time */
#define ACCOUNT_BUCKETS 4096		/* the account cache's hash table */
#define ACCOUNT_CACHE_MAX 65536		/* accounts cached before it is emptied */
#define CLOSE_ROUNDS 16			/* flushes at close (completions may stage more) */


static const char *const stmt_sql[S_COUNT_] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SAVEPOINT] = "SAVEPOINT op",
	[S_RELEASE] = "RELEASE op",
	[S_ROLLBACK_TO] = "ROLLBACK TO op",
	[S_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
	[S_SETTING_SET] = "INSERT OR REPLACE INTO settings(key, value) VALUES (?1, ?2)",
	[S_INVITE_ADD] = "INSERT INTO invites(id, redeem_hash, role, authority, expires, bootstrap)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_INVITE_GET] = "SELECT redeem_hash, role, authority, expires, bootstrap, used"
			 " FROM invites WHERE id = ?1",
	[S_INVITE_USE] = "UPDATE invites SET used = 1 WHERE id = ?1 AND used = 0",
	[S_BOOTSTRAP_GET] = "SELECT count(*) FROM bootstrap_redeemed",
	/* The CHECK and primary key make a second bootstrap redemption fail
	 * inside the database, whatever the caller checked before. */
	[S_BOOTSTRAP_MARK] = "INSERT INTO bootstrap_redeemed(one, invite_id) VALUES (1, ?1)",
	[S_ACCOUNT_ADD] = "INSERT INTO accounts(id, identity_key, registration_id, role, authority,"
			  " enrollment, signature, bind_mac, invite_id, bootstrap, enrolled_at,"
			  " pre_directory) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[S_ACCOUNT_GET] = "SELECT identity_key, registration_id, role, authority, bootstrap, revoked,"
			  " pre_directory FROM accounts WHERE id = ?1",
	[S_ACCOUNT_REVOKE] = "UPDATE accounts SET revoked = 1 WHERE id = ?1",
	[S_SPK_SET] = "INSERT OR REPLACE INTO signed_prekeys(account, id, public_key, signature)"
		      " VALUES (?1, ?2, ?3, ?4)",
	[S_SPK_GET] = "SELECT id, public_key, signature FROM signed_prekeys WHERE account = ?1",
	[S_PK_ADD] = "INSERT OR REPLACE INTO prekeys(account, id, public_key) VALUES (?1, ?2, ?3)",
	[S_PK_COUNT] = "SELECT count(*) FROM prekeys WHERE account = ?1",
	[S_PK_FIRST] = "SELECT id, public_key FROM prekeys WHERE account = ?1 ORDER BY id LIMIT 1",
	[S_PK_DEL] = "DELETE FROM prekeys WHERE account = ?1 AND id = ?2",
	[S_SENT_ADD] = "INSERT OR IGNORE INTO sent_ids(sender, message_id, received_at)"
		       " VALUES (?1, ?2, ?3)",
	[S_SENT_DEL] = "DELETE FROM sent_ids WHERE message_id = ?2 AND sender = ?1",
	[S_MAIL_ADD] = "INSERT INTO mailbox(recipient, sender, message_id, type, ciphertext,"
		       " received_at, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_MAIL_FETCH] = "SELECT seq, sender, message_id, type, ciphertext, received_at FROM mailbox"
			 " WHERE recipient = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq LIMIT ?4",
	[S_MAIL_ACK] = "DELETE FROM mailbox WHERE recipient = ?1 AND seq = ?2",
	/* Expiry walks the tables by key, a chunk at a time (store_expire_step). */
	[S_EXPIRE_MAIL_END] = "SELECT max(seq), count(*) FROM"
			      " (SELECT seq FROM mailbox WHERE seq > ?1 ORDER BY seq LIMIT ?2)",
	[S_EXPIRE_MAIL] = "DELETE FROM mailbox WHERE seq > ?1 AND seq <= ?2 AND received_at <= ?3",
	[S_EXPIRE_SENT_END] = "SELECT message_id, sender FROM sent_ids"
			      " WHERE (message_id, sender) > (?1, ?2)"
			      " ORDER BY message_id, sender LIMIT 1 OFFSET ?3",
	[S_EXPIRE_SENT] = "DELETE FROM sent_ids WHERE (message_id, sender) > (?1, ?2)"
			  " AND (message_id, sender) <= (?3, ?4) AND received_at <= ?5",
	[S_COUNT_ACCOUNTS] = "SELECT count(*) FROM accounts",
	[S_COUNT_REVOKED] = "SELECT count(*) FROM accounts WHERE revoked != 0",
	[S_COUNT_QUEUED] = "SELECT count(*) FROM mailbox",
	[S_MAX_SEQ] = "SELECT coalesce(max(seq), 0) FROM mailbox",
	[S_DIR_ADD] = "INSERT INTO dir_changes(version, record) VALUES (?1, ?2)",
	[S_DIR_HEAD_SET] = "INSERT OR REPLACE INTO dir_head(one, version, record) VALUES (1, ?1, ?2)",
	[S_DIR_SNAP_SET] = "INSERT OR REPLACE INTO dir_snapshot(one, version, record, state)"
			   " VALUES (1, ?1, ?2, ?3)",
	[S_DIR_VERSION] = "SELECT coalesce(max(version), 0) FROM dir_changes",
	[S_DIR_CHANGES] = "SELECT version, record FROM dir_changes WHERE version > ?1"
			  " ORDER BY version LIMIT ?2",
	[S_DIR_HEAD_GET] = "SELECT version, record FROM dir_head WHERE one = 1",
	[S_DIR_SNAP_GET] = "SELECT version, record, length(state) FROM dir_snapshot WHERE one = 1",
	[S_ENROLLMENTS] = "SELECT id, role, bootstrap, enrollment, signature, bind_mac, enrolled_at"
			  " FROM accounts WHERE revoked = 0 ORDER BY enrolled_at, id",
};

/* Numbered migrations: migration i brings user_version from i to i + 1. */
static const char *const migrations[] = {
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
	"CREATE INDEX sent_ids_by_arrival ON sent_ids(received_at);",
	/* 2: the directory. Accounts enrolled before it existed keep the
	 * access they had (the transitional rule of docs/PROTOCOL.md §4). */
	"CREATE TABLE dir_changes(version INTEGER PRIMARY KEY, record BLOB NOT NULL);"
	"CREATE TABLE dir_head(one INTEGER PRIMARY KEY CHECK (one = 1),"
	" version INTEGER NOT NULL, record BLOB NOT NULL);"
	"CREATE TABLE dir_snapshot(one INTEGER PRIMARY KEY CHECK (one = 1),"
	" version INTEGER NOT NULL, record BLOB NOT NULL, state BLOB NOT NULL);"
	"ALTER TABLE accounts ADD COLUMN pre_directory INTEGER NOT NULL DEFAULT 0;"
	"UPDATE accounts SET pre_directory = 1;",
	/* 3: mailbox seq numbers come from the store's own counter, persisted
	 * once per commit as the setting mail_seq, instead of AUTOINCREMENT's
	 * per-insert write to sqlite_sequence (the relay's hottest insert). */
	"CREATE TABLE mailbox_new(seq INTEGER PRIMARY KEY, recipient BLOB NOT NULL,"
	" sender BLOB NOT NULL, message_id BLOB NOT NULL, type INTEGER NOT NULL,"
	" ciphertext BLOB NOT NULL, received_at INTEGER NOT NULL);"
	"INSERT INTO mailbox_new SELECT seq, recipient, sender, message_id, type, ciphertext,"
	" received_at FROM mailbox;"
	"INSERT OR REPLACE INTO settings(key, value) SELECT 'mail_seq',"
	" CAST(coalesce(max(v), 0) AS TEXT) FROM (SELECT seq AS v FROM sqlite_sequence"
	" WHERE name = 'mailbox' UNION ALL SELECT max(seq) FROM mailbox);"
	"DROP TABLE mailbox;"
	"ALTER TABLE mailbox_new RENAME TO mailbox;"
	"CREATE INDEX mailbox_by_recipient ON mailbox(recipient, seq);"
	"CREATE INDEX mailbox_by_arrival ON mailbox(received_at);",
	/* 4: no indexes by time of arrival. Each cost every message an insert
	 * and a delete, and a fifth of the WAL written per commit; expiry now
	 * walks the tables by their keys instead, a chunk per step. */
	"DROP INDEX IF EXISTS mailbox_by_arrival; DROP INDEX IF EXISTS sent_ids_by_arrival;",
	/* 5: message ids first in the key. Clients make ids that grow with
	 * time (wire_message_id_new), so each id goes in at the end of the
	 * index, where the ids of the same moment are, instead of into a page
	 * of its own: a random key wrote a page of the WAL per message. */
	"CREATE TABLE sent_ids_new(message_id BLOB NOT NULL, sender BLOB NOT NULL,"
	" received_at INTEGER NOT NULL, PRIMARY KEY (message_id, sender)) WITHOUT ROWID;"
	"INSERT INTO sent_ids_new SELECT message_id, sender, received_at FROM sent_ids"
	" ORDER BY message_id, sender;"
	"DROP TABLE sent_ids;"
	"ALTER TABLE sent_ids_new RENAME TO sent_ids;",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

struct completion {
	store_done_fn done;
	void *arg;
};

/* A committed (or failed) batch waiting for the sync that covers it. */
struct batch {
	struct batch *next;
	uint64_t gen;			/* complete once this generation is durable */
	uint64_t seq;			/* highest mailbox seq it holds (0: none) */
	int status;			/* nonzero: rolled back */
	struct completion *done;
	size_t n_done;
};

/* Accounts by id: the relay looks one up for every Send. Only rows read
 * from the database go in; any write to an account drops its entry and any
 * rollback empties the cache, so it never holds what was rolled back. */
struct cached_account {
	struct cached_account *next;
	struct store_account a;
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT_];
	struct store_sync *sync;
	struct store_ckpt *ckpt;	/* with a scheduler: checkpoints off the loop */
	int wal_frames;			/* frames in the WAL after the last COMMIT */
	int ckpt_asked;			/* a checkpoint was asked of ckpt */
	int in_tx;
	int tx_failed;			/* the open batch must roll back */
	int scheduled;
	store_schedule_fn schedule;
	void *schedule_arg;
	struct completion *pending;
	size_t n_pending, cap_pending;
	struct batch *wait_head, *wait_tail;
	uint64_t gen;			/* generation of the last COMMIT */
	uint64_t committed_seq;		/* highest mailbox seq known durable */
	uint64_t batch_seq;		/* highest seq staged in the open batch */
	uint64_t next_seq;		/* last mailbox seq handed out (never reused) */
	uint64_t reserved_seq;		/* the setting mail_seq: no seq above it handed out */
	/* The expiry pass in progress (store_expire_step). */
	int exp_phase;			/* 0: none; 1: messages; 2: message ids */
	uint64_t exp_cutoff;		/* the messages' cutoff, fixed for the pass */
	uint64_t exp_seq;		/* messages: the last seq looked at */
	uint8_t exp_key[32];		/* ids: the last (id, sender) looked at */
	size_t exp_key_len;		/* 0 before the first */
	struct cached_account *accounts[ACCOUNT_BUCKETS];
	size_t n_accounts;
};

sqlite3 *sq_db(struct store *st)
{
	return st->db;
}

/* Every use ends in sq_done, which resets the statement and drops its
 * bindings, so the next use normally starts clean; a statement left
 * mid-step is reset here all the same. */
sqlite3_stmt *sq_stmt(struct store *st, enum stmt_id id)
{
	sqlite3_stmt *s = st->stmt[id];
	if (sqlite3_stmt_busy(s))
		sq_done(s);
	return s;
}

void sq_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

int sq_err(struct store *st, const char *what)
{
	log_err(TAG, "%s: %s", what, sqlite3_errmsg(st->db));
	/* Some errors (I/O, full disk) roll the whole transaction back: what
	 * the batch staged before is gone, so none of it may be acknowledged. */
	if (st->in_tx && sqlite3_get_autocommit(st->db))
		st->tx_failed = 1;
	return LIAISON_ERR_STORAGE;
}

/* ---- the account cache ----------------------------------------------- */

static unsigned account_bucket(const uint8_t id[16])
{
	return (unsigned)(((unsigned)id[0] << 8 | id[1]) ^ ((unsigned)id[2] << 4)) % ACCOUNT_BUCKETS;
}

static void cache_clear(struct store *st)
{
	struct cached_account *e, *next;
	size_t i;
	for (i = 0; i < ACCOUNT_BUCKETS; i++) {
		for (e = st->accounts[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
		st->accounts[i] = NULL;
	}
	st->n_accounts = 0;
}

static void cache_drop(struct store *st, const uint8_t id[16])
{
	struct cached_account **pp, *e;
	for (pp = &st->accounts[account_bucket(id)]; (e = *pp) != NULL; pp = &e->next) {
		if (memcmp(e->a.id, id, 16) == 0) {
			*pp = e->next;
			free(e);
			st->n_accounts--;
			return;
		}
	}
}

static const struct store_account *cache_find(const struct store *st, const uint8_t id[16])
{
	const struct cached_account *e;
	for (e = st->accounts[account_bucket(id)]; e != NULL; e = e->next)
		if (memcmp(e->a.id, id, 16) == 0)
			return &e->a;
	return NULL;
}

/* Best effort: a failed allocation only means no caching. */
static void cache_put(struct store *st, const struct store_account *a)
{
	struct cached_account *e;
	unsigned b = account_bucket(a->id);
	if (st->n_accounts >= ACCOUNT_CACHE_MAX)
		cache_clear(st);
	e = malloc(sizeof(*e));
	if (e == NULL)
		return;
	e->a = *a;
	e->next = st->accounts[b];
	st->accounts[b] = e;
	st->n_accounts++;
}

/* Runs a statement that returns no rows. */
int sq_run(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	sq_done(s);
	if (rc != SQLITE_DONE) {
		if (rc == SQLITE_CONSTRAINT)
			return LIAISON_ERR_EXISTS;
		return sq_err(st, what);
	}
	return 0;
}

int sq_bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n)
{
	return sqlite3_bind_blob64(s, i, p, n, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : LIAISON_ERR_STORAGE;
}

/* Copies a blob column that must be exactly n bytes. */
int sq_column_fixed(sqlite3_stmt *s, int col, uint8_t *out, size_t n)
{
	const void *p = sqlite3_column_blob(s, col);
	if (p == NULL || (size_t)sqlite3_column_bytes(s, col) != n)
		return LIAISON_ERR_STORAGE;
	memcpy(out, p, n);
	return 0;
}

static int column_text(sqlite3_stmt *s, int col, char *out, size_t outsz)
{
	const unsigned char *p = sqlite3_column_text(s, col);
	int n = sqlite3_column_bytes(s, col);
	if (p == NULL || n < 0 || (size_t)n >= outsz)
		return LIAISON_ERR_STORAGE;
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	return 0;
}

/* The batch's transaction, opened by the first write of a loop turn. */
static int tx_open(struct store *st)
{
	int rc;
	if (st->tx_failed)
		return LIAISON_ERR_STORAGE;
	if (st->in_tx)
		return 0;
	rc = sq_run(st, sq_stmt(st, S_BEGIN), "begin");
	if (rc == 0)
		st->in_tx = 1;
	return rc;
}

/* One operation inside the batch: all of it or none of it. */
int sq_op_begin(struct store *st)
{
	int rc = tx_open(st);
	if (rc == 0)
		rc = sq_run(st, sq_stmt(st, S_SAVEPOINT), "savepoint");
	return rc;
}

int sq_op_end(struct store *st, int status)
{
	int rc;
	if (status != 0) {
		cache_clear(st);
		rc = sq_run(st, sq_stmt(st, S_ROLLBACK_TO), "rollback to savepoint");
		if (rc != 0) {
			/* Half an operation is staged: the batch must not commit. */
			st->tx_failed = 1;
			return rc;
		}
	}
	rc = sq_run(st, sq_stmt(st, S_RELEASE), "release savepoint");
	if (rc != 0)
		st->tx_failed = 1;
	return status != 0 ? status : rc;
}

int sq_row(struct store *st, enum stmt_id id, const uint8_t *key, size_t keylen,
	   const char *what, sqlite3_stmt **out)
{
	sqlite3_stmt *s = sq_stmt(st, id);
	int rc;

	*out = s;
	if (key != NULL && sq_bind_blob(s, 1, key, keylen) != 0) {
		sq_done(s);
		return LIAISON_ERR_STORAGE;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 0;
	sq_done(s);
	return rc == SQLITE_DONE ? LIAISON_ERR_NOT_FOUND : sq_err(st, what);
}

int sq_count(struct store *st, enum stmt_id id, const uint8_t *key, size_t keylen,
		       uint64_t *out)
{
	sqlite3_stmt *s;
	int rc = sq_row(st, id, key, keylen, "count", &s);
	if (rc == LIAISON_ERR_NOT_FOUND)
		return sq_err(st, "count");
	if (rc != 0)
		return rc;
	*out = (uint64_t)sqlite3_column_int64(s, 0);
	sq_done(s);
	return 0;
}

static int migrate(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int version = 0, rc = 0, i;
	char pragma[64];

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		rc = sq_err(st, "reading the schema version");
		goto out;
	}
	version = sqlite3_column_int(s, 0);
	/* An open read statement would keep DROP TABLE from running. */
	sqlite3_finalize(s);
	s = NULL;
	if (version > SCHEMA_VERSION) {
		log_err(TAG, "the database is newer (schema %d) than this relay (%d)", version,
			SCHEMA_VERSION);
		rc = LIAISON_ERR_UNSUPPORTED;
		goto out;
	}
	for (i = version; i < SCHEMA_VERSION; i++) {
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;", i + 1);
		if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
			rc = sq_err(st, "migration");
			goto out;
		}
		if (sqlite3_exec(st->db, migrations[i], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			rc = sq_err(st, "migration");
			if (sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
				log_err(TAG, "rollback of the migration failed");
			goto out;
		}
	}
out:
	sqlite3_finalize(s);
	return rc;
}

/* The mailbox seq counter: never below a seq ever handed out, so that a
 * late Ack can never name a newer message (AUTOINCREMENT's guarantee). The
 * setting mail_seq holds a bound reserved ahead, SEQ_RESERVE at a time, in
 * the batch that first needs it: a commit does not rewrite it (two pages of
 * WAL each) but once in SEQ_RESERVE messages. After a restart numbering goes
 * on above the bound; the numbers skipped were never handed out. */
static int seq_load(struct store *st)
{
	char text[32];
	char *end;
	unsigned long long v = 0;
	int rc = store_setting_get(st, "mail_seq", text, sizeof(text));

	if (rc == 0) {
		v = strtoull(text, &end, 10);
		if (*text == '\0' || *end != '\0')
			return sq_err(st, "reading the mailbox counter");
	} else if (rc != LIAISON_ERR_NOT_FOUND) {
		return rc;
	}
	st->reserved_seq = v;
	st->next_seq = v > st->committed_seq ? v : st->committed_seq;
	return 0;
}

/* Inside the open batch: reserves a new bound (*reserved) when the batch
 * handed out a seq above the old one. */
static int seq_persist(struct store *st, uint64_t *reserved)
{
	char text[32];
	sqlite3_stmt *s;

	*reserved = st->reserved_seq;
	if (st->next_seq <= st->reserved_seq)
		return 0;
	*reserved = st->next_seq + SEQ_RESERVE;
	snprintf(text, sizeof(text), "%llu", (unsigned long long)*reserved);
	s = sq_stmt(st, S_SETTING_SET);
	if (sqlite3_bind_text(s, 1, "mail_seq", -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		sq_done(s);
		return LIAISON_ERR_STORAGE;
	}
	return sq_run(st, s, "recording the mailbox counter");
}

/* From here on COMMIT only writes the WAL, and durability is store_sync's
 * fdatasync of it (the argument is at the top of this file). The
 * migrations before ran under synchronous=FULL. */
static int sync_open(struct store *st)
{
	const char *wal = sqlite3_filename_wal(sqlite3_db_filename(st->db, "main"));
	char pragma[160];
	int rc;

	if (wal == NULL || *wal == '\0')
		return sq_err(st, "finding the write-ahead log");
	rc = store_sync_open(wal, &st->sync);
	if (rc != 0)
		return rc;
	snprintf(pragma, sizeof(pragma), "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -%d;"
		 " PRAGMA wal_autocheckpoint = %d;", CACHE_KIB, store_checkpoint_pages);
	if (sqlite3_exec(st->db, pragma, NULL, NULL, NULL) != SQLITE_OK)
		return sq_err(st, "configuring the database");
	return 0;
}

int store_open(const char *path, int create, struct store **out)
{
	struct store *st = NULL;
	/* One thread uses the connection (the sync thread never touches
	 * SQLite), so SQLite's own locking is pure cost. */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	int rc = 0, i;

	/* Memory statistics take a global mutex on every allocation; nothing
	 * reads them. Only possible before SQLite initialises, so a second
	 * store in one process (the unit tests) gets SQLITE_MISUSE, harmlessly. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return LIAISON_ERR_NOMEM;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		rc = st->db == NULL ? LIAISON_ERR_NOMEM :
		     create ? sq_err(st, "open") : LIAISON_ERR_NOT_INITIALISED;
		goto out;
	}
	if (sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_exec(st->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
			 " PRAGMA foreign_keys = ON;", NULL, NULL, NULL) != SQLITE_OK) {
		rc = sq_err(st, "configuring the database");
		goto out;
	}
	rc = migrate(st);
	if (rc != 0)
		goto out;
	for (i = 0; i < S_COUNT_; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->stmt[i], NULL) != SQLITE_OK) {
			rc = sq_err(st, "preparing a statement");
			goto out;
		}
	}
	rc = sq_count(st, S_MAX_SEQ, NULL, 0, &st->committed_seq);
	if (rc != 0)
		goto out;
	rc = seq_load(st);
	if (rc != 0)
		goto out;
	rc = sync_open(st);
	if (rc != 0)
		goto out;
	*out = st;
	st = NULL;
out:
	store_close(st);
	return rc;
}

void store_close(struct store *st)
{
	int i;
	if (st == NULL)
		return;
	if (st->sync != NULL) {
		/* Synchronous from here: every batch completes before we close. */
		st->schedule = NULL;
		store_sync_stop(st->sync);
		for (i = 0; i < CLOSE_ROUNDS && (st->in_tx || st->n_pending > 0 ||
						  st->wait_head != NULL); i++)
			store_flush(st);
		if (st->wait_head != NULL || st->n_pending > 0)
			log_err(TAG, "closing with completions that never ran");
	}
	/* The last connection to close checkpoints the WAL: ours, not the
	 * worker's. */
	store_ckpt_close(st->ckpt);
	for (i = 0; i < S_COUNT_; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		log_err(TAG, "closing the database: %s", sqlite3_errmsg(st->db));
	store_sync_close(st->sync);
	cache_clear(st);
	free(st->pending);
	free(st);
}

/* ---- checkpoints ------------------------------------------------------ */

/* After every COMMIT: the frames now in the WAL. Registering this hook
 * turns SQLite's own checkpoint inside COMMIT off. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *st = arg;
	(void)db;
	(void)name;
	st->wal_frames = frames;
	return SQLITE_OK;
}

static int checkpoints_off_loop(struct store *st)
{
	const char *path = sqlite3_db_filename(st->db, "main");
	int rc;

	if (path == NULL || *path == '\0')
		return sq_err(st, "finding the database file");
	rc = store_ckpt_open(path, &st->ckpt);
	if (rc == 0)
		sqlite3_wal_hook(st->db, on_wal_commit, st);
	return rc;
}

/* Back to SQLite's own checkpoints (waits for one in progress). */
static void checkpoints_inline(struct store *st)
{
	if (st->ckpt == NULL)
		return;
	store_ckpt_close(st->ckpt);
	st->ckpt = NULL;
	st->ckpt_asked = 0;
	if (sqlite3_wal_autocheckpoint(st->db, store_checkpoint_pages) != SQLITE_OK)
		log_err(TAG, "restoring automatic checkpoints: %s", sqlite3_errmsg(st->db));
}

/* Right after a COMMIT, with no transaction open. Once the WAL is long, the
 * worker copies it into the database while the loop goes on; when it is
 * done, a checkpoint here copies the few frames committed meanwhile, so
 * that the next transaction restarts the WAL from its beginning. */
static void checkpoint_step(struct store *st)
{
	int frames = 0, copied = 0;

	if (st->ckpt == NULL)
		return;
	if (st->ckpt_asked) {
		if (!store_ckpt_claim(st->ckpt))
			return;
		st->ckpt_asked = 0;
		if (sqlite3_wal_checkpoint_v2(st->db, "main", SQLITE_CHECKPOINT_PASSIVE, &frames,
					      &copied) != SQLITE_OK)
			log_err(TAG, "checkpoint: %s", sqlite3_errmsg(st->db));
		return;
	}
	if (st->wal_frames >= store_checkpoint_pages && store_ckpt_request(st->ckpt) == 0)
		st->ckpt_asked = 1;
}

int store_set_scheduler(struct store *st, store_schedule_fn fn, store_wake_fn wake, void *arg)
{
	int rc = 0;
	if ((fn == NULL) != (wake == NULL))
		return LIAISON_ERR_INVALID;
	store_sync_stop(st->sync);
	checkpoints_inline(st);
	st->schedule = fn;
	st->schedule_arg = arg;
	if (wake != NULL) {
		rc = store_sync_start(st->sync, wake, arg);
		if (rc == 0)
			rc = checkpoints_off_loop(st);
	}
	if (rc != 0) {
		store_sync_stop(st->sync);
		checkpoints_inline(st);
		st->schedule = NULL;
		st->schedule_arg = NULL;
	}
	return rc;
}

int store_commit(struct store *st, store_done_fn done, void *arg)
{
	if (st->n_pending == st->cap_pending) {
		size_t cap = st->cap_pending ? 2 * st->cap_pending : 16;
		struct completion *p = realloc(st->pending, cap * sizeof(*p));
		if (p == NULL)
			return LIAISON_ERR_NOMEM;
		st->pending = p;
		st->cap_pending = cap;
	}
	st->pending[st->n_pending].done = done;
	st->pending[st->n_pending].arg = arg;
	st->n_pending++;
	if (st->schedule != NULL && !st->scheduled) {
		st->scheduled = 1;
		st->schedule(st->schedule_arg);
	}
	return 0;
}

/* COMMITs the open transaction (0, or LIAISON_ERR_STORAGE after rolling
 * it back); a new generation is handed to the sync thread. */
static int commit_batch(struct store *st, uint64_t *seq)
{
	uint64_t reserved = st->reserved_seq;
	int status = st->tx_failed ? LIAISON_ERR_STORAGE : seq_persist(st, &reserved);

	if (status == 0)
		status = sq_run(st, sq_stmt(st, S_COMMIT), "commit");
	st->in_tx = 0;
	st->tx_failed = 0;
	*seq = st->batch_seq;
	st->batch_seq = 0;
	if (status != 0) {
		if (!sqlite3_get_autocommit(st->db) && sq_run(st, sq_stmt(st, S_ROLLBACK), "rollback") != 0)
			log_err(TAG, "rollback after a failed commit failed");
		cache_clear(st);
		/* The expiry steps of the batch are undone with it: an id phase
		 * must not go on after messages it counted as gone came back. */
		st->exp_phase = 0;
		return LIAISON_ERR_STORAGE;
	}
	st->reserved_seq = reserved;
	st->gen++;
	store_sync_request(st->sync, st->gen);
	checkpoint_step(st);
	return 0;
}

static void run_completions(struct completion *list, size_t n, int status)
{
	size_t i;
	for (i = 0; i < n; i++)
		list[i].done(list[i].arg, status);
	free(list);
}

static void reap(struct store *st);

/* Closes the open batch: committed and queued behind the earlier ones. A
 * batch that staged nothing still waits for the batches before it, whose
 * state its replies may show. */
static void close_batch(struct store *st)
{
	struct batch *b = calloc(1, sizeof(*b));
	uint64_t seq = 0;
	int status = 0;

	if (st->in_tx)
		status = commit_batch(st, &seq);
	if (b == NULL) {
		/* No memory to queue it: wait for its sync here instead, and
		 * complete the batches before it first. */
		struct completion *list = st->pending;
		size_t n = st->n_pending;
		uint64_t durable = 0;

		st->pending = NULL;
		st->n_pending = st->cap_pending = 0;
		store_sync_wait(st->sync, st->gen);
		reap(st);
		if (status == 0 && store_sync_durable(st->sync, &durable) != 0)
			status = LIAISON_ERR_STORAGE;
		if (status == 0 && seq > st->committed_seq)
			st->committed_seq = seq;
		run_completions(list, n, status);
		return;
	}
	b->gen = st->gen;
	b->seq = status == 0 ? seq : 0;
	b->status = status;
	b->done = st->pending;
	b->n_done = st->n_pending;
	st->pending = NULL;
	st->n_pending = st->cap_pending = 0;
	if (st->wait_tail != NULL)
		st->wait_tail->next = b;
	else
		st->wait_head = b;
	st->wait_tail = b;
}

/* Runs, in order, the batches whose generation a finished sync covers. */
static void reap(struct store *st)
{
	uint64_t durable = 0;
	int failed = store_sync_durable(st->sync, &durable);
	struct batch *b;

	while ((b = st->wait_head) != NULL && (b->gen <= durable || failed != 0)) {
		int status = b->status;
		st->wait_head = b->next;
		if (st->wait_head == NULL)
			st->wait_tail = NULL;
		if (status == 0 && b->gen > durable)
			status = LIAISON_ERR_STORAGE;	/* its sync failed */
		/* Fetch sees a message only from here on: it is on disk. */
		if (status == 0 && b->seq > st->committed_seq)
			st->committed_seq = b->seq;
		/* Completions may stage the next batch and register new ones. */
		run_completions(b->done, b->n_done, status);
		free(b);
	}
}

/* Group commit: while a sync is in flight the open transaction stays open
 * and gathers the next turns' writes (and their completions); it is
 * committed when the sync finishes (the wake calls store_flush), which is
 * as early as a new sync could have started anyway. Fewer, larger commits
 * write fewer WAL frames and take fewer locks. */
void store_flush(struct store *st)
{
	st->scheduled = 0;
	reap(st);
	if ((st->in_tx && !store_sync_busy(st->sync)) || (!st->in_tx && st->n_pending > 0)) {
		close_batch(st);
		reap(st);
	}
}

int store_setting_get(struct store *st, const char *key, char *out, size_t outsz)
{
	sqlite3_stmt *s = sq_stmt(st, S_SETTING_GET);
	int rc;
	if (sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		rc = LIAISON_ERR_STORAGE;
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		rc = LIAISON_ERR_NOT_FOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = sq_err(st, "reading a setting");
		goto out;
	}
	rc = column_text(s, 0, out, outsz);
out:
	sq_done(s);
	return rc;
}

int store_setting_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *s;
	int rc;
	if (strlen(value) >= STORE_SETTING_MAX)
		return LIAISON_ERR_TOO_BIG;
	rc = tx_open(st);
	if (rc != 0)
		return rc;
	s = sq_stmt(st, S_SETTING_SET);
	if (sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, value, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		sq_done(s);
		return LIAISON_ERR_STORAGE;
	}
	return sq_run(st, s, "writing a setting");
}

int store_invite_add(struct store *st, const struct store_invite *inv)
{
	sqlite3_stmt *s;
	int rc = tx_open(st);
	if (rc != 0)
		return rc;
	s = sq_stmt(st, S_INVITE_ADD);
	if (sq_bind_blob(s, 1, inv->id, sizeof(inv->id)) != 0 ||
	    sq_bind_blob(s, 2, inv->redeem_hash, sizeof(inv->redeem_hash)) != 0 ||
	    sqlite3_bind_int(s, 3, inv->role) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, inv->authority, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 5, (sqlite3_int64)inv->expires) != SQLITE_OK ||
	    sqlite3_bind_int(s, 6, inv->bootstrap ? 1 : 0) != SQLITE_OK) {
		sq_done(s);
		return LIAISON_ERR_STORAGE;
	}
	return sq_run(st, s, "adding an invite");
}

int store_bootstrap_redeemed(struct store *st, int *redeemed)
{
	uint64_t n = 0;
	int rc = sq_count(st, S_BOOTSTRAP_GET, NULL, 0, &n);
	if (rc == 0)
		*redeemed = n > 0;
	return rc;
}

int store_invite_check(struct store *st, const uint8_t id[16], const uint8_t redeem_hash[32],
		       uint64_t now_ms, struct store_invite *out)
{
	sqlite3_stmt *s;
	struct store_invite inv;
	int rc, used, redeemed;

	memset(&inv, 0, sizeof(inv));
	rc = sq_row(st, S_INVITE_GET, id, 16, "reading an invite", &s);
	if (rc == LIAISON_ERR_NOT_FOUND)
		rc = LIAISON_ERR_BAD_INVITE;
	if (rc != 0)
		goto out;
	memcpy(inv.id, id, 16);
	rc = sq_column_fixed(s, 0, inv.redeem_hash, sizeof(inv.redeem_hash));
	if (rc == 0)
		rc = column_text(s, 2, inv.authority, sizeof(inv.authority));
	if (rc != 0)
		goto out;
	inv.role = (uint8_t)sqlite3_column_int(s, 1);
	inv.expires = (uint64_t)sqlite3_column_int64(s, 3);
	inv.bootstrap = sqlite3_column_int(s, 4) != 0;
	used = sqlite3_column_int(s, 5) != 0;
	sq_done(s);
	if (!lc_equal(inv.redeem_hash, redeem_hash, 32)) {
		rc = LIAISON_ERR_BAD_INVITE;
		goto out;
	}
	if (used) {
		rc = LIAISON_ERR_USED;
		goto out;
	}
	if (inv.bootstrap) {
		rc = store_bootstrap_redeemed(st, &redeemed);
		if (rc != 0)
			goto out;
		if (redeemed) {
			rc = LIAISON_ERR_USED;
			goto out;
		}
	}
	if (now_ms >= inv.expires) {
		rc = LIAISON_ERR_EXPIRED;
		goto out;
	}
	*out = inv;
	rc = 0;
out:
	sq_done(s);
	return rc;
}

static int put_signed_prekey(struct store *st, const uint8_t account[16],
			     const struct store_signed_prekey *spk)
{
	sqlite3_stmt *s = sq_stmt(st, S_SPK_SET);
	if (sq_bind_blob(s, 1, account, 16) != 0 || sqlite3_bind_int64(s, 2, spk->id) != SQLITE_OK ||
	    sq_bind_blob(s, 3, spk->public_key, sizeof(spk->public_key)) != 0 ||
	    sq_bind_blob(s, 4, spk->signature, sizeof(spk->signature)) != 0) {
		sq_done(s);
		return LIAISON_ERR_STORAGE;
	}
	return sq_run(st, s, "storing a signed prekey");
}

static int put_prekeys(struct store *st, const uint8_t account[16],
		       const struct store_prekey *prekeys, size_t n)
{
	uint64_t count = 0;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		sqlite3_stmt *s = sq_stmt(st, S_PK_ADD);
		if (sq_bind_blob(s, 1, account, 16) != 0 ||
		    sqlite3_bind_int64(s, 2, prekeys[i].id) != SQLITE_OK ||
		    sq_bind_blob(s, 3, prekeys[i].public_key, sizeof(prekeys[i].public_key)) != 0) {
			sq_done(s);
			return LIAISON_ERR_STORAGE;
		}
		rc = sq_run(st, s, "storing a prekey");
		if (rc != 0)
			return rc;
	}
	rc = sq_count(st, S_PK_COUNT, account, 16, &count);
	if (rc == 0 && count > STORE_MAX_PREKEYS)
		rc = LIAISON_ERR_TOO_BIG;
	return rc;
}

static int enroll_steps(struct store *st, const struct store_enrollment *e)
{
	sqlite3_stmt *s;
	int rc;

	s = sq_stmt(st, S_INVITE_USE);
	if (sq_bind_blob(s, 1, e->invite_id, 16) != 0) {
		sq_done(s);
		return LIAISON_ERR_STORAGE;
	}
	rc = sq_run(st, s, "marking the invite used");
	if (rc != 0)
		return rc;
	if (sqlite3_changes(st->db) != 1)
		return LIAISON_ERR_USED;
	if (e->bootstrap) {
		s = sq_stmt(st, S_BOOTSTRAP_MARK);
		if (sq_bind_blob(s, 1, e->invite_id, 16) != 0) {
			sq_done(s);
			return LIAISON_ERR_STORAGE;
		}
		rc = sq_run(st, s, "marking the bootstrap redeemed");
		if (rc == LIAISON_ERR_EXISTS)
			return LIAISON_ERR_USED;
		if (rc != 0)
			return rc;
	}
	s = sq_stmt(st, S_ACCOUNT_ADD);
	if (sq_bind_blob(s, 1, e->account, 16) != 0 ||
	    sq_bind_blob(s, 2, e->identity_key, sizeof(e->identity_key)) != 0 ||
	    sqlite3_bind_int64(s, 3, e->registration_id) != SQLITE_OK ||
	    sqlite3_bind_int(s, 4, e->role) != SQLITE_OK ||
	    sqlite3_bind_text(s, 5, e->authority, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sq_bind_blob(s, 6, e->enrollment, e->enrollment_len) != 0 ||
	    sq_bind_blob(s, 7, e->signature, sizeof(e->signature)) != 0 ||
	    sq_bind_blob(s, 8, e->bind_mac, sizeof(e->bind_mac)) != 0 ||
	    sq_bind_blob(s, 9, e->invite_id, 16) != 0 ||
	    sqlite3_bind_int(s, 10, e->bootstrap ? 1 : 0) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 11, (sqlite3_int64)e->enrolled_at) != SQLITE_OK ||
	    sqlite3_bind_int(s, 12, e->pre_directory ? 1 : 0) != SQLITE_OK) {
		sq_done(s);
		return LIAISON_ERR_STORAGE;
	}
	rc = sq_run(st, s, "storing the account");
	if (rc != 0)
		return rc;
	rc = put_signed_prekey(st, e->account, &e->signed_prekey);
	if (rc != 0)
		return rc;
	return put_prekeys(st, e->account, e->prekeys, e->n_prekeys);
}

int store_enroll(struct store *st, const struct store_enrollment *e)
{
	int rc = sq_op_begin(st);
	if (rc != 0)
		return rc;
	cache_drop(st, e->account);
	return sq_op_end(st, enroll_steps(st, e));
}

int store_account_get(struct store *st, const uint8_t id[16], struct store_account *out)
{
	const struct store_account *cached = cache_find(st, id);
	sqlite3_stmt *s;
	struct store_account a;
	int rc;

	if (cached != NULL) {
		*out = *cached;
		return 0;
	}
	memset(&a, 0, sizeof(a));
	rc = sq_row(st, S_ACCOUNT_GET, id, 16, "reading an account", &s);
	if (rc != 0)
		goto out;
	memcpy(a.id, id, 16);
	rc = sq_column_fixed(s, 0, a.identity_key, sizeof(a.identity_key));
	if (rc == 0)
		rc = column_text(s, 3, a.authority, sizeof(a.authority));
	if (rc != 0)
		goto out;
	a.registration_id = (uint32_t)sqlite3_column_int64(s, 1);
	a.role = (uint8_t)sqlite3_column_int(s, 2);
	a.bootstrap = sqlite3_column_int(s, 4) != 0;
	a.revoked = sqlite3_column_int(s, 5) != 0;
	a.pre_directory = sqlite3_column_int(s, 6) != 0;
	cache_put(st, &a);
	*out = a;
out:
	sq_done(s);
	return rc;
}

int store_account_revoke(struct store *st, const uint8_t id[16])
{
	sqlite3_stmt *s;
	int rc = tx_open(st);
	if (rc != 0)
		return rc;
	cache_drop(st, id);
	s = sq_stmt(st, S_ACCOUNT_REVOKE);
	if (sq_bind_blob(s, 1, id, 16) != 0) {
		sq_done(s);
		return LIAISON_ERR_STORAGE;
	}
	rc = sq_run(st, s, "revoking an account");
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = LIAISON_ERR_NOT_FOUND;
	return rc;
}

int store_prekeys_put(struct store *st, const uint8_t account[16],
		      const struct store_signed_prekey *spk,
		      const struct store_prekey *prekeys, size_t n)
{
	int rc;
	if (n > STORE_MAX_PREKEYS)
		return LIAISON_ERR_TOO_BIG;
	rc = sq_op_begin(st);
	if (rc != 0)
		return rc;
	if (spk != NULL)
		rc = put_signed_prekey(st, account, spk);
	if (rc == 0)
		rc = put_prekeys(st, account, prekeys, n);
	return sq_op_end(st, rc);
}

int store_prekeys_count(struct store *st, const uint8_t account[16], uint32_t *left)
{
	uint64_t n = 0;
	int rc = sq_count(st, S_PK_COUNT, account, 16, &n);
	if (rc == 0)
		*left = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	return rc;
}

static int take_prekey(struct store *st, const uint8_t account[16], struct store_bundle *b)
{
	sqlite3_stmt *s;
	int rc = sq_row(st, S_PK_FIRST, account, 16, "reading a prekey", &s);
	if (rc != 0)
		return rc == LIAISON_ERR_NOT_FOUND ? 0 : rc;	/* none left: no prekey */
	b->prekey.id = (uint32_t)sqlite3_column_int64(s, 0);
	rc = sq_column_fixed(s, 1, b->prekey.public_key, sizeof(b->prekey.public_key));
	sq_done(s);
	if (rc != 0)
		return rc;
	rc = tx_open(st);
	if (rc != 0)
		return rc;
	s = sq_stmt(st, S_PK_DEL);
	if (sq_bind_blob(s, 1, account, 16) != 0 || sqlite3_bind_int64(s, 2, b->prekey.id) != SQLITE_OK) {
		sq_done(s);
		return LIAISON_ERR_STORAGE;
	}
	rc = sq_run(st, s, "consuming a prekey");
	if (rc == 0)
		b->has_prekey = 1;
	return rc;
}

int store_bundle_take(struct store *st, const uint8_t account[16], struct store_bundle *out,
		      uint32_t *left)
{
	sqlite3_stmt *s;
	struct store_bundle b;
	uint32_t n = 0;
	int rc;

	memset(&b, 0, sizeof(b));
	rc = sq_row(st, S_SPK_GET, account, 16, "reading a signed prekey", &s);
	if (rc == 0) {
		b.signed_prekey.id = (uint32_t)sqlite3_column_int64(s, 0);
		rc = sq_column_fixed(s, 1, b.signed_prekey.public_key, sizeof(b.signed_prekey.public_key));
		if (rc == 0)
			rc = sq_column_fixed(s, 2, b.signed_prekey.signature,
					  sizeof(b.signed_prekey.signature));
		if (rc != 0)
			goto out;
		b.has_signed_prekey = 1;
	} else if (rc != LIAISON_ERR_NOT_FOUND) {
		goto out;
	}
	sq_done(s);
	rc = take_prekey(st, account, &b);
	if (rc == 0)
		rc = store_prekeys_count(st, account, &n);
	if (rc != 0)
		goto out;
	*out = b;
	*left = n;
out:
	sq_done(s);
	return rc;
}

static int mailbox_put_steps(struct store *st, const uint8_t sender[16], const uint8_t recipient[16],
			     const uint8_t message_id[16], uint32_t type,
			     const uint8_t *ciphertext, size_t len, uint64_t now_ms,
			     uint64_t *seq, int *duplicate)
{
	sqlite3_stmt *s = sq_stmt(st, S_SENT_ADD);
	uint64_t next = st->next_seq + 1;
	int rc;

	/* One statement both records the id and tells a duplicate apart. */
	if (sq_bind_blob(s, 1, sender, 16) != 0 || sq_bind_blob(s, 2, message_id, 16) != 0 ||
	    sqlite3_bind_int64(s, 3, (sqlite3_int64)now_ms) != SQLITE_OK) {
		sq_done(s);
		return LIAISON_ERR_STORAGE;
	}
	rc = sq_run(st, s, "recording a message id");
	if (rc != 0)
		return rc;
	if (sqlite3_changes(st->db) == 0) {
		*duplicate = 1;
		return 0;
	}
	s = sq_stmt(st, S_MAIL_ADD);
	if (sq_bind_blob(s, 1, recipient, 16) != 0 || sq_bind_blob(s, 2, sender, 16) != 0 ||
	    sq_bind_blob(s, 3, message_id, 16) != 0 || sqlite3_bind_int64(s, 4, type) != SQLITE_OK ||
	    sq_bind_blob(s, 5, ciphertext, len) != 0 ||
	    sqlite3_bind_int64(s, 6, (sqlite3_int64)now_ms) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 7, (sqlite3_int64)next) != SQLITE_OK) {
		sq_done(s);
		return LIAISON_ERR_STORAGE;
	}
	rc = sq_run(st, s, "queueing a message");
	if (rc != 0) {
		/* Undo the id, or a retry would pass for a duplicate of a
		 * message never stored; failing that, the batch rolls back. */
		if (st->tx_failed)
			return rc;	/* the whole batch is gone already */
		s = sq_stmt(st, S_SENT_DEL);
		if (sq_bind_blob(s, 1, sender, 16) != 0 || sq_bind_blob(s, 2, message_id, 16) != 0) {
			sq_done(s);
			st->tx_failed = 1;
		} else if (sq_run(st, s, "undoing a message id") != 0) {
			st->tx_failed = 1;
		}
		return rc;
	}
	st->next_seq = next;
	*seq = next;
	*duplicate = 0;
	return 0;
}

int store_mailbox_put(struct store *st, const uint8_t sender[16], const uint8_t recipient[16],
		      const uint8_t message_id[16], uint32_t type,
		      const uint8_t *ciphertext, size_t len, uint64_t now_ms,
		      uint64_t *seq, int *duplicate)
{
	uint64_t new_seq = 0;
	int dup = 0, rc;

	/* No savepoint: two statements, the second undone by hand on failure. */
	rc = tx_open(st);
	if (rc != 0)
		return rc;
	rc = mailbox_put_steps(st, sender, recipient, message_id, type, ciphertext, len, now_ms,
			       &new_seq, &dup);
	if (rc != 0)
		return rc;
	if (new_seq > st->batch_seq)
		st->batch_seq = new_seq;
	*duplicate = dup;
	*seq = dup ? 0 : new_seq;
	return 0;
}

int store_mailbox_fetch(struct store *st, const uint8_t recipient[16], uint64_t after_seq,
			size_t max_count, size_t max_bytes, store_message_fn fn, void *arg,
			size_t *count)
{
	sqlite3_stmt *s = sq_stmt(st, S_MAIL_FETCH);
	struct store_message m;
	size_t n = 0, bytes = 0;
	int rc;

	if (sq_bind_blob(s, 1, recipient, 16) != 0 ||
	    sqlite3_bind_int64(s, 2, (sqlite3_int64)after_seq) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, (sqlite3_int64)st->committed_seq) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, (sqlite3_int64)max_count) != SQLITE_OK) {
		rc = LIAISON_ERR_STORAGE;
		goto out;
	}
	for (;;) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE) {
			rc = 0;
			break;
		}
		if (rc != SQLITE_ROW) {
			rc = sq_err(st, "reading the mailbox");
			goto out;
		}
		memset(&m, 0, sizeof(m));
		m.seq = (uint64_t)sqlite3_column_int64(s, 0);
		rc = sq_column_fixed(s, 1, m.sender, sizeof(m.sender));
		if (rc == 0)
			rc = sq_column_fixed(s, 2, m.message_id, sizeof(m.message_id));
		if (rc != 0)
			goto out;
		m.type = (uint32_t)sqlite3_column_int64(s, 3);
		m.ciphertext = sqlite3_column_blob(s, 4);
		m.ciphertext_len = (size_t)sqlite3_column_bytes(s, 4);
		m.received_at = (uint64_t)sqlite3_column_int64(s, 5);
		if (n > 0 && bytes + m.ciphertext_len > max_bytes)
			break;
		rc = fn(arg, &m);
		if (rc != 0)
			goto out;
		n++;
		bytes += m.ciphertext_len;
	}
	*count = n;
out:
	sq_done(s);
	return rc;
}

int store_mailbox_ack(struct store *st, const uint8_t recipient[16], const uint64_t *seqs, size_t n)
{
	size_t i;
	int rc = tx_open(st);
	for (i = 0; rc == 0 && i < n; i++) {
		sqlite3_stmt *s = sq_stmt(st, S_MAIL_ACK);
		if (sq_bind_blob(s, 1, recipient, 16) != 0 ||
		    sqlite3_bind_int64(s, 2, (sqlite3_int64)seqs[i]) != SQLITE_OK) {
			sq_done(s);
			return LIAISON_ERR_STORAGE;
		}
		rc = sq_run(st, s, "deleting a delivered message");
	}
	return rc;
}

/* One chunk of messages: those after exp_seq, up to max_rows of them. */
static int expire_messages(struct store *st, size_t max_rows, uint64_t *removed)
{
	sqlite3_stmt *s = sq_stmt(st, S_EXPIRE_MAIL_END);
	uint64_t end, n;
	int rc;

	if (sqlite3_bind_int64(s, 1, (sqlite3_int64)st->exp_seq) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, (sqlite3_int64)max_rows) != SQLITE_OK) {
		sq_done(s);
		return LIAISON_ERR_STORAGE;
	}
	if (sqlite3_step(s) != SQLITE_ROW) {
		sq_done(s);
		return sq_err(st, "finding messages to expire");
	}
	end = (uint64_t)sqlite3_column_int64(s, 0);
	n = (uint64_t)sqlite3_column_int64(s, 1);
	sq_done(s);
	if (n > 0) {
		s = sq_stmt(st, S_EXPIRE_MAIL);
		if (sqlite3_bind_int64(s, 1, (sqlite3_int64)st->exp_seq) != SQLITE_OK ||
		    sqlite3_bind_int64(s, 2, (sqlite3_int64)end) != SQLITE_OK ||
		    sqlite3_bind_int64(s, 3, (sqlite3_int64)st->exp_cutoff) != SQLITE_OK) {
			sq_done(s);
			return LIAISON_ERR_STORAGE;
		}
		rc = sq_run(st, s, "expiring messages");
		if (rc != 0)
			return rc;
		*removed = (uint64_t)sqlite3_changes(st->db);
		st->exp_seq = end;
	}
	if (n < max_rows) {		/* the last chunk: the ids are next */
		st->exp_phase = 2;
		st->exp_key_len = 0;
	}
	return 0;
}

/* One chunk of message ids after exp_key, up to max_rows of them. */
static int expire_ids(struct store *st, uint64_t cutoff_ms, size_t max_rows, int *done)
{
	static const uint8_t beyond[17] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	sqlite3_stmt *s = sq_stmt(st, S_EXPIRE_SENT_END);
	uint8_t end[32];
	int last = 0, rc;

	if (sq_bind_blob(s, 1, st->exp_key, st->exp_key_len ? 16 : 0) != 0 ||
	    sq_bind_blob(s, 2, st->exp_key + 16, st->exp_key_len ? 16 : 0) != 0 ||
	    sqlite3_bind_int64(s, 3, (sqlite3_int64)max_rows - 1) != SQLITE_OK) {
		sq_done(s);
		return LIAISON_ERR_STORAGE;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		last = 1;		/* fewer than max_rows left: to the end */
	} else if (rc != SQLITE_ROW || sq_column_fixed(s, 0, end, 16) != 0 ||
		   sq_column_fixed(s, 1, end + 16, 16) != 0) {
		sq_done(s);
		return sq_err(st, "finding message ids to expire");
	}
	sq_done(s);
	s = sq_stmt(st, S_EXPIRE_SENT);
	if (sq_bind_blob(s, 1, st->exp_key, st->exp_key_len ? 16 : 0) != 0 ||
	    sq_bind_blob(s, 2, st->exp_key + 16, st->exp_key_len ? 16 : 0) != 0 ||
	    sq_bind_blob(s, 3, last ? beyond : end, last ? sizeof(beyond) : 16) != 0 ||
	    sq_bind_blob(s, 4, last ? beyond : end + 16, last ? sizeof(beyond) : 16) != 0 ||
	    sqlite3_bind_int64(s, 5, (sqlite3_int64)cutoff_ms) != SQLITE_OK) {
		sq_done(s);
		return LIAISON_ERR_STORAGE;
	}
	rc = sq_run(st, s, "expiring message ids");
	if (rc != 0)
		return rc;
	if (last) {
		st->exp_phase = 0;
		*done = 1;
	} else {
		memcpy(st->exp_key, end, 32);
		st->exp_key_len = 32;
	}
	return 0;
}

int store_expire_step(struct store *st, uint64_t cutoff_ms, size_t max_rows, uint64_t *removed,
		      int *done)
{
	uint64_t n = 0;
	int finished = 0, rc;

	if (max_rows == 0 || max_rows > INT32_MAX)
		return LIAISON_ERR_INVALID;
	rc = sq_op_begin(st);
	if (rc != 0)
		return rc;
	if (st->exp_phase == 0) {
		st->exp_phase = 1;
		st->exp_cutoff = cutoff_ms;
		st->exp_seq = 0;
	}
	if (st->exp_phase == 1)
		rc = expire_messages(st, max_rows, &n);
	else		/* the ids of messages gone by now: never past their cutoff */
		rc = expire_ids(st, cutoff_ms < st->exp_cutoff ? cutoff_ms : st->exp_cutoff,
				max_rows, &finished);
	rc = sq_op_end(st, rc);
	if (rc != 0) {
		st->exp_phase = 0;	/* start over */
		return rc;
	}
	*removed = n;
	*done = finished;
	return 0;
}

int store_status(struct store *st, struct store_status *out)
{
	struct store_status s;
	int rc;
	memset(&s, 0, sizeof(s));
	rc = sq_count(st, S_COUNT_ACCOUNTS, NULL, 0, &s.accounts);
	if (rc == 0)
		rc = sq_count(st, S_COUNT_REVOKED, NULL, 0, &s.revoked);
	if (rc == 0)
		rc = sq_count(st, S_COUNT_QUEUED, NULL, 0, &s.queued);
	if (rc == 0)
		rc = sq_count(st, S_DIR_VERSION, NULL, 0, &s.directory_version);
	if (rc == 0)
		*out = s;
	return rc;
}

