/* guest_mem.c - guest RAM allocation and bounds-checked copies. */
#include "guest_mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vm.h"

int guest_mem_check_size(uint64_t size, struct rax_err *err)
{
	if (size < GUEST_MEM_MIN || size > GUEST_MEM_MAX)
		return rax_errf(err, RAX_STATUS_USAGE, "memory size %llu bytes is out of range (%lluM to %lluM)",
				(unsigned long long)size, GUEST_MEM_MIN >> 20, GUEST_MEM_MAX >> 20);
	if (size & 0xfff)
		return rax_errf(err, RAX_STATUS_USAGE, "memory size must be a multiple of 4 KiB");
	return 0;
}

int guest_mem_init(struct guest_mem *m, uint64_t size, struct rax_err *err)
{
	m->host = NULL;
	m->size = 0;
	if (guest_mem_check_size(size, err) < 0)
		return -1;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return rax_errf(err, RAX_STATUS_HOST, "cannot allocate %lluM of guest memory: %s",
				(unsigned long long)(size >> 20), strerror(errno));
	m->host = p;
	m->size = size;
	return 0;
}

void guest_mem_free(struct guest_mem *m)
{
	if (m->host)
		munmap(m->host, m->size);
	m->host = NULL;
	m->size = 0;
}

void guest_mem_zero(struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	const uint64_t page = 4096;
	uint64_t lo = (gpa + page - 1) & ~(page - 1), hi = (gpa + len) & ~(page - 1);
	/* the mapping is private and anonymous: pages dropped read as zero again */
	if (lo < hi && madvise(m->host + lo, hi - lo, MADV_DONTNEED) == 0) {
		memset(m->host + gpa, 0, lo - gpa);
		memset(m->host + hi, 0, gpa + len - hi);
		return;
	}
	memset(m->host + gpa, 0, len);
}

int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *buf, uint64_t len)
{
	const void *p = guest_mem_ptr(m, gpa, len);
	if (!p)
		return -1;
	memcpy(buf, p, len);
	return 0;
}

int guest_mem_write(struct guest_mem *m, uint64_t gpa, const void *buf, uint64_t len)
{
	void *p = guest_mem_ptr(m, gpa, len);
	if (!p)
		return -1;
	memcpy(p, buf, len);
	return 0;
}
