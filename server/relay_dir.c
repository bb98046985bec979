/* The relay's verified directory (docs/PROTOCOL.md §4): rebuilt at start by
 * verifying every stored record under the root of the genesis, and what it
 * says of an account's access. It never trusts a stored record without
 * dir_apply, and never grants access the directory does not give. */
#include "server/relay.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/crypto.h"
#include "protocol/log.h"
#include "protocol/timefmt.h"

#define TAG "directory"
#define LOAD_BATCH 1024

struct load {
	struct relay *r;
	struct dir_state *st;
	uint64_t now;
	uint64_t snap_version;			/* 0: no snapshot to check */
	uint8_t snap_chain[32];			/* the chain hash seen at snap_version */
	uint64_t last;
	int failed_code;
	uint64_t failed_version;
};

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The genesis' secretariat: the one contact version 1 makes. */
static int find_root_holder(const struct dir_state *st, uint8_t out[16])
{
	size_t i;
	for (i = 0; i < st->n_contacts; i++) {
		if (st->contacts[i].added_in == 1 && st->contacts[i].role == ROLE_SECRETARIAT) {
			memcpy(out, st->contacts[i].account, 16);
			return 0;
		}
	}
	return LIAISON_ERR_NOT_FOUND;
}

static int load_one(void *arg, uint64_t version, const uint8_t *rec, size_t len)
{
	struct load *ld = arg;
	uint8_t root[32];
	int rc;

	if (version != ld->last + 1) {
		rc = LIAISON_ERR_CHAIN;
		goto fail;
	}
	if (ld->st == NULL) {
		rc = dir_genesis_root(rec, len, root);
		if (rc == 0)
			rc = dir_state_new(root, ld->r->sig, &ld->st);
		if (rc != 0)
			goto fail;
	}
	rc = dir_apply(ld->st, rec, len, ld->now);
	if (rc != 0)
		goto fail;
	if (version == ld->snap_version)
		memcpy(ld->snap_chain, ld->st->chain_hash, 32);
	ld->last = version;
	return 0;
fail:
	ld->failed_code = rc;
	ld->failed_version = version;
	return rc;
}

static void fail_with(struct relay_failure *why, int code, uint64_t version, const char *what)
{
	if (why == NULL)
		return;
	why->dir_code = code;
	why->dir_version = version;
	snprintf(why->what, sizeof(why->what), "%s", what);
}

/* The stored snapshot must verify on its own and name a state the chain
 * passed through. */
static int check_snapshot(struct relay *r, const struct load *ld, const uint8_t *rec, size_t len,
			  uint64_t state_len)
{
	struct dir_state *snap = NULL;
	uint8_t *bytes = NULL;
	int rc;

	if (state_len == 0 || state_len > DIR_MAX_STATE)
		return LIAISON_ERR_TOO_BIG;
	bytes = malloc((size_t)state_len);
	if (bytes == NULL)
		return LIAISON_ERR_NOMEM;
	rc = store_dir_snapshot_read(r->st, 0, bytes, (size_t)state_len);
	if (rc == 0)
		rc = dir_snapshot_load(ld->st->params.root, r->sig, rec, len, bytes,
				       (size_t)state_len, ld->now, &snap);
	if (rc == 0 && (snap->version != ld->snap_version ||
			!lc_equal(snap->chain_hash, ld->snap_chain, 32)))
		rc = LIAISON_ERR_FORK;
	dir_state_free(snap);
	free(bytes);
	return rc;
}

int relay_dir_load(struct relay *r, struct relay_failure *why)
{
	struct load ld;
	struct dir_head head;
	uint8_t *rec = NULL;
	size_t len = 0, got = 0;
	uint64_t version = 0, head_version = 0, state_len = 0;
	double t0 = mono_ms();
	int rc, has_snapshot = 0;

	memset(&ld, 0, sizeof(ld));
	ld.r = r;
	ld.now = time_now_ms();
	rc = store_dir_version(r->st, &version);
	if (rc != 0)
		goto out;
	rc = store_dir_snapshot(r->st, &rec, &len, &ld.snap_version, &state_len);
	if (rc == 0) {
		has_snapshot = 1;
		if (ld.snap_version == 0 || ld.snap_version > version) {
			rc = LIAISON_ERR_CHAIN;
			fail_with(why, rc, ld.snap_version, "snapshot");
			goto out;
		}
	} else if (rc != LIAISON_ERR_NOT_FOUND) {
		goto out;
	}
	if (version == 0) {
		log_info(TAG, "no directory yet: waiting for the bootstrap secretariat's genesis");
		rc = 0;
		goto out;
	}
	do {
		rc = store_dir_changes(r->st, ld.last, LOAD_BATCH, load_one, &ld, &got);
		if (rc != 0) {
			if (ld.failed_code != 0)
				fail_with(why, ld.failed_code, ld.failed_version, "change");
			goto out;
		}
	} while (got == LOAD_BATCH);
	if (ld.last != version || ld.st == NULL) {
		rc = LIAISON_ERR_CHAIN;
		fail_with(why, rc, ld.last + 1, "change");
		goto out;
	}
	if (has_snapshot) {
		rc = check_snapshot(r, &ld, rec, len, state_len);
		if (rc != 0) {
			fail_with(why, rc, ld.snap_version, "snapshot");
			goto out;
		}
	}
	free(rec);
	rec = NULL;
	/* A head may have expired while the relay was down: only a
	 * secretariat can renew it, so the relay checks all but the expiry. */
	rc = store_dir_head(r->st, &rec, &len, &head_version);
	if (rc == 0)
		rc = dir_head_verify(ld.st, rec, len, ld.now, DIR_HEAD_EXEMPT, &head);
	if (rc != 0) {
		fail_with(why, rc, head_version, "head");
		goto out;
	}
	rc = find_root_holder(ld.st, r->root_holder);
	if (rc == 0)
		rc = layout_key_id(ld.st->params.root, r->root_key_id);
	if (rc != 0) {
		fail_with(why, rc, 1, "change");
		goto out;
	}
	r->dir = ld.st;
	ld.st = NULL;
	log_info(TAG, "directory version %llu verified in %.1f ms (%zu authorities, %zu contacts)",
		 (unsigned long long)r->dir->version, mono_ms() - t0, r->dir->n_authorities,
		 r->dir->n_contacts);
out:
	free(rec);
	dir_state_free(ld.st);
	return rc;
}

void relay_dir_free(struct relay *r)
{
	dir_state_free(r->dir);
	r->dir = NULL;
}

static int listed_active(const struct dir_contact *ct, const uint8_t identity_key[33])
{
	return ct->status == DIR_ACTIVE &&
	       lc_equal(ct->identity_key, identity_key, STORE_KEY_BYTES);
}

static int access_of(const struct relay *r, const uint8_t account[16],
		     const uint8_t identity_key[33], int bootstrap, int pre_directory, int revoked)
{
	const struct dir_contact *ct;

	if (revoked)
		return ACCESS_REVOKED;
	if (r->dir == NULL)
		return ACCESS_ACTIVE;	/* no directory yet: as before it existed */
	ct = dir_find_contact(r->dir, account);
	if (ct != NULL) {
		if (ct->status == DIR_REVOKED)
			return ACCESS_REVOKED;
		if (listed_active(ct, identity_key))
			return ACCESS_ACTIVE;
		return ACCESS_PENDING;	/* listed with another key: not this account */
	}
	if (bootstrap)
		return ACCESS_ACTIVE;
	/* Transitional (docs/PROTOCOL.md §4): accounts enrolled before any
	 * genesis existed keep their access until a directory lists them. */
	if (pre_directory)
		return ACCESS_ACTIVE;
	return ACCESS_PENDING;
}

int relay_access(const struct relay *r, const struct store_account *a)
{
	return access_of(r, a->id, a->identity_key, a->bootstrap, a->pre_directory, a->revoked);
}

int relay_conn_access(const struct conn *c)
{
	return access_of(c->relay, c->account, c->identity_key, c->bootstrap, c->pre_directory, 0);
}

int relay_is_secretariat(const struct conn *c)
{
	const struct dir_contact *ct;
	if (c->relay->dir == NULL)
		return c->bootstrap;
	ct = dir_find_contact(c->relay->dir, c->account);
	return ct != NULL && ct->role == ROLE_SECRETARIAT && listed_active(ct, c->identity_key);
}

int relay_is_root_holder(const struct conn *c)
{
	if (c->relay->dir == NULL)
		return c->bootstrap;
	return relay_is_secretariat(c) && memcmp(c->account, c->relay->root_holder, 16) == 0;
}
