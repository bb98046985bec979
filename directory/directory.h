/* The directory of member authorities (DESIGN.md §5, docs/DIRECTORY.md):
 * model, canonical bytes, signing and verification of the append-only log of
 * signed changes, heads, snapshots, the client's tracker, and search.
 * No I/O, no storage, no clock: callers pass now_ms and carry the bytes. */
#ifndef LIAISON_DIRECTORY_H
#define LIAISON_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>

#include <signal/signal_protocol.h>

#include "protocol/buf.h"
#include "protocol/errors.h"
#include "protocol/layout.h"

#define DIR_LAYOUT_VERSION 1
#define DIR_MAX_AUTHORITIES 20000
#define DIR_MAX_CONTACTS 100000
#define DIR_MAX_LANGUAGES 64
#define DIR_MAX_NOTES 1024
#define DIR_MAX_CHANGE 8192                  /* signed bytes of one change */
#define DIR_MAX_RECORD (DIR_MAX_CHANGE + 1 + 16 + 64 + 4)
#define DIR_HEAD_BYTES (1 + 8 + 32 + 8 + 8 + 16)
#define DIR_SNAPSHOT_BYTES (1 + 8 + 32 + 32 + 8 + 16)
#define DIR_MAX_STATE (128u * 1024 * 1024)   /* a state encoding */
#define DIR_MAX_QUERY 256                    /* search query, bytes */
#define DIR_TRACKER_BYTES (1 + 8 + 32 + 8)

#define DIR_DEFAULT_HEAD_LIFETIME_S (7u * 24 * 3600)
#define DIR_DEFAULT_SNAPSHOT_EVERY 1000u
#define DIR_DEFAULT_SKEW_S 300u
#define DIR_MAX_HEAD_LIFETIME_S (366u * 24 * 3600)
#define DIR_MAX_SNAPSHOT_EVERY 1000000u
#define DIR_MAX_SKEW_S 3600u

enum dir_type {
	DIR_TYPE_PROSECUTION = 1,
	DIR_TYPE_POLICE,
	DIR_TYPE_ANTI_CORRUPTION,
	DIR_TYPE_FIU,
	DIR_TYPE_CENTRAL_AUTHORITY,
	DIR_TYPE_SECRETARIAT,
	DIR_TYPE_OTHER,
	DIR_TYPE_MAX_ = DIR_TYPE_OTHER
};
/* "prosecution", ..., "other"; NULL for an unknown type. */
const char *dir_type_name(int type);
int dir_type_parse(const char *name, int *type) LIAISON_WUR;

enum dir_status { DIR_ACTIVE = 1, DIR_REVOKED = 2 };
const char *dir_status_name(int status);	/* "active", "revoked", NULL */

enum dir_kind {
	DIR_GENESIS = 1,
	DIR_ADD_AUTHORITY,
	DIR_UPDATE_AUTHORITY,
	DIR_ADD_CONTACT,
	DIR_REVOKE_CONTACT,
	DIR_CERTIFY,
	DIR_GRANT_SECRETARIAT,
	DIR_REVOKE_SECRETARIAT,
	DIR_KIND_MAX_ = DIR_REVOKE_SECRETARIAT
};

struct dir_params {
	uint8_t root[32];
	uint64_t head_lifetime_s;
	uint32_t snapshot_every;
	uint32_t skew_s;
};

struct dir_authority {
	char id[LAYOUT_MAX_AUTHORITY + 1];
	char country[LAYOUT_MAX_COUNTRY + 1];
	char name[LAYOUT_MAX_NAME + 1];
	uint8_t type;                    /* enum dir_type */
	char languages[DIR_MAX_LANGUAGES + 1];
	char notes[DIR_MAX_NOTES + 1];
};

struct dir_contact {
	uint8_t account[16];
	char authority[LAYOUT_MAX_AUTHORITY + 1];
	char name[LAYOUT_MAX_NAME + 1];
	char title[LAYOUT_MAX_NAME + 1];
	uint8_t role;                    /* ROLE_MEMBER, ROLE_SECRETARIAT */
	uint8_t status;                  /* enum dir_status */
	uint8_t identity_key[33];
	uint8_t invite_id[16];
	uint64_t added_in;               /* the version of its add-contact */
	uint8_t has_cert;                /* a secretariat: 1 */
	struct signing_cert cert;
	uint8_t cert_key_id[16];         /* derived, not encoded */
};

struct dir_index;	/* internal hash lookups */

/* A verified state: what the changes up to `version` made. The arrays are
 * in the order the changes added things (authorities by id and contacts by
 * account after dir_state_decode); read them, never write them. */
struct dir_state {
	struct dir_params params;
	uint64_t version;                /* 0: empty, before genesis */
	uint8_t chain_hash[32];
	uint8_t change_hash[32];         /* of the change at `version` */
	uint64_t issued;                 /* of the change at `version` */
	struct dir_authority *authorities;
	size_t n_authorities, cap_authorities;
	struct dir_contact *contacts;
	size_t n_contacts, cap_contacts;
	struct dir_index *ix;
	signal_context *sctx;            /* borrowed: checks enrollment signatures */
};

/* An empty state (version 0) that will accept only a genesis signed by root.
 * sctx is borrowed for the life of the state (XEdDSA checks). */
int dir_state_new(const uint8_t root[32], signal_context *sctx,
		  struct dir_state **out) LIAISON_WUR;
void dir_state_free(struct dir_state *st);

/* The root a genesis record names, read with one bounded read and accepted
 * only when that root's signature over the record verifies (for a relay,
 * which learns the root from the bootstrap secretariat; clients use the
 * root from their invite instead). */
int dir_genesis_root(const uint8_t *rec, size_t n, uint8_t root[32]) LIAISON_WUR;

const struct dir_authority *dir_find_authority(const struct dir_state *st, const char *id);
const struct dir_contact *dir_find_contact(const struct dir_state *st,
					   const uint8_t account[16]);
/* The active secretariat whose certified key has this key id, or NULL. */
const struct dir_contact *dir_find_signer(const struct dir_state *st,
					  const uint8_t key_id[16]);

/* Canonical state encoding (docs/DIRECTORY.md). encode sets *out (a new
 * writer, free with wb_free) only on success. decode checks order, limits
 * and references, not signatures: it is for bytes this client saved or
 * bytes a snapshot's hash is about to be checked against. */
int dir_state_encode(const struct dir_state *st, struct wb *out) LIAISON_WUR;
int dir_state_decode(const uint8_t *p, size_t n, signal_context *sctx,
		     struct dir_state **out) LIAISON_WUR;

/* ---- changes ---- */

/* A change as it is built (sign) or parsed (apply). Which fields count
 * depends on kind (docs/DIRECTORY.md); enrollment points into the caller's
 * or the record's bytes. */
struct dir_change {
	uint64_t version;
	uint8_t prev_hash[32];
	uint64_t issued;
	uint8_t signer_id[16];
	uint8_t kind;
	struct dir_params params;        /* genesis */
	struct dir_authority authority;  /* genesis, add/update-authority */
	const uint8_t *enrollment;       /* genesis, add-contact */
	size_t enrollment_len;
	uint8_t enrollment_sig[64];
	uint8_t has_cert;                /* genesis, add-contact (1 for a secretariat) */
	struct signing_cert cert;        /* + certify, grant-secretariat */
	uint8_t account[16];             /* revoke-contact, revoke-secretariat */
};

/* A record's parts, pointing into rec. Bounded; no signature checked. */
struct dir_record {
	uint8_t key_id[16];
	uint8_t sig[64];
	const uint8_t *signed_bytes;
	size_t signed_len;
};
int dir_record_read(const uint8_t *rec, size_t n, size_t max_signed,
		    struct dir_record *out) LIAISON_WUR;

/* Parses change signed bytes (no signature check: for the fuzzer and for
 * tools; dir_apply verifies first). */
int dir_change_parse(const uint8_t *p, size_t n, struct dir_change *out) LIAISON_WUR;

/* Verifies one change record against st and applies it (docs/DIRECTORY.md,
 * "Verifying a change"). On failure st is unchanged and the error says
 * why: SIGNER, SIGNATURE, CHAIN, CLOCK, DENIED, EXISTS, NOT_FOUND, ... */
int dir_apply(struct dir_state *st, const uint8_t *rec, size_t n, uint64_t now_ms) LIAISON_WUR;
/* Applies each record of a page in order; stops at the first failure with
 * the changes before it applied. *applied (may be NULL) counts them. */
int dir_apply_page(struct dir_state *st, const uint8_t *page, size_t n, uint64_t now_ms,
		   size_t *applied) LIAISON_WUR;

/* Builds, signs and encodes a record for c as the next change of st:
 * version, prev_hash and signer_id are filled here from st and pk; c->issued
 * is the caller's. sk (64, lc_secure memory) is the caller's to wipe. The
 * change is not applied (apply it to st to check it). */
int dir_change_sign(const struct dir_state *st, const struct dir_change *c,
		    const uint8_t pk[32], const uint8_t sk[64], struct wb *out) LIAISON_WUR;

/* SHA-256 of a change record's signed bytes and signature. */
int dir_change_hash(const uint8_t *rec, size_t n, uint8_t out[32]) LIAISON_WUR;

/* ---- paging ---- */

/* From recs[start], the end index (exclusive) of the longest run that fits
 * in one page of at most limit bytes. TOO_BIG when recs[start] alone does
 * not fit. */
int dir_page_span(const uint8_t *const *recs, const size_t *lens, size_t count,
		  size_t start, size_t limit, size_t *end) LIAISON_WUR;
int dir_page_build(const uint8_t *const *recs, const size_t *lens, size_t count,
		   size_t limit, struct wb *out) LIAISON_WUR;
/* Iterates a page: *count first, then each record in turn. */
int dir_page_open(struct rd *r, const uint8_t *page, size_t n, uint32_t *count) LIAISON_WUR;
int dir_page_next(struct rd *r, const uint8_t **rec, size_t *len) LIAISON_WUR;

/* ---- heads and snapshots ---- */

struct dir_head {
	uint64_t version;
	uint8_t chain_hash[32];
	uint64_t issued;
	uint64_t expires;
	uint8_t signer_id[16];
};

#define DIR_HEAD_EXEMPT 1u	/* refresh: an expired head is still verified */

/* Signs a head for st, expiring issued + params.head_lifetime_s (or
 * lifetime_s when non-zero and shorter). */
int dir_head_sign(const struct dir_state *st, uint64_t issued, uint64_t lifetime_s,
		  const uint8_t pk[32], const uint8_t sk[64], struct wb *out) LIAISON_WUR;
/* See docs/DIRECTORY.md: ROLLBACK, BEHIND, FORK, STALE, SIGNER, CLOCK,
 * SIGNATURE. *out is written only on success. */
int dir_head_verify(const struct dir_state *st, const uint8_t *rec, size_t n,
		    uint64_t now_ms, unsigned flags, struct dir_head *out) LIAISON_WUR;
int dir_head_parse(const uint8_t *p, size_t n, struct dir_head *out) LIAISON_WUR;

struct dir_snapshot {
	uint64_t version;
	uint8_t chain_hash[32];
	uint8_t state_hash[32];
	uint64_t issued;
	uint8_t signer_id[16];
};
/* st->version % snapshot_every == 0. */
int dir_snapshot_due(const struct dir_state *st);
int dir_snapshot_sign(const struct dir_state *st, uint64_t issued, const uint8_t pk[32],
		      const uint8_t sk[64], struct wb *out) LIAISON_WUR;
int dir_snapshot_parse(const uint8_t *p, size_t n, struct dir_snapshot *out) LIAISON_WUR;
/* A new state from a signed snapshot and the state bytes it names, under
 * the root the client trusts. */
int dir_snapshot_load(const uint8_t root[32], signal_context *sctx, const uint8_t *rec,
		      size_t rec_len, const uint8_t *state_bytes, size_t state_len,
		      uint64_t now_ms, struct dir_state **out) LIAISON_WUR;

/* ---- the client's memory of what it has seen ---- */

struct dir_tracker {
	uint64_t version;                /* highest verified version seen */
	uint8_t chain_hash[32];          /* its chain hash */
	uint64_t head_expires;           /* latest verified head's expiry */
};
/* Records a verified (version, chain hash): ROLLBACK when older than seen,
 * FORK when the same version had another chain hash. *tr changes only on
 * success. head_expires 0: not a head. */
int dir_tracker_observe(struct dir_tracker *tr, uint64_t version,
			const uint8_t chain_hash[32], uint64_t head_expires) LIAISON_WUR;
/* 0 while the latest head is unexpired, STALE otherwise. */
int dir_tracker_fresh(const struct dir_tracker *tr, uint64_t now_ms) LIAISON_WUR;
void dir_tracker_encode(const struct dir_tracker *tr, uint8_t out[DIR_TRACKER_BYTES]);
int dir_tracker_decode(const uint8_t *p, size_t n, struct dir_tracker *tr) LIAISON_WUR;

/* ---- one's own entry ---- */

struct dir_own {
	uint8_t account[16];
	uint8_t identity_key[33];
};
#define DIR_OWN_ASKED 1u	/* this client asked for a role or key change */
/* before may be NULL (first state). REVOKED, OWN_CHANGED, PENDING or 0. */
int dir_own_check(const struct dir_state *before, const struct dir_state *after,
		  const struct dir_own *own, unsigned flags) LIAISON_WUR;

/* ---- search ---- */

struct dir_search;	/* the folded index of one state */

/* Built from st, which must outlive it and not change while it is used. */
int dir_search_new(const struct dir_state *st, struct dir_search **out) LIAISON_WUR;
void dir_search_free(struct dir_search *s);

struct dir_hit {
	size_t authority;                /* index into st->authorities */
	size_t first, count;             /* into dir_result.contacts */
	int whole;                       /* 1: the authority itself matched */
};
struct dir_result {
	struct dir_hit *hits;
	size_t n_hits;
	size_t *contacts;                /* indexes into st->contacts */
	size_t n_contacts;
};
/* CONTRACT.md `directory search`. *out (free with dir_result_free) is
 * written only on success. */
int dir_search(const struct dir_search *s, const char *query, struct dir_result *out) LIAISON_WUR;
/* `directory list [--country CC] [--type TYPE]`: country NULL or type 0
 * means any. */
int dir_list(const struct dir_search *s, const char *country, int type,
	     struct dir_result *out) LIAISON_WUR;
/* `directory show AUTHORITY`: NOT_FOUND when there is none. */
int dir_show(const struct dir_search *s, const char *authority, struct dir_result *out) LIAISON_WUR;
void dir_result_free(struct dir_result *r);

/* Folds text as the index does (malloc'd, NUL-terminated). */
int dir_fold(const char *text, char **out) LIAISON_WUR;

#endif
