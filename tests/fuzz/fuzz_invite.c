/* libFuzzer target for invite tokens (protocol/invite.c). An input with an
 * even first byte is token text as a person would paste it; with an odd
 * first byte the rest is a raw layout, given a valid checksum here so the
 * parser behind the checksum is reached too. A token that decodes must
 * verify without crashing and re-encode to a token that decodes the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/invite.h"

#define NOW 1764459098000ULL

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (lc_init() != 0)
		abort();
	return 0;
}

/* "liaison1-" + base32(layout || checksum), malloc'd, or NULL. */
static char *token_from_layout(const uint8_t *p, size_t n)
{
	uint8_t *bytes = NULL, sum[LC_HASH_BYTES];
	char *text = NULL;
	size_t plen = strlen(INVITE_PREFIX), tsz;

	if (n > 4096)
		return NULL;
	bytes = malloc(n + 4);
	tsz = plen + (n + 4 + 4) / 5 * 8 + 1;
	text = malloc(tsz);
	if (bytes == NULL || text == NULL || lc_sha256(p, n, sum) != 0)
		goto fail;
	if (n > 0)
		memcpy(bytes, p, n);
	memcpy(bytes + n, sum, 4);
	memcpy(text, INVITE_PREFIX, plen);
	if (base32_encode(bytes, n + 4, text + plen, tsz - plen) != 0)
		goto fail;
	free(bytes);
	return text;
fail:
	free(bytes);
	free(text);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct invite inv, again;
	char *made = NULL, *tok = NULL, *tok2 = NULL;
	int rc;

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		made = token_from_layout(data + 1, size - 1);
		if (made == NULL)
			return 0;
		rc = invite_decode(made, strlen(made), &inv);
	} else {
		rc = invite_decode((const char *)data, size, &inv);
	}
	if (rc != 0)
		goto out;
	rc = invite_verify(&inv, NOW);
	if (rc > 0 || rc <= -LIAISON_ERR_COUNT_)
		abort();
	if (invite_encode(&inv, &tok) != 0)
		abort();	/* what we read, we can write */
	if (invite_decode(tok, strlen(tok), &again) != 0)
		abort();
	if (invite_encode(&again, &tok2) != 0 || strcmp(tok, tok2) != 0)
		abort();
	if (invite_verify(&again, NOW) != rc)
		abort();
out:
	free(tok2);
	free(tok);
	free(made);
	return 0;
}
