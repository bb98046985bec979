/* libsignal's crypto provider on OpenSSL 3 EVP (HMAC-SHA256, SHA-512,
 * AES-CBC/CTR) and libsodium randomness, and its locking with a recursive
 * mutex (the callbacks are re-entered). */
#ifndef LIAISON_SIGNAL_PROVIDER_H
#define LIAISON_SIGNAL_PROVIDER_H

#include <signal/signal_protocol.h>

#include "protocol/errors.h"

/* A signal_context with our provider and locking installed. */
int sigprov_context_new(signal_context **out) LIAISON_WUR;
void sigprov_context_free(signal_context *ctx);

/* The provider itself, for tests that check it against known answers. */
const signal_crypto_provider *sigprov_provider(void);

#endif
