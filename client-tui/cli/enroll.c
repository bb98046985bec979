/* liaison enroll: checks the invite (root -> certificate -> signature) before
 * anything else and shows the root fingerprint, then locks the home, asks
 * the passphrase, and lets the core make and register the account. */
#include "client-tui/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client-tui/core/core.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/fingerprint.h"
#include "protocol/invite.h"
#include "protocol/timefmt.h"
#include "directory/directory.h"

#define ENROLL_TIMEOUT_MS (30 * 1000)

static int read_token(struct cli *cli, const char *arg, const char *file, char **tok, size_t *len)
{
	int err;

	if ((arg != NULL) == (file != NULL))
		return cli_fail(cli, "enroll", LIAISON_ERR_USAGE,
				"give the invite token once: TOKEN, - (stdin) or --token-file FILE");
	if (file != NULL) {
		err = cli_read_file(file, INVITE_MAX_TOKEN, tok, len);
		return err != 0 ? cli_fail(cli, "token file", err, NULL) : 0;
	}
	if (strcmp(arg, "-") == 0) {
		err = cli_read_stdin(INVITE_MAX_TOKEN, tok, len);
		return err != 0 ? cli_fail(cli, "token", err, NULL) : 0;
	}
	*len = strlen(arg);
	*tok = strdup(arg);
	return *tok != NULL ? 0 : LIAISON_ERR_NOMEM;
}

/* Root fingerprint shown, and compared when the user gave one. */
static int check_root(struct cli *cli, const struct invite *inv, const char *given)
{
	char fp[FP_HEX_CHARS + 1];
	uint8_t want[32], have[32];
	int err;

	err = fp_root(inv->root_pk, fp);
	if (err != 0)
		return err;
	printf("root-fingerprint %s\n", fp);
	if (given == NULL) {
		printf("compare this root fingerprint with the one your secretariat circulated "
		       "through official channels (or enroll with --root-fingerprint HEX)\n");
		fflush(stdout);
		return 0;
	}
	fflush(stdout);
	if (hex_decode_loose(given, want, sizeof want) != 0)
		return cli_fail(cli, "root fingerprint", LIAISON_ERR_USAGE,
				"give the 64 hex digits of the circulated root fingerprint");
	err = lc_sha256(inv->root_pk, 32, have);
	if (err != 0)
		return err;
	if (!lc_equal(want, have, 32))
		return cli_fail(cli, "root fingerprint", LIAISON_ERR_FINGERPRINT,
				"this invite is not from your network's root; do not enroll with it, "
				"and tell your secretariat");
	return 0;
}

int cmd_enroll(struct cli *cli, int argc, char **argv)
{
	const char *token_file = NULL, *name = NULL, *title = NULL, *rootfp = NULL;
	const char *kdf = "moderate", *head_lifetime = NULL, *snapshot_every = NULL;
	const struct cli_opt opts[] = {
		{ "--token-file", &token_file, NULL },
		{ "--name", &name, NULL },
		{ "--title", &title, NULL },
		{ "--root-fingerprint", &rootfp, NULL },
		{ "--kdf", &kdf, NULL },
		{ "--head-lifetime", &head_lifetime, NULL },
		{ "--snapshot-every", &snapshot_every, NULL },
		{ NULL, NULL, NULL }
	};
	char *pos[1];
	int npos = 0;
	struct invite inv;
	struct home *h = NULL;
	struct self *s = NULL, *old = NULL;
	enum lc_kdf_level level;
	char *tok = NULL, *path = NULL, *pass = NULL;
	size_t toklen = 0, passlen = 0;
	char id[ID_CHARS + 1], fp[FP_HEX_CHARS + 1];
	uint64_t secs = 0, every = 0;
	int err;

	memset(&inv, 0, sizeof inv);
	err = cli_parse(cli, argc, argv, opts, pos, 1, &npos);
	if (err != 0)
		goto out;
	if (name == NULL || name[0] == '\0') {
		err = cli_fail(cli, "enroll", LIAISON_ERR_USAGE, "--name NAME is required");
		goto out;
	}
	if (lc_kdf_level_parse(kdf, &level) != 0) {
		err = cli_fail(cli, "enroll", LIAISON_ERR_USAGE,
			       "--kdf is interactive, moderate or sensitive");
		goto out;
	}
	if (head_lifetime != NULL && (err = cli_seconds(cli, "--head-lifetime", head_lifetime, &secs)) != 0)
		goto out;
	if (head_lifetime != NULL && (secs == 0 || secs > DIR_MAX_HEAD_LIFETIME_S)) {
		err = cli_fail(cli, "enroll", LIAISON_ERR_USAGE,
			       "--head-lifetime is between 1s and 366d");
		goto out;
	}
	if (snapshot_every != NULL) {
		char *end = NULL;

		every = strtoull(snapshot_every, &end, 10);
		if (snapshot_every[0] < '0' || snapshot_every[0] > '9' || end == NULL ||
		    *end != '\0' || every == 0 || every > DIR_MAX_SNAPSHOT_EVERY) {
			err = cli_fail(cli, "enroll", LIAISON_ERR_USAGE,
				       "--snapshot-every wants a number from 1 to %u",
				       DIR_MAX_SNAPSHOT_EVERY);
			goto out;
		}
	}
	err = read_token(cli, npos > 0 ? pos[0] : NULL, token_file, &tok, &toklen);
	if (err != 0)
		goto out;

	/* The invite is checked before anything else. */
	err = invite_decode(tok, toklen, &inv);
	if (err != 0) {
		/* Whatever is wrong with the text, it is a bad invite (exit 3). */
		if (err != LIAISON_ERR_NOMEM)
			err = LIAISON_ERR_CHECKSUM;
		err = cli_fail(cli, "invite", err, "copy the whole token again");
		goto out;
	}
	err = invite_verify(&inv, time_now_ms());
	if (err != 0) {
		err = cli_fail(cli, "invite", err, err == LIAISON_ERR_EXPIRED ?
			       "ask your secretariat for a new invite" :
			       "this invite was not issued by your network; do not use it");
		goto out;
	}
	if (inv.kind == INVITE_MINTED) {
		err = check_root(cli, &inv, rootfp);
		if (err != 0)
			goto out;
	} else if (rootfp != NULL) {
		err = cli_fail(cli, "root fingerprint", LIAISON_ERR_USAGE,
			       "a bootstrap invite has no root yet: this enrollment makes it");
		goto out;
	}
	if (inv.kind != INVITE_BOOTSTRAP && (head_lifetime != NULL || snapshot_every != NULL)) {
		err = cli_fail(cli, "enroll", LIAISON_ERR_USAGE,
			       "--head-lifetime and --snapshot-every are set by the bootstrap enrollment only");
		goto out;
	}

	/* The lock comes before the passphrase. */
	path = home_resolve_path(cli->home_opt);
	if (path == NULL) {
		err = cli_fail(cli, "home", LIAISON_ERR_NOT_INITIALISED, "give --home DIR");
		goto out;
	}
	err = home_lock(path, 1, 0, &h);
	if (err != 0) {
		err = cli_fail(cli, "home", err, err == LIAISON_ERR_LOCKED ?
			       "another liaison process is using this home; wait for it" : NULL);
		goto out;
	}
	if (home_exists(h)) {
		/* A home from an enrollment that did not finish is reused; one
		 * with an account is refused. */
		err = cli_passphrase(cli, 0, &pass, &passlen);
		if (err != 0)
			goto out;
		err = home_unlock(h, pass, passlen);
		if (err != 0) {
			err = cli_fail(cli, "home", err, "this home already exists; use another --home");
			goto out;
		}
		err = self_load(h, &old);
		if (err == 0) {
			id_encode(old->account, id);
			err = cli_fail(cli, "home", LIAISON_ERR_EXISTS,
				       "%s already holds account %s; use another --home", path, id);
			goto out;
		}
		if (err != LIAISON_ERR_NOT_FOUND) {
			err = cli_fail(cli, "home", err, NULL);
			goto out;
		}
	} else {
		err = cli_passphrase(cli, 1, &pass, &passlen);
		if (err != 0)
			goto out;
		err = home_create(h, pass, passlen, level);
		if (err != 0) {
			err = cli_fail(cli, "home", err, NULL);
			goto out;
		}
	}
	cli_passphrase_free(pass);
	pass = NULL;

	err = core_enroll(h, &inv, name, title, secs, (uint32_t)every,
			  time_now_ms() + ENROLL_TIMEOUT_MS, &s);
	if (err != 0) {
		err = cli_fail(cli, "enroll", err, err == LIAISON_ERR_NETWORK ?
			       "check that the relay in the invite is running and reachable" : NULL);
		goto out;
	}
	if (inv.kind == INVITE_BOOTSTRAP && s->has_root_pk) {
		err = fp_root(s->root_pk, fp);
		if (err != 0)
			goto out;
		printf("root-fingerprint %s\n", fp);
		printf("circulate this root fingerprint to every member through official channels: "
		       "they check their invites against it\n");
		fflush(stdout);
		/* Version 1 of the directory goes to the relay now; if it cannot,
		 * the next command publishes it. */
		err = core_dir_sync(h, s, time_now_ms() + ENROLL_TIMEOUT_MS);
		if (err != 0) {
			id_encode(s->account, id);
			printf("account %s\n", id);
			fflush(stdout);
			err = cli_fail(cli, "directory", err,
				       "the account exists but version 1 of the directory is not "
				       "published yet; run liaison sync to publish it");
			goto out;
		}
	}
	id_encode(s->account, id);
	printf("account %s\n", id);
	if (fflush(stdout) != 0)
		err = LIAISON_ERR_IO;
out:
	lc_wipe(&inv, sizeof inv);
	if (tok != NULL) {
		lc_wipe(tok, toklen);
		free(tok);
	}
	cli_passphrase_free(pass);
	self_free(old);
	self_free(s);
	home_close(h);
	free(path);
	return err;
}
