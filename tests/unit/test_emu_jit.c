/*
 * test_emu_jit.c - the block translator (src/emu/jit/): the encoder's bytes
 * for the forms it emits (checked against NASM's), and translated code
 * against the interpreter: a loop of the translated forms ends in the same
 * state, count and memory; a fault inside a translated block is delivered
 * at the same instruction with the same state; the code buffer is never
 * writable and executable at once.
 */
#include <stdio.h>
#include <string.h>

#include "emu/jit/jit.h"
#include "emu/jit/x64.h"
#include "test_emu_util.h"
#include "unit.h"

/* ---- the encoder ---- */

static bool encodes(void (*emit)(struct x64_buf *b), const char *hex)
{
	uint8_t want[32], got[32];
	size_t n = unit_hex(hex, want);
	struct x64_buf b;
	x64_init(&b, got, sizeof(got), (uint64_t)(uintptr_t)got);
	emit(&b);
	if (b.full || x64_len(&b) != n || memcmp(got, want, n)) {
		fprintf(stderr, "want %s, got", hex);
		for (size_t i = 0; i < x64_len(&b); i++)
			fprintf(stderr, " %02x", got[i]);
		fprintf(stderr, "\n");
		return false;
	}
	return true;
}

/* Each: one instruction, with NASM's encoding of it. */
static void e_load(struct x64_buf *b) { x64_load(b, true, X_RAX, x64_m(X_RBX, 0x10)); }
static void e_store(struct x64_buf *b) { x64_store(b, true, x64_m(X_RBX, 0x1000), X_R15); }
static void e_load32_r12(struct x64_buf *b) { x64_load(b, false, X_RAX, x64_m(X_R12, 8)); }
static void e_store8(struct x64_buf *b) { x64_store8(b, x64_mi(X_RAX, X_RCX, 0, 0), X_R15); }
static void e_store16(struct x64_buf *b) { x64_store16(b, x64_mi(X_RAX, X_RCX, 0, 0), X_R15); }
static void e_zx8(struct x64_buf *b) { x64_load_zx8(b, X_RAX, x64_m(X_RBX, 0x81)); }
static void e_sx32_r13(struct x64_buf *b) { x64_load_sx32(b, X_RAX, x64_m(X_R13, 0)); }
static void e_lea(struct x64_buf *b) { x64_lea(b, X_R13, x64_mi(X_RAX, X_RAX, 0, 1)); }
static void e_add(struct x64_buf *b) { x64_alu_rr(b, true, X_ADD, X_RAX, X_RCX); }
static void e_sub32(struct x64_buf *b) { x64_alu_rr(b, false, X_SUB, X_RCX, X_RDX); }
static void e_cmp_m(struct x64_buf *b) { x64_alu_rm(b, true, X_CMP, X_RCX, x64_m(X_RAX, 0)); }
static void e_and_imm(struct x64_buf *b) { x64_alu_ri(b, false, X_AND, X_RAX, 255); }
static void e_shl(struct x64_buf *b) { x64_shift_ri(b, true, X_SHL, X_R14, 3); }
static void e_imul(struct x64_buf *b) { x64_imul_rr(b, true, X_RAX, X_RCX); }
static void e_sete(struct x64_buf *b) { x64_setcc_r8(b, X_CC_E, X_RAX); }
static void e_seto_m(struct x64_buf *b) { x64_setcc_m(b, X_CC_O, x64_m(X_RBX, 0x40)); }
static void e_cmovne(struct x64_buf *b) { x64_cmov_rr(b, true, X_CC_NE, X_RCX, X_RAX); }
static void e_call(struct x64_buf *b) { x64_call_r(b, X_RAX); }
static void e_push(struct x64_buf *b) { x64_push(b, X_R15); }
static void e_pop(struct x64_buf *b) { x64_pop(b, X_RBX); }
static void e_imm32(struct x64_buf *b) { x64_mov_imm(b, X_RCX, 0xfffff000u); }
static void e_imm_neg(struct x64_buf *b) { x64_mov_imm(b, X_R8, (uint64_t)-8); }
static void e_imm64(struct x64_buf *b) { x64_mov_imm(b, X_RAX, 0x123456789abcdef0ull); }
/* byte registers 4..7 are spl..dil (a REX prefix), never ah..bh */
static void e_setne_sil(struct x64_buf *b) { x64_setcc_r8(b, X_CC_NE, X_RSI); }
static void e_mov8_dil(struct x64_buf *b) { x64_mov8_rr(b, X_RDI, X_RAX); }
static void e_movzx8_sil(struct x64_buf *b) { x64_movzx8_rr(b, X_RAX, X_RSI); }
static void e_mov16(struct x64_buf *b) { x64_mov16_rr(b, X_R9, X_RAX); }
static void e_movzx16(struct x64_buf *b) { x64_movzx16_rr(b, X_RAX, X_R10); }
/* RIP-relative with an immediate after the displacement: it counts from
 * the instruction's end, after the immediate (the target: 0x100 on) */
static void e_cmp_rip_i8(struct x64_buf *b)
{
	x64_cmp_m8i(b, x64_rip((const void *)(uintptr_t)(b->origin + 0x100)), 0);
}
static void e_store16_rip(struct x64_buf *b)
{
	x64_store16_imm(b, x64_rip((const void *)(uintptr_t)(b->origin + 0x100)), 0x1234);
}

static void test_encodings(void)
{
	CHECK(encodes(e_load, "48 8b 43 10"));
	CHECK(encodes(e_store, "4c 89 bb 00 10 00 00"));
	CHECK(encodes(e_load32_r12, "41 8b 44 24 08"));
	CHECK(encodes(e_store8, "44 88 3c 08"));
	CHECK(encodes(e_store16, "66 44 89 3c 08"));
	CHECK(encodes(e_zx8, "0f b6 83 81 00 00 00"));
	CHECK(encodes(e_sx32_r13, "49 63 45 00"));
	CHECK(encodes(e_lea, "4c 8d 6c 00 01"));
	CHECK(encodes(e_add, "48 01 c8"));
	CHECK(encodes(e_sub32, "29 d1"));
	CHECK(encodes(e_cmp_m, "48 3b 08"));
	CHECK(encodes(e_and_imm, "81 e0 ff 00 00 00"));
	CHECK(encodes(e_shl, "49 c1 e6 03"));
	CHECK(encodes(e_imul, "48 0f af c1"));
	CHECK(encodes(e_sete, "0f 94 c0"));
	CHECK(encodes(e_seto_m, "0f 90 43 40"));
	CHECK(encodes(e_cmovne, "48 0f 45 c8"));
	CHECK(encodes(e_call, "ff d0"));
	CHECK(encodes(e_push, "41 57"));
	CHECK(encodes(e_pop, "5b"));
	CHECK(encodes(e_imm32, "b9 00 f0 ff ff"));
	CHECK(encodes(e_imm_neg, "49 c7 c0 f8 ff ff ff"));
	CHECK(encodes(e_imm64, "48 b8 f0 de bc 9a 78 56 34 12"));
	CHECK(encodes(e_setne_sil, "40 0f 95 c6"));
	CHECK(encodes(e_mov8_dil, "40 88 c7"));
	CHECK(encodes(e_movzx8_sil, "40 0f b6 c6"));
	CHECK(encodes(e_mov16, "66 41 89 c1"));
	CHECK(encodes(e_movzx16, "41 0f b7 c2"));
	CHECK(encodes(e_cmp_rip_i8, "80 3d f9 00 00 00 00"));
	CHECK(encodes(e_store16_rip, "66 c7 05 f7 00 00 00 34 12"));
	/* a full buffer takes no half instruction and says so */
	uint8_t small[8];
	struct x64_buf b;
	x64_init(&b, small, sizeof(small), (uint64_t)(uintptr_t)small);
	x64_mov_imm(&b, X_RAX, 0x123456789abcdef0ull);
	CHECK(b.full && x64_len(&b) == 0);
}

/* ---- translated against interpreted ---- */

static struct tvm t;

/* A fresh machine with code at TV_CODE; jit: every block translated on its first whole run. */
static void fresh(const char *hex, bool jit)
{
	uint8_t code[512];
	size_t n = unit_hex(hex, code);
	tv_fresh_jit(&t, jit);
	tv_code(&t, code, n);
	t.s.gpr[RAX_REG_RBX] = TV_DATA;
}

struct outcome {
	enum rax_exit_kind kind;
	struct rax_cpu_state s;
	uint64_t count;
	uint8_t data[64], stack[128];
	struct emu_jit_stats js;
};

static void run(const char *hex, bool jit, struct outcome *o)
{
	fresh(hex, jit);
	o->kind = tv_run(&t);
	o->s = t.s;
	o->count = emu_instruction_count(&t.vm);
	memcpy(o->data, tv_ptr(&t, TV_DATA), sizeof(o->data));
	memcpy(o->stack, tv_ptr(&t, TV_STACK - sizeof(o->stack)), sizeof(o->stack));
	emu_jit_vm_stats(&t.vm, &o->js);
}

static void same(const struct outcome *a, const struct outcome *b)
{
	CHECK_EQ(a->kind, b->kind);
	CHECK_EQ(a->count, b->count);
	CHECK_EQ(a->s.rip, b->s.rip);
	CHECK_EQ(a->s.rflags, b->s.rflags);
	for (int i = 0; i < RAX_NGPR; i++)
		CHECK_EQ(a->s.gpr[i], b->s.gpr[i]);
	CHECK_EQ(a->s.cr2, b->s.cr2);
	CHECK(!memcmp(a->data, b->data, sizeof(a->data)));
	CHECK(!memcmp(a->stack, b->stack, sizeof(a->stack)));
}

/*
 *	mov rax, 0x123456789abcdef0 / mov ecx, 0x9abcdef0 / mov edx, 50
 * lp:	add rax, rcx / sub rcx, rdx / xor r8, rax / and r9, rax / or r10, rcx
 *	cmp rax, rcx / setb r11b / cmovl r12, rax / test eax, ecx / sete r13b
 *	lea rsi, [rax+rcx*2+8] / movzx edi, al / movsxd r14, eax / imul r15, rcx
 *	shl rax, 3 / shr rcx, 1 / sar r8, 5 / mov [rbx], rax / add [rbx+8], rcx
 *	mov rsi, [rbx] / cmp rsi, [rbx+8] / cmovnz rdi, [rbx+8] / push rax
 *	pop rdi / call fn / dec edx / jnz lp / hlt
 * fn:	add r15, 1 / ret
 */
static const char loop[] = "48 b8 f0 de bc 9a 78 56 34 12 b9 f0 de bc 9a ba 32 00 00 00 48 01 c8 48 29 d1 49 31 c0 "
			   "49 21 c1 49 09 ca 48 39 c8 41 0f 92 c3 4c 0f 4c e0 85 c8 41 0f 94 c5 48 8d 74 48 08 0f "
			   "b6 f8 4c 63 f0 4c 0f af f9 48 c1 e0 03 48 d1 e9 49 c1 f8 05 48 89 03 48 01 4b 08 48 8b "
			   "33 48 3b 73 08 48 0f 45 7b 08 50 5f e8 05 00 00 00 ff ca 75 a8 f4 49 83 c7 01 c3";

static void test_loop_matches_interpreter(void)
{
	struct outcome a, b;
	run(loop, false, &a);
	run(loop, true, &b);
	CHECK_EQ(a.kind, RAX_EXIT_HLT);
	CHECK_EQ(a.count, 3 + 50 * 29 + 1);
	CHECK(b.js.blocks >= 2 && b.js.runs >= 1 && b.js.failed == 0); /* it did run translated */
	CHECK(b.js.links >= 2);                                        /* and chained (the loop, the call, the ret) */
	CHECK_EQ(a.js.blocks, 0);
	same(&a, &b);
}

/*
 * A #PF in the middle of a translated block: the loop writes one qword
 * further each time and runs into unmapped memory (1 GiB and up).
 *	mov ebx, 0x3ffffff0 (below the end of the map) / mov ecx, 5
 * lp:	mov [rbx], rcx / add rbx, 8 / dec ecx / jnz lp / hlt
 */
static const char fault[] = "bb f0 ff ff 3f b9 05 00 00 00 48 89 0b 48 83 c3 08 ff c9 75 f5 f4";

static void test_fault_matches_interpreter(void)
{
	struct outcome a, b;
	run(fault, false, &a);
	run(fault, true, &b);
	CHECK_EQ(a.kind, RAX_EXIT_HLT); /* at the #PF handler's HLT */
	CHECK_EQ(a.s.rip, TV_HANDLERS + 14 * 16 + 1);
	CHECK_EQ(a.s.cr2, 0x40000000);
	CHECK(b.js.runs >= 1);
	same(&a, &b);
}

/* Whether this process has a mapping both writable and executable. */
static bool any_wx_mapping(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return false;
	char line[512];
	bool wx = false;
	while (fgets(line, sizeof(line), f)) {
		char perms[8] = "";
		if (sscanf(line, "%*s %7s", perms) == 1 && perms[1] == 'w' && perms[2] == 'x')
			wx = true;
	}
	fclose(f);
	return wx;
}

static void test_code_buffer_is_wx(void)
{
	bool before = any_wx_mapping(); /* (a sanitizer runtime may have its own) */
	struct outcome o;
	run(loop, true, &o);
	CHECK(o.js.blocks > 0);
	CHECK(!any_wx_mapping() || before);
}

int main(void)
{
	test_encodings();
	if (emu_jit_supported()) {
		tv_init(&t);
		test_loop_matches_interpreter();
		test_fault_matches_interpreter();
		test_code_buffer_is_wx();
		tv_free(&t);
	}
	return unit_finish("test_emu_jit");
}
