/* input_file.c - open, check and read an input file (see input_file.h). */
#include "input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm.h"

const char *rax_file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFIFO: return "a FIFO";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFSOCK: return "a socket";
	case S_IFLNK: return "a symbolic link";
	default: return "not a kind of file RAX knows";
	}
}

/* Open path for reading and check it; returns the fd (blocking again) and its size. */
static int input_open(const char *path, const struct rax_input_spec *spec, uint64_t *size, struct rax_err *err)
{
	const char *what = spec->what, *verb = spec->verb ? spec->verb : "open";
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		struct stat sb;
		/* a socket cannot be opened at all (ENXIO): say what it is */
		if (e == ENXIO && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
			return rax_errf(err, RAX_STATUS_USAGE, "%s '%s': not a regular file (%s)", what, path,
					rax_file_kind(sb.st_mode));
		return rax_errf(err, RAX_STATUS_USAGE, "cannot %s %s '%s': %s", verb, what, path, strerror(e));
	}
	struct stat sb;
	if (fstat(fd, &sb) < 0) {
		int e = errno;
		close(fd);
		return rax_errf(err, RAX_STATUS_USAGE, "cannot %s %s '%s': %s", verb, what, path, strerror(e));
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return rax_errf(err, RAX_STATUS_USAGE, "%s '%s': not a regular file (%s)", what, path,
				rax_file_kind(sb.st_mode));
	}
	if ((uint64_t)sb.st_size > spec->max || (uint64_t)sb.st_size >= SIZE_MAX) {
		close(fd);
		return rax_errf(err, RAX_STATUS_USAGE, "%s '%s' (%llu bytes) is larger than guest RAM (--mem %lluM)",
				what, path, (unsigned long long)sb.st_size, (unsigned long long)(spec->max >> 20));
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return rax_errf(err, RAX_STATUS_USAGE, "cannot %s %s '%s': %s", verb, what, path, strerror(e));
	}
	*size = (uint64_t)sb.st_size;
	return fd;
}

/* read() until n bytes or end of file; -1 on an error (errno set). */
static ssize_t read_full(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int rax_input_check(const char *path, const struct rax_input_spec *spec, struct rax_err *err)
{
	uint64_t size;
	int fd = input_open(path, spec, &size, err);
	if (fd < 0)
		return -1;
	close(fd);
	if (!size && !spec->empty_ok)
		return rax_errf(err, RAX_STATUS_USAGE, "%s '%s' is empty", spec->what, path);
	return 0;
}

int rax_input_head(const char *path, const struct rax_input_spec *spec, uint8_t *buf, size_t cap, size_t *n,
		   struct rax_err *err)
{
	*n = 0;
	uint64_t size;
	int fd = input_open(path, spec, &size, err);
	if (fd < 0)
		return -1;
	ssize_t got = read_full(fd, buf, cap);
	int e = errno;
	close(fd);
	if (got < 0)
		return rax_errf(err, RAX_STATUS_USAGE, "cannot read %s '%s': %s", spec->what, path, strerror(e));
	if (!got && !spec->empty_ok)
		return rax_errf(err, RAX_STATUS_USAGE, "%s '%s' is empty", spec->what, path);
	*n = (size_t)got;
	return 0;
}

int rax_input_read(const char *path, const struct rax_input_spec *spec, uint8_t **buf, size_t *len, struct rax_err *err)
{
	*buf = NULL;
	*len = 0;
	uint64_t size;
	int fd = input_open(path, spec, &size, err);
	if (fd < 0)
		return -1;
	uint8_t *p = malloc(size ? (size_t)size : 1);
	if (!p) {
		close(fd);
		return rax_errf(err, RAX_STATUS_HOST, "out of memory reading %s '%s' (%llu bytes)", spec->what, path,
				(unsigned long long)size);
	}
	ssize_t got = read_full(fd, p, (size_t)size);
	uint8_t extra;
	ssize_t more = got == (ssize_t)size ? read_full(fd, &extra, 1) : 0;
	int e = errno;
	close(fd);
	if (got < 0 || more < 0) {
		free(p);
		return rax_errf(err, RAX_STATUS_USAGE, "cannot read %s '%s': %s", spec->what, path, strerror(e));
	}
	if (got != (ssize_t)size || more) {
		free(p);
		if (more)
			return rax_errf(err, RAX_STATUS_USAGE,
					"%s '%s': its size changed while it was read (%llu bytes when opened, more "
					"could be read)",
					spec->what, path, (unsigned long long)size);
		return rax_errf(err, RAX_STATUS_USAGE,
				"%s '%s': its size changed while it was read (%llu bytes when opened, only %zd "
				"could be read)",
				spec->what, path, (unsigned long long)size, got);
	}
	if (!size && !spec->empty_ok) {
		free(p);
		return rax_errf(err, RAX_STATUS_USAGE, "%s '%s' is empty", spec->what, path);
	}
	*buf = p;
	*len = (size_t)size;
	return 0;
}
