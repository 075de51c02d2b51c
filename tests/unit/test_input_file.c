/* test_input_file.c - reading whole input files (src/input_file.c). */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "input_file.h"
#include "unit.h"
#include "vm.h"

static char dir[64];

static void path_in(char *p, size_t n, const char *name) { snprintf(p, n, "%s/%s", dir, name); }

static void write_file(const char *p, const void *b, size_t n)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, b, n) != (ssize_t)n)
		abort();
	close(fd);
}

/* err mentions every word */
static int says(const struct rax_err *e, int code, const char *a, const char *b)
{
	int ok = e->code == code && strstr(e->msg, a) && (!b || strstr(e->msg, b));
	if (!ok)
		fprintf(stderr, "got code %d '%s', want %d '%s' '%s'\n", e->code, e->msg, code, a, b ? b : "");
	return ok;
}

static void test_regular(void)
{
	char p[128];
	path_in(p, sizeof(p), "ok.bin");
	write_file(p, "hello", 5);
	uint8_t *buf;
	size_t len;
	struct rax_err err = { 0 };
	struct rax_input_spec spec = { .what = "kernel", .max = 1 << 20 };
	CHECK(rax_input_read(p, &spec, &buf, &len, &err) == 0 && len == 5 && memcmp(buf, "hello", 5) == 0);
	free(buf);

	uint8_t head[4];
	size_t n;
	CHECK(rax_input_head(p, &spec, head, sizeof(head), &n, &err) == 0 && n == 4 && memcmp(head, "hell", 4) == 0);

	spec.max = 4;
	CHECK(rax_input_read(p, &spec, &buf, &len, &err) < 0 && says(&err, RAX_STATUS_USAGE, "kernel '", "larger"));
	CHECK(buf == NULL && len == 0);

	path_in(p, sizeof(p), "empty.bin");
	write_file(p, "", 0);
	spec.max = 1 << 20;
	CHECK(rax_input_read(p, &spec, &buf, &len, &err) < 0 && says(&err, RAX_STATUS_USAGE, "is empty", p));
	spec.empty_ok = true;
	CHECK(rax_input_read(p, &spec, &buf, &len, &err) == 0 && len == 0 && buf != NULL);
	free(buf);

	path_in(p, sizeof(p), "missing.bin");
	spec.what = "module";
	CHECK(rax_input_read(p, &spec, &buf, &len, &err) < 0 &&
	      says(&err, RAX_STATUS_USAGE, "cannot open module '", "No such file"));
	spec.verb = "read";
	CHECK(rax_input_read(p, &spec, &buf, &len, &err) < 0 &&
	      says(&err, RAX_STATUS_USAGE, "cannot read module '", "No such file"));
}

static void test_not_regular(void)
{
	char p[96]; /* fits a socket address */
	uint8_t *buf;
	size_t len;
	struct rax_err err = { 0 };
	struct rax_input_spec spec = { .what = "--initrd", .max = 1 << 20 };

	CHECK(rax_input_read(dir, &spec, &buf, &len, &err) < 0 &&
	      says(&err, RAX_STATUS_USAGE, "not a regular file (a directory)", "--initrd '"));
	CHECK(rax_input_read("/dev/zero", &spec, &buf, &len, &err) < 0 &&
	      says(&err, RAX_STATUS_USAGE, "not a regular file (a character device)", "/dev/zero"));

	path_in(p, sizeof(p), "fifo");
	CHECK(mkfifo(p, 0600) == 0);
	/* no writer: opening it for reading would block without O_NONBLOCK */
	CHECK(rax_input_read(p, &spec, &buf, &len, &err) < 0 &&
	      says(&err, RAX_STATUS_USAGE, "not a regular file (a FIFO)", p));
	unlink(p);

	path_in(p, sizeof(p), "sock");
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
	CHECK(s >= 0 && bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(rax_input_read(p, &spec, &buf, &len, &err) < 0 &&
	      says(&err, RAX_STATUS_USAGE, "not a regular file (a socket)", p));
	close(s);
	unlink(p);

	CHECK(strcmp(rax_file_kind(S_IFBLK), "a block device") == 0);
	CHECK(strcmp(rax_file_kind(S_IFREG), "a regular file") == 0);
}

static void test_size_changes(void)
{
	uint8_t *buf;
	size_t len;
	struct rax_err err = { 0 };
	struct rax_input_spec spec = { .what = "--test", .max = 1 << 20 };
	/* procfs: fstat says 0 bytes, reading gives more */
	CHECK(rax_input_read("/proc/self/status", &spec, &buf, &len, &err) < 0 &&
	      says(&err, RAX_STATUS_USAGE, "size changed while it was read", "/proc/self/status"));
	/* sysfs: fstat says 4096 bytes, reading gives fewer */
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", R_OK) == 0)
		CHECK(rax_input_read("/sys/kernel/mm/transparent_hugepage/enabled", &spec, &buf, &len, &err) < 0 &&
		      says(&err, RAX_STATUS_USAGE, "size changed while it was read", "transparent_hugepage"));
}

int main(void)
{
	strcpy(dir, "/tmp/rax-input-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	test_regular();
	test_not_regular();
	test_size_changes();
	char p[128];
	path_in(p, sizeof(p), "ok.bin");
	unlink(p);
	path_in(p, sizeof(p), "empty.bin");
	unlink(p);
	rmdir(dir);
	return unit_finish("test_input_file");
}
