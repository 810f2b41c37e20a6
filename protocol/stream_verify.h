/*
 * stream_verify.h - check a whole save file or stream and summarise it
 * (what "xmig verify" prints).
 */
#ifndef XMIG_STREAM_VERIFY_H
#define XMIG_STREAM_VERIFY_H

#include <stdint.h>

#include "libxc_stream.h"
#include "libxl_stream.h"
#include "qevm.h"
#include "stream_reader.h"
#include "srerr.h"

#define STREAM_VERIFY_NAME_MAX	128

struct stream_summary {
	enum stream_format fmt;
	uint64_t	bytes;			/* input consumed */
	/* xl header (fmt == STREAM_FMT_XL) */
	int		have_xl;
	uint32_t	xl_mandatory_flags;
	uint32_t	xl_optional_flags;
	uint32_t	xl_optional_data_len;
	uint32_t	config_len;
	int		config_json;		/* config is JSON */
	int		have_name;
	char		name[STREAM_VERIFY_NAME_MAX];	/* c_info.name */
	char		type[16];		/* c_info.type, "" if absent */
	int64_t		max_memkb;		/* b_info; -1 if absent */
	int64_t		target_memkb;
	/* libxl */
	int		have_libxl;
	uint32_t	libxl_version;
	uint32_t	libxl_options;
	uint32_t	libxl_records[LIBXL_REC_NR];
	uint32_t	emulator_id;		/* EMULATOR_CONTEXT's, if any */
	uint32_t	emulator_len;		/* its device state, bytes */
	int		have_qevm;		/* upstream QEMU's state, checked */
	struct qevm_info qevm;
	/* libxc */
	uint32_t	libxc_version;
	uint32_t	dom_type;
	uint32_t	xen_major;
	uint32_t	xen_minor;
	uint32_t	libxc_records[LIBXC_REC_NR];
	uint32_t	optional_records;	/* unknown optional, skipped */
	uint64_t	pages;			/* PAGE_DATA pages with data */
	uint64_t	pfns;			/* PAGE_DATA entries */
	uint64_t	max_pfn;		/* highest pfn seen */
	uint32_t	vcpus;			/* PV basic state / HVM CPUs */
	int		have_tsc;
	uint32_t	tsc_mode;
	uint32_t	tsc_khz;
	uint8_t		pv_width;
	uint8_t		pv_levels;
};

/*
 * Read the whole input through read(opaque, ...), as format fmt, checking
 * every header and record, that nothing follows the end, (for xl files
 * with a JSON config) that the config parses, and that an upstream QEMU's
 * EMULATOR_CONTEXT holds a device-state file (qevm_check()).  Fills *sum as far as
 * it got.  Returns 0 or a negative errno with the first defect in e.
 */
int	stream_verify(enum stream_format fmt, stream_read_fn read,
	    void *opaque, struct stream_summary *sum, struct srerr *e);

#endif /* XMIG_STREAM_VERIFY_H */
