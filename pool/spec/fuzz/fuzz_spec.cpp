// libFuzzer target: any bytes as a spec file. parse_spec() must return a spec
// or errors, never crash, hang or read out of bounds; every error must name the
// file; a spec that parses must satisfy the invariants validation promises.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <string_view>

#include <shoal/pool/spec/spec.hpp>
#include <shoal/pool/spec/values.hpp>

using namespace shoal::pool::spec;

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "fuzz_spec: invariant broken: %s\n", what);
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  SpecEnvironment env{"/run/user/0", 0};
  SpecParse parsed = parse_spec(text, "fuzz/spec.toml", env);
  check(parsed.spec.has_value() == parsed.errors.empty(), "spec iff no errors");
  for (const SpecError& e : parsed.errors) {
    check(e.text().starts_with("fuzz/spec.toml"), "error names the file");
    check(!e.message.empty(), "error says why");
  }
  if (parsed.spec) {
    const Spec& spec = *parsed.spec;
    check(valid_name(spec.name), "pool name valid");
    check(!spec.services.empty(), "at least one service");
    for (const Service& s : spec.services) {
      check(valid_name(s.name), "service name valid");
      check(s.min_instances <= s.initial_instances && s.initial_instances <= s.max_instances, "instance bounds");
      check(s.port >= 1, "port");
      check(!s.image_path.empty(), "image");
    }
    for (const Route& r : spec.routes) {
      check(!r.services.empty(), "route target");
      for (const std::string& name : r.services) check(spec.find_service(name) != nullptr, "route references");
    }
  }
  // The scalar parsers on the raw bytes too (short inputs only: they are bounded anyway).
  if (size <= 64) {
    (void)parse_duration(text);
    (void)parse_size(text);
    (void)parse_endpoint(text);
  }
  return 0;
}
