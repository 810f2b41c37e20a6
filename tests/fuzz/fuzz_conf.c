/*
 * fuzz_conf.c - libFuzzer target for xmigd.conf (lib/conf.c: lines,
 * keys, values, over-long lines, NUL bytes) and hosts-allow (lib/acl.c:
 * splitting, anchoring, the cost bound on repetitions, compiling,
 * matching).  The input is the file; a hosts-allow value that loads is
 * compiled and matched.  (This target found "n+++...+" making regcomp
 * take over a gigabyte: acl.c now bounds what a repetition expands to.)
 *
 * Build: see tests/fuzz/run-fuzz.sh.  Seeds: tests/fuzz/corpus/conf/
 */
#define _GNU_SOURCE
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "acl.h"
#include "conf.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct acl *acl = NULL;
	struct conf c;

	if (fd < 0) {
		log_init("fuzz", 1, LOG_LVL_ERR);
		if ((fd = memfd_create("fuzz_conf", 0)) < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) !=
	    (ssize_t)size)
		abort();
	conf_defaults(&c);
	if (conf_load(&c, path, 0) != 0)
		return 0;
	/* Every string the loader kept is a C string within its field. */
	if (strnlen(c.hosts_allow, sizeof(c.hosts_allow)) ==
	    sizeof(c.hosts_allow) ||
	    strnlen(c.sim_dir, sizeof(c.sim_dir)) == sizeof(c.sim_dir))
		abort();
	if (acl_new(c.hosts_allow, &acl) == 0) {
		(void)acl_match(acl, "127.0.0.1");
		(void)acl_match(acl, "localhost");
		(void)acl_match(acl, "");
		acl_free(acl);
	}
	return 0;
}
