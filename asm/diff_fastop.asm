; diff_fastop.asm - a target for RAX_EMU_PLANT=fastop (CPL3): the fast
; path's ADD r/m64, r64 register form (fastpath.c) first without, then with
; a carry out of bit 31. The planted fast op loses that carry, so rax-diff
; must report step 2, field rax (0x100000000 where the CPU has 0x200000000);
; everything else here runs through other fast ops or handlers and agrees.
; Self-checking as well. pytest/test_rax_diff_fastop.py relies on the order
; of the first two instructions.
%include "include/raxtest.inc"
RAXT_HEADER 3
RAXT_REG RAXT_RAX, 0x00000001ffffffff
RAXT_REG RAXT_RBX, 1
RAXT_REG RAXT_RCX, 0x0000000100000000
RAXT_HEADER_END

	add rcx, rbx                    ; step 1: no carry out of bit 31
	add rax, rbx                    ; step 2: the carry reaches bit 32
	CHECK_EQ rcx, 0x100000001, "add64 r/m, r without carry out of bit 31"
	CHECK_EQ rax, 0x200000000, "add64 r/m, r with carry out of bit 31"
	; ADD's other fast forms keep the carry: a memory source, 32 bits
	mov r8, 0x80000000
	add r8, [rel half]
	CHECK_EQ r8, 0x100000000, "add64 r, m with carry out of bit 31"
	mov r9d, 0xffffffff
	add r9d, ebx
	CHECK_FLAGS FL_CF | FL_ZF, FL_CF | FL_ZF, "add32 carry out"
	CHECK_EQ r9, 0, "add32 wraps"
	RAXT_DONE
half:	dq 0x80000000
RAXT_RUNTIME
