// Vector-register kernels for vector_regs.c (issue 9). Each *_syscall loads
// every vector register of its level from `in`, makes one system call with
// the registers live, and stores them all to `out`; the C side compares.
// Written in assembly so nothing between the load and the store can touch a
// register: the system call (rewritten into a call into the LibOS under
// shoal, a real one natively) must preserve all of them, across whatever
// context switches and signal handlers run inside it.
//
//   long vec_syscall_LEVEL(const void* in, void* out, long nr, long a0, long a1, long a2)
//   void vec_clobber_LEVEL(uint64_t seed)   // every register := seed (and k := seed)
//
// Image layout: register i at in + 64*i (32 slots), opmask k at 2048 + 2*k.
        .text

        .globl vec_syscall_sse
        .type vec_syscall_sse, @function
vec_syscall_sse:
        movdqu 0(%rdi), %xmm0
        movdqu 64(%rdi), %xmm1
        movdqu 128(%rdi), %xmm2
        movdqu 192(%rdi), %xmm3
        movdqu 256(%rdi), %xmm4
        movdqu 320(%rdi), %xmm5
        movdqu 384(%rdi), %xmm6
        movdqu 448(%rdi), %xmm7
        movdqu 512(%rdi), %xmm8
        movdqu 576(%rdi), %xmm9
        movdqu 640(%rdi), %xmm10
        movdqu 704(%rdi), %xmm11
        movdqu 768(%rdi), %xmm12
        movdqu 832(%rdi), %xmm13
        movdqu 896(%rdi), %xmm14
        movdqu 960(%rdi), %xmm15
        push %rsi
        mov %rdx, %rax
        mov %rcx, %rdi
        mov %r8, %rsi
        mov %r9, %rdx
        syscall
        pop %rsi
        movdqu %xmm0, 0(%rsi)
        movdqu %xmm1, 64(%rsi)
        movdqu %xmm2, 128(%rsi)
        movdqu %xmm3, 192(%rsi)
        movdqu %xmm4, 256(%rsi)
        movdqu %xmm5, 320(%rsi)
        movdqu %xmm6, 384(%rsi)
        movdqu %xmm7, 448(%rsi)
        movdqu %xmm8, 512(%rsi)
        movdqu %xmm9, 576(%rsi)
        movdqu %xmm10, 640(%rsi)
        movdqu %xmm11, 704(%rsi)
        movdqu %xmm12, 768(%rsi)
        movdqu %xmm13, 832(%rsi)
        movdqu %xmm14, 896(%rsi)
        movdqu %xmm15, 960(%rsi)
        ret
        .size vec_syscall_sse, .-vec_syscall_sse

        .globl vec_syscall_avx
        .type vec_syscall_avx, @function
vec_syscall_avx:
        vmovdqu 0(%rdi), %ymm0
        vmovdqu 64(%rdi), %ymm1
        vmovdqu 128(%rdi), %ymm2
        vmovdqu 192(%rdi), %ymm3
        vmovdqu 256(%rdi), %ymm4
        vmovdqu 320(%rdi), %ymm5
        vmovdqu 384(%rdi), %ymm6
        vmovdqu 448(%rdi), %ymm7
        vmovdqu 512(%rdi), %ymm8
        vmovdqu 576(%rdi), %ymm9
        vmovdqu 640(%rdi), %ymm10
        vmovdqu 704(%rdi), %ymm11
        vmovdqu 768(%rdi), %ymm12
        vmovdqu 832(%rdi), %ymm13
        vmovdqu 896(%rdi), %ymm14
        vmovdqu 960(%rdi), %ymm15
        push %rsi
        mov %rdx, %rax
        mov %rcx, %rdi
        mov %r8, %rsi
        mov %r9, %rdx
        syscall
        pop %rsi
        vmovdqu %ymm0, 0(%rsi)
        vmovdqu %ymm1, 64(%rsi)
        vmovdqu %ymm2, 128(%rsi)
        vmovdqu %ymm3, 192(%rsi)
        vmovdqu %ymm4, 256(%rsi)
        vmovdqu %ymm5, 320(%rsi)
        vmovdqu %ymm6, 384(%rsi)
        vmovdqu %ymm7, 448(%rsi)
        vmovdqu %ymm8, 512(%rsi)
        vmovdqu %ymm9, 576(%rsi)
        vmovdqu %ymm10, 640(%rsi)
        vmovdqu %ymm11, 704(%rsi)
        vmovdqu %ymm12, 768(%rsi)
        vmovdqu %ymm13, 832(%rsi)
        vmovdqu %ymm14, 896(%rsi)
        vmovdqu %ymm15, 960(%rsi)
        ret
        .size vec_syscall_avx, .-vec_syscall_avx

        .globl vec_syscall_avx512
        .type vec_syscall_avx512, @function
vec_syscall_avx512:
        vmovdqu64 0(%rdi), %zmm0
        vmovdqu64 64(%rdi), %zmm1
        vmovdqu64 128(%rdi), %zmm2
        vmovdqu64 192(%rdi), %zmm3
        vmovdqu64 256(%rdi), %zmm4
        vmovdqu64 320(%rdi), %zmm5
        vmovdqu64 384(%rdi), %zmm6
        vmovdqu64 448(%rdi), %zmm7
        vmovdqu64 512(%rdi), %zmm8
        vmovdqu64 576(%rdi), %zmm9
        vmovdqu64 640(%rdi), %zmm10
        vmovdqu64 704(%rdi), %zmm11
        vmovdqu64 768(%rdi), %zmm12
        vmovdqu64 832(%rdi), %zmm13
        vmovdqu64 896(%rdi), %zmm14
        vmovdqu64 960(%rdi), %zmm15
        vmovdqu64 1024(%rdi), %zmm16
        vmovdqu64 1088(%rdi), %zmm17
        vmovdqu64 1152(%rdi), %zmm18
        vmovdqu64 1216(%rdi), %zmm19
        vmovdqu64 1280(%rdi), %zmm20
        vmovdqu64 1344(%rdi), %zmm21
        vmovdqu64 1408(%rdi), %zmm22
        vmovdqu64 1472(%rdi), %zmm23
        vmovdqu64 1536(%rdi), %zmm24
        vmovdqu64 1600(%rdi), %zmm25
        vmovdqu64 1664(%rdi), %zmm26
        vmovdqu64 1728(%rdi), %zmm27
        vmovdqu64 1792(%rdi), %zmm28
        vmovdqu64 1856(%rdi), %zmm29
        vmovdqu64 1920(%rdi), %zmm30
        vmovdqu64 1984(%rdi), %zmm31
        kmovw 2048(%rdi), %k0
        kmovw 2050(%rdi), %k1
        kmovw 2052(%rdi), %k2
        kmovw 2054(%rdi), %k3
        kmovw 2056(%rdi), %k4
        kmovw 2058(%rdi), %k5
        kmovw 2060(%rdi), %k6
        kmovw 2062(%rdi), %k7
        push %rsi
        mov %rdx, %rax
        mov %rcx, %rdi
        mov %r8, %rsi
        mov %r9, %rdx
        syscall
        pop %rsi
        vmovdqu64 %zmm0, 0(%rsi)
        vmovdqu64 %zmm1, 64(%rsi)
        vmovdqu64 %zmm2, 128(%rsi)
        vmovdqu64 %zmm3, 192(%rsi)
        vmovdqu64 %zmm4, 256(%rsi)
        vmovdqu64 %zmm5, 320(%rsi)
        vmovdqu64 %zmm6, 384(%rsi)
        vmovdqu64 %zmm7, 448(%rsi)
        vmovdqu64 %zmm8, 512(%rsi)
        vmovdqu64 %zmm9, 576(%rsi)
        vmovdqu64 %zmm10, 640(%rsi)
        vmovdqu64 %zmm11, 704(%rsi)
        vmovdqu64 %zmm12, 768(%rsi)
        vmovdqu64 %zmm13, 832(%rsi)
        vmovdqu64 %zmm14, 896(%rsi)
        vmovdqu64 %zmm15, 960(%rsi)
        vmovdqu64 %zmm16, 1024(%rsi)
        vmovdqu64 %zmm17, 1088(%rsi)
        vmovdqu64 %zmm18, 1152(%rsi)
        vmovdqu64 %zmm19, 1216(%rsi)
        vmovdqu64 %zmm20, 1280(%rsi)
        vmovdqu64 %zmm21, 1344(%rsi)
        vmovdqu64 %zmm22, 1408(%rsi)
        vmovdqu64 %zmm23, 1472(%rsi)
        vmovdqu64 %zmm24, 1536(%rsi)
        vmovdqu64 %zmm25, 1600(%rsi)
        vmovdqu64 %zmm26, 1664(%rsi)
        vmovdqu64 %zmm27, 1728(%rsi)
        vmovdqu64 %zmm28, 1792(%rsi)
        vmovdqu64 %zmm29, 1856(%rsi)
        vmovdqu64 %zmm30, 1920(%rsi)
        vmovdqu64 %zmm31, 1984(%rsi)
        kmovw %k0, 2048(%rsi)
        kmovw %k1, 2050(%rsi)
        kmovw %k2, 2052(%rsi)
        kmovw %k3, 2054(%rsi)
        kmovw %k4, 2056(%rsi)
        kmovw %k5, 2058(%rsi)
        kmovw %k6, 2060(%rsi)
        kmovw %k7, 2062(%rsi)
        ret
        .size vec_syscall_avx512, .-vec_syscall_avx512

        .globl vec_clobber_sse
        .type vec_clobber_sse, @function
vec_clobber_sse:
        movq %rdi, %xmm0
        punpcklqdq %xmm0, %xmm0
        movdqa %xmm0, %xmm1
        movdqa %xmm0, %xmm2
        movdqa %xmm0, %xmm3
        movdqa %xmm0, %xmm4
        movdqa %xmm0, %xmm5
        movdqa %xmm0, %xmm6
        movdqa %xmm0, %xmm7
        movdqa %xmm0, %xmm8
        movdqa %xmm0, %xmm9
        movdqa %xmm0, %xmm10
        movdqa %xmm0, %xmm11
        movdqa %xmm0, %xmm12
        movdqa %xmm0, %xmm13
        movdqa %xmm0, %xmm14
        movdqa %xmm0, %xmm15
        ret
        .size vec_clobber_sse, .-vec_clobber_sse

        .globl vec_clobber_avx
        .type vec_clobber_avx, @function
vec_clobber_avx:
        vmovq %rdi, %xmm0
        vpunpcklqdq %xmm0, %xmm0, %xmm0
        vinsertf128 $1, %xmm0, %ymm0, %ymm0
        vmovdqa %ymm0, %ymm1
        vmovdqa %ymm0, %ymm2
        vmovdqa %ymm0, %ymm3
        vmovdqa %ymm0, %ymm4
        vmovdqa %ymm0, %ymm5
        vmovdqa %ymm0, %ymm6
        vmovdqa %ymm0, %ymm7
        vmovdqa %ymm0, %ymm8
        vmovdqa %ymm0, %ymm9
        vmovdqa %ymm0, %ymm10
        vmovdqa %ymm0, %ymm11
        vmovdqa %ymm0, %ymm12
        vmovdqa %ymm0, %ymm13
        vmovdqa %ymm0, %ymm14
        vmovdqa %ymm0, %ymm15
        ret
        .size vec_clobber_avx, .-vec_clobber_avx

        .globl vec_clobber_avx512
        .type vec_clobber_avx512, @function
vec_clobber_avx512:
        vpbroadcastq %rdi, %zmm0
        vmovdqa64 %zmm0, %zmm1
        vmovdqa64 %zmm0, %zmm2
        vmovdqa64 %zmm0, %zmm3
        vmovdqa64 %zmm0, %zmm4
        vmovdqa64 %zmm0, %zmm5
        vmovdqa64 %zmm0, %zmm6
        vmovdqa64 %zmm0, %zmm7
        vmovdqa64 %zmm0, %zmm8
        vmovdqa64 %zmm0, %zmm9
        vmovdqa64 %zmm0, %zmm10
        vmovdqa64 %zmm0, %zmm11
        vmovdqa64 %zmm0, %zmm12
        vmovdqa64 %zmm0, %zmm13
        vmovdqa64 %zmm0, %zmm14
        vmovdqa64 %zmm0, %zmm15
        vmovdqa64 %zmm0, %zmm16
        vmovdqa64 %zmm0, %zmm17
        vmovdqa64 %zmm0, %zmm18
        vmovdqa64 %zmm0, %zmm19
        vmovdqa64 %zmm0, %zmm20
        vmovdqa64 %zmm0, %zmm21
        vmovdqa64 %zmm0, %zmm22
        vmovdqa64 %zmm0, %zmm23
        vmovdqa64 %zmm0, %zmm24
        vmovdqa64 %zmm0, %zmm25
        vmovdqa64 %zmm0, %zmm26
        vmovdqa64 %zmm0, %zmm27
        vmovdqa64 %zmm0, %zmm28
        vmovdqa64 %zmm0, %zmm29
        vmovdqa64 %zmm0, %zmm30
        vmovdqa64 %zmm0, %zmm31
        kmovw %edi, %k0
        kmovw %edi, %k1
        kmovw %edi, %k2
        kmovw %edi, %k3
        kmovw %edi, %k4
        kmovw %edi, %k5
        kmovw %edi, %k6
        kmovw %edi, %k7
        ret
        .size vec_clobber_avx512, .-vec_clobber_avx512

        .section .note.GNU-stack,"",@progbits
