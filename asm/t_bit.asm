; t_bit.asm - BT BTS BTR BTC (register and memory, register offsets that
; reach outside the addressed word, negative offsets, masked immediates)
; and BSF BSR (CPL3). BT* define only CF; BSF/BSR define only ZF.
%include "include/raxtest.inc"
%include "include/alu.inc"
RAXT_HEADER 3
RAXT_HEADER_END

	; register forms: the offset is taken modulo the operand width
	ALU "bt r64 imm", 0x10, 0, {bt rax, 4}, 0x10, FL_CF, 0, FL_CF
	ALUC "bt r64 r64 masked", 0x10, 68, {bt rax, rcx}, 0x10, FL_CF, 0, FL_CF
	ALU "bts r64 63", 0, 0, {bts rax, 63}, 0x8000000000000000, 0, 1, FL_CF
	ALU "btr r64 63", 0x8000000000000001, 0, {btr rax, 63}, 1, FL_CF, 0, FL_CF
	ALU "btc r32 31", 0xffffffff00000000, 0, {btc eax, 31}, 0x80000000, 0, 1, FL_CF
	ALUC "btc r16 cx=17", 0x1230000, 17, {btc ax, cx}, 0x1230002, 0, 1, FL_CF
	ALUC "bts r32 ecx=33", 0x2, 33, {bts eax, ecx}, 0x2, FL_CF, 0, FL_CF

	; memory forms with a register offset address a bit string around mid
	mov rcx, 70                             ; qword mid+8, bit 6
	bts qword [rel mid], rcx
	CHECK_FLAGS FL_CF, 0, "bts m64 r64 old bit"
	CHECK_EQ qword [rel mid + 8], 0x40, "bts m64 offset 70"
	mov rcx, -1                             ; qword mid-8, bit 63
	bts qword [rel mid], rcx
	CHECK_EQ qword [rel mid - 8], 0x8000000000000000, "bts m64 offset -1"
	bt qword [rel mid], rcx
	CHECK_FLAGS FL_CF, FL_CF, "bt m64 offset -1"
	mov ecx, -33                            ; dword mid + 4*floor(-33/32) = mid-8, bit 31
	btc dword [rel mid], ecx
	CHECK_FLAGS FL_CF, 0, "btc m32 offset -33 old bit"
	CHECK_EQ qword [rel mid - 8], 0x8000000080000000, "btc m32 offset -33"
	mov cx, 17                              ; word mid+2, bit 1
	bts word [rel mid], cx
	CHECK_EQ qword [rel mid], 0x20000, "bts m16 offset 17"
	btr word [rel mid], cx
	CHECK_FLAGS FL_CF, FL_CF, "btr m16 offset 17 old bit"
	CHECK_EQ qword [rel mid], 0, "btr m16 offset 17"
	; an immediate offset is masked to the operand width: 35 -> bit 3
	bts dword [rel mid], 35
	CHECK_EQ qword [rel mid], 8, "bts m32 imm 35 masks to 3"
	bt qword [rel mid], 67
	CHECK_FLAGS FL_CF, FL_CF, "bt m64 imm 67 masks to 3"
	mov rcx, 3
	lock btr qword [rel mid], rcx
	CHECK_EQ qword [rel mid], 0, "lock btr m64"

	; BSF/BSR
	ALU "bsf64", 0, 0x80, {bsf rax, rbx}, 7, 0, 0, FL_ZF
	ALU "bsr64", 0, 0x8000000000000001, {bsr rax, rbx}, 63, 0, 0, FL_ZF
	ALU "bsf16", 0xffff0000, 0xa000, {bsf ax, bx}, 0xffff000d, 0, 0, FL_ZF
	ALU "bsr32", -1, 0x00010001, {bsr eax, ebx}, 16, 0, 0, FL_ZF
	; zero source: ZF=1, destination unchanged (AMD documents this)
	ALU "bsf64 zero", 0x1234, 0, {bsf rax, rbx}, 0x1234, FL_ZF, 0, FL_ZF
	ALU "bsr64 zero", 0x5678, 0, {bsr rax, rbx}, 0x5678, FL_ZF, 0, FL_ZF
	mov qword [rel mid], 0x300
	bsf rdx, [rel mid]
	CHECK_EQ rdx, 8, "bsf r64 m64"
	bsr rdx, [rel mid]
	CHECK_EQ rdx, 9, "bsr r64 m64"

	RAXT_DONE
RAXT_RUNTIME
	align 8, db 0
	dq 0, 0
mid:	dq 0, 0, 0
