/* client-tui/core/home.c as a user relies on it: a home made with a
 * passphrase opens again only with that passphrase, one process holds it at
 * a time, nobody else can read its files, and transactions nest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client-tui/core/home.h"
#include "client-tui/core/vault.h"
#include "protocol/crypto.h"

#define PASS "correct horse battery staple"
#define PASSLEN (sizeof(PASS) - 1)

struct fixture {
	char root[64];
	char dir[128];
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || lc_init() != 0)
		return -1;
	strcpy(f->root, "/tmp/liaison-test-home-XXXXXX");
	if (mkdtemp(f->root) == NULL)
		return -1;
	/* A home below a directory that does not exist yet. */
	snprintf(f->dir, sizeof(f->dir), "%s/a/home", f->root);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void make_home(const char *dir)
{
	struct home *h = NULL;

	assert_int_equal(home_lock(dir, 1, 0, &h), 0);
	assert_int_equal(home_exists(h), 0);
	assert_int_equal(home_create(h, PASS, PASSLEN, LC_KDF_INTERACTIVE), 0);
	assert_int_equal(home_exists(h), 1);
	assert_int_equal(home_is_unlocked(h), 1);
	assert_int_equal(vault_put(h, VT_META, "greeting", 8, "hello", 5), 0);
	home_close(h);
}

static void test_create_then_unlock(void **state)
{
	struct fixture *f = *state;
	struct home *h = NULL;
	uint8_t *val = NULL;
	size_t vallen = 0;

	make_home(f->dir);
	assert_int_equal(home_lock(f->dir, 0, 0, &h), 0);
	assert_int_equal(home_exists(h), 1);
	assert_int_equal(home_is_unlocked(h), 0);
	assert_int_equal(home_unlock(h, PASS, PASSLEN), 0);
	assert_int_equal(vault_get(h, VT_META, "greeting", 8, &val, &vallen), 0);
	assert_int_equal(vallen, 5);
	assert_memory_equal(val, "hello", 5);
	vault_free_value(val, vallen);
	/* A second create on an existing home is refused. */
	assert_int_equal(home_create(h, PASS, PASSLEN, LC_KDF_INTERACTIVE), LIAISON_ERR_EXISTS);
	home_close(h);
}

static void test_wrong_passphrase(void **state)
{
	struct fixture *f = *state;
	struct home *h = NULL;

	make_home(f->dir);
	assert_int_equal(home_lock(f->dir, 0, 0, &h), 0);
	assert_int_equal(home_unlock(h, "wrong", 5), LIAISON_ERR_PASSPHRASE);
	assert_int_equal(home_is_unlocked(h), 0);
	/* Nothing can be read before the right passphrase. */
	assert_int_not_equal(vault_has(h, VT_META, "greeting", 8), 1);
	assert_int_equal(home_unlock(h, PASS, PASSLEN), 0);
	assert_int_equal(vault_has(h, VT_META, "greeting", 8), 1);
	home_close(h);
}

static void test_change_passphrase(void **state)
{
	struct fixture *f = *state;
	struct home *h = NULL;

	make_home(f->dir);
	assert_int_equal(home_lock(f->dir, 0, 0, &h), 0);
	assert_int_equal(home_unlock(h, PASS, PASSLEN), 0);
	assert_int_equal(home_change_passphrase(h, "new one", 7, LC_KDF_INTERACTIVE), 0);
	home_close(h);
	assert_int_equal(home_lock(f->dir, 0, 0, &h), 0);
	assert_int_equal(home_unlock(h, PASS, PASSLEN), LIAISON_ERR_PASSPHRASE);
	assert_int_equal(home_unlock(h, "new one", 7), 0);
	assert_int_equal(vault_has(h, VT_META, "greeting", 8), 1);
	home_close(h);
}

static void test_missing_home(void **state)
{
	struct fixture *f = *state;
	struct home *h = NULL;

	assert_int_equal(home_lock(f->dir, 0, 0, &h), LIAISON_ERR_NOT_INITIALISED);
	assert_null(h);
	/* A directory locked for creation but never given a key is no home. */
	assert_int_equal(home_lock(f->dir, 1, 0, &h), 0);
	home_close(h);
	h = NULL;
	assert_int_equal(home_lock(f->dir, 0, 0, &h), LIAISON_ERR_NOT_INITIALISED);
}

static void test_second_lock_refused(void **state)
{
	struct fixture *f = *state;
	struct home *h = NULL;
	struct home *h2 = NULL;
	pid_t pid;
	int status;

	make_home(f->dir);
	assert_int_equal(home_lock(f->dir, 0, 0, &h), 0);
	/* Another open file description in this process conflicts too. */
	assert_int_equal(home_lock(f->dir, 0, 0, &h2), LIAISON_ERR_LOCKED);
	assert_null(h2);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct home *c = NULL;
		int rc = home_lock(f->dir, 0, 0, &c);

		_exit(rc == LIAISON_ERR_LOCKED ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	home_close(h);

	/* With a wait, the lock is taken once the holder lets go. The holder
	 * is a child (a forked copy would keep the parent's lock alive). */
	{
		int fds[2];
		char c;

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct home *holder = NULL;
			struct timespec nap = { 0, 300 * 1000 * 1000 };
			int rc = home_lock(f->dir, 0, 0, &holder);

			close(fds[0]);
			if (write(fds[1], rc == 0 ? "y" : "n", 1) != 1)
				_exit(2);
			nanosleep(&nap, NULL);
			home_close(holder);
			_exit(rc == 0 ? 0 : 1);
		}
		close(fds[1]);
		assert_int_equal(read(fds[0], &c, 1), 1);
		close(fds[0]);
		assert_int_equal(c, 'y');
		assert_int_equal(home_lock(f->dir, 0, 0, &h2), LIAISON_ERR_LOCKED);
		assert_int_equal(home_lock(f->dir, 0, 5, &h2), 0);
		home_close(h2);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

static void assert_mode(const char *dir, const char *name, mode_t want)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s%s", dir, name[0] ? "/" : "", name);
	if (stat(path, &st) != 0)
		fail_msg("expected %s to exist", path);
	if ((st.st_mode & 0777) != want)
		fail_msg("expected %s to be mode %o, it is %o", path, (unsigned)want,
			 (unsigned)(st.st_mode & 0777));
}

static void test_file_modes(void **state)
{
	struct fixture *f = *state;
	struct home *h = NULL;
	mode_t old = umask(022);  /* a permissive umask must not leak through */

	make_home(f->dir);
	assert_int_equal(home_lock(f->dir, 0, 0, &h), 0);
	assert_int_equal(home_unlock(h, PASS, PASSLEN), 0);
	assert_int_equal(vault_put(h, VT_META, "k", 1, "v", 1), 0);
	assert_mode(f->dir, "", 0700);
	assert_mode(f->dir, "liaison.db", 0600);
	assert_mode(f->dir, "liaison.db-wal", 0600);
	assert_mode(f->dir, "liaison.db-shm", 0600);
	assert_mode(f->dir, "lock", 0600);
	home_close(h);
	umask(old);
}

static void test_nested_transactions(void **state)
{
	struct fixture *f = *state;
	struct home *h = NULL;

	make_home(f->dir);
	assert_int_equal(home_lock(f->dir, 0, 0, &h), 0);
	assert_int_equal(home_unlock(h, PASS, PASSLEN), 0);

	assert_int_equal(home_begin(h), 0);
	assert_int_equal(vault_put(h, VT_META, "outer", 5, "1", 1), 0);
	assert_int_equal(home_begin(h), 0);
	assert_int_equal(home_txn_depth(h), 2);
	assert_int_equal(vault_put(h, VT_META, "inner", 5, "2", 1), 0);
	home_rollback(h);
	assert_int_equal(home_begin(h), 0);
	assert_int_equal(vault_put(h, VT_META, "kept", 4, "3", 1), 0);
	assert_int_equal(home_commit(h), 0);
	assert_int_equal(home_commit(h), 0);
	assert_int_equal(home_txn_depth(h), 0);
	assert_int_equal(vault_has(h, VT_META, "outer", 5), 1);
	assert_int_equal(vault_has(h, VT_META, "inner", 5), 0);
	assert_int_equal(vault_has(h, VT_META, "kept", 4), 1);

	/* An outer rollback undoes everything inside it. */
	assert_int_equal(home_begin(h), 0);
	assert_int_equal(vault_put(h, VT_META, "gone", 4, "4", 1), 0);
	assert_int_equal(home_begin(h), 0);
	assert_int_equal(vault_del(h, VT_META, "outer", 5), 0);
	assert_int_equal(home_commit(h), 0);
	home_rollback(h);
	assert_int_equal(vault_has(h, VT_META, "gone", 4), 0);
	assert_int_equal(vault_has(h, VT_META, "outer", 5), 1);
	/* A commit without a begin is a bug, reported as such. */
	assert_int_equal(home_commit(h), LIAISON_ERR_INTERNAL);

	/* Closing with an open transaction loses it, nothing else. */
	assert_int_equal(home_begin(h), 0);
	assert_int_equal(vault_put(h, VT_META, "unfinished", 10, "5", 1), 0);
	home_close(h);
	assert_int_equal(home_lock(f->dir, 0, 0, &h), 0);
	assert_int_equal(home_unlock(h, PASS, PASSLEN), 0);
	assert_int_equal(vault_has(h, VT_META, "unfinished", 10), 0);
	assert_int_equal(vault_has(h, VT_META, "kept", 4), 1);
	home_close(h);
}

static void test_subkeys(void **state)
{
	struct fixture *f = *state;
	struct home *h = NULL;
	uint8_t a[32], b[32], c[32];

	make_home(f->dir);
	assert_int_equal(home_lock(f->dir, 0, 0, &h), 0);
	assert_int_equal(home_subkey(h, 1, "lsnfiles", a, sizeof(a)), LIAISON_ERR_INTERNAL);
	assert_int_equal(home_unlock(h, PASS, PASSLEN), 0);
	assert_int_equal(home_subkey(h, 1, "lsnfiles", a, sizeof(a)), 0);
	assert_int_equal(home_subkey(h, 2, "lsnfiles", b, sizeof(b)), 0);
	assert_int_equal(lc_equal(a, b, sizeof(a)), 0);
	assert_int_equal(home_subkey(h, 1, "lsnvault", c, sizeof(c)), LIAISON_ERR_INVALID);
	home_close(h);
	/* The same home gives the same subkey after a reopen. */
	assert_int_equal(home_lock(f->dir, 0, 0, &h), 0);
	assert_int_equal(home_unlock(h, PASS, PASSLEN), 0);
	assert_int_equal(home_subkey(h, 1, "lsnfiles", c, sizeof(c)), 0);
	assert_memory_equal(a, c, sizeof(a));
	home_close(h);
}

static void test_resolve_path(void **state)
{
	char *p;
	char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	char *old_lh = getenv("LIAISON_HOME") ? strdup(getenv("LIAISON_HOME")) : NULL;

	(void)state;
	assert_int_equal(setenv("LIAISON_HOME", "/env/home", 1), 0);
	assert_int_equal(setenv("HOME", "/users/ana", 1), 0);
	p = home_resolve_path("/opt/home");
	assert_string_equal(p, "/opt/home");
	free(p);
	p = home_resolve_path(NULL);
	assert_string_equal(p, "/env/home");
	free(p);
	assert_int_equal(unsetenv("LIAISON_HOME"), 0);
	p = home_resolve_path(NULL);
	assert_string_equal(p, "/users/ana/.local/share/liaison");
	free(p);
	if (old_home != NULL)
		assert_int_equal(setenv("HOME", old_home, 1), 0);
	if (old_lh != NULL)
		assert_int_equal(setenv("LIAISON_HOME", old_lh, 1), 0);
	free(old_home);
	free(old_lh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_then_unlock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_passphrase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_passphrase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_home, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_lock_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subkeys, setup, teardown),
		cmocka_unit_test(test_resolve_path),
	};

	return cmocka_run_group_tests_name("home", tests, NULL, NULL);
}
