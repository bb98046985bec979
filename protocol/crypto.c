/* libsodium wrapped once (SHA-256 through OpenSSL EVP): every size, nonce and
 * limit of the primitives we use is checked here and nowhere else.
 * It must never print, never keep a secret past the call, nor reuse a nonce. */
#include "protocol/crypto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

struct lc_sha256 {
	EVP_MD_CTX *ctx;
};

int lc_init(void)
{
	/* 0: initialised now, 1: already initialised, -1: failure. */
	if (sodium_init() < 0)
		return LIAISON_ERR_CRYPTO;
	return 0;
}

void lc_random(void *buf, size_t n)
{
	if (n > 0)
		randombytes_buf(buf, n);
}

uint32_t lc_random_u32(void)
{
	return randombytes_random();
}

/* ---- SHA-256 (OpenSSL EVP) ---- */

int lc_sha256(const void *p, size_t n, uint8_t out[LC_HASH_BYTES])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int rc = LIAISON_ERR_CRYPTO;

	if (p == NULL && n > 0)
		return LIAISON_ERR_INVALID;
	if (EVP_Digest(n > 0 ? p : "", n, md, &mdlen, EVP_sha256(), NULL) != 1)
		goto out;
	if (mdlen != LC_HASH_BYTES)
		goto out;
	memcpy(out, md, LC_HASH_BYTES);
	rc = 0;
out:
	return rc;
}

struct lc_sha256 *lc_sha256_new(void)
{
	struct lc_sha256 *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
		return NULL;
	}
	return h;
}

int lc_sha256_update(struct lc_sha256 *h, const void *p, size_t n)
{
	if (h == NULL || (p == NULL && n > 0))
		return LIAISON_ERR_INVALID;
	if (n == 0)
		return 0;
	if (EVP_DigestUpdate(h->ctx, p, n) != 1)
		return LIAISON_ERR_CRYPTO;
	return 0;
}

/* Writes the digest and starts the context afresh, so h may hash again. */
int lc_sha256_final(struct lc_sha256 *h, uint8_t out[LC_HASH_BYTES])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (h == NULL)
		return LIAISON_ERR_INVALID;
	if (EVP_DigestFinal_ex(h->ctx, md, &mdlen) != 1 || mdlen != LC_HASH_BYTES)
		return LIAISON_ERR_CRYPTO;
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		return LIAISON_ERR_CRYPTO;
	memcpy(out, md, LC_HASH_BYTES);
	return 0;
}

void lc_sha256_free(struct lc_sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

/* ---- AEAD: XChaCha20-Poly1305, random nonce in front ---- */

/* out and m must not overlap. */
int lc_seal(uint8_t *out, size_t outsz, size_t *outlen,
	    const uint8_t *m, size_t mlen, const uint8_t *ad, size_t adlen,
	    const uint8_t key[LC_KEY_BYTES])
{
	unsigned long long clen = 0;

	if (out == NULL || outlen == NULL || key == NULL ||
	    (m == NULL && mlen > 0) || (ad == NULL && adlen > 0))
		return LIAISON_ERR_INVALID;
	if (mlen > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX ||
	    mlen > SIZE_MAX - LC_AEAD_OVERHEAD)
		return LIAISON_ERR_TOO_BIG;
	if (outsz < mlen + LC_AEAD_OVERHEAD)
		return LIAISON_ERR_TOO_BIG;

	randombytes_buf(out, LC_NONCE_BYTES);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + LC_NONCE_BYTES, &clen,
						       m, mlen, ad, adlen, NULL,
						       out, key) != 0)
		return LIAISON_ERR_CRYPTO;
	if (clen != mlen + LC_TAG_BYTES)
		return LIAISON_ERR_INTERNAL;
	*outlen = LC_NONCE_BYTES + (size_t)clen;
	return 0;
}

/* out and c must not overlap. On failure out holds nothing of the plaintext. */
int lc_open(uint8_t *out, size_t outsz, size_t *outlen,
	    const uint8_t *c, size_t clen, const uint8_t *ad, size_t adlen,
	    const uint8_t key[LC_KEY_BYTES])
{
	unsigned long long mlen = 0;
	size_t want;

	if (out == NULL || outlen == NULL || key == NULL || c == NULL ||
	    (ad == NULL && adlen > 0))
		return LIAISON_ERR_INVALID;
	if (clen < LC_AEAD_OVERHEAD)
		return LIAISON_ERR_DECRYPT;
	want = clen - LC_AEAD_OVERHEAD;
	if (outsz < want)
		return LIAISON_ERR_TOO_BIG;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL,
						       c + LC_NONCE_BYTES,
						       clen - LC_NONCE_BYTES,
						       ad, adlen, c, key) != 0) {
		sodium_memzero(out, want);
		return LIAISON_ERR_DECRYPT;
	}
	if (mlen != want) {
		sodium_memzero(out, want);
		return LIAISON_ERR_INTERNAL;
	}
	*outlen = (size_t)mlen;
	return 0;
}

/* ---- derivation, keyed hashes, MACs ---- */

int lc_kdf(uint8_t *sub, size_t sublen, uint64_t id, const char ctx[8],
	   const uint8_t key[LC_KEY_BYTES])
{
	if (sub == NULL || ctx == NULL || key == NULL)
		return LIAISON_ERR_INVALID;
	if (sublen < crypto_kdf_BYTES_MIN || sublen > crypto_kdf_BYTES_MAX)
		return LIAISON_ERR_INVALID;
	if (crypto_kdf_derive_from_key(sub, sublen, id, ctx, key) != 0)
		return LIAISON_ERR_CRYPTO;
	return 0;
}

int lc_keyed_hash(uint8_t *out, size_t outlen, const void *p, size_t n,
		  const uint8_t key[LC_KEY_BYTES])
{
	if (out == NULL || key == NULL || (p == NULL && n > 0))
		return LIAISON_ERR_INVALID;
	if (outlen < crypto_generichash_BYTES_MIN || outlen > crypto_generichash_BYTES_MAX)
		return LIAISON_ERR_INVALID;
	if (crypto_generichash(out, outlen, p, n, key, LC_KEY_BYTES) != 0)
		return LIAISON_ERR_CRYPTO;
	return 0;
}

int lc_auth(uint8_t mac[LC_MAC_BYTES], const uint8_t *m, size_t n,
	    const uint8_t key[LC_KEY_BYTES])
{
	if (mac == NULL || key == NULL || (m == NULL && n > 0))
		return LIAISON_ERR_INVALID;
	if (crypto_auth(mac, n > 0 ? m : (const uint8_t *)"", n, key) != 0)
		return LIAISON_ERR_CRYPTO;
	return 0;
}

/* 0 only for a valid tag; LIAISON_ERR_SIGNATURE otherwise (exit 4: the bytes
 * or the key are not what the tag was made over). */
int lc_auth_verify(const uint8_t mac[LC_MAC_BYTES], const uint8_t *m, size_t n,
		   const uint8_t key[LC_KEY_BYTES])
{
	if (mac == NULL || key == NULL || (m == NULL && n > 0))
		return LIAISON_ERR_SIGNATURE;
	if (crypto_auth_verify(mac, n > 0 ? m : (const uint8_t *)"", n, key) != 0)
		return LIAISON_ERR_SIGNATURE;
	return 0;
}

/* ---- passwords ---- */

int lc_kdf_level_parse(const char *name, enum lc_kdf_level *level)
{
	static const struct {
		const char *name;
		enum lc_kdf_level level;
	} names[] = {
		{ "interactive", LC_KDF_INTERACTIVE },
		{ "moderate", LC_KDF_MODERATE },
		{ "sensitive", LC_KDF_SENSITIVE },
	};
	size_t i;

	if (name == NULL || level == NULL)
		return LIAISON_ERR_INVALID;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i].name) == 0) {
			*level = names[i].level;
			return 0;
		}
	}
	return LIAISON_ERR_INVALID;
}

/* Argon2id13; LIAISON_ERR_NOMEM when the memory the level needs is refused. */
int lc_pwhash(uint8_t *out, size_t outlen, const char *pass, size_t passlen,
	      const uint8_t salt[LC_SALT_BYTES], enum lc_kdf_level level)
{
	unsigned long long ops;
	size_t mem;

	if (out == NULL || salt == NULL || (pass == NULL && passlen > 0))
		return LIAISON_ERR_INVALID;
	if (outlen < crypto_pwhash_BYTES_MIN || outlen > 1024)
		return LIAISON_ERR_INVALID;
	if (passlen > crypto_pwhash_PASSWD_MAX)
		return LIAISON_ERR_TOO_BIG;
	switch (level) {
	case LC_KDF_INTERACTIVE:
		ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
		break;
	case LC_KDF_MODERATE:
		ops = crypto_pwhash_OPSLIMIT_MODERATE;
		mem = crypto_pwhash_MEMLIMIT_MODERATE;
		break;
	case LC_KDF_SENSITIVE:
		ops = crypto_pwhash_OPSLIMIT_SENSITIVE;
		mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
		break;
	default:
		return LIAISON_ERR_INVALID;
	}
	if (crypto_pwhash(out, outlen, passlen > 0 ? pass : "", passlen, salt,
			  ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_memzero(out, outlen);
		return LIAISON_ERR_NOMEM;
	}
	return 0;
}

/* ---- keys and memory ---- */

int lc_ed25519_keypair(uint8_t pk[LC_ED_PK_BYTES], uint8_t sk[LC_ED_SK_BYTES])
{
	if (pk == NULL || sk == NULL)
		return LIAISON_ERR_INVALID;
	if (crypto_sign_keypair(pk, sk) != 0)
		return LIAISON_ERR_CRYPTO;
	return 0;
}

void *lc_secure_alloc(size_t n)
{
	return sodium_malloc(n);
}

void lc_secure_free(void *p)
{
	if (p != NULL)
		sodium_free(p);
}

void lc_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		sodium_memzero(p, n);
}

int lc_equal(const void *a, const void *b, size_t n)
{
	if (n == 0)
		return 1;
	return sodium_memcmp(a, b, n) == 0 ? 1 : 0;
}

/* ---- padding to LC_PAD_BLOCK buckets (ISO/IEC 7816-4) ---- */

int lc_pad(uint8_t *buf, size_t n, size_t cap, size_t *padded)
{
	size_t len = 0;

	if (buf == NULL || padded == NULL || n > cap)
		return LIAISON_ERR_INVALID;
	if (sodium_pad(&len, buf, n, LC_PAD_BLOCK, cap) != 0)
		return LIAISON_ERR_TOO_BIG;
	*padded = len;
	return 0;
}

int lc_unpad(const uint8_t *buf, size_t n, size_t *unpadded)
{
	size_t len = 0;

	if (buf == NULL || unpadded == NULL)
		return LIAISON_ERR_INVALID;
	if (n == 0 || n % LC_PAD_BLOCK != 0)
		return LIAISON_ERR_INVALID;
	if (sodium_unpad(&len, buf, n, LC_PAD_BLOCK) != 0)
		return LIAISON_ERR_INVALID;
	*unpadded = len;
	return 0;
}
