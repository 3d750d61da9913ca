// sendfile's path into TCP (TcpSocket::send_fill): bytes are written straight
// into the send ring by a producer, and a run of fills made with "more"
// leaves in full-sized segments only, the tail going out at push(). Before
// this path, sendfile bounced 4 KiB at a time through a buffer and write():
// two copies of every byte, one pass through the socket layer per page, and
// with TCP_NODELAY a runt segment whenever a page found the window open.
#include <gtest/gtest.h>

#include "tcp_test_util.hpp"

namespace shoal::test {
namespace {

// A file-like producer over a byte vector, at most `chunk` bytes per call,
// as the LibOS's pread of a file page by page.
struct Source {
  const Bytes* data;
  size_t off = 0;
  size_t chunk = 4096;
  int calls = 0;
  static long fill(void* ctx, void* dst, size_t n) {
    auto* s = static_cast<Source*>(ctx);
    ++s->calls;
    size_t left = s->data->size() - s->off;
    if (n > left) n = left;
    if (n > s->chunk) n = s->chunk;
    memcpy(dst, s->data->data() + s->off, n);
    s->off += n;
    return static_cast<long>(n);
  }
};

class TcpSendfileTest : public TcpPair {
 protected:
// Sends `data` through send_fill in calls of at most `call` bytes (with
// more), then push(); returns what arrived and counts the data segments
// the client sent, and those below one MSS.
Bytes fill_transfer(TcpSocket* from, TcpSocket* to, const Bytes& data, size_t call, int* segs, int* runts) {
  TcpSendfileTest& p = *this;
  Source src{&data};
  Bytes got;
  std::vector<uint8_t> buf(65536);
  *segs = *runts = 0;
  p.wire.tap = [&](bool to_b, std::vector<uint8_t>& f) {
    if (!to_b) return true;
    auto s = parse_sent(f);
    if (s && !s->data.empty()) {
      ++*segs;
      if (s->data.size() < 1460) ++*runts;
    }
    return true;
  };
  bool pushed = false;
  p.run_until([&] {
    while (src.off < data.size()) {
      size_t want = data.size() - src.off < call ? data.size() - src.off : call;
      long n = from->send_fill(want, true, Source::fill, &src);
      if (n <= 0) break;
    }
    if (src.off == data.size() && !pushed) {
      from->push();
      pushed = true;
    }
    for (;;) {
      long n = to->recv(buf.data(), buf.size(), false);
      if (n <= 0) break;
      got.insert(got.end(), buf.begin(), buf.begin() + n);
    }
    return got.size() >= data.size();
  }, 60'000'000'000ull);
  p.wire.tap = nullptr;
  return got;
}
};

TEST_F(TcpSendfileTest, FillsArriveIntactInFullSegments) {
  ASSERT_TRUE(connect_pair());
  client->set_nodelay(true);
  // 1 MiB and an odd tail, offered 4 KiB per call (one page at a time).
  Bytes data = random_bytes((1 << 20) + 1234, 7);
  int segs = 0, runts = 0;
  Bytes got = fill_transfer(client, server, data, 4096, &segs, &runts);
  ASSERT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
  // Only the tail may be short.
  EXPECT_GE(segs, static_cast<int>(data.size() / 1460));
  EXPECT_LE(runts, 1);
}

TEST_F(TcpSendfileTest, FillStopsAtRingAndReportsSourceErrors) {
  ASSERT_TRUE(connect_pair());
  Bytes data = random_bytes(4 << 20, 9);
  Source src{&data};
  src.chunk = 1 << 20;
  // The ring (256 KiB) bounds one call; the bytes queued are reported.
  long n = client->send_fill(data.size(), true, Source::fill, &src);
  EXPECT_GT(n, 0);
  EXPECT_LE(n, 256 * 1024);
  EXPECT_EQ(static_cast<size_t>(n), src.off);
  // A full ring: -EAGAIN, the producer is not called.
  int before = src.calls;
  EXPECT_EQ(client->send_fill(100, true, Source::fill, &src), -EAGAIN);
  EXPECT_EQ(src.calls, before);
  // A producer error with nothing queued comes back as it is.
  auto fail = [](void*, void*, size_t) -> long { return -EIO; };
  Bytes sink(1 << 20);
  ASSERT_TRUE(run_until([&] {
    for (long r; (r = server->recv(sink.data(), sink.size(), false)) > 0;) {
    }
    return (client->poll() & libos::inet::kPollOut) != 0;
  }));
  EXPECT_EQ(client->send_fill(100, true, fail, nullptr), -EIO);
}

TEST_F(TcpSendfileTest, FillOnUnconnectedSocketIsEpipe) {
  TcpSocket* s = TcpSocket::create(a);
  ASSERT_NE(s, nullptr);
  Bytes data = pattern(10);
  Source src{&data};
  EXPECT_EQ(s->send_fill(10, false, Source::fill, &src), -EPIPE);
  EXPECT_EQ(src.calls, 0);
  s->close();
}

}  // namespace
}  // namespace shoal::test
