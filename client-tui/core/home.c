/* The client's home: its directory (0700), lock, SQLite database (0600,
 * WAL, synchronous=FULL, secure_delete) and the master key wrapped under an
 * Argon2id key. It must never write a key, the passphrase or a subkey in
 * clear, and never prompt: the passphrase comes from the caller. */
#include "client-tui/core/home.h"
#include "client-tui/core/dirsync.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client-tui/core/vault.h"

#define HOME_DB_NAME "liaison.db"
#define HOME_LOCK_NAME "lock"
#define HOME_MASTER_AD "liaison/v1/home-master"
#define HOME_WRAP_VERSION 1
#define HOME_WRAPPED_BYTES (LC_KEY_BYTES + LC_AEAD_OVERHEAD)
#define HOME_VAULT_CTX "lsnvault"
#define HOME_BUSY_MS 5000
#define HOME_MAX_DEPTH 32

/* keys: master, then an (index, value) pair per vault table, in one secure
 * allocation (each sodium_malloc is its own mappings). */
#define HOME_KEYS_BYTES (LC_KEY_BYTES * (1 + 2 * (size_t)VT_TABLE_COUNT_))

struct home {
	char *dir;
	char *db_path;
	int lock_fd;
	sqlite3 *db;
	uint8_t *keys;          /* NULL until unlocked */
	int depth;
	sqlite3_stmt *stmts[HOME_STMT_SLOTS];
};

char *home_resolve_path(const char *opt_home)
{
	const char *base;
	char *path = NULL;
	struct passwd *pw;

	if (opt_home != NULL && opt_home[0] != '\0')
		return strdup(opt_home);
	base = getenv("LIAISON_HOME");
	if (base != NULL && base[0] != '\0')
		return strdup(base);
	base = getenv("HOME");
	if (base == NULL || base[0] == '\0') {
		pw = getpwuid(getuid());
		if (pw == NULL || pw->pw_dir == NULL)
			return NULL;
		base = pw->pw_dir;
	}
	if (asprintf(&path, "%s/.local/share/liaison", base) < 0)
		return NULL;
	return path;
}

static void disable_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	/* Best effort: neither can fail for an unprivileged process lowering
	 * its own limits, and a failure must not keep the user out. */
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return;
}

/* mkdir -p, each new component 0700. */
static int make_dirs(const char *dir)
{
	char *p = strdup(dir);
	char *s;
	int rc = LIAISON_ERR_IO;

	if (p == NULL)
		return LIAISON_ERR_NOMEM;
	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0700) != 0 && errno != EEXIST)
				goto out;
			*s = c;
			if (c == '\0')
				break;
		}
	}
	rc = 0;
out:
	free(p);
	return rc;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : LIAISON_ERR_STORAGE;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int take_lock(int fd, int wait_seconds)
{
	double deadline = now_seconds() + (wait_seconds > 0 ? wait_seconds : 0);
	struct timespec nap = { 0, 100 * 1000 * 1000 };

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return LIAISON_ERR_IO;
		if (wait_seconds <= 0 || now_seconds() >= deadline)
			return LIAISON_ERR_LOCKED;
		nanosleep(&nap, NULL);
	}
}

static int open_db(struct home *h, int create)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
	int rc;

	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(h->db_path, &h->db, flags, NULL) != SQLITE_OK)
		return LIAISON_ERR_STORAGE;
	if (chmod(h->db_path, 0600) != 0)
		return LIAISON_ERR_IO;
	if (sqlite3_busy_timeout(h->db, HOME_BUSY_MS) != SQLITE_OK)
		return LIAISON_ERR_STORAGE;
	rc = exec_sql(h->db,
		      "PRAGMA secure_delete=ON;"
		      "PRAGMA journal_mode=WAL;"
		      "PRAGMA synchronous=FULL;"
		      "PRAGMA foreign_keys=ON;"
		      "CREATE TABLE IF NOT EXISTS home_key ("
		      " id INTEGER PRIMARY KEY CHECK (id = 1),"
		      " version INTEGER NOT NULL,"
		      " salt BLOB NOT NULL,"
		      " kdf INTEGER NOT NULL,"
		      " wrapped BLOB NOT NULL);");
	return rc;
}

int home_lock(const char *dir, int create, int wait_seconds, struct home **out)
{
	struct home *h = NULL;
	struct stat st;
	mode_t old_mask = umask(077);
	int rc;

	disable_core_dumps();
	if (dir == NULL || dir[0] == '\0') {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	h->lock_fd = -1;
	h->dir = strdup(dir);
	if (h->dir == NULL || asprintf(&h->db_path, "%s/%s", dir, HOME_DB_NAME) < 0) {
		h->db_path = NULL;
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	if (create) {
		rc = make_dirs(dir);
		if (rc != 0)
			goto out;
		if (chmod(dir, 0700) != 0) {
			rc = LIAISON_ERR_IO;
			goto out;
		}
	} else if (stat(h->db_path, &st) != 0) {
		rc = errno == ENOENT || errno == ENOTDIR ? LIAISON_ERR_NOT_INITIALISED
							   : LIAISON_ERR_IO;
		goto out;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		rc = LIAISON_ERR_NOT_INITIALISED;
		goto out;
	}
	{
		char *lock_path = NULL;

		if (asprintf(&lock_path, "%s/%s", dir, HOME_LOCK_NAME) < 0) {
			rc = LIAISON_ERR_NOMEM;
			goto out;
		}
		h->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		free(lock_path);
	}
	if (h->lock_fd < 0) {
		rc = LIAISON_ERR_IO;
		goto out;
	}
	rc = take_lock(h->lock_fd, wait_seconds);
	if (rc != 0)
		goto out;
	rc = open_db(h, create);
	if (rc != 0)
		goto out;
	if (!create && !home_exists(h)) {
		rc = LIAISON_ERR_NOT_INITIALISED;
		goto out;
	}
	rc = vault_migrate(h);
	if (rc != 0)
		goto out;
	*out = h;
	h = NULL;
out:
	home_close(h);
	umask(old_mask);
	return rc;
}

int home_exists(const struct home *h)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (h == NULL || h->db == NULL)
		return 0;
	if (sqlite3_prepare_v2(h->db, "SELECT 1 FROM home_key WHERE id = 1", -1, &st,
			       NULL) != SQLITE_OK)
		goto out;
	found = sqlite3_step(st) == SQLITE_ROW;
out:
	sqlite3_finalize(st);
	return found;
}

int home_is_unlocked(const struct home *h)
{
	return h != NULL && h->keys != NULL;
}

/* Fills the subkeys from the master key at the start of h->keys. */
static int derive_subkeys(struct home *h)
{
	int t;
	int rc;

	for (t = 1; t < VT_TABLE_COUNT_; t++) {
		uint8_t *pair = h->keys + LC_KEY_BYTES * (1 + 2 * (size_t)t);

		rc = lc_kdf(pair, LC_KEY_BYTES, 2 * (uint64_t)t, HOME_VAULT_CTX, h->keys);
		if (rc != 0)
			return rc;
		rc = lc_kdf(pair + LC_KEY_BYTES, LC_KEY_BYTES, 2 * (uint64_t)t + 1,
			    HOME_VAULT_CTX, h->keys);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void drop_keys(struct home *h)
{
	if (h->keys != NULL) {
		lc_wipe(h->keys, HOME_KEYS_BYTES);
		lc_secure_free(h->keys);
		h->keys = NULL;
	}
}

/* Writes (or rewrites) the wrapped master key: keys must hold the master. */
static int wrap_master(struct home *h, const uint8_t *master, const char *pass,
		       size_t passlen, enum lc_kdf_level level, int replace)
{
	uint8_t salt[LC_SALT_BYTES];
	uint8_t wrapped[HOME_WRAPPED_BYTES];
	size_t wrapped_len = 0;
	uint8_t *wkey = lc_secure_alloc(LC_KEY_BYTES);
	sqlite3_stmt *st = NULL;
	const char *sql = replace
		? "UPDATE home_key SET version = ?1, salt = ?2, kdf = ?3, wrapped = ?4 WHERE id = 1"
		: "INSERT INTO home_key (id, version, salt, kdf, wrapped) VALUES (1, ?1, ?2, ?3, ?4)";
	int rc;

	if (wkey == NULL)
		return LIAISON_ERR_NOMEM;
	lc_random(salt, sizeof(salt));
	rc = lc_pwhash(wkey, LC_KEY_BYTES, pass, passlen, salt, level);
	if (rc != 0)
		goto out;
	rc = lc_seal(wrapped, sizeof(wrapped), &wrapped_len, master, LC_KEY_BYTES,
		     (const uint8_t *)HOME_MASTER_AD, strlen(HOME_MASTER_AD), wkey);
	if (rc != 0)
		goto out;
	rc = LIAISON_ERR_STORAGE;
	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_bind_int(st, 1, HOME_WRAP_VERSION) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 2, salt, sizeof(salt), SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int(st, 3, (int)level) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 4, wrapped, (int)wrapped_len, SQLITE_TRANSIENT) != SQLITE_OK)
		goto out;
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	if (sqlite3_changes(h->db) != 1)
		goto out;
	rc = 0;
out:
	sqlite3_finalize(st);
	lc_wipe(wkey, LC_KEY_BYTES);
	lc_secure_free(wkey);
	return rc;
}

int home_create(struct home *h, const char *pass, size_t passlen, enum lc_kdf_level level)
{
	int rc;

	if (h == NULL || h->db == NULL || pass == NULL)
		return LIAISON_ERR_INVALID;
	if (home_exists(h) || h->keys != NULL)
		return LIAISON_ERR_EXISTS;
	h->keys = lc_secure_alloc(HOME_KEYS_BYTES);
	if (h->keys == NULL)
		return LIAISON_ERR_NOMEM;
	lc_random(h->keys, LC_KEY_BYTES);
	rc = wrap_master(h, h->keys, pass, passlen, level, 0);
	if (rc != 0)
		goto out;
	rc = derive_subkeys(h);
out:
	if (rc != 0)
		drop_keys(h);
	return rc;
}

int home_unlock(struct home *h, const char *pass, size_t passlen)
{
	sqlite3_stmt *st = NULL;
	uint8_t salt[LC_SALT_BYTES];
	uint8_t wrapped[HOME_WRAPPED_BYTES];
	uint8_t *wkey = NULL;
	size_t master_len = 0;
	int kdf;
	int rc;

	if (h == NULL || h->db == NULL || pass == NULL)
		return LIAISON_ERR_INVALID;
	if (h->keys != NULL)
		return 0;  /* derived once per process */
	rc = LIAISON_ERR_STORAGE;
	if (sqlite3_prepare_v2(h->db, "SELECT version, salt, kdf, wrapped FROM home_key WHERE id = 1",
			       -1, &st, NULL) != SQLITE_OK)
		goto out;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		break;
	case SQLITE_DONE:
		rc = LIAISON_ERR_NOT_INITIALISED;
		goto out;
	default:
		goto out;
	}
	rc = LIAISON_ERR_UNSUPPORTED;
	if (sqlite3_column_int(st, 0) != HOME_WRAP_VERSION)
		goto out;
	rc = LIAISON_ERR_INVALID;
	kdf = sqlite3_column_int(st, 2);
	if (kdf < LC_KDF_INTERACTIVE || kdf > LC_KDF_SENSITIVE)
		goto out;
	if (sqlite3_column_bytes(st, 1) != (int)sizeof(salt) ||
	    sqlite3_column_bytes(st, 3) != (int)sizeof(wrapped))
		goto out;
	memcpy(salt, sqlite3_column_blob(st, 1), sizeof(salt));
	memcpy(wrapped, sqlite3_column_blob(st, 3), sizeof(wrapped));
	rc = LIAISON_ERR_NOMEM;
	wkey = lc_secure_alloc(LC_KEY_BYTES);
	h->keys = lc_secure_alloc(HOME_KEYS_BYTES);
	if (wkey == NULL || h->keys == NULL)
		goto out;
	rc = lc_pwhash(wkey, LC_KEY_BYTES, pass, passlen, salt, (enum lc_kdf_level)kdf);
	if (rc != 0)
		goto out;
	rc = lc_open(h->keys, LC_KEY_BYTES, &master_len, wrapped, sizeof(wrapped),
		     (const uint8_t *)HOME_MASTER_AD, strlen(HOME_MASTER_AD), wkey);
	if (rc == LIAISON_ERR_DECRYPT) {
		rc = LIAISON_ERR_PASSPHRASE;
		goto out;
	}
	if (rc != 0)
		goto out;
	if (master_len != LC_KEY_BYTES) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	rc = derive_subkeys(h);
out:
	sqlite3_finalize(st);
	if (wkey != NULL) {
		lc_wipe(wkey, LC_KEY_BYTES);
		lc_secure_free(wkey);
	}
	if (rc != 0)
		drop_keys(h);
	return rc;
}

int home_change_passphrase(struct home *h, const char *pass, size_t passlen,
			   enum lc_kdf_level level)
{
	if (h == NULL || h->db == NULL || pass == NULL)
		return LIAISON_ERR_INVALID;
	if (h->keys == NULL)
		return LIAISON_ERR_INTERNAL;
	return wrap_master(h, h->keys, pass, passlen, level, 1);
}

void home_close(struct home *h)
{
	unsigned i;

	if (h == NULL)
		return;
	dirsync_forget(h);	/* the process's copy of this home's directory */
	for (i = 0; i < HOME_STMT_SLOTS; i++)
		sqlite3_finalize(h->stmts[i]);
	if (h->db != NULL) {
		if (h->depth > 0)
			(void)exec_sql(h->db, "ROLLBACK");
		/* Every statement is finalized above, so close cannot be busy. */
		if (sqlite3_close(h->db) != SQLITE_OK)
			(void)sqlite3_close_v2(h->db);
	}
	drop_keys(h);
	if (h->lock_fd >= 0)
		close(h->lock_fd);  /* releases the flock */
	free(h->db_path);
	free(h->dir);
	free(h);
}

const char *home_dir(const struct home *h)
{
	return h->dir;
}

sqlite3 *home_db(const struct home *h)
{
	return h->db;
}

int home_begin(struct home *h)
{
	char sql[32];

	if (h == NULL || h->db == NULL)
		return LIAISON_ERR_INVALID;
	if (h->depth >= HOME_MAX_DEPTH)
		return LIAISON_ERR_INTERNAL;
	if (h->depth == 0) {
		if (exec_sql(h->db, "BEGIN IMMEDIATE") != 0)
			return LIAISON_ERR_STORAGE;
	} else {
		snprintf(sql, sizeof(sql), "SAVEPOINT lsn%d", h->depth);
		if (exec_sql(h->db, sql) != 0)
			return LIAISON_ERR_STORAGE;
	}
	h->depth++;
	return 0;
}

int home_commit(struct home *h)
{
	char sql[32];

	if (h == NULL || h->db == NULL || h->depth <= 0)
		return LIAISON_ERR_INTERNAL;
	if (h->depth == 1) {
		if (exec_sql(h->db, "COMMIT") != 0) {
			(void)exec_sql(h->db, "ROLLBACK");
			h->depth = 0;
			return LIAISON_ERR_STORAGE;
		}
	} else {
		snprintf(sql, sizeof(sql), "RELEASE lsn%d", h->depth - 1);
		if (exec_sql(h->db, sql) != 0)
			return LIAISON_ERR_STORAGE;
	}
	h->depth--;
	return 0;
}

void home_rollback(struct home *h)
{
	char sql[64];

	if (h == NULL || h->db == NULL || h->depth <= 0)
		return;
	if (h->depth == 1) {
		(void)exec_sql(h->db, "ROLLBACK");
	} else {
		snprintf(sql, sizeof(sql), "ROLLBACK TO lsn%d; RELEASE lsn%d", h->depth - 1,
			 h->depth - 1);
		(void)exec_sql(h->db, sql);
	}
	h->depth--;
}

int home_txn_depth(const struct home *h)
{
	return h == NULL ? 0 : h->depth;
}

int home_subkey(const struct home *h, uint64_t id, const char ctx[8], uint8_t *out,
		size_t outlen)
{
	if (h == NULL || ctx == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	if (h->keys == NULL)
		return LIAISON_ERR_INTERNAL;
	if (memcmp(ctx, HOME_VAULT_CTX, 8) == 0)
		return LIAISON_ERR_INVALID;
	return lc_kdf(out, outlen, id, ctx, h->keys);
}

int home_vault_keys(const struct home *h, int table, const uint8_t **index_key,
		    const uint8_t **value_key)
{
	const uint8_t *pair;

	if (h == NULL || h->keys == NULL)
		return LIAISON_ERR_INTERNAL;
	if (table < 1 || table >= VT_TABLE_COUNT_)
		return LIAISON_ERR_INVALID;
	pair = h->keys + LC_KEY_BYTES * (1 + 2 * (size_t)table);
	*index_key = pair;
	*value_key = pair + LC_KEY_BYTES;
	return 0;
}

int home_stmt(struct home *h, unsigned slot, const char *sql, sqlite3_stmt **out)
{
	if (h == NULL || h->db == NULL || slot >= HOME_STMT_SLOTS)
		return LIAISON_ERR_INTERNAL;
	if (h->stmts[slot] == NULL) {
		if (sqlite3_prepare_v3(h->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
				       &h->stmts[slot], NULL) != SQLITE_OK)
			return LIAISON_ERR_STORAGE;
	} else {
		if (sqlite3_stmt_busy(h->stmts[slot]))
			return LIAISON_ERR_BUSY;
		(void)sqlite3_reset(h->stmts[slot]);
		(void)sqlite3_clear_bindings(h->stmts[slot]);
	}
	*out = h->stmts[slot];
	return 0;
}
