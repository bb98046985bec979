/* Signatures with a purpose (DESIGN.md §4): the one table of purposes and the
 * one wrapper per scheme. Every signature covers
 * "liaison/v1/" || purpose || 0x00 || bytes; nothing here signs or verifies
 * bytes without that prefix, and a verify returns 0 only for a valid signature. */
#include "protocol/sig.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define SIG_DOMAIN "liaison/v1/"
#define SIG_PURPOSE_MAX 32	/* longest purpose name, with room to spare */

static const char *const purpose_names[SIG_PURPOSE_COUNT] = {
	[SIG_SIGNING_KEY] = "signing-key",
	[SIG_DIRECTORY] = "directory",
	[SIG_DIRECTORY_HEAD] = "directory-head",
	[SIG_DIRECTORY_SNAPSHOT] = "directory-snapshot",
	[SIG_INVITE] = "invite",
	[SIG_ENROLLMENT] = "enrollment",
	[SIG_LOGIN] = "login",
	[SIG_GROUP_STATE] = "group-state",
	[SIG_MANIFEST] = "manifest",
};

const char *sig_purpose_name(enum sig_purpose purpose)
{
	if ((int)purpose < 0 || purpose >= SIG_PURPOSE_COUNT)
		return NULL;
	return purpose_names[purpose];
}

/* The signed message: domain || purpose || 0x00 || msg, in a buffer bounded
 * by SIG_MAX_MESSAGE. The caller wipes and frees it with signed_free. */
static int signed_build(enum sig_purpose purpose, const uint8_t *msg, size_t len,
			uint8_t **out, size_t *outlen)
{
	const char *name = sig_purpose_name(purpose);
	size_t dlen = sizeof(SIG_DOMAIN) - 1;
	size_t plen;
	size_t total;
	uint8_t *m;

	if (name == NULL || (msg == NULL && len > 0))
		return LIAISON_ERR_INVALID;
	plen = strlen(name);
	if (plen == 0 || plen > SIG_PURPOSE_MAX)
		return LIAISON_ERR_INTERNAL;
	if (len > SIG_MAX_MESSAGE)
		return LIAISON_ERR_TOO_BIG;
	total = dlen + plen + 1 + len;
	m = malloc(total);
	if (m == NULL)
		return LIAISON_ERR_NOMEM;
	memcpy(m, SIG_DOMAIN, dlen);
	memcpy(m + dlen, name, plen);
	m[dlen + plen] = 0x00;
	if (len > 0)
		memcpy(m + dlen + plen + 1, msg, len);
	*out = m;
	*outlen = total;
	return 0;
}

static void signed_free(uint8_t *m, size_t len)
{
	if (m == NULL)
		return;
	sodium_memzero(m, len);
	free(m);
}

/* ---- Ed25519 ---- */

int sig_ed25519_sign(uint8_t sig[SIG_BYTES], enum sig_purpose purpose,
		     const uint8_t *msg, size_t len, const uint8_t sk[64])
{
	uint8_t out[crypto_sign_BYTES];
	uint8_t *m = NULL;
	size_t mlen = 0;
	int rc;

	if (sig == NULL || sk == NULL)
		return LIAISON_ERR_INVALID;
	rc = signed_build(purpose, msg, len, &m, &mlen);
	if (rc != 0)
		goto out;
	if (crypto_sign_detached(out, NULL, m, mlen, sk) != 0) {
		rc = LIAISON_ERR_CRYPTO;
		goto out;
	}
	memcpy(sig, out, SIG_BYTES);
	rc = 0;
out:
	signed_free(m, mlen);
	return rc;
}

int sig_ed25519_verify(const uint8_t sig[SIG_BYTES], enum sig_purpose purpose,
		       const uint8_t *msg, size_t len, const uint8_t pk[32])
{
	uint8_t *m = NULL;
	size_t mlen = 0;
	int rc;

	if (sig == NULL || pk == NULL)
		return LIAISON_ERR_SIGNATURE;
	rc = signed_build(purpose, msg, len, &m, &mlen);
	if (rc != 0) {
		if (rc != LIAISON_ERR_NOMEM)
			rc = LIAISON_ERR_SIGNATURE;
		goto out;
	}
	rc = crypto_sign_verify_detached(sig, m, mlen, pk) == 0 ? 0 : LIAISON_ERR_SIGNATURE;
out:
	signed_free(m, mlen);
	return rc;
}

/* ---- XEdDSA (libsignal identity keys) ---- */

int sig_xeddsa_sign(uint8_t sig[SIG_BYTES], enum sig_purpose purpose,
		    const uint8_t *msg, size_t len, const ec_private_key *key,
		    signal_context *ctx)
{
	signal_buffer *out = NULL;
	uint8_t *m = NULL;
	size_t mlen = 0;
	int rc;

	if (sig == NULL || key == NULL || ctx == NULL)
		return LIAISON_ERR_INVALID;
	rc = signed_build(purpose, msg, len, &m, &mlen);
	if (rc != 0)
		goto out;
	if (curve_calculate_signature(ctx, &out, key, m, mlen) != 0 || out == NULL) {
		rc = LIAISON_ERR_CRYPTO;
		goto out;
	}
	if (signal_buffer_len(out) != SIG_BYTES) {
		rc = LIAISON_ERR_CRYPTO;
		goto out;
	}
	memcpy(sig, signal_buffer_data(out), SIG_BYTES);
	rc = 0;
out:
	signal_buffer_free(out);
	signed_free(m, mlen);
	return rc;
}

/* libsignal says 1 for a valid signature, 0 for an invalid one and a negative
 * code on error: only 1 becomes 0 here. */
int sig_xeddsa_verify(const uint8_t sig[SIG_BYTES], enum sig_purpose purpose,
		      const uint8_t *msg, size_t len,
		      const uint8_t pub[SIG_IDENTITY_KEY_BYTES],
		      signal_context *ctx)
{
	ec_public_key *key = NULL;
	uint8_t *m = NULL;
	size_t mlen = 0;
	int rc;

	if (sig == NULL || pub == NULL || ctx == NULL)
		return LIAISON_ERR_SIGNATURE;
	if (curve_decode_point(&key, pub, SIG_IDENTITY_KEY_BYTES, ctx) != 0 || key == NULL) {
		rc = LIAISON_ERR_SIGNATURE;
		goto out;
	}
	rc = signed_build(purpose, msg, len, &m, &mlen);
	if (rc != 0) {
		if (rc != LIAISON_ERR_NOMEM)
			rc = LIAISON_ERR_SIGNATURE;
		goto out;
	}
	rc = curve_verify_signature(key, m, mlen, sig, SIG_BYTES) == 1 ? 0 : LIAISON_ERR_SIGNATURE;
out:
	signed_free(m, mlen);
	if (key != NULL)
		SIGNAL_UNREF(key);
	return rc;
}
