/*
 * cmd-list.c - "xmig list": the domains of this host, on any backend.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "backend.h"
#include "cli.h"
#include "uuid.h"
#include "xmig.h"

static void
list_json_kv(yajl_gen g, const char *k, const char *v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

static void
list_json_int(yajl_gen g, const char *k, uint64_t v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_integer(g, (long long)v);
}

static void
list_json(const struct dom_info *v, size_t n)
{
	const unsigned char *buf;
	yajl_gen g;
	char uuid[UUID_STR_LEN];
	size_t len, i;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return;
	yajl_gen_array_open(g);
	for (i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		list_json_kv(g, "name", v[i].name);
		list_json_int(g, "domid", v[i].domid);
		list_json_int(g, "mem_mib", v[i].cur_memkb / 1024);
		list_json_int(g, "max_mem_mib", v[i].max_memkb / 1024);
		list_json_int(g, "vcpus", v[i].vcpus);
		list_json_kv(g, "state", dom_state_name(&v[i]));
		list_json_kv(g, "type", dom_type_name(v[i].type));
		uuid_fmt(v[i].uuid, uuid);
		list_json_kv(g, "uuid", uuid);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
		printf("%.*s\n", (int)len, (const char *)buf);
	yajl_gen_free(g);
}

static int
cmd_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct backend be;
	struct dom_info *v;
	size_t n, i;
	int rc;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		ctx->json = 1;
	else if (argc != 1)
		return cmd_usage_error(&cmd_list_entry, "too many arguments");
	if ((rc = cli_backend_open(ctx, &be)) != 0)
		return rc;
	rc = be.ops->list(&be, &v, &n);
	backend_close(&be);
	if (rc != 0) {
		fprintf(stderr, "xmig list: %s\n", strerror(-rc));
		return XMIG_EXIT_FAILED;
	}
	if (ctx->json)
		list_json(v, n);
	else {
		printf("%-32s %5s %8s %5s %-20s %s\n", "Name", "ID",
		    "Mem(MiB)", "VCPUs", "State", "Type");
		for (i = 0; i < n; i++)
			printf("%-32s %5u %8llu %5u %-20s %s\n", v[i].name,
			    v[i].domid,
			    (unsigned long long)(v[i].cur_memkb / 1024),
			    v[i].vcpus, dom_state_name(&v[i]),
			    dom_type_name(v[i].type));
	}
	free(v);
	return XMIG_EXIT_OK;
}

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.usage = "[--json]",
	.summary = "list the domains of this host",
	.help = "Print the domains of this host (the backend the global\n"
	    "options choose) as a table: Name, ID, Mem(MiB), VCPUs, State,\n"
	    "Type.  With --json, print a JSON array of objects with name,\n"
	    "domid, mem_mib, max_mem_mib, vcpus, state, type and uuid.",
	.exec = cmd_list_exec,
};
