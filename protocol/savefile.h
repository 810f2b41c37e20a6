/*
 * savefile.h - writing complete save files and migration streams in the
 * order Xen 4.17 writes them, on top of stream_writer.h.
 *
 *   xl header (config JSON)                         [STREAM_FMT_XL]
 *   libxl header, LIBXC_CONTEXT                     [XL, LIBXL]
 *     libxc image header (v3), domain header
 *     PV:  X86_PV_INFO, [X86_CPUID_POLICY], [X86_MSR_POLICY],
 *          STATIC_DATA_END, X86_PV_P2M_FRAMES
 *     HVM: [X86_CPUID_POLICY], [X86_MSR_POLICY], STATIC_DATA_END
 *   ... PAGE_DATA records: stream_writer_page() between begin and end ...
 *     PV:  X86_TSC_INFO, SHARED_INFO, X86_PV_VCPU_BASIC per vcpu
 *     HVM: X86_TSC_INFO, HVM_CONTEXT, HVM_PARAMS
 *     libxc END
 *   HVM: [EMULATOR_XENSTORE_DATA], [EMULATOR_CONTEXT]  [XL, LIBXL]
 *   libxl END                                       [XL, LIBXL]
 *
 * Pages may be sent more than once (precopy rounds); the last copy wins.
 */
#ifndef XMIG_SAVEFILE_H
#define XMIG_SAVEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "stream_reader.h"
#include "stream_writer.h"

#define SAVEFILE_XEN_MAJOR	4
#define SAVEFILE_XEN_MINOR	17
#define HVM_PARAM_STORE_PFN	1
#define HVM_PARAM_CONSOLE_PFN	17

/* What to write; zero means the default noted.  Pointers are borrowed. */
struct savefile_params {
	enum stream_format	 format;	/* default STREAM_FMT_XL */
	uint32_t		 dom_type;	/* LIBXC_DOM_X86_PV or _HVM */
	const char		*config_json;	/* xl header; NULL: none */
	uint32_t		 xen_major;	/* 0: 4.17 */
	uint32_t		 xen_minor;
	uint64_t		 max_pfn;	/* highest guest pfn */
	uint32_t		 vcpus;		/* 0: 1 */
	/* X86_TSC_INFO */
	uint32_t		 tsc_mode;
	uint32_t		 tsc_khz;
	uint64_t		 tsc_nsec;
	uint32_t		 tsc_incarnation;
	/* Optional static data (serialised xen_cpuid_leaf_t / msr). */
	const void		*cpuid_policy;
	size_t			 cpuid_policy_len;
	const void		*msr_policy;
	size_t			 msr_policy_len;
	/* x86 PV */
	uint8_t			 pv_width;	/* 0: 8 (64-bit) */
	uint8_t			 pv_levels;	/* 0: 4 */
	const uint64_t		*p2m_frames;	/* NULL: 0, 1, 2, ... */
	const void		*shared_info;	/* 4096 bytes; NULL: zeros */
	const void *const	*vcpu_basic;	/* per vcpu; NULL: zeros */
	/* x86 HVM */
	const void		*hvm_context;	/* NULL: a minimal image */
	size_t			 hvm_context_len;
	const uint64_t		(*hvm_params)[2]; /* NULL: store/console */
	uint32_t		 nr_hvm_params;
	uint64_t		 store_pfn;	/* default params; 0: unset */
	uint64_t		 console_pfn;
	/* libxl emulator records (HVM only; NULL: not written) */
	uint32_t		 emulator_id;	/* 0: qemu-upstream */
	const void		*xenstore_data;
	size_t			 xenstore_data_len;
	const void		*emulator_context;
	size_t			 emulator_context_len;
};

/*
 * Write everything before the first PAGE_DATA.  Returns 0, -EINVAL
 * (inconsistent parameters) or the writer's error.
 */
int	savefile_begin(struct stream_writer *w, const struct savefile_params *p);

/*
 * Write the pending pages and everything after the last PAGE_DATA, then
 * flush the writer.  Returns 0, -EINVAL or the writer's error.
 */
int	savefile_end(struct stream_writer *w, const struct savefile_params *p);

/*
 * Write a whole stream whose guest memory is "memory" (max_pfn + 1 pages,
 * every page sent once as a normal page).  For tests, tools and the
 * simulated host.  Returns 0 or a negative errno.
 */
int	savefile_write(struct stream_writer *w, const struct savefile_params *p,
	    const uint8_t *memory);

#endif /* XMIG_SAVEFILE_H */
