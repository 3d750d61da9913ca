// The real KVM behind kvm.hpp: a thin layer over the /dev/kvm ioctls.
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "kvm.hpp"

namespace shoal::vmm {
namespace {

// NOTE: Linux 6.1's uapi headers declare the flexible arrays of kvm_cpuid2 and
// kvm_msrs with __DECLARE_FLEX_ARRAY, which in C++ adds an empty struct and
// makes sizeof() 12/16 instead of 8. The ioctl numbers encode that size, so
// they are spelled out here with the kernel's (C) layout: a u32 count, a u32
// pad, then the entries at offset 8.
constexpr unsigned long kGetSupportedCpuid = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x05, 8);
constexpr unsigned long kSetCpuid2 = _IOC(_IOC_WRITE, KVMIO, 0x90, 8);
constexpr unsigned long kSetMsrs = _IOC(_IOC_WRITE, KVMIO, 0x89, 8);
constexpr unsigned long kGetMsrs = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x88, 8);
// struct kvm_xsave ends in a flexible array too (4100 bytes in C++, 4096 in C).
constexpr size_t kXsaveStruct = 4096;
constexpr unsigned long kGetXsave = _IOC(_IOC_READ, KVMIO, 0xa4, kXsaveStruct);
constexpr unsigned long kSetXsave = _IOC(_IOC_WRITE, KVMIO, 0xa5, kXsaveStruct);
constexpr unsigned long kGetXsave2 = _IOC(_IOC_READ, KVMIO, 0xcf, kXsaveStruct);
constexpr size_t kFlexHeader = 8;

Error ioctl_error(const char* what) {
  int e = errno;
  return make_error(std::string(what) + " failed: " + strerror(e), e);
}

class LinuxVcpu final : public Vcpu {
 public:
  LinuxVcpu(int fd, kvm_run* run, size_t run_size, bool xsave2)
      : m_fd(fd), m_run(run), m_run_size(run_size), m_xsave2(xsave2) {}
  int fd() const override { return m_fd; }
  ~LinuxVcpu() override {
    munmap(m_run, m_run_size);
    close(m_fd);
  }

  Result<VcpuExit> run() override {
    VcpuExit exit;
    if (ioctl(m_fd, KVM_RUN, 0) < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        m_run->immediate_exit = 0;
        exit.kind = VcpuExit::Kind::interrupted;
        return exit;
      }
      return ioctl_error("KVM_RUN");
    }
    exit.raw_reason = m_run->exit_reason;
    switch (m_run->exit_reason) {
      case KVM_EXIT_IO: {
        exit.kind = VcpuExit::Kind::io;
        exit.port = m_run->io.port;
        exit.size = m_run->io.size;
        exit.is_out = m_run->io.direction == KVM_EXIT_IO_OUT;
        if (exit.is_out && exit.size <= 4) {
          // SAFETY: data_offset points inside the kvm_run page KVM shares with us.
          memcpy(&exit.value, reinterpret_cast<uint8_t*>(m_run) + m_run->io.data_offset, exit.size);
        }
        if (!exit.is_out) {
          // Reads from ports return all ones, as on hardware with no device.
          memset(reinterpret_cast<uint8_t*>(m_run) + m_run->io.data_offset, 0xff,
                 size_t{m_run->io.size} * m_run->io.count);
        }
        break;
      }
      case KVM_EXIT_SHUTDOWN: exit.kind = VcpuExit::Kind::shutdown; break;
      case KVM_EXIT_HLT: exit.kind = VcpuExit::Kind::hlt; break;
      case KVM_EXIT_INTERNAL_ERROR:
        exit.kind = VcpuExit::Kind::internal_error;
        exit.detail = m_run->internal.suberror;
        break;
      case KVM_EXIT_FAIL_ENTRY:
        exit.kind = VcpuExit::Kind::fail_entry;
        exit.detail = m_run->fail_entry.hardware_entry_failure_reason;
        break;
      case KVM_EXIT_MMIO:
        exit.kind = VcpuExit::Kind::mmio;
        exit.address = m_run->mmio.phys_addr;
        break;
      case KVM_EXIT_INTR: exit.kind = VcpuExit::Kind::interrupted; break;
      default: exit.kind = VcpuExit::Kind::other; break;
    }
    return exit;
  }

  Result<kvm_regs> get_regs() override {
    kvm_regs regs{};
    if (ioctl(m_fd, KVM_GET_REGS, &regs) < 0) return ioctl_error("KVM_GET_REGS");
    return regs;
  }
  Result<void> set_regs(const kvm_regs& regs) override {
    if (ioctl(m_fd, KVM_SET_REGS, &regs) < 0) return ioctl_error("KVM_SET_REGS");
    return {};
  }
  Result<kvm_sregs> get_sregs() override {
    kvm_sregs sregs{};
    if (ioctl(m_fd, KVM_GET_SREGS, &sregs) < 0) return ioctl_error("KVM_GET_SREGS");
    return sregs;
  }
  Result<void> set_sregs(const kvm_sregs& sregs) override {
    if (ioctl(m_fd, KVM_SET_SREGS, &sregs) < 0) return ioctl_error("KVM_SET_SREGS");
    return {};
  }
  Result<void> set_msrs(const std::vector<std::pair<uint32_t, uint64_t>>& msrs) override {
    std::vector<uint8_t> buf(kFlexHeader + msrs.size() * sizeof(kvm_msr_entry));
    uint32_t count = static_cast<uint32_t>(msrs.size());
    memcpy(buf.data(), &count, 4);
    for (size_t i = 0; i < msrs.size(); ++i) {
      kvm_msr_entry e{msrs[i].first, 0, msrs[i].second};
      // SAFETY: buf holds kFlexHeader + msrs.size() entries.
      memcpy(buf.data() + kFlexHeader + i * sizeof e, &e, sizeof e);
    }
    int n = ioctl(m_fd, kSetMsrs, buf.data());
    if (n < 0) return ioctl_error("KVM_SET_MSRS");
    if (static_cast<size_t>(n) != msrs.size()) {
      char msg[96];
      snprintf(msg, sizeof msg, "KVM_SET_MSRS: MSR 0x%x was refused", msrs[static_cast<size_t>(n)].first);
      return make_error(msg);
    }
    return {};
  }
  Result<void> set_xcr0(uint64_t value) override {
    kvm_xcrs xcrs{};
    xcrs.nr_xcrs = 1;
    xcrs.xcrs[0].xcr = 0;
    xcrs.xcrs[0].value = value;
    if (ioctl(m_fd, KVM_SET_XCRS, &xcrs) < 0) return ioctl_error("KVM_SET_XCRS");
    return {};
  }
  Result<void> set_cpuid(const std::vector<kvm_cpuid_entry2>& entries) override {
    std::vector<uint8_t> buf(kFlexHeader + entries.size() * sizeof(kvm_cpuid_entry2));
    uint32_t count = static_cast<uint32_t>(entries.size());
    memcpy(buf.data(), &count, 4);
    // SAFETY: buf holds kFlexHeader + entries.size() entries.
    memcpy(buf.data() + kFlexHeader, entries.data(), entries.size() * sizeof(kvm_cpuid_entry2));
    if (ioctl(m_fd, kSetCpuid2, buf.data()) < 0) return ioctl_error("KVM_SET_CPUID2");
    return {};
  }
  Result<uint64_t> tsc_khz() override {
    int khz = ioctl(m_fd, KVM_GET_TSC_KHZ, 0);
    if (khz <= 0) return ioctl_error("KVM_GET_TSC_KHZ");
    return static_cast<uint64_t>(khz);
  }
  Result<std::vector<std::pair<uint32_t, uint64_t>>> get_msrs(const std::vector<uint32_t>& indices) override {
    std::vector<uint8_t> buf(kFlexHeader + indices.size() * sizeof(kvm_msr_entry));
    uint32_t count = static_cast<uint32_t>(indices.size());
    memcpy(buf.data(), &count, 4);
    for (size_t i = 0; i < indices.size(); ++i) {
      kvm_msr_entry e{indices[i], 0, 0};
      // SAFETY: buf holds kFlexHeader + indices.size() entries.
      memcpy(buf.data() + kFlexHeader + i * sizeof e, &e, sizeof e);
    }
    int n = ioctl(m_fd, kGetMsrs, buf.data());
    if (n < 0) return ioctl_error("KVM_GET_MSRS");
    if (static_cast<size_t>(n) != indices.size()) {
      char msg[96];
      snprintf(msg, sizeof msg, "KVM_GET_MSRS: MSR 0x%x cannot be read", indices[static_cast<size_t>(n)]);
      return make_error(msg);
    }
    std::vector<std::pair<uint32_t, uint64_t>> out;
    for (size_t i = 0; i < indices.size(); ++i) {
      kvm_msr_entry e;
      memcpy(&e, buf.data() + kFlexHeader + i * sizeof e, sizeof e);
      out.emplace_back(e.index, e.data);
    }
    return out;
  }

  Result<kvm_xcrs> get_xcrs() override {
    kvm_xcrs xcrs{};
    if (ioctl(m_fd, KVM_GET_XCRS, &xcrs) < 0) return ioctl_error("KVM_GET_XCRS");
    return xcrs;
  }

  Result<void> set_xcrs(const kvm_xcrs& xcrs) override {
    if (ioctl(m_fd, KVM_SET_XCRS, &xcrs) < 0) return ioctl_error("KVM_SET_XCRS");
    return {};
  }

  // KVM copies the vCPU's whole XSAVE area, whose size follows the CPUID it
  // was given (under kvm_pvm it may exceed struct kvm_xsave, and then
  // KVM_GET_XSAVE refuses: EINVAL), so the buffer is one larger than any
  // area (AMX's is ~11 KiB). Trailing zero bytes are dropped: components
  // past XSTATE_BV read as their initial state.
  static constexpr size_t kXsaveBuffer = 64 * 1024;

  Result<std::vector<uint8_t>> get_xsave() override {
    std::vector<uint8_t> area(kXsaveBuffer, 0);
    if (ioctl(m_fd, m_xsave2 ? kGetXsave2 : kGetXsave, area.data()) < 0) return ioctl_error("KVM_GET_XSAVE");
    size_t used = area.size();
    while (used > kXsaveStruct && area[used - 1] == 0) --used;
    area.resize((used + 63) & ~size_t{63});
    return area;
  }

  Result<void> set_xsave(const std::vector<uint8_t>& area) override {
    if (area.size() > kXsaveBuffer) return make_error("XSAVE area of " + std::to_string(area.size()) + " bytes");
    std::vector<uint8_t> full(kXsaveBuffer, 0);
    memcpy(full.data(), area.data(), area.size());
    if (ioctl(m_fd, kSetXsave, full.data()) < 0) return ioctl_error("KVM_SET_XSAVE");
    return {};
  }

  void request_immediate_exit() override {
    // NOTE: called from the SIGALRM handler; one store to the shared page.
    __atomic_store_n(&m_run->immediate_exit, 1, __ATOMIC_SEQ_CST);
  }

 private:
  int m_fd;
  kvm_run* m_run;
  size_t m_run_size;
  bool m_xsave2;  // KVM_GET_XSAVE2 offered (KVM_CAP_XSAVE2)
};

class LinuxVm final : public Vm {
 public:
  LinuxVm(int kvm, int vm) : m_kvm(kvm), m_vm(vm) {}
  ~LinuxVm() override {
    close(m_vm);
    close(m_kvm);
  }

  Result<void> set_memory(void* host, uint64_t size) override { return set_region(0, 0, host, size); }
  int vm_fd() const override { return m_vm; }

  Result<void> map_region(uint32_t slot, uint64_t guest_addr, void* host, uint64_t size) override {
    if (slot == 0) return make_error("memory slot 0 is the guest's main memory");
    return set_region(slot, guest_addr, host, size);
  }

  Result<void> add_pio_eventfd(uint16_t port, uint32_t len, int fd) override {
    kvm_ioeventfd io{};
    io.addr = port;
    io.len = len;
    io.fd = fd;
    io.flags = KVM_IOEVENTFD_FLAG_PIO;  // no datamatch: any value kicks
    if (ioctl(m_vm, KVM_IOEVENTFD, &io) < 0) return ioctl_error("KVM_IOEVENTFD");
    return {};
  }

  Result<std::unique_ptr<Vcpu>> create_vcpu() override {
    int fd = ioctl(m_vm, KVM_CREATE_VCPU, 0);
    if (fd < 0) return ioctl_error("KVM_CREATE_VCPU");
    int size = ioctl(m_kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size <= 0) {
      close(fd);
      return ioctl_error("KVM_GET_VCPU_MMAP_SIZE");
    }
    void* run = mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (run == MAP_FAILED) {
      close(fd);
      return ioctl_error("mmap of the vCPU run page");
    }
    bool xsave2 = ioctl(m_vm, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2) > 0;
    return std::unique_ptr<Vcpu>(new LinuxVcpu(fd, static_cast<kvm_run*>(run), static_cast<size_t>(size), xsave2));
  }

  Result<std::vector<kvm_cpuid_entry2>> supported_cpuid() override {
    constexpr uint32_t kMaxEntries = 256;
    std::vector<uint8_t> buf(kFlexHeader + kMaxEntries * sizeof(kvm_cpuid_entry2));
    uint32_t count = kMaxEntries;
    memcpy(buf.data(), &count, 4);
    if (ioctl(m_kvm, kGetSupportedCpuid, buf.data()) < 0) return ioctl_error("KVM_GET_SUPPORTED_CPUID");
    memcpy(&count, buf.data(), 4);
    if (count > kMaxEntries) return make_error("KVM_GET_SUPPORTED_CPUID returned too many entries");
    std::vector<kvm_cpuid_entry2> entries(count);
    // SAFETY: KVM wrote count <= kMaxEntries entries after the header.
    memcpy(entries.data(), buf.data() + kFlexHeader, count * sizeof(kvm_cpuid_entry2));
    return entries;
  }

 private:
  Result<void> set_region(uint32_t slot, uint64_t guest_addr, void* host, uint64_t size) {
    kvm_userspace_memory_region region{};
    region.slot = slot;
    region.guest_phys_addr = guest_addr;
    region.memory_size = size;
    region.userspace_addr = reinterpret_cast<uint64_t>(host);
    if (ioctl(m_vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) return ioctl_error("KVM_SET_USER_MEMORY_REGION");
    return {};
  }

  int m_kvm;
  int m_vm;
};

}  // namespace

Result<std::unique_ptr<Vm>> open_kvm_vm() {
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) return ioctl_error("open /dev/kvm");
  int vm = -1;
  do {
    vm = ioctl(kvm, KVM_CREATE_VM, 0);
  } while (vm < 0 && errno == EINTR);
  if (vm < 0) {
    Error e = ioctl_error("KVM_CREATE_VM");
    close(kvm);
    return e;
  }
  return std::unique_ptr<Vm>(new LinuxVm(kvm, vm));
}

}  // namespace shoal::vmm
