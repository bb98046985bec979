/* Message history in the encrypted home (VT_MESSAGE): one record per message,
 * sent or received, including those kept undecrypted (quarantined as
 * untrusted, or failed with their error). Nothing here decides trust or
 * prints; it only lays records out and reads them back, bounded. */
#ifndef LIAISON_MSGSTORE_H
#define LIAISON_MSGSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "client-tui/core/home.h"
#include "protocol/errors.h"

enum msg_dir { MSG_IN = 0, MSG_OUT = 1 };
enum msg_status {
	MSG_RECEIVED = 0,   /* decrypted and stored */
	MSG_QUEUED = 1,     /* own, in the outbox */
	MSG_SENT = 2,       /* own, on the relay's disk */
	MSG_UNTRUSTED = 3,  /* quarantined undecrypted: the key is not the trusted one */
	MSG_FAILED = 4      /* could not be decrypted; error says why */
};

struct msg_record {
	uint8_t id[16];
	uint8_t dir;            /* MSG_IN / MSG_OUT */
	uint8_t peer[16];       /* the conversation: the other account */
	uint8_t from[16];       /* the sender */
	uint8_t kind;           /* INNER_KIND_* (0 when unknown: not decrypted) */
	uint8_t status;         /* MSG_* */
	uint8_t type;           /* libsignal type of a kept ciphertext */
	int32_t error;          /* LIAISON_ERR_* of a failure, else 0 */
	uint64_t sent_at;       /* ms, the sender's claim (0 when unknown) */
	uint64_t received_at;   /* ms: the relay's commit, or the local creation */
	uint64_t order;         /* local order of arrival */
	char *text;             /* NUL-terminated, may hold any bytes; NULL when none */
	size_t text_len;
	uint8_t *ciphertext;    /* kept for quarantined or failed messages */
	size_t ciphertext_len;
	uint8_t verified;       /* the sender's key was verified by the reader on arrival */
};

/* Stores (or replaces) m under (from, id), inside the caller's transaction. */
int msgstore_put(struct home *h, const struct msg_record *m) LIAISON_WUR;
/* LIAISON_ERR_NOT_FOUND when absent. */
int msgstore_get(struct home *h, const uint8_t from[16], const uint8_t id[16],
		 struct msg_record **out) LIAISON_WUR;
int msgstore_set_status(struct home *h, const uint8_t from[16], const uint8_t id[16],
			int status) LIAISON_WUR;
/* History oldest first; peer NULL for every conversation. */
int msgstore_list(struct home *h, const uint8_t *peer, struct msg_record ***out,
		  size_t *n) LIAISON_WUR;
void msgstore_list_free(struct msg_record **list, size_t n);
void msg_record_free(struct msg_record *m);
/* A local arrival order: milliseconds, made unique within the process. */
uint64_t msgstore_next_order(void);

#endif
