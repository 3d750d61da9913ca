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

// Compositions are in-flight objects like Call (gateway.hpp, InFlight): the
// gateway owns each (Gateway::adopt); the calls they start hold a plain
// pointer back, and the composition retires once it has answered, when no
// call of its own is left to answer it.

// A pipeline: each stage's response body is the next stage's request body.
class Pipeline final : public InFlight {
 public:
  static void start(Gateway& gw, std::vector<Service*> stages, Message request, Call::Options opts,
                    Call::Done done) {
    Pipeline* p = gw.adopt(std::unique_ptr<Pipeline>(new Pipeline(gw, std::move(stages), std::move(opts),
                                                                  std::move(done), request)));
    p->run(std::move(request));
  }

 private:
  Pipeline(Gateway& gw, std::vector<Service*> stages, Call::Options opts, Call::Done done, Message original)
      : m_gw(gw), m_stages(std::move(stages)), m_opts(std::move(opts)), m_done(std::move(done)),
        m_original(std::move(original)) {}

  void run(Message request) {
    Service* s = m_stages[m_next++];
    Call::start(m_gw, *s, std::move(request), m_opts, [this](Message&& r) { stage_done(std::move(r)); });
  }
  void stage_done(Message&& r) {
    if (!ok_status(r.status) || m_next == m_stages.size()) {
      m_done(std::move(r));
      m_gw.retire(this);
      return;
    }
    std::string type(r.header("Content-Type"));
    run(derived_request(m_original, std::move(r.body), type));
  }

  Gateway& m_gw;
  std::vector<Service*> m_stages;
  Call::Options m_opts;
  Call::Done m_done;
  size_t m_next = 0;
  Message m_original;
};

// The answers of a fan-out or a scatter, joined into one JSON document.
struct Gather {
  std::vector<Message> answers;
  size_t pending = 0;
  bool object = true;  // fanout: object keyed by names; scatter: array
  std::vector<std::string> names;

  Message result() const {
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
    return plain(all_ok ? 200 : 502, std::move(body), "application/json");
  }
};

// The same request to every service at once.
class Fanout final : public InFlight {
 public:
  static void start(Gateway& gw, const std::vector<Service*>& services, const Message& request,
                    const Call::Options& opts, Call::Done done) {
    Fanout* f = gw.adopt(std::unique_ptr<Fanout>(new Fanout(gw, std::move(done))));
    f->m_gather.answers.resize(services.size());
    f->m_gather.pending = services.size();
    for (auto* s : services) f->m_gather.names.push_back(s->name());
    for (size_t i = 0; i < services.size(); ++i)
      Call::start(gw, *services[i], request, opts, [f, i](Message&& r) { f->answered(i, std::move(r)); });
  }

 private:
  Fanout(Gateway& gw, Call::Done done) : m_gw(gw), m_done(std::move(done)) {}

  void answered(size_t i, Message&& r) {
    m_gather.answers[i] = std::move(r);
    if (--m_gather.pending > 0) return;
    m_done(m_gather.result());
    m_gw.retire(this);
  }

  Gateway& m_gw;
  Call::Done m_done;
  Gather m_gather;
};

// A scatter keeps at most this many of its elements in flight; the next
// one starts as one answers. Elements beyond an instance's slots would only
// wait in the service's queue, and a large array (thousands of elements)
// would overflow that queue and fail for no reason but its size.
constexpr size_t kScatterWindow = 64;

// The elements of a JSON array body, each sent to the service.
class Scatter final : public InFlight {
 public:
  static void start(Gateway& gw, Service& s, Message request, Call::Options opts, Call::Done done) {
    auto parts = http::split_json_array(request.body);
    if (!parts.ok()) {
      answer(gw, std::move(done),
             plain(400, "400 Bad Request: scatter needs a JSON array body: " + parts.error().message + "\n"));
      return;
    }
    if (parts.value().empty()) {
      answer(gw, std::move(done), plain(200, "[]", "application/json"));
      return;
    }
    Scatter* sc = gw.adopt(std::unique_ptr<Scatter>(new Scatter(gw, s, std::move(opts), std::move(done))));
    sc->m_gather.object = false;
    sc->m_gather.answers.resize(parts.value().size());
    sc->m_gather.pending = parts.value().size();
    for (const auto& part : parts.value()) sc->m_elements.emplace_back(part.of(request.body));
    request.body.clear();
    sc->m_request = std::move(request);
    size_t first = std::min(kScatterWindow, sc->m_elements.size());
    for (size_t i = 0; i < first; ++i) sc->launch();
  }

 private:
  Scatter(Gateway& gw, Service& s, Call::Options opts, Call::Done done)
      : m_gw(gw), m_service(s), m_opts(std::move(opts)), m_done(std::move(done)) {}

  void launch() {
    size_t i = m_next++;
    Call::start(m_gw, m_service, derived_request(m_request, std::move(m_elements[i]), "application/json"), m_opts,
                [this, i](Message&& r) { answered(i, std::move(r)); });
  }
  void answered(size_t i, Message&& r) {
    m_gather.answers[i] = std::move(r);
    if (m_next < m_elements.size()) launch();
    if (--m_gather.pending > 0) return;
    m_done(m_gather.result());
    m_gw.retire(this);
  }

  Gateway& m_gw;
  Service& m_service;
  Call::Options m_opts;
  Call::Done m_done;
  Gather m_gather;
  Message m_request;
  std::vector<std::string> m_elements;
  size_t m_next = 0;
};

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
    case spec::RouteKind::pipeline:
      Pipeline::start(gw, std::move(services), std::move(request), std::move(opts), std::move(done));
      return;
    case spec::RouteKind::fanout:
      Fanout::start(gw, services, request, opts, std::move(done));
      return;
    case spec::RouteKind::scatter:
      Scatter::start(gw, *services[0], std::move(request), std::move(opts), std::move(done));
      return;
  }
}

}  // namespace shoal::pool
