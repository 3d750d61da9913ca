#include "sched/io_hooks.hpp"

namespace libos::sched {

namespace {

void no_service() {}
uint64_t no_deadline() { return ~uint64_t{0}; }
bool no_work(uint64_t) { return false; }
bool no_host() { return false; }
bool sleep_ok() { return true; }
void nothing() {}
uint32_t no_port(uint32_t) { return 0; }
void no_rebind(const shoal::abi::BootInfo&) {}

}  // namespace

// Constant-initialized: the image gains no global constructor.
constinit IoHooks g_io_hooks = {no_service, no_deadline, no_work, no_host, sleep_ok, nothing, nothing,
                                   no_port,    no_rebind};

void set_io_hooks(const IoHooks& hooks) { g_io_hooks = hooks; }

}  // namespace libos::sched
