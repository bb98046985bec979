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
	/* After every event the core handled: decide whether the work is done. */
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

/* --- messaging (messaging.c, outbox.c) --- */

/* Queues a text for account to. When a trusted session exists it is
 * encrypted and saved now (it goes out with the next connection); else the
 * bundle is fetched once logged in. *message_id is chosen here. */
int core_send_text(struct core *c, const uint8_t to[16], const char *text, size_t len,
		   uint8_t message_id[16]) LIAISON_WUR;
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
 * inv->secret is wiped here. */
int core_enroll(struct home *h, struct invite *inv, const char *name, const char *title,
		uint64_t deadline_ms, struct self **out) LIAISON_WUR;

/* Mints an invite signed by s (its signing key; the root key for role
 * secretariat), registers it with the relay, keeps bind encrypted in the
 * home (VT_INVITE) and returns the token (*token malloc'd). DENIED when s
 * may not mint it. */
int core_invite_mint(struct home *h, struct self *s, int role, const char *authority,
		     const char *country, const char *authority_name, uint64_t expires_ms,
		     uint64_t deadline_ms, char **token) LIAISON_WUR;

#endif
