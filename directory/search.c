/* Search and listing over a verified state (CONTRACT.md `directory search`,
 * `list`, `show`): every field folded once with utf8proc into one buffer of
 * NUL-separated records, the query folded the same way and found with
 * memmem. Reads the state only; never changes it. */
#include "directory/dir_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#define CONTACT_BIT 0x80000000u

struct dir_search {
	const struct dir_state *st;
	char *buf;                       /* folded records, each field NUL-ended */
	size_t len;
	size_t n_recs;
	uint32_t *rec_off;               /* n_recs + 1: where record k starts */
	uint32_t *rec_what;              /* authority position, or contact | CONTACT_BIT */
	size_t *auth_order;              /* authority indexes by id */
	size_t *auth_rec;                /* n_auth + 1: record of position p */
};

struct centry {
	size_t pos;                      /* its authority's position */
	const char *name;                /* folded */
	const uint8_t *account;
	size_t idx;
};

static int fold_flags(void)
{
	return UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT |
	       UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* White space runs become one space, none at either end. */
static void squeeze(char *s)
{
	char *start = s, *w = s;
	int pending = 0;

	for (; *s != 0; s++) {
		if (is_space(*s)) {
			pending = 1;
			continue;
		}
		if (pending && w != start)
			*w++ = ' ';
		pending = 0;
		*w++ = *s;
	}
	*w = 0;
}

int dir_fold(const char *text, char **out)
{
	utf8proc_uint8_t *f = NULL;
	utf8proc_ssize_t n;

	if (text == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	n = utf8proc_map((const utf8proc_uint8_t *)text, 0, &f, (utf8proc_option_t)fold_flags());
	if (n < 0)
		return n == UTF8PROC_ERROR_NOMEM ? LIAISON_ERR_NOMEM : LIAISON_ERR_INVALID;
	squeeze((char *)f);
	*out = (char *)f;
	return 0;
}

struct sbuf {
	char *p;
	size_t len, cap;
};

static int sb_add(struct sbuf *b, const char *s)
{
	size_t n = strlen(s) + 1, cap;
	char *p;

	if (b->len + n > UINT32_MAX - 1)
		return LIAISON_ERR_TOO_BIG;
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return LIAISON_ERR_NOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

static int sb_fold(struct sbuf *b, const char *s)
{
	char *f = NULL;
	int rc;

	if ((rc = dir_fold(s, &f)) != 0)
		return rc;
	rc = sb_add(b, f);
	free(f);
	return rc;
}

static int cmp_auth(const void *a, const void *b)
{
	const struct dir_authority *x = *(const struct dir_authority *const *)a;
	const struct dir_authority *y = *(const struct dir_authority *const *)b;

	return strcmp(x->id, y->id);
}

static int cmp_centry(const void *a, const void *b)
{
	const struct centry *x = a, *y = b;
	int c;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return memcmp(x->account, y->account, 16);
}

void dir_search_free(struct dir_search *s)
{
	if (s == NULL)
		return;
	free(s->buf);
	free(s->rec_off);
	free(s->rec_what);
	free(s->auth_order);
	free(s->auth_rec);
	free(s);
}

int dir_search_new(const struct dir_state *st, struct dir_search **out)
{
	struct dir_search *s = NULL;
	const struct dir_authority **ap = NULL;
	struct centry *ce = NULL;
	size_t *pos_of = NULL, na, nc = 0, i, j, k;
	struct sbuf b = { NULL, 0, 0 };
	const struct dir_authority *a;
	int rc;

	if (st == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	na = st->n_authorities;
	s = calloc(1, sizeof(*s));
	ap = malloc((na + 1) * sizeof(*ap));
	pos_of = malloc((na + 1) * sizeof(*pos_of));
	ce = calloc(st->n_contacts + 1, sizeof(*ce));
	if (s == NULL || ap == NULL || pos_of == NULL || ce == NULL) {
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	s->st = st;
	s->auth_order = malloc((na + 1) * sizeof(size_t));
	s->auth_rec = malloc((na + 1) * sizeof(size_t));
	s->rec_off = malloc((na + st->n_contacts + 1) * sizeof(uint32_t));
	s->rec_what = malloc((na + st->n_contacts + 1) * sizeof(uint32_t));
	if (s->auth_order == NULL || s->auth_rec == NULL || s->rec_off == NULL ||
	    s->rec_what == NULL) {
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < na; i++)
		ap[i] = &st->authorities[i];
	qsort(ap, na, sizeof(*ap), cmp_auth);
	for (i = 0; i < na; i++) {
		s->auth_order[i] = (size_t)(ap[i] - st->authorities);
		pos_of[s->auth_order[i]] = i;
	}
	for (i = 0; i < st->n_contacts; i++) {
		a = dir_find_authority(st, st->contacts[i].authority);
		if (a == NULL)
			continue;
		ce[nc].pos = pos_of[a - st->authorities];
		ce[nc].account = st->contacts[i].account;
		ce[nc].idx = i;
		if ((rc = dir_fold(st->contacts[i].name, (char **)&ce[nc].name)) != 0)
			goto out;
		nc++;
	}
	qsort(ce, nc, sizeof(*ce), cmp_centry);
	for (i = 0, j = 0; i < na; i++) {
		a = &st->authorities[s->auth_order[i]];
		s->auth_rec[i] = s->n_recs;
		s->rec_off[s->n_recs] = (uint32_t)b.len;
		s->rec_what[s->n_recs++] = (uint32_t)i;
		if ((rc = sb_fold(&b, a->id)) != 0 || (rc = sb_fold(&b, a->name)) != 0 ||
		    (rc = sb_fold(&b, a->country)) != 0 ||
		    (rc = sb_add(&b, dir_type_name(a->type))) != 0)
			goto out;
		for (; j < nc && ce[j].pos == i; j++) {
			k = ce[j].idx;
			s->rec_off[s->n_recs] = (uint32_t)b.len;
			s->rec_what[s->n_recs++] = (uint32_t)k | CONTACT_BIT;
			if ((rc = sb_add(&b, ce[j].name)) != 0 ||
			    (rc = sb_fold(&b, st->contacts[k].title)) != 0)
				goto out;
		}
	}
	s->auth_rec[na] = s->n_recs;
	s->rec_off[s->n_recs] = (uint32_t)b.len;
	s->buf = b.p;
	s->len = b.len;
	b.p = NULL;
	*out = s;
	s = NULL;
	rc = 0;
out:
	if (ce != NULL)
		for (i = 0; i < nc; i++)
			free((char *)ce[i].name);
	free(ce);
	free(pos_of);
	free(ap);
	free(b.p);
	dir_search_free(s);
	return rc;
}

/* ---- results ---- */

struct rbuild {
	struct dir_result r;
	size_t cap_hits, cap_contacts;
};

static int rb_hit(struct rbuild *b, size_t authority, int whole)
{
	struct dir_hit *p;
	size_t cap;

	if (b->r.n_hits == b->cap_hits) {
		cap = b->cap_hits ? b->cap_hits * 2 : 16;
		p = realloc(b->r.hits, cap * sizeof(*p));
		if (p == NULL)
			return LIAISON_ERR_NOMEM;
		b->r.hits = p;
		b->cap_hits = cap;
	}
	p = &b->r.hits[b->r.n_hits++];
	p->authority = authority;
	p->first = b->r.n_contacts;
	p->count = 0;
	p->whole = whole;
	return 0;
}

static int rb_contact(struct rbuild *b, size_t idx)
{
	size_t *p, cap;

	if (b->r.n_contacts == b->cap_contacts) {
		cap = b->cap_contacts ? b->cap_contacts * 2 : 64;
		p = realloc(b->r.contacts, cap * sizeof(*p));
		if (p == NULL)
			return LIAISON_ERR_NOMEM;
		b->r.contacts = p;
		b->cap_contacts = cap;
	}
	b->r.contacts[b->r.n_contacts++] = idx;
	b->r.hits[b->r.n_hits - 1].count++;
	return 0;
}

/* Authority at position p with all its contact points. */
static int rb_whole(struct rbuild *b, const struct dir_search *s, size_t p)
{
	size_t k;
	int rc;

	if ((rc = rb_hit(b, s->auth_order[p], 1)) != 0)
		return rc;
	for (k = s->auth_rec[p] + 1; k < s->auth_rec[p + 1]; k++)
		if ((rc = rb_contact(b, s->rec_what[k] & ~CONTACT_BIT)) != 0)
			return rc;
	return 0;
}

void dir_result_free(struct dir_result *r)
{
	if (r == NULL)
		return;
	free(r->hits);
	free(r->contacts);
	memset(r, 0, sizeof(*r));
}

static int rb_done(struct rbuild *b, int rc, struct dir_result *out)
{
	if (rc == 0)
		*out = b->r;
	else
		dir_result_free(&b->r);
	return rc;
}

/* The record holding byte offset off. */
static size_t rec_at(const struct dir_search *s, size_t off)
{
	size_t lo = 0, hi = s->n_recs, mid;

	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (s->rec_off[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

int dir_search(const struct dir_search *s, const char *query, struct dir_result *out)
{
	struct rbuild b;
	char *q = NULL;
	const char *hit;
	size_t qlen, off = 0, k, p, last_pos = (size_t)-1;
	uint32_t what;
	int rc;

	if (s == NULL || query == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	if (strlen(query) > DIR_MAX_QUERY)
		return LIAISON_ERR_TOO_BIG;
	memset(&b, 0, sizeof(b));
	if ((rc = dir_fold(query, &q)) != 0)
		return rc;
	qlen = strlen(q);
	if (qlen == 0) {
		free(q);
		return dir_list(s, NULL, 0, out);
	}
	while (off < s->len &&
	       (hit = memmem(s->buf + off, s->len - off, q, qlen)) != NULL) {
		k = rec_at(s, (size_t)(hit - s->buf));
		what = s->rec_what[k];
		if (!(what & CONTACT_BIT)) {
			p = what;
			if ((rc = rb_whole(&b, s, p)) != 0)
				goto out;
			last_pos = p;
			off = s->rec_off[s->auth_rec[p + 1]];
			continue;
		}
		/* A contact point: its authority's position is the nearest
		 * authority record before it. */
		for (p = k; s->rec_what[p] & CONTACT_BIT; p--)
			;
		p = s->rec_what[p];
		if (p != last_pos) {
			if ((rc = rb_hit(&b, s->auth_order[p], 0)) != 0)
				goto out;
			last_pos = p;
		}
		if ((rc = rb_contact(&b, what & ~CONTACT_BIT)) != 0)
			goto out;
		off = s->rec_off[k + 1];
	}
	rc = 0;
out:
	free(q);
	return rb_done(&b, rc, out);
}

int dir_list(const struct dir_search *s, const char *country, int type, struct dir_result *out)
{
	const struct dir_authority *a;
	struct rbuild b;
	size_t p;
	int rc = 0;

	if (s == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	memset(&b, 0, sizeof(b));
	for (p = 0; p < s->st->n_authorities; p++) {
		a = &s->st->authorities[s->auth_order[p]];
		if (country != NULL && strcasecmp(country, a->country) != 0)
			continue;
		if (type != 0 && a->type != type)
			continue;
		if ((rc = rb_whole(&b, s, p)) != 0)
			break;
	}
	return rb_done(&b, rc, out);
}

int dir_show(const struct dir_search *s, const char *authority, struct dir_result *out)
{
	struct rbuild b;
	size_t lo, hi, mid;
	int c, rc;

	if (s == NULL || authority == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	memset(&b, 0, sizeof(b));
	lo = 0;
	hi = s->st->n_authorities;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(authority, s->st->authorities[s->auth_order[mid]].id);
		if (c == 0) {
			rc = rb_whole(&b, s, mid);
			return rb_done(&b, rc, out);
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return LIAISON_ERR_NOT_FOUND;
}
