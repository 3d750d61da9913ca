// The CLI's side of shoald's control API (docs/control-api.md): one HTTP/1.1
// request over the pool's Unix socket, the JSON answer parsed.
//
// Which pool: `-c/--control PATH`, else the only socket in the default
// socket directory (the directory shoald puts its socket in when the spec
// names none) that accepts a connection. Several pools running and no -c is
// an error that lists them.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <shoal/base/result.hpp>

namespace shoal::cli {

struct ControlResponse {
  int status = 0;        // HTTP status
  nlohmann::json body;   // parsed JSON (null when the body was empty)
};

// The directory default control sockets live in: $XDG_RUNTIME_DIR/shoal when
// set, else $TMPDIR/shoal-UID (/tmp/shoal-UID). Open it with open_private_dir.
std::string default_control_dir();

// `explicit_path` when given, else the one socket in default_control_dir().
Result<std::string> find_control_socket(const std::string& explicit_path);

// Sends METHOD PATH (with a JSON body for POST) and reads the whole answer.
// Bounded: gives up after timeout_ms.
Result<ControlResponse> control_call(const std::string& socket_path, const std::string& method,
                                     const std::string& path, const nlohmann::json* body = nullptr,
                                     int timeout_ms = 10000);

// control_call that also turns a 4xx/5xx answer into an error carrying the
// server's {"error": ...} message.
Result<nlohmann::json> control_ok(const std::string& socket_path, const std::string& method,
                                  const std::string& path, const nlohmann::json* body = nullptr,
                                  int timeout_ms = 10000);

}  // namespace shoal::cli
