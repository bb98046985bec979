/* Test tool: the real relay (the server's own objects) with the test hook
 * relay_test_tamper set, so end-to-end tests can play a hostile relay that
 * serves each account a directory of its choosing. Never for production:
 * it exists to show that clients catch exactly this.
 *
 *   tamper_relay --data DIR --listen HOST:PORT --control FILE
 *
 * FILE is read again before every frame the relay sends (missing or empty:
 * the relay is faithful). One rule a line; WHO is an account (26 base32
 * characters) or '*' for everyone:
 *   head WHO RECORD_FILE        serve this head record instead of the stored one
 *   upto WHO VERSION            serve no change after VERSION (more = false)
 *   change WHO VERSION REC_FILE serve this record in place of the change VERSION
 *   key WHO ACCOUNT HEX         serve this identity key (33 bytes of hex) in
 *                               ACCOUNT's bundles
 * Prints "listening HOST:PORT" on stderr as the relay does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "directory/directory.h"
#include "protocol/crypto.h"
#include "protocol/encoding.h"
#include "protocol/log.h"
#include "server/relay.h"

#define MAX_RULES 32

struct rule {
	char kind[16];
	char who[ID_CHARS + 2];
	unsigned long long version;
	char file[1024];
	char account[ID_CHARS + 2];
};

static const char *control_path;

static int read_rules(struct rule *rules, size_t *n)
{
	FILE *fp = fopen(control_path, "r");
	char line[1200];

	*n = 0;
	if (fp == NULL)
		return 0;
	while (*n < MAX_RULES && fgets(line, sizeof line, fp) != NULL) {
		struct rule *r = &rules[*n];
		memset(r, 0, sizeof *r);
		if (sscanf(line, "head %27s %1023s", r->who, r->file) == 2)
			strcpy(r->kind, "head");
		else if (sscanf(line, "upto %27s %llu", r->who, &r->version) == 2)
			strcpy(r->kind, "upto");
		else if (sscanf(line, "change %27s %llu %1023s", r->who, &r->version, r->file) == 3)
			strcpy(r->kind, "change");
		else if (sscanf(line, "key %27s %27s %1023s", r->who, r->account, r->file) == 3)
			strcpy(r->kind, "key");
		else
			continue;
		(*n)++;
	}
	fclose(fp);
	return 0;
}

static int applies(const struct rule *r, const struct conn *c)
{
	char id[ID_CHARS + 1];

	if (strcmp(r->who, "*") == 0)
		return 1;
	if (!c->logged_in)
		return 0;
	id_encode(c->account, id);
	return strcmp(r->who, id) == 0;
}

/* The whole file, malloc'd; NULL when it cannot be read. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	struct stat sb;

	if (fp == NULL)
		return NULL;
	if (fstat(fileno(fp), &sb) == 0 && sb.st_size > 0 && sb.st_size <= DIR_MAX_RECORD &&
	    (buf = malloc((size_t)sb.st_size)) != NULL &&
	    fread(buf, 1, (size_t)sb.st_size, fp) != (size_t)sb.st_size) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	if (buf != NULL)
		*len = (size_t)sb.st_size;
	return buf;
}

static uint64_t version_of(const uint8_t *rec, size_t len)
{
	struct dir_record dr;
	struct dir_change ch;

	if (dir_record_read(rec, len, DIR_MAX_CHANGE, &dr) != 0 ||
	    dir_change_parse(dr.signed_bytes, dr.signed_len, &ch) != 0)
		return 0;
	return ch.version;
}

static void tamper_head(const struct rule *r, Liaison__DirHead *dh)
{
	size_t len = 0;
	uint8_t *rec = slurp(r->file, &len);

	if (rec == NULL) {
		log_err("tamper", "cannot read %s", r->file);
		return;
	}
	free(dh->record.data);
	dh->record.data = rec;
	dh->record.len = len;
	log_info("tamper", "served a substituted head");
}

/* Rebuilds the page without the changes past upto and with the
 * substitutions asked for. */
static void tamper_changes(const struct rule *rules, size_t n, const struct conn *c,
			   Liaison__DirChanges *dc)
{
	const uint8_t *recs[4096];
	size_t lens[4096];
	uint8_t *owned[4096];
	size_t count = 0, n_owned = 0, i, j;
	uint64_t upto = UINT64_MAX;
	struct rd rd;
	uint32_t total;
	struct wb page;
	int changed = 0;

	for (i = 0; i < n; i++)
		if (strcmp(rules[i].kind, "upto") == 0 && applies(&rules[i], c) &&
		    rules[i].version < upto)
			upto = rules[i].version;
	if (dc->page.len == 0 || dir_page_open(&rd, dc->page.data, dc->page.len, &total) != 0)
		return;
	for (i = 0; i < total && count < 4096; i++) {
		const uint8_t *p;
		size_t len;
		uint64_t v;

		if (dir_page_next(&rd, &p, &len) != 0)
			return;
		v = version_of(p, len);
		if (v > upto) {
			changed = 1;
			continue;
		}
		for (j = 0; j < n; j++) {
			if (strcmp(rules[j].kind, "change") == 0 && applies(&rules[j], c) &&
			    rules[j].version == v) {
				size_t alt_len = 0;
				uint8_t *alt = slurp(rules[j].file, &alt_len);
				if (alt == NULL) {
					log_err("tamper", "cannot read %s", rules[j].file);
					continue;
				}
				owned[n_owned++] = alt;
				p = alt;
				len = alt_len;
				changed = 1;
				log_info("tamper", "served a substituted change %llu",
					 (unsigned long long)v);
				break;
			}
		}
		recs[count] = p;
		lens[count] = len;
		count++;
	}
	if (changed && dir_page_build(recs, lens, count, RELAY_DIR_PAGE, &page) == 0) {
		uint8_t *copy = malloc(page.len ? page.len : 1);
		if (copy != NULL) {
			memcpy(copy, page.data, page.len);
			free(dc->page.data);
			dc->page.data = copy;
			dc->page.len = page.len;
			if (upto != UINT64_MAX)
				dc->more = 0;
		}
		wb_free(&page);
	}
	for (i = 0; i < n_owned; i++)
		free(owned[i]);
}

/* Another identity key in a bundle of the rule's account. */
static void tamper_bundle(const struct rule *r, Liaison__Bundle *b)
{
	char id[ID_CHARS + 1];
	uint8_t key[33];

	if (b->account.len != 16)
		return;
	id_encode(b->account.data, id);
	if (strcmp(id, r->account) != 0 || hex_decode_loose(r->file, key, sizeof key) != 0 ||
	    b->identity_key.len != sizeof key)
		return;
	memcpy(b->identity_key.data, key, sizeof key);
	log_info("tamper", "served another identity key in a bundle");
}

static void tamper_item(const struct rule *rules, size_t n, struct conn *c, Liaison__Item *it)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!applies(&rules[i], c))
			continue;
		if (it->body_case == LIAISON__ITEM__BODY_DIR_HEAD && strcmp(rules[i].kind, "head") == 0) {
			tamper_head(&rules[i], it->dir_head);
			break;
		}
		if (it->body_case == LIAISON__ITEM__BODY_BUNDLE && strcmp(rules[i].kind, "key") == 0)
			tamper_bundle(&rules[i], it->bundle);
	}
	if (it->body_case == LIAISON__ITEM__BODY_DIR_CHANGES)
		tamper_changes(rules, n, c, it->dir_changes);
}

static void tamper(struct conn *c, Liaison__Frame *out)
{
	struct rule rules[MAX_RULES];
	size_t n = 0, i;

	if (read_rules(rules, &n) != 0 || n == 0)
		return;
	for (i = 0; i < out->n_items; i++)
		tamper_item(rules, n, c, out->items[i]);
}

int main(int argc, char **argv)
{
	struct relay_config cfg;
	struct relay_failure why;
	static char host[256];
	int port = 0, i;
	const char *data = NULL, *listen = NULL;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--data") == 0)
			data = argv[i + 1];
		else if (strcmp(argv[i], "--listen") == 0)
			listen = argv[i + 1];
		else if (strcmp(argv[i], "--control") == 0)
			control_path = argv[i + 1];
	}
	if (data == NULL || listen == NULL || control_path == NULL ||
	    sscanf(listen, "%255[^:]:%d", host, &port) != 2) {
		fprintf(stderr, "usage: tamper_relay --data DIR --listen HOST:PORT --control FILE\n");
		return 2;
	}
	if (lc_init() != 0)
		return 1;
	umask(0077);
	memset(&cfg, 0, sizeof cfg);
	memset(&why, 0, sizeof why);
	cfg.data_dir = data;
	cfg.listen_host = host;
	cfg.listen_port = port;
	cfg.expire_after_s = RELAY_DEFAULT_EXPIRE_S;
	cfg.max_per_address = RELAY_MAX_CONN_PER_ADDR;
	cfg.failure = &why;
	log_set_level(LOG_INFO);
	relay_test_tamper = tamper;
	return relay_run(&cfg) == 0 ? 0 : 1;
}
