/*
 * qevm.h - QEMU's device-state file, as a Xen device model writes it for
 * QMP "xen-save-devices-state" and as the libxl EMULATOR_CONTEXT record
 * of an HVM guest with the upstream device model ("qemu-xen") carries it.
 *
 * Layout (QEMU's migration/savevm.c; every integer big-endian):
 *   be32 magic "QEVM", be32 version 3,
 *   sections: u8 type 0x04 (FULL; 0x01 START in a live migration's
 *             stream), be32 section id, u8 n, idstr[n] (not NUL-ended),
 *             be32 instance id, be32 version id, then the device's state,
 *             whose length only the device's own description knows;
 *   u8 0x00 (EOF), the last byte.
 * Xen's device models write no configuration record, no section footers
 * and no description after EOF (their machines turn all three off); a
 * file from another QEMU may start with a configuration record (0x07,
 * be32 n, machine name[n]), which is read past.
 *
 * So what can be checked without each device's description: the magic,
 * the version, the optional configuration record, that the first section
 * header is well formed and fits, and that the file ends with EOF.
 */
#ifndef XMIG_QEVM_H
#define XMIG_QEVM_H

#include <stddef.h>
#include <stdint.h>

#include "srerr.h"

#define QEVM_MAGIC		UINT32_C(0x5145564d)	/* "QEVM" */
#define QEVM_VERSION		3
#define QEVM_VERSION_OLD	2	/* refused by QEMU: "obsolete" */

#define QEVM_SEC_EOF		0x00
#define QEVM_SEC_START		0x01
#define QEVM_SEC_PART		0x02
#define QEVM_SEC_END		0x03
#define QEVM_SEC_FULL		0x04
#define QEVM_SEC_CONFIGURATION	0x07

#define QEVM_HDR_SIZE		8	/* magic, version */
#define QEVM_IDSTR_MAX		255

/* What qevm_check() found. */
struct qevm_info {
	char		machine[QEVM_IDSTR_MAX + 1];	/* or "" */
	int		has_sections;	/* 0: header and EOF only */
	uint32_t	first_id;	/* the first section's id */
	char		first[QEVM_IDSTR_MAX + 1];	/* and its name */
	uint32_t	first_instance;
	uint32_t	first_version;
};

/*
 * Check the device-state file "buf" (len bytes, borrowed) as above.
 * "base" is the file's offset in the stream it came in, for the defect's
 * offset in e.  Fills *info.  Returns 0 or -EBADMSG with the first
 * defect in e.
 */
int	qevm_check(const void *buf, size_t len, uint64_t base,
	    struct qevm_info *info, struct srerr *e);

/*
 * Encoders for a device model that writes this format (the simulated
 * one): the header (QEVM_HDR_SIZE bytes) and a FULL section's header
 * (qevm_section_size(idstr) bytes, idstr at most QEVM_IDSTR_MAX bytes);
 * the state and the EOF byte follow as the caller writes them.
 */
void	qevm_put_header(uint8_t *p);
size_t	qevm_section_size(const char *idstr);
void	qevm_put_section(uint8_t *p, uint32_t section_id, const char *idstr,
	    uint32_t instance, uint32_t version);

#endif /* XMIG_QEVM_H */
