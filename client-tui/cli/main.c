/* bin/liaison: global options, the command table, and the one place where an
 * error code becomes CONTRACT.md's exit code and its one line on stderr
 * ("liaison: WHAT: WHY"). The relay's own error text is never printed: only
 * our words for its code. */
#include "client-tui/cli/cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "protocol/crypto.h"


static const struct cli_cmd commands[] = {
	{ "enroll", cmd_enroll,
	  "usage: liaison enroll TOKEN|-|--token-file FILE --name NAME [--title TITLE]\n"
	  "                      [--root-fingerprint HEX] [--kdf interactive|moderate|sensitive]\n"
	  "  Makes the home, the identity and prekeys, and registers with the invite.\n"
	  "  TOKEN - reads the token from stdin; prefer --token-file or stdin to an argument.\n" },
	{ "whoami", cmd_whoami,
	  "usage: liaison whoami [--json]\n"
	  "  Account, authority, role and own identity fingerprint.\n" },
	{ "invite", cmd_invite,
	  "usage: liaison invite --authority ID [--role member|secretariat] [--expires 7d]\n"
	  "                      [--timeout SECONDS]\n"
	  "  Secretariat only (role secretariat: the root holder only). Prints one token.\n" },
	{ "send", cmd_send,
	  "usage: liaison send ACCOUNT TEXT|- [--timeout SECONDS]\n"
	  "  Exits 0 once the relay has the message on disk and prints `message ID`.\n"
	  "  When the relay cannot be reached in time (default 10 s) the message stays\n"
	  "  queued and goes with the next send or sync (exit 1). A send refused for the\n"
	  "  recipient or the directory (exit 3 or 4) leaves nothing queued.\n" },
	{ "sync", cmd_sync,
	  "usage: liaison sync [--wait SECONDS] [--json] [--timeout SECONDS]\n"
	  "  Fetches, stores and acknowledges everything pending; prints each new message.\n" },
	{ "messages", cmd_messages,
	  "usage: liaison messages [ACCOUNT] [--json]\n"
	  "  Local history, oldest first.\n" },
	{ "contacts", cmd_contacts,
	  "usage: liaison contacts [--json]\n"
	  "  Known contacts, with verification state.\n" },
	{ "directory", cmd_directory,
	  "usage: liaison directory list [--country CC] [--type TYPE] [--json]\n"
	  "       liaison directory search QUERY [--json]\n"
	  "       liaison directory show AUTHORITY [--json]\n"
	  "       liaison directory add-authority ID --country CC --name NAME --type TYPE\n"
	  "                                       [--languages L] [--notes N]\n"
	  "       liaison directory pending [--json]\n"
	  "       liaison directory approve ACCOUNT... [--fingerprint HEX]\n"
	  "       liaison directory revoke ACCOUNT\n"
	  "       liaison directory refresh\n"
	  "       liaison directory certify ACCOUNT\n"
	  "  list, search and show read the last verified directory offline; the others\n"
	  "  are for secretariats (approve and revoke of a secretariat, and certify: the\n"
	  "  root holder). refresh re-signs the head (for cron).\n" },
	{ "verify", cmd_verify,
	  "usage: liaison verify ACCOUNT [--qr-png FILE | --scan FILE | --number DIGITS] [--json]\n"
	  "  Prints the safety number of you and ACCOUNT and draws its QR code; --qr-png writes\n"
	  "  the code as a PNG; --scan reads the contact's code from a PNG or JPEG, --number\n"
	  "  takes the 60 digits they read out: on a match the contact's key is marked verified.\n" },
	{ NULL, NULL, NULL }
};

static const char *const later[] = {
	"tui", "totp", "login", "send-file", "get-file", "evidence", "group", "broadcast", NULL
};

static void usage(FILE *fp)
{
	const struct cli_cmd *c;

	fputs("usage: liaison [--home DIR] [--passphrase-file FILE] [--json] COMMAND [ARGS]\n"
	      "\n"
	      "Home: --home DIR, else $LIAISON_HOME, else ~/.local/share/liaison.\n"
	      "Passphrase: --passphrase-file FILE, else $LIAISON_PASSPHRASE_FILE, else\n"
	      "$LIAISON_PASSPHRASE, else asked on the terminal.\n"
	      "\n"
	      "Commands:\n", fp);
	for (c = commands; c->name != NULL; c++)
		fprintf(fp, "  %s\n", c->name);
	fputs("\n`liaison COMMAND --help` describes each.\n", fp);
}

/* The one place where an error becomes an exit code and a line. */
static int report(const struct cli *cli, int err)
{
	int code = liaison_exit_code(err);
	const char *hint = NULL;

	if (err == 0)
		return 0;
	if (err == LIAISON_ERR_FORK && cli->hint[0] == '\0')
		hint = "this home stays halted, both heads kept as evidence, until the secretariat "
		       "resolves the fork and re-enrolls this account";
	if (hint != NULL)
		fprintf(stderr, "liaison: %s: %s; %s\n", cli->what, liaison_strerror(err), hint);
	else if (cli->hint[0] != '\0')
		fprintf(stderr, "liaison: %s: %s; %s\n", cli->what, liaison_strerror(err), cli->hint);
	else
		fprintf(stderr, "liaison: %s: %s\n", cli->what, liaison_strerror(err));
	return code == 0 ? 1 : code;
}

static void harden(void)
{
	struct rlimit no_core = { 0, 0 };

	/* Keys live in this process's memory: no core files. */
	(void)setrlimit(RLIMIT_CORE, &no_core);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	(void)signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	struct cli cli;
	const struct cli_cmd *c;
	const char *const *l;
	int i, err;

	memset(&cli, 0, sizeof cli);
	harden();
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--json") == 0) {
			cli.json = 1;
		} else if (strcmp(a, "--home") == 0 || strcmp(a, "--passphrase-file") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "liaison: %s: needs a value\n", a);
				return 2;
			}
			if (strcmp(a, "--home") == 0)
				cli.home_opt = argv[++i];
			else
				cli.passfile_opt = argv[++i];
		} else if (strncmp(a, "--home=", 7) == 0) {
			cli.home_opt = a + 7;
		} else if (strncmp(a, "--passphrase-file=", 18) == 0) {
			cli.passfile_opt = a + 18;
		} else if (a[0] == '-') {
			fprintf(stderr, "liaison: %s: unknown option; see liaison --help\n", a);
			return 2;
		} else {
			break;
		}
	}
	if (i >= argc) {
		/* The default command, the terminal interface, comes later. */
		fputs("liaison: tui: not available in this version\n", stderr);
		return 1;
	}
	cli.command = argv[i];
	cli.what = argv[i];
	for (c = commands; c->name != NULL; c++) {
		if (strcmp(c->name, argv[i]) == 0)
			break;
	}
	if (c->name == NULL) {
		for (l = later; *l != NULL; l++) {
			if (strcmp(*l, argv[i]) == 0) {
				fprintf(stderr, "liaison: %s: not available in this version\n", *l);
				return 1;
			}
		}
		fprintf(stderr, "liaison: %.64s: unknown command; see liaison --help\n", argv[i]);
		return 2;
	}
	if (lc_init() != 0) {
		fputs("liaison: init: the crypto library failed to start\n", stderr);
		return 1;
	}
	err = c->run(&cli, argc - i - 1, argv + i + 1);
	if (err == CLI_HELP) {
		fputs(c->usage, stdout);
		return 0;
	}
	if (err == LIAISON_ERR_USAGE && cli.hint[0] == '\0')
		snprintf(cli.hint, sizeof cli.hint, "see liaison %s --help", c->name);
	return report(&cli, err);
}
