/* Double Ratchet speed through the client's real stack (make bench): two
 * homes on disk, libsignal sessions kept in the encrypted vault, 256-byte
 * messages encrypted by one side and decrypted in order by the other, the
 * state written back to the vault on every message and committed every
 * BATCH messages. Prints ratchet.encrypt and ratchet.decrypt in ops/s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <signal/key_helper.h>
#include <signal/protocol.h>
#include <signal/session_builder.h>
#include <signal/session_cipher.h>
#include <signal/session_pre_key.h>
#include <signal/signal_protocol.h>

#include "client-tui/core/home.h"
#include "client-tui/core/self.h"
#include "client-tui/core/sigstore.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/signal_provider.h"
#include "tests/unit/test_dirsync_world.h"

#define N_MESSAGES 20000
#define BATCH 1000
#define PAYLOAD 256
#define PASS "bench passphrase"

struct party {
	char dir[128];
	struct home *h;
	struct self *self;
	signal_protocol_store_context *store;
	char name[ID_CHARS + 1];
	signal_protocol_address addr;
	ratchet_identity_key_pair *kp;
	session_pre_key *pk;
	session_signed_pre_key *spk;
};

static signal_context *ctx;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "bench_ratchet: %s failed\n", what);
		exit(1);
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void party_create(struct party *p, const char *root, const char *who)
{
	signal_buffer *pub = NULL, *priv = NULL;
	signal_protocol_key_helper_pre_key_list_node *head = NULL;

	snprintf(p->dir, sizeof(p->dir), "%s/%s", root, who);
	check(home_lock(p->dir, 1, 0, &p->h) == 0, "home lock");
	check(home_create(p->h, PASS, strlen(PASS), LC_KDF_INTERACTIVE) == 0, "home create");
	p->self = self_new();
	check(p->self != NULL, "self");
	id_random(p->self->account);
	check(signal_protocol_key_helper_generate_registration_id(&p->self->registration_id, 0, ctx) == 0,
	      "registration id");
	check(signal_protocol_key_helper_generate_identity_key_pair(&p->kp, ctx) == 0, "identity");
	check(ec_public_key_serialize(&pub, ratchet_identity_key_pair_get_public(p->kp)) == 0, "pub");
	check(ec_private_key_serialize(&priv, ratchet_identity_key_pair_get_private(p->kp)) == 0, "priv");
	memcpy(p->self->identity_pub, signal_buffer_data(pub), 33);
	memcpy(p->self->identity_priv, signal_buffer_data(priv), 32);
	signal_buffer_free(pub);
	signal_buffer_bzero_free(priv);
	p->self->role = 1;
	p->self->next_prekey_id = 2;
	p->self->signed_prekey_id = 1;
	check(self_save(p->h, p->self) == 0, "self save");
	check(sigstore_new(p->h, p->self, ctx, &p->store) == 0, "store");
	check(signal_protocol_key_helper_generate_pre_keys(&head, 1, 1, ctx) == 0, "prekeys");
	p->pk = signal_protocol_key_helper_key_list_element(head);
	SIGNAL_REF(p->pk);
	check(signal_protocol_key_helper_generate_signed_pre_key(&p->spk, p->kp, 1, 1700000000000ULL,
								  ctx) == 0, "signed prekey");
	check(home_begin(p->h) == 0, "begin");
	check(signal_protocol_pre_key_store_key(p->store, p->pk) == 0, "store prekey");
	check(signal_protocol_signed_pre_key_store_key(p->store, p->spk) == 0, "store signed prekey");
	check(home_commit(p->h) == 0, "commit");
	signal_protocol_key_helper_key_list_free(head);
	sigstore_address(p->self->account, p->name, &p->addr);
}

static void party_free(struct party *p)
{
	SIGNAL_UNREF(p->pk);
	SIGNAL_UNREF(p->spk);
	SIGNAL_UNREF(p->kp);
	sigstore_free(p->store);
	self_free(p->self);
	home_close(p->h);
}

int main(void)
{
	struct party a, b;
	char root[] = "/tmp/liaison-bench-ratchet-XXXXXX";
	session_builder *builder = NULL;
	session_pre_key_bundle *bundle = NULL;
	session_cipher *ca = NULL, *cb = NULL;
	static signal_buffer *wire[N_MESSAGES];
	static uint8_t text[PAYLOAD];
	int types[N_MESSAGES];
	struct dw_member members[2];
	struct dw dir;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	check(lc_init() == 0, "libsodium init");
	check(mkdtemp(root) != NULL, "temp dir");
	check(sigprov_context_new(&ctx) == 0, "signal context");
	party_create(&a, root, "alice");
	party_create(&b, root, "bob");
	/* Each side trusts the other's key because its verified directory
	 * lists it, as after a sync. */
	memset(members, 0, sizeof(members));
	memcpy(members[0].account, a.self->account, 16);
	memcpy(members[0].identity_pub, a.self->identity_pub, 33);
	memcpy(members[0].identity_priv, a.self->identity_priv, 32);
	members[0].name = "alice";
	memcpy(members[1].account, b.self->account, 16);
	memcpy(members[1].identity_pub, b.self->identity_pub, 33);
	memcpy(members[1].identity_priv, b.self->identity_priv, 32);
	members[1].name = "bob";
	check(dw_build(ctx, members, 2, &dir) == 0, "signed directory");
	check(dw_install(&dir, a.h) == 0, "alice's directory");
	check(dw_install(&dir, b.h) == 0, "bob's directory");
	lc_wipe(members, sizeof(members));

	check(session_pre_key_bundle_create(&bundle, b.self->registration_id, 1, 1,
			ec_key_pair_get_public(session_pre_key_get_key_pair(b.pk)), 1,
			ec_key_pair_get_public(session_signed_pre_key_get_key_pair(b.spk)),
			session_signed_pre_key_get_signature(b.spk),
			session_signed_pre_key_get_signature_len(b.spk),
			ratchet_identity_key_pair_get_public(b.kp)) == 0, "bundle");
	check(session_builder_create(&builder, a.store, &b.addr, ctx) == 0, "builder");
	check(home_begin(a.h) == 0, "begin");
	check(session_builder_process_pre_key_bundle(builder, bundle) == 0, "session from bundle");
	check(home_commit(a.h) == 0, "commit");
	check(session_cipher_create(&ca, a.store, &b.addr, ctx) == 0, "cipher a");
	check(session_cipher_create(&cb, b.store, &a.addr, ctx) == 0, "cipher b");
	lc_random(text, sizeof(text));

	double t0 = now_s();
	for (int i = 0; i < N_MESSAGES; i++) {
		ciphertext_message *m = NULL;
		if (i % BATCH == 0)
			check(home_begin(a.h) == 0, "begin");
		check(session_cipher_encrypt(ca, text, sizeof(text), &m) == 0, "encrypt");
		types[i] = ciphertext_message_get_type(m);
		wire[i] = signal_buffer_copy(ciphertext_message_get_serialized(m));
		check(wire[i] != NULL, "copy");
		SIGNAL_UNREF(m);
		if (i % BATCH == BATCH - 1)
			check(home_commit(a.h) == 0, "commit");
	}
	double t1 = now_s();
	for (int i = 0; i < N_MESSAGES; i++) {
		signal_buffer *plain = NULL;
		if (i % BATCH == 0)
			check(home_begin(b.h) == 0, "begin");
		if (types[i] == CIPHERTEXT_PREKEY_TYPE) {
			pre_key_signal_message *pm = NULL;
			check(pre_key_signal_message_deserialize(&pm, signal_buffer_data(wire[i]),
					signal_buffer_len(wire[i]), ctx) == 0, "deserialise");
			check(session_cipher_decrypt_pre_key_signal_message(cb, pm, NULL, &plain) == 0,
			      "decrypt prekey message");
			SIGNAL_UNREF(pm);
		} else {
			signal_message *sm = NULL;
			check(signal_message_deserialize(&sm, signal_buffer_data(wire[i]),
					signal_buffer_len(wire[i]), ctx) == 0, "deserialise");
			check(session_cipher_decrypt_signal_message(cb, sm, NULL, &plain) == 0, "decrypt");
			SIGNAL_UNREF(sm);
		}
		check(signal_buffer_len(plain) == sizeof(text) &&
		      memcmp(signal_buffer_data(plain), text, sizeof(text)) == 0, "plaintext round trip");
		signal_buffer_bzero_free(plain);
		signal_buffer_free(wire[i]);
		if (i % BATCH == BATCH - 1)
			check(home_commit(b.h) == 0, "commit");
	}
	double t2 = now_s();
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	printf("bench ratchet.encrypt %.0f ops/s cores %ld\n", N_MESSAGES / (t1 - t0), cores);
	printf("bench ratchet.decrypt %.0f ops/s cores %ld\n", N_MESSAGES / (t2 - t1), cores);

	session_cipher_free(ca);
	session_cipher_free(cb);
	session_builder_free(builder);
	SIGNAL_UNREF(bundle);
	party_free(&a);
	party_free(&b);
	dw_free(&dir);
	sigprov_context_free(ctx);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : 1;
}
