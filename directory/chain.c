/* Applying a signed change to a verified state (docs/DIRECTORY.md,
 * "Verifying a change"): the signature over the exact received bytes first,
 * then order, time, who may sign what, and each kind's own rules. A change
 * that fails leaves the state exactly as it was. */
#include "directory/dir_int.h"

#include <string.h>

#include "protocol/crypto.h"
#include "protocol/sig.h"

/* An approval (genesis, add-contact) checked and turned into a contact.
 * genesis_auth is the authority a genesis adds in the same change. */
static int check_approval(const struct dir_state *st, const struct dir_change *c,
			  const struct dir_authority *genesis_auth, struct dir_contact *out)
{
	struct enrollment e;
	struct dir_contact t;
	int rc;

	if ((rc = layout_enrollment_decode(c->enrollment, c->enrollment_len, &e)) != 0)
		return rc;
	if (dir_find_contact(st, e.account) != NULL || dir_contact_by_invite(st, e.invite_id))
		return LIAISON_ERR_EXISTS;
	if (genesis_auth != NULL ? strcmp(genesis_auth->id, e.authority) != 0
				 : dir_find_authority(st, e.authority) == NULL)
		return LIAISON_ERR_NOT_FOUND;
	if (dir_check_utf8(e.name) != 0 || dir_check_utf8(e.title) != 0)
		return LIAISON_ERR_INVALID;
	if (c->has_cert != (e.role == ROLE_SECRETARIAT))
		return LIAISON_ERR_INVALID;
	if (c->issued > e.invite_expires)
		return LIAISON_ERR_EXPIRED;
	if (c->has_cert) {
		if (memcmp(c->cert.account, e.account, 16) != 0 ||
		    memcmp(c->cert.key, e.signing_key, 32) != 0)
			return LIAISON_ERR_INVALID;
		if (layout_cert_verify(&c->cert, st->params.root, 0) != 0)
			return LIAISON_ERR_SIGNATURE;
		if (c->cert.not_after < c->issued)
			return LIAISON_ERR_EXPIRED;
	}
	/* Anyone can re-check the binding of key to person offline: the
	 * enrollee's own signature over what the secretariat approved. */
	if (sig_xeddsa_verify(c->enrollment_sig, SIG_ENROLLMENT, c->enrollment,
			      c->enrollment_len, e.identity_key, st->sctx) != 0)
		return LIAISON_ERR_SIGNATURE;
	memset(&t, 0, sizeof(t));
	memcpy(t.account, e.account, 16);
	memcpy(t.authority, e.authority, sizeof(t.authority));
	memcpy(t.name, e.name, sizeof(t.name));
	memcpy(t.title, e.title, sizeof(t.title));
	t.role = e.role;
	t.status = DIR_ACTIVE;
	memcpy(t.identity_key, e.identity_key, 33);
	memcpy(t.invite_id, e.invite_id, 16);
	t.added_in = c->version;
	t.has_cert = c->has_cert;
	if (c->has_cert) {
		t.cert = c->cert;
		if ((rc = layout_key_id(t.cert.key, t.cert_key_id)) != 0)
			return rc;
	}
	*out = t;
	return 0;
}

/* Does this change need the root's own signature? */
static int needs_root(const struct dir_change *c, const struct dir_contact *target,
		      const struct dir_contact *added)
{
	switch (c->kind) {
	case DIR_GENESIS:
	case DIR_CERTIFY:
	case DIR_GRANT_SECRETARIAT:
	case DIR_REVOKE_SECRETARIAT:
		return 1;
	case DIR_ADD_CONTACT:
		return added->role == ROLE_SECRETARIAT;
	case DIR_REVOKE_CONTACT:
		return target != NULL && target->role == ROLE_SECRETARIAT;
	default:
		return 0;
	}
}

static int check_cert_for(const struct dir_state *st, const struct dir_change *c,
			  const struct dir_contact *target)
{
	if (memcmp(c->cert.account, target->account, 16) != 0)
		return LIAISON_ERR_INVALID;
	if (layout_cert_verify(&c->cert, st->params.root, 0) != 0)
		return LIAISON_ERR_SIGNATURE;
	if (c->cert.not_after < c->issued)
		return LIAISON_ERR_EXPIRED;
	return 0;
}

/* Everything a kind requires of the state, before anything is changed.
 * *target is the existing contact the change is about; *added the new one. */
static int check_kind(struct dir_state *st, const struct dir_change *c,
		      struct dir_contact **target, struct dir_contact *added, size_t *auth_at)
{
	const struct dir_authority *a;
	const uint8_t *account;
	int rc;

	*target = NULL;
	switch (c->kind) {
	case DIR_GENESIS:
		if (memcmp(c->params.root, st->params.root, 32) != 0 ||
		    c->authority.type != DIR_TYPE_SECRETARIAT)
			return LIAISON_ERR_INVALID;
		if ((rc = check_approval(st, c, &c->authority, added)) != 0)
			return rc;
		return added->role == ROLE_SECRETARIAT ? 0 : LIAISON_ERR_INVALID;
	case DIR_ADD_AUTHORITY:
		return dir_find_authority(st, c->authority.id) != NULL ? LIAISON_ERR_EXISTS : 0;
	case DIR_UPDATE_AUTHORITY:
		a = dir_find_authority(st, c->authority.id);
		if (a == NULL)
			return LIAISON_ERR_NOT_FOUND;
		*auth_at = (size_t)(a - st->authorities);
		return 0;
	case DIR_ADD_CONTACT:
		return check_approval(st, c, NULL, added);
	default:
		break;
	}
	account = (c->kind == DIR_CERTIFY || c->kind == DIR_GRANT_SECRETARIAT) ? c->cert.account
									       : c->account;
	*target = (struct dir_contact *)dir_find_contact(st, account);
	if (*target == NULL)
		return LIAISON_ERR_NOT_FOUND;
	if ((*target)->status != DIR_ACTIVE)
		return LIAISON_ERR_REVOKED;
	switch (c->kind) {
	case DIR_REVOKE_CONTACT:
		return 0;
	case DIR_CERTIFY:
		if ((*target)->role != ROLE_SECRETARIAT)
			return LIAISON_ERR_DENIED;
		return check_cert_for(st, c, *target);
	case DIR_GRANT_SECRETARIAT:
		if ((*target)->role != ROLE_MEMBER)
			return LIAISON_ERR_EXISTS;
		return check_cert_for(st, c, *target);
	case DIR_REVOKE_SECRETARIAT:
		return (*target)->role == ROLE_SECRETARIAT ? 0 : LIAISON_ERR_DENIED;
	default:
		return LIAISON_ERR_UNSUPPORTED;
	}
}

/* Makes every allocation the change will need, so that the mutation after
 * it cannot fail halfway. */
static int prepare(struct dir_state *st, const struct dir_change *c)
{
	int rc;

	switch (c->kind) {
	case DIR_GENESIS:
		if ((rc = dir_reserve(st, 1, 1)) != 0)
			return rc;
		return dir_signers_add(st, st->n_contacts);
	case DIR_ADD_AUTHORITY:
		return dir_reserve(st, 1, 0);
	case DIR_ADD_CONTACT:
		if ((rc = dir_reserve(st, 0, 1)) != 0)
			return rc;
		return c->has_cert ? dir_signers_add(st, st->n_contacts) : 0;
	case DIR_GRANT_SECRETARIAT: {
		const struct dir_contact *t = dir_find_contact(st, c->cert.account);

		return dir_signers_add(st, (size_t)(t - st->contacts));
	}
	default:
		return 0;
	}
}

static int mutate(struct dir_state *st, const struct dir_change *c, struct dir_contact *target,
		  const struct dir_contact *added, size_t auth_at)
{
	int rc = 0;

	switch (c->kind) {
	case DIR_GENESIS:
		st->params = c->params;
		/* fall through */
	case DIR_ADD_AUTHORITY:
		st->authorities[st->n_authorities] = c->authority;
		if ((rc = dir_index_add_authority(st, st->n_authorities)) != 0)
			return rc;
		st->n_authorities++;
		if (c->kind == DIR_ADD_AUTHORITY)
			return 0;
		/* fall through */
	case DIR_ADD_CONTACT:
		st->contacts[st->n_contacts] = *added;
		if ((rc = dir_index_add_contact(st, st->n_contacts)) != 0)
			return rc;
		st->n_contacts++;
		return 0;
	case DIR_UPDATE_AUTHORITY:
		st->authorities[auth_at] = c->authority;
		return 0;
	case DIR_REVOKE_CONTACT:
		target->status = DIR_REVOKED;
		return 0;
	case DIR_CERTIFY:
	case DIR_GRANT_SECRETARIAT:
		if ((rc = layout_key_id(c->cert.key, target->cert_key_id)) != 0)
			return rc;
		target->role = ROLE_SECRETARIAT;
		target->has_cert = 1;
		target->cert = c->cert;
		return 0;
	case DIR_REVOKE_SECRETARIAT:
		target->role = ROLE_MEMBER;
		target->has_cert = 0;
		memset(&target->cert, 0, sizeof(target->cert));
		memset(target->cert_key_id, 0, sizeof(target->cert_key_id));
		return 0;
	default:
		return LIAISON_ERR_INTERNAL;
	}
}

int dir_apply(struct dir_state *st, const uint8_t *rec, size_t n, uint64_t now_ms)
{
	struct dir_record r;
	struct dir_change c;
	struct dir_contact *target = NULL, added;
	const struct dir_contact *signer = NULL;
	const uint8_t *pk = NULL;
	uint8_t change_hash[32], chain[32];
	uint64_t skew;
	size_t auth_at = 0;
	int is_root = 0, rc;

	if (st == NULL || rec == NULL)
		return LIAISON_ERR_INVALID;
	memset(&added, 0, sizeof(added));
	if ((rc = dir_record_read(rec, n, DIR_MAX_CHANGE, &r)) != 0)
		return rc;
	/* The key comes from the state before the change, by the id beside the
	 * signed bytes; nothing inside them is read before they verify. */
	if ((rc = dir_pick_key(st, r.key_id, &pk, &signer, &is_root)) != 0)
		return rc;
	if (sig_ed25519_verify(r.sig, SIG_DIRECTORY, r.signed_bytes, r.signed_len, pk) != 0)
		return LIAISON_ERR_SIGNATURE;
	if ((rc = dir_change_parse(r.signed_bytes, r.signed_len, &c)) != 0)
		return rc;
	if (memcmp(c.signer_id, r.key_id, 16) != 0)
		return LIAISON_ERR_SIGNER;
	if (c.version != st->version + 1 || memcmp(c.prev_hash, st->change_hash, 32) != 0 ||
	    (c.kind == DIR_GENESIS) != (c.version == 1))
		return LIAISON_ERR_CHAIN;
	skew = c.kind == DIR_GENESIS ? (uint64_t)c.params.skew_s * 1000u : dir_skew_ms(st);
	if ((st->version > 0 && c.issued < st->issued) || c.issued > now_ms + skew)
		return LIAISON_ERR_CLOCK;
	if ((rc = check_kind(st, &c, &target, &added, &auth_at)) != 0)
		return rc;
	/* Who may sign: the root for the root's kinds, an active secretariat
	 * with a certificate valid at the issue time for every other. */
	if (needs_root(&c, target, &added) != is_root)
		return LIAISON_ERR_SIGNER;
	if (!is_root && signer->cert.not_after < c.issued)
		return LIAISON_ERR_SIGNER;
	if ((rc = dir_change_hash(rec, n, change_hash)) != 0 ||
	    (rc = dir_chain_next(st->chain_hash, change_hash, chain)) != 0)
		return rc;
	if ((rc = prepare(st, &c)) != 0)
		return rc;
	/* prepare may have moved the arrays: find the target again. */
	if (target != NULL)
		target = (struct dir_contact *)dir_find_contact(st, target->account);
	if ((rc = mutate(st, &c, target, &added, auth_at)) != 0)
		return rc;
	st->version = c.version;
	memcpy(st->change_hash, change_hash, 32);
	memcpy(st->chain_hash, chain, 32);
	st->issued = c.issued;
	return 0;
}

int dir_apply_page(struct dir_state *st, const uint8_t *page, size_t n, uint64_t now_ms,
		   size_t *applied)
{
	struct rd r;
	const uint8_t *rec;
	size_t len, done = 0;
	uint32_t count, i;
	int rc;

	if ((rc = dir_page_open(&r, page, n, &count)) != 0)
		goto out;
	for (i = 0; i < count; i++) {
		if ((rc = dir_page_next(&r, &rec, &len)) != 0 || (rc = dir_apply(st, rec, len, now_ms)) != 0)
			goto out;
		done++;
	}
	rc = rd_end(&r);
out:
	if (applied != NULL)
		*applied = done;
	return rc;
}
