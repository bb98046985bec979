/* liaison send: encrypts the text once into the outbox (with its session, in
 * one transaction) once the directory verified, and waits until the relay
 * has it on disk. When the relay cannot be reached in time the message is
 * queued for the next send or sync; a send refused for the directory or a
 * key (exit 3 or 4) leaves nothing queued. */
#include "client-tui/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client-tui/core/core.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/timefmt.h"
#include "protocol/wire.h"

struct send_run {
	uint8_t message_id[16];
	int sent;
	volatile int done;
};

static void send_sent(struct core *c, const uint8_t id[16], void *arg)
{
	struct send_run *r = arg;

	(void)c;
	if (memcmp(id, r->message_id, 16) == 0)
		r->sent = 1;
}

static void send_progress(struct core *c, void *arg)
{
	struct send_run *r = arg;

	/* Done once our message is on the relay's disk and every other
	 * queued message sent with it has its answer. */
	if (r->sent && core_quiet(c))
		r->done = 1;
}

int cmd_send(struct cli *cli, int argc, char **argv)
{
	const char *timeout = NULL;
	const struct cli_opt opts[] = {
		{ "--timeout", &timeout, NULL },
		{ NULL, NULL, NULL }
	};
	const struct core_handlers hd = { NULL, send_progress, NULL, send_sent };
	struct send_run run;
	char *pos[2];
	int npos = 0;
	uint8_t to[16];
	uint64_t wait = CLI_DEFAULT_TIMEOUT;
	struct home *h = NULL;
	struct self *s = NULL;
	struct core *c = NULL;
	char *text = NULL, id[ID_CHARS + 1];
	size_t len = 0;
	int err;

	memset(&run, 0, sizeof run);
	err = cli_parse(cli, argc, argv, opts, pos, 2, &npos);
	if (err != 0)
		return err;
	if (npos != 2)
		return cli_fail(cli, "send", LIAISON_ERR_USAGE, "give ACCOUNT and TEXT (or - for stdin)");
	if (id_decode(pos[0], to) != 0)
		return cli_fail(cli, "send", LIAISON_ERR_USAGE,
				"ACCOUNT is 26 lowercase base32 characters");
	if (timeout != NULL && (err = cli_seconds(cli, "--timeout", timeout, &wait)) != 0)
		return err;
	if (strcmp(pos[1], "-") == 0) {
		err = cli_read_stdin(WIRE_MAX_TEXT + 1, &text, &len);
		if (err == 0 && len > 0 && text[len - 1] == '\n')
			text[--len] = '\0';
		if (err == 0 && len > WIRE_MAX_TEXT)
			err = LIAISON_ERR_TOO_BIG;
		if (err != 0)
			return cli_fail(cli, "message", err, "a message holds at most %d bytes", WIRE_MAX_TEXT);
	} else {
		len = strlen(pos[1]);
		if (len > WIRE_MAX_TEXT)
			return cli_fail(cli, "message", LIAISON_ERR_TOO_BIG,
					"a message holds at most %d bytes", WIRE_MAX_TEXT);
		text = strdup(pos[1]);
		if (text == NULL)
			return LIAISON_ERR_NOMEM;
	}
	err = cli_open(cli, &h, &s);
	if (err != 0)
		goto out;
	err = core_open(h, s, &c);
	if (err != 0)
		goto out;
	core_set_handlers(c, &hd, &run);
	err = core_send_text(c, to, text, len, run.message_id);
	if (err != 0)
		goto fail;
	err = core_start(c, 1);
	if (err != 0)
		goto fail;
	err = core_run(c, &run.done, time_now_ms() + wait * 1000);
	if (err != 0)
		goto fail;
	id_encode(run.message_id, id);
	printf("message %s\n", id);
	if (fflush(stdout) != 0)
		err = LIAISON_ERR_IO;
	goto out;
fail:
	if ((err == LIAISON_ERR_NETWORK || err == LIAISON_ERR_TIMEOUT) && c != NULL) {
		int qerr = core_send_queue_offline(c);

		if (qerr != 0)
			err = qerr;
	}
	if (err == LIAISON_ERR_NETWORK || err == LIAISON_ERR_TIMEOUT)
		err = cli_fail(cli, "send", err, core_send_queued(c) ?
			       "the message is queued and goes with the next send or sync" :
			       "nothing was sent; try again when the relay can be reached");
	else if (err == LIAISON_ERR_UNKNOWN_PEER)
		err = cli_fail(cli, "send", err, "check the account id");
	else if (err == LIAISON_ERR_IDENTITY)
		err = cli_fail(cli, "send", err, "the recipient's key is not the trusted one; nothing was sent");
	else
		err = cli_fail(cli, "send", err, NULL);
out:
	core_free(c);
	cli_close(h, s);
	if (text != NULL) {
		lc_wipe(text, len);
		free(text);
	}
	return err;
}
