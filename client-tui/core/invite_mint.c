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
	struct invite inv;
	const uint8_t *signer_sk;
	uint8_t redeem_hash[LC_HASH_BYTES];
	char *token;
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

static int prepare(struct core *c, struct mint_state *ms);

static void mint_ready(struct core *c, void *arg)
{
	struct mint_state *ms = arg;
	Liaison__Item item = LIAISON__ITEM__INIT;
	int err;

	if (ms->sent || ms->done)
		return;
	if (ms->token == NULL) {
		err = prepare(c, ms);
		if (err != 0) {
			core_fail(c, err);
			return;
		}
	}
	item.body_case = LIAISON__ITEM__BODY_INVITE_REGISTER;
	item.invite_register = &ms->reg;
	err = core_request(c, &item, on_register_reply, ms);
	if (err != 0) {
		core_fail(c, err);
		return;
	}
	ms->sent = 1;
}

/* Once the directory is verified: the authority must be listed (its
 * country and name come from there), then the invite is signed, its bind
 * kept, and the registration made ready. */
static int prepare(struct core *c, struct mint_state *ms)
{
	struct invite *inv = &ms->inv;
	const struct dir_authority *a;
	uint8_t redeem[32], bind[32];
	int err;

	if (c->dir_bad != 0)
		return c->dir_bad;
	a = c->dir->st != NULL ? dir_find_authority(c->dir->st, inv->authority) : NULL;
	if (a == NULL)
		return LIAISON_ERR_NOT_FOUND;
	memcpy(inv->country, a->country, sizeof inv->country);
	memcpy(inv->authority_name, a->name, sizeof inv->authority_name);
	lc_random(inv->invite_id, sizeof inv->invite_id);
	lc_random(inv->secret, sizeof inv->secret);
	err = invite_sign(inv, ms->signer_sk);
	if (err == 0)
		err = invite_derive(inv->secret, redeem, bind);
	if (err == 0)
		err = lc_sha256(redeem, sizeof redeem, ms->redeem_hash);
	if (err == 0)
		err = invite_encode(inv, &ms->token);
	/* bind is kept before the relay hears of the invite, so no enrollee
	 * can exist whose binding this home cannot check. */
	if (err == 0)
		err = keep_invite(c->home, inv, bind);
	lc_wipe(redeem, sizeof redeem);
	lc_wipe(bind, sizeof bind);
	lc_wipe(inv->secret, sizeof inv->secret);
	if (err != 0)
		return err;
	liaison__invite_register__init(&ms->reg);
	ms->reg.invite_id.data = inv->invite_id;
	ms->reg.invite_id.len = 16;
	ms->reg.redeem_hash.data = ms->redeem_hash;
	ms->reg.redeem_hash.len = sizeof ms->redeem_hash;
	ms->reg.role = inv->role;
	ms->reg.authority = inv->authority;
	ms->reg.expires = inv->expires;
	return 0;
}

int core_invite_mint(struct home *h, struct self *s, int role, const char *authority,
		     uint64_t expires_ms, uint64_t deadline_ms, char **token)
{
	static const struct core_handlers hd_template = { mint_ready, NULL, NULL, NULL };
	struct core_handlers hd = hd_template;
	struct mint_state ms;
	struct invite *inv = &ms.inv;
	struct core *c = NULL;
	uint64_t now = time_now_ms();
	int err;

	memset(&ms, 0, sizeof ms);
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
		ms.signer_sk = s->root_sk;
		memcpy(inv->signer_pk, s->root_pk, 32);
	} else if (role == ROLE_MEMBER) {
		if (!s->has_signing_key || s->signing_sk == NULL ||
		    memcmp(s->cert.key, s->signing_pk, 32) != 0 ||
		    layout_cert_verify(&s->cert, s->root_pk, now) != 0) {
			err = LIAISON_ERR_DENIED;   /* no valid certificate yet */
			goto out;
		}
		ms.signer_sk = s->signing_sk;
		memcpy(inv->signer_pk, s->signing_pk, 32);
		inv->cert = s->cert;
	} else {
		err = LIAISON_ERR_USAGE;
		goto out;
	}
	if (authority == NULL || authority[0] == '\0' || strlen(authority) > LAYOUT_MAX_AUTHORITY ||
	    expires_ms <= now) {
		err = LIAISON_ERR_USAGE;
		goto out;
	}
	inv->kind = INVITE_MINTED;
	memcpy(inv->url, s->url, sizeof inv->url);
	memcpy(inv->pin, s->pin, sizeof inv->pin);
	inv->expires = expires_ms;
	inv->role = (uint8_t)role;
	strcpy(inv->authority, authority);
	memcpy(inv->root_pk, s->root_pk, 32);

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
	*token = ms.token;
	ms.token = NULL;
out:
	core_free(c);
	if (ms.token != NULL) {
		lc_wipe(ms.token, strlen(ms.token));
		free(ms.token);
	}
	lc_wipe(&ms, sizeof ms);
	return err;
}
