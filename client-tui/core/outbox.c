/* The outbox (VT_OUTBOX, DESIGN.md §7): each message's ciphertext, saved with
 * the advanced session before it first goes out, resent byte for byte until
 * the relay acknowledges it after its commit. Never re-encrypts; holds an
 * entry whose recipient's trusted key is no longer the one it was made for. */
#include "client-tui/core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include "client-tui/core/trust.h"
#include "client-tui/core/vault.h"
#include "protocol/buf.h"
#include "protocol/crypto.h"
#include "protocol/log.h"

#define OUTBOX_VERSION 1
#define OUTBOX_MAX_RECORD (WIRE_MAX_CIPHERTEXT + 256)

struct outbox_entry {
	uint8_t message_id[16];
	uint8_t to[16];
	uint8_t key[33];
	uint8_t type;
	uint8_t *ct;
	size_t ct_len;
};

int outbox_put(struct home *h, const uint8_t message_id[16], const uint8_t to[16],
	       const uint8_t trusted_key[33], uint32_t type, const uint8_t *ct, size_t len)
{
	struct wb w;
	int err;

	if (len > WIRE_MAX_CIPHERTEXT)
		return LIAISON_ERR_TOO_BIG;
	wb_init(&w, OUTBOX_MAX_RECORD);
	wb_u8(&w, OUTBOX_VERSION);
	wb_fixed(&w, message_id, 16);
	wb_fixed(&w, to, 16);
	wb_fixed(&w, trusted_key, 33);
	wb_u8(&w, (uint8_t)type);
	wb_var(&w, ct, len);
	err = wb_status(&w);
	if (err == 0)
		err = vault_put(h, VT_OUTBOX, message_id, 16, w.data, w.len);
	wb_free(&w);
	return err;
}

static int decode_entry(const uint8_t *p, size_t n, struct outbox_entry *e)
{
	struct rd r;
	const uint8_t *ct;
	uint8_t version;
	int err;

	rd_init(&r, p, n);
	if ((err = rd_u8(&r, &version)) != 0)
		return err;
	if (version != OUTBOX_VERSION)
		return LIAISON_ERR_UNSUPPORTED;
	if ((err = rd_fixed(&r, e->message_id, 16)) != 0 || (err = rd_fixed(&r, e->to, 16)) != 0 ||
	    (err = rd_fixed(&r, e->key, 33)) != 0 || (err = rd_u8(&r, &e->type)) != 0 ||
	    (err = rd_var(&r, &ct, &e->ct_len, WIRE_MAX_CIPHERTEXT)) != 0 ||
	    (err = rd_end(&r)) != 0)
		return err;
	if (e->type != 2 && e->type != 3)
		return LIAISON_ERR_INVALID;
	e->ct = malloc(e->ct_len ? e->ct_len : 1);
	if (e->ct == NULL)
		return LIAISON_ERR_NOMEM;
	memcpy(e->ct, ct, e->ct_len);
	return 0;
}

struct entries {
	struct outbox_entry *v;
	size_t n, cap;
};

static void entries_free(struct entries *es)
{
	size_t i;

	for (i = 0; i < es->n; i++)
		free(es->v[i].ct);
	free(es->v);
	es->v = NULL;
	es->n = es->cap = 0;
}

static int collect(const uint8_t *val, size_t vallen, void *arg)
{
	struct entries *es = arg;
	struct outbox_entry e;
	int err;

	memset(&e, 0, sizeof e);
	err = decode_entry(val, vallen, &e);
	if (err != 0)
		return err;
	if (es->n == es->cap) {
		size_t cap = es->cap ? es->cap * 2 : 16;
		struct outbox_entry *v = realloc(es->v, cap * sizeof *v);

		if (v == NULL) {
			free(e.ct);
			return LIAISON_ERR_NOMEM;
		}
		es->v = v;
		es->cap = cap;
	}
	es->v[es->n++] = e;
	return 0;
}

int core_outbox_count(struct home *h, size_t *count)
{
	struct entries es = { NULL, 0, 0 };
	int err;

	err = vault_each(h, VT_OUTBOX, collect, &es);
	if (err == 0)
		*count = es.n;
	entries_free(&es);
	return err;
}

static int in_flight(const struct core *c, const uint8_t id[16])
{
	const struct outbox_flight *f;

	for (f = c->flights; f != NULL; f = f->next) {
		if (memcmp(f->message_id, id, 16) == 0)
			return 1;
	}
	return 0;
}

static void flight_drop(struct core *c, struct outbox_flight *fl)
{
	struct outbox_flight **pp;

	for (pp = &c->flights; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == fl) {
			*pp = fl->next;
			break;
		}
	}
	free(fl);
}

static void on_send_reply(struct core *c, const Liaison__Item *reply, void *arg)
{
	struct outbox_flight *fl = arg;
	struct home *h = c->home;
	uint8_t id[16];
	int err;

	memcpy(id, fl->message_id, 16);
	flight_drop(c, fl);
	if (reply == NULL)
		return;
	if (reply->body_case == LIAISON__ITEM__BODY_ERROR) {
		err = wire_error_code(reply->error);
		if (c->send.active && memcmp(id, c->send.message_id, 16) == 0)
			core_fail(c, err == LIAISON_ERR_NOT_FOUND ? LIAISON_ERR_UNKNOWN_PEER : err);
		else
			log_warn("outbox", "a queued message was refused (%s); it stays queued",
				 liaison_strerror(err));
		return;
	}
	if (reply->body_case != LIAISON__ITEM__BODY_SEND_ACK ||
	    reply->send_ack->message_id.len != 16 ||
	    memcmp(reply->send_ack->message_id.data, id, 16) != 0) {
		core_fail(c, LIAISON_ERR_PROTOCOL);
		return;
	}
	err = home_begin(h);
	if (err != 0)
		goto fail;
	err = msgstore_set_status(h, c->self->account, id, MSG_SENT);
	if (err != 0 && err != LIAISON_ERR_NOT_FOUND)
		goto rollback;
	err = vault_del(h, VT_OUTBOX, id, 16);
	if (err != 0 && err != LIAISON_ERR_NOT_FOUND)
		goto rollback;
	err = home_commit(h);
	if (err != 0)
		goto fail;
	if (c->hd.sent != NULL)
		c->hd.sent(c, id, c->harg);
	return;
rollback:
	home_rollback(h);
fail:
	core_fail(c, err);
}

static int send_entry(struct core *c, const struct outbox_entry *e)
{
	Liaison__Item item = LIAISON__ITEM__INIT;
	Liaison__Send send = LIAISON__SEND__INIT;
	struct outbox_flight *fl;
	int err;

	fl = calloc(1, sizeof *fl);
	if (fl == NULL)
		return LIAISON_ERR_NOMEM;
	memcpy(fl->message_id, e->message_id, 16);
	send.to.data = (uint8_t *)e->to;
	send.to.len = 16;
	send.message_id.data = (uint8_t *)e->message_id;
	send.message_id.len = 16;
	send.type = e->type;
	send.ciphertext.data = e->ct;
	send.ciphertext.len = e->ct_len;
	item.body_case = LIAISON__ITEM__BODY_SEND;
	item.send = &send;
	err = core_request(c, &item, on_send_reply, fl);
	if (err != 0) {
		free(fl);
		return err;
	}
	fl->next = c->flights;
	c->flights = fl;
	return 0;
}

int core_outbox_flush(struct core *c)
{
	struct entries es = { NULL, 0, 0 };
	enum trust_state state;
	uint8_t key[33];
	size_t i;
	int err;

	if (!c->ready || c->dir_bad != 0)
		return 0;	/* a bad directory: nothing is sent */
	err = vault_each(c->home, VT_OUTBOX, collect, &es);
	if (err != 0)
		goto out;
	for (i = 0; i < es.n; i++) {
		struct outbox_entry *e = &es.v[i];

		if (in_flight(c, e->message_id))
			continue;
		/* Trust is asked again: an entry made for a key that is no
		 * longer the trusted one is held, not sent. */
		err = trust_lookup(c->home, e->to, &state, key);
		if (err != 0)
			goto out;
		if (state != TRUST_LISTED || !lc_equal(key, e->key, 33))
			continue;
		err = send_entry(c, e);
		if (err != 0)
			goto out;
	}
out:
	entries_free(&es);
	return err;
}

void outbox_on_closed(struct core *c)
{
	struct outbox_flight *f;

	/* Replies never come now: the requests' callbacks already freed their
	 * flights; anything left is dropped here. */
	while ((f = c->flights) != NULL) {
		c->flights = f->next;
		free(f);
	}
}
