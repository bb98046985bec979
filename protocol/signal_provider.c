/* libsignal's crypto provider on OpenSSL 3 EVP (HMAC-SHA256 through EVP_MAC,
 * SHA-512, AES-CBC/PKCS#5 and AES-CTR) with libsodium's randomness, and its
 * locking. It must never use the deprecated HMAC_CTX/SHA512_Init API, and
 * never leave key material or plaintext in a buffer it frees. */
#include "protocol/signal_provider.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#define AES_BLOCK 16
#define HMAC_SHA256_BYTES 32

/* One recursive mutex for every context: libsignal's state is touched on one
 * thread, and the callbacks re-enter the lock. */
static pthread_mutex_t lock_mutex;
static pthread_once_t lock_once = PTHREAD_ONCE_INIT;
static int lock_ready;

static EVP_MAC *hmac_algo;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void lock_setup(void)
{
	pthread_mutexattr_t attr;

	if (pthread_mutexattr_init(&attr) != 0)
		return;
	if (pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE) == 0 &&
	    pthread_mutex_init(&lock_mutex, &attr) == 0)
		lock_ready = 1;
	(void)pthread_mutexattr_destroy(&attr);
}

static void hmac_setup(void)
{
	hmac_algo = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static void provider_lock(void *user_data)
{
	(void)user_data;
	if (lock_ready)
		(void)pthread_mutex_lock(&lock_mutex);
}

static void provider_unlock(void *user_data)
{
	(void)user_data;
	if (lock_ready)
		(void)pthread_mutex_unlock(&lock_mutex);
}

static int provider_random(uint8_t *data, size_t len, void *user_data)
{
	(void)user_data;
	if (data == NULL && len > 0)
		return SG_ERR_INVAL;
	if (len > 0)
		randombytes_buf(data, len);
	return 0;
}

/* ---- HMAC-SHA256 ---- */

static int hmac_init(void **hmac_context, const uint8_t *key, size_t key_len,
		     void *user_data)
{
	static const uint8_t empty_key[1] = { 0 };
	char digest[] = "SHA256";
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	int rc = SG_ERR_UNKNOWN;

	(void)user_data;
	if (hmac_context == NULL || (key == NULL && key_len > 0))
		return SG_ERR_INVAL;
	if (pthread_once(&hmac_once, hmac_setup) != 0 || hmac_algo == NULL)
		goto out;
	ctx = EVP_MAC_CTX_new(hmac_algo);
	if (ctx == NULL) {
		rc = SG_ERR_NOMEM;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key_len > 0 ? key : empty_key, key_len, params) != 1)
		goto out;
	*hmac_context = ctx;
	ctx = NULL;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

static int hmac_update(void *hmac_context, const uint8_t *data, size_t data_len,
		       void *user_data)
{
	(void)user_data;
	if (hmac_context == NULL || (data == NULL && data_len > 0))
		return SG_ERR_INVAL;
	if (data_len == 0)
		return 0;
	if (EVP_MAC_update(hmac_context, data, data_len) != 1)
		return SG_ERR_UNKNOWN;
	return 0;
}

static int hmac_final(void *hmac_context, signal_buffer **output, void *user_data)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	size_t len = 0;
	signal_buffer *buf;
	int rc = SG_ERR_UNKNOWN;

	(void)user_data;
	if (hmac_context == NULL || output == NULL)
		return SG_ERR_INVAL;
	if (EVP_MAC_final(hmac_context, mac, &len, sizeof(mac)) != 1 ||
	    len != HMAC_SHA256_BYTES)
		goto out;
	buf = signal_buffer_create(mac, len);
	if (buf == NULL) {
		rc = SG_ERR_NOMEM;
		goto out;
	}
	*output = buf;
	rc = 0;
out:
	sodium_memzero(mac, sizeof(mac));
	return rc;
}

static void hmac_cleanup(void *hmac_context, void *user_data)
{
	(void)user_data;
	EVP_MAC_CTX_free(hmac_context);
}

/* ---- SHA-512 ---- */

static int sha512_init(void **digest_context, void *user_data)
{
	EVP_MD_CTX *ctx;

	(void)user_data;
	if (digest_context == NULL)
		return SG_ERR_INVAL;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return SG_ERR_NOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return SG_ERR_UNKNOWN;
	}
	*digest_context = ctx;
	return 0;
}

static int sha512_update(void *digest_context, const uint8_t *data, size_t data_len,
			 void *user_data)
{
	(void)user_data;
	if (digest_context == NULL || (data == NULL && data_len > 0))
		return SG_ERR_INVAL;
	if (data_len == 0)
		return 0;
	if (EVP_DigestUpdate(digest_context, data, data_len) != 1)
		return SG_ERR_UNKNOWN;
	return 0;
}

/* libsignal reuses the context after final: start it again here. */
static int sha512_final(void *digest_context, signal_buffer **output, void *user_data)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	signal_buffer *buf;
	int rc = SG_ERR_UNKNOWN;

	(void)user_data;
	if (digest_context == NULL || output == NULL)
		return SG_ERR_INVAL;
	if (EVP_DigestFinal_ex(digest_context, md, &len) != 1)
		goto out;
	if (EVP_DigestInit_ex(digest_context, EVP_sha512(), NULL) != 1)
		goto out;
	buf = signal_buffer_create(md, len);
	if (buf == NULL) {
		rc = SG_ERR_NOMEM;
		goto out;
	}
	*output = buf;
	rc = 0;
out:
	sodium_memzero(md, sizeof(md));
	return rc;
}

static void sha512_cleanup(void *digest_context, void *user_data)
{
	(void)user_data;
	EVP_MD_CTX_free(digest_context);
}

/* ---- AES ---- */

static const EVP_CIPHER *aes_cipher(int cipher, size_t key_len)
{
	if (cipher == SG_CIPHER_AES_CBC_PKCS5) {
		switch (key_len) {
		case 16: return EVP_aes_128_cbc();
		case 24: return EVP_aes_192_cbc();
		case 32: return EVP_aes_256_cbc();
		default: return NULL;
		}
	}
	if (cipher == SG_CIPHER_AES_CTR_NOPADDING) {
		switch (key_len) {
		case 16: return EVP_aes_128_ctr();
		case 24: return EVP_aes_192_ctr();
		case 32: return EVP_aes_256_ctr();
		default: return NULL;
		}
	}
	return NULL;
}

/* One pass of AES in either direction; the result is copied into a fresh
 * signal_buffer and the working copy wiped. */
static int aes_run(int encrypt, signal_buffer **output, int cipher,
		   const uint8_t *key, size_t key_len, const uint8_t *iv, size_t iv_len,
		   const uint8_t *in, size_t in_len)
{
	const EVP_CIPHER *algo;
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *work = NULL;
	size_t cap = 0;
	int len1 = 0, len2 = 0;
	signal_buffer *buf;
	int rc = SG_ERR_UNKNOWN;

	if (output == NULL || key == NULL || iv == NULL || (in == NULL && in_len > 0))
		return SG_ERR_INVAL;
	algo = aes_cipher(cipher, key_len);
	if (algo == NULL || iv_len != AES_BLOCK)
		return SG_ERR_INVAL;
	if (in_len > (size_t)INT_MAX - AES_BLOCK)
		return SG_ERR_INVAL;
	if (!encrypt && cipher == SG_CIPHER_AES_CBC_PKCS5 &&
	    (in_len == 0 || in_len % AES_BLOCK != 0))
		return SG_ERR_INVAL;

	cap = in_len + AES_BLOCK;
	work = malloc(cap);
	ctx = EVP_CIPHER_CTX_new();
	if (work == NULL || ctx == NULL) {
		rc = SG_ERR_NOMEM;
		goto out;
	}
	if (EVP_CipherInit_ex(ctx, algo, NULL, key, iv, encrypt) != 1)
		goto out;
	if (EVP_CIPHER_CTX_set_padding(ctx, cipher == SG_CIPHER_AES_CBC_PKCS5) != 1)
		goto out;
	if (in_len > 0 && EVP_CipherUpdate(ctx, work, &len1, in, (int)in_len) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, work + len1, &len2) != 1)
		goto out;
	if (len1 < 0 || len2 < 0 || (size_t)len1 + (size_t)len2 > cap)
		goto out;
	buf = signal_buffer_create(work, (size_t)len1 + (size_t)len2);
	if (buf == NULL) {
		rc = SG_ERR_NOMEM;
		goto out;
	}
	*output = buf;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (work != NULL) {
		sodium_memzero(work, cap);
		free(work);
	}
	return rc;
}

static int aes_encrypt(signal_buffer **output, int cipher,
		       const uint8_t *key, size_t key_len,
		       const uint8_t *iv, size_t iv_len,
		       const uint8_t *plaintext, size_t plaintext_len, void *user_data)
{
	(void)user_data;
	return aes_run(1, output, cipher, key, key_len, iv, iv_len,
		       plaintext, plaintext_len);
}

static int aes_decrypt(signal_buffer **output, int cipher,
		       const uint8_t *key, size_t key_len,
		       const uint8_t *iv, size_t iv_len,
		       const uint8_t *ciphertext, size_t ciphertext_len, void *user_data)
{
	(void)user_data;
	return aes_run(0, output, cipher, key, key_len, iv, iv_len,
		       ciphertext, ciphertext_len);
}

static const signal_crypto_provider provider = {
	.random_func = provider_random,
	.hmac_sha256_init_func = hmac_init,
	.hmac_sha256_update_func = hmac_update,
	.hmac_sha256_final_func = hmac_final,
	.hmac_sha256_cleanup_func = hmac_cleanup,
	.sha512_digest_init_func = sha512_init,
	.sha512_digest_update_func = sha512_update,
	.sha512_digest_final_func = sha512_final,
	.sha512_digest_cleanup_func = sha512_cleanup,
	.encrypt_func = aes_encrypt,
	.decrypt_func = aes_decrypt,
	.user_data = NULL,
};

const signal_crypto_provider *sigprov_provider(void)
{
	return &provider;
}

int sigprov_context_new(signal_context **out)
{
	signal_context *ctx = NULL;
	int rc = LIAISON_ERR_CRYPTO;

	if (out == NULL)
		return LIAISON_ERR_INVALID;
	if (pthread_once(&lock_once, lock_setup) != 0 || !lock_ready)
		return LIAISON_ERR_INTERNAL;
	if (signal_context_create(&ctx, NULL) != 0) {
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	if (signal_context_set_crypto_provider(ctx, &provider) != 0)
		goto out;
	if (signal_context_set_locking_functions(ctx, provider_lock, provider_unlock) != 0)
		goto out;
	*out = ctx;
	ctx = NULL;
	rc = 0;
out:
	if (ctx != NULL)
		signal_context_destroy(ctx);
	return rc;
}

void sigprov_context_free(signal_context *ctx)
{
	if (ctx != NULL)
		signal_context_destroy(ctx);
}
