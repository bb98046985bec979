/* Paging a run of change records under a byte limit the caller gives (the
 * relay: WIRE_MAX_FRAME less its overhead): u32 count, then each record
 * u32-length-prefixed. Reading a page never trusts a length unchecked. */
#include "directory/dir_int.h"

int dir_page_span(const uint8_t *const *recs, const size_t *lens, size_t count, size_t start,
		  size_t limit, size_t *end)
{
	size_t used = 4, i;

	if (recs == NULL || lens == NULL || end == NULL || start >= count)
		return LIAISON_ERR_INVALID;
	for (i = start; i < count; i++) {
		if (lens[i] > DIR_MAX_RECORD || lens[i] + 4 > limit || used > limit - 4 - lens[i])
			break;
		used += 4 + lens[i];
	}
	if (i == start)
		return LIAISON_ERR_TOO_BIG;
	*end = i;
	return 0;
}

int dir_page_build(const uint8_t *const *recs, const size_t *lens, size_t count, size_t limit,
		   struct wb *out)
{
	struct wb w;
	size_t i;
	int rc;

	if (out == NULL || (count > 0 && (recs == NULL || lens == NULL)))
		return LIAISON_ERR_INVALID;
	wb_init(&w, limit);
	wb_u32(&w, (uint32_t)count);
	for (i = 0; i < count; i++)
		wb_var(&w, recs[i], lens[i]);
	if ((rc = wb_status(&w)) != 0)
		goto out;
	*out = w;
	wb_init(&w, 0);
out:
	wb_free(&w);
	return rc;
}

int dir_page_open(struct rd *r, const uint8_t *page, size_t n, uint32_t *count)
{
	uint32_t c;
	int rc;

	if (r == NULL || page == NULL || count == NULL)
		return LIAISON_ERR_INVALID;
	rd_init(r, page, n);
	if ((rc = rd_u32(r, &c)) != 0)
		return rc;
	/* Every record takes at least 4 + 85 bytes. */
	if (c > r->left / (4 + 85))
		return LIAISON_ERR_INVALID;
	*count = c;
	return 0;
}

int dir_page_next(struct rd *r, const uint8_t **rec, size_t *len)
{
	if (r == NULL || rec == NULL || len == NULL)
		return LIAISON_ERR_INVALID;
	return rd_var(r, rec, len, DIR_MAX_RECORD);
}
