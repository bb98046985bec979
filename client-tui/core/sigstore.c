/* libsignal's five stores on the vault. The callbacks run inside the
 * caller's transaction and must never BEGIN or COMMIT; the identity store
 * must never trust a key that trust_check refuses, nor record anything that
 * bears on trust. Only device 1 and canonical account ids are accepted. */
#include "client-tui/core/sigstore.h"

#include <stdlib.h>
#include <string.h>

#include <signal/curve.h>

#include "client-tui/core/trust.h"
#include "client-tui/core/vault.h"
#include "protocol/buf.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"

#define SIG_FORMAT 1
#define SIG_DEVICE_ID 1
#define SIG_MAX_RECORD (VAULT_MAX_VALUE - 1024)
#define SIG_IDENTITY_PRIV_BYTES 32
#define SIG_SENDER_KEY_KEY_MAX (SIGSTORE_MAX_GROUP_ID + ID_BYTES)

struct sigstore {
	struct home *h;
	const struct self *self;
};

/* Our errors into libsignal's: it only needs "failed" and "no memory". */
static int sg_error(int rc)
{
	return rc == LIAISON_ERR_NOMEM ? SG_ERR_NOMEM : SG_ERR_UNKNOWN;
}

static int name_account(const char *name, size_t name_len, uint8_t account[ID_BYTES])
{
	char text[ID_CHARS + 1];

	if (name == NULL || name_len != ID_CHARS)
		return LIAISON_ERR_INVALID;
	memcpy(text, name, ID_CHARS);
	text[ID_CHARS] = '\0';
	return id_decode(text, account);
}

static int address_account(const signal_protocol_address *a, uint8_t account[ID_BYTES])
{
	if (a == NULL || a->device_id != SIG_DEVICE_ID)
		return LIAISON_ERR_INVALID;
	return name_account(a->name, a->name_len, account);
}

void sigstore_address(const uint8_t account[16], char name[27], signal_protocol_address *addr)
{
	id_encode(account, name);
	addr->name = name;
	addr->name_len = ID_CHARS;
	addr->device_id = SIG_DEVICE_ID;
}

/* ---- records: format || own key || var record || var user record ---- */

static int put_record(struct home *h, enum vault_table t, const uint8_t *key, size_t keylen,
		      const uint8_t *record, size_t record_len, const uint8_t *user,
		      size_t user_len)
{
	struct wb w;
	int rc;

	if (record == NULL || record_len > SIG_MAX_RECORD || user_len > SIG_MAX_RECORD ||
	    (user == NULL && user_len > 0))
		return LIAISON_ERR_INVALID;
	wb_init(&w, VAULT_MAX_VALUE);
	wb_u8(&w, SIG_FORMAT);
	wb_var(&w, key, keylen);
	wb_var(&w, record, record_len);
	wb_var(&w, user, user_len);
	rc = wb_status(&w);
	if (rc == 0)
		rc = vault_put(h, t, key, keylen, w.data, w.len);
	wb_free(&w);
	return rc;
}

struct record_view {
	const uint8_t *key;
	size_t keylen;
	const uint8_t *record;
	size_t record_len;
	const uint8_t *user;
	size_t user_len;
};

static int parse_record(const uint8_t *val, size_t vallen, struct record_view *v)
{
	struct rd r;
	uint8_t format;
	int rc;

	rd_init(&r, val, vallen);
	if ((rc = rd_u8(&r, &format)) != 0)
		return rc;
	if (format != SIG_FORMAT)
		return LIAISON_ERR_UNSUPPORTED;
	if ((rc = rd_var(&r, &v->key, &v->keylen, VAULT_MAX_KEY)) != 0 ||
	    (rc = rd_var(&r, &v->record, &v->record_len, SIG_MAX_RECORD)) != 0 ||
	    (rc = rd_var(&r, &v->user, &v->user_len, SIG_MAX_RECORD)) != 0)
		return rc;
	return rd_end(&r);
}

/* Loads key's record: 1 with *record (and *user when there is one), 0 when
 * absent, negative (SG_ERR_*) on failure. */
static int load_record(struct home *h, enum vault_table t, const uint8_t *key, size_t keylen,
		       signal_buffer **record, signal_buffer **user)
{
	struct record_view v;
	uint8_t *val = NULL;
	size_t vallen = 0;
	signal_buffer *rb = NULL;
	signal_buffer *ub = NULL;
	int rc;

	rc = vault_get(h, t, key, keylen, &val, &vallen);
	if (rc == LIAISON_ERR_NOT_FOUND)
		return 0;
	if (rc != 0)
		return sg_error(rc);
	rc = parse_record(val, vallen, &v);
	if (rc != 0 || v.keylen != keylen || !lc_equal(v.key, key, keylen)) {
		rc = SG_ERR_UNKNOWN;   /* a value that does not name its own key */
		goto out;
	}
	rc = SG_ERR_NOMEM;
	rb = signal_buffer_create(v.record, v.record_len);
	if (rb == NULL)
		goto out;
	if (user != NULL && v.user_len > 0) {
		ub = signal_buffer_create(v.user, v.user_len);
		if (ub == NULL)
			goto out;
	}
	*record = rb;
	rb = NULL;
	if (user != NULL && ub != NULL) {
		*user = ub;
		ub = NULL;
	}
	rc = 1;
out:
	if (rb != NULL)
		signal_buffer_bzero_free(rb);
	if (ub != NULL)
		signal_buffer_bzero_free(ub);
	vault_free_value(val, vallen);
	return rc;
}

/* ---- session store (VT_SESSION, keyed by the 16-byte account id) ---- */

static int load_session(signal_buffer **record, signal_buffer **user_record,
			const signal_protocol_address *address, void *user_data)
{
	struct sigstore *st = user_data;
	uint8_t account[ID_BYTES];

	if (address_account(address, account) != 0)
		return SG_ERR_INVAL;
	return load_record(st->h, VT_SESSION, account, sizeof(account), record, user_record);
}

static int get_sub_device_sessions(signal_int_list **sessions, const char *name,
				   size_t name_len, void *user_data)
{
	struct sigstore *st = user_data;
	uint8_t account[ID_BYTES];
	signal_int_list *list;
	int has;

	if (name_account(name, name_len, account) != 0)
		return SG_ERR_INVAL;
	has = vault_has(st->h, VT_SESSION, account, sizeof(account));
	if (has < 0)
		return sg_error(has);
	list = signal_int_list_alloc();
	if (list == NULL)
		return SG_ERR_NOMEM;
	if (has && signal_int_list_push_back(list, SIG_DEVICE_ID) < 0) {
		signal_int_list_free(list);
		return SG_ERR_NOMEM;
	}
	*sessions = list;
	return has;
}

static int store_session(const signal_protocol_address *address, uint8_t *record,
			 size_t record_len, uint8_t *user_record, size_t user_record_len,
			 void *user_data)
{
	struct sigstore *st = user_data;
	uint8_t account[ID_BYTES];
	int rc;

	if (address_account(address, account) != 0)
		return SG_ERR_INVAL;
	rc = put_record(st->h, VT_SESSION, account, sizeof(account), record, record_len,
			user_record, user_record != NULL ? user_record_len : 0);
	return rc == 0 ? SG_SUCCESS : sg_error(rc);
}

static int contains_session(const signal_protocol_address *address, void *user_data)
{
	struct sigstore *st = user_data;
	uint8_t account[ID_BYTES];
	int has;

	if (address_account(address, account) != 0)
		return 0;
	has = vault_has(st->h, VT_SESSION, account, sizeof(account));
	return has < 0 ? sg_error(has) : has;
}

static int delete_account_session(struct home *h, const uint8_t account[ID_BYTES])
{
	int has;
	int rc;

	has = vault_has(h, VT_SESSION, account, ID_BYTES);
	if (has <= 0)
		return has < 0 ? sg_error(has) : 0;
	rc = vault_del(h, VT_SESSION, account, ID_BYTES);
	return rc == 0 ? 1 : sg_error(rc);
}

static int delete_session(const signal_protocol_address *address, void *user_data)
{
	struct sigstore *st = user_data;
	uint8_t account[ID_BYTES];

	if (address_account(address, account) != 0)
		return SG_ERR_INVAL;
	return delete_account_session(st->h, account);
}

static int delete_all_sessions(const char *name, size_t name_len, void *user_data)
{
	struct sigstore *st = user_data;
	uint8_t account[ID_BYTES];

	if (name_account(name, name_len, account) != 0)
		return SG_ERR_INVAL;
	return delete_account_session(st->h, account);
}

static void destroy_store(void *user_data)
{
	free(user_data);
}

/* ---- pre key and signed pre key stores (keyed by the u32 id) ---- */

static void id_key(uint32_t id, uint8_t key[4])
{
	key[0] = (uint8_t)(id >> 24);
	key[1] = (uint8_t)(id >> 16);
	key[2] = (uint8_t)(id >> 8);
	key[3] = (uint8_t)id;
}

static int load_id_record(struct home *h, enum vault_table t, signal_buffer **record,
			  uint32_t id)
{
	uint8_t key[4];
	int rc;

	id_key(id, key);
	rc = load_record(h, t, key, sizeof(key), record, NULL);
	if (rc == 0)
		return SG_ERR_INVALID_KEY_ID;
	return rc < 0 ? rc : SG_SUCCESS;
}

static int store_id_record(struct home *h, enum vault_table t, uint32_t id,
			   const uint8_t *record, size_t record_len)
{
	uint8_t key[4];
	int rc;

	id_key(id, key);
	rc = put_record(h, t, key, sizeof(key), record, record_len, NULL, 0);
	return rc == 0 ? SG_SUCCESS : sg_error(rc);
}

static int contains_id_record(struct home *h, enum vault_table t, uint32_t id)
{
	uint8_t key[4];
	int has;

	id_key(id, key);
	has = vault_has(h, t, key, sizeof(key));
	return has < 0 ? sg_error(has) : has;
}

static int remove_id_record(struct home *h, enum vault_table t, uint32_t id)
{
	uint8_t key[4];
	int rc;

	id_key(id, key);
	rc = vault_del(h, t, key, sizeof(key));
	return rc == 0 ? SG_SUCCESS : sg_error(rc);
}

static int load_pre_key(signal_buffer **record, uint32_t pre_key_id, void *user_data)
{
	return load_id_record(((struct sigstore *)user_data)->h, VT_PREKEY, record, pre_key_id);
}

static int store_pre_key(uint32_t pre_key_id, uint8_t *record, size_t record_len, void *user_data)
{
	return store_id_record(((struct sigstore *)user_data)->h, VT_PREKEY, pre_key_id, record,
			       record_len);
}

static int contains_pre_key(uint32_t pre_key_id, void *user_data)
{
	return contains_id_record(((struct sigstore *)user_data)->h, VT_PREKEY, pre_key_id);
}

static int remove_pre_key(uint32_t pre_key_id, void *user_data)
{
	return remove_id_record(((struct sigstore *)user_data)->h, VT_PREKEY, pre_key_id);
}

static int load_signed_pre_key(signal_buffer **record, uint32_t id, void *user_data)
{
	return load_id_record(((struct sigstore *)user_data)->h, VT_SIGNED_PREKEY, record, id);
}

static int store_signed_pre_key(uint32_t id, uint8_t *record, size_t record_len, void *user_data)
{
	return store_id_record(((struct sigstore *)user_data)->h, VT_SIGNED_PREKEY, id, record,
			       record_len);
}

static int contains_signed_pre_key(uint32_t id, void *user_data)
{
	return contains_id_record(((struct sigstore *)user_data)->h, VT_SIGNED_PREKEY, id);
}

static int remove_signed_pre_key(uint32_t id, void *user_data)
{
	return remove_id_record(((struct sigstore *)user_data)->h, VT_SIGNED_PREKEY, id);
}

/* ---- identity store: self's pair, and trust from trust_check ---- */

static int get_identity_key_pair(signal_buffer **public_data, signal_buffer **private_data,
				 void *user_data)
{
	struct sigstore *st = user_data;
	signal_buffer *pub;
	signal_buffer *priv;

	pub = signal_buffer_create(st->self->identity_pub, sizeof(st->self->identity_pub));
	if (pub == NULL)
		return SG_ERR_NOMEM;
	priv = signal_buffer_create(st->self->identity_priv, SIG_IDENTITY_PRIV_BYTES);
	if (priv == NULL) {
		signal_buffer_free(pub);
		return SG_ERR_NOMEM;
	}
	*public_data = pub;
	*private_data = priv;
	return SG_SUCCESS;
}

static int get_local_registration_id(void *user_data, uint32_t *registration_id)
{
	struct sigstore *st = user_data;

	*registration_id = st->self->registration_id;
	return SG_SUCCESS;
}

/* libsignal calls this while building a session, before the message MAC is
 * checked: nothing it says may bear on trust (DESIGN.md §5). */
static int save_identity(const signal_protocol_address *address, uint8_t *key_data,
			 size_t key_len, void *user_data)
{
	(void)address;
	(void)key_data;
	(void)key_len;
	(void)user_data;
	return SG_SUCCESS;
}

static int is_trusted_identity(const signal_protocol_address *address, uint8_t *key_data,
			       size_t key_len, void *user_data)
{
	struct sigstore *st = user_data;
	uint8_t account[ID_BYTES];
	int rc;

	if (address_account(address, account) != 0 || key_data == NULL || key_len != 33)
		return 0;
	rc = trust_check(st->h, account, key_data);
	switch (rc) {
	case 0:
		return 1;
	case LIAISON_ERR_IDENTITY:
	case LIAISON_ERR_REVOKED:
	case LIAISON_ERR_PENDING:
	case LIAISON_ERR_UNKNOWN_PEER:
	case LIAISON_ERR_INVALID:
		return 0;
	default:
		return sg_error(rc);
	}
}

/* ---- sender key store (VT_SENDER_KEY, keyed by group id || sender) ---- */

static int sender_key_key(const signal_protocol_sender_key_name *name,
			  uint8_t key[SIG_SENDER_KEY_KEY_MAX], size_t *keylen)
{
	uint8_t account[ID_BYTES];
	int rc;

	if (name == NULL || name->group_id == NULL || name->group_id_len == 0 ||
	    name->group_id_len > SIGSTORE_MAX_GROUP_ID)
		return LIAISON_ERR_INVALID;
	rc = address_account(&name->sender, account);
	if (rc != 0)
		return rc;
	memcpy(key, name->group_id, name->group_id_len);
	memcpy(key + name->group_id_len, account, ID_BYTES);
	*keylen = name->group_id_len + ID_BYTES;
	return 0;
}

static int store_sender_key(const signal_protocol_sender_key_name *sender_key_name,
			    uint8_t *record, size_t record_len, uint8_t *user_record,
			    size_t user_record_len, void *user_data)
{
	struct sigstore *st = user_data;
	uint8_t key[SIG_SENDER_KEY_KEY_MAX];
	size_t keylen = 0;
	int rc;

	if (sender_key_key(sender_key_name, key, &keylen) != 0)
		return SG_ERR_INVAL;
	rc = put_record(st->h, VT_SENDER_KEY, key, keylen, record, record_len, user_record,
			user_record != NULL ? user_record_len : 0);
	return rc == 0 ? SG_SUCCESS : sg_error(rc);
}

static int load_sender_key(signal_buffer **record, signal_buffer **user_record,
			   const signal_protocol_sender_key_name *sender_key_name, void *user_data)
{
	struct sigstore *st = user_data;
	uint8_t key[SIG_SENDER_KEY_KEY_MAX];
	size_t keylen = 0;

	if (sender_key_key(sender_key_name, key, &keylen) != 0)
		return SG_ERR_INVAL;
	return load_record(st->h, VT_SENDER_KEY, key, keylen, record, user_record);
}

int sigstore_sender_key_delete(struct home *h, const signal_protocol_sender_key_name *name)
{
	uint8_t key[SIG_SENDER_KEY_KEY_MAX];
	size_t keylen = 0;
	int rc;

	if (h == NULL)
		return LIAISON_ERR_INVALID;
	rc = sender_key_key(name, key, &keylen);
	if (rc != 0)
		return rc;
	return vault_del(h, VT_SENDER_KEY, key, keylen);
}

/* ---- the store context ---- */

/* The identity private key must give the public key stored beside it. */
static int check_identity(const struct self *s, signal_context *ctx)
{
	ec_public_key *pub = NULL;
	ec_private_key *priv = NULL;
	ec_public_key *derived = NULL;
	int rc = LIAISON_ERR_INVALID;

	if (s->identity_priv == NULL)
		goto out;
	if (curve_decode_point(&pub, s->identity_pub, sizeof(s->identity_pub), ctx) < 0)
		goto out;
	if (curve_decode_private_point(&priv, s->identity_priv, SIG_IDENTITY_PRIV_BYTES, ctx) < 0)
		goto out;
	if (curve_generate_public_key(&derived, priv) < 0)
		goto out;
	if (ec_public_key_compare(pub, derived) != 0)
		goto out;
	rc = 0;
out:
	if (derived != NULL)
		SIGNAL_UNREF(derived);
	if (priv != NULL)
		SIGNAL_UNREF(priv);
	if (pub != NULL)
		SIGNAL_UNREF(pub);
	return rc;
}

int sigstore_new(struct home *h, const struct self *s, signal_context *ctx,
		 signal_protocol_store_context **out)
{
	signal_protocol_store_context *store = NULL;
	struct sigstore *st = NULL;
	int rc;

	if (h == NULL || s == NULL || ctx == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	rc = check_identity(s, ctx);
	if (rc != 0)
		return rc;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return LIAISON_ERR_NOMEM;
	st->h = h;
	st->self = s;
	rc = LIAISON_ERR_CRYPTO;
	if (signal_protocol_store_context_create(&store, ctx) != 0)
		goto out;

	{
		/* The session store owns st: its destroy_func frees it once. */
		signal_protocol_session_store ss = {
			.load_session_func = load_session,
			.get_sub_device_sessions_func = get_sub_device_sessions,
			.store_session_func = store_session,
			.contains_session_func = contains_session,
			.delete_session_func = delete_session,
			.delete_all_sessions_func = delete_all_sessions,
			.destroy_func = destroy_store,
			.user_data = st,
		};
		signal_protocol_pre_key_store ps = {
			.load_pre_key = load_pre_key,
			.store_pre_key = store_pre_key,
			.contains_pre_key = contains_pre_key,
			.remove_pre_key = remove_pre_key,
			.user_data = st,
		};
		signal_protocol_signed_pre_key_store sps = {
			.load_signed_pre_key = load_signed_pre_key,
			.store_signed_pre_key = store_signed_pre_key,
			.contains_signed_pre_key = contains_signed_pre_key,
			.remove_signed_pre_key = remove_signed_pre_key,
			.user_data = st,
		};
		signal_protocol_identity_key_store is = {
			.get_identity_key_pair = get_identity_key_pair,
			.get_local_registration_id = get_local_registration_id,
			.save_identity = save_identity,
			.is_trusted_identity = is_trusted_identity,
			.user_data = st,
		};
		signal_protocol_sender_key_store sks = {
			.store_sender_key = store_sender_key,
			.load_sender_key = load_sender_key,
			.user_data = st,
		};

		if (signal_protocol_store_context_set_session_store(store, &ss) != 0)
			goto out;
		st = NULL;  /* owned by the store context from here on */
		if (signal_protocol_store_context_set_pre_key_store(store, &ps) != 0 ||
		    signal_protocol_store_context_set_signed_pre_key_store(store, &sps) != 0 ||
		    signal_protocol_store_context_set_identity_key_store(store, &is) != 0 ||
		    signal_protocol_store_context_set_sender_key_store(store, &sks) != 0)
			goto out;
	}
	*out = store;
	store = NULL;
	rc = 0;
out:
	if (store != NULL)
		signal_protocol_store_context_destroy(store);
	free(st);
	return rc;
}

void sigstore_free(signal_protocol_store_context *store)
{
	if (store != NULL)
		signal_protocol_store_context_destroy(store);
}

/* ---- forgetting an account ---- */

struct forget_ctx {
	const uint8_t *account;
	uint8_t (*keys)[SIG_SENDER_KEY_KEY_MAX];
	size_t *lens;
	size_t n;
	size_t cap;
};

static int collect_sender_keys(const uint8_t *val, size_t vallen, void *arg)
{
	struct forget_ctx *fc = arg;
	struct record_view v;
	int rc;

	rc = parse_record(val, vallen, &v);
	if (rc != 0)
		return rc;
	if (v.keylen <= ID_BYTES || v.keylen > SIG_SENDER_KEY_KEY_MAX)
		return LIAISON_ERR_INVALID;
	if (!lc_equal(v.key + v.keylen - ID_BYTES, fc->account, ID_BYTES))
		return 0;
	if (fc->n == fc->cap) {
		size_t cap = fc->cap ? fc->cap * 2 : 8;
		void *k = realloc(fc->keys, cap * sizeof(*fc->keys));

		if (k == NULL)
			return LIAISON_ERR_NOMEM;
		fc->keys = k;
		k = realloc(fc->lens, cap * sizeof(*fc->lens));
		if (k == NULL)
			return LIAISON_ERR_NOMEM;
		fc->lens = k;
		fc->cap = cap;
	}
	memcpy(fc->keys[fc->n], v.key, v.keylen);
	fc->lens[fc->n] = v.keylen;
	fc->n++;
	return 0;
}

int sigstore_forget(struct home *h, const uint8_t account[16])
{
	struct forget_ctx fc = { account, NULL, NULL, 0, 0 };
	size_t i;
	int rc;

	if (h == NULL || account == NULL)
		return LIAISON_ERR_INVALID;
	rc = vault_del(h, VT_SESSION, account, ID_BYTES);
	if (rc != 0)
		goto out;
	/* Sender keys are found by walking: their key is blind. */
	rc = vault_each(h, VT_SENDER_KEY, collect_sender_keys, &fc);
	if (rc != 0)
		goto out;
	for (i = 0; i < fc.n; i++) {
		rc = vault_del(h, VT_SENDER_KEY, fc.keys[i], fc.lens[i]);
		if (rc != 0)
			goto out;
	}
out:
	free(fc.lens);
	free(fc.keys);
	return rc;
}
