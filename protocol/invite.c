/* Invite tokens (DESIGN.md §4): "liaison1-" + lowercase base32 of (layout
 * bytes || first 4 bytes of SHA-256 of them), their signature (purpose
 * invite, with SHA-256(redeem) in the place of S) and the chain root ->
 * certificate -> signer. Every buffer that held S is wiped; nothing here
 * prints, and decoding checks bounds and the checksum, never trust. */
#include "protocol/invite.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/sig.h"

#define INVITE_CHECKSUM_BYTES 4
#define INVITE_PREFIX_LEN (sizeof(INVITE_PREFIX) - 1)
/* The layout, at most: every field at its limit, cert and signature. */
#define INVITE_MAX_BYTES ((INVITE_MAX_TOKEN - INVITE_PREFIX_LEN) * 5 / 8)
/* Raw input may be wrapped and indented by mail or chat clients. */
#define INVITE_MAX_INPUT (4 * INVITE_MAX_TOKEN)

static const char invite_kdf_ctx[8] = { 'l', 'i', 'a', 'i', 'n', 'v', 'i', 't' };

int invite_derive(const uint8_t secret[32], uint8_t redeem[32], uint8_t bind[32])
{
	uint8_t r[32], b[32];
	int rc;

	if ((rc = lc_kdf(r, sizeof(r), 1, invite_kdf_ctx, secret)) != 0 ||
	    (rc = lc_kdf(b, sizeof(b), 2, invite_kdf_ctx, secret)) != 0)
		goto out;
	memcpy(redeem, r, sizeof(r));
	memcpy(bind, b, sizeof(b));
out:
	lc_wipe(r, sizeof(r));
	lc_wipe(b, sizeof(b));
	return rc;
}

static int is_root_signed(const struct invite *inv)
{
	return lc_equal(inv->signer_pk, inv->root_pk, sizeof(inv->root_pk));
}

static int country_ok(const char *cc)
{
	size_t n = strnlen(cc, LAYOUT_MAX_COUNTRY + 1);

	if (n == 0)
		return 1;
	return n == 2 && cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z';
}

static int url_ok(const char *url)
{
	size_t i, n = strnlen(url, LAYOUT_MAX_URL + 1);

	if (n <= strlen("wss://") || n > LAYOUT_MAX_URL || strncmp(url, "wss://", 6) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return 0;
	return 1;
}

/* Shared by encode and decode, so that we never mint what we cannot read. */
static int invite_check(const struct invite *inv)
{
	size_t alen = strnlen(inv->authority, sizeof(inv->authority));

	if (inv->kind != INVITE_BOOTSTRAP && inv->kind != INVITE_MINTED)
		return LIAISON_ERR_INVALID;
	if (inv->role != ROLE_MEMBER && inv->role != ROLE_SECRETARIAT)
		return LIAISON_ERR_INVALID;
	/* The relay's invite is only ever for the first secretariat. */
	if (inv->kind == INVITE_BOOTSTRAP && inv->role != ROLE_SECRETARIAT)
		return LIAISON_ERR_INVALID;
	if (!url_ok(inv->url) || alen == 0 || alen > LAYOUT_MAX_AUTHORITY ||
	    !country_ok(inv->country) ||
	    strnlen(inv->authority_name, sizeof(inv->authority_name)) > LAYOUT_MAX_NAME)
		return LIAISON_ERR_INVALID;
	return 0;
}

/* The layout; slot is S in the token, SHA-256(redeem) in the signed bytes,
 * where the signature is left out. */
static void put_layout(struct wb *w, const struct invite *inv, const uint8_t slot[32],
		       int with_signature)
{
	wb_u8(w, LAYOUT_VERSION);
	wb_u8(w, inv->kind);
	wb_str(w, inv->url);
	wb_fixed(w, inv->pin, sizeof(inv->pin));
	wb_fixed(w, inv->invite_id, sizeof(inv->invite_id));
	wb_u64(w, inv->expires);
	wb_fixed(w, slot, 32);
	wb_u8(w, inv->role);
	wb_str(w, inv->authority);
	wb_str(w, inv->country);
	wb_str(w, inv->authority_name);
	if (inv->kind != INVITE_MINTED)
		return;
	wb_fixed(w, inv->root_pk, sizeof(inv->root_pk));
	wb_fixed(w, inv->signer_pk, sizeof(inv->signer_pk));
	if (!is_root_signed(inv)) {
		wb_fixed(w, inv->cert.key, sizeof(inv->cert.key));
		wb_fixed(w, inv->cert.account, sizeof(inv->cert.account));
		wb_u64(w, inv->cert.not_after);
		wb_fixed(w, inv->cert.signature, sizeof(inv->cert.signature));
	}
	if (with_signature)
		wb_fixed(w, inv->signature, sizeof(inv->signature));
}

int invite_signed_bytes(const struct invite *inv, struct wb *out)
{
	uint8_t redeem[32], bind[32], redeem_hash[LC_HASH_BYTES];
	struct wb w;
	int rc;

	wb_init(&w, INVITE_MAX_BYTES);
	if (inv->kind != INVITE_MINTED) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	if ((rc = invite_check(inv)) != 0)
		goto out;
	if ((rc = invite_derive(inv->secret, redeem, bind)) != 0)
		goto out;
	if ((rc = lc_sha256(redeem, sizeof(redeem), redeem_hash)) != 0)
		goto out;
	put_layout(&w, inv, redeem_hash, 0);
	if ((rc = wb_status(&w)) != 0)
		goto out;
	*out = w;
	wb_init(&w, 0);
out:
	wb_free(&w);
	lc_wipe(redeem, sizeof(redeem));
	lc_wipe(bind, sizeof(bind));
	return rc;
}

int invite_sign(struct invite *inv, const uint8_t signer_sk[64])
{
	uint8_t sig[SIG_BYTES];
	struct wb w;
	int rc;

	wb_init(&w, 0);
	/* libsodium's Ed25519 secret key ends with its public key: refuse to
	 * sign under a key other than the one the invite names. */
	if (inv->kind != INVITE_MINTED ||
	    !lc_equal(signer_sk + 32, inv->signer_pk, sizeof(inv->signer_pk))) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	if ((rc = invite_signed_bytes(inv, &w)) != 0)
		goto out;
	if ((rc = sig_ed25519_sign(sig, SIG_INVITE, w.data, w.len, signer_sk)) != 0)
		goto out;
	memcpy(inv->signature, sig, sizeof(sig));
out:
	wb_free(&w);
	return rc;
}

int invite_verify(const struct invite *inv, uint64_t now_ms)
{
	struct wb w;
	int rc;

	wb_init(&w, 0);
	if (inv->kind == INVITE_BOOTSTRAP) {
		/* The relay made it: the pin is all its enrollee can trust. */
		rc = now_ms > inv->expires ? LIAISON_ERR_EXPIRED : 0;
		goto out;
	}
	if (inv->kind != INVITE_MINTED) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	if (!is_root_signed(inv)) {
		if (!lc_equal(inv->cert.key, inv->signer_pk, sizeof(inv->signer_pk))) {
			rc = LIAISON_ERR_SIGNATURE;
			goto out;
		}
		if ((rc = layout_cert_verify(&inv->cert, inv->root_pk, now_ms)) != 0)
			goto out;
	}
	if ((rc = invite_signed_bytes(inv, &w)) != 0)
		goto out;
	if (sig_ed25519_verify(inv->signature, SIG_INVITE, w.data, w.len, inv->signer_pk) != 0) {
		rc = LIAISON_ERR_SIGNATURE;
		goto out;
	}
	/* Only the root grants the secretariat role. */
	if (inv->role == ROLE_SECRETARIAT && !is_root_signed(inv)) {
		rc = LIAISON_ERR_DENIED;
		goto out;
	}
	if (now_ms > inv->expires) {
		rc = LIAISON_ERR_EXPIRED;
		goto out;
	}
	rc = 0;
out:
	wb_free(&w);
	return rc;
}

int invite_encode(const struct invite *inv, char **token)
{
	uint8_t sum[LC_HASH_BYTES];
	char *text = NULL;
	size_t textsz;
	struct wb w;
	int rc;

	wb_init(&w, INVITE_MAX_BYTES);
	if ((rc = invite_check(inv)) != 0)
		goto out;
	put_layout(&w, inv, inv->secret, 1);
	if ((rc = wb_status(&w)) != 0)
		goto out;
	if ((rc = lc_sha256(w.data, w.len, sum)) != 0)
		goto out;
	wb_fixed(&w, sum, INVITE_CHECKSUM_BYTES);
	if ((rc = wb_status(&w)) != 0)
		goto out;
	textsz = INVITE_PREFIX_LEN + (w.len + 4) / 5 * 8 + 1;
	if (textsz > INVITE_MAX_TOKEN + 1) {
		rc = LIAISON_ERR_TOO_BIG;
		goto out;
	}
	text = malloc(textsz);
	if (text == NULL) {
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	memcpy(text, INVITE_PREFIX, INVITE_PREFIX_LEN);
	if ((rc = base32_encode(w.data, w.len, text + INVITE_PREFIX_LEN,
				textsz - INVITE_PREFIX_LEN)) != 0)
		goto out;
	*token = text;
	text = NULL;
out:
	if (text != NULL) {
		lc_wipe(text, textsz);
		free(text);
	}
	wb_free(&w);
	return rc;
}

static int parse_layout(const uint8_t *p, size_t n, struct invite *inv)
{
	struct rd r;
	uint8_t version;
	int rc;

	rd_init(&r, p, n);
	if ((rc = rd_u8(&r, &version)) != 0)
		return rc;
	if (version != LAYOUT_VERSION)
		return LIAISON_ERR_UNSUPPORTED;
	if ((rc = rd_u8(&r, &inv->kind)) != 0 ||
	    (rc = rd_str(&r, inv->url, sizeof(inv->url))) != 0 ||
	    (rc = rd_fixed(&r, inv->pin, sizeof(inv->pin))) != 0 ||
	    (rc = rd_fixed(&r, inv->invite_id, sizeof(inv->invite_id))) != 0 ||
	    (rc = rd_u64(&r, &inv->expires)) != 0 ||
	    (rc = rd_fixed(&r, inv->secret, sizeof(inv->secret))) != 0 ||
	    (rc = rd_u8(&r, &inv->role)) != 0 ||
	    (rc = rd_str(&r, inv->authority, sizeof(inv->authority))) != 0 ||
	    (rc = rd_str(&r, inv->country, sizeof(inv->country))) != 0 ||
	    (rc = rd_str(&r, inv->authority_name, sizeof(inv->authority_name))) != 0)
		return rc;
	if (inv->kind == INVITE_MINTED) {
		if ((rc = rd_fixed(&r, inv->root_pk, sizeof(inv->root_pk))) != 0 ||
		    (rc = rd_fixed(&r, inv->signer_pk, sizeof(inv->signer_pk))) != 0)
			return rc;
		if (!is_root_signed(inv) &&
		    ((rc = rd_fixed(&r, inv->cert.key, sizeof(inv->cert.key))) != 0 ||
		     (rc = rd_fixed(&r, inv->cert.account, sizeof(inv->cert.account))) != 0 ||
		     (rc = rd_u64(&r, &inv->cert.not_after)) != 0 ||
		     (rc = rd_fixed(&r, inv->cert.signature, sizeof(inv->cert.signature))) != 0))
			return rc;
		if ((rc = rd_fixed(&r, inv->signature, sizeof(inv->signature))) != 0)
			return rc;
	}
	if ((rc = rd_end(&r)) != 0)
		return rc;
	return invite_check(inv);
}

int invite_decode(const char *token, size_t len, struct invite *inv)
{
	char *text = NULL;
	uint8_t *bytes = NULL, sum[LC_HASH_BYTES];
	struct invite tmp;
	size_t i, tlen = 0, blen = 0;
	int rc;

	memset(&tmp, 0, sizeof(tmp));
	if (token == NULL) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	if (len > INVITE_MAX_INPUT) {
		rc = LIAISON_ERR_TOO_BIG;
		goto out;
	}
	text = malloc(INVITE_MAX_TOKEN + 1);
	bytes = malloc(INVITE_MAX_BYTES);
	if (text == NULL || bytes == NULL) {
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	/* Copy and paste adds white space and line breaks, and people or
	 * mail clients may change the case: drop the one, fold the other. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)token[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c < 0x21 || c > 0x7e) {
			rc = LIAISON_ERR_INVALID;
			goto out;
		}
		if (tlen == INVITE_MAX_TOKEN) {
			rc = LIAISON_ERR_TOO_BIG;
			goto out;
		}
		text[tlen++] = (char)tolower(c);
	}
	if (tlen < INVITE_PREFIX_LEN || memcmp(text, INVITE_PREFIX, INVITE_PREFIX_LEN) != 0) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	/* Past the prefix, anything that does not decode was altered or cut. */
	if (base32_decode(text + INVITE_PREFIX_LEN, tlen - INVITE_PREFIX_LEN, bytes,
			  INVITE_MAX_BYTES, &blen) != 0 ||
	    blen <= INVITE_CHECKSUM_BYTES) {
		rc = LIAISON_ERR_CHECKSUM;
		goto out;
	}
	if ((rc = lc_sha256(bytes, blen - INVITE_CHECKSUM_BYTES, sum)) != 0)
		goto out;
	if (!lc_equal(sum, bytes + blen - INVITE_CHECKSUM_BYTES, INVITE_CHECKSUM_BYTES)) {
		rc = LIAISON_ERR_CHECKSUM;
		goto out;
	}
	if ((rc = parse_layout(bytes, blen - INVITE_CHECKSUM_BYTES, &tmp)) != 0)
		goto out;
	*inv = tmp;
out:
	lc_wipe(&tmp, sizeof(tmp));
	if (bytes != NULL) {
		lc_wipe(bytes, INVITE_MAX_BYTES);
		free(bytes);
	}
	if (text != NULL) {
		lc_wipe(text, INVITE_MAX_TOKEN + 1);
		free(text);
	}
	return rc;
}
