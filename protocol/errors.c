/* The one table of error words and exit codes (CONTRACT.md conventions). */
#include "protocol/errors.h"

#include <stddef.h>

struct err_entry {
	const char *words;
	int exit_code;
};

static const struct err_entry table[LIAISON_ERR_COUNT_] = {
	[0] = { "success", 0 },
	[1] = { "out of memory", 1 },
	[2] = { "malformed input", 2 },
	[3] = { "input over the size limit", 1 },
	[4] = { "a cryptographic operation failed", 1 },
	[5] = { "a signature does not verify", 4 },
	[6] = { "decryption failed (data altered or wrong key)", 4 },
	[7] = { "input/output error", 1 },
	[8] = { "storage error", 1 },
	[9] = { "the relay could not be reached", 1 },
	[10] = { "no answer in time", 1 },
	[11] = { "not found", 1 },
	[12] = { "already exists", 1 },
	[13] = { "not permitted", 3 },
	[14] = { "expired", 3 },
	[15] = { "already used", 3 },
	[16] = { "the relay's certificate does not match the pin in the invite", 4 },
	[17] = { "the key differs from the trusted one", 4 },
	[18] = { "the home is in use by another liaison process", 1 },
	[19] = { "wrong passphrase", 3 },
	[20] = { "unknown recipient", 4 },
	[21] = { "the account is revoked", 3 },
	[22] = { "duplicate", 0 },
	[23] = { "unsupported version or kind", 1 },
	[24] = { "usage error", 2 },
	[25] = { "the peer broke the protocol", 1 },
	[26] = { "the invite token is damaged or incomplete", 3 },
	[27] = { "the account is awaiting approval", 3 },
	[28] = { "login refused", 3 },
	[29] = { "the relay does not know this invite", 3 },
	[30] = { "the fingerprint does not match", 4 },
	[31] = { "not initialised", 1 },
	[32] = { "busy, try again", 1 },
	[33] = { "internal error", 1 },
	[34] = { "the directory was rolled back to an older version: the relay may be tampering; tell the secretariat", 4 },
	[35] = { "the directory has forked (two signed histories): stop and tell the secretariat", 4 },
	[36] = { "the directory is behind its signed head: fetch the missing changes", 4 },
	[37] = { "the relay withholds directory changes that a signed head announces: tell the secretariat", 4 },
	[38] = { "a directory object is not signed by an active, certified secretariat (or the root)", 4 },
	[39] = { "a directory change is out of order or does not follow the previous one", 4 },
	[40] = { "a directory time is backdated, too far ahead or outside its signer's certificate", 4 },
	[41] = { "the directory head has expired (stale directory): ask the secretariat to run directory refresh", 4 },
	[42] = { "your own directory entry changed without your asking: tell the secretariat", 4 },
	[43] = { "the contact's key changed since you verified it", 4 },
	[44] = { "the directory the relay serves fails verification (tampered with): nothing was sent, "
		 "received messages were kept; tell the secretariat", 4 },
};

static const struct err_entry *lookup(int err)
{
	if (err > 0 || -err >= LIAISON_ERR_COUNT_)
		return NULL;
	return &table[-err];
}

const char *liaison_strerror(int err)
{
	const struct err_entry *e = lookup(err);
	return e != NULL && e->words != NULL ? e->words : "unknown error";
}

int liaison_exit_code(int err)
{
	const struct err_entry *e = lookup(err);
	return e != NULL ? e->exit_code : 1;
}
