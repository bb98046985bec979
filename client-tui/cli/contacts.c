/* liaison contacts: the accounts whose key this home trusts, with their
 * verification state; names come with the directory (null until then). */
#include "client-tui/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client-tui/core/trust.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/fingerprint.h"
#include "protocol/sanitize.h"

static json_t *text_or_null(const char *s)
{
	return s[0] != '\0' ? cli_json_text(s, strlen(s)) : json_null();
}

static int show_contact(const struct trust_contact *tc, void *arg)
{
	struct cli *cli = arg;
	char id[ID_CHARS + 1], fp[FP_HEX_CHARS + 1];
	int verified, err;
	json_t *obj;

	if (!tc->has_key)
		return 0;
	id_encode(tc->account, id);
	err = fp_identity(tc->key, fp);
	if (err != 0)
		return err;
	verified = tc->has_verified_key && lc_equal(tc->verified_key, tc->key, 33);
	if (cli->json) {
		obj = json_object();
		if (obj == NULL || json_object_set_new(obj, "account", json_string(id)) != 0 ||
		    json_object_set_new(obj, "name", text_or_null(tc->name)) != 0 ||
		    json_object_set_new(obj, "title", text_or_null(tc->title)) != 0 ||
		    json_object_set_new(obj, "authority", text_or_null(tc->authority)) != 0 ||
		    json_object_set_new(obj, "country", text_or_null(tc->country)) != 0 ||
		    json_object_set_new(obj, "verified", json_boolean(verified)) != 0 ||
		    json_object_set_new(obj, "key_changed", json_false()) != 0 ||
		    json_object_set_new(obj, "awaiting_reply_days", json_integer(0)) != 0 ||
		    json_object_set_new(obj, "fingerprint", json_string(fp)) != 0) {
			json_decref(obj);
			return LIAISON_ERR_NOMEM;
		}
		return cli_json_line(obj);
	} else {
		char *name = sanitize_line(tc->name, strlen(tc->name));

		if (name == NULL)
			return LIAISON_ERR_NOMEM;
		printf("contact %s fingerprint %s %s%s%s\n", id, fp,
		       verified ? "verified" : "unverified", name[0] ? " " : "", name);
		free(name);
		return fflush(stdout) == 0 ? 0 : LIAISON_ERR_IO;
	}
}

int cmd_contacts(struct cli *cli, int argc, char **argv)
{
	char *pos[1];
	int npos = 0;
	struct home *h = NULL;
	struct self *s = NULL;
	int err;

	err = cli_parse(cli, argc, argv, NULL, pos, 0, &npos);
	if (err != 0)
		return err;
	err = cli_open(cli, &h, &s);
	if (err != 0)
		return err;
	err = trust_contact_each(h, show_contact, cli);
	if (err != 0)
		err = cli_fail(cli, "contacts", err, NULL);
	cli_close(h, s);
	return err;
}
