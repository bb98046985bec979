/* client-tui/core/sigstore.c with the real libsignal: Alice and Bob, each
 * with a home on disk whose verified directory lists the other, talk both
 * ways, close everything, reopen their homes and go on talking; a key other
 * than the one the directory lists is refused; group sender keys survive on
 * disk and are forgotten with their sender. */
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

#include <signal/signal_protocol.h>
#include <signal/curve.h>
#include <signal/group_cipher.h>
#include <signal/group_session_builder.h>
#include <signal/key_helper.h>
#include <signal/protocol.h>
#include <signal/session_builder.h>
#include <signal/session_cipher.h>
#include <signal/session_pre_key.h>

#include "client-tui/core/home.h"
#include "client-tui/core/self.h"
#include "client-tui/core/sigstore.h"
#include "client-tui/core/trust.h"
#include "client-tui/core/vault.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/signal_provider.h"
#include "test_dirsync_world.h"

#define PASS "sigstore test passphrase"
#define PASSLEN (sizeof(PASS) - 1)
#define PREKEYS 3

struct party {
	char dir[96];
	struct home *h;
	struct self *self;
	signal_protocol_store_context *store;
	char name[ID_CHARS + 1];
	signal_protocol_address addr;   /* this party's address, for the other */
};

struct world {
	char root[64];
	signal_context *ctx;
	struct party alice;
	struct party bob;
	struct dw dir;                  /* the signed directory the homes get */
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A new home with an identity, prekeys 1..PREKEYS and signed prekey 1. */
static void party_create(struct world *w, struct party *p, const char *who)
{
	ratchet_identity_key_pair *kp = NULL;
	signal_buffer *pub = NULL;
	signal_buffer *priv = NULL;
	signal_protocol_key_helper_pre_key_list_node *head = NULL;
	signal_protocol_key_helper_pre_key_list_node *node;
	session_signed_pre_key *spk = NULL;

	snprintf(p->dir, sizeof(p->dir), "%s/%s", w->root, who);
	assert_int_equal(home_lock(p->dir, 1, 0, &p->h), 0);
	assert_int_equal(home_create(p->h, PASS, PASSLEN, LC_KDF_INTERACTIVE), 0);

	p->self = self_new();
	assert_non_null(p->self);
	id_random(p->self->account);
	assert_int_equal(signal_protocol_key_helper_generate_registration_id(
				 &p->self->registration_id, 0, w->ctx), 0);
	assert_int_equal(signal_protocol_key_helper_generate_identity_key_pair(&kp, w->ctx), 0);
	assert_int_equal(ec_public_key_serialize(&pub, ratchet_identity_key_pair_get_public(kp)), 0);
	assert_int_equal(ec_private_key_serialize(&priv, ratchet_identity_key_pair_get_private(kp)), 0);
	assert_int_equal(signal_buffer_len(pub), 33);
	assert_int_equal(signal_buffer_len(priv), 32);
	memcpy(p->self->identity_pub, signal_buffer_data(pub), 33);
	memcpy(p->self->identity_priv, signal_buffer_data(priv), 32);
	signal_buffer_free(pub);
	signal_buffer_bzero_free(priv);
	strcpy(p->self->name, who);
	p->self->role = 1;
	p->self->next_prekey_id = PREKEYS + 1;
	p->self->signed_prekey_id = 1;
	assert_int_equal(self_save(p->h, p->self), 0);

	assert_int_equal(sigstore_new(p->h, p->self, w->ctx, &p->store), 0);
	assert_int_equal(signal_protocol_key_helper_generate_pre_keys(&head, 1, PREKEYS, w->ctx), 0);
	assert_int_equal(home_begin(p->h), 0);
	for (node = head; node != NULL; node = signal_protocol_key_helper_key_list_next(node))
		assert_int_equal(signal_protocol_pre_key_store_key(
					 p->store, signal_protocol_key_helper_key_list_element(node)), 0);
	assert_int_equal(signal_protocol_key_helper_generate_signed_pre_key(&spk, kp, 1, 1700000000000ULL,
									    w->ctx), 0);
	assert_int_equal(signal_protocol_signed_pre_key_store_key(p->store, spk), 0);
	assert_int_equal(home_commit(p->h), 0);
	signal_protocol_key_helper_key_list_free(head);
	SIGNAL_UNREF(spk);
	SIGNAL_UNREF(kp);

	sigstore_address(p->self->account, p->name, &p->addr);
}

static void party_close(struct party *p)
{
	sigstore_free(p->store);
	p->store = NULL;
	self_free(p->self);
	p->self = NULL;
	home_close(p->h);
	p->h = NULL;
}

static void party_reopen(struct world *w, struct party *p)
{
	assert_int_equal(home_lock(p->dir, 0, 0, &p->h), 0);
	assert_int_equal(home_unlock(p->h, PASS, PASSLEN), 0);
	assert_int_equal(self_load(p->h, &p->self), 0);
	assert_int_equal(sigstore_new(p->h, p->self, w->ctx, &p->store), 0);
	sigstore_address(p->self->account, p->name, &p->addr);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (w == NULL || lc_init() != 0)
		return -1;
	strcpy(w->root, "/tmp/liaison-test-sigstore-XXXXXX");
	if (mkdtemp(w->root) == NULL)
		return -1;
	if (sigprov_context_new(&w->ctx) != 0)
		return -1;
	party_create(w, &w->alice, "alice");
	party_create(w, &w->bob, "bob");
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	party_close(&w->alice);
	party_close(&w->bob);
	dw_free(&w->dir);
	sigprov_context_free(w->ctx);
	nftw(w->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(w);
	return 0;
}

/* A directory listing Alice and Bob with these keys, made the verified
 * directory of the given homes. */
static void install_directory(struct world *w, const uint8_t bob_key[33], struct home *h1,
			      struct home *h2)
{
	struct dw_member m[2];

	memset(m, 0, sizeof m);
	memcpy(m[0].account, w->alice.self->account, 16);
	memcpy(m[0].identity_pub, w->alice.self->identity_pub, 33);
	memcpy(m[0].identity_priv, w->alice.self->identity_priv, 32);
	m[0].name = "alice";
	memcpy(m[1].account, w->bob.self->account, 16);
	if (bob_key == w->bob.self->identity_pub) {
		memcpy(m[1].identity_pub, bob_key, 33);
		memcpy(m[1].identity_priv, w->bob.self->identity_priv, 32);
	} else {
		/* Another key for Bob's account: its own pair signs the enrollment. */
		assert_int_equal(dw_identity(w->ctx, m[1].identity_pub, m[1].identity_priv), 0);
	}
	m[1].name = "bob";
	dw_free(&w->dir);
	assert_int_equal(dw_build(w->ctx, m, 2, &w->dir), 0);
	assert_int_equal(dw_install(&w->dir, h1), 0);
	if (h2 != NULL)
		assert_int_equal(dw_install(&w->dir, h2), 0);
}

/* Bob's bundle, read back from his stores, with one-time prekey pre_key_id. */
static session_pre_key_bundle *bundle_of(struct party *p, uint32_t pre_key_id)
{
	session_pre_key *pk = NULL;
	session_signed_pre_key *spk = NULL;
	ratchet_identity_key_pair *kp = NULL;
	session_pre_key_bundle *bundle = NULL;
	uint32_t reg = 0;

	assert_int_equal(signal_protocol_pre_key_load_key(p->store, &pk, pre_key_id), 0);
	assert_int_equal(signal_protocol_signed_pre_key_load_key(p->store, &spk, 1), 0);
	assert_int_equal(signal_protocol_identity_get_key_pair(p->store, &kp), 0);
	assert_int_equal(signal_protocol_identity_get_local_registration_id(p->store, &reg), 0);
	assert_int_equal(reg, p->self->registration_id);
	assert_int_equal(session_pre_key_bundle_create(
				 &bundle, reg, 1, pre_key_id,
				 ec_key_pair_get_public(session_pre_key_get_key_pair(pk)), 1,
				 ec_key_pair_get_public(session_signed_pre_key_get_key_pair(spk)),
				 session_signed_pre_key_get_signature(spk),
				 session_signed_pre_key_get_signature_len(spk),
				 ratchet_identity_key_pair_get_public(kp)), 0);
	SIGNAL_UNREF(pk);
	SIGNAL_UNREF(spk);
	SIGNAL_UNREF(kp);
	return bundle;
}

/* Encrypts text from a to b; returns the serialised message and its type. */
static signal_buffer *encrypt_to(struct world *w, struct party *a, struct party *b,
				 const char *text, int *type)
{
	session_cipher *cipher = NULL;
	ciphertext_message *msg = NULL;
	signal_buffer *out;

	assert_int_equal(signal_protocol_session_contains_session(a->store, &b->addr), 1);
	assert_int_equal(session_cipher_create(&cipher, a->store, &b->addr, w->ctx), 0);
	assert_int_equal(home_begin(a->h), 0);
	assert_int_equal(session_cipher_encrypt(cipher, (const uint8_t *)text, strlen(text), &msg), 0);
	assert_int_equal(home_commit(a->h), 0);
	*type = ciphertext_message_get_type(msg);
	out = signal_buffer_copy(ciphertext_message_get_serialized(msg));
	assert_non_null(out);
	SIGNAL_UNREF(msg);
	session_cipher_free(cipher);
	return out;
}

/* b decrypts what a sent, inside one transaction, and checks the text. */
static void decrypt_from(struct world *w, struct party *b, struct party *a, signal_buffer *ct,
			 int type, const char *want)
{
	session_cipher *cipher = NULL;
	signal_buffer *plain = NULL;
	int rc;

	assert_int_equal(session_cipher_create(&cipher, b->store, &a->addr, w->ctx), 0);
	assert_int_equal(home_begin(b->h), 0);
	if (type == CIPHERTEXT_PREKEY_TYPE) {
		pre_key_signal_message *pm = NULL;

		assert_int_equal(pre_key_signal_message_deserialize(&pm, signal_buffer_data(ct),
								     signal_buffer_len(ct), w->ctx), 0);
		rc = session_cipher_decrypt_pre_key_signal_message(cipher, pm, NULL, &plain);
		SIGNAL_UNREF(pm);
	} else {
		signal_message *sm = NULL;

		assert_int_equal(type, CIPHERTEXT_SIGNAL_TYPE);
		assert_int_equal(signal_message_deserialize(&sm, signal_buffer_data(ct),
							    signal_buffer_len(ct), w->ctx), 0);
		rc = session_cipher_decrypt_signal_message(cipher, sm, NULL, &plain);
		SIGNAL_UNREF(sm);
	}
	if (rc != 0)
		fail_msg("expected the message to decrypt, libsignal said %d", rc);
	assert_int_equal(home_commit(b->h), 0);
	assert_int_equal(signal_buffer_len(plain), strlen(want));
	assert_memory_equal(signal_buffer_data(plain), want, strlen(want));
	signal_buffer_bzero_free(plain);
	session_cipher_free(cipher);
}

static void say(struct world *w, struct party *a, struct party *b, const char *text, int want_type)
{
	int type = 0;
	signal_buffer *ct = encrypt_to(w, a, b, text, &type);

	assert_int_equal(type, want_type);
	decrypt_from(w, b, a, ct, type, text);
	signal_buffer_free(ct);
}

static void build_alice_to_bob(struct world *w)
{
	session_builder *builder = NULL;
	session_pre_key_bundle *bundle;

	/* Each home's verified directory lists the other's key; Alice builds. */
	install_directory(w, w->bob.self->identity_pub, w->alice.h, w->bob.h);
	bundle = bundle_of(&w->bob, 1);
	assert_int_equal(session_builder_create(&builder, w->alice.store, &w->bob.addr, w->ctx), 0);
	assert_int_equal(home_begin(w->alice.h), 0);
	assert_int_equal(session_builder_process_pre_key_bundle(builder, bundle), 0);
	assert_int_equal(home_commit(w->alice.h), 0);
	session_builder_free(builder);
	SIGNAL_UNREF(bundle);
}

static void test_conversation_survives_reopen(void **state)
{
	struct world *w = *state;
	signal_int_list *devices = NULL;

	build_alice_to_bob(w);
	assert_int_equal(signal_protocol_pre_key_contains_key(w->bob.store, 1), 1);
	say(w, &w->alice, &w->bob, "hello Bob", CIPHERTEXT_PREKEY_TYPE);
	/* The one-time prekey is used up with the first message. */
	assert_int_equal(signal_protocol_pre_key_contains_key(w->bob.store, 1), 0);
	assert_int_equal(signal_protocol_pre_key_contains_key(w->bob.store, 2), 1);
	say(w, &w->bob, &w->alice, "hello Alice", CIPHERTEXT_SIGNAL_TYPE);
	say(w, &w->alice, &w->bob, "how are you?", CIPHERTEXT_SIGNAL_TYPE);

	assert_int_equal(signal_protocol_session_get_sub_device_sessions(
				 w->alice.store, &devices, w->bob.name, ID_CHARS), 1);
	assert_int_equal(signal_int_list_size(devices), 1);
	assert_int_equal(signal_int_list_at(devices, 0), 1);
	signal_int_list_free(devices);

	/* Everything closed, reopened from disk: the ratchets go on. */
	party_close(&w->alice);
	party_close(&w->bob);
	party_reopen(w, &w->alice);
	party_reopen(w, &w->bob);
	assert_string_equal(w->bob.self->name, "bob");
	say(w, &w->bob, &w->alice, "still here", CIPHERTEXT_SIGNAL_TYPE);
	say(w, &w->alice, &w->bob, "me too", CIPHERTEXT_SIGNAL_TYPE);
	say(w, &w->alice, &w->bob, "twice in a row", CIPHERTEXT_SIGNAL_TYPE);
	say(w, &w->bob, &w->alice, "bye", CIPHERTEXT_SIGNAL_TYPE);

	/* Forgetting Bob removes Alice's session with him. */
	assert_int_equal(home_begin(w->alice.h), 0);
	assert_int_equal(sigstore_forget(w->alice.h, w->bob.self->account), 0);
	assert_int_equal(home_commit(w->alice.h), 0);
	assert_int_equal(signal_protocol_session_contains_session(w->alice.store, &w->bob.addr), 0);
}

static void test_a_key_the_directory_does_not_list_is_refused(void **state)
{
	struct world *w = *state;
	session_pre_key_bundle *bundle;
	enum trust_state ts;
	uint8_t other_pub[33];
	session_builder *builder = NULL;
	ec_public_key *bob_key = NULL;
	int rc;

	assert_int_equal(curve_decode_point(&bob_key, w->bob.self->identity_pub, 33, w->ctx), 0);
	/* No verified directory yet: nothing is trusted, whatever the key. */
	assert_int_equal(signal_protocol_identity_is_trusted_identity(w->alice.store, &w->bob.addr,
								      bob_key), 0);
	assert_int_equal(trust_lookup(w->alice.h, w->bob.self->account, &ts, other_pub), 0);
	assert_int_equal(ts, TRUST_UNLISTED);

	/* Alice's directory lists another key for Bob's account. */
	install_directory(w, NULL, w->alice.h, NULL);
	assert_int_equal(trust_lookup(w->alice.h, w->bob.self->account, &ts, other_pub), 0);
	assert_int_equal(ts, TRUST_LISTED);
	assert_false(memcmp(other_pub, w->bob.self->identity_pub, 33) == 0);
	assert_int_equal(trust_check(w->alice.h, w->bob.self->account, w->bob.self->identity_pub),
			 LIAISON_ERR_IDENTITY);
	assert_int_equal(signal_protocol_identity_is_trusted_identity(w->alice.store, &w->bob.addr,
								      bob_key), 0);

	/* So the session cannot be built, and nothing is stored. */
	bundle = bundle_of(&w->bob, 2);
	assert_int_equal(session_builder_create(&builder, w->alice.store, &w->bob.addr, w->ctx), 0);
	assert_int_equal(home_begin(w->alice.h), 0);
	rc = session_builder_process_pre_key_bundle(builder, bundle);
	home_rollback(w->alice.h);
	assert_int_equal(rc, SG_ERR_UNTRUSTED_IDENTITY);
	assert_int_equal(signal_protocol_session_contains_session(w->alice.store, &w->bob.addr), 0);

	/* save_identity records nothing: the directory's key still decides. */
	assert_int_equal(signal_protocol_identity_save_identity(w->alice.store, &w->bob.addr,
								bob_key), 0);
	assert_int_equal(trust_check(w->alice.h, w->bob.self->account, other_pub), 0);
	assert_int_equal(trust_check(w->alice.h, w->bob.self->account, w->bob.self->identity_pub),
			 LIAISON_ERR_IDENTITY);

	session_builder_free(builder);
	SIGNAL_UNREF(bundle);
	SIGNAL_UNREF(bob_key);
}

static void test_bad_addresses_refused(void **state)
{
	struct world *w = *state;
	signal_protocol_address addr = w->bob.addr;
	session_record *rec = NULL;
	char upper[ID_CHARS + 1];
	size_t i;

	addr.device_id = 2;
	assert_true(signal_protocol_session_load_session(w->alice.store, &rec, &addr) < 0);
	addr.device_id = 1;
	strcpy(upper, w->bob.name);
	for (i = 0; i < ID_CHARS; i++)
		if (upper[i] >= 'a' && upper[i] <= 'z')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	addr.name = upper;
	assert_true(signal_protocol_session_load_session(w->alice.store, &rec, &addr) < 0);
	addr.name = w->bob.name;
	addr.name_len = ID_CHARS - 1;
	assert_true(signal_protocol_session_load_session(w->alice.store, &rec, &addr) < 0);
	assert_null(rec);
	/* A missing prekey is the library's "invalid key id". */
	{
		session_pre_key *pk = NULL;

		assert_int_equal(signal_protocol_pre_key_load_key(w->alice.store, &pk, 999),
				 SG_ERR_INVALID_KEY_ID);
	}
}

static void test_group_sender_keys(void **state)
{
	struct world *w = *state;
	static const char group[16] = "group-id-16bytes";
	signal_protocol_sender_key_name alice_name = { group, sizeof(group), w->alice.addr };
	group_session_builder *ab = NULL, *bb = NULL;
	sender_key_distribution_message *dist = NULL, *received = NULL;
	group_cipher *ac = NULL, *bc = NULL;
	ciphertext_message *msg = NULL;
	sender_key_message *skm = NULL;
	signal_buffer *plain = NULL;
	signal_buffer *wire;
	const char *text = "to the whole group";

	/* Alice makes her sender key and hands it to Bob (over the pairwise
	 * session in real life); Bob files it under Alice. */
	assert_int_equal(group_session_builder_create(&ab, w->alice.store, w->ctx), 0);
	assert_int_equal(home_begin(w->alice.h), 0);
	assert_int_equal(group_session_builder_create_session(ab, &dist, &alice_name), 0);
	assert_int_equal(home_commit(w->alice.h), 0);
	wire = ciphertext_message_get_serialized((ciphertext_message *)dist);
	assert_int_equal(sender_key_distribution_message_deserialize(
				 &received, signal_buffer_data(wire), signal_buffer_len(wire), w->ctx), 0);
	assert_int_equal(group_session_builder_create(&bb, w->bob.store, w->ctx), 0);
	assert_int_equal(home_begin(w->bob.h), 0);
	assert_int_equal(group_session_builder_process_session(bb, &alice_name, received), 0);
	assert_int_equal(home_commit(w->bob.h), 0);

	/* Bob's copy survives a reopen. */
	party_close(&w->bob);
	party_reopen(w, &w->bob);
	alice_name.sender = w->alice.addr;

	assert_int_equal(group_cipher_create(&ac, w->alice.store, &alice_name, w->ctx), 0);
	assert_int_equal(home_begin(w->alice.h), 0);
	assert_int_equal(group_cipher_encrypt(ac, (const uint8_t *)text, strlen(text), &msg), 0);
	assert_int_equal(home_commit(w->alice.h), 0);
	wire = ciphertext_message_get_serialized(msg);
	assert_int_equal(sender_key_message_deserialize(&skm, signal_buffer_data(wire),
							signal_buffer_len(wire), w->ctx), 0);
	assert_int_equal(group_cipher_create(&bc, w->bob.store, &alice_name, w->ctx), 0);
	assert_int_equal(home_begin(w->bob.h), 0);
	assert_int_equal(group_cipher_decrypt(bc, skm, NULL, &plain), 0);
	assert_int_equal(home_commit(w->bob.h), 0);
	assert_int_equal(signal_buffer_len(plain), strlen(text));
	assert_memory_equal(signal_buffer_data(plain), text, strlen(text));
	signal_buffer_bzero_free(plain);
	plain = NULL;
	SIGNAL_UNREF(skm);
	skm = NULL;
	SIGNAL_UNREF(msg);
	msg = NULL;

	/* Bob forgets Alice: her sender key goes with her session. */
	assert_int_equal(home_begin(w->bob.h), 0);
	assert_int_equal(sigstore_forget(w->bob.h, w->alice.self->account), 0);
	assert_int_equal(home_commit(w->bob.h), 0);
	assert_int_equal(home_begin(w->alice.h), 0);
	assert_int_equal(group_cipher_encrypt(ac, (const uint8_t *)text, strlen(text), &msg), 0);
	assert_int_equal(home_commit(w->alice.h), 0);
	wire = ciphertext_message_get_serialized(msg);
	assert_int_equal(sender_key_message_deserialize(&skm, signal_buffer_data(wire),
							signal_buffer_len(wire), w->ctx), 0);
	assert_int_equal(group_cipher_decrypt(bc, skm, NULL, &plain), SG_ERR_NO_SESSION);

	/* Alice rotates: her own record deleted, a new one made. */
	assert_int_equal(sigstore_sender_key_delete(w->alice.h, &alice_name), 0);

	SIGNAL_UNREF(skm);
	SIGNAL_UNREF(msg);
	group_cipher_free(ac);
	group_cipher_free(bc);
	SIGNAL_UNREF(received);
	SIGNAL_UNREF(dist);
	group_session_builder_free(ab);
	group_session_builder_free(bb);
}

static void test_self_round_trip(void **state)
{
	struct world *w = *state;
	struct self *s = NULL;

	w->alice.self->has_signing_key = 1;
	w->alice.self->signing_sk = lc_secure_alloc(LC_ED_SK_BYTES);
	assert_non_null(w->alice.self->signing_sk);
	assert_int_equal(lc_ed25519_keypair(w->alice.self->signing_pk, w->alice.self->signing_sk), 0);
	strcpy(w->alice.self->url, "wss://relay.example:7443");
	strcpy(w->alice.self->country, "FR");
	w->alice.self->cert.not_after = 42;
	assert_int_equal(self_save(w->alice.h, w->alice.self), 0);
	assert_int_equal(self_load(w->alice.h, &s), 0);
	assert_memory_equal(s->account, w->alice.self->account, 16);
	assert_memory_equal(s->identity_pub, w->alice.self->identity_pub, 33);
	assert_memory_equal(s->identity_priv, w->alice.self->identity_priv, 32);
	assert_non_null(s->signing_sk);
	assert_memory_equal(s->signing_sk, w->alice.self->signing_sk, LC_ED_SK_BYTES);
	assert_null(s->root_sk);
	assert_string_equal(s->url, "wss://relay.example:7443");
	assert_string_equal(s->country, "FR");
	assert_int_equal(s->cert.not_after, 42);
	assert_int_equal(s->registration_id, w->alice.self->registration_id);
	assert_int_equal(s->next_prekey_id, PREKEYS + 1);
	self_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_conversation_survives_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_key_the_directory_does_not_list_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_addresses_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_sender_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_round_trip, setup, teardown),
	};

	return cmocka_run_group_tests_name("sigstore", tests, NULL, NULL);
}
