/* liaison contacts: the accounts this home keeps a record of, with their
 * verification state against the currently trusted key (per account and
 * key, DESIGN.md §5); names come with the directory (null until then). Text
 * for people is always sanitised; nothing here changes trust. */
#include "client-tui/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client-tui/core/trust.h"
#include "client-tui/core/verify.h"
#include "protocol/encoding.h"
#include "protocol/fingerprint.h"
#include "protocol/sanitize.h"

struct contact_list {
	struct trust_contact *items;
	size_t n, cap;
};

static json_t *text_or_null(const char *s)
{
	return s[0] != '\0' ? cli_json_text(s, strlen(s)) : json_null();
}

/* Records are gathered first and shown after the walk, since showing one
 * asks trust_lookup, which must not run inside the vault's walk. */
static int collect(const struct trust_contact *tc, void *arg)
{
	struct contact_list *l = arg;
	struct trust_contact *grown;
	size_t cap;

	if (!tc->has_key)
		return 0;
	if (l->n == l->cap) {
		cap = l->cap == 0 ? 16 : l->cap * 2;
		if (cap > SIZE_MAX / sizeof(*l->items))
			return LIAISON_ERR_TOO_BIG;
		grown = realloc(l->items, cap * sizeof(*l->items));
		if (grown == NULL)
			return LIAISON_ERR_NOMEM;
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->n++] = *tc;
	return 0;
}

static int show_contact(struct cli *cli, struct home *h, const struct trust_contact *tc)
{
	char id[ID_CHARS + 1], fp[FP_HEX_CHARS + 1];
	enum trust_state state;
	enum verify_state vs;
	uint8_t current[33];
	const uint8_t *key;
	json_t *obj;
	int err;

	err = trust_lookup(h, tc->account, &state, current);
	if (err != 0)
		return err;
	key = state == TRUST_LISTED ? current : tc->key;
	vs = verify_state_of(tc, state == TRUST_LISTED ? current : NULL);
	id_encode(tc->account, id);
	err = fp_identity(key, fp);
	if (err != 0)
		return err;
	if (cli->json) {
		obj = json_object();
		if (obj == NULL || json_object_set_new(obj, "account", json_string(id)) != 0 ||
		    json_object_set_new(obj, "name", text_or_null(tc->name)) != 0 ||
		    json_object_set_new(obj, "title", text_or_null(tc->title)) != 0 ||
		    json_object_set_new(obj, "authority", text_or_null(tc->authority)) != 0 ||
		    json_object_set_new(obj, "country", text_or_null(tc->country)) != 0 ||
		    json_object_set_new(obj, "verified", json_boolean(vs == VERIFY_VERIFIED)) != 0 ||
		    json_object_set_new(obj, "key_changed",
					json_boolean(vs == VERIFY_KEY_CHANGED)) != 0 ||
		    json_object_set_new(obj, "awaiting_reply_days", json_integer(0)) != 0 ||
		    json_object_set_new(obj, "fingerprint", json_string(fp)) != 0) {
			json_decref(obj);
			return LIAISON_ERR_NOMEM;
		}
		return cli_json_line(obj);
	} else {
		const char *word = vs == VERIFY_VERIFIED ? "verified" :
				   vs == VERIFY_KEY_CHANGED ? "key-changed" : "unverified";
		char *name = sanitize_line(tc->name, strlen(tc->name));
		char *auth = sanitize_line(tc->authority, strlen(tc->authority));

		if (name == NULL || auth == NULL) {
			free(name);
			free(auth);
			return LIAISON_ERR_NOMEM;
		}
		printf("contact %s fingerprint %s %s%s%s%s%s%s\n", id, fp, word,
		       state == TRUST_REVOKED ? " revoked" : "",
		       name[0] ? " " : "", name, auth[0] ? " of " : "", auth);
		free(name);
		free(auth);
		return fflush(stdout) == 0 ? 0 : LIAISON_ERR_IO;
	}
}

int cmd_contacts(struct cli *cli, int argc, char **argv)
{
	char *pos[1];
	int npos = 0;
	struct home *h = NULL;
	struct self *s = NULL;
	struct contact_list list = { NULL, 0, 0 };
	size_t i;
	int err;

	err = cli_parse(cli, argc, argv, NULL, pos, 0, &npos);
	if (err != 0)
		return err;
	err = cli_open(cli, &h, &s);
	if (err != 0)
		return err;
	err = trust_contact_each(h, collect, &list);
	for (i = 0; err == 0 && i < list.n; i++)
		err = show_contact(cli, h, &list.items[i]);
	if (err != 0)
		err = cli_fail(cli, "contacts", err, NULL);
	free(list.items);
	cli_close(h, s);
	return err;
}
