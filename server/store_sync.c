/* Group commit for the relay's store: the loop COMMITs under
 * synchronous=NORMAL (WAL frames written, not synced) and asks for a
 * generation to be made durable; one fdatasync of the WAL covers every
 * generation requested before it began. It must never report a generation
 * durable on the strength of a sync that began before it was requested. */
#include "server/store_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/log.h"

#define TAG "store"

int (*store_sync_test_hook)(int fd) = NULL;

struct store_sync {
	char *path;
	int fd;
	pthread_mutex_t mu;
	pthread_cond_t cv;			/* work for the thread, or a sync done */
	pthread_t thread;
	int running;				/* the thread exists */
	int stop;
	store_sync_wake_fn wake;
	void *wake_arg;
	/* Under mu: */
	uint64_t requested;			/* highest generation asked for */
	uint64_t durable;			/* highest generation a finished sync covers */
	int failed;				/* sticky: a sync failed */
};

/* The WAL is only ever replaced when the last connection closes; should
 * that happen anyway, sync the file now at the path, not a stale inode. */
static int refresh_fd(struct store_sync *s)
{
	struct stat a, b;
	int fd;

	if (fstat(s->fd, &a) == 0 && a.st_nlink > 0 && stat(s->path, &b) == 0 &&
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
		return 0;
	fd = open(s->path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		log_err_f(TAG, "reopening the write-ahead log");
		return LIAISON_ERR_IO;
	}
	close(s->fd);
	s->fd = fd;
	return 0;
}

static int sync_file(struct store_sync *s)
{
	int rc = refresh_fd(s);
	if (rc != 0)
		return rc;
	if (store_sync_test_hook != NULL)
		return store_sync_test_hook(s->fd);
	if (fdatasync(s->fd) != 0) {
		/* After a failed fsync the kernel may have dropped the dirty
		 * pages: nothing written since the last good sync is safe. */
		log_err_f(TAG, "syncing the write-ahead log");
		return LIAISON_ERR_IO;
	}
	return 0;
}

static int sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (copy == NULL)
		return LIAISON_ERR_NOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		log_err_f(TAG, "syncing the database's directory");
		rc = LIAISON_ERR_IO;
	}
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

int store_sync_open(const char *wal_path, struct store_sync **out)
{
	struct store_sync *s = calloc(1, sizeof(*s));
	int rc = 0;

	if (s == NULL)
		return LIAISON_ERR_NOMEM;
	s->fd = -1;
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		free(s);
		return LIAISON_ERR_INTERNAL;
	}
	if (pthread_cond_init(&s->cv, NULL) != 0) {
		pthread_mutex_destroy(&s->mu);
		free(s);
		return LIAISON_ERR_INTERNAL;
	}
	s->path = strdup(wal_path);
	if (s->path == NULL) {
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	s->fd = open(wal_path, O_RDWR | O_CLOEXEC);
	if (s->fd < 0) {
		log_err_f(TAG, "opening the write-ahead log");
		rc = LIAISON_ERR_STORAGE;
		goto out;
	}
	/* A previous process may have been killed with frames written but not
	 * synced: make them durable before anyone reads them from us. */
	rc = sync_file(s);
	if (rc == 0)
		rc = sync_dir(wal_path);
	if (rc != 0)
		goto out;
	*out = s;
	s = NULL;
out:
	store_sync_close(s);
	return rc;
}

static void *worker(void *arg)
{
	struct store_sync *s = arg;
	uint64_t target;
	int rc;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->stop && s->requested <= s->durable && !s->failed)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->failed || s->requested <= s->durable) {
			if (s->stop)
				break;
			/* Failed: nothing more will be reported durable. */
			pthread_cond_wait(&s->cv, &s->mu);
			continue;
		}
		/* Everything up to target was written before this point. */
		target = s->requested;
		pthread_mutex_unlock(&s->mu);
		rc = sync_file(s);
		pthread_mutex_lock(&s->mu);
		if (rc != 0)
			s->failed = rc;
		else if (target > s->durable)
			s->durable = target;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		s->wake(s->wake_arg);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int store_sync_start(struct store_sync *s, store_sync_wake_fn wake, void *arg)
{
	if (s->running)
		return LIAISON_ERR_INTERNAL;
	s->wake = wake;
	s->wake_arg = arg;
	s->stop = 0;
	if (pthread_create(&s->thread, NULL, worker, s) != 0)
		return LIAISON_ERR_INTERNAL;
	s->running = 1;
	return 0;
}

void store_sync_stop(struct store_sync *s)
{
	if (s == NULL || !s->running)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	s->running = 0;
	s->wake = NULL;
	s->wake_arg = NULL;
}

void store_sync_request(struct store_sync *s, uint64_t gen)
{
	int rc;

	pthread_mutex_lock(&s->mu);
	if (gen > s->requested)
		s->requested = gen;
	if (s->running) {
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		return;
	}
	pthread_mutex_unlock(&s->mu);
	if (s->failed)
		return;
	rc = sync_file(s);
	pthread_mutex_lock(&s->mu);
	if (rc != 0)
		s->failed = rc;
	else if (gen > s->durable)
		s->durable = gen;
	pthread_mutex_unlock(&s->mu);
}

int store_sync_durable(struct store_sync *s, uint64_t *gen)
{
	int rc;
	pthread_mutex_lock(&s->mu);
	rc = s->failed;
	*gen = s->durable;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int store_sync_busy(struct store_sync *s)
{
	int busy;
	pthread_mutex_lock(&s->mu);
	busy = s->running && !s->failed && s->requested > s->durable;
	pthread_mutex_unlock(&s->mu);
	return busy;
}

void store_sync_wait(struct store_sync *s, uint64_t gen)
{
	pthread_mutex_lock(&s->mu);
	if (!s->running) {
		pthread_mutex_unlock(&s->mu);
		if (gen > s->durable)
			store_sync_request(s, gen);
		return;
	}
	if (gen > s->requested) {
		s->requested = gen;
		pthread_cond_broadcast(&s->cv);
	}
	while (s->durable < gen && !s->failed)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

void store_sync_close(struct store_sync *s)
{
	if (s == NULL)
		return;
	store_sync_stop(s);
	if (s->fd >= 0)
		close(s->fd);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->path);
	free(s);
}
