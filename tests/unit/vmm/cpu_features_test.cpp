// Issue 9: xsave area sizing and the --cpu-features variants (XCR0 and the
// CPUID the guest reads), as pure functions over CPUID tables.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <shoal/abi/xsave.h>

#include "cpu_setup.hpp"
#include "devices/channel/channel_module.hpp"
#include "devices/net/net_module.hpp"
#include "options.hpp"

using namespace shoal::vmm;
namespace sabi = shoal::abi;

namespace {

kvm_cpuid_entry2 leaf(uint32_t function, uint32_t index, uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx) {
  kvm_cpuid_entry2 e{};
  e.function = function;
  e.index = index;
  e.eax = eax;
  e.ebx = ebx;
  e.ecx = ecx;
  e.edx = edx;
  return e;
}

constexpr uint32_t bit(unsigned n) { return 1u << n; }

const kvm_cpuid_entry2& find(const std::vector<kvm_cpuid_entry2>& t, uint32_t function, uint32_t index) {
  for (const auto& e : t) {
    if (e.function == function && e.index == index) return e;
  }
  static kvm_cpuid_entry2 none{};
  ADD_FAILURE() << "no leaf " << function << "." << index;
  return none;
}

// KVM's supported CPUID on an AMD EPYC (Zen 4) host under kvm_pvm, reduced to
// the leaves that matter: XSAVE, AVX, FMA, F16C; AVX2, BMI1/2, AVX-512
// F/DQ/IFMA/CD/BW/VL, VBMI, VBMI2, VAES, VPCLMULQDQ, VNNI, BITALG,
// VPOPCNTDQ; AVX512_BF16; leaf 0xD with PKRU supported, and the EBX = 576
// the guest read there (it does not follow XCR0 under kvm_pvm).
std::vector<kvm_cpuid_entry2> epyc() {
  return {
      leaf(1, 0, 0, 0, bit(26) | bit(28) | bit(12) | bit(29) | bit(0), 0),
      leaf(7, 0, 1, bit(3) | bit(5) | bit(8) | bit(16) | bit(17) | bit(21) | bit(28) | bit(30) | bit(31),
           bit(1) | bit(6) | bit(9) | bit(10) | bit(11) | bit(12) | bit(14), 0),
      leaf(7, 1, bit(4) | bit(5), 0, 0, 0),
      leaf(0x80000001, 0, 0, 0, bit(0), 0),
      leaf(0xd, 0, 0x2e7, 576, 2440, 0),
      leaf(0xd, 1, 0xf, 576, 0, 0),
      leaf(0xd, 2, 256, 576, 0, 0),
      leaf(0xd, 5, 64, 832, 0, 0),
      leaf(0xd, 6, 512, 896, 0, 0),
      leaf(0xd, 7, 1024, 1408, 0, 0),
      leaf(0xd, 9, 8, 2432, 0, 0),
  };
}

// The same host without AVX-512 (a typical Zen 2/3 or client Intel).
std::vector<kvm_cpuid_entry2> avx_only() {
  return {
      leaf(1, 0, 0, 0, bit(26) | bit(28) | bit(12) | bit(29), 0),
      leaf(7, 0, 0, bit(3) | bit(5) | bit(8), 0, 0),
      leaf(0xd, 0, 0x7, 576, 832, 0),
      leaf(0xd, 1, 0xf, 576, 0, 0),
      leaf(0xd, 2, 256, 576, 0, 0),
  };
}

// ---- sizing (abi/xsave.h) -------------------------------------------------

TEST(XsaveSize, EpycCaseOfIssue9) {
  // XCR0 = 0xe7, EBX = 576 (wrong), ECX = 2432: 2,432 bytes, never 576.
  auto t = epyc();
  for (auto& e : t) {
    if (e.function == 0xd && e.index == 0) e.ecx = 2432;
  }
  EXPECT_EQ(xsave_area_size(t, 0xe7), 2432u);
}

TEST(XsaveSize, ComponentsAloneSuffice) {
  // Sub-leaf 0 says nothing useful (EBX the reset value, ECX zero): the
  // components' offset + size still give the size.
  auto t = epyc();
  for (auto& e : t) {
    if (e.function == 0xd && e.index == 0) e.ebx = 576, e.ecx = 0;
  }
  EXPECT_EQ(xsave_area_size(t, 0xe7), 2432u);
  EXPECT_EQ(xsave_area_size(t, 0x7), 832u);
  EXPECT_EQ(xsave_area_size(t, 0x3), 576u);
}

TEST(XsaveSize, SubLeafZeroOnlyRaisesIt) {
  // ECX covers every supported component (here PKRU too): the safe maximum,
  // rounded up to 64.
  EXPECT_EQ(xsave_area_size(epyc(), 0xe7), 2496u);
  // A too-small ECX never lowers the components' end.
  auto t = epyc();
  for (auto& e : t) {
    if (e.function == 0xd && e.index == 0) e.ecx = 1000;
  }
  EXPECT_EQ(xsave_area_size(t, 0xe7), 2432u);
}

TEST(XsaveSize, MissingComponentIsNoAnswer) {
  auto t = epyc();
  std::erase_if(t, [](const kvm_cpuid_entry2& e) { return e.function == 0xd && e.index == 7; });
  EXPECT_EQ(xsave_area_size(t, 0xe7), 0u);  // Hi16_ZMM enabled but undescribed
  EXPECT_EQ(xsave_area_size(t, 0x7), 2496u);  // described; ECX (every component) raises it
}

TEST(XsaveSize, SharedTemplateAsTheGuestCallsIt) {
  // The LibOS calls the same function with cpuid as the leaf source.
  auto size = sabi::xsave_area_size(0xe7, [](uint32_t i) {
    switch (i) {
      case 0: return sabi::CpuidRegs{0xe7, 576, 2432, 0};
      case 2: return sabi::CpuidRegs{256, 576, 0, 0};
      case 5: return sabi::CpuidRegs{64, 832, 0, 0};
      case 6: return sabi::CpuidRegs{512, 896, 0, 0};
      case 7: return sabi::CpuidRegs{1024, 1408, 0, 0};
    }
    return sabi::CpuidRegs{};
  });
  EXPECT_EQ(size, 2432u);
  // An offset inside the legacy area and header is a broken leaf: no answer.
  EXPECT_EQ(sabi::xsave_area_size(0x7, [](uint32_t i) {
              return i == 2 ? sabi::CpuidRegs{256, 100, 0, 0} : sabi::CpuidRegs{0x7, 832, 832, 0};
            }),
            0u);
}

// ---- variants ---------------------------------------------------------------

// Where KVM's table lists XSAVE, the host's own CPU is not consulted.
HostCpu no_host() {
  ADD_FAILURE() << "read the host CPU although KVM virtualizes XSAVE";
  return {};
}

TEST(CpuFeatures, Offered) {
  EXPECT_EQ(offered_cpu_features(epyc()),
            (std::vector<CpuFeatures>{CpuFeatures::baseline, CpuFeatures::avx, CpuFeatures::avx512}));
  EXPECT_EQ(offered_cpu_features(avx_only()), (std::vector<CpuFeatures>{CpuFeatures::baseline, CpuFeatures::avx}));
  EXPECT_TRUE(offered_cpu_features({leaf(1, 0, 0, 0, 0, 0)}).empty());
  // AVX-512 state without the AVX512F bit (or the reverse) is not AVX-512.
  auto t = epyc();
  for (auto& e : t) {
    if (e.function == 7 && e.index == 0) e.ebx &= ~bit(16);
  }
  EXPECT_EQ(offered_cpu_features(t).back(), CpuFeatures::avx);
}

TEST(CpuFeatures, Baseline) {
  auto c = make_cpu_config(epyc(), CpuFeatures::baseline, no_host);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->features, CpuFeatures::baseline);
  EXPECT_EQ(c->xcr0, 0x3u);
  EXPECT_EQ(c->xsave_size, 576u);
  const auto& l1 = find(c->cpuid, 1, 0);
  EXPECT_EQ(l1.ecx & (bit(28) | bit(12) | bit(29)), 0u);  // no AVX FMA F16C
  EXPECT_NE(l1.ecx & bit(26), 0u);                        // XSAVE stays
  EXPECT_NE(l1.ecx & bit(0), 0u);                         // SSE3 stays
  const auto& l7 = find(c->cpuid, 7, 0);
  EXPECT_EQ(l7.ebx & (bit(5) | bit(16) | bit(17) | bit(30) | bit(31)), 0u);
  EXPECT_EQ(l7.ebx & (bit(3) | bit(8)), bit(3) | bit(8));  // BMI1/BMI2: general registers
  EXPECT_EQ(l7.ecx & (bit(1) | bit(6) | bit(9) | bit(10) | bit(11)), 0u);
  EXPECT_EQ(find(c->cpuid, 7, 1).eax & (bit(4) | bit(5)), 0u);
  const auto& d0 = find(c->cpuid, 0xd, 0);
  EXPECT_EQ(d0.eax, 0x3u);
  EXPECT_EQ(d0.edx, 0u);
  EXPECT_EQ(d0.ebx, 576u);
  EXPECT_EQ(d0.ecx, 576u);
  // The layout of every component stays described (sizing what a CPU that
  // ignores XCR0 would save needs it).
  EXPECT_EQ(find(c->cpuid, 0xd, 7).eax, 1024u);
  EXPECT_TRUE(c->set_xcr0);
  EXPECT_TRUE(c->strict);
}

TEST(CpuFeatures, Avx) {
  auto c = make_cpu_config(epyc(), CpuFeatures::avx, no_host);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->xcr0, 0x7u);
  EXPECT_EQ(c->xsave_size, 832u);
  EXPECT_NE(find(c->cpuid, 1, 0).ecx & bit(28), 0u);
  const auto& l7 = find(c->cpuid, 7, 0);
  EXPECT_NE(l7.ebx & bit(5), 0u);  // AVX2
  EXPECT_EQ(l7.ebx & (bit(16) | bit(17) | bit(21) | bit(28) | bit(30) | bit(31)), 0u);
  EXPECT_EQ(l7.ecx & (bit(1) | bit(6) | bit(11) | bit(12) | bit(14)), 0u);
  EXPECT_EQ(l7.ecx & (bit(9) | bit(10)), bit(9) | bit(10));  // VAES, VPCLMULQDQ have VEX forms
  EXPECT_EQ(find(c->cpuid, 7, 1).eax, bit(4));               // AVX-VNNI stays, AVX512_BF16 goes
  const auto& d0 = find(c->cpuid, 0xd, 0);
  EXPECT_EQ(d0.eax, 0x7u);
  EXPECT_EQ(d0.ebx, 832u);
  EXPECT_EQ(d0.ecx, 832u);
  EXPECT_EQ(find(c->cpuid, 0xd, 2).eax, 256u);
}

TEST(CpuFeatures, Avx512) {
  auto c = make_cpu_config(epyc(), CpuFeatures::avx512, no_host);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->xcr0, 0xe7u);
  EXPECT_EQ(c->xsave_size, 2432u);
  EXPECT_EQ(find(c->cpuid, 7, 0).ebx, epyc()[1].ebx);  // every feature bit as the host has it
  const auto& d0 = find(c->cpuid, 0xd, 0);
  EXPECT_EQ(d0.eax, 0xe7u);  // PKRU is not in XCR0, so not advertised
  EXPECT_EQ(d0.ebx, 2432u);  // not the 576 KVM reported
  EXPECT_EQ(d0.ecx, 2432u);
  EXPECT_EQ(find(c->cpuid, 0xd, 1).ebx, 2432u);
  EXPECT_EQ(find(c->cpuid, 0xd, 7).ebx, 1408u);
}

TEST(CpuFeatures, HostIsTheBestOffered) {
  auto c = make_cpu_config(epyc(), CpuFeatures::host, no_host);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->features, CpuFeatures::avx512);
  EXPECT_EQ(c->xcr0, 0xe7u);
  auto a = make_cpu_config(avx_only(), CpuFeatures::host, no_host);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->features, CpuFeatures::avx);
  EXPECT_EQ(a->xcr0, 0x7u);
  EXPECT_EQ(a->xsave_size, 832u);
}

TEST(CpuFeatures, MissingVariantIsAClearError) {
  auto c = make_cpu_config(avx_only(), CpuFeatures::avx512, no_host);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "--cpu-features avx512: not offered by this host's KVM (it offers: baseline, avx)");
  auto none = make_cpu_config({leaf(1, 0, 0, 0, 0, 0)}, CpuFeatures::baseline, [] { return HostCpu{}; });
  EXPECT_FALSE(none.ok());
  auto host = make_cpu_config({leaf(1, 0, 0, 0, 0, 0)}, CpuFeatures::host, [] { return HostCpu{}; });
  ASSERT_TRUE(host.ok());
  EXPECT_FALSE(host->set_xcr0);  // no XSAVE: XCR0 left alone, as before
}

// The host's own XCR0 (what this process runs with) on the EPYC.
HostCpu epyc_host() {
  HostCpu h{0xe7, 2432, {CpuFeatures::baseline, CpuFeatures::avx, CpuFeatures::avx512}, {}};
  for (const auto& e : epyc()) {
    if (e.function == 1 || e.function == 7 || e.function == 0xd) h.leaves.push_back(e);
  }
  for (auto& e : h.leaves) {
    if (e.function == 1) e.ecx |= bit(27);  // a host process has OSXSAVE
    if (e.function == 0xd && e.index == 0) e.eax = 0xe7, e.ebx = e.ecx = 2432;
  }
  return h;
}

// KVM_GET_SUPPORTED_CPUID as kvm_pvm answers it on the EPYC (measured): no
// SSE3, XSAVE, AVX or AVX-512 bits, although its guests run with the host's
// XCR0 0xe7 and read the host's feature bits.
std::vector<kvm_cpuid_entry2> pvm_table() {
  return {
      leaf(1, 0, 0xa10f11, 0x20800, 0x81202000, 0x78bfbff),
      leaf(7, 0, 1, 0x1800002, 0x104, 0x20000000),
      leaf(0xd, 0, 0xe7, 0x980, 0x980, 0),
      leaf(0xd, 2, 0x100, 0x240, 0, 0),
      leaf(0xd, 5, 0x40, 0x340, 0, 0),
      leaf(0xd, 6, 0x200, 0x380, 0, 0),
      leaf(0xd, 7, 0x400, 0x580, 0, 0),
  };
}

TEST(CpuFeatures, KvmPvmOnlyHasTheHostsVariant) {
  auto c = make_cpu_config(pvm_table(), CpuFeatures::host, epyc_host);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->features, CpuFeatures::avx512);
  EXPECT_TRUE(c->set_xcr0);  // the host's own: so KVM's leaf 0xD EBX follows it
  EXPECT_EQ(c->xcr0, 0xe7u);
  // The table says what the guest runs with: the host's leaves.
  EXPECT_NE(find(c->cpuid, 1, 0).ecx & bit(26), 0u);  // XSAVE, so KVM takes CR4.OSXSAVE
  EXPECT_EQ(find(c->cpuid, 1, 0).ecx & bit(27), 0u);  // OSXSAVE is KVM's to set
  EXPECT_NE(find(c->cpuid, 7, 0).ebx & bit(16), 0u);
  EXPECT_EQ(c->xsave_size, 2432u);  // never the 576 kvm_pvm reports in EBX
  EXPECT_FALSE(c->strict);
  auto same = make_cpu_config(pvm_table(), CpuFeatures::avx512, epyc_host);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->strict);
  for (auto f : {CpuFeatures::baseline, CpuFeatures::avx}) {
    auto r = make_cpu_config(pvm_table(), f, epyc_host);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, std::string("--cpu-features ") + cpu_features_name(f) +
                                     ": cannot be enforced by this host's KVM: its guests run with the host's "
                                     "XCR0 and CPUID (kvm_pvm), which are avx512 here");
  }
}

ParsedOptions parse(std::vector<std::string> args) {
  std::vector<char*> argv;
  static std::string name = "shoal-vmm";
  argv.push_back(name.data());
  for (auto& a : args) argv.push_back(a.data());
  // The monitor's devices, as main.cpp gets them (all_devices(): every folder).
  return parse_options(static_cast<int>(argv.size()), argv.data(), all_devices());
}

TEST(CpuFeatures, Option) {
  EXPECT_EQ(parse({"img.shoal"}).options.cpu_features, CpuFeatures::host);
  for (const char* name : {"baseline", "avx", "avx512", "host"}) {
    auto p = parse({"--cpu-features", name, "img.shoal"});
    ASSERT_FALSE(p.exit_status) << name;
    EXPECT_STREQ(cpu_features_name(p.options.cpu_features), name);
  }
  EXPECT_EQ(parse({"--cpu-features", "sse4", "img.shoal"}).exit_status, 2);
}

}  // namespace
