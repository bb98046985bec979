/* One received frame: decoded by wire_frame_decode only, each item checked
 * against the sequence of docs/PROTOCOL.md and handed to its handler; the
 * replies go out together after the store's commit, never before it. */
#include "server/relay.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/log.h"
#include "protocol/timefmt.h"

#define TAG "relay"

static void reply_free(struct reply *rp)
{
	size_t i;
	for (i = 0; i < rp->n_items; i++)
		item_free(rp->items[i]);
	free(rp->items);
	free(rp->wakes);
	free(rp);
}

static void push_prekeys_low(struct conn *target, uint32_t left)
{
	Liaison__Item *it = item_new(0);
	Liaison__PrekeysLow *pl = malloc(sizeof(*pl));
	if (it == NULL || pl == NULL) {
		item_free(it);
		free(pl);
		return;
	}
	liaison__prekeys_low__init(pl);
	pl->left = left;
	it->body_case = LIAISON__ITEM__BODY_PREKEYS_LOW;
	it->prekeys_low = pl;
	if (conn_queue_items(target, &it, 1) != 0)
		conn_close_soon(target);
}

static void run_wakes(struct relay *r, const struct reply *rp)
{
	struct conn *target;
	size_t i;
	for (i = 0; i < rp->n_wakes; i++) {
		target = conn_find_account(r, rp->wakes[i].account);
		if (target == NULL)
			continue;
		if (rp->wakes[i].kind == WAKE_MAIL) {
			if (target->subscribed || target->fetching) {
				target->mail_waiting = 1;
				conn_pump(target);
			}
		} else if (rp->wakes[i].kind == WAKE_PREKEYS_LOW) {
			push_prekeys_low(target, rp->wakes[i].left);
		}
	}
}

/* The completion of the commit that holds this frame's writes. */
static void reply_done(void *arg, int status)
{
	struct reply *rp = arg;
	struct conn *c = rp->c;
	size_t i;

	if (status != 0) {
		/* Nothing of this frame is on disk: no acknowledgement may go. */
		log_err(TAG, "a commit failed: %s", liaison_strerror(status));
		for (i = 0; i < rp->n_items; i++) {
			uint64_t id = rp->items[i]->id;
			item_free(rp->items[i]);
			rp->items[i] = item_error(id, LIAISON_ERR_STORAGE);
			if (rp->items[i] == NULL) {
				rp->n_items = i;
				break;
			}
		}
		rp->close_after = 1;
		rp->start_fetch = 0;
		rp->n_wakes = 0;
	}
	if (c->wsi != NULL) {
		if (rp->n_items > 0 && conn_queue_items(c, rp->items, rp->n_items) != 0)
			rp->close_after = 1;
		rp->n_items = 0;
		if (rp->start_fetch && !rp->close_after && c->logged_in) {
			c->fetching = 1;
			c->subscribed = 0;
			c->fetch_id = rp->fetch_id;
			c->cursor = 0;
			conn_pump(c);
		}
		if (rp->close_after)
			conn_close_soon(c);
	}
	run_wakes(c->relay, rp);
	conn_unref(c);
	reply_free(rp);
}

static int dispatch(struct conn *c, const Liaison__Item *it, struct reply *rp)
{
	switch (it->body_case) {
	case LIAISON__ITEM__BODY_ENROLL:
		if (c->logged_in)
			return LIAISON_ERR_PROTOCOL;
		return handle_enroll(c, it->id, it->enroll, rp);
	case LIAISON__ITEM__BODY_LOGIN:
		if (c->logged_in)
			return LIAISON_ERR_PROTOCOL;
		return handle_login(c, it->id, it->login, rp);
	default:
		break;
	}
	if (!c->logged_in)
		return LIAISON_ERR_PROTOCOL;
	switch (relay_conn_access(c)) {
	case ACCESS_ACTIVE:
		break;
	case ACCESS_PENDING:
		/* Awaiting approval: logged in, and nothing else. */
		return LIAISON_ERR_PENDING;
	default:
		/* Revoked by the directory; its connection is being closed. */
		rp->close_after = 1;
		return LIAISON_ERR_REVOKED;
	}
	switch (it->body_case) {
	case LIAISON__ITEM__BODY_PREKEY_UPLOAD:
		return handle_prekey_upload(c, it->id, it->prekey_upload, rp);
	case LIAISON__ITEM__BODY_BUNDLE_REQUEST:
		return handle_bundle_request(c, it->id, it->bundle_request, rp);
	case LIAISON__ITEM__BODY_SEND:
		return handle_send(c, it->id, it->send, rp);
	case LIAISON__ITEM__BODY_FETCH:
		return handle_fetch(c, it->id, rp);
	case LIAISON__ITEM__BODY_ACK:
		return handle_ack(c, it->id, it->ack, rp);
	case LIAISON__ITEM__BODY_INVITE_REGISTER:
		return handle_invite_register(c, it->id, it->invite_register, rp);
	case LIAISON__ITEM__BODY_DIR_HEAD_REQUEST:
		return handle_dir_head(c, it->id, rp);
	case LIAISON__ITEM__BODY_DIR_CHANGES_REQUEST:
		return handle_dir_changes(c, it->id, it->dir_changes_request, rp);
	case LIAISON__ITEM__BODY_DIR_SNAPSHOT_REQUEST:
		return handle_dir_snapshot(c, it->id, it->dir_snapshot_request, rp);
	case LIAISON__ITEM__BODY_DIR_PUBLISH:
		return handle_dir_publish(c, it->id, it->dir_publish, rp);
	case LIAISON__ITEM__BODY_PENDING_REQUEST:
		return handle_pending_request(c, it->id, rp);
	default:
		/* Items only the relay sends, or nothing at all. */
		return LIAISON_ERR_PROTOCOL;
	}
}

void relay_handle_frame(struct conn *c, const uint8_t *buf, size_t len)
{
	Liaison__Frame *frame = NULL;
	struct reply *rp;
	size_t i;
	int rc;

	rc = wire_frame_decode(buf, len, &frame);
	if (rc != 0) {
		if (conn_queue_error(c, 0, rc) != 0)
			log_err(TAG, "queueing an error failed");
		conn_close_soon(c);
		return;
	}
	rp = calloc(1, sizeof(*rp));
	if (rp == NULL) {
		wire_frame_free(frame);
		conn_close_soon(c);
		return;
	}
	for (i = 0; i < frame->n_items; i++) {
		const Liaison__Item *it = frame->items[i];
		rc = dispatch(c, it, rp);
		if (rc != 0) {
			if (reply_add(rp, item_error(it->id, rc)) != 0)
				rp->close_after = 1;
			if (rc == LIAISON_ERR_PROTOCOL)
				rp->close_after = 1;
		}
		if (rp->close_after)
			break;
	}
	wire_frame_free(frame);
	rp->c = c;
	conn_ref(c);
	if (store_commit(c->relay->st, reply_done, rp) != 0) {
		reply_done(rp, LIAISON_ERR_NOMEM);
		return;
	}
	/* Group commit without waiting for the end of the turn (which, with
	 * many busy connections, is long): when no sync is in flight this
	 * commits now and starts one, and it completes what a finished sync
	 * made durable; otherwise it costs two mutex checks. */
	store_flush(c->relay->st);
}

void relay_send_challenge(struct conn *c)
{
	Liaison__Item *it = item_new(0);
	Liaison__Challenge *ch = malloc(sizeof(*ch));
	if (it == NULL || ch == NULL) {
		item_free(it);
		free(ch);
		conn_close_soon(c);
		return;
	}
	liaison__challenge__init(ch);
	it->body_case = LIAISON__ITEM__BODY_CHALLENGE;
	it->challenge = ch;
	ch->server_time = time_now_ms();
	if (item_bytes(&ch->server_nonce, c->server_nonce, sizeof(c->server_nonce)) != 0) {
		item_free(it);
		conn_close_soon(c);
		return;
	}
	if (conn_queue_items(c, &it, 1) != 0)
		conn_close_soon(c);
}
