/* One-time prekeys: made in batches from the account's next id, stored in
 * libsignal's prekey store inside the caller's transaction, and laid out for
 * the wire (public halves only). Never commits and never sends by itself. */
#include "client-tui/core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include <signal/curve.h>
#include <signal/key_helper.h>
#include <signal/protocol.h>
#include <signal/session_builder.h>
#include <signal/session_cipher.h>
#include <signal/session_pre_key.h>
#include <signal/session_record.h>
#include <signal/session_state.h>

void core_prekeys_free(Liaison__Prekey **list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (list[i] != NULL)
			free(list[i]->public_key.data);
		free(list[i]);
	}
	free(list);
}

int core_prekeys_generate(const struct self *s, signal_context *sctx, unsigned count,
			  signal_protocol_key_helper_pre_key_list_node **keys,
			  Liaison__Prekey ***list, size_t *n)
{
	signal_protocol_key_helper_pre_key_list_node *head = NULL, *node;
	Liaison__Prekey **v = NULL;
	signal_buffer *pub = NULL;
	size_t got = 0;
	int err;

	if (count == 0 || count > 1000 || s->next_prekey_id == 0 ||
	    s->next_prekey_id > 0xFFFFFFu - count) {
		err = LIAISON_ERR_INVALID;
		goto out;
	}
	v = calloc(count, sizeof *v);
	if (v == NULL) {
		err = LIAISON_ERR_NOMEM;
		goto out;
	}
	if (signal_protocol_key_helper_generate_pre_keys(&head, s->next_prekey_id, count, sctx) != 0) {
		err = LIAISON_ERR_CRYPTO;
		goto out;
	}
	for (node = head; node != NULL && got < count;
	     node = signal_protocol_key_helper_key_list_next(node)) {
		session_pre_key *pk = signal_protocol_key_helper_key_list_element(node);
		Liaison__Prekey *item;

		if (ec_public_key_serialize(&pub, ec_key_pair_get_public(session_pre_key_get_key_pair(pk))) != 0) {
			err = LIAISON_ERR_CRYPTO;
			goto out;
		}
		item = malloc(sizeof *item);
		if (item == NULL) {
			err = LIAISON_ERR_NOMEM;
			goto out;
		}
		liaison__prekey__init(item);
		v[got++] = item;
		item->id = session_pre_key_get_id(pk);
		item->public_key.len = signal_buffer_len(pub);
		item->public_key.data = malloc(item->public_key.len);
		if (item->public_key.data == NULL) {
			err = LIAISON_ERR_NOMEM;
			goto out;
		}
		memcpy(item->public_key.data, signal_buffer_data(pub), item->public_key.len);
		signal_buffer_free(pub);
		pub = NULL;
	}
	if (got != count) {
		err = LIAISON_ERR_CRYPTO;
		goto out;
	}
	*keys = head;
	*list = v;
	*n = got;
	head = NULL;
	v = NULL;
	err = 0;
out:
	signal_buffer_free(pub);
	core_prekeys_free(v, got);
	signal_protocol_key_helper_key_list_free(head);
	return err;
}

int core_prekeys_store(signal_protocol_store_context *store,
		       const signal_protocol_key_helper_pre_key_list_node *keys)
{
	const signal_protocol_key_helper_pre_key_list_node *node;

	for (node = keys; node != NULL; node = signal_protocol_key_helper_key_list_next(node)) {
		if (signal_protocol_pre_key_store_key(store,
				signal_protocol_key_helper_key_list_element(node)) != 0)
			return LIAISON_ERR_STORAGE;
	}
	return 0;
}

int core_prekeys_make(struct home *h, struct self *s, signal_context *sctx,
		      signal_protocol_store_context *store, unsigned count,
		      Liaison__Prekey ***list, size_t *n)
{
	signal_protocol_key_helper_pre_key_list_node *keys = NULL;
	Liaison__Prekey **v = NULL;
	size_t got = 0;
	int err;

	(void)h;
	err = core_prekeys_generate(s, sctx, count, &keys, &v, &got);
	if (err != 0)
		goto out;
	err = core_prekeys_store(store, keys);
	if (err != 0)
		goto out;
	s->next_prekey_id += count;
	*list = v;
	*n = got;
	v = NULL;
	got = 0;
out:
	core_prekeys_free(v, got);
	signal_protocol_key_helper_key_list_free(keys);
	return err;
}
