/*
 * test_vbd.c - the disks of a migration: the disk list and record heads
 * (protocol/vbdstream.c), the destination's placement of images under
 * storage-dir and its config rewrite (lib/vbdmig.c), a qdisk's params
 * and the untracked copy (lib/vbdxs.c).
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vbdmig.h"
#include "vbdstream.h"
#include "vbdxs.h"

START_TEST(test_vbd_spec_round_trip)
{
	struct vbd_spec s, s2;
	char why[128], buf[512];

	ck_assert_int_eq(vbd_spec_parse("xvda 1073741824 web-0.img\n"
	    "xvdb 65536 web+1.raw\n", &s, why, sizeof(why)), 0);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(s.d[0].vdev, "xvda");
	ck_assert_uint_eq(s.d[0].size, UINT64_C(1073741824));
	ck_assert_str_eq(s.d[1].name, "web+1.raw");
	ck_assert_int_eq(vbd_spec_format(&s, buf, sizeof(buf)), 0);
	ck_assert_int_eq(vbd_spec_parse(buf, &s2, why, sizeof(why)), 0);
	ck_assert_int_eq(memcmp(&s, &s2, sizeof(s)), 0);
	ck_assert_int_eq(vbd_spec_format(&s, buf, 20), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_vbd_spec_rejects)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "no disk" },
		{ "xvda 65536 a.img", "without its newline" },
		{ "xvda 65536 ../x\n", "bad image name" },
		{ "xvda 65536 /etc/passwd\n", "bad image name" },
		{ "xvda 65536 .x\n", "bad image name" },
		{ "xvda 65536 a b\n", "expected VDEV SIZE NAME" },
		{ "XVDA 65536 a\n", "bad device name" },
		{ "xvda 0 a\n", "bad size" },
		{ "xvda 012 a\n", "bad size" },
		{ "xvda 99999999999999999 a\n", "bad size" },
		{ "xvda 65536 a\nxvdb 65536 a\n", "two disks of one name" },
		{ "xvda 65536 a\nxvda 65536 b\n", "two disks of one name" },
	};
	struct vbd_spec s;
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(vbd_spec_parse(bad[i].text, &s, why,
		    sizeof(why)), -EPROTO);
		ck_assert_msg(strstr(why, bad[i].why) != NULL, "%s: %s",
		    bad[i].text, why);
		ck_assert_uint_eq(s.n, 0);
	}
}
END_TEST

START_TEST(test_vbd_rec_checks)
{
	struct vbd_spec s;
	struct vbd_rec r = { VBD_REC_DATA, 1, 4096, 4096 }, out;
	uint8_t h[VBD_REC_HDR];
	const char *why;
	char w[64];

	ck_assert_int_eq(vbd_spec_parse("xvda 1048576 a\nxvdb 8192 b\n", &s,
	    w, sizeof(w)), 0);
	vbd_rec_encode(h, &r);
	ck_assert_int_eq(vbd_rec_decode(h, &s, &out, &why), 0);
	ck_assert_uint_eq(out.offset, 4096);
	ck_assert_uint_eq(out.length, 4096);
	r.offset = 4097;		/* one byte past the end of xvdb */
	vbd_rec_encode(h, &r);
	ck_assert_int_eq(vbd_rec_decode(h, &s, &out, &why), -EPROTO);
	ck_assert_str_eq(why, "range past the end of the disk");
	r.offset = UINT64_MAX - 10;	/* no wrap-around */
	vbd_rec_encode(h, &r);
	ck_assert_int_eq(vbd_rec_decode(h, &s, &out, &why), -EPROTO);
	r.offset = 0;
	r.disk = 2;
	vbd_rec_encode(h, &r);
	ck_assert_int_eq(vbd_rec_decode(h, &s, &out, &why), -EPROTO);
	ck_assert_str_eq(why, "no such disk");
	r.disk = 0;
	r.length = VBD_DATA_MAX + 1;
	vbd_rec_encode(h, &r);
	ck_assert_int_eq(vbd_rec_decode(h, &s, &out, &why), -EPROTO);
	r.type = VBD_REC_ZERO;		/* a ZERO range may be larger */
	vbd_rec_encode(h, &r);
	ck_assert_int_eq(vbd_rec_decode(h, &s, &out, &why), -EPROTO);
	r.length = 1048576;
	vbd_rec_encode(h, &r);
	ck_assert_int_eq(vbd_rec_decode(h, &s, &out, &why), 0);
	r.type = VBD_REC_END;
	vbd_rec_encode(h, &r);
	ck_assert_int_eq(vbd_rec_decode(h, &s, &out, &why), -EPROTO);
	h[23] = 1;
	ck_assert_int_eq(vbd_rec_decode(h, &s, &out, &why), -EPROTO);
	ck_assert_str_eq(why, "reserved word not zero");
}
END_TEST

static void
mkdirs(char *base, size_t len, char *a, char *b)
{
	snprintf(base, len, "/tmp/xmig-test-vbd.XXXXXX");
	ck_assert_uint_lt(strlen(base), 64);
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(a, PATH_MAX, "%.63s/a", base);
	snprintf(b, PATH_MAX, "%.63s/b", base);
	ck_assert_int_eq(mkdir(a, 0700), 0);
	ck_assert_int_eq(mkdir(b, 0700), 0);
}

START_TEST(test_vbd_place)
{
	char base[64], a[PATH_MAX], b[PATH_MAX], p[PATH_MAX];
	char paths[VBD_DISKS_MAX][4200], why[256];
	const char *dirs[2];
	struct vbd_spec s;
	int fd;

	mkdirs(base, sizeof(base), a, b);
	dirs[0] = a;
	dirs[1] = b;
	ck_assert_int_eq(vbd_spec_parse("xvda 65536 x.img\n", &s, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(vbdmig_dst_place(dirs, 0, &s, paths, why,
	    sizeof(why)), -EPERM);
	ck_assert_int_eq(vbdmig_dst_place(dirs, 2, &s, paths, why,
	    sizeof(why)), 0);
	snprintf(p, sizeof(p), "%.200s/x.img", a);
	ck_assert_str_eq(paths[0], p);
	/* An empty file is taken; one with data, in any dir, is not. */
	ck_assert_int_ge(fd = open(p, O_CREAT | O_WRONLY, 0600), 0);
	ck_assert_int_eq(vbdmig_dst_place(dirs, 2, &s, paths, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
	ck_assert_int_eq(vbdmig_dst_place(dirs, 2, &s, paths, why,
	    sizeof(why)), -EEXIST);
	ck_assert_ptr_nonnull(strstr(why, "is not an empty file"));
	unlink(p);
	snprintf(p, sizeof(p), "%.200s/x.img", b);
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	ck_assert_int_eq(vbdmig_dst_place(dirs, 2, &s, paths, why,
	    sizeof(why)), -EEXIST);
	unlink(p);
	/* No room anywhere for 1 PiB. */
	ck_assert_int_eq(vbd_spec_parse("xvda 1125899906842624 x.img\n", &s,
	    why, sizeof(why)), 0);
	ck_assert_int_eq(vbdmig_dst_place(dirs, 2, &s, paths, why,
	    sizeof(why)), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(why, "no room for disk xvda"));
	ck_assert_int_eq(vbdmig_dst_check(dirs, 2, "xvda 1 ../x\n", why,
	    sizeof(why)), -EINVAL);
	rmdir(a);
	rmdir(b);
	rmdir(base);
}
END_TEST

START_TEST(test_vbd_config_rewrite)
{
	struct vbdmig_dst d;
	char *out;

	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(vbd_spec_parse("xvdb 65536 x.img\n", &d.spec,
	    (char[64]){ 0 }, 64), 0);
	snprintf(d.path[0], sizeof(d.path[0]), "/store/x.img");
	out = vbdmig_dst_config(&d, "{\"c_info\":{\"name\":\"w\"},\"disks\":"
	    "[{\"pdev_path\":\"/a/boot.img\",\"vdev\":\"xvda\",\"backend\":"
	    "\"phy\"},{\"pdev_path\":\"/dev/vg/x\",\"vdev\":\"xvdb\","
	    "\"backend\":\"phy\",\"format\":\"raw\",\"readwrite\":1}],"
	    "\"n\":1.5,\"t\":true,\"z\":null}");
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, "{\"c_info\":{\"name\":\"w\"},\"disks\":"
	    "[{\"pdev_path\":\"/a/boot.img\",\"vdev\":\"xvda\",\"backend\":"
	    "\"phy\"},{\"pdev_path\":\"/store/x.img\",\"vdev\":\"xvdb\","
	    "\"backend\":\"qdisk\",\"format\":\"raw\",\"readwrite\":1}],"
	    "\"n\":1.5,\"t\":true,\"z\":null}");
	free(out);
	ck_assert_ptr_null(vbdmig_dst_config(&d, "{not json"));
}
END_TEST

START_TEST(test_vbdxs_params)
{
	char f[8], p[64];

	ck_assert_int_eq(vbdxs_params("aio:/i/a.img", f, sizeof(f), p,
	    sizeof(p)), 0);
	ck_assert_str_eq(f, "raw");
	ck_assert_str_eq(p, "/i/a.img");
	ck_assert_int_eq(vbdxs_params("qcow2:/i/b", f, sizeof(f), p,
	    sizeof(p)), 0);
	ck_assert_str_eq(f, "qcow2");
	ck_assert_int_eq(vbdxs_params("/dev/vg/x", f, sizeof(f), p,
	    sizeof(p)), 0);
	ck_assert_str_eq(p, "/dev/vg/x");
	ck_assert_int_eq(vbdxs_params("aio:", f, sizeof(f), p, sizeof(p)),
	    -EINVAL);
	ck_assert_int_eq(vbdxs_params("nbd:host:1", f, sizeof(f), p,
	    sizeof(p)), -EINVAL);
}
END_TEST

START_TEST(test_vbdxs_copy_untracked)
{
	char path[] = "/tmp/xmig-test-vbd-img.XXXXXX";
	struct be_disk d = { .size = 200000 };
	struct disk_track *t;
	uint64_t bits[1] = { 0 };
	uint8_t buf[16];
	int fd;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(pwrite(fd, "hello", 5, 199995), 5);
	close(fd);
	snprintf(d.path, sizeof(d.path), "%s", path);
	ck_assert_int_eq(vbdxs_track_start(&d, 65536, &t), 0);
	ck_assert_int_eq(vbdxs_track_dirty(t, bits, 3), -EINVAL);
	ck_assert_int_eq(vbdxs_track_dirty(t, bits, 4), 0);
	ck_assert_uint_eq(bits[0], 0xf);	/* all, once */
	bits[0] = 0;
	ck_assert_int_eq(vbdxs_track_dirty(t, bits, 4), 0);
	ck_assert_uint_eq(bits[0], 0);
	ck_assert_int_eq(vbdxs_track_read(t, 199995, buf, 5), 0);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	ck_assert_int_eq(vbdxs_track_read(t, 199996, buf, 5), -EINVAL);
	vbdxs_track_stop(t);
	unlink(path);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("vbd");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_vbd_spec_round_trip);
	tcase_add_test(tc, test_vbd_spec_rejects);
	tcase_add_test(tc, test_vbd_rec_checks);
	tcase_add_test(tc, test_vbd_place);
	tcase_add_test(tc, test_vbd_config_rewrite);
	tcase_add_test(tc, test_vbdxs_params);
	tcase_add_test(tc, test_vbdxs_copy_untracked);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
