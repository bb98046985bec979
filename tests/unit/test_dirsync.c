/* dirsync: the verified directory survives closing the home (state, tracker
 * and head read back as saved), a rolled-back transaction leaves nothing,
 * a kept publication round-trips and is dropped, a fork stays recorded for
 * good with both heads, and a head seen ahead is kept until a saved state
 * reaches it. */
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

/* A head of version 2 over the adopted genesis, with an authority of the
 * given id added: two ids give two histories of one version. *st_out (may
 * be NULL) receives the state it heads. */
static void head_v2(struct fx *f, const char *authority, struct wb *head, struct dir_head *h,
		    struct dir_state **st_out)
{
	struct dirsync *ds;
	struct dir_state *st = NULL;
	struct dir_change ch;
	struct wb rec;
	uint64_t now = time_now_ms();

	assert_int_equal(dirsync_get(f->h, &ds), 0);
	assert_int_equal(dirsync_clone(ds, ds->st, &st), 0);
	memset(&ch, 0, sizeof ch);
	ch.kind = DIR_ADD_AUTHORITY;
	ch.issued = now > st->issued ? now : st->issued;
	snprintf(ch.authority.id, sizeof ch.authority.id, "%s", authority);
	strcpy(ch.authority.country, "FR");
	strcpy(ch.authority.name, "An authority");
	ch.authority.type = DIR_TYPE_POLICE;
	assert_int_equal(dir_change_sign(st, &ch, f->s->signing_pk, f->s->signing_sk, &rec), 0);
	assert_int_equal(dir_apply(st, rec.data, rec.len, now), 0);
	wb_free(&rec);
	assert_int_equal(dir_head_sign(st, st->issued, 0, f->s->signing_pk, f->s->signing_sk, head), 0);
	assert_int_equal(dir_head_verify(st, head->data, head->len, now, 0, h), 0);
	if (st_out != NULL)
		*st_out = st;
	else
		dir_state_free(st);
}

static void test_a_fork_is_remembered_for_good(void **state)
{
	struct fx *f = *state;
	struct dirsync *ds;
	struct dir_tracker tr;
	struct wb theirs;
	struct dir_head h;

	fx_adopt_genesis(f);
	assert_int_equal(dirsync_get(f->h, &ds), 0);
	assert_int_equal(dirsync_forked(ds), 0);
	head_v2(f, "AUTH-FORK", &theirs, &h, NULL);
	assert_int_equal(dirsync_record_fork(ds, ds->head, ds->head_len, theirs.data, theirs.len), 0);
	assert_int_equal(dirsync_forked(ds), LIAISON_ERR_FORK);
	/* A second fork does not replace the first evidence. */
	assert_int_equal(dirsync_record_fork(ds, theirs.data, theirs.len, NULL, 0), 0);
	fx_reopen(f);
	assert_int_equal(dirsync_get(f->h, &ds), 0);
	assert_int_equal(dirsync_forked(ds), LIAISON_ERR_FORK);
	assert_int_equal(ds->fork_ours_len, f->genesis.head_len);
	assert_memory_equal(ds->fork_ours, f->genesis.head, f->genesis.head_len);
	assert_int_equal(ds->fork_theirs_len, theirs.len);
	assert_memory_equal(ds->fork_theirs, theirs.data, theirs.len);
	/* Saving the directory again keeps it. */
	tr = ds->tr;
	assert_int_equal(home_begin(f->h), 0);
	assert_int_equal(dirsync_save(ds, NULL, &tr, ds->head, ds->head_len), 0);
	assert_int_equal(home_commit(f->h), 0);
	assert_int_equal(dirsync_adopt(ds, NULL, &tr, ds->head, ds->head_len), 0);
	fx_reopen(f);
	assert_int_equal(dirsync_get(f->h, &ds), 0);
	assert_int_equal(dirsync_forked(ds), LIAISON_ERR_FORK);
	assert_non_null(ds->st);
	wb_free(&theirs);
}

static void test_a_head_seen_ahead_is_kept_until_reached(void **state)
{
	struct fx *f = *state;
	struct dirsync *ds;
	struct dir_state *st = NULL;
	struct dir_tracker tr;
	struct wb head, other;
	struct dir_head h, ho, h1;
	const struct dir_head *kept;

	fx_adopt_genesis(f);
	assert_int_equal(dirsync_get(f->h, &ds), 0);
	assert_null(dirsync_ahead(ds));
	head_v2(f, "AUTH-GOOD", &head, &h, &st);
	head_v2(f, "AUTH-EVIL", &other, &ho, NULL);
	assert_int_equal(dirsync_record_ahead(ds, head.data, head.len, &h), 0);
	fx_reopen(f);
	assert_int_equal(dirsync_get(f->h, &ds), 0);
	kept = dirsync_ahead(ds);
	assert_non_null(kept);
	assert_int_equal(kept->version, 2);
	assert_memory_equal(kept->chain_hash, h.chain_hash, 32);
	assert_memory_equal(ds->ahead, head.data, head.len);
	/* The same version with another chain hash is a fork, not kept. */
	assert_int_equal(dirsync_record_ahead(ds, other.data, other.len, &ho), LIAISON_ERR_FORK);
	assert_memory_equal(ds->ahead, head.data, head.len);
	/* A head no further than the state is not kept. */
	assert_int_equal(dir_head_verify(ds->st, f->genesis.head, f->genesis.head_len, time_now_ms(),
					 0, &h1), 0);
	assert_int_equal(dirsync_record_ahead(ds, f->genesis.head, f->genesis.head_len, &h1), 0);
	assert_memory_equal(ds->ahead, head.data, head.len);
	/* A saved state that reaches it lets it go, on disk too. */
	tr = ds->tr;
	assert_int_equal(dir_tracker_observe(&tr, h.version, h.chain_hash, h.expires), 0);
	assert_int_equal(home_begin(f->h), 0);
	assert_int_equal(dirsync_save(ds, st, &tr, head.data, head.len), 0);
	assert_int_equal(home_commit(f->h), 0);
	assert_int_equal(dirsync_adopt(ds, st, &tr, head.data, head.len), 0);
	assert_null(dirsync_ahead(ds));
	assert_null(ds->ahead);
	fx_reopen(f);
	assert_int_equal(dirsync_get(f->h, &ds), 0);
	assert_null(ds->ahead);
	assert_int_equal(ds->st->version, 2);
	wb_free(&head);
	wb_free(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_before_the_first_state, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_state_tracker_and_head_survive_reopening, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_rolled_back_save_leaves_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_kept_publication_round_trips, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_damaged_saved_state_is_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_fork_is_remembered_for_good, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_head_seen_ahead_is_kept_until_reached, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
