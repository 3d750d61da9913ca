// System-call entry, exactly per include/shoal/abi/syscall.h.
//
// On entry (ring 3): [rsp] = return address, 128 bytes of the caller's red
// zone above it, rax = number, args in rdi rsi rdx r10 r8 r9. We switch to
// the current thread's kernel stack (shoal_kstack_top, updated on every
// context switch), push a SyscallFrame (arch/x86_64/syscall_frame.hpp), call the C++
// dispatcher, restore every register but rax/rcx/r11 and `ret $128`.
    .text
    .globl shoal_syscall_entry
    .type shoal_syscall_entry, @function
    .p2align 4
shoal_syscall_entry:
    mov %rsp, %r11
    mov shoal_kstack_top(%rip), %rsp
    push %r11               // user_rsp
    push $0                 // r11 (clobbered by syscall semantics)
    push %rcx
    push %r15
    push %r14
    push %r13
    push %r12
    push %rbp
    push %rbx
    push %r9
    push %r8
    push %r10
    push %rdx
    push %rsi
    push %rdi
    push %rax               // nr
    mov %rsp, %rdi
    cld
    call shoal_syscall_dispatch
    .globl shoal_syscall_return
shoal_syscall_return:       // rsp = SyscallFrame*, rax = result
    add $8, %rsp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %r10
    pop %r8
    pop %r9
    pop %rbx
    pop %rbp
    pop %r12
    pop %r13
    pop %r14
    pop %r15
    pop %rcx
    add $8, %rsp
    pop %rsp
    ret $128
    .size shoal_syscall_entry, . - shoal_syscall_entry

// A new thread's first return to its program (clone): its kernel stack holds
// a copy of the parent's SyscallFrame whose user_rsp is child_stack - 136,
// where the parent's return address was written.
    .globl shoal_clone_child_return
    .type shoal_clone_child_return, @function
shoal_clone_child_return:
    xor %eax, %eax
    jmp shoal_syscall_return
    .size shoal_clone_child_return, . - shoal_clone_child_return

// Target of the monitor's ring-0 LSTAR stub for syscall sites the rewriter
// missed: it saved the return rip in shoal_bounce_rip and sysretq'd here.
    .globl shoal_syscall_bounce
    .type shoal_syscall_bounce, @function
shoal_syscall_bounce:
    lea -128(%rsp), %rsp
    push shoal_bounce_rip(%rip)
    jmp shoal_syscall_entry
    .size shoal_syscall_bounce, . - shoal_syscall_bounce

// shoal_context_switch(uint64_t* save_rsp, uint64_t new_rsp): save the
// callee-saved registers on this stack, switch stacks, restore the other
// thread's. Extended state and fs/gs base are switched in C++ (sched/).
    .globl shoal_context_switch
    .type shoal_context_switch, @function
shoal_context_switch:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
    .size shoal_context_switch, . - shoal_context_switch

// shoal_enter_handler(fn, a0, a1, a2, rsp): jump to a signal handler
// fn(a0, a1, a2) in ring 3 with rsp pointing at its rt_sigframe, whose first
// word (the return address) is the restorer. Never returns: the handler comes
// back through rt_sigreturn (sched/signal_deliver.cpp).
    .globl shoal_enter_handler
    .type shoal_enter_handler, @function
shoal_enter_handler:
    mov %rdi, %r11
    mov %rsi, %rdi
    mov %rdx, %rsi
    mov %rcx, %rdx
    mov %r8, %rsp
    xor %eax, %eax
    jmp *%r11
    .size shoal_enter_handler, . - shoal_enter_handler

// The restorer for handlers registered without SA_RESTORER: rt_sigreturn
// through the ordinary entry (the red zone convention of syscall.h).
    .globl shoal_sigreturn_trampoline
    .type shoal_sigreturn_trampoline, @function
shoal_sigreturn_trampoline:
    mov $15, %eax
    lea -128(%rsp), %rsp
    call shoal_syscall_entry
    ud2
    .size shoal_sigreturn_trampoline, . - shoal_sigreturn_trampoline

    .data
    .p2align 3
    .globl shoal_bounce_rip
    .type shoal_bounce_rip, @object
shoal_bounce_rip:
    .quad 0
    .size shoal_bounce_rip, 8
    .globl shoal_kstack_top
shoal_kstack_top:
    .quad shoal_boot_stack_top

    .section .note.GNU-stack, "", @progbits
