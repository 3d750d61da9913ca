// render: turns data into HTML. It is the service that composes: for a page it
// calls cart and catalog by name (getaddrinfo("cart", "8080") + connect, as any
// program would); inside a pool, the name resolves to the service and the
// connection reaches one of its instances through the pool's balancer.
//
//   GET  /page/<user>      the user's cart as an HTML page, priced by catalog
//   POST /render           any JSON body -> an HTML snippet (last stage of a pipeline)
//   POST /checkout/<user>  the same, titled "Checkout" (the cart -> render pipeline);
//                          these two take any method that carries a body
//   GET  /healthz          "ok"
//
// Where the other services are: CART_ADDR and CATALOG_ADDR (or --cart,
// --catalog), default cart:8080 and catalog:8080.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "../common/client.hpp"
#include "../common/route.hpp"
#include "../common/server.hpp"
#include "html.hpp"

using nlohmann::json;
using shop::Request;
using shop::Response;

namespace {

struct Services {
  shop::HttpClient cart;
  shop::HttpClient catalog;
};

std::string cents(long c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld.%02ld", c / 100, c % 100);
  return buf;
}

// A call to another service that must succeed with 200 and JSON.
bool call(shop::HttpClient& client, const std::string& method, const std::string& path, const std::string& body,
          json& out, std::string& error) {
  shop::ClientResponse response;
  if (!client.request(method, path, body, response, error)) return false;
  out = json::parse(response.body, nullptr, false);
  if (response.status != 200 || out.is_discarded()) {
    error = client.address() + " " + path + ": status " + std::to_string(response.status) + ": " +
            response.body.substr(0, 200);
    return false;
  }
  return true;
}

Response page(Services& services, const std::string& user) {
  json cart;
  std::string error;
  if (!call(services.cart, "GET", "/cart/" + user, "", cart, error) || !cart["items"].is_array())
    return Response::html(502, shop::html_document("Error", "<p>cart: " + shop::escape(error) + "</p>"));
  std::string rows;
  long total = 0;
  for (auto& item : cart["items"]) {
    json priced;
    if (!call(services.catalog, "POST", "/price", item.dump(), priced, error)) {
      rows += "<tr><td>" + shop::escape(item.value("id", "?")) + "</td><td colspan=\"3\">not priced: " +
              shop::escape(error) + "</td></tr>\n";
      continue;
    }
    long line = priced.value("total_cents", 0L);
    total += line;
    rows += "<tr><td>" + shop::escape(priced.value("name", "?")) + "</td><td>" +
            std::to_string(priced.value("qty", 0L)) + "</td><td>" + cents(priced.value("unit_cents", 0L)) +
            "</td><td>" + cents(line) + "</td></tr>\n";
  }
  std::string body = "<h1>Cart of " + shop::escape(user) + "</h1>\n";
  if (rows.empty()) {
    body += "<p>The cart is empty.</p>\n";
  } else {
    body += "<table>\n<tr><th>product</th><th>qty</th><th>unit</th><th>total</th></tr>\n" + rows +
            "<tr><th colspan=\"3\">total</th><th>" + cents(total) + "</th></tr>\n</table>\n";
  }
  return Response::html(200, shop::html_document("Cart of " + user, body));
}

Response snippet(const std::string& title, const std::string& body) {
  json data = json::parse(body, nullptr, false);
  if (data.is_discarded()) return Response::error(400, "expected a JSON body");
  std::string html = "<section>\n";
  if (!title.empty()) html += "<h2>" + shop::escape(title) + "</h2>\n";
  html += shop::to_html(data) + "\n</section>\n";
  return Response::html(200, html);
}

Response handle(Services& services, const Request& request) {
  auto route = shop::match_route(request, {"page", "render", "checkout", "healthz"});
  if (!route) return Response::error(404, "no such endpoint: " + request.path);
  if (route->endpoint == "healthz") return Response::text(200, "ok\n");
  if (route->endpoint == "page") {
    if (request.method != "GET" && request.method != "HEAD") return Response::error(405, "use GET");
    if (route->args.size() != 1) return Response::error(404, "expected /page/<user>");
    return page(services, route->args[0]);
  }
  // Whatever the method a pipeline forwards, the body is what to render.
  if (request.body.empty()) return Response::error(400, "send the JSON to render as the request body");
  std::string title = route->endpoint == "checkout" ? "Checkout" : "";
  return snippet(title, request.body);
}

}  // namespace

int main(int argc, char** argv) {
  shop::ServerOptions options = shop::parse_options("render", argc, argv);
  Services services{shop::HttpClient(shop::option(argc, argv, "--cart", "CART_ADDR", "cart:8080")),
                    shop::HttpClient(shop::option(argc, argv, "--catalog", "CATALOG_ADDR", "catalog:8080"))};
  return shop::serve(options, [&](const Request& r) { return handle(services, r); });
}
