// A Vcpu without KVM, for unit tests and fuzz targets that drive the
// monitor's exit handling directly. Header-only: never linked into shoal-vmm.
#pragma once

#include <deque>
#include <utility>
#include <vector>

#include "kvm.hpp"

namespace shoal::vmm {

class FakeVcpu final : public Vcpu {
 public:
  std::deque<VcpuExit> exits;  // what run() returns, in order; empty: an error
  kvm_regs regs{};
  kvm_sregs sregs{};
  int runs = 0;
  int immediate_exits = 0;

  Result<VcpuExit> run() override {
    ++runs;
    if (exits.empty()) return make_error("no more exits");
    VcpuExit e = exits.front();
    exits.pop_front();
    return e;
  }
  Result<kvm_regs> get_regs() override { return regs; }
  Result<void> set_regs(const kvm_regs& r) override {
    regs = r;
    return {};
  }
  Result<kvm_sregs> get_sregs() override { return sregs; }
  Result<void> set_sregs(const kvm_sregs& s) override {
    sregs = s;
    return {};
  }
  Result<void> set_msrs(const std::vector<std::pair<uint32_t, uint64_t>>&) override { return {}; }
  Result<void> set_xcr0(uint64_t) override { return {}; }
  Result<void> set_cpuid(const std::vector<kvm_cpuid_entry2>&) override { return {}; }
  Result<uint64_t> tsc_khz() override { return uint64_t{1000000}; }
  void request_immediate_exit() override { ++immediate_exits; }
};

}  // namespace shoal::vmm
