/* Bounded byte buffers: the one reader of bytes from outside and the one
 * writer of the layouts we sign (big-endian, u32-length-prefixed fields).
 * A reader never reads past its input and never moves on a failed read; a
 * writer never grows past its limit and wipes every buffer it lets go of. */
#include "protocol/buf.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/crypto.h"

void rd_init(struct rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->left = p != NULL ? len : 0;
}

int rd_u8(struct rd *r, uint8_t *v)
{
	if (r->left < 1)
		return LIAISON_ERR_INVALID;
	*v = r->p[0];
	r->p++;
	r->left--;
	return 0;
}

int rd_u32(struct rd *r, uint32_t *v)
{
	if (r->left < 4)
		return LIAISON_ERR_INVALID;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	     (uint32_t)r->p[2] << 8 | (uint32_t)r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

int rd_u64(struct rd *r, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (r->left < 8)
		return LIAISON_ERR_INVALID;
	for (i = 0; i < 8; i++)
		x = x << 8 | r->p[i];
	*v = x;
	r->p += 8;
	r->left -= 8;
	return 0;
}

int rd_fixed(struct rd *r, uint8_t *out, size_t n)
{
	if (r->left < n)
		return LIAISON_ERR_INVALID;
	if (n > 0)
		memcpy(out, r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

int rd_var(struct rd *r, const uint8_t **p, size_t *n, size_t max)
{
	struct rd t = *r;
	uint32_t len;
	int rc;

	if ((rc = rd_u32(&t, &len)) != 0)
		return rc;
	if (len > max)
		return LIAISON_ERR_TOO_BIG;
	if (t.left < len)
		return LIAISON_ERR_INVALID;
	*p = t.p;
	*n = len;
	r->p = t.p + len;
	r->left = t.left - len;
	return 0;
}

int rd_str(struct rd *r, char *out, size_t outsz)
{
	struct rd t = *r;
	const uint8_t *p;
	size_t n;
	int rc;

	if (outsz == 0)
		return LIAISON_ERR_INVALID;
	if ((rc = rd_var(&t, &p, &n, outsz - 1)) != 0)
		return rc;
	if (n > 0 && memchr(p, 0, n) != NULL)
		return LIAISON_ERR_INVALID;
	if (n > 0)
		memcpy(out, p, n);
	out[n] = '\0';
	*r = t;
	return 0;
}

int rd_end(const struct rd *r)
{
	return r->left == 0 ? 0 : LIAISON_ERR_INVALID;
}

void wb_init(struct wb *w, size_t max)
{
	w->data = NULL;
	w->len = 0;
	w->cap = 0;
	w->max = max;
	w->err = 0;
}

/* Room for n more bytes, growing by doubling up to max; the old buffer is
 * wiped before it is freed, since signed layouts may sit next to secrets. */
static int reserve(struct wb *w, size_t n)
{
	size_t need, cap;
	uint8_t *p;

	if (w->err != 0)
		return w->err;
	if (n > w->max || w->len > w->max - n) {
		w->err = LIAISON_ERR_TOO_BIG;
		return w->err;
	}
	need = w->len + n;
	if (need <= w->cap)
		return 0;
	cap = w->cap > 0 ? w->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > w->max)
		cap = w->max;
	p = malloc(cap);
	if (p == NULL) {
		w->err = LIAISON_ERR_NOMEM;
		return w->err;
	}
	if (w->data != NULL) {
		memcpy(p, w->data, w->len);
		lc_wipe(w->data, w->cap);
		free(w->data);
	}
	w->data = p;
	w->cap = cap;
	return 0;
}

void wb_fixed(struct wb *w, const void *p, size_t n)
{
	if (reserve(w, n) != 0)
		return;
	if (n > 0)
		memcpy(w->data + w->len, p, n);
	w->len += n;
}

void wb_u8(struct wb *w, uint8_t v)
{
	wb_fixed(w, &v, 1);
}

void wb_u32(struct wb *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	wb_fixed(w, b, sizeof(b));
}

void wb_u64(struct wb *w, uint64_t v)
{
	uint8_t b[8];
	size_t i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	wb_fixed(w, b, sizeof(b));
}

void wb_var(struct wb *w, const void *p, size_t n)
{
	if (w->err != 0)
		return;
	if (n > UINT32_MAX) {
		w->err = LIAISON_ERR_TOO_BIG;
		return;
	}
	/* Reserve both at once so that a refused field leaves no dangling length. */
	if (n > SIZE_MAX - 4 || reserve(w, 4 + n) != 0) {
		if (w->err == 0)
			w->err = LIAISON_ERR_TOO_BIG;
		return;
	}
	wb_u32(w, (uint32_t)n);
	wb_fixed(w, p, n);
}

void wb_str(struct wb *w, const char *s)
{
	if (s == NULL) {
		if (w->err == 0)
			w->err = LIAISON_ERR_INVALID;
		return;
	}
	wb_var(w, s, strlen(s));
}

int wb_status(const struct wb *w)
{
	return w->err;
}

void wb_free(struct wb *w)
{
	if (w->data != NULL) {
		lc_wipe(w->data, w->cap);
		free(w->data);
	}
	w->data = NULL;
	w->len = 0;
	w->cap = 0;
	w->err = 0;
}
