/* Checkpoints of the relay's WAL off the loop thread. A checkpoint copies
 * the WAL's pages into the database file and syncs it; run by SQLite inside
 * a COMMIT it stalled the loop for 10–20 ms every second at 5,000 msg/s.
 * Here a worker thread runs a PASSIVE checkpoint on a connection of its own
 * while the loop goes on committing; the loop then finishes with a short
 * PASSIVE checkpoint of its own (only the frames committed meanwhile), after
 * which its next transaction starts the WAL again from the beginning.
 * The thread only ever uses its own connection. */
#ifndef LIAISON_SERVER_STORE_CKPT_H
#define LIAISON_SERVER_STORE_CKPT_H

#include "protocol/errors.h"

struct store_ckpt;

/* WAL frames after which the store asks for a checkpoint (about 40 MB);
 * a unit test lowers it. */
extern int store_checkpoint_pages;

/* Opens a second connection to the WAL-mode database at path and starts
 * the worker thread. */
int store_ckpt_open(const char *path, struct store_ckpt **out) LIAISON_WUR;
/* Waits for a checkpoint in progress, stops the thread and closes its
 * connection; NULL is a no-op. */
void store_ckpt_close(struct store_ckpt *c);

/* Asks the thread for one checkpoint of everything committed so far.
 * Returns 0, or LIAISON_ERR_BUSY while an earlier one is unfinished or
 * unclaimed. */
int store_ckpt_request(struct store_ckpt *c) LIAISON_WUR;
/* 1 once the requested checkpoint finished (claimed by this call: the
 * next request may follow), else 0. */
int store_ckpt_claim(struct store_ckpt *c);

#endif
