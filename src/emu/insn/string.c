/*
 * string.c - MOVS STOS LODS SCAS CMPS INS OUTS with REP/REPE/REPNE and DF.
 *
 * Each iteration commits RSI/RDI/RCX before the next, so a fault leaves them
 * describing the completed iterations with RIP still on the instruction. A
 * REP instruction runs at most REP_CHUNK iterations per execution and then
 * re-executes itself (RIP unchanged), which keeps vm->stop responsive; with
 * TF set it runs one iteration per execution, like hardware single-stepping.
 * REP MOVS/STOS with DF=0 copy whole page-bounded runs between host pointers
 * when both sides are plain RAM. Outside 64-bit mode the destination is
 * ES-relative with ES's base and limit, and 16-bit address sizes use SI/DI/CX.
 */
#include "emu/insn/handlers.h"
#include "emu/legacy.h"
#include "layout.h"

#include "vm.h"

#define REP_CHUNK 65536u

static inline unsigned esize(const struct emu_insn *in) { return in->osz; }

static inline uint64_t areg(struct emu_cpu *c, const struct emu_insn *in, unsigned r)
{
	return in->asz == 8 ? c->gpr[r] : c->gpr[r] & emu_mask(in->asz);
}
static inline void aset(struct emu_cpu *c, const struct emu_insn *in, unsigned r, uint64_t v)
{
	if (in->asz == 2)
		c->gpr[r] = (c->gpr[r] & ~0xffffull) | (v & 0xffff);
	else
		c->gpr[r] = in->asz == 4 ? v & 0xffffffff : v;
}
static inline int64_t delta(struct emu_cpu *c, unsigned size)
{
	return (c->rflags & RFLAGS_DF) ? -(int64_t)size : (int64_t)size; /* DF is never lazy */
}
static inline bool rep(const struct emu_insn *in) { return in->pfx & (EMU_P_REP | EMU_P_REPNE); }
static inline unsigned budget(struct emu_cpu *c) { return (c->rflags & RFLAGS_TF) ? 1 : REP_CHUNK; }
/* A data or I/O breakpoint matched in this iteration: the instruction ends
 * after it (the #DB is a trap between iterations, SDM 17.3.1.2), RIP stays
 * on it when iterations are left. */
static inline bool dbg_hit(const struct emu_cpu *c) { return __builtin_expect((c->dbg.hit | c->dbg.host_hit) != 0, 0); }

/* Decide what happens after one REP round: continue at the same insn when work is left. */
static inline void rep_again(struct emu_cpu *c, const struct emu_insn *in)
{
	if (areg(c, in, RAX_REG_RCX) != 0)
		c->next_rip = c->rip;
}

/* Fast REP MOVS/STOS (DF=0): elements that fit in the current pages on both sides. */
static uint64_t fast_run(struct emu_cpu *c, const struct emu_insn *in, bool movs, uint64_t count)
{
	unsigned size = esize(in);
	uint64_t si = areg(c, in, RAX_REG_RSI), di = areg(c, in, RAX_REG_RDI);
	uint64_t dla = emu_linear_acc(c, emu_eseg(in), di, size, ACC_W);
	uint64_t room = (GUEST_PAGE_SIZE - (dla & GUEST_PAGE_OFFSET)) / size;
	uint64_t sla = 0;
	if (movs) {
		sla = emu_linear_acc(c, in->seg, si, size, ACC_R);
		uint64_t r2 = (GUEST_PAGE_SIZE - (sla & GUEST_PAGE_OFFSET)) / size;
		if (r2 < room)
			room = r2;
	}
	if (in->asz != 8) { /* do not model 32/16-bit wrap-around in the fast path */
		uint64_t top = emu_mask(in->asz);
		if (di + room * size > top || (movs && si + room * size > top))
			return 0;
		if (emu_leg(in)) { /* the whole run must be within ES (and the source) limit */
			const struct rax_segment *es = &c->s.seg[RAX_SEG_ES];
			const struct rax_segment *ss = &c->s.seg[in->seg & 7];
			if ((es->type & 4) || di + room * size - 1 > es->limit ||
			    (movs && ((ss->type & 4) || si + room * size - 1 > ss->limit)))
				return 0;
		}
	}
	if (room == 0)
		return 0;
	uint64_t n = count < room ? count : room;
	uint8_t *src = NULL;
	if (movs) {
		src = emu_host_page(c, sla, ACC_R);
		if (!src)
			return 0;
	}
	uint8_t *dst = emu_host_page(c, dla, ACC_W);
	if (!dst)
		return 0;
	uint64_t bytes = n * size;
	if (movs) {
		if (dst > src && dst < src + bytes) {
			for (uint64_t i = 0; i < bytes; i++) /* overlapping forward copy replicates */
				dst[i] = src[i];
		} else {
			memmove(dst, src, bytes);
		}
		aset(c, in, RAX_REG_RSI, si + bytes);
	} else {
		uint64_t v = c->gpr[0];
		if (size == 1)
			memset(dst, (int)(v & 0xff), bytes);
		else
			for (uint64_t i = 0; i < n; i++)
				memcpy(dst + i * size, &v, size);
	}
	aset(c, in, RAX_REG_RDI, di + bytes);
	aset(c, in, RAX_REG_RCX, areg(c, in, RAX_REG_RCX) - n);
	return n;
}

static void movs(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned size = esize(in);
	if (!rep(in)) {
		uint64_t v = emu_rd(c, in->seg, areg(c, in, RAX_REG_RSI), size);
		emu_wr(c, emu_eseg(in), areg(c, in, RAX_REG_RDI), size, v);
		int64_t d = delta(c, size);
		aset(c, in, RAX_REG_RSI, areg(c, in, RAX_REG_RSI) + (uint64_t)d);
		aset(c, in, RAX_REG_RDI, areg(c, in, RAX_REG_RDI) + (uint64_t)d);
		return;
	}
	unsigned left = budget(c);
	int64_t d = delta(c, size);
	while (left && areg(c, in, RAX_REG_RCX)) {
		if (d > 0 && left > 1 && !c->track_writes) {
			uint64_t cnt = areg(c, in, RAX_REG_RCX);
			uint64_t n = fast_run(c, in, true, cnt < left ? cnt : left);
			if (n) {
				left -= (unsigned)n;
				continue;
			}
		}
		uint64_t v = emu_rd(c, in->seg, areg(c, in, RAX_REG_RSI), size);
		emu_wr(c, emu_eseg(in), areg(c, in, RAX_REG_RDI), size, v);
		aset(c, in, RAX_REG_RSI, areg(c, in, RAX_REG_RSI) + (uint64_t)d);
		aset(c, in, RAX_REG_RDI, areg(c, in, RAX_REG_RDI) + (uint64_t)d);
		aset(c, in, RAX_REG_RCX, areg(c, in, RAX_REG_RCX) - 1);
		left--;
		if (dbg_hit(c))
			break;
	}
	rep_again(c, in);
}

static void stos(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned size = esize(in);
	int64_t d = delta(c, size);
	if (!rep(in)) {
		emu_wr(c, emu_eseg(in), areg(c, in, RAX_REG_RDI), size, c->gpr[0]);
		aset(c, in, RAX_REG_RDI, areg(c, in, RAX_REG_RDI) + (uint64_t)d);
		return;
	}
	unsigned left = budget(c);
	while (left && areg(c, in, RAX_REG_RCX)) {
		if (d > 0 && left > 1 && !c->track_writes) {
			uint64_t cnt = areg(c, in, RAX_REG_RCX);
			uint64_t n = fast_run(c, in, false, cnt < left ? cnt : left);
			if (n) {
				left -= (unsigned)n;
				continue;
			}
		}
		emu_wr(c, emu_eseg(in), areg(c, in, RAX_REG_RDI), size, c->gpr[0]);
		aset(c, in, RAX_REG_RDI, areg(c, in, RAX_REG_RDI) + (uint64_t)d);
		aset(c, in, RAX_REG_RCX, areg(c, in, RAX_REG_RCX) - 1);
		left--;
		if (dbg_hit(c))
			break;
	}
	rep_again(c, in);
}

static void lods(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned size = esize(in);
	int64_t d = delta(c, size);
	unsigned left = rep(in) ? budget(c) : 1;
	while (left) {
		if (rep(in) && !areg(c, in, RAX_REG_RCX))
			break;
		uint64_t v = emu_rd(c, in->seg, areg(c, in, RAX_REG_RSI), size);
		emu_reg_set(c, in, 0, size, v);
		aset(c, in, RAX_REG_RSI, areg(c, in, RAX_REG_RSI) + (uint64_t)d);
		if (rep(in))
			aset(c, in, RAX_REG_RCX, areg(c, in, RAX_REG_RCX) - 1);
		left--;
		if (dbg_hit(c))
			break;
	}
	if (rep(in))
		rep_again(c, in);
}

/* SCAS/CMPS: REPE (F3) stops on ZF=0, REPNE (F2) on ZF=1. */
static void cmp_string(struct emu_cpu *c, const struct emu_insn *in, bool cmps)
{
	unsigned size = esize(in);
	int64_t d = delta(c, size);
	unsigned left = rep(in) ? budget(c) : 1;
	while (left) {
		if (rep(in) && !areg(c, in, RAX_REG_RCX))
			break;
		uint64_t a, b;
		if (cmps) {
			a = emu_rd(c, in->seg, areg(c, in, RAX_REG_RSI), size);
			b = emu_rd(c, emu_eseg(in), areg(c, in, RAX_REG_RDI), size);
			aset(c, in, RAX_REG_RSI, areg(c, in, RAX_REG_RSI) + (uint64_t)d);
		} else {
			a = emu_reg_get(c, in, 0, size);
			b = emu_rd(c, emu_eseg(in), areg(c, in, RAX_REG_RDI), size);
		}
		aset(c, in, RAX_REG_RDI, areg(c, in, RAX_REG_RDI) + (uint64_t)d);
		emu_lazy(c, LF_SUB, size, a, b, a - b);
		left--;
		if (!rep(in))
			return;
		aset(c, in, RAX_REG_RCX, areg(c, in, RAX_REG_RCX) - 1);
		bool zf = (a & emu_mask(size)) == (b & emu_mask(size));
		if ((in->pfx & EMU_P_REP) ? !zf : zf)
			return; /* condition ended the repeat */
		if (dbg_hit(c))
			break;
	}
	rep_again(c, in);
}

static void io_check(struct emu_cpu *c)
{
	/* No TSS I/O-permission bitmap: CPL > IOPL always faults. */
	if (c->cpl > ((emu_get_flags(c) >> 12) & 3))
		EMU_GP(c, 0);
}

static void ins(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned size = in->osz == 8 ? 4 : in->osz;
	io_check(c);
	int64_t d = delta(c, size);
	unsigned left = rep(in) ? budget(c) : 1;
	while (left) {
		if (rep(in) && !areg(c, in, RAX_REG_RCX))
			break;
		uint64_t di = areg(c, in, RAX_REG_RDI);
		uint64_t la = emu_linear(c, emu_eseg(in), di);
		uint64_t gpa;
		/* probe the destination before the port read has side effects */
		emu_translate(c, la, ACC_W, c->cpl == 3, false, &gpa);
		if ((la & GUEST_PAGE_OFFSET) + size > GUEST_PAGE_SIZE)
			emu_translate(c, (la | GUEST_PAGE_OFFSET) + 1, ACC_W, c->cpl == 3, false, &gpa);
		uint64_t v = c->vm ? vm_pio_in(c->vm, (uint16_t)c->gpr[2], size) : emu_mask(size);
		if (__builtin_expect(c->dbg.active & EMU_DBG_IO, 0))
			emu_dbg_io(c, (uint16_t)c->gpr[2], size);
		emu_wr(c, emu_eseg(in), di, size, v);
		aset(c, in, RAX_REG_RDI, di + (uint64_t)d);
		if (rep(in))
			aset(c, in, RAX_REG_RCX, areg(c, in, RAX_REG_RCX) - 1);
		left--;
		if (c->vm && c->vm->stop) {
			c->exit_req = RAX_EXIT_STOP;
			break;
		}
		if (dbg_hit(c))
			break;
	}
	emu_recheck_events(c);
	if (rep(in))
		rep_again(c, in);
}

static void outs(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned size = in->osz == 8 ? 4 : in->osz;
	io_check(c);
	int64_t d = delta(c, size);
	unsigned left = rep(in) ? budget(c) : 1;
	while (left) {
		if (rep(in) && !areg(c, in, RAX_REG_RCX))
			break;
		uint64_t v = emu_rd(c, in->seg, areg(c, in, RAX_REG_RSI), size);
		if (c->vm)
			vm_pio_out(c->vm, (uint16_t)c->gpr[2], size, v);
		if (__builtin_expect(c->dbg.active & EMU_DBG_IO, 0))
			emu_dbg_io(c, (uint16_t)c->gpr[2], size);
		aset(c, in, RAX_REG_RSI, areg(c, in, RAX_REG_RSI) + (uint64_t)d);
		if (rep(in))
			aset(c, in, RAX_REG_RCX, areg(c, in, RAX_REG_RCX) - 1);
		left--;
		if (c->vm && c->vm->stop) {
			c->exit_req = RAX_EXIT_STOP;
			break;
		}
		if (dbg_hit(c))
			break;
	}
	emu_recheck_events(c);
	if (rep(in))
		rep_again(c, in);
}

EMU_HANDLER(movsb) { movs(c, in); }
EMU_HANDLER(movsv) { movs(c, in); }
EMU_HANDLER(stosb) { stos(c, in); }
EMU_HANDLER(stosv) { stos(c, in); }
EMU_HANDLER(lodsb) { lods(c, in); }
EMU_HANDLER(lodsv) { lods(c, in); }
EMU_HANDLER(scasb) { cmp_string(c, in, false); }
EMU_HANDLER(scasv) { cmp_string(c, in, false); }
EMU_HANDLER(cmpsb) { cmp_string(c, in, true); }
EMU_HANDLER(cmpsv) { cmp_string(c, in, true); }
EMU_HANDLER(insb) { ins(c, in); }
EMU_HANDLER(insv) { ins(c, in); }
EMU_HANDLER(outsb) { outs(c, in); }
EMU_HANDLER(outsv) { outs(c, in); }
