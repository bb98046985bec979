/* The admin commands (invite, revoke, status) against the store, and the
 * client side of the admin socket (DATA/admin.sock, docs/PROTOCOL.md). The
 * bootstrap token holds the invite secret: callers wipe it after printing;
 * it is never logged. */
#ifndef LIAISON_SERVER_ADMIN_H
#define LIAISON_SERVER_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/errors.h"
#include "protocol/wire.h"
#include "server/store.h"

#define ADMIN_MAX_MESSAGE 8192			/* a packed request or reply */
#define ADMIN_MAX_EXPIRES_S (366ull * 24 * 3600)
#define ADMIN_TIMEOUT_S 30

struct admin_invite_args {
	const char *authority;
	const char *country;			/* "" or two letters */
	const char *name;			/* "" allowed */
	uint64_t expires_in_s;
};

/* LIAISON_ERR_INVALID (with the field named in *what) for bad arguments. */
int admin_invite_check(const struct admin_invite_args *a, const char **what) LIAISON_WUR;
/* Stages a bootstrap invite for url/pin in st and makes its token (*token
 * malloc'd: wipe and free it). LIAISON_ERR_USED once a bootstrap invite was
 * redeemed. The caller commits. */
int admin_invite_make(struct store *st, const char *url, const uint8_t pin[32],
		      const struct admin_invite_args *a, uint64_t now_ms, char **token) LIAISON_WUR;

struct admin_status {
	uint64_t accounts;
	uint64_t queued;
	uint64_t blob_bytes;
	uint64_t directory_version;
};
int admin_status_read(struct store *st, struct admin_status *out) LIAISON_WUR;

/* One request to a running relay. LIAISON_ERR_NOT_FOUND when no relay
 * listens on DATA/admin.sock (act on the database directly then). */
int admin_call(const char *data_dir, const Liaison__AdminRequest *req,
	       Liaison__AdminReply **reply) LIAISON_WUR;

#endif
