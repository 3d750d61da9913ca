// Regression: fuzz_spec found undefined behaviour in toml++ 3.3 for some
// non-ASCII code points (src/unicode_shield.hpp). Those inputs must give an
// error or their exact text back, never reach the defect.
#include <gtest/gtest.h>

#include "unicode_shield.hpp"  // pool/spec/src: the shield is private to the library
#include "spec_test.h"

using namespace shoal::pool::spec;

TEST(UnicodeShield, DefectSet) {
  EXPECT_TRUE(toml_whitespace_defect(0xA1));
  EXPECT_TRUE(toml_whitespace_defect(0xE9));   // é
  EXPECT_TRUE(toml_whitespace_defect(0x1B5));  // the fuzzer's input
  EXPECT_TRUE(toml_whitespace_defect(0x499));
  EXPECT_FALSE(toml_whitespace_defect(0x49A));
  EXPECT_FALSE(toml_whitespace_defect(0x2C5D));
  EXPECT_TRUE(toml_whitespace_defect(0x2C5E));
  EXPECT_TRUE(toml_whitespace_defect(0x3057));
  EXPECT_FALSE(toml_whitespace_defect(0x3058));
  EXPECT_FALSE(toml_whitespace_defect(0xFB25));
  EXPECT_TRUE(toml_whitespace_defect(0xFB26));
  EXPECT_TRUE(toml_whitespace_defect(0xFEFE));
  for (char32_t ok : {0x41u, 0x9Fu, 0xA0u, 0x1680u, 0x2000u, 0x3000u, 0x4E00u, 0xFEFFu, 0x1F600u})
    EXPECT_FALSE(toml_whitespace_defect(ok)) << std::hex << static_cast<uint32_t>(ok);
}

TEST(UnicodeShield, RoundTrip) {
  std::string text = "a = \"café Ƶ ⰰ ﻾ 中 😀\"\n";
  ShieldRefusal r;
  auto shielded = shield(text, r);
  ASSERT_TRUE(shielded);
  EXPECT_NE(*shielded, text);
  EXPECT_EQ(unshield(*shielded), text);
  EXPECT_EQ(unshield("plain"), "plain");
}

TEST(UnicodeShield, FuzzerInputIsAnErrorNotUndefinedBehaviour) {
  auto e = spec_test::errors("\n\xC6\xB5");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(e[0].starts_with("shop.toml:2:1: ")) << e[0];
  EXPECT_NE(e[0].find("Ƶ"), std::string::npos) << e[0];  // the message shows the real character
}

TEST(UnicodeShield, NonAsciiValuesComeBackExactly) {
  std::string text =
      "# Grüße, commentaire accentué\n"
      "[services.cart]\n"
      "image = \"images/café.shoal\"\n"
      "args = [\"--greeting=Grüß Gott\", \"Ƶ\"]\n"
      "env = { MOTD = \"\"\"\\\n   é suite\"\"\" }\n";
  SpecParse p = parse_spec(text, "/srv/shop.toml", spec_test::kEnv);
  ASSERT_TRUE(p.spec) << format_errors(p.errors);
  const Service& s = p.spec->services[0];
  EXPECT_EQ(s.image_path, "/srv/images/café.shoal");
  EXPECT_EQ(s.args, (std::vector<std::string>{"--greeting=Grüß Gott", "Ƶ"}));
  ASSERT_EQ(s.env.size(), 1u);
  EXPECT_EQ(s.env[0].second, "é suite");  // line-ending backslash skipped the newline and spaces
}

TEST(UnicodeShield, UnknownKeysShowTheRealName) {
  EXPECT_EQ(spec_test::errors("[services.cart]\nimage = \"c\"\n\"clé\" = 1\n"),
            std::vector<std::string>{"shop.toml:3: services.cart.clé: unknown key"});
}

TEST(UnicodeShield, PrivateUsePlanesAreRefused) {
  EXPECT_EQ(spec_test::errors("name = \"x\"\n# \xF3\xB0\x80\x80\n"),
            std::vector<std::string>{
                "shop.toml:2:3: characters of the private use planes (U+F0000 and above) are not accepted"});
}
