// cart: shopping carts kept in this instance's memory. (With several cart
// instances, route by user, e.g. balance = "hash" with hash_key = "url", so a
// user's requests find their cart.)
//
//   POST   /cart/<user>        {"id": "p1", "qty": 2}: add (quantities of one id add up)
//   GET    /cart/<user>        {"user", "items": [{"id", "qty"}], "count"}
//   DELETE /cart/<user>        empty the cart
//   DELETE /cart/<user>/<id>   remove one item
//   GET    /checkout/<user>    the cart, as the first stage of the checkout pipeline
//   GET    /overview[/<user>]  the user's cart, or totals over all carts (fanout)
//   GET    /healthz            "ok"
#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../common/route.hpp"
#include "../common/server.hpp"

using nlohmann::json;
using shop::Request;
using shop::Response;

namespace {

constexpr size_t kMaxCarts = 10000;
constexpr size_t kMaxItemsPerCart = 100;
constexpr long kMaxQty = 1000;

struct Item {
  std::string id;
  long qty;
};

using Carts = std::map<std::string, std::vector<Item>>;

// User names and product ids: short, and safe in a URL, JSON and HTML.
bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

json to_json(const std::string& user, const std::vector<Item>* items) {
  json j = {{"user", user}, {"items", json::array()}, {"count", 0}};
  long count = 0;
  if (items)
    for (auto& i : *items) {
      j["items"].push_back({{"id", i.id}, {"qty", i.qty}});
      count += i.qty;
    }
  j["count"] = count;
  return j;
}

Response show(const Carts& carts, const std::string& user) {
  auto it = carts.find(user);
  return Response::json(200, to_json(user, it == carts.end() ? nullptr : &it->second).dump());
}

Response add(Carts& carts, const std::string& user, const std::string& body) {
  json item = json::parse(body, nullptr, false);
  if (!item.is_object() || !item.contains("id") || !item["id"].is_string() ||
      !valid_name(item["id"].get<std::string>()))
    return Response::error(400, "expected {\"id\": \"p1\", \"qty\": 1} with id in [A-Za-z0-9._-]");
  long qty = 1;
  if (item.contains("qty")) {
    if (!item["qty"].is_number_integer()) return Response::error(400, "\"qty\" must be an integer");
    qty = item["qty"].get<long>();
  }
  if (qty < 1 || qty > kMaxQty) return Response::error(400, "\"qty\" must be within 1..1000");
  if (!carts.count(user) && carts.size() >= kMaxCarts) return Response::error(503, "too many carts");
  auto& items = carts[user];
  std::string id = item["id"].get<std::string>();
  for (auto& i : items)
    if (i.id == id) {
      i.qty = std::min(i.qty + qty, kMaxQty);
      return show(carts, user);
    }
  if (items.size() >= kMaxItemsPerCart) return Response::error(400, "cart is full");
  items.push_back({id, qty});
  return show(carts, user);
}

Response remove(Carts& carts, const std::string& user, const std::string* id) {
  auto it = carts.find(user);
  if (!id) {
    if (it != carts.end()) carts.erase(it);
    return show(carts, user);
  }
  if (it != carts.end())
    for (size_t k = 0; k < it->second.size(); ++k)
      if (it->second[k].id == *id) {
        it->second.erase(it->second.begin() + k);
        if (it->second.empty()) carts.erase(it);
        return show(carts, user);
      }
  return Response::error(404, "no item " + *id + " in the cart of " + user);
}

Response totals(const Carts& carts) {
  long items = 0;
  for (auto& [user, list] : carts)
    for (auto& i : list) items += i.qty;
  return Response::json(200, json({{"carts", carts.size()}, {"items", items}}).dump());
}

Response handle(Carts& carts, const Request& request) {
  auto route = shop::match_route(request, {"cart", "checkout", "overview", "healthz"});
  if (!route) return Response::error(404, "no such endpoint: " + request.path);
  const std::string& method = request.method;
  bool get = method == "GET" || method == "HEAD";
  if (route->endpoint == "healthz") return Response::text(200, "ok\n");
  if (route->endpoint == "overview" && route->args.empty()) {
    if (!get) return Response::error(405, "method not allowed");
    return totals(carts);
  }
  if (route->args.empty() || route->args.size() > 2) return Response::error(404, "expected /" + route->endpoint + "/<user>");
  const std::string& user = route->args[0];
  if (!valid_name(user)) return Response::error(400, "user names are 1-64 of [A-Za-z0-9._-]");
  if (route->endpoint == "checkout") {
    // A pipeline may forward the client's method: any method reads the cart.
    return show(carts, user);
  }
  if (route->endpoint == "overview") {
    if (!get) return Response::error(405, "method not allowed");
    return show(carts, user);
  }
  // cart
  if (route->args.size() == 2) {
    if (method != "DELETE") return Response::error(405, "only DELETE on /cart/<user>/<id>");
    return remove(carts, user, &route->args[1]);
  }
  if (get) return show(carts, user);
  if (method == "POST") return add(carts, user, request.body);
  if (method == "DELETE") return remove(carts, user, nullptr);
  return Response::error(405, "method not allowed");
}

}  // namespace

int main(int argc, char** argv) {
  shop::ServerOptions options = shop::parse_options("cart", argc, argv);
  Carts carts;
  return shop::serve(options, [&](const Request& r) { return handle(carts, r); });
}
