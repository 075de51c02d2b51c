; t_arith.asm - ADD ADC SUB SBB CMP INC DEC NEG in 8/16/32/64 bits, with
; flags (CPL3). Flags: CF carry/borrow out of the top bit, AF carry/borrow
; out of bit 3, PF even parity of the low result byte, OF signed overflow.
%include "include/raxtest.inc"
%include "include/alu.inc"
RAXT_HEADER 3
RAXT_HEADER_END

	; ADD: 0x7f+1 = 0x80 (pos+pos=neg: OF; nibble f+1: AF; one bit set: PF=0)
	ALU "add8", 0x111111111111117f, 1, {add al, bl}, 0x1111111111111180, FL_OF|FL_SF|FL_AF
	ALU "add8 carry", 0xff, 1, {add al, bl}, 0, FL_CF|FL_PF|FL_AF|FL_ZF
	ALU "add16", 0xaaaaaaaaaaaa8000, 0x8000, {add ax, bx}, 0xaaaaaaaaaaaa0000, FL_CF|FL_PF|FL_ZF|FL_OF
	; a 32-bit result zero-extends into the upper half
	ALU "add32", 0x12345678ffffffff, 1, {add eax, ebx}, 0, FL_CF|FL_PF|FL_AF|FL_ZF
	ALU "add64", 0x7fffffffffffffff, 1, {add rax, rbx}, 0x8000000000000000, FL_OF|FL_SF|FL_AF|FL_PF
	; imm8 sign-extended: 0x100 + 0xffff...ff = 0xff, carry out
	ALU "add64 imm8", 0x100, 0, {add rax, -1}, 0xff, FL_CF|FL_PF
	ALU "add32 imm32", 0x80000000, 0, {add eax, 0x80000000}, 0, FL_CF|FL_PF|FL_ZF|FL_OF
	ALU "add8 ah", 0x7f00, 0x01, {add ah, bl}, 0x8000, FL_OF|FL_SF|FL_AF

	; ADC: CF=1 in
	ALU "adc8", 0x0f, 0, {adc al, bl}, 0x10, FL_AF, 1
	ALU "adc16", 0x7fff, 0, {adc ax, bx}, 0x8000, FL_OF|FL_SF|FL_AF|FL_PF, 1
	ALU "adc32", 0xffffffff, 0xffffffff, {adc eax, ebx}, 0xffffffff, FL_CF|FL_PF|FL_AF|FL_SF, 1
	ALU "adc64", -1, 0, {adc rax, rbx}, 0, FL_CF|FL_PF|FL_AF|FL_ZF, 1
	ALU "adc64 cf0", -1, 0, {adc rax, rbx}, -1, FL_PF|FL_SF, 0

	; SUB
	ALU "sub8 borrow", 0, 1, {sub al, bl}, 0xff, FL_CF|FL_PF|FL_AF|FL_SF
	ALU "sub8 overflow", 0x80, 1, {sub al, bl}, 0x7f, FL_OF|FL_AF
	ALU "sub16", 0x1234, 0x0235, {sub ax, bx}, 0x0fff, FL_AF|FL_PF
	ALU "sub32 zero", 0xffffffff00000005, 5, {sub eax, ebx}, 0, FL_ZF|FL_PF
	ALU "sub64", 0, 0x8000000000000000, {sub rax, rbx}, 0x8000000000000000, FL_CF|FL_PF|FL_SF|FL_OF

	; SBB: CF=1 in
	ALU "sbb8", 0x10, 0x0f, {sbb al, bl}, 0, FL_ZF|FL_PF|FL_AF, 1
	ALU "sbb16", 0x0000, 0xffff, {sbb ax, bx}, 0x0000, FL_CF|FL_ZF|FL_PF|FL_AF, 1
	ALU "sbb32", 0xdeadbeef80000000, 0, {sbb eax, ebx}, 0x7fffffff, FL_OF|FL_AF|FL_PF, 1
	ALU "sbb64", 0, 0, {sbb rax, rbx}, -1, FL_CF|FL_AF|FL_PF|FL_SF, 1

	; CMP: flags of the subtraction, operands unchanged
	ALU "cmp8", 0x05, 0x07, {cmp al, bl}, 0x05, FL_CF|FL_AF|FL_SF
	ALU "cmp64 equal", 0x123456789, 0x123456789, {cmp rax, rbx}, 0x123456789, FL_ZF|FL_PF
	ALU "cmp32 signed", 0x123456787fffffff, 0xffffffff, {cmp eax, ebx}, 0x123456787fffffff, FL_CF|FL_PF|FL_SF|FL_OF
	ALU "cmp16 imm8", 0xfffe, 0, {cmp ax, -2}, 0xfffe, FL_ZF|FL_PF

	; INC/DEC leave CF alone
	ALU "inc8", 0x7f, 0, {inc al}, 0x80, FL_OF|FL_SF|FL_AF|FL_CF, 1
	ALU "inc16", 0x5555ffff, 0, {inc ax}, 0x55550000, FL_ZF|FL_PF|FL_AF
	ALU "inc32", -1, 0, {inc eax}, 0, FL_ZF|FL_PF|FL_AF
	ALU "inc64", -1, 0, {inc rax}, 0, FL_CF|FL_ZF|FL_PF|FL_AF, 1
	ALU "dec8", 0x80, 0, {dec al}, 0x7f, FL_OF|FL_AF|FL_CF, 1
	ALU "dec16", 0x8000, 0, {dec ax}, 0x7fff, FL_OF|FL_AF|FL_PF
	ALU "dec32", 0xf00000001, 0, {dec eax}, 0, FL_ZF|FL_PF
	ALU "dec64", 0, 0, {dec rax}, -1, FL_SF|FL_PF|FL_AF

	; NEG: CF = (operand != 0)
	ALU "neg8", 0x01, 0, {neg al}, 0xff, FL_CF|FL_AF|FL_SF|FL_PF
	ALU "neg8 0x80", 0x80, 0, {neg al}, 0x80, FL_OF|FL_CF|FL_SF
	ALU "neg16", 0x8000, 0, {neg ax}, 0x8000, FL_OF|FL_CF|FL_SF|FL_PF
	ALU "neg32 zero", 0xffffffff00000000, 0, {neg eax}, 0, FL_ZF|FL_PF
	ALU "neg64", 5, 0, {neg rax}, 0xfffffffffffffffb, FL_CF|FL_AF|FL_SF

	; memory destinations and sources
	mov qword [rel var], -16
	add qword [rel var], 0x10               ; 0xff..f0 + 0x10 = 0, carry
	CHECK_FLAGS FL_ARITH, FL_CF|FL_ZF|FL_PF, "add m64 imm8 flags"
	CHECK_EQ qword [rel var], 0, "add m64 imm8 result"
	mov rax, 0x1234567800
	mov [rel var], rax
	sub byte [rel var], 1                   ; low byte 0 -> 0xff
	CHECK_EQ qword [rel var], 0x12345678ff, "sub m8 result"
	mov rbx, 0x100
	mov rax, 0x1ff
	sub rax, [rel var]                      ; 0x1ff - 0x12345678ff
	CHECK_EQ rax, 0xffffffedcba98900, "sub r64 m64"   ; -(0x12345678ff - 0x1ff)
	mov qword [rel var], 1
	mov rbx, 2
	lock add [rel var], rbx
	CHECK_EQ qword [rel var], 3, "lock add m64"
	mov dword [rel var], 0xffffffff
	lock inc dword [rel var]
	CHECK_EQ qword [rel var], 0, "lock inc m32 carries no further"
	mov word [rel var], 0x1000
	dec word [rel var]
	CHECK_EQ qword [rel var], 0x0fff, "dec m16"
	mov qword [rel var], 7
	neg qword [rel var]
	CHECK_EQ qword [rel var], -7, "neg m64"
	stc
	mov qword [rel var], 1
	adc qword [rel var], 0                  ; 1 + 0 + CF = 2
	CHECK_EQ qword [rel var], 2, "adc m64 imm"
	mov eax, 0x10
	cmp eax, [rel var]
	CHECK_ARITH FL_AF, "cmp r32 m32 flags"     ; 0x10 - 2: nibble borrow

	; conditions read at the start of a block (zf_cf: its first instructions
	; are SETcc), entered after different flag producers: a translator that
	; guesses the producer it first saw must check its guess each time
	stc
	xor eax, eax                            ; LOGIC: ZF=1 CF=0
	call zf_cf
	CHECK_EQ rax, 1, "block entered after xor: ZF CF"
	mov edx, 1
	sub edx, 2                              ; SUB: ZF=0 CF=1
	call zf_cf
	CHECK_EQ rax, 2, "block entered after sub: ZF CF"
	mov rdx, -1
	add rdx, 1                              ; ADD: ZF=1 CF=1
	call zf_cf
	CHECK_EQ rax, 3, "block entered after add: ZF CF"
	stc
	mov dl, 0xff
	inc dl                                  ; INC: ZF=1, CF kept
	call zf_cf
	CHECK_EQ rax, 3, "block entered after inc: ZF CF"
	mov edx, 1
	sub edx, 2
	push 0x41                               ; POPFQ: ZF=1 CF=1, whatever was lazy
	popfq
	call zf_cf
	CHECK_EQ rax, 3, "block entered after popfq: ZF CF"
	mov eax, 1
	mov edx, 5
	cmp eax, edx                            ; SUB again, other operands: ZF=0 CF=1
	call zf_cf
	CHECK_EQ rax, 2, "block entered after cmp: ZF CF"
	; a handler between a flag producer and the reader: by then the host's
	; flags are the handler call's, not DEC's (a translator keeps DEC's
	; ZF in the host's flags)
	mov ecx, 2
	dec ecx                                 ; ZF=0
	bswap eax                               ; flags unchanged
	setnz dl
	movzx edx, dl
	CHECK_EQ rdx, 1, "dec, bswap, setnz"
	; ADC and SBB with an immediate read the CF of an instruction two back,
	; across a MOV (a translator keeps it in the host's flags there)
	mov eax, 1
	sub eax, 2                              ; CF=1
	mov edx, 5
	adc eax, 0x1000                         ; 0xffffffff + 0x1000 + 1
	CHECK_EQ rax, 0x1000, "sub, mov, adc eax imm32"
	mov ecx, 0x7f
	add cl, 0x81                            ; CF=1 (a byte form)
	mov dl, cl
	sbb ecx, 0                              ; 0 - 0 - 1
	CHECK_EQ rcx, 0xffffffff, "add cl, mov dl, sbb ecx imm"
	; a JMP between a CMP and a SETZ that reads its flags: the block after
	; the JMP reads flags set before it (a translated exit and entry change
	; the host's, which must not stand for the guest's)
	mov eax, 3
	mov edx, 3
	cmp eax, edx                            ; ZF=1 CF=0
	jb .join_next                           ; not taken: the block goes on
	jmp .join_next
	ud2                                     ; (never: jumped over)
.join_next:
	setz al
	movzx eax, al
	CHECK_EQ rax, 1, "cmp, jb, jmp, setz"
	; a register ALU op whose flags only the Jcc after it reads, replaced
	; on the way through (a translator stores them only where the Jcc is
	; taken): the target reads all of them
	mov eax, 5
	cmp eax, 7                              ; CF SF AF
	jb .sunk_cmp
	xor ecx, ecx
	ud2
.sunk_cmp:
	pushfq
	pop rdx
	and edx, 0x8d5
	CHECK_EQ rdx, 0x91, "cmp, jb taken: flags"
	mov eax, 0x7fffffff
	add eax, 1                              ; OF SF AF PF; the operand from the result
	jo .sunk_add
	xor ecx, ecx
	ud2
.sunk_add:
	pushfq
	pop rdx
	and edx, 0x8d5
	CHECK_EQ rdx, 0x894, "add, jo taken: flags"
	CHECK_EQ rax, 0x80000000, "add, jo taken: the sum"
	mov ecx, 3
	mov edx, 5
	sub ecx, edx                            ; CF SF AF
	jb .sunk_sub
	xor eax, eax
	ud2
.sunk_sub:
	pushfq
	pop rdx
	and edx, 0x8d5
	CHECK_EQ rdx, 0x91, "sub, jb taken: flags"
	CHECK_EQ rcx, 0xfffffffe, "sub, jb taken: the difference"
	mov eax, 0x80000000
	test eax, eax                           ; SF PF (AF undefined)
	js .sunk_test
	xor ecx, ecx
	ud2
.sunk_test:
	pushfq
	pop rdx
	and edx, 0x8c5
	CHECK_EQ rdx, 0x84, "test, js taken: flags"
	mov ecx, 0x301
	cmp cl, 2                               ; a byte form: CF SF AF PF
	jb .sunk_cmp8
	xor eax, eax
	ud2
.sunk_cmp8:
	pushfq
	pop rdx
	and edx, 0x8d5
	CHECK_EQ rdx, 0x95, "cmp cl, jb taken: flags"
	mov edx, 0x1c0
	test dl, 0x80                           ; SF (AF undefined)
	js .sunk_test8
	xor eax, eax
	ud2
.sunk_test8:
	pushfq
	pop rdx
	and edx, 0x8c5
	CHECK_EQ rdx, 0x80, "test dl, js taken: flags"

	RAXT_DONE

	align 4096                              ; a page of its own: no data written near it
zf_cf:                                          ; rax = ZF | CF << 1
	setz al
	setc dl
	movzx eax, al
	movzx edx, dl
	lea eax, [rax + rdx * 2]
	ret
	align 4096

RAXT_RUNTIME
var: dq 0
