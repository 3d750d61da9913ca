#include "core/boot_flags.hpp"

namespace libos {

namespace {
const shoal::abi::BootInfo* g_boot = nullptr;
}  // namespace

void set_boot_info(const shoal::abi::BootInfo* boot) { g_boot = boot; }
const shoal::abi::BootInfo& boot_info() { return *g_boot; }
bool verbose() { return (g_boot->flags & shoal::abi::kBootVerbose) != 0; }

}  // namespace libos
