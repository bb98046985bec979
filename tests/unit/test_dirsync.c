/* dirsync: the verified directory survives closing the home (state, tracker
 * and head read back as saved), a rolled-back transaction leaves nothing,
 * and a kept publication round-trips and is dropped. */
#include "test_dirsync_fx.h"

#include "client-tui/core/vault.h"

static void test_nothing_before_the_first_state(void **state)
{
	struct fx *f = *state;
	struct dirsync *ds;

	assert_int_equal(dirsync_get(f->h, &ds), 0);
	assert_null(ds->st);
	assert_int_equal(ds->has_tracker, 0);
	assert_int_equal(dirsync_stale(ds, time_now_ms()), 1);
}

static void test_state_tracker_and_head_survive_reopening(void **state)
{
	struct fx *f = *state;
	struct dirsync *ds;
	uint8_t chain[32];

	fx_adopt_genesis(f);
	assert_int_equal(dirsync_get(f->h, &ds), 0);
	memcpy(chain, ds->st->chain_hash, 32);
	fx_reopen(f);
	assert_int_equal(dirsync_get(f->h, &ds), 0);
	assert_non_null(ds->st);
	assert_int_equal(ds->st->version, 1);
	assert_memory_equal(ds->st->chain_hash, chain, 32);
	assert_int_equal(ds->tr.version, 1);
	assert_memory_equal(ds->tr.chain_hash, chain, 32);
	assert_int_equal(ds->head_len, f->genesis.head_len);
	assert_memory_equal(ds->head, f->genesis.head, f->genesis.head_len);
	assert_int_equal(dirsync_stale(ds, time_now_ms()), 0);
	assert_non_null(dir_find_contact(ds->st, f->s->account));
	assert_non_null(dir_find_authority(ds->st, "GLOBE-SEC"));
	/* The head expires after the network's head lifetime (3600 s here). */
	assert_int_equal(dirsync_stale(ds, time_now_ms() + 3601ULL * 1000), 1);
}

static void test_a_rolled_back_save_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct dirsync *ds;
	struct dir_state *st = NULL;
	struct dir_tracker tr;

	assert_int_equal(dirsync_get(f->h, &ds), 0);
	assert_int_equal(dir_state_new(f->s->root_pk, ds->sctx, &st), 0);
	assert_int_equal(dir_apply(st, f->genesis.changes[0], f->genesis.lens[0], time_now_ms()), 0);
	memset(&tr, 0, sizeof tr);
	tr.version = 1;
	assert_int_equal(home_begin(f->h), 0);
	assert_int_equal(dirsync_save(ds, st, &tr, f->genesis.head, f->genesis.head_len), 0);
	home_rollback(f->h);
	dir_state_free(st);
	fx_reopen(f);
	assert_int_equal(dirsync_get(f->h, &ds), 0);
	assert_null(ds->st);
	assert_int_equal(ds->has_tracker, 0);
}

static void test_a_kept_publication_round_trips(void **state)
{
	struct fx *f = *state;
	struct dirsync_publish p;

	memset(&p, 0, sizeof p);
	assert_int_equal(dirsync_publish_load(f->h, &p), LIAISON_ERR_NOT_FOUND);
	assert_int_equal(home_begin(f->h), 0);
	assert_int_equal(dirsync_publish_keep(f->h, &f->genesis), 0);
	assert_int_equal(home_commit(f->h), 0);
	fx_reopen(f);
	assert_int_equal(dirsync_publish_load(f->h, &p), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.lens[0], f->genesis.lens[0]);
	assert_memory_equal(p.changes[0], f->genesis.changes[0], p.lens[0]);
	assert_int_equal(p.head_len, f->genesis.head_len);
	assert_memory_equal(p.head, f->genesis.head, p.head_len);
	dirsync_publish_free(&p);
	assert_int_equal(dirsync_publish_drop(f->h), 0);
	assert_int_equal(dirsync_publish_load(f->h, &p), LIAISON_ERR_NOT_FOUND);
}

static void test_a_damaged_saved_state_is_refused(void **state)
{
	struct fx *f = *state;
	struct dirsync *ds;
	const uint8_t junk[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	fx_adopt_genesis(f);
	assert_int_equal(home_begin(f->h), 0);
	assert_int_equal(vault_put(f->h, VT_META, "dir.state.0", 11, junk, sizeof junk), 0);
	assert_int_equal(home_commit(f->h), 0);
	fx_reopen(f);
	assert_int_not_equal(dirsync_get(f->h, &ds), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_before_the_first_state, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_state_tracker_and_head_survive_reopening, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_rolled_back_save_leaves_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_kept_publication_round_trips, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_damaged_saved_state_is_refused, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
