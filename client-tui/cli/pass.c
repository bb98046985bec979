/* Where the passphrase comes from (CONTRACT.md): --passphrase-file, then
 * $LIAISON_PASSPHRASE_FILE, then $LIAISON_PASSPHRASE, else the terminal
 * without echo; never argv, never a log. And opening a home: the lock is
 * taken before the passphrase is asked. */
#include "client-tui/cli/cli.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "protocol/crypto.h"

void cli_passphrase_free(char *pass)
{
	if (pass != NULL)
		lc_secure_free(pass);
}

/* Reads one line from the terminal with echo off into buf. */
static int ask_tty(int fd, const char *prompt, char *buf, size_t bufsz, size_t *len)
{
	struct termios old, quiet;
	size_t n = 0;
	int restore = 0, err = 0;
	char ch;
	ssize_t r;

	if (write(fd, prompt, strlen(prompt)) < 0)
		return LIAISON_ERR_IO;
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
			restore = 1;
	}
	for (;;) {
		r = read(fd, &ch, 1);
		if (r <= 0 || ch == '\n' || ch == '\r')
			break;
		if (n + 1 >= bufsz) {
			err = LIAISON_ERR_TOO_BIG;
			continue;
		}
		buf[n++] = ch;
	}
	ch = 0;
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		err = err ? err : LIAISON_ERR_IO;
	buf[n] = '\0';
	*len = n;
	return err;
}

int cli_passphrase(struct cli *cli, int confirm, char **pass, size_t *len)
{
	const char *file = cli->passfile_opt;
	const char *env;
	char *buf = NULL, *again = NULL, *raw = NULL;
	size_t n = 0, n2 = 0, rawlen = 0;
	int fd = -1, err;

	buf = lc_secure_alloc(CLI_MAX_PASSPHRASE + 1);
	if (buf == NULL)
		return LIAISON_ERR_NOMEM;
	if (file == NULL)
		file = getenv("LIAISON_PASSPHRASE_FILE");
	if (file != NULL && file[0] != '\0') {
		err = cli_read_file(file, CLI_MAX_PASSPHRASE, &raw, &rawlen);
		if (err != 0) {
			err = cli_fail(cli, "passphrase", err,
				       "the passphrase file cannot be read (one line, at most %d bytes)",
				       CLI_MAX_PASSPHRASE);
			goto out;
		}
		n = strcspn(raw, "\r\n");
		memcpy(buf, raw, n);
		buf[n] = '\0';
	} else if ((env = getenv("LIAISON_PASSPHRASE")) != NULL) {
		n = strlen(env);
		if (n > CLI_MAX_PASSPHRASE) {
			err = cli_fail(cli, "passphrase", LIAISON_ERR_TOO_BIG, NULL);
			goto out;
		}
		memcpy(buf, env, n + 1);
	} else {
		fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd < 0) {
			err = cli_fail(cli, "passphrase", LIAISON_ERR_USAGE,
				       "no terminal to ask it on: give --passphrase-file FILE, or set "
				       "LIAISON_PASSPHRASE_FILE or LIAISON_PASSPHRASE");
			goto out;
		}
		err = ask_tty(fd, confirm ? "New passphrase: " : "Passphrase: ", buf,
			      CLI_MAX_PASSPHRASE + 1, &n);
		if (err == 0 && confirm) {
			again = lc_secure_alloc(CLI_MAX_PASSPHRASE + 1);
			if (again == NULL) {
				err = LIAISON_ERR_NOMEM;
				goto out;
			}
			err = ask_tty(fd, "Repeat passphrase: ", again, CLI_MAX_PASSPHRASE + 1, &n2);
			if (err == 0 && (n != n2 || !lc_equal(buf, again, n)))
				err = cli_fail(cli, "passphrase", LIAISON_ERR_USAGE,
					       "the two passphrases differ; try again");
		}
		if (err != 0) {
			err = cli_fail(cli, "passphrase", err, NULL);
			goto out;
		}
	}
	if (confirm && n == 0) {
		err = cli_fail(cli, "passphrase", LIAISON_ERR_USAGE,
			       "an empty passphrase would leave the home unprotected; choose one");
		goto out;
	}
	*pass = buf;
	*len = n;
	buf = NULL;
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	if (raw != NULL) {
		lc_wipe(raw, rawlen);
		free(raw);
	}
	cli_passphrase_free(again);
	cli_passphrase_free(buf);
	return err;
}

int cli_open(struct cli *cli, struct home **hp, struct self **sp)
{
	struct home *h = NULL;
	struct self *s = NULL;
	char *path = NULL, *pass = NULL;
	size_t passlen = 0;
	int err;

	path = home_resolve_path(cli->home_opt);
	if (path == NULL) {
		err = cli_fail(cli, "home", LIAISON_ERR_NOT_INITIALISED,
			       "give --home DIR or set LIAISON_HOME");
		goto out;
	}
	err = home_lock(path, 0, cli->lock_wait, &h);
	if (err == LIAISON_ERR_LOCKED) {
		err = cli_fail(cli, "home", err, "wait for the other process on %s to finish", path);
		goto out;
	}
	if (err == LIAISON_ERR_NOT_INITIALISED || (err == 0 && !home_exists(h))) {
		err = cli_fail(cli, "home", LIAISON_ERR_NOT_INITIALISED,
			       "no account in %s: enroll first (liaison enroll TOKEN --name NAME)", path);
		goto out;
	}
	if (err != 0) {
		err = cli_fail(cli, "home", err, NULL);
		goto out;
	}
	err = cli_passphrase(cli, 0, &pass, &passlen);
	if (err != 0)
		goto out;
	err = home_unlock(h, pass, passlen);
	if (err != 0) {
		err = cli_fail(cli, "home", err, err == LIAISON_ERR_PASSPHRASE ?
			       "check the passphrase for this home" : NULL);
		goto out;
	}
	err = self_load(h, &s);
	if (err == LIAISON_ERR_NOT_FOUND) {
		err = cli_fail(cli, "home", LIAISON_ERR_NOT_INITIALISED,
			       "no account in %s: enroll first", path);
		goto out;
	}
	if (err != 0) {
		err = cli_fail(cli, "home", err, NULL);
		goto out;
	}
	*hp = h;
	*sp = s;
	h = NULL;
	s = NULL;
out:
	cli_passphrase_free(pass);
	self_free(s);
	home_close(h);
	free(path);
	return err;
}

void cli_close(struct home *h, struct self *s)
{
	self_free(s);
	home_close(h);
}
