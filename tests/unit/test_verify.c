/* client-tui/core/verify.c as two people rely on it: Alice and Bruno, each
 * in their own home, see the same safety number; each one's QR code matches
 * only on the other's side; a typed number marks verified only when every
 * digit is right; and a key that moves on after verification shows as
 * changed, never as verified. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>
#include <sys/stat.h>

#include "client-tui/core/home.h"
#include "client-tui/core/self.h"
#include "client-tui/core/trust.h"
#include "client-tui/core/verify.h"
#include "protocol/crypto.h"
#include "protocol/signal_provider.h"
#include "test_dirsync_world.h"

#define PASS "correct horse battery staple"
#define PASSLEN (sizeof(PASS) - 1)

struct fixture {
	char root[64];
	signal_context *ctx;
	struct home *ha, *hb;           /* Alice's and Bruno's homes */
	struct self *alice, *bruno;
	uint8_t carla_account[16];
	uint8_t carla_key[33];
	uint8_t dave_account[16];       /* listed with dave_key; verified carla_key once */
	uint8_t dave_key[33];
	uint8_t erin_account[16];       /* listed, then revoked */
	struct dw dir;
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void make_identity(signal_context *ctx, uint8_t pub[33], uint8_t *priv)
{
	assert_int_equal(dw_identity(ctx, pub, priv), 0);
}

static struct home *make_home(const char *root, const char *name)
{
	char dir[128];
	struct home *h = NULL;

	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	assert_int_equal(home_lock(dir, 1, 0, &h), 0);
	assert_int_equal(home_create(h, PASS, PASSLEN, LC_KDF_INTERACTIVE), 0);
	return h;
}

static struct self *make_self(signal_context *ctx)
{
	struct self *s = self_new();

	assert_non_null(s);
	lc_random(s->account, sizeof(s->account));
	make_identity(ctx, s->identity_pub, s->identity_priv);
	return s;
}

static void member(struct dw_member *m, const uint8_t account[16], const uint8_t *pub,
		   const uint8_t *priv, const char *name, int revoked)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->account, account, 16);
	memcpy(m->identity_pub, pub, 33);
	memcpy(m->identity_priv, priv, 32);
	m->name = name;
	m->revoked = revoked;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct dw_member m[5];
	uint8_t carla_priv[32], dave_priv[32], erin_priv[32], erin_key[33];

	if (f == NULL || lc_init() != 0 || sigprov_context_new(&f->ctx) != 0)
		return -1;
	strcpy(f->root, "/tmp/liaison-test-verify-XXXXXX");
	if (mkdtemp(f->root) == NULL)
		return -1;
	f->ha = make_home(f->root, "alice");
	f->hb = make_home(f->root, "bruno");
	f->alice = make_self(f->ctx);
	f->bruno = make_self(f->ctx);
	lc_random(f->carla_account, sizeof(f->carla_account));
	make_identity(f->ctx, f->carla_key, carla_priv);
	lc_random(f->dave_account, sizeof(f->dave_account));
	make_identity(f->ctx, f->dave_key, dave_priv);
	lc_random(f->erin_account, sizeof(f->erin_account));
	make_identity(f->ctx, erin_key, erin_priv);
	/* Both homes hold the same verified directory, which lists them all. */
	member(&m[0], f->alice->account, f->alice->identity_pub, f->alice->identity_priv, "Alice", 0);
	member(&m[1], f->bruno->account, f->bruno->identity_pub, f->bruno->identity_priv, "Bruno", 0);
	member(&m[2], f->carla_account, f->carla_key, carla_priv, "Carla", 0);
	member(&m[3], f->dave_account, f->dave_key, dave_priv, "Dave", 0);
	member(&m[4], f->erin_account, erin_key, erin_priv, "Erin", 1);
	if (dw_build(f->ctx, m, 5, &f->dir) != 0 || dw_install(&f->dir, f->ha) != 0 ||
	    dw_install(&f->dir, f->hb) != 0)
		return -1;
	lc_wipe(carla_priv, sizeof(carla_priv));
	lc_wipe(dave_priv, sizeof(dave_priv));
	lc_wipe(erin_priv, sizeof(erin_priv));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	self_free(f->alice);
	self_free(f->bruno);
	home_close(f->ha);
	home_close(f->hb);
	dw_free(&f->dir);
	sigprov_context_free(f->ctx);
	nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static enum verify_state state_in(struct home *h, const uint8_t account[16])
{
	enum verify_state vs = VERIFY_VERIFIED;

	assert_int_equal(verify_state(h, account, &vs), 0);
	return vs;
}

static void test_both_sides_see_one_number(void **state)
{
	struct fixture *f = *state;
	struct verify_pair a, b;
	char text[VERIFY_NUMBER_TEXT + 1];
	size_t i;

	assert_int_equal(verify_pair_get(f->ha, f->alice, f->ctx, f->bruno->account, &a), 0);
	assert_int_equal(verify_pair_get(f->hb, f->bruno, f->ctx, f->alice->account, &b), 0);
	assert_string_equal(a.number, b.number);
	assert_int_equal(strlen(a.number), FP_SAFETY_DIGITS);
	assert_memory_equal(a.key, f->bruno->identity_pub, 33);
	/* The two QR payloads are each side's own view, so they differ. */
	assert_true(a.scannable_len > 0 && b.scannable_len > 0);
	assert_false(a.scannable_len == b.scannable_len &&
		     memcmp(a.scannable, b.scannable, a.scannable_len) == 0);
	verify_number_format(a.number, text);
	assert_int_equal(strlen(text), 71);
	for (i = 0; i < 12; i++) {
		assert_memory_equal(text + i * 6, a.number + i * 5, 5);
		if (i < 11)
			assert_int_equal(text[i * 6 + 5], ' ');
	}
}

static void test_scans_match_in_both_directions(void **state)
{
	struct fixture *f = *state;
	struct verify_pair a, b;

	assert_int_equal(verify_pair_get(f->ha, f->alice, f->ctx, f->bruno->account, &a), 0);
	assert_int_equal(verify_pair_get(f->hb, f->bruno, f->ctx, f->alice->account, &b), 0);
	assert_int_equal(state_in(f->ha, f->bruno->account), VERIFY_NONE);
	/* Scanning one's own code is not a check of the other side. */
	assert_int_equal(verify_scanned(f->ha, f->ctx, &a, a.scannable, a.scannable_len),
			 LIAISON_ERR_FINGERPRINT);
	assert_int_equal(state_in(f->ha, f->bruno->account), VERIFY_NONE);
	/* Alice scans Bruno's code, and Bruno scans Alice's. */
	assert_int_equal(verify_scanned(f->ha, f->ctx, &a, b.scannable, b.scannable_len), 0);
	assert_int_equal(state_in(f->ha, f->bruno->account), VERIFY_VERIFIED);
	assert_int_equal(verify_scanned(f->hb, f->ctx, &b, a.scannable, a.scannable_len), 0);
	assert_int_equal(state_in(f->hb, f->alice->account), VERIFY_VERIFIED);
}

static void test_another_pairs_code_does_not_match(void **state)
{
	struct fixture *f = *state;
	struct verify_pair a, bc;
	uint8_t junk[40];

	assert_int_equal(verify_pair_get(f->ha, f->alice, f->ctx, f->bruno->account, &a), 0);
	/* Bruno's code for Carla: Bruno's side is right, the other is not Alice. */
	assert_int_equal(verify_pair_get(f->hb, f->bruno, f->ctx, f->carla_account, &bc), 0);
	assert_int_equal(verify_scanned(f->ha, f->ctx, &a, bc.scannable, bc.scannable_len),
			 LIAISON_ERR_FINGERPRINT);
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(verify_scanned(f->ha, f->ctx, &a, junk, sizeof(junk)), LIAISON_ERR_INVALID);
	assert_int_equal(state_in(f->ha, f->bruno->account), VERIFY_NONE);
}

static void test_typed_number(void **state)
{
	struct fixture *f = *state;
	struct verify_pair a;
	char text[VERIFY_NUMBER_TEXT + 1], wrong[VERIFY_NUMBER_TEXT + 1];

	assert_int_equal(verify_pair_get(f->ha, f->alice, f->ctx, f->bruno->account, &a), 0);
	verify_number_format(a.number, text);
	memcpy(wrong, text, sizeof(wrong));
	wrong[40] = wrong[40] == '9' ? '0' : (char)(wrong[40] + 1);
	assert_int_equal(verify_number(f->ha, &a, wrong), LIAISON_ERR_FINGERPRINT);
	assert_int_equal(verify_number(f->ha, &a, "12345"), LIAISON_ERR_INVALID);
	assert_int_equal(verify_number(f->ha, &a, ""), LIAISON_ERR_INVALID);
	wrong[0] = 'a';
	assert_int_equal(verify_number(f->ha, &a, wrong), LIAISON_ERR_INVALID);
	assert_int_equal(state_in(f->ha, f->bruno->account), VERIFY_NONE);
	/* 61 digits are not a safety number either, even with the right 60 first. */
	{
		char longer[FP_SAFETY_DIGITS + 2];

		memcpy(longer, a.number, FP_SAFETY_DIGITS);
		longer[FP_SAFETY_DIGITS] = '1';
		longer[FP_SAFETY_DIGITS + 1] = '\0';
		assert_int_equal(verify_number(f->ha, &a, longer), LIAISON_ERR_INVALID);
	}
	assert_int_equal(verify_number(f->ha, &a, text), 0);
	assert_int_equal(state_in(f->ha, f->bruno->account), VERIFY_VERIFIED);
	assert_int_equal(verify_number(f->ha, &a, a.number), 0);
}

static void test_key_changed_since_verified(void **state)
{
	struct fixture *f = *state;
	struct trust_contact c;
	struct verify_pair stale;
	const uint8_t *new_key = f->dave_key;

	/* A contact (Dave, listed with new_key) whose verified key is not its
	 * current one. */
	memset(&c, 0, sizeof(c));
	memcpy(c.account, f->dave_account, sizeof(c.account));
	c.state = TRUST_LISTED;
	c.has_key = 1;
	memcpy(c.key, new_key, 33);
	c.has_verified_key = 1;
	memcpy(c.verified_key, f->carla_key, 33);
	assert_int_equal(trust_contact_put(f->ha, &c), 0);
	assert_int_equal(state_in(f->ha, c.account), VERIFY_KEY_CHANGED);
	assert_int_equal(verify_state_of(&c, NULL), VERIFY_KEY_CHANGED);
	assert_int_equal(verify_state_of(&c, f->carla_key), VERIFY_VERIFIED);
	c.has_verified_key = 0;
	assert_int_equal(verify_state_of(&c, NULL), VERIFY_NONE);
	memcpy(c.verified_key, c.key, 33);
	c.has_verified_key = 1;
	assert_int_equal(verify_state_of(&c, NULL), VERIFY_VERIFIED);
	/* What counts is the key trusted now, not the one the record holds. */
	assert_int_equal(verify_state_of(&c, f->carla_key), VERIFY_KEY_CHANGED);

	/* A comparison made for the old key never marks the new one. */
	assert_int_equal(verify_pair_get(f->ha, f->alice, f->ctx, c.account, &stale), 0);
	memcpy(stale.key, f->carla_key, 33);
	assert_int_equal(verify_mark(f->ha, &stale), LIAISON_ERR_IDENTITY);
	assert_int_equal(state_in(f->ha, c.account), VERIFY_KEY_CHANGED);
	/* Verifying the new key again clears the warning. */
	assert_int_equal(verify_pair_get(f->ha, f->alice, f->ctx, c.account, &stale), 0);
	assert_int_equal(verify_mark(f->ha, &stale), 0);
	assert_int_equal(state_in(f->ha, c.account), VERIFY_VERIFIED);
}

static void test_only_listed_contacts(void **state)
{
	struct fixture *f = *state;
	struct verify_pair p;
	struct trust_contact c;
	uint8_t nobody[16];
	int rc;

	lc_random(nobody, sizeof(nobody));
	assert_int_equal(verify_pair_get(f->ha, f->alice, f->ctx, nobody, &p), LIAISON_ERR_UNKNOWN_PEER);
	assert_int_equal(state_in(f->ha, nobody), VERIFY_NONE);
	assert_int_equal(verify_pair_get(f->ha, f->alice, f->ctx, f->alice->account, &p),
			 LIAISON_ERR_UNKNOWN_PEER);
	/* Revoked in the directory: no safety number. */
	assert_int_equal(verify_pair_get(f->ha, f->alice, f->ctx, f->erin_account, &p),
			 LIAISON_ERR_REVOKED);
	/* A contact record cannot make an account trusted: the directory
	 * decides (a record saying listed, with a key, is not enough). */
	memset(&c, 0, sizeof(c));
	lc_random(c.account, sizeof(c.account));
	c.state = TRUST_LISTED;
	c.has_key = 1;
	memcpy(c.key, f->carla_key, 33);
	assert_int_equal(trust_contact_put(f->ha, &c), 0);
	assert_int_equal(verify_pair_get(f->ha, f->alice, f->ctx, c.account, &p),
			 LIAISON_ERR_UNKNOWN_PEER);
	/* A pending account has no trusted key yet: the trust source says
	 * pending, or (the signed directory lists only approved accounts)
	 * unlisted; either way there is no safety number. */
	lc_random(c.account, sizeof(c.account));
	c.state = TRUST_PENDING;
	assert_int_equal(trust_contact_put(f->ha, &c), 0);
	rc = verify_pair_get(f->ha, f->alice, f->ctx, c.account, &p);
	assert_true(rc == LIAISON_ERR_PENDING || rc == LIAISON_ERR_UNKNOWN_PEER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_both_sides_see_one_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scans_match_in_both_directions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_another_pairs_code_does_not_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_typed_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_changed_since_verified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_listed_contacts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
