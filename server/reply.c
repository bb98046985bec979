/* Building the relay's reply items: every field malloc'd, so one
 * protobuf_c_message_free_unpacked frees an item whole. Never puts a
 * secret or a peer's text into an item. */
#include "server/relay.h"

#include <stdlib.h>
#include <string.h>

Liaison__Item *item_new(uint64_t id)
{
	Liaison__Item *it = malloc(sizeof(*it));
	if (it == NULL)
		return NULL;
	liaison__item__init(it);
	it->id = id;
	return it;
}

void item_free(Liaison__Item *it)
{
	if (it != NULL)
		protobuf_c_message_free_unpacked(&it->base, NULL);
}

int item_bytes(ProtobufCBinaryData *b, const void *p, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);
	if (copy == NULL)
		return LIAISON_ERR_NOMEM;
	if (n)
		memcpy(copy, p, n);
	b->data = copy;
	b->len = n;
	return 0;
}

Liaison__Item *item_error(uint64_t id, int code)
{
	Liaison__Item *it = item_new(id);
	Liaison__Error *e = malloc(sizeof(*e));
	char *text = strdup(liaison_strerror(code));
	if (it == NULL || e == NULL || text == NULL) {
		item_free(it);
		free(e);
		free(text);
		return NULL;
	}
	liaison__error__init(e);
	e->code = code < 0 ? (uint32_t)-code : (uint32_t)-LIAISON_ERR_INTERNAL;
	e->text = text;
	it->body_case = LIAISON__ITEM__BODY_ERROR;
	it->error = e;
	return it;
}

Liaison__Item *item_ok(uint64_t id)
{
	Liaison__Item *it = item_new(id);
	Liaison__Ok *ok = malloc(sizeof(*ok));
	if (it == NULL || ok == NULL) {
		item_free(it);
		free(ok);
		return NULL;
	}
	liaison__ok__init(ok);
	it->body_case = LIAISON__ITEM__BODY_OK;
	it->ok = ok;
	return it;
}

int reply_add(struct reply *rp, Liaison__Item *it)
{
	if (it == NULL)
		return LIAISON_ERR_NOMEM;
	if (rp->n_items == rp->cap_items) {
		size_t cap = rp->cap_items ? 2 * rp->cap_items : 8;
		Liaison__Item **p = realloc(rp->items, cap * sizeof(*p));
		if (p == NULL) {
			item_free(it);
			return LIAISON_ERR_NOMEM;
		}
		rp->items = p;
		rp->cap_items = cap;
	}
	rp->items[rp->n_items++] = it;
	return 0;
}

int reply_wake(struct reply *rp, const uint8_t account[16], int kind, uint32_t left)
{
	if (rp->n_wakes == rp->cap_wakes) {
		size_t cap = rp->cap_wakes ? 2 * rp->cap_wakes : 8;
		struct wake *p = realloc(rp->wakes, cap * sizeof(*p));
		if (p == NULL)
			return LIAISON_ERR_NOMEM;
		rp->wakes = p;
		rp->cap_wakes = cap;
	}
	memcpy(rp->wakes[rp->n_wakes].account, account, 16);
	rp->wakes[rp->n_wakes].kind = kind;
	rp->wakes[rp->n_wakes].left = left;
	rp->n_wakes++;
	return 0;
}
