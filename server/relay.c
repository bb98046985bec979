/* The relay process: one lws context with a TLS vhost (TLS 1.2 and 1.3
 * only) speaking liaison.v1 and a unix-socket vhost for admin commands, the
 * end-of-turn commit, the expiry sweep, and a clean stop on SIGTERM/SIGINT.
 * Signal handlers only set a flag and cancel the service wait. */
#include "server/relay.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "protocol/log.h"
#include "protocol/signal_provider.h"
#include "protocol/timefmt.h"
#include "server/datadir.h"

#define TAG "relay"
/* Between the end of one expiry pass and the start of the next: a quarter
 * of --expire-after, at most an hour (a pass walks every stored id). */
#define SWEEP_MAX_S 3600
#define EXPIRE_STEP_ROWS 200		/* messages or ids per step: about 0.1 ms */
#define EXPIRE_STEP_GAP_US 20000	/* between the steps of a pass */

/* The test hook of relay.h: NULL here, set only by tests/tools/tamper_relay.c. */
void (*relay_test_tamper)(struct conn *c, Liaison__Frame *out) = NULL;

static volatile sig_atomic_t stop_requested;
static struct lws_context *volatile signal_context_ptr;

static void on_signal(int sig)
{
	struct lws_context *ctx = signal_context_ptr;
	(void)sig;
	stop_requested = 1;
	if (ctx != NULL)
		lws_cancel_service(ctx);
}

/* ---- connections per address ---------------------------------------- */

struct addr_count {
	struct addr_count *next;
	uint8_t key[17];			/* family byte + up to 16 address bytes */
	unsigned count;
};

static void addr_key(const struct sockaddr_storage *ss, uint8_t key[17])
{
	memset(key, 0, 17);
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		key[0] = 6;
		memcpy(key + 1, &s6->sin6_addr, 16);
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		key[0] = 4;
		memcpy(key + 1, &s4->sin_addr, 4);
	}
}

static unsigned addr_hash(const uint8_t key[17])
{
	unsigned h = 2166136261u, i;
	for (i = 0; i < 17; i++)
		h = (h ^ key[i]) * 16777619u;
	return h & 255;
}

static void addr_release_fd(struct relay *r, int fd)
{
	struct addr_count *a, **pp;
	if (fd < 0 || (size_t)fd >= r->n_fd_addr || r->fd_addr[fd] == NULL)
		return;
	a = r->fd_addr[fd];
	r->fd_addr[fd] = NULL;
	if (--a->count > 0)
		return;
	for (pp = &r->addrs[addr_hash(a->key)]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	}
	free(a);
}

/* 0 to accept the connection on fd, -1 to refuse it. */
static int addr_admit(struct relay *r, const struct sockaddr_storage *ss, int fd)
{
	struct addr_count *a;
	uint8_t key[17];
	unsigned h;

	if (fd < 0)
		return -1;
	if ((size_t)fd >= r->n_fd_addr) {
		size_t n = (size_t)fd + 1024;
		struct addr_count **p = realloc(r->fd_addr, n * sizeof(*p));
		if (p == NULL)
			return -1;
		memset(p + r->n_fd_addr, 0, (n - r->n_fd_addr) * sizeof(*p));
		r->fd_addr = p;
		r->n_fd_addr = n;
	}
	/* A descriptor reused without our seeing its close: release it now. */
	addr_release_fd(r, fd);
	addr_key(ss, key);
	h = addr_hash(key);
	for (a = r->addrs[h]; a != NULL; a = a->next)
		if (memcmp(a->key, key, sizeof(key)) == 0)
			break;
	if (a == NULL) {
		a = calloc(1, sizeof(*a));
		if (a == NULL)
			return -1;
		memcpy(a->key, key, sizeof(key));
		a->next = r->addrs[h];
		r->addrs[h] = a;
	}
	if (a->count >= r->max_per_address) {
		log_warn(TAG, "refused a connection: too many from one address");
		return -1;
	}
	a->count++;
	r->fd_addr[fd] = a;
	return 0;
}

static void addr_free_all(struct relay *r)
{
	struct addr_count *a, *next;
	size_t i;
	for (i = 0; i < 256; i++) {
		for (a = r->addrs[i]; a != NULL; a = next) {
			next = a->next;
			free(a);
		}
		r->addrs[i] = NULL;
	}
	free(r->fd_addr);
	r->fd_addr = NULL;
	r->n_fd_addr = 0;
}

/* ---- the liaison.v1 protocol ----------------------------------------- */

static int relay_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
			  void *in, size_t len)
{
	struct relay *r = lws_context_user(lws_get_context(wsi));
	struct conn **slot = user;
	struct conn *c = slot != NULL ? *slot : NULL;

	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION: {
		const struct lws_filter_network_conn_args *f = user;
		return addr_admit(r, &f->cli_addr, (int)(intptr_t)in);
	}
	case LWS_CALLBACK_ESTABLISHED:
		if (slot == NULL)
			return -1;
		c = conn_new(r, wsi);
		if (c == NULL)
			return -1;
		*slot = c;
		relay_send_challenge(c);
		lws_set_timer_usecs(wsi, (lws_usec_t)RELAY_PING_SECONDS * LWS_US_PER_SEC);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (c == NULL)
			return -1;
		return conn_receive(c, in, len);
	case LWS_CALLBACK_RECEIVE_PONG:
		if (c != NULL)
			c->awaiting_pong = 0;
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (c == NULL)
			return -1;
		return conn_writeable(c);
	case LWS_CALLBACK_TIMER:
		if (c != NULL)
			conn_keepalive(c);
		return 0;
	case LWS_CALLBACK_CLOSED:
		addr_release_fd(r, lws_get_socket_fd(wsi));
		if (c != NULL) {
			*slot = NULL;
			conn_closed(c);
		}
		return 0;
	case LWS_CALLBACK_CLOSED_HTTP:
		addr_release_fd(r, lws_get_socket_fd(wsi));
		return 0;
	case LWS_CALLBACK_HTTP:
		/* Only WebSocket upgrades are served. */
		return -1;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		/* The store's sync thread (or a signal) woke us: complete the
		 * batches now durable. */
		if (r != NULL && r->st != NULL)
			store_flush(r->st);
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static const struct lws_protocols relay_protocols[] = {
	{
		.name = WIRE_SUBPROTOCOL,
		.callback = relay_callback,
		.per_session_data_size = sizeof(struct conn *),
		.rx_buffer_size = 65536,
	},
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* ---- the end-of-turn commit and the sweep ---------------------------- */

static void flush_cb(lws_sorted_usec_list_t *sul)
{
	struct relay *r = lws_container_of(sul, struct relay, sul_flush);
	store_flush(r->st);
}

void relay_schedule_flush(void *arg)
{
	struct relay *r = arg;
	lws_sul_schedule(r->ctx, 0, &r->sul_flush, flush_cb, 0);
}

/* From the store's sync thread: lws_cancel_service is the one lws call
 * that is safe there; the loop then gets LWS_CALLBACK_EVENT_WAIT_CANCELLED. */
static void relay_wake(void *arg)
{
	struct relay *r = arg;
	lws_cancel_service(r->ctx);
}

static void sweep_done(void *arg, int status)
{
	(void)arg;
	if (status != 0)
		log_err(TAG, "the expiry sweep was not committed: %s", liaison_strerror(status));
}

static uint64_t sweep_interval_s(const struct relay *r)
{
	uint64_t s = r->expire_after_ms / 4000;
	if (s < 1)
		s = 1;
	return s > SWEEP_MAX_S ? SWEEP_MAX_S : s;
}

/* One step of an expiry pass (store_expire_step): a pass starts every
 * sweep interval and goes on in small steps, EXPIRE_STEP_GAP_US apart, so
 * that a store of millions of message ids never holds up the loop. */
static void sweep_cb(lws_sorted_usec_list_t *sul)
{
	struct relay *r = lws_container_of(sul, struct relay, sul_sweep);
	uint64_t removed = 0, now = time_now_ms();
	int done = 0;
	int rc = store_expire_step(r->st, now > r->expire_after_ms ? now - r->expire_after_ms : 0,
				   EXPIRE_STEP_ROWS, &removed, &done);
	if (rc != 0) {
		log_err(TAG, "expiry sweep: %s", liaison_strerror(rc));
		done = 1;	/* the store starts the pass over; next interval */
	}
	r->sweep_removed += removed;
	if (done) {
		if (r->sweep_removed > 0)
			log_info(TAG, "expired %llu undelivered messages",
				 (unsigned long long)r->sweep_removed);
		r->sweep_removed = 0;
	}
	if (store_commit(r->st, sweep_done, NULL) != 0)
		log_err(TAG, "expiry sweep: cannot commit");
	lws_sul_schedule(r->ctx, 0, &r->sul_sweep, sweep_cb,
			 done ? (lws_usec_t)sweep_interval_s(r) * LWS_US_PER_SEC : EXPIRE_STEP_GAP_US);
}

int relay_close_account(struct relay *r, const uint8_t account[16], int code)
{
	struct conn *c = conn_find_account(r, account);
	if (c == NULL)
		return 0;
	if (conn_queue_error(c, 0, code) != 0)
		log_err(TAG, "queueing the revocation notice failed");
	conn_close_soon(c);
	return 1;
}

void relay_fatal(struct relay *r, const char *why)
{
	log_err(TAG, "stopping: %s", why);
	stop_requested = 1;
	if (r->ctx != NULL)
		lws_cancel_service(r->ctx);
}

/* ---- start and stop -------------------------------------------------- */

static int take_lock(const char *dir, int *fd_out)
{
	char path[4096];
	int fd, rc = datadir_path(dir, DATADIR_LOCK, path, sizeof(path));
	if (rc != 0)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return LIAISON_ERR_IO;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return LIAISON_ERR_LOCKED;
	}
	*fd_out = fd;
	return 0;
}

static int load_identity(struct relay *r, const char *dir, char *cert, char *key, size_t sz)
{
	int rc = datadir_path(dir, DATADIR_CERT, cert, sz);
	if (rc == 0)
		rc = datadir_path(dir, DATADIR_KEY, key, sz);
	if (rc == 0)
		rc = tls_cert_pin(cert, r->pin);
	if (rc == 0)
		rc = store_setting_get(r->st, DATADIR_SETTING_URL, r->url, sizeof(r->url));
	return rc;
}

int relay_run(const struct relay_config *cfg)
{
	static struct lws_protocols admin_list[2];
	struct lws_context_creation_info info;
	struct relay *r = NULL;
	struct sigaction sa;
	char db[4096], cert[4096], key[4096], sock[4096];
	int lock_fd = -1, rc;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return LIAISON_ERR_NOMEM;
	if (strlen(cfg->data_dir) >= sizeof(r->data_dir)) {
		rc = LIAISON_ERR_TOO_BIG;
		goto out;
	}
	memcpy(r->data_dir, cfg->data_dir, strlen(cfg->data_dir) + 1);
	r->expire_after_ms = cfg->expire_after_s * 1000;
	r->tx_buf = malloc(LWS_PRE + WIRE_MAX_FRAME);
	if (r->tx_buf == NULL) {
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	r->max_per_address = cfg->max_per_address;
	rc = datadir_path(cfg->data_dir, DATADIR_DB, db, sizeof(db));
	if (rc == 0)
		rc = datadir_path(cfg->data_dir, DATADIR_ADMIN_SOCK, sock, sizeof(sock));
	if (rc != 0)
		goto out;
	if (access(db, F_OK) != 0) {
		rc = LIAISON_ERR_NOT_INITIALISED;
		goto out;
	}
	rc = take_lock(cfg->data_dir, &lock_fd);
	if (rc != 0)
		goto out;
	rc = store_open(db, 0, &r->st);
	if (rc != 0)
		goto out;
	rc = load_identity(r, cfg->data_dir, cert, key, sizeof(cert));
	if (rc != 0)
		goto out;
	rc = sigprov_context_new(&r->sig);
	if (rc != 0)
		goto out;
	rc = relay_dir_load(r, cfg->failure);
	if (rc != 0)
		goto out;

	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.user = r;
	r->ctx = lws_create_context(&info);
	if (r->ctx == NULL) {
		rc = LIAISON_ERR_NETWORK;
		goto out;
	}

	memset(&info, 0, sizeof(info));
	info.vhost_name = "relay";
	info.port = cfg->listen_port;
	info.iface = cfg->listen_host;
	info.protocols = relay_protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
		       LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.ssl_cert_filepath = cert;
	info.ssl_private_key_filepath = key;
	info.ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
	r->vhost = lws_create_vhost(r->ctx, &info);
	if (r->vhost == NULL) {
		log_err(TAG, "cannot listen on %s:%d", cfg->listen_host, cfg->listen_port);
		rc = LIAISON_ERR_NETWORK;
		goto out;
	}

	admin_list[0] = admin_protocol;	/* an extern const: copied at run time */
	memset(&info, 0, sizeof(info));
	info.vhost_name = "admin";
	info.port = 0;
	info.iface = sock;
	info.protocols = admin_list;
	info.options = LWS_SERVER_OPTION_UNIX_SOCK | LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG;
	info.listen_accept_role = "raw-skt";
	info.listen_accept_protocol = admin_protocol.name;
	{
		mode_t old = umask(0077);
		r->admin_vhost = lws_create_vhost(r->ctx, &info);
		umask(old);
	}
	if (r->admin_vhost == NULL || chmod(sock, 0600) != 0) {
		log_err(TAG, "cannot open the admin socket");
		rc = LIAISON_ERR_IO;
		goto out;
	}

	rc = store_set_scheduler(r->st, relay_schedule_flush, relay_wake, r);
	if (rc != 0)
		goto out;
	lws_sul_schedule(r->ctx, 0, &r->sul_sweep, sweep_cb, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	signal_context_ptr = r->ctx;
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0) {
		rc = LIAISON_ERR_INTERNAL;
		goto out;
	}
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0) {
		rc = LIAISON_ERR_INTERNAL;
		goto out;
	}

	fprintf(stderr, "listening %s:%d\n", cfg->listen_host, cfg->listen_port);
	fflush(stderr);
	while (!stop_requested) {
		if (lws_service(r->ctx, 0) < 0)
			break;
	}
	rc = 0;
out:
	if (r->st != NULL) {
		/* The sync thread must be gone before the context it wakes. */
		if (store_set_scheduler(r->st, NULL, NULL, NULL) != 0)
			log_err(TAG, "stopping the store's sync thread failed");
		store_flush(r->st);
	}
	signal_context_ptr = NULL;
	if (r->ctx != NULL) {
		lws_sul_cancel(&r->sul_flush);
		lws_sul_cancel(&r->sul_sweep);
		lws_context_destroy(r->ctx);
	}
	/* Closing connections may have staged nothing, but flush to be sure. */
	store_close(r->st);
	relay_dir_free(r);
	sigprov_context_free(r->sig);
	addr_free_all(r);
	free(r->tx_buf);
	if (lock_fd >= 0)
		close(lock_fd);
	free(r);
	return rc;
}
