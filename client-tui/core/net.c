/* The client's TLS WebSocket to the relay: one lws context, one connection
 * at a time, the pin checked inside the handshake (protocols[0] gets the
 * verification callback), one lws_write per writeable callback from a
 * bounded queue, reassembly bounded by WIRE_MAX_FRAME. Never prints. */
#include "client-tui/core/net.h"

#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "protocol/crypto.h"
#include "protocol/layout.h"

struct net_chunk {
	struct net_chunk *next;
	size_t len;
	uint8_t buf[];          /* LWS_PRE headroom, then len bytes */
};

struct net {
	struct lws_context *ctx;
	struct lws *wsi;
	char host[LAYOUT_MAX_URL + 1];
	char path[LAYOUT_MAX_URL + 1];
	int port;
	uint8_t pin[32];
	struct net_callbacks cb;
	void *arg;
	int active;             /* a connection is open or being opened */
	int open;               /* the WebSocket is established */
	int pin_ok;
	int pin_failed;
	int proto_failed;
	int closing;
	struct net_chunk *qhead, *qtail;
	size_t qbytes;
	uint8_t *rx;
	size_t rxlen;
};

static void queue_clear(struct net *n)
{
	struct net_chunk *c = n->qhead, *next;

	while (c != NULL) {
		next = c->next;
		lc_wipe(c->buf, LWS_PRE + c->len);
		free(c);
		c = next;
	}
	n->qhead = n->qtail = NULL;
	n->qbytes = 0;
}

/* Reports the end of the current connection exactly once. */
static void report_closed(struct net *n)
{
	int err = LIAISON_ERR_NETWORK;

	if (!n->active)
		return;
	if (n->pin_failed)
		err = LIAISON_ERR_PIN;
	else if (n->proto_failed)
		err = LIAISON_ERR_PROTOCOL;
	n->active = 0;
	n->open = 0;
	n->wsi = NULL;
	n->rxlen = 0;
	queue_clear(n);
	if (n->cb.closed != NULL)
		n->cb.closed(n->arg, err);
}

/* SHA-256 of the certificate's DER SubjectPublicKeyInfo against the pin. */
static int pin_matches(const struct net *n, X509 *cert)
{
	unsigned char *der = NULL;
	uint8_t hash[LC_HASH_BYTES];
	int len, ok = 0;

	if (cert == NULL)
		return 0;
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	if (len <= 0 || der == NULL)
		return 0;
	if (lc_sha256(der, (size_t)len, hash) == 0)
		ok = lc_equal(hash, n->pin, sizeof hash);
	OPENSSL_free(der);
	return ok;
}

static int verify_cert(struct net *n, X509_STORE_CTX *xs)
{
	/* Only the relay's own certificate (depth 0) decides; whatever OpenSSL
	 * said of it (self-signed, expired) is overruled by a matching pin. */
	if (X509_STORE_CTX_get_error_depth(xs) > 0) {
		X509_STORE_CTX_set_error(xs, X509_V_OK);
		return 0;
	}
	if (pin_matches(n, X509_STORE_CTX_get_current_cert(xs))) {
		n->pin_ok = 1;
		X509_STORE_CTX_set_error(xs, X509_V_OK);
		return 0;
	}
	n->pin_failed = 1;
	return 1;
}

static int on_receive(struct net *n, struct lws *wsi, const void *in, size_t len)
{
	Liaison__Frame *frame = NULL;

	if (lws_is_first_fragment(wsi))
		n->rxlen = 0;
	if (!lws_frame_is_binary(wsi) || len > WIRE_MAX_FRAME - n->rxlen) {
		n->proto_failed = 1;
		return -1;
	}
	memcpy(n->rx + n->rxlen, in, len);
	n->rxlen += len;
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
		return 0;
	if (wire_frame_decode(n->rx, n->rxlen, &frame) != 0) {
		n->proto_failed = 1;
		n->rxlen = 0;
		return -1;
	}
	n->rxlen = 0;
	if (n->cb.frame != NULL)
		n->cb.frame(n->arg, frame);
	wire_frame_free(frame);
	return n->closing ? -1 : 0;
}

static int on_writeable(struct net *n, struct lws *wsi)
{
	struct net_chunk *c = n->qhead;
	int w;

	if (n->closing)
		return -1;
	if (c == NULL)
		return 0;
	w = lws_write(wsi, c->buf + LWS_PRE, c->len, LWS_WRITE_BINARY);
	if (w < 0 || (size_t)w < c->len)
		return -1;
	n->qhead = c->next;
	if (n->qhead == NULL)
		n->qtail = NULL;
	n->qbytes -= c->len;
	lc_wipe(c->buf, LWS_PRE + c->len);
	free(c);
	if (n->qhead != NULL)
		lws_callback_on_writable(wsi);
	return 0;
}

static int net_callback(struct lws *wsi, enum lws_callback_reasons reason,
			void *user, void *in, size_t len)
{
	struct lws_context *ctx = wsi != NULL ? lws_get_context(wsi) : NULL;
	struct net *n = ctx != NULL ? lws_context_user(ctx) : NULL;

	if (n == NULL)
		return reason == LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION ? 1 : 0;

	switch (reason) {
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
		return verify_cert(n, (X509_STORE_CTX *)user);
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (wsi != n->wsi)
			return -1;
		if (!n->pin_ok) {
			/* The pin was never checked: refuse, whatever happened. */
			n->pin_failed = 1;
			return -1;
		}
		n->open = 1;
		if (n->cb.opened != NULL)
			n->cb.opened(n->arg);
		if (n->qhead != NULL)
			lws_callback_on_writable(wsi);
		return n->closing ? -1 : 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (wsi != n->wsi)
			return -1;
		return on_receive(n, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (wsi != n->wsi)
			return -1;
		return on_writeable(n, wsi);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLIENT_CLOSED:
	case LWS_CALLBACK_WSI_DESTROY:
		if (wsi == n->wsi || (reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR && n->active && !n->open))
			report_closed(n);
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols net_protocols[] = {
	/* protocols[0]: the only one that receives the certificate check. */
	{ WIRE_SUBPROTOCOL, net_callback, 0, WIRE_MAX_FRAME, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

int net_parse_url(const char *url, char *host, size_t hostsz, int *port,
		  char *path, size_t pathsz)
{
	const char *p, *h, *hend, *slash;
	size_t hl;
	long pv = 443;

	if (url == NULL || strncmp(url, "wss://", 6) != 0 || strlen(url) > LAYOUT_MAX_URL)
		return LIAISON_ERR_INVALID;
	p = url + 6;
	if (*p == '[') {
		h = p + 1;
		hend = strchr(h, ']');
		if (hend == NULL)
			return LIAISON_ERR_INVALID;
		p = hend + 1;
	} else {
		h = p;
		hend = p + strcspn(p, ":/");
		p = hend;
	}
	hl = (size_t)(hend - h);
	if (hl == 0 || hl >= hostsz)
		return LIAISON_ERR_INVALID;
	if (*p == ':') {
		char *end;

		p++;
		if (*p < '0' || *p > '9')
			return LIAISON_ERR_INVALID;
		pv = strtol(p, &end, 10);
		if (pv < 1 || pv > 65535 || (*end != '\0' && *end != '/'))
			return LIAISON_ERR_INVALID;
		p = end;
	}
	if (*p != '\0' && *p != '/')
		return LIAISON_ERR_INVALID;
	slash = *p == '/' ? p : "/";
	if (strlen(slash) >= pathsz)
		return LIAISON_ERR_INVALID;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)pv;
	strcpy(path, slash);
	return 0;
}

int net_new(const char *url, const uint8_t pin[32], const struct net_callbacks *cb,
	    void *arg, struct net **out)
{
	struct lws_context_creation_info info;
	struct net *n = NULL;
	int err;

	n = calloc(1, sizeof *n);
	if (n == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	err = net_parse_url(url, n->host, sizeof n->host, &n->port, n->path, sizeof n->path);
	if (err != 0)
		goto out;
	memcpy(n->pin, pin, 32);
	if (cb != NULL)
		n->cb = *cb;
	n->arg = arg;
	n->rx = malloc(WIRE_MAX_FRAME);
	if (n->rx == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}

	lws_set_log_level(getenv("LIAISON_LWS_DEBUG") != NULL ? (LLL_ERR | LLL_WARN | LLL_NOTICE) : 0, NULL);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = net_protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
	info.ssl_client_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
	info.fd_limit_per_thread = 16;
	info.user = n;
	n->ctx = lws_create_context(&info);
	if (n->ctx == NULL) {
		err = LIAISON_ERR_NETWORK;
		goto out;
	}
	*out = n;
	n = NULL;
	err = 0;
out:
	net_free(n);
	return err;
}

void net_free(struct net *n)
{
	if (n == NULL)
		return;
	n->active = 0;	/* no callbacks while the context goes */
	if (n->ctx != NULL)
		lws_context_destroy(n->ctx);
	queue_clear(n);
	if (n->rx != NULL) {
		lc_wipe(n->rx, WIRE_MAX_FRAME);
		free(n->rx);
	}
	free(n);
}

int net_connect(struct net *n)
{
	struct lws_client_connect_info ci;
	struct lws *wsi;

	if (n->active)
		return LIAISON_ERR_BUSY;
	n->pin_ok = n->pin_failed = n->proto_failed = n->closing = 0;
	n->open = 0;
	n->rxlen = 0;
	memset(&ci, 0, sizeof ci);
	ci.context = n->ctx;
	ci.address = n->host;
	ci.port = n->port;
	ci.path = n->path;
	ci.host = n->host;
	ci.origin = n->host;
	ci.protocol = WIRE_SUBPROTOCOL;
	ci.local_protocol_name = WIRE_SUBPROTOCOL;
	/* The pin authenticates the relay, not its name or a CA. */
	ci.ssl_connection = LCCSCF_USE_SSL | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
	ci.pwsi = &n->wsi;
	n->active = 1;
	wsi = lws_client_connect_via_info(&ci);
	if (wsi == NULL) {
		if (!n->active)
			return 0;	/* already reported through the callback */
		n->active = 0;
		n->wsi = NULL;
		return LIAISON_ERR_NETWORK;
	}
	return 0;
}

int net_busy(const struct net *n)
{
	return n->active;
}

void net_close(struct net *n)
{
	if (!n->active || n->wsi == NULL)
		return;
	n->closing = 1;
	lws_callback_on_writable(n->wsi);
}

int net_send(struct net *n, Liaison__Frame *frame)
{
	struct net_chunk *c = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	if (!n->active || n->wsi == NULL || n->closing) {
		err = LIAISON_ERR_NETWORK;
		goto out;
	}
	err = wire_frame_encode(frame, &buf, &len);
	if (err != 0)
		goto out;
	if (len > NET_MAX_QUEUE - n->qbytes) {
		err = LIAISON_ERR_BUSY;
		goto out;
	}
	c = malloc(sizeof *c + LWS_PRE + len);
	if (c == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	c->next = NULL;
	c->len = len;
	memcpy(c->buf + LWS_PRE, buf, len);
	if (n->qtail != NULL)
		n->qtail->next = c;
	else
		n->qhead = c;
	n->qtail = c;
	n->qbytes += len;
	c = NULL;
	if (n->open)
		lws_callback_on_writable(n->wsi);
	err = 0;
out:
	free(c);
	if (buf != NULL) {
		lc_wipe(buf, len);
		free(buf);
	}
	return err;
}

struct lws_context *net_context(struct net *n)
{
	return n->ctx;
}

int net_service(struct net *n)
{
	return lws_service(n->ctx, 0) < 0 ? LIAISON_ERR_NETWORK : 0;
}
