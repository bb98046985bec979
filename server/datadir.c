/* Paths in the data directory and the relay URL's parts; pure string
 * work with every length checked, no I/O. */
#include "server/datadir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int datadir_path(const char *dir, const char *name, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= outsz)
		return LIAISON_ERR_TOO_BIG;
	return 0;
}

static int parse_port(const char *p, int *port)
{
	char *end = NULL;
	long v;
	if (*p < '0' || *p > '9')
		return LIAISON_ERR_INVALID;
	v = strtol(p, &end, 10);
	if (end == NULL || *end != '\0' || v < 1 || v > 65535)
		return LIAISON_ERR_INVALID;
	*port = (int)v;
	return 0;
}

/* HOST:PORT or [V6]:PORT */
static int parse_host_port(const char *s, char *host, size_t hostsz, int *port)
{
	const char *colon, *hstart = s, *hend;
	size_t hlen;
	int p = 0, rc;

	if (*s == '[') {
		hstart = s + 1;
		hend = strchr(hstart, ']');
		if (hend == NULL || hend[1] != ':')
			return LIAISON_ERR_INVALID;
		colon = hend + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return LIAISON_ERR_INVALID;
		hend = colon;
	}
	hlen = (size_t)(hend - hstart);
	if (hlen == 0 || hlen > DATADIR_MAX_HOST || hlen >= hostsz)
		return LIAISON_ERR_INVALID;
	rc = parse_port(colon + 1, &p);
	if (rc != 0)
		return rc;
	memcpy(host, hstart, hlen);
	host[hlen] = '\0';
	if (strpbrk(host, "/?#@ \t") != NULL || (*s != '[' && strchr(host, ':') != NULL))
		return LIAISON_ERR_INVALID;
	*port = p;
	return 0;
}

int datadir_parse_url(const char *url, char *host, size_t hostsz, int *port)
{
	static const char scheme[] = "wss://";
	const char *rest;
	if (strncmp(url, scheme, sizeof(scheme) - 1) != 0)
		return LIAISON_ERR_INVALID;
	rest = url + sizeof(scheme) - 1;
	/* An optional trailing "/" is the only path allowed. */
	if (strlen(rest) > 0 && rest[strlen(rest) - 1] == '/') {
		char copy[DATADIR_MAX_HOST + 16];
		size_t n = strlen(rest) - 1;
		if (n >= sizeof(copy))
			return LIAISON_ERR_INVALID;
		memcpy(copy, rest, n);
		copy[n] = '\0';
		return parse_host_port(copy, host, hostsz, port);
	}
	return parse_host_port(rest, host, hostsz, port);
}

int datadir_parse_listen(const char *text, char *host, size_t hostsz, int *port)
{
	return parse_host_port(text, host, hostsz, port);
}
