/* One client connection: reassembly bounded by WIRE_MAX_FRAME before any
 * byte is buffered, an outgoing queue of items with a byte limit, packed
 * into one frame and one lws_write per writeable callback, keepalive, and
 * the delivery pump. It never writes outside the writeable callback. */
#include "server/relay.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/crypto.h"
#include "protocol/log.h"
#include "protocol/timefmt.h"

#define TAG "conn"

static unsigned bucket_of(const uint8_t account[16])
{
	return (unsigned)(((unsigned)account[0] << 8 | account[1]) % RELAY_ACCOUNT_BUCKETS);
}

struct conn *conn_new(struct relay *r, struct lws *wsi)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->relay = r;
	c->wsi = wsi;
	c->refs = 1;
	c->connected_ms = time_now_ms();
	lc_random(c->server_nonce, sizeof(c->server_nonce));
	return c;
}

void conn_ref(struct conn *c)
{
	c->refs++;
}

static void unlink_account(struct conn *c)
{
	struct conn **pp;
	if (!c->logged_in)
		return;
	for (pp = &c->relay->by_account[bucket_of(c->account)]; *pp != NULL;
	     pp = &(*pp)->next_same_bucket) {
		if (*pp == c) {
			*pp = c->next_same_bucket;
			break;
		}
	}
	c->next_same_bucket = NULL;
	c->logged_in = 0;
}

static void drop_queue(struct conn *c)
{
	size_t i;
	for (i = 0; i < c->out.len; i++)
		item_free(c->out.items[c->out.head + i]);
	free(c->out.items);
	free(c->out.sizes);
	memset(&c->out, 0, sizeof(c->out));
	c->out_bytes = 0;
}

void conn_unref(struct conn *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	unlink_account(c);
	drop_queue(c);
	free(c->rx);
	free(c);
}

void conn_closed(struct conn *c)
{
	unlink_account(c);
	c->wsi = NULL;
	drop_queue(c);
	free(c->rx);
	c->rx = NULL;
	c->rx_len = c->rx_cap = 0;
	conn_unref(c);
}

void conn_login(struct conn *c, const struct store_account *a)
{
	unsigned b = bucket_of(a->id);
	unlink_account(c);
	memcpy(c->account, a->id, 16);
	memcpy(c->identity_key, a->identity_key, sizeof(c->identity_key));
	c->role = a->role;
	c->bootstrap = a->bootstrap;
	c->pre_directory = a->pre_directory;
	c->logged_in = 1;
	c->next_same_bucket = c->relay->by_account[b];
	c->relay->by_account[b] = c;
}

struct conn *conn_find_account(struct relay *r, const uint8_t account[16])
{
	struct conn *c;
	for (c = r->by_account[bucket_of(account)]; c != NULL; c = c->next_same_bucket)
		if (c->wsi != NULL && !c->closing && memcmp(c->account, account, 16) == 0)
			return c;
	return NULL;
}

static void update_flow(struct conn *c)
{
	if (c->wsi == NULL)
		return;
	if (!c->rx_paused && c->out_bytes > RELAY_OUT_LIMIT) {
		c->rx_paused = 1;
		if (lws_rx_flow_control(c->wsi, 0) < 0)
			log_warn(TAG, "pausing a slow client failed");
	} else if (c->rx_paused && c->out_bytes < RELAY_OUT_LIMIT / 2) {
		c->rx_paused = 0;
		if (lws_rx_flow_control(c->wsi, 1) < 0)
			log_warn(TAG, "resuming a client failed");
	}
}

/* Room for n more items at the tail. */
static int queue_reserve(struct out_queue *q, size_t n)
{
	size_t cap;
	Liaison__Item **items;
	size_t *sizes;

	if (q->head + q->len + n <= q->cap)
		return 0;
	if (q->head > 0) {
		memmove(q->items, q->items + q->head, q->len * sizeof(*q->items));
		memmove(q->sizes, q->sizes + q->head, q->len * sizeof(*q->sizes));
		q->head = 0;
		if (q->len + n <= q->cap)
			return 0;
	}
	cap = q->cap ? q->cap : 16;
	while (cap < q->len + n)
		cap *= 2;
	items = realloc(q->items, cap * sizeof(*items));
	if (items == NULL)
		return LIAISON_ERR_NOMEM;
	q->items = items;
	sizes = realloc(q->sizes, cap * sizeof(*sizes));
	if (sizes == NULL)
		return LIAISON_ERR_NOMEM;
	q->sizes = sizes;
	q->cap = cap;
	return 0;
}

int conn_queue_items(struct conn *c, Liaison__Item **items, size_t n)
{
	struct out_queue *q = &c->out;
	size_t i, at;
	int rc = 0;

	if (c->wsi == NULL)
		goto out;
	rc = queue_reserve(q, n);
	if (rc != 0)
		goto out;
	for (i = 0; i < n; i++) {
		at = q->head + q->len++;
		q->items[at] = items[i];
		/* The item's tag and length within the frame, and some slack. */
		q->sizes[at] = protobuf_c_message_get_packed_size(&items[i]->base) + 16;
		c->out_bytes += q->sizes[at];
		items[i] = NULL;
	}
	update_flow(c);
	lws_callback_on_writable(c->wsi);
out:
	for (i = 0; i < n; i++)
		item_free(items[i]);
	return rc;
}

int conn_queue_error(struct conn *c, uint64_t id, int code)
{
	Liaison__Item *it = item_error(id, code);
	if (it == NULL)
		return LIAISON_ERR_NOMEM;
	return conn_queue_items(c, &it, 1);
}

void conn_close_soon(struct conn *c)
{
	if (c->wsi == NULL || c->closing)
		return;
	c->closing = 1;
	c->fetching = c->subscribed = c->mail_waiting = 0;
	unlink_account(c);
	lws_callback_on_writable(c->wsi);
	/* A peer that stops reading must not hold the socket open. */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_REASON_BASE, 5);
}

/* Packs the queue's oldest items, as many as one frame holds, into the
 * relay's write buffer: 0 and *len, or an error. */
static int pack_frame(struct conn *c, size_t *taken, size_t *len)
{
	Liaison__Frame frame = LIAISON__FRAME__INIT;
	struct out_queue *q = &c->out;
	size_t n = 0, fill = 0, out_len = 0;
	uint8_t *buf = NULL;
	int rc;

	while (n < q->len && n < WIRE_MAX_ITEMS &&
	       (n == 0 || fill + q->sizes[q->head + n] <= RELAY_FRAME_FILL))
		fill += q->sizes[q->head + n++];
	frame.n_items = n;
	frame.items = q->items + q->head;
	if (relay_test_tamper != NULL)
		relay_test_tamper(c, &frame);	/* tests only (relay.h) */
	rc = wire_frame_encode(&frame, &buf, &out_len);
	if (rc == 0) {
		memcpy(c->relay->tx_buf + LWS_PRE, buf, out_len);
		*taken = n;
		*len = out_len;
	}
	free(buf);
	return rc;
}

int conn_writeable(struct conn *c)
{
	struct out_queue *q = &c->out;
	uint8_t ping[LWS_PRE + 8];
	size_t taken = 0, len = 0, i;
	int n, rc;

	if (c->ping_due) {
		c->ping_due = 0;
		lc_random(ping + LWS_PRE, 8);
		if (lws_write(c->wsi, ping + LWS_PRE, 8, LWS_WRITE_PING) < 8)
			return -1;
		if (q->len > 0 || c->closing)
			lws_callback_on_writable(c->wsi);
		return 0;
	}
	/* Deliveries due now travel in the same frame as the replies. */
	conn_pump(c);
	if (q->len == 0)
		return c->closing ? -1 : 0;
	rc = pack_frame(c, &taken, &len);
	if (rc != 0) {
		log_err(TAG, "encoding a frame: %s", liaison_strerror(rc));
		return -1;
	}
	n = lws_write(c->wsi, c->relay->tx_buf + LWS_PRE, len, LWS_WRITE_BINARY);
	if (n < 0 || (size_t)n < len)
		return -1;
	for (i = 0; i < taken; i++) {
		item_free(q->items[q->head + i]);
		c->out_bytes -= q->sizes[q->head + i];
	}
	q->head += taken;
	q->len -= taken;
	if (q->len == 0)
		q->head = 0;
	update_flow(c);
	conn_pump(c);
	if (q->len > 0 || c->closing)
		lws_callback_on_writable(c->wsi);
	return 0;
}

int conn_receive(struct conn *c, const void *in, size_t len)
{
	struct lws *wsi = c->wsi;
	int first = lws_is_first_fragment(wsi), final = lws_is_final_fragment(wsi);
	size_t need;
	uint8_t *p;

	c->awaiting_pong = 0;
	if (c->closing)
		return 0;
	if (first)
		c->rx_len = 0;
	if (!lws_frame_is_binary(wsi)) {
		if (conn_queue_error(c, 0, LIAISON_ERR_PROTOCOL) != 0)
			return -1;
		conn_close_soon(c);
		return 0;
	}
	if (len > WIRE_MAX_FRAME - c->rx_len) {
		if (conn_queue_error(c, 0, LIAISON_ERR_TOO_BIG) != 0)
			return -1;
		conn_close_soon(c);
		return 0;
	}
	need = c->rx_len + len;
	if (final && first) {
		/* The common case: the whole message in one callback. */
		relay_handle_frame(c, in, len);
		return 0;
	}
	if (need > c->rx_cap) {
		size_t cap = c->rx_cap ? c->rx_cap : 16384;
		while (cap < need)
			cap *= 2;
		if (cap > WIRE_MAX_FRAME)
			cap = WIRE_MAX_FRAME;
		p = realloc(c->rx, cap);
		if (p == NULL)
			return -1;
		c->rx = p;
		c->rx_cap = cap;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len = need;
	if (final) {
		c->rx_len = 0;
		relay_handle_frame(c, c->rx, need);
		/* Keep memory per idle connection small. */
		if (c->rx_cap > 65536) {
			free(c->rx);
			c->rx = NULL;
			c->rx_cap = 0;
		}
	}
	return 0;
}

struct pump_page {
	Liaison__Item **items;
	size_t n, cap;
	uint64_t last_seq;
	int err;
};

static int add_deliver(void *arg, const struct store_message *m)
{
	struct pump_page *pg = arg;
	Liaison__Item *it;
	Liaison__Deliver *d;

	if (pg->n == pg->cap)
		return LIAISON_ERR_INTERNAL;
	it = item_new(0);
	d = malloc(sizeof(*d));
	if (it == NULL || d == NULL) {
		item_free(it);
		free(d);
		return LIAISON_ERR_NOMEM;
	}
	liaison__deliver__init(d);
	it->body_case = LIAISON__ITEM__BODY_DELIVER;
	it->deliver = d;
	d->seq = m->seq;
	d->type = m->type;
	d->received_at = m->received_at;
	if (item_bytes(&d->from, m->sender, 16) != 0 ||
	    item_bytes(&d->message_id, m->message_id, 16) != 0 ||
	    item_bytes(&d->ciphertext, m->ciphertext, m->ciphertext_len) != 0) {
		item_free(it);
		return LIAISON_ERR_NOMEM;
	}
	pg->items[pg->n++] = it;
	pg->last_seq = m->seq;
	return 0;
}

void conn_pump(struct conn *c)
{
	struct pump_page pg;
	size_t count, i;
	int rc;

	while (c->wsi != NULL && !c->closing && c->out_bytes < RELAY_PUMP_LOW &&
	       (c->fetching || (c->subscribed && c->mail_waiting))) {
		memset(&pg, 0, sizeof(pg));
		pg.cap = RELAY_DELIVER_COUNT;
		pg.items = calloc(pg.cap, sizeof(*pg.items));
		if (pg.items == NULL) {
			conn_close_soon(c);
			return;
		}
		count = 0;
		rc = store_mailbox_fetch(c->relay->st, c->account, c->cursor, RELAY_DELIVER_COUNT,
					 RELAY_DELIVER_BYTES, add_deliver, &pg, &count);
		if (rc == 0 && count == 0) {
			free(pg.items);
			c->mail_waiting = 0;
			if (c->fetching) {
				Liaison__Item *it = item_new(c->fetch_id);
				Liaison__Drained *dr = malloc(sizeof(*dr));
				if (it == NULL || dr == NULL) {
					item_free(it);
					free(dr);
					conn_close_soon(c);
					return;
				}
				liaison__drained__init(dr);
				it->body_case = LIAISON__ITEM__BODY_DRAINED;
				it->drained = dr;
				c->fetching = 0;
				c->subscribed = 1;
				if (conn_queue_items(c, &it, 1) != 0)
					conn_close_soon(c);
			}
			return;
		}
		if (rc == 0) {
			c->cursor = pg.last_seq;
			rc = conn_queue_items(c, pg.items, pg.n);
			pg.n = 0;
		}
		for (i = 0; i < pg.n; i++)
			item_free(pg.items[i]);
		free(pg.items);
		if (rc != 0) {
			log_err(TAG, "delivering: %s", liaison_strerror(rc));
			if (conn_queue_error(c, c->fetch_id, rc) != 0)
				log_err(TAG, "queueing an error failed");
			conn_close_soon(c);
			return;
		}
	}
}

void conn_keepalive(struct conn *c)
{
	if (c->wsi == NULL || c->closing)
		return;
	if (!c->logged_in && time_now_ms() - c->connected_ms > RELAY_LOGIN_SECONDS * 1000ull &&
	    c->out.len == 0) {
		conn_close_soon(c);
		return;
	}
	if (c->awaiting_pong) {
		/* No pong and no data for a whole interval: a dead peer. */
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_REASON_BASE + 1, LWS_TO_KILL_ASYNC);
		return;
	}
	c->awaiting_pong = 1;
	c->ping_due = 1;
	lws_callback_on_writable(c->wsi);
	lws_set_timer_usecs(c->wsi, (lws_usec_t)RELAY_PING_SECONDS * LWS_US_PER_SEC);
}
