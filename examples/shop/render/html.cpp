#include "html.hpp"

#include <algorithm>
#include <vector>

namespace shop {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string html_document(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + escape(title) +
         "</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style></head>\n<body>\n" +
         body + "</body></html>\n";
}

static std::string scalar(const nlohmann::json& v) {
  if (v.is_string()) return escape(v.get<std::string>());
  // error_handler::replace: a number or bool never fails, and nothing here throws.
  return escape(v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string to_html(const nlohmann::json& value) {
  if (value.is_object()) {
    std::string out = "<dl>";
    for (auto& [k, v] : value.items()) out += "<dt>" + escape(k) + "</dt><dd>" + to_html(v) + "</dd>";
    return out + "</dl>";
  }
  if (value.is_array()) {
    bool records = !value.empty() && std::all_of(value.begin(), value.end(), [](auto& e) { return e.is_object(); });
    if (!records) {
      std::string out = "<ul>";
      for (auto& e : value) out += "<li>" + to_html(e) + "</li>";
      return out + "</ul>";
    }
    std::vector<std::string> columns;
    for (auto& row : value)
      for (auto& [k, v] : row.items())
        if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
    std::string out = "<table><tr>";
    for (auto& c : columns) out += "<th>" + escape(c) + "</th>";
    out += "</tr>";
    for (auto& row : value) {
      out += "<tr>";
      for (auto& c : columns) out += "<td>" + (row.contains(c) ? to_html(row[c]) : std::string()) + "</td>";
      out += "</tr>";
    }
    return out + "</table>";
  }
  return scalar(value);
}

}  // namespace shop
