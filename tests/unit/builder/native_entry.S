// The stand-in for the LibOS's shoal_syscall_entry used by native_run: it
// honours the entry contract of abi/syscall.h and performs the call with a
// real `syscall` on the host, so a rewritten program can run as an ordinary
// Linux process. Position-independent: native_run copies these bytes to the
// image's shoal_syscall_entry address.
.text
.globl native_entry_begin, native_entry_end
native_entry_begin:
  cmp $15, %eax              // rt_sigreturn: the kernel wants rsp at the frame
  jne 1f
  lea 136(%rsp), %rsp
  syscall
1:
  cmp $435, %eax             // clone3: make glibc fall back to clone
  jne 2f
  mov $-38, %rax
  ret $128
2:
  cmp $56, %eax              // clone with a new stack: the child returns
  jne 3f                     // through `ret $128` on that stack
  test %rsi, %rsi
  jz 3f
  mov (%rsp), %rcx
  mov %rcx, -136(%rsi)
  lea -136(%rsi), %rsi
3:
  cmp $58, %eax              // vfork: the child's calls through stubs would
  jne 4f                     // write over the parent's return address on the
  mov $57, %eax              // shared stack; a fork is a valid vfork (POSIX)
4:
  syscall
  ret $128
native_entry_end:
.section .note.GNU-stack,"",@progbits
