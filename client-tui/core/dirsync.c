/* The verified directory kept in the home (DESIGN.md §5, §9): the state
 * encoding in VT_META pages "dir.state.N", and "dir.meta" with the tracker,
 * the last verified head, a recorded fork (both heads) and the highest
 * signed head seen beyond the state, written in one transaction so state,
 * tracker and alarms never disagree on disk. Never saves what did not
 * verify; never forgets a fork; never talks to the network. */
#include "client-tui/core/dirsync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client-tui/core/vault.h"
#include "protocol/buf.h"
#include "protocol/crypto.h"
#include "protocol/signal_provider.h"

#define META_KEY "dir.meta"
#define PUBLISH_KEY "dir.publish"
#define META_FORMAT_V1 1      /* state, tracker, head */
#define META_FORMAT 2         /* + fork evidence and the head seen ahead */
#define META_MAX (4 * (DIR_MAX_RECORD + 4) + 1024)
#define PUBLISH_FORMAT 1
#define PUBLISH_MAX_CHANGES 64
#define PUBLISH_MAX (PUBLISH_MAX_CHANGES * (DIR_MAX_RECORD + 4) + 1024)

static struct dirsync *g_ds;

static void page_key(char key[32], size_t i)
{
	snprintf(key, 32, "dir.state.%zu", i);
}

static void ds_free(struct dirsync *ds)
{
	if (ds == NULL)
		return;
	dir_search_free(ds->search);
	dir_state_free(ds->st);
	free(ds->head);
	free(ds->fork_ours);
	free(ds->fork_theirs);
	free(ds->ahead);
	if (ds->sctx != NULL)
		sigprov_context_free(ds->sctx);
	free(ds);
}

void dirsync_drop(void)
{
	ds_free(g_ds);
	g_ds = NULL;
}

void dirsync_forget(const struct home *h)
{
	if (g_ds != NULL && g_ds->home == h)
		dirsync_drop();
}

/* Reads the pages named by dir.meta into one buffer and decodes it. */
static int load_state(struct dirsync *ds, uint64_t total)
{
	uint8_t *buf = NULL, *val = NULL;
	size_t off = 0, vallen = 0, i;
	char key[32];
	int err = 0;

	if (total > DIR_MAX_STATE || ds->n_pages > DIRSYNC_MAX_PAGES)
		return LIAISON_ERR_INVALID;
	buf = malloc(total ? total : 1);
	if (buf == NULL)
		return LIAISON_ERR_NOMEM;
	for (i = 0; i < ds->n_pages; i++) {
		page_key(key, i);
		err = vault_get(ds->home, VT_META, key, strlen(key), &val, &vallen);
		if (err != 0)
			goto out;
		if (vallen > total - off) {
			err = LIAISON_ERR_INVALID;
			goto out;
		}
		memcpy(buf + off, val, vallen);
		off += vallen;
		vault_free_value(val, vallen);
		val = NULL;
	}
	if (off != total) {
		err = LIAISON_ERR_INVALID;
		goto out;
	}
	err = dir_state_decode(buf, total, ds->sctx, &ds->st);
out:
	vault_free_value(val, vallen);
	free(buf);
	return err;
}

/* A copy of n bytes in *out (NULL when n is 0), replacing what was there. */
static int copy_rec(uint8_t **out, size_t *out_len, const uint8_t *p, size_t n)
{
	uint8_t *copy = NULL;

	if (n > 0) {
		copy = malloc(n);
		if (copy == NULL)
			return LIAISON_ERR_NOMEM;
		memcpy(copy, p, n);
	}
	free(*out);
	*out = copy;
	*out_len = n;
	return 0;
}

/* The parsed signed bytes of a head record (its signature was checked
 * before it was kept). */
static int head_of(const uint8_t *rec, size_t n, struct dir_head *out)
{
	struct dir_record r;
	int err;

	err = dir_record_read(rec, n, DIR_HEAD_BYTES, &r);
	if (err == 0)
		err = dir_head_parse(r.signed_bytes, r.signed_len, out);
	return err;
}

static int load(struct dirsync *ds)
{
	uint8_t *val = NULL, trb[DIR_TRACKER_BYTES];
	const uint8_t *head, *ours = NULL, *theirs = NULL, *ahead = NULL;
	size_t vallen = 0, head_len, ours_len = 0, theirs_len = 0, ahead_len = 0;
	struct rd r;
	uint8_t format, has_state, forked = 0;
	uint32_t pages;
	uint64_t total;
	int err;

	err = vault_get(ds->home, VT_META, META_KEY, strlen(META_KEY), &val, &vallen);
	if (err == LIAISON_ERR_NOT_FOUND)
		return 0;
	if (err != 0)
		return err;
	rd_init(&r, val, vallen);
	if ((err = rd_u8(&r, &format)) != 0)
		goto out;
	if (format != META_FORMAT && format != META_FORMAT_V1) {
		err = LIAISON_ERR_UNSUPPORTED;
		goto out;
	}
	if ((err = rd_u8(&r, &has_state)) != 0 || (err = rd_u32(&r, &pages)) != 0 ||
	    (err = rd_u64(&r, &total)) != 0 || (err = rd_fixed(&r, trb, sizeof trb)) != 0 ||
	    (err = rd_var(&r, &head, &head_len, DIR_MAX_RECORD)) != 0)
		goto out;
	if (format == META_FORMAT) {
		if ((err = rd_u8(&r, &forked)) != 0 ||
		    (err = rd_var(&r, &ours, &ours_len, DIR_MAX_RECORD)) != 0 ||
		    (err = rd_var(&r, &theirs, &theirs_len, DIR_MAX_RECORD)) != 0 ||
		    (err = rd_var(&r, &ahead, &ahead_len, DIR_MAX_RECORD)) != 0)
			goto out;
	}
	if ((err = rd_end(&r)) != 0)
		goto out;
	if (has_state > 1 || pages > DIRSYNC_MAX_PAGES || forked > 1) {
		err = LIAISON_ERR_INVALID;
		goto out;
	}
	if (ahead_len > 0 && (err = head_of(ahead, ahead_len, &ds->ahead_head)) != 0)
		goto out;
	if ((err = copy_rec(&ds->fork_ours, &ds->fork_ours_len, ours, ours_len)) != 0 ||
	    (err = copy_rec(&ds->fork_theirs, &ds->fork_theirs_len, theirs, theirs_len)) != 0 ||
	    (err = copy_rec(&ds->ahead, &ds->ahead_len, ahead, ahead_len)) != 0)
		goto out;
	ds->forked = forked;
	err = dir_tracker_decode(trb, sizeof trb, &ds->tr);
	if (err != 0)
		goto out;
	ds->has_tracker = 1;
	if (head_len > 0) {
		ds->head = malloc(head_len);
		if (ds->head == NULL) {
			err = LIAISON_ERR_NOMEM;
			goto out;
		}
		memcpy(ds->head, head, head_len);
		ds->head_len = head_len;
	}
	ds->n_pages = pages;
	ds->state_len = total;
	if (has_state)
		err = load_state(ds, total);
out:
	vault_free_value(val, vallen);
	return err;
}

int dirsync_get(struct home *h, struct dirsync **out)
{
	struct dirsync *ds = NULL;
	int err;

	if (h == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	if (g_ds != NULL && g_ds->home == h) {
		*out = g_ds;
		return 0;
	}
	ds = calloc(1, sizeof *ds);
	if (ds == NULL)
		return LIAISON_ERR_NOMEM;
	ds->home = h;
	err = sigprov_context_new(&ds->sctx);
	if (err != 0)
		goto out;
	err = load(ds);
	if (err != 0)
		goto out;
	dirsync_drop();
	g_ds = ds;
	*out = ds;
	ds = NULL;
out:
	ds_free(ds);
	return err;
}

/* Writes dir.meta (inside the caller's transaction); meta is the caller's
 * writer, started with wb_init. */
static int put_meta(struct dirsync *ds, struct wb *meta, int has_state, size_t pages,
		    uint64_t total, const struct dir_tracker *tr, const uint8_t *head,
		    size_t head_len, int forked, const uint8_t *ahead, size_t ahead_len)
{
	uint8_t trb[DIR_TRACKER_BYTES];
	int err;

	dir_tracker_encode(tr, trb);
	wb_u8(meta, META_FORMAT);
	wb_u8(meta, (uint8_t)has_state);
	wb_u32(meta, (uint32_t)pages);
	wb_u64(meta, total);
	wb_fixed(meta, trb, sizeof trb);
	wb_var(meta, head, head != NULL ? head_len : 0);
	wb_u8(meta, (uint8_t)(forked != 0));
	wb_var(meta, ds->fork_ours, ds->fork_ours_len);
	wb_var(meta, ds->fork_theirs, ds->fork_theirs_len);
	wb_var(meta, ahead, ahead != NULL ? ahead_len : 0);
	err = wb_status(meta);
	if (err == 0)
		err = vault_put(ds->home, VT_META, META_KEY, strlen(META_KEY), meta->data, meta->len);
	return err;
}

int dirsync_save(struct dirsync *ds, const struct dir_state *st, const struct dir_tracker *tr,
		 const uint8_t *head, size_t head_len)
{
	struct wb enc, meta;
	size_t pages = ds->n_pages, i, off, n;
	uint64_t total = 0, version;
	char key[32];
	int err = 0, has_state = ds->st != NULL || st != NULL;

	memset(&enc, 0, sizeof enc);
	wb_init(&meta, META_MAX);
	if (st != NULL) {
		err = dir_state_encode(st, &enc);
		if (err != 0)
			goto out;
		pages = (enc.len + DIRSYNC_PAGE_BYTES - 1) / DIRSYNC_PAGE_BYTES;
		for (i = 0, off = 0; i < pages; i++, off += n) {
			n = enc.len - off > DIRSYNC_PAGE_BYTES ? DIRSYNC_PAGE_BYTES : enc.len - off;
			page_key(key, i);
			err = vault_put(ds->home, VT_META, key, strlen(key), enc.data + off, n);
			if (err != 0)
				goto out;
		}
		for (i = pages; i < ds->n_pages; i++) {
			page_key(key, i);
			err = vault_del(ds->home, VT_META, key, strlen(key));
			if (err != 0)
				goto out;
		}
		total = enc.len;
	} else {
		total = ds->state_len;
	}
	ds->save_pages = pages;
	ds->save_len = total;
	version = st != NULL ? st->version : ds->st != NULL ? ds->st->version : 0;
	ds->save_drops_ahead = ds->ahead != NULL && version >= ds->ahead_head.version;
	err = put_meta(ds, &meta, has_state, pages, total, tr, head, head_len, ds->forked,
		       ds->save_drops_ahead ? NULL : ds->ahead,
		       ds->save_drops_ahead ? 0 : ds->ahead_len);
out:
	wb_free(&meta);
	if (enc.data != NULL)
		wb_free(&enc);
	return err;
}

int dirsync_adopt(struct dirsync *ds, struct dir_state *st, const struct dir_tracker *tr,
		  const uint8_t *head, size_t head_len)
{
	uint8_t *copy = NULL;

	if (head != NULL && head_len > 0 && head != ds->head) {
		copy = malloc(head_len);
		if (copy == NULL)
			return LIAISON_ERR_NOMEM;
		memcpy(copy, head, head_len);
		free(ds->head);
		ds->head = copy;
		ds->head_len = head_len;
	}
	ds->n_pages = ds->save_pages;
	ds->state_len = ds->save_len;
	if (st != NULL && st != ds->st) {
		dir_search_free(ds->search);
		ds->search = NULL;
		dir_state_free(ds->st);
		ds->st = st;
	}
	ds->tr = *tr;
	ds->has_tracker = 1;
	if (ds->save_drops_ahead) {
		free(ds->ahead);
		ds->ahead = NULL;
		ds->ahead_len = 0;
		ds->save_drops_ahead = 0;
	}
	return 0;
}

int dirsync_clone(struct dirsync *ds, const struct dir_state *st, struct dir_state **out)
{
	struct wb enc;
	int err;

	err = dir_state_encode(st, &enc);
	if (err != 0)
		return err;
	err = dir_state_decode(enc.data, enc.len, ds->sctx, out);
	wb_free(&enc);
	return err;
}

int dirsync_search(struct dirsync *ds, struct dir_search **out)
{
	int err;

	if (ds->st == NULL)
		return LIAISON_ERR_NOT_FOUND;
	if (ds->search == NULL) {
		err = dir_search_new(ds->st, &ds->search);
		if (err != 0)
			return err;
	}
	*out = ds->search;
	return 0;
}

int dirsync_stale(const struct dirsync *ds, uint64_t now_ms)
{
	if (!ds->has_tracker)
		return 1;
	return dir_tracker_fresh(&ds->tr, now_ms) != 0;
}

/* --- what must survive the process: a fork, a head seen ahead --- */

int dirsync_forked(const struct dirsync *ds)
{
	return ds != NULL && ds->forked ? LIAISON_ERR_FORK : 0;
}

const struct dir_head *dirsync_ahead(const struct dirsync *ds)
{
	if (ds == NULL || ds->ahead == NULL)
		return NULL;
	if (ds->st != NULL && ds->st->version >= ds->ahead_head.version)
		return NULL;
	return &ds->ahead_head;
}

/* Writes dir.meta as it is but for the alarms given, in one transaction. */
static int save_alarms(struct dirsync *ds, int forked, const uint8_t *ahead, size_t ahead_len)
{
	struct dir_tracker tr;
	struct wb meta;
	int err;

	if (ds->has_tracker)
		tr = ds->tr;
	else
		memset(&tr, 0, sizeof tr);
	wb_init(&meta, META_MAX);
	err = home_begin(ds->home);
	if (err == 0) {
		err = put_meta(ds, &meta, ds->st != NULL, ds->n_pages, ds->state_len, &tr, ds->head,
			       ds->head_len, forked, ahead, ahead_len);
		if (err == 0)
			err = home_commit(ds->home);
		else
			home_rollback(ds->home);
	}
	wb_free(&meta);
	return err;
}

int dirsync_record_fork(struct dirsync *ds, const uint8_t *ours, size_t ours_len,
			const uint8_t *theirs, size_t theirs_len)
{
	uint8_t *old_ours, *old_theirs;
	size_t old_ours_len, old_theirs_len;
	int err;

	if (ds->forked)
		return 0;	/* the first evidence stays */
	if (ours_len > DIR_MAX_RECORD || theirs_len > DIR_MAX_RECORD)
		return LIAISON_ERR_TOO_BIG;
	old_ours = ds->fork_ours;
	old_ours_len = ds->fork_ours_len;
	old_theirs = ds->fork_theirs;
	old_theirs_len = ds->fork_theirs_len;
	ds->fork_ours = ds->fork_theirs = NULL;
	ds->fork_ours_len = ds->fork_theirs_len = 0;
	err = copy_rec(&ds->fork_ours, &ds->fork_ours_len, ours, ours != NULL ? ours_len : 0);
	if (err == 0)
		err = copy_rec(&ds->fork_theirs, &ds->fork_theirs_len, theirs,
			       theirs != NULL ? theirs_len : 0);
	if (err == 0)
		err = save_alarms(ds, 1, ds->ahead, ds->ahead_len);
	if (err != 0) {
		free(ds->fork_ours);
		free(ds->fork_theirs);
		ds->fork_ours = old_ours;
		ds->fork_ours_len = old_ours_len;
		ds->fork_theirs = old_theirs;
		ds->fork_theirs_len = old_theirs_len;
		return err;
	}
	free(old_ours);
	free(old_theirs);
	ds->forked = 1;
	return 0;
}

int dirsync_record_ahead(struct dirsync *ds, const uint8_t *rec, size_t len,
			 const struct dir_head *h)
{
	uint8_t *copy = NULL;
	size_t copy_len = 0;
	int err;

	if (rec == NULL || h == NULL || len == 0 || len > DIR_MAX_RECORD)
		return LIAISON_ERR_INVALID;
	if (ds->st != NULL && h->version <= ds->st->version)
		return 0;	/* not beyond the state: the caller's verify decides */
	if (ds->ahead != NULL && h->version < ds->ahead_head.version)
		return 0;
	if (ds->ahead != NULL && h->version == ds->ahead_head.version)
		return lc_equal(h->chain_hash, ds->ahead_head.chain_hash, 32) ? 0 : LIAISON_ERR_FORK;
	err = copy_rec(&copy, &copy_len, rec, len);
	if (err == 0)
		err = save_alarms(ds, ds->forked, copy, copy_len);
	if (err != 0) {
		free(copy);
		return err;
	}
	free(ds->ahead);
	ds->ahead = copy;
	ds->ahead_len = copy_len;
	ds->ahead_head = *h;
	return 0;
}

/* --- a publication not yet acknowledged --- */

int dirsync_publish_keep(struct home *h, const struct dirsync_publish *p)
{
	struct wb w;
	size_t i;
	int err;

	if (p->n > PUBLISH_MAX_CHANGES)
		return LIAISON_ERR_TOO_BIG;
	wb_init(&w, PUBLISH_MAX);
	wb_u8(&w, PUBLISH_FORMAT);
	wb_u32(&w, (uint32_t)p->n);
	for (i = 0; i < p->n; i++)
		wb_var(&w, p->changes[i], p->lens[i]);
	wb_var(&w, p->head, p->head_len);
	err = wb_status(&w);
	if (err == 0)
		err = vault_put(h, VT_META, PUBLISH_KEY, strlen(PUBLISH_KEY), w.data, w.len);
	wb_free(&w);
	return err;
}

void dirsync_publish_free(struct dirsync_publish *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++)
		free(p->changes[i]);
	free(p->changes);
	free(p->lens);
	free(p->head);
	memset(p, 0, sizeof *p);
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	if (d != NULL && n > 0)
		memcpy(d, p, n);
	return d;
}

int dirsync_publish_load(struct home *h, struct dirsync_publish *out)
{
	struct dirsync_publish p;
	uint8_t *val = NULL, format;
	const uint8_t *b;
	size_t vallen = 0, n;
	uint32_t count, i;
	struct rd r;
	int err;

	memset(&p, 0, sizeof p);
	err = vault_get(h, VT_META, PUBLISH_KEY, strlen(PUBLISH_KEY), &val, &vallen);
	if (err != 0)
		return err;
	rd_init(&r, val, vallen);
	if ((err = rd_u8(&r, &format)) != 0 || (err = rd_u32(&r, &count)) != 0)
		goto out;
	if (format != PUBLISH_FORMAT || count > PUBLISH_MAX_CHANGES) {
		err = LIAISON_ERR_INVALID;
		goto out;
	}
	p.changes = calloc(count ? count : 1, sizeof *p.changes);
	p.lens = calloc(count ? count : 1, sizeof *p.lens);
	if (p.changes == NULL || p.lens == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < count; i++) {
		if ((err = rd_var(&r, &b, &n, DIR_MAX_RECORD)) != 0)
			goto out;
		p.changes[i] = dup_bytes(b, n);
		if (p.changes[i] == NULL) {
			err = LIAISON_ERR_NOMEM;
			goto out;
		}
		p.lens[i] = n;
		p.n++;
	}
	if ((err = rd_var(&r, &b, &n, DIR_MAX_RECORD)) != 0 || (err = rd_end(&r)) != 0)
		goto out;
	p.head = dup_bytes(b, n);
	if (p.head == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	p.head_len = n;
	*out = p;
	memset(&p, 0, sizeof p);
out:
	dirsync_publish_free(&p);
	vault_free_value(val, vallen);
	return err;
}

int dirsync_publish_drop(struct home *h)
{
	return vault_del(h, VT_META, PUBLISH_KEY, strlen(PUBLISH_KEY));
}

/* --- the bootstrap's version 1 --- */

int dirsync_genesis(struct self *s, const uint8_t *enrollment, size_t enrollment_len,
		    const uint8_t enrollment_sig[64], uint64_t head_lifetime_s,
		    uint32_t snapshot_every, signal_context *sctx, uint64_t now_ms,
		    struct dirsync_publish *out)
{
	struct dir_state *st = NULL;
	struct dir_change c;
	struct wb rec, head;
	struct dirsync_publish p;
	int err;

	memset(&p, 0, sizeof p);
	memset(&rec, 0, sizeof rec);
	memset(&head, 0, sizeof head);
	if (s->root_sk == NULL || s->signing_sk == NULL)
		return LIAISON_ERR_DENIED;
	memset(&c, 0, sizeof c);
	c.kind = DIR_GENESIS;
	c.issued = now_ms;
	memcpy(c.params.root, s->root_pk, 32);
	c.params.head_lifetime_s = head_lifetime_s ? head_lifetime_s : DIR_DEFAULT_HEAD_LIFETIME_S;
	c.params.snapshot_every = snapshot_every ? snapshot_every : DIR_DEFAULT_SNAPSHOT_EVERY;
	c.params.skew_s = DIR_DEFAULT_SKEW_S;
	snprintf(c.authority.id, sizeof c.authority.id, "%s", s->authority);
	/* A bootstrap invite may leave the country out: "ZZ" (unknown). */
	snprintf(c.authority.country, sizeof c.authority.country, "%s",
		 strlen(s->country) == 2 ? s->country : "ZZ");
	snprintf(c.authority.name, sizeof c.authority.name, "%s",
		 s->authority_name[0] ? s->authority_name : s->authority);
	c.authority.type = DIR_TYPE_SECRETARIAT;
	c.enrollment = enrollment;
	c.enrollment_len = enrollment_len;
	memcpy(c.enrollment_sig, enrollment_sig, 64);
	c.has_cert = 1;
	c.cert = s->cert;
	err = dir_state_new(s->root_pk, sctx, &st);
	if (err != 0)
		goto out;
	err = dir_change_sign(st, &c, s->root_pk, s->root_sk, &rec);
	if (err != 0)
		goto out;
	err = dir_apply(st, rec.data, rec.len, now_ms);
	if (err != 0)
		goto out;
	err = dir_head_sign(st, now_ms, 0, s->signing_pk, s->signing_sk, &head);
	if (err != 0)
		goto out;
	p.changes = calloc(1, sizeof *p.changes);
	p.lens = calloc(1, sizeof *p.lens);
	if (p.changes == NULL || p.lens == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	p.changes[0] = dup_bytes(rec.data, rec.len);
	p.head = dup_bytes(head.data, head.len);
	if (p.changes[0] == NULL || p.head == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	p.n = 1;
	p.lens[0] = rec.len;
	p.head_len = head.len;
	*out = p;
	memset(&p, 0, sizeof p);
out:
	if (p.changes != NULL && p.n == 0)
		free(p.changes[0]);
	dirsync_publish_free(&p);
	if (rec.data != NULL)
		wb_free(&rec);
	if (head.data != NULL)
		wb_free(&head);
	dir_state_free(st);
	return err;
}
