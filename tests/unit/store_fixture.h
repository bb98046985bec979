/* The relay store's test fixture, shared by the store's unit tests: a
 * fresh database in its own temporary directory for each test, removed
 * afterwards, and the commit every test makes. Include after cmocka.h. */
#ifndef LIAISON_TEST_STORE_FIXTURE_H
#define LIAISON_TEST_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/store.h"

struct fixture {
	char dir[64];
	char path[128];
	struct store *st;
};

/* Opens a new store in a new directory named after prefix. */
static inline struct fixture *fixture_open(const char *prefix)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/%s.XXXXXX", prefix);
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/relay.db", f->dir);
	assert_int_equal(store_open(f->path, 1, &f->st), 0);
	return f;
}

static inline void fixture_close(struct fixture *f)
{
	char cmd[160];
	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
}

/* Closes and opens the store again, as a restarted relay would. */
static inline void fixture_reopen(struct fixture *f)
{
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->path, 0, &f->st), 0);
}

static inline void fixture_note(void *arg, int status)
{
	*(int *)arg = status;
}

/* Commits what is staged; the completion must come with the flush, not
 * before, and say that it is on disk. */
static inline void fixture_commit(struct store *st)
{
	int status = 12345;
	assert_int_equal(store_commit(st, fixture_note, &status), 0);
	assert_int_equal(status, 12345);
	store_flush(st);
	assert_int_equal(status, 0);
}

#endif
