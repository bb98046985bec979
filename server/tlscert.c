/* The relay's TLS identity (DESIGN.md §4): an EC P-256 key and a long-lived
 * self-signed certificate, made with OpenSSL EVP/X509; the pin is SHA-256
 * of the DER SubjectPublicKeyInfo. The private key is written only 0600
 * and never printed. */
#include "server/datadir.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "protocol/crypto.h"
#include "protocol/log.h"

#define TAG "tls"
#define CERT_YEARS 20

static int spki_pin(X509 *cert, uint8_t pin[32])
{
	unsigned char *der = NULL;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	int rc;
	if (n <= 0)
		return LIAISON_ERR_CRYPTO;
	rc = lc_sha256(der, (size_t)n, pin);
	OPENSSL_free(der);
	return rc;
}

/* fopen for a new file, 0600, refusing one that exists. */
static FILE *create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *fp;
	if (fd < 0)
		return NULL;
	fp = fdopen(fd, "w");
	if (fp == NULL)
		close(fd);
	return fp;
}

static int add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return LIAISON_ERR_CRYPTO;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : LIAISON_ERR_CRYPTO;
}

static int build_cert(EVP_PKEY *key, const char *host, X509 **out)
{
	X509 *cert = X509_new();
	X509_NAME *name;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	char san[DATADIR_MAX_HOST + 8];
	struct in6_addr a6;
	struct in_addr a4;
	int rc = LIAISON_ERR_CRYPTO;

	if (cert == NULL)
		return LIAISON_ERR_NOMEM;
	lc_random(serial, sizeof(serial));
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL || X509_set_version(cert, 2) != 1 ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) == NULL ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), CERT_YEARS * 365 + CERT_YEARS / 4, 0,
			     NULL) == NULL ||
	    X509_set_pubkey(cert, key) != 1)
		goto out;
	name = X509_get_subject_name(cert);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)host,
				       -1, -1, 0) != 1 ||
	    X509_set_issuer_name(cert, name) != 1)
		goto out;
	if (inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1)
		snprintf(san, sizeof(san), "IP:%s", host);
	else
		snprintf(san, sizeof(san), "DNS:%s", host);
	if (add_ext(cert, NID_subject_alt_name, san) != 0 ||
	    add_ext(cert, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
	    add_ext(cert, NID_key_usage, "critical,digitalSignature") != 0 ||
	    add_ext(cert, NID_ext_key_usage, "serverAuth") != 0 ||
	    add_ext(cert, NID_subject_key_identifier, "hash") != 0)
		goto out;
	if (X509_sign(cert, key, EVP_sha256()) <= 0)
		goto out;
	*out = cert;
	cert = NULL;
	rc = 0;
out:
	BN_free(bn);
	X509_free(cert);
	return rc;
}

int tls_identity_create(const char *dir, const char *host, uint8_t pin[32])
{
	char key_path[4096], cert_path[4096];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	FILE *fp = NULL;
	uint8_t p[32];
	int rc;

	rc = datadir_path(dir, DATADIR_KEY, key_path, sizeof(key_path));
	if (rc == 0)
		rc = datadir_path(dir, DATADIR_CERT, cert_path, sizeof(cert_path));
	if (rc != 0)
		goto out;
	key = EVP_EC_gen("P-256");
	if (key == NULL) {
		rc = LIAISON_ERR_CRYPTO;
		goto out;
	}
	rc = build_cert(key, host, &cert);
	if (rc != 0)
		goto out;
	rc = spki_pin(cert, p);
	if (rc != 0)
		goto out;
	fp = create_private(key_path);
	if (fp == NULL) {
		rc = LIAISON_ERR_IO;
		goto out;
	}
	if (PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL) != 1) {
		rc = LIAISON_ERR_IO;
		goto out;
	}
	if (fclose(fp) != 0) {
		fp = NULL;
		rc = LIAISON_ERR_IO;
		goto out;
	}
	fp = create_private(cert_path);
	if (fp == NULL) {
		rc = LIAISON_ERR_IO;
		goto out;
	}
	if (PEM_write_X509(fp, cert) != 1) {
		rc = LIAISON_ERR_IO;
		goto out;
	}
	rc = fclose(fp) == 0 ? 0 : LIAISON_ERR_IO;
	fp = NULL;
	if (rc == 0)
		memcpy(pin, p, 32);
out:
	if (fp != NULL)
		fclose(fp);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

int tls_cert_pin(const char *cert_path, uint8_t pin[32])
{
	FILE *fp = fopen(cert_path, "re");
	X509 *cert = NULL;
	int rc;
	if (fp == NULL)
		return LIAISON_ERR_NOT_INITIALISED;
	cert = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (cert == NULL)
		return LIAISON_ERR_CRYPTO;
	rc = spki_pin(cert, pin);
	X509_free(cert);
	return rc;
}
