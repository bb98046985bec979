/* The own account record, serialised with the bounded writer and reader into
 * one sealed vault value (VT_ACCOUNT, key "self"). Private keys pass only
 * through lc_secure_alloc memory and wiped buffers; never log or print them. */
#include "client-tui/core/self.h"

#include <stdlib.h>
#include <string.h>

#include "client-tui/core/vault.h"
#include "protocol/buf.h"
#include "protocol/crypto.h"

#define SELF_KEY "self"
#define SELF_FORMAT 1
#define SELF_MAX_BYTES 4096
#define SELF_IDENTITY_PRIV_BYTES 32

struct self *self_new(void)
{
	struct self *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->identity_priv = lc_secure_alloc(SELF_IDENTITY_PRIV_BYTES);
	if (s->identity_priv == NULL) {
		free(s);
		return NULL;
	}
	lc_wipe(s->identity_priv, SELF_IDENTITY_PRIV_BYTES);
	return s;
}

static void free_secret(uint8_t *p, size_t n)
{
	if (p == NULL)
		return;
	lc_wipe(p, n);
	lc_secure_free(p);
}

void self_free(struct self *s)
{
	if (s == NULL)
		return;
	free_secret(s->identity_priv, SELF_IDENTITY_PRIV_BYTES);
	free_secret(s->root_sk, LC_ED_SK_BYTES);
	free_secret(s->signing_sk, LC_ED_SK_BYTES);
	lc_wipe(s, sizeof(*s));
	free(s);
}

static void put_optional_secret(struct wb *w, const uint8_t *sk, size_t n)
{
	wb_u8(w, sk != NULL);
	if (sk != NULL)
		wb_fixed(w, sk, n);
}

int self_save(struct home *h, const struct self *s)
{
	struct wb w;
	int rc;

	if (h == NULL || s == NULL || s->identity_priv == NULL)
		return LIAISON_ERR_INVALID;
	wb_init(&w, SELF_MAX_BYTES);
	wb_u8(&w, SELF_FORMAT);
	wb_fixed(&w, s->account, sizeof(s->account));
	wb_u32(&w, s->registration_id);
	wb_fixed(&w, s->identity_pub, sizeof(s->identity_pub));
	wb_fixed(&w, s->identity_priv, SELF_IDENTITY_PRIV_BYTES);
	wb_str(&w, s->url);
	wb_fixed(&w, s->pin, sizeof(s->pin));
	wb_u8(&w, s->role);
	wb_str(&w, s->authority);
	wb_str(&w, s->country);
	wb_str(&w, s->authority_name);
	wb_str(&w, s->name);
	wb_str(&w, s->title);
	wb_u8(&w, s->has_root_pk);
	wb_fixed(&w, s->root_pk, sizeof(s->root_pk));
	put_optional_secret(&w, s->root_sk, LC_ED_SK_BYTES);
	wb_u8(&w, s->has_signing_key);
	wb_fixed(&w, s->signing_pk, sizeof(s->signing_pk));
	put_optional_secret(&w, s->signing_sk, LC_ED_SK_BYTES);
	wb_fixed(&w, s->cert.key, sizeof(s->cert.key));
	wb_fixed(&w, s->cert.account, sizeof(s->cert.account));
	wb_u64(&w, s->cert.not_after);
	wb_fixed(&w, s->cert.signature, sizeof(s->cert.signature));
	wb_u32(&w, s->next_prekey_id);
	wb_u32(&w, s->signed_prekey_id);
	wb_u64(&w, s->enrolled_at);
	rc = wb_status(&w);
	if (rc != 0)
		goto out;
	rc = vault_put(h, VT_ACCOUNT, SELF_KEY, strlen(SELF_KEY), w.data, w.len);
out:
	wb_free(&w);  /* wipes */
	return rc;
}

/* An optional 64-byte secret into fresh secure memory. */
static int get_optional_secret(struct rd *r, uint8_t **sk)
{
	uint8_t present;
	int rc;

	rc = rd_u8(r, &present);
	if (rc != 0)
		return rc;
	if (present > 1)
		return LIAISON_ERR_INVALID;
	if (!present)
		return 0;
	*sk = lc_secure_alloc(LC_ED_SK_BYTES);
	if (*sk == NULL)
		return LIAISON_ERR_NOMEM;
	return rd_fixed(r, *sk, LC_ED_SK_BYTES);
}

static int decode(const uint8_t *p, size_t n, struct self *s)
{
	struct rd r;
	uint8_t format;
	int rc;

	rd_init(&r, p, n);
	rc = rd_u8(&r, &format);
	if (rc != 0)
		return rc;
	if (format != SELF_FORMAT)
		return LIAISON_ERR_UNSUPPORTED;
	if ((rc = rd_fixed(&r, s->account, sizeof(s->account))) != 0 ||
	    (rc = rd_u32(&r, &s->registration_id)) != 0 ||
	    (rc = rd_fixed(&r, s->identity_pub, sizeof(s->identity_pub))) != 0 ||
	    (rc = rd_fixed(&r, s->identity_priv, SELF_IDENTITY_PRIV_BYTES)) != 0 ||
	    (rc = rd_str(&r, s->url, sizeof(s->url))) != 0 ||
	    (rc = rd_fixed(&r, s->pin, sizeof(s->pin))) != 0 ||
	    (rc = rd_u8(&r, &s->role)) != 0 ||
	    (rc = rd_str(&r, s->authority, sizeof(s->authority))) != 0 ||
	    (rc = rd_str(&r, s->country, sizeof(s->country))) != 0 ||
	    (rc = rd_str(&r, s->authority_name, sizeof(s->authority_name))) != 0 ||
	    (rc = rd_str(&r, s->name, sizeof(s->name))) != 0 ||
	    (rc = rd_str(&r, s->title, sizeof(s->title))) != 0 ||
	    (rc = rd_u8(&r, &s->has_root_pk)) != 0 ||
	    (rc = rd_fixed(&r, s->root_pk, sizeof(s->root_pk))) != 0 ||
	    (rc = get_optional_secret(&r, &s->root_sk)) != 0 ||
	    (rc = rd_u8(&r, &s->has_signing_key)) != 0 ||
	    (rc = rd_fixed(&r, s->signing_pk, sizeof(s->signing_pk))) != 0 ||
	    (rc = get_optional_secret(&r, &s->signing_sk)) != 0 ||
	    (rc = rd_fixed(&r, s->cert.key, sizeof(s->cert.key))) != 0 ||
	    (rc = rd_fixed(&r, s->cert.account, sizeof(s->cert.account))) != 0 ||
	    (rc = rd_u64(&r, &s->cert.not_after)) != 0 ||
	    (rc = rd_fixed(&r, s->cert.signature, sizeof(s->cert.signature))) != 0 ||
	    (rc = rd_u32(&r, &s->next_prekey_id)) != 0 ||
	    (rc = rd_u32(&r, &s->signed_prekey_id)) != 0 ||
	    (rc = rd_u64(&r, &s->enrolled_at)) != 0)
		return rc;
	if (s->has_root_pk > 1 || s->has_signing_key > 1)
		return LIAISON_ERR_INVALID;
	return rd_end(&r);
}

int self_load(struct home *h, struct self **out)
{
	struct self *s = NULL;
	uint8_t *val = NULL;
	size_t vallen = 0;
	int rc;

	if (h == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	rc = vault_get(h, VT_ACCOUNT, SELF_KEY, strlen(SELF_KEY), &val, &vallen);
	if (rc != 0)
		goto out;
	s = self_new();
	if (s == NULL) {
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	rc = decode(val, vallen, s);
	if (rc != 0)
		goto out;
	*out = s;
	s = NULL;
out:
	self_free(s);
	vault_free_value(val, vallen);
	return rc;
}
