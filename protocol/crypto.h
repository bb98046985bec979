/* libsodium wrapped once (and SHA-256 through OpenSSL EVP, which is faster
 * here): sizes, nonces and domain separation are decided in this file alone.
 * Nothing here prints; every secret it derives is the caller's to wipe. */
#ifndef LIAISON_CRYPTO_H
#define LIAISON_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/errors.h"

#define LC_KEY_BYTES     32
#define LC_NONCE_BYTES   24   /* XChaCha20-Poly1305 */
#define LC_TAG_BYTES     16
#define LC_AEAD_OVERHEAD (LC_NONCE_BYTES + LC_TAG_BYTES)
#define LC_HASH_BYTES    32   /* SHA-256 */
#define LC_MAC_BYTES     32   /* crypto_auth (HMAC-SHA512-256) */
#define LC_SALT_BYTES    16
#define LC_ED_PK_BYTES   32
#define LC_ED_SK_BYTES   64
#define LC_ED_SIG_BYTES  64
#define LC_PAD_BLOCK     256  /* DESIGN.md §3: payloads padded to 256-byte buckets */

/* sodium_init, checked; call once at start of every program. */
int lc_init(void) LIAISON_WUR;

void lc_random(void *buf, size_t n);
uint32_t lc_random_u32(void);

/* SHA-256 (OpenSSL EVP). */
int lc_sha256(const void *p, size_t n, uint8_t out[LC_HASH_BYTES]) LIAISON_WUR;
struct lc_sha256;	/* streaming */
struct lc_sha256 *lc_sha256_new(void);
int lc_sha256_update(struct lc_sha256 *h, const void *p, size_t n) LIAISON_WUR;
int lc_sha256_final(struct lc_sha256 *h, uint8_t out[LC_HASH_BYTES]) LIAISON_WUR;
void lc_sha256_free(struct lc_sha256 *h);

/* XChaCha20-Poly1305 with a random nonce: out = nonce || ciphertext || tag,
 * outsz >= mlen + LC_AEAD_OVERHEAD. ad binds the value to its place. */
int lc_seal(uint8_t *out, size_t outsz, size_t *outlen,
	    const uint8_t *m, size_t mlen, const uint8_t *ad, size_t adlen,
	    const uint8_t key[LC_KEY_BYTES]) LIAISON_WUR;
/* Inverse of lc_seal; LIAISON_ERR_DECRYPT when anything was altered. */
int lc_open(uint8_t *out, size_t outsz, size_t *outlen,
	    const uint8_t *c, size_t clen, const uint8_t *ad, size_t adlen,
	    const uint8_t key[LC_KEY_BYTES]) LIAISON_WUR;

/* crypto_kdf: a subkey per purpose; ctx is exactly 8 characters. */
int lc_kdf(uint8_t *sub, size_t sublen, uint64_t id, const char ctx[8],
	   const uint8_t key[LC_KEY_BYTES]) LIAISON_WUR;
/* Keyed hash for blind indexes (crypto_generichash with a key). */
int lc_keyed_hash(uint8_t *out, size_t outlen, const void *p, size_t n,
		  const uint8_t key[LC_KEY_BYTES]) LIAISON_WUR;

/* crypto_auth over m; lc_auth_verify returns 0 only when the tag is valid. */
int lc_auth(uint8_t mac[LC_MAC_BYTES], const uint8_t *m, size_t n,
	    const uint8_t key[LC_KEY_BYTES]) LIAISON_WUR;
int lc_auth_verify(const uint8_t mac[LC_MAC_BYTES], const uint8_t *m, size_t n,
		   const uint8_t key[LC_KEY_BYTES]) LIAISON_WUR;

/* Argon2id password hashing levels (enroll --kdf). */
enum lc_kdf_level { LC_KDF_INTERACTIVE = 0, LC_KDF_MODERATE = 1, LC_KDF_SENSITIVE = 2 };
int lc_kdf_level_parse(const char *name, enum lc_kdf_level *level) LIAISON_WUR;
int lc_pwhash(uint8_t *out, size_t outlen, const char *pass, size_t passlen,
	      const uint8_t salt[LC_SALT_BYTES], enum lc_kdf_level level) LIAISON_WUR;

/* Ed25519 key pair; sk should live in lc_secure_alloc memory. */
int lc_ed25519_keypair(uint8_t pk[LC_ED_PK_BYTES], uint8_t sk[LC_ED_SK_BYTES]) LIAISON_WUR;

/* sodium_malloc'd memory for long-lived keys; lc_secure_free(NULL) is a no-op. */
void *lc_secure_alloc(size_t n);
void lc_secure_free(void *p);
void lc_wipe(void *p, size_t n);
/* Constant-time equality: 1 when equal, 0 otherwise. */
int lc_equal(const void *a, const void *b, size_t n);

/* sodium_pad to LC_PAD_BLOCK buckets in place: buf holds n bytes and has room
 * for cap; *padded gets the new length. lc_unpad reverses it. */
int lc_pad(uint8_t *buf, size_t n, size_t cap, size_t *padded) LIAISON_WUR;
int lc_unpad(const uint8_t *buf, size_t n, size_t *unpadded) LIAISON_WUR;

#endif
