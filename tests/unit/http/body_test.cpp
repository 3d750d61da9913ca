// Body framing: Content-Length, chunked (incremental, extensions, trailers,
// limits), read-until-close, none.
#include <gtest/gtest.h>

#include <shoal/pool/http/body_reader.hpp>
#include <shoal/pool/http/chunked_decoder.hpp>
#include <shoal/pool/http/writer.hpp>

namespace shoal::pool::http {
namespace {

struct Decoded {
  BodyStatus status;
  std::string data;
  size_t consumed;
  int error_status;
};

// Feeds `input` in pieces of `step` bytes, as reads from a socket would come;
// bytes a step did not consume are offered again with the next piece.
Decoded decode(std::string_view input, size_t step, BodyFraming framing = {BodyKind::chunked, 0},
               const Limits& limits = {}) {
  BodyReader reader(framing, limits);
  Decoded d{BodyStatus::in_progress, {}, 0, 0};
  std::string pending;
  size_t offered = 0;
  while (true) {
    size_t take = std::min(step, input.size() - offered);
    pending.append(input.substr(offered, take));
    offered += take;
    BodyStep s = reader.read_all(pending, [&](std::string_view piece) { d.data.append(piece); });
    d.consumed += s.consumed;
    pending.erase(0, s.consumed);
    d.status = s.status;
    d.error_status = s.error_status;
    if (s.status != BodyStatus::in_progress || offered == input.size()) break;
  }
  return d;
}

TEST(Chunked, DecodesWholeAndInEveryStepSize) {
  const std::string body = "5\r\nhello\r\n1;name=value;quoted=\"a b\"\r\n,\r\nB\r\n 0123456789\r\n0\r\n\r\nNEXT";
  for (size_t step = 1; step <= body.size(); ++step) {
    Decoded d = decode(body, step);
    ASSERT_EQ(d.status, BodyStatus::done) << "step " << step;
    EXPECT_EQ(d.data, "hello, 0123456789") << "step " << step;
    EXPECT_EQ(d.consumed, body.size() - 4) << "step " << step;  // "NEXT" belongs to the next message
  }
}

TEST(Chunked, HexSizesAndLineEnds) {
  std::string data(0x1aF, 'z');
  std::string body = "001aF  \r\n" + data + "\r\n0000\n\n";
  Decoded d = decode(body, 1000);
  ASSERT_EQ(d.status, BodyStatus::done);
  EXPECT_EQ(d.data, data);
  // Bare LF everywhere.
  d = decode("3\nabc\n0\n\n", 1);
  ASSERT_EQ(d.status, BodyStatus::done);
  EXPECT_EQ(d.data, "abc");
}

TEST(Chunked, TrailersAreCheckedThenDropped) {
  Decoded d = decode("3\r\nabc\r\n0\r\nX-Checksum: 123\r\nX-Other:\r\n\r\n", 1);
  ASSERT_EQ(d.status, BodyStatus::done);
  EXPECT_EQ(d.data, "abc");
  EXPECT_EQ(decode("0\r\nX-Bad\x01: 1\r\n\r\n", 1).error_status, 400);
  EXPECT_EQ(decode("0\r\nX: a\x01\r\n\r\n", 1).error_status, 400);
  EXPECT_EQ(decode("0\r\n: v\r\n\r\n", 1).error_status, 400);
  Limits limits;
  limits.max_trailer_bytes = 64;
  std::string big = "0\r\nX: " + std::string(100, 'v') + "\r\n\r\n";
  EXPECT_EQ(decode(big, 7, {BodyKind::chunked, 0}, limits).error_status, 431);
  std::string many = "0\r\n";
  for (int i = 0; i < 20; ++i) many += "A: b\r\n";
  EXPECT_EQ(decode(many, 7, {BodyKind::chunked, 0}, limits).error_status, 431);
}

TEST(Chunked, Limits) {
  Limits limits;
  limits.max_body = 10;
  EXPECT_EQ(decode("a\r\n0123456789\r\n0\r\n\r\n", 1, {BodyKind::chunked, 0}, limits).status, BodyStatus::done);
  // The chunk that crosses the limit is refused before any of its data.
  Decoded d = decode("5\r\n01234\r\n6\r\n012345\r\n0\r\n\r\n", 100, {BodyKind::chunked, 0}, limits);
  EXPECT_EQ(d.error_status, 413);
  EXPECT_EQ(d.data, "01234");
  limits.max_chunk_line = 16;
  EXPECT_EQ(decode("1;" + std::string(20, 'e') + "\r\nx\r\n0\r\n\r\n", 1, {BodyKind::chunked, 0}, limits).error_status,
            400);
  EXPECT_EQ(decode("000000000000000000001\r\nx\r\n0\r\n\r\n", 1, {BodyKind::chunked, 0}, limits).error_status, 400);
}

TEST(Chunked, MalformedLines) {
  for (std::string_view bad : {"\r\n", "g\r\n", "5 x\r\n", "5\r\nhelloXX", "5\r\nhello\rX", ";\r\n",
                               "5;\x01\r\n", "0\r\n\r\r", "0\r\nX: y\rZ"}) {
    Decoded d = decode(bad, 1);
    EXPECT_EQ(d.status, BodyStatus::error) << bad;
    EXPECT_EQ(d.error_status, 400) << bad;
  }
}

TEST(Chunked, ErrorsAreSticky) {
  ChunkedDecoder decoder;
  BodyStep s = decoder.decode("zz");
  EXPECT_EQ(s.status, BodyStatus::error);
  s = decoder.decode("0\r\n\r\n");
  EXPECT_EQ(s.status, BodyStatus::error);
  EXPECT_EQ(s.consumed, 0u);
}

TEST(Chunked, WriterAndDecoderAgree) {
  std::string body;
  append_chunk(body, "first ");
  append_chunk(body, "");  // writes nothing: an empty chunk would end the body
  append_chunk(body, std::string(300, 'x'));
  append_last_chunk(body);
  EXPECT_EQ(body.substr(0, 9), "6\r\nfirst ");
  Decoded d = decode(body, 5);
  ASSERT_EQ(d.status, BodyStatus::done);
  EXPECT_EQ(d.data, "first " + std::string(300, 'x'));
  EXPECT_EQ(d.consumed, body.size());
}

TEST(BodyReader, ContentLength) {
  Decoded d = decode("hello worldNEXT", 1, {BodyKind::length, 11});
  ASSERT_EQ(d.status, BodyStatus::done);
  EXPECT_EQ(d.data, "hello world");
  EXPECT_EQ(d.consumed, 11u);
  d = decode("hello", 2, {BodyKind::length, 11});
  EXPECT_EQ(d.status, BodyStatus::in_progress);
  EXPECT_EQ(d.data, "hello");
}

TEST(BodyReader, NoneIsDoneAtOnce) {
  BodyReader reader{BodyFraming{}};
  EXPECT_TRUE(reader.done());
  BodyStep s = reader.read("GET / HTTP/1.1\r\n");
  EXPECT_EQ(s.status, BodyStatus::done);
  EXPECT_EQ(s.consumed, 0u);
  BodyReader zero{BodyFraming{BodyKind::length, 0}};
  EXPECT_TRUE(zero.done());
}

TEST(BodyReader, UntilCloseEndsAtEof) {
  BodyReader reader{BodyFraming{BodyKind::until_close, 0}};
  std::string data;
  BodyStep s = reader.read_all("all of it", [&](std::string_view d) { data += d; });
  EXPECT_EQ(s.status, BodyStatus::in_progress);
  EXPECT_EQ(s.consumed, 9u);
  EXPECT_FALSE(reader.done());
  EXPECT_TRUE(reader.finish_at_eof());
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(data, "all of it");
  EXPECT_EQ(reader.body_bytes(), 9u);
}

TEST(BodyReader, UntilCloseIsBounded) {
  Limits limits;
  limits.max_body = 8;
  BodyReader reader{BodyFraming{BodyKind::until_close, 0}, limits};
  EXPECT_EQ(reader.read("12345").status, BodyStatus::in_progress);
  // Up to the limit is data, the first byte past it the error.
  std::string data;
  BodyStep s = reader.read_all("6789", [&](std::string_view d) { data += d; });
  EXPECT_EQ(s.status, BodyStatus::error);
  EXPECT_EQ(s.error_status, 413);
  EXPECT_EQ(data, "678");
  EXPECT_EQ(s.consumed, 3u);
  EXPECT_FALSE(reader.finish_at_eof());
  // Exactly at the limit is fine.
  BodyReader exact{BodyFraming{BodyKind::until_close, 0}, limits};
  EXPECT_EQ(exact.read_all("12345678", [](std::string_view) {}).status, BodyStatus::in_progress);
  EXPECT_TRUE(exact.finish_at_eof());
}

TEST(BodyReader, EofCutsShortLengthAndChunked) {
  BodyReader length{BodyFraming{BodyKind::length, 10}};
  (void)length.read("12345");
  EXPECT_FALSE(length.finish_at_eof());
  BodyReader chunked{BodyFraming{BodyKind::chunked, 0}};
  (void)chunked.read("5\r\nhel");
  EXPECT_FALSE(chunked.finish_at_eof());
  BodyReader complete{BodyFraming{BodyKind::chunked, 0}};
  ASSERT_EQ(complete.read_all("0\r\n\r\n", [](std::string_view) {}).status, BodyStatus::done);
  EXPECT_TRUE(complete.finish_at_eof());
}

}  // namespace
}  // namespace shoal::pool::http
