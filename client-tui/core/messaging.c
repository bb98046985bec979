/* One-to-one messages (DESIGN.md §5-§7): encrypt once and save the ciphertext
 * with the advanced session before it goes out; on receipt check (sender,
 * message id) before decrypting, compare the sender's key with the trusted
 * one before libsignal touches the session (else quarantine undecrypted),
 * and store state, message and seen-marker in one transaction before the
 * Ack. Never drops a message that fails; never prints. */
#include "client-tui/core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include <signal/curve.h>
#include <signal/key_helper.h>
#include <signal/protocol.h>
#include <signal/session_builder.h>
#include <signal/session_cipher.h>
#include <signal/session_pre_key.h>
#include <signal/session_record.h>
#include <signal/session_state.h>

#include "client-tui/core/sigstore.h"
#include "client-tui/core/trust.h"
#include "client-tui/core/vault.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/log.h"
#include "protocol/timefmt.h"

#define MAX_ACKS_PER_ITEM 1024
#define INNER_VERSION 1

/* --- sending --- */

/* The session's remote identity key must be the trusted one, and the
 * session version 3 or later. */
static int check_session(struct core *c, const signal_protocol_address *addr,
			 const uint8_t trusted[33])
{
	session_record *rec = NULL;
	session_state *st;
	signal_buffer *ser = NULL;
	ec_public_key *remote;
	int err;

	if (signal_protocol_session_load_session(c->store, &rec, addr) != 0) {
		err = LIAISON_ERR_STORAGE;
		goto out;
	}
	st = session_record_get_state(rec);
	if (st == NULL || session_record_is_fresh(rec)) {
		err = LIAISON_ERR_NOT_FOUND;
		goto out;
	}
	if (session_state_get_session_version(st) < 3) {
		err = LIAISON_ERR_UNSUPPORTED;
		goto out;
	}
	remote = session_state_get_remote_identity_key(st);
	if (remote == NULL || ec_public_key_serialize(&ser, remote) != 0 ||
	    signal_buffer_len(ser) != 33) {
		err = LIAISON_ERR_IDENTITY;
		goto out;
	}
	err = lc_equal(signal_buffer_data(ser), trusted, 33) ? 0 : LIAISON_ERR_IDENTITY;
out:
	signal_buffer_free(ser);
	SIGNAL_UNREF(rec);
	return err;
}

/* Builds a session from a bundle, inside the caller's transaction. */
static int build_session(struct core *c, const signal_protocol_address *addr,
			 const Liaison__Bundle *b)
{
	ec_public_key *ik = NULL, *spk = NULL, *pk = NULL;
	session_pre_key_bundle *bundle = NULL;
	session_builder *builder = NULL;
	int sg, err = LIAISON_ERR_CRYPTO;

	if (curve_decode_point(&ik, b->identity_key.data, b->identity_key.len, c->sctx) != 0 ||
	    curve_decode_point(&spk, b->signed_prekey->public_key.data,
			       b->signed_prekey->public_key.len, c->sctx) != 0) {
		err = LIAISON_ERR_INVALID;
		goto out;
	}
	if (b->prekey != NULL &&
	    curve_decode_point(&pk, b->prekey->public_key.data, b->prekey->public_key.len,
			       c->sctx) != 0) {
		err = LIAISON_ERR_INVALID;
		goto out;
	}
	if (session_pre_key_bundle_create(&bundle, b->registration_id, (int)b->device_id,
					  b->prekey != NULL ? b->prekey->id : 0, pk,
					  b->signed_prekey->id, spk,
					  b->signed_prekey->signature.data,
					  b->signed_prekey->signature.len, ik) != 0)
		goto out;
	if (session_builder_create(&builder, c->store, addr, c->sctx) != 0)
		goto out;
	sg = session_builder_process_pre_key_bundle(builder, bundle);
	err = sg == 0 ? 0 : core_signal_err(sg);
out:
	session_builder_free(builder);
	SIGNAL_UNREF(bundle);
	SIGNAL_UNREF(pk);
	SIGNAL_UNREF(spk);
	SIGNAL_UNREF(ik);
	return err;
}

/* Inner header + text, packed and padded into *out (malloc'd). */
static int make_plaintext(struct core *c, const uint8_t id[16], const uint8_t to[16],
			  uint64_t sent_at, const char *text, size_t len,
			  uint8_t **out, size_t *outlen)
{
	Liaison__Inner inner = LIAISON__INNER__INIT;
	uint8_t *packed = NULL, *padded = NULL;
	size_t plen = 0, cap, padlen;
	char *t = NULL;
	int err;

	t = malloc(len + 1);
	if (t == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	memcpy(t, text, len);
	t[len] = '\0';
	inner.version = INNER_VERSION;
	inner.message_id.data = (uint8_t *)id;
	inner.message_id.len = 16;
	inner.conversation.data = (uint8_t *)to;
	inner.conversation.len = 16;
	inner.kind = INNER_KIND_TEXT;
	inner.sent_at = sent_at;
	if (c->dir != NULL && c->dir->head != NULL) {
		/* The sender's current signed head rides inside (DESIGN.md §5). */
		inner.head.data = c->dir->head;
		inner.head.len = c->dir->head_len;
	}
	inner.text = t;
	err = wire_pack(&inner.base, WIRE_MAX_TEXT + 1024, &packed, &plen);
	if (err != 0)
		goto out;
	cap = plen + LC_PAD_BLOCK;
	padded = malloc(cap);
	if (padded == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	memcpy(padded, packed, plen);
	err = lc_pad(padded, plen, cap, &padlen);
	if (err != 0)
		goto out;
	*out = padded;
	*outlen = padlen;
	padded = NULL;
out:
	if (padded != NULL) {
		lc_wipe(padded, cap);
		free(padded);
	}
	if (packed != NULL) {
		lc_wipe(packed, plen);
		free(packed);
	}
	if (t != NULL) {
		lc_wipe(t, len);
		free(t);
	}
	return err;
}

/* Builds the session when a bundle is given, encrypts the command's text
 * once, and saves ciphertext, session and message record in one
 * transaction. */
static int encrypt_and_queue(struct core *c, const uint8_t trusted[33], const Liaison__Bundle *b)
{
	struct core_send *s = &c->send;
	signal_protocol_address addr;
	char name[27];
	session_cipher *cipher = NULL;
	ciphertext_message *ctm = NULL;
	signal_buffer *ser;
	uint8_t *plain = NULL;
	size_t plain_len = 0;
	struct msg_record rec;
	uint64_t now = time_now_ms();
	int type, sg, err, began = 0;

	sigstore_address(s->to, name, &addr);
	err = home_begin(c->home);
	if (err != 0)
		goto out;
	began = 1;
	if (b != NULL) {
		err = build_session(c, &addr, b);
		if (err != 0)
			goto out;
	}
	err = check_session(c, &addr, trusted);
	if (err != 0)
		goto out;
	err = make_plaintext(c, s->message_id, s->to, now, s->text, s->len, &plain, &plain_len);
	if (err != 0)
		goto out;
	if (session_cipher_create(&cipher, c->store, &addr, c->sctx) != 0) {
		err = LIAISON_ERR_CRYPTO;
		goto out;
	}
	sg = session_cipher_encrypt(cipher, plain, plain_len, &ctm);
	if (sg != 0) {
		err = core_signal_err(sg);
		goto out;
	}
	type = ciphertext_message_get_type(ctm);
	ser = ciphertext_message_get_serialized(ctm);
	if ((type != CIPHERTEXT_SIGNAL_TYPE && type != CIPHERTEXT_PREKEY_TYPE) || ser == NULL) {
		err = LIAISON_ERR_CRYPTO;
		goto out;
	}
	err = outbox_put(c->home, s->message_id, s->to, trusted, (uint32_t)type,
			 signal_buffer_data(ser), signal_buffer_len(ser));
	if (err != 0)
		goto out;
	memset(&rec, 0, sizeof rec);
	memcpy(rec.id, s->message_id, 16);
	rec.dir = MSG_OUT;
	memcpy(rec.peer, s->to, 16);
	memcpy(rec.from, c->self->account, 16);
	rec.kind = INNER_KIND_TEXT;
	rec.status = MSG_QUEUED;
	rec.sent_at = now;
	rec.received_at = now;
	rec.order = msgstore_next_order();
	rec.text = s->text;
	rec.text_len = s->len;
	err = msgstore_put(c->home, &rec);
	if (err == 0)
		err = trust_contact_note(c->home, s->to);
	if (err != 0)
		goto out;
	err = home_commit(c->home);
	began = 0;
	if (err == 0)
		s->queued = 1;
out:
	if (began)
		home_rollback(c->home);
	SIGNAL_UNREF(ctm);
	session_cipher_free(cipher);
	if (plain != NULL) {
		lc_wipe(plain, plain_len);
		free(plain);
	}
	return err;
}

int core_send_text(struct core *c, const uint8_t to[16], const char *text, size_t len,
		   uint8_t message_id[16])
{
	struct core_send *s = &c->send;
	enum trust_state state;
	uint8_t key[33];
	int err;

	if (len > WIRE_MAX_TEXT)
		return LIAISON_ERR_TOO_BIG;
	if (memcmp(to, c->self->account, 16) == 0)
		return LIAISON_ERR_UNKNOWN_PEER;
	if (s->active)
		return LIAISON_ERR_BUSY;
	s->text = malloc(len + 1);
	if (s->text == NULL)
		return LIAISON_ERR_NOMEM;
	memcpy(s->text, text, len);
	s->text[len] = '\0';
	s->len = len;
	memcpy(s->to, to, 16);
	wire_message_id_new(s->message_id);
	s->active = 1;

	/* A fork recorded in this home refuses every send before anything is
	 * made. The verified directory as last saved decides now only what
	 * cannot change for the better; nothing is encrypted before the
	 * update after login has verified the directory (messaging_on_ready),
	 * or the relay proved unreachable (core_send_queue_offline), so a
	 * send refused for the directory leaves nothing behind to go later. */
	err = dirsync_forked(c->dir);
	if (err != 0)
		return err;
	err = trust_lookup(c->home, to, &state, key);
	if (err != 0)
		return err;
	if (state == TRUST_REVOKED)
		return LIAISON_ERR_REVOKED;
	if (state == TRUST_LISTED) {
		err = trust_check(c->home, to, key);
		if (err != 0)
			return err;
	}
	memcpy(message_id, s->message_id, 16);
	return 0;
}

/* The recipient's trusted key, when a session with it exists: 0, or why
 * the text cannot be encrypted now (NOT_FOUND: no session yet). */
static int send_key(struct core *c, uint8_t key[33])
{
	struct core_send *s = &c->send;
	signal_protocol_address addr;
	enum trust_state state;
	char name[27];
	int err;

	err = trust_lookup(c->home, s->to, &state, key);
	if (err == 0 && state == TRUST_REVOKED)
		err = LIAISON_ERR_REVOKED;
	else if (err == 0 && state == TRUST_PENDING)
		err = LIAISON_ERR_PENDING;
	else if (err == 0 && state == TRUST_UNLISTED)
		err = LIAISON_ERR_UNKNOWN_PEER;
	else if (err == 0)
		err = trust_check(c->home, s->to, key);
	if (err != 0)
		return err;
	sigstore_address(s->to, name, &addr);
	return signal_protocol_session_contains_session(c->store, &addr) == 1 ? 0
										: LIAISON_ERR_NOT_FOUND;
}

int core_send_queue_offline(struct core *c)
{
	struct core_send *s = &c->send;
	uint8_t key[33];
	int err;

	if (!s->active || s->queued)
		return 0;
	/* A directory known to be bad (now or from an earlier run) queues
	 * nothing: the user is told nothing was sent. */
	if (c->dir_bad != 0 || dirsync_forked(c->dir) != 0 || dirsync_ahead(c->dir) != NULL)
		return 0;
	err = send_key(c, key);
	if (err != 0)
		return 0;	/* no session, or not trusted: nothing queued */
	return encrypt_and_queue(c, key, NULL);
}

int core_send_queued(const struct core *c)
{
	return c->send.queued;
}

static int bundle_valid(const Liaison__Bundle *b, const uint8_t account[16], int identity_only)
{
	if (b->account.len != 16 || memcmp(b->account.data, account, 16) != 0 ||
	    b->identity_key.len != 33)
		return 0;
	if (identity_only)
		return 1;
	if (b->device_id != 1 || b->signed_prekey == NULL ||
	    b->signed_prekey->public_key.len != 33 || b->signed_prekey->signature.len != 64)
		return 0;
	if (b->prekey != NULL && b->prekey->public_key.len != 33)
		return 0;
	return 1;
}

/* The key a bundle carries must be the directory's (and the verified one,
 * where the user verified one): 0 with *trusted filled, else why not. */
static int bundle_key_check(struct core *c, const uint8_t account[16], const uint8_t key[33],
			    uint8_t trusted[33])
{
	enum trust_state state;
	int err;

	err = trust_lookup(c->home, account, &state, trusted);
	if (err != 0)
		return err;
	if (state == TRUST_REVOKED)
		return LIAISON_ERR_REVOKED;
	if (state == TRUST_PENDING)
		return LIAISON_ERR_PENDING;
	if (state == TRUST_UNLISTED)
		return LIAISON_ERR_UNKNOWN_PEER;
	if (!lc_equal(trusted, key, 33))
		return LIAISON_ERR_IDENTITY;
	return trust_check(c->home, account, key);
}

static void on_send_bundle(struct core *c, const Liaison__Item *reply, void *arg)
{
	struct core_send *s = &c->send;
	uint8_t trusted[33];
	int err;

	(void)arg;
	s->bundle_inflight = 0;
	if (reply == NULL)
		return;
	if (reply->body_case == LIAISON__ITEM__BODY_ERROR) {
		err = wire_error_code(reply->error);
		core_fail(c, err == LIAISON_ERR_NOT_FOUND ? LIAISON_ERR_UNKNOWN_PEER : err);
		return;
	}
	if (reply->body_case != LIAISON__ITEM__BODY_BUNDLE || !bundle_valid(reply->bundle, s->to, 0)) {
		core_fail(c, LIAISON_ERR_PROTOCOL);
		return;
	}
	err = bundle_key_check(c, s->to, reply->bundle->identity_key.data, trusted);
	if (err != 0)
		goto fail;
	err = encrypt_and_queue(c, trusted, reply->bundle);
	if (err != 0)
		goto fail;
	err = core_outbox_flush(c);
	if (err != 0)
		goto fail;
	return;
fail:
	core_fail(c, err);
}

static int request_bundle(struct core *c, const uint8_t account[16], int identity_only,
			  core_reply_fn cb, void *arg)
{
	Liaison__Item item = LIAISON__ITEM__INIT;
	Liaison__BundleRequest br = LIAISON__BUNDLE_REQUEST__INIT;

	br.account.data = (uint8_t *)account;
	br.account.len = 16;
	br.identity_only = identity_only;
	item.body_case = LIAISON__ITEM__BODY_BUNDLE_REQUEST;
	item.bundle_request = &br;
	return core_request(c, &item, cb, arg);
}

void messaging_on_ready(struct core *c)
{
	struct core_send *s = &c->send;
	int err;

	enum trust_state state;
	uint8_t key[33];

	if (!s->active)
		return;
	if (c->dir_bad != 0) {
		/* A bad directory: nothing is sent (DESIGN.md §5). */
		core_fail(c, c->dir_bad);
		return;
	}
	/* Trust from the directory as just verified, also for a text that
	 * was encrypted before the update: a revoked or changed recipient's
	 * entry stays held in the outbox. */
	err = trust_lookup(c->home, s->to, &state, key);
	if (err == 0 && state == TRUST_REVOKED)
		err = LIAISON_ERR_REVOKED;
	else if (err == 0 && state == TRUST_PENDING)
		err = LIAISON_ERR_PENDING;
	else if (err == 0 && state == TRUST_UNLISTED)
		err = LIAISON_ERR_UNKNOWN_PEER;
	else if (err == 0)
		err = trust_check(c->home, s->to, key);
	if (err != 0) {
		core_fail(c, err);
		return;
	}
	if (s->queued || s->bundle_inflight)
		return;
	/* The directory verified: a session that exists is used now, and
	 * the text encrypted once into the outbox and sent. */
	err = send_key(c, key);
	if (err == 0) {
		err = encrypt_and_queue(c, key, NULL);
		if (err == 0)
			err = core_outbox_flush(c);
		if (err != 0)
			core_fail(c, err);
		return;
	}
	if (err != LIAISON_ERR_NOT_FOUND) {
		core_fail(c, err);
		return;
	}
	err = request_bundle(c, s->to, 0, on_send_bundle, NULL);
	if (err != 0) {
		core_fail(c, err);
		return;
	}
	s->bundle_inflight = 1;
}

/* --- receiving --- */

int core_fetch(struct core *c)
{
	Liaison__Item item = LIAISON__ITEM__INIT;
	Liaison__Fetch fetch = LIAISON__FETCH__INIT;

	c->drained = 0;
	item.body_case = LIAISON__ITEM__BODY_FETCH;
	item.fetch = &fetch;
	return core_request(c, &item, NULL, NULL);
}

int core_drained(const struct core *c)
{
	return c->drained;
}

unsigned core_new_messages(const struct core *c)
{
	return c->new_messages;
}

static void item_free(struct inbox_item *it)
{
	if (it == NULL)
		return;
	free(it->ciphertext);
	free(it);
}

static void on_ack_reply(struct core *c, const Liaison__Item *reply, void *arg)
{
	(void)arg;
	if (reply != NULL && reply->body_case == LIAISON__ITEM__BODY_ERROR)
		core_fail(c, wire_error_code(reply->error));
}

static int send_acks(struct core *c)
{
	Liaison__Item item = LIAISON__ITEM__INIT;
	Liaison__Ack ack = LIAISON__ACK__INIT;
	size_t n;
	int err = 0;

	while (c->n_acks > 0) {
		n = c->n_acks > MAX_ACKS_PER_ITEM ? MAX_ACKS_PER_ITEM : c->n_acks;
		ack.n_seq = n;
		ack.seq = c->acks;
		item.body_case = LIAISON__ITEM__BODY_ACK;
		item.ack = &ack;
		err = core_request(c, &item, on_ack_reply, NULL);
		if (err != 0)
			return err;
		memmove(c->acks, c->acks + n, (c->n_acks - n) * sizeof *c->acks);
		c->n_acks -= n;
	}
	return err;
}

static int ack_later(struct core *c, uint64_t seq)
{
	if (c->n_acks == c->cap_acks) {
		size_t cap = c->cap_acks ? c->cap_acks * 2 : 64;
		uint64_t *v = realloc(c->acks, cap * sizeof *v);

		if (v == NULL)
			return LIAISON_ERR_NOMEM;
		c->acks = v;
		c->cap_acks = cap;
	}
	c->acks[c->n_acks++] = seq;
	return 0;
}

static void seen_key(uint8_t key[32], const struct inbox_item *it)
{
	memcpy(key, it->from, 16);
	memcpy(key + 16, it->message_id, 16);
}

static void notify(struct core *c, const struct msg_record *m)
{
	c->new_messages++;
	if (c->hd.message != NULL)
		c->hd.message(c, m, c->harg);
}

/* Keeps a message that was not decrypted (quarantined or failed), with its
 * ciphertext, and marks it seen, in one transaction. */
static int keep_undecrypted(struct core *c, const struct inbox_item *it, int status, int error)
{
	struct msg_record rec;
	uint8_t key[32];
	const uint8_t one = 1;
	int err;

	memset(&rec, 0, sizeof rec);
	memcpy(rec.id, it->message_id, 16);
	rec.dir = MSG_IN;
	memcpy(rec.peer, it->from, 16);
	memcpy(rec.from, it->from, 16);
	rec.status = (uint8_t)status;
	rec.type = (uint8_t)it->type;
	rec.error = error;
	rec.received_at = it->received_at;
	rec.order = msgstore_next_order();
	rec.ciphertext = it->ciphertext;
	rec.ciphertext_len = it->ciphertext != NULL ? it->ciphertext_len : 0;
	seen_key(key, it);
	err = home_begin(c->home);
	if (err != 0)
		return err;
	err = msgstore_put(c->home, &rec);
	if (err == 0)
		err = vault_put(c->home, VT_SEEN, key, sizeof key, &one, 1);
	if (err != 0) {
		home_rollback(c->home);
		return err;
	}
	err = home_commit(c->home);
	if (err != 0)
		return err;
	notify(c, &rec);
	return 0;
}

/* The sender's key as libsignal will use it, against the trusted one:
 * 0 when it matches, LIAISON_ERR_IDENTITY when not, other errors when the
 * message cannot be used at all. */
static int serialized_matches(const ec_public_key *key, const uint8_t trusted[33])
{
	signal_buffer *ser = NULL;
	int err;

	if (key == NULL || ec_public_key_serialize(&ser, key) != 0)
		return LIAISON_ERR_INVALID;
	err = (signal_buffer_len(ser) == 33 && lc_equal(signal_buffer_data(ser), trusted, 33))
		? 0 : LIAISON_ERR_IDENTITY;
	signal_buffer_free(ser);
	return err;
}

/* Checks the unpadded inner header against the envelope and fills rec. */
static int read_inner(struct core *c, const struct inbox_item *it, const uint8_t *plain,
		      size_t len, struct msg_record *rec, uint8_t **head, size_t *head_len)
{
	Liaison__Inner *inner = NULL;
	size_t unpadded;
	int err;

	err = lc_unpad(plain, len, &unpadded);
	if (err != 0)
		return LIAISON_ERR_DECRYPT;
	err = wire_inner_decode(plain, unpadded, &inner);
	if (err != 0)
		return LIAISON_ERR_DECRYPT;
	if (inner->version != INNER_VERSION || inner->message_id.len != 16 ||
	    memcmp(inner->message_id.data, it->message_id, 16) != 0 ||
	    inner->conversation.len != 16 ||
	    memcmp(inner->conversation.data, c->self->account, 16) != 0 ||
	    inner->kind < INNER_KIND_TEXT || inner->kind > INNER_KIND_RECEIPT) {
		err = LIAISON_ERR_DECRYPT;
		goto out;
	}
	rec->text_len = inner->text != NULL ? strlen(inner->text) : 0;
	if (rec->text_len > WIRE_MAX_TEXT) {
		err = LIAISON_ERR_TOO_BIG;
		goto out;
	}
	rec->text = malloc(rec->text_len + 1);
	if (rec->text == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	memcpy(rec->text, inner->text != NULL ? inner->text : "", rec->text_len + 1);
	rec->kind = (uint8_t)inner->kind;
	rec->sent_at = inner->sent_at;
	if (inner->head.len > 0 && inner->head.len <= DIR_MAX_RECORD) {
		*head = malloc(inner->head.len);
		if (*head != NULL) {
			memcpy(*head, inner->head.data, inner->head.len);
			*head_len = inner->head.len;
		}
	}
out:
	wire_inner_free(inner);
	return err;
}

/* Decrypts one delivery whose sender has the trusted key `trusted`.
 * 0 when stored (decrypted, quarantined or failed) or a duplicate. */
static int decrypt_one(struct core *c, const struct inbox_item *it, const uint8_t trusted[33])
{
	signal_protocol_address addr;
	char name[27];
	pre_key_signal_message *pm = NULL;
	signal_message *sm = NULL;
	session_cipher *cipher = NULL;
	signal_buffer *plain = NULL;
	struct msg_record rec;
	struct trust_contact tc;
	uint8_t key[32], *head = NULL;
	size_t head_len = 0;
	const uint8_t one = 1;
	int sg, err, began = 0, chk;

	memset(&rec, 0, sizeof rec);
	sigstore_address(it->from, name, &addr);
	if (it->type == CIPHERTEXT_PREKEY_TYPE) {
		if (pre_key_signal_message_deserialize(&pm, it->ciphertext, it->ciphertext_len,
						       c->sctx) != 0) {
			err = keep_undecrypted(c, it, MSG_FAILED, LIAISON_ERR_INVALID);
			goto out;
		}
		if (pre_key_signal_message_get_message_version(pm) < 3) {
			err = keep_undecrypted(c, it, MSG_FAILED, LIAISON_ERR_UNSUPPORTED);
			goto out;
		}
		chk = serialized_matches(pre_key_signal_message_get_identity_key(pm), trusted);
		if (chk != 0) {
			err = keep_undecrypted(c, it, chk == LIAISON_ERR_IDENTITY ? MSG_UNTRUSTED : MSG_FAILED, chk);
			goto out;
		}
	} else {
		if (signal_protocol_session_contains_session(c->store, &addr) != 1) {
			err = keep_undecrypted(c, it, MSG_FAILED, LIAISON_ERR_DECRYPT);
			goto out;
		}
		chk = check_session(c, &addr, trusted);
		if (chk != 0) {
			err = keep_undecrypted(c, it, chk == LIAISON_ERR_IDENTITY ? MSG_UNTRUSTED : MSG_FAILED, chk);
			goto out;
		}
		if (signal_message_deserialize(&sm, it->ciphertext, it->ciphertext_len, c->sctx) != 0) {
			err = keep_undecrypted(c, it, MSG_FAILED, LIAISON_ERR_INVALID);
			goto out;
		}
	}

	/* State, message and seen-marker land together. */
	err = home_begin(c->home);
	if (err != 0)
		goto out;
	began = 1;
	if (session_cipher_create(&cipher, c->store, &addr, c->sctx) != 0) {
		err = LIAISON_ERR_CRYPTO;
		goto out;
	}
	if (pm != NULL)
		sg = session_cipher_decrypt_pre_key_signal_message(cipher, pm, NULL, &plain);
	else
		sg = session_cipher_decrypt_signal_message(cipher, sm, NULL, &plain);
	if (sg == SG_ERR_DUPLICATE_MESSAGE) {
		home_rollback(c->home);
		began = 0;
		err = 0;
		goto out;
	}
	if (sg != 0) {
		home_rollback(c->home);
		began = 0;
		err = keep_undecrypted(c, it, MSG_FAILED, core_signal_err(sg));
		goto out;
	}
	memcpy(rec.id, it->message_id, 16);
	rec.dir = MSG_IN;
	memcpy(rec.peer, it->from, 16);
	memcpy(rec.from, it->from, 16);
	rec.status = MSG_RECEIVED;
	rec.type = (uint8_t)it->type;
	rec.received_at = it->received_at;
	rec.order = msgstore_next_order();
	chk = read_inner(c, it, signal_buffer_data(plain), signal_buffer_len(plain), &rec,
			 &head, &head_len);
	if (chk != 0) {
		/* A header that disagrees with the envelope is a decryption
		 * failure; the session has advanced all the same. */
		rec.status = MSG_FAILED;
		rec.error = chk;
		rec.kind = 0;
		rec.ciphertext = it->ciphertext;
		rec.ciphertext_len = it->ciphertext_len;
	}
	/* Whether the reader had verified this sender's key, as it arrived. */
	chk = trust_contact_get(c->home, it->from, &tc);
	if (chk != 0 && chk != LIAISON_ERR_NOT_FOUND) {
		err = chk;
		goto out;
	}
	rec.verified = chk == 0 && tc.has_verified_key && lc_equal(tc.verified_key, trusted, 33);
	err = msgstore_put(c->home, &rec);
	if (err == 0)
		err = trust_contact_note(c->home, it->from);
	if (err != 0)
		goto out;
	seen_key(key, it);
	err = vault_put(c->home, VT_SEEN, key, sizeof key, &one, 1);
	if (err != 0)
		goto out;
	err = home_commit(c->home);
	began = 0;
	if (err != 0)
		goto out;
	rec.ciphertext = NULL;
	notify(c, &rec);
	if (head != NULL)
		dirupdate_peer_head(c, head, head_len);
out:
	free(head);
	if (began)
		home_rollback(c->home);
	if (rec.text != NULL) {
		lc_wipe(rec.text, rec.text_len);
		free(rec.text);
	}
	if (plain != NULL)
		signal_buffer_bzero_free(plain);
	session_cipher_free(cipher);
	SIGNAL_UNREF(pm);
	SIGNAL_UNREF(sm);
	return err;
}

static void process_inbox(struct core *c);

/* 1 when the item is finished (stored or a duplicate) and may be acked,
 * 0 when it waits for the relay, negative on a local failure. */
static int handle_item(struct core *c, struct inbox_item *it)
{
	enum trust_state state;
	uint8_t key[32], trusted[33];
	int err, has;

	seen_key(key, it);
	has = vault_has(c->home, VT_SEEN, key, sizeof key);
	if (has < 0)
		return has;
	if (has == 1)
		return 1;	/* a duplicate: just acknowledge it */
	err = trust_lookup(c->home, it->from, &state, trusted);
	if (err != 0)
		return err;
	if (state != TRUST_LISTED)
		err = keep_undecrypted(c, it, MSG_UNTRUSTED,
				       state == TRUST_REVOKED ? LIAISON_ERR_REVOKED : LIAISON_ERR_UNKNOWN_PEER);
	else if (it->too_big)
		err = keep_undecrypted(c, it, MSG_FAILED, LIAISON_ERR_TOO_BIG);
	else
		err = decrypt_one(c, it, trusted);
	return err != 0 ? err : 1;
}

static void process_inbox(struct core *c)
{
	struct inbox_item *it;
	int r;

	/* While the directory is brought up to a peer's newer head, wait. */
	while ((it = c->inbox_head) != NULL && !c->inbox_busy && !c->du.active && c->error == 0) {
		r = handle_item(c, it);
		if (r < 0) {
			core_fail(c, r);
			return;
		}
		if (r == 0)
			break;
		r = ack_later(c, it->seq);
		if (r != 0) {
			core_fail(c, r);
			return;
		}
		c->inbox_head = it->next;
		if (c->inbox_head == NULL)
			c->inbox_tail = NULL;
		item_free(it);
	}
	r = send_acks(c);
	if (r != 0)
		core_fail(c, r);
}

void messaging_resume(struct core *c)
{
	int err = messaging_retry_quarantined(c);

	if (err != 0) {
		core_fail(c, err);
		return;
	}
	process_inbox(c);
}

/* Messages quarantined because their sender was not trusted are tried
 * again after each directory update, when the sender is now listed. */
int messaging_retry_quarantined(struct core *c)
{
	struct msg_record **list = NULL;
	struct inbox_item it;
	enum trust_state state;
	uint8_t trusted[33];
	size_t n = 0, i;
	int err;

	err = msgstore_list(c->home, NULL, &list, &n);
	if (err != 0)
		return err;
	for (i = 0; i < n && err == 0; i++) {
		const struct msg_record *m = list[i];

		if (m->dir != MSG_IN || m->status != MSG_UNTRUSTED || m->ciphertext == NULL ||
		    m->ciphertext_len == 0 || (m->type != 2 && m->type != 3) ||
		    (m->error != LIAISON_ERR_UNKNOWN_PEER && m->error != LIAISON_ERR_IDENTITY))
			continue;
		err = trust_lookup(c->home, m->from, &state, trusted);
		if (err != 0 || state != TRUST_LISTED)
			continue;
		memset(&it, 0, sizeof it);
		memcpy(it.from, m->from, 16);
		memcpy(it.message_id, m->id, 16);
		it.type = m->type;
		it.ciphertext = m->ciphertext;
		it.ciphertext_len = m->ciphertext_len;
		it.received_at = m->received_at;
		/* A key that is still not the directory's stays quarantined
		 * without being stored again. */
		if (m->type == CIPHERTEXT_PREKEY_TYPE) {
			pre_key_signal_message *pm = NULL;

			if (pre_key_signal_message_deserialize(&pm, it.ciphertext, it.ciphertext_len,
							       c->sctx) != 0)
				continue;
			state = serialized_matches(pre_key_signal_message_get_identity_key(pm),
						   trusted) == 0 ? TRUST_LISTED : TRUST_UNLISTED;
			SIGNAL_UNREF(pm);
			if (state != TRUST_LISTED)
				continue;
		}
		err = decrypt_one(c, &it, trusted);
	}
	msgstore_list_free(list, n);
	return err;
}

void messaging_on_deliver(struct core *c, const Liaison__Deliver *d)
{
	struct inbox_item *it;

	if (d->from.len != 16 || d->message_id.len != 16 || (d->type != 2 && d->type != 3)) {
		core_fail(c, LIAISON_ERR_PROTOCOL);
		return;
	}
	it = calloc(1, sizeof *it);
	if (it == NULL) {
		core_fail(c, LIAISON_ERR_NOMEM);
		return;
	}
	it->seq = d->seq;
	memcpy(it->from, d->from.data, 16);
	memcpy(it->message_id, d->message_id.data, 16);
	it->type = d->type;
	it->received_at = d->received_at;
	if (d->ciphertext.len > WIRE_MAX_CIPHERTEXT || d->ciphertext.len == 0) {
		it->too_big = 1;
	} else {
		it->ciphertext = malloc(d->ciphertext.len);
		if (it->ciphertext == NULL) {
			free(it);
			core_fail(c, LIAISON_ERR_NOMEM);
			return;
		}
		memcpy(it->ciphertext, d->ciphertext.data, d->ciphertext.len);
		it->ciphertext_len = d->ciphertext.len;
	}
	if (c->inbox_tail != NULL)
		c->inbox_tail->next = it;
	else
		c->inbox_head = it;
	c->inbox_tail = it;
	process_inbox(c);
}

/* --- prekeys --- */

static void on_upload_reply(struct core *c, const Liaison__Item *reply, void *arg)
{
	(void)arg;
	c->prekeys_inflight = 0;
	if (reply != NULL && reply->body_case == LIAISON__ITEM__BODY_ERROR)
		core_fail(c, wire_error_code(reply->error));
}

void messaging_on_prekeys_low(struct core *c, const Liaison__PrekeysLow *p)
{
	Liaison__Item item = LIAISON__ITEM__INIT;
	Liaison__PrekeyUpload up = LIAISON__PREKEY_UPLOAD__INIT;
	Liaison__Prekey **list = NULL;
	size_t n = 0;
	int err;

	(void)p;
	if (c->prekeys_inflight)
		return;
	err = home_begin(c->home);
	if (err != 0)
		goto fail;
	err = core_prekeys_make(c->home, c->self, c->sctx, c->store, CORE_PREKEY_BATCH, &list, &n);
	if (err == 0)
		err = self_save(c->home, c->self);
	if (err != 0) {
		home_rollback(c->home);
		goto fail;
	}
	err = home_commit(c->home);
	if (err != 0)
		goto fail;
	up.n_prekeys = n;
	up.prekeys = list;
	item.body_case = LIAISON__ITEM__BODY_PREKEY_UPLOAD;
	item.prekey_upload = &up;
	err = core_request(c, &item, on_upload_reply, NULL);
	if (err != 0)
		goto fail;
	c->prekeys_inflight = 1;
	core_prekeys_free(list, n);
	return;
fail:
	core_prekeys_free(list, n);
	core_fail(c, err);
}

/* --- lifetime --- */

void messaging_on_closed(struct core *c)
{
	struct inbox_item *it;

	while ((it = c->inbox_head) != NULL) {
		c->inbox_head = it->next;
		item_free(it);
	}
	c->inbox_tail = NULL;
	c->inbox_busy = 0;
	c->n_acks = 0;
	c->prekeys_inflight = 0;
	c->send.bundle_inflight = 0;
}

void messaging_free(struct core *c)
{
	messaging_on_closed(c);
	free(c->acks);
	c->acks = NULL;
	if (c->send.text != NULL) {
		lc_wipe(c->send.text, c->send.len);
		free(c->send.text);
		c->send.text = NULL;
	}
}
