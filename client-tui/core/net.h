/* The client's one TLS WebSocket to the relay (DESIGN.md §4, §10): one lws
 * context per process, the relay's certificate pinned by the SHA-256 of its
 * SPKI inside the handshake, frames through the wire codec only. It never
 * writes outside the writeable callback and never buffers past its limits. */
#ifndef LIAISON_NET_H
#define LIAISON_NET_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/errors.h"
#include "protocol/wire.h"

struct lws_context;
struct net;

#define NET_MAX_QUEUE (8u * 1024 * 1024)   /* bytes waiting to be written */

struct net_callbacks {
	/* The WebSocket is open (the pin has matched). */
	void (*opened)(void *arg);
	/* One decoded frame; it is freed after the call returns. */
	void (*frame)(void *arg, const Liaison__Frame *frame);
	/* The connection is gone (or never came): err is LIAISON_ERR_PIN when
	 * the certificate did not match the pin, LIAISON_ERR_PROTOCOL for a bad
	 * frame, LIAISON_ERR_NETWORK otherwise. Called once per net_connect. */
	void (*closed)(void *arg, int err);
};

/* A context for url ("wss://host[:port][/path]") pinned to pin (SHA-256 of
 * the relay's SPKI). Does not connect yet. */
int net_new(const char *url, const uint8_t pin[32], const struct net_callbacks *cb,
	    void *arg, struct net **out) LIAISON_WUR;
/* Wipes nothing secret (it holds none); closes and frees. NULL is a no-op. */
void net_free(struct net *n);

/* Starts a connection; the callbacks report the outcome. */
int net_connect(struct net *n) LIAISON_WUR;
/* 1 while a connection is open or being opened. */
int net_busy(const struct net *n);
/* Closes the current connection (the closed callback follows). */
void net_close(struct net *n);

/* Encodes one frame and queues it for the writeable callback. */
int net_send(struct net *n, Liaison__Frame *frame) LIAISON_WUR;

/* The lws context, for timers (lws_sul) and lws_service. */
struct lws_context *net_context(struct net *n);
/* Runs the loop once (blocks until an event or a timer). */
int net_service(struct net *n) LIAISON_WUR;

/* Parses "wss://host[:port][/path]" (exposed for tests). */
int net_parse_url(const char *url, char *host, size_t hostsz, int *port,
		  char *path, size_t pathsz) LIAISON_WUR;

#endif
