// Bad specs: each kind of error with its exact message, file:line: key: why.
#include <gtest/gtest.h>

#include "spec_test.h"

using namespace shoal::pool::spec;
using spec_test::errors;
using Errors = std::vector<std::string>;

namespace {

// A valid service to put next to the one under test.
constexpr std::string_view kCart = "[services.cart]\nimage = \"cart.shoal\"\n";

std::string with_cart(std::string_view rest) { return std::string(kCart) + std::string(rest); }

}  // namespace

TEST(SpecErrors, MaxBelowMin) {
  EXPECT_EQ(errors(R"([gateway]
listen = "127.0.0.1:8080"

[services.cart]
image = "cart.shoal"
min_instances = 2
max_instances = 1
)"),
            Errors{"shop.toml:7: services.cart.max_instances: must be >= min_instances (2)"});
}

TEST(SpecErrors, StartKeys) {
  EXPECT_EQ(errors(with_cart("start = \"frozen\"\n")),
            Errors{"shop.toml:3: services.cart.start: must be \"snapshot\" or \"boot\", not \"frozen\""});
  EXPECT_EQ(errors(with_cart("start = \"boot\"\nwarm = 2\nready = \"listen\"\nsnapshot = \"x.snap\"\n")),
            (Errors{"shop.toml:4: services.cart.warm: only applies with start = \"snapshot\" (a warm monitor waits on "
                    "a snapshot)",
                    "shop.toml:5: services.cart.ready: only applies with start = \"snapshot\"",
                    "shop.toml:6: services.cart.snapshot: only applies with start = \"snapshot\""}));
  EXPECT_EQ(errors(with_cart("warm = 65\n")), Errors{"shop.toml:3: services.cart.warm: must be between 0 and 64"});
  for (const char* bad : {"port:", "port:0", "port:65536", "port:8x", "accept", "port:123456789"})
    EXPECT_EQ(errors(with_cart("ready = \"" + std::string(bad) + "\"\n")),
              Errors{"shop.toml:3: services.cart.ready: must be \"listen\" or \"port:N\" (N 1 to 65535), not \"" +
                     std::string(bad) + "\""});
  EXPECT_EQ(errors(with_cart("snapshot = \"c.snap\"\nready = \"listen\"\n")),
            Errors{"shop.toml:4: services.cart.ready: does not apply with snapshot = (the file's ready point is fixed)"});
  EXPECT_EQ(errors(with_cart("snapshot = \"\"\n")), Errors{"shop.toml:3: services.cart.snapshot: must not be empty"});
  EXPECT_EQ(errors(with_cart("warm_up = \"healthz\"\n")),
            Errors{"shop.toml:3: services.cart.warm_up: must be a path starting with '/' (visible ASCII, no spaces)"});
  EXPECT_EQ(errors(with_cart("start = \"boot\"\nwarm_up = \"/h\"\n")),
            Errors{"shop.toml:4: services.cart.warm_up: only applies with start = \"snapshot\""});
}

TEST(SpecErrors, InitialOutsideBounds) {
  EXPECT_EQ(errors(with_cart("min_instances = 2\nmax_instances = 4\ninitial = 5\n")),
            Errors{"shop.toml:5: services.cart.initial: must be between min_instances (2) and max_instances (4)"});
}

TEST(SpecErrors, UnknownKeyWithSuggestion) {
  EXPECT_EQ(errors(with_cart("max_instance = 3\n")),
            Errors{"shop.toml:3: services.cart.max_instance: unknown key (did you mean \"max_instances\"?)"});
  EXPECT_EQ(errors(with_cart("colour = \"red\"\n")), Errors{"shop.toml:3: services.cart.colour: unknown key"});
  EXPECT_EQ(errors(std::string("[gatway]\nlisten = \"127.0.0.1:80\"\n") + std::string(kCart)),
            Errors{"shop.toml:1: gatway: unknown key (did you mean \"gateway\"?)"});
  EXPECT_EQ(errors(with_cart("health = { path = \"/h\", intreval = \"1s\" }\n")),
            Errors{"shop.toml:3: services.cart.health.intreval: unknown key (did you mean \"interval\"?)"});
  EXPECT_EQ(errors(with_cart("[[routes]]\nservice = \"cart\"\nstrip = true\n")),
            Errors{"shop.toml:5: routes[0].strip: unknown key"});
}

TEST(SpecErrors, WrongTypes) {
  EXPECT_EQ(errors(with_cart("port = \"8080\"\n")),
            Errors{"shop.toml:3: services.cart.port: must be an integer, not a string"});
  EXPECT_EQ(errors(with_cart("retryable = \"yes\"\n")),
            Errors{"shop.toml:3: services.cart.retryable: must be true or false, not a string"});
  EXPECT_EQ(errors(with_cart("image2 = 1\n")).size(), 1u);
  EXPECT_EQ(errors("[services.cart]\nimage = 42\n"),
            Errors{"shop.toml:2: services.cart.image: must be a string, not an integer"});
  EXPECT_EQ(errors(with_cart("health = \"/healthz\"\n")),
            Errors{"shop.toml:3: services.cart.health: must be a table, not a string"});
  EXPECT_EQ(errors(with_cart("args = \"--x\"\n")),
            Errors{"shop.toml:3: services.cart.args: must be an array, not a string"});
  EXPECT_EQ(errors(with_cart("args = [\"--x\", 2]\n")),
            Errors{"shop.toml:3: services.cart.args[1]: must be a string, not an integer"});
  EXPECT_EQ(errors(with_cart("autoscale = { target = \"10\" }\n")),
            Errors{"shop.toml:3: services.cart.autoscale.target: must be a number, not a string"});
  EXPECT_EQ(errors("[services]\ncart = 3\n"),
            Errors{"shop.toml:2: services.cart: must be a table ([services.cart]), not an integer"});
  EXPECT_EQ(errors(with_cart("routes = \"/\"\n")),  // inside [services.cart]: unknown there
            Errors{"shop.toml:3: services.cart.routes: unknown key"});
  EXPECT_EQ(errors(std::string("routes = \"/\"\n") + std::string(kCart)),
            Errors{"shop.toml:1: routes: must be an array, not a string"});
}

TEST(SpecErrors, Bounds) {
  EXPECT_EQ(errors(with_cart("port = 70000\n")), Errors{"shop.toml:3: services.cart.port: must be between 1 and 65535"});
  EXPECT_EQ(errors(with_cart("port = 0\n")), Errors{"shop.toml:3: services.cart.port: must be between 1 and 65535"});
  EXPECT_EQ(errors(with_cart("weight = 0\n")), Errors{"shop.toml:3: services.cart.weight: must be between 1 and 100"});
  EXPECT_EQ(errors(with_cart("max_instances = 0\n")),
            Errors{"shop.toml:3: services.cart.max_instances: must be between 1 and 10000"});
  EXPECT_EQ(errors(with_cart("autoscale = { panic_threshold = 0.5 }\n")),
            Errors{"shop.toml:3: services.cart.autoscale.panic_threshold: must be between 1 and 100"});
  EXPECT_EQ(errors(with_cart("channel_slots = 512\n")),
            Errors{"shop.toml:3: services.cart.channel_slots: must be between 2 and 256"});
  EXPECT_EQ(errors(with_cart("channel_slots = 0\n")),
            Errors{"shop.toml:3: services.cart.channel_slots: must be between 2 and 256"});
  EXPECT_EQ(errors(with_cart("channel_slots = 33\n")),
            Errors{"shop.toml:3: services.cart.channel_slots: must be even (half for the gateway, half for the "
                   "instance's own connections)"});
  EXPECT_EQ(errors(with_cart("autoscale = { target = nan }\n")),
            Errors{"shop.toml:3: services.cart.autoscale.target: must be between 0.01 and 1000000"});
}

TEST(SpecErrors, Names) {
  EXPECT_EQ(errors("[services.Cart]\nimage = \"c\"\n"),
            Errors{"shop.toml:1: services.Cart: service name must be 1 to 47 characters of [a-z0-9-]"});
  std::string long_name(48, 'x');
  EXPECT_EQ(errors("[services." + long_name + "]\nimage = \"c\"\n"),
            Errors{"shop.toml:1: services." + long_name + ": service name must be 1 to 47 characters of [a-z0-9-]"});
  EXPECT_EQ(errors(std::string("name = \"My Shop\"\n") + std::string(kCart)),
            Errors{"shop.toml:1: name: must be 1 to 47 characters of [a-z0-9-]"});
}

TEST(SpecErrors, Durations) {
  EXPECT_EQ(errors(with_cart("queue_timeout = \"5x\"\n")),
            Errors{"shop.toml:3: services.cart.queue_timeout: invalid duration \"5x\" (use e.g. \"250ms\", \"30s\", "
                   "\"1m30s\")"});
  EXPECT_EQ(errors(with_cart("queue_timeout = 5\n")),
            Errors{"shop.toml:3: services.cart.queue_timeout: must be a duration such as \"30s\" or \"250ms\", not an "
                   "integer"});
  EXPECT_EQ(errors(with_cart("queue_timeout = \"2h\"\n")),
            Errors{"shop.toml:3: services.cart.queue_timeout: must be between 1ms and 1h"});
  EXPECT_EQ(errors(with_cart("health = { path = \"/h\", interval = \"1s\", timeout = \"2s\" }\n")),
            Errors{"shop.toml:3: services.cart.health.timeout: must be <= interval (1s)"});
  EXPECT_EQ(errors(with_cart("autoscale = { stable_window = \"10s\", panic_window = \"20s\" }\n")),
            Errors{"shop.toml:3: services.cart.autoscale.panic_window: must be <= stable_window (10s)"});
  EXPECT_EQ(errors(with_cart("restart = { initial = \"1s\", max = \"100ms\" }\n")),
            Errors{"shop.toml:3: services.cart.restart.max: must be >= initial (1s)"});
}

TEST(SpecErrors, Sizes) {
  EXPECT_EQ(errors(with_cart("memory = \"64Q\"\n")),
            Errors{"shop.toml:3: services.cart.memory: invalid size \"64Q\" (use e.g. \"64M\", \"512K\", \"1G\")"});
  EXPECT_EQ(errors(with_cart("memory = \"8M\"\n")),
            Errors{"shop.toml:3: services.cart.memory: must be between 16M and 64G"});
  EXPECT_EQ(errors(with_cart("memory = \"17M\"\n")),
            Errors{"shop.toml:3: services.cart.memory: must be a multiple of 2M"});
  EXPECT_EQ(errors(with_cart("memory = -1\n")), Errors{"shop.toml:3: services.cart.memory: must not be negative"});
  EXPECT_EQ(errors(std::string("[gateway]\nmax_header_bytes = \"2M\"\n") + std::string(kCart)),
            Errors{"shop.toml:2: gateway.max_header_bytes: must be between 1K and 1M"});
}

TEST(SpecErrors, Addresses) {
  EXPECT_EQ(errors(std::string("[gateway]\nlisten = \"localhost\"\n") + std::string(kCart)),
            Errors{"shop.toml:2: gateway.listen: invalid address \"localhost\" (use \"127.0.0.1:8080\" or "
                   "\"[::1]:8080\")"});
  EXPECT_EQ(errors(std::string("[gateway]\nlisten = \"127.0.0.1:99999\"\n") + std::string(kCart)),
            Errors{"shop.toml:2: gateway.listen: port must be between 1 and 65535"});
  EXPECT_EQ(errors(std::string("[gateway]\nlisten = \"127.0.0.1:80\"\nadmin = \"127.0.0.1:80\"\n") +
                   std::string(kCart)),
            Errors{"shop.toml:3: gateway.admin: must differ from listen"});
  std::string long_path(120, 'a');
  EXPECT_EQ(errors(std::string("[gateway]\ncontrol = \"/") + long_path + "\"\n" + std::string(kCart)),
            Errors{"shop.toml:2: gateway.control: must be at most 107 bytes (a Unix socket path)"});
}

TEST(SpecErrors, ServiceRequirements) {
  EXPECT_EQ(errors("[services.cart]\nport = 80\n"),
            Errors{"shop.toml:1: services.cart.image: is required (the service's .shoal image)"});
  EXPECT_EQ(errors(with_cart("min_instances = 0\n")),
            Errors{"shop.toml:3: services.cart.min_instances: 0 needs an autoscale table (something must start the "
                   "first instance)"});
  EXPECT_EQ(errors(with_cart("health = { interval = \"1s\" }\n")),
            Errors{"shop.toml:3: services.cart.health.path: is required (the URL path to probe, e.g. \"/healthz\")"});
  EXPECT_EQ(errors(with_cart("health = { path = \"healthz\" }\n")),
            Errors{"shop.toml:3: services.cart.health.path: must start with '/' and hold no spaces or control "
                   "characters"});
  EXPECT_EQ(errors("name = \"x\"\n"), Errors{"shop.toml:1: services: no service is declared (add a [services.NAME] table)"});
  EXPECT_EQ(errors("[services]\n"), Errors{"shop.toml:1: services: declares no service"});
}

TEST(SpecErrors, Balancing) {
  EXPECT_EQ(errors(with_cart("balance = \"fastest\"\n")),
            Errors{"shop.toml:3: services.cart.balance: unknown policy \"fastest\" (use one of round_robin, weighted, "
                   "least_conn, ip_hash, hash, p2c, least_time, warm_first)"});
  EXPECT_EQ(errors(with_cart("hash_key = \"url\"\n")),
            Errors{"shop.toml:3: services.cart.hash_key: only applies with balance = \"hash\""});
  EXPECT_EQ(errors(with_cart("balance = \"hash\"\nhash_key = \"cookie:id\"\n")),
            Errors{"shop.toml:4: services.cart.hash_key: must be \"url\" or \"header:NAME\", not \"cookie:id\""});
  EXPECT_EQ(errors(with_cart("warm_load = 4\n")),
            Errors{"shop.toml:3: services.cart.warm_load: only applies with balance = \"warm_first\""});
  EXPECT_EQ(errors(with_cart("balance = \"warm_first\"\nwarm_load = 0\n")).size(), 1u);
  EXPECT_EQ(errors(with_cart("balance = \"warm_first\"\nwarm_load = 129\n")).size(), 1u);
  EXPECT_TRUE(errors(with_cart("balance = \"warm_first\"\nwarm_load = 128\n")).empty());
}

TEST(SpecErrors, EnvAndArgs) {
  EXPECT_EQ(errors(with_cart("env = { \"1BAD\" = \"x\" }\n")),
            Errors{"shop.toml:3: services.cart.env.1BAD: variable names are [A-Za-z_][A-Za-z0-9_]*"});
  EXPECT_EQ(errors(with_cart("env = { GOOD = 1 }\n")),
            Errors{"shop.toml:3: services.cart.env.GOOD: must be a string, not an integer"});
  EXPECT_EQ(errors(with_cart("args = [\"a\\u0000b\"]\n")),
            Errors{"shop.toml:3: services.cart.args[0]: must be at most 4096 bytes without NUL characters"});
  EXPECT_EQ(errors("[services.cart]\nimage = \"a\\u0000b\"\n"),
            Errors{"shop.toml:2: services.cart.image: must not contain a NUL character"});
}

TEST(SpecErrors, Routes) {
  EXPECT_EQ(errors(with_cart("[[routes]]\npath = \"/x\"\nservice = \"nope\"\n")),
            Errors{"shop.toml:5: routes[0].service: unknown service \"nope\""});
  EXPECT_EQ(errors(with_cart("[[routes]]\nservice = \"cart\"\npipeline = [\"cart\"]\n")),
            Errors{"shop.toml:3: routes[0]: has both service and pipeline: give exactly one of service, pipeline, "
                   "fanout, scatter"});
  EXPECT_EQ(errors(with_cart("[[routes]]\npath = \"/x\"\n")),
            Errors{"shop.toml:3: routes[0]: needs one of service, pipeline, fanout, scatter"});
  EXPECT_EQ(errors(with_cart("[[routes]]\npipeline = [\"cart\",\n  \"gone\"]\n")),
            Errors{"shop.toml:5: routes[0].pipeline[1]: unknown service \"gone\""});
  EXPECT_EQ(errors(with_cart("[[routes]]\nfanout = []\n")),
            Errors{"shop.toml:4: routes[0].fanout: must list 1 to 64 services"});
  EXPECT_EQ(errors(with_cart("[[routes]]\nfanout = [\"cart\", \"cart\"]\n")),
            Errors{"shop.toml:4: routes[0].fanout: names \"cart\" twice"});
  EXPECT_EQ(errors(with_cart("[[routes]]\npath = \"api\"\nservice = \"cart\"\n")),
            Errors{"shop.toml:4: routes[0].path: must start with '/' and hold no spaces or control characters"});
  EXPECT_EQ(errors(with_cart("[[routes]]\nhost = \"shop local\"\nservice = \"cart\"\n")),
            Errors{"shop.toml:4: routes[0].host: must be a host name (letters, digits, '-', '.') with an optional "
                   ":port, not \"shop local\""});
  EXPECT_EQ(errors(with_cart("[[routes]]\npath = \"/a\"\nservice = \"cart\"\n[[routes]]\npath = \"/a\"\nscatter = "
                             "\"cart\"\n")),
            Errors{"shop.toml:6: routes[1]: same host and path as routes[0] (line 3)"});
  EXPECT_EQ(errors(with_cart("routes = [1]\n")).size(), 1u);
  EXPECT_EQ(errors(std::string("routes = [1]\n") + std::string(kCart)),
            Errors{"shop.toml:1: routes[0]: must be a table ([[routes]]), not an integer"});
}

TEST(SpecErrors, AServiceWithErrorsIsNotAlsoUnknown) {
  // The route names a service whose own table is wrong: one error, not two.
  EXPECT_EQ(errors("[services.cart]\nport = 1\n[[routes]]\nservice = \"cart\"\n"),
            Errors{"shop.toml:1: services.cart.image: is required (the service's .shoal image)"});
}

TEST(SpecErrors, CollectsEveryErrorInLineOrder) {
  std::string text = R"([gateway]
listen = "nowhere"
idle_timeout = "forever"

[services.cart]
image = "cart.shoal"
port = 0
balanse = "p2c"

[services.catalog]
min_instances = 3
max_instances = 2

[[routes]]
service = "checkout"
)";
  EXPECT_EQ(errors(text),
            (Errors{
                "shop.toml:2: gateway.listen: invalid address \"nowhere\" (use \"127.0.0.1:8080\" or \"[::1]:8080\")",
                "shop.toml:3: gateway.idle_timeout: invalid duration \"forever\" (use e.g. \"250ms\", \"30s\", "
                "\"1m30s\")",
                "shop.toml:7: services.cart.port: must be between 1 and 65535",
                "shop.toml:8: services.cart.balanse: unknown key (did you mean \"balance\"?)",
                "shop.toml:10: services.catalog.image: is required (the service's .shoal image)",
                "shop.toml:12: services.catalog.max_instances: must be >= min_instances (3)",
                "shop.toml:15: routes[0].service: unknown service \"checkout\"",
            }));
}

TEST(SpecErrors, SyntaxErrorsGiveLineAndColumn) {
  auto e = errors("[services.cart]\nimage = \"cart.shoal\nport = 80\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(e[0].starts_with("shop.toml:2:")) << e[0];
  auto dup = errors("[services.cart]\nimage = \"a\"\nimage = \"b\"\n");
  ASSERT_EQ(dup.size(), 1u);
  EXPECT_TRUE(dup[0].starts_with("shop.toml:3:")) << dup[0];
  SpecParse p = parse_spec("x = = 1", "bad.toml", spec_test::kEnv);
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].line, 1u);
  EXPECT_GT(p.errors[0].column, 0u);
  EXPECT_TRUE(p.errors[0].key.empty());
}

TEST(SpecErrors, NotUtf8AndBinary) {
  std::string binary("\x7f" "ELF\x02\x01\x01\0\0\0", 10);
  ASSERT_EQ(errors(binary).size(), 1u);
  EXPECT_EQ(errors("name = \"\xff\xfe\"\n").size(), 1u);
}

TEST(SpecErrors, TooLarge) {
  std::string big(kMaxSpecBytes + 1, '#');
  EXPECT_EQ(errors(big), Errors{"shop.toml: the file is larger than 1M (is it a spec?)"});
}
