/*
 * test_simhost.c - the simulated host: ids, names, uuids, memory
 * accounting and reservations, strict records, the free memory it keeps
 * for reuse.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/simhost.h"
#include "sim/simmem.h"
#include "util.h"
#include "uuid.h"

static char tmpdir[PATH_MAX];
static char hostdir[PATH_MAX + 16];

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/simhost.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(hostdir, sizeof(hostdir), "%s/a/host", tmpdir);
}

static void
teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static void
dom(struct simdom *d, const char *name, uint64_t mem)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	ck_assert_int_eq(simhost_uuid_generate(d->uuid), 0);
	d->type = DOM_TYPE_HVM;
	d->memory = mem;
	d->vcpus = 1;
}

START_TEST(test_simhost_accounting)
{
	struct simhost *h;
	struct simdom d;
	uint64_t total, avail;
	char rid[SIMHOST_RESID_MAX];

	ck_assert_int_eq(simhost_open(hostdir, 256 * MiB, &h), 0);
	ck_assert_int_eq(simhost_memory(h, &total, &avail), 0);
	ck_assert_uint_eq(total, 256 * MiB);
	ck_assert_uint_eq(avail, 256 * MiB);
	dom(&d, "a", 100 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), 0);
	ck_assert_int_eq(simhost_memory(h, &total, &avail), 0);
	ck_assert_uint_eq(avail, 156 * MiB);
	/* Over-commit is refused, and nothing is created. */
	dom(&d, "b", 200 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), -ENOMEM);
	ck_assert_int_eq(simhost_dom_get(h, 2, &d), -ESRCH);
	/* A reservation holds memory until released. */
	ck_assert_int_eq(simhost_reserve(h, 150 * MiB, 60, rid, sizeof(rid)),
	    0);
	ck_assert_int_eq(simhost_memory(h, &total, &avail), 0);
	ck_assert_uint_eq(avail, 6 * MiB);
	dom(&d, "c", 10 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), -ENOMEM);
	ck_assert_int_eq(simhost_reserve(h, 10 * MiB, 60, rid + 0, 8),
	    -EINVAL);
	ck_assert_int_eq(simhost_unreserve(h, rid), 0);
	ck_assert_int_eq(simhost_unreserve(h, rid), -ENOENT);
	ck_assert_int_eq(simhost_unreserve(h, "../host"), -EINVAL);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), 0);
	ck_assert_int_eq(simhost_dom_remove(h, 1), 0);
	ck_assert_int_eq(simhost_memory(h, &total, &avail), 0);
	ck_assert_uint_eq(avail, 246 * MiB);
	simhost_close(h);
	/* An existing host keeps its size. */
	ck_assert_int_eq(simhost_open(hostdir, 8 * GiB, &h), 0);
	ck_assert_int_eq(simhost_memory(h, &total, &avail), 0);
	ck_assert_uint_eq(total, 256 * MiB);
	simhost_close(h);
}
END_TEST

START_TEST(test_simhost_reservation_expires)
{
	struct simhost *h;
	uint64_t total, avail;
	char rid[SIMHOST_RESID_MAX], path[PATH_MAX + 128];
	FILE *f;

	ck_assert_int_eq(simhost_open(hostdir, 64 * MiB, &h), 0);
	ck_assert_int_eq(simhost_reserve(h, 32 * MiB, 60, rid, sizeof(rid)),
	    0);
	/* Back-date it, as if its time had passed. */
	snprintf(path, sizeof(path), "%s/reservations/%s", hostdir, rid);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "memory=%llu\nexpires=1\n",
	    (unsigned long long)(32 * MiB));
	fclose(f);
	ck_assert_int_eq(simhost_memory(h, &total, &avail), 0);
	ck_assert_uint_eq(avail, 64 * MiB);
	ck_assert_int_eq(access(path, F_OK), -1);
	simhost_close(h);
}
END_TEST

START_TEST(test_simhost_names_unique)
{
	struct simhost *h;
	struct simdom d, e;
	uint8_t uuid[16];

	ck_assert_int_eq(simhost_open(hostdir, GiB, &h), 0);
	dom(&d, "web1", 16 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), 0);
	memcpy(uuid, d.uuid, 16);
	dom(&d, "web1", 16 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), -EEXIST);
	dom(&d, "Domain-0", 16 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), -EEXIST);
	dom(&d, "web2", 16 * MiB);
	memcpy(d.uuid, uuid, 16);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), -EEXIST);
	dom(&d, "bad/name", 16 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), -EINVAL);
	dom(&d, "web2", 16 * MiB + 1);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), -EINVAL);
	dom(&d, "web2", 16 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), 0);
	ck_assert_int_eq(simhost_dom_get(h, d.domid, &e), 0);
	ck_assert_str_eq(e.name, "web2");
	ck_assert_int_eq(memcmp(e.uuid, d.uuid, 16), 0);
	ck_assert_uint_eq(e.memory, 16 * MiB);
	ck_assert_int_eq(e.type, DOM_TYPE_HVM);
	simhost_close(h);
}
END_TEST

static int
set_name(struct simdom *d, void *arg)
{
	snprintf(d->name, sizeof(d->name), "%s", (const char *)arg);
	return 0;
}

START_TEST(test_simhost_ids_never_reused)
{
	struct simhost *h;
	struct simdom d, *v;
	size_t n;

	ck_assert_int_eq(simhost_open(hostdir, GiB, &h), 0);
	dom(&d, "a", 4 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), 0);
	ck_assert_uint_eq(d.domid, 1);
	dom(&d, "b", 4 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), 0);
	ck_assert_uint_eq(d.domid, 2);
	ck_assert_int_eq(simhost_dom_remove(h, 2), 0);
	ck_assert_int_eq(simhost_dom_remove(h, 2), -ESRCH);
	ck_assert_int_eq(simhost_dom_remove(h, 0), -EPERM);
	dom(&d, "b", 4 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), 0);
	ck_assert_uint_eq(d.domid, 3);
	ck_assert_int_eq(simhost_dom_list(h, &v, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(v[0].domid, 0);
	ck_assert_str_eq(v[0].name, "Domain-0");
	ck_assert_uint_eq(v[1].domid, 1);
	ck_assert_uint_eq(v[2].domid, 3);
	free(v);
	/* Renames keep names unique too; domain 0 is not changed. */
	ck_assert_int_eq(simhost_dom_update(h, 3, set_name, (void *)"a"),
	    -EEXIST);
	ck_assert_int_eq(simhost_dom_update(h, 3, set_name, (void *)"c"), 0);
	ck_assert_int_eq(simhost_dom_update(h, 0, set_name, (void *)"x"),
	    -EPERM);
	ck_assert_int_eq(simhost_dom_get(h, 3, &d), 0);
	ck_assert_str_eq(d.name, "c");
	simhost_close(h);
}
END_TEST

START_TEST(test_simhost_info_strict)
{
	static const char *const bad[] = {
		"name=x\n",				/* keys missing */
		"name=x\nname=y\n",			/* repeated */
		"bogus=1\n",				/* unknown */
		"name=x",				/* unterminated */
		"=x\n",					/* no key */
	};
	struct simhost *h;
	struct simdom d;
	char path[PATH_MAX + 64], good[4096];
	size_t i;
	FILE *f;

	ck_assert_int_eq(simhost_open(hostdir, GiB, &h), 0);
	dom(&d, "a", 4 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), 0);
	ck_assert_int_eq(simhost_dom_read_file(h, 1, "info", good,
	    sizeof(good)), 0);
	snprintf(path, sizeof(path), "%s/domains/1/info", hostdir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_ptr_nonnull(f = fopen(path, "w"));
		fputs(bad[i], f);
		fclose(f);
		ck_assert_int_eq(simhost_dom_get(h, 1, &d), -EINVAL);
	}
	/* A good record with one value out of range. */
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(good, f);
	fclose(f);
	ck_assert_int_eq(simhost_dom_get(h, 1, &d), 0);
	ck_assert_ptr_nonnull(strstr(good, "vcpus=1\n"));
	memcpy(strstr(good, "vcpus=1\n"), "vcpus=0\n", 8);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(good, f);
	fclose(f);
	ck_assert_int_eq(simhost_dom_get(h, 1, &d), -ERANGE);
	simhost_close(h);
}
END_TEST

/* Files in the host's free/ directory. */
static int
pool_count(void)
{
	char path[PATH_MAX + 32];
	struct dirent *de;
	DIR *dp;
	int n = 0;

	snprintf(path, sizeof(path), "%s/free", hostdir);
	ck_assert_ptr_nonnull(dp = opendir(path));
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dp);
	return n;
}

/* Fill every page of domain domid with byte v. */
static void
fill(struct simhost *h, uint32_t domid, int v)
{
	struct simmem *m;

	ck_assert_int_eq(simhost_dom_map(h, domid, &m), 0);
	memset(m->mem, v, m->memlen);
	simmem_close(m);
}

/* Does every byte of domain domid equal v? */
static int
all_bytes(struct simhost *h, uint32_t domid, int v)
{
	struct simmem *m;
	size_t i;
	int ok = 1;

	ck_assert_int_eq(simhost_dom_map(h, domid, &m), 0);
	for (i = 0; i < m->memlen && ok; i++)
		ok = m->mem[i] == (uint8_t)v;
	simmem_close(m);
	return ok;
}

START_TEST(test_simhost_pool_reuse)
{
	struct simhost *h;
	struct simdom d;
	struct simmem *m;
	uint32_t a, b, c;

	ck_assert_int_eq(simhost_open(hostdir, 64 * MiB, &h), 0);
	ck_assert_int_eq(pool_count(), 0);
	dom(&d, "a", 1 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), 0);
	a = d.domid;
	fill(h, a, 0xa5);
	dom(&d, "b", 2 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), 0);
	b = d.domid;
	fill(h, b, 0x5a);
	ck_assert_int_eq(simhost_dom_remove(h, a), 0);
	ck_assert_int_eq(simhost_dom_remove(h, b), 0);
	ck_assert_int_eq(pool_count(), 2);
	/* A plain domain gets fresh zeros, the pool untouched. */
	dom(&d, "c", 1 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, 0), 0);
	ck_assert(all_bytes(h, d.domid, 0));
	ck_assert_int_eq(pool_count(), 2);
	ck_assert_int_eq(simhost_dom_remove(h, d.domid), 0);
	ck_assert_int_eq(pool_count(), 3);
	/* A restore target takes a file of its own size, contents and all. */
	dom(&d, "r", 2 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, SIMHOST_ADD_REUSE), 0);
	c = d.domid;
	ck_assert_int_eq(pool_count(), 2);
	ck_assert(all_bytes(h, c, 0x5a));
	/* Another of a size nobody has takes the largest, resized. */
	dom(&d, "s", 3 * MiB);
	ck_assert_int_eq(simhost_dom_add(h, &d, SIMHOST_ADD_REUSE), 0);
	ck_assert_int_eq(pool_count(), 1);
	ck_assert_int_eq(simhost_dom_map(h, d.domid, &m), 0);
	ck_assert_uint_eq(m->npages, 3 * MiB / SIMMEM_PAGE_SIZE);
	/* Zeroing pages makes them read as zeros, the others unchanged. */
	ck_assert_int_eq(simmem_zero_pages(m, 1, 2), 0);
	ck_assert_uint_eq(m->mem[SIMMEM_PAGE_SIZE], 0);
	ck_assert_uint_eq(m->mem[3 * SIMMEM_PAGE_SIZE - 1], 0);
	ck_assert_uint_eq(m->mem[3 * SIMMEM_PAGE_SIZE], m->mem[0]);
	/*
	 * A domain still mapped when it goes is not kept: a stale mapping
	 * must never alias another domain's memory.
	 */
	ck_assert_int_eq(simhost_dom_remove(h, d.domid), 0);
	ck_assert_int_eq(pool_count(), 1);
	simmem_close(m);
	simhost_pool_drop(h);
	ck_assert_int_eq(pool_count(), 0);
	ck_assert_int_eq(simhost_dom_remove(h, c), 0);
	ck_assert_int_eq(pool_count(), 1);
	simhost_close(h);
}
END_TEST

START_TEST(test_simhost_pool_bounded)
{
	struct simhost *h;
	struct simdom d;
	uint32_t ids[SIMHOST_POOL_MAX + 2];
	char name[8];
	unsigned i;

	ck_assert_int_eq(simhost_open(hostdir, 64 * MiB, &h), 0);
	for (i = 0; i < SIMHOST_POOL_MAX + 2; i++) {
		snprintf(name, sizeof(name), "d%u", i);
		dom(&d, name, 1 * MiB);
		ck_assert_int_eq(simhost_dom_add(h, &d, 0), 0);
		ids[i] = d.domid;
	}
	for (i = 0; i < SIMHOST_POOL_MAX + 2; i++)
		ck_assert_int_eq(simhost_dom_remove(h, ids[i]), 0);
	ck_assert_int_eq(pool_count(), SIMHOST_POOL_MAX);
	simhost_close(h);
}
END_TEST

START_TEST(test_simmem_open_after_retire)
{
	char dir[PATH_MAX + 32], mem[PATH_MAX + 48], sh[PATH_MAX + 48];
	char pool[PATH_MAX + 48];
	struct simmem *m;

	snprintf(dir, sizeof(dir), "%s/r", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(mem, sizeof(mem), "%s/mem", dir);
	snprintf(sh, sizeof(sh), "%s/shared", dir);
	snprintf(pool, sizeof(pool), "%s/pooled", dir);
	ck_assert_int_eq(simmem_create(mem, sh, 4, NULL), 0);
	ck_assert_int_eq(simmem_retire(mem, pool), 0);
	ck_assert_int_eq(access(pool, F_OK), 0);
	/* Gone from its old name: a late open fails, not maps the pool. */
	ck_assert_int_lt(simmem_open(mem, sh, &m), 0);
	/* Reused as a new domain's memory. */
	ck_assert_int_eq(unlink(sh), 0);
	ck_assert_int_eq(simmem_create(mem, sh, 8, pool), 0);
	ck_assert_int_eq(access(pool, F_OK), -1);
	ck_assert_int_eq(simmem_open(mem, sh, &m), 0);
	ck_assert_uint_eq(m->npages, 8);
	/* Mapped: retiring deletes it instead. */
	ck_assert_int_eq(simmem_retire(mem, pool), -EBUSY);
	ck_assert_int_eq(access(pool, F_OK), -1);
	ck_assert_int_eq(access(mem, F_OK), -1);
	simmem_close(m);
}
END_TEST

START_TEST(test_simhost_uuid_roundtrip)
{
	uint8_t u[16], v[16];
	char s[40];

	ck_assert_int_eq(simhost_uuid_generate(u), 0);
	uuid_fmt(u, s);
	ck_assert_uint_eq(strlen(s), 36);
	ck_assert_int_eq(s[14], '4');
	ck_assert_int_eq(uuid_parse(s, v), 0);
	ck_assert_int_eq(memcmp(u, v, 16), 0);
	ck_assert_int_eq(uuid_parse("not-a-uuid", v), -EINVAL);
	s[35] = 'g';
	ck_assert_int_eq(uuid_parse(s, v), -EINVAL);
}
END_TEST

static Suite *
simhost_suite(void)
{
	Suite *s = suite_create("simhost");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_simhost_accounting);
	tcase_add_test(tc, test_simhost_reservation_expires);
	tcase_add_test(tc, test_simhost_names_unique);
	tcase_add_test(tc, test_simhost_ids_never_reused);
	tcase_add_test(tc, test_simhost_info_strict);
	tcase_add_test(tc, test_simhost_uuid_roundtrip);
	tcase_add_test(tc, test_simhost_pool_reuse);
	tcase_add_test(tc, test_simhost_pool_bounded);
	tcase_add_test(tc, test_simmem_open_after_retire);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(simhost_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
