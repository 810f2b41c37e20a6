/*
 * cmd-verify.c - "xmig verify [--format xl|libxl|libxc] FILE|-": check a
 * save file or captured migration stream and summarise it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "libxc_stream.h"
#include "libxl_stream.h"
#include "stream_verify.h"
#include "xmig.h"

static ssize_t
verify_read_fd(void *opaque, void *buf, size_t len)
{
	return read(*(int *)opaque, buf, len);
}

static const char *
verify_emulator_name(uint32_t id)
{
	switch (id) {
	case LIBXL_EMU_QEMU_UPSTREAM:
		return "qemu-xen (upstream)";
	case LIBXL_EMU_QEMU_TRADITIONAL:
		return "qemu-xen-traditional";
	default:
		return "unknown";
	}
}

static void
print_text(const char *file, const struct stream_summary *s)
{
	uint32_t i;

	printf("%s: valid %s, %llu bytes\n", file,
	    s->have_xl ? "xl save file" : s->have_libxl ? "libxl stream" :
	    "libxc stream", (unsigned long long)s->bytes);
	if (s->have_xl) {
		printf("  xl header:      mandatory 0x%x, optional 0x%x, "
		    "optional data %u bytes\n", s->xl_mandatory_flags,
		    s->xl_optional_flags, s->xl_optional_data_len);
		printf("  config:         %u bytes%s\n", s->config_len,
		    s->config_json ? " (JSON)" : "");
		if (s->have_name)
			printf("  name:           %s\n", s->name);
		if (s->type[0] != '\0')
			printf("  type:           %s\n", s->type);
		if (s->max_memkb >= 0)
			printf("  max_memkb:      %lld\n",
			    (long long)s->max_memkb);
		if (s->target_memkb >= 0)
			printf("  target_memkb:   %lld\n",
			    (long long)s->target_memkb);
	}
	if (s->have_libxl)
		printf("  libxl stream:   version %u, options 0x%x\n",
		    s->libxl_version, s->libxl_options);
	printf("  libxc stream:   version %u, %s domain, from Xen %u.%u\n",
	    s->libxc_version, libxc_dom_type_name(s->dom_type), s->xen_major,
	    s->xen_minor);
	printf("  pages:          %llu with data, %llu pfns, max pfn 0x%llx\n",
	    (unsigned long long)s->pages, (unsigned long long)s->pfns,
	    (unsigned long long)s->max_pfn);
	printf("  vcpus:          %u\n", s->vcpus);
	if (s->libxl_records[LIBXL_REC_EMULATOR_CONTEXT] != 0)
		printf("  device model:   %s, %u bytes of state%s%s%s%s\n",
		    verify_emulator_name(s->emulator_id), s->emulator_len,
		    s->have_qevm ? ", QEVM version 3" : "",
		    s->have_qevm && s->qevm.has_sections ?
		    ", first section \"" : "",
		    s->have_qevm && s->qevm.has_sections ? s->qevm.first : "",
		    s->have_qevm && s->qevm.has_sections ? "\"" : "");
	if (s->have_tsc)
		printf("  tsc:            mode %u, %u kHz\n", s->tsc_mode,
		    s->tsc_khz);
	printf("  records:\n");
	for (i = 0; i < LIBXL_REC_NR; i++)
		if (s->libxl_records[i] != 0)
			printf("    libxl %-26s %u\n", libxl_rec_name(i),
			    s->libxl_records[i]);
	for (i = 0; i < LIBXC_REC_NR; i++)
		if (s->libxc_records[i] != 0)
			printf("    libxc %-26s %u\n", libxc_rec_name(i),
			    s->libxc_records[i]);
	if (s->optional_records != 0)
		printf("    libxc %-26s %u\n", "(unknown optional)",
		    s->optional_records);
}

static void
gen_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void
gen_int(yajl_gen g, const char *key, long long v)
{
	gen_str(g, key);
	yajl_gen_integer(g, v);
}

static void
print_json(const char *file, const struct stream_summary *s,
    const char *defect)
{
	const unsigned char *out;
	size_t len;
	yajl_gen g;
	uint32_t i;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return;
	yajl_gen_map_open(g);
	gen_str(g, "result");
	gen_str(g, defect == NULL ? "valid" : "invalid");
	gen_str(g, "file");
	gen_str(g, file);
	if (defect != NULL) {
		gen_str(g, "error");
		gen_str(g, defect);
	}
	gen_int(g, "bytes", (long long)s->bytes);
	if (s->have_xl) {
		gen_int(g, "xl_mandatory_flags", s->xl_mandatory_flags);
		gen_int(g, "xl_optional_flags", s->xl_optional_flags);
		gen_int(g, "xl_optional_data_len", s->xl_optional_data_len);
		gen_int(g, "config_len", s->config_len);
		gen_str(g, "config_json");
		yajl_gen_bool(g, s->config_json);
		if (s->have_name) {
			gen_str(g, "name");
			gen_str(g, s->name);
		}
		if (s->type[0] != '\0') {
			gen_str(g, "type");
			gen_str(g, s->type);
		}
		if (s->max_memkb >= 0)
			gen_int(g, "max_memkb", s->max_memkb);
		if (s->target_memkb >= 0)
			gen_int(g, "target_memkb", s->target_memkb);
	}
	if (s->have_libxl)
		gen_int(g, "libxl_version", s->libxl_version);
	gen_int(g, "libxc_version", s->libxc_version);
	gen_str(g, "domain_type");
	gen_str(g, s->dom_type == LIBXC_DOM_X86_PV ? "pv" :
	    s->dom_type == LIBXC_DOM_X86_HVM ? "hvm" : "unknown");
	gen_int(g, "xen_major", s->xen_major);
	gen_int(g, "xen_minor", s->xen_minor);
	gen_int(g, "pages", (long long)s->pages);
	gen_int(g, "pfns", (long long)s->pfns);
	gen_int(g, "max_pfn", (long long)s->max_pfn);
	gen_int(g, "vcpus", s->vcpus);
	if (s->libxl_records[LIBXL_REC_EMULATOR_CONTEXT] != 0) {
		gen_str(g, "device_model");
		gen_str(g, verify_emulator_name(s->emulator_id));
		gen_int(g, "device_model_bytes", s->emulator_len);
		if (s->have_qevm && s->qevm.has_sections) {
			gen_str(g, "device_model_first_section");
			gen_str(g, s->qevm.first);
		}
	}
	gen_str(g, "records");
	yajl_gen_map_open(g);
	for (i = 0; i < LIBXL_REC_NR; i++)
		if (s->libxl_records[i] != 0) {
			char k[48];

			snprintf(k, sizeof(k), "libxl.%s", libxl_rec_name(i));
			gen_int(g, k, s->libxl_records[i]);
		}
	for (i = 0; i < LIBXC_REC_NR; i++)
		if (s->libxc_records[i] != 0) {
			char k[48];

			snprintf(k, sizeof(k), "libxc.%s", libxc_rec_name(i));
			gen_int(g, k, s->libxc_records[i]);
		}
	if (s->optional_records != 0)
		gen_int(g, "libxc.optional", s->optional_records);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &out, &len) == yajl_gen_status_ok)
		printf("%.*s\n", (int)len, (const char *)out);
	yajl_gen_free(g);
}

static int
cmd_verify_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	enum stream_format fmt = STREAM_FMT_XL;
	struct stream_summary sum;
	struct srerr e;
	const char *file;
	char defect[SRERR_WHAT_MAX + SRERR_REASON_MAX + 32];
	int ch, fd, json = ctx->json, rc;

	while ((ch = getopt_long(argc, argv, "f:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "xl") == 0)
				fmt = STREAM_FMT_XL;
			else if (strcmp(optarg, "libxl") == 0)
				fmt = STREAM_FMT_LIBXL;
			else if (strcmp(optarg, "libxc") == 0)
				fmt = STREAM_FMT_LIBXC;
			else
				return cmd_usage_error(&cmd_verify_entry,
				    "--format %s: expected xl, libxl or libxc",
				    optarg);
			break;
		case 'j':
			json = 1;
			break;
		default:
			cmd_usage(&cmd_verify_entry, stderr);
			return XMIG_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(&cmd_verify_entry, "expected one FILE");
	file = argv[optind];
	if (strcmp(file, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "xmig verify: %s: %s\n", file,
		    strerror(errno));
		return XMIG_EXIT_FAILED;
	}
	srerr_clear(&e);
	rc = stream_verify(fmt, verify_read_fd, &fd, &sum, &e);
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc == 0) {
		if (json)
			print_json(file, &sum, NULL);
		else if (!ctx->quiet)
			print_text(file, &sum);
		return XMIG_EXIT_OK;
	}
	srerr_format(&e, defect, sizeof(defect));
	if (json)
		print_json(file, &sum, defect);
	fprintf(stderr, "%s: %s\n", file, defect);
	return e.code == SRERR_IO || e.code == SRERR_NOMEM ?
	    XMIG_EXIT_FAILED : XMIG_EXIT_INVALID;
}

const struct cmd_entry cmd_verify_entry = {
	.name = "verify",
	.usage = "[--format xl|libxl|libxc] [--json] FILE|-",
	.summary = "check a save file or captured stream",
	.help = "Read FILE (\"-\" for standard input) as an xl save file "
	    "(or, with\n--format, a bare libxl or libxc migration stream), "
	    "check every header\nand record as Xen 4.17's restorer would, "
	    "and print a summary: the\ndomain's name and memory from its "
	    "configuration, the domain type and\nXen version, the number of "
	    "pages, vcpus and records of each type.\nOn the first defect, "
	    "print \"FILE: offset N: reason\" and exit 6.",
	.exec = cmd_verify_exec,
};
