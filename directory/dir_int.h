/* Internals shared by the files of directory/: field codecs, validation and
 * the hash lookups of a state. Never included outside directory/. */
#ifndef LIAISON_DIR_INT_H
#define LIAISON_DIR_INT_H

#include "directory/directory.h"

/* Field rules (docs/DIRECTORY.md, Model). */
int dir_check_authority(const struct dir_authority *a) LIAISON_WUR;
int dir_check_params(const struct dir_params *p) LIAISON_WUR;
int dir_check_utf8(const char *s) LIAISON_WUR;

void dir_put_params(struct wb *w, const struct dir_params *p);
int dir_get_params(struct rd *r, struct dir_params *p) LIAISON_WUR;
void dir_put_authority(struct wb *w, const struct dir_authority *a);
int dir_get_authority(struct rd *r, struct dir_authority *a) LIAISON_WUR;
void dir_put_cert(struct wb *w, const struct signing_cert *c);
int dir_get_cert(struct rd *r, struct signing_cert *c) LIAISON_WUR;

/* Starts reading bytes of the directory's layout, which begin with its
 * version byte: 0, or UNSUPPORTED for another version (INVALID when empty). */
int dir_rd_open(struct rd *r, const uint8_t *p, size_t n) LIAISON_WUR;

/* Record: LV | key id | signature | var signed bytes. */
int dir_record_write(struct wb *w, const uint8_t key_id[16], const uint8_t sig[64],
		     const uint8_t *signed_bytes, size_t n) LIAISON_WUR;

/* Index maintenance: after appending to the arrays, or rebuilding all. */
int dir_index_rebuild(struct dir_state *st) LIAISON_WUR;
int dir_index_add_authority(struct dir_state *st, size_t i) LIAISON_WUR;
int dir_index_add_contact(struct dir_state *st, size_t i) LIAISON_WUR;
/* Makes room for one more authority / contact (so that a later append can
 * not fail halfway through applying a change). */
int dir_reserve(struct dir_state *st, size_t authorities, size_t contacts) LIAISON_WUR;
/* The list of contacts that may sign is a superset: dir_find_signer checks
 * each entry's role, status and certificate. rebuild after a decode; add
 * (before the change that makes contact i a signer) otherwise. */
int dir_signers_rebuild(struct dir_state *st) LIAISON_WUR;
int dir_signers_add(struct dir_state *st, size_t i) LIAISON_WUR;
int dir_contact_by_invite(const struct dir_state *st, const uint8_t invite_id[16]);

/* The key that signed with key_id in st: the root (sets *is_root) or an
 * active secretariat (sets *signer). SIGNER when neither. */
int dir_pick_key(const struct dir_state *st, const uint8_t key_id[16], const uint8_t **pk,
		 const struct dir_contact **signer, int *is_root) LIAISON_WUR;

/* Signs bytes (purpose) and writes the record. */
int dir_sign_record(int purpose, const uint8_t *bytes, size_t n, const uint8_t pk[32],
		    const uint8_t sk[64], struct wb *out) LIAISON_WUR;

uint64_t dir_skew_ms(const struct dir_state *st);

/* The signed bytes of a change (docs/DIRECTORY.md); *out set on success. */
int dir_change_encode(const struct dir_change *c, struct wb *out) LIAISON_WUR;
/* H_v from H_{v-1} and the change hash. */
int dir_chain_next(const uint8_t prev[32], const uint8_t change_hash[32],
		   uint8_t out[32]) LIAISON_WUR;

#endif
