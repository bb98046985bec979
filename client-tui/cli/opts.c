/* Command-line plumbing shared by every command: options anywhere among the
 * positionals, durations, bounded reads of stdin and small files, and the
 * record of what failed. Prints nothing itself. */
#include "client-tui/cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/crypto.h"
#include "protocol/timefmt.h"

int cli_fail(struct cli *cli, const char *what, int err, const char *fmt, ...)
{
	va_list ap;

	if (what != NULL)
		cli->what = what;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(cli->hint, sizeof cli->hint, fmt, ap);
		va_end(ap);
	}
	return err;
}

static const struct cli_opt *find_opt(const struct cli_opt *opts, const char *arg, size_t len)
{
	const struct cli_opt *o;

	for (o = opts; o != NULL && o->name != NULL; o++) {
		if (strlen(o->name) == len && strncmp(o->name, arg, len) == 0)
			return o;
	}
	return NULL;
}

int cli_parse(struct cli *cli, int argc, char **argv, const struct cli_opt *opts,
	      char **pos, int maxpos, int *npos)
{
	int i, n = 0, only_pos = 0;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct cli_opt *o;
		const char *eq;
		size_t len;

		if (only_pos || a[0] != '-' || strcmp(a, "-") == 0) {
			if (n >= maxpos)
				return cli_fail(cli, NULL, LIAISON_ERR_USAGE,
						"unexpected argument; see liaison %s --help", cli->command);
			pos[n++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return CLI_HELP;
		if (strcmp(a, "--json") == 0) {
			cli->json = 1;
			continue;
		}
		eq = strchr(a, '=');
		len = eq != NULL ? (size_t)(eq - a) : strlen(a);
		o = find_opt(opts, a, len);
		if (o == NULL)
			return cli_fail(cli, NULL, LIAISON_ERR_USAGE,
					"unknown option %.*s; see liaison %s --help",
					(int)(len > 64 ? 64 : len), a, cli->command);
		if (o->flag != NULL) {
			if (eq != NULL)
				return cli_fail(cli, NULL, LIAISON_ERR_USAGE,
						"%s takes no value", o->name);
			*o->flag = 1;
			continue;
		}
		if (eq != NULL) {
			*o->value = eq + 1;
		} else {
			if (i + 1 >= argc)
				return cli_fail(cli, NULL, LIAISON_ERR_USAGE,
						"%s needs a value", o->name);
			*o->value = argv[++i];
		}
	}
	*npos = n;
	return 0;
}

int cli_seconds(struct cli *cli, const char *opt, const char *text, uint64_t *seconds)
{
	uint64_t s;

	if (time_parse_duration(text, &s) != 0)
		return cli_fail(cli, NULL, LIAISON_ERR_USAGE,
				"%s wants a number of seconds (or 90s, 5m, 1h)", opt);
	*seconds = s;
	return 0;
}

static int read_fd(int fd, size_t max, char **out, size_t *len)
{
	char *buf;
	size_t n = 0, cap = 4096;
	ssize_t r;

	buf = malloc(cap + 1);
	if (buf == NULL)
		return LIAISON_ERR_NOMEM;
	for (;;) {
		if (n == cap) {
			char *grown;

			if (cap > max) {
				lc_wipe(buf, n);
				free(buf);
				return LIAISON_ERR_TOO_BIG;
			}
			grown = realloc(buf, cap * 2 + 1);
			if (grown == NULL) {
				lc_wipe(buf, n);
				free(buf);
				return LIAISON_ERR_NOMEM;
			}
			buf = grown;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			lc_wipe(buf, n);
			free(buf);
			return LIAISON_ERR_IO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		lc_wipe(buf, n);
		free(buf);
		return LIAISON_ERR_TOO_BIG;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int cli_read_stdin(size_t max, char **out, size_t *len)
{
	return read_fd(0, max, out, len);
}

int cli_read_file(const char *path, size_t max, char **out, size_t *len)
{
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? LIAISON_ERR_NOT_FOUND : LIAISON_ERR_IO;
	err = read_fd(fd, max, out, len);
	close(fd);
	return err;
}
