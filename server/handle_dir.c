/* The directory requests (docs/PROTOCOL.md §4): head, pages of changes,
 * snapshot chunks, publication by secretariats, and the pending enrollments.
 * The relay stores and serves only records that verified under the root:
 * every published change is applied to a copy of the state before anything
 * is staged, and nothing is acknowledged before the commit. */
#include "server/relay.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/crypto.h"
#include "protocol/log.h"
#include "protocol/timefmt.h"

#define TAG "directory"
#define PAGE_MAX_RECORDS 4096
#define PENDING_OVERHEAD 160			/* per enrollment: fields and tags */

/* ---- reading ---------------------------------------------------------- */

int handle_dir_head(struct conn *c, uint64_t id, struct reply *rp)
{
	Liaison__Item *it = item_new(id);
	Liaison__DirHead *dh = malloc(sizeof(*dh));
	uint64_t version = 0;
	uint8_t *rec = NULL;
	size_t len = 0;
	int rc;

	if (it == NULL || dh == NULL) {
		item_free(it);
		free(dh);
		return LIAISON_ERR_NOMEM;
	}
	liaison__dir_head__init(dh);
	it->body_case = LIAISON__ITEM__BODY_DIR_HEAD;
	it->dir_head = dh;
	rc = store_dir_head(c->relay->st, &rec, &len, &version);
	if (rc == 0) {
		dh->record.data = rec;
		dh->record.len = len;
	} else if (rc == LIAISON_ERR_NOT_FOUND) {
		rc = 0;				/* before version 1: empty */
	}
	if (rc != 0) {
		item_free(it);
		return rc;
	}
	return reply_add(rp, it);
}

struct page_acc {
	uint8_t **recs;
	size_t *lens;
	size_t n;
	size_t bytes;				/* of the page so far */
	uint64_t last;
};

static int page_add(void *arg, uint64_t version, const uint8_t *rec, size_t len)
{
	struct page_acc *acc = arg;
	uint8_t *copy;

	if (acc->n > 0 && acc->bytes + 4 + len > RELAY_DIR_PAGE)
		return 1;
	copy = malloc(len);
	if (copy == NULL)
		return LIAISON_ERR_NOMEM;
	memcpy(copy, rec, len);
	acc->recs[acc->n] = copy;
	acc->lens[acc->n] = len;
	acc->n++;
	acc->bytes += 4 + len;
	acc->last = version;
	return 0;
}

int handle_dir_changes(struct conn *c, uint64_t id, const Liaison__DirChangesRequest *m,
		       struct reply *rp)
{
	struct relay *r = c->relay;
	struct page_acc acc;
	Liaison__Item *it = NULL;
	Liaison__DirChanges *dc;
	struct wb page;
	uint64_t version = r->dir != NULL ? r->dir->version : 0;
	size_t i;
	int rc = 0, have_page = 0;

	memset(&acc, 0, sizeof(acc));
	acc.bytes = 4;
	acc.recs = calloc(PAGE_MAX_RECORDS, sizeof(*acc.recs));
	acc.lens = calloc(PAGE_MAX_RECORDS, sizeof(*acc.lens));
	it = item_new(id);
	dc = malloc(sizeof(*dc));
	if (acc.recs == NULL || acc.lens == NULL || it == NULL || dc == NULL) {
		free(dc);
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	liaison__dir_changes__init(dc);
	it->body_case = LIAISON__ITEM__BODY_DIR_CHANGES;
	it->dir_changes = dc;
	if (m->after < version) {
		rc = store_dir_changes(r->st, m->after, PAGE_MAX_RECORDS, page_add, &acc, NULL);
		if (rc != 0)
			goto out;
	}
	rc = dir_page_build((const uint8_t *const *)acc.recs, acc.lens, acc.n, RELAY_DIR_PAGE,
			    &page);
	if (rc != 0)
		goto out;
	have_page = 1;
	rc = item_bytes(&dc->page, page.data, page.len);
	if (rc != 0)
		goto out;
	dc->more = acc.n > 0 && acc.last < version;
	rc = reply_add(rp, it);
	it = NULL;
out:
	if (have_page)
		wb_free(&page);
	item_free(it);
	for (i = 0; i < acc.n; i++)
		free(acc.recs[i]);
	free(acc.recs);
	free(acc.lens);
	return rc;
}

int handle_dir_snapshot(struct conn *c, uint64_t id, const Liaison__DirSnapshotRequest *m,
			struct reply *rp)
{
	struct relay *r = c->relay;
	Liaison__Item *it = item_new(id);
	Liaison__DirSnapshot *ds = malloc(sizeof(*ds));
	uint64_t version = 0, total = 0;
	uint8_t *rec = NULL, *chunk = NULL;
	size_t len = 0, n;
	int rc;

	if (it == NULL || ds == NULL) {
		item_free(it);
		free(ds);
		return LIAISON_ERR_NOMEM;
	}
	liaison__dir_snapshot__init(ds);
	it->body_case = LIAISON__ITEM__BODY_DIR_SNAPSHOT;
	it->dir_snapshot = ds;
	rc = store_dir_snapshot(r->st, &rec, &len, &version, &total);
	if (rc == LIAISON_ERR_NOT_FOUND) {
		rc = m->offset == 0 ? 0 : LIAISON_ERR_INVALID;
		goto out;			/* no snapshot: all empty */
	}
	if (rc != 0)
		goto out;
	ds->record.data = rec;
	ds->record.len = len;
	ds->total = total;
	ds->offset = m->offset;
	if (m->offset > total) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	n = RELAY_DIR_PAGE - len - 64;
	if (total - m->offset < n)
		n = (size_t)(total - m->offset);
	chunk = malloc(n ? n : 1);
	if (chunk == NULL) {
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	rc = store_dir_snapshot_read(r->st, m->offset, chunk, n);
	if (rc != 0) {
		free(chunk);
		goto out;
	}
	ds->chunk.data = chunk;
	ds->chunk.len = n;
out:
	if (rc != 0) {
		item_free(it);
		return rc;
	}
	return reply_add(rp, it);
}

/* ---- the pending enrollments ----------------------------------------- */

struct pending_acc {
	const struct relay *r;
	Liaison__PendingEnrollment **list;
	size_t n, cap;
	size_t bytes;
	int err;
};

static int pending_add(void *arg, const struct store_pending *p)
{
	struct pending_acc *acc = arg;
	Liaison__PendingEnrollment *pe;

	if (acc->r->dir != NULL ? dir_find_contact(acc->r->dir, p->account) != NULL : p->bootstrap)
		return 0;			/* listed (or the bootstrap itself) */
	if (acc->bytes + p->enrollment_len + PENDING_OVERHEAD > RELAY_DIR_PAGE)
		return 1;			/* the oldest that fit; the rest after them */
	if (acc->n == acc->cap) {
		size_t cap = acc->cap ? 2 * acc->cap : 16;
		Liaison__PendingEnrollment **l = realloc(acc->list, cap * sizeof(*l));
		if (l == NULL)
			return LIAISON_ERR_NOMEM;
		acc->list = l;
		acc->cap = cap;
	}
	pe = malloc(sizeof(*pe));
	if (pe == NULL)
		return LIAISON_ERR_NOMEM;
	liaison__pending_enrollment__init(pe);
	acc->list[acc->n++] = pe;
	pe->enrolled_at = p->enrolled_at;
	if (item_bytes(&pe->enrollment, p->enrollment, p->enrollment_len) != 0 ||
	    item_bytes(&pe->signature, p->signature, sizeof(p->signature)) != 0 ||
	    item_bytes(&pe->bind_mac, p->bind_mac, sizeof(p->bind_mac)) != 0)
		return LIAISON_ERR_NOMEM;
	acc->bytes += p->enrollment_len + PENDING_OVERHEAD;
	return 0;
}

int handle_pending_request(struct conn *c, uint64_t id, struct reply *rp)
{
	struct pending_acc acc;
	Liaison__Item *it;
	Liaison__Pending *pd;
	size_t i;
	int rc;

	if (!relay_is_secretariat(c))
		return LIAISON_ERR_DENIED;
	memset(&acc, 0, sizeof(acc));
	acc.r = c->relay;
	rc = store_enrollments(c->relay->st, pending_add, &acc);
	it = item_new(id);
	pd = malloc(sizeof(*pd));
	if (rc == 0 && (it == NULL || pd == NULL))
		rc = LIAISON_ERR_NOMEM;
	if (rc != 0) {
		for (i = 0; i < acc.n; i++)
			protobuf_c_message_free_unpacked(&acc.list[i]->base, NULL);
		free(acc.list);
		item_free(it);
		free(pd);
		return rc;
	}
	liaison__pending__init(pd);
	pd->enrollments = acc.list;
	pd->n_enrollments = acc.n;
	it->body_case = LIAISON__ITEM__BODY_PENDING;
	it->pending = pd;
	return reply_add(rp, it);
}

/* ---- publication ------------------------------------------------------ */

struct publish_done {
	struct relay *r;
	uint8_t (*revoked)[16];
	size_t n_revoked;
};

static void publish_free(struct publish_done *pd)
{
	if (pd == NULL)
		return;
	free(pd->revoked);
	free(pd);
}

/* After the commit: the accounts the directory revoked lose their open
 * connections; after a failed commit, the state goes back to the disk's. */
static void publish_done(void *arg, int status)
{
	struct publish_done *pd = arg;
	struct relay *r = pd->r;
	char short_id[9];
	size_t i;

	if (status != 0) {
		relay_dir_free(r);
		if (relay_dir_load(r, NULL) != 0)
			relay_fatal(r, "the directory cannot be reloaded after a failed commit");
	} else {
		for (i = 0; i < pd->n_revoked; i++) {
			if (relay_close_account(r, pd->revoked[i], LIAISON_ERR_REVOKED))
				log_info(TAG, "closed the connection of %s, revoked by the directory",
					 log_short_id(pd->revoked[i], short_id));
		}
	}
	publish_free(pd);
}

static int state_copy(const struct dir_state *src, signal_context *sctx, struct dir_state **out)
{
	struct wb w;
	int rc = dir_state_encode(src, &w);
	if (rc != 0)
		return rc;
	rc = dir_state_decode(w.data, w.len, sctx, out);
	wb_free(&w);
	return rc;
}

/* Who may have signed a change: the submitter's own certified key, or the
 * root when the submitter holds it. */
static int check_signer(const struct conn *c, const struct dir_state *work, int genesis,
			const uint8_t root_id[16], const struct dir_record *hdr)
{
	const struct dir_contact *s;
	if (lc_equal(hdr->key_id, root_id, 16))
		return (genesis ? c->bootstrap : relay_is_root_holder(c)) ? 0 : LIAISON_ERR_SIGNER;
	s = dir_find_signer(work, hdr->key_id);
	if (s == NULL || memcmp(s->account, c->account, 16) != 0)
		return LIAISON_ERR_SIGNER;
	return 0;
}

/* The genesis must list the submitter, the bootstrap account, with the key
 * it enrolled with: the relay learns the root holder from it. */
static int check_genesis(const struct conn *c, const struct dir_state *work)
{
	const struct dir_contact *ct = dir_find_contact(work, c->account);
	if (ct == NULL || ct->role != ROLE_SECRETARIAT ||
	    !lc_equal(ct->identity_key, c->identity_key, STORE_KEY_BYTES))
		return LIAISON_ERR_DENIED;
	return 0;
}

static int check_snapshot(struct relay *r, const struct dir_state *work, const uint8_t *rec,
			  size_t len, uint64_t now, struct wb *state)
{
	struct dir_state *snap = NULL;
	int rc = dir_state_encode(work, state);
	if (rc != 0)
		return rc;
	rc = dir_snapshot_load(work->params.root, r->sig, rec, len, state->data, state->len, now,
			       &snap);
	if (rc == 0 && (snap->version != work->version ||
			!lc_equal(snap->chain_hash, work->chain_hash, 32)))
		rc = LIAISON_ERR_CHAIN;
	dir_state_free(snap);
	if (rc != 0)
		wb_free(state);
	return rc;
}

static int check_sizes(const Liaison__DirPublish *m)
{
	size_t i;
	if (m->n_changes > RELAY_DIR_MAX_PUBLISH)
		return LIAISON_ERR_TOO_BIG;
	if (m->head.len == 0)
		return LIAISON_ERR_INVALID;
	if (m->head.len > DIR_MAX_RECORD || m->snapshot.len > DIR_MAX_RECORD)
		return LIAISON_ERR_TOO_BIG;
	for (i = 0; i < m->n_changes; i++) {
		if (m->changes[i].len == 0)
			return LIAISON_ERR_INVALID;
		if (m->changes[i].len > DIR_MAX_RECORD)
			return LIAISON_ERR_TOO_BIG;
	}
	return 0;
}

int handle_dir_publish(struct conn *c, uint64_t id, const Liaison__DirPublish *m,
		       struct reply *rp)
{
	struct relay *r = c->relay;
	struct dir_state *work = NULL;
	struct publish_done *pd = NULL;
	struct store_dir_publish sp;
	struct dir_head head;
	struct wb state;
	const uint8_t **recs = NULL;
	size_t *lens = NULL, i;
	uint8_t root[32], root_id[16];
	uint64_t now = time_now_ms(), before = r->dir != NULL ? r->dir->version : 0;
	int genesis = r->dir == NULL, have_state = 0, rc;
	char short_id[9];

	memset(&sp, 0, sizeof(sp));
	if (!relay_is_secretariat(c))
		return LIAISON_ERR_DENIED;
	rc = check_sizes(m);
	if (rc != 0)
		return rc;
	if (genesis) {
		if (m->n_changes == 0)
			return LIAISON_ERR_CHAIN;	/* nothing to put a head on */
		rc = dir_genesis_root(m->changes[0].data, m->changes[0].len, root);
		if (rc == 0)
			rc = dir_state_new(root, r->sig, &work);
	} else {
		memcpy(root, r->dir->params.root, 32);
		rc = state_copy(r->dir, r->sig, &work);
	}
	if (rc == 0)
		rc = layout_key_id(root, root_id);
	if (rc != 0)
		goto out;
	pd = calloc(1, sizeof(*pd));
	recs = calloc(m->n_changes + 1, sizeof(*recs));
	lens = calloc(m->n_changes + 1, sizeof(*lens));
	if (pd == NULL || recs == NULL || lens == NULL ||
	    (pd->revoked = calloc(m->n_changes + 1, 16)) == NULL) {
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	pd->r = r;
	for (i = 0; i < m->n_changes; i++) {
		const uint8_t *rec = m->changes[i].data;
		size_t len = m->changes[i].len;
		struct dir_record hdr;
		struct dir_change ch;

		rc = dir_record_read(rec, len, DIR_MAX_CHANGE, &hdr);
		if (rc == 0)
			rc = check_signer(c, work, genesis, root_id, &hdr);
		if (rc == 0)
			rc = dir_apply(work, rec, len, now);
		if (rc == 0 && genesis && i == 0)
			rc = check_genesis(c, work);
		/* Verified by dir_apply: now its kind can be read. */
		if (rc == 0)
			rc = dir_change_parse(hdr.signed_bytes, hdr.signed_len, &ch);
		if (rc != 0)
			goto out;
		if (ch.kind == DIR_REVOKE_CONTACT || ch.kind == DIR_REVOKE_SECRETARIAT)
			memcpy(pd->revoked[pd->n_revoked++], ch.account, 16);
		recs[i] = rec;
		lens[i] = len;
	}
	rc = dir_head_verify(work, m->head.data, m->head.len, now, 0, &head);
	if (rc == 0 && head.version != work->version)
		rc = LIAISON_ERR_CHAIN;
	if (rc == 0 && m->snapshot.len > 0) {
		rc = check_snapshot(r, work, m->snapshot.data, m->snapshot.len, now, &state);
		have_state = rc == 0;
	}
	if (rc != 0)
		goto out;
	sp.changes = recs;
	sp.change_lens = lens;
	sp.n_changes = m->n_changes;
	sp.first_version = before + 1;
	sp.head = m->head.data;
	sp.head_len = m->head.len;
	sp.head_version = head.version;
	if (have_state) {
		sp.snapshot = m->snapshot.data;
		sp.snapshot_len = m->snapshot.len;
		sp.snapshot_version = work->version;
		sp.state = state.data;
		sp.state_len = state.len;
	}
	sp.revoke = (const uint8_t (*)[16])pd->revoked;
	sp.n_revoke = pd->n_revoked;
	rc = store_dir_publish(r->st, &sp);
	if (rc != 0)
		goto out;
	/* Staged: from here the relay serves the new state. The replies wait
	 * for the commit, and a failed commit reloads what is on disk. */
	if (genesis)
		memcpy(r->root_holder, c->account, 16);
	memcpy(r->root_key_id, root_id, 16);
	dir_state_free(r->dir);
	r->dir = work;
	work = NULL;
	rc = store_commit(r->st, publish_done, pd);
	if (rc != 0)
		goto out;
	pd = NULL;
	log_info(TAG, "version %llu published by %s (%zu change%s%s)",
		 (unsigned long long)r->dir->version, log_short_id(c->account, short_id),
		 m->n_changes, m->n_changes == 1 ? "" : "s", have_state ? ", snapshot" : "");
	rc = reply_add(rp, item_ok(id));
out:
	if (have_state)
		wb_free(&state);
	publish_free(pd);
	free(recs);
	free(lens);
	dir_state_free(work);
	return rc;
}
