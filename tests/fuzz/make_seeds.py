#!/usr/bin/env python3
"""Writes the seed corpora of the monitor's fuzz targets (vmm/fuzz) into
tests/fuzz/corpus/<target>/. Each seed is one valid, interesting case in the
target's input layout (documented at the top of each fuzz_*.cpp), so the
fuzzer starts from inputs that reach every hypercall handler, the fault port
and a symbolized backtrace instead of having to discover the layout.
Run again after changing a layout; the files are small and checked in."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PORT_BASE = 0x500
FAULT_PORT = 0x4FF
MEM = 0x380000  # kMaxMemory in fuzz_hypercalls.cpp
ARGS = 0x300000  # argument structs live above the LibOS floor (0x200000)
BUF = 0x310000
STACK = 0x370000
CODE = 0x400  # a code range inside the arena: [0x2ff000, 0x300000)
CODE_START = 0x2FF000


def symbols(entries):
    """A symbols section: header, sorted entries, string table."""
    strtab = b""
    table = b""
    for addr, size, name in sorted(entries):
        table += struct.pack("<QII", addr, size, len(strtab))
        strtab += name.encode() + b"\0"
    return struct.pack("<II", len(entries), len(strtab)) + table + strtab


SYMS = symbols([(CODE_START, 0x100, "main"), (CODE_START + 0x100, 0, "helper")])


def hc_input(patches, exits, *, memory=MEM, image_end=0x300000, flags=0, rip=CODE_START + 0x10,
             rsp=STACK, rdx=0, cs=3, cr2=0, syms=SYMS):
    out = struct.pack("<IIB", memory, image_end, flags)
    out += struct.pack("<H", len(syms)) + syms
    out += struct.pack("<B", 1) + struct.pack("<II", CODE_START, 0x1000)
    out += struct.pack("<IIIHI", rip, rsp, rdx, cs, cr2)
    # The code range holds `call rel32` so the word on the stack is a return
    # address the backtrace scanner accepts.
    code = (CODE_START + 0x20, b"\xe8\0\0\0\0\x90")
    stack = (STACK, struct.pack("<QQ", CODE_START + 0x25, 0x1234))
    patches = [code, stack] + patches
    out += struct.pack("<B", len(patches))
    for addr, data in patches:
        out += struct.pack("<IH", addr, len(data)) + data
    for port, size, flags_, value in exits:
        out += struct.pack("<HBBI", port, size, flags_, value)
    return out


def hc(nr, args, extra=(), **kw):
    return hc_input([(ARGS, args)] + list(extra), [(PORT_BASE + nr, 4, 1, ARGS)], **kw)


def hypercall_seeds():
    msg = b"hello from the guest\n\x1b[31m"
    regs = struct.pack("<19Q", *([0] * 6 + [0, STACK] + [0] * 8 + [CODE_START + 0x30, 0x202, 0]))
    return {
        "console_write": hc(1, struct.pack("<IIQQq", 1, 0, BUF, len(msg), 0), [(BUF, msg)]),
        "console_write_stderr_bad_fd": hc_input(
            [(ARGS, struct.pack("<IIQQq", 2, 0, BUF, 4, 0)), (ARGS + 0x40, struct.pack("<IIQQq", 7, 0, BUF, 4, 0))],
            [(PORT_BASE + 1, 4, 1, ARGS), (PORT_BASE + 1, 4, 1, ARGS + 0x40)]),
        "console_write_out_of_memory": hc(1, struct.pack("<IIQQq", 1, 0, MEM - 2, 16, 0)),
        "console_read": hc(2, struct.pack("<IIQQq", 0, 0, BUF, 64, 0)),
        "block": hc(3, struct.pack("<QQ", 1000, 0)),
        "block_forever": hc(3, struct.pack("<QQ", 2**64 - 1, 0)),
        "block_timeout": hc(3, struct.pack("<QQ", 5, 0), flags=1),
        "exit": hc(4, struct.pack("<iI", 300, 0)),
        "report_panic": hc(5, struct.pack("<IiQQII", 1, 134, BUF, len(msg), 1, 0) + regs, [(BUF, msg)]),
        "report_signal": hc(5, struct.pack("<IiQQII", 2, 139, BUF, 3, 0, 0) + regs, [(BUF, b"abc")]),
        "report_deadlock": hc(5, struct.pack("<IiQQII", 3, 0, BUF, 0, 0, 0) + regs),
        "discard": hc(6, struct.pack("<QQq", 0x340000, 0x2000, 0)),
        "discard_unaligned": hc(6, struct.pack("<QQq", 0x340001, 0x2000, 0)),
        "args_below_libos": hc_input([], [(PORT_BASE + 1, 4, 1, 0x1000)]),
        "bad_port": hc_input([], [(0x80, 1, 1, 0)]),
        "in_from_hypercall_port": hc_input([], [(PORT_BASE + 1, 4, 0, ARGS)]),
        "fault_port_ring0": hc_input(
            [(STACK - 0x100, struct.pack("<8Q", 0x11, 14, 6, CODE_START + 0x10, 0x2b, 0x202, STACK, 0x23))],
            [(FAULT_PORT, 4, 1, 14)], rsp=STACK - 0x100, cs=0, cr2=0x10),
        "fault_port_ring3": hc_input([], [(FAULT_PORT, 4, 1, 0)], cs=3),
        "shutdown": hc_input([], [(0, 0, 4 << 1, 0)]),
        "mmio": hc_input([], [(0, 0, 5 << 1, 0xdead000)]),
    }


def backtrace_seeds():
    def bt(rip, rsp, stack_end, memory, flags=0, syms=symbols([(0x1000, 0x40, "main"), (0x1040, 0, "helper")])):
        out = struct.pack("<QQQB", rip, rsp, stack_end, flags)
        out += struct.pack("<B", 1) + struct.pack("<II", 0x1000, 0x100)
        return out + struct.pack("<H", len(syms)) + syms + memory

    mem = bytearray(0x1200)
    mem[0x1010:0x1015] = b"\xe8\0\0\0\0"         # call rel32, returns to 0x1015
    mem[0x1020:0x1022] = b"\xff\xd0"             # call *%rax, returns to 0x1022
    mem[0x1030:0x1033] = b"\xff\x55\x08"         # call *8(%rbp), returns to 0x1033
    stack = struct.pack("<5Q", 0x1015, 0x1015, 0x9999, 0x1022, 0x1033)
    mem[0x1100:0x1100 + len(stack)] = stack
    return {
        "stack_scan": bt(0x1004, 0x1100, 0x1200, bytes(mem)),
        "rsp_near_top": bt(0x1004, 2**64 - 3, 2**64 - 1, bytes(mem), flags=1),
        "stack_end_past_memory": bt(0x1004, 0x11f9, 0x100000, bytes(mem)),
        # Regressions: symbol names come from the image, so they are hostile
        # too. A name longer than the report's line buffer cut the newline
        # off its frame line, and control bytes reached the terminal as is.
        "regress-long-symbol-name-merges-frames": bt(
            0x1004, 0x1100, 0x1200, bytes(mem), syms=symbols([(0x1000, 0x40, "_Z" + "N" * 400), (0x1040, 0, "h")])),
        "regress-symbol-name-control-bytes": bt(
            0x1004, 0x1100, 0x1200, bytes(mem),
            syms=symbols([(0x1000, 0x40, "main\n  #7 0x0 spoofed\x1b[2J"), (0x1040, 0, "h")])),
    }


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def main():
    write("fuzz_hypercalls", hypercall_seeds())
    write("fuzz_backtrace", backtrace_seeds())
    return 0


if __name__ == "__main__":
    sys.exit(main())
