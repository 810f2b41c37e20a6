/*
 * fuzz_reloc.c - libFuzzer target for relocation protocol frames: the
 * input is a sequence of frames as xmigd's sessions and xmig's flows
 * read them (8-byte header, payload).  Every decoded frame is encoded
 * again and must decode to the same type (and a DENY to the same
 * refusal code: a source's retry decision rests on it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reloc_hdr h, h2;
	struct reloc_msg m, m2;
	const char *why;
	char reason[256];
	uint8_t *frame;
	size_t len;

	while (size >= RELOC_HDR_LEN) {
		if (reloc_hdr_decode(data, &h, &why) != 0)
			return 0;
		data += RELOC_HDR_LEN;
		size -= RELOC_HDR_LEN;
		if (h.len > size)
			return 0;
		if (reloc_decode(&h, data, &m, reason, sizeof(reason)) == 0) {
			frame = reloc_encode(&m, &len, &why);
			if (frame != NULL) {
				if (reloc_hdr_decode(frame, &h2, &why) != 0 ||
				    h2.type != h.type ||
				    reloc_decode(&h2, frame + RELOC_HDR_LEN,
				    &m2, reason, sizeof(reason)) != 0)
					abort();
				if (strcmp(m.code, m2.code) != 0)
					abort();
				reloc_msg_clear(&m2);
				free(frame);
			}
			reloc_msg_clear(&m);
		}
		data += h.len;
		size -= h.len;
	}
	return 0;
}
