// The fault upcall (sched/signal_fault.cpp): where the monitor resumes the
// vCPU, in ring 3, after a CPU exception of program code. Registers other
// than rip are unspecified, so it takes the current thread's kernel stack
// (free: the thread was running program code) and never returns.
    .text
    .globl shoal_fault_upcall
    .type shoal_fault_upcall, @function
    .p2align 4
shoal_fault_upcall:
    mov shoal_kstack_top(%rip), %rsp
    and $-16, %rsp
    cld
    call shoal_fault_dispatch
    ud2
    .size shoal_fault_upcall, . - shoal_fault_upcall

// shoal_fault_resume(const GuestRegs* r): back to the program with every
// register from *r (layout of abi::GuestRegs: rax rbx rcx rdx rsi rdi rbp
// rsp r8-r15 rip rflags). Nothing is written to the program's stack (it may
// be the one that overflowed): rsp and rip go through two LibOS slots, which
// nothing can change between the last two instructions (one vCPU, and the
// LibOS is never preempted).
    .globl shoal_fault_resume
    .type shoal_fault_resume, @function
shoal_fault_resume:
    mov 56(%rdi), %rax
    mov %rax, shoal_resume_rsp(%rip)
    mov 128(%rdi), %rax
    mov %rax, shoal_resume_rip(%rip)
    push 136(%rdi)
    mov 0(%rdi), %rax
    mov 8(%rdi), %rbx
    mov 16(%rdi), %rcx
    mov 24(%rdi), %rdx
    mov 32(%rdi), %rsi
    mov 48(%rdi), %rbp
    mov 64(%rdi), %r8
    mov 72(%rdi), %r9
    mov 80(%rdi), %r10
    mov 88(%rdi), %r11
    mov 96(%rdi), %r12
    mov 104(%rdi), %r13
    mov 112(%rdi), %r14
    mov 120(%rdi), %r15
    mov 40(%rdi), %rdi
    popfq
    mov shoal_resume_rsp(%rip), %rsp
    jmp *shoal_resume_rip(%rip)
    .size shoal_fault_resume, . - shoal_fault_resume

    .data
    .p2align 3
shoal_resume_rsp:
    .quad 0
shoal_resume_rip:
    .quad 0

    .section .note.GNU-stack, "", @progbits
