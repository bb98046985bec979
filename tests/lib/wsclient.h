/* A small WebSocket client for tests and benchmarks only (never linked into
 * the product): many connections on one lws context, the relay's pin
 * checked on the depth-0 SPKI, raw or encoded frames queued with one
 * lws_write per writeable callback, whole messages handed to a callback. */
#ifndef LIAISON_TEST_WSCLIENT_H
#define LIAISON_TEST_WSCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/wire.h"

struct wsc_ctx;
struct wsc;

enum wsc_event { WSC_CONNECTED, WSC_CLOSED, WSC_FAILED };

typedef void (*wsc_message_fn)(struct wsc *c, const uint8_t *buf, size_t len, void *arg);
typedef void (*wsc_event_fn)(struct wsc *c, enum wsc_event ev, void *arg);

int wsc_ctx_new(const uint8_t pin[32], int max_connections, struct wsc_ctx **out);
void wsc_ctx_free(struct wsc_ctx *ctx);
/* Starts connecting to wss://host:port/; events and messages go to the
 * callbacks with arg. */
int wsc_connect(struct wsc_ctx *ctx, const char *host, int port, wsc_message_fn on_message,
		wsc_event_fn on_event, void *arg, struct wsc **out);
/* Queues one binary WebSocket message (any bytes, even invalid frames). */
void wsc_send_raw(struct wsc *c, const uint8_t *buf, size_t len);
/* Encodes and queues a frame; exits the process if it cannot be encoded. */
void wsc_send_frame(struct wsc *c, Liaison__Frame *f);
/* A frame built at the moment it can be written: once the queue is empty
 * in a writeable callback, source(c, arg) is asked for one more message
 * (a malloc'd buffer in *buf, its length returned; 0: nothing now). A
 * benchmark stamps its messages here, as they leave, so that its own
 * queueing of many simulated clients on one thread is not counted as the
 * relay's latency. */
typedef size_t (*wsc_source_fn)(struct wsc *c, uint8_t **buf, void *arg);
void wsc_set_source(struct wsc *c, wsc_source_fn source);
/* Asks for a writeable callback (which consults the source). */
void wsc_want_write(struct wsc *c);
size_t wsc_queued_bytes(const struct wsc *c);
int wsc_is_closed(const struct wsc *c);
/* One turn of the loop. lws 4 ignores a service timeout and sleeps until
 * the next event, so a caller that paces itself sets a tick first. */
void wsc_service(struct wsc_ctx *ctx, int timeout_ms);
/* From now on, wake the loop at least every us microseconds. */
void wsc_tick(struct wsc_ctx *ctx, uint64_t us);

#endif
