/* The relay's event loop and what its parts share (DESIGN.md §10): one lws
 * context, connections with bounded queues, replies sent only after the
 * store's commit. Nothing here logs message contents or peer addresses. */
#ifndef LIAISON_SERVER_RELAY_H
#define LIAISON_SERVER_RELAY_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>
#include <signal/signal_protocol.h>

#include "directory/directory.h"
#include "protocol/errors.h"
#include "protocol/layout.h"
#include "protocol/wire.h"
#include "server/store.h"

#define RELAY_DEFAULT_HOST "127.0.0.1"
#define RELAY_DEFAULT_PORT 7443
#define RELAY_DEFAULT_EXPIRE_S (30ull * 24 * 3600)
#define RELAY_MAX_CONN_PER_ADDR 64		/* default of run --max-per-address */
#define RELAY_OUT_LIMIT (4u << 20)		/* queued bytes: stop reading past this */
#define RELAY_PUMP_LOW (512u << 10)		/* queue more deliveries only below this */
#define RELAY_DELIVER_BYTES (160u << 10)	/* ciphertext per Deliver frame */
#define RELAY_DELIVER_COUNT 256			/* messages per Deliver frame */
#define RELAY_FRAME_FILL (WIRE_MAX_FRAME - 4096) /* split reply frames here */
#define RELAY_PING_SECONDS 30
#define RELAY_LOGIN_SECONDS 60			/* to log in or enroll after connecting */
#define RELAY_PREKEYS_LOW 20
#define RELAY_CLOCK_SKEW_MS (5ull * 60 * 1000)
#define RELAY_MAX_UPLOAD_PREKEYS 200		/* one-time prekeys in one request */
#define RELAY_MAX_INVITE_MS (366ull * 24 * 3600 * 1000)
#define RELAY_ACCOUNT_BUCKETS 4096
#define RELAY_DIR_PAGE (WIRE_MAX_FRAME - 1024)	/* a directory page, snapshot chunk or pending list */
#define RELAY_DIR_MAX_PUBLISH 256		/* change records in one DirPublish */

/* Why relay_run refused to start, when its stored directory does not verify. */
struct relay_failure {
	int dir_code;				/* 0, or the LIAISON_ERR_* of the failed check */
	uint64_t dir_version;			/* the version that failed (0: head or snapshot) */
	char what[64];				/* "change", "head", "snapshot" */
};

struct relay_config {
	const char *data_dir;
	const char *listen_host;
	int listen_port;
	uint64_t expire_after_s;
	unsigned int max_per_address;	/* open connections from one address */
	struct relay_failure *failure;	/* may be NULL; filled when the directory fails */
};

/* Serves until SIGTERM or SIGINT; 0 on a clean stop. */
int relay_run(const struct relay_config *cfg) LIAISON_WUR;

/* ---- shared by the relay's files ---------------------------------------- */

/* Items waiting to be sent, oldest at head: the writeable callback packs as
 * many as fit into one frame, so the replies and deliveries that became due
 * together leave in one WebSocket message (one lws_write). */
struct out_queue {
	Liaison__Item **items;
	size_t *sizes;				/* each item's encoded size, plus slack */
	size_t head, len, cap;
};

struct relay;

struct conn {
	struct relay *relay;
	struct lws *wsi;			/* NULL once lws closed it */
	int refs;				/* lws's and each pending commit's */
	struct conn *next_same_bucket;		/* logged-in accounts by hash */
	uint8_t server_nonce[32];
	uint64_t connected_ms;
	int logged_in;
	uint8_t account[16];
	uint8_t role;
	int bootstrap;
	int pre_directory;			/* enrolled before any directory existed */
	uint8_t identity_key[STORE_KEY_BYTES];
	uint8_t *rx;				/* a message being reassembled */
	size_t rx_len, rx_cap;
	struct out_queue out;
	size_t out_bytes;			/* the sum of out.sizes */
	int rx_paused;
	int closing;				/* close once the queue is written */
	int ping_due, awaiting_pong;
	int fetching, subscribed, mail_waiting;
	uint64_t fetch_id, cursor;
};

/* The replies to one received frame: sent together, in order, after the
 * commit of the writes the frame staged. */
enum wake_kind { WAKE_MAIL = 1, WAKE_PREKEYS_LOW = 2 };
struct wake {
	uint8_t account[16];
	int kind;
	uint32_t left;
};
struct reply {
	struct conn *c;
	Liaison__Item **items;
	size_t n_items, cap_items;
	struct wake *wakes;
	size_t n_wakes, cap_wakes;
	int close_after;			/* the peer broke the protocol */
	int start_fetch;
	uint64_t fetch_id;
};

struct addr_count;

struct relay {
	struct lws_context *ctx;
	struct lws_vhost *vhost, *admin_vhost;
	struct store *st;
	signal_context *sig;
	uint8_t pin[32];
	char url[LAYOUT_MAX_URL + 1];
	char data_dir[4096];
	uint64_t expire_after_ms;
	uint64_t sweep_removed;		/* messages expired by the pass in progress */
	unsigned int max_per_address;
	lws_sorted_usec_list_t sul_flush;
	uint8_t *tx_buf;			/* LWS_PRE + WIRE_MAX_FRAME: the frame being written */
	lws_sorted_usec_list_t sul_sweep;
	struct conn *by_account[RELAY_ACCOUNT_BUCKETS];
	struct addr_count *addrs[256];
	struct addr_count **fd_addr;		/* per descriptor: the address counted for it */
	size_t n_fd_addr;
	/* The verified directory (NULL before the genesis) and who holds its
	 * root: the genesis' secretariat. */
	struct dir_state *dir;
	uint8_t root_holder[16];
	uint8_t root_key_id[16];
};

/* conn.c */
struct conn *conn_new(struct relay *r, struct lws *wsi);
void conn_ref(struct conn *c);
void conn_unref(struct conn *c);
/* lws closed it: unlinks it and drops lws's reference. */
void conn_closed(struct conn *c);
/* Queues items to be sent in order (frames are cut at write time, under
 * the limits); takes the items, freeing them on failure too. */
int conn_queue_items(struct conn *c, Liaison__Item **items, size_t n) LIAISON_WUR;
int conn_queue_error(struct conn *c, uint64_t id, int code) LIAISON_WUR;
/* Sends what is queued, then closes. */
void conn_close_soon(struct conn *c);
/* The one lws_write of a writeable callback; -1 asks lws to close. */
int conn_writeable(struct conn *c);
/* The received bytes of one WebSocket fragment. */
int conn_receive(struct conn *c, const void *in, size_t len);
void conn_login(struct conn *c, const struct store_account *a);
struct conn *conn_find_account(struct relay *r, const uint8_t account[16]);
/* Queues deliveries while the queue is short (fetch backlog, live mail). */
void conn_pump(struct conn *c);
void conn_keepalive(struct conn *c);

/* reply.c: building items (all fields malloc'd, freed with item_free). */
Liaison__Item *item_new(uint64_t id);
void item_free(Liaison__Item *it);
int item_bytes(ProtobufCBinaryData *b, const void *p, size_t n) LIAISON_WUR;
Liaison__Item *item_error(uint64_t id, int code);
Liaison__Item *item_ok(uint64_t id);
int reply_add(struct reply *rp, Liaison__Item *it) LIAISON_WUR;
int reply_wake(struct reply *rp, const uint8_t account[16], int kind, uint32_t left) LIAISON_WUR;
/* Decodes and handles one received frame (handle.c). */
void relay_handle_frame(struct conn *c, const uint8_t *buf, size_t len);
void relay_send_challenge(struct conn *c);

/* handle_*.c: one per request; each returns 0 with its reply added to rp,
 * or a LIAISON_ERR_* for an Error reply. */
int handle_enroll(struct conn *c, uint64_t id, const Liaison__Enroll *m, struct reply *rp) LIAISON_WUR;
int handle_login(struct conn *c, uint64_t id, const Liaison__Login *m, struct reply *rp) LIAISON_WUR;
int handle_prekey_upload(struct conn *c, uint64_t id, const Liaison__PrekeyUpload *m,
			 struct reply *rp) LIAISON_WUR;
int handle_bundle_request(struct conn *c, uint64_t id, const Liaison__BundleRequest *m,
			  struct reply *rp) LIAISON_WUR;
int handle_send(struct conn *c, uint64_t id, const Liaison__Send *m, struct reply *rp) LIAISON_WUR;
int handle_fetch(struct conn *c, uint64_t id, struct reply *rp) LIAISON_WUR;
int handle_ack(struct conn *c, uint64_t id, const Liaison__Ack *m, struct reply *rp) LIAISON_WUR;
int handle_invite_register(struct conn *c, uint64_t id, const Liaison__InviteRegister *m,
			   struct reply *rp) LIAISON_WUR;
int handle_dir_head(struct conn *c, uint64_t id, struct reply *rp) LIAISON_WUR;
int handle_dir_changes(struct conn *c, uint64_t id, const Liaison__DirChangesRequest *m,
		       struct reply *rp) LIAISON_WUR;
int handle_dir_snapshot(struct conn *c, uint64_t id, const Liaison__DirSnapshotRequest *m,
			struct reply *rp) LIAISON_WUR;
int handle_dir_publish(struct conn *c, uint64_t id, const Liaison__DirPublish *m,
		       struct reply *rp) LIAISON_WUR;
int handle_pending_request(struct conn *c, uint64_t id, struct reply *rp) LIAISON_WUR;
/* Checks a wire prekey against our sizes. */
int handle_copy_prekey(const Liaison__Prekey *in, struct store_prekey *out) LIAISON_WUR;
int handle_copy_signed_prekey(const Liaison__SignedPrekey *in,
			      struct store_signed_prekey *out) LIAISON_WUR;

/* relay.c */
/* Test hook, NULL in the product, which never sets it. Only the test relay
 * tests/tools/tamper_relay.c sets it, so that end-to-end tests can play a
 * hostile relay: conn.c calls it on every frame just before encoding it for
 * c, and it may rewrite the frame's items (their fields are malloc'd, as
 * item_free expects). */
extern void (*relay_test_tamper)(struct conn *c, Liaison__Frame *out);
/* Asks the loop to flush the store at the end of this turn. */
void relay_schedule_flush(void *relay);
/* Closes the account's open connection (revocation); 1 when one was open. */
int relay_close_account(struct relay *r, const uint8_t account[16], int code);

/* relay_dir.c: the relay's verified directory and what it says of accounts. */
enum relay_access { ACCESS_ACTIVE = 1, ACCESS_PENDING, ACCESS_REVOKED };
/* Rebuilds r->dir from the stored records, verifying every one; on failure
 * fills *why (may be NULL) and returns the error. */
int relay_dir_load(struct relay *r, struct relay_failure *why) LIAISON_WUR;
void relay_dir_free(struct relay *r);
/* What the relay lets an account do (docs/PROTOCOL.md §4). */
int relay_access(const struct relay *r, const struct store_account *a);
int relay_conn_access(const struct conn *c);
/* An active secretariat of the directory (before the genesis: the
 * bootstrap account); the root holder (before the genesis: the same). */
int relay_is_secretariat(const struct conn *c);
int relay_is_root_holder(const struct conn *c);
/* Stops the loop: the relay cannot go on safely. */
void relay_fatal(struct relay *r, const char *why);

/* admin.c: the admin socket's protocol, on the relay's loop. */
extern const struct lws_protocols admin_protocol;

#endif
