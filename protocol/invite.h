/* Invite tokens (DESIGN.md §4): one printable line, "liaison1-" then base32
 * of the fields and a 4-byte checksum, that survives copy and paste. The
 * secret S never reaches the relay: it derives redeem (shown to the relay)
 * and bind (kept by the enrollee and the minting secretariat). */
#ifndef LIAISON_INVITE_H
#define LIAISON_INVITE_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/errors.h"
#include "protocol/layout.h"

#define INVITE_PREFIX "liaison1-"
#define INVITE_MAX_TOKEN 4096          /* characters */

enum invite_kind { INVITE_BOOTSTRAP = 1, INVITE_MINTED = 2 };

struct invite {
	uint8_t kind;
	char url[LAYOUT_MAX_URL + 1];      /* wss://host:port */
	uint8_t pin[32];                   /* SHA-256 of the relay's SPKI */
	uint8_t invite_id[16];
	uint64_t expires;                  /* ms since the epoch; also the approval deadline */
	uint8_t secret[32];                /* S: wipe after use */
	uint8_t role;                      /* ROLE_* */
	char authority[LAYOUT_MAX_AUTHORITY + 1];
	char country[LAYOUT_MAX_COUNTRY + 1];
	char authority_name[LAYOUT_MAX_NAME + 1];
	/* INVITE_MINTED only: */
	uint8_t root_pk[32];
	uint8_t signer_pk[32];             /* equals root_pk when the root signed */
	struct signing_cert cert;          /* the signer's root certificate (unused when the root signed) */
	uint8_t signature[64];             /* purpose invite, over invite_signed_bytes */
};

/* redeem and bind from S (crypto_kdf, context "liainvit"). */
int invite_derive(const uint8_t secret[32], uint8_t redeem[32], uint8_t bind[32]) LIAISON_WUR;

/* The bytes a minted invite's signature covers: every field but S, with
 * SHA-256(redeem) in its place. Sets *out (a new writer: free it with
 * wb_free) only on success; *out need not be initialised. */
int invite_signed_bytes(const struct invite *inv, struct wb *out) LIAISON_WUR;
/* Signs a minted invite with the signer's Ed25519 key (libsodium layout:
 * its last 32 bytes must equal inv->signer_pk). Set root_pk, signer_pk and,
 * unless the root signs, cert first. */
int invite_sign(struct invite *inv, const uint8_t signer_sk[64]) LIAISON_WUR;
/* root -> certificate -> signature, and the role rule (a secretariat invite
 * needs the root's own signature). 0 only when all hold: SIGNATURE when the
 * certificate is for another key or a signature fails, DENIED for a
 * secretariat invite not signed by the root, EXPIRED past inv->expires or the
 * certificate's not_after. A bootstrap invite (no root, no signature) is
 * only checked for expiry. */
int invite_verify(const struct invite *inv, uint64_t now_ms) LIAISON_WUR;

/* Token text: *token is malloc'd, NUL-terminated. */
int invite_encode(const struct invite *inv, char **token) LIAISON_WUR;
/* Parses a token (surrounding white space, line breaks inside, and upper
 * case are tolerated); checks prefix, checksum and bounds, not signatures.
 * INVALID without the prefix or for a bad layout, CHECKSUM when the text was
 * altered or cut, TOO_BIG over INVITE_MAX_TOKEN. Rules shared with encode:
 * url "wss://..." printable ASCII, authority non-empty, country empty or two
 * capital letters, a bootstrap invite only for ROLE_SECRETARIAT. A
 * root-signed minted invite carries no certificate (cert left zero). */
int invite_decode(const char *token, size_t len, struct invite *inv) LIAISON_WUR;

#endif
