/* A secretariat's directory commands (CONTRACT.md `directory`, DESIGN.md
 * §4-§5): after the update (the current head verified, exempt from its
 * expiry), changes are signed and applied to a copy of the verified state,
 * a new head (and a snapshot when due) is signed over the result, and all
 * of it goes to the relay in one DirPublish; the copy becomes the verified
 * state only once the relay has committed it. Approvals check each
 * enrollment's self-signature and binding before anything is signed.
 * Never prints. */
#include "client-tui/core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include "client-tui/core/vault.h"
#include "protocol/buf.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/log.h"
#include "protocol/sig.h"
#include "protocol/timefmt.h"

#define CERT_LIFETIME_MS (365ull * 24 * 3600 * 1000)
#define INVITE_RECORD_VERSION 1
#define MAX_APPROVE 256

enum run_kind { RUN_SYNC, RUN_PUBLISH, RUN_PENDING, RUN_APPROVE };

struct dirop_run {
	enum run_kind kind;
	const struct core_dir_op *ops;
	size_t n_ops;
	const uint8_t (*accounts)[16];
	size_t n_accounts;
	const char *fingerprint;
	uint8_t failed[16];
	int has_failed;
	struct core_enrollment *list;
	size_t n_list;
	struct dir_state *work;          /* signed, awaiting the relay */
	uint8_t *head;
	size_t head_len;
	int sent;
	volatile int done;
};

void core_enrollments_free(struct core_enrollment *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		free(list[i].bytes);
	free(list);
}

/* --- who may sign --- */

/* 0 when s is an active secretariat of st with a usable signing key. */
static int may_sign(const struct self *s, const struct dir_state *st, uint64_t now)
{
	const struct dir_contact *me;

	if (st == NULL || s->role != ROLE_SECRETARIAT || !s->has_signing_key ||
	    s->signing_sk == NULL)
		return LIAISON_ERR_DENIED;
	me = dir_find_contact(st, s->account);
	if (me == NULL || me->status != DIR_ACTIVE || me->role != ROLE_SECRETARIAT ||
	    !me->has_cert || memcmp(me->cert.key, s->signing_pk, 32) != 0 ||
	    me->cert.not_after < now)
		return LIAISON_ERR_DENIED;
	return 0;
}

static uint64_t issue_time(const struct dir_state *st)
{
	uint64_t now = time_now_ms();

	return now > st->issued ? now : st->issued;
}

/* Signs c as the next change of work (by the root or the signing key) and
 * applies it there. */
static int sign_apply(struct core *c, struct dir_state *work, struct dir_change *ch, int by_root,
		      struct wb *recs, size_t *n_recs)
{
	const struct self *s = c->self;
	struct wb rec;
	int err;

	if (by_root && s->root_sk == NULL)
		return LIAISON_ERR_DENIED;
	ch->issued = issue_time(work);
	err = dir_change_sign(work, ch, by_root ? s->root_pk : s->signing_pk,
			      by_root ? s->root_sk : s->signing_sk, &rec);
	if (err != 0)
		return err;
	err = dir_apply(work, rec.data, rec.len, time_now_ms());
	if (err != 0) {
		wb_free(&rec);
		return err;
	}
	recs[(*n_recs)++] = rec;
	return 0;
}

/* --- publishing --- */

static void on_publish_reply(struct core *c, const Liaison__Item *reply, void *arg)
{
	struct dirop_run *r = arg;
	int err;

	r->sent = 0;
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
	err = dirupdate_commit(c, r->work, r->head, r->head_len);
	if (err != 0) {
		core_fail(c, err);
		return;
	}
	r->work = NULL;
	r->done = 1;
}

/* A snapshot is due when the n changes just applied to work reached or
 * passed a multiple of the snapshot interval: a batch (approving several
 * accounts) that steps over one still leaves a snapshot, at its end. */
static int snapshot_due(const struct dir_state *work, size_t n)
{
	uint64_t every = work->params.snapshot_every, before;

	if (n == 0 || every == 0 || n > work->version)
		return 0;
	if (dir_snapshot_due(work))
		return 1;
	before = work->version - n;
	return before / every != work->version / every;
}

/* Signs a head over work (and a snapshot when one is due) and sends the
 * changes with them in one DirPublish. */
static int publish(struct core *c, struct dirop_run *r, struct wb *recs, size_t n_recs)
{
	Liaison__Item item = LIAISON__ITEM__INIT;
	Liaison__DirPublish pub = LIAISON__DIR_PUBLISH__INIT;
	ProtobufCBinaryData *ch = NULL;
	struct wb head, snap;
	const struct self *s = c->self;
	uint64_t issued = issue_time(r->work);
	size_t i;
	int err;

	memset(&head, 0, sizeof head);
	memset(&snap, 0, sizeof snap);
	err = dir_head_sign(r->work, issued, 0, s->signing_pk, s->signing_sk, &head);
	if (err != 0)
		goto out;
	if (snapshot_due(r->work, n_recs)) {
		err = dir_snapshot_sign(r->work, issued, s->signing_pk, s->signing_sk, &snap);
		if (err != 0)
			goto out;
		pub.snapshot.data = snap.data;
		pub.snapshot.len = snap.len;
	}
	ch = calloc(n_recs ? n_recs : 1, sizeof *ch);
	if (ch == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n_recs; i++) {
		ch[i].data = recs[i].data;
		ch[i].len = recs[i].len;
	}
	pub.n_changes = n_recs;
	pub.changes = ch;
	pub.head.data = head.data;
	pub.head.len = head.len;
	item.body_case = LIAISON__ITEM__BODY_DIR_PUBLISH;
	item.dir_publish = &pub;
	err = core_request(c, &item, on_publish_reply, r);
	if (err != 0)
		goto out;
	r->sent = 1;
	free(r->head);
	r->head = malloc(head.len);
	if (r->head == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	memcpy(r->head, head.data, head.len);
	r->head_len = head.len;
out:
	free(ch);
	if (head.data != NULL)
		wb_free(&head);
	if (snap.data != NULL)
		wb_free(&snap);
	return err;
}

static int build_ops(struct core *c, struct dirop_run *r, struct wb *recs, size_t *n_recs)
{
	const struct dir_contact *target;
	struct dir_change ch;
	size_t i;
	int err = 0;

	for (i = 0; i < r->n_ops && err == 0; i++) {
		const struct core_dir_op *op = &r->ops[i];

		memset(&ch, 0, sizeof ch);
		ch.kind = (uint8_t)op->kind;
		switch (op->kind) {
		case DIR_ADD_AUTHORITY:
		case DIR_UPDATE_AUTHORITY:
			ch.authority = op->authority;
			err = sign_apply(c, r->work, &ch, 0, recs, n_recs);
			break;
		case DIR_REVOKE_CONTACT:
			target = dir_find_contact(r->work, op->account);
			if (target == NULL) {
				err = LIAISON_ERR_NOT_FOUND;
				break;
			}
			if (target->status != DIR_ACTIVE) {
				err = LIAISON_ERR_REVOKED;
				break;
			}
			memcpy(ch.account, op->account, 16);
			/* A secretariat is revoked by the root alone. */
			err = sign_apply(c, r->work, &ch, target->role == ROLE_SECRETARIAT, recs, n_recs);
			break;
		case DIR_CERTIFY:
			target = dir_find_contact(r->work, op->account);
			if (target == NULL || target->role != ROLE_SECRETARIAT || !target->has_cert) {
				err = target == NULL ? LIAISON_ERR_NOT_FOUND : LIAISON_ERR_INVALID;
				break;
			}
			if (c->self->root_sk == NULL) {
				err = LIAISON_ERR_DENIED;
				break;
			}
			ch.cert = target->cert;
			ch.cert.not_after = time_now_ms() + CERT_LIFETIME_MS;
			err = layout_cert_sign(&ch.cert, c->self->root_sk);
			if (err == 0)
				err = sign_apply(c, r->work, &ch, 1, recs, n_recs);
			break;
		case 0:
			break;
		default:
			err = LIAISON_ERR_UNSUPPORTED;
			break;
		}
	}
	return err;
}

/* --- approvals --- */

struct invite_kept {
	uint8_t bind[32];
	uint64_t expires;
	uint8_t role;
	char authority[LAYOUT_MAX_AUTHORITY + 1];
};

static int invite_kept_get(struct home *h, const uint8_t invite_id[16], struct invite_kept *out)
{
	uint8_t *val = NULL, id[16], version;
	size_t vallen = 0;
	struct rd r;
	int err;

	err = vault_get(h, VT_INVITE, invite_id, 16, &val, &vallen);
	if (err != 0)
		return err;
	rd_init(&r, val, vallen);
	if ((err = rd_u8(&r, &version)) != 0)
		goto out;
	if (version != INVITE_RECORD_VERSION) {
		err = LIAISON_ERR_UNSUPPORTED;
		goto out;
	}
	if ((err = rd_fixed(&r, id, 16)) != 0 || (err = rd_fixed(&r, out->bind, 32)) != 0 ||
	    (err = rd_u64(&r, &out->expires)) != 0 || (err = rd_u8(&r, &out->role)) != 0 ||
	    (err = rd_str(&r, out->authority, sizeof out->authority)) != 0)
		goto out;
	if (!lc_equal(id, invite_id, 16))
		err = LIAISON_ERR_INVALID;
out:
	vault_free_value(val, vallen);
	return err;
}

/* Every check of one enrollment before its approval is signed. */
static int check_enrollment(struct core *c, struct dirop_run *r, const struct core_enrollment *en)
{
	const struct enrollment *e = &en->e;
	struct invite_kept kept;
	uint8_t want[32], have[32];
	size_t i;
	int err;

	err = sig_xeddsa_verify(en->signature, SIG_ENROLLMENT, en->bytes, en->len,
				e->identity_key, c->sctx);
	if (err != 0)
		return LIAISON_ERR_SIGNATURE;
	memset(&kept, 0, sizeof kept);
	err = invite_kept_get(c->home, e->invite_id, &kept);
	if (err == 0) {
		/* This home minted the invite: the enrollee's MAC under bind
		 * proves the key is the one that redeemed it. */
		err = en->has_mac ? lc_auth_verify(en->bind_mac, en->bytes, en->len, kept.bind) : -1;
		lc_wipe(kept.bind, sizeof kept.bind);
		if (err != 0 || kept.expires != e->invite_expires || kept.role != e->role ||
		    strcmp(kept.authority, e->authority) != 0)
			return LIAISON_ERR_IDENTITY;
	} else if (err == LIAISON_ERR_NOT_FOUND) {
		if (r->fingerprint == NULL)
			return LIAISON_ERR_USAGE;	/* another secretariat's invite */
	} else {
		return err;
	}
	if (r->fingerprint != NULL) {
		if (hex_decode_loose(r->fingerprint, want, sizeof want) != 0)
			return LIAISON_ERR_USAGE;
		err = lc_sha256(e->identity_key, 33, have);
		if (err != 0)
			return err;
		if (!lc_equal(want, have, 32))
			return LIAISON_ERR_FINGERPRINT;
	}
	if (e->invite_expires < time_now_ms())
		return LIAISON_ERR_EXPIRED;
	/* One account per invite, whatever the relay says. */
	for (i = 0; i < r->work->n_contacts; i++) {
		if (lc_equal(r->work->contacts[i].invite_id, e->invite_id, 16))
			return LIAISON_ERR_USED;
	}
	if (dir_find_authority(r->work, e->authority) == NULL)
		return LIAISON_ERR_NOT_FOUND;
	if (e->role == ROLE_SECRETARIAT && c->self->root_sk == NULL)
		return LIAISON_ERR_DENIED;
	return 0;
}

static int build_approvals(struct core *c, struct dirop_run *r, struct wb *recs, size_t *n_recs)
{
	struct dir_change ch;
	size_t i, j;
	int err;

	for (i = 0; i < r->n_accounts; i++) {
		const struct core_enrollment *en = NULL;

		for (j = 0; j < r->n_list; j++) {
			if (lc_equal(r->list[j].e.account, r->accounts[i], 16)) {
				en = &r->list[j];
				break;
			}
		}
		memcpy(r->failed, r->accounts[i], 16);
		r->has_failed = 1;
		if (en == NULL)
			return dir_find_contact(r->work, r->accounts[i]) != NULL ?
				LIAISON_ERR_EXISTS : LIAISON_ERR_NOT_FOUND;
		err = check_enrollment(c, r, en);
		if (err != 0)
			return err;
		memset(&ch, 0, sizeof ch);
		ch.kind = DIR_ADD_CONTACT;
		ch.enrollment = en->bytes;
		ch.enrollment_len = en->len;
		memcpy(ch.enrollment_sig, en->signature, 64);
		if (en->e.role == ROLE_SECRETARIAT) {
			/* The root certifies the new secretariat's signing key. */
			ch.has_cert = 1;
			memcpy(ch.cert.key, en->e.signing_key, 32);
			memcpy(ch.cert.account, en->e.account, 16);
			ch.cert.not_after = time_now_ms() + CERT_LIFETIME_MS;
			err = layout_cert_sign(&ch.cert, c->self->root_sk);
			if (err != 0)
				return err;
		}
		err = sign_apply(c, r->work, &ch, en->e.role == ROLE_SECRETARIAT, recs, n_recs);
		if (err != 0)
			return err;
		r->has_failed = 0;
	}
	return 0;
}

static int take_pending(struct dirop_run *r, const Liaison__Pending *p)
{
	struct core_enrollment *list;
	size_t i, n = 0;

	list = calloc(p->n_enrollments ? p->n_enrollments : 1, sizeof *list);
	if (list == NULL)
		return LIAISON_ERR_NOMEM;
	for (i = 0; i < p->n_enrollments; i++) {
		const Liaison__PendingEnrollment *pe = p->enrollments[i];
		struct core_enrollment *en = &list[n];

		if (pe->enrollment.len == 0 || pe->enrollment.len > LAYOUT_MAX_ENROLLMENT ||
		    pe->signature.len != 64 ||
		    layout_enrollment_decode(pe->enrollment.data, pe->enrollment.len, &en->e) != 0) {
			log_warn("directory", "skipped a pending enrollment that does not decode");
			continue;
		}
		en->bytes = malloc(pe->enrollment.len);
		if (en->bytes == NULL) {
			core_enrollments_free(list, n);
			return LIAISON_ERR_NOMEM;
		}
		memcpy(en->bytes, pe->enrollment.data, pe->enrollment.len);
		en->len = pe->enrollment.len;
		memcpy(en->signature, pe->signature.data, 64);
		if (pe->bind_mac.len == sizeof en->bind_mac) {
			memcpy(en->bind_mac, pe->bind_mac.data, sizeof en->bind_mac);
			en->has_mac = 1;
		}
		en->enrolled_at = pe->enrolled_at;
		n++;
	}
	core_enrollments_free(r->list, r->n_list);
	r->list = list;
	r->n_list = n;
	return 0;
}

/* --- the run --- */

static void fail_run(struct core *c, struct dirop_run *r, int err)
{
	(void)r;
	core_fail(c, err);
}

/* Builds and publishes what r asks for over a copy of the verified state. */
static void sign_and_publish(struct core *c, struct dirop_run *r)
{
	struct wb *recs = NULL;
	size_t n_recs = 0, i, cap;
	int err;

	dir_state_free(r->work);
	r->work = NULL;
	err = dirsync_clone(c->dir, c->dir->st, &r->work);
	if (err != 0)
		goto out;
	cap = (r->kind == RUN_APPROVE ? r->n_accounts : r->n_ops) + 1;
	recs = calloc(cap, sizeof *recs);
	if (recs == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	err = r->kind == RUN_APPROVE ? build_approvals(c, r, recs, &n_recs)
				     : build_ops(c, r, recs, &n_recs);
	if (err == 0)
		err = publish(c, r, recs, n_recs);
out:
	for (i = 0; recs != NULL && i < n_recs; i++)
		wb_free(&recs[i]);
	free(recs);
	if (err != 0)
		fail_run(c, r, err);
}

static void on_pending_reply(struct core *c, const Liaison__Item *reply, void *arg)
{
	struct dirop_run *r = arg;
	int err;

	r->sent = 0;
	if (reply == NULL)
		return;
	if (reply->body_case == LIAISON__ITEM__BODY_ERROR) {
		core_fail(c, wire_error_code(reply->error));
		return;
	}
	if (reply->body_case != LIAISON__ITEM__BODY_PENDING) {
		core_fail(c, LIAISON_ERR_PROTOCOL);
		return;
	}
	err = take_pending(r, reply->pending);
	if (err != 0) {
		core_fail(c, err);
		return;
	}
	if (r->kind == RUN_PENDING) {
		r->done = 1;
		return;
	}
	sign_and_publish(c, r);
}

static void run_ready(struct core *c, void *arg)
{
	struct dirop_run *r = arg;
	Liaison__Item item = LIAISON__ITEM__INIT;
	Liaison__PendingRequest pr = LIAISON__PENDING_REQUEST__INIT;
	int err;

	if (r->sent || r->done)
		return;
	if (r->kind == RUN_SYNC) {
		r->done = 1;
		return;
	}
	if (c->dir_bad != 0) {
		core_fail(c, c->dir_bad);
		return;
	}
	err = may_sign(c->self, c->dir->st, time_now_ms());
	if (err != 0) {
		core_fail(c, err);
		return;
	}
	if (r->kind == RUN_PUBLISH) {
		sign_and_publish(c, r);
		return;
	}
	item.body_case = LIAISON__ITEM__BODY_PENDING_REQUEST;
	item.pending_request = &pr;
	err = core_request(c, &item, on_pending_reply, r);
	if (err != 0) {
		core_fail(c, err);
		return;
	}
	r->sent = 1;
}

static int run(struct home *h, struct self *s, struct dirop_run *r, uint64_t deadline_ms)
{
	static const struct core_handlers hd_template = { run_ready, NULL, NULL, NULL };
	struct core_handlers hd = hd_template;
	struct core *c = NULL;
	int err;

	if (r->kind != RUN_SYNC && s->role != ROLE_SECRETARIAT)
		return LIAISON_ERR_DENIED;	/* members: no need to ask anyone */
	err = core_open(h, s, &c);
	if (err != 0)
		goto out;
	core_set_handlers(c, &hd, r);
	/* A command that signs a new head may renew an expired one. */
	if (r->kind == RUN_PUBLISH || r->kind == RUN_APPROVE)
		core_set_dir_flags(c, DIR_HEAD_EXEMPT);
	err = core_start(c, 1);
	if (err != 0)
		goto out;
	err = core_run(c, &r->done, deadline_ms);
out:
	core_free(c);
	dir_state_free(r->work);
	r->work = NULL;
	free(r->head);
	r->head = NULL;
	return err;
}

int core_dir_sync(struct home *h, struct self *s, uint64_t deadline_ms)
{
	struct dirop_run r;

	memset(&r, 0, sizeof r);
	r.kind = RUN_SYNC;
	return run(h, s, &r, deadline_ms);
}

int core_dir_publish(struct home *h, struct self *s, const struct core_dir_op *ops, size_t n,
		     uint64_t deadline_ms)
{
	struct dirop_run r;

	memset(&r, 0, sizeof r);
	r.kind = RUN_PUBLISH;
	r.ops = ops;
	r.n_ops = n;
	return run(h, s, &r, deadline_ms);
}

int core_dir_pending(struct home *h, struct self *s, uint64_t deadline_ms,
		     struct core_enrollment **list, size_t *n)
{
	struct dirop_run r;
	int err;

	memset(&r, 0, sizeof r);
	r.kind = RUN_PENDING;
	err = run(h, s, &r, deadline_ms);
	if (err == 0) {
		*list = r.list;
		*n = r.n_list;
		r.list = NULL;
	}
	core_enrollments_free(r.list, r.n_list);
	return err;
}

int core_dir_approve(struct home *h, struct self *s, const uint8_t (*accounts)[16], size_t n,
		     const char *fingerprint, uint64_t deadline_ms, uint8_t failed[16])
{
	struct dirop_run r;
	int err;

	if (n == 0 || n > MAX_APPROVE || (fingerprint != NULL && n != 1))
		return LIAISON_ERR_USAGE;
	memset(&r, 0, sizeof r);
	r.kind = RUN_APPROVE;
	r.accounts = accounts;
	r.n_accounts = n;
	r.fingerprint = fingerprint;
	err = run(h, s, &r, deadline_ms);
	if (err != 0 && r.has_failed && failed != NULL)
		memcpy(failed, r.failed, 16);
	core_enrollments_free(r.list, r.n_list);
	return err;
}
