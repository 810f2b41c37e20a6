/*
 * fuzz_vbd.c - libFuzzer target for the disks' part of a migration
 * (protocol/vbdstream.h): the input is a disk list (RESERVE's "disks"
 * text) up to a NUL byte, then disk copy records as a destination
 * worker reads them.  A list that parses is written again and must
 * parse to the same disks; every record head that decodes lies within
 * its disk, and encodes back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vbdstream.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[4096], again[4096];
	struct vbd_spec s, s2;
	uint8_t hdr[VBD_REC_HDR];
	struct vbd_rec r;
	const uint8_t *nul;
	const char *why;
	char reason[256];
	size_t len;

	if ((nul = memchr(data, '\0', size)) == NULL)
		return 0;
	len = (size_t)(nul - data);
	if (len >= sizeof(text))
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	if (vbd_spec_parse(text, &s, reason, sizeof(reason)) != 0)
		return 0;
	if (vbd_spec_format(&s, again, sizeof(again)) != 0 ||
	    vbd_spec_parse(again, &s2, reason, sizeof(reason)) != 0 ||
	    memcmp(&s, &s2, sizeof(s)) != 0)
		abort();
	data = nul + 1;
	size -= len + 1;
	while (size >= VBD_REC_HDR) {
		if (vbd_rec_decode(data, &s, &r, &why) != 0)
			return 0;
		if ((r.type == VBD_REC_DATA || r.type == VBD_REC_ZERO) &&
		    (r.disk >= s.n || r.offset + r.length > s.d[r.disk].size))
			abort();
		vbd_rec_encode(hdr, &r);
		if (memcmp(hdr, data, VBD_REC_HDR) != 0)
			abort();
		data += VBD_REC_HDR;
		size -= VBD_REC_HDR;
		if (r.type == VBD_REC_END)
			return 0;
		if (r.type == VBD_REC_DATA) {
			if (r.length > size)
				return 0;
			data += r.length;
			size -= r.length;
		}
	}
	return 0;
}
