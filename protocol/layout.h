/* Canonical byte layouts of what we sign (DESIGN.md §4): a version byte,
 * big-endian fixed-width integers, u32-length-prefixed fields. Decoders are
 * bounded and refuse trailing bytes. Never a protobuf re-encoding. */
#ifndef LIAISON_LAYOUT_H
#define LIAISON_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/buf.h"
#include "protocol/errors.h"

#define LAYOUT_VERSION 1
#define LAYOUT_MAX_AUTHORITY 64      /* authority id, bytes */
#define LAYOUT_MAX_NAME 256          /* display names, titles, authority names */
#define LAYOUT_MAX_URL 256
#define LAYOUT_MAX_COUNTRY 2         /* ISO 3166-1 alpha-2 */
#define LAYOUT_MAX_ENROLLMENT 2048

enum role { ROLE_MEMBER = 1, ROLE_SECRETARIAT = 2 };
const char *role_name(int role);      /* "member", "secretariat", NULL */
int role_parse(const char *name, int *role) LIAISON_WUR;

/* What an enrollee signs with its identity key (purpose enrollment) and
 * MACs under bind. */
struct enrollment {
	uint8_t account[16];
	char authority[LAYOUT_MAX_AUTHORITY + 1];
	uint8_t role;
	char name[LAYOUT_MAX_NAME + 1];
	char title[LAYOUT_MAX_NAME + 1];
	uint8_t invite_id[16];
	uint64_t invite_expires;          /* ms since the epoch */
	uint8_t identity_key[33];
	uint8_t has_signing_key;          /* secretariat only */
	uint8_t signing_key[32];
};
/* Both directions refuse: an empty or over-long authority or name, a title
 * over LAYOUT_MAX_NAME, an unknown role, a signing key on a member or none on
 * a secretariat, an identity key not starting 0x05. encode sets *out (a new
 * writer: free it with wb_free) only on success; *out need not be
 * initialised and its old contents are not freed. decode refuses trailing
 * bytes, another LAYOUT_VERSION (UNSUPPORTED) and over LAYOUT_MAX_ENROLLMENT. */
int layout_enrollment_encode(const struct enrollment *e, struct wb *out) LIAISON_WUR;
int layout_enrollment_decode(const uint8_t *p, size_t n, struct enrollment *e) LIAISON_WUR;

/* The login tuple: server nonce, client nonce, account, relay pin, time. */
#define LAYOUT_LOGIN_BYTES (1 + 32 + 32 + 16 + 32 + 8)
void layout_login(uint8_t out[LAYOUT_LOGIN_BYTES], const uint8_t server_nonce[32],
		  const uint8_t client_nonce[32], const uint8_t account[16],
		  const uint8_t pin[32], uint64_t time_ms);

/* A secretariat signing-key certificate, signed by the root (purpose
 * signing-key) over (key, account, not-after). */
struct signing_cert {
	uint8_t key[32];
	uint8_t account[16];
	uint64_t not_after;               /* ms since the epoch */
	uint8_t signature[64];
};
#define LAYOUT_CERT_SIGNED_BYTES (1 + 32 + 16 + 8)
void layout_cert_signed(uint8_t out[LAYOUT_CERT_SIGNED_BYTES], const struct signing_cert *c);
int layout_cert_sign(struct signing_cert *c, const uint8_t root_sk[64]) LIAISON_WUR;
/* Checks the root's signature; also LIAISON_ERR_EXPIRED past not_after
 * (now_ms = 0 skips the time check). */
int layout_cert_verify(const struct signing_cert *c, const uint8_t root_pk[32],
		       uint64_t now_ms) LIAISON_WUR;

/* Key id: the first 16 bytes of SHA-256 of an Ed25519 public key. */
int layout_key_id(const uint8_t pk[32], uint8_t id[16]) LIAISON_WUR;

#endif
