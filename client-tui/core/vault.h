/* Encrypted tables in the home (DESIGN.md §9). Every row has a random
 * 16-byte id; a row looked up by a key (an account id, an address, a message
 * id) is found through a blind index, a keyed hash of the key under the
 * table's own subkey; the value is sealed with XChaCha20-Poly1305 under
 * another subkey with (table, row id, format version) as associated data,
 * so a value moved to another row fails to open. The database file shows
 * neither keys nor values. */
#ifndef LIAISON_VAULT_H
#define LIAISON_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "client-tui/core/home.h"
#include "protocol/errors.h"

/* The tables; each has its own index and value subkeys. The numbers are
 * stored and bound into every value: append new tables, never renumber. */
enum vault_table {
	VT_ACCOUNT = 1,      /* the own account (one row, key "self") */
	VT_CONTACT,          /* account id -> contact record (pinned key, names) */
	VT_SESSION,          /* libsignal address -> session record */
	VT_PREKEY,           /* prekey id -> record */
	VT_SIGNED_PREKEY,    /* signed prekey id -> record */
	VT_SENDER_KEY,       /* (group, sender) -> sender key record */
	VT_MESSAGE,          /* message id -> message record */
	VT_SEEN,             /* (sender, message id) -> received marker */
	VT_OUTBOX,           /* message id -> queued ciphertext */
	VT_INVITE,           /* invite id -> minted invite (bind, expiry, ...) */
	VT_META,             /* small named values */
	VT_TABLE_COUNT_
};

#define VAULT_FORMAT_VERSION 1
#define VAULT_MAX_KEY 256                 /* bytes of a lookup key */
#define VAULT_MAX_VALUE (4u * 1024 * 1024) /* bytes of a plaintext value */

/* Creates the schema (PRAGMA user_version migrations). Called by home. */
int vault_migrate(struct home *h) LIAISON_WUR;

/* Inserts or replaces the value stored under key (a replaced value keeps
 * its row id and insertion place, and is sealed again with a new nonce).
 * The home must be unlocked (LIAISON_ERR_INTERNAL otherwise). */
int vault_put(struct home *h, enum vault_table t, const void *key, size_t keylen,
	      const void *val, size_t vallen) LIAISON_WUR;
/* *val is malloc'd (free with vault_free_value, which wipes it);
 * LIAISON_ERR_NOT_FOUND when absent. */
int vault_get(struct home *h, enum vault_table t, const void *key, size_t keylen,
	      uint8_t **val, size_t *vallen) LIAISON_WUR;
/* 0 whether or not the key was present (ask vault_has to know). */
int vault_del(struct home *h, enum vault_table t, const void *key, size_t keylen) LIAISON_WUR;
/* 1 when present, 0 when not, negative on error. */
int vault_has(struct home *h, enum vault_table t, const void *key, size_t keylen);
/* Calls fn for every value of the table in insertion order; a non-zero
 * return from fn stops the walk and is returned. Keys are not stored in
 * clear, so records that need their key carry it inside the value. */
/* val is wiped after fn returns. fn may call the other vault functions,
 * but should not put into or delete from the table being walked (collect
 * first, change after). */
typedef int (*vault_each_fn)(const uint8_t *val, size_t vallen, void *arg);
int vault_each(struct home *h, enum vault_table t, vault_each_fn fn, void *arg) LIAISON_WUR;
void vault_free_value(uint8_t *val, size_t vallen);

#endif
