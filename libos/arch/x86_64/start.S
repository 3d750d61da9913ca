// shoal_libos_start: where the vCPU starts (ring 3, rsp = 0, rdi = BootInfo*).
// The TSC is read first so the clock's zero is as close as possible to the
// monitor's BootInfo.realtime_ns sample.
    .section .text.boot, "ax"
    .globl shoal_libos_start
    .type shoal_libos_start, @function
shoal_libos_start:
    rdtsc
    shl $32, %rdx
    or %rdx, %rax
    mov %rax, shoal_boot_tsc(%rip)
    lea shoal_boot_stack_top(%rip), %rsp
    xor %ebp, %ebp
    cld
    call libos_main            // (BootInfo* in rdi); never returns
    ud2
    .size shoal_libos_start, . - shoal_libos_start

// shoal_enter_app(entry, user_rsp): jump to the program with every
// general-purpose register zero except rsp (rdx = 0: no atexit function).
    .text
    .globl shoal_enter_app
    .type shoal_enter_app, @function
shoal_enter_app:
    mov %rsi, %rsp
    mov %rdi, %r11
    xor %eax, %eax
    xor %ebx, %ebx
    xor %ecx, %ecx
    xor %edx, %edx
    xor %esi, %esi
    xor %edi, %edi
    xor %ebp, %ebp
    xor %r8d, %r8d
    xor %r9d, %r9d
    xor %r10d, %r10d
    xor %r12d, %r12d
    xor %r13d, %r13d
    xor %r14d, %r14d
    xor %r15d, %r15d
    push %r11
    xor %r11d, %r11d
    ret
    .size shoal_enter_app, . - shoal_enter_app

    .data
    .globl shoal_boot_tsc
    .p2align 3
shoal_boot_tsc:
    .quad 0

// The boot / main-thread kernel stack.
    .bss
    .p2align 12
    .globl shoal_boot_stack_bottom
shoal_boot_stack_bottom:
    .skip 65536
    .globl shoal_boot_stack_top
shoal_boot_stack_top:

    .section .note.GNU-stack, "", @progbits
