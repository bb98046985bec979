/* The client core's loop: connection, challenge, login, requests matched to
 * their replies by id, pushes handed to messaging, reconnects with backoff
 * inside the caller's deadline. Never prints; every outcome reaches the
 * caller through its handlers or core_run's return value. */
#include "client-tui/core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include "client-tui/core/sigstore.h"
#include "protocol/crypto.h"
#include "protocol/layout.h"
#include "protocol/sig.h"
#include "protocol/signal_provider.h"
#include "protocol/timefmt.h"

#define BACKOFF_FIRST_MS 200
#define BACKOFF_MAX_MS 3000

static void connect_now(struct core *c);

int core_signal_err(int sg)
{
	switch (sg) {
	case SG_ERR_NOMEM:
		return LIAISON_ERR_NOMEM;
	case SG_ERR_UNTRUSTED_IDENTITY:
		return LIAISON_ERR_IDENTITY;
	case SG_ERR_INVALID_KEY:
	case SG_ERR_INVALID_KEY_ID:
		return LIAISON_ERR_SIGNATURE;
	case SG_ERR_LEGACY_MESSAGE:
	case SG_ERR_INVALID_VERSION:
		return LIAISON_ERR_UNSUPPORTED;
	case SG_ERR_DUPLICATE_MESSAGE:
		return LIAISON_ERR_DUPLICATE;
	case SG_ERR_INVALID_MESSAGE:
	case SG_ERR_INVALID_MAC:
	case SG_ERR_NO_SESSION:
		return LIAISON_ERR_DECRYPT;
	default:
		return LIAISON_ERR_CRYPTO;
	}
}

static void progress(struct core *c)
{
	if (c->hd.progress != NULL)
		c->hd.progress(c, c->harg);
}

void core_fail(struct core *c, int err)
{
	if (err == 0)
		err = LIAISON_ERR_INTERNAL;
	if (c->error == 0)
		c->error = err;
	lws_cancel_service(net_context(c->net));
}

/* Forgets every request of the lost connection, telling each owner. */
static void fail_pending(struct core *c)
{
	struct core_pending *p;

	while ((p = c->pending) != NULL) {
		c->pending = p->next;
		if (p->cb != NULL)
			p->cb(c, NULL, p->arg);
		free(p);
	}
}

static void reconnect_cb(lws_sorted_usec_list_t *sul)
{
	struct core *c = lws_container_of(sul, struct core, sul_reconnect);

	if (c->error == 0 && !c->deadline_hit)
		connect_now(c);
}

static void schedule_reconnect(struct core *c)
{
	unsigned ms = c->backoff_ms ? c->backoff_ms : BACKOFF_FIRST_MS;

	c->backoff_ms = ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms * 2;
	lws_sul_schedule(net_context(c->net), 0, &c->sul_reconnect, reconnect_cb,
			 (lws_usec_t)ms * 1000);
}

static void connect_now(struct core *c)
{
	int err = net_connect(c->net);

	if (err != 0 && err != LIAISON_ERR_BUSY)
		schedule_reconnect(c);
}

static void on_ready(struct core *c)
{
	int err;

	c->ready = 1;
	c->ever_ready = 1;
	c->backoff_ms = 0;
	if (c->login) {
		err = core_outbox_flush(c);
		if (err != 0) {
			core_fail(c, err);
			return;
		}
		messaging_on_ready(c);
	}
	if (c->hd.ready != NULL)
		c->hd.ready(c, c->harg);
}

static void on_login_reply(struct core *c, const Liaison__Item *reply, void *arg)
{
	(void)arg;
	if (reply == NULL)
		return;
	if (reply->body_case == LIAISON__ITEM__BODY_ERROR) {
		core_fail(c, wire_error_code(reply->error));
		return;
	}
	if (reply->body_case != LIAISON__ITEM__BODY_LOGIN_OK) {
		core_fail(c, LIAISON_ERR_PROTOCOL);
		return;
	}
	if (reply->login_ok->status == ACCOUNT_PENDING) {
		/* A pending account fetches nothing: awaiting approval. */
		core_fail(c, LIAISON_ERR_PENDING);
		return;
	}
	/* The directory head comes before the outbox and the mailbox. */
	dirupdate_start(c);
}

void core_after_directory(struct core *c)
{
	on_ready(c);
}

static int send_login(struct core *c)
{
	Liaison__Item item = LIAISON__ITEM__INIT;
	Liaison__Login login = LIAISON__LOGIN__INIT;
	ec_private_key *priv = NULL;
	uint8_t cnonce[32], msg[LAYOUT_LOGIN_BYTES], sig[SIG_BYTES];
	uint64_t now = time_now_ms();
	int err;

	lc_random(cnonce, sizeof cnonce);
	layout_login(msg, c->server_nonce, cnonce, c->self->account, c->self->pin, now);
	if (curve_decode_private_point(&priv, c->self->identity_priv, 32, c->sctx) != 0) {
		err = LIAISON_ERR_CRYPTO;
		goto out;
	}
	err = sig_xeddsa_sign(sig, SIG_LOGIN, msg, sizeof msg, priv, c->sctx);
	if (err != 0)
		goto out;
	login.account.data = c->self->account;
	login.account.len = 16;
	login.client_nonce.data = cnonce;
	login.client_nonce.len = sizeof cnonce;
	login.time = now;
	login.signature.data = sig;
	login.signature.len = sizeof sig;
	item.body_case = LIAISON__ITEM__BODY_LOGIN;
	item.login = &login;
	err = core_request(c, &item, on_login_reply, NULL);
out:
	SIGNAL_UNREF(priv);
	lc_wipe(msg, sizeof msg);
	return err;
}

static void on_challenge(struct core *c, const Liaison__Challenge *ch)
{
	int err;

	if (ch->server_nonce.len != sizeof c->server_nonce) {
		core_fail(c, LIAISON_ERR_PROTOCOL);
		return;
	}
	memcpy(c->server_nonce, ch->server_nonce.data, sizeof c->server_nonce);
	if (!c->login) {
		on_ready(c);
		return;
	}
	err = send_login(c);
	if (err != 0)
		core_fail(c, err);
}

static void dispatch(struct core *c, const Liaison__Item *item)
{
	struct core_pending **pp, *p;

	if (item->id != 0) {
		for (pp = &c->pending; *pp != NULL; pp = &(*pp)->next) {
			if ((*pp)->id == item->id)
				break;
		}
		p = *pp;
		if (p != NULL) {
			*pp = p->next;
			if (p->cb != NULL)
				p->cb(c, item, p->arg);
			free(p);
			return;
		}
		/* A reply to a request that wanted no callback (Fetch, whose
		 * Drained echoes its id) is handled by what it is. */
	}
	switch (item->body_case) {
	case LIAISON__ITEM__BODY_CHALLENGE:
		on_challenge(c, item->challenge);
		break;
	case LIAISON__ITEM__BODY_DELIVER:
		if (c->ready && c->login)
			messaging_on_deliver(c, item->deliver);
		break;
	case LIAISON__ITEM__BODY_DRAINED:
		c->drained = 1;
		break;
	case LIAISON__ITEM__BODY_PREKEYS_LOW:
		if (c->ready && c->login)
			messaging_on_prekeys_low(c, item->prekeys_low);
		break;
	case LIAISON__ITEM__BODY_ERROR:
		core_fail(c, wire_error_code(item->error));
		break;
	default:
		break;
	}
}

static void net_opened(void *arg)
{
	(void)arg;
}

static void net_frame(void *arg, const Liaison__Frame *frame)
{
	struct core *c = arg;
	size_t i;

	for (i = 0; i < frame->n_items && c->error == 0; i++)
		dispatch(c, frame->items[i]);
	progress(c);
}

static void net_closed(void *arg, int err)
{
	struct core *c = arg;

	c->ready = 0;
	c->drained = 0;
	fail_pending(c);
	dirupdate_on_closed(c);
	messaging_on_closed(c);
	outbox_on_closed(c);
	if (err == LIAISON_ERR_PIN)
		core_fail(c, err);
	else if (c->error == 0 && !c->deadline_hit)
		schedule_reconnect(c);
	progress(c);
}

int core_open(struct home *h, struct self *s, struct core **out)
{
	static const struct net_callbacks cbs = { net_opened, net_frame, net_closed };
	struct core *c = NULL;
	int err;

	c = calloc(1, sizeof *c);
	if (c == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	c->home = h;
	c->self = s;
	err = sigprov_context_new(&c->sctx);
	if (err != 0)
		goto out;
	err = sigstore_new(h, s, c->sctx, &c->store);
	if (err != 0)
		goto out;
	err = net_new(s->url, s->pin, &cbs, c, &c->net);
	if (err != 0)
		goto out;
	err = dirsync_get(h, &c->dir);
	if (err != 0)
		goto out;
	*out = c;
	c = NULL;
out:
	core_free(c);
	return err;
}

void core_free(struct core *c)
{
	struct core_pending *p;

	if (c == NULL)
		return;
	if (c->net != NULL) {
		lws_sul_cancel(&c->sul_reconnect);
		lws_sul_cancel(&c->sul_deadline);
		lws_sul_cancel(&c->sul_wake);
	}
	c->hd.progress = NULL;
	c->hd.ready = NULL;
	c->hd.message = NULL;
	c->hd.sent = NULL;
	net_free(c->net);
	c->net = NULL;
	while ((p = c->pending) != NULL) {
		c->pending = p->next;
		free(p);
	}
	messaging_free(c);
	outbox_on_closed(c);
	dirupdate_on_closed(c);
	if (c->store != NULL)
		sigstore_free(c->store);
	if (c->sctx != NULL)
		sigprov_context_free(c->sctx);
	free(c);
}

void core_set_handlers(struct core *c, const struct core_handlers *hd, void *arg)
{
	c->hd = *hd;
	c->harg = arg;
}

int core_start(struct core *c, int login)
{
	c->login = login;
	c->started = 1;
	connect_now(c);
	return 0;
}

static void deadline_cb(lws_sorted_usec_list_t *sul)
{
	struct core *c = lws_container_of(sul, struct core, sul_deadline);

	c->deadline_hit = 1;
	/* The sul runs before lws polls again: wake that poll at once. */
	lws_cancel_service(net_context(c->net));
}

static void wake_cb(lws_sorted_usec_list_t *sul)
{
	struct core *c = lws_container_of(sul, struct core, sul_wake);

	progress(c);
	lws_cancel_service(net_context(c->net));
}

void core_wake_at(struct core *c, uint64_t when_ms)
{
	uint64_t now = time_now_ms();

	lws_sul_schedule(net_context(c->net), 0, &c->sul_wake, wake_cb,
			 when_ms > now ? (lws_usec_t)(when_ms - now) * 1000 : 1);
}

int core_run(struct core *c, volatile int *done, uint64_t deadline_ms)
{
	uint64_t now = time_now_ms();
	int err;

	c->deadline_hit = 0;
	if (deadline_ms <= now)
		c->deadline_hit = 1;
	else
		lws_sul_schedule(net_context(c->net), 0, &c->sul_deadline, deadline_cb,
				 (lws_usec_t)(deadline_ms - now) * 1000);
	while (!*done && c->error == 0 && !c->deadline_hit) {
		err = net_service(c->net);
		if (err != 0 && c->error == 0)
			core_fail(c, err);
	}
	lws_sul_cancel(&c->sul_deadline);
	if (*done)
		return c->dir_bad;	/* done, but the directory was bad: exit 4 */
	if (c->error != 0)
		return c->error;
	return c->ever_ready ? LIAISON_ERR_TIMEOUT : LIAISON_ERR_NETWORK;
}

int core_ready(const struct core *c)
{
	return c->ready;
}

int core_quiet(const struct core *c)
{
	return c->pending == NULL && c->inbox_head == NULL;
}

int core_request(struct core *c, Liaison__Item *item, core_reply_fn cb, void *arg)
{
	Liaison__Frame frame = LIAISON__FRAME__INIT;
	Liaison__Item *items[1];
	struct core_pending *p = NULL;
	int err;

	if (cb != NULL) {
		p = calloc(1, sizeof *p);
		if (p == NULL)
			return LIAISON_ERR_NOMEM;
	}
	item->id = ++c->next_id;
	items[0] = item;
	frame.n_items = 1;
	frame.items = items;
	err = net_send(c->net, &frame);
	if (err != 0) {
		free(p);
		return err;
	}
	if (p != NULL) {
		p->id = item->id;
		p->cb = cb;
		p->arg = arg;
		p->next = c->pending;
		c->pending = p;
	}
	return 0;
}

void core_set_dir_flags(struct core *c, unsigned flags)
{
	c->dir_flags = flags;
}

int core_dir_bad(const struct core *c)
{
	return c->dir_bad;
}

int core_dir_synced(const struct core *c)
{
	return c->dir_synced;
}

struct dirsync *core_directory(struct core *c)
{
	return c->dir;
}

struct home *core_home(struct core *c)
{
	return c->home;
}

struct self *core_self(struct core *c)
{
	return c->self;
}

signal_context *core_signal(struct core *c)
{
	return c->sctx;
}

signal_protocol_store_context *core_store(struct core *c)
{
	return c->store;
}
