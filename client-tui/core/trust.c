/* trust_lookup answers from the last verified signed directory (DESIGN.md
 * §5), and trust_check adds the user's verification (per account and key).
 * It must never answer "trusted" for a key the directory does not list, nor
 * take a key from the relay or from first use. */
#include "client-tui/core/trust.h"

#include <stdio.h>
#include <string.h>

#include "client-tui/core/dirsync.h"
#include "client-tui/core/vault.h"
#include "protocol/buf.h"
#include "protocol/crypto.h"
#include "protocol/timefmt.h"

#define CONTACT_FORMAT 1
#define CONTACT_MAX_BYTES 2048
#define DJB_KEY_TYPE 0x05

static int encode(const struct trust_contact *c, struct wb *w)
{
	wb_u8(w, CONTACT_FORMAT);
	wb_fixed(w, c->account, sizeof(c->account));
	wb_u8(w, c->state);
	wb_u8(w, c->has_key);
	wb_fixed(w, c->key, sizeof(c->key));
	wb_u64(w, c->pinned_at);
	wb_u8(w, c->has_verified_key);
	wb_fixed(w, c->verified_key, sizeof(c->verified_key));
	wb_u64(w, c->verified_at);
	wb_str(w, c->name);
	wb_str(w, c->title);
	wb_str(w, c->authority);
	wb_str(w, c->country);
	return wb_status(w);
}

static int decode(const uint8_t *p, size_t n, struct trust_contact *c)
{
	struct rd r;
	uint8_t format;
	int rc;

	memset(c, 0, sizeof(*c));
	rd_init(&r, p, n);
	rc = rd_u8(&r, &format);
	if (rc != 0)
		return rc;
	if (format != CONTACT_FORMAT)
		return LIAISON_ERR_UNSUPPORTED;
	if ((rc = rd_fixed(&r, c->account, sizeof(c->account))) != 0 ||
	    (rc = rd_u8(&r, &c->state)) != 0 ||
	    (rc = rd_u8(&r, &c->has_key)) != 0 ||
	    (rc = rd_fixed(&r, c->key, sizeof(c->key))) != 0 ||
	    (rc = rd_u64(&r, &c->pinned_at)) != 0 ||
	    (rc = rd_u8(&r, &c->has_verified_key)) != 0 ||
	    (rc = rd_fixed(&r, c->verified_key, sizeof(c->verified_key))) != 0 ||
	    (rc = rd_u64(&r, &c->verified_at)) != 0 ||
	    (rc = rd_str(&r, c->name, sizeof(c->name))) != 0 ||
	    (rc = rd_str(&r, c->title, sizeof(c->title))) != 0 ||
	    (rc = rd_str(&r, c->authority, sizeof(c->authority))) != 0 ||
	    (rc = rd_str(&r, c->country, sizeof(c->country))) != 0)
		return rc;
	if (c->state > TRUST_UNLISTED || c->has_key > 1 || c->has_verified_key > 1)
		return LIAISON_ERR_INVALID;
	return rd_end(&r);
}

int trust_contact_get(struct home *h, const uint8_t account[16], struct trust_contact *out)
{
	struct trust_contact c;
	uint8_t *val = NULL;
	size_t vallen = 0;
	int rc;

	if (h == NULL || account == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	rc = vault_get(h, VT_CONTACT, account, 16, &val, &vallen);
	if (rc != 0)
		return rc;
	rc = decode(val, vallen, &c);
	if (rc != 0)
		goto out;
	/* The record names its own account: a mismatch is a corrupt row. */
	if (!lc_equal(c.account, account, 16)) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	*out = c;
out:
	vault_free_value(val, vallen);
	return rc;
}

int trust_contact_put(struct home *h, const struct trust_contact *c)
{
	struct wb w;
	int rc;

	if (h == NULL || c == NULL || c->state > TRUST_UNLISTED || c->has_key > 1 ||
	    c->has_verified_key > 1)
		return LIAISON_ERR_INVALID;
	if (c->has_key && c->key[0] != DJB_KEY_TYPE)
		return LIAISON_ERR_INVALID;
	wb_init(&w, CONTACT_MAX_BYTES);
	rc = encode(c, &w);
	if (rc != 0)
		goto out;
	rc = vault_put(h, VT_CONTACT, c->account, sizeof(c->account), w.data, w.len);
out:
	wb_free(&w);
	return rc;
}

struct each_ctx {
	trust_contact_fn fn;
	void *arg;
};

static int each_one(const uint8_t *val, size_t vallen, void *arg)
{
	struct each_ctx *ctx = arg;
	struct trust_contact c;
	int rc;

	rc = decode(val, vallen, &c);
	if (rc != 0)
		return rc;
	return ctx->fn(&c, ctx->arg);
}

int trust_contact_each(struct home *h, trust_contact_fn fn, void *arg)
{
	struct each_ctx ctx = { fn, arg };

	if (h == NULL || fn == NULL)
		return LIAISON_ERR_INVALID;
	return vault_each(h, VT_CONTACT, each_one, &ctx);
}

int trust_lookup(struct home *h, const uint8_t account[16], enum trust_state *state,
		 uint8_t key[33])
{
	struct dirsync *ds;
	const struct dir_contact *dc;
	uint8_t k[33];
	enum trust_state s;
	int rc;

	if (h == NULL || account == NULL || state == NULL)
		return LIAISON_ERR_INVALID;
	rc = dirsync_get(h, &ds);
	if (rc != 0)
		return rc;
	dc = ds->st != NULL ? dir_find_contact(ds->st, account) : NULL;
	if (dc == NULL) {
		s = TRUST_UNLISTED;
	} else if (dc->status != DIR_ACTIVE) {
		s = TRUST_REVOKED;
	} else {
		s = TRUST_LISTED;
		memcpy(k, dc->identity_key, sizeof(k));
	}
	if (s == TRUST_LISTED) {
		if (key == NULL)
			return LIAISON_ERR_INVALID;
		memcpy(key, k, sizeof(k));
	}
	*state = s;
	return 0;
}

int trust_check(struct home *h, const uint8_t account[16], const uint8_t key[33])
{
	struct trust_contact c;
	enum trust_state state;
	uint8_t trusted[33];
	int rc;

	if (key == NULL)
		return LIAISON_ERR_INVALID;
	rc = trust_lookup(h, account, &state, trusted);
	if (rc != 0)
		return rc;
	switch (state) {
	case TRUST_LISTED:
		break;
	case TRUST_PENDING:
		return LIAISON_ERR_PENDING;
	case TRUST_REVOKED:
		return LIAISON_ERR_REVOKED;
	case TRUST_UNLISTED:
	default:
		return LIAISON_ERR_UNKNOWN_PEER;
	}
	if (!lc_equal(trusted, key, sizeof(trusted)))
		return LIAISON_ERR_IDENTITY;
	/* Verification is per (account, key): a directory key that is not the
	 * one the user verified is refused until verified again. */
	rc = trust_contact_get(h, account, &c);
	if (rc == LIAISON_ERR_NOT_FOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (c.has_verified_key && !lc_equal(c.verified_key, trusted, sizeof(trusted)))
		return LIAISON_ERR_UNVERIFIED;
	return 0;
}

int trust_contact_note(struct home *h, const uint8_t account[16])
{
	struct dirsync *ds;
	const struct dir_contact *dc;
	const struct dir_authority *da;
	struct trust_contact c;
	int rc;

	rc = dirsync_get(h, &ds);
	if (rc != 0)
		return rc;
	if (ds->st == NULL || (dc = dir_find_contact(ds->st, account)) == NULL)
		return 0;
	rc = trust_contact_get(h, account, &c);
	if (rc == LIAISON_ERR_NOT_FOUND) {
		memset(&c, 0, sizeof(c));
		memcpy(c.account, account, sizeof(c.account));
	} else if (rc != 0) {
		return rc;
	}
	c.state = dc->status == DIR_ACTIVE ? TRUST_LISTED : TRUST_REVOKED;
	if (!c.has_key || !lc_equal(c.key, dc->identity_key, sizeof(c.key))) {
		c.has_key = 1;
		memcpy(c.key, dc->identity_key, sizeof(c.key));
		c.pinned_at = time_now_ms();
	}
	snprintf(c.name, sizeof(c.name), "%s", dc->name);
	snprintf(c.title, sizeof(c.title), "%s", dc->title);
	snprintf(c.authority, sizeof(c.authority), "%s", dc->authority);
	da = dir_find_authority(ds->st, dc->authority);
	snprintf(c.country, sizeof(c.country), "%s", da != NULL ? da->country : "");
	return trust_contact_put(h, &c);
}
