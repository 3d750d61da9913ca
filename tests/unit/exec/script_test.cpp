// #! lines as Linux's binfmt_script reads them (libos/exec/script.hpp).
#include <gtest/gtest.h>

#include <string>

#include "exec/script.hpp"

namespace {

using libos::exec::parse_script;
using libos::exec::ScriptLine;

constexpr long kNoExec = -8;  // -ENOEXEC

struct Parsed {
  long result;
  std::string interp, arg;
  bool has_arg;
};

Parsed parse(const std::string& head) {
  ScriptLine line;
  long r = parse_script(head.data(), head.size(), &line);
  Parsed p{r, "", "", false};
  if (r == 1) {
    p.interp.assign(line.interp, line.interp_len);
    p.has_arg = line.arg != nullptr;
    if (p.has_arg) p.arg.assign(line.arg, line.arg_len);
  }
  return p;
}

TEST(Script, NotAScript) {
  EXPECT_EQ(parse("\x7f" "ELF").result, 0);
  EXPECT_EQ(parse("#").result, 0);
  EXPECT_EQ(parse("").result, 0);
  EXPECT_EQ(parse("# !/bin/sh\n").result, 0);
}

TEST(Script, InterpreterAlone) {
  auto p = parse("#!/bin/sh\necho hi\n");
  EXPECT_EQ(p.result, 1);
  EXPECT_EQ(p.interp, "/bin/sh");
  EXPECT_FALSE(p.has_arg);
}

TEST(Script, OneArgumentWithBlanksInside) {
  // Linux passes the rest of the line as one argument, blanks around it stripped.
  auto p = parse("#!  /usr/bin/env \t python3 -u  \t\nprint(1)\n");
  EXPECT_EQ(p.result, 1);
  EXPECT_EQ(p.interp, "/usr/bin/env");
  EXPECT_TRUE(p.has_arg);
  EXPECT_EQ(p.arg, "python3 -u");
}

TEST(Script, NoInterpreter) {
  EXPECT_EQ(parse("#!\n").result, kNoExec);
  EXPECT_EQ(parse("#!  \t \nx").result, kNoExec);
  EXPECT_EQ(parse("#!").result, kNoExec);
}

TEST(Script, NulEndsTheLine) {
  auto p = parse(std::string("#!/bin/sh\0 -x\n", 14));
  EXPECT_EQ(p.result, 1);
  EXPECT_EQ(p.interp, "/bin/sh");
  EXPECT_FALSE(p.has_arg);
}

TEST(Script, TheHeadLimit) {
  // No newline within the 256 bytes read: an interpreter path that reaches
  // the end is cut (ENOEXEC); one followed by a blank is whole, its argument cut.
  std::string cut = "#!/" + std::string(253, 'a');
  ASSERT_EQ(cut.size(), 256u);
  EXPECT_EQ(parse(cut).result, kNoExec);
  std::string whole = "#!/bin/sh " + std::string(246, 'b');
  ASSERT_EQ(whole.size(), 256u);
  auto p = parse(whole);
  EXPECT_EQ(p.result, 1);
  EXPECT_EQ(p.interp, "/bin/sh");
  EXPECT_EQ(p.arg, std::string(246, 'b'));
}

TEST(Script, NoNewlineButShort) {
  auto p = parse("#!/bin/true");
  EXPECT_EQ(p.result, 1);
  EXPECT_EQ(p.interp, "/bin/true");
}

}  // namespace
