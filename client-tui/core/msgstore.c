/* Message records in VT_MESSAGE, keyed by (sender, message id). The layout
 * is ours (a version byte, fixed fields, u32-prefixed text and ciphertext)
 * and read back through the bounded reader. Never decides trust, never
 * prints. */
#include "client-tui/core/msgstore.h"

#include <stdlib.h>
#include <string.h>

#include "client-tui/core/vault.h"
#include "protocol/buf.h"
#include "protocol/crypto.h"
#include "protocol/timefmt.h"
#include "protocol/wire.h"

#define MSG_RECORD_VERSION 1
#define MSG_MAX_RECORD (WIRE_MAX_TEXT + WIRE_MAX_CIPHERTEXT + 1024)

static void record_key(uint8_t key[32], const uint8_t from[16], const uint8_t id[16])
{
	memcpy(key, from, 16);
	memcpy(key + 16, id, 16);
}

uint64_t msgstore_next_order(void)
{
	static uint64_t last;
	uint64_t now = time_now_ms();

	if (now <= last)
		now = last + 1;
	last = now;
	return now;
}

void msg_record_free(struct msg_record *m)
{
	if (m == NULL)
		return;
	if (m->text != NULL) {
		lc_wipe(m->text, m->text_len);
		free(m->text);
	}
	free(m->ciphertext);
	lc_wipe(m, sizeof *m);
	free(m);
}

void msgstore_list_free(struct msg_record **list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		msg_record_free(list[i]);
	free(list);
}

static int encode(const struct msg_record *m, struct wb *w)
{
	wb_init(w, MSG_MAX_RECORD);
	wb_u8(w, MSG_RECORD_VERSION);
	wb_fixed(w, m->id, 16);
	wb_u8(w, m->dir);
	wb_fixed(w, m->peer, 16);
	wb_fixed(w, m->from, 16);
	wb_u8(w, m->kind);
	wb_u8(w, m->status);
	wb_u8(w, m->type);
	wb_u32(w, (uint32_t)(m->error < 0 ? -m->error : 0));
	wb_u64(w, m->sent_at);
	wb_u64(w, m->received_at);
	wb_u64(w, m->order);
	wb_var(w, m->text, m->text != NULL ? m->text_len : 0);
	wb_var(w, m->ciphertext, m->ciphertext != NULL ? m->ciphertext_len : 0);
	wb_u8(w, m->verified);	/* later than the first records: optional when read */
	return wb_status(w);
}

static int decode(const uint8_t *p, size_t n, struct msg_record **out)
{
	struct msg_record *m = NULL;
	struct rd r;
	const uint8_t *text, *ct;
	size_t text_len, ct_len;
	uint8_t version;
	uint32_t error;
	int err;

	m = calloc(1, sizeof *m);
	if (m == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	rd_init(&r, p, n);
	if ((err = rd_u8(&r, &version)) != 0)
		goto out;
	if (version != MSG_RECORD_VERSION) {
		err = LIAISON_ERR_UNSUPPORTED;
		goto out;
	}
	if ((err = rd_fixed(&r, m->id, 16)) != 0 || (err = rd_u8(&r, &m->dir)) != 0 ||
	    (err = rd_fixed(&r, m->peer, 16)) != 0 || (err = rd_fixed(&r, m->from, 16)) != 0 ||
	    (err = rd_u8(&r, &m->kind)) != 0 || (err = rd_u8(&r, &m->status)) != 0 ||
	    (err = rd_u8(&r, &m->type)) != 0 || (err = rd_u32(&r, &error)) != 0 ||
	    (err = rd_u64(&r, &m->sent_at)) != 0 || (err = rd_u64(&r, &m->received_at)) != 0 ||
	    (err = rd_u64(&r, &m->order)) != 0 ||
	    (err = rd_var(&r, &text, &text_len, WIRE_MAX_TEXT)) != 0 ||
	    (err = rd_var(&r, &ct, &ct_len, WIRE_MAX_CIPHERTEXT)) != 0)
		goto out;
	if (r.left > 0 && ((err = rd_u8(&r, &m->verified)) != 0 || m->verified > 1)) {
		err = err != 0 ? err : LIAISON_ERR_INVALID;
		goto out;
	}
	if ((err = rd_end(&r)) != 0)
		goto out;
	if (error >= LIAISON_ERR_COUNT_) {
		err = LIAISON_ERR_INVALID;
		goto out;
	}
	m->error = -(int32_t)error;
	m->text = malloc(text_len + 1);
	if (m->text == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	memcpy(m->text, text, text_len);
	m->text[text_len] = '\0';
	m->text_len = text_len;
	if (ct_len > 0) {
		m->ciphertext = malloc(ct_len);
		if (m->ciphertext == NULL) {
			err = LIAISON_ERR_NOMEM;
			goto out;
		}
		memcpy(m->ciphertext, ct, ct_len);
		m->ciphertext_len = ct_len;
	}
	*out = m;
	m = NULL;
	err = 0;
out:
	msg_record_free(m);
	return err;
}

int msgstore_put(struct home *h, const struct msg_record *m)
{
	struct wb w;
	uint8_t key[32];
	int err;

	if ((m->text != NULL && m->text_len > WIRE_MAX_TEXT) ||
	    (m->ciphertext != NULL && m->ciphertext_len > WIRE_MAX_CIPHERTEXT))
		return LIAISON_ERR_TOO_BIG;
	err = encode(m, &w);
	if (err != 0)
		goto out;
	record_key(key, m->from, m->id);
	err = vault_put(h, VT_MESSAGE, key, sizeof key, w.data, w.len);
out:
	wb_free(&w);
	return err;
}

int msgstore_get(struct home *h, const uint8_t from[16], const uint8_t id[16],
		 struct msg_record **out)
{
	uint8_t key[32];
	uint8_t *val = NULL;
	size_t len = 0;
	int err;

	record_key(key, from, id);
	err = vault_get(h, VT_MESSAGE, key, sizeof key, &val, &len);
	if (err != 0)
		return err;
	err = decode(val, len, out);
	vault_free_value(val, len);
	return err;
}

int msgstore_set_status(struct home *h, const uint8_t from[16], const uint8_t id[16],
			int status)
{
	struct msg_record *m = NULL;
	int err;

	err = msgstore_get(h, from, id, &m);
	if (err != 0)
		goto out;
	m->status = (uint8_t)status;
	err = msgstore_put(h, m);
out:
	msg_record_free(m);
	return err;
}

struct list_walk {
	const uint8_t *peer;
	struct msg_record **items;
	size_t n, cap;
};

static int collect(const uint8_t *val, size_t vallen, void *arg)
{
	struct list_walk *lw = arg;
	struct msg_record *m = NULL;
	int err;

	err = decode(val, vallen, &m);
	if (err != 0)
		return err;
	if (lw->peer != NULL && memcmp(lw->peer, m->peer, 16) != 0) {
		msg_record_free(m);
		return 0;
	}
	if (lw->n == lw->cap) {
		size_t cap = lw->cap ? lw->cap * 2 : 32;
		struct msg_record **items = realloc(lw->items, cap * sizeof *items);

		if (items == NULL) {
			msg_record_free(m);
			return LIAISON_ERR_NOMEM;
		}
		lw->items = items;
		lw->cap = cap;
	}
	lw->items[lw->n++] = m;
	return 0;
}

static int by_order(const void *a, const void *b)
{
	const struct msg_record *x = *(struct msg_record *const *)a;
	const struct msg_record *y = *(struct msg_record *const *)b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return memcmp(x->id, y->id, 16);
}

int msgstore_list(struct home *h, const uint8_t *peer, struct msg_record ***out, size_t *n)
{
	struct list_walk lw = { peer, NULL, 0, 0 };
	int err;

	err = vault_each(h, VT_MESSAGE, collect, &lw);
	if (err != 0)
		goto out;
	if (lw.n > 1)
		qsort(lw.items, lw.n, sizeof *lw.items, by_order);
	*out = lw.items;
	*n = lw.n;
	lw.items = NULL;
	lw.n = 0;
out:
	msgstore_list_free(lw.items, lw.n);
	return err;
}
