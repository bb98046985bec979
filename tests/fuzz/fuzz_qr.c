/* libFuzzer target for what a hostile QR image can reach: the image
 * decoders and zbar (qr_scan_memory), the scanned payload's comparison with
 * ours (fp_scannable_compare), and the half-block text reader. None may
 * crash, and a payload that scans must compare without crashing too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The fuzz build compiles protocol/ and directory/ only: qr.c comes in
 * here, with a smaller image limit so that one input stays fast. */
#define QR_IMAGE_MAX_SIDE 2048
#include "client-tui/core/qr.c"

#include "protocol/crypto.h"
#include "protocol/fingerprint.h"
#include "protocol/signal_provider.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static signal_context *ctx;
static uint8_t ours[FP_SCANNABLE_MAX];
static size_t ours_len;

/* libsignal-protocol-c's fingerprint test vector keys. */
static const uint8_t alice_identity[33] = {
	0x05, 0x06, 0x86, 0x3b, 0xc6, 0x6d, 0x02, 0xb4, 0x0d, 0x27, 0xb8,
	0xd4, 0x9c, 0xa7, 0xc0, 0x9e, 0x92, 0x39, 0x23, 0x6f, 0x9d, 0x7d,
	0x25, 0xd6, 0xfc, 0xca, 0x5c, 0xe1, 0x3c, 0x70, 0x64, 0xd8, 0x68,
};
static const uint8_t bob_identity[33] = {
	0x05, 0xf7, 0x81, 0xb6, 0xfb, 0x32, 0xfe, 0xd9, 0xba, 0x1c, 0xf2,
	0xde, 0x97, 0x8d, 0x4d, 0x5d, 0xa2, 0x8d, 0xc3, 0x40, 0x46, 0xae,
	0x81, 0x44, 0x02, 0xb5, 0xc0, 0xdb, 0xd9, 0x6f, 0xda, 0x90, 0x7b,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char number[FP_SAFETY_DIGITS + 1];

	(void)argc;
	(void)argv;
	if (lc_init() != 0 || sigprov_context_new(&ctx) != 0)
		abort();
	/* Bob's side: what he expects Alice's code to hold. */
	if (fp_safety(ctx, "bbbbbbbbbbbbbbbbbbbbbbbbbb", bob_identity,
		      "aaaaaaaaaaaaaaaaaaaaaaaaaa", alice_identity, number,
		      ours, sizeof(ours), &ours_len) != 0)
		abort();
	return 0;
}

static void check_code(int rc)
{
	if (rc > 0 || rc <= -LIAISON_ERR_COUNT_)
		abort();
}

/* Text that reads must draw back to the same modules. */
static void text_round_trip(const uint8_t *data, size_t size, int inverse)
{
	struct qr_code *a = NULL, *b = NULL;
	char *text = NULL;
	size_t len;
	int rc;

	rc = qr_text_to_bitmap((const char *)data, size, inverse, &a);
	check_code(rc);
	if (rc != 0)
		return;
	if (qr_render_text(a, inverse, &text, &len) != 0 ||
	    qr_text_to_bitmap(text, len, inverse, &b) != 0 ||
	    b->width != a->width ||
	    memcmp(a->modules, b->modules, a->width * a->width) != 0)
		abort();
	free(text);
	qr_free(b);
	qr_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t scanned[QR_PAYLOAD_MAX];
	size_t scanned_len = 0;
	int rc;

	/* The input as a payload someone's code carried. */
	check_code(fp_scannable_compare(ctx, ours, ours_len, data, size));
	/* The input as an image file. */
	rc = qr_scan_memory(data, size, scanned, sizeof(scanned), &scanned_len);
	check_code(rc);
	if (rc == 0) {
		if (scanned_len == 0 || scanned_len > sizeof(scanned))
			abort();
		check_code(fp_scannable_compare(ctx, ours, ours_len, scanned, scanned_len));
	}
	/* The input as half-block text, both polarities. */
	if (size > 0)
		text_round_trip(data, size, data[0] != ' ');
	return 0;
}
