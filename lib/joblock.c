/*
 * joblock.c - per-domain job locks on flock().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "joblock.h"
#include "log.h"
#include "util.h"

/* mkdir -p, mode 0700; 0 or -1 with errno set. */
static int
joblock_mkdirs(const char *path)
{
	char p[4096], *s;

	if (util_strlcpy(p, path, sizeof(p)) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
joblock_path(char *path, size_t len, const char *dir, const char *key)
{
	char locks[4096];

	if (strchr(key, '/') != NULL || key[0] == '.' || key[0] == '\0')
		return -EINVAL;
	if ((size_t)snprintf(locks, sizeof(locks), "%s/locks", dir) >=
	    sizeof(locks))
		return -ENAMETOOLONG;
	if (joblock_mkdirs(locks) != 0)
		return -errno;
	if ((size_t)snprintf(path, len, "%s/%s.lock", locks, key) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Read the holder's description from an open lock file. */
static void
joblock_describe(int fd, char *busy, size_t busylen)
{
	ssize_t n = pread(fd, busy, busylen - 1, 0);

	busy[n > 0 ? n : 0] = '\0';
	busy[strcspn(busy, "\n")] = '\0';
	if (busy[0] == '\0')
		snprintf(busy, busylen, "another xmig job");
}

int
joblock_take(struct joblock *l, const char *dir, const char *key,
    const char *what, char *busy, size_t busylen)
{
	char line[512], stamp[32];
	time_t now = time(NULL);
	int rc;

	l->fd = -1;
	if ((rc = joblock_path(l->path, sizeof(l->path), dir, key)) != 0) {
		log_warnx("job lock %s: %s", key, strerror(-rc));
		return rc;
	}
	l->fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (l->fd < 0) {
		rc = -errno;
		log_warn("%s", l->path);
		return rc;
	}
	if (flock(l->fd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		joblock_describe(l->fd, busy, busylen);
		close(l->fd);
		l->fd = -1;
		return rc;
	}
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S",
	    localtime(&now));
	snprintf(line, sizeof(line), "%s (pid %ld, since %s)\n", what,
	    (long)getpid(), stamp);
	if (ftruncate(l->fd, 0) != 0 ||
	    util_write_full(l->fd, line, strlen(line)) < 0)
		log_warn("%s: cannot describe the job", l->path);
	return 0;
}

void
joblock_release(struct joblock *l)
{
	if (l->fd < 0)
		return;
	/* Empty it first: a reader between unlink and close sees nothing. */
	if (ftruncate(l->fd, 0) != 0)
		log_debug("%s: truncate failed", l->path);
	close(l->fd);
	l->fd = -1;
}

int
joblock_check(const char *dir, const char *key, char *busy, size_t busylen)
{
	char path[4096];
	int fd, rc;

	if ((rc = joblock_path(path, sizeof(path), dir, key)) != 0)
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : -errno;
	rc = 0;
	if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (rc == -EBUSY)
			joblock_describe(fd, busy, busylen);
	}
	close(fd);
	return rc;
}
