// HTML output for render: escaping, a page shell, and JSON -> HTML.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace shop {

// Text safe inside an element or a double-quoted attribute.
std::string escape(std::string_view text);

// A complete HTML5 document with a small built-in stylesheet.
std::string html_document(const std::string& title, const std::string& body);

// Any JSON value as HTML: an object as a <dl>, an array of objects as a
// <table> (one column per key, in order of first appearance), another array
// as a <ul>, a scalar as escaped text.
std::string to_html(const nlohmann::json& value);

}  // namespace shop
