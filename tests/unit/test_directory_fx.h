/* The fixture of the directory's unit tests (test_directory.c,
 * test_directory_chain.c): a root, a signal context, people who enroll, and
 * helpers that sign and apply changes. Included by those files only. */
#ifndef LIAISON_TEST_DIRECTORY_FX_H
#define LIAISON_TEST_DIRECTORY_FX_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "directory/dir_int.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/sig.h"
#include "protocol/signal_provider.h"

#define T0 1764459098000ULL
#define SEC_MS 1000ULL
#define DAY (86400ULL * SEC_MS)
/* SHA-256 of the layout in docs/DIRECTORY.md, computed apart from this code. */
#define CHANGE_KAT "cd25c787b32a45dafe8fc1b1980e2c2513f6e8525420eebe1fd19183a8fa4a2f"

static signal_context *sctx;
static uint8_t root_pk[32], root_sk[64];

struct person {
	uint8_t account[16];
	uint8_t idpub[33];
	ec_key_pair *id;
	uint8_t spk[32], ssk[64];
	uint8_t enr[LAYOUT_MAX_ENROLLMENT];
	size_t enr_len;
	uint8_t enr_sig[64];
	struct signing_cert cert;
	int role;
};

static __attribute__((unused)) void person_make(struct person *p, const char *authority, int role, const char *name,
			uint64_t not_after)
{
	struct enrollment e;
	signal_buffer *buf = NULL;
	struct wb w;

	memset(p, 0, sizeof(*p));
	memset(&e, 0, sizeof(e));
	p->role = role;
	lc_random(p->account, 16);
	assert_int_equal(curve_generate_key_pair(sctx, &p->id), 0);
	assert_int_equal(ec_public_key_serialize(&buf, ec_key_pair_get_public(p->id)), 0);
	memcpy(p->idpub, signal_buffer_data(buf), 33);
	signal_buffer_free(buf);
	memcpy(e.account, p->account, 16);
	strcpy(e.authority, authority);
	e.role = (uint8_t)role;
	strcpy(e.name, name);
	strcpy(e.title, "Prosecutor");
	lc_random(e.invite_id, 16);
	e.invite_expires = T0 + 7 * DAY;
	memcpy(e.identity_key, p->idpub, 33);
	if (role == ROLE_SECRETARIAT) {
		assert_int_equal(lc_ed25519_keypair(p->spk, p->ssk), 0);
		e.has_signing_key = 1;
		memcpy(e.signing_key, p->spk, 32);
		memcpy(p->cert.key, p->spk, 32);
		memcpy(p->cert.account, p->account, 16);
		p->cert.not_after = not_after;
		assert_int_equal(layout_cert_sign(&p->cert, root_sk), 0);
	}
	assert_int_equal(layout_enrollment_encode(&e, &w), 0);
	memcpy(p->enr, w.data, w.len);
	p->enr_len = w.len;
	wb_free(&w);
	assert_int_equal(sig_xeddsa_sign(p->enr_sig, SIG_ENROLLMENT, p->enr, p->enr_len,
					 ec_key_pair_get_private(p->id), sctx), 0);
}

static __attribute__((unused)) void person_free(struct person *p)
{
	if (p->id != NULL)
		SIGNAL_UNREF(p->id);
	p->id = NULL;
}

static __attribute__((unused)) void approval(struct dir_change *c, const struct person *p)
{
	c->enrollment = p->enr;
	c->enrollment_len = p->enr_len;
	memcpy(c->enrollment_sig, p->enr_sig, 64);
	c->has_cert = p->role == ROLE_SECRETARIAT;
	if (c->has_cert)
		c->cert = p->cert;
}

static __attribute__((unused)) void authority(struct dir_authority *a, const char *id, const char *cc, const char *name,
		      int type)
{
	memset(a, 0, sizeof(*a));
	strcpy(a->id, id);
	strcpy(a->country, cc);
	strcpy(a->name, name);
	a->type = (uint8_t)type;
	strcpy(a->languages, "en,fr");
}

static __attribute__((unused)) int sign_apply(struct dir_state *st, struct dir_change *c, const uint8_t *pk,
		      const uint8_t *sk, uint64_t now)
{
	struct wb w;
	int rc;

	assert_int_equal(dir_change_sign(st, c, pk, sk, &w), 0);
	rc = dir_apply(st, w.data, w.len, now);
	wb_free(&w);
	return rc;
}

/* A record made by hand: header fields as the caller set them, signed for
 * any purpose. */
static __attribute__((unused)) int craft_apply(struct dir_state *st, const struct dir_change *c, int purpose,
		       const uint8_t *pk, const uint8_t *sk, uint64_t now)
{
	struct wb bytes, rec;
	int rc;

	assert_int_equal(dir_change_encode(c, &bytes), 0);
	assert_int_equal(dir_sign_record(purpose, bytes.data, bytes.len, pk, sk, &rec), 0);
	rc = dir_apply(st, rec.data, rec.len, now);
	wb_free(&rec);
	wb_free(&bytes);
	return rc;
}

static __attribute__((unused)) struct dir_state *genesis_with(struct person *sec, uint64_t lifetime_s, struct wb *rec)
{
	struct dir_state *st = NULL;
	struct dir_change c;
	struct wb w;

	person_make(sec, "GLOBE-SEC", ROLE_SECRETARIAT, "Ana Secretariat", T0 + 365 * DAY);
	assert_int_equal(dir_state_new(root_pk, sctx, &st), 0);
	memset(&c, 0, sizeof(c));
	c.kind = DIR_GENESIS;
	c.issued = T0;
	memcpy(c.params.root, root_pk, 32);
	c.params.head_lifetime_s = lifetime_s;
	c.params.snapshot_every = 4;
	c.params.skew_s = 300;
	authority(&c.authority, "GLOBE-SEC", "NL", "GlobE Secretariat", DIR_TYPE_SECRETARIAT);
	approval(&c, sec);
	assert_int_equal(dir_change_sign(st, &c, root_pk, root_sk, &w), 0);
	assert_int_equal(dir_apply(st, w.data, w.len, T0), 0);
	if (rec != NULL)
		*rec = w;
	else
		wb_free(&w);
	return st;
}

static __attribute__((unused)) struct dir_state *genesis(struct person *sec)
{
	return genesis_with(sec, DIR_DEFAULT_HEAD_LIFETIME_S, NULL);
}

static __attribute__((unused)) int add_authority(struct dir_state *st, const struct person *by, const char *id,
			 uint64_t issued)
{
	struct dir_change c;

	memset(&c, 0, sizeof(c));
	c.kind = DIR_ADD_AUTHORITY;
	c.issued = issued;
	authority(&c.authority, id, "FR", "Parquet national financier", DIR_TYPE_PROSECUTION);
	return sign_apply(st, &c, by->spk, by->ssk, issued);
}

static __attribute__((unused)) int add_contact(struct dir_state *st, const uint8_t *pk, const uint8_t *sk,
		       const struct person *p, uint64_t issued)
{
	struct dir_change c;

	memset(&c, 0, sizeof(c));
	c.kind = DIR_ADD_CONTACT;
	c.issued = issued;
	approval(&c, p);
	return sign_apply(st, &c, pk, sk, issued);
}

static __attribute__((unused)) int by_account(struct dir_state *st, int kind, const uint8_t *pk, const uint8_t *sk,
		      const uint8_t account[16], uint64_t issued)
{
	struct dir_change c;

	memset(&c, 0, sizeof(c));
	c.kind = (uint8_t)kind;
	c.issued = issued;
	memcpy(c.account, account, 16);
	return sign_apply(st, &c, pk, sk, issued);
}

static __attribute__((unused)) int by_cert(struct dir_state *st, int kind, const uint8_t *pk, const uint8_t *sk,
		   const struct signing_cert *cert, uint64_t issued)
{
	struct dir_change c;

	memset(&c, 0, sizeof(c));
	c.kind = (uint8_t)kind;
	c.issued = issued;
	c.cert = *cert;
	return sign_apply(st, &c, pk, sk, issued);
}

static __attribute__((unused)) void encode(const struct dir_state *st, struct wb *w)
{
	assert_int_equal(dir_state_encode(st, w), 0);
}

static __attribute__((unused)) struct dir_state *copy(const struct dir_state *st)
{
	struct dir_state *out = NULL;
	struct wb w;

	encode(st, &w);
	assert_int_equal(dir_state_decode(w.data, w.len, sctx, &out), 0);
	wb_free(&w);
	return out;
}

static __attribute__((unused)) void assert_same_state(const struct dir_state *a, const struct dir_state *b)
{
	struct wb x, y;

	encode(a, &x);
	encode(b, &y);
	assert_int_equal(x.len, y.len);
	assert_memory_equal(x.data, y.data, x.len);
	wb_free(&x);
	wb_free(&y);
}


static __attribute__((unused)) int setup(void **state)
{
	(void)state;
	if (lc_init() != 0 || sigprov_context_new(&sctx) != 0)
		return -1;
	return lc_ed25519_keypair(root_pk, root_sk) == 0 ? 0 : -1;
}

static __attribute__((unused)) int teardown(void **state)
{
	(void)state;
	sigprov_context_free(sctx);
	lc_wipe(root_sk, sizeof(root_sk));
	return 0;
}

#endif
