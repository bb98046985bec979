/* Test tool: makes the directory objects a hostile relay, or a thief of a
 * secretariat's signing key, would serve: it opens a client home (the test
 * knows the passphrase: $LIAISON_PASSPHRASE) read-only, through the client
 * core, and signs with what it finds there. It never changes the home and
 * never talks to the relay; the test hands its output to the relay.
 *
 *   dirforge --home DIR fork CHANGE_OUT HEAD_OUT
 *       the next change (add-authority FORGED-...) of the home's verified
 *       directory and its head, signed with the home's secretariat signing
 *       key, as a stolen key would sign them: another history
 *   dirforge --home DIR member-change CHANGE_OUT HEAD_OUT
 *       the same, signed by a key of the member's own (no secretariat's)
 *   dirforge --home DIR invite AUTHORITY TOKEN_OUT
 *       a member invite for the home's relay under a root of its own; prints
 *       "invite-id HEX redeem-hash HEX expires MS" for the relay's database
 *   dirforge reenroll ENROLLMENT_HEX
 *       the enrollment with a fresh identity key, self-signed by that key
 *       (the relay's own key swapped in); prints "enrollment HEX",
 *       "signature HEX", "identity-key HEX"
 * Exit 0 on success, 1 otherwise. Never for real keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <signal/signal_protocol.h>

#include "client-tui/core/dirsync.h"
#include "client-tui/core/home.h"
#include "client-tui/core/self.h"
#include "directory/directory.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/invite.h"
#include "protocol/layout.h"
#include "protocol/sig.h"
#include "protocol/signal_provider.h"
#include "protocol/timefmt.h"

static void die(const char *what, int rc)
{
	fprintf(stderr, "dirforge: %s: %s\n", what, liaison_strerror(rc));
	exit(1);
}

static void must(int rc, const char *what)
{
	if (rc != 0)
		die(what, rc);
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *fp = fopen(path, "wb");
	if (fp == NULL || fwrite(p, 1, n, fp) != n || fclose(fp) != 0)
		die(path, LIAISON_ERR_IO);
}

static void print_hex(const char *label, const uint8_t *p, size_t n)
{
	char *text = malloc(2 * n + 1);
	if (text == NULL)
		die("hex", LIAISON_ERR_NOMEM);
	hex_encode(p, n, text);
	printf("%s %s\n", label, text);
	free(text);
}

struct opened {
	struct home *h;
	struct self *s;
	struct dirsync *ds;
};

static void open_home(const char *dir, struct opened *o)
{
	const char *pass = getenv("LIAISON_PASSPHRASE");

	if (pass == NULL)
		die("$LIAISON_PASSPHRASE", LIAISON_ERR_USAGE);
	must(home_lock(dir, 0, 10, &o->h), "the home");
	must(home_unlock(o->h, pass, strlen(pass)), "the home");
	must(self_load(o->h, &o->s), "the account");
	must(dirsync_get(o->h, &o->ds), "the directory");
	if (o->ds->st == NULL)
		die("the home has no verified directory", LIAISON_ERR_NOT_FOUND);
}

static void close_home(struct opened *o)
{
	self_free(o->s);
	home_close(o->h);
}

/* The next change of the home's directory and a head after it; with
 * own_key, a fresh key of the caller's signs both (as a member would). */
static int cmd_change(const char *dir, int own_key, const char *change_out, const char *head_out)
{
	struct opened o;
	struct dir_change c;
	struct dir_state after;
	struct wb rec, head;
	uint8_t pk[32], *sk = lc_secure_alloc(64), change_hash[32];
	uint64_t now = time_now_ms();

	if (sk == NULL)
		die("memory", LIAISON_ERR_NOMEM);
	open_home(dir, &o);
	if (own_key) {
		must(lc_ed25519_keypair(pk, sk), "a key");
	} else {
		if (!o.s->has_signing_key || o.s->signing_sk == NULL)
			die("the home holds no secretariat signing key", LIAISON_ERR_DENIED);
		memcpy(pk, o.s->signing_pk, 32);
		memcpy(sk, o.s->signing_sk, 64);
	}
	memset(&c, 0, sizeof c);
	c.kind = DIR_ADD_AUTHORITY;
	c.issued = now;
	snprintf(c.authority.id, sizeof c.authority.id, "FORGED-%u", (unsigned)(now % 100000));
	snprintf(c.authority.country, sizeof c.authority.country, "XX");
	snprintf(c.authority.name, sizeof c.authority.name, "Forged authority");
	c.authority.type = DIR_TYPE_OTHER;
	must(dir_change_sign(o.ds->st, &c, pk, sk, &rec), "signing the change");
	/* The state after it, as far as a head needs it: version and chain. */
	after = *o.ds->st;
	after.version++;
	must(dir_change_hash(rec.data, rec.len, change_hash), "hash");
	{
		static const char tag[] = "liaison/v1/chain";
		uint8_t in[sizeof tag - 1 + 64];
		memcpy(in, tag, sizeof tag - 1);
		memcpy(in + sizeof tag - 1, o.ds->st->chain_hash, 32);
		memcpy(in + sizeof tag - 1 + 32, change_hash, 32);
		must(lc_sha256(in, sizeof in, after.chain_hash), "hash");
	}
	memcpy(after.change_hash, change_hash, 32);
	must(dir_head_sign(&after, now, 0, pk, sk, &head), "signing the head");
	write_file(change_out, rec.data, rec.len);
	write_file(head_out, head.data, head.len);
	printf("version %llu %s\n", (unsigned long long)after.version, c.authority.id);
	wb_free(&rec);
	wb_free(&head);
	lc_secure_free(sk);
	close_home(&o);
	return 0;
}

static int cmd_invite(const char *dir, const char *authority, const char *out)
{
	struct opened o;
	struct invite inv;
	uint8_t *rsk = lc_secure_alloc(64), redeem[32], bind[32], hash[32];
	char *token = NULL;
	FILE *fp;

	if (rsk == NULL)
		die("memory", LIAISON_ERR_NOMEM);
	open_home(dir, &o);
	memset(&inv, 0, sizeof inv);
	inv.kind = INVITE_MINTED;
	snprintf(inv.url, sizeof inv.url, "%s", o.s->url);
	memcpy(inv.pin, o.s->pin, 32);
	lc_random(inv.invite_id, 16);
	inv.expires = time_now_ms() + 24ull * 3600 * 1000;
	lc_random(inv.secret, 32);
	inv.role = ROLE_MEMBER;
	snprintf(inv.authority, sizeof inv.authority, "%s", authority);
	snprintf(inv.country, sizeof inv.country, "FR");
	snprintf(inv.authority_name, sizeof inv.authority_name, "Authority %.64s", authority);
	must(lc_ed25519_keypair(inv.root_pk, rsk), "a root of our own");
	memcpy(inv.signer_pk, inv.root_pk, 32);
	must(invite_sign(&inv, rsk), "signing the invite");
	must(invite_derive(inv.secret, redeem, bind), "the invite");
	must(lc_sha256(redeem, 32, hash), "hash");
	must(invite_encode(&inv, &token), "the invite");
	fp = fopen(out, "w");
	if (fp == NULL || fprintf(fp, "%s\n", token) < 0 || fclose(fp) != 0)
		die(out, LIAISON_ERR_IO);
	print_hex("invite-id", inv.invite_id, 16);
	print_hex("redeem-hash", hash, 32);
	printf("expires %llu\n", (unsigned long long)inv.expires);
	free(token);
	lc_wipe(&inv, sizeof inv);
	lc_wipe(bind, sizeof bind);
	lc_secure_free(rsk);
	close_home(&o);
	return 0;
}

static int cmd_reenroll(const char *hex)
{
	signal_context *sctx = NULL;
	struct enrollment e;
	struct wb w;
	ec_key_pair *pair = NULL;
	signal_buffer *buf = NULL;
	uint8_t *bytes, sig[64];
	size_t n = strlen(hex) / 2, i;

	bytes = malloc(n ? n : 1);
	if (bytes == NULL)
		die("memory", LIAISON_ERR_NOMEM);
	for (i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			die("ENROLLMENT_HEX", LIAISON_ERR_INVALID);
		bytes[i] = (uint8_t)v;
	}
	must(sigprov_context_new(&sctx), "libsignal");
	must(layout_enrollment_decode(bytes, n, &e), "the enrollment");
	if (curve_generate_key_pair(sctx, &pair) != 0 ||
	    ec_public_key_serialize(&buf, ec_key_pair_get_public(pair)) != 0)
		die("a key", LIAISON_ERR_CRYPTO);
	memcpy(e.identity_key, signal_buffer_data(buf), 33);
	signal_buffer_free(buf);
	must(layout_enrollment_encode(&e, &w), "the enrollment");
	must(sig_xeddsa_sign(sig, SIG_ENROLLMENT, w.data, w.len, ec_key_pair_get_private(pair), sctx),
	     "signing");
	print_hex("enrollment", w.data, w.len);
	print_hex("signature", sig, 64);
	print_hex("identity-key", e.identity_key, 33);
	wb_free(&w);
	SIGNAL_UNREF(pair);
	sigprov_context_free(sctx);
	free(bytes);
	return 0;
}

int main(int argc, char **argv)
{
	const char *home = NULL;
	int i = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (lc_init() != 0)
		return 1;
	if (i + 1 < argc && strcmp(argv[i], "--home") == 0) {
		home = argv[i + 1];
		i += 2;
	}
	if (i < argc && strcmp(argv[i], "reenroll") == 0 && i + 1 < argc)
		return cmd_reenroll(argv[i + 1]);
	if (home == NULL || i >= argc)
		goto usage;
	if ((strcmp(argv[i], "fork") == 0 || strcmp(argv[i], "member-change") == 0) && i + 2 < argc)
		return cmd_change(home, strcmp(argv[i], "member-change") == 0, argv[i + 1], argv[i + 2]);
	if (strcmp(argv[i], "invite") == 0 && i + 2 < argc)
		return cmd_invite(home, argv[i + 1], argv[i + 2]);
usage:
	fprintf(stderr, "usage: dirforge --home DIR fork|member-change CHANGE_OUT HEAD_OUT\n"
			"       dirforge --home DIR invite AUTHORITY TOKEN_OUT\n"
			"       dirforge reenroll ENROLLMENT_HEX\n");
	return 2;
}
