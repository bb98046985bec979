/* libFuzzer target for the directory's decoders (directory/): the first
 * byte picks one — change signed bytes, records (applied to a real genesis
 * state), heads, snapshots, whole states, pages, the tracker. Whatever
 * decodes must re-encode to exactly the same bytes (one spelling), and
 * nothing may crash, leak or read out of bounds. One mode signs the input as
 * a change (by the root and by a secretariat of a real genesis state) so
 * that the rules behind the signature check are reached too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "directory/dir_int.h"
#include "protocol/crypto.h"
#include "protocol/sig.h"
#include "protocol/signal_provider.h"

#define NOW 1764459098000ULL

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t root[32];
static uint8_t root_pk[32], root_sk[64], spk[32], ssk[64];
static signal_context *sctx;
static struct wb genesis_state;

/* A genesis state with a root and one secretariat, kept as its encoding. */
static void make_genesis(void)
{
	struct dir_state *st = NULL;
	struct dir_change c;
	struct enrollment e;
	ec_key_pair *idk = NULL;
	signal_buffer *buf = NULL;
	struct wb enr, rec;
	uint8_t sig[64];

	memset(&c, 0, sizeof(c));
	memset(&e, 0, sizeof(e));
	if (sigprov_context_new(&sctx) != 0 || lc_ed25519_keypair(root_pk, root_sk) != 0 ||
	    lc_ed25519_keypair(spk, ssk) != 0 || curve_generate_key_pair(sctx, &idk) != 0 ||
	    ec_public_key_serialize(&buf, ec_key_pair_get_public(idk)) != 0 ||
	    dir_state_new(root_pk, sctx, &st) != 0)
		abort();
	c.kind = DIR_GENESIS;
	c.issued = NOW;
	memcpy(c.params.root, root_pk, 32);
	c.params.head_lifetime_s = 60;
	c.params.snapshot_every = 4;
	c.params.skew_s = 300;
	strcpy(c.authority.id, "SEC");
	strcpy(c.authority.country, "NL");
	strcpy(c.authority.name, "Secretariat");
	c.authority.type = DIR_TYPE_SECRETARIAT;
	memset(e.account, 1, 16);
	memset(e.invite_id, 2, 16);
	e.invite_expires = NOW + 86400000ULL;
	memcpy(e.identity_key, signal_buffer_data(buf), 33);
	strcpy(e.name, "Ana");
	strcpy(e.authority, "SEC");
	e.role = ROLE_SECRETARIAT;
	e.has_signing_key = 1;
	memcpy(e.signing_key, spk, 32);
	c.has_cert = 1;
	memcpy(c.cert.key, spk, 32);
	memcpy(c.cert.account, e.account, 16);
	c.cert.not_after = NOW + 86400000ULL;
	if (layout_cert_sign(&c.cert, root_sk) != 0 || layout_enrollment_encode(&e, &enr) != 0 ||
	    sig_xeddsa_sign(sig, SIG_ENROLLMENT, enr.data, enr.len, ec_key_pair_get_private(idk),
			    sctx) != 0)
		abort();
	c.enrollment = enr.data;
	c.enrollment_len = enr.len;
	memcpy(c.enrollment_sig, sig, 64);
	if (dir_change_sign(st, &c, root_pk, root_sk, &rec) != 0 ||
	    dir_apply(st, rec.data, rec.len, NOW) != 0 || dir_state_encode(st, &genesis_state) != 0)
		abort();
	wb_free(&rec);
	wb_free(&enr);
	signal_buffer_free(buf);
	SIGNAL_UNREF(idk);
	dir_state_free(st);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (lc_init() != 0)
		abort();
	memset(root, 0x5a, sizeof(root));
	make_genesis();
	return 0;
}

static void same_or_abort(const struct wb *w, const uint8_t *p, size_t n);

/* The input as change signed bytes, signed by the root or the secretariat
 * and applied to the genesis state: a refused change must leave it as it
 * was. Version, previous hash and signer id are patched to fit the state,
 * which the fuzzer could never guess (the keys are made afresh). */
static void fuzz_signed_change(const uint8_t *p, size_t n, int by_root)
{
	static uint8_t m[DIR_MAX_CHANGE];
	struct dir_state *st = NULL;
	struct wb rec, after;
	int i;

	if (n > DIR_MAX_CHANGE)
		return;
	if (dir_state_decode(genesis_state.data, genesis_state.len, sctx, &st) != 0)
		abort();
	memcpy(m, p, n);
	if (n >= 1 + 8 + 32 + 8 + 16) {
		for (i = 0; i < 8; i++)
			m[1 + i] = (uint8_t)((st->version + 1) >> (56 - 8 * i));
		memcpy(m + 9, st->change_hash, 32);
		if (layout_key_id(by_root ? root_pk : spk, m + 1 + 8 + 32 + 8) != 0)
			abort();
	}
	if (dir_sign_record(SIG_DIRECTORY, m, n, by_root ? root_pk : spk, by_root ? root_sk : ssk,
			    &rec) != 0)
		abort();
	if (dir_apply(st, rec.data, rec.len, NOW + 1000) != 0) {
		if (dir_state_encode(st, &after) != 0)
			abort();
		same_or_abort(&after, genesis_state.data, genesis_state.len);
		wb_free(&after);
	}
	wb_free(&rec);
	dir_state_free(st);
}

static void same_or_abort(const struct wb *w, const uint8_t *p, size_t n)
{
	if (w->len != n || memcmp(w->data, p, n) != 0)
		abort();
}

static void fuzz_change(const uint8_t *p, size_t n)
{
	struct dir_change c;
	struct wb w;

	if (dir_change_parse(p, n, &c) != 0)
		return;
	if (dir_change_encode(&c, &w) != 0)
		abort();
	same_or_abort(&w, p, n);
	wb_free(&w);
}

static void fuzz_state(const uint8_t *p, size_t n)
{
	struct dir_state *st = NULL;
	struct dir_search *ix = NULL;
	struct dir_result r;
	struct wb w;

	if (dir_state_decode(p, n, NULL, &st) != 0)
		return;
	if (dir_state_encode(st, &w) != 0)
		abort();
	same_or_abort(&w, p, n);
	wb_free(&w);
	if (dir_search_new(st, &ix) == 0) {
		if (dir_search(ix, "a", &r) == 0)
			dir_result_free(&r);
		if (dir_list(ix, "FR", 0, &r) == 0)
			dir_result_free(&r);
		dir_search_free(ix);
	}
	dir_state_free(st);
}

static void fuzz_page(const uint8_t *p, size_t n)
{
	struct dir_state *st = NULL;
	size_t applied = 0;
	uint8_t r2[32];

	if (dir_state_new(root, NULL, &st) != 0)
		abort();
	(void)dir_apply_page(st, p, n, NOW, &applied);
	if (applied != 0)
		abort();	/* nothing is signed by this root */
	(void)dir_genesis_root(p, n, r2);
	dir_state_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dir_record rec;
	struct dir_head h;
	struct dir_snapshot s;
	struct dir_tracker tr;
	uint8_t enc[DIR_TRACKER_BYTES];

	if (size < 1)
		return 0;
	switch (data[0] % 9) {
	case 0:
		fuzz_change(data + 1, size - 1);
		break;
	case 1:
		if (dir_record_read(data + 1, size - 1, DIR_MAX_CHANGE, &rec) == 0)
			fuzz_change(rec.signed_bytes, rec.signed_len);
		break;
	case 2:
		(void)dir_head_parse(data + 1, size - 1, &h);
		break;
	case 3:
		(void)dir_snapshot_parse(data + 1, size - 1, &s);
		break;
	case 4:
		fuzz_state(data + 1, size - 1);
		break;
	case 5:
		fuzz_page(data + 1, size - 1);
		break;
	case 7:
	case 8:
		fuzz_signed_change(data + 1, size - 1, data[0] % 9 == 7);
		break;
	default:
		if (dir_tracker_decode(data + 1, size - 1, &tr) == 0) {
			dir_tracker_encode(&tr, enc);
			if (size - 1 != sizeof(enc) || memcmp(enc, data + 1, sizeof(enc)) != 0)
				abort();
		}
		break;
	}
	return 0;
}
