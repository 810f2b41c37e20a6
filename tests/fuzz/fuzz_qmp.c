/*
 * fuzz_qmp.c - libFuzzer target: one QMP message from a device model's
 * monitor (protocol/qmp.c), as the QMP client reads it.
 */
#include <stddef.h>
#include <stdint.h>

#include "qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qmp_msg m;
	char err[128];

	if (qmp_decode((const char *)data, size, &m, err, sizeof(err)) == 0)
		qmp_msg_clear(&m);
	return 0;
}
