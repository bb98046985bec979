/* directory/search.c: a person finds a counterpart however the name is
 * written — case and accents folded, any script — and an authority that
 * matches comes with all its contact points, otherwise only with those that
 * match. States are built directly here; signatures are test_directory.c's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "directory/dir_int.h"
#include "protocol/crypto.h"

static struct dir_state *st;
static struct dir_search *ix;

static void add_auth(const char *id, const char *cc, const char *name, int type)
{
	struct dir_authority *a;

	assert_int_equal(dir_reserve(st, 1, 0), 0);
	a = &st->authorities[st->n_authorities++];
	memset(a, 0, sizeof(*a));
	strcpy(a->id, id);
	strcpy(a->country, cc);
	strcpy(a->name, name);
	a->type = (uint8_t)type;
	assert_int_equal(dir_check_authority(a), 0);
}

static void add_contact(const char *authority, const char *name, const char *title)
{
	struct dir_contact *c;

	assert_int_equal(dir_reserve(st, 0, 1), 0);
	c = &st->contacts[st->n_contacts++];
	memset(c, 0, sizeof(*c));
	lc_random(c->account, 16);
	lc_random(c->invite_id, 16);
	strcpy(c->authority, authority);
	strcpy(c->name, name);
	strcpy(c->title, title);
	c->role = ROLE_MEMBER;
	c->status = DIR_ACTIVE;
	c->identity_key[0] = 0x05;
	c->added_in = 1;
}

static int setup(void **state)
{
	uint8_t root[32];

	(void)state;
	if (lc_init() != 0)
		return -1;
	memset(root, 7, sizeof(root));
	if (dir_state_new(root, NULL, &st) != 0)
		return -1;
	st->version = 1;
	st->params.head_lifetime_s = 60;
	st->params.snapshot_every = 10;
	add_auth("ES-FGE", "ES", "Fiscalía General del Estado", DIR_TYPE_PROSECUTION);
	add_contact("ES-FGE", "María José Núñez", "Fiscal de Sala");
	add_contact("ES-FGE", "Pedro Gómez", "Fiscal anticorrupción");
	add_auth("GR-FIU", "GR", "Αρχή Καταπολέμησης της Νομιμοποίησης Εσόδων", DIR_TYPE_FIU);
	add_contact("GR-FIU", "Νίκος Παπαδόπουλος", "Οικονομική Αστυνομία");
	add_auth("UA-NABU", "UA", "НАЦІОНАЛЬНЕ АНТИКОРУПЦІЙНЕ БЮРО", DIR_TYPE_ANTI_CORRUPTION);
	add_contact("UA-NABU", "Олена Коваленко", "Детектив");
	add_contact("UA-NABU", "Іван Петренко", "Керівник");
	add_auth("JP-MOJ", "JP", "法務省", DIR_TYPE_CENTRAL_AUTHORITY);
	add_contact("JP-MOJ", "山田太郎", "国際課長");
	add_auth("DE-BKA", "DE", "Bundeskriminalamt", DIR_TYPE_POLICE);
	add_contact("DE-BKA", "Klaus Müller", "Kriminalhauptkommissar, Straße 5");
	add_contact("DE-BKA", "Anna Schmidt", "Referentin");
	add_auth("FR-PNF", "FR", "Parquet national financier", DIR_TYPE_PROSECUTION);
	if (dir_index_rebuild(st) != 0)
		return -1;
	return dir_search_new(st, &ix) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	dir_search_free(ix);
	dir_state_free(st);
	return 0;
}

/* "ES-FGE:2 GR-FIU*1" : authority id, '*' when it matched whole, count. */
static void expect(const char *query, const char *want)
{
	struct dir_result r;
	char got[512] = "";
	size_t i;

	assert_int_equal(dir_search(ix, query, &r), 0);
	for (i = 0; i < r.n_hits; i++) {
		char one[96];

		snprintf(one, sizeof(one), "%s%s%c%zu", i ? " " : "",
			 st->authorities[r.hits[i].authority].id, r.hits[i].whole ? '*' : ':',
			 r.hits[i].count);
		strcat(got, one);
	}
	dir_result_free(&r);
	if (strcmp(got, want) != 0)
		fail_msg("search \"%s\": expected \"%s\", got \"%s\"", query, want, got);
}

static void test_fold(void **state)
{
	static const char *const pairs[][2] = {
		{ "Fiscalía", "fiscalia" },
		{ "Straße", "strasse" },
		{ "Οικονομική", "οικονομικη" },
		{ "НАЦІОНАЛЬНЕ", "національне" },
		{ "法務省", "法務省" },
		{ "  Anna \t  Schmidt ", "anna schmidt" },
	};
	char *f = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		assert_int_equal(dir_fold(pairs[i][0], &f), 0);
		assert_string_equal(f, pairs[i][1]);
		free(f);
	}
	assert_int_equal(dir_fold("\xc3\x28", &f), LIAISON_ERR_INVALID);
}

static void test_accents_and_case(void **state)
{
	(void)state;
	/* The authority's name matches: listed with all its contact points. */
	expect("fiscalia", "ES-FGE*2");
	expect("FISCALÍA general", "ES-FGE*2");
	/* Only a contact point matches: listed with that one alone. */
	expect("nunez", "ES-FGE:1");
	expect("MARIA JOSE", "ES-FGE:1");
	expect("fiscal de sala", "ES-FGE:1");
	expect("anticorrupcion", "ES-FGE:1");
}

static void test_scripts(void **state)
{
	(void)state;
	expect("ΟΙΚΟΝΟΜΙΚΗ", "GR-FIU:1");
	expect("παπαδοπουλος", "GR-FIU:1");
	expect("антикорупційне", "UA-NABU*2");
	expect("коваленко", "UA-NABU:1");
	expect("法務", "JP-MOJ*1");
	expect("太郎", "JP-MOJ:1");
	expect("strasse", "DE-BKA:1");
	expect("STRASSE 5", "DE-BKA:1");
	expect("muller", "DE-BKA:1");
}

static void test_fields(void **state)
{
	(void)state;
	expect("es-fge", "ES-FGE*2");
	expect("police", "DE-BKA*2");
	expect("anti-corruption", "UA-NABU*2");
	expect("fiscal", "ES-FGE*2");
	expect("nobody at all", "");
	expect("Parquet", "FR-PNF*0");
	/* An empty query lists everything, in id order. */
	expect("  ", "DE-BKA*2 ES-FGE*2 FR-PNF*0 GR-FIU*1 JP-MOJ*1 UA-NABU*2");
}

static void test_list_show(void **state)
{
	struct dir_result r;

	(void)state;
	assert_int_equal(dir_list(ix, "es", 0, &r), 0);
	assert_int_equal(r.n_hits, 1);
	assert_int_equal(r.hits[0].count, 2);
	dir_result_free(&r);
	assert_int_equal(dir_list(ix, NULL, DIR_TYPE_PROSECUTION, &r), 0);
	assert_int_equal(r.n_hits, 2);
	dir_result_free(&r);
	assert_int_equal(dir_show(ix, "UA-NABU", &r), 0);
	assert_int_equal(r.n_hits, 1);
	assert_int_equal(r.hits[0].count, 2);
	/* Contact points by folded name, in code point order (о U+043E before
	 * і U+0456), the same on every client. */
	assert_string_equal(st->contacts[r.contacts[r.hits[0].first]].name, "Олена Коваленко");
	dir_result_free(&r);
	assert_int_equal(dir_show(ix, "XX", &r), LIAISON_ERR_NOT_FOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_accents_and_case),
		cmocka_unit_test(test_scripts),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_list_show),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
