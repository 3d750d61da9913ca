// The seccomp allowlist, rule by rule, against reviewed golden lists: the
// core's (seccomp_allowlist.golden, here) and each device module's
// (vmm/src/devices/NAME/seccomp.golden, in the device's own folder, rendered
// from DeviceModule::seccomp_cases()). Moving a rule from one part of the
// monitor to another must not change what is allowed; a new device adds its
// golden file next to its code.
//
// SHOAL_UPDATE_GOLDEN=1 rewrites the files from the code (keeping their
// comment lines): for a reviewed change of the policy only.
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "devices/device_module.hpp"
#include "seccomp_policy.hpp"

using namespace shoal::vmm;

namespace {

std::vector<std::string> sorted_lines(const std::vector<SeccompRule>& rules) {
  std::vector<std::string> lines;
  for (const auto& rule : rules) {
    // Sanitizer builds add rules of their own (seccomp_policy.cpp); the golden
    // lists are the production policy.
    if (std::string(rule.reason).starts_with("sanitizer:")) continue;
    lines.push_back(describe_seccomp_rule(rule));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string render_core() {
  struct Config {
    int status, vcpu, wake;
  } configs[] = {{-1, -1, -1}, {9, 10, 11}, {-1, 10, -1}};
  std::string out;
  for (const auto& c : configs) {
    out += "== status " + std::to_string(c.status) + " vcpu " + std::to_string(c.vcpu) + " wake " +
           std::to_string(c.wake) + "\n";
    for (const auto& line : sorted_lines(assemble_seccomp_rules(c.status, c.vcpu, c.wake, {}))) out += line + "\n";
  }
  // The snapshot paths: the save at `ready` (--snapshot-out) and a warm
  // monitor's wait (--start-on-fd).
  SeccompSnapshotFds save{12, 13, -1}, warm{-1, -1, 14};
  out += "== vcpu 10, snapshot out 12, pagemap 13\n";
  for (const auto& line : sorted_lines(assemble_seccomp_rules(-1, 10, -1, {}, save))) out += line + "\n";
  out += "== vcpu 10, start on fd 14\n";
  for (const auto& line : sorted_lines(assemble_seccomp_rules(-1, 10, -1, {}, warm))) out += line + "\n";
  // A monitor whose guest may fork (no channel, no TAP): the fork's and the
  // family pipes' calls, pinned to /dev/kvm 15, the VM 16 and the vCPU 10.
  SeccompSnapshotFds fork;
  fork.fork_kvm_fd = 15;
  fork.fork_vm_fd = 16;
  out += "== vcpu 10, fork with /dev/kvm 15, VM 16\n";
  for (const auto& line : sorted_lines(assemble_seccomp_rules(-1, 10, -1, {}, fork))) out += line + "\n";
  return out;
}

std::string render_device(const DeviceModule& device) {
  std::string out;
  for (const auto& c : device.seccomp_cases()) {
    out += "== " + c.label + "\n";
    for (const auto& line : sorted_lines(c.rules)) out += line + "\n";
  }
  return out;
}

// The file without its comment lines, and the comment lines apart.
std::string golden(const std::string& path, std::string* comments = nullptr) {
  std::ifstream in(path);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.starts_with("#")) {
      if (comments) *comments += line + "\n";
    } else {
      out += line + "\n";
    }
  }
  return out;
}

void expect_golden(const std::string& path, const std::string& rendered) {
  if (getenv("SHOAL_UPDATE_GOLDEN")) {
    std::string comments;
    golden(path, &comments);
    std::ofstream(path, std::ios::trunc) << comments << rendered;
  }
  std::string expected = golden(path);
  ASSERT_FALSE(expected.empty()) << path << " is missing or empty";
  EXPECT_EQ(rendered, expected) << path;
}

TEST(SeccompAllowlist, CoreEqualsTheReviewedList) { expect_golden(SHOAL_SECCOMP_GOLDEN, render_core()); }

TEST(SeccompAllowlist, EachDeviceEqualsTheReviewedListInItsFolder) {
  auto devices = all_devices();
  ASSERT_FALSE(devices.empty());
  for (const auto& d : devices) {
    SCOPED_TRACE(d->name());
    expect_golden(std::string(SHOAL_VMM_DEVICES_DIR) + "/" + d->name() + "/seccomp.golden", render_device(*d));
  }
}

// What the monitor installs is the core's list plus each device's, nothing
// dropped or added on the way (main.cpp gathers seccomp_rules() of every
// module in order).
TEST(SeccompAllowlist, AssembledListIsTheCoreAndTheDevices) {
  std::vector<SeccompRule> device_rules;
  for (const auto& d : all_devices())
    for (const auto& c : d->seccomp_cases()) device_rules.insert(device_rules.end(), c.rules.begin(), c.rules.end());
  auto core = assemble_seccomp_rules(9, 10, 11, {});
  auto all = assemble_seccomp_rules(9, 10, 11, device_rules);
  ASSERT_EQ(all.size(), core.size() + device_rules.size());
  auto lines = sorted_lines(all);
  for (const auto& line : sorted_lines(device_rules))
    EXPECT_TRUE(std::binary_search(lines.begin(), lines.end(), line)) << line;
}

}  // namespace
