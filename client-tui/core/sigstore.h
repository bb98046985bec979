/* libsignal's stores on the encrypted home (sessions, prekeys, signed
 * prekeys, identity, sender keys). The callbacks never commit on their own:
 * they run inside the caller's transaction (DESIGN.md §7). The identity
 * store trusts only what trust_lookup says (DESIGN.md §5): its
 * is_trusted_identity is trust_check, and save_identity records nothing that
 * bears on trust. */
#ifndef LIAISON_SIGSTORE_H
#define LIAISON_SIGSTORE_H

#include <signal/signal_protocol.h>

#include "client-tui/core/home.h"
#include "client-tui/core/self.h"

#define SIGSTORE_MAX_GROUP_ID 64   /* bytes of a sender key's group id */

/* A store context for the account in self, which must outlive it (as must
 * h and ctx). Refuses (LIAISON_ERR_INVALID) a self whose identity private
 * key does not match its public key. */
int sigstore_new(struct home *h, const struct self *s, signal_context *ctx,
		 signal_protocol_store_context **out) LIAISON_WUR;
void sigstore_free(signal_protocol_store_context *store);

/* The libsignal address of an account: its 26-character id, device 1.
 * name must hold 27 bytes and outlive the address. */
void sigstore_address(const uint8_t account[16], char name[27],
		      signal_protocol_address *addr);

/* Deletes every session (and sender key) of an account, inside the
 * caller's transaction: used when its key changes or it is revoked. */
int sigstore_forget(struct home *h, const uint8_t account[16]) LIAISON_WUR;

/* Deletes one sender key record (group id || sender), inside the caller's
 * transaction: used to rotate one's own sender key (LIBRARY-NOTES.md).
 * 0 also when there was none. */
int sigstore_sender_key_delete(struct home *h, const signal_protocol_sender_key_name *name) LIAISON_WUR;

#endif
