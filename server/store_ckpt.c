/* The checkpoint worker of server/store_ckpt.h. PASSIVE never takes the
 * writer's lock and never waits: it copies every frame no reader still
 * needs (the loop's open transaction reads a snapshot that already holds
 * every committed frame, so all of them) and syncs the WAL before copying.
 * SQLite syncs the database after a checkpoint only when it reached the
 * end of the WAL, which under load it never does (the loop commits
 * meanwhile); then the loop's own short checkpoint had to sync all the
 * pages copied here, 4-9 ms on the loop. So the worker syncs the database
 * itself after each pass, and makes a second pass for the frames committed
 * during the first, leaving the loop a few frames to copy and sync. The
 * durability argument of store_sqlite.c is unchanged: the WAL restarts only
 * after every frame is in the database file and that file is synced. */
#include "server/store_ckpt.h"

#include <pthread.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "protocol/log.h"

#define TAG "store"

int store_checkpoint_pages = 10000;

enum ckpt_state { CKPT_IDLE, CKPT_ASKED, CKPT_DONE };

struct store_ckpt {
	sqlite3 *db;
	pthread_t thread;
	int running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Under mu: */
	enum ckpt_state state;
	int stop;
};

/* One PASSIVE pass, then the database synced. The sync goes through
 * SQLite's own handle of the file on this connection: a descriptor of our
 * own, once closed, would drop every POSIX lock the process holds on the
 * file, the loop connection's included. A failed checkpoint or sync loses
 * nothing (the WAL still holds every frame, and the WAL restarts only after
 * a checkpoint that syncs the database itself); the next one tries again. */
static int pass(struct store_ckpt *c)
{
	sqlite3_file *f = NULL;
	int frames = 0, copied = 0;

	if (sqlite3_wal_checkpoint_v2(c->db, "main", SQLITE_CHECKPOINT_PASSIVE, &frames,
				      &copied) != SQLITE_OK) {
		log_err(TAG, "checkpoint: %s", sqlite3_errmsg(c->db));
		return -1;
	}
	if (sqlite3_file_control(c->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK ||
	    f == NULL || f->pMethods == NULL || f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) != SQLITE_OK) {
		log_err(TAG, "syncing the database after a checkpoint failed");
		return -1;
	}
	return 0;
}

static void *worker(void *arg)
{
	struct store_ckpt *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->stop && c->state != CKPT_ASKED)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->mu);
		if (pass(c) == 0)
			(void)pass(c);	/* what was committed during the first */
		pthread_mutex_lock(&c->mu);
		c->state = CKPT_DONE;
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int store_ckpt_open(const char *path, struct store_ckpt **out)
{
	struct store_ckpt *c = calloc(1, sizeof(*c));
	int rc = 0;

	if (c == NULL)
		return LIAISON_ERR_NOMEM;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return LIAISON_ERR_INTERNAL;
	}
	if (pthread_cond_init(&c->cv, NULL) != 0) {
		pthread_mutex_destroy(&c->mu);
		free(c);
		return LIAISON_ERR_INTERNAL;
	}
	/* Its own connection, used by the worker alone; NORMAL syncs the WAL
	 * before a checkpoint and the database after it. */
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
		    SQLITE_OK ||
	    sqlite3_exec(c->db, "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		log_err(TAG, "opening the checkpoint connection: %s",
			c->db != NULL ? sqlite3_errmsg(c->db) : "out of memory");
		rc = LIAISON_ERR_STORAGE;
		goto out;
	}
	if (pthread_create(&c->thread, NULL, worker, c) != 0) {
		rc = LIAISON_ERR_INTERNAL;
		goto out;
	}
	c->running = 1;
	*out = c;
	c = NULL;
out:
	store_ckpt_close(c);
	return rc;
}

void store_ckpt_close(struct store_ckpt *c)
{
	if (c == NULL)
		return;
	if (c->running) {
		pthread_mutex_lock(&c->mu);
		c->stop = 1;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
	}
	if (c->db != NULL && sqlite3_close(c->db) != SQLITE_OK)
		log_err(TAG, "closing the checkpoint connection: %s", sqlite3_errmsg(c->db));
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

int store_ckpt_request(struct store_ckpt *c)
{
	int rc = LIAISON_ERR_BUSY;
	pthread_mutex_lock(&c->mu);
	if (c->state == CKPT_IDLE) {
		c->state = CKPT_ASKED;
		pthread_cond_broadcast(&c->cv);
		rc = 0;
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int store_ckpt_claim(struct store_ckpt *c)
{
	int done;
	pthread_mutex_lock(&c->mu);
	done = c->state == CKPT_DONE;
	if (done)
		c->state = CKPT_IDLE;
	pthread_mutex_unlock(&c->mu);
	return done;
}
