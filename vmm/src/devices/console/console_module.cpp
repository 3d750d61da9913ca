#include "devices/console/console_module.hpp"

#include "devices/console/console_hypercalls.hpp"

namespace shoal::vmm {

std::vector<SeccompRule> console_seccomp_rules() {
  return {
      {SCMP_SYS(read), {SCMP_A0(SCMP_CMP_EQ, 0)}, "console_read: the instance's stdin"},
      {SCMP_SYS(write), {SCMP_A0(SCMP_CMP_EQ, 1)}, "console_write to stdout"},
      // Also the monitor's own messages: crash reports and --timing go there.
      {SCMP_SYS(write), {SCMP_A0(SCMP_CMP_EQ, 2)}, "console_write to stderr, crash reports, --timing"},
  };
}

namespace {

class ConsoleModule final : public DeviceModule {
 public:
  const char* name() const override { return "console"; }
  std::vector<HypercallRoute> hypercalls() const override { return console_hypercalls(); }
  std::vector<SeccompRule> seccomp_rules(int) const override { return console_seccomp_rules(); }
  std::vector<SeccompCase> seccomp_cases() const override { return {{"always", console_seccomp_rules()}}; }
};

}  // namespace

std::unique_ptr<DeviceModule> make_console_module() { return std::make_unique<ConsoleModule>(); }

}  // namespace shoal::vmm
