/* client-tui/core/msgstore.c as the history relies on it: a record reads
 * back exactly (text with any bytes, kept ciphertext, error), a status
 * change keeps the rest, the history comes oldest first and per peer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>
#include <unistd.h>

#include "client-tui/core/home.h"
#include "client-tui/core/msgstore.h"
#include "protocol/crypto.h"

#define PASS "pass"

struct fixture {
	char dir[64];
	struct home *h;
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
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL || lc_init() != 0)
		return -1;
	strcpy(f->dir, "/tmp/liaison-msgstore.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	strcat(f->dir, "/h");
	if (home_lock(f->dir, 1, 0, &f->h) != 0 ||
	    home_create(f->h, PASS, strlen(PASS), LC_KDF_INTERACTIVE) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *slash;

	home_close(f->h);
	slash = strrchr(f->dir, '/');
	*slash = '\0';
	(void)nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void fill(struct msg_record *m, uint8_t id, uint8_t peer, int dir, uint64_t order)
{
	memset(m, 0, sizeof *m);
	memset(m->id, id, 16);
	memset(m->peer, peer, 16);
	memset(m->from, dir == MSG_OUT ? 0xee : peer, 16);
	m->dir = (uint8_t)dir;
	m->kind = 1;
	m->status = dir == MSG_OUT ? MSG_QUEUED : MSG_RECEIVED;
	m->sent_at = 1000 + order;
	m->received_at = 2000 + order;
	m->order = order;
}

static void record_reads_back_exactly(void **state)
{
	struct fixture *f = *state;
	struct msg_record m, *got = NULL;
	static const char text[] = "caf\xc3\xa9 \x1b[31m\0tail";
	uint8_t ct[5] = { 1, 2, 3, 4, 5 };

	fill(&m, 1, 2, MSG_IN, 7);
	m.text = (char *)text;
	m.text_len = sizeof text - 1;
	m.ciphertext = ct;
	m.ciphertext_len = sizeof ct;
	m.status = MSG_FAILED;
	m.error = LIAISON_ERR_DECRYPT;
	assert_int_equal(msgstore_put(f->h, &m), 0);
	assert_int_equal(msgstore_get(f->h, m.from, m.id, &got), 0);
	assert_int_equal(got->text_len, sizeof text - 1);
	assert_memory_equal(got->text, text, sizeof text - 1);
	assert_int_equal(got->ciphertext_len, sizeof ct);
	assert_memory_equal(got->ciphertext, ct, sizeof ct);
	assert_int_equal(got->error, LIAISON_ERR_DECRYPT);
	assert_int_equal(got->status, MSG_FAILED);
	assert_int_equal(got->sent_at, 1007);
	assert_int_equal(got->received_at, 2007);
	msg_record_free(got);
}

static void status_change_keeps_the_rest(void **state)
{
	struct fixture *f = *state;
	struct msg_record m, *got = NULL;

	fill(&m, 3, 4, MSG_OUT, 9);
	m.text = "hello";
	m.text_len = 5;
	assert_int_equal(msgstore_put(f->h, &m), 0);
	assert_int_equal(msgstore_set_status(f->h, m.from, m.id, MSG_SENT), 0);
	assert_int_equal(msgstore_get(f->h, m.from, m.id, &got), 0);
	assert_int_equal(got->status, MSG_SENT);
	assert_string_equal(got->text, "hello");
	msg_record_free(got);
	assert_int_equal(msgstore_set_status(f->h, m.peer, m.id, MSG_SENT), LIAISON_ERR_NOT_FOUND);
}

static void history_oldest_first_and_per_peer(void **state)
{
	struct fixture *f = *state;
	struct msg_record m, **list = NULL;
	size_t n = 0;
	uint8_t peer[16];

	fill(&m, 10, 5, MSG_IN, 30);
	assert_int_equal(msgstore_put(f->h, &m), 0);
	fill(&m, 11, 5, MSG_OUT, 10);
	assert_int_equal(msgstore_put(f->h, &m), 0);
	fill(&m, 12, 6, MSG_IN, 20);
	assert_int_equal(msgstore_put(f->h, &m), 0);
	/* Re-saving (a status change) must not move a message to the end. */
	assert_int_equal(msgstore_set_status(f->h, m.from, m.id, MSG_RECEIVED), 0);

	assert_int_equal(msgstore_list(f->h, NULL, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0]->id[0], 11);
	assert_int_equal(list[1]->id[0], 12);
	assert_int_equal(list[2]->id[0], 10);
	msgstore_list_free(list, n);

	memset(peer, 5, sizeof peer);
	assert_int_equal(msgstore_list(f->h, peer, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0]->id[0], 11);
	assert_int_equal(list[1]->id[0], 10);
	msgstore_list_free(list, n);
}

static void orders_grow(void **state)
{
	uint64_t a = msgstore_next_order(), b = msgstore_next_order();

	(void)state;
	assert_true(b > a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(record_reads_back_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(status_change_keeps_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(history_oldest_first_and_per_peer, setup, teardown),
		cmocka_unit_test(orders_grow),
	};
	return cmocka_run_group_tests_name("msgstore", tests, NULL, NULL);
}
