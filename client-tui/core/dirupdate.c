/* The client's directory update (DESIGN.md §5, docs/DIRECTORY.md "A
 * client's update"): after login, before the outbox and the mailbox, fetch
 * the relay's signed head, bring a copy of the verified state up to it
 * (from a snapshot when there is none yet), observe it in the tracker, and
 * save state and tracker in one transaction; then, when a validly signed
 * head beyond it was seen before (a peer's), fetch up to that one too. A
 * bad directory never becomes the verified state: it is recorded in
 * dir_bad and the command goes on storing what arrives but sends nothing.
 * A fork is recorded in the home for good (both heads) and every later run
 * takes nothing from the relay's directory. Never prints. */
#include "client-tui/core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include "client-tui/core/sigstore.h"
#include "client-tui/core/trust.h"
#include "protocol/crypto.h"
#include "protocol/log.h"
#include "protocol/sig.h"
#include "protocol/timefmt.h"

static void verify_target(struct core *c);
static int set_target(struct core *c, const uint8_t *rec, size_t len);

static void du_reset(struct dir_update *du)
{
	free(du->target);
	dir_state_free(du->work);
	free(du->snap_rec);
	free(du->snap_buf);
	memset(du, 0, sizeof *du);
}

void dirupdate_on_closed(struct core *c)
{
	du_reset(&c->du);
}

/* The update is over (well or not): go on with the connection. */
static void du_finish(struct core *c)
{
	int from_peer = c->du.from_peer;

	du_reset(&c->du);
	if (from_peer) {
		messaging_resume(c);
		return;
	}
	c->dir_synced = 1;
	core_after_directory(c);
}

/* The directory could not be verified: keep the last verified state, say
 * why at the end, store what arrives, send nothing. A fork (recorded by
 * fork_found first) outranks any other reason. */
static void du_bad(struct core *c, int err)
{
	if (err == LIAISON_ERR_BEHIND)
		err = LIAISON_ERR_WITHHELD;
	/* The directory's own verdicts keep their words; any other failure to
	 * verify what the relay served (a signature, a malformed or refused
	 * record, a tampered snapshot) says the directory was tampered with. */
	switch (err) {
	case LIAISON_ERR_FORK: case LIAISON_ERR_ROLLBACK: case LIAISON_ERR_WITHHELD:
	case LIAISON_ERR_STALE: case LIAISON_ERR_SIGNER: case LIAISON_ERR_CHAIN:
	case LIAISON_ERR_CLOCK: case LIAISON_ERR_OWN_CHANGED: case LIAISON_ERR_REVOKED:
	case LIAISON_ERR_NOMEM: case LIAISON_ERR_STORAGE: case LIAISON_ERR_NETWORK:
	case LIAISON_ERR_TIMEOUT: case LIAISON_ERR_IO:
		break;
	default:
		err = LIAISON_ERR_DIR_TAMPERED;
		break;
	}
	log_debug("directory", "the directory could not be verified: %s", liaison_strerror(err));
	if (c->dir_bad == 0 || err == LIAISON_ERR_FORK)
		c->dir_bad = err;
	du_finish(c);
}

/* Two validly signed histories: recorded in the home for good, with the
 * two heads as evidence, before anything else happens. */
static int fork_found(struct core *c, const uint8_t *ours, size_t ours_len,
		      const uint8_t *theirs, size_t theirs_len)
{
	int err = dirsync_record_fork(c->dir, ours, ours_len, theirs, theirs_len);

	if (err != 0) {
		core_fail(c, err);
		return err;
	}
	log_debug("directory", "the directory has forked; both heads are kept in the home");
	c->dir_bad = LIAISON_ERR_FORK;
	return 0;
}

/* A head whose signer st lists as an active secretariat and whose
 * signature verifies, parsed (whatever its version); else why not. */
static int signed_head(const struct dir_state *st, const uint8_t *rec, size_t len,
		       struct dir_head *out)
{
	const struct dir_contact *signer;
	struct dir_record r;
	struct dir_head h;
	int err;

	if (st == NULL)
		return LIAISON_ERR_SIGNER;
	err = dir_record_read(rec, len, DIR_HEAD_BYTES, &r);
	if (err != 0)
		return err;
	signer = dir_find_signer(st, r.key_id);
	if (signer == NULL)
		return LIAISON_ERR_SIGNER;
	if (sig_ed25519_verify(r.sig, SIG_DIRECTORY_HEAD, r.signed_bytes, r.signed_len,
			       signer->cert.key) != 0)
		return LIAISON_ERR_SIGNATURE;
	err = dir_head_parse(r.signed_bytes, r.signed_len, &h);
	if (err != 0)
		return err;
	if (memcmp(h.signer_id, r.key_id, 16) != 0 || h.issued > signer->cert.not_after)
		return LIAISON_ERR_SIGNER;
	*out = h;
	return 0;
}

/* Keeps a validly signed head beyond the state (checked against st) so
 * that every later run asks the relay for it. 0, or FORK (recorded) when
 * it contradicts the head kept before. */
static int note_ahead(struct core *c, const struct dir_state *st, const uint8_t *rec, size_t len)
{
	struct dirsync *ds = c->dir;
	struct dir_head h;
	int err;

	if (signed_head(st, rec, len, &h) != 0)
		return 0;	/* not (yet) known to be signed: nothing kept */
	err = dirsync_record_ahead(ds, rec, len, &h);
	if (err == LIAISON_ERR_FORK) {
		if (fork_found(c, ds->ahead, ds->ahead_len, rec, len) == 0)
			return LIAISON_ERR_FORK;
		return c->error;
	}
	if (err != 0)
		core_fail(c, err);
	return err;
}

static int request(struct core *c, Liaison__Item *item, core_reply_fn cb)
{
	int err = core_request(c, item, cb, NULL);

	if (err != 0)
		core_fail(c, err);
	return err;
}

/* --- accounts whose key changed or that were revoked --- */

static int forget_changed(struct core *c, const struct dir_state *before,
			  const struct dir_state *after)
{
	const struct dir_contact *a, *b;
	struct trust_contact tc;
	size_t i;
	int err;

	if (before == NULL)
		return 0;
	for (i = 0; i < after->n_contacts; i++) {
		a = &after->contacts[i];
		b = dir_find_contact(before, a->account);
		if (b == NULL)
			continue;
		if (b->status == a->status && lc_equal(b->identity_key, a->identity_key, 33))
			continue;
		/* Sessions and sender keys go; the outbox entries made for the
		 * old key are held (outbox.c asks trust again). */
		err = sigstore_forget(c->home, a->account);
		if (err != 0)
			return err;
		err = trust_contact_get(c->home, a->account, &tc);
		if (err == LIAISON_ERR_NOT_FOUND)
			continue;
		if (err != 0)
			return err;
		tc.state = a->status == DIR_ACTIVE ? TRUST_LISTED : TRUST_REVOKED;
		tc.has_key = 1;
		memcpy(tc.key, a->identity_key, 33);
		tc.pinned_at = time_now_ms();
		err = trust_contact_put(c->home, &tc);
		if (err != 0)
			return err;
	}
	return 0;
}

/* A secretariat learns its certificate from the directory. */
static int take_own_cert(struct core *c, const struct dir_state *st, int *changed)
{
	const struct dir_contact *me = dir_find_contact(st, c->self->account);

	*changed = 0;
	if (me == NULL || !me->has_cert || !c->self->has_signing_key ||
	    memcmp(me->cert.key, c->self->signing_pk, 32) != 0 ||
	    memcmp(&me->cert, &c->self->cert, sizeof me->cert) == 0)
		return 0;
	c->self->cert = me->cert;
	*changed = 1;
	return self_save(c->home, c->self);
}

/* Saves a verified state (st: a new one, owned from here on success, or
 * NULL when unchanged) with head in one transaction: tracker observed,
 * sessions of changed or revoked contacts forgotten, own certificate taken.
 * *own_err says what the own-entry check found. */
static int commit_state(struct core *c, struct dir_state *st, const struct dir_head *head,
			const uint8_t *rec, size_t rec_len, int *own_err)
{
	struct dirsync *ds = c->dir;
	struct dir_tracker tr;
	struct dir_own own;
	const struct dir_state *after = st != NULL ? st : ds->st;
	int err, changed = 0;

	const struct dir_head *ahead = dirsync_ahead(ds);

	if (ahead != NULL && after->version == ahead->version &&
	    !lc_equal(after->chain_hash, ahead->chain_hash, 32))
		return LIAISON_ERR_FORK;
	if (ds->has_tracker)
		tr = ds->tr;
	else
		memset(&tr, 0, sizeof tr);
	err = dir_tracker_observe(&tr, head->version, head->chain_hash, head->expires);
	if (err != 0)
		return err;
	memcpy(own.account, c->self->account, 16);
	memcpy(own.identity_key, c->self->identity_pub, 33);
	*own_err = dir_own_check(st != NULL ? ds->st : NULL, after, &own, 0);
	err = home_begin(c->home);
	if (err != 0)
		return err;
	if (st != NULL) {
		err = forget_changed(c, ds->st, st);
		if (err == 0)
			err = take_own_cert(c, st, &changed);
	}
	if (err == 0)
		err = dirsync_save(ds, st, &tr, rec, rec_len);
	if (err != 0) {
		home_rollback(c->home);
		return err;
	}
	err = home_commit(c->home);
	if (err != 0)
		return err;
	return dirsync_adopt(ds, st, &tr, rec, rec_len);
}

int dirupdate_commit(struct core *c, struct dir_state *st, const uint8_t *rec, size_t rec_len)
{
	struct dir_head head;
	int err, own_err = 0;

	err = dir_head_verify(st, rec, rec_len, time_now_ms(), DIR_HEAD_EXEMPT, &head);
	if (err == 0)
		err = commit_state(c, st, &head, rec, rec_len, &own_err);
	if (err == 0 && own_err != 0 && own_err != LIAISON_ERR_PENDING)
		err = own_err;
	return err;
}

static int ask_changes(struct core *c);

/* After the relay's head: a validly signed head seen beyond it before (a
 * peer's) is fetched up to; the relay that cannot supply it withholds. */
static int start_chase(struct core *c)
{
	struct dirsync *ds = c->dir;
	int err;

	du_reset(&c->du);
	c->du.active = 1;
	c->du.chase = 1;
	err = set_target(c, ds->ahead, ds->ahead_len);
	if (err == 0)
		err = dirsync_clone(ds, ds->st, &c->du.work);
	if (err == 0)
		err = ask_changes(c);
	return err;
}

/* The target head verified over work (or the current state). */
static void du_accept(struct core *c, const struct dir_head *head)
{
	struct dir_update *du = &c->du;
	struct dirsync *ds = c->dir;
	const struct dir_head *ahead = dirsync_ahead(ds);
	int err, own_err = 0;

	err = commit_state(c, du->work, head, du->target, du->target_len, &own_err);
	if (err == LIAISON_ERR_FORK) {
		if (ahead != NULL && ahead->version == head->version)
			err = fork_found(c, ds->ahead, ds->ahead_len, du->target, du->target_len);
		else
			err = fork_found(c, ds->head, ds->head_len, du->target, du->target_len);
		if (err == 0)
			du_bad(c, LIAISON_ERR_FORK);
		return;
	}
	if (err == LIAISON_ERR_ROLLBACK) {
		du_bad(c, err);
		return;
	}
	if (err != 0)
		goto fail;
	du->work = NULL;	/* the directory owns it now */
	if (own_err == LIAISON_ERR_PENDING && du->from_peer)
		own_err = 0;
	if (own_err != 0) {
		/* Revoked: exit 3; changed without asking: exit 4; not listed:
		 * awaiting approval (exit 3). */
		core_fail(c, own_err);
		return;
	}
	err = messaging_retry_quarantined(c);
	if (err != 0)
		goto fail;
	if (!du->from_peer && !du->chase && dirsync_ahead(ds) != NULL) {
		err = start_chase(c);
		if (err != 0)
			goto fail;
		return;
	}
	du_finish(c);
	return;
fail:
	core_fail(c, err);
}

/* --- changes --- */

static void on_changes(struct core *c, const Liaison__Item *reply, void *arg);

/* Applies a page to the work state one change at a time, so that the
 * chain hash at the version of a head kept beyond the state is compared
 * with that head's: FORK when they differ. */
static int apply_page(struct core *c, const uint8_t *page, size_t n, size_t *applied)
{
	const struct dir_head *ahead = dirsync_ahead(c->dir);
	struct dir_state *work = c->du.work;
	const uint8_t *rec;
	struct rd r;
	size_t len;
	uint32_t count, i;
	int err;

	*applied = 0;
	err = dir_page_open(&r, page, n, &count);
	for (i = 0; err == 0 && i < count; i++) {
		err = dir_page_next(&r, &rec, &len);
		if (err == 0)
			err = dir_apply(work, rec, len, time_now_ms());
		if (err != 0)
			break;
		(*applied)++;
		if (ahead != NULL && work->version == ahead->version &&
		    !lc_equal(work->chain_hash, ahead->chain_hash, 32))
			return LIAISON_ERR_FORK;
	}
	if (err == 0)
		err = rd_end(&r);
	return err;
}

static int ask_changes(struct core *c)
{
	Liaison__Item item = LIAISON__ITEM__INIT;
	Liaison__DirChangesRequest req = LIAISON__DIR_CHANGES_REQUEST__INIT;

	req.after = c->du.work->version;
	item.body_case = LIAISON__ITEM__BODY_DIR_CHANGES_REQUEST;
	item.dir_changes_request = &req;
	return request(c, &item, on_changes);
}

static void on_changes(struct core *c, const Liaison__Item *reply, void *arg)
{
	struct dir_update *du = &c->du;
	size_t applied = 0;
	int err;

	(void)arg;
	if (reply == NULL || !du->active)
		return;
	if (reply->body_case == LIAISON__ITEM__BODY_ERROR) {
		err = wire_error_code(reply->error);
		if (err == LIAISON_ERR_PENDING || err == LIAISON_ERR_REVOKED)
			core_fail(c, err);
		else
			du_bad(c, LIAISON_ERR_WITHHELD);
		return;
	}
	if (reply->body_case != LIAISON__ITEM__BODY_DIR_CHANGES) {
		core_fail(c, LIAISON_ERR_PROTOCOL);
		return;
	}
	if (reply->dir_changes->page.len > 0) {
		err = apply_page(c, reply->dir_changes->page.data, reply->dir_changes->page.len,
				 &applied);
		if (err == LIAISON_ERR_FORK) {
			if (fork_found(c, c->dir->ahead, c->dir->ahead_len, du->target,
				       du->target_len) == 0)
				du_bad(c, err);
			return;
		}
		if (err != 0) {
			du_bad(c, err);
			return;
		}
	}
	if (reply->dir_changes->more && applied > 0) {
		(void)ask_changes(c);
		return;
	}
	du->fetched = 1;
	verify_target(c);
}

/* --- a snapshot, for a client that has no state yet --- */

static void on_snapshot(struct core *c, const Liaison__Item *reply, void *arg);

static int ask_snapshot(struct core *c, uint64_t offset)
{
	Liaison__Item item = LIAISON__ITEM__INIT;
	Liaison__DirSnapshotRequest req = LIAISON__DIR_SNAPSHOT_REQUEST__INIT;

	req.offset = offset;
	item.body_case = LIAISON__ITEM__BODY_DIR_SNAPSHOT_REQUEST;
	item.dir_snapshot_request = &req;
	return request(c, &item, on_snapshot);
}

/* Starts the work state from nothing (the genesis comes as a change). */
static int start_empty(struct core *c)
{
	if (!c->self->has_root_pk)
		return LIAISON_ERR_INTERNAL;
	return dir_state_new(c->self->root_pk, c->dir->sctx, &c->du.work);
}

static void on_snapshot(struct core *c, const Liaison__Item *reply, void *arg)
{
	struct dir_update *du = &c->du;
	const Liaison__DirSnapshot *sn;
	int err;

	(void)arg;
	if (reply == NULL || !du->active)
		return;
	if (reply->body_case != LIAISON__ITEM__BODY_DIR_SNAPSHOT) {
		/* No snapshot to be had: start from the genesis. */
		goto from_genesis;
	}
	sn = reply->dir_snapshot;
	if (sn->record.len == 0)
		goto from_genesis;
	if (du->snap_rec == NULL) {
		if (sn->record.len > DIR_MAX_RECORD || sn->total == 0 || sn->total > DIR_MAX_STATE)
			goto bad;
		du->snap_rec = malloc(sn->record.len);
		du->snap_buf = malloc(sn->total);
		if (du->snap_rec == NULL || du->snap_buf == NULL) {
			core_fail(c, LIAISON_ERR_NOMEM);
			return;
		}
		memcpy(du->snap_rec, sn->record.data, sn->record.len);
		du->snap_rec_len = sn->record.len;
		du->snap_total = sn->total;
	} else if (sn->record.len != du->snap_rec_len ||
		   memcmp(sn->record.data, du->snap_rec, du->snap_rec_len) != 0 ||
		   sn->total != du->snap_total) {
		goto bad;	/* the snapshot changed under us: start over next time */
	}
	if (sn->offset != du->snap_off || sn->chunk.len > du->snap_total - du->snap_off ||
	    (sn->chunk.len == 0 && du->snap_off < du->snap_total))
		goto bad;
	memcpy(du->snap_buf + du->snap_off, sn->chunk.data, sn->chunk.len);
	du->snap_off += sn->chunk.len;
	if (du->snap_off < du->snap_total) {
		(void)ask_snapshot(c, du->snap_off);
		return;
	}
	err = dir_snapshot_load(c->self->root_pk, c->dir->sctx, du->snap_rec, du->snap_rec_len,
				du->snap_buf, du->snap_total, time_now_ms(), &du->work);
	if (err != 0) {
		du_bad(c, err);
		return;
	}
	(void)ask_changes(c);
	return;
bad:
	du_bad(c, LIAISON_ERR_WITHHELD);
	return;
from_genesis:
	err = start_empty(c);
	if (err != 0) {
		core_fail(c, err);
		return;
	}
	(void)ask_changes(c);
}

/* --- the head --- */

static void verify_target(struct core *c)
{
	struct dir_update *du = &c->du;
	struct dirsync *ds = c->dir;
	const struct dir_state *base = du->work != NULL ? du->work : ds->st;
	struct dir_head head;
	int err;

	if (base == NULL) {
		/* Nothing verified yet: a snapshot if the relay has one. */
		if (!du->snapshot_tried && c->self->has_root_pk) {
			du->snapshot_tried = 1;
			(void)ask_snapshot(c, 0);
			return;
		}
		err = start_empty(c);
		if (err != 0) {
			core_fail(c, err);
			return;
		}
		(void)ask_changes(c);
		return;
	}
	/* A peer's head, or one kept from a peer, may have expired since it
	 * was signed: freshness is the relay's head's to prove. */
	err = dir_head_verify(base, du->target, du->target_len, time_now_ms(),
			      du->from_peer || du->chase ? DIR_HEAD_EXEMPT : c->dir_flags, &head);
	if (err == 0) {
		du_accept(c, &head);
		return;
	}
	if (err == LIAISON_ERR_FORK) {
		if (fork_found(c, ds->head, ds->head_len, du->target, du->target_len) == 0)
			du_bad(c, err);
		return;
	}
	if (err == LIAISON_ERR_BEHIND && !du->fetched) {
		if (du->work == NULL) {
			err = dirsync_clone(ds, ds->st, &du->work);
			if (err != 0) {
				core_fail(c, err);
				return;
			}
		}
		(void)ask_changes(c);
		return;
	}
	if (du->from_peer && err == LIAISON_ERR_ROLLBACK) {
		du_finish(c);	/* the peer is behind us: nothing to do */
		return;
	}
	if (err == LIAISON_ERR_BEHIND) {
		/* Every change was asked for and the head is still beyond them:
		 * the relay withholds. Kept, so the next run asks again. */
		int noted = note_ahead(c, base, du->target, du->target_len);

		if (noted == LIAISON_ERR_FORK)
			err = noted;
		else if (noted != 0)
			return;	/* the core is failing */
	}
	du_bad(c, err);
}

static int set_target(struct core *c, const uint8_t *rec, size_t len)
{
	free(c->du.target);
	c->du.target = malloc(len ? len : 1);
	if (c->du.target == NULL)
		return LIAISON_ERR_NOMEM;
	memcpy(c->du.target, rec, len);
	c->du.target_len = len;
	return 0;
}

static void on_head(struct core *c, const Liaison__Item *reply, void *arg)
{
	const Liaison__DirHead *dh;
	int err;

	(void)arg;
	if (reply == NULL || !c->du.active)
		return;
	if (reply->body_case == LIAISON__ITEM__BODY_ERROR) {
		err = wire_error_code(reply->error);
		if (err == LIAISON_ERR_PENDING || err == LIAISON_ERR_REVOKED)
			core_fail(c, err);
		else
			du_bad(c, LIAISON_ERR_WITHHELD);
		return;
	}
	if (reply->body_case != LIAISON__ITEM__BODY_DIR_HEAD) {
		core_fail(c, LIAISON_ERR_PROTOCOL);
		return;
	}
	dh = reply->dir_head;
	if (dh->record.len == 0) {
		/* No directory at the relay. One we verified before means the
		 * relay went back; none means nobody approved us yet. */
		if (c->dir->st != NULL)
			du_bad(c, LIAISON_ERR_ROLLBACK);
		else
			core_fail(c, LIAISON_ERR_PENDING);
		return;
	}
	if (dh->record.len > DIR_MAX_RECORD) {
		du_bad(c, LIAISON_ERR_INVALID);
		return;
	}
	err = set_target(c, dh->record.data, dh->record.len);
	if (err != 0) {
		core_fail(c, err);
		return;
	}
	verify_target(c);
}

static int ask_head(struct core *c)
{
	Liaison__Item item = LIAISON__ITEM__INIT;
	Liaison__DirHeadRequest req = LIAISON__DIR_HEAD_REQUEST__INIT;

	item.body_case = LIAISON__ITEM__BODY_DIR_HEAD_REQUEST;
	item.dir_head_request = &req;
	return request(c, &item, on_head);
}

/* --- a publication the relay has not acknowledged yet (the genesis) --- */

static struct dirsync_publish g_pub;	/* the one in flight, this process */

static void on_publish(struct core *c, const Liaison__Item *reply, void *arg)
{
	struct dirsync *ds = c->dir;
	struct dir_state *st = NULL;
	struct dir_tracker tr;
	struct dir_head head;
	uint64_t now = time_now_ms();
	size_t i;
	int err = 0;

	(void)arg;
	if (reply == NULL || !c->du.active) {
		dirsync_publish_free(&g_pub);
		return;
	}
	if (reply->body_case == LIAISON__ITEM__BODY_ERROR) {
		err = wire_error_code(reply->error);
		log_warn("directory", "the relay refused the kept directory publication (%s); "
			 "taking the relay's directory instead", liaison_strerror(err));
		dirsync_publish_free(&g_pub);
		err = home_begin(c->home);
		if (err == 0) {
			err = dirsync_publish_drop(c->home);
			if (err == 0)
				err = home_commit(c->home);
			else
				home_rollback(c->home);
		}
		if (err != 0)
			core_fail(c, err);
		else
			(void)ask_head(c);
		return;
	}
	if (reply->body_case != LIAISON__ITEM__BODY_OK) {
		dirsync_publish_free(&g_pub);
		core_fail(c, LIAISON_ERR_PROTOCOL);
		return;
	}
	/* The relay has it: it becomes our verified state, checked as any. */
	if (ds->st != NULL)
		err = dirsync_clone(ds, ds->st, &st);
	else if (c->self->has_root_pk)
		err = dir_state_new(c->self->root_pk, ds->sctx, &st);
	else
		err = LIAISON_ERR_INTERNAL;
	for (i = 0; err == 0 && i < g_pub.n; i++)
		err = dir_apply(st, g_pub.changes[i], g_pub.lens[i], now);
	if (err == 0)
		err = dir_head_verify(st, g_pub.head, g_pub.head_len, now, DIR_HEAD_EXEMPT, &head);
	if (err == 0) {
		tr = ds->tr;
		if (!ds->has_tracker)
			memset(&tr, 0, sizeof tr);
		err = dir_tracker_observe(&tr, head.version, head.chain_hash, head.expires);
	}
	if (err == 0)
		err = home_begin(c->home);
	if (err == 0) {
		err = dirsync_save(ds, st, &tr, g_pub.head, g_pub.head_len);
		if (err == 0)
			err = dirsync_publish_drop(c->home);
		if (err == 0)
			err = home_commit(c->home);
		else
			home_rollback(c->home);
	}
	if (err == 0) {
		err = dirsync_adopt(ds, st, &tr, g_pub.head, g_pub.head_len);
		if (err == 0)
			st = NULL;
	}
	dir_state_free(st);
	dirsync_publish_free(&g_pub);
	if (err != 0) {
		core_fail(c, err);
		return;
	}
	(void)ask_head(c);
}

static int publish_kept(struct core *c, int *sent)
{
	Liaison__Item item = LIAISON__ITEM__INIT;
	Liaison__DirPublish pub = LIAISON__DIR_PUBLISH__INIT;
	ProtobufCBinaryData *ch = NULL;
	size_t i;
	int err;

	*sent = 0;
	dirsync_publish_free(&g_pub);
	err = dirsync_publish_load(c->home, &g_pub);
	if (err == LIAISON_ERR_NOT_FOUND)
		return 0;
	if (err != 0)
		return err;
	ch = calloc(g_pub.n ? g_pub.n : 1, sizeof *ch);
	if (ch == NULL)
		return LIAISON_ERR_NOMEM;
	for (i = 0; i < g_pub.n; i++) {
		ch[i].data = g_pub.changes[i];
		ch[i].len = g_pub.lens[i];
	}
	pub.n_changes = g_pub.n;
	pub.changes = ch;
	pub.head.data = g_pub.head;
	pub.head.len = g_pub.head_len;
	item.body_case = LIAISON__ITEM__BODY_DIR_PUBLISH;
	item.dir_publish = &pub;
	err = core_request(c, &item, on_publish, NULL);
	free(ch);
	if (err == 0)
		*sent = 1;
	return err;
}

/* --- entry points --- */

void dirupdate_start(struct core *c)
{
	int err, sent = 0;

	du_reset(&c->du);
	c->du.active = 1;
	c->dir_synced = 0;
	if (c->dir == NULL && (err = dirsync_get(c->home, &c->dir)) != 0) {
		core_fail(c, err);
		return;
	}
	if (dirsync_forked(c->dir) != 0) {
		/* A fork stays for good: nothing of the relay's directory is
		 * taken, nothing is sent; the mailbox is still fetched, stored
		 * and acknowledged under the last verified state. */
		c->du.active = 0;
		c->dir_bad = LIAISON_ERR_FORK;
		core_after_directory(c);
		return;
	}
	err = publish_kept(c, &sent);
	if (err != 0) {
		core_fail(c, err);
		return;
	}
	if (!sent)
		(void)ask_head(c);
}

void dirupdate_peer_head(struct core *c, const uint8_t *rec, size_t len)
{
	struct dir_head head;
	int err;

	if (len == 0 || c->dir == NULL || c->dir->st == NULL || c->du.active ||
	    dirsync_forked(c->dir) != 0)
		return;
	if (len > DIR_MAX_RECORD) {
		log_warn("directory", "ignored an oversized directory head from a peer");
		return;
	}
	err = dir_head_verify(c->dir->st, rec, len, time_now_ms(), DIR_HEAD_EXEMPT, &head);
	switch (err) {
	case 0:
	case LIAISON_ERR_ROLLBACK:
		return;		/* the same as ours, or older */
	case LIAISON_ERR_FORK:
		log_debug("directory", "a peer's signed head forks the directory");
		(void)fork_found(c, c->dir->head, c->dir->head_len, rec, len);
		return;
	case LIAISON_ERR_BEHIND:
		/* Signed by a secretariat this state knows: kept at once, so
		 * that a relay that cannot supply it is caught on every run. */
		if (note_ahead(c, c->dir->st, rec, len) != 0)
			return;
		break;
	default:
		log_warn("directory", "ignored an invalid directory head from a peer: %s",
			 liaison_strerror(err));
		return;
	}
	/* A valid newer head: fetch up to it now, before anything else. */
	du_reset(&c->du);
	c->du.active = 1;
	c->du.from_peer = 1;
	err = set_target(c, rec, len);
	if (err == 0)
		err = dirsync_clone(c->dir, c->dir->st, &c->du.work);
	if (err != 0) {
		core_fail(c, err);
		return;
	}
	(void)ask_changes(c);
}
