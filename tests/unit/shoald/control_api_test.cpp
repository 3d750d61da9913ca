// The control API's documents and errors, against a pool of fake instances.
#include "control_api.hpp"

#include "pool_harness.hpp"

namespace shoal::pool {
namespace {

using nlohmann::json;
using testing::fake_service;
using testing::PoolHarness;

ApiRequest req(std::string_view method, std::string_view path, std::string_view query = "",
               std::string_view body = "") {
  return ApiRequest{method, path, query, body};
}

json body_of(const ApiResponse& r) { return json::parse(r.body); }

struct ApiFixture {
  PoolHarness h{{fake_service("alpha", 2), fake_service("beta", 1)}};
  bool down_called = false;
  ControlApi api{*h.supervisor, PoolInfo{"test", "/x/test.toml", "http://127.0.0.1:1", "", "/tmp/t.sock", 42},
                 [this] { down_called = true; }};
};

TEST(ControlApi, StatusListsServicesAndInstances) {
  ApiFixture f;
  ASSERT_TRUE(f.h.run_until([&] { return f.h.supervisor->initial_ready(); }));
  f.h.get("/alpha/");
  auto r = f.api.handle(req("GET", "/v1/status"));
  ASSERT_EQ(r.status, 200);
  json s = body_of(r);
  EXPECT_EQ(s["pool"]["name"], "test");
  EXPECT_EQ(s["pool"]["pid"], 42);
  EXPECT_EQ(s["pool"]["state"], "running");
  ASSERT_EQ(s["services"].size(), 2u);
  EXPECT_EQ(s["services"][0]["name"], "alpha");
  EXPECT_EQ(s["services"][0]["ready"], 2);
  EXPECT_EQ(s["services"][0]["address"], "10.77.0.1");
  EXPECT_EQ(s["services"][1]["address"], "10.77.0.2");
  EXPECT_EQ(s["services"][0]["scaling"], "fixed");
  EXPECT_EQ(s["services"][0]["requests"], 1);
  ASSERT_EQ(s["instances"].size(), 3u);
  const json& i = s["instances"][0];
  EXPECT_EQ(i["name"], "alpha/0");
  EXPECT_EQ(i["state"], "ready");
  EXPECT_EQ(i["healthy"], true);
  EXPECT_GT(i["pid"].get<int>(), 0);
  EXPECT_GT(i["rss_bytes"].get<uint64_t>(), 0u);
  EXPECT_TRUE(i.contains("cpu_seconds"));
  EXPECT_TRUE(i.contains("cpu_percent"));
  EXPECT_TRUE(i.contains("rps"));
  EXPECT_TRUE(i.contains("start_ms"));
  EXPECT_EQ(i["restarts"], 0);
}

TEST(ControlApi, LogsOfAServiceAndOfOneInstance) {
  ApiFixture f;
  ASSERT_TRUE(f.h.run_until([&] { return f.h.supervisor->initial_ready(); }));
  f.h.run_until([&] { return f.h.rt("alpha").service.instances[1]->runtime->log.lines().size() >= 2; });
  auto r = f.api.handle(req("GET", "/v1/logs", "instance=alpha"));
  ASSERT_EQ(r.status, 200) << r.body;
  json all = body_of(r);
  ASSERT_EQ(all["instances"].size(), 2u);
  auto one = body_of(f.api.handle(req("GET", "/v1/logs", "instance=alpha%2F1&lines=1")));
  ASSERT_EQ(one["instances"].size(), 1u);
  EXPECT_EQ(one["instances"][0]["name"], "alpha/1");
  ASSERT_EQ(one["instances"][0]["lines"].size(), 1u);
  EXPECT_EQ(one["instances"][0]["lines"][0]["text"], "fake guest listening on port 8080");
  EXPECT_EQ(one["instances"][0]["lines"][0]["stream"], "out");
  EXPECT_EQ(one["instances"][0]["lines"][0]["seq"], 1);

  // An exited instance keeps its lines and exit status.
  kill(f.h.rt("beta").service.instances[0]->pid, SIGKILL);
  ASSERT_TRUE(f.h.run_until([&] { return f.h.rt("beta").exits.size() == 1; }));
  json beta = body_of(f.api.handle(req("GET", "/v1/logs", "instance=beta/0")));
  ASSERT_GE(beta["instances"].size(), 1u);
  EXPECT_EQ(beta["instances"][0]["state"], "exited");
  EXPECT_EQ(beta["instances"][0]["exit"]["status"], "killed by SIGKILL");
  EXPECT_EQ(beta["instances"][0]["exit"]["signal"], 9);
  EXPECT_FALSE(beta["instances"][0]["lines"].empty());
}

TEST(ControlApi, ScaleAndItsErrors) {
  ApiFixture f;
  ASSERT_TRUE(f.h.run_until([&] { return f.h.supervisor->initial_ready(); }));
  auto ok = f.api.handle(req("POST", "/v1/scale", "", R"({"service":"beta","instances":3})"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(body_of(ok)["min"], 3);
  EXPECT_EQ(body_of(ok)["scaling"], "pinned");
  ASSERT_TRUE(f.h.run_until([&] { return f.h.count("beta", InstanceState::ready) == 3; }));
  auto back = f.api.handle(req("POST", "/v1/scale", "", R"({"service":"beta","auto":true})"));
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(body_of(back)["scaling"], "fixed");
  EXPECT_EQ(body_of(back)["desired"], 1);

  EXPECT_EQ(f.api.handle(req("POST", "/v1/scale", "", R"({"service":"nope","instances":1})")).status, 404);
  EXPECT_EQ(f.api.handle(req("POST", "/v1/scale", "", R"({"service":"beta","instances":-1})")).status, 400);
  EXPECT_EQ(f.api.handle(req("POST", "/v1/scale", "", R"({"service":"beta"})")).status, 400);
  EXPECT_EQ(f.api.handle(req("POST", "/v1/scale", "", "not json")).status, 400);
  EXPECT_EQ(f.api.handle(req("GET", "/v1/scale")).status, 405);
  EXPECT_EQ(f.api.handle(req("GET", "/v1/logs")).status, 400);
  EXPECT_EQ(f.api.handle(req("GET", "/v1/logs", "instance=zeta")).status, 404);
  EXPECT_EQ(f.api.handle(req("GET", "/v1/logs", "instance=alpha/x")).status, 400);
  EXPECT_EQ(f.api.handle(req("GET", "/v1/logs", "instance=alpha/9")).status, 404);
  EXPECT_EQ(f.api.handle(req("GET", "/v2/anything")).status, 404);
  json err = body_of(f.api.handle(req("GET", "/v1/logs", "instance=zeta")));
  EXPECT_EQ(err["error"], "no service named 'zeta'");
}

TEST(ControlApi, DownStartsTheStop) {
  ApiFixture f;
  auto r = f.api.handle(req("POST", "/v1/down"));
  EXPECT_EQ(r.status, 202);
  EXPECT_TRUE(f.down_called);
  EXPECT_EQ(f.api.handle(req("GET", "/v1/down")).status, 405);
}

TEST(IsoTime, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(iso_time(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso_time(1700000000123456789ull), "2023-11-14T22:13:20.123Z");
}

}  // namespace
}  // namespace shoal::pool
