/*
 * fuzz_xlproto.c - libFuzzer target: xl's handshake messages and the
 * configuration facts its receiver reads from the xl header.  The first
 * byte chooses: 0-3 check the rest as that fixed message, anything else
 * reads the rest as a domain configuration.
 */
#include <stddef.h>
#include <stdint.h>

#include "xlproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xlproto_facts f;
	char why[256];

	if (size == 0)
		return 0;
	if (data[0] <= XLPROTO_MSG_REPORT) {
		(void)xlproto_msg_check((enum xlproto_msg)data[0], data + 1,
		    size - 1);
		return 0;
	}
	(void)xlproto_config_facts((const char *)data + 1, size - 1, &f,
	    why, sizeof(why));
	return 0;
}
