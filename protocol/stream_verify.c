/*
 * stream_verify.c - whole-stream checking and its summary.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "json.h"
#include "stream_verify.h"

/* Copy a JSON string at path into dst; 1 if found. */
static int
json_string(yajl_val root, const char **path, char *dst, size_t len)
{
	yajl_val v = yajl_tree_get(root, path, yajl_t_string);

	if (v == NULL || !YAJL_IS_STRING(v))
		return 0;
	snprintf(dst, len, "%s", YAJL_GET_STRING(v));
	return 1;
}

static int64_t
json_int(yajl_val root, const char **path)
{
	yajl_val v = yajl_tree_get(root, path, yajl_t_number);

	if (v == NULL || !YAJL_IS_INTEGER(v))
		return -1;
	return YAJL_GET_INTEGER(v);
}

/* Parse the xl header's JSON config for the summary. */
static int
verify_config(const struct xlhdr *h, struct stream_summary *sum,
    struct srerr *e)
{
	static const char *name_path[] = { "c_info", "name", NULL };
	static const char *type_path[] = { "c_info", "type", NULL };
	static const char *max_path[] = { "b_info", "max_memkb", NULL };
	static const char *target_path[] = { "b_info", "target_memkb", NULL };
	char errbuf[128];
	yajl_val root;

	sum->config_len = h->config_len;
	sum->config_json = (h->mandatory_flags & XLHDR_MFLAG_JSON) != 0;
	if (h->config == NULL || !sum->config_json)
		return 0;
	/* The decoder checked the NUL: the config is a C string. */
	root = json_parse((const char *)h->config, errbuf, sizeof(errbuf));
	if (root == NULL)
		return srerr_set(e, SRERR_CONFIG, XLHDR_FIXED_SIZE + 4,
		    "xl header", "domain configuration is not valid JSON: %s",
		    errbuf);
	if (!YAJL_IS_OBJECT(root)) {
		yajl_tree_free(root);
		return srerr_set(e, SRERR_CONFIG, XLHDR_FIXED_SIZE + 4,
		    "xl header", "domain configuration is not a JSON object");
	}
	sum->have_name = json_string(root, name_path, sum->name,
	    sizeof(sum->name));
	json_string(root, type_path, sum->type, sizeof(sum->type));
	sum->max_memkb = json_int(root, max_path);
	sum->target_memkb = json_int(root, target_path);
	yajl_tree_free(root);
	return 0;
}

static void
note_libxc(const struct libxc_rec *x, struct stream_summary *sum)
{
	if (x->type == LIBXC_REC_X86_TSC_INFO) {
		sum->have_tsc = 1;
		sum->tsc_mode = x->u.tsc.mode;
		sum->tsc_khz = x->u.tsc.khz;
	} else if (x->type == LIBXC_REC_X86_PV_INFO) {
		sum->pv_width = x->u.pv_info.guest_width;
		sum->pv_levels = x->u.pv_info.pt_levels;
	}
}

static int
verify_event(const struct stream_event *ev, struct stream_summary *sum,
    struct srerr *e)
{
	switch (ev->kind) {
	case STREAM_EV_XL_HEADER:
		sum->have_xl = 1;
		sum->xl_mandatory_flags = ev->xl->mandatory_flags;
		sum->xl_optional_flags = ev->xl->optional_flags;
		sum->xl_optional_data_len = ev->xl->optional_data_len;
		return verify_config(ev->xl, sum, e);
	case STREAM_EV_LIBXL_HEADER:
		sum->have_libxl = 1;
		sum->libxl_version = ev->libxl_hdr->version;
		sum->libxl_options = ev->libxl_hdr->options;
		return 0;
	case STREAM_EV_LIBXL_RECORD:
		if (ev->libxl->type != LIBXL_REC_EMULATOR_CONTEXT)
			return 0;
		sum->emulator_id = ev->libxl->emu_id;
		sum->emulator_len = ev->libxl->emu_len;
		if (ev->libxl->emu_id != LIBXL_EMU_QEMU_UPSTREAM)
			return 0;	/* qemu-traditional's: not read */
		sum->have_qevm = 1;
		return qevm_check(ev->libxl->emu_data, ev->libxl->emu_len,
		    ev->libxl->offset + 8 + LIBXL_EMU_HDR_SIZE, &sum->qevm, e);
	case STREAM_EV_LIBXC_HEADER:
		sum->libxc_version = ev->ihdr->version;
		sum->dom_type = ev->dhdr->type;
		sum->xen_major = ev->dhdr->xen_major;
		sum->xen_minor = ev->dhdr->xen_minor;
		return 0;
	case STREAM_EV_LIBXC_RECORD:
		note_libxc(ev->libxc, sum);
		return 0;
	}
	return 0;
}

static void
take_counts(const struct stream_reader *r, struct stream_summary *sum)
{
	const struct libxc_state *xs = stream_reader_libxc(r);
	const struct libxl_state *ls = stream_reader_libxl(r);

	memcpy(sum->libxc_records, xs->seen, sizeof(sum->libxc_records));
	memcpy(sum->libxl_records, ls->seen, sizeof(sum->libxl_records));
	sum->optional_records = xs->optional_skipped;
	sum->pages = xs->pages;
	sum->pfns = xs->pfns;
	sum->max_pfn = xs->max_pfn_seen;
	sum->vcpus = xs->dom_type == LIBXC_DOM_X86_HVM ? xs->hvm_cpus :
	    xs->vcpus;
	sum->bytes = stream_reader_offset(r);
}

int
stream_verify(enum stream_format fmt, stream_read_fn read, void *opaque,
    struct stream_summary *sum, struct srerr *e)
{
	struct stream_reader *r;
	struct stream_event ev;
	int rc;

	memset(sum, 0, sizeof(*sum));
	sum->fmt = fmt;
	sum->max_memkb = sum->target_memkb = -1;
	if ((r = stream_reader_new(fmt, read, opaque)) == NULL)
		return srerr_set(e, SRERR_NOMEM, 0, NULL, "out of memory");
	while ((rc = stream_reader_next(r, &ev, e)) > 0)
		if ((rc = verify_event(&ev, sum, e)) != 0)
			break;
	if (rc == 0)
		rc = stream_reader_expect_eof(r, e);
	take_counts(r, sum);
	stream_reader_free(r);
	return rc;
}
