/* liaison whoami: the own account, authority, role and identity fingerprint,
 * read from the home; no network. */
#include "client-tui/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/encoding.h"
#include "protocol/fingerprint.h"
#include "protocol/layout.h"
#include "protocol/sanitize.h"

int cmd_whoami(struct cli *cli, int argc, char **argv)
{
	char *pos[1];
	int npos = 0;
	struct home *h = NULL;
	struct self *s = NULL;
	char id[ID_CHARS + 1], fp[FP_HEX_CHARS + 1], rootfp[FP_HEX_CHARS + 1];
	const char *role;
	json_t *obj = NULL;
	int err;

	err = cli_parse(cli, argc, argv, NULL, pos, 0, &npos);
	if (err != 0)
		return err;
	err = cli_open(cli, &h, &s);
	if (err != 0)
		return err;
	id_encode(s->account, id);
	role = role_name(s->role) != NULL ? role_name(s->role) : "unknown";
	err = fp_identity(s->identity_pub, fp);
	if (err == 0 && s->has_root_pk)
		err = fp_root(s->root_pk, rootfp);
	if (err != 0)
		goto out;
	if (cli->json) {
		obj = json_object();
		if (obj == NULL || json_object_set_new(obj, "account", json_string(id)) != 0 ||
		    json_object_set_new(obj, "authority", cli_json_text(s->authority, strlen(s->authority))) != 0 ||
		    json_object_set_new(obj, "role", json_string(role)) != 0 ||
		    json_object_set_new(obj, "fingerprint", json_string(fp)) != 0 ||
		    json_object_set_new(obj, "name", cli_json_text(s->name, strlen(s->name))) != 0 ||
		    json_object_set_new(obj, "root_holder", s->root_sk != NULL ? json_true() : json_false()) != 0 ||
		    json_object_set_new(obj, "root_fingerprint",
					s->has_root_pk ? json_string(rootfp) : json_null()) != 0) {
			json_decref(obj);
			err = LIAISON_ERR_NOMEM;
			goto out;
		}
		err = cli_json_line(obj);
		goto out;
	} else {
		char *auth = sanitize_line(s->authority, strlen(s->authority));
		char *name = sanitize_line(s->name, strlen(s->name));

		if (auth == NULL || name == NULL) {
			free(auth);
			free(name);
			err = LIAISON_ERR_NOMEM;
			goto out;
		}
		printf("account %s\nauthority %s\nrole %s\nfingerprint %s\nname %s\n", id, auth, role, fp, name);
		if (s->has_root_pk)
			printf("root-fingerprint %s\n", rootfp);
		free(auth);
		free(name);
		if (fflush(stdout) != 0)
			err = LIAISON_ERR_IO;
	}
out:
	cli_close(h, s);
	return err;
}
