/* liaison messages: the local history, oldest first, from the encrypted
 * home; no network. */
#include "client-tui/cli/cli.h"

#include "client-tui/core/msgstore.h"
#include "protocol/encoding.h"

int cmd_messages(struct cli *cli, int argc, char **argv)
{
	const char *group = NULL;
	int broadcasts = 0;
	const struct cli_opt opts[] = {
		{ "--group", &group, NULL },
		{ "--broadcasts", NULL, &broadcasts },
		{ NULL, NULL, NULL }
	};
	char *pos[1];
	int npos = 0;
	uint8_t peer[16];
	struct home *h = NULL;
	struct self *s = NULL;
	struct msg_record **list = NULL;
	size_t n = 0, i;
	int err;

	err = cli_parse(cli, argc, argv, opts, pos, 1, &npos);
	if (err != 0)
		return err;
	if (group != NULL || broadcasts)
		return cli_fail(cli, group != NULL ? "messages --group" : "messages --broadcasts",
				LIAISON_ERR_UNSUPPORTED, "not available in this version");
	if (npos == 1 && id_decode(pos[0], peer) != 0)
		return cli_fail(cli, "messages", LIAISON_ERR_USAGE,
				"ACCOUNT is 26 lowercase base32 characters");
	err = cli_open(cli, &h, &s);
	if (err != 0)
		return err;
	err = msgstore_list(h, npos == 1 ? peer : NULL, &list, &n);
	if (err != 0) {
		err = cli_fail(cli, "messages", err, NULL);
		goto out;
	}
	for (i = 0; i < n && err == 0; i++)
		err = cli_print_message(cli, list[i]);
out:
	msgstore_list_free(list, n);
	cli_close(h, s);
	return err;
}
