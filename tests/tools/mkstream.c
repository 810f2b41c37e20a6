/*
 * mkstream.c - write a save file or stream with the protocol/ encoders,
 * for tests and fuzz corpora.
 *
 * usage: mkstream [-t pv|hvm] [-f xl|libxl|libxc] [-p PAGES] [-c VCPUS]
 *                 [-n NAME] [-x] FILE|-
 *   -x  add an HVM emulator context record (HVM only)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libxc_stream.h"
#include "qevm.h"
#include "savefile.h"
#include "stream_writer.h"

static int
flush_file(void *opaque, const void *data, size_t len)
{
	FILE *f = opaque;

	return fwrite(data, 1, len, f) == len ? 0 : -EIO;
}

static void
usage(void)
{
	fprintf(stderr, "usage: mkstream [-t pv|hvm] [-f xl|libxl|libxc] "
	    "[-p PAGES] [-c VCPUS] [-n NAME] [-x] FILE|-\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct savefile_params p;
	struct stream_writer *w;
	unsigned long pages = 16, i;
	const char *name = "guest";
	char config[512];
	uint8_t *mem;
	FILE *f;
	uint8_t devstate[128];
	int ch, rc, emu = 0;

	memset(&p, 0, sizeof(p));
	p.dom_type = LIBXC_DOM_X86_HVM;
	p.vcpus = 1;
	while ((ch = getopt(argc, argv, "t:f:p:c:n:x")) != -1) {
		switch (ch) {
		case 't':
			if (strcmp(optarg, "pv") == 0)
				p.dom_type = LIBXC_DOM_X86_PV;
			else if (strcmp(optarg, "hvm") == 0)
				p.dom_type = LIBXC_DOM_X86_HVM;
			else
				usage();
			break;
		case 'f':
			if (strcmp(optarg, "xl") == 0)
				p.format = STREAM_FMT_XL;
			else if (strcmp(optarg, "libxl") == 0)
				p.format = STREAM_FMT_LIBXL;
			else if (strcmp(optarg, "libxc") == 0)
				p.format = STREAM_FMT_LIBXC;
			else
				usage();
			break;
		case 'p':
			pages = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			p.vcpus = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			name = optarg;
			break;
		case 'x':
			emu = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1 || pages == 0 || pages > (1UL << 20))
		usage();
	snprintf(config, sizeof(config), "{\"c_info\": {\"type\": \"%s\", "
	    "\"name\": \"%s\"}, \"b_info\": {\"max_vcpus\": %u, "
	    "\"max_memkb\": %lu, \"target_memkb\": %lu}}",
	    p.dom_type == LIBXC_DOM_X86_PV ? "pv" : "hvm", name, p.vcpus,
	    pages * 4, pages * 4);
	p.config_json = config;
	p.max_pfn = pages - 1;
	p.tsc_khz = 2000000;
	p.store_pfn = pages - 1;
	p.console_pfn = pages > 1 ? pages - 2 : 0;
	if (emu) {
		/* A device model's state: two small sections, then EOF. */
		static const char *const secs[] = { "timer", "apic" };
		size_t n = QEVM_HDR_SIZE;

		qevm_put_header(devstate);
		for (i = 0; i < 2; i++) {
			qevm_put_section(devstate + n, (uint32_t)i, secs[i], 0,
			    1);
			n += qevm_section_size(secs[i]);
			memset(devstate + n, 0x5a, 8);
			n += 8;
		}
		devstate[n++] = QEVM_SEC_EOF;
		p.emulator_context = devstate;
		p.emulator_context_len = n;
	}
	if ((mem = malloc(pages * LIBXC_PAGE_SIZE)) == NULL)
		return 1;
	for (i = 0; i < pages * LIBXC_PAGE_SIZE; i++)
		mem[i] = (uint8_t)(i * 2654435761U >> 13);
	if (strcmp(argv[optind], "-") == 0)
		f = stdout;
	else if ((f = fopen(argv[optind], "wb")) == NULL) {
		perror(argv[optind]);
		return 1;
	}
	if ((w = stream_writer_new(flush_file, f, 0)) == NULL)
		return 1;
	rc = savefile_write(w, &p, mem);
	stream_writer_free(w);
	free(mem);
	if (rc != 0 || fflush(f) != 0 || (f != stdout && fclose(f) != 0)) {
		fprintf(stderr, "mkstream: %s\n", strerror(rc < 0 ? -rc : EIO));
		return 1;
	}
	return 0;
}
