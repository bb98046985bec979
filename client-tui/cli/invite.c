/* liaison invite: a secretariat mints one invite, registers it with the
 * relay and prints the token alone on stdout. The core decides who may
 * mint what (DENIED, exit 3). */
#include "client-tui/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client-tui/core/core.h"
#include "protocol/crypto.h"
#include "protocol/layout.h"
#include "protocol/timefmt.h"

int cmd_invite(struct cli *cli, int argc, char **argv)
{
	const char *authority = NULL, *role_text = "member", *expires = "7d";
	const char *timeout = NULL;
	const struct cli_opt opts[] = {
		{ "--authority", &authority, NULL },
		{ "--role", &role_text, NULL },
		{ "--expires", &expires, NULL },
		{ "--timeout", &timeout, NULL },
		{ NULL, NULL, NULL }
	};
	char *pos[1];
	int npos = 0, role;
	struct home *h = NULL;
	struct self *s = NULL;
	uint64_t lifetime, wait = CLI_DEFAULT_TIMEOUT;
	char *token = NULL;
	int err;

	err = cli_parse(cli, argc, argv, opts, pos, 0, &npos);
	if (err != 0)
		return err;
	if (authority == NULL || authority[0] == '\0' || strlen(authority) > LAYOUT_MAX_AUTHORITY)
		return cli_fail(cli, "invite", LIAISON_ERR_USAGE,
				"--authority ID is required (at most %d bytes)", LAYOUT_MAX_AUTHORITY);
	if (role_parse(role_text, &role) != 0)
		return cli_fail(cli, "invite", LIAISON_ERR_USAGE, "--role is member or secretariat");
	if ((err = cli_seconds(cli, "--expires", expires, &lifetime)) != 0)
		return err;
	if (lifetime == 0)
		return cli_fail(cli, "invite", LIAISON_ERR_USAGE, "--expires must be in the future");
	if (timeout != NULL && (err = cli_seconds(cli, "--timeout", timeout, &wait)) != 0)
		return err;
	err = cli_open(cli, &h, &s);
	if (err != 0)
		return err;
	/* The invite takes the authority's country and name from the
	 * directory's entry for it. */
	err = core_invite_mint(h, s, role, authority,
			       time_now_ms() + lifetime * 1000, time_now_ms() + wait * 1000, &token);
	if (err == LIAISON_ERR_NOT_FOUND) {
		err = cli_fail(cli, "invite", err,
			       "the directory does not list authority %s; add it first with "
			       "liaison directory add-authority", authority);
		goto out;
	}
	if (err == LIAISON_ERR_DENIED) {
		err = cli_fail(cli, "invite", err, role == ROLE_SECRETARIAT ?
			       "only the root holder grants the secretariat role" :
			       "only a secretariat with a certified signing key mints invites");
		goto out;
	}
	if (err != 0) {
		err = cli_fail(cli, "invite", err, NULL);
		goto out;
	}
	if (puts(token) == EOF || fflush(stdout) != 0)
		err = LIAISON_ERR_IO;
out:
	if (token != NULL) {
		lc_wipe(token, strlen(token));
		free(token);
	}
	cli_close(h, s);
	return err;
}
