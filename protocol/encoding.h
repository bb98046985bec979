/* Text encodings of ids, hashes and fingerprints (CONTRACT.md conventions):
 * ids are 26 lowercase base32 characters and only the canonical spelling is
 * accepted; hashes and fingerprints are lowercase hex, read back with upper
 * case and spaces allowed. */
#ifndef LIAISON_ENCODING_H
#define LIAISON_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/errors.h"

#define ID_BYTES 16
#define ID_CHARS 26

/* RFC 4648 base32, lowercase, no padding. outsz must hold the text and NUL. */
int base32_encode(const uint8_t *in, size_t n, char *out, size_t outsz) LIAISON_WUR;
/* Decodes only canonical text: lowercase, no padding, unused bits zero.
 * Refused when the result would exceed outsz. */
int base32_decode(const char *in, size_t n, uint8_t *out, size_t outsz,
		  size_t *outlen) LIAISON_WUR;

void id_encode(const uint8_t id[ID_BYTES], char out[ID_CHARS + 1]);
/* 0 only for exactly 26 canonical characters. */
int id_decode(const char *text, uint8_t id[ID_BYTES]) LIAISON_WUR;
/* 16 random bytes. */
void id_random(uint8_t id[ID_BYTES]);

void hex_encode(const uint8_t *in, size_t n, char *out /* 2n+1 */);
/* Exactly n bytes (n <= 256) of hex; upper case is accepted, spaces and
 * colons are ignored; anything else, or another length, is refused. */
int hex_decode_loose(const char *text, uint8_t *out, size_t n) LIAISON_WUR;

#endif
