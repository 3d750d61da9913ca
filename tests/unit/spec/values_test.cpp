#include <gtest/gtest.h>

#include <shoal/pool/spec/values.hpp>

using namespace shoal::pool::spec;
using namespace std::chrono_literals;

TEST(Duration, Forms) {
  EXPECT_EQ(*parse_duration("250ms"), 250ms);
  EXPECT_EQ(*parse_duration("30s"), 30s);
  EXPECT_EQ(*parse_duration("1m30s"), 90s);
  EXPECT_EQ(*parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(*parse_duration("2h"), 2h);
  EXPECT_EQ(*parse_duration("10us"), 10us);
  EXPECT_EQ(*parse_duration("7ns"), 7ns);
  EXPECT_EQ(*parse_duration("0"), 0s);
  EXPECT_EQ(*parse_duration("0s"), 0s);
  EXPECT_EQ(*parse_duration("0.0000000019s"), 1ns);  // digits past ns dropped
}

TEST(Duration, Errors) {
  for (auto bad : {"", "5", "5x", "s", "-1s", "1.s", ".5s", "1 s", "1S", "1sec", "1m30", "ms"}) {
    auto d = parse_duration(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.error().message, "invalid duration \"" + std::string(bad) + "\" (use e.g. \"250ms\", \"30s\", \"1m30s\")");
  }
  EXPECT_EQ(parse_duration("31d").error().message.substr(0, 16), "invalid duration");
  EXPECT_EQ(parse_duration("721h").error().message, "duration \"721h\" is too long");
  EXPECT_EQ(parse_duration("99999999999999999999999h").error().message,
            "duration \"99999999999999999999999h\" is too long");
}

TEST(Duration, Format) {
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(1h + 1ms), "1h1ms");
}

TEST(Size, Forms) {
  EXPECT_EQ(*parse_size("64M"), 64ull << 20);
  EXPECT_EQ(*parse_size("64MiB"), 64ull << 20);
  EXPECT_EQ(*parse_size("64MB"), 64ull << 20);
  EXPECT_EQ(*parse_size("512k"), 512ull << 10);
  EXPECT_EQ(*parse_size("1G"), 1ull << 30);
  EXPECT_EQ(*parse_size("2T"), 2ull << 40);
  EXPECT_EQ(*parse_size("4096"), 4096u);
  EXPECT_EQ(*parse_size("0"), 0u);
}

TEST(Size, Errors) {
  for (auto bad : {"", "M", "64Q", "64 M", "-1M", "1.5G", "64Mi", "64MiBs"}) {
    auto s = parse_size(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().message, "invalid size \"" + std::string(bad) + "\" (use e.g. \"64M\", \"512K\", \"1G\")");
  }
  EXPECT_EQ(parse_size("2048T").error().message, "size \"2048T\" is too large");
  EXPECT_EQ(parse_size("99999999999999999999").error().message, "size \"99999999999999999999\" is too large");
}

TEST(Endpoint, Forms) {
  EXPECT_EQ(*parse_endpoint("127.0.0.1:8080"), (Endpoint{"127.0.0.1", 8080}));
  EXPECT_EQ(*parse_endpoint("0.0.0.0:80"), (Endpoint{"0.0.0.0", 80}));
  EXPECT_EQ(*parse_endpoint("localhost:9090"), (Endpoint{"localhost", 9090}));
  EXPECT_EQ(*parse_endpoint("[::1]:8080"), (Endpoint{"::1", 8080}));
}

TEST(Endpoint, Errors) {
  for (auto bad : {"", "8080", ":8080", "127.0.0.1", "127.0.0.1:", "example.com:80", "1.2.3:80", "[::1:80",
                   "::1:80", "127.0.0.1:http", "127.0.0.1:123456"}) {
    auto e = parse_endpoint(bad);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.error().message,
              "invalid address \"" + std::string(bad) + "\" (use \"127.0.0.1:8080\" or \"[::1]:8080\")");
  }
  EXPECT_EQ(parse_endpoint("127.0.0.1:0").error().message, "port must be between 1 and 65535");
  EXPECT_EQ(parse_endpoint("127.0.0.1:65536").error().message, "port must be between 1 and 65535");
}

TEST(Names, Rule) {
  EXPECT_TRUE(valid_name("cart"));
  EXPECT_TRUE(valid_name("render-2"));
  EXPECT_TRUE(valid_name(std::string(47, 'a')));
  EXPECT_FALSE(valid_name(std::string(48, 'a')));
  EXPECT_FALSE(valid_name(""));
  EXPECT_FALSE(valid_name("Cart"));
  EXPECT_FALSE(valid_name("cart_v2"));
  EXPECT_FALSE(valid_name("cart.v2"));
}
