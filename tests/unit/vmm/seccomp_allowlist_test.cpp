// The assembled seccomp allowlist, rule by rule, against a reviewed golden
// list (seccomp_allowlist.golden). Moving a rule from one part of the monitor
// to another (a device module) must not change what is allowed.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "devices/console/console_module.hpp"
#include "devices/net/net_module.hpp"
#include "seccomp_policy.hpp"

using namespace shoal::vmm;

namespace {

std::vector<std::string> assembled(int status_fd, int vcpu_fd, int wake_fd, const NetSeccompFds* net) {
  std::vector<std::string> lines;
  // As main.cpp assembles them: the console and, when there is one, the
  // network device contribute theirs (the channel has none).
  auto device_rules = console_seccomp_rules();
  if (net) {
    auto r = net_seccomp_rules(*net, wake_fd);
    device_rules.insert(device_rules.end(), r.begin(), r.end());
  }
  for (const auto& rule : assemble_seccomp_rules(status_fd, vcpu_fd, wake_fd, device_rules)) {
    // Sanitizer builds add rules of their own (seccomp_policy.cpp); the golden
    // list is the production policy.
    if (std::string(rule.reason).starts_with("sanitizer:")) continue;
    lines.push_back(describe_seccomp_rule(rule));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string render() {
  NetSeccompFds net{20, 21, 22, 23};
  struct Config {
    int status, vcpu, wake;
    const NetSeccompFds* net;
  } configs[] = {{-1, -1, -1, nullptr}, {9, 10, 11, nullptr}, {9, 10, 11, &net}, {-1, 10, -1, &net}};
  std::string out;
  for (const auto& c : configs) {
    out += "== status " + std::to_string(c.status) + " vcpu " + std::to_string(c.vcpu) + " wake " +
           std::to_string(c.wake) + " net " + (c.net ? "1" : "0") + "\n";
    for (const auto& line : assembled(c.status, c.vcpu, c.wake, c.net)) out += line + "\n";
  }
  return out;
}

std::string golden() {
  std::ifstream in(SHOAL_SECCOMP_GOLDEN);
  std::string out, line;
  while (std::getline(in, line))
    if (!line.starts_with("#")) out += line + "\n";
  return out;
}

TEST(SeccompAllowlist, EqualsTheReviewedList) {
  std::string expected = golden();
  ASSERT_FALSE(expected.empty()) << SHOAL_SECCOMP_GOLDEN;
  EXPECT_EQ(render(), expected);
}

}  // namespace
