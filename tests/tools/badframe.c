/* Test tool: connects to a relay (pin checked), waits for its Challenge,
 * sends one bad WebSocket message and reports what the relay did. Exit 0
 * when the relay answered with an Error item and/or closed this connection
 * within 5 s, as DESIGN.md §11 requires; 1 otherwise.
 *
 *   badframe --url wss://HOST:PORT --pin HEX
 *            --case garbage|oversized|unknown-field|no-body|wrong-version */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/crypto.h"
#include "protocol/fingerprint.h"
#include "protocol/wire.h"
#include "tests/lib/wsclient.h"

static int got_challenge, got_error, error_code, is_closed;

static void on_message(struct wsc *c, const uint8_t *buf, size_t len, void *arg)
{
	Liaison__Frame *f;
	(void)c;
	(void)arg;
	if (wire_frame_decode(buf, len, &f) != 0)
		return;
	for (size_t i = 0; i < f->n_items; i++) {
		if (f->items[i]->body_case == LIAISON__ITEM__BODY_CHALLENGE)
			got_challenge = 1;
		if (f->items[i]->body_case == LIAISON__ITEM__BODY_ERROR) {
			got_error = 1;
			error_code = wire_error_code(f->items[i]->error);
		}
	}
	wire_frame_free(f);
}

static void on_event(struct wsc *c, enum wsc_event ev, void *arg)
{
	(void)c;
	(void)arg;
	if (ev != WSC_CONNECTED)
		is_closed = 1;
}

static time_t deadline_in(int s)
{
	return time(NULL) + s;
}

int main(int argc, char **argv)
{
	const char *url = NULL, *pin_hex = NULL, *which = NULL;
	char host[256];
	int port;
	uint8_t pin[32];
	struct wsc_ctx *ctx;
	struct wsc *c;
	uint8_t *bad = NULL;
	size_t bad_len = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--url") == 0)
			url = argv[i + 1];
		else if (strcmp(argv[i], "--pin") == 0)
			pin_hex = argv[i + 1];
		else if (strcmp(argv[i], "--case") == 0)
			which = argv[i + 1];
	}
	if (url == NULL || pin_hex == NULL || which == NULL ||
	    sscanf(url, "wss://%255[^:]:%d", host, &port) != 2) {
		fprintf(stderr, "usage: badframe --url wss://HOST:PORT --pin HEX --case CASE\n");
		return 2;
	}
	if (lc_init() != 0 || fp_pin_parse(pin_hex, pin) != 0)
		return 2;

	if (strcmp(which, "garbage") == 0) {
		static uint8_t g[64];
		memset(g, 0xff, sizeof(g));
		bad = g;
		bad_len = sizeof(g);
	} else if (strcmp(which, "oversized") == 0) {
		bad_len = WIRE_MAX_FRAME + 4096;
		bad = calloc(1, bad_len);
	} else if (strcmp(which, "unknown-field") == 0) {
		/* Frame{version 1, items [Item{id 1, ok {}}]} then field 15 = 1. */
		static uint8_t u[] = { 0x08, 0x01, 0x12, 0x04, 0x08, 0x01, 0x5a, 0x00, 0x78, 0x01 };
		bad = u;
		bad_len = sizeof(u);
	} else if (strcmp(which, "no-body") == 0) {
		static uint8_t n[] = { 0x08, 0x01, 0x12, 0x02, 0x08, 0x05 };
		bad = n;
		bad_len = sizeof(n);
	} else if (strcmp(which, "wrong-version") == 0) {
		static uint8_t v[] = { 0x08, 0x02, 0x12, 0x04, 0x08, 0x01, 0x5a, 0x00 };
		bad = v;
		bad_len = sizeof(v);
	} else {
		fprintf(stderr, "badframe: unknown case %s\n", which);
		return 2;
	}

	if (wsc_ctx_new(pin, 1, &ctx) != 0 ||
	    wsc_connect(ctx, host, port, on_message, on_event, NULL, &c) != 0)
		return 1;
	time_t end = deadline_in(5);
	while (!got_challenge && !is_closed && time(NULL) < end)
		wsc_service(ctx, 50);
	if (!got_challenge) {
		fprintf(stderr, "badframe: no challenge from the relay\n");
		return 1;
	}
	wsc_send_raw(c, bad, bad_len);
	end = deadline_in(5);
	while (!is_closed && time(NULL) < end)
		wsc_service(ctx, 50);
	printf("case %s: %s%s\n", which,
	       got_error ? "error item, " : "no error item, ",
	       is_closed ? "connection closed" : "connection still open");
	if (got_error)
		printf("error %d %s\n", error_code, liaison_strerror(error_code));
	wsc_ctx_free(ctx);
	if (bad_len == WIRE_MAX_FRAME + 4096)
		free(bad);
	return is_closed ? 0 : 1;
}
