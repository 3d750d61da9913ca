// catalog: serves read-only product data. Under shoal the file is packed in
// the image's root filesystem (shoal build --root catalog/root), so every
// instance reads the same /data/products.json; natively, pass --data PATH.
//
//   GET  /products          all products (?tag=coffee filters)
//   GET  /products/<id>     one product, 404 if unknown
//   POST /price             {"id": "p1", "qty": 2} -> the priced item (scatter's per-element call)
//   GET  /overview          a summary (one part of the fanout)
//   GET  /healthz           "ok"
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "../common/route.hpp"
#include "../common/server.hpp"

using nlohmann::json;
using shop::Request;
using shop::Response;

namespace {

struct Catalog {
  json products = json::array();
  std::map<std::string, json> by_id;
  std::string all;  // products, serialized once
};

bool load(const std::string& path, Catalog& catalog) {
  std::ifstream file(path);
  if (!file) {
    std::fprintf(stderr, "catalog: cannot open %s\n", path.c_str());
    return false;
  }
  json data = json::parse(file, nullptr, false);
  if (!data.is_array()) {
    std::fprintf(stderr, "catalog: %s: expected a JSON array of products\n", path.c_str());
    return false;
  }
  for (auto& p : data) {
    if (!p.is_object() || !p.contains("id") || !p["id"].is_string() || !p.contains("name") ||
        !p.contains("price_cents") || !p["price_cents"].is_number_integer()) {
      std::fprintf(stderr, "catalog: %s: each product needs id, name and price_cents\n", path.c_str());
      return false;
    }
    catalog.by_id[p["id"].get<std::string>()] = p;
  }
  catalog.products = std::move(data);
  catalog.all = catalog.products.dump();
  return true;
}

// {"id": "p1", "qty": 2} -> {"id", "name", "qty", "unit_cents", "total_cents"}.
Response price(const Catalog& catalog, const std::string& body) {
  json item = json::parse(body, nullptr, false);
  if (!item.is_object() || !item.contains("id") || !item["id"].is_string())
    return Response::error(400, "expected a JSON object with a string \"id\"");
  long qty = 1;
  if (item.contains("qty")) {
    if (!item["qty"].is_number_integer()) return Response::error(400, "\"qty\" must be an integer");
    qty = item["qty"].get<long>();
  }
  if (qty < 1 || qty > 1000) return Response::error(400, "\"qty\" must be within 1..1000");
  auto it = catalog.by_id.find(item["id"].get<std::string>());
  if (it == catalog.by_id.end()) return Response::error(404, "no product " + item["id"].get<std::string>());
  long unit = it->second["price_cents"].get<long>();
  json priced = {{"id", it->first},
                 {"name", it->second["name"]},
                 {"qty", qty},
                 {"unit_cents", unit},
                 {"total_cents", unit * qty}};
  return Response::json(200, priced.dump());
}

Response overview(const Catalog& catalog) {
  long stock = 0;
  const json* cheapest = nullptr;
  for (auto& p : catalog.products) {
    stock += p.value("stock", 0L);
    if (!cheapest || p["price_cents"].get<long>() < (*cheapest)["price_cents"].get<long>()) cheapest = &p;
  }
  json summary = {{"products", catalog.products.size()}, {"in_stock", stock}};
  if (cheapest) summary["cheapest"] = {{"id", (*cheapest)["id"]}, {"name", (*cheapest)["name"]}};
  return Response::json(200, summary.dump());
}

Response handle(const Catalog& catalog, const Request& request) {
  auto route = shop::match_route(request, {"products", "price", "prices", "overview", "healthz"});
  if (!route) return Response::error(404, "no such endpoint: " + request.path);
  bool get = request.method == "GET" || request.method == "HEAD";
  if (route->endpoint == "healthz") return Response::text(200, "ok\n");
  if (route->endpoint == "price" || route->endpoint == "prices") {
    if (request.method != "POST") return Response::error(405, "use POST with one JSON item");
    return price(catalog, request.body);
  }
  if (!get) return Response::error(405, "method not allowed");
  if (route->endpoint == "overview") return overview(catalog);
  // products
  if (route->args.size() > 1) return Response::error(404, "no such endpoint: " + request.path);
  if (route->args.size() == 1) {
    auto it = catalog.by_id.find(route->args[0]);
    if (it == catalog.by_id.end()) return Response::error(404, "no product " + route->args[0]);
    return Response::json(200, it->second.dump());
  }
  std::string tag = request.query_param("tag");
  if (tag.empty()) return Response::json(200, catalog.all);
  json filtered = json::array();
  for (auto& p : catalog.products)
    if (p.contains("tags") && p["tags"].is_array())
      for (auto& t : p["tags"])
        if (t == tag) {
          filtered.push_back(p);
          break;
        }
  return Response::json(200, filtered.dump());
}

}  // namespace

int main(int argc, char** argv) {
  shop::ServerOptions options = shop::parse_options("catalog", argc, argv);
  Catalog catalog;
  if (!load(shop::option(argc, argv, "--data", "CATALOG_DATA", "/data/products.json"), catalog)) return 1;
  return shop::serve(options, [&](const Request& r) { return handle(catalog, r); });
}
