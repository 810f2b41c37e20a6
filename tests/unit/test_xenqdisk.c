/*
 * test_xenqdisk.c - a qdisk disk's copy through QEMU (lib/xen/
 * xen_qdisk.c) against a real QEMU (qemu-system-x86_64, no Xen: a raw
 * image as a block node, the monitor on libxl's socket path), with
 * libnbd: the node found by its file name, every write of a round in
 * its dirty blocks and none of the next round's, the data read back,
 * and nothing of xmig's left in QEMU after (bitmaps, exports, the NBD
 * server and its socket).  Skipped (77) without qemu-system-x86_64.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libnbd.h>
#include <yajl/yajl_tree.h>

#include "log.h"
#include "qmp.h"
#include "xen_dm.h"
#include "xen_qdisk.h"

#define QEMU		"qemu-system-x86_64"
#define DISK_SIZE	(8u << 20)
#define BLOCK		65536u
#define NBLOCKS		(DISK_SIZE / BLOCK)

static char dir[] = "/tmp/xmig-test-xenqdisk-XXXXXX";
static char img[128], img2[128], sock[128];
static const uint8_t uuid[16];
static pid_t qemu;

static void
qemu_start(struct xen_dm *dm)
{
	char blk[256], blk2[256], qmp[256];
	struct stat st;
	int fd, i;

	log_init("test", 1, LOG_LVL_ERR);
	snprintf(dir, sizeof(dir), "/tmp/xmig-test-xenqdisk-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	snprintf(img2, sizeof(img2), "%s/disk2.img", dir);
	snprintf(sock, sizeof(sock), "%s/nbd", dir);
	ck_assert_int_ge(fd = open(img, O_RDWR | O_CREAT, 0600), 0);
	ck_assert_int_eq(ftruncate(fd, DISK_SIZE), 0);
	close(fd);
	ck_assert_int_ge(fd = open(img2, O_RDWR | O_CREAT, 0600), 0);
	ck_assert_int_eq(ftruncate(fd, DISK_SIZE), 0);
	close(fd);
	ck_assert_int_eq(xen_dm_init(dm, 3, uuid, dir, dir), 0);
	snprintf(blk, sizeof(blk), "driver=file,filename=%s,node-name=f0",
	    img);
	snprintf(blk2, sizeof(blk2), "driver=file,filename=%s,"
	    "node-name=f1", img2);
	snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", dm->sock);
	if ((qemu = fork()) == 0) {
		/* Gone with the test, even one that fails half-way. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		execlp(QEMU, QEMU, "-machine", "none", "-nodefaults",
		    "-display", "none", "-blockdev", blk, "-blockdev",
		    "driver=raw,file=f0,node-name=xvda", "-blockdev", blk2,
		    "-blockdev", "driver=raw,file=f1,node-name=xvdb",
		    "-qmp", qmp,
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200 && stat(dm->sock, &st) != 0; i++)
		usleep(50000);
	ck_assert_int_eq(stat(dm->sock, &st), 0);
}

static void
qemu_stop(void)
{
	char cmd[200];

	/* Still there: nothing xmig did brought it down. */
	ck_assert_int_eq(waitpid(qemu, NULL, WNOHANG), 0);
	kill(qemu, SIGTERM);
	waitpid(qemu, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)system(cmd);
}

/*
 * The guest: a writable export of NODE on the NBD server xmig started,
 * so that its writes go through the node as the guest's do.  Deleted
 * ("hard": QEMU closes the connection itself) before the connection is
 * closed here.
 */
struct writer {
	struct nbd_handle	*h;
	char			 id[32];
};

static void
writer_open(const struct xen_dm *dm, struct writer *w, const char *node)
{
	struct xen_dm_conn c;
	char args[256];

	snprintf(w->id, sizeof(w->id), "w-%s", node);
	snprintf(args, sizeof(args), "{\"type\": \"nbd\", \"id\": \"%s\", "
	    "\"node-name\": \"%s\", \"writable\": true}", w->id, node);
	ck_assert_int_eq(xen_dm_open(dm, &c), 0);
	ck_assert_int_eq(xen_dm_exec(dm, &c, "block-export-add", args, 5000),
	    0);
	xen_dm_close(dm, &c);
	ck_assert_ptr_nonnull(w->h = nbd_create());
	ck_assert_int_eq(nbd_set_export_name(w->h, node), 0);
	ck_assert_int_eq(nbd_connect_unix(w->h, sock), 0);
}

static void
writer_close(const struct xen_dm *dm, struct writer *w)
{
	struct xen_dm_conn c;
	char args[256];

	snprintf(args, sizeof(args), "{\"id\": \"%s\", \"mode\": \"hard\"}",
	    w->id);
	ck_assert_int_eq(xen_dm_open(dm, &c), 0);
	ck_assert_int_eq(xen_dm_exec(dm, &c, "block-export-del", args, 5000),
	    0);
	xen_dm_close(dm, &c);
	nbd_close(w->h);
	usleep(200000);		/* QEMU lets the export go */
}

/* LEN bytes of BYTE at OFF. */
static void
guest_write(struct writer *w, int byte, uint64_t off, unsigned len)
{
	uint8_t buf[8192];

	ck_assert_uint_le(len, sizeof(buf));
	memset(buf, byte, len);
	ck_assert_int_eq(nbd_pwrite(w->h, buf, len, off, 0), 0);
}

/* Bitmaps on every node, and exports, left in QEMU. */
static size_t
leftovers(const struct xen_dm *dm)
{
	const char *bm[] = { "dirty-bitmaps", NULL };
	struct xen_dm_conn c;
	struct qmp_msg m;
	char why[256];
	size_t i, n = 0;
	yajl_val b;

	ck_assert_int_eq(xen_dm_open(dm, &c), 0);
	ck_assert_int_eq(xen_dm_call(dm, &c, "query-named-block-nodes",
	    NULL, &m, why, sizeof(why)), 0);
	for (i = 0; i < m.value->u.array.len; i++)
		if ((b = yajl_tree_get(m.value->u.array.values[i], bm,
		    yajl_t_array)) != NULL)
			n += b->u.array.len;
	qmp_msg_clear(&m);
	ck_assert_int_eq(xen_dm_call(dm, &c, "query-block-exports", NULL,
	    &m, why, sizeof(why)), 0);
	n += m.value->u.array.len;
	qmp_msg_clear(&m);
	xen_dm_close(dm, &c);
	return n;
}

/*
 * leftovers(), once it is "want": a hard export deletion completes in
 * QEMU after the command returns (bounded wait, 5 s).
 */
static size_t
leftovers_settle(const struct xen_dm *dm, size_t want)
{
	size_t n;
	int i;

	for (i = 0; i < 100 && (n = leftovers(dm)) != want; i++)
		usleep(50000);
	return n;
}

/* 1 if v is a string naming one of xmig's. */
static int
is_xmig(yajl_val v)
{
	const char *s = v != NULL ? YAJL_GET_STRING(v) : NULL;

	return s != NULL && strncmp(s, "xmig-", 5) == 0;
}

/* Names of xmig's (bitmaps, exports) left in QEMU. */
static size_t
xmig_names(const struct xen_dm *dm)
{
	const char *bm[] = { "dirty-bitmaps", NULL }, *id[] = { "id", NULL };
	const char *name[] = { "name", NULL };
	struct xen_dm_conn c;
	struct qmp_msg m;
	char why[256];
	size_t i, j, n = 0;
	yajl_val b;

	ck_assert_int_eq(xen_dm_open(dm, &c), 0);
	ck_assert_int_eq(xen_dm_call(dm, &c, "query-named-block-nodes",
	    NULL, &m, why, sizeof(why)), 0);
	for (i = 0; i < m.value->u.array.len; i++) {
		if ((b = yajl_tree_get(m.value->u.array.values[i], bm,
		    yajl_t_array)) == NULL)
			continue;
		for (j = 0; j < b->u.array.len; j++)
			if (is_xmig(yajl_tree_get(b->u.array.values[j],
			    name, yajl_t_string)))
				n++;
	}
	qmp_msg_clear(&m);
	ck_assert_int_eq(xen_dm_call(dm, &c, "query-block-exports", NULL,
	    &m, why, sizeof(why)), 0);
	for (i = 0; i < m.value->u.array.len; i++)
		if (is_xmig(yajl_tree_get(m.value->u.array.values[i], id,
		    yajl_t_string)))
			n++;
	qmp_msg_clear(&m);
	xen_dm_close(dm, &c);
	return n;
}

/*
 * An attempt that dies in another process (its own PID in its names)
 * with the disk "path" tracked: how far it got by "how"; 0 the disk
 * exported and read with libnbd, 1 in the middle of a round (two
 * bitmaps, the round's export).  Killed: nothing of it is undone.
 */
static void
dead_attempt(const struct xen_dm *dm, const char *path, int how)
{
	struct xen_qdisk qd;
	pid_t pid;
	int st;

	if ((pid = fork()) == 0) {
		if (xen_qdisk_open(&qd, dm, 0, path, sock, DISK_SIZE) != 0 ||
		    (how == 1 && xen_qdisk_round(&qd) != 0))
			_exit(1);
		raise(SIGKILL);
		_exit(2);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

/* A bitmap named as xmig 0.1 named them (no PID), on node "node". */
static void
old_bitmap(const struct xen_dm *dm, const char *node)
{
	struct xen_dm_conn c;
	char args[256];

	snprintf(args, sizeof(args), "{\"node\": \"%s\", \"name\": "
	    "\"xmig-0-0\"}", node);
	ck_assert_int_eq(xen_dm_open(dm, &c), 0);
	ck_assert_int_eq(xen_dm_exec(dm, &c, "block-dirty-bitmap-add", args,
	    5000), 0);
	xen_dm_close(dm, &c);
}

static int
bit(const uint64_t *bits, unsigned b)
{
	return (bits[b / 64] >> (b % 64)) & 1;
}

static unsigned
nset(const uint64_t *bits)
{
	unsigned b, n = 0;

	for (b = 0; b < NBLOCKS; b++)
		n += bit(bits, b);
	return n;
}

START_TEST(test_xenqdisk_rounds)
{
	uint64_t bits[(NBLOCKS + 63) / 64];
	struct xen_qdisk qd;
	struct writer w;
	struct xen_dm dm;
	uint8_t buf[4096];
	struct stat st;

	qemu_start(&dm);
	ck_assert_int_eq(xen_qdisk_open(&qd, &dm, 0, "/no/such.img", sock,
	    DISK_SIZE), -ENOENT);
	ck_assert_int_eq(xen_qdisk_open(&qd, &dm, 0, img, sock, DISK_SIZE),
	    0);
	ck_assert_str_eq(qd.node, "xvda");
	writer_open(&dm, &w, "xvda");
	/* Round 1: two writes, one across a block boundary. */
	guest_write(&w, 0x55, 65536, 4096);
	guest_write(&w, 0x66, 3 * BLOCK - 512, 1024);
	memset(bits, 0, sizeof(bits));
	ck_assert_int_eq(xen_qdisk_dirty(&qd, BLOCK, bits, NBLOCKS), 0);
	ck_assert_uint_eq(nset(bits), 3);
	ck_assert(bit(bits, 1) && bit(bits, 2) && bit(bits, 3));
	/* Round 2: only what came after round 1 closed. */
	guest_write(&w, 0x77, DISK_SIZE - 4096, 4096);
	memset(bits, 0, sizeof(bits));
	ck_assert_int_eq(xen_qdisk_dirty(&qd, BLOCK, bits, NBLOCKS), 0);
	ck_assert_uint_eq(nset(bits), 1);
	ck_assert(bit(bits, NBLOCKS - 1));
	/* Round 3: nothing written. */
	memset(bits, 0, sizeof(bits));
	ck_assert_int_eq(xen_qdisk_dirty(&qd, BLOCK, bits, NBLOCKS), 0);
	ck_assert_uint_eq(nset(bits), 0);
	/* The data as the guest wrote it. */
	ck_assert_int_eq(xen_qdisk_read(&qd, 65536, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(buf[0], 0x55);
	ck_assert_uint_eq(buf[4095], 0x55);
	ck_assert_int_eq(xen_qdisk_read(&qd, DISK_SIZE - 1, buf, 2),
	    -EINVAL);
	ck_assert_int_eq(xen_qdisk_dirty(&qd, BLOCK, bits, NBLOCKS + 1),
	    -EINVAL);
	writer_close(&dm, &w);
	/* While it runs: the recording bitmap and the disk's export. */
	ck_assert_uint_eq(leftovers(&dm), 2);
	xen_qdisk_stop(&qd);
	ck_assert_uint_eq(leftovers(&dm), 0);
	ck_assert_int_ne(stat(sock, &st), 0);
	ck_assert_int_ne(stat(dm.lock, &st), 0);
	qemu_stop();
}
END_TEST

/* Two disks of one QEMU: one NBD server, started by the first. */
START_TEST(test_xenqdisk_two)
{
	uint64_t bits[(NBLOCKS + 63) / 64];
	struct xen_qdisk qd0, qd1;
	struct writer w;
	struct xen_dm dm;
	uint8_t buf[512];
	struct stat st;

	qemu_start(&dm);
	ck_assert_int_eq(xen_qdisk_open(&qd0, &dm, 0, img, sock, DISK_SIZE),
	    0);
	ck_assert_int_eq(xen_qdisk_open(&qd1, &dm, 1, img2, sock,
	    DISK_SIZE), 0);
	ck_assert_str_eq(qd1.node, "xvdb");
	ck_assert_int_eq(qd0.server, 1);
	ck_assert_int_eq(qd1.server, 0);
	writer_open(&dm, &w, "xvdb");
	guest_write(&w, 0x44, 5 * BLOCK, 512);
	memset(bits, 0, sizeof(bits));
	ck_assert_int_eq(xen_qdisk_dirty(&qd0, BLOCK, bits, NBLOCKS), 0);
	ck_assert_uint_eq(nset(bits), 0);
	ck_assert_int_eq(xen_qdisk_dirty(&qd1, BLOCK, bits, NBLOCKS), 0);
	ck_assert_uint_eq(nset(bits), 1);
	ck_assert(bit(bits, 5));
	ck_assert_int_eq(xen_qdisk_read(&qd1, 5 * BLOCK, buf, sizeof(buf)),
	    0);
	ck_assert_uint_eq(buf[511], 0x44);
	writer_close(&dm, &w);
	/* Two bitmaps, two exports. */
	ck_assert_uint_eq(leftovers(&dm), 4);
	xen_qdisk_stop(&qd1);
	ck_assert_int_eq(stat(sock, &st), 0);
	xen_qdisk_stop(&qd0);
	ck_assert_uint_eq(leftovers(&dm), 0);
	ck_assert_int_ne(stat(sock, &st), 0);
	qemu_stop();
}
END_TEST

/*
 * Bitmaps left by attempts that died (one mid-round, an older one with
 * the same name as the new attempt's first would have had): the new
 * attempt removes them, tracks and reads the disk, and leaves nothing.
 */
START_TEST(test_xenqdisk_stale_bitmaps)
{
	uint64_t bits[(NBLOCKS + 63) / 64];
	struct xen_qdisk qd;
	struct writer w;
	struct xen_dm dm;
	struct stat st;

	qemu_start(&dm);
	dead_attempt(&dm, img, 1);
	old_bitmap(&dm, "xvda");
	/* Its bitmaps (2), the old one, its exports (data, round). */
	ck_assert_uint_eq(xmig_names(&dm), 5);
	ck_assert_int_eq(xen_qdisk_open(&qd, &dm, 0, img, sock, DISK_SIZE),
	    0);
	/* Its server, on our socket, taken over. */
	ck_assert_int_eq(qd.server, 1);
	ck_assert_uint_eq(leftovers_settle(&dm, 2), 2);
	writer_open(&dm, &w, "xvda");
	guest_write(&w, 0x31, 7 * BLOCK, 512);
	memset(bits, 0, sizeof(bits));
	ck_assert_int_eq(xen_qdisk_dirty(&qd, BLOCK, bits, NBLOCKS), 0);
	ck_assert_uint_eq(nset(bits), 1);
	ck_assert(bit(bits, 7));
	writer_close(&dm, &w);
	xen_qdisk_stop(&qd);
	ck_assert_uint_eq(leftovers_settle(&dm, 0), 0);
	ck_assert_int_ne(stat(sock, &st), 0);
	qemu_stop();
}
END_TEST

/*
 * An xmig killed with its export up and a client of it connected (its
 * NBD server left running), on the first of two disks: the new attempt
 * copies both, QEMU stays up, nothing of xmig's is left after.  Then
 * the same with the server's socket gone: the server, serving nothing,
 * is stopped and started again.
 */
START_TEST(test_xenqdisk_stale_export)
{
	uint64_t bits[(NBLOCKS + 63) / 64];
	struct xen_qdisk qd0, qd1;
	struct xen_dm dm;
	uint8_t buf[512];
	struct stat st;
	int round;

	qemu_start(&dm);
	for (round = 0; round < 2; round++) {
		dead_attempt(&dm, img, 0);
		/* Its bitmap and its export. */
		ck_assert_uint_eq(xmig_names(&dm), 2);
		ck_assert_int_eq(stat(sock, &st), 0);
		if (round == 1)
			ck_assert_int_eq(unlink(sock), 0);
		ck_assert_int_eq(xen_qdisk_open(&qd0, &dm, 0, img, sock,
		    DISK_SIZE), 0);
		ck_assert_int_eq(xen_qdisk_open(&qd1, &dm, 1, img2, sock,
		    DISK_SIZE), 0);
		ck_assert_int_eq(qd0.server, 1);
		ck_assert_int_eq(qd1.server, 0);
		ck_assert_uint_eq(leftovers_settle(&dm, 4), 4);
		memset(bits, 0, sizeof(bits));
		ck_assert_int_eq(xen_qdisk_dirty(&qd0, BLOCK, bits, NBLOCKS),
		    0);
		ck_assert_uint_eq(nset(bits), 0);
		ck_assert_int_eq(xen_qdisk_read(&qd1, 0, buf, sizeof(buf)),
		    0);
		xen_qdisk_stop(&qd1);
		xen_qdisk_stop(&qd0);
		ck_assert_uint_eq(leftovers_settle(&dm, 0), 0);
		ck_assert_int_ne(stat(sock, &st), 0);
	}
	qemu_stop();
}
END_TEST

/* What "xmig recover" does: everything of xmig's swept, server too. */
START_TEST(test_xenqdisk_sweep)
{
	struct xen_dm dm;
	struct stat st;

	qemu_start(&dm);
	dead_attempt(&dm, img, 1);
	old_bitmap(&dm, "xvdb");
	ck_assert_uint_eq(xmig_names(&dm), 5);
	ck_assert_int_eq(xen_qdisk_sweep(&dm, sock), 0);
	ck_assert_uint_eq(leftovers_settle(&dm, 0), 0);
	ck_assert_int_ne(stat(sock, &st), 0);
	/* Nothing left: nothing to do. */
	ck_assert_int_eq(xen_qdisk_sweep(&dm, sock), 0);
	qemu_stop();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("xenqdisk");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	char *path, *p, *save = NULL, exe[512];
	int failed, found = 0;

	if ((path = getenv("PATH")) != NULL && (path = strdup(path)) != NULL) {
		for (p = strtok_r(path, ":", &save); p != NULL && !found;
		    p = strtok_r(NULL, ":", &save)) {
			snprintf(exe, sizeof(exe), "%s/" QEMU, p);
			found = access(exe, X_OK) == 0;
		}
		free(path);
	}
	if (!found) {
		fprintf(stderr, "SKIP: no " QEMU "\n");
		return 77;
	}
	tcase_add_test(tc, test_xenqdisk_rounds);
	tcase_add_test(tc, test_xenqdisk_two);
	tcase_add_test(tc, test_xenqdisk_stale_bitmaps);
	tcase_add_test(tc, test_xenqdisk_stale_export);
	tcase_add_test(tc, test_xenqdisk_sweep);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
