/* The client core (DESIGN.md §10): one event loop per process, requests with
 * completion callbacks, timers through lws_sul. A networked command is
 * connect, check the pin, read the challenge, log in, flush the outbox, do
 * its work, wait for its acknowledgements: core_start then core_run. The
 * core never prints for a person and never includes a terminal library;
 * it reports through the handlers its caller installs. */
#ifndef LIAISON_CORE_H
#define LIAISON_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <signal/signal_protocol.h>

#include "client-tui/core/home.h"
#include "client-tui/core/msgstore.h"
#include "client-tui/core/self.h"
#include "directory/directory.h"
#include "protocol/errors.h"
#include "protocol/invite.h"
#include "protocol/wire.h"

struct core;

#define CORE_PREKEY_BATCH 100      /* one-time prekeys made at a time */
#define CORE_PREKEYS_LOW 20        /* the relay's threshold for PrekeysLow */

struct core_handlers {
	/* Logged in (or, for enroll, the challenge has come) and the outbox
	 * has been flushed: (re)start the command's work. Called again after
	 * each reconnect. */
	void (*ready)(struct core *c, void *arg);
	/* After every event the core handled: decide whether the work is done
	 * (NULL when ready and the reply callbacks decide it). */
	void (*progress)(struct core *c, void *arg);
	/* A new message was stored (received, quarantined or undecryptable). */
	void (*message)(struct core *c, const struct msg_record *m, void *arg);
	/* A queued message is on the relay's disk. */
	void (*sent)(struct core *c, const uint8_t message_id[16], void *arg);
};

/* A reply to a request; reply is NULL when the connection was lost first
 * (the request is then forgotten; ready() comes again after reconnecting). */
typedef void (*core_reply_fn)(struct core *c, const Liaison__Item *reply, void *arg);

/* A core for the account in s (url, pin, keys) on the unlocked home h;
 * both must outlive it. For enroll, s is the account about to be made. */
int core_open(struct home *h, struct self *s, struct core **out) LIAISON_WUR;
void core_free(struct core *c);

void core_set_handlers(struct core *c, const struct core_handlers *hd, void *arg);
/* Starts connecting; with login set, logs in after the challenge. */
int core_start(struct core *c, int login) LIAISON_WUR;
/* Runs the loop until *done is set (0), a fatal error (that error), or the
 * deadline in ms since the epoch (LIAISON_ERR_TIMEOUT once logged in,
 * LIAISON_ERR_NETWORK when the relay was never reached). Reconnects with
 * backoff within the deadline. */
int core_run(struct core *c, volatile int *done, uint64_t deadline_ms) LIAISON_WUR;
/* Stops core_run with err (the first error stands). */
void core_fail(struct core *c, int err);
/* 1 once logged in on the current connection. */
int core_ready(const struct core *c);
/* 1 when no request awaits its reply and no delivery awaits processing. */
int core_quiet(const struct core *c);
/* Calls progress() at the given time (ms since the epoch). */
void core_wake_at(struct core *c, uint64_t when_ms);

/* Sends item (its body set by the caller; the id is assigned here) in a
 * frame of its own; cb (may be NULL) gets the reply. */
int core_request(struct core *c, Liaison__Item *item, core_reply_fn cb, void *arg) LIAISON_WUR;

struct home *core_home(struct core *c);
struct self *core_self(struct core *c);
signal_context *core_signal(struct core *c);
signal_protocol_store_context *core_store(struct core *c);

/* --- the directory (dirupdate.c, dirops.c) --- */

struct dirsync;
/* DIR_HEAD_EXEMPT for a secretariat command that will sign a new head. */
void core_set_dir_flags(struct core *c, unsigned flags);
/* Why the directory could not be verified on this run (0 when it was). */
int core_dir_bad(const struct core *c);
/* 1 once the directory was brought up to the relay's head. */
int core_dir_synced(const struct core *c);
/* The verified directory (the process's copy). */
struct dirsync *core_directory(struct core *c);

/* Logs in and brings the directory up to the relay's head (publishing a
 * kept genesis first); nothing else. */
int core_dir_sync(struct home *h, struct self *s, uint64_t deadline_ms) LIAISON_WUR;

/* A secretariat's change to the directory (CONTRACT.md `directory`). */
struct core_dir_op {
	int kind;                        /* DIR_ADD_AUTHORITY, DIR_REVOKE_CONTACT, DIR_CERTIFY; 0: head only */
	struct dir_authority authority;  /* add-authority */
	uint8_t account[16];             /* revoke, certify */
};
/* Verifies the current head (exempt from expiry), applies ops as signed
 * changes, signs a head (and a snapshot when due) and publishes all in one
 * DirPublish; saves the new state once the relay has it. DENIED when s is
 * not an active secretariat (or not the root holder where the root signs). */
int core_dir_publish(struct home *h, struct self *s, const struct core_dir_op *ops, size_t n,
		     uint64_t deadline_ms) LIAISON_WUR;

struct core_enrollment {
	struct enrollment e;
	uint8_t signature[64];
	uint8_t bind_mac[32];
	int has_mac;
	uint64_t enrolled_at;
	uint8_t *bytes;                  /* the enrollment as sent */
	size_t len;
};
/* The relay's pending enrollments (secretariat only); free with
 * core_enrollments_free. Entries that do not decode are skipped. */
int core_dir_pending(struct home *h, struct self *s, uint64_t deadline_ms,
		     struct core_enrollment **list, size_t *n) LIAISON_WUR;
void core_enrollments_free(struct core_enrollment *list, size_t n);
/* Approves the pending accounts (CONTRACT.md `directory approve`): each
 * enrollment's self-signature, its binding (the bind this home kept for
 * the invite, else fingerprint, required), the invite's expiry and one
 * account per invite id; a secretariat's only by the root holder, who
 * certifies its signing key. All in one publication. *failed names the
 * account that was refused (may be NULL). */
int core_dir_approve(struct home *h, struct self *s, const uint8_t (*accounts)[16], size_t n,
		     const char *fingerprint, uint64_t deadline_ms, uint8_t failed[16]) LIAISON_WUR;

/* --- messaging (messaging.c, outbox.c) --- */

/* Takes a text for account to. Nothing is encrypted or saved here: once
 * logged in and the directory verified, the text is encrypted once into
 * the outbox (over the existing session, or one built from a fetched
 * bundle) and sent. LIAISON_ERR_FORK at once when this home recorded a
 * fork; REVOKED and the trust errors at once when the last verified
 * directory already says so. *message_id is chosen here. */
int core_send_text(struct core *c, const uint8_t to[16], const char *text, size_t len,
		   uint8_t message_id[16]) LIAISON_WUR;
/* After core_run failed because the relay could not be reached (NETWORK,
 * TIMEOUT): when the text was not encrypted yet, a session with the
 * recipient exists and the last verified directory trusts it, with no fork
 * or withholding recorded and nothing found wrong on this run, encrypts it
 * into the outbox now, to go with the next send or sync once the directory
 * verifies. Otherwise queues nothing (core_send_queued says which). */
int core_send_queue_offline(struct core *c) LIAISON_WUR;
/* 1 when the text of core_send_text is encrypted and saved in the outbox. */
int core_send_queued(const struct core *c);
/* Asks the relay for everything pending (Deliver pushes, then Drained). */
int core_fetch(struct core *c) LIAISON_WUR;
/* 1 once the relay said the backlog is complete on this connection. */
int core_drained(const struct core *c);
/* New messages stored by this process. */
unsigned core_new_messages(const struct core *c);
/* Sends every outbox entry not already in flight on this connection. */
int core_outbox_flush(struct core *c) LIAISON_WUR;
/* Entries of the outbox. */
int core_outbox_count(struct home *h, size_t *count) LIAISON_WUR;

/* --- keys (prekeys.c) --- */

/* Makes count one-time prekeys from s->next_prekey_id on, stores them and
 * advances s->next_prekey_id (inside the caller's transaction), and fills
 * the wire list (*list, *n, each item and its key bytes malloc'd; free with
 * core_prekeys_free). */
int core_prekeys_make(struct home *h, struct self *s, signal_context *sctx,
		      signal_protocol_store_context *store, unsigned count,
		      Liaison__Prekey ***list, size_t *n) LIAISON_WUR;
void core_prekeys_free(Liaison__Prekey **list, size_t n);

/* --- enrollment and invites (enroll.c, invite_mint.c) --- */

/* Makes the account of inv on the locked, unlocked, empty home h: identity
 * key pair, registration id, signed prekey, CORE_PREKEY_BATCH one-time
 * prekeys, a random account id; for a bootstrap invite the root key and a
 * root-certified signing key, for a secretariat invite a signing key. Sends
 * the Enroll request and, once the relay has committed it, saves the
 * account and its prekeys in one transaction. *out is the saved account.
 * inv->secret is wiped here. A bootstrap enrollment also signs version 1
 * of the directory (head lifetime and snapshot interval: 0 for the
 * defaults) and keeps it with the account, to be published by the next
 * login (core_dir_sync). */
int core_enroll(struct home *h, struct invite *inv, const char *name, const char *title,
		uint64_t head_lifetime_s, uint32_t snapshot_every, uint64_t deadline_ms,
		struct self **out) LIAISON_WUR;

/* Mints an invite signed by s (its signing key; the root key for role
 * secretariat) for an authority the verified directory lists (its country
 * and name are taken from there; NOT_FOUND otherwise), registers it with
 * the relay, keeps bind encrypted in the home (VT_INVITE) and returns the
 * token (*token malloc'd). DENIED when s may not mint it. */
int core_invite_mint(struct home *h, struct self *s, int role, const char *authority,
		     uint64_t expires_ms, uint64_t deadline_ms, char **token) LIAISON_WUR;

#endif
