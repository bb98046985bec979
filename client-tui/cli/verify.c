/* liaison verify: shows the safety number and QR code of (own account,
 * contact), exports the code as PNG, or compares a scanned code or a typed
 * number and marks the contact's current key verified on a match. It never
 * marks anything verified without a match, and needs no network. */
#include "client-tui/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client-tui/core/qr.h"
#include "client-tui/core/verify.h"
#include "protocol/encoding.h"
#include "protocol/signal_provider.h"

#define VERIFY_PNG_SCALE 8	/* pixels a module: 45 modules -> 360 px */

int cmd_verify(struct cli *cli, int argc, char **argv);

/* The code in the terminal, dark on light with its quiet zone: black on
 * white where colours can be forced, else blocks for dark modules. */
static int print_qr(const struct verify_pair *p)
{
	struct qr_code *qr = NULL;
	char *text = NULL, *line, *nl;
	size_t len = 0;
	int colour, rc;

	colour = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	rc = qr_encode(p->scannable, p->scannable_len, &qr);
	if (rc != 0)
		goto out;
	rc = qr_render_text(qr, 0, &text, &len);
	if (rc != 0)
		goto out;
	if (!colour) {
		if (fwrite(text, 1, len, stdout) != len)
			rc = LIAISON_ERR_IO;
		goto out;
	}
	for (line = text; (nl = strchr(line, '\n')) != NULL; line = nl + 1)
		printf("\033[30;47m%.*s\033[0m\n", (int)(nl - line), line);
out:
	free(text);
	qr_free(qr);
	return rc;
}

static int show(struct cli *cli, const struct verify_pair *p, const char *id, const char *png)
{
	char number[VERIFY_NUMBER_TEXT + 1];
	struct qr_code *qr = NULL;
	json_t *obj;
	int rc = 0;

	verify_number_format(p->number, number);
	if (png != NULL) {
		rc = qr_encode(p->scannable, p->scannable_len, &qr);
		if (rc == 0)
			rc = qr_write_png(qr, png, VERIFY_PNG_SCALE);
		qr_free(qr);
		if (rc != 0)
			return cli_fail(cli, png, rc, "the QR code could not be written there");
	}
	if (cli->json) {
		obj = json_object();
		if (obj == NULL || json_object_set_new(obj, "account", json_string(id)) != 0 ||
		    json_object_set_new(obj, "safety_number", json_string(number)) != 0) {
			json_decref(obj);
			return LIAISON_ERR_NOMEM;
		}
		return cli_json_line(obj);
	}
	printf("safety-number %s\n", number);
	if (png == NULL) {
		rc = print_qr(p);
		if (rc != 0)
			return cli_fail(cli, "verify", rc, NULL);
		printf("Compare this number with %s's, read aloud or in person, or let them scan the code;\n"
		       "then run liaison verify %s --number DIGITS or --scan FILE.\n", id, id);
	} else {
		printf("qr-png %s\n", png);
		printf("Let %s scan this code (liaison verify ... --scan), and scan theirs.\n", id);
	}
	return fflush(stdout) == 0 ? 0 : LIAISON_ERR_IO;
}

static int scan(struct cli *cli, struct home *h, signal_context *ctx, const struct verify_pair *p,
		const char *file)
{
	uint8_t payload[QR_PAYLOAD_MAX];
	size_t len = 0;
	int rc;

	rc = qr_scan_file(file, payload, sizeof(payload), &len);
	switch (rc) {
	case 0:
		break;
	case LIAISON_ERR_NOT_FOUND:
		return cli_fail(cli, "verify", LIAISON_ERR_USAGE, "no QR code found in %s", file);
	case LIAISON_ERR_INVALID:
		return cli_fail(cli, file, rc, "give a PNG or JPEG image of the QR code");
	case LIAISON_ERR_IO:
		return cli_fail(cli, file, rc, "the file cannot be read");
	default:
		return cli_fail(cli, file, rc, NULL);
	}
	rc = verify_scanned(h, ctx, p, payload, len);
	if (rc == LIAISON_ERR_FINGERPRINT || rc == LIAISON_ERR_INVALID)
		return cli_fail(cli, "verify", LIAISON_ERR_FINGERPRINT,
				"the QR code in %s is not the code of this pair (you and this contact, "
				"with these keys); nothing was marked verified", file);
	return rc;
}

int cmd_verify(struct cli *cli, int argc, char **argv)
{
	const char *png = NULL, *scan_file = NULL, *digits = NULL;
	const struct cli_opt opts[] = {
		{ "--qr-png", &png, NULL },
		{ "--scan", &scan_file, NULL },
		{ "--number", &digits, NULL },
		{ NULL, NULL, NULL }
	};
	char *pos[1];
	int npos = 0;
	uint8_t account[16];
	char id[ID_CHARS + 1];
	struct home *h = NULL;
	struct self *s = NULL;
	signal_context *ctx = NULL;
	struct verify_pair pair;
	json_t *obj;
	int err;

	err = cli_parse(cli, argc, argv, opts, pos, 1, &npos);
	if (err != 0)
		return err;
	if (npos != 1)
		return cli_fail(cli, "verify", LIAISON_ERR_USAGE, "give the contact's ACCOUNT");
	if (id_decode(pos[0], account) != 0)
		return cli_fail(cli, "verify", LIAISON_ERR_USAGE,
				"ACCOUNT is 26 lowercase base32 characters");
	if ((png != NULL) + (scan_file != NULL) + (digits != NULL) > 1)
		return cli_fail(cli, "verify", LIAISON_ERR_USAGE,
				"give one of --qr-png, --scan and --number");
	id_encode(account, id);
	err = cli_open(cli, &h, &s);
	if (err != 0)
		return err;
	err = sigprov_context_new(&ctx);
	if (err != 0)
		goto out;
	err = verify_pair_get(h, s, ctx, account, &pair);
	if (err == LIAISON_ERR_UNKNOWN_PEER)
		err = cli_fail(cli, "verify", err, "%s is not a listed contact; check the account id", id);
	else if (err == LIAISON_ERR_REVOKED)
		err = cli_fail(cli, "verify", err, "trust in %s has been revoked", id);
	else if (err == LIAISON_ERR_PENDING)
		err = cli_fail(cli, "verify", err, "%s is awaiting approval", id);
	if (err != 0)
		goto out;
	if (scan_file == NULL && digits == NULL) {
		err = show(cli, &pair, id, png);
		goto out;
	}
	if (scan_file != NULL) {
		err = scan(cli, h, ctx, &pair, scan_file);
	} else {
		err = verify_number(h, &pair, digits);
		if (err == LIAISON_ERR_INVALID)
			err = cli_fail(cli, "verify", LIAISON_ERR_USAGE,
				       "a safety number is 60 digits (spaces allowed)");
		else if (err == LIAISON_ERR_FINGERPRINT)
			err = cli_fail(cli, "verify", err,
				       "the number is not this pair's safety number; nothing was marked verified");
	}
	if (err == LIAISON_ERR_IDENTITY)
		err = cli_fail(cli, "verify", err, "the contact's key changed meanwhile; compare again");
	if (err != 0)
		goto out;
	if (cli->json) {
		obj = json_object();
		if (obj == NULL || json_object_set_new(obj, "account", json_string(id)) != 0 ||
		    json_object_set_new(obj, "verified", json_true()) != 0) {
			json_decref(obj);
			err = LIAISON_ERR_NOMEM;
			goto out;
		}
		err = cli_json_line(obj);
	} else {
		printf("verified %s\n", id);
		if (fflush(stdout) != 0)
			err = LIAISON_ERR_IO;
	}
out:
	sigprov_context_free(ctx);
	cli_close(h, s);
	return err;
}
