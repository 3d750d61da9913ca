// Scatter splitting and the fanout/scatter joiners, with nlohmann::json as
// the oracle of what is valid JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <shoal/pool/http/json_compose.hpp>

namespace shoal::pool::http {
namespace {

using namespace std::literals;

std::vector<std::string> elements_of(std::string_view body, const JsonLimits& limits = {}) {
  auto r = split_json_array(body, limits);
  EXPECT_TRUE(r.ok()) << body << ": " << (r.ok() ? "" : r.error().message);
  std::vector<std::string> out;
  if (r.ok())
    for (const ByteRange& e : r.value()) out.emplace_back(e.of(body));
  return out;
}

TEST(SplitJsonArray, TopLevelElements) {
  EXPECT_EQ(elements_of("[1,2,3]"), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(elements_of(" \n[ {\"a\": [1, {\"b\": \"],\"}]} ,\t\"x,y\" , null,true ,false, -0.5e+3 ] \r\n"),
            (std::vector<std::string>{"{\"a\": [1, {\"b\": \"],\"}]}", "\"x,y\"", "null", "true", "false",
                                      "-0.5e+3"}));
  EXPECT_EQ(elements_of("[]"), std::vector<std::string>{});
  EXPECT_EQ(elements_of("[ ]"), std::vector<std::string>{});
  EXPECT_EQ(elements_of("[[]]"), (std::vector<std::string>{"[]"}));
  EXPECT_EQ(elements_of(R"(["\"]\\", "\u00e9\ud83d\ude00", "caf)" "\xc3\xa9" R"("])"),
            (std::vector<std::string>{R"("\"]\\")", R"("\u00e9\ud83d\ude00")", "\"caf\xc3\xa9\""}));
}

TEST(SplitJsonArray, RefusesWhatIsNotOneArray) {
  for (std::string_view bad : {""sv, "   "sv, "{}"sv, "1"sv, "\"[1]\""sv, "[1,]"sv, "[,1]"sv, "[1 2]"sv, "[1]]"sv,
                               "[1] x"sv, "[1][2]"sv, "["sv, "[1"sv, "[\"a]"sv, "[01]"sv, "[1.]"sv, "[.5]"sv,
                               "[1e]"sv, "[+1]"sv, "[-]"sv, "[tru]"sv, "[nul]"sv, "[True]"sv, "[NaN]"sv,
                               "[\"\\x\"]"sv, "[\"\\u12\"]"sv, "[\"\x01\"]"sv, "[\"\xff\"]"sv, "[\"\xc0\xaf\"]"sv,
                               "[\"\xed\xa0\x80\"]"sv, "[\"\\ud800\"]"sv, "[\"\\udc00\"]"sv,
                               "[\"\\ud800\\u0041\"]"sv, "[{\"a\" 1}]"sv, "[{1:2}]"sv, "[{\"a\":1,}]"sv,
                               "[1]\0"sv, "\xef\xbb\xbf[1]"sv}) {
    auto r = split_json_array(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().message.find("at byte"), std::string::npos);
    }
  }
}

TEST(SplitJsonArray, Limits) {
  JsonLimits limits;
  limits.max_depth = 3;
  EXPECT_EQ(elements_of("[[[1]]]", limits).size(), 1u);
  EXPECT_FALSE(split_json_array("[[[[1]]]]", limits).ok());
  limits.max_elements = 2;
  EXPECT_EQ(elements_of("[1,2]", limits).size(), 2u);
  EXPECT_FALSE(split_json_array("[1,2,3]", limits).ok());
  // Deep nesting is refused, not a stack overflow.
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  EXPECT_FALSE(split_json_array("[" + deep + "]").ok());
  EXPECT_FALSE(is_json(deep));
}

TEST(IsJson, AgreesWithNlohmann) {
  for (std::string_view text :
       {"0"sv, "-0"sv, "1.5e-7"sv, "1E5"sv, "\"\""sv, "\"\\/\\b\\f\\n\\r\\t\""sv, "{\"a\":{\"b\":[]}}"sv, " [ ] "sv,
        "\"\xf4\x8f\xbf\xbf\""sv, "\"\xf4\x90\x80\x80\""sv, "\"\xe0\x9f\xbf\""sv, "\"\xf0\x8f\xbf\xbf\""sv,
        "\"\\uDBFF\\uDFFF\""sv, "\"\x7f\""sv, "{\"a\":1 \"b\":2}"sv, "1 2"sv, "[1,[2,[3,{\"x\":null}]]]"sv,
        "00"sv, "-01"sv, "1.e5"sv, "\"\t\""sv, "\"\\U0041\""sv, "{\"\\ud83d\\ude00\":true}"sv, "[\"\xc2\""sv}) {
    EXPECT_EQ(is_json(text), nlohmann::json::accept(text)) << text;
  }
}

TEST(AppendJsonString, EscapesAndReplacesBadUtf8) {
  std::string out;
  append_json_string(out, "a\"b\\c\n\t\x01\x1f\x7f caf\xc3\xa9 \xff\xc3 \xf0\x9f\x98\x80"sv);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\x7f caf\xc3\xa9 \\ufffd\\ufffd \xf0\x9f\x98\x80\"");
  auto parsed = nlohmann::json::parse(out);
  EXPECT_EQ(parsed.get<std::string>(), "a\"b\\c\n\t\x01\x1f\x7f caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd \xf0\x9f\x98\x80");
}

TEST(JoinJsonArray, KeepsJsonAndQuotesTheRest) {
  std::vector<std::string_view> parts = {"{\"price\": 3}", " 42\n", "not json", "", "[1,"};
  std::string joined = join_json_array(parts);
  EXPECT_EQ(joined, "[{\"price\": 3},42,\"not json\",\"\",\"[1,\"]");
  EXPECT_TRUE(nlohmann::json::accept(joined));
  EXPECT_EQ(join_json_array({}), "[]");
}

TEST(JoinJsonObject, KeyedByService) {
  NamedBody members[] = {{"catalog", "{\"items\":[1,2]}"}, {"cart", "oops: 500\n"}, {"we\"ird", "true"}};
  std::string joined = join_json_object(members);
  EXPECT_EQ(joined, "{\"catalog\":{\"items\":[1,2]},\"cart\":\"oops: 500\\n\",\"we\\\"ird\":true}");
  auto parsed = nlohmann::json::parse(joined);
  EXPECT_EQ(parsed["catalog"]["items"][1], 2);
  EXPECT_EQ(parsed["cart"], "oops: 500\n");
  EXPECT_EQ(join_json_object({}), "{}");
}

TEST(SplitAndJoin, RoundTrip) {
  std::string body = "[ {\"id\": 1} , [2, 3], \"four\", 5.0e1 ]";
  auto ranges = split_json_array(body);
  ASSERT_TRUE(ranges.ok());
  std::vector<std::string_view> parts;
  for (const ByteRange& r : ranges.value()) parts.push_back(r.of(body));
  EXPECT_EQ(nlohmann::json::parse(join_json_array(parts)), nlohmann::json::parse(body));
}

}  // namespace
}  // namespace shoal::pool::http
