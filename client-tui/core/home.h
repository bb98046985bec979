/* The client's home (DESIGN.md §9): a directory (0700) holding one SQLite
 * database (0600) whose values are encrypted under subkeys of a master key;
 * the master key is wrapped by a key derived from the passphrase with
 * Argon2id. One process owns a home at a time (flock, taken before the
 * passphrase is asked). The core never prompts: the CLI supplies the
 * passphrase. */
#ifndef LIAISON_HOME_H
#define LIAISON_HOME_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "protocol/crypto.h"
#include "protocol/errors.h"

struct home;

/* Resolves --home, $LIAISON_HOME, ~/.local/share/liaison into a malloc'd path. */
char *home_resolve_path(const char *opt_home);

/* Takes the home's lock (creating DIR 0700 when create is set): LIAISON_ERR_LOCKED
 * when another process holds it, LIAISON_ERR_NOT_INITIALISED when DIR has no
 * home and create is not set. wait_seconds > 0 waits that long for the lock. */
int home_lock(const char *dir, int create, int wait_seconds, struct home **out) LIAISON_WUR;
/* 1 when the locked home already has a database with a wrapped master key. */
int home_exists(const struct home *h);
/* A new home: fresh master key wrapped under the passphrase at level. */
int home_create(struct home *h, const char *pass, size_t passlen,
		enum lc_kdf_level level) LIAISON_WUR;
/* Unwraps the master key and derives the subkeys (Argon2id runs here, once
 * per process): LIAISON_ERR_PASSPHRASE when wrong. On a home already
 * unlocked it returns 0 at once, without checking pass again. */
int home_unlock(struct home *h, const char *pass, size_t passlen) LIAISON_WUR;
/* Rewraps the master key under a new passphrase (and level); the data and
 * every subkey stay as they are. The home must be unlocked. */
int home_change_passphrase(struct home *h, const char *pass, size_t passlen,
			   enum lc_kdf_level level) LIAISON_WUR;
/* 1 once home_create or home_unlock has succeeded. */
int home_is_unlocked(const struct home *h);
/* Wipes keys, closes the database, releases the lock. NULL is a no-op. */
void home_close(struct home *h);

const char *home_dir(const struct home *h);
sqlite3 *home_db(const struct home *h);

/* Transactions around everything that must land together (DESIGN.md §7). */
int home_begin(struct home *h) LIAISON_WUR;
int home_commit(struct home *h) LIAISON_WUR;
void home_rollback(struct home *h);
/* Open transaction depth (0 when none). Nested begin/commit/rollback use
 * SAVEPOINTs; only the outermost commit makes anything durable. */
int home_txn_depth(const struct home *h);

/* A subkey of the master key for a purpose outside the vault (e.g. the
 * encrypted state of a file transfer): lc_kdf(id, ctx). ctx must not be
 * "lsnvault" (the vault's own). The home must be unlocked; out is the
 * caller's to wipe. */
int home_subkey(const struct home *h, uint64_t id, const char ctx[8],
		uint8_t *out, size_t outlen) LIAISON_WUR;

/* For vault.c only: the blind-index and value subkeys of a table (secure
 * memory owned by the home; LIAISON_ERR_INTERNAL before unlock). */
int home_vault_keys(const struct home *h, int table, const uint8_t **index_key,
		    const uint8_t **value_key) LIAISON_WUR;
/* For vault.c only: a statement prepared once per slot and kept until
 * home_close; handed back reset with its bindings cleared, or
 * LIAISON_ERR_BUSY while it is still mid-step (a walk in progress). */
#define HOME_STMT_SLOTS 16
int home_stmt(struct home *h, unsigned slot, const char *sql, sqlite3_stmt **out) LIAISON_WUR;

#endif
