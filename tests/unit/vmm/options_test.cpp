// shoal-vmm's command line: sizes and option parsing.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "devices/channel/channel_module.hpp"
#include "devices/net/net_module.hpp"
#include "guest_env.hpp"
#include "options.hpp"

using namespace shoal::vmm;

namespace {

TEST(ParseSize, Suffixes) {
  EXPECT_EQ(parse_size("128M").value(), 128ull << 20);
  EXPECT_EQ(parse_size("1G").value(), 1ull << 30);
  EXPECT_EQ(parse_size("512k").value(), 512ull << 10);
  EXPECT_EQ(parse_size("64MiB").value(), 64ull << 20);
  EXPECT_EQ(parse_size("4096").value(), 4096u);
}

TEST(ParseSize, RejectsJunk) {
  for (const char* bad : {"", "M", "12X", "-1", "1.5G", "0", "99999999999999999999", "17179869184G", "1GG"})
    EXPECT_FALSE(parse_size(bad).ok()) << bad;
}

ParsedOptions parse(std::vector<std::string> args) {
  std::vector<char*> argv;
  static std::string name = "shoal-vmm";
  argv.push_back(name.data());
  for (auto& a : args) argv.push_back(a.data());
  // The monitor's devices, as main.cpp gets them (all_devices(): every folder).
  return parse_options(static_cast<int>(argv.size()), argv.data(), all_devices());
}

TEST(ParseOptions, Full) {
  auto p = parse({"--memory", "256M", "--cpu", "1", "--timeout", "1.5", "--env", "A=1", "--env", "B=x=y", "--verbose",
                  "--timing", "img.shoal", "--", "one", "--two", "-3"});
  ASSERT_FALSE(p.exit_status);
  const auto& o = p.options;
  EXPECT_EQ(o.memory.value(), 256ull << 20);
  EXPECT_EQ(o.cpu.value(), 1);
  EXPECT_DOUBLE_EQ(o.timeout_s, 1.5);
  EXPECT_EQ(o.env, (std::vector<std::string>{"A=1", "B=x=y"}));
  EXPECT_TRUE(o.verbose);
  EXPECT_TRUE(o.timing);
  EXPECT_EQ(o.image, "img.shoal");
  EXPECT_EQ(o.args, (std::vector<std::string>{"one", "--two", "-3"}));
}

TEST(ParseOptions, Defaults) {
  auto p = parse({"img.shoal"});
  ASSERT_FALSE(p.exit_status);
  EXPECT_FALSE(p.options.memory);
  EXPECT_FALSE(p.options.cpu);
  EXPECT_EQ(p.options.timeout_s, 0);
  EXPECT_TRUE(p.options.env.empty());
  EXPECT_TRUE(p.options.args.empty());
}

TEST(ParseChannelFds, ThreeDistinctDescriptors) {
  auto r = parse_channel_fds("3,4,5");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value(), (ChannelFds{3, 4, 5}));
  EXPECT_EQ(parse_channel_fds("100,7,12").value(), (ChannelFds{100, 7, 12}));
  for (const char* bad : {"", "3", "3,4", "3,4,5,6", "3,4,", ",3,4", "3;4;5", "a,b,c", "3,4,4", "1,4,5", "3,0,5",
                          "3,4,-5", "3 ,4,5", "99999999999,4,5"})
    EXPECT_FALSE(parse_channel_fds(bad).ok()) << bad;
}

std::optional<ChannelFds> channel_of(const ParsedOptions& p) {
  for (const auto& d : p.devices)
    if (const auto* channel = dynamic_cast<const ChannelModule*>(d.get())) return channel->fds();
  ADD_FAILURE() << "no channel module";
  return std::nullopt;
}

TEST(ParseOptions, Channel) {
  auto p = parse({"--channel", "7,8,9", "img.shoal"});
  ASSERT_FALSE(p.exit_status);
  EXPECT_EQ(channel_of(p).value(), (ChannelFds{7, 8, 9}));
  EXPECT_FALSE(channel_of(parse({"img.shoal"})));
  EXPECT_EQ(parse({"--channel", "7,7,9", "img"}).exit_status.value_or(0), 2);
}

TEST(ParseOptions, Errors) {
  EXPECT_EQ(parse({}).exit_status.value_or(0), 2);
  EXPECT_EQ(parse({"--memory", "lots", "img"}).exit_status.value_or(0), 2);
  EXPECT_EQ(parse({"--env", "=V", "img"}).exit_status.value_or(0), 2);
  EXPECT_EQ(parse({"--env", "", "img"}).exit_status.value_or(0), 2);
  EXPECT_EQ(parse({"--timeout", "-1", "img"}).exit_status.value_or(0), 2);
  EXPECT_EQ(parse({"--bogus", "img"}).exit_status.value_or(0), 2);
}

// The guest's environment: the documented defaults, --env K=V overriding in
// place or appending, --env K removing (issue 11).
TEST(GuestEnvironment, DefaultsOverridesAndRemovals) {
  using V = std::vector<std::string>;
  const V defaults{"HOME=/", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"};
  EXPECT_EQ(guest_environment({}), defaults);
  EXPECT_EQ(guest_environment({"HOME=/srv", "A=1"}),
            (V{"HOME=/srv", defaults[1], "LANG=C.UTF-8", "A=1"}));
  EXPECT_EQ(guest_environment({"LANG", "PATH", "HOME"}), V{});
  EXPECT_EQ(guest_environment({"A=1", "A=2", "B=x=y"}), (V{defaults[0], defaults[1], defaults[2], "A=2", "B=x=y"}));
  EXPECT_EQ(guest_environment({"A=1", "A", "LANG=C"}), (V{defaults[0], defaults[1], "LANG=C"}));
  EXPECT_EQ(guest_environment({"HOME="}), (V{"HOME=", defaults[1], defaults[2]}));
  EXPECT_FALSE(parse({"--env", "NOEQUALS", "img"}).exit_status);  // removal, not an error
}

}  // namespace

// The jail's options, and the descriptors the monitor keeps at start.
namespace {

TEST(ParseOptions, JailOptions) {
  auto p = parse({"img.shoal"});
  ASSERT_FALSE(p.exit_status);
  EXPECT_FALSE(p.options.no_jail);
  EXPECT_TRUE(p.options.user.empty());
  EXPECT_TRUE(p.inherited_fds().empty());  // only 0-2 survive

  p = parse({"--user", "svc:svcgroup", "img.shoal"});
  ASSERT_FALSE(p.exit_status);
  EXPECT_EQ(p.options.user, "svc:svcgroup");

  p = parse({"--no-jail", "--channel", "7,5,9", "img.shoal"});
  ASSERT_FALSE(p.exit_status);
  EXPECT_TRUE(p.options.no_jail);
  EXPECT_EQ(p.inherited_fds(), (std::vector<int>{7, 5, 9}));

  p = parse({"--no-jail", "--user", "svc", "img.shoal"});
  EXPECT_EQ(p.exit_status.value_or(0), 2);
}

}  // namespace
