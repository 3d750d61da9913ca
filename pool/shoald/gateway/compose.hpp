// Carrying one client request along its route: to one service, or through a
// composition:
//   pipeline  a -> b -> c: each stage's response body becomes the next
//             stage's request body (POST to the same target, its Content-Type
//             carried over); the first non-2xx answer ends the pipeline and
//             is returned as is.
//   fanout    the same request to every service at once; the answer is one
//             JSON object keyed by service name, each value the service's body
//             (JSON as is, else a JSON string). 200 when every service
//             answered 2xx, else 502 with the same object plus "errors".
//   scatter   the request body must be a JSON array: each element is POSTed
//             to the service on its own (balanced across its instances, all
//             in parallel) and the answers are gathered in order into one JSON
//             array. A body that is not an array: 400. Any element failing:
//             502 with {"errors": [...]}.
#pragma once

#include "call.hpp"
#include <shoal/pool/spec/spec.hpp>

namespace shoal::pool {

void run_route(Gateway& gw, const spec::Route& route, Message request, Call::Options opts, Call::Done done);

}  // namespace shoal::pool
