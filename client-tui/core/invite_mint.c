/* Minting invites on a secretariat client (DESIGN.md §4): the invite is
 * signed by the secretariat's certified signing key (by the root key for the
 * secretariat role), registered with the relay as (invite id, SHA-256 of
 * redeem, role, authority, expiry), and its bind key kept encrypted in the
 * home for approving the enrollee later. S never reaches the relay; never
 * prints. */
#include "client-tui/core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include "client-tui/core/vault.h"
#include "protocol/buf.h"
#include "protocol/crypto.h"
#include "protocol/timefmt.h"

#define INVITE_RECORD_VERSION 1
#define INVITE_RECORD_MAX 1024

struct mint_state {
	Liaison__InviteRegister reg;
	int sent;
	int done;
};

static int keep_invite(struct home *h, const struct invite *inv, const uint8_t bind[32])
{
	struct wb w;
	int err;

	wb_init(&w, INVITE_RECORD_MAX);
	wb_u8(&w, INVITE_RECORD_VERSION);
	wb_fixed(&w, inv->invite_id, 16);
	wb_fixed(&w, bind, 32);
	wb_u64(&w, inv->expires);
	wb_u8(&w, inv->role);
	wb_str(&w, inv->authority);
	wb_u64(&w, time_now_ms());
	err = wb_status(&w);
	if (err == 0)
		err = home_begin(h);
	if (err == 0) {
		err = vault_put(h, VT_INVITE, inv->invite_id, 16, w.data, w.len);
		if (err == 0)
			err = home_commit(h);
		else
			home_rollback(h);
	}
	wb_free(&w);
	return err;
}

static void on_register_reply(struct core *c, const Liaison__Item *reply, void *arg)
{
	struct mint_state *ms = arg;

	ms->sent = 0;
	if (reply == NULL)
		return;
	if (reply->body_case == LIAISON__ITEM__BODY_ERROR) {
		core_fail(c, wire_error_code(reply->error));
		return;
	}
	if (reply->body_case != LIAISON__ITEM__BODY_OK) {
		core_fail(c, LIAISON_ERR_PROTOCOL);
		return;
	}
	ms->done = 1;
}

static void mint_ready(struct core *c, void *arg)
{
	struct mint_state *ms = arg;
	Liaison__Item item = LIAISON__ITEM__INIT;
	int err;

	if (ms->sent || ms->done)
		return;
	item.body_case = LIAISON__ITEM__BODY_INVITE_REGISTER;
	item.invite_register = &ms->reg;
	err = core_request(c, &item, on_register_reply, ms);
	if (err != 0) {
		core_fail(c, err);
		return;
	}
	ms->sent = 1;
}

static void mint_progress(struct core *c, void *arg)
{
	(void)c;
	(void)arg;
}

int core_invite_mint(struct home *h, struct self *s, int role, const char *authority,
		     const char *country, const char *authority_name, uint64_t expires_ms,
		     uint64_t deadline_ms, char **token)
{
	static const struct core_handlers hd_template = { mint_ready, mint_progress, NULL, NULL };
	struct core_handlers hd = hd_template;
	struct mint_state ms;
	struct invite inv;
	struct core *c = NULL;
	const uint8_t *signer_sk;
	uint8_t redeem[32], bind[32], redeem_hash[LC_HASH_BYTES];
	char *tok = NULL;
	uint64_t now = time_now_ms();
	int err;

	memset(&ms, 0, sizeof ms);
	memset(&inv, 0, sizeof inv);
	if (s->role != ROLE_SECRETARIAT || !s->has_root_pk) {
		err = LIAISON_ERR_DENIED;
		goto out;
	}
	if (role == ROLE_SECRETARIAT) {
		/* Only the root grants the secretariat role. */
		if (s->root_sk == NULL) {
			err = LIAISON_ERR_DENIED;
			goto out;
		}
		signer_sk = s->root_sk;
		memcpy(inv.signer_pk, s->root_pk, 32);
	} else if (role == ROLE_MEMBER) {
		if (!s->has_signing_key || s->signing_sk == NULL ||
		    memcmp(s->cert.key, s->signing_pk, 32) != 0 ||
		    layout_cert_verify(&s->cert, s->root_pk, now) != 0) {
			err = LIAISON_ERR_DENIED;   /* no valid certificate yet */
			goto out;
		}
		signer_sk = s->signing_sk;
		memcpy(inv.signer_pk, s->signing_pk, 32);
		inv.cert = s->cert;
	} else {
		err = LIAISON_ERR_USAGE;
		goto out;
	}
	if (authority == NULL || authority[0] == '\0' || strlen(authority) > LAYOUT_MAX_AUTHORITY ||
	    (country != NULL && strlen(country) > LAYOUT_MAX_COUNTRY) ||
	    (authority_name != NULL && strlen(authority_name) > LAYOUT_MAX_NAME) ||
	    expires_ms <= now) {
		err = LIAISON_ERR_USAGE;
		goto out;
	}
	inv.kind = INVITE_MINTED;
	memcpy(inv.url, s->url, sizeof inv.url);
	memcpy(inv.pin, s->pin, sizeof inv.pin);
	lc_random(inv.invite_id, sizeof inv.invite_id);
	inv.expires = expires_ms;
	lc_random(inv.secret, sizeof inv.secret);
	inv.role = (uint8_t)role;
	strcpy(inv.authority, authority);
	if (country != NULL)
		strcpy(inv.country, country);
	if (authority_name != NULL)
		strcpy(inv.authority_name, authority_name);
	memcpy(inv.root_pk, s->root_pk, 32);
	err = invite_sign(&inv, signer_sk);
	if (err != 0)
		goto out;
	err = invite_derive(inv.secret, redeem, bind);
	if (err != 0)
		goto out;
	err = lc_sha256(redeem, sizeof redeem, redeem_hash);
	if (err != 0)
		goto out;
	err = invite_encode(&inv, &tok);
	if (err != 0)
		goto out;
	/* bind is kept before the relay hears of the invite, so no enrollee
	 * can exist whose binding this home cannot check. */
	err = keep_invite(h, &inv, bind);
	if (err != 0)
		goto out;

	liaison__invite_register__init(&ms.reg);
	ms.reg.invite_id.data = inv.invite_id;
	ms.reg.invite_id.len = 16;
	ms.reg.redeem_hash.data = redeem_hash;
	ms.reg.redeem_hash.len = sizeof redeem_hash;
	ms.reg.role = (uint32_t)role;
	ms.reg.authority = inv.authority;
	ms.reg.expires = inv.expires;
	err = core_open(h, s, &c);
	if (err != 0)
		goto out;
	core_set_handlers(c, &hd, &ms);
	err = core_start(c, 1);
	if (err != 0)
		goto out;
	err = core_run(c, &ms.done, deadline_ms);
	if (err != 0)
		goto out;
	*token = tok;
	tok = NULL;
out:
	core_free(c);
	if (tok != NULL) {
		lc_wipe(tok, strlen(tok));
		free(tok);
	}
	lc_wipe(redeem, sizeof redeem);
	lc_wipe(bind, sizeof bind);
	lc_wipe(&inv, sizeof inv);
	return err;
}
