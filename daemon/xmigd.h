/*
 * xmigd.h - the relocation daemon's shared state.
 */
#ifndef XMIGD_H
#define XMIGD_H

#include "conf.h"

/* Command-line settings that override the config file. */
struct xmigd_opts {
	const char	*conf_path;
	int		 foreground;
	int		 check_only;
	const char	*backend;
	const char	*sim_dir;
	const char	*port;
	const char	*address;
	int		 verbose;
};

#endif /* XMIGD_H */
