/* client-tui/core/qr.c: a safety-number QR code shown as a PNG, as a JPEG
 * photo of it, or as half-block text reads back to the very bytes that went
 * in, and those bytes match only the pair they were made for; images that
 * are not QR codes, or not images at all, give a clean error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <jpeglib.h>
#include <png.h>

#include "client-tui/core/qr.h"
#include "protocol/crypto.h"
#include "protocol/fingerprint.h"
#include "protocol/signal_provider.h"

static const char alice_id[] = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char bob_id[] = "bbbbbbbbbbbbbbbbbbbbbbbbbb";
static const char carla_id[] = "cccccccccccccccccccccccccc";

struct fixture {
	signal_context *ctx;
	char dir[64];
	uint8_t alice_bob[FP_SCANNABLE_MAX];	/* what Alice shows Bob */
	uint8_t bob_alice[FP_SCANNABLE_MAX];	/* what Bob holds for Alice */
	uint8_t carla_bob[FP_SCANNABLE_MAX];	/* another pair's code */
	size_t ab_len, ba_len, cb_len;
};

static void make_identity(signal_context *ctx, uint8_t pub[33])
{
	ec_key_pair *pair = NULL;
	signal_buffer *buf = NULL;

	assert_int_equal(curve_generate_key_pair(ctx, &pair), 0);
	assert_int_equal(ec_public_key_serialize(&buf, ec_key_pair_get_public(pair)), 0);
	assert_int_equal(signal_buffer_len(buf), 33);
	memcpy(pub, signal_buffer_data(buf), 33);
	signal_buffer_free(buf);
	SIGNAL_UNREF(pair);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint8_t a[33], b[33], c[33];
	char num[FP_SAFETY_DIGITS + 1];

	if (f == NULL || lc_init() != 0 || sigprov_context_new(&f->ctx) != 0)
		return -1;
	strcpy(f->dir, "/tmp/liaison-test-qr.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	make_identity(f->ctx, a);
	make_identity(f->ctx, b);
	make_identity(f->ctx, c);
	if (fp_safety(f->ctx, alice_id, a, bob_id, b, num, f->alice_bob,
		      sizeof(f->alice_bob), &f->ab_len) != 0 ||
	    fp_safety(f->ctx, bob_id, b, alice_id, a, num, f->bob_alice,
		      sizeof(f->bob_alice), &f->ba_len) != 0 ||
	    fp_safety(f->ctx, carla_id, c, bob_id, b, num, f->carla_bob,
		      sizeof(f->carla_bob), &f->cb_len) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *e;
	char path[512];
	DIR *d = opendir(f->dir);

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	sigprov_context_free(f->ctx);
	free(f);
	return 0;
}

static void path_in(const struct fixture *f, const char *name, char *out, size_t cap)
{
	assert_true((size_t)snprintf(out, cap, "%s/%s", f->dir, name) < cap);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static uint8_t *read_bytes(const char *path, size_t *n)
{
	struct stat st;
	uint8_t *p;
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	assert_int_equal(fstat(fileno(fp), &st), 0);
	p = malloc((size_t)st.st_size + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)st.st_size, fp), (size_t)st.st_size);
	fclose(fp);
	*n = (size_t)st.st_size;
	return p;
}

/* The test's own drawing of the modules: dark on white, quiet zone, scale. */
static uint8_t *raster(const struct qr_code *qr, unsigned scale, size_t *side)
{
	size_t s = (qr->width + 2 * QR_QUIET) * scale, x, y, mx, my;
	uint8_t *px = malloc(s * s);

	assert_non_null(px);
	for (y = 0; y < s; y++)
		for (x = 0; x < s; x++) {
			mx = x / scale;
			my = y / scale;
			px[y * s + x] = (mx >= QR_QUIET && my >= QR_QUIET &&
					 mx < qr->width + QR_QUIET && my < qr->width + QR_QUIET &&
					 qr->modules[(my - QR_QUIET) * qr->width + mx - QR_QUIET])
					? 0 : 255;
		}
	*side = s;
	return px;
}

static void write_jpeg(const char *path, const uint8_t *px, size_t w, size_t h, int quality)
{
	struct jpeg_compress_struct ci;
	struct jpeg_error_mgr err;
	JSAMPROW row;
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	ci.err = jpeg_std_error(&err);
	jpeg_create_compress(&ci);
	jpeg_stdio_dest(&ci, fp);
	ci.image_width = (JDIMENSION)w;
	ci.image_height = (JDIMENSION)h;
	ci.input_components = 1;
	ci.in_color_space = JCS_GRAYSCALE;
	jpeg_set_defaults(&ci);
	jpeg_set_quality(&ci, quality, TRUE);
	jpeg_start_compress(&ci, TRUE);
	while (ci.next_scanline < ci.image_height) {
		row = (JSAMPROW)(px + (size_t)ci.next_scanline * w);
		assert_int_equal(jpeg_write_scanlines(&ci, &row, 1), 1);
	}
	jpeg_finish_compress(&ci);
	jpeg_destroy_compress(&ci);
	assert_int_equal(fclose(fp), 0);
}

static void write_grey_png(const char *path, const uint8_t *px, size_t w, size_t h)
{
	png_image image;

	memset(&image, 0, sizeof(image));
	image.version = PNG_IMAGE_VERSION;
	image.width = (png_uint_32)w;
	image.height = (png_uint_32)h;
	image.format = PNG_FORMAT_GRAY;
	assert_true(png_image_write_to_file(&image, path, 0, px, (png_int_32)w, NULL));
}

/* Scans path and expects exactly want. */
static void assert_scans_to(const char *path, const uint8_t *want, size_t want_len)
{
	uint8_t got[QR_PAYLOAD_MAX];
	size_t got_len = 0;

	assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len), 0);
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);
}

/* zbarimg, an independent reader, reads the same bytes from our PNG. */
static void assert_zbarimg_reads(const char *path, const uint8_t *want, size_t want_len)
{
	char cmd[600];
	uint8_t got[QR_PAYLOAD_MAX + 2];
	size_t n;
	FILE *p;

	if (access("/usr/bin/zbarimg", X_OK) != 0) {
		print_message("zbarimg not installed: independent reader skipped\n");
		return;
	}
	assert_true((size_t)snprintf(cmd, sizeof(cmd), "zbarimg --quiet --raw -Sbinary '%s' 2>/dev/null",
				     path) < sizeof(cmd));
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(got, 1, sizeof(got), p);
	assert_int_equal(pclose(p), 0);
	/* --raw ends the data with one newline of its own. */
	if (n == want_len + 1 && got[want_len] == '\n')
		n--;
	assert_int_equal(n, want_len);
	assert_memory_equal(got, want, want_len);
}

static void test_png_round_trip_matches_peer(void **state)
{
	struct fixture *f = *state;
	struct qr_code *qr = NULL;
	char path[256];
	uint8_t got[QR_PAYLOAD_MAX];
	size_t got_len = 0;
	struct stat st;
	DIR *d;
	struct dirent *e;

	assert_int_equal(f->ab_len, 74);
	assert_int_equal(qr_encode(f->alice_bob, f->ab_len, &qr), 0);
	assert_true(qr->width >= QR_MIN_WIDTH && qr->width <= 41);
	path_in(f, "alice.png", path, sizeof(path));
	assert_int_equal(qr_write_png(qr, path, 4), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* Written atomically: no temporary file is left beside it. */
	d = opendir(f->dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		assert_null(strstr(e->d_name, ".tmp."));
	closedir(d);

	assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len), 0);
	assert_int_equal(got_len, f->ab_len);
	assert_memory_equal(got, f->alice_bob, f->ab_len);
	/* Bob scans Alice's code: it matches what he holds for her. */
	assert_int_equal(fp_scannable_compare(f->ctx, f->bob_alice, f->ba_len, got, got_len), 0);
	assert_zbarimg_reads(path, f->alice_bob, f->ab_len);

	/* A payload that does not fit the caller's buffer is refused. */
	assert_int_equal(qr_scan_file(path, got, 10, &got_len), LIAISON_ERR_TOO_BIG);
	/* Overwriting an existing file works and keeps the mode. */
	assert_int_equal(qr_write_png(qr, path, 2), 0);
	assert_scans_to(path, f->alice_bob, f->ab_len);
	assert_int_equal(qr_write_png(qr, path, 0), LIAISON_ERR_INVALID);
	assert_int_equal(qr_write_png(qr, path, QR_PNG_SCALE_MAX + 1), LIAISON_ERR_INVALID);
	qr_free(qr);
}

static void test_binary_bytes_survive(void **state)
{
	struct fixture *f = *state;
	struct qr_code *qr = NULL;
	char path[256];
	uint8_t payload[74];
	size_t i;

	/* NUL bytes, bytes over 0x7f and invalid UTF-8, as a payload may hold. */
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i % 3 == 0 ? 0 : 0xff - i);
	assert_int_equal(qr_encode(payload, sizeof(payload), &qr), 0);
	path_in(f, "binary.png", path, sizeof(path));
	assert_int_equal(qr_write_png(qr, path, 4), 0);
	assert_scans_to(path, payload, sizeof(payload));
	assert_zbarimg_reads(path, payload, sizeof(payload));
	qr_free(qr);
}

static void test_jpeg_photo_matches_peer(void **state)
{
	struct fixture *f = *state;
	struct qr_code *qr = NULL;
	char path[256];
	uint8_t *px, got[QR_PAYLOAD_MAX];
	size_t side, got_len = 0;

	assert_int_equal(qr_encode(f->alice_bob, f->ab_len, &qr), 0);
	px = raster(qr, 6, &side);
	path_in(f, "alice.jpg", path, sizeof(path));
	write_jpeg(path, px, side, side, 90);
	assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len), 0);
	assert_int_equal(got_len, f->ab_len);
	assert_memory_equal(got, f->alice_bob, f->ab_len);
	assert_int_equal(fp_scannable_compare(f->ctx, f->bob_alice, f->ba_len, got, got_len), 0);
	free(px);
	qr_free(qr);
}

static void test_other_pair_does_not_match(void **state)
{
	struct fixture *f = *state;
	struct qr_code *qr = NULL;
	char path[256];
	uint8_t got[QR_PAYLOAD_MAX];
	size_t got_len = 0;

	/* Carla shows Bob her own code where Alice's was expected. */
	assert_int_equal(qr_encode(f->carla_bob, f->cb_len, &qr), 0);
	path_in(f, "carla.png", path, sizeof(path));
	assert_int_equal(qr_write_png(qr, path, 3), 0);
	assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len), 0);
	assert_int_equal(got_len, f->cb_len);
	assert_memory_equal(got, f->carla_bob, f->cb_len);
	assert_int_equal(fp_scannable_compare(f->ctx, f->bob_alice, f->ba_len, got, got_len),
			 LIAISON_ERR_FINGERPRINT);
	qr_free(qr);
}

static void check_text_mode(struct fixture *f, const struct qr_code *qr, int inverse)
{
	struct qr_code *back = NULL;
	char *text = NULL, path[256];
	size_t len = 0, lines = 0, side = qr->width + 2 * QR_QUIET, i;

	assert_int_equal(qr_render_text(qr, inverse, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	assert_int_equal(lines, (side + 1) / 2);
	/* Each line: side cells, each a space or a three-byte half block. */
	assert_true(len >= lines * (side + 1) && len <= lines * (side * 3 + 1));
	/* The first line is quiet zone: all light. */
	assert_true(inverse ? strncmp(text, "\xe2\x96\x88", 3) == 0 : text[0] == ' ');

	assert_int_equal(qr_text_to_bitmap(text, len, inverse, &back), 0);
	assert_int_equal(back->width, qr->width);
	assert_memory_equal(back->modules, qr->modules, qr->width * qr->width);
	/* What the terminal shows, drawn again as a PNG, scans to the payload. */
	path_in(f, inverse ? "text-inverse.png" : "text.png", path, sizeof(path));
	assert_int_equal(qr_write_png(back, path, 4), 0);
	assert_scans_to(path, f->alice_bob, f->ab_len);
	qr_free(back);
	back = NULL;

	/* Read with the other polarity, the quiet zone is dark: refused. */
	assert_int_equal(qr_text_to_bitmap(text, len, !inverse, &back), LIAISON_ERR_INVALID);
	/* Without its last newline it still reads. */
	assert_int_equal(qr_text_to_bitmap(text, len - 1, inverse, &back), 0);
	qr_free(back);
	back = NULL;
	/* Damaged text: a line short, a stray byte, a line missing. */
	assert_int_equal(qr_text_to_bitmap(text + 1, len - 1, inverse, &back), LIAISON_ERR_INVALID);
	text[len / 2] = 'x';
	assert_int_equal(qr_text_to_bitmap(text, len, inverse, &back), LIAISON_ERR_INVALID);
	assert_int_equal(qr_text_to_bitmap(text, strchr(text, '\n') + 1 - text, inverse, &back),
			 LIAISON_ERR_INVALID);
	assert_int_equal(qr_text_to_bitmap("", 0, inverse, &back), LIAISON_ERR_INVALID);
	assert_null(back);
	free(text);
}

static void test_terminal_text_is_faithful(void **state)
{
	struct fixture *f = *state;
	struct qr_code *qr = NULL;

	assert_int_equal(qr_encode(f->alice_bob, f->ab_len, &qr), 0);
	check_text_mode(f, qr, 0);
	check_text_mode(f, qr, 1);
	qr_free(qr);
}

static void test_image_without_code(void **state)
{
	struct fixture *f = *state;
	char path[256];
	uint8_t px[200 * 120], got[QR_PAYLOAD_MAX];
	size_t got_len = 0x5a5a, i;

	/* A white page, then a grey gradient with a dark bar. */
	memset(px, 255, sizeof(px));
	path_in(f, "white.png", path, sizeof(path));
	write_grey_png(path, px, 200, 120);
	assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len), LIAISON_ERR_NOT_FOUND);
	for (i = 0; i < sizeof(px); i++)
		px[i] = (uint8_t)((i % 200) + ((i / 200) > 50 && (i / 200) < 70 ? 0 : 55));
	path_in(f, "gradient.jpg", path, sizeof(path));
	write_jpeg(path, px, 200, 120, 90);
	assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len), LIAISON_ERR_NOT_FOUND);
	assert_int_equal(got_len, 0x5a5a);	/* untouched on failure */
}

static void test_damaged_files_fail_cleanly(void **state)
{
	struct fixture *f = *state;
	struct qr_code *qr = NULL;
	char good[256], path[256];
	uint8_t *bytes, got[QR_PAYLOAD_MAX], junk[4096], wide[9000];
	size_t n, got_len = 0x5a5a, side, i;
	int fd;

	assert_int_equal(qr_encode(f->alice_bob, f->ab_len, &qr), 0);
	path_in(f, "good.png", good, sizeof(good));
	assert_int_equal(qr_write_png(qr, good, 4), 0);

	/* A PNG cut in half. */
	bytes = read_bytes(good, &n);
	path_in(f, "cut.png", path, sizeof(path));
	write_bytes(path, bytes, n / 2);
	assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len), LIAISON_ERR_INVALID);
	/* A PNG with its pixels scrambled (the checksum catches it). */
	for (i = n / 2; i < n / 2 + 64 && i < n; i++)
		bytes[i] ^= 0x5a;
	write_bytes(path, bytes, n);
	assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len), LIAISON_ERR_INVALID);
	free(bytes);

	/* A JPEG cut in half. */
	{
		uint8_t *px = raster(qr, 4, &side);

		path_in(f, "whole.jpg", path, sizeof(path));
		write_jpeg(path, px, side, side, 90);
		free(px);
		bytes = read_bytes(path, &n);
		path_in(f, "cut.jpg", path, sizeof(path));
		write_bytes(path, bytes, n / 2);
		free(bytes);
		assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len),
				 LIAISON_ERR_INVALID);
	}

	/* Random bytes, and random bytes behind each magic. */
	lc_random(junk, sizeof(junk));
	junk[0] = 'R';
	path_in(f, "random.bin", path, sizeof(path));
	write_bytes(path, junk, sizeof(junk));
	assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len), LIAISON_ERR_INVALID);
	memcpy(junk, "\x89PNG\r\n\x1a\n", 8);
	write_bytes(path, junk, sizeof(junk));
	assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len), LIAISON_ERR_INVALID);
	memcpy(junk, "\xff\xd8\xff", 3);
	write_bytes(path, junk, sizeof(junk));
	assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len), LIAISON_ERR_INVALID);
	/* Empty, missing, a directory. */
	path_in(f, "empty.png", path, sizeof(path));
	write_bytes(path, "", 0);
	assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len), LIAISON_ERR_INVALID);
	path_in(f, "missing.png", path, sizeof(path));
	assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len), LIAISON_ERR_IO);
	assert_int_equal(qr_scan_file(f->dir, got, sizeof(got), &got_len), LIAISON_ERR_INVALID);

	/* Too big: an image wider than the limit, a file larger than it. */
	memset(wide, 255, sizeof(wide));
	path_in(f, "wide.png", path, sizeof(path));
	write_grey_png(path, wide, sizeof(wide), 1);
	assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len), LIAISON_ERR_TOO_BIG);
	path_in(f, "huge.png", path, sizeof(path));
	bytes = read_bytes(good, &n);
	write_bytes(path, bytes, n);
	free(bytes);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)QR_FILE_MAX + 1), 0);
	close(fd);
	assert_int_equal(qr_scan_file(path, got, sizeof(got), &got_len), LIAISON_ERR_TOO_BIG);
	unlink(path);
	assert_int_equal(got_len, 0x5a5a);	/* untouched by every failure */

	/* Encoding refuses what it cannot hold. */
	{
		struct qr_code *none = NULL;
		uint8_t big[QR_PAYLOAD_MAX + 1];

		memset(big, 'A', sizeof(big));
		assert_int_equal(qr_encode(big, sizeof(big), &none), LIAISON_ERR_TOO_BIG);
		assert_int_equal(qr_encode(big, 0, &none), LIAISON_ERR_INVALID);
		assert_null(none);
	}
	qr_free(qr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_png_round_trip_matches_peer),
		cmocka_unit_test(test_binary_bytes_survive),
		cmocka_unit_test(test_jpeg_photo_matches_peer),
		cmocka_unit_test(test_other_pair_does_not_match),
		cmocka_unit_test(test_terminal_text_is_faithful),
		cmocka_unit_test(test_image_without_code),
		cmocka_unit_test(test_damaged_files_fail_cleanly),
	};

	return cmocka_run_group_tests_name("qr", tests, setup, teardown);
}
