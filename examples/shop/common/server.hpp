// A small HTTP/1.1 server: one thread, one epoll loop, non-blocking sockets,
// keep-alive and pipelining, bodies framed by Content-Length or chunked.
//
// The handler runs on the loop thread and may block (render calls other
// services): the loop then waits for it, which is the simple, honest shape for
// an instance with one vCPU; scale out with more instances, not threads.
#pragma once

#include <functional>

#include "http.hpp"
#include "options.hpp"

namespace shop {

using Handler = std::function<Response(const Request&)>;

// Listens on options.bind:options.port, prints "<name>: listening on ADDR:PORT"
// (the port actually bound, for port 0) on stdout, and serves forever. Returns
// 1 (after a message on stderr) if the socket cannot be set up.
int serve(const ServerOptions& options, const Handler& handler, const Limits& limits = {});

}  // namespace shop
