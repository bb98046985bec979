/* Text encodings of ids, hashes and fingerprints (CONTRACT.md conventions).
 * base32 decoding accepts only the canonical spelling (lowercase, no
 * padding, unused bits zero), so that one id has exactly one text; hex is
 * read loosely because people type fingerprints back. Nothing here allocates. */
#include "protocol/encoding.h"

#include <string.h>

#include "protocol/crypto.h"

static const char b32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

/* Value of a canonical base32 character, or -1. */
static int b32_value(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

static size_t b32_chars(size_t n)
{
	return (n / 5) * 8 + ((n % 5) * 8 + 4) / 5;
}

int base32_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i, o = 0;

	if (n > (SIZE_MAX - 1) / 8 * 5 || outsz < b32_chars(n) + 1)
		return LIAISON_ERR_TOO_BIG;
	for (i = 0; i < n; i++) {
		acc = (acc << 8 | in[i]) & 0xffff;
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32_alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

int base32_decode(const char *in, size_t n, uint8_t *out, size_t outsz, size_t *outlen)
{
	uint32_t acc = 0;
	int bits = 0, v;
	size_t i, o = 0, rem = n % 8;

	/* Lengths 1, 3 and 6 mod 8 are never produced by an encoder. */
	if (rem == 1 || rem == 3 || rem == 6)
		return LIAISON_ERR_INVALID;
	if (n / 8 * 5 + rem * 5 / 8 > outsz)
		return LIAISON_ERR_TOO_BIG;
	for (i = 0; i < n; i++) {
		v = b32_value(in[i]);
		if (v < 0)
			return LIAISON_ERR_INVALID;
		acc = (acc << 5 | (uint32_t)v) & 0xffff;
		bits += 5;
		if (bits >= 8) {
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	/* Canonical: the bits left over must be zero. */
	if ((acc & ((1u << bits) - 1)) != 0) {
		lc_wipe(out, o);
		return LIAISON_ERR_INVALID;
	}
	*outlen = o;
	return 0;
}

void id_encode(const uint8_t id[ID_BYTES], char out[ID_CHARS + 1])
{
	/* Cannot fail: the sizes are fixed. */
	if (base32_encode(id, ID_BYTES, out, ID_CHARS + 1) != 0)
		out[0] = '\0';
}

int id_decode(const char *text, uint8_t id[ID_BYTES])
{
	uint8_t tmp[ID_BYTES];
	size_t n;
	int rc;

	if (text == NULL || strnlen(text, ID_CHARS + 1) != ID_CHARS)
		return LIAISON_ERR_INVALID;
	rc = base32_decode(text, ID_CHARS, tmp, sizeof(tmp), &n);
	if (rc != 0)
		return LIAISON_ERR_INVALID;
	if (n != ID_BYTES)
		return LIAISON_ERR_INVALID;
	memcpy(id, tmp, ID_BYTES);
	return 0;
}

void id_random(uint8_t id[ID_BYTES])
{
	lc_random(id, ID_BYTES);
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode_loose(const char *text, uint8_t *out, size_t n)
{
	uint8_t tmp[256];
	size_t o = 0, digits = 0;
	int v, hi = 0;
	const char *c;

	if (text == NULL || n > sizeof(tmp))
		return LIAISON_ERR_INVALID;
	for (c = text; *c != '\0'; c++) {
		if (*c == ' ' || *c == ':')
			continue;
		v = hex_value(*c);
		if (v < 0 || o == n)
			return LIAISON_ERR_INVALID;
		if (digits++ % 2 == 0) {
			hi = v;
		} else {
			tmp[o++] = (uint8_t)(hi << 4 | v);
		}
	}
	if (o != n || digits % 2 != 0)
		return LIAISON_ERR_INVALID;
	if (n > 0)
		memcpy(out, tmp, n);
	return 0;
}
