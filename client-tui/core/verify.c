/* Verification of a contact's key by the people themselves (DESIGN.md §5):
 * safety numbers and QR payloads of (own account, contact) from libsignal's
 * generator, compared in constant time; the verified key is kept in the
 * contact record. Never marks any key but the contact's current one. */
#include "client-tui/core/verify.h"

#include <string.h>

#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/timefmt.h"

/* What a person may paste as a safety number: the 60 digits with spaces
 * and line breaks; anything longer is refused before it is read. */
#define VERIFY_NUMBER_INPUT_MAX 512

int verify_pair_get(struct home *h, const struct self *s, signal_context *ctx,
		    const uint8_t account[16], struct verify_pair *out)
{
	struct verify_pair p;
	enum trust_state state;
	char local_id[ID_CHARS + 1], remote_id[ID_CHARS + 1];
	int rc;

	if (h == NULL || s == NULL || ctx == NULL || account == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	memset(&p, 0, sizeof(p));
	/* One's own account is no contact: there is nothing to compare. */
	if (lc_equal(account, s->account, 16))
		return LIAISON_ERR_UNKNOWN_PEER;
	rc = trust_lookup(h, account, &state, p.key);
	if (rc != 0)
		goto out;
	switch (state) {
	case TRUST_LISTED:
		break;
	case TRUST_PENDING:
		rc = LIAISON_ERR_PENDING;
		goto out;
	case TRUST_REVOKED:
		rc = LIAISON_ERR_REVOKED;
		goto out;
	case TRUST_UNLISTED:
	default:
		rc = LIAISON_ERR_UNKNOWN_PEER;
		goto out;
	}
	memcpy(p.account, account, 16);
	id_encode(s->account, local_id);
	id_encode(account, remote_id);
	rc = fp_safety(ctx, local_id, s->identity_pub, remote_id, p.key, p.number,
		       p.scannable, sizeof(p.scannable), &p.scannable_len);
	if (rc != 0)
		goto out;
	*out = p;
out:
	return rc;
}

int verify_mark(struct home *h, const struct verify_pair *pair)
{
	struct trust_contact c;
	enum trust_state state;
	uint8_t current[33];
	int rc;

	if (h == NULL || pair == NULL)
		return LIAISON_ERR_INVALID;
	/* The comparison was made for pair->key: if the trusted key moved on
	 * meanwhile, that comparison says nothing about the new one. */
	rc = trust_lookup(h, pair->account, &state, current);
	if (rc != 0)
		return rc;
	if (state != TRUST_LISTED || !lc_equal(current, pair->key, sizeof(current)))
		return LIAISON_ERR_IDENTITY;
	rc = trust_contact_get(h, pair->account, &c);
	if (rc == LIAISON_ERR_NOT_FOUND) {
		/* Listed but not yet recorded: a record of its own, which the
		 * directory fills in (names) when it notes the contact. */
		memset(&c, 0, sizeof(c));
		memcpy(c.account, pair->account, sizeof(c.account));
		rc = 0;
	}
	if (rc != 0)
		return rc;
	c.state = TRUST_LISTED;
	if (!c.has_key || !lc_equal(c.key, pair->key, sizeof(c.key))) {
		c.has_key = 1;
		memcpy(c.key, pair->key, sizeof(c.key));
		c.pinned_at = time_now_ms();
	}
	c.has_verified_key = 1;
	memcpy(c.verified_key, pair->key, sizeof(c.verified_key));
	c.verified_at = time_now_ms();
	return trust_contact_put(h, &c);
}

int verify_scanned(struct home *h, signal_context *ctx, const struct verify_pair *pair,
		   const uint8_t *scanned, size_t scanned_len)
{
	int rc;

	if (h == NULL || ctx == NULL || pair == NULL || scanned == NULL)
		return LIAISON_ERR_INVALID;
	if (scanned_len == 0 || scanned_len > FP_SCANNABLE_MAX)
		return LIAISON_ERR_INVALID;
	/* libsignal compares our local fingerprint with the scanned remote
	 * one and the other way round: the code the counterpart shows is its
	 * own view of the pair, and only that code matches. */
	rc = fp_scannable_compare(ctx, pair->scannable, pair->scannable_len, scanned, scanned_len);
	if (rc != 0)
		return rc;
	return verify_mark(h, pair);
}

int verify_number(struct home *h, const struct verify_pair *pair, const char *text)
{
	char digits[FP_SAFETY_DIGITS];
	size_t n, i, count = 0;
	int rc = LIAISON_ERR_INVALID;

	if (h == NULL || pair == NULL || text == NULL)
		return LIAISON_ERR_INVALID;
	n = strnlen(text, VERIFY_NUMBER_INPUT_MAX + 1);
	if (n > VERIFY_NUMBER_INPUT_MAX)
		return LIAISON_ERR_INVALID;
	for (i = 0; i < n; i++) {
		char ch = text[i];

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
			continue;
		if (ch < '0' || ch > '9' || count == sizeof(digits))
			goto out;
		digits[count++] = ch;
	}
	if (count != sizeof(digits))
		goto out;
	rc = lc_equal(digits, pair->number, sizeof(digits)) ? 0 : LIAISON_ERR_FINGERPRINT;
	if (rc == 0)
		rc = verify_mark(h, pair);
out:
	lc_wipe(digits, sizeof(digits));
	return rc;
}

enum verify_state verify_state_of(const struct trust_contact *c, const uint8_t current[33])
{
	if (c == NULL || !c->has_verified_key)
		return VERIFY_NONE;
	if (current == NULL)
		current = c->has_key ? c->key : NULL;
	if (current != NULL && lc_equal(c->verified_key, current, sizeof(c->verified_key)))
		return VERIFY_VERIFIED;
	return VERIFY_KEY_CHANGED;
}

int verify_state(struct home *h, const uint8_t account[16], enum verify_state *out)
{
	struct trust_contact c;
	enum trust_state state;
	uint8_t current[33];
	int rc;

	if (h == NULL || account == NULL || out == NULL)
		return LIAISON_ERR_INVALID;
	rc = trust_contact_get(h, account, &c);
	if (rc == LIAISON_ERR_NOT_FOUND) {
		*out = VERIFY_NONE;
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = trust_lookup(h, account, &state, current);
	if (rc != 0)
		return rc;
	*out = verify_state_of(&c, state == TRUST_LISTED ? current : NULL);
	return 0;
}

void verify_number_format(const char number[FP_SAFETY_DIGITS + 1],
			  char out[VERIFY_NUMBER_TEXT + 1])
{
	size_t i, o = 0;

	for (i = 0; i < FP_SAFETY_DIGITS; i++) {
		if (i > 0 && i % 5 == 0)
			out[o++] = ' ';
		out[o++] = number[i];
	}
	out[o] = '\0';
}
