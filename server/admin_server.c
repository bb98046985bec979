/* The admin socket on the relay's loop: a raw unix-socket protocol, one
 * length-prefixed AdminRequest and one AdminReply per connection, from our
 * own uid (or root) only. A reply to invite or revoke leaves after commit. */
#include "server/relay.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol/crypto.h"
#include "protocol/log.h"
#include "protocol/timefmt.h"
#include "server/admin.h"

#define TAG "admin"

struct admin_conn {
	struct relay *relay;
	struct lws *wsi;			/* NULL once closed */
	int refs;
	int handled;
	uint8_t in[4 + ADMIN_MAX_MESSAGE];
	size_t in_len;
	uint8_t *out;				/* LWS_PRE, then the reply */
	size_t out_len;
	/* For the completion: */
	Liaison__AdminReply reply;
	char *token;
	uint8_t account[16];
	int revoking;
};

static void admin_unref(struct admin_conn *ac)
{
	if (--ac->refs > 0)
		return;
	if (ac->token != NULL) {
		lc_wipe(ac->token, strlen(ac->token));
		free(ac->token);
	}
	if (ac->out != NULL) {
		lc_wipe(ac->out, LWS_PRE + ac->out_len);
		free(ac->out);
	}
	lc_wipe(ac->in, sizeof(ac->in));
	free(ac);
}

static void send_reply(struct admin_conn *ac)
{
	uint8_t *packed = NULL;
	size_t len = 0;

	if (ac->wsi == NULL)
		return;
	if (ac->token != NULL)
		ac->reply.token = ac->token;
	if (wire_pack(&ac->reply.base, ADMIN_MAX_MESSAGE, &packed, &len) != 0) {
		ac->reply.token = (char *)protobuf_c_empty_string;
		ac->reply.code = (uint32_t)-LIAISON_ERR_INTERNAL;
		if (wire_pack(&ac->reply.base, ADMIN_MAX_MESSAGE, &packed, &len) != 0) {
			lws_set_timeout(ac->wsi, PENDING_TIMEOUT_USER_REASON_BASE, LWS_TO_KILL_ASYNC);
			return;
		}
	}
	ac->reply.token = (char *)protobuf_c_empty_string;
	ac->out = malloc(LWS_PRE + 4 + len);
	if (ac->out == NULL) {
		lc_wipe(packed, len);
		free(packed);
		lws_set_timeout(ac->wsi, PENDING_TIMEOUT_USER_REASON_BASE, LWS_TO_KILL_ASYNC);
		return;
	}
	ac->out[LWS_PRE] = (uint8_t)(len >> 24);
	ac->out[LWS_PRE + 1] = (uint8_t)(len >> 16);
	ac->out[LWS_PRE + 2] = (uint8_t)(len >> 8);
	ac->out[LWS_PRE + 3] = (uint8_t)len;
	memcpy(ac->out + LWS_PRE + 4, packed, len);
	ac->out_len = 4 + len;
	lc_wipe(packed, len);
	free(packed);
	lws_callback_on_writable(ac->wsi);
}

static void admin_done(void *arg, int status)
{
	struct admin_conn *ac = arg;
	if (status != 0) {
		ac->reply.code = (uint32_t)-status;
		if (ac->token != NULL) {
			lc_wipe(ac->token, strlen(ac->token));
			free(ac->token);
			ac->token = NULL;
		}
	} else if (ac->revoking) {
		char short_id[9];
		ac->reply.closed_connection =
			relay_close_account(ac->relay, ac->account, LIAISON_ERR_REVOKED) ? 1 : 0;
		log_info(TAG, "revoked %s", log_short_id(ac->account, short_id));
	}
	send_reply(ac);
	admin_unref(ac);
}

static int handle_request(struct admin_conn *ac, const Liaison__AdminRequest *req)
{
	struct relay *r = ac->relay;
	struct admin_status s;
	struct admin_invite_args args;
	int rc;

	switch (req->op_case) {
	case LIAISON__ADMIN_REQUEST__OP_STATUS:
		rc = admin_status_read(r->st, &s);
		if (rc != 0)
			return rc;
		ac->reply.accounts = s.accounts;
		ac->reply.queued = s.queued;
		ac->reply.blob_bytes = s.blob_bytes;
		ac->reply.directory_version = s.directory_version;
		send_reply(ac);
		return 0;
	case LIAISON__ADMIN_REQUEST__OP_INVITE:
		args.authority = req->invite->authority;
		args.country = req->invite->country != NULL ? req->invite->country : "";
		args.name = req->invite->name != NULL ? req->invite->name : "";
		args.expires_in_s = req->invite->expires_in;
		rc = admin_invite_make(r->st, r->url, r->pin, &args, time_now_ms(), &ac->token);
		break;
	case LIAISON__ADMIN_REQUEST__OP_REVOKE:
		if (req->revoke->account.len != 16)
			return LIAISON_ERR_INVALID;
		memcpy(ac->account, req->revoke->account.data, 16);
		rc = store_account_revoke(r->st, ac->account);
		ac->revoking = 1;
		break;
	default:
		return LIAISON_ERR_UNSUPPORTED;
	}
	if (rc != 0)
		return rc;
	ac->refs++;
	rc = store_commit(r->st, admin_done, ac);
	if (rc != 0)
		ac->refs--;
	return rc;
}

static void receive(struct admin_conn *ac, const uint8_t *in, size_t len)
{
	Liaison__AdminRequest *req = NULL;
	uint32_t need;
	int rc;

	if (ac->handled)
		return;
	if (len > sizeof(ac->in) - ac->in_len) {
		lws_set_timeout(ac->wsi, PENDING_TIMEOUT_USER_REASON_BASE, LWS_TO_KILL_ASYNC);
		return;
	}
	memcpy(ac->in + ac->in_len, in, len);
	ac->in_len += len;
	if (ac->in_len < 4)
		return;
	need = (uint32_t)ac->in[0] << 24 | (uint32_t)ac->in[1] << 16 | (uint32_t)ac->in[2] << 8 |
	       ac->in[3];
	if (need > ADMIN_MAX_MESSAGE) {
		lws_set_timeout(ac->wsi, PENDING_TIMEOUT_USER_REASON_BASE, LWS_TO_KILL_ASYNC);
		return;
	}
	if (ac->in_len < 4 + (size_t)need)
		return;
	ac->handled = 1;
	rc = wire_admin_request_decode(ac->in + 4, need, &req);
	if (rc == 0)
		rc = handle_request(ac, req);
	wire_admin_request_free(req);
	if (rc != 0) {
		ac->reply.code = (uint32_t)-rc;
		send_reply(ac);
	}
}

static int peer_allowed(struct lws *wsi)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = lws_get_socket_fd(wsi);
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    len != sizeof(cred))
		return 0;
	return cred.uid == getuid() || cred.uid == 0;
}

static int admin_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
			  void *in, size_t len)
{
	struct admin_conn **slot = user;
	struct admin_conn *ac = slot != NULL ? *slot : NULL;
	int n;

	switch (reason) {
	case LWS_CALLBACK_RAW_ADOPT:
		if (slot == NULL || !peer_allowed(wsi)) {
			log_warn(TAG, "refused an admin connection from another user");
			return -1;
		}
		ac = calloc(1, sizeof(*ac));
		if (ac == NULL)
			return -1;
		ac->relay = lws_context_user(lws_get_context(wsi));
		ac->wsi = wsi;
		ac->refs = 1;
		liaison__admin_reply__init(&ac->reply);
		*slot = ac;
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_REASON_BASE + 2, ADMIN_TIMEOUT_S);
		return 0;
	case LWS_CALLBACK_RAW_RX:
		if (ac != NULL && in != NULL)
			receive(ac, in, len);
		return 0;
	case LWS_CALLBACK_RAW_WRITEABLE:
		if (ac == NULL || ac->out == NULL)
			return 0;
		n = lws_write(wsi, ac->out + LWS_PRE, ac->out_len, LWS_WRITE_RAW);
		if (n < 0 || (size_t)n < ac->out_len)
			return -1;
		/* One request, one reply: done. */
		return -1;
	case LWS_CALLBACK_RAW_CLOSE:
		if (ac != NULL) {
			ac->wsi = NULL;
			*slot = NULL;
			admin_unref(ac);
		}
		return 0;
	default:
		return 0;
	}
}

const struct lws_protocols admin_protocol = {
	.name = "liaison-admin",
	.callback = admin_callback,
	.per_session_data_size = sizeof(struct admin_conn *),
	.rx_buffer_size = 4096,
};
