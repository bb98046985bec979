/* PrekeyUpload and BundleRequest: prekeys are public keys the relay hands
 * out one at a time; it checks their sizes, never their owners' secrets. */
#include "server/relay.h"

#include <stdlib.h>
#include <string.h>

int handle_prekey_upload(struct conn *c, uint64_t id, const Liaison__PrekeyUpload *m,
			 struct reply *rp)
{
	struct store_signed_prekey spk;
	struct store_prekey *prekeys = NULL;
	size_t i;
	int rc = 0;

	if (m->n_prekeys > RELAY_MAX_UPLOAD_PREKEYS)
		return LIAISON_ERR_TOO_BIG;
	if (m->signed_prekey != NULL) {
		rc = handle_copy_signed_prekey(m->signed_prekey, &spk);
		if (rc != 0)
			goto out;
	}
	if (m->n_prekeys > 0) {
		prekeys = calloc(m->n_prekeys, sizeof(*prekeys));
		if (prekeys == NULL) {
			rc = LIAISON_ERR_NOMEM;
			goto out;
		}
	}
	for (i = 0; i < m->n_prekeys; i++) {
		rc = handle_copy_prekey(m->prekeys[i], &prekeys[i]);
		if (rc != 0)
			goto out;
	}
	rc = store_prekeys_put(c->relay->st, c->account, m->signed_prekey != NULL ? &spk : NULL,
			       prekeys, m->n_prekeys);
	if (rc == 0)
		rc = reply_add(rp, item_ok(id));
out:
	free(prekeys);
	return rc;
}

static int wire_signed_prekey(Liaison__SignedPrekey **out, const struct store_signed_prekey *in)
{
	Liaison__SignedPrekey *spk = malloc(sizeof(*spk));
	if (spk == NULL)
		return LIAISON_ERR_NOMEM;
	liaison__signed_prekey__init(spk);
	*out = spk;	/* owned by the item from here, even on failure */
	spk->id = in->id;
	if (item_bytes(&spk->public_key, in->public_key, sizeof(in->public_key)) != 0 ||
	    item_bytes(&spk->signature, in->signature, sizeof(in->signature)) != 0)
		return LIAISON_ERR_NOMEM;
	return 0;
}

static int wire_prekey(Liaison__Prekey **out, const struct store_prekey *in)
{
	Liaison__Prekey *pk = malloc(sizeof(*pk));
	if (pk == NULL)
		return LIAISON_ERR_NOMEM;
	liaison__prekey__init(pk);
	*out = pk;
	pk->id = in->id;
	return item_bytes(&pk->public_key, in->public_key, sizeof(in->public_key));
}

int handle_bundle_request(struct conn *c, uint64_t id, const Liaison__BundleRequest *m,
			  struct reply *rp)
{
	struct store_account a;
	struct store_bundle b;
	Liaison__Item *it = NULL;
	Liaison__Bundle *bundle;
	uint32_t left = 0;
	int rc;

	if (m->account.len != 16)
		return LIAISON_ERR_INVALID;
	rc = store_account_get(c->relay->st, m->account.data, &a);
	if (rc != 0)
		return rc;
	/* A revocation (the relay's or the directory's) ends the account's
	 * access, not its identity: what it sent before still has to be
	 * decrypted, so its key stays available; only a session to it (a
	 * prekey bundle) is refused. A pending account has sent nothing
	 * anyone may read: the client shows "awaiting approval". */
	switch (relay_access(c->relay, &a)) {
	case ACCESS_PENDING:
		return LIAISON_ERR_PENDING;
	case ACCESS_REVOKED:
		if (!m->identity_only)
			return LIAISON_ERR_REVOKED;
		break;
	default:
		break;
	}
	it = item_new(id);
	bundle = malloc(sizeof(*bundle));
	if (it == NULL || bundle == NULL) {
		item_free(it);
		free(bundle);
		return LIAISON_ERR_NOMEM;
	}
	liaison__bundle__init(bundle);
	it->body_case = LIAISON__ITEM__BODY_BUNDLE;
	it->bundle = bundle;
	bundle->registration_id = a.registration_id;
	bundle->device_id = 1;
	rc = item_bytes(&bundle->account, a.id, 16);
	if (rc == 0)
		rc = item_bytes(&bundle->identity_key, a.identity_key, sizeof(a.identity_key));
	if (rc != 0 || m->identity_only)
		goto out;
	rc = store_bundle_take(c->relay->st, a.id, &b, &left);
	if (rc != 0)
		goto out;
	if (b.has_signed_prekey)
		rc = wire_signed_prekey(&bundle->signed_prekey, &b.signed_prekey);
	if (rc == 0 && b.has_prekey)
		rc = wire_prekey(&bundle->prekey, &b.prekey);
	if (rc == 0 && left < RELAY_PREKEYS_LOW)
		rc = reply_wake(rp, a.id, WAKE_PREKEYS_LOW, left);
out:
	if (rc == 0) {
		rc = reply_add(rp, it);
		it = NULL;
	}
	item_free(it);
	return rc;
}
