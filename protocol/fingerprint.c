/* Fingerprints people print, read aloud and scan (DESIGN.md §4, §5): hex
 * SHA-256 identity and root fingerprints, the relay pin, and libsignal's
 * safety number and scannable payload. Their printed form must never change,
 * and a scanned payload is parsed only after its length is checked. */
#include "protocol/fingerprint.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <signal/fingerprint.h>

#include "protocol/crypto.h"
#include "protocol/encoding.h"

#define FP_PIN_PREFIX "sha256:"
#define FP_PIN_TEXT_MAX 256	/* typed or pasted pin, spaces included */
#define FP_ID_MAX 64		/* stable identifiers: 26-character account ids */
#define FP_DIGEST_BYTES 32	/* a scannable v1 fingerprint holds 32 bytes per side */

static int fp_hex_sha256(const uint8_t *p, size_t n, char out[FP_HEX_CHARS + 1])
{
	uint8_t h[LC_HASH_BYTES];
	int rc;

	if (p == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	rc = lc_sha256(p, n, h);
	if (rc != 0)
		return rc;
	hex_encode(h, sizeof(h), out);
	return 0;
}

int fp_identity(const uint8_t pub[33], char out[FP_HEX_CHARS + 1])
{
	return fp_hex_sha256(pub, 33, out);
}

int fp_root(const uint8_t pk[32], char out[FP_HEX_CHARS + 1])
{
	return fp_hex_sha256(pk, 32, out);
}

void fp_pin_format(const uint8_t spki_sha256[32], char out[FP_PIN_CHARS + 1])
{
	memcpy(out, FP_PIN_PREFIX, sizeof(FP_PIN_PREFIX) - 1);
	hex_encode(spki_sha256, 32, out + sizeof(FP_PIN_PREFIX) - 1);
}

int fp_pin_parse(const char *text, uint8_t spki_sha256[32])
{
	const size_t plen = sizeof(FP_PIN_PREFIX) - 1;
	char copy[FP_PIN_TEXT_MAX + 1];
	const char *p;
	uint8_t h[32];
	size_t n, i;
	int rc;

	if (text == NULL || spki_sha256 == NULL)
		return LIAISON_ERR_INVALID;
	n = strnlen(text, FP_PIN_TEXT_MAX + 1);
	if (n > FP_PIN_TEXT_MAX)
		return LIAISON_ERR_INVALID;
	/* Pasted text may bring tabs and line ends: read them as spaces. */
	for (i = 0; i < n; i++)
		copy[i] = (text[i] == '\t' || text[i] == '\r' || text[i] == '\n') ? ' ' : text[i];
	copy[n] = '\0';
	p = copy;
	while (*p == ' ')
		p++;
	/* The prefix must go before the hex reader sees it: "sha256" has hex
	 * letters in it. */
	if (strncasecmp(p, FP_PIN_PREFIX, plen) == 0)
		p += plen;
	rc = hex_decode_loose(p, h, sizeof(h));
	if (rc != 0)
		return LIAISON_ERR_INVALID;
	memcpy(spki_sha256, h, sizeof(h));
	return 0;
}

static int fp_check_id(const char *id)
{
	size_t n;

	if (id == NULL)
		return LIAISON_ERR_INVALID;
	n = strnlen(id, FP_ID_MAX + 1);
	if (n == 0 || n > FP_ID_MAX)
		return LIAISON_ERR_INVALID;
	return 0;
}

int fp_safety(signal_context *ctx,
	      const char *local_id, const uint8_t local_pub[33],
	      const char *remote_id, const uint8_t remote_pub[33],
	      char number[FP_SAFETY_DIGITS + 1],
	      uint8_t *scannable, size_t scannable_cap, size_t *scannable_len)
{
	ec_public_key *local_key = NULL;
	ec_public_key *remote_key = NULL;
	fingerprint_generator *gen = NULL;
	fingerprint *fp = NULL;
	signal_buffer *payload = NULL;
	displayable_fingerprint *disp;
	scannable_fingerprint *scan;
	const char *text;
	size_t i;
	int rc = LIAISON_ERR_INVALID;

	if (ctx == NULL || local_pub == NULL || remote_pub == NULL || number == NULL)
		goto out;
	if (scannable != NULL && scannable_len == NULL)
		goto out;
	if (fp_check_id(local_id) != 0 || fp_check_id(remote_id) != 0)
		goto out;
	if (curve_decode_point(&local_key, local_pub, 33, ctx) != 0 ||
	    curve_decode_point(&remote_key, remote_pub, 33, ctx) != 0)
		goto out;

	rc = LIAISON_ERR_CRYPTO;
	if (fingerprint_generator_create(&gen, FP_ITERATIONS, FP_SCANNABLE_VERSION, ctx) != 0)
		goto out;
	if (fingerprint_generator_create_for(gen, local_id, local_key,
					     remote_id, remote_key, &fp) != 0)
		goto out;
	disp = fingerprint_get_displayable(fp);
	scan = fingerprint_get_scannable(fp);
	if (disp == NULL || scan == NULL)
		goto out;
	text = displayable_fingerprint_text(disp);
	if (text == NULL || strnlen(text, FP_SAFETY_DIGITS + 1) != FP_SAFETY_DIGITS)
		goto out;
	for (i = 0; i < FP_SAFETY_DIGITS; i++)
		if (!isdigit((unsigned char)text[i]))
			goto out;

	if (scannable != NULL) {
		if (scannable_fingerprint_serialize(&payload, scan) != 0 || payload == NULL)
			goto out;
		if (signal_buffer_len(payload) > scannable_cap ||
		    signal_buffer_len(payload) > FP_SCANNABLE_MAX) {
			rc = LIAISON_ERR_TOO_BIG;
			goto out;
		}
		memcpy(scannable, signal_buffer_data(payload), signal_buffer_len(payload));
		*scannable_len = signal_buffer_len(payload);
	}
	memcpy(number, text, FP_SAFETY_DIGITS);
	number[FP_SAFETY_DIGITS] = '\0';
	rc = 0;
out:
	signal_buffer_free(payload);
	if (fp != NULL)
		SIGNAL_UNREF(fp);
	if (gen != NULL)
		fingerprint_generator_free(gen);
	if (remote_key != NULL)
		SIGNAL_UNREF(remote_key);
	if (local_key != NULL)
		SIGNAL_UNREF(local_key);
	return rc;
}

/* Parses a payload of our version with both sides present, or says
 * LIAISON_ERR_INVALID. libsignal's compare assumes both. */
static int fp_scannable_load(signal_context *ctx, const uint8_t *p, size_t n,
			     scannable_fingerprint **out)
{
	scannable_fingerprint *s = NULL;
	signal_buffer *local, *remote;
	int rc = LIAISON_ERR_INVALID;

	if (p == NULL || n == 0 || n > FP_SCANNABLE_MAX)
		goto out;
	if (scannable_fingerprint_deserialize(&s, p, n, ctx) != 0 || s == NULL)
		goto out;
	if (scannable_fingerprint_get_version(s) != FP_SCANNABLE_VERSION)
		goto out;
	local = scannable_fingerprint_get_local_fingerprint(s);
	remote = scannable_fingerprint_get_remote_fingerprint(s);
	if (local == NULL || remote == NULL ||
	    signal_buffer_len(local) != FP_DIGEST_BYTES ||
	    signal_buffer_len(remote) != FP_DIGEST_BYTES)
		goto out;
	*out = s;
	s = NULL;
	rc = 0;
out:
	if (s != NULL)
		SIGNAL_UNREF(s);
	return rc;
}

int fp_scannable_compare(signal_context *ctx, const uint8_t *ours, size_t ours_len,
			 const uint8_t *scanned, size_t scanned_len)
{
	scannable_fingerprint *a = NULL;
	scannable_fingerprint *b = NULL;
	int rc;

	if (ctx == NULL)
		return LIAISON_ERR_INVALID;
	rc = fp_scannable_load(ctx, ours, ours_len, &a);
	if (rc != 0)
		goto out;
	rc = fp_scannable_load(ctx, scanned, scanned_len, &b);
	if (rc != 0)
		goto out;
	switch (scannable_fingerprint_compare(a, b)) {
	case 1:
		rc = 0;
		break;
	case 0:
	case SG_ERR_FP_IDENT_MISMATCH:
		rc = LIAISON_ERR_FINGERPRINT;
		break;
	case SG_ERR_FP_VERSION_MISMATCH:
		rc = LIAISON_ERR_INVALID;
		break;
	default:
		rc = LIAISON_ERR_CRYPTO;
		break;
	}
out:
	if (b != NULL)
		SIGNAL_UNREF(b);
	if (a != NULL)
		SIGNAL_UNREF(a);
	return rc;
}
