; t_smc.asm - self-modifying code (CPL3): code rewritten while it runs hot,
; an instruction rewritten by the one before it in the same straight run,
; and data kept on the same page as the loop that writes it. Interpreters
; and translators that cache decoded or translated code must see every
; rewrite at once (the block cache drops a block when its page is written,
; rax --jit on drops its translation with it).
%include "include/raxtest.inc"
RAXT_HEADER 3
RAXT_HEADER_END

	; 1. A hot inner loop whose ADD immediate the outer loop rewrites: the
	;    loop runs 64 times with each value 1..40, so it is hot (translated
	;    under --jit on) before every rewrite. Sum: 64 * (1 + ... + 40).
	xor ebx, ebx
	mov edx, 1
.outer:
	mov [rel .hot_add + 3], dl       ; add rbx, imm8 is 48 83 c3 ib
	mov ecx, 64
.inner:
.hot_add:
	add rbx, 0
	dec ecx
	jnz .inner
	inc edx
	cmp edx, 40
	jbe .outer
	CHECK_EQ rbx, 64 * 820, "smc: hot loop sees each rewritten immediate"

	; 2. The store rewrites the very next instruction of the same run
	;    (mov eax, imm32 is b8 id): the new immediate executes, 300 times.
	xor esi, esi
	mov ecx, 300
.next:
	mov [rel .next_mov + 1], ecx
.next_mov:
	mov eax, 0
	add rsi, rax
	dec ecx
	jnz .next
	CHECK_EQ rsi, 300 * 301 / 2, "smc: the next instruction rewritten"

	; 3. Data on the loop's own page: a counter and a running sum in
	;    memory next to the code that updates them, 500 times.
	mov qword [rel counter], 0
	mov qword [rel total], 0
	mov ecx, 500
.data:
	add qword [rel counter], 1
	mov rax, [rel counter]
	add [rel total], rax
	dec ecx
	jnz .data
	CHECK_EQ qword [rel counter], 500, "smc: counter on the code page"
	CHECK_EQ qword [rel total], 500 * 501 / 2, "smc: sum on the code page"
	RAXT_DONE
	align 8
counter: dq 0
total: dq 0
RAXT_RUNTIME
