/*
 * fuzz_xlhdr.c - libFuzzer target: the xl save-file header alone.
 */
#include <stddef.h>
#include <stdint.h>

#include "xlhdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xlhdr h;
	struct srerr e;

	srerr_clear(&e);
	if (xlhdr_decode_fixed(data, size, &h, &e) != 0)
		return 0;
	size -= XLHDR_FIXED_SIZE;
	if (size > h.optional_data_len)
		size = h.optional_data_len;
	(void)xlhdr_decode_optdata(&h, data + XLHDR_FIXED_SIZE, size,
	    XLHDR_FIXED_SIZE, &e);
	return 0;
}
