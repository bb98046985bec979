/* Group commit in the relay's store (server/store_sync.h): a completion
 * never runs, and a message is never fetched, before a sync that began
 * after its COMMIT has finished; batches complete in order; a failed sync
 * fails its batches. The sync is held in flight by the test hook. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "protocol/crypto.h"
#include "server/store.h"
#include "server/store_ckpt.h"
#include "server/store_sync.h"
#include "tests/unit/store_fixture.h"

#define NOW 1700000000000ull

/* The hook's state: each sync waits until the test releases it. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int syncs_started, syncs_released, wakes;
static int sync_result;

static int held_sync(int fd)
{
	int rc;
	pthread_mutex_lock(&mu);
	syncs_started++;
	pthread_cond_broadcast(&cv);
	while (syncs_released < syncs_started)
		pthread_cond_wait(&cv, &mu);
	rc = sync_result;
	pthread_mutex_unlock(&mu);
	if (rc == 0 && fdatasync(fd) != 0)
		rc = LIAISON_ERR_IO;
	return rc;
}

static void on_wake(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	wakes++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void on_schedule(void *arg)
{
	(void)arg;	/* the test calls store_flush itself */
}

/* Waits (at most 10 s) until *counter reaches n. */
static void wait_for(int *counter, int n)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&mu);
	while (*counter < n) {
		if (pthread_cond_timedwait(&cv, &mu, &until) != 0)
			break;
	}
	assert_true(*counter >= n);
	pthread_mutex_unlock(&mu);
}

static void release_one(void)
{
	pthread_mutex_lock(&mu);
	syncs_released++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static int setup(void **state)
{
	struct fixture *f = fixture_open("liaison-test-sync");
	syncs_started = syncs_released = wakes = 0;
	sync_result = 0;
	store_sync_test_hook = held_sync;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	/* Let any sync still held go, so that close can finish. */
	pthread_mutex_lock(&mu);
	syncs_released = 1 << 30;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	fixture_close(*state);
	store_sync_test_hook = NULL;
	return 0;
}

/* Completions record their order and status. */
struct log {
	char order[16];
	size_t n;
	int status[16];
};
struct tag {
	struct log *log;
	char name;
};

static void note(void *arg, int status)
{
	struct tag *t = arg;
	t->log->status[t->log->n] = status;
	t->log->order[t->log->n++] = t->name;
}

static void put(struct store *st, uint8_t msg_byte)
{
	uint8_t sender[16], rcpt[16], msg[16], ct[4] = { 1, 2, 3, 4 };
	uint64_t seq = 0;
	int dup = 1;
	memset(sender, 0xa1, 16);
	memset(rcpt, 0xb1, 16);
	memset(msg, msg_byte, 16);
	assert_int_equal(store_mailbox_put(st, sender, rcpt, msg, 2, ct, sizeof(ct), NOW, &seq,
					   &dup), 0);
	assert_int_equal(dup, 0);
}

static int count_one(void *arg, const struct store_message *m)
{
	(void)m;
	(*(size_t *)arg)++;
	return 0;
}

static size_t fetchable(struct store *st)
{
	uint8_t rcpt[16];
	size_t n = 0, count = 0;
	memset(rcpt, 0xb1, 16);
	assert_int_equal(store_mailbox_fetch(st, rcpt, 0, 100, 1 << 20, count_one, &n, &count), 0);
	return count;
}

/* The user-visible promise: "acknowledged" means on disk, and nobody is
 * handed a message that is not. */
static void test_completion_waits_for_covering_sync(void **state)
{
	struct fixture *f = *state;
	struct log log;
	struct tag a = { &log, 'A' }, b = { &log, 'B' }, r = { &log, 'R' };

	memset(&log, 0, sizeof(log));
	assert_int_equal(store_set_scheduler(f->st, on_schedule, on_wake, NULL), 0);

	/* A is committed and its sync starts, held in flight. */
	put(f->st, 1);
	assert_int_equal(store_commit(f->st, note, &a), 0);
	store_flush(f->st);
	wait_for(&syncs_started, 1);
	store_flush(f->st);
	assert_int_equal(log.n, 0);			/* not before its sync finished */
	assert_int_equal(fetchable(f->st), 0);		/* committed, not yet durable */

	/* B arrives while A's sync runs: that sync cannot cover it. */
	put(f->st, 2);
	assert_int_equal(store_commit(f->st, note, &b), 0);
	store_flush(f->st);
	assert_int_equal(log.n, 0);

	/* A's sync finishes: A completes, B does not; B's sync starts. */
	release_one();
	wait_for(&wakes, 1);
	store_flush(f->st);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.order[0], 'A');
	assert_int_equal(log.status[0], 0);
	assert_int_equal(fetchable(f->st), 1);		/* A only */
	wait_for(&syncs_started, 2);

	/* A frame that wrote nothing still waits for what came before it. */
	assert_int_equal(store_commit(f->st, note, &r), 0);
	store_flush(f->st);
	assert_int_equal(log.n, 1);

	release_one();
	wait_for(&wakes, 2);
	store_flush(f->st);
	assert_int_equal(log.n, 3);
	assert_memory_equal(log.order, "ABR", 3);
	assert_int_equal(log.status[1], 0);
	assert_int_equal(log.status[2], 0);
	assert_int_equal(fetchable(f->st), 2);
	assert_int_equal(store_set_scheduler(f->st, NULL, NULL, NULL), 0);
}

/* A sync that fails: the batch it was to cover is reported failed, its
 * message is never handed out, and nothing later is reported durable. */
static void test_failed_sync_fails_batch(void **state)
{
	struct fixture *f = *state;
	struct log log;
	struct tag a = { &log, 'A' }, b = { &log, 'B' };

	memset(&log, 0, sizeof(log));
	sync_result = LIAISON_ERR_IO;
	syncs_released = 1 << 30;			/* inline: no thread, not held */
	put(f->st, 1);
	assert_int_equal(store_commit(f->st, note, &a), 0);
	store_flush(f->st);
	assert_int_equal(log.n, 1);
	assert_true(log.status[0] < 0);
	assert_int_equal(fetchable(f->st), 0);
	sync_result = 0;
	put(f->st, 2);
	assert_int_equal(store_commit(f->st, note, &b), 0);
	store_flush(f->st);
	assert_int_equal(log.n, 2);
	assert_true(log.status[1] < 0);
	assert_int_equal(fetchable(f->st), 0);
}

/* Without a sync thread (the admin commands' direct path) store_flush
 * still returns only after the sync. */
static void test_inline_sync_before_completion(void **state)
{
	struct fixture *f = *state;
	struct log log;
	struct tag a = { &log, 'A' };

	memset(&log, 0, sizeof(log));
	syncs_released = 1 << 30;
	put(f->st, 1);
	assert_int_equal(store_commit(f->st, note, &a), 0);
	assert_int_equal(syncs_started, 0);
	store_flush(f->st);
	assert_int_equal(syncs_started, 1);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.status[0], 0);
	assert_int_equal(fetchable(f->st), 1);
}

static off_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? sb.st_size : 0;
}

/* Flushes until the batch's completion ran (at most 10 s). */
static void flush_until(struct store *st, const struct log *log, size_t n)
{
	int i;
	for (i = 0; i < 10000 && log->n < n; i++) {
		store_flush(st);
		if (log->n < n)
			usleep(1000);
	}
	assert_int_equal(log->n, n);
}

/* Checkpoints run off the loop (store_ckpt.c) and the WAL still starts
 * again from its beginning: it stays short however much is written, every
 * page reaches the database file, and nothing is lost on reopening. */
static void test_checkpoints_keep_wal_short(void **state)
{
	struct fixture *f = *state;
	enum { BATCHES = 400 };
	uint8_t sender[16], rcpt[16], msg[16], ct[1024];
	char wal[160];
	off_t wal_max = 0;
	size_t i, n = 0, count = 0;
	int saved = store_checkpoint_pages;

	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	syncs_released = 1 << 30;
	store_checkpoint_pages = 16;
	assert_int_equal(store_set_scheduler(f->st, on_schedule, on_wake, NULL), 0);
	memset(sender, 0xa1, 16);
	memset(rcpt, 0xb1, 16);
	memset(ct, 0x5a, sizeof(ct));
	for (i = 0; i < BATCHES; i++) {
		struct log log;
		struct tag t = { &log, 'T' };
		uint64_t seq = 0;
		int dup = 1;

		memset(&log, 0, sizeof(log));
		memset(msg, 0, sizeof(msg));
		memcpy(msg, &i, sizeof(i));
		assert_int_equal(store_mailbox_put(f->st, sender, rcpt, msg, 2, ct, sizeof(ct), NOW,
						   &seq, &dup), 0);
		assert_int_equal(store_commit(f->st, note, &t), 0);
		flush_until(f->st, &log, 1);
		assert_int_equal(log.status[0], 0);
		if (file_size(wal) > wal_max)
			wal_max = file_size(wal);
	}
	assert_int_equal(store_set_scheduler(f->st, NULL, NULL, NULL), 0);
	store_checkpoint_pages = saved;
	/* 400 KiB of ciphertext (with its indexes, several MiB of WAL frames
	 * without checkpoints) went through a WAL that stayed well under 1 MiB,
	 * into the database file. */
	assert_true(wal_max > 0);
	assert_true(wal_max < 1024 * 1024);
	assert_true(file_size(f->path) > (off_t)BATCHES * (off_t)sizeof(ct));

	fixture_reopen(f);
	assert_int_equal(store_mailbox_fetch(f->st, rcpt, 0, 1000, 1 << 30, count_one, &n, &count),
			 0);
	assert_int_equal(count, BATCHES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_completion_waits_for_covering_sync, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_sync_fails_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inline_sync_before_completion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoints_keep_wal_short, setup, teardown),
	};
	if (lc_init() != 0)
		return 1;
	return cmocka_run_group_tests_name("store_sync", tests, NULL, NULL);
}
