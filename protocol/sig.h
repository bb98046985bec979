/* Every signature has a purpose (DESIGN.md §4): each covers
 * "liaison/v1/" || purpose || 0x00 || bytes. One wrapper per scheme, each
 * returning 0 only when the signature is valid, so a signature made for one
 * purpose can never be replayed as another. */
#ifndef LIAISON_SIG_H
#define LIAISON_SIG_H

#include <stddef.h>
#include <stdint.h>

#include <signal/signal_protocol.h>

#include "protocol/errors.h"

enum sig_purpose {
	SIG_SIGNING_KEY = 0,
	SIG_DIRECTORY,
	SIG_DIRECTORY_HEAD,
	SIG_DIRECTORY_SNAPSHOT,
	SIG_INVITE,
	SIG_ENROLLMENT,
	SIG_LOGIN,
	SIG_GROUP_STATE,
	SIG_MANIFEST,
	SIG_PURPOSE_COUNT
};

#define SIG_BYTES 64
#define SIG_IDENTITY_KEY_BYTES 33	/* serialised Curve25519 (0x05 || key) */
/* The most bytes one signature covers (our layouts are far smaller); over it,
 * sign refuses with LIAISON_ERR_TOO_BIG and verify says LIAISON_ERR_SIGNATURE. */
#define SIG_MAX_MESSAGE (1u << 20)

/* "signing-key", "directory", ...; NULL for an unknown purpose. */
const char *sig_purpose_name(enum sig_purpose purpose);

/* Ed25519 (root and secretariat signing keys, libsodium). */
int sig_ed25519_sign(uint8_t sig[SIG_BYTES], enum sig_purpose purpose,
		     const uint8_t *msg, size_t len, const uint8_t sk[64]) LIAISON_WUR;
int sig_ed25519_verify(const uint8_t sig[SIG_BYTES], enum sig_purpose purpose,
		       const uint8_t *msg, size_t len, const uint8_t pk[32]) LIAISON_WUR;

/* XEdDSA with a libsignal identity key (curve_calculate_signature). */
int sig_xeddsa_sign(uint8_t sig[SIG_BYTES], enum sig_purpose purpose,
		    const uint8_t *msg, size_t len, const ec_private_key *key,
		    signal_context *ctx) LIAISON_WUR;
/* pub is the 33-byte serialised identity key. LIAISON_ERR_SIGNATURE when
 * invalid (libsignal's curve_verify_signature says 1 for valid: wrapped here). */
int sig_xeddsa_verify(const uint8_t sig[SIG_BYTES], enum sig_purpose purpose,
		      const uint8_t *msg, size_t len,
		      const uint8_t pub[SIG_IDENTITY_KEY_BYTES],
		      signal_context *ctx) LIAISON_WUR;

#endif
