/* Send, Fetch and Ack: the mailbox. The sender is stamped from the login,
 * (sender, message id) is held until expiry so a retry never doubles a
 * message, and a SendAck leaves only after the commit. Never logs or
 * inspects a ciphertext. */
#include "server/relay.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/timefmt.h"

#define MAX_ACKS 4096

int handle_send(struct conn *c, uint64_t id, const Liaison__Send *m, struct reply *rp)
{
	struct relay *r = c->relay;
	struct store_account to;
	Liaison__Item *it;
	Liaison__SendAck *ack;
	uint64_t now = time_now_ms(), seq = 0;
	int duplicate = 0, rc;

	if (m->to.len != 16 || m->message_id.len != 16 || (m->type != 2 && m->type != 3) ||
	    m->ciphertext.len == 0)
		return LIAISON_ERR_INVALID;
	if (m->ciphertext.len > WIRE_MAX_CIPHERTEXT)
		return LIAISON_ERR_TOO_BIG;
	rc = store_account_get(r->st, m->to.data, &to);
	if (rc == LIAISON_ERR_NOT_FOUND)
		return LIAISON_ERR_UNKNOWN_PEER;
	if (rc != 0)
		return rc;
	switch (relay_access(r, &to)) {
	case ACCESS_REVOKED:
		return LIAISON_ERR_REVOKED;
	case ACCESS_PENDING:
		return LIAISON_ERR_UNKNOWN_PEER;	/* not listed: it could not read it */
	default:
		break;
	}
	rc = store_mailbox_put(r->st, c->account, to.id, m->message_id.data, m->type,
			       m->ciphertext.data, m->ciphertext.len, now, &seq, &duplicate);
	if (rc != 0)
		return rc;
	it = item_new(id);
	ack = malloc(sizeof(*ack));
	if (it == NULL || ack == NULL) {
		item_free(it);
		free(ack);
		return LIAISON_ERR_NOMEM;
	}
	liaison__send_ack__init(ack);
	it->body_case = LIAISON__ITEM__BODY_SEND_ACK;
	it->send_ack = ack;
	ack->duplicate = duplicate ? 1 : 0;
	if (item_bytes(&ack->message_id, m->message_id.data, 16) != 0) {
		item_free(it);
		return LIAISON_ERR_NOMEM;
	}
	rc = reply_add(rp, it);
	if (rc == 0 && !duplicate)
		rc = reply_wake(rp, to.id, WAKE_MAIL, 0);
	return rc;
}

int handle_fetch(struct conn *c, uint64_t id, struct reply *rp)
{
	(void)c;
	/* The deliveries and Drained follow this frame's other replies. */
	rp->start_fetch = 1;
	rp->fetch_id = id;
	return 0;
}

int handle_ack(struct conn *c, uint64_t id, const Liaison__Ack *m, struct reply *rp)
{
	int rc;
	if (m->n_seq > MAX_ACKS)
		return LIAISON_ERR_TOO_BIG;
	rc = store_mailbox_ack(c->relay->st, c->account, m->seq, m->n_seq);
	if (rc == 0)
		rc = reply_add(rp, item_ok(id));
	return rc;
}
