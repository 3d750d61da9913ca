// A blocking HTTP/1.1 client for calling another service by name, as any
// program would: getaddrinfo("cart", "8080"), connect, write the request, read
// the response. The connection is kept alive and reused for the next call.
#pragma once

#include <string>

#include "http.hpp"

namespace shop {

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

class HttpClient {
 public:
  // `address` is "HOST:PORT", e.g. "cart:8080" or "127.0.0.1:41000".
  explicit HttpClient(std::string address, int timeout_ms = 5000);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the whole response. False (with `error` set)
  // if the service cannot be reached or answers with something that is not
  // HTTP. A call that fails on a reused connection (the server closed it while
  // idle) is retried once on a fresh one.
  bool request(const std::string& method, const std::string& path, const std::string& body, ClientResponse& out,
               std::string& error);

  const std::string& address() const { return m_address; }

 private:
  bool connect_to(std::string& error);
  bool exchange(const std::string& wire, bool head, ClientResponse& out, std::string& error);
  bool fill(std::string& error);  // reads more bytes into m_in (waits up to the timeout)
  void disconnect();

  std::string m_address, m_host, m_port;
  int m_timeout_ms;
  int m_fd = -1;
  std::string m_in;         // bytes read but not yet consumed
  bool m_received = false;  // some bytes of the current response arrived
};

}  // namespace shop
