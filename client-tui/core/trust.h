/* The one function every send, receive and session build asks (DESIGN.md
 * §5). Its source is the client's last verified signed directory
 * (dirsync.h): an account is listed with its key, revoked or unlisted
 * there; nothing is ever trusted from first use. The contact records kept
 * here carry names and the key the user verified, never trust. */
#ifndef LIAISON_TRUST_H
#define LIAISON_TRUST_H

#include <stdint.h>

#include "client-tui/core/home.h"
#include "protocol/errors.h"
#include "protocol/layout.h"

enum trust_state {
	TRUST_LISTED = 0,    /* listed with a key: compare against it */
	TRUST_PENDING,       /* awaiting approval */
	TRUST_REVOKED,       /* trust ended */
	TRUST_UNLISTED       /* not in the verified directory */
};

/* The contact record (one VT_CONTACT value per account, keyed by the
 * 16-byte account id; stored versioned, format 1): the trust fields that
 * trust.c owns, and the fields the contacts view shows. Later formats add
 * fields at the end; an older record reads back with them zeroed. */
struct trust_contact {
	uint8_t account[16];
	uint8_t state;                    /* enum trust_state */
	uint8_t has_key;
	uint8_t key[33];                  /* the directory's key when last seen (has_key) */
	uint64_t pinned_at;               /* ms since the epoch, when key was recorded */
	uint8_t has_verified_key;         /* verification is per (account, key), §5 */
	uint8_t verified_key[33];
	uint64_t verified_at;             /* ms */
	char name[LAYOUT_MAX_NAME + 1];
	char title[LAYOUT_MAX_NAME + 1];
	char authority[LAYOUT_MAX_AUTHORITY + 1];
	char country[LAYOUT_MAX_COUNTRY + 1];
};

/* LIAISON_ERR_NOT_FOUND when nothing is stored for account. */
int trust_contact_get(struct home *h, const uint8_t account[16],
		      struct trust_contact *out) LIAISON_WUR;
/* Stores the record (its key follows the directory; it decides nothing). */
int trust_contact_put(struct home *h, const struct trust_contact *c) LIAISON_WUR;
/* Every contact in the order first stored; a non-zero return stops. */
typedef int (*trust_contact_fn)(const struct trust_contact *c, void *arg);
int trust_contact_each(struct home *h, trust_contact_fn fn, void *arg) LIAISON_WUR;

/* What is trusted for account: *state, and when TRUST_LISTED the key.
 * Before the first verified directory nothing is listed (TRUST_UNLISTED):
 * there is no other source, and never trust from first use. */
int trust_lookup(struct home *h, const uint8_t account[16], enum trust_state *state,
		 uint8_t key[33]) LIAISON_WUR;
/* 0 when key is the directory's key of account and, where the user had
 * verified a key for it, that key too; LIAISON_ERR_IDENTITY when it differs
 * from the directory's, LIAISON_ERR_UNVERIFIED when the directory's key is
 * not the one the user verified, LIAISON_ERR_REVOKED / LIAISON_ERR_PENDING /
 * LIAISON_ERR_UNKNOWN_PEER (unlisted) otherwise. */
int trust_check(struct home *h, const uint8_t account[16], const uint8_t key[33]) LIAISON_WUR;
/* Records (creates or refreshes) the contact record of a listed account
 * from the directory: its current key, name, title, authority, country.
 * Inside the caller's transaction; keeps the verified-key fields. */
int trust_contact_note(struct home *h, const uint8_t account[16]) LIAISON_WUR;

#endif
