/*
 * cmd-sim.c - "xmig sim ...": the simulated Xen host.  Domains are made
 * and checked here; "guest" and "xenstored" are the internal commands
 * the sim backend runs as a domain's guest process and as the host's
 * xenstore server.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yajl/yajl_gen.h>

#include "backend.h"
#include "sim/be_sim.h"
#include "conf.h"
#include "log.h"
#include "sim/simguest.h"
#include "sim/simhost.h"
#include "sim/simxs_server.h"
#include "util.h"
#include "migrate.h"
#include "xmig.h"

static const char *
sim_dir(const struct cli_ctx *ctx)
{
	return ctx->sim_dir != NULL ? ctx->sim_dir : XMIG_DEFAULT_SIM_DIR;
}

static int
sim_open(const struct cli_ctx *ctx, struct backend *be)
{
	int rc;

	if ((rc = be_sim_open(be, sim_dir(ctx), 0)) != 0) {
		fprintf(stderr, "xmig sim: cannot open the simulated host %s: "
		    "%s\n", sim_dir(ctx), strerror(-rc));
		return XMIG_EXIT_FAILED;
	}
	return 0;
}

/* --disk SIZE[,SIZE...]: at most 4, each a multiple of 64 KiB. */
static int
sim_parse_disks(const char *arg, struct be_sim_params *p)
{
	char buf[256], *tok, *save = NULL;

	if (util_strlcpy(buf, arg, sizeof(buf)) != 0)
		return -EINVAL;
	p->ndisks = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (p->ndisks >= 4 || util_parse_size(tok, MiB,
		    &p->disk_size[p->ndisks]) != 0 ||
		    p->disk_size[p->ndisks] == 0 ||
		    p->disk_size[p->ndisks] % 65536 != 0)
			return -EINVAL;
		p->ndisks++;
	}
	return p->ndisks > 0 ? 0 : -EINVAL;
}

static int
sim_create(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "memory", required_argument, NULL, 'm' },
		{ "vcpus", required_argument, NULL, 'c' },
		{ "dirty-rate", required_argument, NULL, 'r' },
		{ "working-set", required_argument, NULL, 'w' },
		{ "ignore-suspend", no_argument, NULL, 'i' },
		{ "type", required_argument, NULL, 't' },
		{ "no-pv-drivers", no_argument, NULL, 'N' },
		{ "disk", required_argument, NULL, 'd' },
		{ "disk-rate", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	struct be_sim_params p = { .vcpus = 1, .type = DOM_TYPE_PVH };
	struct backend be;
	uint64_t v;
	uint32_t domid;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			p.name = optarg;
			break;
		case 'm':
			if (util_parse_size(optarg, MiB, &p.memory) != 0 ||
			    p.memory % 4096 != 0)
				return cmd_usage_error(&cmd_sim_entry,
				    "--memory %s: not a size in whole pages",
				    optarg);
			break;
		case 'c':
			if (util_parse_uint(optarg, 1, 512, &v) != 0)
				return cmd_usage_error(&cmd_sim_entry,
				    "--vcpus %s: expected 1 to 512", optarg);
			p.vcpus = (unsigned)v;
			break;
		case 'r':
			if (util_parse_rate(optarg, &p.dirty_rate) != 0)
				return cmd_usage_error(&cmd_sim_entry,
				    "--dirty-rate %s: not a rate", optarg);
			break;
		case 'w':
			if (util_parse_size(optarg, MiB, &p.working_set) != 0)
				return cmd_usage_error(&cmd_sim_entry,
				    "--working-set %s: not a size", optarg);
			break;
		case 'i':
			p.ignore_suspend = 1;
			break;
		case 't':
			if (strcmp(optarg, "pv") == 0)
				p.type = DOM_TYPE_PV;
			else if (strcmp(optarg, "pvh") == 0)
				p.type = DOM_TYPE_PVH;
			else if (strcmp(optarg, "hvm") == 0)
				p.type = DOM_TYPE_HVM;
			else
				return cmd_usage_error(&cmd_sim_entry,
				    "--type %s: expected pv, pvh or hvm",
				    optarg);
			break;
		case 'N':
			p.no_pv_drivers = 1;
			break;
		case 'd':
			if (sim_parse_disks(optarg, &p) != 0)
				return cmd_usage_error(&cmd_sim_entry,
				    "--disk %s: expected up to 4 sizes, "
				    "multiples of 64K, such as 1G,256M",
				    optarg);
			break;
		case 'D':
			if (util_parse_rate(optarg, &p.disk_rate) != 0)
				return cmd_usage_error(&cmd_sim_entry,
				    "--disk-rate %s: not a rate", optarg);
			break;
		default:
			return cmd_usage_error(&cmd_sim_entry, "bad option");
		}
	}
	if (p.name == NULL || p.memory == 0 || optind != argc)
		return cmd_usage_error(&cmd_sim_entry,
		    "create needs --name and --memory, and nothing else");
	if (p.working_set > p.memory)
		return cmd_usage_error(&cmd_sim_entry,
		    "--working-set is larger than --memory");
	if (p.no_pv_drivers && p.type != DOM_TYPE_HVM)
		return cmd_usage_error(&cmd_sim_entry,
		    "--no-pv-drivers is for --type hvm");
	if ((rc = sim_open(ctx, &be)) != 0)
		return rc;
	rc = be_sim_create(&be, &p, &domid);
	backend_close(&be);
	if (rc != 0) {
		fprintf(stderr, "xmig sim create: %s not created\n", p.name);
		return XMIG_EXIT_FAILED;
	}
	printf("%u\n", domid);
	return XMIG_EXIT_OK;
}

/* Open the host and find the one domain named by argv[1]. */
static int
sim_one(struct cli_ctx *ctx, int argc, char **argv, const char *what,
    struct backend *be, struct dom_info *d)
{
	int rc;

	if (argc != 2)
		return cmd_usage_error(&cmd_sim_entry, "%s needs one domain",
		    what);
	if ((rc = sim_open(ctx, be)) != 0)
		return rc;
	if ((rc = backend_lookup(be, argv[1], d)) != 0) {
		if (rc == -ESRCH)
			fprintf(stderr, "xmig sim %s: no domain %s\n", what,
			    argv[1]);
		backend_close(be);
		return XMIG_EXIT_FAILED;
	}
	return 0;
}

/*
 * destroy, pause, unpause, resume: one backend op on one domain; the
 * first three are refused while an xmig job has the domain.
 */
static int
sim_op(struct cli_ctx *ctx, int argc, char **argv)
{
	struct backend be;
	struct dom_info d;
	char busy[512];
	int rc;

	if ((rc = sim_one(ctx, argc, argv, argv[0], &be, &d)) != 0)
		return rc;
	if (strcmp(argv[0], "resume") != 0 &&
	    mig_domain_busy(&be, &d, busy, sizeof(busy)) == -EBUSY) {
		fprintf(stderr, "xmig sim %s %s: busy: %s\n", argv[0],
		    argv[1], busy);
		backend_close(&be);
		return XMIG_EXIT_FAILED;
	}
	if (strcmp(argv[0], "destroy") == 0)
		rc = be.ops->destroy(&be, d.domid);
	else if (strcmp(argv[0], "pause") == 0)
		rc = be.ops->pause(&be, d.domid);
	else if (strcmp(argv[0], "unpause") == 0)
		rc = be.ops->unpause(&be, d.domid);
	else
		rc = be.ops->resume(&be, d.domid);
	backend_close(&be);
	if (rc != 0) {
		fprintf(stderr, "xmig sim %s %s: %s\n", argv[0], argv[1],
		    strerror(-rc));
		return XMIG_EXIT_FAILED;
	}
	return XMIG_EXIT_OK;
}

static int
sim_rename(struct cli_ctx *ctx, int argc, char **argv)
{
	struct backend be;
	struct dom_info d;
	int rc;

	if (argc != 3)
		return cmd_usage_error(&cmd_sim_entry,
		    "rename needs a domain and a new name");
	if ((rc = sim_one(ctx, 2, argv, "rename", &be, &d)) != 0)
		return rc;
	rc = be.ops->rename(&be, d.domid, argv[2]);
	backend_close(&be);
	return rc == 0 ? XMIG_EXIT_OK : XMIG_EXIT_FAILED;
}

static void
sim_json_str(yajl_gen g, const char *k, const char *v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

static void
sim_json_int(yajl_gen g, const char *k, uint64_t v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_integer(g, (long long)v);
}

static void
sim_check_json(const struct dom_info *d, const struct simguest_report *r,
    int intact)
{
	const unsigned char *buf;
	yajl_gen g;
	size_t len, i;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return;
	yajl_gen_map_open(g);
	sim_json_str(g, "domain", d->name);
	sim_json_int(g, "domid", d->domid);
	sim_json_str(g, "result", intact ? "intact" : "damaged");
	sim_json_int(g, "pages", r->pages);
	sim_json_int(g, "bad_pages", r->bad);
	sim_json_int(g, "generation", r->generation);
	if (r->header_error[0] != '\0')
		sim_json_str(g, "header_error", r->header_error);
	if (r->device) {
		sim_json_int(g, "device_register", r->dev_reg);
		sim_json_int(g, "device_seen", r->dev_seen);
		if (r->dev_error[0] != '\0')
			sim_json_str(g, "device_error", r->dev_error);
	}
	if (r->disk_blocks > 0 || r->disk_error[0] != '\0') {
		sim_json_int(g, "disk_blocks", r->disk_blocks);
		sim_json_int(g, "bad_disk_blocks", r->disk_bad);
		if (r->disk_error[0] != '\0')
			sim_json_str(g, "disk_error", r->disk_error);
	}
	yajl_gen_string(g, (const unsigned char *)"defects", 7);
	yajl_gen_array_open(g);
	for (i = 0; i < r->nfirst; i++) {
		yajl_gen_map_open(g);
		sim_json_int(g, "pfn", r->first[i].pfn);
		sim_json_str(g, "kind", simguest_defect_name(r->first[i].kind));
		sim_json_str(g, "why", r->first[i].why);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
		printf("%.*s\n", (int)len, (const char *)buf);
	yajl_gen_free(g);
}

static void
sim_check_text(const struct dom_info *d, const struct simguest_report *r,
    int intact)
{
	char dev[64] = "", disk[64] = "";
	size_t i;

	if (r->device && r->dev_error[0] == '\0')
		snprintf(dev, sizeof(dev), ", device register %llu",
		    (unsigned long long)r->dev_reg);
	if (r->disk_blocks > 0)
		snprintf(disk, sizeof(disk), ", %llu disk blocks",
		    (unsigned long long)r->disk_blocks);
	if (intact) {
		printf("%s: %llu pages checked%s%s, all intact\n", d->name,
		    (unsigned long long)r->pages, dev, disk);
		return;
	}
	if (r->disk_error[0] != '\0')
		printf("%s: %llu of %llu disk blocks damaged, first: %s\n",
		    d->name, (unsigned long long)r->disk_bad,
		    (unsigned long long)r->disk_blocks, r->disk_error);
	if (r->header_error[0] != '\0') {
		printf("%s: guest header damaged: %s\n", d->name,
		    r->header_error);
		return;
	}
	if (r->device && r->dev_error[0] != '\0')
		printf("%s: %s\n", d->name, r->dev_error);
	if (r->bad == 0)
		return;
	printf("%s: %llu pages checked, %llu damaged\n", d->name,
	    (unsigned long long)r->pages, (unsigned long long)r->bad);
	for (i = 0; i < r->nfirst; i++)
		printf("  pfn %#llx: %s (%s)\n",
		    (unsigned long long)r->first[i].pfn,
		    simguest_defect_name(r->first[i].kind), r->first[i].why);
	if (r->bad > r->nfirst)
		printf("  ... and %llu more\n",
		    (unsigned long long)(r->bad - r->nfirst));
}

static int
sim_check(struct cli_ctx *ctx, int argc, char **argv)
{
	struct simguest_report r;
	struct backend be;
	struct dom_info d;
	int rc;

	if (argc == 3 && strcmp(argv[1], "--json") == 0) {
		ctx->json = 1;
		argv[1] = argv[2];
		argc = 2;
	}
	if ((rc = sim_one(ctx, argc, argv, "check", &be, &d)) != 0)
		return rc;
	if (d.domid == 0) {
		backend_close(&be);
		fprintf(stderr, "xmig sim check: Domain-0 has no guest\n");
		return XMIG_EXIT_FAILED;
	}
	rc = simguest_check(be_sim_host(&be), d.domid, &r);
	backend_close(&be);
	if (rc < 0) {
		fprintf(stderr, "xmig sim check %s: %s\n", d.name,
		    strerror(-rc));
		return XMIG_EXIT_FAILED;
	}
	if (ctx->json)
		sim_check_json(&d, &r, rc == 0);
	else
		sim_check_text(&d, &r, rc == 0);
	return rc == 0 ? XMIG_EXIT_OK : XMIG_EXIT_FAILED;
}

static void
sim_info_json(const char *dir, uint64_t total, uint64_t avail, size_t n)
{
	const unsigned char *buf;
	yajl_gen g;
	size_t len;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return;
	yajl_gen_map_open(g);
	sim_json_str(g, "sim_dir", dir);
	sim_json_int(g, "memory", total);
	sim_json_int(g, "free", avail);
	sim_json_int(g, "domains", n);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
		printf("%.*s\n", (int)len, (const char *)buf);
	yajl_gen_free(g);
}

static int
sim_info(struct cli_ctx *ctx, int argc, char **argv)
{
	struct backend be;
	struct dom_info *v;
	uint64_t total, avail;
	char b1[32], b2[32];
	size_t n, i;
	int rc;

	(void)argv;
	if (argc != 1)
		return cmd_usage_error(&cmd_sim_entry, "info takes nothing");
	if ((rc = sim_open(ctx, &be)) != 0)
		return rc;
	if (simhost_memory(be_sim_host(&be), &total, &avail) != 0 ||
	    be.ops->list(&be, &v, &n) != 0) {
		backend_close(&be);
		return XMIG_EXIT_FAILED;
	}
	if (ctx->json)
		sim_info_json(simhost_dir(be_sim_host(&be)), total, avail,
		    n - 1);
	else {
		printf("host:    %s\nmemory:  %s\nfree:    %s\n"
		    "domains: %zu\n", simhost_dir(be_sim_host(&be)),
		    util_fmt_size(total, b1, sizeof(b1)),
		    util_fmt_size(avail, b2, sizeof(b2)), n - 1);
		for (i = 1; i < n; i++)
			printf("  %u %s %s\n", v[i].domid, v[i].name,
			    dom_state_name(&v[i]));
	}
	free(v);
	backend_close(&be);
	return XMIG_EXIT_OK;
}

/* Internal: the guest process of a domain (started by the backend). */
static int
sim_guest(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sim-dir", required_argument, NULL, 'S' },
		{ "domid", required_argument, NULL, 'd' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = sim_dir(ctx);
	uint64_t domid = 0, fd = UINT64_MAX;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'S':
			dir = optarg;
			break;
		case 'd':
			if (util_parse_uint(optarg, 1, SIMHOST_MAX_DOMID,
			    &domid) != 0)
				return cmd_usage_error(&cmd_sim_entry,
				    "--domid %s: not a domain id", optarg);
			break;
		case 'r':
			if (util_parse_uint(optarg, 0, 1023, &fd) != 0)
				return cmd_usage_error(&cmd_sim_entry,
				    "--ready-fd %s: not a descriptor", optarg);
			break;
		default:
			return cmd_usage_error(&cmd_sim_entry, "bad option");
		}
	}
	if (domid == 0 || optind != argc)
		return cmd_usage_error(&cmd_sim_entry, "guest needs --domid");
	log_init("xmig-guest", 1, log_getlevel());
	return simguest_run(dir, (uint32_t)domid,
	    fd == UINT64_MAX ? -1 : (int)fd);
}

/* Internal: an HVM domain's device model (started by the backend). */
static int
sim_dm(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sim-dir", required_argument, NULL, 'S' },
		{ "domid", required_argument, NULL, 'd' },
		{ "incoming", required_argument, NULL, 'I' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = sim_dir(ctx), *incoming = NULL;
	uint64_t domid = 0, fd = UINT64_MAX;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'S':
			dir = optarg;
			break;
		case 'd':
			if (util_parse_uint(optarg, 1, SIMHOST_MAX_DOMID,
			    &domid) != 0)
				return cmd_usage_error(&cmd_sim_entry,
				    "--domid %s: not a domain id", optarg);
			break;
		case 'I':
			incoming = optarg;
			break;
		case 'r':
			if (util_parse_uint(optarg, 0, 1023, &fd) != 0)
				return cmd_usage_error(&cmd_sim_entry,
				    "--ready-fd %s: not a descriptor", optarg);
			break;
		default:
			return cmd_usage_error(&cmd_sim_entry, "bad option");
		}
	}
	if (domid == 0 || optind != argc)
		return cmd_usage_error(&cmd_sim_entry, "dm needs --domid");
	log_init("xmig-simdm", 1, log_getlevel());
	return simdm_main(dir, (uint32_t)domid, incoming,
	    fd == UINT64_MAX ? -1 : (int)fd) == 0 ? XMIG_EXIT_OK :
	    XMIG_EXIT_FAILED;
}

/* Internal: the host's xenstore server, in the foreground. */
static int
sim_xenstored(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ready-fd", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t fd = UINT64_MAX;
	struct backend be;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'r' || util_parse_uint(optarg, 0, 1023, &fd) != 0)
			return cmd_usage_error(&cmd_sim_entry,
			    "xenstored [--ready-fd FD]");
	}
	if (optind != argc)
		return cmd_usage_error(&cmd_sim_entry, "xenstored: arguments");
	/* Creates the host directory if it is new. */
	if ((rc = sim_open(ctx, &be)) != 0)
		return rc;
	backend_close(&be);
	rc = simxs_serve(sim_dir(ctx), fd == UINT64_MAX ? -1 : (int)fd);
	return rc == 0 ? XMIG_EXIT_OK : XMIG_EXIT_FAILED;
}

/*
 * "sim stop": power the simulated host off.  Every guest process is
 * killed, the xenstore server stopped and the host's free memory (the
 * memory files it kept for reuse) released; the domains' records stay
 * in the directory but none runs any more, as on a host switched off.
 * For the end of a test or a demonstration: the directory can then go.
 */
static int
sim_stop(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *dir = sim_dir(ctx);
	struct stat st;
	struct simhost *h;
	struct simdom *doms = NULL;
	size_t n = 0, i;
	int rc, failed = 0;

	(void)argv;
	if (argc != 1)
		return cmd_usage_error(&cmd_sim_entry, "stop takes no argument");
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_info("no simulated host in %s: nothing to stop", dir);
		return XMIG_EXIT_OK;
	}
	if ((rc = simhost_open(dir, SIMHOST_DEFAULT_MEMORY, &h)) != 0) {
		fprintf(stderr, "xmig sim stop: cannot open the simulated host "
		    "%s: %s\n", dir, strerror(-rc));
		return XMIG_EXIT_FAILED;
	}
	if ((rc = simhost_dom_list(h, &doms, &n)) != 0)
		log_warnx("%s: cannot list the domains: %s", dir,
		    strerror(-rc));
	for (i = 0; i < n; i++) {
		if (doms[i].domid == 0)
			continue;
		if ((rc = simguest_kill(h, doms[i].domid)) != 0 ||
		    (rc = be_sim_dm_kill(h, doms[i].domid)) != 0) {
			fprintf(stderr, "xmig sim stop: the guest of %s: %s\n",
			    doms[i].name, strerror(-rc));
			failed = 1;
		}
	}
	free(doms);
	simhost_pool_drop(h);
	simhost_close(h);
	if ((rc = simxs_stop(dir)) != 0) {
		fprintf(stderr, "xmig sim stop: the xenstore server of %s: "
		    "%s\n", dir, strerror(-rc));
		failed = 1;
	}
	return failed ? XMIG_EXIT_FAILED : XMIG_EXIT_OK;
}

static int
cmd_sim_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli_ctx *, int, char **);
	} subs[] = {
		{ "create", sim_create },
		{ "destroy", sim_op },
		{ "check", sim_check },
		{ "info", sim_info },
		{ "pause", sim_op },
		{ "unpause", sim_op },
		{ "resume", sim_op },
		{ "rename", sim_rename },
		{ "guest", sim_guest },
		{ "dm", sim_dm },
		{ "xenstored", sim_xenstored },
		{ "stop", sim_stop },
	};
	size_t i;

	if (argc < 2)
		return cmd_usage_error(&cmd_sim_entry, "which sim command?");
	for (i = 0; i < ARRAY_SIZE(subs); i++) {
		if (strcmp(argv[1], subs[i].name) == 0) {
			optind = 0;	/* GNU getopt: start afresh */
			return subs[i].fn(ctx, argc - 1, argv + 1);
		}
	}
	return cmd_usage_error(&cmd_sim_entry, "unknown sim command \"%s\"",
	    argv[1]);
}

const struct cmd_entry cmd_sim_entry = {
	.name = "sim",
	.usage = "create|destroy|check|info|pause|unpause|resume|rename|stop "
	    "...",
	.summary = "the simulated Xen host: create and check domains",
	.help =
	    "The simulated host lives in --sim-dir (env XMIG_SIM_DIR); it is\n"
	    "created on first use with XMIG_SIM_MEMORY (default 8G) of memory.\n"
	    "Guests' memory is files there: a tmpfs (/dev/shm) keeps it in memory.\n"
	    "\n"
	    "  sim create --name NAME --memory SIZE [--type pv|pvh|hvm]\n"
	    "      [--no-pv-drivers] [--vcpus N] [--dirty-rate RATE/s]\n"
	    "      [--working-set SIZE] [--ignore-suspend]\n"
	    "      [--disk SIZE[,SIZE...]] [--disk-rate RATE/s]\n"
	    "      create and start a domain (default pvh) whose guest\n"
	    "      writes pages at RATE over its working set; an hvm domain\n"
	    "      also has a device model its guest does I/O to, and with\n"
	    "      --no-pv-drivers ignores xenstore (suspended by hypercall);\n"
	    "      prints the domain id; --disk gives it up to 4 disks,\n"
	    "      images SIMDIR/disks/NAME-I.img its guest writes at\n"
	    "      --disk-rate\n"
	    "  sim destroy DOMAIN        destroy a domain (the host keeps the\n"
	    "      memory of up to four for domains it restores into)\n"
	    "  sim check [--json] DOMAIN  verify every page of the guest (and\n"
	    "      an hvm guest's device state, and every block of its disks)\n"
	    "  sim info                  host memory and domains\n"
	    "  sim pause|unpause|resume DOMAIN\n"
	    "  sim rename DOMAIN NEWNAME\n"
	    "  sim stop                  power the host off: kill every guest\n"
	    "      process and the xenstore server, release the kept memory\n"
	    "      (the domains are lost)",
	.exec = cmd_sim_exec,
};
