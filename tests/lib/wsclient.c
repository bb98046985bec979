/* Test-only WebSocket client on libwebsockets; see wsclient.h. It checks
 * the relay's pin exactly as the product client must, so a test can never
 * talk to the wrong relay. */
#include "tests/lib/wsclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <openssl/x509.h>

#include "protocol/crypto.h"

struct out_msg {
	struct out_msg *next;
	size_t len;
	uint8_t buf[];		/* LWS_PRE headroom, then the message */
};

struct wsc_ctx {
	struct lws_context *lws;
	lws_sorted_usec_list_t tick;
	uint64_t tick_us;
	uint8_t pin[32];
	struct wsc *all;	/* every connection, freed with the context */
};

struct wsc {
	struct wsc_ctx *ctx;
	struct lws *wsi;
	wsc_message_fn on_message;
	wsc_event_fn on_event;
	wsc_source_fn source;
	void *arg;
	struct out_msg *head, *tail;
	size_t queued;
	uint8_t *rx;
	size_t rx_len;
	int closed;
	struct wsc *next_all;
};

static struct wsc_ctx *the_ctx;	/* the verify callback has no user pointer of ours */

static int pin_matches(X509_STORE_CTX *x509_ctx)
{
	X509 *cert = X509_STORE_CTX_get_current_cert(x509_ctx);
	unsigned char *der = NULL;
	uint8_t h[32];
	int n, ok;

	if (cert == NULL || the_ctx == NULL)
		return 0;
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	if (n <= 0)
		return 0;
	ok = lc_sha256(der, (size_t)n, h) == 0 && lc_equal(h, the_ctx->pin, 32);
	OPENSSL_free(der);
	return ok;
}

static void closed(struct wsc *c, enum wsc_event ev)
{
	if (c->closed)
		return;
	c->closed = 1;
	c->wsi = NULL;
	if (c->on_event != NULL)
		c->on_event(c, ev, c->arg);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		    void *in, size_t len)
{
	struct wsc *c = lws_get_opaque_user_data(wsi);

	switch (reason) {
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION: {
		X509_STORE_CTX *x = user;
		if (X509_STORE_CTX_get_error_depth(x) == 0 && !pin_matches(x))
			return 1;
		X509_STORE_CTX_set_error(x, X509_V_OK);
		return 0;
	}
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (c != NULL && c->on_event != NULL)
			c->on_event(c, WSC_CONNECTED, c->arg);
		if (c != NULL && c->head != NULL)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (c != NULL)
			closed(c, WSC_FAILED);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE: {
		uint8_t *n;
		if (c->rx_len + len > WIRE_MAX_FRAME)
			return -1;
		n = realloc(c->rx, c->rx_len + len + 1);
		if (n == NULL)
			return -1;
		c->rx = n;
		memcpy(c->rx + c->rx_len, in, len);
		c->rx_len += len;
		if (lws_is_final_fragment(wsi)) {
			size_t l = c->rx_len;
			c->rx_len = 0;
			c->on_message(c, c->rx, l, c->arg);
		}
		break;
	}
	case LWS_CALLBACK_CLIENT_WRITEABLE: {
		struct out_msg *o = c->head;
		if (o == NULL && c->source != NULL) {
			uint8_t *buf = NULL;
			size_t n = c->source(c, &buf, c->arg);
			if (n > 0)
				wsc_send_raw(c, buf, n);
			free(buf);
			o = c->head;
		}
		if (o == NULL)
			break;
		if (lws_write(wsi, o->buf + LWS_PRE, o->len, LWS_WRITE_BINARY) < (int)o->len)
			return -1;
		c->head = o->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->queued -= o->len;
		free(o);
		if (c->head != NULL)
			lws_callback_on_writable(wsi);
		break;
	}
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (c != NULL)
			closed(c, WSC_CLOSED);
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ WIRE_SUBPROTOCOL, callback, 0, WIRE_MAX_FRAME, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

int wsc_ctx_new(const uint8_t pin[32], int max_connections, struct wsc_ctx **out)
{
	struct lws_context_creation_info info;
	struct wsc_ctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL)
		return LIAISON_ERR_NOMEM;
	memcpy(ctx->pin, pin, 32);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.fd_limit_per_thread = (unsigned int)max_connections + 16;
	lws_set_log_level(LLL_ERR, NULL);
	the_ctx = ctx;
	ctx->lws = lws_create_context(&info);
	if (ctx->lws == NULL) {
		free(ctx);
		the_ctx = NULL;
		return LIAISON_ERR_NETWORK;
	}
	*out = ctx;
	return 0;
}

void wsc_ctx_free(struct wsc_ctx *ctx)
{
	if (ctx == NULL)
		return;
	if (ctx->tick_us != 0)
		lws_sul_cancel(&ctx->tick);
	lws_context_destroy(ctx->lws);
	while (ctx->all != NULL) {
		struct wsc *c = ctx->all;
		ctx->all = c->next_all;
		while (c->head != NULL) {
			struct out_msg *o = c->head;
			c->head = o->next;
			free(o);
		}
		free(c->rx);
		free(c);
	}
	if (the_ctx == ctx)
		the_ctx = NULL;
	free(ctx);
}

int wsc_connect(struct wsc_ctx *ctx, const char *host, int port, wsc_message_fn on_message,
		wsc_event_fn on_event, void *arg, struct wsc **out)
{
	struct lws_client_connect_info ci;
	struct wsc *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return LIAISON_ERR_NOMEM;
	c->ctx = ctx;
	c->next_all = ctx->all;
	ctx->all = c;
	c->on_message = on_message;
	c->on_event = on_event;
	c->arg = arg;
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx->lws;
	ci.address = host;
	ci.port = port;
	ci.path = "/";
	ci.host = host;
	ci.origin = host;
	ci.protocol = WIRE_SUBPROTOCOL;
	ci.ssl_connection = LCCSCF_USE_SSL | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
	ci.opaque_user_data = c;
	ci.pwsi = &c->wsi;
	*out = c;
	if (lws_client_connect_via_info(&ci) == NULL)
		closed(c, WSC_FAILED);
	return 0;
}

void wsc_send_raw(struct wsc *c, const uint8_t *buf, size_t len)
{
	struct out_msg *o;

	if (c->closed)
		return;
	o = malloc(sizeof(*o) + LWS_PRE + len);
	if (o == NULL) {
		fprintf(stderr, "wsclient: out of memory\n");
		exit(1);
	}
	o->next = NULL;
	o->len = len;
	memcpy(o->buf + LWS_PRE, buf, len);
	if (c->tail != NULL)
		c->tail->next = o;
	else
		c->head = o;
	c->tail = o;
	c->queued += len;
	if (c->wsi != NULL)
		lws_callback_on_writable(c->wsi);
}

void wsc_send_frame(struct wsc *c, Liaison__Frame *f)
{
	uint8_t *packed;
	size_t len;

	if (wire_frame_encode(f, &packed, &len) != 0) {
		fprintf(stderr, "wsclient: frame does not encode\n");
		exit(1);
	}
	wsc_send_raw(c, packed, len);
	free(packed);
}

void wsc_set_source(struct wsc *c, wsc_source_fn source)
{
	c->source = source;
}

void wsc_want_write(struct wsc *c)
{
	if (c->wsi != NULL && !c->closed)
		lws_callback_on_writable(c->wsi);
}

size_t wsc_queued_bytes(const struct wsc *c)
{
	return c->queued;
}

int wsc_is_closed(const struct wsc *c)
{
	return c->closed;
}

void wsc_service(struct wsc_ctx *ctx, int timeout_ms)
{
	lws_service(ctx->lws, timeout_ms);
}

static void tick_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc_ctx *ctx = lws_container_of(sul, struct wsc_ctx, tick);
	lws_sul_schedule(ctx->lws, 0, &ctx->tick, tick_cb, (lws_usec_t)ctx->tick_us);
}

void wsc_tick(struct wsc_ctx *ctx, uint64_t us)
{
	ctx->tick_us = us;
	lws_sul_schedule(ctx->lws, 0, &ctx->tick, tick_cb, (lws_usec_t)us);
}
