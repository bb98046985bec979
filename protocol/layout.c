/* Canonical byte layouts of what we sign (DESIGN.md §4): enrollment, login
 * tuple, signing-key certificate, key ids, role names. One layout, one
 * spelling: decoders are bounded by named limits and refuse trailing bytes,
 * unknown versions and roles. Never a protobuf re-encoding. */
#include "protocol/layout.h"

#include <string.h>

#include "protocol/crypto.h"
#include "protocol/sig.h"

static const char *const role_names[] = {
	[ROLE_MEMBER] = "member",
	[ROLE_SECRETARIAT] = "secretariat",
};

const char *role_name(int role)
{
	if (role != ROLE_MEMBER && role != ROLE_SECRETARIAT)
		return NULL;
	return role_names[role];
}

int role_parse(const char *name, int *role)
{
	if (name == NULL)
		return LIAISON_ERR_INVALID;
	if (strcmp(name, "member") == 0) {
		*role = ROLE_MEMBER;
		return 0;
	}
	if (strcmp(name, "secretariat") == 0) {
		*role = ROLE_SECRETARIAT;
		return 0;
	}
	return LIAISON_ERR_INVALID;
}

/* The rules both directions share, so that we never sign what we would
 * refuse to read: a known role, a signing key exactly for a secretariat,
 * a non-empty authority and name, a serialised Curve25519 key (0x05). */
static int enrollment_check(const struct enrollment *e)
{
	size_t alen = strnlen(e->authority, sizeof(e->authority));
	size_t nlen = strnlen(e->name, sizeof(e->name));
	size_t tlen = strnlen(e->title, sizeof(e->title));

	if (alen == 0 || alen > LAYOUT_MAX_AUTHORITY || nlen == 0 || nlen > LAYOUT_MAX_NAME ||
	    tlen > LAYOUT_MAX_NAME)
		return LIAISON_ERR_INVALID;
	if (e->role != ROLE_MEMBER && e->role != ROLE_SECRETARIAT)
		return LIAISON_ERR_INVALID;
	if (e->has_signing_key != (e->role == ROLE_SECRETARIAT ? 1 : 0))
		return LIAISON_ERR_INVALID;
	if (e->identity_key[0] != 0x05)
		return LIAISON_ERR_INVALID;
	return 0;
}

int layout_enrollment_encode(const struct enrollment *e, struct wb *out)
{
	struct wb w;
	int rc;

	wb_init(&w, LAYOUT_MAX_ENROLLMENT);
	if ((rc = enrollment_check(e)) != 0)
		goto out;
	wb_u8(&w, LAYOUT_VERSION);
	wb_fixed(&w, e->account, sizeof(e->account));
	wb_str(&w, e->authority);
	wb_u8(&w, e->role);
	wb_str(&w, e->name);
	wb_str(&w, e->title);
	wb_fixed(&w, e->invite_id, sizeof(e->invite_id));
	wb_u64(&w, e->invite_expires);
	wb_fixed(&w, e->identity_key, sizeof(e->identity_key));
	wb_u8(&w, e->has_signing_key);
	if (e->has_signing_key)
		wb_fixed(&w, e->signing_key, sizeof(e->signing_key));
	if ((rc = wb_status(&w)) != 0)
		goto out;
	*out = w;
	wb_init(&w, 0);
out:
	wb_free(&w);
	return rc;
}

int layout_enrollment_decode(const uint8_t *p, size_t n, struct enrollment *e)
{
	struct enrollment tmp;
	struct rd r;
	uint8_t version;
	int rc;

	if (n > LAYOUT_MAX_ENROLLMENT)
		return LIAISON_ERR_TOO_BIG;
	memset(&tmp, 0, sizeof(tmp));
	rd_init(&r, p, n);
	if ((rc = rd_u8(&r, &version)) != 0)
		goto out;
	if (version != LAYOUT_VERSION) {
		rc = LIAISON_ERR_UNSUPPORTED;
		goto out;
	}
	if ((rc = rd_fixed(&r, tmp.account, sizeof(tmp.account))) != 0 ||
	    (rc = rd_str(&r, tmp.authority, sizeof(tmp.authority))) != 0 ||
	    (rc = rd_u8(&r, &tmp.role)) != 0 ||
	    (rc = rd_str(&r, tmp.name, sizeof(tmp.name))) != 0 ||
	    (rc = rd_str(&r, tmp.title, sizeof(tmp.title))) != 0 ||
	    (rc = rd_fixed(&r, tmp.invite_id, sizeof(tmp.invite_id))) != 0 ||
	    (rc = rd_u64(&r, &tmp.invite_expires)) != 0 ||
	    (rc = rd_fixed(&r, tmp.identity_key, sizeof(tmp.identity_key))) != 0 ||
	    (rc = rd_u8(&r, &tmp.has_signing_key)) != 0)
		goto out;
	if (tmp.has_signing_key > 1) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	if (tmp.has_signing_key &&
	    (rc = rd_fixed(&r, tmp.signing_key, sizeof(tmp.signing_key))) != 0)
		goto out;
	if ((rc = rd_end(&r)) != 0 || (rc = enrollment_check(&tmp)) != 0)
		goto out;
	*e = tmp;
out:
	return rc;
}

void layout_login(uint8_t out[LAYOUT_LOGIN_BYTES], const uint8_t server_nonce[32],
		  const uint8_t client_nonce[32], const uint8_t account[16],
		  const uint8_t pin[32], uint64_t time_ms)
{
	uint8_t *p = out;
	int i;

	*p++ = LAYOUT_VERSION;
	memcpy(p, server_nonce, 32);
	p += 32;
	memcpy(p, client_nonce, 32);
	p += 32;
	memcpy(p, account, 16);
	p += 16;
	memcpy(p, pin, 32);
	p += 32;
	for (i = 0; i < 8; i++)
		*p++ = (uint8_t)(time_ms >> (56 - 8 * i));
}

void layout_cert_signed(uint8_t out[LAYOUT_CERT_SIGNED_BYTES], const struct signing_cert *c)
{
	uint8_t *p = out;
	int i;

	*p++ = LAYOUT_VERSION;
	memcpy(p, c->key, sizeof(c->key));
	p += sizeof(c->key);
	memcpy(p, c->account, sizeof(c->account));
	p += sizeof(c->account);
	for (i = 0; i < 8; i++)
		*p++ = (uint8_t)(c->not_after >> (56 - 8 * i));
}

int layout_cert_sign(struct signing_cert *c, const uint8_t root_sk[64])
{
	uint8_t bytes[LAYOUT_CERT_SIGNED_BYTES], sig[SIG_BYTES];
	int rc;

	layout_cert_signed(bytes, c);
	if ((rc = sig_ed25519_sign(sig, SIG_SIGNING_KEY, bytes, sizeof(bytes), root_sk)) != 0)
		return rc;
	memcpy(c->signature, sig, sizeof(sig));
	return 0;
}

int layout_cert_verify(const struct signing_cert *c, const uint8_t root_pk[32],
		       uint64_t now_ms)
{
	uint8_t bytes[LAYOUT_CERT_SIGNED_BYTES];
	int rc;

	layout_cert_signed(bytes, c);
	rc = sig_ed25519_verify(c->signature, SIG_SIGNING_KEY, bytes, sizeof(bytes), root_pk);
	if (rc != 0)
		return LIAISON_ERR_SIGNATURE;
	if (now_ms != 0 && now_ms > c->not_after)
		return LIAISON_ERR_EXPIRED;
	return 0;
}

int layout_key_id(const uint8_t pk[32], uint8_t id[16])
{
	uint8_t h[LC_HASH_BYTES];
	int rc;

	if ((rc = lc_sha256(pk, 32, h)) != 0)
		return rc;
	memcpy(id, h, 16);
	return 0;
}
