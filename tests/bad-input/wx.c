// A static program with a writable and executable section: `wx_code` lives
// in a section with flags "awx", so the linker gives the program a PT_LOAD
// segment with PF_R|PF_W|PF_X (it warns so). Real cases: self-modifying
// code, hand-written JIT stubs.
#include <stdio.h>

__asm__(".section .wxcode,\"awx\",@progbits\n"
        ".globl wx_code\n"
        "wx_code:\n"
        "\tret\n"
        ".previous\n");
void wx_code(void);

int main(void) {
  wx_code();
  printf("hello, %s %d\n", "world", 42);
  return 0;
}
