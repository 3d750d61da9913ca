// The monitor's view of KVM: one VM with one memory slot and one vCPU.
//
// The run loop and the boot code talk to KVM only through these two small
// interfaces, so their logic can be unit-tested with a fake (tests/unit/vmm).
// The real implementation (kvm_linux.cpp) is a thin layer over the ioctls.
#pragma once

#include <linux/kvm.h>
#include <stdint.h>

#include <memory>
#include <vector>

#include <shoal/base/result.hpp>

namespace shoal::vmm {

// Why KVM_RUN returned, reduced to what the exit handler needs.
struct VcpuExit {
  enum class Kind {
    io,              // port I/O: port, size, is_out, value (for out)
    interrupted,     // KVM_RUN returned EINTR (a signal, e.g. the --timeout alarm)
    shutdown,        // triple fault
    internal_error,  // KVM could not emulate something
    fail_entry,      // the vCPU state was rejected on entry
    mmio,            // access to guest-physical memory outside the slot
    hlt,             // hlt (only reachable from ring 0)
    other,           // anything else; raw_reason says what
  };
  Kind kind = Kind::other;
  uint32_t raw_reason = 0;
  uint16_t port = 0;
  uint8_t size = 0;
  bool is_out = false;
  uint32_t value = 0;      // the value written by an out (size bytes)
  uint64_t address = 0;    // mmio: the guest-physical address
  uint64_t detail = 0;     // internal_error suberror / fail_entry hardware reason
};

class Vcpu {
 public:
  virtual ~Vcpu() = default;
  virtual Result<VcpuExit> run() = 0;
  virtual Result<kvm_regs> get_regs() = 0;
  virtual Result<void> set_regs(const kvm_regs& regs) = 0;
  virtual Result<kvm_sregs> get_sregs() = 0;
  virtual Result<void> set_sregs(const kvm_sregs& sregs) = 0;
  virtual Result<void> set_msrs(const std::vector<std::pair<uint32_t, uint64_t>>& msrs) = 0;
  virtual Result<void> set_xcr0(uint64_t value) = 0;
  virtual Result<void> set_cpuid(const std::vector<kvm_cpuid_entry2>& entries) = 0;
  virtual Result<uint64_t> tsc_khz() = 0;
  // For snapshots (snapshot_vcpu.hpp): the rest of the state a resume needs.
  // The fakes do not implement them (an error).
  virtual Result<std::vector<std::pair<uint32_t, uint64_t>>> get_msrs(const std::vector<uint32_t>& indices) {
    (void)indices;
    return make_error("get_msrs: not supported");
  }
  virtual Result<kvm_xcrs> get_xcrs() { return make_error("get_xcrs: not supported"); }
  virtual Result<void> set_xcrs(const kvm_xcrs& xcrs) {
    (void)xcrs;
    return make_error("set_xcrs: not supported");
  }
  // The XSAVE area as KVM_GET_XSAVE(2) gives it (4 KiB, or larger with AMX).
  virtual Result<std::vector<uint8_t>> get_xsave() { return make_error("get_xsave: not supported"); }
  virtual Result<void> set_xsave(const std::vector<uint8_t>& area) {
    (void)area;
    return make_error("set_xsave: not supported");
  }
  // Ask a KVM_RUN in progress (or the next one) to return at once. Safe to
  // call from a signal handler.
  virtual void request_immediate_exit() = 0;
  // The vCPU's file descriptor, so the seccomp policy can pin its ioctls to
  // it; -1 for fakes that have none.
  virtual int fd() const { return -1; }
};

class Vm {
 public:
  virtual ~Vm() = default;
  // Installs host memory [host, host+size) as guest-physical [0, size).
  virtual Result<void> set_memory(void* host, uint64_t size) = 0;
  // Installs host memory [host, host+size) as guest-physical
  // [guest_addr, guest_addr+size) in memory slot `slot` (> 0; slot 0 is
  // set_memory's). Used for the channel region (abi/channel.h).
  virtual Result<void> map_region(uint32_t slot, uint64_t guest_addr, void* host, uint64_t size) = 0;
  // Makes a `len`-byte port write to `port` signal eventfd `fd` inside the
  // host kernel (KVM_IOEVENTFD, any value): the guest's kick costs no exit to
  // the monitor's user space.
  virtual Result<void> add_pio_eventfd(uint16_t port, uint32_t len, int fd) = 0;
  virtual Result<std::unique_ptr<Vcpu>> create_vcpu() = 0;
  virtual Result<std::vector<kvm_cpuid_entry2>> supported_cpuid() = 0;
  // The VM's file descriptor, so the seccomp policy can pin a memory-slot
  // ioctl made at run time (the family region's) to it; -1 for fakes.
  virtual int vm_fd() const { return -1; }
};

// Opens /dev/kvm and creates a VM.
Result<std::unique_ptr<Vm>> open_kvm_vm();

}  // namespace shoal::vmm
