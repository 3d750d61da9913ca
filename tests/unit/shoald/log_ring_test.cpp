#include "log_ring.hpp"

#include <gtest/gtest.h>

namespace shoal::pool {
namespace {

TEST(LogRing, SplitsChunksIntoLines) {
  LogRing log;
  log.append(LogStream::out, "hel", 1);
  EXPECT_TRUE(log.lines().empty());
  log.append(LogStream::out, "lo\nwor", 2);
  log.append(LogStream::out, "ld\r\n\nlast", 3);
  ASSERT_EQ(log.lines().size(), 3u);
  EXPECT_EQ(log.lines()[0].text, "hello");
  EXPECT_EQ(log.lines()[0].time_ns, 2u);
  EXPECT_EQ(log.lines()[1].text, "world");  // CR of CRLF dropped
  EXPECT_EQ(log.lines()[2].text, "");
  log.flush(4);
  ASSERT_EQ(log.lines().size(), 4u);
  EXPECT_EQ(log.lines()[3].text, "last");
  EXPECT_EQ(log.next_seq(), 4u);
}

TEST(LogRing, KeepsStreamsApart) {
  LogRing log;
  log.append(LogStream::out, "out-", 1);
  log.append(LogStream::err, "err line\n", 2);
  log.append(LogStream::out, "done\n", 3);
  ASSERT_EQ(log.lines().size(), 2u);
  EXPECT_EQ(log.lines()[0].stream, LogStream::err);
  EXPECT_EQ(log.lines()[0].text, "err line");
  EXPECT_EQ(log.lines()[1].stream, LogStream::out);
  EXPECT_EQ(log.lines()[1].text, "out-done");
}

TEST(LogRing, DropsOldestLinesPastCapacity) {
  LogRing log(100);
  for (int i = 0; i < 50; ++i) log.append(LogStream::out, "line " + std::to_string(i) + "\n", i);
  EXPECT_LE(log.bytes(), 100u);
  EXPECT_EQ(log.lines().back().text, "line 49");
  EXPECT_GT(log.dropped_lines(), 0u);
  EXPECT_EQ(log.first_seq() + log.lines().size(), log.next_seq());
  EXPECT_EQ(log.next_seq(), 50u);
  EXPECT_EQ(log.first_seq(), log.dropped_lines());
}

TEST(LogRing, CutsLinesThatNeverEnd) {
  LogRing log;
  std::string blob(LogRing::kMaxLine * 2 + 10, 'x');
  log.append(LogStream::err, blob, 1);
  ASSERT_EQ(log.lines().size(), 2u);
  EXPECT_EQ(log.lines()[0].text.size(), LogRing::kMaxLine);
  log.flush(2);
  ASSERT_EQ(log.lines().size(), 3u);
  EXPECT_EQ(log.lines()[2].text.size(), 10u);
}

TEST(LogRing, TailOfOneStream) {
  LogRing log;
  log.append(LogStream::err, "e1\ne2\n", 1);
  log.append(LogStream::out, "o1\n", 2);
  log.append(LogStream::err, "e3\n", 3);
  auto tail = log.tail(LogStream::err, 2);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0], "e2");
  EXPECT_EQ(tail[1], "e3");
  EXPECT_EQ(log.tail(LogStream::out, 10), std::vector<std::string>{"o1"});
}

}  // namespace
}  // namespace shoal::pool
