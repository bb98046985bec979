/* The scriptable face of the client (CONTRACT.md): shared option parsing,
 * passphrase sources, home opening, JSON and message output. Error codes
 * become exit codes and the one-line message in main.c alone. */
#ifndef LIAISON_CLI_H
#define LIAISON_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "client-tui/core/home.h"
#include "client-tui/core/msgstore.h"
#include "client-tui/core/self.h"
#include "protocol/errors.h"

#define CLI_HELP 1                 /* cli_parse: --help was given */
#define CLI_DEFAULT_TIMEOUT 10     /* seconds, CONTRACT.md send --timeout */
#define CLI_MAX_PASSPHRASE 1024

struct cli {
	const char *home_opt;      /* --home */
	const char *passfile_opt;  /* --passphrase-file */
	int json;                  /* --json, before or after the command */
	const char *command;
	const char *what;          /* what failed, for "liaison: WHAT: WHY" */
	char hint[512];            /* what to do about it, when there is something */
	int lock_wait;             /* seconds cli_open waits for the home's lock */
};

struct cli_opt {
	const char *name;          /* "--name" */
	const char **value;        /* set for an option with a value */
	int *flag;                 /* set to 1 for a flag */
};

struct cli_cmd {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *usage;
};

/* Options anywhere among the positionals (CONTRACT.md): "--opt VALUE" or
 * "--opt=VALUE"; "--" ends options; "-" is a positional. --json sets
 * cli->json; --help returns CLI_HELP. More positionals than maxpos, or an
 * unknown option, is LIAISON_ERR_USAGE (with cli->hint set). */
int cli_parse(struct cli *cli, int argc, char **argv, const struct cli_opt *opts,
	      char **pos, int maxpos, int *npos) LIAISON_WUR;

/* Records what failed and, when fmt is not NULL, what to do; returns err. */
int cli_fail(struct cli *cli, const char *what, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The passphrase, from --passphrase-file, $LIAISON_PASSPHRASE_FILE,
 * $LIAISON_PASSPHRASE, else asked on the terminal (twice when confirm is
 * set). *pass is secure memory: free it with cli_passphrase_free. */
int cli_passphrase(struct cli *cli, int confirm, char **pass, size_t *len) LIAISON_WUR;
void cli_passphrase_free(char *pass);

/* Locks the home (before asking the passphrase), unlocks it, loads the
 * account. */
int cli_open(struct cli *cli, struct home **h, struct self **s) LIAISON_WUR;
void cli_close(struct home *h, struct self *s);

/* Reads all of fd 0, refusing more than max bytes; *out is NUL-terminated. */
int cli_read_stdin(size_t max, char **out, size_t *len) LIAISON_WUR;
/* Reads a whole small file the same way. */
int cli_read_file(const char *path, size_t max, char **out, size_t *len) LIAISON_WUR;

/* Prints obj as one compact JSON line on stdout and drops the reference. */
int cli_json_line(json_t *obj) LIAISON_WUR;
/* A JSON string of any bytes (invalid UTF-8 replaced), or json null. */
json_t *cli_json_text(const char *s, size_t len);
/* One message, as JSON (cli->json) or as a line for people. */
int cli_print_message(struct cli *cli, const struct msg_record *m) LIAISON_WUR;

/* Seconds from text ("10", "90s", "2m"), for --timeout and --wait. */
int cli_seconds(struct cli *cli, const char *opt, const char *text, uint64_t *seconds) LIAISON_WUR;

int cmd_enroll(struct cli *cli, int argc, char **argv);
int cmd_whoami(struct cli *cli, int argc, char **argv);
int cmd_invite(struct cli *cli, int argc, char **argv);
int cmd_send(struct cli *cli, int argc, char **argv);
int cmd_sync(struct cli *cli, int argc, char **argv);
int cmd_messages(struct cli *cli, int argc, char **argv);
int cmd_contacts(struct cli *cli, int argc, char **argv);
int cmd_directory(struct cli *cli, int argc, char **argv);
int cmd_verify(struct cli *cli, int argc, char **argv);

#endif
