/* Enrollment (DESIGN.md §4): the keys are made here, on the client; the
 * relay sees the public halves, the self-signed enrollment bytes and the MAC
 * under bind, never S or bind. The account and its prekeys are saved in one
 * transaction only after the relay has committed the enrollment. Never
 * prints; the caller has checked the invite (root -> certificate ->
 * signature) before calling. */
#include "client-tui/core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include <signal/curve.h>
#include <signal/key_helper.h>
#include <signal/ratchet.h>
#include <signal/session_pre_key.h>

#include "protocol/buf.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/sig.h"
#include "protocol/signal_provider.h"
#include "protocol/timefmt.h"

#define CERT_LIFETIME_MS (365ull * 24 * 3600 * 1000)

struct enroll_state {
	struct self *s;
	const struct invite *inv;
	uint8_t redeem[32];
	struct wb enrollment;
	uint8_t signature[SIG_BYTES];
	uint8_t mac[LC_MAC_BYTES];
	session_signed_pre_key *spk;
	signal_protocol_key_helper_pre_key_list_node *keys;
	Liaison__Prekey **prekeys;
	size_t n_prekeys;
	uint8_t spk_pub[33];
	struct dirsync_publish genesis;  /* bootstrap: version 1, kept until published */
	int sent;
	int done;
};

/* Identity key pair, registration id and signed prekey into s and st. */
static int make_identity(struct enroll_state *st, signal_context *sctx, uint64_t now)
{
	struct self *s = st->s;
	ratchet_identity_key_pair *pair = NULL;
	signal_buffer *pub = NULL, *priv = NULL, *spub = NULL;
	int err = LIAISON_ERR_CRYPTO;

	if (signal_protocol_key_helper_generate_identity_key_pair(&pair, sctx) != 0)
		goto out;
	if (ec_public_key_serialize(&pub, ratchet_identity_key_pair_get_public(pair)) != 0 ||
	    signal_buffer_len(pub) != sizeof s->identity_pub)
		goto out;
	if (ec_private_key_serialize(&priv, ratchet_identity_key_pair_get_private(pair)) != 0 ||
	    signal_buffer_len(priv) != 32)
		goto out;
	memcpy(s->identity_pub, signal_buffer_data(pub), sizeof s->identity_pub);
	memcpy(s->identity_priv, signal_buffer_data(priv), 32);
	if (signal_protocol_key_helper_generate_registration_id(&s->registration_id, 0, sctx) != 0)
		goto out;
	s->signed_prekey_id = 1;
	if (signal_protocol_key_helper_generate_signed_pre_key(&st->spk, pair, s->signed_prekey_id,
							       now, sctx) != 0)
		goto out;
	if (ec_public_key_serialize(&spub, ec_key_pair_get_public(
			session_signed_pre_key_get_key_pair(st->spk))) != 0 ||
	    signal_buffer_len(spub) != 33 ||
	    session_signed_pre_key_get_signature_len(st->spk) != SIG_BYTES)
		goto out;
	memcpy(st->spk_pub, signal_buffer_data(spub), 33);
	err = 0;
out:
	signal_buffer_free(spub);
	if (priv != NULL)
		signal_buffer_bzero_free(priv);
	signal_buffer_free(pub);
	SIGNAL_UNREF(pair);
	return err;
}

/* Root key and certified signing key (bootstrap), or a signing key whose
 * certificate comes with the next directory issue (secretariat invite). */
static int make_secretariat_keys(struct self *s, const struct invite *inv, uint64_t now)
{
	int err;

	s->signing_sk = lc_secure_alloc(LC_ED_SK_BYTES);
	if (s->signing_sk == NULL)
		return LIAISON_ERR_NOMEM;
	err = lc_ed25519_keypair(s->signing_pk, s->signing_sk);
	if (err != 0)
		return err;
	s->has_signing_key = 1;
	if (inv->kind != INVITE_BOOTSTRAP)
		return 0;
	s->root_sk = lc_secure_alloc(LC_ED_SK_BYTES);
	if (s->root_sk == NULL)
		return LIAISON_ERR_NOMEM;
	err = lc_ed25519_keypair(s->root_pk, s->root_sk);
	if (err != 0)
		return err;
	s->has_root_pk = 1;
	memcpy(s->cert.key, s->signing_pk, 32);
	memcpy(s->cert.account, s->account, 16);
	s->cert.not_after = now + CERT_LIFETIME_MS;
	return layout_cert_sign(&s->cert, s->root_sk);
}

static int make_enrollment(struct enroll_state *st, signal_context *sctx, const uint8_t bind[32])
{
	const struct self *s = st->s;
	struct enrollment e;
	ec_private_key *priv = NULL;
	int err;

	memset(&e, 0, sizeof e);
	memcpy(e.account, s->account, 16);
	memcpy(e.authority, s->authority, sizeof e.authority);
	e.role = s->role;
	memcpy(e.name, s->name, sizeof e.name);
	memcpy(e.title, s->title, sizeof e.title);
	memcpy(e.invite_id, st->inv->invite_id, 16);
	e.invite_expires = st->inv->expires;
	memcpy(e.identity_key, s->identity_pub, 33);
	e.has_signing_key = s->has_signing_key;
	if (s->has_signing_key)
		memcpy(e.signing_key, s->signing_pk, 32);
	err = layout_enrollment_encode(&e, &st->enrollment);
	if (err != 0)
		goto out;
	if (curve_decode_private_point(&priv, s->identity_priv, 32, sctx) != 0) {
		err = LIAISON_ERR_CRYPTO;
		goto out;
	}
	err = sig_xeddsa_sign(st->signature, SIG_ENROLLMENT, st->enrollment.data,
			      st->enrollment.len, priv, sctx);
	if (err != 0)
		goto out;
	err = lc_auth(st->mac, st->enrollment.data, st->enrollment.len, bind);
out:
	SIGNAL_UNREF(priv);
	return err;
}

static void on_enroll_reply(struct core *c, const Liaison__Item *reply, void *arg)
{
	struct enroll_state *st = arg;
	struct home *h = core_home(c);
	int err;

	st->sent = 0;
	if (reply == NULL)
		return;
	if (reply->body_case == LIAISON__ITEM__BODY_ERROR) {
		core_fail(c, wire_error_code(reply->error));
		return;
	}
	if (reply->body_case != LIAISON__ITEM__BODY_OK) {
		core_fail(c, LIAISON_ERR_PROTOCOL);
		return;
	}
	/* The relay has committed: the account, its signed prekey and its
	 * one-time prekeys land together. */
	err = home_begin(h);
	if (err != 0)
		goto fail;
	err = self_save(h, st->s);
	if (err == 0 && signal_protocol_signed_pre_key_store_key(core_store(c), st->spk) != 0)
		err = LIAISON_ERR_STORAGE;
	if (err == 0)
		err = core_prekeys_store(core_store(c), st->keys);
	if (err == 0 && st->genesis.n > 0)
		err = dirsync_publish_keep(h, &st->genesis);
	if (err != 0) {
		home_rollback(h);
		goto fail;
	}
	err = home_commit(h);
	if (err != 0)
		goto fail;
	st->done = 1;
	return;
fail:
	core_fail(c, err);
}

static void enroll_ready(struct core *c, void *arg)
{
	struct enroll_state *st = arg;
	Liaison__Item item = LIAISON__ITEM__INIT;
	Liaison__Enroll en = LIAISON__ENROLL__INIT;
	Liaison__SignedPrekey spk = LIAISON__SIGNED_PREKEY__INIT;
	int err;

	if (st->sent || st->done)
		return;
	en.invite_id.data = (uint8_t *)st->inv->invite_id;
	en.invite_id.len = 16;
	en.redeem.data = st->redeem;
	en.redeem.len = sizeof st->redeem;
	en.enrollment.data = st->enrollment.data;
	en.enrollment.len = st->enrollment.len;
	en.signature.data = st->signature;
	en.signature.len = sizeof st->signature;
	en.bind_mac.data = st->mac;
	en.bind_mac.len = sizeof st->mac;
	en.registration_id = st->s->registration_id;
	spk.id = session_signed_pre_key_get_id(st->spk);
	spk.public_key.data = st->spk_pub;
	spk.public_key.len = sizeof st->spk_pub;
	spk.signature.data = (uint8_t *)session_signed_pre_key_get_signature(st->spk);
	spk.signature.len = session_signed_pre_key_get_signature_len(st->spk);
	en.signed_prekey = &spk;
	en.n_prekeys = st->n_prekeys;
	en.prekeys = st->prekeys;
	item.body_case = LIAISON__ITEM__BODY_ENROLL;
	item.enroll = &en;
	err = core_request(c, &item, on_enroll_reply, st);
	if (err != 0) {
		core_fail(c, err);
		return;
	}
	st->sent = 1;
}

static void copy_str(char *dst, size_t dstsz, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= dstsz)
		n = dstsz - 1;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

int core_enroll(struct home *h, struct invite *inv, const char *name, const char *title,
		uint64_t head_lifetime_s, uint32_t snapshot_every, uint64_t deadline_ms,
		struct self **out)
{
	static const struct core_handlers hd_template = { enroll_ready, NULL, NULL, NULL };
	struct enroll_state st;
	struct core_handlers hd = hd_template;
	struct core *c = NULL;
	signal_context *sctx = NULL;
	uint8_t bind[32];
	uint64_t now = time_now_ms();
	int err;

	memset(&st, 0, sizeof st);
	wb_init(&st.enrollment, LAYOUT_MAX_ENROLLMENT);
	st.inv = inv;
	if (name == NULL || name[0] == '\0' || strlen(name) > LAYOUT_MAX_NAME ||
	    (title != NULL && strlen(title) > LAYOUT_MAX_NAME)) {
		err = LIAISON_ERR_USAGE;
		goto out;
	}
	err = invite_derive(inv->secret, st.redeem, bind);
	lc_wipe(inv->secret, sizeof inv->secret);
	if (err != 0)
		goto out;
	st.s = self_new();
	if (st.s == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	err = sigprov_context_new(&sctx);
	if (err != 0)
		goto out;

	id_random(st.s->account);
	memcpy(st.s->url, inv->url, sizeof st.s->url);
	memcpy(st.s->pin, inv->pin, sizeof st.s->pin);
	st.s->role = inv->role;
	memcpy(st.s->authority, inv->authority, sizeof st.s->authority);
	memcpy(st.s->country, inv->country, sizeof st.s->country);
	memcpy(st.s->authority_name, inv->authority_name, sizeof st.s->authority_name);
	copy_str(st.s->name, sizeof st.s->name, name);
	copy_str(st.s->title, sizeof st.s->title, title);
	if (inv->kind == INVITE_MINTED) {
		st.s->has_root_pk = 1;
		memcpy(st.s->root_pk, inv->root_pk, 32);
	}
	st.s->next_prekey_id = 1;
	st.s->enrolled_at = now;

	err = make_identity(&st, sctx, now);
	if (err != 0)
		goto out;
	if (inv->role == ROLE_SECRETARIAT) {
		err = make_secretariat_keys(st.s, inv, now);
		if (err != 0)
			goto out;
	}
	err = core_prekeys_generate(st.s, sctx, CORE_PREKEY_BATCH, &st.keys, &st.prekeys,
				    &st.n_prekeys);
	if (err != 0)
		goto out;
	st.s->next_prekey_id += CORE_PREKEY_BATCH;
	err = make_enrollment(&st, sctx, bind);
	if (err != 0)
		goto out;
	if (inv->kind == INVITE_BOOTSTRAP) {
		/* Version 1 of the directory: the network's parameters, the
		 * secretariat's authority, and this enrollment approved under
		 * the root it just made. Kept with the account, published
		 * right after login. */
		err = dirsync_genesis(st.s, st.enrollment.data, st.enrollment.len, st.signature,
				      head_lifetime_s, snapshot_every, sctx, now, &st.genesis);
		if (err != 0)
			goto out;
	}

	err = core_open(h, st.s, &c);
	if (err != 0)
		goto out;
	core_set_handlers(c, &hd, &st);
	err = core_start(c, 0);
	if (err != 0)
		goto out;
	err = core_run(c, &st.done, deadline_ms);
	if (err != 0)
		goto out;
	*out = st.s;
	st.s = NULL;
out:
	core_free(c);
	lc_wipe(bind, sizeof bind);
	lc_wipe(st.redeem, sizeof st.redeem);
	dirsync_publish_free(&st.genesis);
	core_prekeys_free(st.prekeys, st.n_prekeys);
	signal_protocol_key_helper_key_list_free(st.keys);
	SIGNAL_UNREF(st.spk);
	wb_free(&st.enrollment);
	self_free(st.s);
	if (sctx != NULL)
		sigprov_context_free(sctx);
	return err;
}
