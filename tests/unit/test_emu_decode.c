/* test_emu_decode.c - decoder and disassembler unit tests on byte sequences. */
#include <string.h>

#include "cpu_state.h"
#include "emu/decode.h"
#include "unit.h"

static struct emu_insn in;

static int dec(const char *hex)
{
	uint8_t b[32];
	unsigned n = (unsigned)unit_hex(hex, b);
	return emu_decode(b, n, &in);
}

/* Decode at CPU level v3 in code mode mode. */
static int dec3(const char *hex, unsigned mode)
{
	uint8_t b[32];
	unsigned n = (unsigned)unit_hex(hex, b);
	return emu_decode_level(b, n, mode, RAX_CPU_V3, &in);
}

static void check_dis_as(int st, const char *hex, const char *want);
#define check_dis3(hex, want) check_dis_as(dec3(hex, EMU_MODE_64), hex, want)

/* The VEX prefix (SDM vol. 2, 2.3): fields, #UD rules, C4/C5 outside 64-bit mode. */
static void test_vex(void)
{
	/* vpaddd ymm1, ymm2, ymm3: 2-byte VEX, vvvv = 2, L = 1, pp = 66 */
	CHECK_EQ(dec3("c5 ed fe cb", EMU_MODE_64), EMU_DEC_OK);
	CHECK_EQ(in.len, 4);
	CHECK_EQ(in.vex, EMU_VEX_ON | EMU_VEX_L);
	CHECK_EQ(in.vvvv, 2);
	CHECK_EQ(in.reg, 1);
	CHECK_EQ(in.rm, 3);
	check_dis3("c5 ed fe cb", "vpaddd ymm1, ymm2, ymm3");
	/* 3-byte VEX: R X B inverted, map 0F, W0; xmm9, xmm10, [r11+r12*2] */
	check_dis3("c4 01 29 fe 0c 63", "vpaddd xmm9, xmm10, xmmword [r11+r12*2]");
	/* below v3 there is no VEX row */
	uint8_t b[8];
	unsigned n = (unsigned)unit_hex("c5 ed fe cb", b);
	CHECK_EQ(emu_decode_level(b, n, EMU_MODE_64, RAX_CPU_V2, &in), EMU_DEC_UD);
	/* #UD: VEX after 66, F2, F3, LOCK or REX; maps 0 and 4-31 */
	CHECK_EQ(dec3("66 c5 ed fe cb", EMU_MODE_64), EMU_DEC_UD);
	CHECK_EQ(dec3("f3 c5 ed fe cb", EMU_MODE_64), EMU_DEC_UD);
	CHECK_EQ(dec3("f2 c5 ed fe cb", EMU_MODE_64), EMU_DEC_UD);
	CHECK_EQ(dec3("f0 c5 ed fe cb", EMU_MODE_64), EMU_DEC_UD);
	CHECK_EQ(dec3("41 c5 ed fe cb", EMU_MODE_64), EMU_DEC_UD);
	CHECK_EQ(dec3("c4 e0 69 fe cb", EMU_MODE_64), EMU_DEC_UD);
	CHECK_EQ(dec3("c4 e4 69 fe cb", EMU_MODE_64), EMU_DEC_UD);
	/* segment and address-size prefixes are allowed */
	CHECK_EQ(dec3("64 67 c5 e9 fe 0b", EMU_MODE_64), EMU_DEC_OK);
	CHECK_EQ(in.seg, RAX_SEG_FS);
	CHECK_EQ(in.asz, 4);
	/* NV: vmovd xmm1, eax needs vvvv = 1111b */
	CHECK_EQ(dec3("c5 f9 6e c8", EMU_MODE_64), EMU_DEC_OK);
	CHECK_EQ(dec3("c5 f1 6e c8", EMU_MODE_64), EMU_DEC_UD);
	/* VEX.W is the operand size of general-register forms: andn rax, rbx, rcx */
	CHECK_EQ(dec3("c4 e2 e0 f2 c1", EMU_MODE_64), EMU_DEC_OK);
	CHECK_EQ(in.osz, 8);
	CHECK_EQ(in.vvvv, 3);
	CHECK_EQ(dec3("c4 e2 60 f2 c1", EMU_MODE_64), EMU_DEC_OK);
	CHECK_EQ(in.osz, 4);
	/* 32-bit code: C4/C5 followed by a byte with ModRM.mod = 3 bits are VEX,
	 * else LES/LDS (so C5 cannot set vvvv bit 3); VEX.W does
	 * not widen; vvvv bit 3 is ignored (but not by the NV rule) */
	CHECK_EQ(dec3("c5 ed fe cb", EMU_MODE_32), EMU_DEC_OK);
	CHECK(in.vex);
	CHECK_EQ(dec3("c5 2d 00 00 00 00 00 00", EMU_MODE_32), EMU_DEC_OK);
	CHECK(!in.vex);
	CHECK(!strcmp(emu_oprows[in.row].mnem, "lds"));
	CHECK_EQ(dec3("c4 e2 e0 f2 c1", EMU_MODE_32), EMU_DEC_OK);
	CHECK_EQ(in.osz, 4);
	CHECK_EQ(dec3("c4 e1 29 fe cb", EMU_MODE_32), EMU_DEC_OK);
	CHECK_EQ(in.vvvv, 2);
	CHECK_EQ(dec3("c4 e1 39 6e c8", EMU_MODE_32), EMU_DEC_UD);
	/* 16-bit code: C4/C5 are LES/LDS; their register forms are #UD */
	CHECK_EQ(dec3("c5 ed fe cb", EMU_MODE_16), EMU_DEC_UD);
	/* VSIB: vpgatherdd ymm1, [rax+ymm2*4], ymm3; "no index" is ymm4 */
	check_dis3("c4 e2 65 90 0c 90", "vpgatherdd ymm1, [rax+ymm2*4], ymm3");
	check_dis3("c4 e2 65 90 0c a0", "vpgatherdd ymm1, [rax+ymm4*4], ymm3");
	check_dis3("c4 e2 e5 90 0c 90", "vpgatherdq ymm1, [rax+xmm2*4], ymm3");
	check_dis3("c4 e2 65 91 0c 90", "vpgatherqd xmm1, [rax+ymm2*4], xmm3");
	check_dis3("c5 f8 77", "vzeroupper");
	check_dis3("c5 fc 77", "vzeroall");
	/* widening forms read a fraction of the vector: vpmovsxbd ymm1, qword [rax] */
	check_dis3("c4 e2 7d 21 08", "vpmovsxbd ymm1, qword [rax]");
	check_dis3("c4 e2 79 21 08", "vpmovsxbd xmm1, dword [rax]");
	check_dis3("c5 fc 5a 08", "vcvtps2pd ymm1, xmmword [rax]");
}

/* st: the status of decoding hex into in */
static void check_dis_as(int st, const char *hex, const char *want)
{
	char buf[128];
	CHECK_EQ(st, EMU_DEC_OK);
	emu_disasm(&in, buf, sizeof(buf));
	if (strcmp(buf, want)) {
		fprintf(stderr, "disasm %s: got '%s' want '%s'\n", hex, buf, want);
		unit_fail++;
	} else {
		unit_pass++;
	}
}

static void check_dis(const char *hex, const char *want) { check_dis_as(dec(hex), hex, want); }

int main(void)
{
	/* add rax, [rbx+rcx*4+0x10] */
	CHECK_EQ(dec("48 03 44 8b 10"), EMU_DEC_OK);
	CHECK_EQ(in.len, 5);
	CHECK_EQ(in.osz, 8);
	CHECK_EQ(in.asz, 8);
	CHECK_EQ(in.reg, 0);
	CHECK_EQ(in.base, RAX_REG_RBX);
	CHECK_EQ(in.index, RAX_REG_RCX);
	CHECK_EQ(in.scale, 2);
	CHECK_EQ(in.disp, 0x10);
	CHECK_EQ(in.seg, RAX_SEG_DS);
	check_dis("48 03 44 8b 10", "add rax, qword [rbx+rcx*4+0x10]");

	/* 66 + REX.W: REX.W wins */
	CHECK_EQ(dec("66 48 01 c8"), EMU_DEC_OK);
	CHECK_EQ(in.osz, 8);
	CHECK_EQ(dec("66 01 c8"), EMU_DEC_OK);
	CHECK_EQ(in.osz, 2);
	/* REX not immediately before the opcode is ignored */
	CHECK_EQ(dec("48 66 01 c8"), EMU_DEC_OK);
	CHECK_EQ(in.osz, 2);
	CHECK_EQ(in.rex, 0);
	CHECK_EQ(in.len, 4);
	/* REX.R/B extend reg and rm */
	CHECK_EQ(dec("4d 01 c8"), EMU_DEC_OK); /* add r8, r9 */
	CHECK_EQ(in.reg, 9);
	CHECK_EQ(in.rm, 8);
	check_dis("4d 01 c8", "add r8, r9");
	/* F2/F3: last wins */
	CHECK_EQ(dec("f2 f3 a4"), EMU_DEC_OK);
	CHECK(in.pfx & EMU_P_REP);
	CHECK(!(in.pfx & EMU_P_REPNE));
	CHECK_EQ(dec("f3 f2 a6"), EMU_DEC_OK);
	CHECK(in.pfx & EMU_P_REPNE);
	CHECK(!(in.pfx & EMU_P_REP));
	/* segment overrides: CS/DS/ES/SS ignored, FS/GS used */
	CHECK_EQ(dec("2e 8b 03"), EMU_DEC_OK);
	CHECK_EQ(in.seg, RAX_SEG_DS);
	CHECK_EQ(dec("26 8b 45 00"), EMU_DEC_OK); /* [rbp] defaults to SS */
	CHECK_EQ(in.seg, RAX_SEG_SS);
	CHECK_EQ(dec("64 8b 03"), EMU_DEC_OK);
	CHECK_EQ(in.seg, RAX_SEG_FS);
	CHECK_EQ(dec("65 3e 8b 03"), EMU_DEC_OK);
	CHECK_EQ(in.seg, RAX_SEG_GS);
	check_dis("65 48 8b 04 25 28 00 00 00", "mov rax, qword gs:[0x28]");
	/* SIB: base=5 mod=0 -> disp32 no base; index=4 none; REX.X makes r12 an index */
	CHECK_EQ(dec("8b 04 25 78 56 34 12"), EMU_DEC_OK);
	CHECK_EQ(in.base, EMU_REG_NONE);
	CHECK_EQ(in.index, EMU_REG_NONE);
	CHECK_EQ(in.disp, 0x12345678);
	CHECK_EQ(in.len, 7);
	CHECK_EQ(dec("42 8b 04 25 00 00 00 00"), EMU_DEC_OK);
	CHECK_EQ(in.index, 12);
	CHECK_EQ(dec("8b 44 24 f8"), EMU_DEC_OK); /* [rsp-8] */
	CHECK_EQ(in.base, RAX_REG_RSP);
	CHECK_EQ((int64_t)in.disp, -8);
	CHECK_EQ(in.seg, RAX_SEG_SS);
	CHECK_EQ(dec("41 8b 45 00"), EMU_DEC_OK); /* [r13+0]: mod=1 needed */
	CHECK_EQ(in.base, 13);
	CHECK_EQ(in.len, 4);
	CHECK_EQ(dec("8b 80 00 01 00 00"), EMU_DEC_OK); /* disp32 */
	CHECK_EQ(in.disp, 0x100);
	CHECK_EQ(in.len, 6);
	/* RIP-relative */
	CHECK_EQ(dec("48 8b 05 10 00 00 00"), EMU_DEC_OK);
	CHECK_EQ(in.base, EMU_REG_RIP);
	CHECK_EQ(in.disp, 0x10);
	CHECK_EQ(in.len, 7);
	{
		char buf[128];
		emu_disasm_at(&in, 0x1000, buf, sizeof(buf));
		CHECK(strstr(buf, "0x1017") != NULL);
	}
	/* 67: 32-bit addressing */
	CHECK_EQ(dec("67 8b 03"), EMU_DEC_OK);
	CHECK_EQ(in.asz, 4);
	/* imm64 */
	CHECK_EQ(dec("48 b8 88 77 66 55 44 33 22 11"), EMU_DEC_OK);
	CHECK_EQ(in.len, 10);
	CHECK_EQ(in.imm, 0x1122334455667788ull);
	CHECK_EQ(in.opreg, 0);
	CHECK_EQ(dec("41 bf 01 00 00 00"), EMU_DEC_OK); /* mov r15d, 1 */
	CHECK_EQ(in.opreg, 15);
	CHECK_EQ(in.osz, 4);
	CHECK_EQ(in.len, 6);
	/* moffs: 64-bit address by default, 32 with 67 */
	CHECK_EQ(dec("a1 88 77 66 55 44 33 22 11"), EMU_DEC_OK);
	CHECK_EQ(in.len, 9);
	CHECK_EQ(in.imm2, 0x1122334455667788ull);
	CHECK_EQ(dec("67 a0 44 33 22 11"), EMU_DEC_OK);
	CHECK_EQ(in.len, 6);
	CHECK_EQ(in.imm2, 0x11223344);
	/* immediates: 83 sign-extends imm8, 81 with 66 takes imm16 */
	CHECK_EQ(dec("48 83 c0 ff"), EMU_DEC_OK);
	CHECK_EQ(in.imm, ~0ull);
	CHECK_EQ(dec("66 81 c0 34 12"), EMU_DEC_OK);
	CHECK_EQ(in.len, 5);
	CHECK_EQ(in.imm, 0x1234);
	CHECK_EQ(dec("f6 c3 01"), EMU_DEC_OK); /* test bl, 1: group row with imm */
	CHECK_EQ(in.len, 3);
	CHECK_EQ(dec("f6 d3"), EMU_DEC_OK); /* not bl: no imm */
	CHECK_EQ(in.len, 2);
	CHECK_EQ(dec("c8 10 00 02"), EMU_DEC_OK); /* enter 16, 2 */
	CHECK_EQ(in.imm, 16);
	CHECK_EQ(in.imm2, 2);
	/* default 64-bit operand size for push/near branches */
	CHECK_EQ(dec("50"), EMU_DEC_OK);
	CHECK_EQ(in.osz, 8);
	CHECK_EQ(dec("66 50"), EMU_DEC_OK);
	CHECK_EQ(in.osz, 2);
	CHECK_EQ(dec("e8 00 00 00 00"), EMU_DEC_OK);
	CHECK_EQ(in.osz, 8);
	CHECK_EQ(in.len, 5);
	CHECK_EQ(dec("ff 24 c5 00 10 00 00"), EMU_DEC_OK); /* jmp [rax*8+0x1000] */
	CHECK_EQ(in.osz, 8);
	/* 0F map and groups */
	CHECK_EQ(dec("0f 1f 44 00 00"), EMU_DEC_OK);
	CHECK_EQ(in.len, 5);
	CHECK_EQ(in.map, 1);
	CHECK_EQ(dec("66 0f 1f 84 00 00 00 00 00"), EMU_DEC_OK);
	CHECK_EQ(in.len, 9);
	CHECK_EQ(dec("0f ba e0 05"), EMU_DEC_OK); /* bt eax, 5 */
	CHECK_EQ(in.len, 4);
	CHECK_EQ(dec("0f ba c0 05"), EMU_DEC_UD); /* 0F BA /0 */
	check_dis("0f b6 c1", "movzx eax, cl");
	check_dis("40 88 f0", "mov al, sil");
	check_dis("88 f0", "mov al, dh");
	check_dis("eb fe", "jmp $+0");
	/* invalid in 64-bit mode */
	const char *inv[] = { "06",
			      "07",
			      "0e",
			      "16",
			      "17",
			      "1e",
			      "1f",
			      "27",
			      "2f",
			      "37",
			      "3f",
			      "60",
			      "61",
			      "62 00 00 00",
			      "82 c0 01",
			      "9a",
			      "c4 e0 79 6e c0", /* VEX map 0 */
			      "c5 f9 ff c0",    /* no VEX row */
			      "ce",
			      "d4 0a",
			      "d5 0a",
			      "d6",
			      "ea",
			      "0f 0b",
			      "8f c8",
			      "c6 f8 00",
			      "0f 38 50 c0", /* unassigned in 0F 38 (0F 38 00 is PSHUFB from v2 on) */
			      "0f ff c0",
			      "0f 01 e8" };
	for (unsigned i = 0; i < sizeof(inv) / sizeof(inv[0]); i++) {
		int r = dec(inv[i]);
		/* 0F 0B (UD2) decodes fine and raises #UD when executed */
		if (!strcmp(inv[i], "0f 0b") || !strcmp(inv[i], "0f ff c0"))
			CHECK_EQ(r, EMU_DEC_OK);
		else if (r != EMU_DEC_UD) {
			fprintf(stderr, "expected #UD for %s, got %d\n", inv[i], r);
			unit_fail++;
		} else {
			unit_pass++;
		}
	}
	/* LOCK only on lockable memory forms */
	CHECK_EQ(dec("f0 01 03"), EMU_DEC_OK);
	CHECK_EQ(dec("f0 01 c3"), EMU_DEC_UD);
	CHECK_EQ(dec("f0 8b 03"), EMU_DEC_UD);
	CHECK_EQ(dec("f0 83 3b 01"), EMU_DEC_UD); /* lock cmp */
	CHECK_EQ(dec("f0 0f c7 0b"), EMU_DEC_OK); /* lock cmpxchg8b */
	/* 15-byte limit: 14 prefixes + opcode = 15 ok, 15 prefixes + opcode = #GP */
	CHECK_EQ(dec("66 66 66 66 66 66 66 66 66 66 66 66 66 66 90"), EMU_DEC_OK);
	CHECK_EQ(in.len, 15);
	CHECK_EQ(dec("66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90"), EMU_DEC_GP);
	CHECK_EQ(dec("66 66 66 66 66 66 66 66 66 66 66 48 b8 00 00 00 00 00 00 00 00"), EMU_DEC_GP);
	/* truncated input asks for more */
	CHECK_EQ(dec("48 b8 00 00"), EMU_DEC_MORE);
	CHECK_EQ(dec("0f"), EMU_DEC_MORE);
	/* a valid, not-emulated row (LAR) decodes with its length */
	CHECK_EQ(dec("0f 02 c3"), EMU_DEC_OK);
	CHECK_EQ(in.len, 3);
	CHECK(emu_oprows[in.row].flags & EMU_F_UNIMPL);
	CHECK_EQ(dec("66 0f 70 c1 1b"), EMU_DEC_OK);
	CHECK_EQ(in.len, 5);
	test_vex();
	return unit_finish("test_emu_decode");
}
