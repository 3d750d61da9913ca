#include "devices/family/family_module.hpp"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include <CLI/CLI.hpp>

#include <shoal/abi/layout.h>

#include "options.hpp"

namespace shoal::vmm {

using namespace shoal::abi;

// The region has a 1 GiB page-directory-pointer entry of its own, above the
// largest guest memory and the other devices' regions, below 512 GiB.
static_assert(kFamilyAddr % (1ull << 30) == 0 && kFamilyAddr >= kMaxMemory && kFamilyAddr < (1ull << 39));
static_assert(kMaxFamilySize <= (1ull << 30) && kDefaultFamilySize % kLargePageSize == 0);

namespace {

FamilyModule* g_module = nullptr;

Result<HcAction> handle_family(HypercallEnv& env, GuestAddr args) {
  TRY(read_args<HcFamily>(env, args));
  FamilyModule* m = family_module();
  int64_t result = m != nullptr ? m->install() : -ENOSYS;
  TRY(write_field(env, args, offsetof(HcFamily, result), result));
  return HcAction{};
}

}  // namespace

FamilyModule* family_module() { return g_module; }

Result<uint64_t> parse_shm_size(const std::string& text) {
  if (text == "0") return uint64_t{0};
  uint64_t size = TRY(parse_size(text));
  if (size > kMaxFamilySize)
    return make_error("'" + text + "' is larger than " + describe_bytes(kMaxFamilySize));
  // 2 MiB pieces: the page tables map the region in large pages.
  return (size + kLargePageSize - 1) & ~(kLargePageSize - 1);
}

FamilyModule::~FamilyModule() {
  if (g_module == this) g_module = nullptr;
  if (m_base != nullptr) munmap(m_base, m_size);
}

void FamilyModule::add_options(CLI::App& app) {
  app.add_option("--shm-size", m_text,
                 "memory the process family shares for System V IPC and /dev/shm (default 64M, at most 1G; "
                 "0: none, the IPC calls fail with ENOSYS)");
}

std::optional<std::string> FamilyModule::finish_options() {
  if (m_text.empty()) {
    m_size = kDefaultFamilySize;
    return std::nullopt;
  }
  auto size = parse_shm_size(m_text);
  if (!size) return "--shm-size: " + size.error().message;
  m_size = size.value();
  return std::nullopt;
}

Result<void> FamilyModule::open(DeviceSetup& setup) {
  (void)setup;
  if (m_size == 0) return {};
  // A memfd, not anonymous memory: MAP_SHARED of a file survives a fork of
  // the monitor as the same pages, and the fork helper (or a later tool)
  // can name it. NORESERVE: only touched pages cost host memory.
  int fd = memfd_create("shoal-family", MFD_CLOEXEC);
  if (fd < 0) return make_error(std::string("family region: memfd_create: ") + strerror(errno), errno);
  if (ftruncate(fd, static_cast<off_t>(m_size)) < 0) {
    int e = errno;
    ::close(fd);
    return make_error(std::string("family region: ftruncate: ") + strerror(e), e);
  }
  void* base = mmap(nullptr, m_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  int e = errno;
  // The mapping holds the file; nothing needs the descriptor afterwards.
  ::close(fd);
  if (base == MAP_FAILED) return make_error(std::string("family region: mmap: ") + strerror(e), e);
  m_base = base;
  g_module = this;
  return {};
}

std::vector<DeviceRegion> FamilyModule::regions() const {
  if (m_size == 0) return {};
  return {{"family", kFamilyAddr, m_size, kMaxFamilySize, false, true}};
}

Result<std::string> FamilyModule::attach(Vm& vm) {
  if (m_size == 0) return std::string();
  m_vm = &vm;
  m_vm_fd = vm.vm_fd();
  return "family: " + describe_bytes(m_size) + " at " + hex(kFamilyAddr) + " (slot on first use)";
}

void FamilyModule::fill_boot_info(BootInfo& info) const { info.family_size = m_size; }

int64_t FamilyModule::install() {
  if (m_size == 0 || m_vm == nullptr) return -ENOSYS;
  if (m_installed) return 0;
  auto r = m_vm->map_region(kFamilyMemorySlot, kFamilyAddr, m_base, m_size);
  if (!r) return -ENOMEM;
  m_installed = true;
  return 0;
}

std::vector<HypercallRoute> FamilyModule::hypercalls() const { return {{Hypercall::family, handle_family}}; }

namespace {
std::vector<SeccompRule> family_rules(int vm_fd) {
  if (vm_fd < 0) return {};
  return {{SCMP_SYS(ioctl),
           {SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(vm_fd)),
            SCMP_A1(SCMP_CMP_EQ, static_cast<scmp_datum_t>(KVM_SET_USER_MEMORY_REGION))},
           "family: install the family region's memory slot on the guest's first use"}};
}
}  // namespace

std::vector<SeccompRule> FamilyModule::seccomp_rules(int) const {
  return m_size == 0 ? std::vector<SeccompRule>{} : family_rules(m_vm_fd);
}

std::vector<DeviceModule::SeccompCase> FamilyModule::seccomp_cases() const {
  return {{"--shm-size 0", {}}, {"a region (the default), VM 4", family_rules(4)}};
}

std::string FamilyModule::stop() {
  return m_installed ? "family: region installed" : "";
}

std::unique_ptr<FamilyModule> make_family_module() { return std::make_unique<FamilyModule>(); }

}  // namespace shoal::vmm
