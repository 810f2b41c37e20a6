/*
 * test_migrate_dst.c - the GO record and mig_dst_finish(): a copy GO
 * promised is started (unpaused, renamed) by whoever finds the record
 * with no worker alive; only a copy that cannot start is destroyed; no
 * record, no action; a live worker's lock keeps everyone else off.
 *
 * The backend is a fake of one domain whose ops record what was done to
 * it, so each rule is checked against exactly the calls it makes.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "joblock.h"
#include "log.h"
#include "migrate.h"
#include "util.h"

#define KEY	"0a1b2c3d-0000-4000-8000-000000000001"

static char dir[] = "/tmp/xmig-test-dst-XXXXXX";

/* The fake host: one domain, or none. */
static struct {
	int		exists;
	struct dom_info	d;
	int		unpause_rc;
	int		destroy_rc;
	int		unpaused, renamed, destroyed;
} fk;

static int
fk_info(struct backend *be, uint32_t domid, struct dom_info *out)
{
	(void)be;
	if (!fk.exists || domid != fk.d.domid)
		return -ESRCH;
	*out = fk.d;
	return 0;
}

static int
fk_unpause(struct backend *be, uint32_t domid)
{
	(void)be;
	(void)domid;
	if (fk.unpause_rc != 0)
		return fk.unpause_rc;
	fk.unpaused++;
	fk.d.state = DOM_RUNNING;
	return 0;
}

static int
fk_rename(struct backend *be, uint32_t domid, const char *name)
{
	(void)be;
	(void)domid;
	fk.renamed++;
	util_strlcpy(fk.d.name, name, sizeof(fk.d.name));
	return 0;
}

static int
fk_destroy(struct backend *be, uint32_t domid)
{
	(void)be;
	(void)domid;
	if (fk.destroy_rc != 0)
		return fk.destroy_rc;
	fk.destroyed++;
	fk.exists = 0;
	return 0;
}

static const char *
fk_state_dir(struct backend *be)
{
	(void)be;
	return dir;
}

static const struct backend_ops fk_ops = {
	.name = "fake",
	.info = fk_info,
	.unpause = fk_unpause,
	.rename = fk_rename,
	.destroy = fk_destroy,
	.state_dir = fk_state_dir,
};

static struct backend be = { .ops = &fk_ops };

/* A fresh state directory and a paused web1--incoming as domain 7. */
static void
setup(enum dom_state st)
{
	static int made;
	char cmd[128];

	log_init("test", 1, LOG_LVL_ERR);
	if (made) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		ck_assert_int_eq(system(cmd), 0);
		memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	made = 1;
	memset(&fk, 0, sizeof(fk));
	fk.exists = 1;
	fk.d.domid = 7;
	fk.d.state = st;
	util_strlcpy(fk.d.name, "web1--incoming", sizeof(fk.d.name));
}

/* The state directory goes with its test. */
static void
teardown(void)
{
	char cmd[128];

	if (strcmp(dir + strlen(dir) - 6, "XXXXXX") == 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static void
write_record(int abandon)
{
	struct mig_dst_record r;

	memset(&r, 0, sizeof(r));
	util_strlcpy(r.name, "web1", sizeof(r.name));
	util_strlcpy(r.incoming, "web1--incoming", sizeof(r.incoming));
	r.domid = 7;
	r.abandon = abandon;
	ck_assert_int_eq(mig_dst_record_write(&be, KEY, &r), 0);
}

static int
record_exists(void)
{
	struct mig_dst_record r;

	return mig_dst_record_read(&be, KEY, &r) == 0;
}

START_TEST(test_migrate_dst_record_round_trip)
{
	struct mig_dst_record r;
	char path[512];
	FILE *f;

	setup(DOM_PAUSED);
	ck_assert_int_eq(mig_dst_record_read(&be, KEY, &r), -ENOENT);
	write_record(1);
	ck_assert_int_eq(mig_dst_record_read(&be, KEY, &r), 0);
	ck_assert_str_eq(r.name, "web1");
	ck_assert_str_eq(r.incoming, "web1--incoming");
	ck_assert_uint_eq(r.domid, 7);
	ck_assert_int_eq(r.abandon, 1);
	/* A file cut short is not a record. */
	snprintf(path, sizeof(path), "%s/incoming-%s", dir, KEY);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("name=web1\nincoming=web1--incoming\n", f);
	fclose(f);
	ck_assert_int_eq(mig_dst_record_read(&be, KEY, &r), -EINVAL);
	mig_dst_record_remove(&be, KEY);
	mig_dst_record_remove(&be, KEY);	/* none: no error */
	ck_assert_int_eq(mig_dst_record_read(&be, KEY, &r), -ENOENT);
}
END_TEST

START_TEST(test_migrate_dst_finish_starts_paused_copy)
{
	char name[64];

	setup(DOM_PAUSED);
	write_record(0);
	ck_assert_int_eq(mig_dst_finish(&be, KEY, name, sizeof(name)), 1);
	ck_assert_str_eq(name, "web1");
	ck_assert_int_eq(fk.unpaused, 1);
	ck_assert_str_eq(fk.d.name, "web1");
	ck_assert_int_eq(fk.d.state, DOM_RUNNING);
	ck_assert_int_eq(fk.destroyed, 0);
	ck_assert_int_eq(record_exists(), 0);
	/* Settled: a second look finds nothing to do. */
	ck_assert_int_eq(mig_dst_finish(&be, KEY, name, sizeof(name)),
	    -ENOENT);
}
END_TEST

START_TEST(test_migrate_dst_finish_renames_running_copy)
{
	char name[64];

	/* The worker died after the unpause, before the rename. */
	setup(DOM_RUNNING);
	write_record(0);
	ck_assert_int_eq(mig_dst_finish(&be, KEY, name, sizeof(name)), 1);
	ck_assert_int_eq(fk.unpaused, 0);
	ck_assert_int_eq(fk.renamed, 1);
	ck_assert_str_eq(name, "web1");
	/* ... and after the rename: nothing left but the record. */
	setup(DOM_RUNNING);
	util_strlcpy(fk.d.name, "web1", sizeof(fk.d.name));
	write_record(0);
	ck_assert_int_eq(mig_dst_finish(&be, KEY, name, sizeof(name)), 1);
	ck_assert_int_eq(fk.renamed, 0);
	ck_assert_int_eq(record_exists(), 0);
}
END_TEST

START_TEST(test_migrate_dst_finish_destroys_what_cannot_start)
{
	char name[64];

	/* The unpause fails: destroyed, "absent". */
	setup(DOM_PAUSED);
	fk.unpause_rc = -EIO;
	write_record(0);
	ck_assert_int_eq(mig_dst_finish(&be, KEY, name, sizeof(name)), 0);
	ck_assert_int_eq(fk.destroyed, 1);
	ck_assert_int_eq(record_exists(), 0);
	/* It crashed before it ran. */
	setup(DOM_SHUTDOWN);
	write_record(0);
	ck_assert_int_eq(mig_dst_finish(&be, KEY, name, sizeof(name)), 0);
	ck_assert_int_eq(fk.destroyed, 1);
	ck_assert_int_eq(fk.unpaused, 0);
	/* Marked abandon: never started, even though it could be. */
	setup(DOM_PAUSED);
	write_record(1);
	ck_assert_int_eq(mig_dst_finish(&be, KEY, name, sizeof(name)), 0);
	ck_assert_int_eq(fk.unpaused, 0);
	ck_assert_int_eq(fk.destroyed, 1);
	/* Gone already, or the domid now names another domain. */
	setup(DOM_PAUSED);
	fk.exists = 0;
	write_record(0);
	ck_assert_int_eq(mig_dst_finish(&be, KEY, name, sizeof(name)), 0);
	ck_assert_int_eq(record_exists(), 0);
	setup(DOM_PAUSED);
	util_strlcpy(fk.d.name, "other", sizeof(fk.d.name));
	write_record(0);
	ck_assert_int_eq(mig_dst_finish(&be, KEY, name, sizeof(name)), 0);
	ck_assert_int_eq(fk.destroyed, 0);
	ck_assert_int_eq(fk.unpaused, 0);
}
END_TEST

START_TEST(test_migrate_dst_finish_keeps_record_when_stuck)
{
	struct mig_dst_record r;
	char name[64];

	/* Neither startable nor destroyable: the record stays, marked. */
	setup(DOM_PAUSED);
	fk.unpause_rc = -EIO;
	fk.destroy_rc = -EIO;
	write_record(0);
	ck_assert_int_eq(mig_dst_finish(&be, KEY, name, sizeof(name)), -EIO);
	ck_assert_int_eq(mig_dst_record_read(&be, KEY, &r), 0);
	ck_assert_int_eq(r.abandon, 1);
	/* Once the destroy works, it goes; the unpause is not tried again. */
	fk.destroy_rc = 0;
	fk.unpause_rc = 0;
	ck_assert_int_eq(mig_dst_finish(&be, KEY, name, sizeof(name)), 0);
	ck_assert_int_eq(fk.unpaused, 0);
	ck_assert_int_eq(fk.destroyed, 1);
	ck_assert_int_eq(record_exists(), 0);
}
END_TEST

/* A live receiving worker: a child holding the job's lock. */
static pid_t
worker_holding_lock(void)
{
	struct joblock l;
	char busy[128], c;
	int p[2];
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		if (joblock_take(&l, dir, KEY ".incoming", "receive web1",
		    busy, sizeof(busy)) != 0 || write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	close(p[1]);
	return pid;
}

static void
worker_dies(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

START_TEST(test_migrate_dst_finish_waits_for_live_worker)
{
	char name[64];
	pid_t pid;

	setup(DOM_PAUSED);
	write_record(0);
	pid = worker_holding_lock();
	ck_assert_int_eq(mig_dst_finish(&be, KEY, name, sizeof(name)),
	    -EBUSY);
	ck_assert_int_eq(fk.unpaused + fk.renamed + fk.destroyed, 0);
	ck_assert_int_eq(record_exists(), 1);
	/* The worker dies: now it is ours to finish. */
	worker_dies(pid);
	ck_assert_int_eq(mig_dst_finish(&be, KEY, name, sizeof(name)), 1);
	ck_assert_str_eq(fk.d.name, "web1");
}
END_TEST

START_TEST(test_migrate_dst_finish_all_skips_partial_writes)
{
	char path[512];
	FILE *f;

	setup(DOM_PAUSED);
	write_record(0);
	/* A write cut short before its rename is not a record. */
	snprintf(path, sizeof(path), "%s/incoming-%s.tmp", dir,
	    "0a1b2c3d-0000-4000-8000-000000000002");
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("name=x\n", f);
	fclose(f);
	ck_assert_int_eq(mig_dst_finish_all(&be), 1);
	ck_assert_str_eq(fk.d.name, "web1");
	ck_assert_int_eq(fk.d.state, DOM_RUNNING);
	/* ...and is removed: its writer died before GO was recorded. */
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(test_migrate_dst_finish_all_leaves_a_live_workers_write)
{
	char path[512];
	pid_t pid;
	FILE *f;

	setup(DOM_PAUSED);
	snprintf(path, sizeof(path), "%s/incoming-%s.tmp", dir, KEY);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("name=web1\n", f);
	fclose(f);
	pid = worker_holding_lock();
	ck_assert_int_eq(mig_dst_finish_all(&be), 0);
	ck_assert_int_eq(access(path, F_OK), 0);
	worker_dies(pid);
	ck_assert_int_eq(mig_dst_finish_all(&be), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("migrate_dst");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, NULL, teardown);

	tcase_add_test(tc, test_migrate_dst_record_round_trip);
	tcase_add_test(tc, test_migrate_dst_finish_starts_paused_copy);
	tcase_add_test(tc, test_migrate_dst_finish_renames_running_copy);
	tcase_add_test(tc, test_migrate_dst_finish_destroys_what_cannot_start);
	tcase_add_test(tc, test_migrate_dst_finish_keeps_record_when_stuck);
	tcase_add_test(tc, test_migrate_dst_finish_waits_for_live_worker);
	tcase_add_test(tc, test_migrate_dst_finish_all_skips_partial_writes);
	tcase_add_test(tc, test_migrate_dst_finish_all_leaves_a_live_workers_write);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
