/* Directory speed (make bench): search over 50,000 contact points in 5,000
 * authorities (1,000 queries, p99 in ms, folding and result building
 * included), and verifying a 10,000-change log from genesis (ms: every
 * signature, enrollment self-signature, chain and rule checked). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "directory/dir_int.h"
#include "protocol/crypto.h"
#include "protocol/sig.h"
#include "protocol/signal_provider.h"

#define N_AUTH 5000
#define N_CONTACTS 50000
#define N_QUERIES 1000
#define N_CHANGES 10000
#define N_LOG_AUTH 1000
#define T0 1764459098000ULL

static const char *const given[] = {
	"María", "José", "Élise", "Jürgen", "Søren", "Łukasz", "Nikos", "Νίκος", "Олена",
	"Іван", "太郎", "Ana", "Klaus", "Zoë", "François", "Çağla", "Ólafur", "Ängla",
	"Pedro", "Anna", "Jean", "Dimitra", "Δήμητρα", "Сергій", "Hiroshi", "花子",
};
static const char *const family[] = {
	"Núñez", "Gómez", "Müller", "Schmidt", "Dupont", "Kowalski", "Papadopoulos",
	"Παπαδόπουλος", "Коваленко", "Петренко", "山田", "Straße", "Larsen", "O'Brien",
	"Nguyễn", "Öztürk", "García", "Rossi", "Novák", "Horváth", "Jensen", "Ivanova",
	"Иванова", "佐藤", "Silva", "Costa",
};
static const char *const titles[] = {
	"Fiscal de Sala", "Prosecutor", "Kriminalhauptkommissar", "Detective", "Детектив",
	"Magistrat", "Analyst, FIU", "Οικονομική Αστυνομία", "国際課長", "Head of unit",
};
static const char *const words[] = {
	"Fiscalía", "National", "Bureau", "Procuraduría", "Parquet", "Bundesamt", "Αρχή",
	"Бюро", "法務省", "Office", "Unit", "Agency", "Anticorrupción", "Financial",
};
static const char countries[][3] = { "ES", "FR", "DE", "GR", "UA", "JP", "IT", "PL", "NL", "BR" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int bench_search(long cores)
{
	struct dir_state *st = NULL;
	struct dir_search *ix = NULL;
	static double t[N_QUERIES];
	uint8_t root[32] = { 0 };
	char q[128];
	size_t i;
	int rc = 1;

	if (dir_state_new(root, NULL, &st) != 0 || dir_reserve(st, N_AUTH, N_CONTACTS) != 0)
		goto out;
	st->version = 1;
	for (i = 0; i < N_AUTH; i++) {
		struct dir_authority *a = &st->authorities[st->n_authorities++];

		memset(a, 0, sizeof(*a));
		snprintf(a->id, sizeof(a->id), "%s-%05zu", countries[i % COUNT(countries)], i);
		memcpy(a->country, countries[i % COUNT(countries)], 3);
		snprintf(a->name, sizeof(a->name), "%s %s %zu", words[i % COUNT(words)],
			 words[(i / 7) % COUNT(words)], i);
		a->type = (uint8_t)(1 + i % DIR_TYPE_MAX_);
	}
	for (i = 0; i < N_CONTACTS; i++) {
		struct dir_contact *c = &st->contacts[st->n_contacts++];

		memset(c, 0, sizeof(*c));
		lc_random(c->account, 16);
		lc_random(c->invite_id, 16);
		strcpy(c->authority, st->authorities[i % N_AUTH].id);
		snprintf(c->name, sizeof(c->name), "%s %s %zu", given[i % COUNT(given)],
			 family[(i / 3) % COUNT(family)], i);
		strcpy(c->title, titles[(i / 11) % COUNT(titles)]);
		c->role = ROLE_MEMBER;
		c->status = DIR_ACTIVE;
		c->identity_key[0] = 0x05;
		c->added_in = 1;
	}
	if (dir_index_rebuild(st) != 0 || dir_search_new(st, &ix) != 0)
		goto out;
	for (i = 0; i < N_QUERIES; i++) {
		struct dir_result r;
		double t0;

		switch (i % 5) {
		case 0: /* a family name folded differently from how it is written */
			snprintf(q, sizeof(q), "%s", family[i % COUNT(family)]);
			if (i % 2)
				for (char *p = q; *p; p++)
					if (*p >= 'a' && *p <= 'z')
						*p = (char)(*p - 32);
			break;
		case 1: /* one person */
			snprintf(q, sizeof(q), "%s %s %zu", given[(i * 7) % COUNT(given)],
				 family[((i * 7) / 3) % COUNT(family)], (i * 7) % N_CONTACTS);
			break;
		case 2: /* an authority id */
			snprintf(q, sizeof(q), "%s", st->authorities[(i * 13) % N_AUTH].id);
			break;
		case 3: /* words of an authority's name, without accents */
			snprintf(q, sizeof(q), "fiscalia national %zu", i);
			break;
		default: /* nothing */
			snprintf(q, sizeof(q), "zzqx%zu", i);
			break;
		}
		t0 = now_s();
		if (dir_search(ix, q, &r) != 0)
			goto out;
		dir_result_free(&r);
		t[i] = (now_s() - t0) * 1000.0;
	}
	qsort(t, N_QUERIES, sizeof(t[0]), cmp_double);
	printf("bench directory.search %.3f ms cores %ld\n", t[(N_QUERIES * 99) / 100 - 1], cores);
	rc = 0;
out:
	dir_search_free(ix);
	dir_state_free(st);
	return rc;
}

static int bench_verify(long cores)
{
	signal_context *sctx = NULL;
	ec_key_pair *idk = NULL;
	signal_buffer *buf = NULL;
	struct dir_state *st = NULL, *check = NULL;
	uint8_t root_pk[32], root_sk[64], spk[32], ssk[64], idpub[33];
	uint8_t **recs = NULL;
	size_t *lens = NULL, i;
	struct enrollment e;
	struct dir_change c;
	struct wb w;
	double t0, t1;
	int rc = 1;

	recs = calloc(N_CHANGES, sizeof(*recs));
	lens = calloc(N_CHANGES, sizeof(*lens));
	if (recs == NULL || lens == NULL || sigprov_context_new(&sctx) != 0 ||
	    lc_ed25519_keypair(root_pk, root_sk) != 0 || lc_ed25519_keypair(spk, ssk) != 0 ||
	    curve_generate_key_pair(sctx, &idk) != 0 ||
	    ec_public_key_serialize(&buf, ec_key_pair_get_public(idk)) != 0)
		goto out;
	memcpy(idpub, signal_buffer_data(buf), 33);
	if (dir_state_new(root_pk, sctx, &st) != 0)
		goto out;
	fprintf(stderr, "signing a %d-change log...\n", N_CHANGES);
	for (i = 0; i < N_CHANGES; i++) {
		uint8_t sig[64];
		struct wb enr;

		memset(&c, 0, sizeof(c));
		memset(&e, 0, sizeof(e));
		c.issued = T0 + i;
		lc_random(e.account, 16);
		lc_random(e.invite_id, 16);
		e.invite_expires = T0 + 86400000ULL;
		memcpy(e.identity_key, idpub, 33);
		snprintf(e.name, sizeof(e.name), "Contact %zu", i);
		strcpy(e.title, "Prosecutor");
		if (i == 0) {
			c.kind = DIR_GENESIS;
			memcpy(c.params.root, root_pk, 32);
			c.params.head_lifetime_s = DIR_DEFAULT_HEAD_LIFETIME_S;
			c.params.snapshot_every = DIR_DEFAULT_SNAPSHOT_EVERY;
			c.params.skew_s = DIR_DEFAULT_SKEW_S;
			strcpy(c.authority.id, "SEC");
			strcpy(c.authority.country, "NL");
			strcpy(c.authority.name, "Secretariat");
			c.authority.type = DIR_TYPE_SECRETARIAT;
			strcpy(e.authority, "SEC");
			e.role = ROLE_SECRETARIAT;
			e.has_signing_key = 1;
			memcpy(e.signing_key, spk, 32);
			c.has_cert = 1;
			memcpy(c.cert.key, spk, 32);
			memcpy(c.cert.account, e.account, 16);
			c.cert.not_after = T0 + 365 * 86400000ULL;
			if (layout_cert_sign(&c.cert, root_sk) != 0)
				goto out;
		} else if (i <= N_LOG_AUTH) {
			c.kind = DIR_ADD_AUTHORITY;
			snprintf(c.authority.id, sizeof(c.authority.id), "AU-%05zu", i);
			strcpy(c.authority.country, "FR");
			snprintf(c.authority.name, sizeof(c.authority.name), "Authority %zu", i);
			c.authority.type = DIR_TYPE_PROSECUTION;
		} else {
			c.kind = DIR_ADD_CONTACT;
			snprintf(e.authority, sizeof(e.authority), "AU-%05zu", 1 + i % N_LOG_AUTH);
			e.role = ROLE_MEMBER;
		}
		if (c.kind != DIR_ADD_AUTHORITY) {
			if (layout_enrollment_encode(&e, &enr) != 0 ||
			    sig_xeddsa_sign(sig, SIG_ENROLLMENT, enr.data, enr.len,
					    ec_key_pair_get_private(idk), sctx) != 0)
				goto out;
			c.enrollment = enr.data;
			c.enrollment_len = enr.len;
			memcpy(c.enrollment_sig, sig, 64);
		}
		if (dir_change_sign(st, &c, i == 0 ? root_pk : spk, i == 0 ? root_sk : ssk, &w) != 0 ||
		    dir_apply(st, w.data, w.len, T0 + N_CHANGES) != 0)
			goto out;
		if (c.kind != DIR_ADD_AUTHORITY)
			wb_free(&enr);
		recs[i] = w.data;
		lens[i] = w.len;
	}
	/* The measured part: a new client verifying the whole log. */
	t0 = now_s();
	if (dir_state_new(root_pk, sctx, &check) != 0)
		goto out;
	for (i = 0; i < N_CHANGES; i++)
		if (dir_apply(check, recs[i], lens[i], T0 + N_CHANGES) != 0)
			goto out;
	t1 = now_s();
	if (check->version != N_CHANGES || memcmp(check->chain_hash, st->chain_hash, 32) != 0)
		goto out;
	printf("bench directory.verify %.0f ms cores %ld\n", (t1 - t0) * 1000.0, cores);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "bench_directory: building or verifying the log failed\n");
	for (i = 0; recs != NULL && i < N_CHANGES; i++)
		free(recs[i]);
	free(recs);
	free(lens);
	dir_state_free(check);
	dir_state_free(st);
	signal_buffer_free(buf);
	if (idk != NULL)
		SIGNAL_UNREF(idk);
	sigprov_context_free(sctx);
	lc_wipe(root_sk, sizeof(root_sk));
	lc_wipe(ssk, sizeof(ssk));
	return rc;
}

int main(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (lc_init() != 0)
		return 1;
	if (bench_search(cores) != 0)
		return 1;
	return bench_verify(cores);
}
