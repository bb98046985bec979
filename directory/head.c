/* Signed heads and snapshots, verified against a state, and the client's
 * tracker of the highest version and chain hash it has seen
 * (docs/DIRECTORY.md). Refuses rollbacks, forks and expired heads with
 * distinct codes; reads no clock of its own. */
#include "directory/dir_int.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/crypto.h"
#include "protocol/sig.h"

int dir_head_parse(const uint8_t *p, size_t n, struct dir_head *out)
{
	struct dir_head h;
	struct rd r;
	int rc;

	if (p == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	if ((rc = dir_rd_open(&r, p, n)) != 0)
		return rc;
	if ((rc = rd_u64(&r, &h.version)) != 0 || (rc = rd_fixed(&r, h.chain_hash, 32)) != 0 ||
	    (rc = rd_u64(&r, &h.issued)) != 0 || (rc = rd_u64(&r, &h.expires)) != 0 ||
	    (rc = rd_fixed(&r, h.signer_id, 16)) != 0 || (rc = rd_end(&r)) != 0)
		return rc;
	if (h.version == 0 || h.expires <= h.issued)
		return LIAISON_ERR_INVALID;
	*out = h;
	return 0;
}

int dir_snapshot_parse(const uint8_t *p, size_t n, struct dir_snapshot *out)
{
	struct dir_snapshot s;
	struct rd r;
	int rc;

	if (p == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	if ((rc = dir_rd_open(&r, p, n)) != 0)
		return rc;
	if ((rc = rd_u64(&r, &s.version)) != 0 || (rc = rd_fixed(&r, s.chain_hash, 32)) != 0 ||
	    (rc = rd_fixed(&r, s.state_hash, 32)) != 0 || (rc = rd_u64(&r, &s.issued)) != 0 ||
	    (rc = rd_fixed(&r, s.signer_id, 16)) != 0 || (rc = rd_end(&r)) != 0)
		return rc;
	if (s.version == 0)
		return LIAISON_ERR_INVALID;
	*out = s;
	return 0;
}

/* The secretariat signer of a head or snapshot in st, and the signature. */
static int verify_by_secretariat(const struct dir_state *st, const struct dir_record *r,
				 int purpose, const struct dir_contact **signer)
{
	const struct dir_contact *c = dir_find_signer(st, r->key_id);

	if (c == NULL)
		return LIAISON_ERR_SIGNER;
	if (sig_ed25519_verify(r->sig, (enum sig_purpose)purpose, r->signed_bytes, r->signed_len,
			       c->cert.key) != 0)
		return LIAISON_ERR_SIGNATURE;
	*signer = c;
	return 0;
}

int dir_head_verify(const struct dir_state *st, const uint8_t *rec, size_t n, uint64_t now_ms,
		    unsigned flags, struct dir_head *out)
{
	const struct dir_contact *signer = NULL;
	struct dir_record r;
	struct dir_head h;
	int rc;

	if (st == NULL || rec == NULL || out == NULL || st->version == 0)
		return LIAISON_ERR_INVALID;
	if ((rc = dir_record_read(rec, n, DIR_HEAD_BYTES, &r)) != 0)
		return rc;
	/* A key this state does not know may have been certified after it:
	 * the caller fetches the changes and asks again. */
	rc = verify_by_secretariat(st, &r, SIG_DIRECTORY_HEAD, &signer);
	if (rc == LIAISON_ERR_SIGNER)
		return LIAISON_ERR_BEHIND;
	if (rc != 0)
		return rc;
	if ((rc = dir_head_parse(r.signed_bytes, r.signed_len, &h)) != 0)
		return rc;
	if (memcmp(h.signer_id, r.key_id, 16) != 0)
		return LIAISON_ERR_SIGNER;
	if (h.version < st->version)
		return LIAISON_ERR_ROLLBACK;
	if (h.version > st->version)
		return LIAISON_ERR_BEHIND;
	if (!lc_equal(h.chain_hash, st->chain_hash, 32))
		return LIAISON_ERR_FORK;
	if (h.issued > now_ms + dir_skew_ms(st) || h.issued < st->issued)
		return LIAISON_ERR_CLOCK;
	if (h.issued > signer->cert.not_after)
		return LIAISON_ERR_SIGNER;
	if (h.expires - h.issued > st->params.head_lifetime_s * 1000u)
		return LIAISON_ERR_INVALID;
	if (now_ms >= h.expires && !(flags & DIR_HEAD_EXEMPT))
		return LIAISON_ERR_STALE;
	*out = h;
	return 0;
}

int dir_snapshot_due(const struct dir_state *st)
{
	return st != NULL && st->version > 0 && st->params.snapshot_every > 0 &&
	       st->version % st->params.snapshot_every == 0;
}

int dir_snapshot_load(const uint8_t root[32], signal_context *sctx, const uint8_t *rec,
		      size_t rec_len, const uint8_t *state_bytes, size_t state_len, uint64_t now_ms,
		      struct dir_state **out)
{
	const struct dir_contact *signer = NULL;
	struct dir_state *st = NULL;
	struct dir_snapshot s;
	struct dir_record r;
	uint8_t h[32];
	size_t i;
	int rc;

	if (root == NULL || rec == NULL || state_bytes == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	if ((rc = dir_record_read(rec, rec_len, DIR_SNAPSHOT_BYTES, &r)) != 0)
		goto out;
	/* The signer's key is in the state, so the state is decoded first
	 * (bounded), and trusted only once the hash below matches. */
	if ((rc = dir_state_decode(state_bytes, state_len, sctx, &st)) != 0)
		goto out;
	if (!lc_equal(st->params.root, root, 32)) {
		rc = LIAISON_ERR_SIGNER;
		goto out;
	}
	for (i = 0; i < st->n_contacts; i++) {
		if (st->contacts[i].has_cert &&
		    layout_cert_verify(&st->contacts[i].cert, root, 0) != 0) {
			rc = LIAISON_ERR_SIGNATURE;
			goto out;
		}
	}
	if ((rc = verify_by_secretariat(st, &r, SIG_DIRECTORY_SNAPSHOT, &signer)) != 0 ||
	    (rc = dir_snapshot_parse(r.signed_bytes, r.signed_len, &s)) != 0)
		goto out;
	if (memcmp(s.signer_id, r.key_id, 16) != 0) {
		rc = LIAISON_ERR_SIGNER;
		goto out;
	}
	if ((rc = lc_sha256(state_bytes, state_len, h)) != 0)
		goto out;
	if (!lc_equal(h, s.state_hash, 32) || s.version != st->version ||
	    !lc_equal(s.chain_hash, st->chain_hash, 32)) {
		rc = LIAISON_ERR_SIGNATURE;
		goto out;
	}
	if (s.issued > now_ms + dir_skew_ms(st) || s.issued < st->issued) {
		rc = LIAISON_ERR_CLOCK;
		goto out;
	}
	if (s.issued > signer->cert.not_after) {
		rc = LIAISON_ERR_SIGNER;
		goto out;
	}
	*out = st;
	st = NULL;
out:
	dir_state_free(st);
	return rc;
}

/* ---- tracker ---- */

int dir_tracker_observe(struct dir_tracker *tr, uint64_t version, const uint8_t chain_hash[32],
			uint64_t head_expires)
{
	if (tr == NULL || chain_hash == NULL)
		return LIAISON_ERR_INVALID;
	if (version < tr->version)
		return LIAISON_ERR_ROLLBACK;
	if (version == tr->version && tr->version != 0 &&
	    !lc_equal(chain_hash, tr->chain_hash, 32))
		return LIAISON_ERR_FORK;
	tr->version = version;
	memcpy(tr->chain_hash, chain_hash, 32);
	if (head_expires > tr->head_expires)
		tr->head_expires = head_expires;
	return 0;
}

int dir_tracker_fresh(const struct dir_tracker *tr, uint64_t now_ms)
{
	if (tr == NULL)
		return LIAISON_ERR_INVALID;
	return now_ms < tr->head_expires ? 0 : LIAISON_ERR_STALE;
}

void dir_tracker_encode(const struct dir_tracker *tr, uint8_t out[DIR_TRACKER_BYTES])
{
	uint8_t *p = out;
	int i;

	*p++ = DIR_LAYOUT_VERSION;
	for (i = 0; i < 8; i++)
		*p++ = (uint8_t)(tr->version >> (56 - 8 * i));
	memcpy(p, tr->chain_hash, 32);
	p += 32;
	for (i = 0; i < 8; i++)
		*p++ = (uint8_t)(tr->head_expires >> (56 - 8 * i));
}

int dir_tracker_decode(const uint8_t *p, size_t n, struct dir_tracker *tr)
{
	struct dir_tracker t;
	struct rd r;
	int rc;

	if (p == NULL || tr == NULL)
		return LIAISON_ERR_INVALID;
	if ((rc = dir_rd_open(&r, p, n)) != 0)
		return rc;
	if ((rc = rd_u64(&r, &t.version)) != 0 || (rc = rd_fixed(&r, t.chain_hash, 32)) != 0 ||
	    (rc = rd_u64(&r, &t.head_expires)) != 0 || (rc = rd_end(&r)) != 0)
		return rc;
	*tr = t;
	return 0;
}
