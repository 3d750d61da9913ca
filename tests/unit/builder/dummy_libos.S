// A stand-in LibOS for builder tests: the four symbols abi/syscall.h names,
// linked at kLibosBase. It never runs under KVM.
.text
.globl shoal_libos_start
.type shoal_libos_start,@function
shoal_libos_start:
  hlt
.globl shoal_syscall_entry
.type shoal_syscall_entry,@function
shoal_syscall_entry:
  ret $128
.globl shoal_syscall_bounce
shoal_syscall_bounce:
  lea -128(%rsp),%rsp
  pushq shoal_bounce_rip
  jmp shoal_syscall_entry
.data
.balign 8
.globl shoal_bounce_rip
shoal_bounce_rip: .quad 0
.section .note.GNU-stack,"",@progbits
