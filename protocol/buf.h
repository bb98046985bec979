/* Bounded byte buffers: the one reader for bytes from outside (tokens,
 * canonical layouts, QR payloads) and the one writer of the layouts we sign.
 * The reader checks the remaining length before every read; the writer grows
 * only up to the limit it was given. Big-endian, u32-length-prefixed fields
 * (DESIGN.md §4). */
#ifndef LIAISON_BUF_H
#define LIAISON_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/errors.h"

struct rd {
	const uint8_t *p;
	size_t left;
};

void rd_init(struct rd *r, const uint8_t *p, size_t len);
int rd_u8(struct rd *r, uint8_t *v) LIAISON_WUR;
int rd_u32(struct rd *r, uint32_t *v) LIAISON_WUR;
int rd_u64(struct rd *r, uint64_t *v) LIAISON_WUR;
/* Exactly n bytes into out. */
int rd_fixed(struct rd *r, uint8_t *out, size_t n) LIAISON_WUR;
/* A u32 length then that many bytes, refused when the length exceeds max;
 * *p points into the reader's input (no copy). */
int rd_var(struct rd *r, const uint8_t **p, size_t *n, size_t max) LIAISON_WUR;
/* A u32-length-prefixed string copied into out (NUL-terminated); refused
 * when it has a NUL byte or does not fit in outsz - 1 bytes. */
int rd_str(struct rd *r, char *out, size_t outsz) LIAISON_WUR;
/* 0 when every byte was read, LIAISON_ERR_INVALID otherwise. */
int rd_end(const struct rd *r) LIAISON_WUR;

struct wb {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;
	int err;	/* first error; later puts are no-ops */
};

/* A writer that refuses to grow past max bytes. */
void wb_init(struct wb *w, size_t max);
void wb_u8(struct wb *w, uint8_t v);
void wb_u32(struct wb *w, uint32_t v);
void wb_u64(struct wb *w, uint64_t v);
void wb_fixed(struct wb *w, const void *p, size_t n);
void wb_var(struct wb *w, const void *p, size_t n);
void wb_str(struct wb *w, const char *s);
/* The first error met by any put, or 0. */
int wb_status(const struct wb *w) LIAISON_WUR;
/* Wipes and frees the contents. */
void wb_free(struct wb *w);

#endif
