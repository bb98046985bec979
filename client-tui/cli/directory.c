/* liaison directory: the verified directory read offline (list, search,
 * show) and a secretariat's changes to it (add-authority, pending, approve,
 * revoke, refresh, certify), CONTRACT.md. Text from the directory is
 * sanitised for people and kept exact in JSON; the core decides who may
 * sign what. */
#include "client-tui/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client-tui/core/core.h"
#include "client-tui/core/dirsync.h"
#include "directory/directory.h"
#include "protocol/encoding.h"
#include "protocol/fingerprint.h"
#include "protocol/sanitize.h"
#include "protocol/timefmt.h"

#define DIR_TIMEOUT_S 20
#define REFRESH_LOCK_WAIT_S 60
#define MAX_ACCOUNTS 256

static int set(json_t *obj, const char *key, json_t *val)
{
	if (val == NULL)
		return LIAISON_ERR_NOMEM;
	return json_object_set_new(obj, key, val) == 0 ? 0 : LIAISON_ERR_NOMEM;
}

static json_t *text(const char *s)
{
	return cli_json_text(s, strlen(s));
}

/* prefix (ours), a (from elsewhere), mid (ours), b (from elsewhere). */
static int print_line(const char *prefix, const char *a, const char *mid, const char *b)
{
	char *sa = sanitize_line(a, strlen(a)), *sb = sanitize_line(b, strlen(b));
	int rc = -1;

	if (sa != NULL && sb != NULL)
		rc = printf("%s%s%s%s\n", prefix, sa, mid, sb);
	free(sa);
	free(sb);
	return rc < 0 ? LIAISON_ERR_IO : 0;
}

static int contact_json(json_t *arr, const struct dir_contact *dc)
{
	char id[ID_CHARS + 1], fp[FP_HEX_CHARS + 1];
	json_t *o = json_object();
	int err;

	if (o == NULL)
		return LIAISON_ERR_NOMEM;
	id_encode(dc->account, id);
	err = fp_identity(dc->identity_key, fp);
	if (err == 0)
		err = set(o, "account", json_string(id));
	if (err == 0)
		err = set(o, "name", text(dc->name));
	if (err == 0)
		err = set(o, "title", text(dc->title));
	if (err == 0)
		err = set(o, "role", json_string(role_name(dc->role) ? role_name(dc->role) : "unknown"));
	if (err == 0)
		err = set(o, "status", json_string(dir_status_name(dc->status) ?
						   dir_status_name(dc->status) : "unknown"));
	if (err == 0)
		err = set(o, "fingerprint", json_string(fp));
	if (err != 0) {
		json_decref(o);
		return err;
	}
	return json_array_append_new(arr, o) == 0 ? 0 : LIAISON_ERR_NOMEM;
}

static int print_result(struct cli *cli, const struct dir_state *st, const struct dir_result *res)
{
	char id[ID_CHARS + 1], fp[FP_HEX_CHARS + 1], head[512];
	size_t i, j;
	int err = 0;

	for (i = 0; i < res->n_hits && err == 0; i++) {
		const struct dir_hit *hit = &res->hits[i];
		const struct dir_authority *a = &st->authorities[hit->authority];
		const char *type = dir_type_name(a->type) ? dir_type_name(a->type) : "other";

		if (cli->json) {
			json_t *obj = json_object(), *arr = json_array();

			if (obj == NULL || arr == NULL) {
				json_decref(obj);
				json_decref(arr);
				return LIAISON_ERR_NOMEM;
			}
			for (j = 0; j < hit->count && err == 0; j++)
				err = contact_json(arr, &st->contacts[res->contacts[hit->first + j]]);
			if (err == 0 && ((err = set(obj, "authority", text(a->id))) != 0 ||
					 (err = set(obj, "country", text(a->country))) != 0 ||
					 (err = set(obj, "name", text(a->name))) != 0 ||
					 (err = set(obj, "type", json_string(type))) != 0)) {
				json_decref(arr);
				json_decref(obj);
				return err;
			}
			if (err != 0) {
				json_decref(arr);
				json_decref(obj);
				return err;
			}
			err = set(obj, "contacts", arr);
			if (err != 0) {
				json_decref(obj);
				return err;
			}
			err = cli_json_line(obj);
			continue;
		}
		snprintf(head, sizeof head, " %s %s ", a->country, type);
		err = print_line("authority ", a->id, head, a->name);
		for (j = 0; j < hit->count && err == 0; j++) {
			const struct dir_contact *dc = &st->contacts[res->contacts[hit->first + j]];

			id_encode(dc->account, id);
			err = fp_identity(dc->identity_key, fp);
			if (err != 0)
				break;
			snprintf(head, sizeof head, "  contact %s %s %s %s ", id,
				 role_name(dc->role) ? role_name(dc->role) : "unknown",
				 dir_status_name(dc->status) ? dir_status_name(dc->status) : "unknown",
				 fp);
			err = print_line(head, dc->name, dc->title[0] ? ", " : "", dc->title);
		}
	}
	if (err == 0 && fflush(stdout) != 0)
		err = LIAISON_ERR_IO;
	return err;
}

/* list, search, show: offline, from the last verified state. */
static int read_only(struct cli *cli, const char *sub, int argc, char **argv)
{
	const char *country = NULL, *type_text = NULL;
	const struct cli_opt opts[] = {
		{ "--country", &country, NULL },
		{ "--type", &type_text, NULL },
		{ NULL, NULL, NULL }
	};
	char *pos[1];
	int npos = 0, type = 0, err;
	struct home *h = NULL;
	struct self *s = NULL;
	struct dirsync *ds;
	struct dir_search *search;
	struct dir_result res;

	memset(&res, 0, sizeof res);
	err = cli_parse(cli, argc, argv, strcmp(sub, "list") == 0 ? opts : NULL, pos,
			strcmp(sub, "list") == 0 ? 0 : 1, &npos);
	if (err != 0)
		return err;
	if (strcmp(sub, "list") != 0 && npos != 1)
		return cli_fail(cli, sub, LIAISON_ERR_USAGE, strcmp(sub, "search") == 0 ?
				"give the QUERY" : "give the AUTHORITY id");
	if (npos == 1 && strlen(pos[0]) > DIR_MAX_QUERY)
		return cli_fail(cli, sub, LIAISON_ERR_USAGE, "at most %d bytes", DIR_MAX_QUERY);
	if (type_text != NULL && dir_type_parse(type_text, &type) != 0)
		return cli_fail(cli, sub, LIAISON_ERR_USAGE,
				"--type is prosecution, police, anti-corruption, fiu, "
				"central-authority, secretariat or other");
	err = cli_open(cli, &h, &s);
	if (err != 0)
		return err;
	err = dirsync_get(h, &ds);
	if (err == 0)
		err = dirsync_search(ds, &search);
	if (err == LIAISON_ERR_NOT_FOUND) {
		err = cli_fail(cli, "directory", err,
			       "no verified directory yet: run liaison sync once approved");
		goto out;
	}
	if (err != 0) {
		err = cli_fail(cli, "directory", err, NULL);
		goto out;
	}
	if (strcmp(sub, "list") == 0)
		err = dir_list(search, country, type, &res);
	else if (strcmp(sub, "search") == 0)
		err = dir_search(search, pos[0], &res);
	else
		err = dir_show(search, pos[0], &res);
	if (err != 0) {
		err = cli_fail(cli, sub, err, err == LIAISON_ERR_NOT_FOUND ?
			       "the verified directory has no such authority" : NULL);
		goto out;
	}
	if (dirsync_forked(ds) != 0)
		fprintf(stderr, "liaison: directory: this is the last directory verified before a fork "
			"was found; it may hold the forged history: tell the secretariat\n");
	else if (dirsync_stale(ds, time_now_ms()))
		fprintf(stderr, "liaison: directory: this is the last verified directory (version %llu) "
			"and its signed head has expired; run liaison sync for a fresh one\n",
			(unsigned long long)ds->st->version);
	err = print_result(cli, ds->st, &res);
out:
	dir_result_free(&res);
	cli_close(h, s);
	return err;
}

static int net_fail(struct cli *cli, const char *sub, int err)
{
	switch (err) {
	case LIAISON_ERR_DENIED:
		return cli_fail(cli, sub, err, strcmp(sub, "approve") == 0 || strcmp(sub, "revoke") == 0 ||
				strcmp(sub, "certify") == 0 ?
				"only an active secretariat may do this (the root holder for secretariat accounts)" :
				"only an active secretariat may change the directory");
	case LIAISON_ERR_NETWORK:
		return cli_fail(cli, sub, err, "check that the relay is running and reachable");
	case LIAISON_ERR_PENDING:
		return cli_fail(cli, sub, err, "awaiting approval by the secretariat");
	case LIAISON_ERR_FORK:
	case LIAISON_ERR_ROLLBACK:
	case LIAISON_ERR_WITHHELD:
	case LIAISON_ERR_STALE:
	case LIAISON_ERR_SIGNER:
	case LIAISON_ERR_CHAIN:
	case LIAISON_ERR_CLOCK:
	case LIAISON_ERR_DIR_TAMPERED:
		return cli_fail(cli, "directory", err, NULL);
	default:
		return cli_fail(cli, sub, err, NULL);
	}
}

static int add_authority(struct cli *cli, int argc, char **argv)
{
	const char *country = NULL, *name = NULL, *type_text = NULL, *langs = NULL, *notes = NULL;
	const struct cli_opt opts[] = {
		{ "--country", &country, NULL },
		{ "--name", &name, NULL },
		{ "--type", &type_text, NULL },
		{ "--languages", &langs, NULL },
		{ "--notes", &notes, NULL },
		{ NULL, NULL, NULL }
	};
	struct core_dir_op op;
	char *pos[1];
	int npos = 0, type, err;
	struct home *h = NULL;
	struct self *s = NULL;

	err = cli_parse(cli, argc, argv, opts, pos, 1, &npos);
	if (err != 0)
		return err;
	if (npos != 1 || country == NULL || name == NULL || type_text == NULL)
		return cli_fail(cli, "add-authority", LIAISON_ERR_USAGE,
				"give ID --country CC --name NAME --type TYPE");
	if (dir_type_parse(type_text, &type) != 0)
		return cli_fail(cli, "add-authority", LIAISON_ERR_USAGE,
				"--type is prosecution, police, anti-corruption, fiu, "
				"central-authority, secretariat or other");
	if (strlen(pos[0]) > LAYOUT_MAX_AUTHORITY || strlen(country) != 2 ||
	    strlen(name) > LAYOUT_MAX_NAME || (langs != NULL && strlen(langs) > DIR_MAX_LANGUAGES) ||
	    (notes != NULL && strlen(notes) > DIR_MAX_NOTES))
		return cli_fail(cli, "add-authority", LIAISON_ERR_USAGE,
				"ID at most %d bytes, CC two capital letters, NAME at most %d bytes",
				LAYOUT_MAX_AUTHORITY, LAYOUT_MAX_NAME);
	memset(&op, 0, sizeof op);
	op.kind = DIR_ADD_AUTHORITY;
	strcpy(op.authority.id, pos[0]);
	strcpy(op.authority.country, country);
	strcpy(op.authority.name, name);
	op.authority.type = (uint8_t)type;
	if (langs != NULL)
		strcpy(op.authority.languages, langs);
	if (notes != NULL)
		strcpy(op.authority.notes, notes);
	err = cli_open(cli, &h, &s);
	if (err != 0)
		return err;
	err = core_dir_publish(h, s, &op, 1, time_now_ms() + DIR_TIMEOUT_S * 1000);
	if (err == LIAISON_ERR_EXISTS)
		err = cli_fail(cli, "add-authority", err, "the directory already lists %s", pos[0]);
	else if (err == LIAISON_ERR_INVALID)
		err = cli_fail(cli, "add-authority", err,
			       "ID is A-Z a-z 0-9 - _ . and CC two capital letters");
	else if (err != 0)
		err = net_fail(cli, "add-authority", err);
	else if (printf("authority %s\n", pos[0]) < 0 || fflush(stdout) != 0)
		err = LIAISON_ERR_IO;
	cli_close(h, s);
	return err;
}

static int pending(struct cli *cli, int argc, char **argv)
{
	struct core_enrollment *list = NULL;
	char id[ID_CHARS + 1], fp[FP_HEX_CHARS + 1], t[TIME_RFC3339_CHARS], pre[256], mid[256];
	char *pos[1];
	int npos = 0, err;
	size_t n = 0, i;
	struct home *h = NULL;
	struct self *s = NULL;

	err = cli_parse(cli, argc, argv, NULL, pos, 0, &npos);
	if (err != 0)
		return err;
	err = cli_open(cli, &h, &s);
	if (err != 0)
		return err;
	err = core_dir_pending(h, s, time_now_ms() + DIR_TIMEOUT_S * 1000, &list, &n);
	if (err != 0) {
		err = net_fail(cli, "pending", err);
		goto out;
	}
	for (i = 0; i < n && err == 0; i++) {
		const struct enrollment *e = &list[i].e;

		id_encode(e->account, id);
		err = fp_identity(e->identity_key, fp);
		if (err != 0)
			break;
		time_format(list[i].enrolled_at, t);
		if (cli->json) {
			json_t *o = json_object();

			if (o == NULL)
				err = LIAISON_ERR_NOMEM;
			else if ((err = set(o, "account", json_string(id))) != 0 ||
				 (err = set(o, "authority", text(e->authority))) != 0 ||
				 (err = set(o, "name", text(e->name))) != 0 ||
				 (err = set(o, "fingerprint", json_string(fp))) != 0 ||
				 (err = set(o, "enrolled_at", json_string(t))) != 0)
				json_decref(o);
			else
				err = cli_json_line(o);
		} else {
			snprintf(pre, sizeof pre, "pending %s ", id);
			snprintf(mid, sizeof mid, " %s %s %s ", fp, t,
				 role_name(e->role) ? role_name(e->role) : "unknown");
			err = print_line(pre, e->authority, mid, e->name);
		}
	}
	if (err == 0 && fflush(stdout) != 0)
		err = LIAISON_ERR_IO;
out:
	core_enrollments_free(list, n);
	cli_close(h, s);
	return err;
}

static int approve(struct cli *cli, int argc, char **argv)
{
	const char *fingerprint = NULL;
	const struct cli_opt opts[] = {
		{ "--fingerprint", &fingerprint, NULL },
		{ NULL, NULL, NULL }
	};
	char *pos[MAX_ACCOUNTS];
	uint8_t (*accounts)[16] = NULL, failed[16];
	char id[ID_CHARS + 1];
	int npos = 0, i, err;
	struct home *h = NULL;
	struct self *s = NULL;

	err = cli_parse(cli, argc, argv, opts, pos, MAX_ACCOUNTS, &npos);
	if (err != 0)
		return err;
	if (npos == 0)
		return cli_fail(cli, "approve", LIAISON_ERR_USAGE, "give the ACCOUNT(s) to approve");
	if (fingerprint != NULL && npos != 1)
		return cli_fail(cli, "approve", LIAISON_ERR_USAGE, "--fingerprint takes one ACCOUNT only");
	accounts = calloc((size_t)npos, sizeof *accounts);
	if (accounts == NULL)
		return LIAISON_ERR_NOMEM;
	for (i = 0; i < npos; i++) {
		if (id_decode(pos[i], accounts[i]) != 0) {
			free(accounts);
			return cli_fail(cli, "approve", LIAISON_ERR_USAGE,
					"ACCOUNT is 26 lowercase base32 characters");
		}
	}
	err = cli_open(cli, &h, &s);
	if (err != 0)
		goto out;
	memset(failed, 0, sizeof failed);
	err = core_dir_approve(h, s, (const uint8_t (*)[16])accounts, (size_t)npos, fingerprint,
			       time_now_ms() + DIR_TIMEOUT_S * 1000, failed);
	id_encode(failed, id);
	switch (err) {
	case 0:
		for (i = 0; i < npos; i++)
			printf("approved %s\n", pos[i]);
		if (fflush(stdout) != 0)
			err = LIAISON_ERR_IO;
		break;
	case LIAISON_ERR_USAGE:
		err = cli_fail(cli, "approve", err, "%s was invited by another secretariat: approve it "
			       "with --fingerprint HEX, read to you over another channel", id);
		break;
	case LIAISON_ERR_IDENTITY:
		err = cli_fail(cli, "approve", err, "%s's enrollment does not match the invite this "
			       "secretariat minted: the relay may have swapped the key; nothing was approved", id);
		break;
	case LIAISON_ERR_FINGERPRINT:
		err = cli_fail(cli, "approve", err, "%s's key is not the one with this fingerprint; "
			       "nothing was approved", id);
		break;
	case LIAISON_ERR_SIGNATURE:
		err = cli_fail(cli, "approve", err, "%s's enrollment is not signed by its key; "
			       "nothing was approved", id);
		break;
	case LIAISON_ERR_EXPIRED:
		err = cli_fail(cli, "approve", err, "%s's invite has expired: send a new invite", id);
		break;
	case LIAISON_ERR_USED:
		err = cli_fail(cli, "approve", err, "another account already holds %s's invite", id);
		break;
	case LIAISON_ERR_NOT_FOUND:
		err = cli_fail(cli, "approve", err, "%s is not pending (or its authority is not "
			       "listed: add it with directory add-authority)", id);
		break;
	case LIAISON_ERR_EXISTS:
		err = cli_fail(cli, "approve", err, "%s is already in the directory", id);
		break;
	default:
		err = net_fail(cli, "approve", err);
		break;
	}
out:
	free(accounts);
	cli_close(h, s);
	return err;
}

/* revoke, certify, refresh: one op (or none) over one account. */
static int one_op(struct cli *cli, const char *sub, int kind, int argc, char **argv)
{
	struct core_dir_op op;
	char *pos[1];
	int npos = 0, err;
	struct home *h = NULL;
	struct self *s = NULL;

	err = cli_parse(cli, argc, argv, NULL, pos, kind != 0 ? 1 : 0, &npos);
	if (err != 0)
		return err;
	memset(&op, 0, sizeof op);
	op.kind = kind;
	if (kind != 0 && (npos != 1 || id_decode(pos[0], op.account) != 0))
		return cli_fail(cli, sub, LIAISON_ERR_USAGE, "give one ACCOUNT (26 lowercase base32 characters)");
	if (kind == 0)
		cli->lock_wait = REFRESH_LOCK_WAIT_S;	/* for cron */
	err = cli_open(cli, &h, &s);
	if (err != 0)
		return err;
	err = core_dir_publish(h, s, &op, kind != 0 ? 1 : 0, time_now_ms() + DIR_TIMEOUT_S * 1000);
	if (err == LIAISON_ERR_NOT_FOUND)
		err = cli_fail(cli, sub, err, "the directory does not list %s", pos[0]);
	else if (err == LIAISON_ERR_REVOKED && kind == DIR_REVOKE_CONTACT)
		err = cli_fail(cli, sub, LIAISON_ERR_EXISTS, "%s is already revoked", pos[0]);
	else if (err != 0)
		err = net_fail(cli, sub, err);
	else if (kind != 0 && (printf("%s %s\n", kind == DIR_REVOKE_CONTACT ? "revoked" : "certified",
				      pos[0]) < 0 || fflush(stdout) != 0))
		err = LIAISON_ERR_IO;
	cli_close(h, s);
	return err;
}

int cmd_directory(struct cli *cli, int argc, char **argv)
{
	const char *sub;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)
		return argc < 1 ? cli_fail(cli, "directory", LIAISON_ERR_USAGE, NULL) : CLI_HELP;
	sub = argv[0];
	argc--;
	argv++;
	if (strcmp(sub, "list") == 0 || strcmp(sub, "search") == 0 || strcmp(sub, "show") == 0)
		return read_only(cli, sub, argc, argv);
	if (strcmp(sub, "add-authority") == 0)
		return add_authority(cli, argc, argv);
	if (strcmp(sub, "pending") == 0)
		return pending(cli, argc, argv);
	if (strcmp(sub, "approve") == 0)
		return approve(cli, argc, argv);
	if (strcmp(sub, "revoke") == 0)
		return one_op(cli, sub, DIR_REVOKE_CONTACT, argc, argv);
	if (strcmp(sub, "certify") == 0)
		return one_op(cli, sub, DIR_CERTIFY, argc, argv);
	if (strcmp(sub, "refresh") == 0)
		return one_op(cli, sub, 0, argc, argv);
	return cli_fail(cli, "directory", LIAISON_ERR_USAGE,
			"unknown subcommand; see liaison directory --help");
}
