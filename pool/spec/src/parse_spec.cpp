// parse_spec(): TOML text -> validated Spec, collecting every error.
//
// The keys are data (spec_keys.cpp, one entry per key): each section's
// entries read its keys through a TableReader (types, bounds, unknown keys)
// and check what involves several keys. Cross-references (routes naming
// services) are checked here once all is read.
#include <filesystem>

#include <shoal/abi/channel.h>
#include <shoal/abi/layout.h>
#include <shoal/pool/spec/spec.hpp>
#include <shoal/pool/spec/values.hpp>

#include "diagnostics.hpp"
#include "spec_keys.hpp"
#include "table_reader.hpp"
#include "toml.hpp"
#include "unicode_shield.hpp"

static_assert(shoal::pool::spec::kMaxChannelSlots == shoal::abi::kMaxChannelSlots);
static_assert(shoal::abi::channel_region_size(shoal::pool::spec::kMaxChannelSlots, shoal::abi::kDefaultRingSize) <=
              shoal::abi::kMaxChannelRegionSize);

namespace shoal::pool::spec {
namespace {

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

void check_routes(ReadContext& ctx, const Spec& spec) {
  for (const auto& [name, path] : ctx.references) {
    if (spec.find_service(name)) continue;
    // A service that failed validation exists in the file: its own errors say why.
    if (ctx.diag.line_of("services." + name) != 0) continue;
    ctx.diag.error(ctx.diag.line_of(path), path, "unknown service " + quote(name));
  }
  for (size_t i = 0; i < spec.routes.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const Route& a = spec.routes[j];
      const Route& b = spec.routes[i];
      if (a.host == b.host && a.path == b.path) {
        ctx.diag.error(b.line, ctx.route_paths[i],
                       "same host and path as " + ctx.route_paths[j] + " (line " + std::to_string(a.line) + ")");
        break;
      }
    }
  }
}

SpecParse read_spec(std::string_view text, std::string_view file, const SpecEnvironment& env) {
  Diagnostics diag{std::string(file)};
  SpecParse out;
  if (text.size() > kMaxSpecBytes) {
    diag.error(0, "", "the file is larger than " + size_text(kMaxSpecBytes) + " (is it a spec?)");
    out.errors = diag.take_errors();
    return out;
  }
  ShieldRefusal refusal;
  std::optional<std::string> shielded = shield(text, refusal);
  if (!shielded) {
    diag.syntax_error(refusal.line, refusal.column,
                      "characters of the private use planes (U+F0000 and above) are not accepted");
    out.errors = diag.take_errors();
    return out;
  }
  toml::parse_result parsed = toml::parse(*shielded, diag.file());
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    diag.syntax_error(e.source().begin.line, e.source().begin.column, unshield(e.description()));
    out.errors = diag.take_errors();
    return out;
  }

  ReadContext ctx{diag, env, std::filesystem::path(std::string(file)).parent_path(), {}, {}, {}};
  Spec spec;
  spec.file = diag.file();
  TableReader root(diag, parsed.table(), "");
  read_root(ctx, root, spec);
  root.finish();
  check_routes(ctx, spec);

  if (spec.gateway.control.empty()) {
    spec.gateway.control = default_control_path(spec.name, env);
    if (spec.gateway.control.size() > kMaxSocketPath)
      diag.error(0, "gateway.control",
                 "the default socket path " + spec.gateway.control + " is too long; set gateway.control");
  }

  out.errors = diag.take_errors();
  if (out.errors.empty()) {
    spec.lines = diag.take_lines();
    out.spec = std::move(spec);
  }
  return out;
}

}  // namespace

SpecParse parse_spec(std::string_view text, std::string_view file, const SpecEnvironment& env) {
  return read_spec(text, file, env);
}

}  // namespace shoal::pool::spec
