/* The one decoder and encoder of the wire (DESIGN.md §10). Decoding is
 * bounded three ways: the input against WIRE_MAX_FRAME before unpacking,
 * protobuf-c's allocations against a byte budget, and a walk that refuses
 * unknown fields, unknown oneof cases and a wrong version. */
#ifndef LIAISON_WIRE_H
#define LIAISON_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/errors.h"
#include "protocol/wire.pb-c.h"

#define WIRE_VERSION 1
#define WIRE_MAX_FRAME (256 * 1024)          /* one WebSocket message */
#define WIRE_UNPACK_BUDGET (4 * WIRE_MAX_FRAME)
#define WIRE_MAX_TEXT (64 * 1024)            /* a message's text, bytes */
#define WIRE_MAX_ITEMS 512                   /* items in one frame */
#define WIRE_MAX_CIPHERTEXT (WIRE_MAX_TEXT + 4096)
#define WIRE_SUBPROTOCOL "liaison.v1"
#define WIRE_INNER_VERSION 1                 /* Inner.version */
#define WIRE_MAX_ADMIN (64 * 1024)           /* one admin socket request or reply */
#define WIRE_MESSAGE_ID 16                   /* Send.message_id, bytes */

enum account_status { ACCOUNT_ACTIVE = 1, ACCOUNT_PENDING = 2 };

enum inner_kind { INNER_KIND_TEXT = 1, INNER_KIND_FILE = 2, INNER_KIND_BROADCAST = 3,
		  INNER_KIND_SYSTEM = 4, INNER_KIND_RECEIPT = 5 };

/* A new message id (DESIGN.md §7, docs/PROTOCOL.md): the sender's clock,
 * milliseconds since the epoch in 48 bits big-endian, then 10 random bytes.
 * Ids that grow with time keep the relay's index of the ids it holds
 * append-only however large it gets (random ids cost a page write each);
 * the random part keeps them unique. Nobody relies on the time in it. */
void wire_message_id_new(uint8_t id[WIRE_MESSAGE_ID]);

/* Decodes and validates one frame; *out is freed with wire_frame_free.
 * Refused: over WIRE_MAX_FRAME (TOO_BIG), over the unpack budget (TOO_BIG),
 * malformed (INVALID), unknown fields anywhere or a version other than
 * WIRE_VERSION (UNSUPPORTED), an Item with no body (INVALID), more than
 * WIRE_MAX_ITEMS items (TOO_BIG). */
int wire_frame_decode(const uint8_t *buf, size_t len, Liaison__Frame **out) LIAISON_WUR;
void wire_frame_free(Liaison__Frame *frame);
/* Packs a frame (its version is set here) into a malloc'd buffer;
 * LIAISON_ERR_TOO_BIG when it would exceed WIRE_MAX_FRAME or WIRE_MAX_ITEMS,
 * LIAISON_ERR_INVALID for what the decoder would refuse (an Item with no body). */
int wire_frame_encode(Liaison__Frame *frame, uint8_t **out, size_t *outlen) LIAISON_WUR;

/* The same for the inner header (after unpadding; at most WIRE_MAX_CIPHERTEXT
 * bytes, version WIRE_INNER_VERSION, text at most WIRE_MAX_TEXT bytes) and
 * the admin socket (at most WIRE_MAX_ADMIN bytes; an AdminRequest with no op
 * is refused). */
int wire_inner_decode(const uint8_t *buf, size_t len, Liaison__Inner **out) LIAISON_WUR;
void wire_inner_free(Liaison__Inner *inner);
int wire_admin_request_decode(const uint8_t *buf, size_t len, Liaison__AdminRequest **out) LIAISON_WUR;
void wire_admin_request_free(Liaison__AdminRequest *req);
int wire_admin_reply_decode(const uint8_t *buf, size_t len, Liaison__AdminReply **out) LIAISON_WUR;
void wire_admin_reply_free(Liaison__AdminReply *reply);

/* Packs any message into a malloc'd buffer of at most max bytes. */
int wire_pack(const ProtobufCMessage *msg, size_t max, uint8_t **out, size_t *outlen) LIAISON_WUR;

/* An error item for replies: code is a LIAISON_ERR_* (negative). */
void wire_error_init(Liaison__Error *err, int code, const char *text);
/* The LIAISON_ERR_* carried by an error item (unknown codes become
 * LIAISON_ERR_PROTOCOL). */
int wire_error_code(const Liaison__Error *err);

#endif
