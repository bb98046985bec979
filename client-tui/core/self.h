/* The own account record (one row of VT_ACCOUNT): identity key pair,
 * registration id, relay address and pin, role and authority, and for a
 * secretariat its signing key (and for the root holder the root key). The
 * private keys live in lc_secure_alloc memory and are wiped by self_free. */
#ifndef LIAISON_SELF_H
#define LIAISON_SELF_H

#include <stdint.h>

#include "client-tui/core/home.h"
#include "protocol/layout.h"

struct self {
	uint8_t account[16];
	uint32_t registration_id;
	uint8_t identity_pub[33];             /* serialised Curve25519 */
	uint8_t *identity_priv;               /* 32 bytes, secure memory */
	char url[LAYOUT_MAX_URL + 1];
	uint8_t pin[32];
	uint8_t role;                         /* ROLE_* */
	char authority[LAYOUT_MAX_AUTHORITY + 1];
	char country[LAYOUT_MAX_COUNTRY + 1];
	char authority_name[LAYOUT_MAX_NAME + 1];
	char name[LAYOUT_MAX_NAME + 1];
	char title[LAYOUT_MAX_NAME + 1];
	uint8_t has_root_pk;
	uint8_t root_pk[32];                  /* the network's root (all but bootstrap members learn it from the invite) */
	uint8_t *root_sk;                     /* 64 bytes, secure memory; NULL unless root holder */
	uint8_t has_signing_key;              /* secretariat */
	uint8_t signing_pk[32];
	uint8_t *signing_sk;                  /* 64 bytes, secure memory, or NULL */
	struct signing_cert cert;             /* the signing key's root certificate */
	uint32_t next_prekey_id;              /* next one-time prekey id to generate (>= 1) */
	uint32_t signed_prekey_id;
	uint64_t enrolled_at;                 /* ms */
};

/* Allocates the secure buffers of a zeroed record. */
struct self *self_new(void);
/* Wipes and frees; NULL is a no-op. */
void self_free(struct self *s);
int self_save(struct home *h, const struct self *s) LIAISON_WUR;
/* LIAISON_ERR_NOT_FOUND when the home has no account yet. */
int self_load(struct home *h, struct self **out) LIAISON_WUR;

#endif
