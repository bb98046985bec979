/* The core's private state, shared by core.c, messaging.c and outbox.c only:
 * the connection, the requests awaiting replies, the inbox of deliveries
 * being processed and the command's one outgoing text. Not for cli/ or tui/. */
#ifndef LIAISON_CORE_INT_H
#define LIAISON_CORE_INT_H

#include <libwebsockets.h>
#include <signal/key_helper.h>

#include "client-tui/core/core.h"
#include "client-tui/core/dirsync.h"
#include "client-tui/core/net.h"

struct core_pending {
	struct core_pending *next;
	uint64_t id;
	core_reply_fn cb;
	void *arg;
};

struct inbox_item {
	struct inbox_item *next;
	uint64_t seq;
	uint8_t from[16];
	uint8_t message_id[16];
	uint32_t type;
	uint8_t *ciphertext;       /* NULL when too_big */
	size_t ciphertext_len;
	uint64_t received_at;
	int too_big;
};

struct outbox_flight {
	struct outbox_flight *next;
	uint8_t message_id[16];
};

struct core_send {
	int active;
	int queued;                /* encrypted and in the outbox */
	int bundle_inflight;
	uint8_t to[16];
	uint8_t message_id[16];
	char *text;
	size_t len;
};

/* Bringing the verified directory up to a signed head (dirupdate.c): the
 * relay's (after login) or a peer's (from a message's inner header). */
struct dir_update {
	int active;
	int from_peer;             /* the target head came in a message */
	int chase;                 /* the target is the head kept beyond the state */
	uint8_t *target;           /* the head record being verified */
	size_t target_len;
	struct dir_state *work;    /* the copy being brought forward, or NULL */
	int fetched;               /* every change after work was asked for */
	int snapshot_tried;
	uint8_t *snap_rec;
	size_t snap_rec_len;
	uint8_t *snap_buf;
	uint64_t snap_total, snap_off;
};

struct core {
	struct home *home;
	struct self *self;
	signal_context *sctx;
	signal_protocol_store_context *store;
	struct net *net;
	struct core_handlers hd;
	void *harg;

	int login;
	int started;
	int ready;
	int ever_ready;
	int error;
	int deadline_hit;
	unsigned backoff_ms;
	uint64_t next_id;
	struct core_pending *pending;
	uint8_t server_nonce[32];
	lws_sorted_usec_list_t sul_reconnect;
	lws_sorted_usec_list_t sul_deadline;
	lws_sorted_usec_list_t sul_wake;

	/* receiving */
	struct inbox_item *inbox_head, *inbox_tail;
	int inbox_busy;
	int drained;
	unsigned new_messages;
	uint64_t *acks;
	size_t n_acks, cap_acks;
	int prekeys_inflight;

	/* sending */
	struct outbox_flight *flights;
	struct core_send send;

	/* the directory */
	struct dirsync *dir;
	unsigned dir_flags;        /* DIR_HEAD_EXEMPT for secretariat commands */
	int dir_bad;               /* why the directory could not be verified, or 0 */
	int dir_synced;            /* verified up to the relay's head on this connection */
	struct dir_update du;
};

/* dirupdate.c: after login, before the outbox and the mailbox. */
void dirupdate_start(struct core *c);
/* A head from a peer's message: a newer valid one is fetched up to. */
void dirupdate_peer_head(struct core *c, const uint8_t *rec, size_t len);
void dirupdate_on_closed(struct core *c);
/* A state this client made and the relay acknowledged (dirops.c): st
 * (owned on success) becomes the verified one with its head record. */
int dirupdate_commit(struct core *c, struct dir_state *st, const uint8_t *rec,
		     size_t rec_len) LIAISON_WUR;
/* core.c: what follows a finished update on a fresh connection. */
void core_after_directory(struct core *c);

/* messaging.c */
void messaging_resume(struct core *c);
int messaging_retry_quarantined(struct core *c) LIAISON_WUR;
void messaging_on_ready(struct core *c);
void messaging_on_deliver(struct core *c, const Liaison__Deliver *d);
void messaging_on_prekeys_low(struct core *c, const Liaison__PrekeysLow *p);
void messaging_on_closed(struct core *c);
void messaging_free(struct core *c);

/* outbox.c */
int outbox_put(struct home *h, const uint8_t message_id[16], const uint8_t to[16],
	       const uint8_t trusted_key[33], uint32_t type, const uint8_t *ct,
	       size_t len) LIAISON_WUR;
void outbox_on_closed(struct core *c);

/* prekeys.c: one-time prekeys made without storing them (keys and the
 * wire list), and stored later inside the caller's transaction. */
int core_prekeys_generate(const struct self *s, signal_context *sctx, unsigned count,
			  signal_protocol_key_helper_pre_key_list_node **keys,
			  Liaison__Prekey ***list, size_t *n) LIAISON_WUR;
int core_prekeys_store(signal_protocol_store_context *store,
		       const signal_protocol_key_helper_pre_key_list_node *keys) LIAISON_WUR;

/* A libsignal error as a LIAISON_ERR_*. */
int core_signal_err(int sg);

#endif
