/* The store's durability sequencer (DESIGN.md §7): numbers the commits
 * ("generations") and makes them durable with fdatasync of the WAL file,
 * inline or on one worker thread. The thread only ever calls fsync-family
 * calls on its own descriptor and the wake function: never SQLite, never lws
 * except through wake (which must be lws_cancel_service or as safe). */
#ifndef LIAISON_SERVER_STORE_SYNC_H
#define LIAISON_SERVER_STORE_SYNC_H

#include <stdint.h>

#include "protocol/errors.h"

struct store_sync;
typedef void (*store_sync_wake_fn)(void *arg);

/* Opens its own descriptor of the WAL file at wal_path (which must exist)
 * and syncs the file and its directory once, so that whatever a previous
 * process left in the WAL is durable before anything is served from it. */
int store_sync_open(const char *wal_path, struct store_sync **out) LIAISON_WUR;
/* Stops the thread if one runs (after it finished the syncs asked of it)
 * and closes; NULL is a no-op. */
void store_sync_close(struct store_sync *s);

/* Starts the worker thread: from now on store_sync_request returns at once
 * and wake(arg) is called from the thread after every sync it finished. */
int store_sync_start(struct store_sync *s, store_sync_wake_fn wake, void *arg) LIAISON_WUR;
/* Finishes the syncs asked for, joins the thread and returns to inline
 * syncs; wake is never called after it returns. */
void store_sync_stop(struct store_sync *s);

/* Everything written for generations <= gen has been written to the WAL
 * (the write calls returned): make it durable. Inline (no thread): syncs
 * before it returns. */
void store_sync_request(struct store_sync *s, uint64_t gen);
/* *gen: the highest generation known durable (every sync counted here
 * began after that generation was requested); written in every case. The
 * return is a negative LIAISON_ERR_* once any sync failed: nothing past
 * *gen will ever be reported durable. */
int store_sync_durable(struct store_sync *s, uint64_t *gen) LIAISON_WUR;
/* 1 while a sync thread runs and a sync asked for has not finished: a
 * commit made now could not be synced before it finishes anyway. */
int store_sync_busy(struct store_sync *s);
/* Blocks until gen is durable or a sync failed. */
void store_sync_wait(struct store_sync *s, uint64_t gen);

/* Test hook, NULL in the product: called instead of fdatasync (from the
 * worker thread when one runs), so a unit test can hold a sync in flight. */
extern int (*store_sync_test_hook)(int fd);

#endif
