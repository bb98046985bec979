/* The signing side, for secretariat and root holders: builds the exact
 * bytes of a change, head or snapshot and signs them with a key the caller
 * holds (in lc_secure memory, wiped by the caller). Never keeps a key. */
#include "directory/dir_int.h"

#include <string.h>

#include "protocol/crypto.h"
#include "protocol/sig.h"

int dir_sign_record(int purpose, const uint8_t *bytes, size_t n, const uint8_t pk[32],
		    const uint8_t sk[64], struct wb *out)
{
	uint8_t sig[64], key_id[16];
	struct wb w;
	int rc;

	wb_init(&w, DIR_MAX_RECORD);
	if ((rc = layout_key_id(pk, key_id)) != 0 ||
	    (rc = sig_ed25519_sign(sig, (enum sig_purpose)purpose, bytes, n, sk)) != 0)
		goto out;
	/* A signature by a secret key that does not match pk would be refused
	 * by every reader: catch it here. */
	if ((rc = sig_ed25519_verify(sig, (enum sig_purpose)purpose, bytes, n, pk)) != 0) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	if ((rc = dir_record_write(&w, key_id, sig, bytes, n)) != 0)
		goto out;
	*out = w;
	wb_init(&w, 0);
out:
	wb_free(&w);
	return rc;
}

int dir_change_sign(const struct dir_state *st, const struct dir_change *c, const uint8_t pk[32],
		    const uint8_t sk[64], struct wb *out)
{
	struct dir_change t;
	struct wb bytes;
	int rc;

	if (st == NULL || c == NULL || pk == NULL || sk == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	wb_init(&bytes, 0);
	t = *c;
	t.version = st->version + 1;
	memcpy(t.prev_hash, st->change_hash, 32);
	if ((rc = layout_key_id(pk, t.signer_id)) != 0 || (rc = dir_change_encode(&t, &bytes)) != 0)
		goto out;
	rc = dir_sign_record(SIG_DIRECTORY, bytes.data, bytes.len, pk, sk, out);
out:
	wb_free(&bytes);
	return rc;
}

int dir_head_sign(const struct dir_state *st, uint64_t issued, uint64_t lifetime_s,
		  const uint8_t pk[32], const uint8_t sk[64], struct wb *out)
{
	struct wb w;
	uint8_t key_id[16];
	uint64_t life;
	int rc;

	if (st == NULL || pk == NULL || sk == NULL || out == NULL || st->version == 0)
		return LIAISON_ERR_INVALID;
	life = st->params.head_lifetime_s;
	if (lifetime_s != 0 && lifetime_s < life)
		life = lifetime_s;
	wb_init(&w, DIR_HEAD_BYTES);
	if ((rc = layout_key_id(pk, key_id)) != 0)
		goto out;
	wb_u8(&w, DIR_LAYOUT_VERSION);
	wb_u64(&w, st->version);
	wb_fixed(&w, st->chain_hash, 32);
	wb_u64(&w, issued);
	wb_u64(&w, issued + life * 1000u);
	wb_fixed(&w, key_id, 16);
	if ((rc = wb_status(&w)) != 0)
		goto out;
	rc = dir_sign_record(SIG_DIRECTORY_HEAD, w.data, w.len, pk, sk, out);
out:
	wb_free(&w);
	return rc;
}

int dir_snapshot_sign(const struct dir_state *st, uint64_t issued, const uint8_t pk[32],
		      const uint8_t sk[64], struct wb *out)
{
	struct wb w, state;
	uint8_t key_id[16], h[32];
	int rc;

	if (st == NULL || pk == NULL || sk == NULL || out == NULL || st->version == 0)
		return LIAISON_ERR_INVALID;
	wb_init(&w, DIR_SNAPSHOT_BYTES);
	wb_init(&state, 0);
	if ((rc = layout_key_id(pk, key_id)) != 0 || (rc = dir_state_encode(st, &state)) != 0 ||
	    (rc = lc_sha256(state.data, state.len, h)) != 0)
		goto out;
	wb_u8(&w, DIR_LAYOUT_VERSION);
	wb_u64(&w, st->version);
	wb_fixed(&w, st->chain_hash, 32);
	wb_fixed(&w, h, 32);
	wb_u64(&w, issued);
	wb_fixed(&w, key_id, 16);
	if ((rc = wb_status(&w)) != 0)
		goto out;
	rc = dir_sign_record(SIG_DIRECTORY_SNAPSHOT, w.data, w.len, pk, sk, out);
out:
	wb_free(&state);
	wb_free(&w);
	return rc;
}

/* The root sits at a fixed place in a genesis: after the header (1 + 8 + 32
 * + 8 + 16), the kind and the body's length. One bounded read of it, then
 * the signature by it, before anything else is parsed. */
int dir_genesis_root(const uint8_t *rec, size_t n, uint8_t root[32])
{
	struct dir_record r;
	struct dir_change c;
	uint8_t id[16];
	const size_t at = 1 + 8 + 32 + 8 + 16 + 1 + 4;
	int rc;

	if (rec == NULL || root == NULL)
		return LIAISON_ERR_INVALID;
	if ((rc = dir_record_read(rec, n, DIR_MAX_CHANGE, &r)) != 0)
		return rc;
	if (r.signed_len < at + 32 || r.signed_bytes[at - 5] != DIR_GENESIS)
		return LIAISON_ERR_INVALID;
	if ((rc = layout_key_id(r.signed_bytes + at, id)) != 0)
		return rc;
	if (memcmp(id, r.key_id, 16) != 0)
		return LIAISON_ERR_SIGNER;
	if (sig_ed25519_verify(r.sig, SIG_DIRECTORY, r.signed_bytes, r.signed_len,
			       r.signed_bytes + at) != 0)
		return LIAISON_ERR_SIGNATURE;
	if ((rc = dir_change_parse(r.signed_bytes, r.signed_len, &c)) != 0)
		return rc;
	if (c.kind != DIR_GENESIS || c.version != 1 || memcmp(c.signer_id, r.key_id, 16) != 0)
		return LIAISON_ERR_INVALID;
	memcpy(root, c.params.root, 32);
	return 0;
}
