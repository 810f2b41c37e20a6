/*
 * fuzz_qevm.c - libFuzzer target: QEMU's device-state file as an
 * EMULATOR_CONTEXT record carries it (protocol/qevm.c).
 */
#include <stddef.h>
#include <stdint.h>

#include "qevm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qevm_info info;
	struct srerr e;

	srerr_clear(&e);
	(void)qevm_check(data, size, 0, &info, &e);
	return 0;
}
