/*
 * simxs_ctl.c - start, stop or run the simulated host's xenstore server
 * for tests:  simxs_ctl start|stop|serve SIMDIR
 * "serve" runs it in the foreground (until SIGTERM); "start" daemonises
 * it through simxs_ensure_running(); "stop" calls simxs_stop().
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "sim/simxs_server.h"

int
main(int argc, char **argv)
{
	int rc;

	log_init("simxs_ctl", 1, LOG_LVL_INFO);
	if (argc != 3) {
		fprintf(stderr, "usage: simxs_ctl start|stop|serve SIMDIR\n");
		return 2;
	}
	if (strcmp(argv[1], "start") == 0)
		rc = simxs_ensure_running(argv[2]);
	else if (strcmp(argv[1], "stop") == 0)
		rc = simxs_stop(argv[2]);
	else if (strcmp(argv[1], "serve") == 0)
		rc = simxs_serve(argv[2], -1);
	else {
		fprintf(stderr, "simxs_ctl: unknown action %s\n", argv[1]);
		return 2;
	}
	if (rc != 0) {
		fprintf(stderr, "simxs_ctl %s: %s\n", argv[1], strerror(-rc));
		return 1;
	}
	return 0;
}
