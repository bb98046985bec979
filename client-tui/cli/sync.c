/* liaison sync: fetches everything pending, stores each message (state,
 * message and seen-marker in one transaction) before acknowledging it, and
 * prints each new one; with --wait, first waits for at least one. */
#include "client-tui/cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "client-tui/core/core.h"
#include "protocol/timefmt.h"

struct sync_run {
	struct cli *cli;
	uint64_t wait_until;        /* 0 without --wait */
	int print_err;
	volatile int done;
};

static void sync_ready(struct core *c, void *arg)
{
	int err = core_fetch(c);

	(void)arg;
	if (err != 0)
		core_fail(c, err);
}

static void sync_message(struct core *c, const struct msg_record *m, void *arg)
{
	struct sync_run *r = arg;
	int err = cli_print_message(r->cli, m);

	if (err != 0 && r->print_err == 0) {
		r->print_err = err;
		core_fail(c, err);
	}
}

static void sync_progress(struct core *c, void *arg)
{
	struct sync_run *r = arg;

	if (!core_ready(c) || !core_drained(c) || !core_quiet(c))
		return;
	if (r->wait_until != 0 && core_new_messages(c) == 0 && time_now_ms() < r->wait_until)
		return;
	r->done = 1;
}

int cmd_sync(struct cli *cli, int argc, char **argv)
{
	const char *wait_text = NULL, *timeout = NULL;
	const struct cli_opt opts[] = {
		{ "--wait", &wait_text, NULL },
		{ "--timeout", &timeout, NULL },
		{ NULL, NULL, NULL }
	};
	const struct core_handlers hd = { sync_ready, sync_progress, sync_message, NULL };
	struct sync_run run;
	char *pos[1];
	int npos = 0;
	uint64_t wait = 0, net = CLI_DEFAULT_TIMEOUT, now;
	struct home *h = NULL;
	struct self *s = NULL;
	struct core *c = NULL;
	int err;

	memset(&run, 0, sizeof run);
	run.cli = cli;
	err = cli_parse(cli, argc, argv, opts, pos, 0, &npos);
	if (err != 0)
		return err;
	if (wait_text != NULL && (err = cli_seconds(cli, "--wait", wait_text, &wait)) != 0)
		return err;
	if (timeout != NULL && (err = cli_seconds(cli, "--timeout", timeout, &net)) != 0)
		return err;
	err = cli_open(cli, &h, &s);
	if (err != 0)
		return err;
	err = core_open(h, s, &c);
	if (err != 0)
		goto fail;
	core_set_handlers(c, &hd, &run);
	now = time_now_ms();
	if (wait > 0) {
		run.wait_until = now + wait * 1000;
		core_wake_at(c, run.wait_until);
	}
	err = core_start(c, 1);
	if (err != 0)
		goto fail;
	err = core_run(c, &run.done, now + (wait + net) * 1000);
	if (err == 0)
		goto out;
fail:
	if (err == LIAISON_ERR_NETWORK)
		err = cli_fail(cli, "sync", err, "check that the relay is running and reachable");
	else
		err = cli_fail(cli, "sync", err, NULL);
out:
	core_free(c);
	cli_close(h, s);
	return err;
}
