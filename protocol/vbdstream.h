/*
 * vbdstream.h - the disks' part of a migration (lib/vbdmig.h): the disk
 * list a RESERVE carries, and the records of the disk copy.
 *
 * Disk list ("disks" of RESERVE): one line per disk, "VDEV SIZE NAME\n":
 * the guest's device name ([a-z0-9], up to 15 bytes), the size in bytes,
 * and the image's file name at the destination (letters, digits, ".",
 * "_", "-", "+", not starting with "."; up to 127 bytes): a name, never
 * a path, so the destination writes only inside its storage
 * directories.  At most VBD_DISKS_MAX lines.
 *
 * Records: a 24-byte head, big-endian, then for DATA its payload:
 *   u32 type    VBD_REC_*
 *   u32 disk    index in the disk list
 *   u64 offset  DATA, ZERO: bytes into the disk; ROUND: round number
 *   u32 length  DATA, ZERO: bytes (DATA: at most VBD_DATA_MAX); else 0
 *   u32 zero    reserved, 0
 * DATA writes its payload at offset; ZERO makes the range read as zeros;
 * ROUND ends a round of the copy (for progress); END ends a section.
 * Every range lies within its disk.  Pure: no I/O.
 */
#ifndef XMIG_PROTO_VBDSTREAM_H
#define XMIG_PROTO_VBDSTREAM_H

#include <stddef.h>
#include <stdint.h>

#define VBD_DISKS_MAX	8
#define VBD_REC_HDR	24
#define VBD_DATA_MAX	(1u << 20)
#define VBD_SIZE_MAX	(UINT64_C(1) << 50)
#define VBD_VDEV_MAX	16
#define VBD_NAME_MAX	128

enum vbd_rec_type {
	VBD_REC_DATA = 1,
	VBD_REC_ZERO = 2,
	VBD_REC_ROUND = 3,
	VBD_REC_END = 4,
};

struct vbd_rec {
	uint32_t	type;
	uint32_t	disk;
	uint64_t	offset;
	uint32_t	length;
};

struct vbd_spec_disk {
	char		vdev[VBD_VDEV_MAX];
	uint64_t	size;
	char		name[VBD_NAME_MAX];
};

struct vbd_spec {
	unsigned	n;
	struct vbd_spec_disk d[VBD_DISKS_MAX];
};

/* Write the head of *r into buf. */
void	vbd_rec_encode(uint8_t buf[VBD_REC_HDR], const struct vbd_rec *r);

/*
 * Decode and check a head against the disks of s: a known type, a disk
 * index in range, a range within the disk, the reserved word 0.  0, or
 * -EPROTO with *why (static text).
 */
int	vbd_rec_decode(const uint8_t buf[VBD_REC_HDR],
	    const struct vbd_spec *s, struct vbd_rec *r, const char **why);

/* Is "name" acceptable as an image's file name?  1 or 0. */
int	vbd_name_ok(const char *name);

/*
 * Parse a disk list ("text" NUL-terminated).  0, or -EPROTO with a
 * reason for people in why.  *s is zeroed first.
 */
int	vbd_spec_parse(const char *text, struct vbd_spec *s, char *why,
	    size_t whylen);

/*
 * Write the disk list of s into buf.  0, or -ENAMETOOLONG when it does
 * not fit or a field is not acceptable.
 */
int	vbd_spec_format(const struct vbd_spec *s, char *buf, size_t len);

#endif /* XMIG_PROTO_VBDSTREAM_H */
