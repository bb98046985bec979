/* The relay's data directory (0700): what lives in it and under which
 * names, and the relay URL's parts. Files in it are 0600. */
#ifndef LIAISON_SERVER_DATADIR_H
#define LIAISON_SERVER_DATADIR_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/errors.h"

#define DATADIR_DB "relay.db"
#define DATADIR_KEY "tls.key"
#define DATADIR_CERT "tls.crt"
#define DATADIR_ADMIN_SOCK "admin.sock"
#define DATADIR_LOCK "relay.lock"
#define DATADIR_DEFAULT_URL "wss://127.0.0.1:7443"
#define DATADIR_SETTING_URL "url"
#define DATADIR_MAX_HOST 253

/* dir/name into out; LIAISON_ERR_TOO_BIG when it does not fit. */
int datadir_path(const char *dir, const char *name, char *out, size_t outsz) LIAISON_WUR;
/* "wss://HOST:PORT" or "wss://[V6]:PORT": host without brackets, port. */
int datadir_parse_url(const char *url, char *host, size_t hostsz, int *port) LIAISON_WUR;
/* "HOST:PORT" (--listen). */
int datadir_parse_listen(const char *text, char *host, size_t hostsz, int *port) LIAISON_WUR;

/* tlscert.c: an EC P-256 key and a 20-year self-signed certificate with the
 * host as SAN (IP or DNS), written 0600; pin = SHA-256 of its DER SPKI. */
int tls_identity_create(const char *dir, const char *host, uint8_t pin[32]) LIAISON_WUR;
int tls_cert_pin(const char *cert_path, uint8_t pin[32]) LIAISON_WUR;

#endif
