/* QR codes of scannable fingerprints (DESIGN.md §5): drawn as half-block
 * text and as PNG, and read back from a PNG or JPEG with zbar. The core
 * never prints: it hands back text, files and bytes, and the CLI shows them.
 * Payloads are binary (they hold NUL bytes): lengths travel with them. */
#ifndef LIAISON_QR_H
#define LIAISON_QR_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/errors.h"

#define QR_QUIET 4			/* light modules round the code */
#define QR_MIN_WIDTH 21			/* version 1 */
#define QR_MAX_WIDTH 177		/* version 40 */
#define QR_PAYLOAD_MAX 1024		/* what we encode or accept from a scan */
#define QR_PNG_SCALE_MAX 32		/* pixels per module */
#define QR_FILE_MAX (32u * 1024 * 1024)	/* image files, refused before decoding */
#ifndef QR_IMAGE_MAX_SIDE
#define QR_IMAGE_MAX_SIDE 8192		/* pixels, either side */
#endif
/* Half-block text of the largest code: 3 bytes a cell, a newline a row. */
#define QR_TEXT_MAX (((QR_MAX_WIDTH + 2 * QR_QUIET) * 3 + 1) * \
		     ((QR_MAX_WIDTH + 2 * QR_QUIET + 1) / 2))

/* A QR symbol without its quiet zone: width * width modules, row by row,
 * 1 = dark, 0 = light. */
struct qr_code {
	size_t width;
	uint8_t *modules;
};

/* An all-light code of the given width (QR_MIN_WIDTH..QR_MAX_WIDTH), or NULL. */
struct qr_code *qr_new(size_t width);
void qr_free(struct qr_code *qr);

/* 8-bit mode, error level M, the smallest version that holds len bytes
 * (the 74-byte fingerprint takes version 5, 37 modules wide).
 * LIAISON_ERR_TOO_BIG over QR_PAYLOAD_MAX. */
int qr_encode(const uint8_t *payload, size_t len, struct qr_code **out) LIAISON_WUR;

/* UTF-8 text, two module rows per line (' ', U+2580 ▀, U+2584 ▄, U+2588 █),
 * with the quiet zone, every line ending in '\n', NUL-terminated (len
 * excludes the NUL). With inverse == 0 dark modules are blocks and light
 * ones spaces; with inverse == 1 the other way round.
 *
 * For the CLI: wrap each line in "\033[30;47m" ... "\033[0m" (black
 * foreground on a white background) and use inverse == 0, so that the
 * screen shows dark modules on light whatever the terminal's own colours
 * are. Without colours (not a tty, NO_COLOR), a light-on-dark terminal
 * needs inverse == 1 to show dark on light. */
int qr_render_text(const struct qr_code *qr, int inverse, char **out,
		   size_t *out_len) LIAISON_WUR;

/* The inverse of qr_render_text: parses len bytes of half-block text drawn
 * with the same inverse flag back into modules, checks the quiet zone is
 * light and strips it. LIAISON_ERR_INVALID for anything else. */
int qr_text_to_bitmap(const char *text, size_t len, int inverse,
		      struct qr_code **out) LIAISON_WUR;

/* An 8-bit greyscale PNG, scale (1..QR_PNG_SCALE_MAX) pixels a module,
 * dark on white with the quiet zone, written to a temporary file in the
 * same directory and renamed over path (mode 0644). */
int qr_write_png(const struct qr_code *qr, const char *path,
		 unsigned scale) LIAISON_WUR;

/* Reads a PNG or JPEG (told apart by their magic bytes; a JPEG that libjpeg
 * warns about, e.g. cut short, counts as damaged) and writes the raw
 * bytes of the first QR code in it to out (cap bytes). Errors:
 * LIAISON_ERR_IO (cannot open or read the file), LIAISON_ERR_INVALID (not
 * a PNG or JPEG, or a damaged one), LIAISON_ERR_TOO_BIG (a file over
 * QR_FILE_MAX, an image over QR_IMAGE_MAX_SIDE, a payload over cap),
 * LIAISON_ERR_NOT_FOUND (an image without a readable QR code). */
int qr_scan_file(const char *path, uint8_t *out, size_t cap,
		 size_t *out_len) LIAISON_WUR;
/* The same on an image already in memory (len <= QR_FILE_MAX). */
int qr_scan_memory(const uint8_t *img, size_t len, uint8_t *out, size_t cap,
		   size_t *out_len) LIAISON_WUR;

#endif
