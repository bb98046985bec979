/* Test tool: an account of its own at a relay (enrolled from an invite,
 * keys kept in a plain test file, never a real home) that fetches the
 * directory, signs and posts directory changes, good and deliberately bad,
 * and makes single requests, so end-to-end tests can show what the relay
 * accepts and refuses. Never for real keys: the key file is not encrypted.
 *
 *   dirpost --url wss://HOST:PORT --pin HEX --keys FILE COMMAND [ARGS]
 *     enroll TOKEN_FILE NAME     redeem an invite (bootstrap: also make the root)
 *     genesis [LIFETIME_S [SNAPSHOT_EVERY]]   publish version 1 (bootstrap only)
 *     invite ROLE AUTHORITY OUT  mint a root-signed invite, register it, write it
 *     add-authority ID CC        publish an add-authority change
 *     approve ACCOUNT            publish add-contact for a pending enrollment
 *     revoke ACCOUNT             publish revoke-contact (revoke-secretariat for one)
 *     refresh                    publish a new head alone
 *     bad CASE                   publish a bad change: unsigned, missigned,
 *                                foreign-key, out-of-order, replay, stale-head,
 *                                head-behind, no-head, bad-snapshot, genesis-again
 *     login                      print "status active|pending" or "error CODE"
 *     request KIND [ACCOUNT]     head|changes|snapshot|pending|fetch|bundle|identity|send
 *     hold SECONDS               stay logged in; print "closed error CODE" or "open"
 *     version                    print "version N" of the directory fetched
 * Each publication or request prints "ok" or "error CODE" (a LIAISON_ERR_*)
 * and exits 0 when the relay answered; 1 when it could not be reached. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <signal/signal_protocol.h>

#include "directory/directory.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/fingerprint.h"
#include "protocol/invite.h"
#include "protocol/layout.h"
#include "protocol/sig.h"
#include "protocol/signal_provider.h"
#include "protocol/timefmt.h"
#include "protocol/wire.h"
#include "tests/lib/wsclient.h"

#define KEYS_MAGIC 0x4c445031u
#define WAIT_S 10

struct keys {
	uint32_t magic;
	uint8_t account[16];
	uint8_t role;
	uint8_t bootstrap;
	uint8_t id_priv[32];
	uint8_t id_pub[33];
	uint8_t spk[32], ssk[64];
	uint8_t has_root_sk;
	uint8_t root_pk[32], root_sk[64];
	char authority[LAYOUT_MAX_AUTHORITY + 1];
	char country[LAYOUT_MAX_COUNTRY + 1];
	char authority_name[LAYOUT_MAX_NAME + 1];
	uint8_t enr[LAYOUT_MAX_ENROLLMENT];
	uint32_t enr_len;
	uint8_t enr_sig[64];
};

static struct keys K;
static const char *keys_path;
static signal_context *sctx;
static struct wsc_ctx *wctx;
static struct wsc *conn;
static uint8_t pin[32], server_nonce[32];
static char host[256];
static int port, got_challenge, closed;
static Liaison__Frame *frames[4096];
static size_t n_frames;
static uint64_t next_id = 10;
static int close_code;

static void die(const char *what)
{
	fprintf(stderr, "dirpost: %s\n", what);
	exit(1);
}

static void must(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "dirpost: %s: %s\n", what, liaison_strerror(rc));
		exit(1);
	}
}

static void on_message(struct wsc *c, const uint8_t *buf, size_t len, void *arg)
{
	Liaison__Frame *f;
	size_t i;
	(void)c;
	(void)arg;
	if (wire_frame_decode(buf, len, &f) != 0 || n_frames == 4096)
		return;
	frames[n_frames++] = f;
	for (i = 0; i < f->n_items; i++) {
		const Liaison__Item *it = f->items[i];
		if (it->body_case == LIAISON__ITEM__BODY_CHALLENGE &&
		    it->challenge->server_nonce.len == 32) {
			memcpy(server_nonce, it->challenge->server_nonce.data, 32);
			got_challenge = 1;
		}
		if (it->id == 0 && it->body_case == LIAISON__ITEM__BODY_ERROR)
			close_code = wire_error_code(it->error);
	}
}

static void on_event(struct wsc *c, enum wsc_event ev, void *arg)
{
	(void)c;
	(void)arg;
	if (ev != WSC_CONNECTED)
		closed = 1;
}

static const Liaison__Item *find_reply(uint64_t id)
{
	size_t i, j;
	for (i = 0; i < n_frames; i++)
		for (j = 0; j < frames[i]->n_items; j++)
			if (frames[i]->items[j]->id == id)
				return frames[i]->items[j];
	return NULL;
}

/* Sends one item and waits for its reply (NULL: none came). */
static const Liaison__Item *call(Liaison__Item *it)
{
	Liaison__Frame f = LIAISON__FRAME__INIT;
	Liaison__Item *items[1] = { it };
	const Liaison__Item *reply = NULL;
	time_t end = time(NULL) + WAIT_S;

	it->id = next_id++;
	f.n_items = 1;
	f.items = items;
	wsc_send_frame(conn, &f);
	while (time(NULL) < end && (reply = find_reply(it->id)) == NULL && !closed)
		wsc_service(wctx, 50);
	if (reply == NULL)
		reply = find_reply(it->id);
	return reply;
}

/* "ok" or "error CODE"; returns the code. */
static int report(const Liaison__Item *reply)
{
	if (reply == NULL) {
		printf("error none (no reply%s)\n", closed ? ", connection closed" : "");
		return LIAISON_ERR_TIMEOUT;
	}
	if (reply->body_case == LIAISON__ITEM__BODY_ERROR) {
		int code = wire_error_code(reply->error);
		printf("error %d %s\n", code, liaison_strerror(code));
		return code;
	}
	printf("ok\n");
	return 0;
}

static void keys_save(void)
{
	FILE *fp = fopen(keys_path, "wb");
	if (fp == NULL || fwrite(&K, sizeof(K), 1, fp) != 1 || fclose(fp) != 0)
		die("cannot write the key file");
}

static void keys_load(void)
{
	FILE *fp = fopen(keys_path, "rb");
	if (fp == NULL || fread(&K, sizeof(K), 1, fp) != 1 || K.magic != KEYS_MAGIC)
		die("cannot read the key file (enroll first)");
	fclose(fp);
}

static ec_private_key *id_private(void)
{
	ec_private_key *k = NULL;
	if (curve_decode_private_point(&k, K.id_priv, 32, sctx) != 0)
		die("identity key");
	return k;
}

static void connect_relay(void)
{
	time_t end = time(NULL) + WAIT_S;
	if (wsc_ctx_new(pin, 1, &wctx) != 0 ||
	    wsc_connect(wctx, host, port, on_message, on_event, NULL, &conn) != 0)
		die("cannot connect");
	while (!got_challenge && !closed && time(NULL) < end)
		wsc_service(wctx, 50);
	if (!got_challenge)
		die("no challenge from the relay");
}

static const Liaison__Item *login(void)
{
	Liaison__Login lg = LIAISON__LOGIN__INIT;
	Liaison__Item it = LIAISON__ITEM__INIT;
	uint8_t cnonce[32], tuple[LAYOUT_LOGIN_BYTES], sig[64];
	uint64_t now = time_now_ms();
	ec_private_key *priv = id_private();

	lc_random(cnonce, sizeof(cnonce));
	layout_login(tuple, server_nonce, cnonce, K.account, pin, now);
	must(sig_xeddsa_sign(sig, SIG_LOGIN, tuple, sizeof(tuple), priv, sctx), "login signature");
	SIGNAL_UNREF(priv);
	lg.account.data = K.account;
	lg.account.len = 16;
	lg.client_nonce.data = cnonce;
	lg.client_nonce.len = 32;
	lg.time = now;
	lg.signature.data = sig;
	lg.signature.len = 64;
	it.body_case = LIAISON__ITEM__BODY_LOGIN;
	it.login = &lg;
	return call(&it);
}

static void login_or_exit(void)
{
	const Liaison__Item *r = login();
	if (r == NULL || r->body_case != LIAISON__ITEM__BODY_LOGIN_OK) {
		report(r);
		exit(0);
	}
}

/* ---- the directory as the relay serves it ------------------------------ */

static struct dir_state *fetch_state(void)
{
	struct dir_state *st = NULL;
	int more = 1;

	must(dir_state_new(K.root_pk, sctx, &st), "state");
	while (more) {
		Liaison__DirChangesRequest rq = LIAISON__DIR_CHANGES_REQUEST__INIT;
		Liaison__Item it = LIAISON__ITEM__INIT;
		const Liaison__Item *r;
		rq.after = st->version;
		it.body_case = LIAISON__ITEM__BODY_DIR_CHANGES_REQUEST;
		it.dir_changes_request = &rq;
		r = call(&it);
		if (r == NULL || r->body_case != LIAISON__ITEM__BODY_DIR_CHANGES) {
			report(r);
			exit(0);
		}
		must(dir_apply_page(st, r->dir_changes->page.data, r->dir_changes->page.len,
				    time_now_ms(), NULL), "applying the relay's changes");
		more = r->dir_changes->more;
	}
	return st;
}

static void last_change(struct dir_state *st, uint8_t **rec, size_t *len)
{
	Liaison__DirChangesRequest rq = LIAISON__DIR_CHANGES_REQUEST__INIT;
	Liaison__Item it = LIAISON__ITEM__INIT;
	const Liaison__Item *r;
	struct rd rd;
	uint32_t count;
	const uint8_t *p;

	rq.after = st->version - 1;
	it.body_case = LIAISON__ITEM__BODY_DIR_CHANGES_REQUEST;
	it.dir_changes_request = &rq;
	r = call(&it);
	if (r == NULL || r->body_case != LIAISON__ITEM__BODY_DIR_CHANGES)
		die("no changes");
	must(dir_page_open(&rd, r->dir_changes->page.data, r->dir_changes->page.len, &count), "page");
	must(dir_page_next(&rd, &p, len), "page");
	*rec = malloc(*len);
	memcpy(*rec, p, *len);
}

struct post {
	struct wb changes[4];
	size_t n;
	struct wb head;
	int has_head;
	struct wb snap;
	int has_snap;
};

static void post_free(struct post *p)
{
	size_t i;
	for (i = 0; i < p->n; i++)
		wb_free(&p->changes[i]);
	if (p->has_head)
		wb_free(&p->head);
	if (p->has_snap)
		wb_free(&p->snap);
}

static int publish(struct post *p)
{
	Liaison__DirPublish dp = LIAISON__DIR_PUBLISH__INIT;
	Liaison__Item it = LIAISON__ITEM__INIT;
	ProtobufCBinaryData ch[4];
	size_t i;

	for (i = 0; i < p->n; i++) {
		ch[i].data = p->changes[i].data;
		ch[i].len = p->changes[i].len;
	}
	dp.changes = ch;
	dp.n_changes = p->n;
	if (p->has_head) {
		dp.head.data = p->head.data;
		dp.head.len = p->head.len;
	}
	if (p->has_snap) {
		dp.snapshot.data = p->snap.data;
		dp.snapshot.len = p->snap.len;
	}
	it.body_case = LIAISON__ITEM__BODY_DIR_PUBLISH;
	it.dir_publish = &dp;
	return report(call(&it));
}

/* Signs c as the next change of st with key (pk, sk), applies it to st. */
static void sign_into(struct post *p, struct dir_state *st, const struct dir_change *c,
		      const uint8_t *pk, const uint8_t *sk)
{
	struct wb *w = &p->changes[p->n++];
	must(dir_change_sign(st, c, pk, sk, w), "signing the change");
	must(dir_apply(st, w->data, w->len, time_now_ms()), "applying our own change");
}

static void head_for(struct post *p, const struct dir_state *st)
{
	must(dir_head_sign(st, time_now_ms(), 0, K.spk, K.ssk, &p->head), "signing the head");
	p->has_head = 1;
	if (dir_snapshot_due(st)) {
		must(dir_snapshot_sign(st, time_now_ms(), K.spk, K.ssk, &p->snap), "snapshot");
		p->has_snap = 1;
	}
}

static void authority_change(struct dir_change *c, const char *id, const char *cc)
{
	memset(c, 0, sizeof(*c));
	c->kind = DIR_ADD_AUTHORITY;
	c->issued = time_now_ms();
	snprintf(c->authority.id, sizeof(c->authority.id), "%s", id);
	snprintf(c->authority.country, sizeof(c->authority.country), "%s", cc);
	snprintf(c->authority.name, sizeof(c->authority.name), "Authority %.64s", id);
	c->authority.type = DIR_TYPE_PROSECUTION;
}

/* ---- commands ------------------------------------------------------------ */

/* The root's keys; an account without them (not the root holder) signs
 * with a made-up root, so that the relay, not this tool, refuses it. */
static void root_keys(uint8_t pk[32], uint8_t sk[64])
{
	if (K.has_root_sk) {
		memcpy(pk, K.root_pk, 32);
		memcpy(sk, K.root_sk, 64);
		return;
	}
	must(lc_ed25519_keypair(pk, sk), "key");
}

static void make_cert(struct signing_cert *cert, const uint8_t key[32], const uint8_t account[16])
{
	memset(cert, 0, sizeof(*cert));
	memcpy(cert->key, key, 32);
	memcpy(cert->account, account, 16);
	cert->not_after = time_now_ms() + 365ull * 24 * 3600 * 1000;
	if (K.has_root_sk)
		must(layout_cert_sign(cert, K.root_sk), "certificate");
}

static int cmd_enroll(const char *token_file, const char *name)
{
	char token[INVITE_MAX_TOKEN + 1];
	struct invite inv;
	struct enrollment e;
	struct wb w;
	uint8_t redeem[32], bind[32], mac[32], spk_pub[33], spk_sig[64];
	ec_key_pair *pair = NULL;
	signal_buffer *buf = NULL;
	ec_private_key *priv;
	Liaison__SignedPrekey sp = LIAISON__SIGNED_PREKEY__INIT;
	Liaison__Enroll en = LIAISON__ENROLL__INIT;
	Liaison__Item it = LIAISON__ITEM__INIT;
	FILE *fp = fopen(token_file, "r");
	size_t n;
	int rc;
	char idtext[ID_CHARS + 1];

	if (fp == NULL)
		die("cannot read the token file");
	n = fread(token, 1, INVITE_MAX_TOKEN, fp);
	fclose(fp);
	token[n] = '\0';
	must(invite_decode(token, n, &inv), "invite");
	must(invite_derive(inv.secret, redeem, bind), "invite");
	memset(&K, 0, sizeof(K));
	K.magic = KEYS_MAGIC;
	id_random(K.account);
	K.role = inv.role;
	K.bootstrap = inv.kind == INVITE_BOOTSTRAP;
	snprintf(K.authority, sizeof(K.authority), "%s", inv.authority);
	snprintf(K.country, sizeof(K.country), "%s", inv.country[0] ? inv.country : "UN");
	snprintf(K.authority_name, sizeof(K.authority_name), "%s",
		 inv.authority_name[0] ? inv.authority_name : inv.authority);
	if (K.bootstrap) {
		must(lc_ed25519_keypair(K.root_pk, K.root_sk), "root key");
		K.has_root_sk = 1;
	} else {
		memcpy(K.root_pk, inv.root_pk, 32);
	}
	must(curve_generate_key_pair(sctx, &pair) != 0, "identity key");
	must(ec_public_key_serialize(&buf, ec_key_pair_get_public(pair)) != 0, "identity key");
	memcpy(K.id_pub, signal_buffer_data(buf), 33);
	signal_buffer_free(buf);
	must(ec_private_key_serialize(&buf, ec_key_pair_get_private(pair)) != 0, "identity key");
	memcpy(K.id_priv, signal_buffer_data(buf), 32);
	signal_buffer_bzero_free(buf);
	SIGNAL_UNREF(pair);

	memset(&e, 0, sizeof(e));
	memcpy(e.account, K.account, 16);
	snprintf(e.authority, sizeof(e.authority), "%s", inv.authority);
	e.role = inv.role;
	snprintf(e.name, sizeof(e.name), "%s", name);
	memcpy(e.invite_id, inv.invite_id, 16);
	e.invite_expires = inv.expires;
	memcpy(e.identity_key, K.id_pub, 33);
	if (inv.role == ROLE_SECRETARIAT) {
		must(lc_ed25519_keypair(K.spk, K.ssk), "signing key");
		e.has_signing_key = 1;
		memcpy(e.signing_key, K.spk, 32);
	}
	must(layout_enrollment_encode(&e, &w), "enrollment");
	memcpy(K.enr, w.data, w.len);
	K.enr_len = (uint32_t)w.len;
	wb_free(&w);
	priv = id_private();
	must(sig_xeddsa_sign(K.enr_sig, SIG_ENROLLMENT, K.enr, K.enr_len, priv, sctx), "enrollment");
	SIGNAL_UNREF(priv);
	must(lc_auth(mac, K.enr, K.enr_len, bind), "bind");

	spk_pub[0] = 5;
	lc_random(spk_pub + 1, 32);
	lc_random(spk_sig, 64);
	sp.id = 1;
	sp.public_key.data = spk_pub;
	sp.public_key.len = 33;
	sp.signature.data = spk_sig;
	sp.signature.len = 64;
	en.invite_id.data = inv.invite_id;
	en.invite_id.len = 16;
	en.redeem.data = redeem;
	en.redeem.len = 32;
	en.enrollment.data = K.enr;
	en.enrollment.len = K.enr_len;
	en.signature.data = K.enr_sig;
	en.signature.len = 64;
	en.bind_mac.data = mac;
	en.bind_mac.len = 32;
	en.registration_id = 7;
	en.signed_prekey = &sp;
	it.body_case = LIAISON__ITEM__BODY_ENROLL;
	it.enroll = &en;
	connect_relay();
	rc = report(call(&it));
	lc_wipe(&inv, sizeof(inv));
	lc_wipe(bind, sizeof(bind));
	if (rc == 0) {
		keys_save();
		id_encode(K.account, idtext);
		printf("account %s\n", idtext);
	}
	return 0;
}

static int cmd_genesis(uint64_t lifetime, uint32_t every)
{
	struct dir_state *st = NULL;
	struct dir_change c;
	struct post p;
	uint8_t rpk[32], rsk[64];

	memset(&p, 0, sizeof(p));
	root_keys(rpk, rsk);
	must(dir_state_new(rpk, sctx, &st), "state");
	memset(&c, 0, sizeof(c));
	c.kind = DIR_GENESIS;
	c.issued = time_now_ms();
	memcpy(c.params.root, rpk, 32);
	c.params.head_lifetime_s = lifetime;
	c.params.snapshot_every = every;
	c.params.skew_s = DIR_DEFAULT_SKEW_S;
	snprintf(c.authority.id, sizeof(c.authority.id), "%s", K.authority);
	snprintf(c.authority.country, sizeof(c.authority.country), "%s", K.country);
	snprintf(c.authority.name, sizeof(c.authority.name), "%s", K.authority_name);
	c.authority.type = DIR_TYPE_SECRETARIAT;
	c.enrollment = K.enr;
	c.enrollment_len = K.enr_len;
	memcpy(c.enrollment_sig, K.enr_sig, 64);
	c.has_cert = K.role == ROLE_SECRETARIAT;
	if (c.has_cert) {
		memset(&c.cert, 0, sizeof(c.cert));
		memcpy(c.cert.key, K.spk, 32);
		memcpy(c.cert.account, K.account, 16);
		c.cert.not_after = time_now_ms() + 365ull * 24 * 3600 * 1000;
		must(layout_cert_sign(&c.cert, rsk), "certificate");
	}
	if (K.has_root_sk) {
		sign_into(&p, st, &c, rpk, rsk);
		head_for(&p, st);
	} else {
		/* Not the bootstrap: a genesis under a made-up root, sent with
		 * a placeholder head (the relay refuses the sender first). */
		must(dir_change_sign(st, &c, rpk, rsk, &p.changes[p.n++]), "signing the change");
		wb_init(&p.head, 16);
		wb_u8(&p.head, 1);
		p.has_head = 1;
	}
	lc_wipe(rsk, sizeof(rsk));
	publish(&p);
	post_free(&p);
	dir_state_free(st);
	return 0;
}

static int cmd_invite(const char *role_name_text, const char *authority, const char *out)
{
	struct invite inv;
	Liaison__InviteRegister ir = LIAISON__INVITE_REGISTER__INIT;
	Liaison__Item it = LIAISON__ITEM__INIT;
	uint8_t redeem[32], bind[32], hash[32];
	char *token = NULL;
	int role = 0;
	FILE *fp;

	must(role_parse(role_name_text, &role), "role");
	memset(&inv, 0, sizeof(inv));
	inv.kind = INVITE_MINTED;
	snprintf(inv.url, sizeof(inv.url), "wss://%.200s:%d", host, port);
	memcpy(inv.pin, pin, 32);
	lc_random(inv.invite_id, 16);
	inv.expires = time_now_ms() + 24ull * 3600 * 1000;
	lc_random(inv.secret, 32);
	inv.role = (uint8_t)role;
	snprintf(inv.authority, sizeof(inv.authority), "%s", authority);
	snprintf(inv.country, sizeof(inv.country), "FR");
	snprintf(inv.authority_name, sizeof(inv.authority_name), "Authority %.64s", authority);
	{
		uint8_t rpk[32], rsk[64];
		root_keys(rpk, rsk);
		memcpy(inv.root_pk, rpk, 32);
		memcpy(inv.signer_pk, rpk, 32);
		must(invite_sign(&inv, rsk), "invite signature");
		lc_wipe(rsk, sizeof(rsk));
	}
	must(invite_derive(inv.secret, redeem, bind), "invite");
	must(lc_sha256(redeem, 32, hash), "hash");
	ir.invite_id.data = inv.invite_id;
	ir.invite_id.len = 16;
	ir.redeem_hash.data = hash;
	ir.redeem_hash.len = 32;
	ir.role = (uint32_t)role;
	ir.authority = inv.authority;
	ir.expires = inv.expires;
	it.body_case = LIAISON__ITEM__BODY_INVITE_REGISTER;
	it.invite_register = &ir;
	if (report(call(&it)) != 0)
		return 0;
	must(invite_encode(&inv, &token), "invite");
	fp = fopen(out, "w");
	if (fp == NULL || fprintf(fp, "%s\n", token) < 0 || fclose(fp) != 0)
		die("cannot write the invite");
	free(token);
	return 0;
}

/* The pending enrollment of account, as the relay lists it. */
static int pending_of(const uint8_t account[16], const Liaison__PendingEnrollment **out)
{
	Liaison__PendingRequest pr = LIAISON__PENDING_REQUEST__INIT;
	Liaison__Item it = LIAISON__ITEM__INIT;
	const Liaison__Item *r;
	size_t i;

	it.body_case = LIAISON__ITEM__BODY_PENDING_REQUEST;
	it.pending_request = &pr;
	r = call(&it);
	if (r == NULL || r->body_case != LIAISON__ITEM__BODY_PENDING)
		return report(r);
	for (i = 0; i < r->pending->n_enrollments; i++) {
		const Liaison__PendingEnrollment *pe = r->pending->enrollments[i];
		struct enrollment e;
		if (layout_enrollment_decode(pe->enrollment.data, pe->enrollment.len, &e) == 0 &&
		    memcmp(e.account, account, 16) == 0) {
			*out = pe;
			return 0;
		}
	}
	printf("error %d not pending\n", LIAISON_ERR_NOT_FOUND);
	return LIAISON_ERR_NOT_FOUND;
}

static int cmd_approve(const char *account_text)
{
	const Liaison__PendingEnrollment *pe = NULL;
	struct dir_state *st;
	struct dir_change c;
	struct enrollment e;
	struct post p;
	uint8_t account[16];

	if (id_decode(account_text, account) != 0)
		die("ACCOUNT");
	st = fetch_state();
	if (pending_of(account, &pe) != 0)
		return 0;
	must(layout_enrollment_decode(pe->enrollment.data, pe->enrollment.len, &e), "enrollment");
	if (dir_find_authority(st, e.authority) == NULL) {
		memset(&p, 0, sizeof(p));
		authority_change(&c, e.authority, "FR");
		sign_into(&p, st, &c, K.spk, K.ssk);
	} else {
		memset(&p, 0, sizeof(p));
	}
	memset(&c, 0, sizeof(c));
	c.kind = DIR_ADD_CONTACT;
	c.issued = time_now_ms();
	c.enrollment = pe->enrollment.data;
	c.enrollment_len = pe->enrollment.len;
	if (pe->signature.len != 64)
		die("signature");
	memcpy(c.enrollment_sig, pe->signature.data, 64);
	if (e.role == ROLE_SECRETARIAT) {
		c.has_cert = 1;
		make_cert(&c.cert, e.signing_key, e.account);
		sign_into(&p, st, &c, K.root_pk, K.root_sk);
	} else {
		sign_into(&p, st, &c, K.spk, K.ssk);
	}
	head_for(&p, st);
	publish(&p);
	post_free(&p);
	dir_state_free(st);
	return 0;
}

static int cmd_revoke(const char *account_text)
{
	struct dir_state *st;
	const struct dir_contact *ct;
	struct dir_change c;
	struct post p;
	uint8_t account[16];

	if (id_decode(account_text, account) != 0)
		die("ACCOUNT");
	st = fetch_state();
	ct = dir_find_contact(st, account);
	memset(&p, 0, sizeof(p));
	memset(&c, 0, sizeof(c));
	c.issued = time_now_ms();
	memcpy(c.account, account, 16);
	if (ct != NULL && ct->role == ROLE_SECRETARIAT) {
		c.kind = DIR_REVOKE_SECRETARIAT;
		sign_into(&p, st, &c, K.root_pk, K.root_sk);
	} else {
		c.kind = DIR_REVOKE_CONTACT;
		sign_into(&p, st, &c, K.spk, K.ssk);
	}
	head_for(&p, st);
	publish(&p);
	post_free(&p);
	dir_state_free(st);
	return 0;
}

static int cmd_add_authority(const char *id, const char *cc)
{
	struct dir_state *st = fetch_state();
	struct dir_change c;
	struct post p;

	memset(&p, 0, sizeof(p));
	authority_change(&c, id, cc);
	if (K.role != ROLE_SECRETARIAT) {
		/* A member has no signing key: sign with a made-up one. */
		must(lc_ed25519_keypair(K.spk, K.ssk), "key");
		must(dir_change_sign(st, &c, K.spk, K.ssk, &p.changes[p.n++]), "sign");
		must(dir_head_sign(st, time_now_ms(), 0, K.spk, K.ssk, &p.head), "head");
		p.has_head = 1;
	} else {
		sign_into(&p, st, &c, K.spk, K.ssk);
		head_for(&p, st);
	}
	publish(&p);
	post_free(&p);
	dir_state_free(st);
	return 0;
}

static int cmd_bad(const char *which)
{
	struct dir_state *st = fetch_state();
	struct dir_change c;
	struct post p;
	uint8_t opk[32], osk[64];
	char id[32];

	memset(&p, 0, sizeof(p));
	snprintf(id, sizeof(id), "BAD-%u", (unsigned)(time_now_ms() % 100000));
	authority_change(&c, id, "DE");
	must(lc_ed25519_keypair(opk, osk), "key");
	if (strcmp(which, "unsigned") == 0 || strcmp(which, "missigned") == 0) {
		struct wb *w = &p.changes[p.n++];
		must(dir_change_sign(st, &c, K.spk, K.ssk, w), "sign");
		if (strcmp(which, "unsigned") == 0) {
			memset(w->data + 17, 0, 64);
		} else {
			struct wb other;
			must(dir_change_sign(st, &c, opk, osk, &other), "sign");
			memcpy(w->data + 17, other.data + 17, 64);	/* another key's signature */
			wb_free(&other);
		}
		must(dir_head_sign(st, time_now_ms(), 0, K.spk, K.ssk, &p.head), "head");
		p.has_head = 1;
	} else if (strcmp(which, "foreign-key") == 0) {
		must(dir_change_sign(st, &c, opk, osk, &p.changes[p.n++]), "sign");
		must(dir_head_sign(st, time_now_ms(), 0, K.spk, K.ssk, &p.head), "head");
		p.has_head = 1;
	} else if (strcmp(which, "out-of-order") == 0) {
		struct post skipped;
		memset(&skipped, 0, sizeof(skipped));
		sign_into(&skipped, st, &c, K.spk, K.ssk);	/* never posted */
		authority_change(&c, "BAD-NEXT", "DE");
		sign_into(&p, st, &c, K.spk, K.ssk);
		head_for(&p, st);
		post_free(&skipped);
	} else if (strcmp(which, "replay") == 0) {
		uint8_t *rec = NULL;
		size_t len = 0;
		last_change(st, &rec, &len);
		wb_init(&p.changes[0], DIR_MAX_RECORD);
		wb_fixed(&p.changes[0], rec, len);
		p.n = 1;
		free(rec);
		head_for(&p, st);
	} else if (strcmp(which, "stale-head") == 0) {
		struct timespec pause = { 1, 200000000 };
		sign_into(&p, st, &c, K.spk, K.ssk);
		must(dir_head_sign(st, time_now_ms(), 1, K.spk, K.ssk, &p.head), "head");
		p.has_head = 1;
		nanosleep(&pause, NULL);	/* a head of one second, expired on arrival */
	} else if (strcmp(which, "head-behind") == 0) {
		must(dir_head_sign(st, time_now_ms(), 0, K.spk, K.ssk, &p.head), "head");
		p.has_head = 1;
		sign_into(&p, st, &c, K.spk, K.ssk);
	} else if (strcmp(which, "no-head") == 0) {
		sign_into(&p, st, &c, K.spk, K.ssk);
	} else if (strcmp(which, "bad-snapshot") == 0) {
		must(dir_snapshot_sign(st, time_now_ms(), K.spk, K.ssk, &p.snap), "snapshot");
		p.has_snap = 1;
		sign_into(&p, st, &c, K.spk, K.ssk);
		must(dir_head_sign(st, time_now_ms(), 0, K.spk, K.ssk, &p.head), "head");
		p.has_head = 1;
	} else if (strcmp(which, "genesis-again") == 0) {
		dir_state_free(st);
		post_free(&p);
		return cmd_genesis(DIR_DEFAULT_HEAD_LIFETIME_S, DIR_DEFAULT_SNAPSHOT_EVERY);
	} else {
		die("unknown case");
	}
	publish(&p);
	post_free(&p);
	dir_state_free(st);
	return 0;
}

static int cmd_request(const char *kind, const char *account_text)
{
	Liaison__Item it = LIAISON__ITEM__INIT;
	Liaison__DirHeadRequest hr = LIAISON__DIR_HEAD_REQUEST__INIT;
	Liaison__DirChangesRequest cr = LIAISON__DIR_CHANGES_REQUEST__INIT;
	Liaison__DirSnapshotRequest sr = LIAISON__DIR_SNAPSHOT_REQUEST__INIT;
	Liaison__PendingRequest pr = LIAISON__PENDING_REQUEST__INIT;
	Liaison__Fetch fe = LIAISON__FETCH__INIT;
	Liaison__BundleRequest br = LIAISON__BUNDLE_REQUEST__INIT;
	Liaison__Send sd = LIAISON__SEND__INIT;
	uint8_t account[16], msg_id[16], ct[64];

	if (account_text != NULL && id_decode(account_text, account) != 0)
		die("ACCOUNT");
	if (strcmp(kind, "head") == 0) {
		it.body_case = LIAISON__ITEM__BODY_DIR_HEAD_REQUEST;
		it.dir_head_request = &hr;
	} else if (strcmp(kind, "changes") == 0) {
		it.body_case = LIAISON__ITEM__BODY_DIR_CHANGES_REQUEST;
		it.dir_changes_request = &cr;
	} else if (strcmp(kind, "snapshot") == 0) {
		it.body_case = LIAISON__ITEM__BODY_DIR_SNAPSHOT_REQUEST;
		it.dir_snapshot_request = &sr;
	} else if (strcmp(kind, "pending") == 0) {
		it.body_case = LIAISON__ITEM__BODY_PENDING_REQUEST;
		it.pending_request = &pr;
	} else if (strcmp(kind, "fetch") == 0) {
		it.body_case = LIAISON__ITEM__BODY_FETCH;
		it.fetch = &fe;
	} else if ((strcmp(kind, "bundle") == 0 || strcmp(kind, "identity") == 0) &&
		   account_text != NULL) {
		br.account.data = account;
		br.account.len = 16;
		br.identity_only = strcmp(kind, "identity") == 0;
		it.body_case = LIAISON__ITEM__BODY_BUNDLE_REQUEST;
		it.bundle_request = &br;
	} else if (strcmp(kind, "send") == 0 && account_text != NULL) {
		lc_random(msg_id, 16);
		lc_random(ct, sizeof(ct));
		sd.to.data = account;
		sd.to.len = 16;
		sd.message_id.data = msg_id;
		sd.message_id.len = 16;
		sd.type = 3;
		sd.ciphertext.data = ct;
		sd.ciphertext.len = sizeof(ct);
		it.body_case = LIAISON__ITEM__BODY_SEND;
		it.send = &sd;
	} else {
		die("unknown request");
	}
	report(call(&it));
	return 0;
}

static int cmd_hold(int seconds)
{
	time_t end = time(NULL) + seconds;
	while (!closed && time(NULL) < end)
		wsc_service(wctx, 50);
	if (closed)
		printf("closed error %d %s\n", close_code, liaison_strerror(close_code));
	else
		printf("open\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *url = NULL, *pin_hex = NULL;
	int i = 1, rc;
	const char *cmd;

	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--url") == 0)
			url = argv[i + 1];
		else if (strcmp(argv[i], "--pin") == 0)
			pin_hex = argv[i + 1];
		else if (strcmp(argv[i], "--keys") == 0)
			keys_path = argv[i + 1];
	}
	if (url == NULL || pin_hex == NULL || keys_path == NULL || i >= argc ||
	    sscanf(url, "wss://%255[^:]:%d", host, &port) != 2) {
		fprintf(stderr, "usage: dirpost --url wss://HOST:PORT --pin HEX --keys FILE COMMAND\n");
		return 2;
	}
	if (lc_init() != 0 || fp_pin_parse(pin_hex, pin) != 0 || sigprov_context_new(&sctx) != 0)
		return 2;
	cmd = argv[i++];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(cmd, "enroll") == 0) {
		if (i + 2 > argc)
			return 2;
		rc = cmd_enroll(argv[i], argv[i + 1]);
		goto out;
	}
	keys_load();
	connect_relay();
	if (strcmp(cmd, "login") == 0) {
		const Liaison__Item *r = login();
		if (r != NULL && r->body_case == LIAISON__ITEM__BODY_LOGIN_OK)
			printf("status %s\n", r->login_ok->status == ACCOUNT_PENDING ? "pending" :
			       r->login_ok->status == ACCOUNT_ACTIVE ? "active" : "unknown");
		else
			report(r);
		rc = 0;
		goto out;
	}
	login_or_exit();
	if (strcmp(cmd, "genesis") == 0)
		rc = cmd_genesis(i < argc ? strtoull(argv[i], NULL, 10) : DIR_DEFAULT_HEAD_LIFETIME_S,
				 i + 1 < argc ? (uint32_t)strtoul(argv[i + 1], NULL, 10) :
						DIR_DEFAULT_SNAPSHOT_EVERY);
	else if (strcmp(cmd, "invite") == 0 && i + 3 <= argc)
		rc = cmd_invite(argv[i], argv[i + 1], argv[i + 2]);
	else if (strcmp(cmd, "add-authority") == 0 && i + 2 <= argc)
		rc = cmd_add_authority(argv[i], argv[i + 1]);
	else if (strcmp(cmd, "approve") == 0 && i + 1 <= argc)
		rc = cmd_approve(argv[i]);
	else if (strcmp(cmd, "revoke") == 0 && i + 1 <= argc)
		rc = cmd_revoke(argv[i]);
	else if (strcmp(cmd, "refresh") == 0) {
		struct dir_state *st = fetch_state();
		struct post p;
		memset(&p, 0, sizeof(p));
		must(dir_head_sign(st, time_now_ms(), 0, K.spk, K.ssk, &p.head), "head");
		p.has_head = 1;
		publish(&p);
		post_free(&p);
		dir_state_free(st);
		rc = 0;
	} else if (strcmp(cmd, "bad") == 0 && i + 1 <= argc)
		rc = cmd_bad(argv[i]);
	else if (strcmp(cmd, "request") == 0 && i + 1 <= argc)
		rc = cmd_request(argv[i], i + 1 < argc ? argv[i + 1] : NULL);
	else if (strcmp(cmd, "hold") == 0 && i + 1 <= argc)
		rc = cmd_hold(atoi(argv[i]));
	else if (strcmp(cmd, "version") == 0) {
		struct dir_state *st = fetch_state();
		printf("version %llu\n", (unsigned long long)st->version);
		dir_state_free(st);
		rc = 0;
	} else {
		fprintf(stderr, "dirpost: unknown command %s\n", cmd);
		rc = 2;
	}
out:
	for (size_t f = 0; f < n_frames; f++)
		wire_frame_free(frames[f]);
	if (wctx != NULL)
		wsc_ctx_free(wctx);
	sigprov_context_free(sctx);
	lc_wipe(&K, sizeof(K));
	return rc;
}
