/* Relay load driver (make bench): enrolls its accounts through the real
 * invite flow (tokens minted by a secretariat's `liaison invite`), holds one
 * authenticated TLS WebSocket per account on loopback, and has senders send
 * 256-byte payloads to receivers through the real relay with durable
 * acknowledgement. The payloads are random bytes: the relay cannot tell them
 * from ciphertext, and this measures the relay, not libsignal.
 *
 *   bench_relay --url wss://127.0.0.1:PORT --pin HEX --tokens FILE
 *               [--pairs 50] [--seconds 5] [--rate MSG_PER_S]
 *               [--accounts-out FILE --go-file FILE]
 *
 * New accounts are pending until the secretariat approves them: the driver
 * then writes their ids to --accounts-out, waits for --go-file to appear
 * (the caller runs `liaison directory approve` in between), and logs in
 * again.
 *
 * Without --rate: full speed, prints relay.delivered (msg/s). With --rate:
 * a fixed total rate, prints relay.p50_at_Nk / relay.p99_at_Nk (ms, end to
 * end: send to delivery at the receiver). In rate mode each sender starts at
 * a random phase (independent people do not send in step), and a message is
 * stamped when its frame is handed to TLS, not when it fell due: one thread
 * plays a hundred clients here, and its own queue is not the relay's
 * latency. The receiving side's delay is counted in full, including up to
 * RATE_LOOK_US before the driver looks at its sockets. Every loop is
 * bounded in time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <signal/key_helper.h>
#include <signal/signal_protocol.h>

#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/fingerprint.h"
#include "protocol/invite.h"
#include "protocol/layout.h"
#include "protocol/sig.h"
#include "protocol/signal_provider.h"
#include "protocol/wire.h"
#include "tests/lib/wsclient.h"

#define MAX_PEERS 200
#define PAYLOAD 256
#define WINDOW 256          /* outstanding sends per sender at full speed */
#define BATCH 32            /* sends per frame */
#define MAX_SAMPLES 2000000
#define QUEUE_LIMIT (4 * 1024 * 1024)
/* Rate mode: how often the driver looks at its sockets. This one process
 * plays a hundred clients on the relay's own two cores; woken by every
 * frame it polled its hundred sockets 24,000 times a second and took 0.8 of
 * a core, which the relay then waited for. Looking every 0.5 ms takes 0.5
 * of a core. A frame that arrives meanwhile waits up to 0.5 ms to be seen,
 * and a message due meanwhile leaves at the next look: both only add to
 * the latency measured (a message is stamped as it leaves, and timed when
 * it is seen). */
#define RATE_LOOK_US 500

struct peer {
	int idx;
	struct wsc *conn;
	char token[INVITE_MAX_TOKEN + 1];
	uint8_t account[16];
	uint8_t idpub[33];
	ratchet_identity_key_pair *idpair;
	int logged_in;
	int enrolled;           /* the relay accepted our enrollment */
	int pending;            /* logged in, awaiting approval */
	int is_sender;
	int partner;
	uint64_t next_id;
	long outstanding;
	double credit;          /* rate mode: messages accrued, not yet owed */
	int owed;               /* rate mode: messages due, waiting to leave */
};

static struct peer peers[MAX_PEERS];
static int n_peers;
static uint8_t pin[32];
static char host[256];
static int port;
static signal_context *sctx;
static struct wsc_ctx *wctx;
static int logged_in_count;
static int quiet_close;       /* closing on purpose: not a failure */
static int failed;
static int fetched_count;

static double rate;           /* 0: full speed */
static int measuring;         /* 1 while the window is open */
static uint64_t delivered_in_window;
static uint64_t *samples;     /* latencies in µs */
static size_t n_samples;

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_relay: %s\n", what);
	exit(1);
}

static void queue_frame(struct peer *p, Liaison__Frame *f)
{
	wsc_send_frame(p->conn, f);
}

static void frame_of(Liaison__Frame *f, Liaison__Item **items, size_t n)
{
	liaison__frame__init(f);
	f->n_items = n;
	f->items = items;
}

static void send_enroll_and_login(struct peer *p, const uint8_t server_nonce[32])
{
	struct invite inv;
	uint8_t redeem[32], bind[32];
	if (invite_decode(p->token, strlen(p->token), &inv) != 0)
		die("bad invite token");
	if (invite_derive(inv.secret, redeem, bind) != 0)
		die("invite derive");

	struct enrollment e;
	memset(&e, 0, sizeof(e));
	if (!p->enrolled)
		id_random(p->account);
	memcpy(e.account, p->account, 16);
	snprintf(e.authority, sizeof(e.authority), "%s", inv.authority);
	e.role = inv.role;
	snprintf(e.name, sizeof(e.name), "bench %d", p->idx);
	memcpy(e.invite_id, inv.invite_id, 16);
	e.invite_expires = inv.expires;
	memcpy(e.identity_key, p->idpub, 33);
	struct wb w;
	wb_init(&w, LAYOUT_MAX_ENROLLMENT);
	if (layout_enrollment_encode(&e, &w) != 0 || wb_status(&w) != 0)
		die("enrollment encode");
	uint8_t esig[64], mac[32];
	ec_private_key *priv = ratchet_identity_key_pair_get_private(p->idpair);
	if (sig_xeddsa_sign(esig, SIG_ENROLLMENT, w.data, w.len, priv, sctx) != 0)
		die("enrollment sign");
	if (lc_auth(mac, w.data, w.len, bind) != 0)
		die("bind mac");

	session_signed_pre_key *spk = NULL;
	if (signal_protocol_key_helper_generate_signed_pre_key(&spk, p->idpair, 1,
			(uint64_t)time(NULL) * 1000, sctx) != 0)
		die("signed prekey");
	signal_buffer *spk_pub = NULL;
	if (ec_public_key_serialize(&spk_pub,
			ec_key_pair_get_public(session_signed_pre_key_get_key_pair(spk))) != 0)
		die("signed prekey serialise");

	Liaison__SignedPrekey sp = LIAISON__SIGNED_PREKEY__INIT;
	sp.id = 1;
	sp.public_key.data = signal_buffer_data(spk_pub);
	sp.public_key.len = signal_buffer_len(spk_pub);
	sp.signature.data = (uint8_t *)session_signed_pre_key_get_signature(spk);
	sp.signature.len = session_signed_pre_key_get_signature_len(spk);

	Liaison__Enroll en = LIAISON__ENROLL__INIT;
	en.invite_id.data = inv.invite_id;
	en.invite_id.len = 16;
	en.redeem.data = redeem;
	en.redeem.len = 32;
	en.enrollment.data = w.data;
	en.enrollment.len = w.len;
	en.signature.data = esig;
	en.signature.len = 64;
	en.bind_mac.data = mac;
	en.bind_mac.len = 32;
	en.registration_id = (uint32_t)(p->idx + 1);
	en.signed_prekey = &sp;

	uint8_t cnonce[32], tuple[LAYOUT_LOGIN_BYTES], lsig[64];
	lc_random(cnonce, sizeof(cnonce));
	uint64_t now = (uint64_t)time(NULL) * 1000;
	layout_login(tuple, server_nonce, cnonce, p->account, pin, now);
	if (sig_xeddsa_sign(lsig, SIG_LOGIN, tuple, sizeof(tuple), priv, sctx) != 0)
		die("login sign");
	Liaison__Login lg = LIAISON__LOGIN__INIT;
	lg.account.data = p->account;
	lg.account.len = 16;
	lg.client_nonce.data = cnonce;
	lg.client_nonce.len = 32;
	lg.time = now;
	lg.signature.data = lsig;
	lg.signature.len = 64;

	Liaison__Item i1 = LIAISON__ITEM__INIT, i2 = LIAISON__ITEM__INIT;
	i1.id = 1;
	i1.body_case = LIAISON__ITEM__BODY_ENROLL;
	i1.enroll = &en;
	i2.id = 2;
	i2.body_case = LIAISON__ITEM__BODY_LOGIN;
	i2.login = &lg;
	Liaison__Item *items[2] = { &i1, &i2 };
	Liaison__Frame f;
	/* Once enrolled, a reconnection only logs in. */
	if (p->enrolled)
		frame_of(&f, items + 1, 1);
	else
		frame_of(&f, items, 2);
	p->enrolled = 1;
	queue_frame(p, &f);

	signal_buffer_free(spk_pub);
	SIGNAL_UNREF(spk);
	wb_free(&w);
	lc_wipe(&inv, sizeof(inv));
	lc_wipe(redeem, sizeof(redeem));
	lc_wipe(bind, sizeof(bind));
}

/* Encodes one frame of k (<= BATCH) messages from p to its partner, each
 * payload stamped with the time now; returns its length. */
static size_t build_sends(struct peer *p, int k, uint8_t **packed)
{
	static uint8_t payloads[BATCH][PAYLOAD];
	static uint8_t ids[BATCH][16];
	Liaison__Send sends[BATCH];
	Liaison__Item it[BATCH];
	Liaison__Item *items[BATCH];
	size_t len;

	for (int i = 0; i < k; i++) {
		lc_random(payloads[i], PAYLOAD);
		uint64_t t = mono_us();
		memcpy(payloads[i], &t, sizeof(t));
		wire_message_id_new(ids[i]);
		liaison__send__init(&sends[i]);
		sends[i].to.data = peers[p->partner].account;
		sends[i].to.len = 16;
		sends[i].message_id.data = ids[i];
		sends[i].message_id.len = 16;
		sends[i].type = 2;
		sends[i].ciphertext.data = payloads[i];
		sends[i].ciphertext.len = PAYLOAD;
		liaison__item__init(&it[i]);
		it[i].id = ++p->next_id;
		it[i].body_case = LIAISON__ITEM__BODY_SEND;
		it[i].send = &sends[i];
		items[i] = &it[i];
	}
	Liaison__Frame f;
	frame_of(&f, items, (size_t)k);
	if (wire_frame_encode(&f, packed, &len) != 0)
		die("a frame does not encode");
	p->outstanding += k;
	return len;
}

/* Full speed: queues up to n messages from p, in frames of BATCH. */
static void send_messages(struct peer *p, int n)
{
	while (n > 0 && wsc_queued_bytes(p->conn) < QUEUE_LIMIT) {
		int k = n < BATCH ? n : BATCH;
		uint8_t *packed;
		size_t len = build_sends(p, k, &packed);
		wsc_send_raw(p->conn, packed, len);
		free(packed);
		n -= k;
	}
}

/* Rate mode: the messages a sender owes leave when its connection can
 * take them, stamped as they leave (several in one frame if they piled up,
 * as a client's outbox would send them). */
static size_t owed_source(struct wsc *c, uint8_t **packed, void *arg)
{
	struct peer *p = arg;
	int k = p->owed < BATCH ? p->owed : BATCH;
	size_t len;

	if (k == 0)
		return 0;
	len = build_sends(p, k, packed);
	p->owed -= k;
	if (p->owed > 0)
		wsc_want_write(c);
	return len;
}

static void start_traffic(void)
{
	for (int i = 0; i < n_peers; i++) {
		struct peer *p = &peers[i];
		if (p->is_sender) {
			/* Rate mode: each sender starts at its own random phase, so
			 * that the senders' messages spread over time as
			 * independent people's do, instead of every sender
			 * crossing a whole message in the same tick. */
			uint32_t r;
			lc_random((uint8_t *)&r, sizeof(r));
			p->credit = (double)r / 4294967296.0;
			p->owed = 0;
			if (rate > 0)
				wsc_set_source(p->conn, owed_source);
		} else {
			Liaison__Fetch fe = LIAISON__FETCH__INIT;
			Liaison__Item it = LIAISON__ITEM__INIT;
			it.id = ++p->next_id;
			it.body_case = LIAISON__ITEM__BODY_FETCH;
			it.fetch = &fe;
			Liaison__Item *items[1] = { &it };
			Liaison__Frame f;
			frame_of(&f, items, 1);
			queue_frame(p, &f);
		}
	}
}

static int any_pending(void)
{
	for (int i = 0; i < n_peers; i++)
		if (peers[i].pending)
			return 1;
	return 0;
}

static void on_frame(struct peer *p, const uint8_t *buf, size_t len)
{
	Liaison__Frame *f;
	if (wire_frame_decode(buf, len, &f) != 0)
		die("the relay sent a frame that does not decode");
	uint64_t *acks = NULL;
	size_t n_acks = 0;
	for (size_t i = 0; i < f->n_items; i++) {
		Liaison__Item *it = f->items[i];
		switch (it->body_case) {
		case LIAISON__ITEM__BODY_CHALLENGE:
			if (it->challenge->server_nonce.len != 32)
				die("bad challenge");
			send_enroll_and_login(p, it->challenge->server_nonce.data);
			break;
		case LIAISON__ITEM__BODY_LOGIN_OK:
			p->logged_in = 1;
			p->pending = it->login_ok->status == ACCOUNT_PENDING;
			if (++logged_in_count == n_peers && !any_pending())
				start_traffic();
			break;
		case LIAISON__ITEM__BODY_OK:
			break;
		case LIAISON__ITEM__BODY_ERROR:
			fprintf(stderr, "bench_relay: peer %d: relay error %d (%s)\n", p->idx,
				wire_error_code(it->error), liaison_strerror(wire_error_code(it->error)));
			failed = 1;
			break;
		case LIAISON__ITEM__BODY_SEND_ACK:
			p->outstanding--;
			break;
		case LIAISON__ITEM__BODY_DRAINED:
			fetched_count++;
			break;
		case LIAISON__ITEM__BODY_DELIVER: {
			Liaison__Deliver *d = it->deliver;
			if (d->ciphertext.len == PAYLOAD) {
				uint64_t t;
				memcpy(&t, d->ciphertext.data, sizeof(t));
				uint64_t now = mono_us();
				if (measuring) {
					delivered_in_window++;
					if (n_samples < MAX_SAMPLES && now >= t)
						samples[n_samples++] = now - t;
				}
			}
			uint64_t *na = realloc(acks, (n_acks + 1) * sizeof(*acks));
			if (na == NULL)
				die("out of memory");
			acks = na;
			acks[n_acks++] = d->seq;
			break;
		}
		default:
			break;
		}
	}
	if (n_acks > 0) {
		Liaison__Ack ack = LIAISON__ACK__INIT;
		ack.n_seq = n_acks;
		ack.seq = acks;
		Liaison__Item it = LIAISON__ITEM__INIT;
		it.id = ++p->next_id;
		it.body_case = LIAISON__ITEM__BODY_ACK;
		it.ack = &ack;
		Liaison__Item *items[1] = { &it };
		Liaison__Frame out;
		frame_of(&out, items, 1);
		queue_frame(p, &out);
	}
	free(acks);
	wire_frame_free(f);
	/* Full speed: keep each sender's window full. */
	if (rate == 0 && p->is_sender && logged_in_count == n_peers && p->outstanding < WINDOW / 2)
		send_messages(p, (int)(WINDOW - p->outstanding));
}

static void on_message(struct wsc *c, const uint8_t *buf, size_t len, void *arg)
{
	(void)c;
	on_frame(arg, buf, len);
}

static void on_event(struct wsc *c, enum wsc_event ev, void *arg)
{
	struct peer *p = arg;
	(void)c;
	if (ev != WSC_CONNECTED && !quiet_close) {
		fprintf(stderr, "bench_relay: peer %d: connection %s\n", p->idx,
			ev == WSC_FAILED ? "failed" : "closed");
		failed = 1;
	}
}

/* Runs the loop for us microseconds; in rate mode feeds the senders, and
 * looks at the sockets every RATE_LOOK_US, sleeping in between. */
static void run_for(uint64_t us)
{
	uint64_t end = mono_us() + us, last = mono_us();
	while (mono_us() < end && !failed) {
		uint64_t turn = mono_us();
		wsc_service(wctx, 0);
		if (rate > 0) {
			uint64_t spent = mono_us() - turn;
			if (spent < RATE_LOOK_US) {
				struct timespec ts = { 0, (long)(RATE_LOOK_US - spent) * 1000 };
				nanosleep(&ts, NULL);
			}
		}
		if (rate > 0 && logged_in_count == n_peers) {
			uint64_t now = mono_us();
			double per_sender = rate / (n_peers / 2);
			for (int i = 0; i < n_peers; i++) {
				struct peer *p = &peers[i];
				if (!p->is_sender)
					continue;
				p->credit += per_sender * (double)(now - last) / 1e6;
				int k = (int)p->credit;
				if (k > 0) {
					p->owed += k;
					p->credit -= k;
					wsc_want_write(p->conn);
				}
			}
			last = now;
		}
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_relay --url wss://HOST:PORT --pin HEX --tokens FILE "
		"[--pairs N] [--seconds S] [--rate MSG_PER_S] [--accounts-out FILE --go-file FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *url = NULL, *pin_hex = NULL, *tokens = NULL;
	const char *accounts_out = NULL, *go_file = NULL;
	int pairs = 50, seconds = 5;
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--url") == 0)
			url = argv[++i];
		else if (strcmp(argv[i], "--pin") == 0)
			pin_hex = argv[++i];
		else if (strcmp(argv[i], "--tokens") == 0)
			tokens = argv[++i];
		else if (strcmp(argv[i], "--pairs") == 0)
			pairs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--rate") == 0)
			rate = atof(argv[++i]);
		else if (strcmp(argv[i], "--accounts-out") == 0)
			accounts_out = argv[++i];
		else if (strcmp(argv[i], "--go-file") == 0)
			go_file = argv[++i];
		else
			usage();
	}
	if (url == NULL || pin_hex == NULL || tokens == NULL || pairs < 1 ||
	    pairs * 2 > MAX_PEERS || seconds < 1 || seconds > 120 || rate < 0)
		usage();
	if (sscanf(url, "wss://%255[^:]:%d", host, &port) != 2)
		usage();
	if (lc_init() != 0 || fp_pin_parse(pin_hex, pin) != 0)
		die("bad pin or libsodium init failed");
	if (sigprov_context_new(&sctx) != 0)
		die("libsignal context");
	samples = calloc(MAX_SAMPLES, sizeof(*samples));
	if (samples == NULL)
		die("out of memory");

	FILE *fp = fopen(tokens, "r");
	if (fp == NULL)
		die("cannot open the tokens file");
	n_peers = pairs * 2;
	for (int i = 0; i < n_peers; i++) {
		struct peer *p = &peers[i];
		if (fgets(p->token, sizeof(p->token), fp) == NULL)
			die("not enough invite tokens for the pairs asked");
		p->token[strcspn(p->token, "\r\n")] = '\0';
		p->idx = i;
		p->is_sender = i < pairs;
		p->partner = p->is_sender ? i + pairs : i - pairs;
		if (signal_protocol_key_helper_generate_identity_key_pair(&p->idpair, sctx) != 0)
			die("identity key");
		signal_buffer *b = NULL;
		if (ec_public_key_serialize(&b, ratchet_identity_key_pair_get_public(p->idpair)) != 0 ||
		    signal_buffer_len(b) != 33)
			die("identity key serialise");
		memcpy(p->idpub, signal_buffer_data(b), 33);
		signal_buffer_free(b);
	}
	fclose(fp);

	if (wsc_ctx_new(pin, n_peers, &wctx) != 0)
		die("lws context");
	for (int i = 0; i < n_peers; i++)
		if (wsc_connect(wctx, host, port, on_message, on_event, &peers[i], &peers[i].conn) != 0)
			die("connect");

	/* Enrollment and login, bounded to 60 s. */
	uint64_t deadline = mono_us() + 60u * 1000000u;
	while (logged_in_count < n_peers && !failed && mono_us() < deadline)
		wsc_service(wctx, 10);
	if (logged_in_count < n_peers)
		die("not every account enrolled and logged in within 60 s");
	if (any_pending()) {
		/* New accounts await the secretariat's approval: hand their ids
		 * to the caller, wait (bounded) for its go, then log in again. */
		if (accounts_out == NULL || go_file == NULL)
			die("the accounts are pending approval: pass --accounts-out and --go-file");
		FILE *ao = fopen(accounts_out, "w");
		if (ao == NULL)
			die("cannot write the accounts file");
		for (int i = 0; i < n_peers; i++) {
			char idtext[ID_CHARS + 1];
			id_encode(peers[i].account, idtext);
			fprintf(ao, "%s\n", idtext);
		}
		if (fclose(ao) != 0)
			die("cannot write the accounts file");
		quiet_close = 1;
		wsc_ctx_free(wctx);
		quiet_close = 0;
		deadline = mono_us() + 120u * 1000000u;
		while (access(go_file, F_OK) != 0 && mono_us() < deadline)
			usleep(100000);
		if (access(go_file, F_OK) != 0)
			die("no approval within 120 s");
		logged_in_count = 0;
		for (int i = 0; i < n_peers; i++)
			peers[i].logged_in = peers[i].pending = 0;
		if (wsc_ctx_new(pin, n_peers, &wctx) != 0)
			die("lws context");
		for (int i = 0; i < n_peers; i++)
			if (wsc_connect(wctx, host, port, on_message, on_event, &peers[i],
					&peers[i].conn) != 0)
				die("connect");
		deadline = mono_us() + 60u * 1000000u;
		while (logged_in_count < n_peers && !failed && mono_us() < deadline)
			wsc_service(wctx, 10);
		if (logged_in_count < n_peers || any_pending())
			die("the approved accounts did not all log in as active within 60 s");
	}

	/* Pace the senders from a 1 ms tick, not from network events. */
	wsc_tick(wctx, 1000);
	if (rate == 0) {
		for (int i = 0; i < pairs; i++)
			send_messages(&peers[i], WINDOW);
	}
	run_for(1000000);               /* warm-up */
	measuring = 1;
	uint64_t t0 = mono_us();
	run_for((uint64_t)seconds * 1000000u);
	uint64_t t1 = mono_us();
	measuring = 0;
	if (failed)
		die("a connection failed during the run");
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (rate == 0) {
		double per_s = (double)delivered_in_window / ((double)(t1 - t0) / 1e6);
		fprintf(stderr, "bench_relay: %d pairs, %lu delivered in %.1f s\n", pairs,
			(unsigned long)delivered_in_window, (double)(t1 - t0) / 1e6);
		printf("bench relay.delivered %.0f msg/s cores %ld\n", per_s, cores);
	} else {
		if (n_samples == 0)
			die("no message was delivered in the window");
		qsort(samples, n_samples, sizeof(*samples), cmp_u64);
		double p50 = (double)samples[n_samples / 2] / 1000.0;
		double p99 = (double)samples[(n_samples * 99) / 100] / 1000.0;
		double got = (double)delivered_in_window / ((double)(t1 - t0) / 1e6);
		int k = (int)(rate / 1000);
		fprintf(stderr, "bench_relay: asked %.0f msg/s, achieved %.0f msg/s, %zu samples\n",
			rate, got, n_samples);
		printf("bench relay.p50_at_%dk %.2f ms cores %ld\n", k, p50, cores);
		printf("bench relay.p99_at_%dk %.2f ms cores %ld\n", k, p99, cores);
	}
	quiet_close = 1;
	wsc_ctx_free(wctx);
	for (int i = 0; i < n_peers; i++)
		SIGNAL_UNREF(peers[i].idpair);
	sigprov_context_free(sctx);
	free(samples);
	return 0;
}
