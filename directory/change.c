/* The signed bytes of a directory change, both ways (docs/DIRECTORY.md):
 * header, kind and a u32-length-prefixed body laid out per kind. Parsing
 * here checks shapes and limits only; whether a change may apply is
 * chain.c's business, after its signature has verified. */
#include "directory/dir_int.h"

#include <string.h>

#include "protocol/crypto.h"

static void put_approval(struct wb *w, const struct dir_change *c)
{
	wb_var(w, c->enrollment, c->enrollment_len);
	wb_fixed(w, c->enrollment_sig, 64);
	wb_u8(w, c->has_cert);
	if (c->has_cert)
		dir_put_cert(w, &c->cert);
}

static int get_approval(struct rd *r, struct dir_change *c)
{
	int rc;

	if ((rc = rd_var(r, &c->enrollment, &c->enrollment_len, LAYOUT_MAX_ENROLLMENT)) != 0 ||
	    (rc = rd_fixed(r, c->enrollment_sig, 64)) != 0 || (rc = rd_u8(r, &c->has_cert)) != 0)
		return rc;
	if (c->enrollment_len == 0 || c->has_cert > 1)
		return LIAISON_ERR_INVALID;
	if (c->has_cert)
		return dir_get_cert(r, &c->cert);
	return 0;
}

static int put_body(struct wb *w, const struct dir_change *c)
{
	switch (c->kind) {
	case DIR_GENESIS:
		if (dir_check_params(&c->params) != 0)
			return LIAISON_ERR_INVALID;
		dir_put_params(w, &c->params);
		/* fall through */
	case DIR_ADD_AUTHORITY:
	case DIR_UPDATE_AUTHORITY:
		if (dir_check_authority(&c->authority) != 0)
			return LIAISON_ERR_INVALID;
		dir_put_authority(w, &c->authority);
		if (c->kind != DIR_GENESIS)
			return 0;
		/* fall through */
	case DIR_ADD_CONTACT:
		if (c->enrollment == NULL || c->enrollment_len == 0 ||
		    c->enrollment_len > LAYOUT_MAX_ENROLLMENT || c->has_cert > 1)
			return LIAISON_ERR_INVALID;
		put_approval(w, c);
		return 0;
	case DIR_REVOKE_CONTACT:
	case DIR_REVOKE_SECRETARIAT:
		wb_fixed(w, c->account, 16);
		return 0;
	case DIR_CERTIFY:
	case DIR_GRANT_SECRETARIAT:
		dir_put_cert(w, &c->cert);
		return 0;
	default:
		return LIAISON_ERR_UNSUPPORTED;
	}
}

static int get_body(struct rd *r, struct dir_change *c)
{
	int rc;

	switch (c->kind) {
	case DIR_GENESIS:
		if ((rc = dir_get_params(r, &c->params)) != 0 ||
		    (rc = dir_get_authority(r, &c->authority)) != 0)
			return rc;
		return get_approval(r, c);
	case DIR_ADD_AUTHORITY:
	case DIR_UPDATE_AUTHORITY:
		return dir_get_authority(r, &c->authority);
	case DIR_ADD_CONTACT:
		return get_approval(r, c);
	case DIR_REVOKE_CONTACT:
	case DIR_REVOKE_SECRETARIAT:
		return rd_fixed(r, c->account, 16);
	case DIR_CERTIFY:
	case DIR_GRANT_SECRETARIAT:
		return dir_get_cert(r, &c->cert);
	default:
		return LIAISON_ERR_UNSUPPORTED;
	}
}

int dir_change_encode(const struct dir_change *c, struct wb *out)
{
	struct wb w, body;
	int rc;

	wb_init(&w, DIR_MAX_CHANGE);
	wb_init(&body, DIR_MAX_CHANGE);
	if ((rc = put_body(&body, c)) != 0 || (rc = wb_status(&body)) != 0)
		goto out;
	wb_u8(&w, DIR_LAYOUT_VERSION);
	wb_u64(&w, c->version);
	wb_fixed(&w, c->prev_hash, 32);
	wb_u64(&w, c->issued);
	wb_fixed(&w, c->signer_id, 16);
	wb_u8(&w, c->kind);
	wb_var(&w, body.data, body.len);
	if ((rc = wb_status(&w)) != 0)
		goto out;
	*out = w;
	wb_init(&w, 0);
out:
	wb_free(&body);
	wb_free(&w);
	return rc;
}

int dir_change_parse(const uint8_t *p, size_t n, struct dir_change *out)
{
	struct dir_change c;
	struct rd r, b;
	const uint8_t *body;
	size_t blen;
	int rc;

	if (p == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	if (n > DIR_MAX_CHANGE)
		return LIAISON_ERR_TOO_BIG;
	memset(&c, 0, sizeof(c));
	if ((rc = dir_rd_open(&r, p, n)) != 0)
		return rc;
	if ((rc = rd_u64(&r, &c.version)) != 0 || (rc = rd_fixed(&r, c.prev_hash, 32)) != 0 ||
	    (rc = rd_u64(&r, &c.issued)) != 0 || (rc = rd_fixed(&r, c.signer_id, 16)) != 0 ||
	    (rc = rd_u8(&r, &c.kind)) != 0 || (rc = rd_var(&r, &body, &blen, DIR_MAX_CHANGE)) != 0 ||
	    (rc = rd_end(&r)) != 0)
		return rc;
	if (c.kind < DIR_GENESIS || c.kind > DIR_KIND_MAX_)
		return LIAISON_ERR_UNSUPPORTED;
	rd_init(&b, body, blen);
	if ((rc = get_body(&b, &c)) != 0 || (rc = rd_end(&b)) != 0)
		return rc;
	*out = c;
	return 0;
}

int dir_change_hash(const uint8_t *rec, size_t n, uint8_t out[32])
{
	struct dir_record r;
	struct lc_sha256 *h = NULL;
	int rc;

	if ((rc = dir_record_read(rec, n, DIR_MAX_CHANGE, &r)) != 0)
		return rc;
	h = lc_sha256_new();
	if (h == NULL)
		return LIAISON_ERR_NOMEM;
	if ((rc = lc_sha256_update(h, r.signed_bytes, r.signed_len)) != 0 ||
	    (rc = lc_sha256_update(h, r.sig, 64)) != 0 || (rc = lc_sha256_final(h, out)) != 0)
		goto out;
out:
	lc_sha256_free(h);
	return rc;
}

int dir_chain_next(const uint8_t prev[32], const uint8_t change_hash[32], uint8_t out[32])
{
	static const char tag[] = "liaison/v1/chain";
	uint8_t buf[sizeof(tag) - 1 + 64];

	memcpy(buf, tag, sizeof(tag) - 1);
	memcpy(buf + sizeof(tag) - 1, prev, 32);
	memcpy(buf + sizeof(tag) - 1 + 32, change_hash, 32);
	return lc_sha256(buf, sizeof(buf), out);
}
