/*
 * fault.h - fault points for tests.
 *
 * A fault point is a named place in the code where a test can make
 * something go wrong on purpose.  It is armed by listing its name in the
 * environment variable XMIG_FAULT (comma-separated); unset, every fault
 * point is inert.  An item may carry an action after a colon,
 * "NAME:ACTION", which fault_point() carries out.
 */
#ifndef XMIG_FAULT_H
#define XMIG_FAULT_H

/*
 * 1 if fault point "name" is listed in $XMIG_FAULT (with or without an
 * action), else 0.  Logs "fault point NAME armed" when it is.
 */
int	fault_armed(const char *name);

/*
 * A phase boundary of the failure matrix (tests/e2e/fault-matrix-sim.sh).
 * Inert unless "name" is armed; then, by its action:
 *   NAME, NAME:kill  SIGKILL this process: no clean-up of any kind runs;
 *   NAME:killd       SIGKILL the parent (xmigd, from its worker), then
 *                    this process;
 *   NAME:cut         shut the connection "fd" down both ways (nothing if
 *                    fd < 0) and return: the next I/O on it fails;
 *   NAME:sleep=MS    sleep MS milliseconds and return (widens a window
 *                    for randomised kills).
 * Each logs "fault point NAME: ..." first.
 */
void	fault_point(const char *name, int fd);

#endif /* XMIG_FAULT_H */
