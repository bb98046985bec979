/* The directory's model: a state's arrays, its hash lookups (authority id,
 * account, invite id, signer key id), field rules and names. Never verifies
 * a signature itself and never touches storage. */
#include "directory/dir_int.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "protocol/crypto.h"

enum { T_AUTH, T_ACCOUNT, T_INVITE, T_COUNT };

struct table {
	uint32_t *slot;	/* index + 1; 0 is empty */
	size_t cap;	/* a power of two, or 0 */
	size_t n;
};

struct dir_index {
	struct table t[T_COUNT];
	size_t *signers;	/* contacts that may sign: a superset */
	size_t n_signers, cap_signers;
};

static const char *const type_names[] = {
	[DIR_TYPE_PROSECUTION] = "prosecution",
	[DIR_TYPE_POLICE] = "police",
	[DIR_TYPE_ANTI_CORRUPTION] = "anti-corruption",
	[DIR_TYPE_FIU] = "fiu",
	[DIR_TYPE_CENTRAL_AUTHORITY] = "central-authority",
	[DIR_TYPE_SECRETARIAT] = "secretariat",
	[DIR_TYPE_OTHER] = "other",
};

const char *dir_type_name(int type)
{
	if (type < 1 || type > DIR_TYPE_MAX_)
		return NULL;
	return type_names[type];
}

int dir_type_parse(const char *name, int *type)
{
	int t;

	if (name == NULL)
		return LIAISON_ERR_INVALID;
	for (t = 1; t <= DIR_TYPE_MAX_; t++) {
		if (strcmp(name, type_names[t]) == 0) {
			*type = t;
			return 0;
		}
	}
	return LIAISON_ERR_INVALID;
}

const char *dir_status_name(int status)
{
	if (status == DIR_ACTIVE)
		return "active";
	if (status == DIR_REVOKED)
		return "revoked";
	return NULL;
}

/* ---- field rules ---- */

int dir_check_utf8(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;

	while (*p != 0) {
		k = utf8proc_iterate(p, -1, &cp);
		if (k <= 0 || cp < 0)
			return LIAISON_ERR_INVALID;
		p += k;
	}
	return 0;
}

static int id_char_ok(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

int dir_check_authority(const struct dir_authority *a)
{
	size_t n = strnlen(a->id, sizeof(a->id)), i;

	if (n == 0 || n > LAYOUT_MAX_AUTHORITY)
		return LIAISON_ERR_INVALID;
	for (i = 0; i < n; i++)
		if (!id_char_ok(a->id[i]))
			return LIAISON_ERR_INVALID;
	if (strnlen(a->country, sizeof(a->country)) != 2 || a->country[0] < 'A' ||
	    a->country[0] > 'Z' || a->country[1] < 'A' || a->country[1] > 'Z')
		return LIAISON_ERR_INVALID;
	n = strnlen(a->name, sizeof(a->name));
	if (n == 0 || n > LAYOUT_MAX_NAME)
		return LIAISON_ERR_INVALID;
	if (a->type < 1 || a->type > DIR_TYPE_MAX_)
		return LIAISON_ERR_INVALID;
	if (strnlen(a->languages, sizeof(a->languages)) > DIR_MAX_LANGUAGES ||
	    strnlen(a->notes, sizeof(a->notes)) > DIR_MAX_NOTES)
		return LIAISON_ERR_INVALID;
	if (dir_check_utf8(a->name) != 0 || dir_check_utf8(a->languages) != 0 ||
	    dir_check_utf8(a->notes) != 0)
		return LIAISON_ERR_INVALID;
	return 0;
}

int dir_check_params(const struct dir_params *p)
{
	if (p->head_lifetime_s < 1 || p->head_lifetime_s > DIR_MAX_HEAD_LIFETIME_S)
		return LIAISON_ERR_INVALID;
	if (p->snapshot_every < 1 || p->snapshot_every > DIR_MAX_SNAPSHOT_EVERY)
		return LIAISON_ERR_INVALID;
	if (p->skew_s > DIR_MAX_SKEW_S)
		return LIAISON_ERR_INVALID;
	return 0;
}

uint64_t dir_skew_ms(const struct dir_state *st)
{
	return (uint64_t)st->params.skew_s * 1000u;
}

/* ---- hash lookups ---- */

static uint64_t fnv1a(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static const void *key_of(const struct dir_state *st, int t, size_t i, size_t *n)
{
	switch (t) {
	case T_AUTH:
		*n = strlen(st->authorities[i].id);
		return st->authorities[i].id;
	case T_ACCOUNT:
		*n = 16;
		return st->contacts[i].account;
	default:
		*n = 16;
		return st->contacts[i].invite_id;
	}
}

/* The index (or -1) of the entry whose key is (k, n). */
static long table_find(const struct dir_state *st, int t, const void *k, size_t n)
{
	const struct table *tb;
	const void *ek;
	size_t mask, pos, en;
	uint32_t v;

	if (st->ix == NULL)
		return -1;
	tb = &st->ix->t[t];
	if (tb->cap == 0)
		return -1;
	mask = tb->cap - 1;
	for (pos = (size_t)fnv1a(k, n) & mask;; pos = (pos + 1) & mask) {
		v = tb->slot[pos];
		if (v == 0)
			return -1;
		ek = key_of(st, t, v - 1, &en);
		if (en == n && memcmp(ek, k, n) == 0)
			return (long)(v - 1);
	}
}

static void table_put(struct dir_state *st, struct table *tb, int t, size_t i)
{
	size_t n, mask = tb->cap - 1, pos;
	const void *k = key_of(st, t, i, &n);

	for (pos = (size_t)fnv1a(k, n) & mask; tb->slot[pos] != 0; pos = (pos + 1) & mask)
		;
	tb->slot[pos] = (uint32_t)(i + 1);
	tb->n++;
}

/* Room for `more` entries at load <= 1/2, rehashing the `count` there are. */
static int table_grow(struct dir_state *st, int t, size_t count, size_t more)
{
	struct table *tb = &st->ix->t[t], nt;
	size_t i, want = 16;

	if (tb->cap != 0 && (tb->n + more) * 2 <= tb->cap)
		return 0;
	while (want < (count + more) * 2)
		want *= 2;
	nt.slot = calloc(want, sizeof(*nt.slot));
	if (nt.slot == NULL)
		return LIAISON_ERR_NOMEM;
	nt.cap = want;
	nt.n = 0;
	for (i = 0; i < count; i++)
		table_put(st, &nt, t, i);
	free(tb->slot);
	*tb = nt;
	return 0;
}

static int ix_ensure(struct dir_state *st)
{
	if (st->ix == NULL)
		st->ix = calloc(1, sizeof(*st->ix));
	return st->ix != NULL ? 0 : LIAISON_ERR_NOMEM;
}

static void ix_free(struct dir_index *ix)
{
	int t;

	if (ix == NULL)
		return;
	for (t = 0; t < T_COUNT; t++)
		free(ix->t[t].slot);
	free(ix->signers);
	free(ix);
}

int dir_reserve(struct dir_state *st, size_t authorities, size_t contacts)
{
	void *p;
	size_t cap;
	int rc;

	if (st->n_authorities + authorities > DIR_MAX_AUTHORITIES ||
	    st->n_contacts + contacts > DIR_MAX_CONTACTS)
		return LIAISON_ERR_TOO_BIG;
	if ((rc = ix_ensure(st)) != 0)
		return rc;
	if (st->n_authorities + authorities > st->cap_authorities) {
		cap = st->cap_authorities ? st->cap_authorities * 2 : 16;
		while (cap < st->n_authorities + authorities)
			cap *= 2;
		p = realloc(st->authorities, cap * sizeof(*st->authorities));
		if (p == NULL)
			return LIAISON_ERR_NOMEM;
		st->authorities = p;
		st->cap_authorities = cap;
	}
	if (st->n_contacts + contacts > st->cap_contacts) {
		cap = st->cap_contacts ? st->cap_contacts * 2 : 16;
		while (cap < st->n_contacts + contacts)
			cap *= 2;
		p = realloc(st->contacts, cap * sizeof(*st->contacts));
		if (p == NULL)
			return LIAISON_ERR_NOMEM;
		st->contacts = p;
		st->cap_contacts = cap;
	}
	if ((rc = table_grow(st, T_AUTH, st->n_authorities, authorities)) != 0 ||
	    (rc = table_grow(st, T_ACCOUNT, st->n_contacts, contacts)) != 0 ||
	    (rc = table_grow(st, T_INVITE, st->n_contacts, contacts)) != 0)
		return rc;
	return 0;
}

int dir_index_add_authority(struct dir_state *st, size_t i)
{
	int rc;

	if ((rc = dir_reserve(st, 0, 0)) != 0 || (rc = table_grow(st, T_AUTH, i, 1)) != 0)
		return rc;
	table_put(st, &st->ix->t[T_AUTH], T_AUTH, i);
	return 0;
}

int dir_index_add_contact(struct dir_state *st, size_t i)
{
	int rc;

	if ((rc = dir_reserve(st, 0, 0)) != 0 || (rc = table_grow(st, T_ACCOUNT, i, 1)) != 0 ||
	    (rc = table_grow(st, T_INVITE, i, 1)) != 0)
		return rc;
	table_put(st, &st->ix->t[T_ACCOUNT], T_ACCOUNT, i);
	table_put(st, &st->ix->t[T_INVITE], T_INVITE, i);
	return 0;
}

int dir_signers_rebuild(struct dir_state *st)
{
	size_t i, n = 0, *list = NULL;
	int rc;

	if ((rc = ix_ensure(st)) != 0)
		return rc;
	for (i = 0; i < st->n_contacts; i++)
		if (st->contacts[i].status == DIR_ACTIVE && st->contacts[i].has_cert)
			n++;
	if (n > 0) {
		list = malloc(n * sizeof(*list));
		if (list == NULL)
			return LIAISON_ERR_NOMEM;
		n = 0;
		for (i = 0; i < st->n_contacts; i++)
			if (st->contacts[i].status == DIR_ACTIVE && st->contacts[i].has_cert)
				list[n++] = i;
	}
	free(st->ix->signers);
	st->ix->signers = list;
	st->ix->n_signers = n;
	st->ix->cap_signers = n;
	return 0;
}

int dir_signers_add(struct dir_state *st, size_t i)
{
	struct dir_index *ix;
	size_t cap, *p;
	int rc;

	if ((rc = ix_ensure(st)) != 0)
		return rc;
	ix = st->ix;
	if (ix->n_signers == ix->cap_signers) {
		cap = ix->cap_signers ? ix->cap_signers * 2 : 8;
		p = realloc(ix->signers, cap * sizeof(*p));
		if (p == NULL)
			return LIAISON_ERR_NOMEM;
		ix->signers = p;
		ix->cap_signers = cap;
	}
	ix->signers[ix->n_signers++] = i;
	return 0;
}

int dir_index_rebuild(struct dir_state *st)
{
	int rc, t;

	if ((rc = ix_ensure(st)) != 0)
		return rc;
	for (t = 0; t < T_COUNT; t++) {
		free(st->ix->t[t].slot);
		memset(&st->ix->t[t], 0, sizeof(st->ix->t[t]));
	}
	if ((rc = table_grow(st, T_AUTH, 0, st->n_authorities)) != 0 ||
	    (rc = table_grow(st, T_ACCOUNT, 0, st->n_contacts)) != 0 ||
	    (rc = table_grow(st, T_INVITE, 0, st->n_contacts)) != 0)
		return rc;
	for (size_t i = 0; i < st->n_authorities; i++) {
		if (table_find(st, T_AUTH, st->authorities[i].id, strlen(st->authorities[i].id)) >= 0)
			return LIAISON_ERR_INVALID;
		table_put(st, &st->ix->t[T_AUTH], T_AUTH, i);
	}
	for (size_t i = 0; i < st->n_contacts; i++) {
		if (table_find(st, T_ACCOUNT, st->contacts[i].account, 16) >= 0 ||
		    table_find(st, T_INVITE, st->contacts[i].invite_id, 16) >= 0)
			return LIAISON_ERR_INVALID;
		table_put(st, &st->ix->t[T_ACCOUNT], T_ACCOUNT, i);
		table_put(st, &st->ix->t[T_INVITE], T_INVITE, i);
	}
	return dir_signers_rebuild(st);
}

const struct dir_authority *dir_find_authority(const struct dir_state *st, const char *id)
{
	long i;

	if (st == NULL || id == NULL)
		return NULL;
	i = table_find(st, T_AUTH, id, strlen(id));
	return i >= 0 ? &st->authorities[i] : NULL;
}

const struct dir_contact *dir_find_contact(const struct dir_state *st,
					   const uint8_t account[16])
{
	long i;

	if (st == NULL || account == NULL)
		return NULL;
	i = table_find(st, T_ACCOUNT, account, 16);
	return i >= 0 ? &st->contacts[i] : NULL;
}

int dir_contact_by_invite(const struct dir_state *st, const uint8_t invite_id[16])
{
	return table_find(st, T_INVITE, invite_id, 16) >= 0;
}

const struct dir_contact *dir_find_signer(const struct dir_state *st,
					  const uint8_t key_id[16])
{
	const struct dir_contact *c;
	size_t i;

	if (st == NULL || st->ix == NULL)
		return NULL;
	for (i = 0; i < st->ix->n_signers; i++) {
		if (st->ix->signers[i] >= st->n_contacts)
			continue;
		c = &st->contacts[st->ix->signers[i]];
		if (c->status == DIR_ACTIVE && c->role == ROLE_SECRETARIAT && c->has_cert &&
		    memcmp(c->cert_key_id, key_id, 16) == 0)
			return c;
	}
	return NULL;
}

int dir_pick_key(const struct dir_state *st, const uint8_t key_id[16], const uint8_t **pk,
		 const struct dir_contact **signer, int *is_root)
{
	uint8_t root_id[16];
	const struct dir_contact *c;
	int rc;

	if ((rc = layout_key_id(st->params.root, root_id)) != 0)
		return rc;
	if (memcmp(root_id, key_id, 16) == 0) {
		*pk = st->params.root;
		*signer = NULL;
		*is_root = 1;
		return 0;
	}
	c = dir_find_signer(st, key_id);
	if (c == NULL)
		return LIAISON_ERR_SIGNER;
	*pk = c->cert.key;
	*signer = c;
	*is_root = 0;
	return 0;
}

/* ---- life cycle ---- */

int dir_state_new(const uint8_t root[32], signal_context *sctx, struct dir_state **out)
{
	struct dir_state *st;

	if (root == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return LIAISON_ERR_NOMEM;
	memcpy(st->params.root, root, 32);
	st->sctx = sctx;
	*out = st;
	return 0;
}

void dir_state_free(struct dir_state *st)
{
	if (st == NULL)
		return;
	ix_free(st->ix);
	free(st->authorities);
	free(st->contacts);
	free(st);
}

/* ---- one's own entry ---- */

int dir_own_check(const struct dir_state *before, const struct dir_state *after,
		  const struct dir_own *own, unsigned flags)
{
	const struct dir_contact *now, *was;

	if (after == NULL || own == NULL)
		return LIAISON_ERR_INVALID;
	now = dir_find_contact(after, own->account);
	if (now == NULL)
		return LIAISON_ERR_PENDING;
	if (now->status != DIR_ACTIVE)
		return LIAISON_ERR_REVOKED;
	if (!lc_equal(now->identity_key, own->identity_key, sizeof(now->identity_key)))
		return LIAISON_ERR_OWN_CHANGED;
	was = before != NULL ? dir_find_contact(before, own->account) : NULL;
	if (was != NULL && !(flags & DIR_OWN_ASKED)) {
		if (was->role != now->role || was->has_cert != now->has_cert ||
		    (now->has_cert && memcmp(was->cert.key, now->cert.key, 32) != 0))
			return LIAISON_ERR_OWN_CHANGED;
	}
	return 0;
}
