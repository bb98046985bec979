/* InviteRegister: an active secretariat of the directory (before the
 * genesis: the bootstrap account) registers an invite it minted; the relay
 * keeps only SHA-256(redeem) with id, role, authority and expiry. A
 * secretariat-role invite only from the root holder. */
#include "server/relay.h"

#include <string.h>

#include "protocol/timefmt.h"

int handle_invite_register(struct conn *c, uint64_t id, const Liaison__InviteRegister *m,
			   struct reply *rp)
{
	struct store_invite inv;
	uint64_t now = time_now_ms();
	size_t alen;
	int rc;

	if (!relay_is_secretariat(c))
		return LIAISON_ERR_DENIED;
	if (m->invite_id.len != 16 || m->redeem_hash.len != 32 || m->authority == NULL)
		return LIAISON_ERR_INVALID;
	if (m->role != ROLE_MEMBER && m->role != ROLE_SECRETARIAT)
		return LIAISON_ERR_INVALID;
	if (m->role == ROLE_SECRETARIAT && !relay_is_root_holder(c))
		return LIAISON_ERR_DENIED;
	alen = strlen(m->authority);
	if (alen == 0 || alen > LAYOUT_MAX_AUTHORITY)
		return LIAISON_ERR_INVALID;
	if (m->expires <= now)
		return LIAISON_ERR_EXPIRED;
	if (m->expires - now > RELAY_MAX_INVITE_MS)
		return LIAISON_ERR_INVALID;
	memset(&inv, 0, sizeof(inv));
	memcpy(inv.id, m->invite_id.data, 16);
	memcpy(inv.redeem_hash, m->redeem_hash.data, 32);
	inv.role = (uint8_t)m->role;
	memcpy(inv.authority, m->authority, alen + 1);
	inv.expires = m->expires;
	inv.bootstrap = 0;
	rc = store_invite_add(c->relay->st, &inv);
	if (rc == 0)
		rc = reply_add(rp, item_ok(id));
	return rc;
}
