/*
 * fuzz_streamio.c - libFuzzer target for the destination's reader of what
 * surrounds the libxc stream (lib/streamio.c): the xl header and its
 * optional data, the libxl header and records up to LIBXC_CONTEXT, then
 * (whatever follows) the libxl records up to END.  The input is served
 * through a file descriptor, as a socket or a save file would be.
 *
 * Build: see tests/fuzz/run-fuzz.sh.  Seeds: tests/fuzz/corpus/stream/
 * (xl save files; their first byte is fuzz_stream's bound, harmless here).
 */
#define _GNU_SOURCE
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "srerr.h"
#include "streamio.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct streamio_in in;
	struct emu_recs emu = { .n = 0 };
	struct srerr e;
	unsigned i;

	if (fd < 0) {
		log_init("fuzz", 1, LOG_LVL_ERR);
		if ((fd = memfd_create("fuzz_streamio", 0)) < 0)
			abort();
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) !=
	    (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	srerr_clear(&e);
	if (streamio_read_prefix(&in, fd, 1000, &e) == 0) {
		/* A config, when there is one, is a C string of its length. */
		if (in.config != NULL && strlen(in.config) > in.xl.config_len)
			abort();
		srerr_clear(&e);
		in.lx.dom_type = 2;	/* emulator records allowed */
		(void)streamio_read_suffix(&in, &emu, &e);
		/* What was kept is what the records said. */
		for (i = 0; i < emu.n; i++)
			if (emu.rec[i].type != 2 && emu.rec[i].type != 3)
				abort();
		emu_recs_clear(&emu);
	}
	streamio_in_clear(&in);
	return 0;
}
