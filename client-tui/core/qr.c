/* QR codes of fingerprints: libqrencode draws, libpng/libjpeg decode and
 * zbar reads. Images come from outside: sizes are checked against the
 * QR_* limits before anything is decoded, and nothing here ever prints. */
#include "client-tui/core/qr.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>
#include <qrencode.h>
#include <zbar.h>

#define QR_SIDE_MAX (QR_MAX_WIDTH + 2 * QR_QUIET)	/* modules, quiet zone included */

static const uint8_t png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
static const uint8_t jpeg_magic[3] = { 0xff, 0xd8, 0xff };

/* The three half blocks, UTF-8. */
static const char upper_half[] = "\xe2\x96\x80";	/* U+2580 ▀ */
static const char lower_half[] = "\xe2\x96\x84";	/* U+2584 ▄ */
static const char full_block[] = "\xe2\x96\x88";	/* U+2588 █ */

static int valid_width(size_t w)
{
	return w >= QR_MIN_WIDTH && w <= QR_MAX_WIDTH && (w - QR_MIN_WIDTH) % 4 == 0;
}

struct qr_code *qr_new(size_t width)
{
	struct qr_code *qr;

	if (!valid_width(width))
		return NULL;
	qr = malloc(sizeof(*qr));
	if (qr == NULL)
		return NULL;
	qr->width = width;
	qr->modules = calloc(width, width);
	if (qr->modules == NULL) {
		free(qr);
		return NULL;
	}
	return qr;
}

void qr_free(struct qr_code *qr)
{
	if (qr == NULL)
		return;
	free(qr->modules);
	free(qr);
}

int qr_encode(const uint8_t *payload, size_t len, struct qr_code **out)
{
	struct qr_code *qr = NULL;
	QRcode *code = NULL;
	size_t i;
	int rc = LIAISON_ERR_INVALID;

	if (payload == NULL || len == 0 || out == NULL)
		goto out;
	rc = LIAISON_ERR_TOO_BIG;
	if (len > QR_PAYLOAD_MAX)
		goto out;
	/* Version 0: the smallest that holds len bytes in 8-bit mode. */
	code = QRcode_encodeData((int)len, payload, 0, QR_ECLEVEL_M);
	if (code == NULL) {
		rc = errno == ENOMEM ? LIAISON_ERR_NOMEM : LIAISON_ERR_INTERNAL;
		goto out;
	}
	rc = LIAISON_ERR_INTERNAL;
	if (code->width <= 0 || !valid_width((size_t)code->width))
		goto out;
	rc = LIAISON_ERR_NOMEM;
	qr = qr_new((size_t)code->width);
	if (qr == NULL)
		goto out;
	/* Bit 0 of each byte is the module's colour; the rest is bookkeeping. */
	for (i = 0; i < qr->width * qr->width; i++)
		qr->modules[i] = code->data[i] & 1;
	*out = qr;
	qr = NULL;
	rc = 0;
out:
	qr_free(qr);
	if (code != NULL)
		QRcode_free(code);
	return rc;
}

/* Whether the module at (x, y) of the code with its quiet zone is dark;
 * everything outside the symbol is light. */
static int dark_at(const struct qr_code *qr, size_t x, size_t y)
{
	if (x < QR_QUIET || y < QR_QUIET)
		return 0;
	x -= QR_QUIET;
	y -= QR_QUIET;
	if (x >= qr->width || y >= qr->width)
		return 0;
	return qr->modules[y * qr->width + x] != 0;
}

int qr_render_text(const struct qr_code *qr, int inverse, char **out, size_t *out_len)
{
	size_t side, lines, x, y, n = 0;
	char *text = NULL;
	int rc = LIAISON_ERR_INVALID;

	if (qr == NULL || qr->modules == NULL || !valid_width(qr->width) ||
	    out == NULL || out_len == NULL)
		goto out;
	side = qr->width + 2 * QR_QUIET;
	lines = (side + 1) / 2;
	rc = LIAISON_ERR_NOMEM;
	text = malloc(lines * (side * 3 + 1) + 1);
	if (text == NULL)
		goto out;
	for (y = 0; y < side; y += 2) {
		for (x = 0; x < side; x++) {
			/* Ink is what the terminal draws in its foreground colour. */
			int top = dark_at(qr, x, y) != (inverse != 0);
			int bottom = dark_at(qr, x, y + 1) != (inverse != 0);
			const char *cell = top ? (bottom ? full_block : upper_half)
					       : (bottom ? lower_half : " ");
			size_t cl = strlen(cell);

			memcpy(text + n, cell, cl);
			n += cl;
		}
		text[n++] = '\n';
	}
	text[n] = '\0';
	*out = text;
	*out_len = n;
	text = NULL;
	rc = 0;
out:
	free(text);
	return rc;
}

/* Reads one cell at text[*i]: its two ink bits (top, bottom), or -1. */
static int read_cell(const char *text, size_t len, size_t *i)
{
	static const struct { const char *s; int ink; } cells[] = {
		{ " ", 0 }, { upper_half, 1 }, { lower_half, 2 }, { full_block, 3 },
	};
	size_t k, cl;

	for (k = 0; k < sizeof(cells) / sizeof(cells[0]); k++) {
		cl = strlen(cells[k].s);
		if (len - *i >= cl && memcmp(text + *i, cells[k].s, cl) == 0) {
			*i += cl;
			return cells[k].ink;
		}
	}
	return -1;
}

int qr_text_to_bitmap(const char *text, size_t len, int inverse, struct qr_code **out)
{
	struct qr_code *qr = NULL;
	uint8_t *grid = NULL;	/* side x (2 * lines) modules, 1 = dark */
	size_t side = 0, lines = 0, x = 0, i = 0, y;
	int ink, rc = LIAISON_ERR_INVALID;

	if (text == NULL || out == NULL)
		goto out;
	if (len > QR_TEXT_MAX) {
		rc = LIAISON_ERR_TOO_BIG;
		goto out;
	}
	/* The first line sets the side; the grid is allocated only then. */
	for (; i < len && text[i] != '\n'; side++)
		if (read_cell(text, len, &i) < 0 || side >= QR_SIDE_MAX)
			goto out;
	if (side % 2 == 0 || !valid_width(side - 2 * QR_QUIET))
		goto out;
	rc = LIAISON_ERR_NOMEM;
	grid = calloc(side + 1, side);
	if (grid == NULL)
		goto out;
	rc = LIAISON_ERR_INVALID;
	for (i = 0; i < len; ) {
		if (text[i] == '\n') {
			if (x != side)
				goto out;
			x = 0;
			lines++;
			i++;
			continue;
		}
		if (x == 0 && lines >= (side + 1) / 2)
			goto out;	/* more lines than the side allows */
		if (x >= side || (ink = read_cell(text, len, &i)) < 0)
			goto out;
		grid[(2 * lines) * side + x] = ((ink & 1) != 0) != (inverse != 0);
		grid[(2 * lines + 1) * side + x] = ((ink & 2) != 0) != (inverse != 0);
		x++;
	}
	if (x == side)
		lines++;	/* a last line without its '\n' */
	else if (x != 0)
		goto out;
	if (lines != (side + 1) / 2)
		goto out;
	/* The quiet zone and the half row below it must be light. */
	for (y = 0; y < side + 1; y++)
		for (x = 0; x < side; x++) {
			int inside = x >= QR_QUIET && x < side - QR_QUIET &&
				     y >= QR_QUIET && y < side - QR_QUIET;

			if (!inside && grid[y * side + x] != 0)
				goto out;
		}
	rc = LIAISON_ERR_NOMEM;
	qr = qr_new(side - 2 * QR_QUIET);
	if (qr == NULL)
		goto out;
	for (y = 0; y < qr->width; y++)
		memcpy(qr->modules + y * qr->width,
		       grid + (y + QR_QUIET) * side + QR_QUIET, qr->width);
	*out = qr;
	qr = NULL;
	rc = 0;
out:
	qr_free(qr);
	free(grid);
	return rc;
}

int qr_write_png(const struct qr_code *qr, const char *path, unsigned scale)
{
	png_image image;
	uint8_t *pixels = NULL;
	char *tmp = NULL;
	FILE *fp = NULL;
	size_t side, px, x, y;
	int fd = -1, created = 0, rc = LIAISON_ERR_INVALID;

	if (qr == NULL || qr->modules == NULL || !valid_width(qr->width) ||
	    path == NULL || scale == 0 || scale > QR_PNG_SCALE_MAX)
		goto out;
	side = qr->width + 2 * QR_QUIET;
	px = side * scale;
	rc = LIAISON_ERR_NOMEM;
	pixels = malloc(px * px);
	if (pixels == NULL || asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		tmp = NULL;
		goto out;
	}
	for (y = 0; y < px; y++)
		for (x = 0; x < px; x++)
			pixels[y * px + x] = dark_at(qr, x / scale, y / scale) ? 0 : 255;

	rc = LIAISON_ERR_IO;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		goto out;
	created = 1;
	if (fchmod(fd, 0644) != 0)
		goto out;
	fp = fdopen(fd, "wb");
	if (fp == NULL)
		goto out;
	fd = -1;	/* fp owns it now */
	memset(&image, 0, sizeof(image));
	image.version = PNG_IMAGE_VERSION;
	image.width = (png_uint_32)px;
	image.height = (png_uint_32)px;
	image.format = PNG_FORMAT_GRAY;
	if (!png_image_write_to_stdio(&image, fp, 0, pixels, (png_int_32)px, NULL)) {
		png_image_free(&image);
		goto out;
	}
	png_image_free(&image);
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0)
		goto out;
	if (fclose(fp) != 0) {
		fp = NULL;
		goto out;
	}
	fp = NULL;
	if (rename(tmp, path) != 0)
		goto out;
	created = 0;	/* renamed: nothing to remove */
	rc = 0;
out:
	if (fp != NULL)
		(void)fclose(fp);	/* already failing; the file is removed below */
	if (fd >= 0)
		(void)close(fd);
	if (created)
		(void)unlink(tmp);
	free(tmp);
	free(pixels);
	return rc;
}

/* An 8-bit grey raster decoded from an image file. */
struct grey {
	uint8_t *pixels;
	size_t width, height;
};

static int dims_ok(size_t w, size_t h)
{
	return w > 0 && h > 0 && w <= QR_IMAGE_MAX_SIDE && h <= QR_IMAGE_MAX_SIDE;
}

static int decode_png(const uint8_t *p, size_t n, struct grey *g)
{
	static const png_color white = { 255, 255, 255 };
	png_image image;
	uint8_t *pixels = NULL;
	int rc = LIAISON_ERR_INVALID;

	memset(&image, 0, sizeof(image));
	image.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&image, p, n))
		goto out;
	if (!dims_ok(image.width, image.height)) {
		rc = LIAISON_ERR_TOO_BIG;
		goto out;
	}
	/* Transparent pixels become white, as on a page. */
	image.format = PNG_FORMAT_GRAY;
	rc = LIAISON_ERR_NOMEM;
	pixels = malloc((size_t)image.width * image.height);
	if (pixels == NULL)
		goto out;
	rc = LIAISON_ERR_INVALID;
	if (!png_image_finish_read(&image, &white, pixels, (png_int_32)image.width, NULL))
		goto out;
	g->pixels = pixels;
	g->width = image.width;
	g->height = image.height;
	pixels = NULL;
	rc = 0;
out:
	png_image_free(&image);
	free(pixels);
	return rc;
}

struct jpeg_fail {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
};

static void jpeg_error_exit(j_common_ptr cinfo)
{
	longjmp(((struct jpeg_fail *)cinfo->err)->jump, 1);
}

/* A damaged JPEG is refused rather than scanned half grey. */
static void jpeg_emit(j_common_ptr cinfo, int level)
{
	if (level < 0)
		longjmp(((struct jpeg_fail *)cinfo->err)->jump, 1);
}

static void jpeg_silent(j_common_ptr cinfo)
{
	(void)cinfo;
}

static int decode_jpeg(const uint8_t *p, size_t n, struct grey *g)
{
	struct jpeg_decompress_struct ci;
	struct jpeg_fail fail;
	uint8_t *volatile pixels = NULL;
	volatile int rc = LIAISON_ERR_INVALID;
	JSAMPROW row;

	memset(&ci, 0, sizeof(ci));
	ci.err = jpeg_std_error(&fail.mgr);
	fail.mgr.error_exit = jpeg_error_exit;
	fail.mgr.emit_message = jpeg_emit;
	fail.mgr.output_message = jpeg_silent;
	if (setjmp(fail.jump) != 0) {
		rc = LIAISON_ERR_INVALID;
		goto out;
	}
	jpeg_create_decompress(&ci);
	jpeg_mem_src(&ci, p, (unsigned long)n);
	if (jpeg_read_header(&ci, TRUE) != JPEG_HEADER_OK)
		goto out;
	if (!dims_ok(ci.image_width, ci.image_height)) {
		rc = LIAISON_ERR_TOO_BIG;
		goto out;
	}
	ci.out_color_space = JCS_GRAYSCALE;
	if (!jpeg_start_decompress(&ci))
		goto out;
	if (ci.output_components != 1 || !dims_ok(ci.output_width, ci.output_height))
		goto out;
	rc = LIAISON_ERR_NOMEM;
	pixels = malloc((size_t)ci.output_width * ci.output_height);
	if (pixels == NULL)
		goto out;
	rc = LIAISON_ERR_INVALID;
	while (ci.output_scanline < ci.output_height) {
		row = pixels + (size_t)ci.output_scanline * ci.output_width;
		if (jpeg_read_scanlines(&ci, &row, 1) != 1)
			goto out;
	}
	if (!jpeg_finish_decompress(&ci))
		goto out;
	g->pixels = pixels;
	g->width = ci.output_width;
	g->height = ci.output_height;
	pixels = NULL;
	rc = 0;
out:
	jpeg_destroy_decompress(&ci);
	free(pixels);
	return rc;
}

/* The raw bytes of the first QR code zbar finds in g. */
static int scan_grey(const struct grey *g, uint8_t *out, size_t cap, size_t *out_len)
{
	zbar_image_scanner_t *scanner = NULL;
	zbar_image_t *image = NULL;
	const zbar_symbol_t *sym;
	unsigned int n;
	int rc = LIAISON_ERR_NOMEM;

	scanner = zbar_image_scanner_create();
	image = zbar_image_create();
	if (scanner == NULL || image == NULL)
		goto out;
	/* QR codes only, and their bytes as they are (no text conversion). */
	rc = LIAISON_ERR_INTERNAL;
	if (zbar_image_scanner_set_config(scanner, 0, ZBAR_CFG_ENABLE, 0) != 0 ||
	    zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1) != 0 ||
	    zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1) != 0)
		goto out;
	zbar_image_set_format(image, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(image, (unsigned)g->width, (unsigned)g->height);
	/* No cleanup handler: the pixels stay ours. */
	zbar_image_set_data(image, g->pixels, (unsigned long)(g->width * g->height), NULL);
	rc = LIAISON_ERR_INVALID;
	if (zbar_scan_image(scanner, image) < 0)
		goto out;
	rc = LIAISON_ERR_NOT_FOUND;
	for (sym = zbar_image_first_symbol(image); sym != NULL; sym = zbar_symbol_next(sym))
		if (zbar_symbol_get_type(sym) == ZBAR_QRCODE)
			break;
	if (sym == NULL)
		goto out;
	n = zbar_symbol_get_data_length(sym);
	if (n == 0 || zbar_symbol_get_data(sym) == NULL)
		goto out;
	rc = LIAISON_ERR_TOO_BIG;
	if (n > cap || n > QR_PAYLOAD_MAX)
		goto out;
	memcpy(out, zbar_symbol_get_data(sym), n);
	*out_len = n;
	rc = 0;
out:
	if (image != NULL)
		zbar_image_destroy(image);
	if (scanner != NULL)
		zbar_image_scanner_destroy(scanner);
	return rc;
}

int qr_scan_memory(const uint8_t *img, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	struct grey g = { NULL, 0, 0 };
	int rc = LIAISON_ERR_INVALID;

	if (img == NULL || out == NULL || out_len == NULL)
		goto out;
	if (len > QR_FILE_MAX) {
		rc = LIAISON_ERR_TOO_BIG;
		goto out;
	}
	if (len >= sizeof(png_magic) && memcmp(img, png_magic, sizeof(png_magic)) == 0)
		rc = decode_png(img, len, &g);
	else if (len >= sizeof(jpeg_magic) && memcmp(img, jpeg_magic, sizeof(jpeg_magic)) == 0)
		rc = decode_jpeg(img, len, &g);
	if (rc != 0)
		goto out;
	rc = scan_grey(&g, out, cap, out_len);
out:
	free(g.pixels);
	return rc;
}

int qr_scan_file(const char *path, uint8_t *out, size_t cap, size_t *out_len)
{
	struct stat st;
	uint8_t *bytes = NULL;
	size_t size, got = 0;
	ssize_t r;
	int fd = -1, rc = LIAISON_ERR_INVALID;

	if (path == NULL || out == NULL || out_len == NULL)
		goto out;
	rc = LIAISON_ERR_IO;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) != 0)
		goto out;
	rc = LIAISON_ERR_INVALID;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0)
		goto out;
	if ((unsigned long long)st.st_size > QR_FILE_MAX) {
		rc = LIAISON_ERR_TOO_BIG;
		goto out;
	}
	size = (size_t)st.st_size;
	rc = LIAISON_ERR_NOMEM;
	bytes = malloc(size);
	if (bytes == NULL)
		goto out;
	rc = LIAISON_ERR_IO;
	while (got < size) {
		r = read(fd, bytes + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;	/* an error, or the file shrank under us */
		got += (size_t)r;
	}
	rc = qr_scan_memory(bytes, size, out, cap, out_len);
out:
	free(bytes);
	if (fd >= 0)
		(void)close(fd);
	return rc;
}
