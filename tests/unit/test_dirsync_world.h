/* A signed directory for unit tests and benchmarks that run without a relay
 * (test_sigstore.c, test_verify.c, tests/bench/bench_ratchet.c): a bootstrap
 * secretariat made here (root and certified signing key), one authority, the
 * given members approved with enrollments self-signed by their own identity
 * keys, some of them revoked, and a head; installed as the verified
 * directory of any home, exactly as the client saves one it verified. No
 * test framework: every function returns 0 or a LIAISON_ERR_*. */
#ifndef LIAISON_TEST_DIRSYNC_WORLD_H
#define LIAISON_TEST_DIRSYNC_WORLD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <signal/curve.h>
#include <signal/key_helper.h>
#include <signal/ratchet.h>
#include <signal/signal_protocol.h>

#include "client-tui/core/dirsync.h"
#include "client-tui/core/home.h"
#include "client-tui/core/self.h"
#include "directory/directory.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/layout.h"
#include "protocol/sig.h"
#include "protocol/timefmt.h"

#define DW_AUTHORITY "AUTH-TEST"
#define DW_MAX_MEMBERS 16

/* One member as the directory will list it; identity_priv signs its
 * enrollment (the directory checks that self-signature). */
struct dw_member {
	uint8_t account[16];
	uint8_t identity_pub[33];
	uint8_t identity_priv[32];
	const char *name;
	int revoked;
};

struct dw {
	signal_context *sctx;           /* borrowed */
	struct dir_state *st;           /* the signed state every home gets */
	struct wb head;                 /* its head */
	uint8_t root_pk[32];
	uint8_t *root_sk;               /* lc_secure_alloc */
	uint8_t signing_pk[32];
	uint8_t *signing_sk;            /* lc_secure_alloc */
};

/* A new identity key pair (priv may be NULL). */
static __attribute__((unused)) int dw_identity(signal_context *sctx, uint8_t pub[33],
					       uint8_t *priv)
{
	ratchet_identity_key_pair *kp = NULL;
	signal_buffer *b = NULL;
	int err = LIAISON_ERR_CRYPTO;

	if (signal_protocol_key_helper_generate_identity_key_pair(&kp, sctx) != 0)
		goto out;
	if (ec_public_key_serialize(&b, ratchet_identity_key_pair_get_public(kp)) != 0 ||
	    signal_buffer_len(b) != 33)
		goto out;
	memcpy(pub, signal_buffer_data(b), 33);
	signal_buffer_free(b);
	b = NULL;
	if (priv != NULL) {
		if (ec_private_key_serialize(&b, ratchet_identity_key_pair_get_private(kp)) != 0 ||
		    signal_buffer_len(b) != 32)
			goto out;
		memcpy(priv, signal_buffer_data(b), 32);
	}
	err = 0;
out:
	if (b != NULL)
		signal_buffer_bzero_free(b);
	SIGNAL_UNREF(kp);
	return err;
}

/* Signs ch as the next change of w->st with the signing key and applies it. */
static __attribute__((unused)) int dw_change(struct dw *w, struct dir_change *ch)
{
	struct wb rec;
	uint64_t now = time_now_ms();
	int err;

	ch->issued = now > w->st->issued ? now : w->st->issued;
	err = dir_change_sign(w->st, ch, w->signing_pk, w->signing_sk, &rec);
	if (err != 0)
		return err;
	err = dir_apply(w->st, rec.data, rec.len, now);
	wb_free(&rec);
	return err;
}

/* The enrollment of m (a member of DW_AUTHORITY), self-signed, approved. */
static __attribute__((unused)) int dw_add_member(struct dw *w, const struct dw_member *m)
{
	struct enrollment e;
	struct dir_change ch;
	ec_private_key *priv = NULL;
	struct wb enc;
	int err;

	memset(&e, 0, sizeof e);
	memset(&enc, 0, sizeof enc);
	memcpy(e.account, m->account, 16);
	snprintf(e.authority, sizeof e.authority, "%s", DW_AUTHORITY);
	e.role = ROLE_MEMBER;
	snprintf(e.name, sizeof e.name, "%s", m->name != NULL ? m->name : "member");
	lc_random(e.invite_id, 16);
	e.invite_expires = time_now_ms() + 86400ULL * 1000;
	memcpy(e.identity_key, m->identity_pub, 33);
	err = layout_enrollment_encode(&e, &enc);
	if (err != 0)
		return err;
	memset(&ch, 0, sizeof ch);
	ch.kind = DIR_ADD_CONTACT;
	ch.enrollment = enc.data;
	ch.enrollment_len = enc.len;
	if (curve_decode_private_point(&priv, m->identity_priv, 32, w->sctx) != 0) {
		err = LIAISON_ERR_CRYPTO;
		goto out;
	}
	err = sig_xeddsa_sign(ch.enrollment_sig, SIG_ENROLLMENT, enc.data, enc.len, priv, w->sctx);
	if (err == 0)
		err = dw_change(w, &ch);
	if (err == 0 && m->revoked) {
		memset(&ch, 0, sizeof ch);
		ch.kind = DIR_REVOKE_CONTACT;
		memcpy(ch.account, m->account, 16);
		err = dw_change(w, &ch);
	}
out:
	SIGNAL_UNREF(priv);
	wb_free(&enc);
	return err;
}

static __attribute__((unused)) void dw_free(struct dw *w)
{
	if (w == NULL)
		return;
	dir_state_free(w->st);
	if (w->head.data != NULL)
		wb_free(&w->head);
	lc_secure_free(w->root_sk);
	lc_secure_free(w->signing_sk);
	memset(w, 0, sizeof *w);
}

/* The directory: the secretariat's genesis, DW_AUTHORITY, the n members
 * (in order; revoked ones revoked right after their approval), a head. */
static __attribute__((unused)) int dw_build(signal_context *sctx, const struct dw_member *m,
					    size_t n, struct dw *w)
{
	struct self *sec = NULL;
	struct enrollment e;
	struct dir_change ch;
	struct dirsync_publish genesis;
	ec_private_key *priv = NULL;
	struct wb enc;
	uint8_t sig[64];
	uint64_t now = time_now_ms();
	size_t i;
	int err;

	memset(w, 0, sizeof *w);
	memset(&genesis, 0, sizeof genesis);
	memset(&enc, 0, sizeof enc);
	w->sctx = sctx;
	w->root_sk = lc_secure_alloc(LC_ED_SK_BYTES);
	w->signing_sk = lc_secure_alloc(LC_ED_SK_BYTES);
	sec = self_new();
	if (w->root_sk == NULL || w->signing_sk == NULL || sec == NULL || n > DW_MAX_MEMBERS) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	if ((err = lc_ed25519_keypair(w->root_pk, w->root_sk)) != 0 ||
	    (err = lc_ed25519_keypair(w->signing_pk, w->signing_sk)) != 0 ||
	    (err = dw_identity(sctx, sec->identity_pub, sec->identity_priv)) != 0)
		goto out;

	/* The bootstrap secretariat, as enroll makes it. */
	id_random(sec->account);
	sec->role = ROLE_SECRETARIAT;
	snprintf(sec->authority, sizeof sec->authority, "TEST-SEC");
	snprintf(sec->country, sizeof sec->country, "NL");
	snprintf(sec->authority_name, sizeof sec->authority_name, "Test Secretariat");
	snprintf(sec->name, sizeof sec->name, "Test Secretariat");
	sec->root_sk = lc_secure_alloc(LC_ED_SK_BYTES);
	sec->signing_sk = lc_secure_alloc(LC_ED_SK_BYTES);
	if (sec->root_sk == NULL || sec->signing_sk == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	memcpy(sec->root_pk, w->root_pk, 32);
	memcpy(sec->root_sk, w->root_sk, LC_ED_SK_BYTES);
	memcpy(sec->signing_pk, w->signing_pk, 32);
	memcpy(sec->signing_sk, w->signing_sk, LC_ED_SK_BYTES);
	sec->has_root_pk = 1;
	sec->has_signing_key = 1;
	memcpy(sec->cert.key, w->signing_pk, 32);
	memcpy(sec->cert.account, sec->account, 16);
	sec->cert.not_after = now + 365ULL * 86400 * 1000;
	if ((err = layout_cert_sign(&sec->cert, w->root_sk)) != 0)
		goto out;
	memset(&e, 0, sizeof e);
	memcpy(e.account, sec->account, 16);
	snprintf(e.authority, sizeof e.authority, "%s", sec->authority);
	e.role = ROLE_SECRETARIAT;
	snprintf(e.name, sizeof e.name, "%s", sec->name);
	lc_random(e.invite_id, 16);
	e.invite_expires = now + 86400ULL * 1000;
	memcpy(e.identity_key, sec->identity_pub, 33);
	e.has_signing_key = 1;
	memcpy(e.signing_key, w->signing_pk, 32);
	if ((err = layout_enrollment_encode(&e, &enc)) != 0)
		goto out;
	if (curve_decode_private_point(&priv, sec->identity_priv, 32, sctx) != 0) {
		err = LIAISON_ERR_CRYPTO;
		goto out;
	}
	if ((err = sig_xeddsa_sign(sig, SIG_ENROLLMENT, enc.data, enc.len, priv, sctx)) != 0 ||
	    (err = dirsync_genesis(sec, enc.data, enc.len, sig, 3600, 1000, sctx, now,
				   &genesis)) != 0)
		goto out;
	if ((err = dir_state_new(w->root_pk, sctx, &w->st)) != 0 ||
	    (err = dir_apply(w->st, genesis.changes[0], genesis.lens[0], now)) != 0)
		goto out;

	memset(&ch, 0, sizeof ch);
	ch.kind = DIR_ADD_AUTHORITY;
	snprintf(ch.authority.id, sizeof ch.authority.id, "%s", DW_AUTHORITY);
	snprintf(ch.authority.country, sizeof ch.authority.country, "FR");
	snprintf(ch.authority.name, sizeof ch.authority.name, "Test Authority");
	ch.authority.type = DIR_TYPE_PROSECUTION;
	if ((err = dw_change(w, &ch)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((err = dw_add_member(w, &m[i])) != 0)
			goto out;
	}
	err = dir_head_sign(w->st, w->st->issued, 0, w->signing_pk, w->signing_sk, &w->head);
out:
	SIGNAL_UNREF(priv);
	if (enc.data != NULL)
		wb_free(&enc);
	dirsync_publish_free(&genesis);
	self_free(sec);
	if (err != 0)
		dw_free(w);
	return err;
}

/* Makes w's directory the verified directory of home h, as the client
 * saves one it verified: state, tracker and head in one transaction. */
static __attribute__((unused)) int dw_install(struct dw *w, struct home *h)
{
	struct dirsync *ds;
	struct dir_state *copy = NULL;
	struct dir_head head;
	struct dir_tracker tr;
	int err;

	err = dirsync_get(h, &ds);
	if (err != 0)
		return err;
	err = dirsync_clone(ds, w->st, &copy);
	if (err != 0)
		return err;
	memset(&tr, 0, sizeof tr);
	if ((err = dir_head_verify(copy, w->head.data, w->head.len, time_now_ms(), 0, &head)) != 0 ||
	    (err = dir_tracker_observe(&tr, head.version, head.chain_hash, head.expires)) != 0 ||
	    (err = home_begin(h)) != 0)
		goto out;
	err = dirsync_save(ds, copy, &tr, w->head.data, w->head.len);
	if (err != 0) {
		home_rollback(h);
		goto out;
	}
	if ((err = home_commit(h)) != 0)
		goto out;
	err = dirsync_adopt(ds, copy, &tr, w->head.data, w->head.len);
	if (err == 0)
		copy = NULL;
out:
	dir_state_free(copy);
	return err;
}

#endif
