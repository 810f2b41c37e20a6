/*
 * fuzz_qevm.c - libFuzzer target: QEMU's device-state file as an
 * EMULATOR_CONTEXT record carries it (protocol/qevm.c), and the simulated
 * device model's reading of one (lib/sim/simdm.c).
 */
#include <stddef.h>
#include <stdint.h>

#include "qevm.h"
#include "sim/simdm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct simdm_state st;
	struct qevm_info info;
	struct srerr e;
	char why[256];

	srerr_clear(&e);
	(void)qevm_check(data, size, 0, &info, &e);
	(void)simdm_decode(data, size, &st, why, sizeof(why));
	return 0;
}
