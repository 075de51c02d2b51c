; hot_int.asm - the integer hot loop (bench/hot-loops.sh; pytest/test_hot_loops.py):
; a multiboot kernel that runs ITERS iterations of a mixed integer body in
; 64-bit mode - mov, add/sub/and/or/xor/cmp/test, lea, shl/shr/sar/rol,
; imul, cmov, setcc, movzx, loads and stores to a 16-qword array, push/pop,
; a call/ret and conditional branches that depend on the data - and checks
; the checksum it folds from its registers and the array (report and exit:
; asm/include/hot.inc). About 59.5 instructions an iteration (a few on one
; path of a branch or the other); all deterministic.
;
;   nasm -f bin -DITERS=N [-DEXPECT=0x...] -I asm/ -o hot_int.bin asm/hot_int.asm
; (include/hot.inc: the counts with known checksums below, the same from
; QEMU TCG, rax's interpreter and the host CPU.)
bits 32
org 0x100000

%define HOT_NAME "HOT-INT"
%define HOT_EXPECT_100000 0x983f703b65fde224   ; the tests' count (the default ITERS)
%define HOT_EXPECT_1000 0x10d3fde82f46a817     ; bench/hot-loops.sh's start-up run
%define HOT_BENCH_ITERS 20000000
%define HOT_EXPECT_BENCH 0x3c40d20e7389cd49    ; bench/hot-loops.sh's count

%include "include/hot.inc"

hot_main:
	mov rbx, 6364136223846793005    ; LCG multiplier
	mov rbp, 1442695040888963407    ; LCG increment
	mov r10, 0x853c49e6748fea9b     ; LCG state
	mov r11, array
	xor r8, r8
	mov r9, 0x0123456789abcdef
	xor r12, r12
	xor r13, r13
	mov r14, 0x5555aaaa5555aaaa
	xor r15, r15
	mov ecx, ITERS
	align 16
.loop:
	mov rax, r10                    ; next LCG value
	imul rax, rbx
	add rax, rbp
	mov r10, rax
	mov rdx, rax
	shr rdx, 33
	mov esi, edx
	and esi, 15                     ; an array index
	mov rdi, [r11 + rsi * 8]        ; load, mix, store back
	xor rdi, rdx
	add rdi, r8
	mov [r11 + rsi * 8], rdi
	lea r8, [r8 + rdi * 2 + 7]
	sub r9, rdx
	rol r9, 13
	mov rax, rdi
	sar rax, 7
	xor r9, rax
	cmp rdx, r9
	cmovb r12, rdx
	cmovae r13, rdi
	test dl, 1                      ; a branch on the data
	jz .even
	add r12, r9
	jmp .join
.even:
	sub r12, r8
	or r12, 1
.join:
	push r8
	push r9
	call mix                        ; rax = mix(rdi, rdx)
	pop r9
	pop r8
	add r13, rax
	movzx eax, al
	cmp eax, 0x80
	jb .low
	xor r14, r13
	shl r14, 1
	adc r14, 0
.low:
	lea r15, [r15 + rax * 8]
	mov edx, r14d                   ; 32-bit forms: zero-extension
	add edx, r8d
	sub r15d, edx
	imul edx, edx, 0x9e3779b1
	and edx, 0x0fffffff
	add r15, rdx
	setnz al
	movzx eax, al
	add r12, rax
	mov eax, esi                    ; a byte store and a byte load
	xor eax, 3
	mov [r11 + 128 + rax], dl
	movzx edx, byte [r11 + 128 + rsi]
	add r14, rdx
	dec ecx
	jnz .loop

	; the checksum: the registers and the array
	mov rax, r8
	xor rax, r9
	add rax, r12
	rol rax, 17
	xor rax, r13
	add rax, r14
	rol rax, 9
	xor rax, r15
	xor ecx, ecx
.fold:
	imul rax, rbx
	add rax, [r11 + rcx * 8]
	inc ecx
	cmp ecx, 18
	jb .fold
	jmp hot_report

	align 16
mix:
	mov rax, rdi
	imul rax, rax, 0x2545f491
	xor rax, rdx
	mov rdx, rax
	shr rdx, 29
	xor rax, rdx
	ret

HOT_BSS
array: resq 18                          ; 16 qwords, then 16 bytes for the byte accesses
HOT_BSS_END
