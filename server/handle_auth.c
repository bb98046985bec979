/* Enroll and Login (docs/PROTOCOL.md): invite redemption with the
 * enrollment's self-signature checked over the exact bytes received, and
 * login by an XEdDSA signature over the login tuple. Never logs a key, a
 * redeem value or a full account id. */
#include "server/relay.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/crypto.h"
#include "protocol/log.h"
#include "protocol/sig.h"
#include "protocol/timefmt.h"

#define TAG "auth"

int handle_copy_prekey(const Liaison__Prekey *in, struct store_prekey *out)
{
	if (in == NULL || in->public_key.len != STORE_KEY_BYTES)
		return LIAISON_ERR_INVALID;
	out->id = in->id;
	memcpy(out->public_key, in->public_key.data, STORE_KEY_BYTES);
	return 0;
}

int handle_copy_signed_prekey(const Liaison__SignedPrekey *in, struct store_signed_prekey *out)
{
	if (in == NULL || in->public_key.len != STORE_KEY_BYTES ||
	    in->signature.len != sizeof(out->signature))
		return LIAISON_ERR_INVALID;
	out->id = in->id;
	memcpy(out->public_key, in->public_key.data, STORE_KEY_BYTES);
	memcpy(out->signature, in->signature.data, sizeof(out->signature));
	return 0;
}

/* The enrollment must name exactly the invite it redeems. */
static int matches_invite(const struct enrollment *e, const struct store_invite *inv)
{
	if (memcmp(e->invite_id, inv->id, 16) != 0 || e->invite_expires != inv->expires ||
	    e->role != inv->role || strcmp(e->authority, inv->authority) != 0)
		return LIAISON_ERR_BAD_INVITE;
	if ((e->role == ROLE_SECRETARIAT) != (e->has_signing_key != 0))
		return LIAISON_ERR_INVALID;
	return 0;
}

int handle_enroll(struct conn *c, uint64_t id, const Liaison__Enroll *m, struct reply *rp)
{
	struct relay *r = c->relay;
	struct store_invite inv;
	struct store_account existing;
	struct store_enrollment se;
	struct store_prekey *prekeys = NULL;
	struct enrollment *e = NULL;
	uint8_t redeem_hash[32];
	size_t i;
	int rc;

	memset(&se, 0, sizeof(se));
	if (m->invite_id.len != 16 || m->redeem.len != 32 || m->signature.len != SIG_BYTES ||
	    m->bind_mac.len != LC_MAC_BYTES || m->enrollment.len == 0 ||
	    m->enrollment.len > LAYOUT_MAX_ENROLLMENT) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	if (m->n_prekeys > RELAY_MAX_UPLOAD_PREKEYS) {
		rc = LIAISON_ERR_TOO_BIG;
		goto out;
	}
	rc = lc_sha256(m->redeem.data, m->redeem.len, redeem_hash);
	if (rc != 0)
		goto out;
	rc = store_invite_check(r->st, m->invite_id.data, redeem_hash, time_now_ms(), &inv);
	if (rc != 0)
		goto out;
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	/* A bounded read of the key it carries, then the signature over the
	 * exact bytes received, before any other field is believed. */
	rc = layout_enrollment_decode(m->enrollment.data, m->enrollment.len, e);
	if (rc != 0) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	rc = sig_xeddsa_verify(m->signature.data, SIG_ENROLLMENT, m->enrollment.data,
			       m->enrollment.len, e->identity_key, r->sig);
	if (rc != 0) {
		rc = LIAISON_ERR_SIGNATURE;
		goto out;
	}
	rc = matches_invite(e, &inv);
	if (rc != 0)
		goto out;
	rc = store_account_get(r->st, e->account, &existing);
	if (rc == 0) {
		rc = LIAISON_ERR_EXISTS;
		goto out;
	}
	if (rc != LIAISON_ERR_NOT_FOUND)
		goto out;
	rc = handle_copy_signed_prekey(m->signed_prekey, &se.signed_prekey);
	if (rc != 0)
		goto out;
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
	memcpy(se.account, e->account, 16);
	memcpy(se.identity_key, e->identity_key, STORE_KEY_BYTES);
	se.registration_id = m->registration_id;
	se.role = e->role;
	memcpy(se.authority, e->authority, sizeof(se.authority));
	memcpy(se.invite_id, inv.id, 16);
	se.bootstrap = inv.bootstrap;
	se.enrollment = m->enrollment.data;
	se.enrollment_len = m->enrollment.len;
	memcpy(se.signature, m->signature.data, SIG_BYTES);
	memcpy(se.bind_mac, m->bind_mac.data, LC_MAC_BYTES);
	se.prekeys = prekeys;
	se.n_prekeys = m->n_prekeys;
	se.enrolled_at = time_now_ms();
	/* Transitional (docs/PROTOCOL.md §4): enrolled while no directory
	 * exists, the account keeps the access accounts had before it. */
	se.pre_directory = r->dir == NULL;
	rc = store_enroll(r->st, &se);
	if (rc != 0)
		goto out;
	rc = reply_add(rp, item_ok(id));
	if (rc == 0) {
		char short_id[9];
		log_info(TAG, "enrolled %s (%s%s)", log_short_id(e->account, short_id),
			 role_name(e->role) ? role_name(e->role) : "?",
			 inv.bootstrap ? ", bootstrap" : "");
	}
out:
	free(prekeys);
	free(e);
	return rc;
}

static int login_ok(struct conn *c, uint64_t id, int access, struct reply *rp)
{
	Liaison__Item *it = item_new(id);
	Liaison__LoginOk *ok = malloc(sizeof(*ok));
	uint32_t left = 0;
	int rc;

	if (it == NULL || ok == NULL) {
		item_free(it);
		free(ok);
		return LIAISON_ERR_NOMEM;
	}
	liaison__login_ok__init(ok);
	it->body_case = LIAISON__ITEM__BODY_LOGIN_OK;
	it->login_ok = ok;
	rc = store_prekeys_count(c->relay->st, c->account, &left);
	if (rc != 0) {
		item_free(it);
		return rc;
	}
	ok->prekeys_left = left;
	ok->server_time = time_now_ms();
	ok->status = access == ACCESS_PENDING ? ACCOUNT_PENDING : ACCOUNT_ACTIVE;
	rc = reply_add(rp, it);
	if (rc == 0 && left < RELAY_PREKEYS_LOW)
		rc = reply_wake(rp, c->account, WAKE_PREKEYS_LOW, left);
	return rc;
}

int handle_login(struct conn *c, uint64_t id, const Liaison__Login *m, struct reply *rp)
{
	struct relay *r = c->relay;
	struct store_account a;
	struct conn *older;
	uint8_t tuple[LAYOUT_LOGIN_BYTES];
	uint64_t now = time_now_ms();
	int rc, access;

	/* Any failure here ends the connection: a fresh challenge per try. */
	rp->close_after = 1;
	if (m->account.len != 16 || m->client_nonce.len != 32 || m->signature.len != SIG_BYTES)
		return LIAISON_ERR_LOGIN;
	rc = store_account_get(r->st, m->account.data, &a);
	if (rc == LIAISON_ERR_NOT_FOUND)
		return LIAISON_ERR_LOGIN;
	if (rc != 0)
		return rc;
	layout_login(tuple, c->server_nonce, m->client_nonce.data, m->account.data, r->pin, m->time);
	if (sig_xeddsa_verify(m->signature.data, SIG_LOGIN, tuple, sizeof(tuple), a.identity_key,
			      r->sig) != 0)
		return LIAISON_ERR_LOGIN;
	if (m->time > now + RELAY_CLOCK_SKEW_MS || m->time + RELAY_CLOCK_SKEW_MS < now)
		return LIAISON_ERR_LOGIN;
	access = relay_access(r, &a);
	if (access == ACCESS_REVOKED)
		return LIAISON_ERR_REVOKED;
	older = conn_find_account(r, a.id);
	if (older != NULL && older != c)
		conn_close_soon(older);
	conn_login(c, &a);
	rc = login_ok(c, id, access, rp);
	rp->close_after = rc != 0;
	return rc;
}
