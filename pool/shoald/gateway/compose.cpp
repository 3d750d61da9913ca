#include "compose.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "shoal/pool/http/canned.hpp"
#include "shoal/pool/http/json_compose.hpp"

namespace shoal::pool {
namespace {

bool ok_status(int s) { return s >= 200 && s < 300; }

Message plain(int status, std::string body, std::string_view type = "text/plain") {
  Message m;
  m.status = status;
  m.headers.push_back({"Content-Type", std::string(type)});
  m.body = std::move(body);
  return m;
}

// Defers `done` so that every path answers from the loop, as Call does.
void answer(Gateway& gw, Call::Done done, Message m) {
  gw.loop().defer([done = std::move(done), m = std::move(m)]() mutable { done(std::move(m)); });
}

Service* lookup(Gateway& gw, const std::string& name) { return gw.pool().service(name); }

// The request a later stage (or a scatter element) receives.
Message derived_request(const Message& original, std::string body, std::string_view content_type) {
  Message m;
  m.method = "POST";
  m.target = original.target;
  for (const auto& h : original.headers) {
    if (http::iequals(h.name, "Content-Type")) continue;
    m.headers.push_back(h);
  }
  m.headers.push_back({"Content-Type", std::string(content_type.empty() ? "application/json" : content_type)});
  m.body = std::move(body);
  return m;
}

struct Pipeline : std::enable_shared_from_this<Pipeline> {
  Gateway& gw;
  std::vector<Service*> stages;
  Call::Options opts;
  Call::Done done;
  size_t next = 0;
  Message original;

  Pipeline(Gateway& g) : gw(g) {}

  void run(Message request) {
    Service* s = stages[next++];
    auto self = shared_from_this();
    Call::start(gw, *s, std::move(request), opts, [self](Message&& r) { self->stage_done(std::move(r)); });
  }
  void stage_done(Message&& r) {
    if (!ok_status(r.status) || next == stages.size()) {
      done(std::move(r));
      return;
    }
    std::string type(r.header("Content-Type"));
    run(derived_request(original, std::move(r.body), type));
  }
};

struct Gather {
  Gateway& gw;
  Call::Done done;
  std::vector<Message> answers;
  size_t pending = 0;
  bool object = true;  // fanout: object keyed by names; scatter: array
  std::vector<std::string> names;

  explicit Gather(Gateway& g) : gw(g) {}

  void complete() {
    bool all_ok = true;
    for (const auto& a : answers) all_ok = all_ok && ok_status(a.status);
    std::string body;
    if (object) {
      std::vector<http::NamedBody> members;
      for (size_t i = 0; i < answers.size(); ++i) members.push_back({names[i], answers[i].body});
      body = http::join_json_object(members);
    } else {
      std::vector<std::string_view> elements;
      for (const auto& a : answers) elements.push_back(a.body);
      body = http::join_json_array(elements);
    }
    if (!all_ok) {
      // Same document, wrapped with the statuses so the client sees which failed.
      std::string errors = "[";
      bool first = true;
      for (size_t i = 0; i < answers.size(); ++i) {
        if (ok_status(answers[i].status)) continue;
        if (!first) errors += ",";
        first = false;
        errors += "{\"" + std::string(object ? "service" : "index") + "\":";
        if (object) {
          http::append_json_string(errors, names[i]);
        } else {
          errors += std::to_string(i);
        }
        errors += ",\"status\":" + std::to_string(answers[i].status) + "}";
      }
      errors += "]";
      body = "{\"errors\":" + errors + ",\"results\":" + body + "}";
    }
    done(plain(all_ok ? 200 : 502, std::move(body), "application/json"));
  }
};

void run_fanout(Gateway& gw, std::vector<Service*> services, Message request, Call::Options opts, Call::Done done) {
  auto g = std::make_shared<Gather>(gw);
  g->done = std::move(done);
  g->answers.resize(services.size());
  g->pending = services.size();
  for (auto* s : services) g->names.push_back(s->name());
  for (size_t i = 0; i < services.size(); ++i) {
    Call::start(gw, *services[i], request, opts, [g, i](Message&& r) {
      g->answers[i] = std::move(r);
      if (--g->pending == 0) g->complete();
    });
  }
}

// A scatter keeps at most this many of its elements in flight; the next
// one starts as one answers. Elements beyond an instance's slots would only
// wait in the service's queue, and a large array (thousands of elements)
// would overflow that queue and fail for no reason but its size.
constexpr size_t kScatterWindow = 64;

struct Scatter : std::enable_shared_from_this<Scatter> {
  Gateway& gw;
  Service& service;
  std::shared_ptr<Gather> gather;
  Message request;
  std::vector<std::string> elements;
  Call::Options opts;
  size_t next = 0;

  Scatter(Gateway& g, Service& s) : gw(g), service(s) {}

  void launch() {
    size_t i = next++;
    auto self = shared_from_this();
    Call::start(gw, service, derived_request(request, std::move(elements[i]), "application/json"), opts,
                [self, i](Message&& r) {
                  self->gather->answers[i] = std::move(r);
                  if (self->next < self->elements.size()) self->launch();
                  if (--self->gather->pending == 0) self->gather->complete();
                });
  }
};

void run_scatter(Gateway& gw, Service& s, Message request, Call::Options opts, Call::Done done) {
  auto parts = http::split_json_array(request.body);
  if (!parts.ok()) {
    answer(gw, std::move(done), plain(400, "400 Bad Request: scatter needs a JSON array body: " + parts.error().message + "\n"));
    return;
  }
  auto g = std::make_shared<Gather>(gw);
  g->done = std::move(done);
  g->object = false;
  g->answers.resize(parts.value().size());
  g->pending = parts.value().size();
  if (g->pending == 0) {
    answer(gw, std::move(g->done), plain(200, "[]", "application/json"));
    return;
  }
  auto sc = std::make_shared<Scatter>(gw, s);
  sc->gather = g;
  sc->opts = std::move(opts);
  for (const auto& part : parts.value()) sc->elements.emplace_back(part.of(request.body));
  request.body.clear();
  sc->request = std::move(request);
  size_t first = std::min(kScatterWindow, sc->elements.size());
  for (size_t i = 0; i < first; ++i) sc->launch();
}

}  // namespace

void run_route(Gateway& gw, const spec::Route& route, Message request, Call::Options opts, Call::Done done) {
  std::vector<Service*> services;
  for (const auto& name : route.services) {
    Service* s = lookup(gw, name);
    if (s == nullptr) {
      answer(gw, std::move(done), plain(502, "502 Bad Gateway: no service " + name + "\n"));
      return;
    }
    services.push_back(s);
  }
  if (services.empty()) {
    answer(gw, std::move(done), plain(502, "502 Bad Gateway: route has no service\n"));
    return;
  }
  switch (route.kind) {
    case spec::RouteKind::service:
      Call::start(gw, *services[0], std::move(request), std::move(opts), std::move(done));
      return;
    case spec::RouteKind::pipeline: {
      auto p = std::make_shared<Pipeline>(gw);
      p->stages = std::move(services);
      p->opts = std::move(opts);
      p->done = std::move(done);
      p->original = request;
      p->run(std::move(request));
      return;
    }
    case spec::RouteKind::fanout:
      run_fanout(gw, std::move(services), std::move(request), std::move(opts), std::move(done));
      return;
    case spec::RouteKind::scatter:
      run_scatter(gw, *services[0], std::move(request), std::move(opts), std::move(done));
      return;
  }
}

}  // namespace shoal::pool
