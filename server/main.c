/* liaison-server: the operator's commands of CONTRACT.md (init, run,
 * invite, revoke, status). Errors are one line, "liaison-server: WHAT: WHY",
 * with the exit code from liaison_exit_code; results go to stdout, logs to
 * stderr. Never prints a secret except the bootstrap token it was asked for. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/fingerprint.h"
#include "protocol/log.h"
#include "protocol/timefmt.h"
#include "protocol/wire.h"
#include "server/admin.h"
#include "server/datadir.h"
#include "server/relay.h"
#include "server/store.h"

#define PROG "liaison-server"

static const char usage_main[] =
	"usage: liaison-server COMMAND [OPTIONS]\n"
	"\n"
	"  init   --data DIR [--url wss://HOST:PORT]   make the data directory, key and certificate\n"
	"  run    --data DIR [--listen HOST:PORT] [--expire-after 30d] [--max-per-address 64]   serve\n"
	"  invite --data DIR --authority ID [--country CC] [--name NAME] [--expires 7d]\n"
	"                                              print the bootstrap invite\n"
	"  revoke --data DIR ACCOUNT                   end an account's access at the relay\n"
	"  status --data DIR [--json]                  accounts, queued messages, blobs, directory\n"
	"\n"
	"'liaison-server COMMAND --help' shows a command's options.\n";

static const char usage_init[] =
	"usage: liaison-server init --data DIR [--url wss://HOST:PORT]\n"
	"Makes DIR (0700) with the database, an EC P-256 TLS key and a self-signed\n"
	"certificate for the URL's host (default " DATADIR_DEFAULT_URL "), and prints\n"
	"'fingerprint sha256:HEX', the pin that invites carry. Refuses an initialised DIR.\n";
static const char usage_run[] =
	"usage: liaison-server run --data DIR [--listen HOST:PORT] [--expire-after 30d]\n"
	"                          [--max-per-address N]\n"
	"Serves on HOST:PORT (default 127.0.0.1:7443); prints 'listening HOST:PORT' on\n"
	"stderr once it accepts. Undelivered messages expire after --expire-after.\n"
	"At most --max-per-address connections (default 64) are open from one address.\n"
	"SIGTERM or SIGINT stops it cleanly.\n";
static const char usage_invite[] =
	"usage: liaison-server invite --data DIR --authority ID [--country CC] [--name NAME]\n"
	"                             [--expires 7d]\n"
	"Prints the bootstrap invite token for the first secretariat, only until a\n"
	"bootstrap invite has been redeemed. Works while 'run' is serving.\n";
static const char usage_revoke[] =
	"usage: liaison-server revoke --data DIR ACCOUNT\n"
	"Ends ACCOUNT's access at this relay at once (not its trust: that is\n"
	"'liaison directory revoke'); a running relay closes its open connection.\n";
static const char usage_status[] =
	"usage: liaison-server status --data DIR [--json]\n"
	"Prints accounts, queued messages, blob bytes and directory version.\n";

struct opts {
	const char *data;
	const char *url;
	const char *listen;
	const char *expire_after;
	const char *max_per_address;
	const char *authority;
	const char *country;
	const char *name;
	const char *expires;
	const char *positional;
	int json;
	int help;
};

static int fail(const char *what, const char *why, int err)
{
	fprintf(stderr, PROG ": %s: %s\n", what, why);
	return liaison_exit_code(err);
}

static int usage_error(const char *cmd, const char *why, const char *usage)
{
	fprintf(stderr, PROG ": %s: %s\n%s", cmd, why, usage);
	return 2;
}

/* Options may come before or after the positional argument, as "--x V" or
 * "--x=V". Returns 0, or 2 after printing the usage error. */
static int parse(const char *cmd, int argc, char **argv, const char *allowed, struct opts *o,
		 const char *usage)
{
	static const struct {
		const char *name;
		size_t offset;
	} valued[] = {
		{ "data", offsetof(struct opts, data) },
		{ "url", offsetof(struct opts, url) },
		{ "listen", offsetof(struct opts, listen) },
		{ "expire-after", offsetof(struct opts, expire_after) },
		{ "max-per-address", offsetof(struct opts, max_per_address) },
		{ "authority", offsetof(struct opts, authority) },
		{ "country", offsetof(struct opts, country) },
		{ "name", offsetof(struct opts, name) },
		{ "expires", offsetof(struct opts, expires) },
	};
	char msg[256];
	int i;
	size_t k;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq, *value = NULL;
		size_t nlen;
		int found = 0;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			o->help = 1;
			continue;
		}
		if (strcmp(a, "--json") == 0 && strstr(allowed, " json ") != NULL) {
			o->json = 1;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || strcmp(a, "--") == 0) {
			if (o->positional != NULL || strstr(allowed, " ARG ") == NULL) {
				snprintf(msg, sizeof(msg), "unexpected argument '%.100s'", a);
				return usage_error(cmd, msg, usage);
			}
			o->positional = a;
			continue;
		}
		eq = strchr(a + 2, '=');
		nlen = eq != NULL ? (size_t)(eq - (a + 2)) : strlen(a + 2);
		for (k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
			char key[40];
			if (strlen(valued[k].name) != nlen || strncmp(valued[k].name, a + 2, nlen) != 0)
				continue;
			snprintf(key, sizeof(key), " %s ", valued[k].name);
			if (strstr(allowed, key) == NULL)
				break;
			if (eq != NULL) {
				value = eq + 1;
			} else if (i + 1 < argc) {
				value = argv[++i];
			} else {
				snprintf(msg, sizeof(msg), "%.60s needs a value", a);
				return usage_error(cmd, msg, usage);
			}
			*(const char **)((char *)o + valued[k].offset) = value;
			found = 1;
			break;
		}
		if (!found) {
			snprintf(msg, sizeof(msg), "unknown option '%.100s'", a);
			return usage_error(cmd, msg, usage);
		}
	}
	return 0;
}

static void note_status(void *arg, int status)
{
	*(int *)arg = status;
}

/* Commits what the direct (relay-less) path staged. */
static int commit_now(struct store *st)
{
	int status = LIAISON_ERR_INTERNAL;
	int rc = store_commit(st, note_status, &status);
	if (rc != 0)
		return rc;
	store_flush(st);
	return status;
}

static int open_existing(const char *dir, struct store **st)
{
	char db[4096];
	int rc = datadir_path(dir, DATADIR_DB, db, sizeof(db));
	if (rc != 0)
		return rc;
	if (access(db, F_OK) != 0)
		return LIAISON_ERR_NOT_INITIALISED;
	return store_open(db, 0, st);
}

static int not_initialised(const char *cmd, const char *dir)
{
	fprintf(stderr, PROG ": %s: %s is not initialised: run 'liaison-server init --data %s'\n",
		cmd, dir, dir);
	return liaison_exit_code(LIAISON_ERR_NOT_INITIALISED);
}

/* ---- init ------------------------------------------------------------ */

/* mkdir -p for the parents of dir (made 0700 under our umask). */
static int make_parents(const char *dir)
{
	char path[4096];
	size_t i, n = strlen(dir);
	if (n >= sizeof(path))
		return -1;
	memcpy(path, dir, n + 1);
	for (i = 1; i < n; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -1;
		path[i] = '/';
	}
	return 0;
}

static int cmd_init(const struct opts *o)
{
	const char *url = o->url != NULL ? o->url : DATADIR_DEFAULT_URL;
	char host[DATADIR_MAX_HOST + 1], path[4096], pin_text[FP_PIN_CHARS + 1];
	static const char *const files[] = { DATADIR_DB, DATADIR_KEY, DATADIR_CERT };
	struct store *st = NULL;
	uint8_t pin[32];
	size_t i;
	int port = 0, rc;

	if (datadir_parse_url(url, host, sizeof(host), &port) != 0 || strlen(url) > LAYOUT_MAX_URL)
		return usage_error("init", "--url must be wss://HOST:PORT", usage_init);
	umask(0077);
	if (make_parents(o->data) != 0)
		return fail("init", strerror(errno), LIAISON_ERR_IO);
	if (mkdir(o->data, 0700) != 0) {
		if (errno != EEXIST)
			return fail("init", strerror(errno), LIAISON_ERR_IO);
		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			if (datadir_path(o->data, files[i], path, sizeof(path)) != 0)
				return fail("init", "the data directory's path is too long",
					    LIAISON_ERR_TOO_BIG);
			if (access(path, F_OK) == 0) {
				fprintf(stderr, PROG ": init: %s is already initialised: use it with"
					" 'liaison-server run --data %s', or choose another directory\n",
					o->data, o->data);
				return liaison_exit_code(LIAISON_ERR_EXISTS);
			}
		}
		if (chmod(o->data, 0700) != 0)
			return fail("init", strerror(errno), LIAISON_ERR_IO);
	}
	rc = tls_identity_create(o->data, host, pin);
	if (rc != 0)
		return fail("init", "cannot make the TLS key and certificate", rc);
	/* The database comes last: its presence means "initialised". */
	rc = datadir_path(o->data, DATADIR_DB, path, sizeof(path));
	if (rc == 0)
		rc = store_open(path, 1, &st);
	if (rc == 0)
		rc = store_setting_set(st, DATADIR_SETTING_URL, url);
	if (rc == 0)
		rc = commit_now(st);
	store_close(st);
	if (rc != 0)
		return fail("init", "cannot create the database", rc);
	fp_pin_format(pin, pin_text);
	printf("fingerprint %s\n", pin_text);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- run ------------------------------------------------------------- */

static int cmd_run(const struct opts *o)
{
	struct relay_config cfg;
	struct relay_failure why;
	char host[DATADIR_MAX_HOST + 1] = RELAY_DEFAULT_HOST;
	int port = RELAY_DEFAULT_PORT, rc;
	uint64_t expire = RELAY_DEFAULT_EXPIRE_S;

	if (o->listen != NULL && datadir_parse_listen(o->listen, host, sizeof(host), &port) != 0)
		return usage_error("run", "--listen must be HOST:PORT", usage_run);
	if (o->expire_after != NULL &&
	    (time_parse_duration(o->expire_after, &expire) != 0 || expire == 0))
		return usage_error("run", "--expire-after must be a duration such as 30d, 12h or 90s",
				   usage_run);
	umask(0077);
	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = o->data;
	cfg.listen_host = host;
	cfg.listen_port = port;
	cfg.expire_after_s = expire;
	cfg.max_per_address = RELAY_MAX_CONN_PER_ADDR;
	memset(&why, 0, sizeof(why));
	cfg.failure = &why;
	if (o->max_per_address != NULL) {
		char *end;
		unsigned long n = strtoul(o->max_per_address, &end, 10);
		if (*o->max_per_address == '\0' || *end != '\0' || n < 1 || n > 65536)
			return usage_error("run", "--max-per-address must be a number from 1 to 65536",
					   usage_run);
		cfg.max_per_address = (unsigned int)n;
	}
	log_set_level(LOG_INFO);
	rc = relay_run(&cfg);
	if (rc != 0 && why.dir_code != 0) {
		/* The relay's own database: a record that does not verify means
		 * the file was damaged or altered. Never serve it. */
		fprintf(stderr, PROG ": run: the stored directory does not verify (%s at version %llu:"
			" %s): restore the database from a backup\n", why.what,
			(unsigned long long)why.dir_version, liaison_strerror(why.dir_code));
		return 1;
	}
	switch (rc) {
	case 0:
		return 0;
	case LIAISON_ERR_NOT_INITIALISED:
		return not_initialised("run", o->data);
	case LIAISON_ERR_LOCKED:
		return fail("run", "another relay is already serving this data directory", rc);
	case LIAISON_ERR_NETWORK:
		return fail("run", "cannot listen on that address (in use, or not an address of"
			    " this machine): choose another with --listen", rc);
	default:
		return fail("run", liaison_strerror(rc), rc);
	}
}

/* ---- invite ---------------------------------------------------------- */

static int invite_direct(const char *dir, const struct admin_invite_args *a, char **token)
{
	struct store *st = NULL;
	char url[LAYOUT_MAX_URL + 1], cert[4096];
	uint8_t pin[32];
	int rc = open_existing(dir, &st);
	if (rc == 0)
		rc = store_setting_get(st, DATADIR_SETTING_URL, url, sizeof(url));
	if (rc == 0)
		rc = datadir_path(dir, DATADIR_CERT, cert, sizeof(cert));
	if (rc == 0)
		rc = tls_cert_pin(cert, pin);
	if (rc == 0)
		rc = admin_invite_make(st, url, pin, a, time_now_ms(), token);
	if (rc == 0) {
		rc = commit_now(st);
		if (rc != 0) {
			lc_wipe(*token, strlen(*token));
			free(*token);
			*token = NULL;
		}
	}
	store_close(st);
	return rc;
}

static int cmd_invite(const struct opts *o)
{
	struct admin_invite_args a;
	Liaison__AdminRequest req = LIAISON__ADMIN_REQUEST__INIT;
	Liaison__AdminInvite ai = LIAISON__ADMIN_INVITE__INIT;
	Liaison__AdminReply *reply = NULL;
	uint64_t expires = 7 * 24 * 3600;
	const char *what = NULL;
	char *token = NULL, msg[128];
	int rc;

	if (o->authority == NULL)
		return usage_error("invite", "--authority ID is required", usage_invite);
	if (o->expires != NULL && time_parse_duration(o->expires, &expires) != 0)
		return usage_error("invite", "--expires must be a duration such as 7d or 12h",
				   usage_invite);
	a.authority = o->authority;
	a.country = o->country != NULL ? o->country : "";
	a.name = o->name != NULL ? o->name : "";
	a.expires_in_s = expires;
	if (admin_invite_check(&a, &what) != 0) {
		snprintf(msg, sizeof(msg), "%s is not valid (see --help)", what);
		return usage_error("invite", msg, usage_invite);
	}
	ai.authority = (char *)a.authority;
	ai.country = (char *)a.country;
	ai.name = (char *)a.name;
	ai.expires_in = expires;
	req.op_case = LIAISON__ADMIN_REQUEST__OP_INVITE;
	req.invite = &ai;
	rc = admin_call(o->data, &req, &reply);
	if (rc == 0) {
		rc = reply->code != 0 ? -(int)reply->code : 0;
		if (rc == 0 && reply->token != NULL && reply->token[0] != '\0') {
			token = strdup(reply->token);
			if (token == NULL)
				rc = LIAISON_ERR_NOMEM;
		} else if (rc == 0) {
			rc = LIAISON_ERR_PROTOCOL;
		}
		lc_wipe(reply->token, strlen(reply->token));
		wire_admin_reply_free(reply);
	} else if (rc == LIAISON_ERR_NOT_FOUND) {
		rc = invite_direct(o->data, &a, &token);
	}
	if (rc == LIAISON_ERR_USED)
		return fail("invite", "the bootstrap invite was already redeemed: use 'liaison invite"
			    " --role secretariat'", rc);
	if (rc == LIAISON_ERR_NOT_INITIALISED)
		return not_initialised("invite", o->data);
	if (rc != 0)
		return fail("invite", liaison_strerror(rc), rc);
	printf("%s\n", token);
	rc = fflush(stdout) == 0 ? 0 : 1;
	lc_wipe(token, strlen(token));
	free(token);
	return rc;
}

/* ---- revoke ---------------------------------------------------------- */

static int cmd_revoke(const struct opts *o)
{
	Liaison__AdminRequest req = LIAISON__ADMIN_REQUEST__INIT;
	Liaison__AdminRevoke ar = LIAISON__ADMIN_REVOKE__INIT;
	Liaison__AdminReply *reply = NULL;
	struct store *st = NULL;
	uint8_t account[ID_BYTES];
	int rc, closed = 0;

	if (o->positional == NULL)
		return usage_error("revoke", "ACCOUNT is required", usage_revoke);
	if (id_decode(o->positional, account) != 0)
		return usage_error("revoke", "ACCOUNT must be 26 lowercase base32 characters",
				   usage_revoke);
	ar.account.data = account;
	ar.account.len = sizeof(account);
	req.op_case = LIAISON__ADMIN_REQUEST__OP_REVOKE;
	req.revoke = &ar;
	rc = admin_call(o->data, &req, &reply);
	if (rc == 0) {
		rc = reply->code != 0 ? -(int)reply->code : 0;
		closed = reply->closed_connection;
		wire_admin_reply_free(reply);
	} else if (rc == LIAISON_ERR_NOT_FOUND) {
		rc = open_existing(o->data, &st);
		if (rc == 0)
			rc = store_account_revoke(st, account);
		if (rc == 0)
			rc = commit_now(st);
		store_close(st);
		if (rc == LIAISON_ERR_NOT_INITIALISED)
			return not_initialised("revoke", o->data);
		if (rc == LIAISON_ERR_NOT_FOUND)
			return fail("revoke", "no such account at this relay", rc);
	}
	if (rc == LIAISON_ERR_NOT_FOUND)
		return fail("revoke", "no such account at this relay", rc);
	if (rc != 0)
		return fail("revoke", liaison_strerror(rc), rc);
	printf("revoked %s%s\n", o->positional, closed ? " (its open connection was closed)" : "");
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- status ---------------------------------------------------------- */

static int cmd_status(const struct opts *o)
{
	Liaison__AdminRequest req = LIAISON__ADMIN_REQUEST__INIT;
	Liaison__AdminStatus as = LIAISON__ADMIN_STATUS__INIT;
	Liaison__AdminReply *reply = NULL;
	struct admin_status s;
	struct store *st = NULL;
	int rc;

	memset(&s, 0, sizeof(s));
	req.op_case = LIAISON__ADMIN_REQUEST__OP_STATUS;
	req.status = &as;
	rc = admin_call(o->data, &req, &reply);
	if (rc == 0) {
		rc = reply->code != 0 ? -(int)reply->code : 0;
		s.accounts = reply->accounts;
		s.queued = reply->queued;
		s.blob_bytes = reply->blob_bytes;
		s.directory_version = reply->directory_version;
		wire_admin_reply_free(reply);
	} else if (rc == LIAISON_ERR_NOT_FOUND) {
		rc = open_existing(o->data, &st);
		if (rc == 0)
			rc = admin_status_read(st, &s);
		store_close(st);
	}
	if (rc == LIAISON_ERR_NOT_INITIALISED)
		return not_initialised("status", o->data);
	if (rc != 0)
		return fail("status", liaison_strerror(rc), rc);
	if (o->json) {
		json_t *obj = json_pack("{s:I,s:I,s:I,s:I}", "accounts", (json_int_t)s.accounts,
					"queued", (json_int_t)s.queued, "blob_bytes",
					(json_int_t)s.blob_bytes, "directory_version",
					(json_int_t)s.directory_version);
		char *text = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
		json_decref(obj);
		if (text == NULL)
			return fail("status", liaison_strerror(LIAISON_ERR_NOMEM), LIAISON_ERR_NOMEM);
		printf("%s\n", text);
		free(text);
	} else {
		printf("accounts %llu\nqueued %llu\nblob-bytes %llu\ndirectory-version %llu\n",
		       (unsigned long long)s.accounts, (unsigned long long)s.queued,
		       (unsigned long long)s.blob_bytes, (unsigned long long)s.directory_version);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- dispatch -------------------------------------------------------- */

struct command {
	const char *name;
	const char *allowed;		/* " data url ARG json ... " */
	const char *usage;
	int (*run)(const struct opts *o);
};

static const struct command commands[] = {
	{ "init", " data url ", usage_init, cmd_init },
	{ "run", " data listen expire-after max-per-address ", usage_run, cmd_run },
	{ "invite", " data authority country name expires ", usage_invite, cmd_invite },
	{ "revoke", " data ARG ", usage_revoke, cmd_revoke },
	{ "status", " data json ", usage_status, cmd_status },
};

int main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	struct opts o;
	size_t i;
	int rc;

	if (argc < 2) {
		fputs(usage_main, stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fprintf(stderr, PROG ": %.60s: unknown command\n%s", argv[1], usage_main);
		return 2;
	}
	memset(&o, 0, sizeof(o));
	rc = parse(cmd->name, argc - 2, argv + 2, cmd->allowed, &o, cmd->usage);
	if (rc != 0)
		return rc;
	if (o.help) {
		fputs(cmd->usage, stdout);
		return 0;
	}
	if (o.data == NULL || o.data[0] == '\0')
		return usage_error(cmd->name, "--data DIR is required", cmd->usage);
	if (lc_init() != 0)
		return fail(cmd->name, "cannot initialise libsodium", LIAISON_ERR_CRYPTO);
	return cmd->run(&o);
}
