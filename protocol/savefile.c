/*
 * savefile.c - complete streams in Xen 4.17's record order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "libxc_stream.h"
#include "libxl_stream.h"
#include "savefile.h"
#include "xlhdr.h"

/* A zero page for SHARED_INFO and vcpu contexts left to the default. */
static const uint8_t zero_page[LIBXC_PAGE_SIZE + 1024 + 48];
_Static_assert(sizeof(zero_page) >= LIBXC_PV_VCPU_BASIC_SIZE_64,
    "zero page covers a vcpu context");

/* HVM save image magic and version (xen/include/public/arch-x86/hvm/save.h) */
#define HVM_FILE_MAGIC		0x54381286U
#define HVM_FILE_VERSION	1U
#define HVM_MIN_CONTEXT_SIZE	(8 + 24 + 8)

static uint8_t
pv_width(const struct savefile_params *p)
{
	return p->pv_width != 0 ? p->pv_width : 8;
}

static uint8_t
pv_levels(const struct savefile_params *p)
{
	return p->pv_levels != 0 ? p->pv_levels : 4;
}

static int
check_params(const struct savefile_params *p)
{
	if (p->dom_type != LIBXC_DOM_X86_PV && p->dom_type != LIBXC_DOM_X86_HVM)
		return -EINVAL;
	if (p->max_pfn > UINT32_MAX || p->vcpus > LIBXC_VCPU_MAX)
		return -EINVAL;
	if (p->dom_type == LIBXC_DOM_X86_PV &&
	    !((pv_width(p) == 8 && pv_levels(p) == 4) ||
	    (pv_width(p) == 4 && pv_levels(p) == 3)))
		return -EINVAL;
	if (p->cpuid_policy_len % LIBXC_CPUID_LEAF_SIZE != 0 ||
	    p->msr_policy_len % LIBXC_MSR_ENTRY_SIZE != 0)
		return -EINVAL;
	if (p->format != STREAM_FMT_XL && p->format != STREAM_FMT_LIBXL &&
	    p->format != STREAM_FMT_LIBXC)
		return -EINVAL;
	return 0;
}

static int
write_outer_headers(struct stream_writer *w, const struct savefile_params *p)
{
	uint8_t *x;
	size_t clen = 0, n;
	uint8_t lh[LIBXL_HDR_SIZE];
	int rc;

	if (p->format == STREAM_FMT_XL) {
		if (p->config_json != NULL)
			clen = strlen(p->config_json) + 1;
		n = xlhdr_encoded_size(clen);
		if ((x = malloc(n)) == NULL)
			return -ENOMEM;
		rc = xlhdr_encode(x, n, 0, p->config_json, clen);
		if (rc >= 0)
			rc = stream_writer_bytes(w, x, n);
		free(x);
		if (rc != 0)
			return rc;
	}
	if (p->format == STREAM_FMT_LIBXC)
		return 0;
	libxl_hdr_encode(lh, 0);
	if ((rc = stream_writer_bytes(w, lh, sizeof(lh))) != 0)
		return rc;
	return stream_writer_record(w, LIBXL_REC_LIBXC_CONTEXT, NULL, 0);
}

static int
write_p2m_frames(struct stream_writer *w, const struct savefile_params *p)
{
	uint32_t end = (uint32_t)p->max_pfn, i;
	uint32_t nr = libxc_p2m_nr_frames(0, end, pv_width(p));
	struct stream_iov iov[2];
	uint8_t hdr[8];
	uint8_t *frames;
	int rc;

	if ((frames = calloc(nr, 8)) == NULL)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		store_le64(frames + 8 * (size_t)i,
		    p->p2m_frames != NULL ? p->p2m_frames[i] : i);
	libxc_p2m_hdr_encode(hdr, 0, end);
	iov[0].base = hdr;
	iov[0].len = sizeof(hdr);
	iov[1].base = frames;
	iov[1].len = 8 * (size_t)nr;
	rc = stream_writer_recordv(w, LIBXC_REC_X86_PV_P2M_FRAMES, iov, 2);
	free(frames);
	return rc;
}

int
savefile_begin(struct stream_writer *w, const struct savefile_params *p)
{
	uint8_t b[LIBXC_IHDR_SIZE + LIBXC_DHDR_SIZE];
	int rc;

	if ((rc = check_params(p)) != 0)
		return rc;
	if ((rc = write_outer_headers(w, p)) != 0)
		return rc;
	libxc_ihdr_encode(b, LIBXC_VERSION);
	libxc_dhdr_encode(b + LIBXC_IHDR_SIZE, p->dom_type,
	    p->xen_major != 0 ? p->xen_major : SAVEFILE_XEN_MAJOR,
	    p->xen_major != 0 ? p->xen_minor : SAVEFILE_XEN_MINOR);
	if ((rc = stream_writer_bytes(w, b, sizeof(b))) != 0)
		return rc;
	if (p->dom_type == LIBXC_DOM_X86_PV) {
		libxc_pv_info_encode(b, pv_width(p), pv_levels(p));
		if ((rc = stream_writer_record(w, LIBXC_REC_X86_PV_INFO, b,
		    8)) != 0)
			return rc;
	}
	if (p->cpuid_policy_len > 0 && (rc = stream_writer_record(w,
	    LIBXC_REC_X86_CPUID_POLICY, p->cpuid_policy,
	    p->cpuid_policy_len)) != 0)
		return rc;
	if (p->msr_policy_len > 0 && (rc = stream_writer_record(w,
	    LIBXC_REC_X86_MSR_POLICY, p->msr_policy,
	    p->msr_policy_len)) != 0)
		return rc;
	if ((rc = stream_writer_record(w, LIBXC_REC_STATIC_DATA_END, NULL,
	    0)) != 0)
		return rc;
	if (p->dom_type == LIBXC_DOM_X86_PV)
		return write_p2m_frames(w, p);
	return 0;
}

static int
write_pv_tail(struct stream_writer *w, const struct savefile_params *p)
{
	uint32_t i, nvcpus = p->vcpus != 0 ? p->vcpus : 1;
	size_t vsize = pv_width(p) == 8 ? LIBXC_PV_VCPU_BASIC_SIZE_64 :
	    LIBXC_PV_VCPU_BASIC_SIZE_32;
	struct stream_iov iov[2];
	uint8_t vh[8];
	int rc;

	if ((rc = stream_writer_record(w, LIBXC_REC_SHARED_INFO,
	    p->shared_info != NULL ? p->shared_info : zero_page,
	    LIBXC_PAGE_SIZE)) != 0)
		return rc;
	for (i = 0; i < nvcpus; i++) {
		libxc_vcpu_hdr_encode(vh, i);
		iov[0].base = vh;
		iov[0].len = sizeof(vh);
		iov[1].base = p->vcpu_basic != NULL && p->vcpu_basic[i] != NULL ?
		    p->vcpu_basic[i] : zero_page;
		iov[1].len = vsize;
		if ((rc = stream_writer_recordv(w,
		    LIBXC_REC_X86_PV_VCPU_BASIC, iov, 2)) != 0)
			return rc;
	}
	return 0;
}

/* A header entry and the END entry: the smallest image Xen parses. */
static void
min_hvm_context(uint8_t *b)
{
	memset(b, 0, HVM_MIN_CONTEXT_SIZE);
	store_le16(b, 1);		/* HVM_SAVE_CODE(HEADER) */
	store_le16(b + 2, 0);
	store_le32(b + 4, 24);
	store_le32(b + 8, HVM_FILE_MAGIC);
	store_le32(b + 12, HVM_FILE_VERSION);
	/* changeset, cpuid, gtsc_khz: zero; END entry: zero. */
}

static int
write_hvm_tail(struct stream_writer *w, const struct savefile_params *p)
{
	uint8_t ctx[HVM_MIN_CONTEXT_SIZE];
	uint8_t *pb;
	uint64_t def[2][2];
	const uint64_t (*params)[2] = p->hvm_params;
	uint32_t n = p->nr_hvm_params;
	size_t cap;
	int rc;

	if (p->hvm_context != NULL && p->hvm_context_len > 0)
		rc = stream_writer_record(w, LIBXC_REC_HVM_CONTEXT,
		    p->hvm_context, p->hvm_context_len);
	else {
		min_hvm_context(ctx);
		rc = stream_writer_record(w, LIBXC_REC_HVM_CONTEXT, ctx,
		    sizeof(ctx));
	}
	if (rc != 0)
		return rc;
	if (params == NULL) {
		n = 0;
		/* Only non-zero values, as xc_domain_save writes them. */
		if (p->store_pfn != 0) {
			def[n][0] = HVM_PARAM_STORE_PFN;
			def[n++][1] = p->store_pfn;
		}
		if (p->console_pfn != 0) {
			def[n][0] = HVM_PARAM_CONSOLE_PFN;
			def[n++][1] = p->console_pfn;
		}
		params = (const uint64_t (*)[2])def;
	}
	if (n > (LIBXC_REC_MAX - 8) / 16)
		return -EINVAL;
	cap = 8 + 16 * (size_t)n;
	if ((pb = malloc(cap)) == NULL)
		return -ENOMEM;
	rc = libxc_hvm_params_encode(pb, cap, params, n);
	if (rc >= 0)
		rc = stream_writer_record(w, LIBXC_REC_HVM_PARAMS, pb, cap);
	free(pb);
	return rc;
}

static int
write_emulator(struct stream_writer *w, const struct savefile_params *p,
    uint32_t type, const void *data, size_t len)
{
	uint8_t eh[LIBXL_EMU_HDR_SIZE];
	struct stream_iov iov[2];

	libxl_emu_hdr_encode(eh, p->emulator_id != 0 ? p->emulator_id :
	    LIBXL_EMU_QEMU_UPSTREAM, 0);
	iov[0].base = eh;
	iov[0].len = sizeof(eh);
	iov[1].base = data;
	iov[1].len = len;
	return stream_writer_recordv(w, type, iov, 2);
}

int
savefile_end(struct stream_writer *w, const struct savefile_params *p)
{
	uint8_t tsc[LIBXC_TSC_INFO_SIZE];
	int rc;

	if ((rc = check_params(p)) != 0)
		return rc;
	if ((rc = stream_writer_flush_pages(w)) != 0)
		return rc;
	libxc_tsc_info_encode(tsc, p->tsc_mode, p->tsc_khz, p->tsc_nsec,
	    p->tsc_incarnation);
	if ((rc = stream_writer_record(w, LIBXC_REC_X86_TSC_INFO, tsc,
	    sizeof(tsc))) != 0)
		return rc;
	rc = p->dom_type == LIBXC_DOM_X86_PV ? write_pv_tail(w, p) :
	    write_hvm_tail(w, p);
	if (rc != 0)
		return rc;
	if ((rc = stream_writer_record(w, LIBXC_REC_END, NULL, 0)) != 0)
		return rc;
	if (p->format != STREAM_FMT_LIBXC) {
		if (p->dom_type == LIBXC_DOM_X86_HVM &&
		    p->xenstore_data != NULL && p->xenstore_data_len > 0 &&
		    (rc = write_emulator(w, p,
		    LIBXL_REC_EMULATOR_XENSTORE_DATA, p->xenstore_data,
		    p->xenstore_data_len)) != 0)
			return rc;
		if (p->dom_type == LIBXC_DOM_X86_HVM &&
		    p->emulator_context != NULL &&
		    (rc = write_emulator(w, p, LIBXL_REC_EMULATOR_CONTEXT,
		    p->emulator_context, p->emulator_context_len)) != 0)
			return rc;
		if ((rc = stream_writer_record(w, LIBXL_REC_END, NULL,
		    0)) != 0)
			return rc;
	}
	return stream_writer_flush(w);
}

int
savefile_write(struct stream_writer *w, const struct savefile_params *p,
    const uint8_t *memory)
{
	uint64_t pfn;
	int rc;

	if ((rc = savefile_begin(w, p)) != 0)
		return rc;
	for (pfn = 0; memory != NULL && pfn <= p->max_pfn; pfn++)
		if ((rc = stream_writer_page(w, pfn, LIBXC_PAGE_NOTAB,
		    memory + pfn * LIBXC_PAGE_SIZE)) != 0)
			return rc;
	return savefile_end(w, p);
}
