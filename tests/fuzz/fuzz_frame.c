/* libFuzzer target for the wire decoder (protocol/wire.c): any input either
 * is refused or decodes to a frame that re-encodes, decodes again and then
 * encodes to the same bytes. The inner and admin decoders get the same input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(Liaison__Frame *f)
{
	Liaison__Frame *g = NULL;
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;

	if (wire_frame_encode(f, &a, &alen) != 0)
		abort();	/* a frame we accepted must be one we can send */
	if (wire_frame_decode(a, alen, &g) != 0)
		abort();
	if (g->n_items != f->n_items)
		abort();
	if (wire_frame_encode(g, &b, &blen) != 0)
		abort();
	if (alen != blen || memcmp(a, b, alen) != 0)
		abort();	/* our own encoding is stable */
	free(b);
	wire_frame_free(g);
	free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Liaison__Frame *f = NULL;
	Liaison__Inner *in = NULL;
	Liaison__AdminRequest *req = NULL;
	Liaison__AdminReply *rep = NULL;

	if (wire_frame_decode(data, size, &f) == 0) {
		round_trip(f);
		wire_frame_free(f);
	}
	if (wire_inner_decode(data, size, &in) == 0)
		wire_inner_free(in);
	if (wire_admin_request_decode(data, size, &req) == 0)
		wire_admin_request_free(req);
	if (wire_admin_reply_decode(data, size, &rep) == 0)
		wire_admin_reply_free(rep);
	return 0;
}
