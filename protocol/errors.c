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
	[26] = { "checksum mismatch (the text was altered or cut)", 3 },
	[27] = { "the account is awaiting approval", 3 },
	[28] = { "login refused", 3 },
	[29] = { "the relay does not know this invite", 3 },
	[30] = { "the fingerprint does not match", 4 },
	[31] = { "not initialised", 1 },
	[32] = { "busy, try again", 1 },
	[33] = { "internal error", 1 },
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
