/* The admin commands against the store (shared by a running relay and the
 * direct, relay-less path) and the admin socket's client. The invite secret
 * lives only in the token handed back; every copy of it here is wiped. */
#include "server/admin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "protocol/crypto.h"
#include "protocol/invite.h"
#include "protocol/layout.h"
#include "server/datadir.h"

static int printable(const char *s, int allow_space)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < 0x20 || ch == 0x7f || (!allow_space && ch == ' '))
			return 0;
	}
	return 1;
}

int admin_invite_check(const struct admin_invite_args *a, const char **what)
{
	size_t n = a->authority != NULL ? strlen(a->authority) : 0;
	if (n == 0 || n > LAYOUT_MAX_AUTHORITY || !printable(a->authority, 0)) {
		*what = "--authority";
		return LIAISON_ERR_INVALID;
	}
	n = strlen(a->country);
	if (!(n == 0 || (n == 2 && a->country[0] >= 'A' && a->country[0] <= 'Z' &&
			 a->country[1] >= 'A' && a->country[1] <= 'Z'))) {
		*what = "--country";
		return LIAISON_ERR_INVALID;
	}
	if (strlen(a->name) > LAYOUT_MAX_NAME || !printable(a->name, 1)) {
		*what = "--name";
		return LIAISON_ERR_INVALID;
	}
	if (a->expires_in_s == 0 || a->expires_in_s > ADMIN_MAX_EXPIRES_S) {
		*what = "--expires";
		return LIAISON_ERR_INVALID;
	}
	return 0;
}

int admin_invite_make(struct store *st, const char *url, const uint8_t pin[32],
		      const struct admin_invite_args *a, uint64_t now_ms, char **token)
{
	struct invite *inv = NULL;
	struct store_invite rec;
	uint8_t redeem[32], bind[32];
	char *text = NULL;
	const char *what;
	int rc, redeemed = 0;

	memset(&rec, 0, sizeof(rec));
	rc = admin_invite_check(a, &what);
	if (rc != 0)
		return rc;
	if (strlen(url) > LAYOUT_MAX_URL)
		return LIAISON_ERR_TOO_BIG;
	rc = store_bootstrap_redeemed(st, &redeemed);
	if (rc != 0)
		return rc;
	if (redeemed)
		return LIAISON_ERR_USED;
	inv = calloc(1, sizeof(*inv));
	if (inv == NULL)
		return LIAISON_ERR_NOMEM;
	inv->kind = INVITE_BOOTSTRAP;
	memcpy(inv->url, url, strlen(url) + 1);
	memcpy(inv->pin, pin, 32);
	lc_random(inv->invite_id, sizeof(inv->invite_id));
	inv->expires = now_ms + a->expires_in_s * 1000;
	lc_random(inv->secret, sizeof(inv->secret));
	inv->role = ROLE_SECRETARIAT;
	memcpy(inv->authority, a->authority, strlen(a->authority) + 1);
	memcpy(inv->country, a->country, strlen(a->country) + 1);
	memcpy(inv->authority_name, a->name, strlen(a->name) + 1);
	rc = invite_derive(inv->secret, redeem, bind);
	if (rc != 0)
		goto out;
	rc = lc_sha256(redeem, sizeof(redeem), rec.redeem_hash);
	if (rc != 0)
		goto out;
	rc = invite_encode(inv, &text);
	if (rc != 0)
		goto out;
	memcpy(rec.id, inv->invite_id, 16);
	rec.role = ROLE_SECRETARIAT;
	memcpy(rec.authority, inv->authority, sizeof(rec.authority));
	rec.expires = inv->expires;
	rec.bootstrap = 1;
	rc = store_invite_add(st, &rec);
	if (rc != 0)
		goto out;
	*token = text;
	text = NULL;
out:
	if (text != NULL) {
		lc_wipe(text, strlen(text));
		free(text);
	}
	lc_wipe(redeem, sizeof(redeem));
	lc_wipe(bind, sizeof(bind));
	lc_wipe(inv, sizeof(*inv));
	free(inv);
	return rc;
}

int admin_status_read(struct store *st, struct admin_status *out)
{
	struct store_status s;
	int rc = store_status(st, &s);
	if (rc != 0)
		return rc;
	out->accounts = s.accounts;
	out->queued = s.queued;
	out->blob_bytes = 0;		/* no blob store yet */
	out->directory_version = s.directory_version;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return LIAISON_ERR_IO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return LIAISON_ERR_TIMEOUT;
		if (r <= 0)
			return LIAISON_ERR_IO;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int admin_call(const char *data_dir, const Liaison__AdminRequest *req, Liaison__AdminReply **reply)
{
	struct sockaddr_un sa;
	struct timeval tv = { ADMIN_TIMEOUT_S, 0 };
	uint8_t *packed = NULL, *in = NULL, hdr[4];
	size_t len = 0;
	uint32_t n;
	int fd = -1, rc;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	rc = datadir_path(data_dir, DATADIR_ADMIN_SOCK, sa.sun_path, sizeof(sa.sun_path));
	if (rc != 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return LIAISON_ERR_IO;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = (errno == ENOENT || errno == ECONNREFUSED) ? LIAISON_ERR_NOT_FOUND : LIAISON_ERR_IO;
		goto out;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
		rc = LIAISON_ERR_IO;
		goto out;
	}
	rc = wire_pack(&req->base, ADMIN_MAX_MESSAGE, &packed, &len);
	if (rc != 0)
		goto out;
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	rc = write_all(fd, hdr, 4);
	if (rc == 0)
		rc = write_all(fd, packed, len);
	if (rc == 0)
		rc = read_all(fd, hdr, 4);
	if (rc != 0)
		goto out;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (n > ADMIN_MAX_MESSAGE) {
		rc = LIAISON_ERR_TOO_BIG;
		goto out;
	}
	in = malloc(n ? n : 1);
	if (in == NULL) {
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	rc = read_all(fd, in, n);
	if (rc == 0)
		rc = wire_admin_reply_decode(in, n, reply);
out:
	if (in != NULL) {
		lc_wipe(in, n);
		free(in);
	}
	free(packed);
	if (fd >= 0)
		close(fd);
	return rc;
}
