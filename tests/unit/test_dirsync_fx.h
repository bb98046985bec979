/* The fixture of test_dirsync.c and test_trust.c: a home whose account is
 * a bootstrap secretariat (identity, root and certified signing keys) and
 * its signed version 1 of the directory, made by dirsync_genesis. */
#ifndef LIAISON_TEST_DIRSYNC_FX_H
#define LIAISON_TEST_DIRSYNC_FX_H

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal/key_helper.h>
#include <signal/ratchet.h>

#include "client-tui/core/dirsync.h"
#include "client-tui/core/home.h"
#include "client-tui/core/self.h"
#include "client-tui/core/trust.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/sig.h"
#include "protocol/signal_provider.h"
#include "protocol/timefmt.h"

#define FX_PASS "dirsync test passphrase"
#define FX_PASSLEN (sizeof(FX_PASS) - 1)

struct fx {
	char root[64];
	char dir[96];
	signal_context *sctx;
	struct home *h;
	struct self *s;
	struct dirsync_publish genesis;
	uint8_t other_key[33];        /* a key nobody lists */
};

static int fx_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void fx_key(struct fx *f, uint8_t pub[33], uint8_t *priv)
{
	ratchet_identity_key_pair *kp = NULL;
	signal_buffer *b = NULL;

	assert_int_equal(signal_protocol_key_helper_generate_identity_key_pair(&kp, f->sctx), 0);
	assert_int_equal(ec_public_key_serialize(&b, ratchet_identity_key_pair_get_public(kp)), 0);
	memcpy(pub, signal_buffer_data(b), 33);
	signal_buffer_free(b);
	if (priv != NULL) {
		assert_int_equal(ec_private_key_serialize(&b, ratchet_identity_key_pair_get_private(kp)), 0);
		memcpy(priv, signal_buffer_data(b), 32);
		signal_buffer_bzero_free(b);
	}
	SIGNAL_UNREF(kp);
}

/* The bootstrap secretariat's account and its signed genesis. */
static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct self *s;
	struct enrollment e;
	struct wb w;
	ec_private_key *priv = NULL;
	uint8_t sig[64];
	uint64_t now = time_now_ms();

	assert_non_null(f);
	assert_int_equal(lc_init(), 0);
	assert_int_equal(sigprov_context_new(&f->sctx), 0);
	snprintf(f->root, sizeof f->root, "/tmp/liaison-test-dirsync.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->dir, sizeof f->dir, "%s/home", f->root);
	assert_int_equal(home_lock(f->dir, 1, 0, &f->h), 0);
	assert_int_equal(home_create(f->h, FX_PASS, FX_PASSLEN, LC_KDF_INTERACTIVE), 0);

	s = f->s = self_new();
	assert_non_null(s);
	id_random(s->account);
	fx_key(f, s->identity_pub, s->identity_priv);
	fx_key(f, f->other_key, NULL);
	s->role = ROLE_SECRETARIAT;
	strcpy(s->authority, "GLOBE-SEC");
	strcpy(s->country, "NL");
	strcpy(s->authority_name, "GlobE Secretariat");
	strcpy(s->name, "Ana Secretariat");
	s->root_sk = lc_secure_alloc(LC_ED_SK_BYTES);
	s->signing_sk = lc_secure_alloc(LC_ED_SK_BYTES);
	assert_non_null(s->root_sk);
	assert_non_null(s->signing_sk);
	assert_int_equal(lc_ed25519_keypair(s->root_pk, s->root_sk), 0);
	assert_int_equal(lc_ed25519_keypair(s->signing_pk, s->signing_sk), 0);
	s->has_root_pk = 1;
	s->has_signing_key = 1;
	memcpy(s->cert.key, s->signing_pk, 32);
	memcpy(s->cert.account, s->account, 16);
	s->cert.not_after = now + 365ULL * 86400 * 1000;
	assert_int_equal(layout_cert_sign(&s->cert, s->root_sk), 0);
	s->next_prekey_id = 1;
	assert_int_equal(self_save(f->h, s), 0);

	memset(&e, 0, sizeof e);
	memcpy(e.account, s->account, 16);
	strcpy(e.authority, s->authority);
	e.role = ROLE_SECRETARIAT;
	strcpy(e.name, s->name);
	lc_random(e.invite_id, 16);
	e.invite_expires = now + 86400ULL * 1000;
	memcpy(e.identity_key, s->identity_pub, 33);
	e.has_signing_key = 1;
	memcpy(e.signing_key, s->signing_pk, 32);
	assert_int_equal(layout_enrollment_encode(&e, &w), 0);
	assert_int_equal(curve_decode_private_point(&priv, s->identity_priv, 32, f->sctx), 0);
	assert_int_equal(sig_xeddsa_sign(sig, SIG_ENROLLMENT, w.data, w.len, priv, f->sctx), 0);
	SIGNAL_UNREF(priv);
	assert_int_equal(dirsync_genesis(s, w.data, w.len, sig, 3600, 10, f->sctx, now, &f->genesis), 0);
	wb_free(&w);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	dirsync_publish_free(&f->genesis);
	self_free(f->s);
	home_close(f->h);
	dirsync_drop();
	sigprov_context_free(f->sctx);
	nftw(f->root, fx_rm, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Applies the genesis as the client does once the relay has it, and makes
 * it the home's verified directory. */
static __attribute__((unused)) void fx_adopt_genesis(struct fx *f)
{
	struct dirsync *ds;
	struct dir_state *st = NULL;
	struct dir_head head;
	struct dir_tracker tr;
	uint64_t now = time_now_ms();

	assert_int_equal(dirsync_get(f->h, &ds), 0);
	assert_int_equal(dir_state_new(f->s->root_pk, ds->sctx, &st), 0);
	assert_int_equal(dir_apply(st, f->genesis.changes[0], f->genesis.lens[0], now), 0);
	assert_int_equal(dir_head_verify(st, f->genesis.head, f->genesis.head_len, now, 0, &head), 0);
	memset(&tr, 0, sizeof tr);
	assert_int_equal(dir_tracker_observe(&tr, head.version, head.chain_hash, head.expires), 0);
	assert_int_equal(home_begin(f->h), 0);
	assert_int_equal(dirsync_save(ds, st, &tr, f->genesis.head, f->genesis.head_len), 0);
	assert_int_equal(home_commit(f->h), 0);
	assert_int_equal(dirsync_adopt(ds, st, &tr, f->genesis.head, f->genesis.head_len), 0);
}

static __attribute__((unused)) void fx_reopen(struct fx *f)
{
	home_close(f->h);
	f->h = NULL;
	assert_int_equal(home_lock(f->dir, 0, 0, &f->h), 0);
	assert_int_equal(home_unlock(f->h, FX_PASS, FX_PASSLEN), 0);
}

#endif
