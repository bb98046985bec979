/* Output for scripts and people: one compact JSON object a line through
 * jansson (text kept exact), or lines whose first word is stable with text
 * from elsewhere passed through the one sanitiser. */
#include "client-tui/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/encoding.h"
#include "protocol/sanitize.h"
#include "protocol/timefmt.h"
#include "protocol/wire.h"

int cli_json_line(json_t *obj)
{
	char *s;
	int err = 0;

	if (obj == NULL)
		return LIAISON_ERR_NOMEM;
	s = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (s == NULL)
		return LIAISON_ERR_NOMEM;
	if (puts(s) == EOF || fflush(stdout) != 0)
		err = LIAISON_ERR_IO;
	free(s);
	return err;
}

json_t *cli_json_text(const char *s, size_t len)
{
	char *clean;
	json_t *j;

	if (s == NULL)
		return json_null();
	clean = sanitize_utf8(s, len);
	if (clean == NULL)
		return NULL;
	j = json_string(clean);
	free(clean);
	return j;
}

static const char *kind_name(int kind)
{
	switch (kind) {
	case INNER_KIND_TEXT:
		return "text";
	case INNER_KIND_FILE:
		return "file";
	case INNER_KIND_BROADCAST:
		return "broadcast";
	case INNER_KIND_SYSTEM:
		return "system";
	case INNER_KIND_RECEIPT:
		return "receipt";
	default:
		return "unknown";
	}
}

static json_t *json_time(uint64_t ms)
{
	char t[TIME_RFC3339_CHARS];

	if (ms == 0)
		return json_null();
	time_format(ms, t);
	return json_string(t);
}

static int set(json_t *obj, const char *key, json_t *val)
{
	if (val == NULL)
		return LIAISON_ERR_NOMEM;
	return json_object_set_new(obj, key, val) == 0 ? 0 : LIAISON_ERR_NOMEM;
}

static int message_json(const struct msg_record *m)
{
	char id[ID_CHARS + 1], peer[ID_CHARS + 1], from[ID_CHARS + 1];
	json_t *obj = json_object();
	int decrypted = m->status != MSG_UNTRUSTED && m->status != MSG_FAILED;
	int err;

	if (obj == NULL)
		return LIAISON_ERR_NOMEM;
	id_encode(m->id, id);
	id_encode(m->peer, peer);
	id_encode(m->from, from);
	if ((err = set(obj, "id", json_string(id))) != 0 ||
	    (err = set(obj, "conversation", json_string(peer))) != 0 ||
	    (err = set(obj, "from", json_string(from))) != 0 ||
	    (err = set(obj, "kind", decrypted ? json_string(kind_name(m->kind)) : json_null())) != 0 ||
	    (err = set(obj, "text", decrypted ? cli_json_text(m->text, m->text_len) : json_null())) != 0 ||
	    (err = set(obj, "sent_at", json_time(m->sent_at))) != 0 ||
	    (err = set(obj, "received_at", json_time(m->received_at))) != 0 ||
	    (err = set(obj, "verified", json_boolean(m->verified))) != 0)
		goto out;
	if (m->dir == MSG_OUT)
		err = set(obj, "status", json_string(m->status == MSG_SENT ? "sent" : "queued"));
	if (err == 0 && m->status == MSG_UNTRUSTED)
		err = set(obj, "untrusted", json_true());
	if (err == 0 && !decrypted)
		err = set(obj, "error", json_string(liaison_strerror(m->error)));
	if (err != 0)
		goto out;
	return cli_json_line(obj);
out:
	json_decref(obj);
	return err;
}

int cli_print_message(struct cli *cli, const struct msg_record *m)
{
	char id[ID_CHARS + 1], peer[ID_CHARS + 1], t[TIME_RFC3339_CHARS];
	char *text = NULL;
	int rc;

	if (cli->json)
		return message_json(m);
	id_encode(m->id, id);
	id_encode(m->peer, peer);
	time_format(m->dir == MSG_OUT ? m->sent_at : m->received_at, t);
	if (m->status == MSG_UNTRUSTED) {
		rc = printf("message %s from %s at %s [untrusted, not decrypted: %s]\n", id, peer, t,
			    liaison_strerror(m->error));
	} else if (m->status == MSG_FAILED) {
		rc = printf("message %s from %s at %s [could not be decrypted: %s]\n", id, peer, t,
			    liaison_strerror(m->error));
	} else {
		text = sanitize_text(m->text != NULL ? m->text : "", m->text != NULL ? m->text_len : 0);
		if (text == NULL)
			return LIAISON_ERR_NOMEM;
		if (m->dir == MSG_OUT)
			rc = printf("message %s to %s at %s (%s): %s\n", id, peer, t,
				    m->status == MSG_SENT ? "sent" : "queued", text);
		else
			rc = printf("message %s from %s at %s: %s\n", id, peer, t, text);
		free(text);
	}
	if (rc < 0 || fflush(stdout) != 0)
		return LIAISON_ERR_IO;
	return 0;
}
