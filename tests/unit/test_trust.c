/* trust: answers come from the verified directory only, and trust_check
 * refuses a directory key that is not the one the user verified. */
#include "test_dirsync_fx.h"

static void test_listed_unlisted_and_the_directory_key(void **state)
{
	struct fx *f = *state;
	enum trust_state ts;
	uint8_t key[33], nobody[16];

	fx_adopt_genesis(f);
	assert_int_equal(trust_lookup(f->h, f->s->account, &ts, key), 0);
	assert_int_equal(ts, TRUST_LISTED);
	assert_memory_equal(key, f->s->identity_pub, 33);
	lc_random(nobody, 16);
	assert_int_equal(trust_lookup(f->h, nobody, &ts, key), 0);
	assert_int_equal(ts, TRUST_UNLISTED);
	assert_int_equal(trust_check(f->h, nobody, f->other_key), LIAISON_ERR_UNKNOWN_PEER);
	assert_int_equal(trust_check(f->h, f->s->account, f->other_key), LIAISON_ERR_IDENTITY);
	assert_int_equal(trust_check(f->h, f->s->account, f->s->identity_pub), 0);
}

/* Before the first verified directory nothing is trusted: a contact record
 * that says listed, with a key, is no source of trust (no first use). */
static void test_nothing_is_trusted_before_a_directory(void **state)
{
	struct fx *f = *state;
	struct trust_contact c;
	enum trust_state ts;
	uint8_t key[33], someone[16];

	lc_random(someone, 16);
	memset(&c, 0, sizeof c);
	memcpy(c.account, someone, 16);
	c.state = TRUST_LISTED;
	c.has_key = 1;
	memcpy(c.key, f->other_key, 33);
	assert_int_equal(trust_contact_put(f->h, &c), 0);
	assert_int_equal(trust_lookup(f->h, someone, &ts, key), 0);
	assert_int_equal(ts, TRUST_UNLISTED);
	assert_int_equal(trust_check(f->h, someone, f->other_key), LIAISON_ERR_UNKNOWN_PEER);
	assert_int_equal(trust_lookup(f->h, f->s->account, &ts, key), 0);
	assert_int_equal(ts, TRUST_UNLISTED);
}

static void test_a_verified_key_that_is_not_the_directory_key_is_refused(void **state)
{
	struct fx *f = *state;
	struct trust_contact c;

	fx_adopt_genesis(f);
	assert_int_equal(home_begin(f->h), 0);
	assert_int_equal(trust_contact_note(f->h, f->s->account), 0);
	assert_int_equal(home_commit(f->h), 0);
	assert_int_equal(trust_contact_get(f->h, f->s->account, &c), 0);
	assert_string_equal(c.name, "Ana Secretariat");
	assert_string_equal(c.country, "NL");
	assert_memory_equal(c.key, f->s->identity_pub, 33);

	/* Verified the directory's key: trusted. */
	c.has_verified_key = 1;
	memcpy(c.verified_key, f->s->identity_pub, 33);
	assert_int_equal(trust_contact_put(f->h, &c), 0);
	assert_int_equal(trust_check(f->h, f->s->account, f->s->identity_pub), 0);

	/* Verified another key than the directory now lists: refused. */
	memcpy(c.verified_key, f->other_key, 33);
	assert_int_equal(trust_contact_put(f->h, &c), 0);
	assert_int_equal(trust_check(f->h, f->s->account, f->s->identity_pub),
			 LIAISON_ERR_UNVERIFIED);
	/* The directory still decides first: a key it does not list is IDENTITY. */
	assert_int_equal(trust_check(f->h, f->s->account, f->other_key), LIAISON_ERR_IDENTITY);

	/* Never verified: the directory's key is enough. */
	c.has_verified_key = 0;
	memset(c.verified_key, 0, 33);
	assert_int_equal(trust_contact_put(f->h, &c), 0);
	assert_int_equal(trust_check(f->h, f->s->account, f->s->identity_pub), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_listed_unlisted_and_the_directory_key, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_nothing_is_trusted_before_a_directory, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_verified_key_that_is_not_the_directory_key_is_refused,
						fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
