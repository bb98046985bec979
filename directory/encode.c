/* Canonical bytes of the directory's fields and of a whole state
 * (docs/DIRECTORY.md, Bytes). One spelling: the decoder refuses unsorted
 * entries, duplicates, dangling references, over-long fields and trailing
 * bytes. Never checks a signature and never trusts a length before reading. */
#include "directory/dir_int.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/crypto.h"

void dir_put_params(struct wb *w, const struct dir_params *p)
{
	wb_fixed(w, p->root, sizeof(p->root));
	wb_u64(w, p->head_lifetime_s);
	wb_u32(w, p->snapshot_every);
	wb_u32(w, p->skew_s);
}

int dir_get_params(struct rd *r, struct dir_params *p)
{
	struct dir_params t;
	int rc;

	if ((rc = rd_fixed(r, t.root, sizeof(t.root))) != 0 ||
	    (rc = rd_u64(r, &t.head_lifetime_s)) != 0 || (rc = rd_u32(r, &t.snapshot_every)) != 0 ||
	    (rc = rd_u32(r, &t.skew_s)) != 0)
		return rc;
	if ((rc = dir_check_params(&t)) != 0)
		return rc;
	*p = t;
	return 0;
}

void dir_put_authority(struct wb *w, const struct dir_authority *a)
{
	wb_str(w, a->id);
	wb_str(w, a->country);
	wb_str(w, a->name);
	wb_u8(w, a->type);
	wb_str(w, a->languages);
	wb_str(w, a->notes);
}

int dir_get_authority(struct rd *r, struct dir_authority *a)
{
	struct dir_authority t;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = rd_str(r, t.id, sizeof(t.id))) != 0 ||
	    (rc = rd_str(r, t.country, sizeof(t.country))) != 0 ||
	    (rc = rd_str(r, t.name, sizeof(t.name))) != 0 || (rc = rd_u8(r, &t.type)) != 0 ||
	    (rc = rd_str(r, t.languages, sizeof(t.languages))) != 0 ||
	    (rc = rd_str(r, t.notes, sizeof(t.notes))) != 0)
		return rc == LIAISON_ERR_TOO_BIG ? LIAISON_ERR_INVALID : rc;
	if ((rc = dir_check_authority(&t)) != 0)
		return rc;
	*a = t;
	return 0;
}

void dir_put_cert(struct wb *w, const struct signing_cert *c)
{
	wb_fixed(w, c->key, sizeof(c->key));
	wb_fixed(w, c->account, sizeof(c->account));
	wb_u64(w, c->not_after);
	wb_fixed(w, c->signature, sizeof(c->signature));
}

int dir_get_cert(struct rd *r, struct signing_cert *c)
{
	struct signing_cert t;
	int rc;

	if ((rc = rd_fixed(r, t.key, sizeof(t.key))) != 0 ||
	    (rc = rd_fixed(r, t.account, sizeof(t.account))) != 0 ||
	    (rc = rd_u64(r, &t.not_after)) != 0 ||
	    (rc = rd_fixed(r, t.signature, sizeof(t.signature))) != 0)
		return rc;
	*c = t;
	return 0;
}

int dir_record_write(struct wb *w, const uint8_t key_id[16], const uint8_t sig[64],
		     const uint8_t *signed_bytes, size_t n)
{
	wb_u8(w, DIR_LAYOUT_VERSION);
	wb_fixed(w, key_id, 16);
	wb_fixed(w, sig, 64);
	wb_var(w, signed_bytes, n);
	return wb_status(w);
}

int dir_rd_open(struct rd *r, const uint8_t *p, size_t n)
{
	uint8_t v;
	int rc;

	rd_init(r, p, n);
	if ((rc = rd_u8(r, &v)) != 0)
		return rc;
	return v == DIR_LAYOUT_VERSION ? 0 : LIAISON_ERR_UNSUPPORTED;
}

int dir_record_read(const uint8_t *rec, size_t n, size_t max_signed, struct dir_record *out)
{
	struct dir_record t;
	struct rd r;
	int rc;

	if (rec == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	if (n > max_signed + 1 + 16 + 64 + 4)
		return LIAISON_ERR_TOO_BIG;
	if ((rc = dir_rd_open(&r, rec, n)) != 0)
		return rc;
	if ((rc = rd_fixed(&r, t.key_id, 16)) != 0 || (rc = rd_fixed(&r, t.sig, 64)) != 0 ||
	    (rc = rd_var(&r, &t.signed_bytes, &t.signed_len, max_signed)) != 0 ||
	    (rc = rd_end(&r)) != 0)
		return rc;
	*out = t;
	return 0;
}

/* ---- state ---- */

static void put_contact(struct wb *w, const struct dir_contact *c)
{
	wb_fixed(w, c->account, 16);
	wb_str(w, c->authority);
	wb_str(w, c->name);
	wb_str(w, c->title);
	wb_u8(w, c->role);
	wb_u8(w, c->status);
	wb_fixed(w, c->identity_key, 33);
	wb_fixed(w, c->invite_id, 16);
	wb_u64(w, c->added_in);
	wb_u8(w, c->has_cert);
	if (c->has_cert)
		dir_put_cert(w, &c->cert);
}

static int get_contact(struct rd *r, struct dir_contact *c)
{
	struct dir_contact t;
	size_t n;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = rd_fixed(r, t.account, 16)) != 0 ||
	    (rc = rd_str(r, t.authority, sizeof(t.authority))) != 0 ||
	    (rc = rd_str(r, t.name, sizeof(t.name))) != 0 ||
	    (rc = rd_str(r, t.title, sizeof(t.title))) != 0 || (rc = rd_u8(r, &t.role)) != 0 ||
	    (rc = rd_u8(r, &t.status)) != 0 || (rc = rd_fixed(r, t.identity_key, 33)) != 0 ||
	    (rc = rd_fixed(r, t.invite_id, 16)) != 0 || (rc = rd_u64(r, &t.added_in)) != 0 ||
	    (rc = rd_u8(r, &t.has_cert)) != 0)
		return rc == LIAISON_ERR_TOO_BIG ? LIAISON_ERR_INVALID : rc;
	n = strlen(t.name);
	if (strlen(t.authority) == 0 || n == 0 || dir_check_utf8(t.name) != 0 ||
	    dir_check_utf8(t.title) != 0 || t.identity_key[0] != 0x05 ||
	    (t.role != ROLE_MEMBER && t.role != ROLE_SECRETARIAT) ||
	    (t.status != DIR_ACTIVE && t.status != DIR_REVOKED) || t.has_cert > 1)
		return LIAISON_ERR_INVALID;
	/* A secretariat always holds a certificate for its own account; a
	 * member never does. */
	if (t.has_cert != (t.role == ROLE_SECRETARIAT))
		return LIAISON_ERR_INVALID;
	if (t.has_cert) {
		if ((rc = dir_get_cert(r, &t.cert)) != 0)
			return rc;
		if (memcmp(t.cert.account, t.account, 16) != 0)
			return LIAISON_ERR_INVALID;
		if ((rc = layout_key_id(t.cert.key, t.cert_key_id)) != 0)
			return rc;
	}
	*c = t;
	return 0;
}

static int cmp_authority(const void *a, const void *b)
{
	const struct dir_authority *x = *(const struct dir_authority *const *)a;
	const struct dir_authority *y = *(const struct dir_authority *const *)b;

	return strcmp(x->id, y->id);
}

static int cmp_contact(const void *a, const void *b)
{
	const struct dir_contact *x = *(const struct dir_contact *const *)a;
	const struct dir_contact *y = *(const struct dir_contact *const *)b;

	return memcmp(x->account, y->account, 16);
}

/* Memory keeps the order of the changes; the encoding sorts (one spelling
 * for one state, whatever the history that made it). */
int dir_state_encode(const struct dir_state *st, struct wb *out)
{
	const struct dir_authority **auth = NULL;
	const struct dir_contact **cont = NULL;
	struct wb w;
	size_t i;
	int rc;

	if (st == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	wb_init(&w, DIR_MAX_STATE);
	auth = malloc((st->n_authorities + 1) * sizeof(*auth));
	cont = malloc((st->n_contacts + 1) * sizeof(*cont));
	if (auth == NULL || cont == NULL) {
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < st->n_authorities; i++)
		auth[i] = &st->authorities[i];
	for (i = 0; i < st->n_contacts; i++)
		cont[i] = &st->contacts[i];
	qsort(auth, st->n_authorities, sizeof(*auth), cmp_authority);
	qsort(cont, st->n_contacts, sizeof(*cont), cmp_contact);

	wb_u8(&w, DIR_LAYOUT_VERSION);
	wb_u64(&w, st->version);
	wb_fixed(&w, st->chain_hash, 32);
	wb_fixed(&w, st->change_hash, 32);
	wb_u64(&w, st->issued);
	dir_put_params(&w, &st->params);
	wb_u32(&w, (uint32_t)st->n_authorities);
	for (i = 0; i < st->n_authorities; i++)
		dir_put_authority(&w, auth[i]);
	wb_u32(&w, (uint32_t)st->n_contacts);
	for (i = 0; i < st->n_contacts; i++)
		put_contact(&w, cont[i]);
	if ((rc = wb_status(&w)) != 0)
		goto out;
	*out = w;
	wb_init(&w, 0);
out:
	wb_free(&w);
	free(cont);
	free(auth);
	return rc;
}

int dir_state_decode(const uint8_t *p, size_t n, signal_context *sctx, struct dir_state **out)
{
	struct dir_state *st = NULL;
	struct rd r;
	uint32_t count;
	size_t i;
	int rc;

	if (p == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	if (n > DIR_MAX_STATE)
		return LIAISON_ERR_TOO_BIG;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return LIAISON_ERR_NOMEM;
	st->sctx = sctx;
	if ((rc = dir_rd_open(&r, p, n)) != 0)
		goto out;
	if ((rc = rd_u64(&r, &st->version)) != 0 || (rc = rd_fixed(&r, st->chain_hash, 32)) != 0 ||
	    (rc = rd_fixed(&r, st->change_hash, 32)) != 0 || (rc = rd_u64(&r, &st->issued)) != 0 ||
	    (rc = dir_get_params(&r, &st->params)) != 0 || (rc = rd_u32(&r, &count)) != 0)
		goto out;
	if (st->version == 0) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	/* Each authority takes at least 22 bytes: a count the input cannot
	 * hold is refused before anything is allocated for it. */
	if (count > DIR_MAX_AUTHORITIES || count > r.left / 22) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	if ((rc = dir_reserve(st, count, 0)) != 0)
		goto out;
	for (i = 0; i < count; i++) {
		if ((rc = dir_get_authority(&r, &st->authorities[i])) != 0)
			goto out;
		if (i > 0 && strcmp(st->authorities[i - 1].id, st->authorities[i].id) >= 0) {
			rc = LIAISON_ERR_INVALID;
			goto out;
		}
		st->n_authorities = i + 1;
	}
	if ((rc = rd_u32(&r, &count)) != 0)
		goto out;
	/* At least 16+4+4+4+1+1+33+16+8+1 = 88 bytes each. */
	if (count > DIR_MAX_CONTACTS || count > r.left / 88) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	if ((rc = dir_reserve(st, 0, count)) != 0)
		goto out;
	for (i = 0; i < count; i++) {
		if ((rc = get_contact(&r, &st->contacts[i])) != 0)
			goto out;
		if (i > 0 && memcmp(st->contacts[i - 1].account, st->contacts[i].account, 16) >= 0) {
			rc = LIAISON_ERR_INVALID;
			goto out;
		}
		if (st->contacts[i].added_in == 0 || st->contacts[i].added_in > st->version) {
			rc = LIAISON_ERR_INVALID;
			goto out;
		}
		st->n_contacts = i + 1;
	}
	if ((rc = rd_end(&r)) != 0 || (rc = dir_index_rebuild(st)) != 0)
		goto out;
	for (i = 0; i < st->n_contacts; i++) {
		if (dir_find_authority(st, st->contacts[i].authority) == NULL) {
			rc = LIAISON_ERR_INVALID;
			goto out;
		}
	}
	*out = st;
	st = NULL;
out:
	dir_state_free(st);
	return rc;
}
