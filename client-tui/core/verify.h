/* Person-to-person verification of a contact's key (DESIGN.md §5): the
 * safety number and scannable fingerprint of (own account, contact), and
 * "verified" stored per (account, key) in the contact record. It must never
 * mark a key verified that is not the contact's current trusted key, nor
 * compute a safety number for a key the directory does not list. */
#ifndef LIAISON_VERIFY_H
#define LIAISON_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <signal/signal_protocol.h>

#include "client-tui/core/home.h"
#include "client-tui/core/self.h"
#include "client-tui/core/trust.h"
#include "protocol/errors.h"
#include "protocol/fingerprint.h"

enum verify_state {
	VERIFY_NONE = 0,        /* never verified */
	VERIFY_VERIFIED,        /* the current key is the verified one */
	VERIFY_KEY_CHANGED      /* a key was verified, and the current one differs */
};

/* The pair (own account, contact) as verification sees it. */
struct verify_pair {
	uint8_t account[16];                    /* the contact */
	uint8_t key[33];                        /* its current trusted key */
	char number[FP_SAFETY_DIGITS + 1];      /* 60 digits, no spaces */
	uint8_t scannable[FP_SCANNABLE_MAX];    /* what our QR code carries */
	size_t scannable_len;
};

/* Safety number and scannable payload for the contact's current key
 * (trust_lookup). LIAISON_ERR_UNKNOWN_PEER when unlisted (or oneself),
 * LIAISON_ERR_REVOKED / LIAISON_ERR_PENDING for those states. */
int verify_pair_get(struct home *h, const struct self *s, signal_context *ctx,
		    const uint8_t account[16], struct verify_pair *out) LIAISON_WUR;

/* Stores pair->key as the contact's verified key, now; refuses
 * (LIAISON_ERR_IDENTITY) when it is no longer the contact's current key. */
int verify_mark(struct home *h, const struct verify_pair *pair) LIAISON_WUR;

/* Compares a scanned payload (the counterpart's own view of the pair) with
 * ours and marks verified on a match. LIAISON_ERR_FINGERPRINT when the code
 * belongs to another pair or key, LIAISON_ERR_INVALID when it is not a
 * scannable fingerprint at all. */
int verify_scanned(struct home *h, signal_context *ctx, const struct verify_pair *pair,
		   const uint8_t *scanned, size_t scanned_len) LIAISON_WUR;

/* Compares a typed safety number (spaces, tabs and line ends ignored) in
 * constant time and marks verified on a match. LIAISON_ERR_INVALID unless
 * the text holds exactly 60 digits; LIAISON_ERR_FINGERPRINT on a mismatch. */
int verify_number(struct home *h, const struct verify_pair *pair, const char *text) LIAISON_WUR;

/* The state of a contact record against the contact's current trusted key
 * (trust_lookup's; NULL when it lists none: the record's own key counts). */
enum verify_state verify_state_of(const struct trust_contact *c, const uint8_t current[33]);

/* The state of account against trust_lookup's key: VERIFY_NONE when
 * nothing is stored for it. */
int verify_state(struct home *h, const uint8_t account[16], enum verify_state *out) LIAISON_WUR;

/* "DDDDD DDDDD ..." (12 groups, 71 characters) from 60 digits. */
#define VERIFY_NUMBER_TEXT (FP_SAFETY_DIGITS + FP_SAFETY_DIGITS / 5 - 1)
void verify_number_format(const char number[FP_SAFETY_DIGITS + 1],
			  char out[VERIFY_NUMBER_TEXT + 1]);

#endif
