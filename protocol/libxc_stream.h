/*
 * libxc_stream.h - the libxc migration stream (Xen's
 * docs/specs/libxc-migration-stream.pandoc, versions 2 and 3), as
 * libxenguest 4.17 writes and reads it.
 *
 * Layout: image header (24 bytes, big-endian), domain header (16 bytes),
 * then records: uint32_t type, uint32_t length, length bytes of body, zero
 * padding to a multiple of 8.  Everything after the image header is
 * little-endian (xmig handles x86 only).
 *
 * This module decodes and checks single headers and record bodies and
 * keeps the state needed for the ordering rules the real restorer
 * enforces; stream_reader.h drives it from a byte stream.  Encoders write
 * bodies into caller buffers; stream_writer.h frames them.
 */
#ifndef XMIG_LIBXC_STREAM_H
#define XMIG_LIBXC_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "srerr.h"

#define LIBXC_IHDR_SIZE		24
#define LIBXC_DHDR_SIZE		16
#define LIBXC_RHDR_SIZE		8
#define LIBXC_IHDR_MARKER	0xffffffffffffffffULL
#define LIBXC_IHDR_ID		0x58454e46U	/* "XENF" */
#define LIBXC_IHDR_OPT_BIG_ENDIAN 0x0001U
#define LIBXC_VERSION		3	/* what xmig writes */
#define LIBXC_VERSION_MIN	2

/* As libxenguest: records over 128 MiB are refused before allocation. */
#define LIBXC_REC_MAX		(128U << 20)

#define LIBXC_PAGE_SHIFT	12
#define LIBXC_PAGE_SIZE		4096U
/*
 * Pages per PAGE_DATA record: Xen's writer (xg_sr_save.c, MAX_BATCH_SIZE)
 * never sends more, and the reader refuses more, so a record's pfn arrays
 * stay small whatever its length says.
 */
#define LIBXC_BATCH_MAX		1024
#define LIBXC_VCPU_MAX		4096	/* vcpu ids accepted */

enum libxc_dom_type {
	LIBXC_DOM_X86_PV = 1,
	LIBXC_DOM_X86_HVM = 2,
};

enum libxc_rec_type {
	LIBXC_REC_END = 0x00,
	LIBXC_REC_PAGE_DATA = 0x01,
	LIBXC_REC_X86_PV_INFO = 0x02,
	LIBXC_REC_X86_PV_P2M_FRAMES = 0x03,
	LIBXC_REC_X86_PV_VCPU_BASIC = 0x04,
	LIBXC_REC_X86_PV_VCPU_EXTENDED = 0x05,
	LIBXC_REC_X86_PV_VCPU_XSAVE = 0x06,
	LIBXC_REC_SHARED_INFO = 0x07,
	LIBXC_REC_X86_TSC_INFO = 0x08,
	LIBXC_REC_HVM_CONTEXT = 0x09,
	LIBXC_REC_HVM_PARAMS = 0x0a,
	LIBXC_REC_TOOLSTACK = 0x0b,
	LIBXC_REC_X86_PV_VCPU_MSRS = 0x0c,
	LIBXC_REC_VERIFY = 0x0d,
	LIBXC_REC_CHECKPOINT = 0x0e,
	LIBXC_REC_CHECKPOINT_DIRTY_PFN_LIST = 0x0f,
	LIBXC_REC_STATIC_DATA_END = 0x10,
	LIBXC_REC_X86_CPUID_POLICY = 0x11,
	LIBXC_REC_X86_MSR_POLICY = 0x12,
	LIBXC_REC_NR = 0x13,
};

/* A record type with this bit may be skipped by a reader not knowing it. */
#define LIBXC_REC_OPTIONAL	0x80000000U

/*
 * PAGE_DATA entries: bits 0-51 pfn, 52-59 reserved (zero), 60-63 type.
 * The type nibble is XEN_DOMCTL_PFINFO_* >> 28.
 */
#define LIBXC_PFN_MASK		0x000fffffffffffffULL
#define LIBXC_PFN_RESERVED_MASK	0x0ff0000000000000ULL
#define LIBXC_PFN_TYPE_SHIFT	60

enum libxc_page_type {
	LIBXC_PAGE_NOTAB = 0x0,		/* normal page */
	LIBXC_PAGE_L1TAB = 0x1,		/* PV page tables, L1..L4 */
	LIBXC_PAGE_L2TAB = 0x2,
	LIBXC_PAGE_L3TAB = 0x3,
	LIBXC_PAGE_L4TAB = 0x4,
	LIBXC_PAGE_LPINTAB = 0x8,	/* OR'd with L1..L4: pinned */
	LIBXC_PAGE_BROKEN = 0xd,	/* no data */
	LIBXC_PAGE_XALLOC = 0xe,	/* allocate only, no data */
	LIBXC_PAGE_XTAB = 0xf,		/* not present, no data */
};

/* x86 PV vcpu_guest_context sizes (64-bit and 32-bit guests). */
#define LIBXC_PV_VCPU_BASIC_SIZE_64	5168
#define LIBXC_PV_VCPU_BASIC_SIZE_32	2800
#define LIBXC_PV_VCPU_EXTENDED_MAX	128
#define LIBXC_PV_VCPU_XSAVE_MIN		16
#define LIBXC_PV_VCPU_MSR_SIZE		16
#define LIBXC_CPUID_LEAF_SIZE		24
#define LIBXC_MSR_ENTRY_SIZE		16
#define LIBXC_TSC_INFO_SIZE		24

struct libxc_ihdr {
	uint32_t	version;
	uint16_t	options;
};

struct libxc_dhdr {
	uint32_t	type;		/* enum libxc_dom_type */
	uint16_t	page_shift;
	uint32_t	xen_major;	/* 0: converted from a legacy stream */
	uint32_t	xen_minor;
};

/*
 * One decoded PAGE_DATA record: pfn[i], type[i] (enum libxc_page_type)
 * and data[i], a pointer to the page's 4096 bytes inside the record body,
 * or NULL for types that carry no data.  The arrays belong to the batch
 * and are reused by the next record; data pointers are borrowed from the
 * record body and valid only as long as it is.
 */
struct libxc_page_batch {
	uint32_t	  count;
	uint32_t	  nr_data;	/* entries with data */
	uint64_t	 *pfn;
	uint8_t		 *type;
	const uint8_t	**data;
	uint32_t	  cap;		/* allocated entries */
};

/* A decoded record.  Views point into the body; see each field. */
struct libxc_rec {
	uint32_t	 type;
	uint32_t	 length;
	const uint8_t	*body;		/* length bytes, borrowed */
	uint64_t	 offset;	/* of the record header in the input */
	union {
		struct {
			uint8_t	 guest_width;	/* 4 or 8 */
			uint8_t	 pt_levels;	/* 3 or 4 */
		} pv_info;
		struct {
			uint32_t	 start_pfn;
			uint32_t	 end_pfn;
			uint32_t	 nr;	/* frame pfns at "pfns" */
			const uint8_t	*pfns;	/* nr little-endian u64 */
		} p2m;
		struct {
			uint32_t	 vcpu_id;
			uint32_t	 size;	/* 0: empty, skipped */
			const uint8_t	*ctx;
		} vcpu;			/* X86_PV_VCPU_* */
		struct {
			uint32_t	mode;
			uint32_t	khz;
			uint64_t	nsec;
			uint32_t	incarnation;
		} tsc;
		struct {
			uint32_t	 count;	/* libxc_hvm_param() reads */
			const uint8_t	*entries;
		} hvm_params;
		struct {
			uint32_t	 nr;	/* entries of 24 or 16 bytes */
			const uint8_t	*entries;
		} policy;		/* X86_CPUID_POLICY, X86_MSR_POLICY */
	} u;
	struct libxc_page_batch *pages;	/* PAGE_DATA only */
};

/* libxc_state's max_pfn when the caller set no limit on pfns. */
#define LIBXC_MAX_PFN_NONE	UINT64_MAX

/*
 * What the checks need to remember between records: version and domain
 * type from the headers, which records came, and the PV guest's width and
 * p2m size.  Zero it with libxc_state_init().
 */
struct libxc_state {
	uint32_t	version;
	uint32_t	dom_type;
	uint32_t	xen_major;
	uint32_t	xen_minor;
	/*
	 * The highest pfn the caller's domain has, 0 included (a one-page
	 * domain); LIBXC_MAX_PFN_NONE: no limit but a PV guest's p2m.
	 */
	uint64_t	max_pfn;
	uint32_t	seen[LIBXC_REC_NR];	/* records per type */
	uint32_t	optional_skipped;	/* unknown optional records */
	int		static_data_end;	/* seen or inferred (v2) */
	uint8_t		pv_width;
	uint8_t		pv_levels;
	int		have_p2m;
	uint32_t	p2m_end_pfn;
	uint64_t	pages;		/* PAGE_DATA entries with data */
	uint64_t	pfns;		/* PAGE_DATA entries */
	uint64_t	max_pfn_seen;
	uint32_t	vcpus;		/* highest vcpu id + 1 with state */
	uint32_t	hvm_cpus;	/* CPU entries in HVM_CONTEXT */
	int		verify;		/* a VERIFY record came */
	int		ended;
	uint8_t		vcpu_seen[4][LIBXC_VCPU_MAX / 8];
};

/*
 * Reset s, with no limit on pfns but a PV guest's p2m (max_pfn
 * LIBXC_MAX_PFN_NONE): the caller bounds them by setting s->max_pfn.
 */
void	libxc_state_init(struct libxc_state *s);

/* "PAGE_DATA", "X86_PV_INFO", ... or "unknown" for a record type. */
const char *libxc_rec_name(uint32_t type);

/* "x86 PV", "x86 HVM" or "unknown". */
const char *libxc_dom_type_name(uint32_t type);

/*
 * Decode and check the image header (LIBXC_IHDR_SIZE bytes at buf, found
 * at input offset "off") and remember its version in s.  Returns 0 or a
 * negative errno with the defect in e.
 */
int	libxc_ihdr_decode(struct libxc_state *s, const uint8_t *buf,
	    size_t len, uint64_t off, struct libxc_ihdr *h, struct srerr *e);

/* The same for the domain header (LIBXC_DHDR_SIZE bytes). */
int	libxc_dhdr_decode(struct libxc_state *s, const uint8_t *buf,
	    size_t len, uint64_t off, struct libxc_dhdr *h, struct srerr *e);

/*
 * Check a record header before its body is read: the type is known (or
 * optional) and the length is within LIBXC_REC_MAX.  Call this before
 * allocating anything for the body.  Returns 0 or a negative errno.
 */
int	libxc_rhdr_check(const struct libxc_state *s, uint32_t type,
	    uint32_t length, uint64_t off, struct srerr *e);

/*
 * Check a record body and decode it into r->u (or "batch" for PAGE_DATA,
 * whose arrays are grown as needed, to LIBXC_BATCH_MAX entries at most;
 * r->pages then points to it).  Every pfn is checked against s->max_pfn
 * and, for PV, the p2m's end; a count over LIBXC_BATCH_MAX is refused.  The
 * caller fills r->type, length, body and offset.  Enforces the ordering
 * rules (STATIC_DATA_END before PAGE_DATA in v3, X86_PV_INFO first, no
 * duplicates, the domain type's own records), and at END that every
 * mandatory record came (for PV the vcpu0 basic state).  Updates s.
 * Returns 0, or a negative errno with the defect in e (-ENOMEM when the
 * batch could not grow).
 */
int	libxc_rec_decode(struct libxc_state *s, struct libxc_rec *r,
	    struct libxc_page_batch *batch, struct srerr *e);

/* Read HVM_PARAMS entry i (< r->u.hvm_params.count). */
void	libxc_hvm_param(const struct libxc_rec *r, uint32_t i,
	    uint64_t *index, uint64_t *value);

/* Free a batch's arrays (not the struct).  NULL is allowed. */
void	libxc_page_batch_free(struct libxc_page_batch *b);

/* 1 if a page of this type nibble carries 4096 bytes of data. */
int	libxc_page_type_has_data(unsigned int type);

/* 1 if the type nibble is one Xen knows. */
int	libxc_page_type_valid(unsigned int type);

/* The PAGE_DATA entry for pfn and type. */
static inline uint64_t
libxc_pfn_word(uint64_t pfn, unsigned int type)
{
	return (pfn & LIBXC_PFN_MASK) |
	    (uint64_t)(type & 0xf) << LIBXC_PFN_TYPE_SHIFT;
}

/*
 * Encoders.  Each writes exactly the bytes named into out and cannot
 * fail unless noted.
 */
/* Image header, LIBXC_IHDR_SIZE bytes, little-endian stream. */
void	libxc_ihdr_encode(uint8_t *out, uint32_t version);
/* Domain header, LIBXC_DHDR_SIZE bytes. */
void	libxc_dhdr_encode(uint8_t *out, uint32_t type, uint32_t xen_major,
	    uint32_t xen_minor);
/* X86_PV_INFO body, 8 bytes. */
void	libxc_pv_info_encode(uint8_t *out, uint8_t width, uint8_t levels);
/* X86_TSC_INFO body, LIBXC_TSC_INFO_SIZE bytes. */
void	libxc_tsc_info_encode(uint8_t *out, uint32_t mode, uint32_t khz,
	    uint64_t nsec, uint32_t incarnation);
/* The 8-byte header of X86_PV_VCPU_* bodies. */
void	libxc_vcpu_hdr_encode(uint8_t *out, uint32_t vcpu_id);
/* The 8-byte header of PAGE_DATA bodies. */
void	libxc_page_data_hdr_encode(uint8_t *out, uint32_t count);
/* The 8-byte header of X86_PV_P2M_FRAMES bodies. */
void	libxc_p2m_hdr_encode(uint8_t *out, uint32_t start_pfn,
	    uint32_t end_pfn);
/*
 * Frame pfns an X86_PV_P2M_FRAMES record carries for start..end_pfn of
 * a guest of this width (4 or 8): the restorer's (end/fpp + 1 - start/fpp).
 */
uint32_t libxc_p2m_nr_frames(uint32_t start_pfn, uint32_t end_pfn,
	    uint8_t width);
/*
 * HVM_PARAMS body for n (index, value) pairs into out (cap bytes).
 * Returns bytes written (8 + 16 n) or -ENOSPC / -EINVAL (n too large).
 */
int	libxc_hvm_params_encode(uint8_t *out, size_t cap,
	    const uint64_t (*params)[2], uint32_t n);

#endif /* XMIG_LIBXC_STREAM_H */
