/* Fingerprints (DESIGN.md §4), whose printed form never changes:
 * identity = hex SHA-256 of the 33-byte serialised public key; root = hex
 * SHA-256 of the 32-byte Ed25519 key; relay pin = "sha256:" + hex SHA-256 of
 * the certificate's SubjectPublicKeyInfo. Safety numbers and QR payloads come
 * from libsignal's generator (5200 iterations, version 1, account ids). */
#ifndef LIAISON_FINGERPRINT_H
#define LIAISON_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include <signal/signal_protocol.h>

#include "protocol/errors.h"

#define FP_HEX_CHARS 64
#define FP_PIN_CHARS (7 + 64)		/* "sha256:" + hex */
#define FP_SAFETY_DIGITS 60
#define FP_SCANNABLE_MAX 128		/* serialised scannable fingerprint */
#define FP_ITERATIONS 5200
#define FP_SCANNABLE_VERSION 1

int fp_identity(const uint8_t pub[33], char out[FP_HEX_CHARS + 1]) LIAISON_WUR;
int fp_root(const uint8_t pk[32], char out[FP_HEX_CHARS + 1]) LIAISON_WUR;
void fp_pin_format(const uint8_t spki_sha256[32], char out[FP_PIN_CHARS + 1]);
/* Accepts "sha256:HEX" or bare HEX, upper case and spaces allowed. */
int fp_pin_parse(const char *text, uint8_t spki_sha256[32]) LIAISON_WUR;

/* The safety number (60 digits, no spaces) and the scannable payload of
 * the pair (local, remote). ids are the 26-character account ids. */
int fp_safety(signal_context *ctx,
	      const char *local_id, const uint8_t local_pub[33],
	      const char *remote_id, const uint8_t remote_pub[33],
	      char number[FP_SAFETY_DIGITS + 1],
	      uint8_t *scannable, size_t scannable_cap, size_t *scannable_len) LIAISON_WUR;
/* 0 when a scanned payload matches ours (as libsignal compares them),
 * LIAISON_ERR_FINGERPRINT when it does not, LIAISON_ERR_INVALID when the
 * payload is not a scannable fingerprint. */
int fp_scannable_compare(signal_context *ctx, const uint8_t *ours, size_t ours_len,
			 const uint8_t *scanned, size_t scanned_len) LIAISON_WUR;

#endif
