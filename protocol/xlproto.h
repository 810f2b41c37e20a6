/*
 * xlproto.h - xl's migration protocol (Xen 4.17, tools/xl/xl_migrate.c):
 * the fixed messages of its handshake, and the facts a receiver needs
 * from the domain configuration in the xl header.
 *
 *   sender (xl migrate)               receiver (xl migrate-receive)
 *                               <-    banner (no NUL)
 *   xl header, libxl stream     ->
 *                               <-    "ready" (with its NUL)
 *   (rename NAME--migratedaway)
 *   "go" (with its NUL)         ->
 *                                     (rename NAME--incoming to NAME,
 *                                      unpause unless -p)
 *                               <-    "report" (with its NUL), status
 *                                     byte: 0 runs, else -(libxl error)
 *   status 0: destroy its copy
 *   else                        <-    "go" again (with its NUL) once the
 *                                     receiver destroyed its copy: the
 *                                     sender may resume its own
 *
 * The banner is written without its NUL, every other message with it:
 * the lengths below are the bytes on the wire.
 */
#ifndef XMIG_XLPROTO_H
#define XMIG_XLPROTO_H

#include <stddef.h>
#include <stdint.h>

#define XLPROTO_BANNER	"xl migration receiver ready, send binary domain data.\n"
#define XLPROTO_READY	"domain received, ready to unpause"
#define XLPROTO_GO	"domain is yours, you are cleared to unpause"
#define XLPROTO_REPORT	"my copy unpause results are as follows"

#define XLPROTO_BANNER_LEN	(sizeof(XLPROTO_BANNER) - 1)
#define XLPROTO_READY_LEN		sizeof(XLPROTO_READY)
#define XLPROTO_GO_LEN		sizeof(XLPROTO_GO)
#define XLPROTO_REPORT_LEN	sizeof(XLPROTO_REPORT)
#define XLPROTO_MSG_MAX		XLPROTO_BANNER_LEN	/* the longest */

/* The status byte of a receiver that could not start its copy. */
#define XLPROTO_STATUS_FAILED	3	/* -ERROR_FAIL */

/* Which fixed message is expected, for xlproto_msg() and messages. */
enum xlproto_msg {
	XLPROTO_MSG_BANNER = 0,
	XLPROTO_MSG_READY,
	XLPROTO_MSG_GO,
	XLPROTO_MSG_REPORT,
};

/* The bytes of message "m" on the wire (*len set), and its name. */
const void *xlproto_msg(enum xlproto_msg m, size_t *len);
const char *xlproto_msg_name(enum xlproto_msg m);

/*
 * Check that buf (len bytes, as read) is exactly message "m".  Returns
 * 0, -EPROTO for other bytes, -ENODATA when len is short of it.
 */
int	xlproto_msg_check(enum xlproto_msg m, const uint8_t *buf, size_t len);

/* Largest domain name taken from a configuration, with its NUL. */
#define XLPROTO_NAME_MAX	64
#define XLPROTO_VCPUS_MAX	4096

/* What a receiver learns from the libxl domain configuration. */
struct xlproto_facts {
	char		name[XLPROTO_NAME_MAX];	/* c_info.name */
	uint8_t		uuid[16];		/* c_info.uuid */
	int		has_uuid;
	char		type[8];	/* c_info.type: pv, pvh, hvm */
	uint64_t	max_memkb;	/* b_info.max_memkb */
	unsigned	vcpus;		/* b_info.max_vcpus, default 1 */
};

/*
 * Read the facts from a libxl JSON configuration (text, len bytes, a
 * trailing NUL allowed, none inside).  A name, a type of pv, pvh or hvm
 * and a positive max_memkb are required; a uuid that is present must
 * parse.  Returns 0, or -EINVAL with a reason for people in why.
 */
int	xlproto_config_facts(const char *text, size_t len,
	    struct xlproto_facts *f, char *why, size_t whylen);

struct reloc_msg;

/*
 * Fill the fields of a RESERVE (protocol/reloc.h) that the facts give:
 * name, uuid, type, memkb and vcpus.  The rest of *m is left alone.
 */
void	xlproto_facts_reserve(const struct xlproto_facts *f,
	    struct reloc_msg *m);

#endif /* XMIG_XLPROTO_H */
