/* The one decoder and encoder of the wire (DESIGN.md §10): protobuf-c, with
 * the input size checked before unpacking, unpack's allocations held to a
 * byte budget, and a walk over the result that refuses unknown fields, unset
 * oneofs and a wrong version. No other code may unpack wire bytes. */
#include "protocol/wire.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/crypto.h"
#include "protocol/timefmt.h"

/* Malloc bookkeeping charged per allocation on top of its size, so that a
 * flood of tiny allocations cannot slip under the budget. */
#define WIRE_ALLOC_OVERHEAD 16
/* Frame -> Item -> body -> SignedPrekey: our schema is 4 levels deep. */
#define WIRE_MAX_DEPTH 8

struct budget {
	size_t left;
	int exhausted;
};

static void *budget_alloc(void *data, size_t size)
{
	struct budget *b = data;
	size_t cost;

	if (size > SIZE_MAX - WIRE_ALLOC_OVERHEAD)
		goto refuse;
	cost = size + WIRE_ALLOC_OVERHEAD;
	if (cost > b->left)
		goto refuse;
	b->left -= cost;
	return malloc(size > 0 ? size : 1);
refuse:
	b->exhausted = 1;
	return NULL;
}

/* Used both during unpack and when the message is freed long after the
 * budget on unpack's stack is gone: it must never look at allocator_data. */
static void budget_free(void *data, void *p)
{
	(void)data;
	free(p);
}

static void *no_alloc(void *data, size_t size)
{
	(void)data;
	(void)size;
	return NULL;
}

static ProtobufCAllocator free_allocator = {
	.alloc = no_alloc,
	.free = budget_free,
	.allocator_data = NULL,
};

static void message_free(ProtobufCMessage *msg)
{
	if (msg != NULL)
		protobuf_c_message_free_unpacked(msg, &free_allocator);
}

/* 1 when the oneof group of field f (shared quantifier) has some member set. */
static int oneof_group_set(const ProtobufCMessageDescriptor *d, const uint8_t *base,
			   const ProtobufCFieldDescriptor *f)
{
	uint32_t which;
	unsigned i;

	memcpy(&which, base + f->quantifier_offset, sizeof(which));
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *g = &d->fields[i];

		if ((g->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0 &&
		    g->quantifier_offset == f->quantifier_offset && g->id == which)
			return 1;
	}
	return 0;
}

/* The first field of f's oneof group, so that each group is checked once. */
static int oneof_group_first(const ProtobufCMessageDescriptor *d, unsigned idx)
{
	unsigned i;

	for (i = 0; i < idx; i++)
		if ((d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0 &&
		    d->fields[i].quantifier_offset == d->fields[idx].quantifier_offset)
			return 0;
	return 1;
}

/* Refuses, in msg and every message below it, unknown fields (something
 * newer or forged that we would otherwise ignore silently) and a oneof with
 * no member set (an unknown case, or an empty Item/AdminRequest). */
static int walk(const ProtobufCMessage *msg, int depth)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	const uint8_t *base = (const uint8_t *)msg;
	unsigned i;
	size_t j, n;
	int rc;

	if (depth > WIRE_MAX_DEPTH)
		return LIAISON_ERR_INVALID;
	if (msg->n_unknown_fields != 0)
		return LIAISON_ERR_UNSUPPORTED;
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const ProtobufCMessage *sub;

		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0) {
			uint32_t which;

			if (oneof_group_first(d, i) && !oneof_group_set(d, base, f))
				return LIAISON_ERR_INVALID;
			memcpy(&which, base + f->quantifier_offset, sizeof(which));
			if (which != f->id || f->type != PROTOBUF_C_TYPE_MESSAGE)
				continue;
		}
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			ProtobufCMessage *const *arr;

			memcpy(&n, base + f->quantifier_offset, sizeof(n));
			memcpy(&arr, base + f->offset, sizeof(arr));
			for (j = 0; j < n; j++) {
				if (arr == NULL || arr[j] == NULL)
					return LIAISON_ERR_INVALID;
				if ((rc = walk(arr[j], depth + 1)) != 0)
					return rc;
			}
		} else {
			memcpy(&sub, base + f->offset, sizeof(sub));
			if (sub != NULL && (rc = walk(sub, depth + 1)) != 0)
				return rc;
		}
	}
	return 0;
}

/* Unpacks under a budget of four times the input limit and walks the
 * result. On success *out owns the message (free with message_free). */
static int decode(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
		  size_t max, ProtobufCMessage **out)
{
	struct budget b = { .left = 4 * max, .exhausted = 0 };
	ProtobufCAllocator alloc = {
		.alloc = budget_alloc,
		.free = budget_free,
		.allocator_data = &b,
	};
	ProtobufCMessage *msg = NULL;
	int rc;

	if (len > max)
		return LIAISON_ERR_TOO_BIG;
	if (buf == NULL && len > 0)
		return LIAISON_ERR_INVALID;
	msg = protobuf_c_message_unpack(d, &alloc, len, buf != NULL ? buf : (const uint8_t *)"");
	if (msg == NULL) {
		rc = b.exhausted ? LIAISON_ERR_TOO_BIG : LIAISON_ERR_INVALID;
		goto out;
	}
	if ((rc = walk(msg, 0)) != 0)
		goto out;
	*out = msg;
	msg = NULL;
out:
	message_free(msg);
	return rc;
}

static int frame_check(const Liaison__Frame *f)
{
	if (f->version != WIRE_VERSION)
		return LIAISON_ERR_UNSUPPORTED;
	if (f->n_items > WIRE_MAX_ITEMS)
		return LIAISON_ERR_TOO_BIG;
	return 0;
}

void wire_message_id_new(uint8_t id[WIRE_MESSAGE_ID])
{
	uint64_t ms = time_now_ms();
	int i;

	for (i = 0; i < 6; i++)
		id[i] = (uint8_t)(ms >> (40 - 8 * i));
	lc_random(id + 6, WIRE_MESSAGE_ID - 6);
}

int wire_frame_decode(const uint8_t *buf, size_t len, Liaison__Frame **out)
{
	ProtobufCMessage *msg = NULL;
	int rc;

	if ((rc = decode(&liaison__frame__descriptor, buf, len, WIRE_MAX_FRAME, &msg)) != 0)
		goto out;
	if ((rc = frame_check((const Liaison__Frame *)msg)) != 0)
		goto out;
	*out = (Liaison__Frame *)msg;
	msg = NULL;
out:
	message_free(msg);
	return rc;
}

void wire_frame_free(Liaison__Frame *frame)
{
	if (frame != NULL)
		message_free(&frame->base);
}

int wire_pack(const ProtobufCMessage *msg, size_t max, uint8_t **out, size_t *outlen)
{
	uint8_t *buf = NULL;
	size_t size, packed;
	int rc;

	if (msg == NULL || msg->descriptor == NULL)
		return LIAISON_ERR_INVALID;
	size = protobuf_c_message_get_packed_size(msg);
	if (size > max) {
		rc = LIAISON_ERR_TOO_BIG;
		goto out;
	}
	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL) {
		rc = LIAISON_ERR_NOMEM;
		goto out;
	}
	packed = protobuf_c_message_pack(msg, buf);
	if (packed != size) {
		rc = LIAISON_ERR_INTERNAL;
		goto out;
	}
	*out = buf;
	*outlen = size;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}

int wire_frame_encode(Liaison__Frame *frame, uint8_t **out, size_t *outlen)
{
	int rc;

	if (frame == NULL)
		return LIAISON_ERR_INVALID;
	frame->version = WIRE_VERSION;
	if ((rc = frame_check(frame)) != 0)
		return rc;
	/* Never send what our own decoder would refuse (an Item with no body). */
	if ((rc = walk(&frame->base, 0)) != 0)
		return rc;
	return wire_pack(&frame->base, WIRE_MAX_FRAME, out, outlen);
}

int wire_inner_decode(const uint8_t *buf, size_t len, Liaison__Inner **out)
{
	ProtobufCMessage *msg = NULL;
	const Liaison__Inner *in;
	int rc;

	if ((rc = decode(&liaison__inner__descriptor, buf, len, WIRE_MAX_CIPHERTEXT, &msg)) != 0)
		goto out;
	in = (const Liaison__Inner *)msg;
	if (in->version != WIRE_INNER_VERSION) {
		rc = LIAISON_ERR_UNSUPPORTED;
		goto out;
	}
	if (in->text != NULL && strlen(in->text) > WIRE_MAX_TEXT) {
		rc = LIAISON_ERR_TOO_BIG;
		goto out;
	}
	*out = (Liaison__Inner *)msg;
	msg = NULL;
out:
	message_free(msg);
	return rc;
}

void wire_inner_free(Liaison__Inner *inner)
{
	if (inner != NULL)
		message_free(&inner->base);
}

int wire_admin_request_decode(const uint8_t *buf, size_t len, Liaison__AdminRequest **out)
{
	ProtobufCMessage *msg = NULL;
	int rc;

	if ((rc = decode(&liaison__admin_request__descriptor, buf, len, WIRE_MAX_ADMIN, &msg)) != 0)
		return rc;
	*out = (Liaison__AdminRequest *)msg;
	return 0;
}

void wire_admin_request_free(Liaison__AdminRequest *req)
{
	if (req != NULL)
		message_free(&req->base);
}

int wire_admin_reply_decode(const uint8_t *buf, size_t len, Liaison__AdminReply **out)
{
	ProtobufCMessage *msg = NULL;
	int rc;

	if ((rc = decode(&liaison__admin_reply__descriptor, buf, len, WIRE_MAX_ADMIN, &msg)) != 0)
		return rc;
	*out = (Liaison__AdminReply *)msg;
	return 0;
}

void wire_admin_reply_free(Liaison__AdminReply *reply)
{
	if (reply != NULL)
		message_free(&reply->base);
}

void wire_error_init(Liaison__Error *err, int code, const char *text)
{
	liaison__error__init(err);
	err->code = code < 0 ? (uint32_t)-code : (uint32_t)code;
	/* protobuf-c's string fields are not const, but packing only reads. */
	err->text = (char *)(text != NULL ? text : "");
}

int wire_error_code(const Liaison__Error *err)
{
	if (err == NULL || err->code == 0 || err->code >= (uint32_t)LIAISON_ERR_COUNT_)
		return LIAISON_ERR_PROTOCOL;
	return -(int)err->code;
}
