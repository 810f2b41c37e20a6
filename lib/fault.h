/*
 * fault.h - fault points for tests.
 *
 * A fault point is a named place in the code where a test can make
 * something go wrong on purpose.  It is armed by listing its name in the
 * environment variable XMIG_FAULT (comma-separated); unset, every fault
 * point is inert.
 */
#ifndef XMIG_FAULT_H
#define XMIG_FAULT_H

/* 1 if fault point "name" is listed in $XMIG_FAULT, else 0. */
int	fault_armed(const char *name);

#endif /* XMIG_FAULT_H */
