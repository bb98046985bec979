/* Unit tests for protocol/wire.c: frames survive a round trip, and what a
 * hostile peer sends (allocation bombs, unknown fields, empty items, other
 * versions, oversized input) is refused within the budget. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "protocol/crypto.h"
#include "protocol/errors.h"
#include "protocol/timefmt.h"
#include "protocol/wire.h"

/* A tiny protobuf writer for hand-made hostile input. */
struct raw {
	uint8_t *p;
	size_t len, cap;
};

static void raw_byte(struct raw *r, uint8_t b)
{
	if (r->len == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->p = realloc(r->p, r->cap);
		assert_non_null(r->p);
	}
	r->p[r->len++] = b;
}

static void raw_varint(struct raw *r, uint64_t v)
{
	while (v >= 0x80) {
		raw_byte(r, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	raw_byte(r, (uint8_t)v);
}

static void raw_bytes(struct raw *r, const void *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		raw_byte(r, ((const uint8_t *)p)[i]);
}

/* field number, wire type 2, then the bytes */
static void raw_field(struct raw *r, uint32_t field, const struct raw *body)
{
	raw_varint(r, (uint64_t)field << 3 | 2);
	raw_varint(r, body->len);
	raw_bytes(r, body->p, body->len);
}

static void raw_free(struct raw *r)
{
	free(r->p);
	memset(r, 0, sizeof(*r));
}

static void test_round_trip_several_items(void **state)
{
	Liaison__Frame frame = LIAISON__FRAME__INIT, *back = NULL;
	Liaison__Item items[4] = { LIAISON__ITEM__INIT, LIAISON__ITEM__INIT,
				   LIAISON__ITEM__INIT, LIAISON__ITEM__INIT };
	Liaison__Item *ptrs[4] = { &items[0], &items[1], &items[2], &items[3] };
	Liaison__Send send = LIAISON__SEND__INIT;
	Liaison__Ack ack = LIAISON__ACK__INIT;
	Liaison__Error err;
	Liaison__Challenge ch = LIAISON__CHALLENGE__INIT;
	uint8_t to[16], mid[16], ct[1000], nonce[32];
	uint64_t seqs[3] = { 1, 300, 1ULL << 40 };
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	memset(to, 0x11, sizeof(to));
	memset(mid, 0x22, sizeof(mid));
	memset(ct, 0x33, sizeof(ct));
	memset(nonce, 0x44, sizeof(nonce));
	send.to.data = to;
	send.to.len = sizeof(to);
	send.message_id.data = mid;
	send.message_id.len = sizeof(mid);
	send.type = 3;
	send.ciphertext.data = ct;
	send.ciphertext.len = sizeof(ct);
	items[0].id = 7;
	items[0].body_case = LIAISON__ITEM__BODY_SEND;
	items[0].send = &send;
	ack.n_seq = 3;
	ack.seq = seqs;
	items[1].id = 8;
	items[1].body_case = LIAISON__ITEM__BODY_ACK;
	items[1].ack = &ack;
	wire_error_init(&err, LIAISON_ERR_REVOKED, "revoked");
	items[2].id = 9;
	items[2].body_case = LIAISON__ITEM__BODY_ERROR;
	items[2].error = &err;
	ch.server_nonce.data = nonce;
	ch.server_nonce.len = sizeof(nonce);
	ch.server_time = 1764459098000ULL;
	items[3].body_case = LIAISON__ITEM__BODY_CHALLENGE;
	items[3].challenge = &ch;
	frame.n_items = 4;
	frame.items = ptrs;
	frame.version = 99;	/* encode sets it */

	assert_int_equal(wire_frame_encode(&frame, &buf, &len), 0);
	assert_int_equal(frame.version, WIRE_VERSION);
	assert_int_equal(wire_frame_decode(buf, len, &back), 0);
	assert_int_equal(back->n_items, 4);
	assert_int_equal(back->items[0]->body_case, LIAISON__ITEM__BODY_SEND);
	assert_true(back->items[0]->id == 7);
	assert_int_equal(back->items[0]->send->type, 3);
	assert_int_equal(back->items[0]->send->ciphertext.len, sizeof(ct));
	assert_memory_equal(back->items[0]->send->ciphertext.data, ct, sizeof(ct));
	assert_memory_equal(back->items[0]->send->to.data, to, sizeof(to));
	assert_int_equal(back->items[1]->body_case, LIAISON__ITEM__BODY_ACK);
	assert_int_equal(back->items[1]->ack->n_seq, 3);
	assert_true(back->items[1]->ack->seq[2] == 1ULL << 40);
	assert_int_equal(back->items[2]->body_case, LIAISON__ITEM__BODY_ERROR);
	assert_int_equal(wire_error_code(back->items[2]->error), LIAISON_ERR_REVOKED);
	assert_int_equal(back->items[3]->body_case, LIAISON__ITEM__BODY_CHALLENGE);
	assert_true(back->items[3]->challenge->server_time == 1764459098000ULL);
	wire_frame_free(back);
	free(buf);
}

static void test_big_legitimate_frame_fits_budget(void **state)
{
	Liaison__Frame frame = LIAISON__FRAME__INIT, *back = NULL;
	Liaison__Item items[3] = { LIAISON__ITEM__INIT, LIAISON__ITEM__INIT, LIAISON__ITEM__INIT };
	Liaison__Item *ptrs[3] = { &items[0], &items[1], &items[2] };
	Liaison__Deliver d = LIAISON__DELIVER__INIT;
	static uint8_t ct[WIRE_MAX_CIPHERTEXT];
	uint8_t *buf = NULL;
	size_t len = 0, i;

	(void)state;
	d.ciphertext.data = ct;
	d.ciphertext.len = sizeof(ct);
	d.seq = 1;
	for (i = 0; i < 3; i++) {
		items[i].body_case = LIAISON__ITEM__BODY_DELIVER;
		items[i].deliver = &d;
	}
	frame.n_items = 3;
	frame.items = ptrs;
	assert_int_equal(wire_frame_encode(&frame, &buf, &len), 0);
	assert_true(len > 3 * WIRE_MAX_CIPHERTEXT);
	assert_int_equal(wire_frame_decode(buf, len, &back), 0);
	assert_int_equal(back->n_items, 3);
	wire_frame_free(back);
	free(buf);
}

/* Frame{version 1, items: [Item{id 1, prekey_upload{prekeys: n x empty}}]} */
static void make_prekey_bomb(struct raw *out, size_t n)
{
	struct raw upload = { 0 }, item = { 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		raw_byte(&upload, 0x12);	/* field 2, length-delimited */
		raw_byte(&upload, 0x00);	/* an empty Prekey */
	}
	raw_byte(&item, 0x08);
	raw_byte(&item, 0x01);
	raw_field(&item, 16, &upload);
	raw_byte(out, 0x08);
	raw_byte(out, WIRE_VERSION);
	raw_field(out, 2, &item);
	raw_free(&upload);
	raw_free(&item);
}

static void test_allocation_bomb_refused(void **state)
{
	struct raw bomb = { 0 };
	Liaison__Frame *f = NULL;

	(void)state;
	/* ~200 KiB of empty sub-messages: unbounded, protobuf-c would spend
	 * ~16 MiB on them; the budget (1 MiB) stops it first. */
	make_prekey_bomb(&bomb, 100 * 1024);
	assert_true(bomb.len < WIRE_MAX_FRAME);
	assert_int_equal(wire_frame_decode(bomb.p, bomb.len, &f), LIAISON_ERR_TOO_BIG);
	assert_null(f);
	raw_free(&bomb);

	/* The same shape, small, is fine. */
	make_prekey_bomb(&bomb, 100);
	assert_int_equal(wire_frame_decode(bomb.p, bomb.len, &f), 0);
	assert_int_equal(f->items[0]->prekey_upload->n_prekeys, 100);
	wire_frame_free(f);
	raw_free(&bomb);
}

static void test_unknown_fields_refused(void **state)
{
	struct raw frame = { 0 }, item = { 0 }, send = { 0 };
	Liaison__Frame *f = NULL;

	(void)state;
	/* in the frame itself: field 99, varint */
	raw_byte(&frame, 0x08);
	raw_byte(&frame, WIRE_VERSION);
	raw_varint(&frame, 99u << 3);
	raw_varint(&frame, 1);
	assert_int_equal(wire_frame_decode(frame.p, frame.len, &f), LIAISON_ERR_UNSUPPORTED);
	raw_free(&frame);

	/* deep inside: a Send with field 15 */
	raw_varint(&send, 3u << 3);
	raw_varint(&send, 2);
	raw_varint(&send, 15u << 3);
	raw_varint(&send, 5);
	raw_byte(&item, 0x08);
	raw_byte(&item, 0x01);
	raw_field(&item, 19, &send);
	raw_byte(&frame, 0x08);
	raw_byte(&frame, WIRE_VERSION);
	raw_field(&frame, 2, &item);
	assert_int_equal(wire_frame_decode(frame.p, frame.len, &f), LIAISON_ERR_UNSUPPORTED);
	raw_free(&frame);
	raw_free(&item);

	/* an unknown oneof case: Item field 40 */
	raw_byte(&item, 0x08);
	raw_byte(&item, 0x01);
	raw_field(&item, 40, &send);
	raw_byte(&frame, 0x08);
	raw_byte(&frame, WIRE_VERSION);
	raw_field(&frame, 2, &item);
	assert_int_not_equal(wire_frame_decode(frame.p, frame.len, &f), 0);
	assert_null(f);
	raw_free(&frame);
	raw_free(&item);
	raw_free(&send);
}

static void test_item_without_body_refused(void **state)
{
	Liaison__Frame frame = LIAISON__FRAME__INIT, *f = NULL;
	Liaison__Item item = LIAISON__ITEM__INIT, *ptr = &item;
	struct raw raw = { 0 }, body = { 0 };
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	/* our encoder refuses to send it */
	item.id = 5;
	frame.n_items = 1;
	frame.items = &ptr;
	assert_int_equal(wire_frame_encode(&frame, &buf, &len), LIAISON_ERR_INVALID);
	assert_null(buf);
	/* and the decoder refuses it from a peer */
	raw_byte(&body, 0x08);
	raw_byte(&body, 0x05);
	raw_byte(&raw, 0x08);
	raw_byte(&raw, WIRE_VERSION);
	raw_field(&raw, 2, &body);
	assert_int_equal(wire_frame_decode(raw.p, raw.len, &f), LIAISON_ERR_INVALID);
	assert_null(f);
	raw_free(&raw);
	raw_free(&body);
}

static void test_wrong_version_refused(void **state)
{
	static const uint8_t v2[] = { 0x08, 0x02 };
	static const uint8_t empty[] = { 0 };
	Liaison__Frame *f = NULL;

	(void)state;
	assert_int_equal(wire_frame_decode(v2, sizeof(v2), &f), LIAISON_ERR_UNSUPPORTED);
	/* no version at all reads as 0 */
	assert_int_equal(wire_frame_decode(empty, 0, &f), LIAISON_ERR_UNSUPPORTED);
	assert_null(f);
}

static void test_oversized_and_garbage_refused(void **state)
{
	uint8_t *big = calloc(1, WIRE_MAX_FRAME + 1);
	static const uint8_t garbage[] = { 0x08, 0x01, 0x12, 0x7f, 0x01 };
	Liaison__Frame *f = NULL;

	(void)state;
	assert_non_null(big);
	big[0] = 0x08;
	big[1] = 0x01;
	assert_int_equal(wire_frame_decode(big, WIRE_MAX_FRAME + 1, &f), LIAISON_ERR_TOO_BIG);
	assert_int_equal(wire_frame_decode(garbage, sizeof(garbage), &f), LIAISON_ERR_INVALID);
	assert_int_equal(wire_frame_decode(NULL, 5, &f), LIAISON_ERR_INVALID);
	assert_null(f);
	free(big);
}

static void test_too_many_items_refused(void **state)
{
	Liaison__Frame frame = LIAISON__FRAME__INIT, *f = NULL;
	Liaison__Item *items = calloc(WIRE_MAX_ITEMS + 1, sizeof(*items));
	Liaison__Item **ptrs = calloc(WIRE_MAX_ITEMS + 1, sizeof(*ptrs));
	Liaison__Ok ok = LIAISON__OK__INIT;
	struct raw raw = { 0 }, body = { 0 };
	uint8_t *buf = NULL;
	size_t len = 0, i;

	(void)state;
	assert_non_null(items);
	assert_non_null(ptrs);
	for (i = 0; i <= WIRE_MAX_ITEMS; i++) {
		liaison__item__init(&items[i]);
		items[i].body_case = LIAISON__ITEM__BODY_OK;
		items[i].ok = &ok;
		ptrs[i] = &items[i];
	}
	frame.items = ptrs;
	frame.n_items = WIRE_MAX_ITEMS + 1;
	assert_int_equal(wire_frame_encode(&frame, &buf, &len), LIAISON_ERR_TOO_BIG);
	frame.n_items = WIRE_MAX_ITEMS;
	assert_int_equal(wire_frame_encode(&frame, &buf, &len), 0);
	assert_int_equal(wire_frame_decode(buf, len, &f), 0);
	wire_frame_free(f);
	free(buf);

	/* a peer's frame with one item too many */
	raw_byte(&body, 0x5a);	/* field 11 (ok), length-delimited */
	raw_byte(&body, 0x00);
	raw_byte(&raw, 0x08);
	raw_byte(&raw, WIRE_VERSION);
	for (i = 0; i <= WIRE_MAX_ITEMS; i++)
		raw_field(&raw, 2, &body);
	f = NULL;
	assert_int_equal(wire_frame_decode(raw.p, raw.len, &f), LIAISON_ERR_TOO_BIG);
	assert_null(f);
	raw_free(&raw);
	raw_free(&body);
	free(ptrs);
	free(items);
}

static void test_encode_refuses_oversized(void **state)
{
	Liaison__Frame frame = LIAISON__FRAME__INIT;
	Liaison__Item item = LIAISON__ITEM__INIT, *ptr = &item;
	Liaison__Send send = LIAISON__SEND__INIT;
	uint8_t *ct = calloc(1, WIRE_MAX_FRAME);
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(ct);
	send.ciphertext.data = ct;
	send.ciphertext.len = WIRE_MAX_FRAME;
	item.body_case = LIAISON__ITEM__BODY_SEND;
	item.send = &send;
	frame.n_items = 1;
	frame.items = &ptr;
	assert_int_equal(wire_frame_encode(&frame, &buf, &len), LIAISON_ERR_TOO_BIG);
	assert_null(buf);
	free(ct);
}

static void test_inner_round_trip(void **state)
{
	Liaison__Inner in = LIAISON__INNER__INIT, *back = NULL;
	uint8_t mid[16], conv[16], *buf = NULL;
	size_t len = 0;

	(void)state;
	memset(mid, 1, sizeof(mid));
	memset(conv, 2, sizeof(conv));
	in.version = WIRE_INNER_VERSION;
	in.message_id.data = mid;
	in.message_id.len = sizeof(mid);
	in.conversation.data = conv;
	in.conversation.len = sizeof(conv);
	in.kind = INNER_KIND_TEXT;
	in.sent_at = 1234;
	in.text = "bonjour, 日本";
	assert_int_equal(wire_pack(&in.base, WIRE_MAX_CIPHERTEXT, &buf, &len), 0);
	assert_int_equal(wire_inner_decode(buf, len, &back), 0);
	assert_string_equal(back->text, "bonjour, 日本");
	assert_int_equal(back->kind, INNER_KIND_TEXT);
	wire_inner_free(back);
	free(buf);

	in.version = 2;
	assert_int_equal(wire_pack(&in.base, WIRE_MAX_CIPHERTEXT, &buf, &len), 0);
	back = NULL;
	assert_int_equal(wire_inner_decode(buf, len, &back), LIAISON_ERR_UNSUPPORTED);
	assert_null(back);
	free(buf);
}

static void test_admin_request(void **state)
{
	Liaison__AdminRequest req = LIAISON__ADMIN_REQUEST__INIT, *back = NULL;
	Liaison__AdminRevoke rev = LIAISON__ADMIN_REVOKE__INIT;
	uint8_t acct[16], *buf = NULL;
	size_t len = 0;

	(void)state;
	memset(acct, 9, sizeof(acct));
	rev.account.data = acct;
	rev.account.len = sizeof(acct);
	req.op_case = LIAISON__ADMIN_REQUEST__OP_REVOKE;
	req.revoke = &rev;
	assert_int_equal(wire_pack(&req.base, WIRE_MAX_ADMIN, &buf, &len), 0);
	assert_int_equal(wire_admin_request_decode(buf, len, &back), 0);
	assert_int_equal(back->op_case, LIAISON__ADMIN_REQUEST__OP_REVOKE);
	assert_memory_equal(back->revoke->account.data, acct, sizeof(acct));
	wire_admin_request_free(back);
	free(buf);
	/* no op at all */
	back = NULL;
	assert_int_equal(wire_admin_request_decode((const uint8_t *)"", 0, &back),
			 LIAISON_ERR_INVALID);
	assert_null(back);
}

static uint64_t id_ms(const uint8_t id[WIRE_MESSAGE_ID])
{
	uint64_t ms = 0;
	for (int i = 0; i < 6; i++)
		ms = ms << 8 | id[i];
	return ms;
}

/* Message ids: the clock in milliseconds, big-endian, so that ids made
 * later sort after (the relay's index appends); the rest random. */
static void test_message_ids_grow_with_time(void **state)
{
	uint8_t a[WIRE_MESSAGE_ID], b[WIRE_MESSAGE_ID];
	uint64_t before, after;
	(void)state;

	assert_int_equal(lc_init(), 0);
	before = time_now_ms();
	wire_message_id_new(a);
	wire_message_id_new(b);
	after = time_now_ms();
	assert_true(id_ms(a) >= before && id_ms(a) <= after);
	assert_true(id_ms(b) >= id_ms(a) && id_ms(b) <= after);
	assert_memory_not_equal(a + 6, b + 6, WIRE_MESSAGE_ID - 6);
	/* Made 5 ms apart: ordered as byte strings, which is how SQLite
	 * compares the relay's key. */
	{
		struct timespec ts = { 0, 5000000 };
		nanosleep(&ts, NULL);
	}
	wire_message_id_new(b);
	assert_true(memcmp(a, b, WIRE_MESSAGE_ID) < 0);
}

static void test_error_codes(void **state)
{
	Liaison__Error err;

	(void)state;
	wire_error_init(&err, LIAISON_ERR_USED, NULL);
	assert_int_equal(err.code, 15);
	assert_string_equal(err.text, "");
	assert_int_equal(wire_error_code(&err), LIAISON_ERR_USED);
	err.code = 0;
	assert_int_equal(wire_error_code(&err), LIAISON_ERR_PROTOCOL);
	err.code = 9999;
	assert_int_equal(wire_error_code(&err), LIAISON_ERR_PROTOCOL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_several_items),
		cmocka_unit_test(test_message_ids_grow_with_time),
		cmocka_unit_test(test_big_legitimate_frame_fits_budget),
		cmocka_unit_test(test_allocation_bomb_refused),
		cmocka_unit_test(test_unknown_fields_refused),
		cmocka_unit_test(test_item_without_body_refused),
		cmocka_unit_test(test_wrong_version_refused),
		cmocka_unit_test(test_oversized_and_garbage_refused),
		cmocka_unit_test(test_too_many_items_refused),
		cmocka_unit_test(test_encode_refuses_oversized),
		cmocka_unit_test(test_inner_round_trip),
		cmocka_unit_test(test_admin_request),
		cmocka_unit_test(test_error_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
