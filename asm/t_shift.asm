; t_shift.asm - SHL SHR SAR ROL ROR RCL RCR SHLD SHRD (CPL3): counts 0, 1,
; width-1 and masked counts (& 0x1f, & 0x3f for 64-bit; RCL/RCR 8/16-bit
; take the masked count mod 9/17). Only defined flags are checked: OF only
; for count 1, AF never, CF not for SHL/SHR/SAR counts >= the width;
; rotates change only CF and OF.
%include "include/raxtest.inc"
%include "include/alu.inc"
RAXT_HEADER 3
RAXT_HEADER_END

%define SZP (FL_SF | FL_ZF | FL_PF)
%define CSZP (FL_CF | FL_SF | FL_ZF | FL_PF)

	; SHL: OF(count 1) = MSB(result) ^ CF
	ALUC "shl8 1", 0xc0, 1, {shl al, cl}, 0x80, FL_CF|FL_SF, 0, FL_NOAF
	ALU "shl8 count 0 keeps flags", 0x81, 0, {shl al, 0}, 0x81, FL_CF, 1, FL_CF
	ALUC "shl8 cl=0 keeps flags", 0x81, 0, {shl al, cl}, 0x81, FL_CF, 1, FL_CF
	; 3 << 31: bit 1 is the last bit out
	ALUC "shl32 31", 0xffffffff00000003, 31, {shl eax, cl}, 0x80000000, FL_CF|FL_SF|FL_PF, 0, CSZP
	ALUC "shl64 count 65 masks to 1", 0x4000000000000001, 65, {shl rax, cl}, 0x8000000000000002, FL_OF|FL_SF, 0, FL_NOAF
	ALUC "shl32 count 33 masks to 1", 0x80000001, 33, {shl eax, cl}, 2, FL_CF|FL_OF, 0, FL_NOAF
	ALUC "shl8 count 9", 0xff, 9, {shl al, cl}, 0, FL_ZF|FL_PF, 0, SZP
	ALU "shl16 d1", 0x4000, 0, {shl ax, 1}, 0x8000, FL_OF|FL_SF|FL_PF, 0, FL_NOAF

	; SHR: OF(count 1) = MSB of the original
	ALUC "shr8 1", 0x81, 1, {shr al, cl}, 0x40, FL_CF|FL_OF, 0, FL_NOAF
	ALU "shr16 4", 0x8421, 0, {shr ax, 4}, 0x0842, FL_PF, 1, CSZP
	ALUC "shr64 63", 0x8000000000000000, 63, {shr rax, cl}, 1, 0, 1, CSZP
	; a masked count of 0 still writes the 32-bit register: the upper half is
	; cleared (measured on AMD Zen 4)
	ALUC "shr32 count 32 masks to 0", 0xffffffff00000010, 32, {shr eax, cl}, 0x10, FL_CF, 1, FL_CF

	; SAR: OF(count 1) = 0, sign fill
	ALUC "sar8 1", 0x81, 1, {sar al, cl}, 0xc0, FL_CF|FL_SF|FL_PF, 0, FL_NOAF
	ALUC "sar32 31", 0x1234567880000000, 31, {sar eax, cl}, 0xffffffff, FL_SF|FL_PF, 1, CSZP
	ALUC "sar64 count 64 masks to 0", 0x8000000000000000, 64, {sar rax, cl}, 0x8000000000000000, FL_CF, 1, FL_CF
	ALUC "sar16 count 20", 0x8000, 20, {sar ax, cl}, 0xffff, FL_SF|FL_PF, 0, SZP

	; ROL/ROR: CF = bit rotated in; OF(count 1) = MSB ^ CF (ROL), MSB ^ MSB-1 (ROR)
	ALUC "rol8 1", 0x81, 1, {rol al, cl}, 0x03, FL_CF|FL_OF, 0, FL_CF|FL_OF
	ALU "rol16 4", 0x1234, 0, {rol ax, 4}, 0x2341, FL_CF, 0, FL_CF
	ALUC "rol64 count 65", 0x8000000000000000, 65, {rol rax, cl}, 1, FL_CF|FL_OF, 0, FL_CF|FL_OF
	ALU "ror8 1", 0x01, 0, {ror al, 1}, 0x80, FL_CF|FL_OF, 0, FL_CF|FL_OF
	ALUC "ror32 8", 0xffffffff12345678, 8, {ror eax, cl}, 0x78123456, 0, 1, FL_CF
	; rotates leave SF/ZF/PF alone: ZF stays set from the xor
	mov eax, 0x80
	xor ecx, ecx
	inc ecx
	xor edx, edx                            ; ZF=1 PF=1
	rol al, cl
	CHECK_FLAGS FL_ZF|FL_PF|FL_SF, FL_ZF|FL_PF, "rol keeps ZF/PF/SF"
	; the same by an immediate in 64- and 32-bit registers (the translator's
	; inline forms), after a flag producer of the same block (SUB: SF, CF)
	; and after one it does not know (the CHECK's POPFQ)
	mov rax, 0x8000000000000001
	mov rdx, 1
	sub rdx, 2                              ; SF=1 CF=1 ZF=0 AF=1
	rol rax, 13                             ; CF = bit 0 = 0; OF = MSB ^ CF = 0
	CHECK_EQ rax, 0x3000, "rol64 13 result"
	CHECK_FLAGS FL_CF|FL_OF|FL_SF|FL_ZF|FL_AF, FL_SF|FL_AF, "rol64 13 keeps SF and AF from sub"
	mov edx, 0x40000001
	ror edx, 1                              ; 0xa0000000: CF = MSB = 1, OF = MSB ^ next = 1
	CHECK_EQ rdx, 0xa0000000, "ror32 1 result"
	CHECK_FLAGS FL_CF|FL_OF|FL_SF, FL_CF|FL_OF|FL_SF, "ror32 1 flags, SF kept"
	mov rdx, 0xffffffff00000003
	xor ecx, ecx                            ; ZF=1 PF=1
	rol edx, 31                             ; 0x80000001: CF=1, OF = 1 ^ 1 = 0; upper half cleared
	CHECK_EQ rdx, 0x80000001, "rol32 31 result"
	CHECK_FLAGS FL_CF|FL_OF|FL_ZF|FL_PF, FL_CF|FL_ZF|FL_PF, "rol32 31 keeps ZF/PF from xor"
	mov rdx, 0x8000000000000000
	ror rdx, 63                             ; 1: CF = MSB = 0, OF = 0 ^ 0
	ror rdx, 1                              ; back: CF = 1, OF = 1 ^ 0 = 1
	CHECK_EQ rdx, 0x8000000000000000, "ror64 63 then 1 result"
	CHECK_FLAGS FL_CF|FL_OF, FL_CF|FL_OF, "ror64 63 then 1 flags"

	; RCL/RCR rotate through CF
	ALUC "rcl8 1", 0x80, 1, {rcl al, cl}, 0x01, FL_CF|FL_OF, 1, FL_CF|FL_OF
	ALUC "rcl8 count 9 is 0", 0x55, 9, {rcl al, cl}, 0x55, FL_CF, 1, FL_CF
	ALUC "rcl8 count 10 is 1", 0x80, 10, {rcl al, cl}, 0x00, FL_CF, 0, FL_CF
	ALUC "rcl16 count 17 is 0", 0x8001, 17, {rcl ax, cl}, 0x8001, 0, 0, FL_CF
	ALUC "rcl64 count 64 masks to 0", 0x8000000000000000, 64, {rcl rax, cl}, 0x8000000000000000, 0, 0, FL_CF
	ALU "rcr8 1", 0x01, 0, {rcr al, 1}, 0x80, FL_CF|FL_OF, 1, FL_CF|FL_OF
	; 65-bit rotate of (CF=1, 0x10) right by 4: 0x1000000000000001, CF=0
	ALUC "rcr64 4", 0x10, 4, {rcr rax, cl}, 0x1000000000000001, 0, 1, FL_CF
	ALUC "rcr32 1", 0xffffffff00000003, 1, {rcr eax, cl}, 1, FL_CF, 0, FL_CF|FL_OF

	; SHLD/SHRD: bits come in from the second operand
	mov rbx, 0x9abcdef0
	ALUC "shld32 4", 0x12345678, 4, {shld eax, ebx, cl}, 0x23456789, FL_CF, 0, CSZP
	mov rbx, 0xfedcba9876543210
	mov rax, 0x0123456789abcdef
	clc
	shld rax, rbx, 8
	CHECK_EQ rax, 0x23456789abcdeffe, "shld64 imm8 result"
	CHECK_FLAGS CSZP, FL_CF, "shld64 imm8 flags"
	mov rbx, -1
	ALUC "shld16 count 0", 0x1234, 0, {shld ax, bx, cl}, 0x1234, FL_CF, 1, FL_CF
	mov rbx, 0xabcdef01
	ALUC "shrd32 8", 0x12345678, 8, {shrd eax, ebx, cl}, 0x01123456, FL_PF, 1, CSZP
	mov rbx, 1
	ALUC "shrd64 1", 1, 1, {shrd rax, rbx, cl}, 0x8000000000000000, FL_CF|FL_OF|FL_SF|FL_PF, 0, FL_NOAF
	mov rbx, 0xf
	ALUC "shrd64 count 68 masks to 4", 0x10, 68, {shrd rax, rbx, cl}, 0xf000000000000001, FL_SF, 1, CSZP

	; memory operands
	mov rax, 0x4000000000000001
	mov [rel var], rax
	shl qword [rel var], 1
	CHECK_EQ qword [rel var], 0x8000000000000002, "shl m64 1"
	mov cl, 4
	ror word [rel var], cl
	CHECK_EQ qword [rel var], 0x8000000000002000, "ror m16 cl"
	sar qword [rel var], 60
	CHECK_EQ qword [rel var], -8, "sar m64 imm"
	mov rbx, 0
	shld [rel var], rbx, 3
	CHECK_EQ qword [rel var], -64, "shld m64 imm"

	RAXT_DONE
RAXT_RUNTIME
var: dq 0
