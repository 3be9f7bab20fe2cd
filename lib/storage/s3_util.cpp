#include "storage/s3_util.hpp"

#include <cstdlib>

namespace gp::storage_detail {

namespace {
// Finds "<tag>" or "<tag ...>" at or after `from`; returns the position after '>' or npos.
size_t find_open(std::string_view xml, std::string_view tag, size_t from, size_t* start = nullptr) {
  for (;;) {
    size_t p = xml.find('<', from);
    if (p == std::string_view::npos) return p;
    size_t q = p + 1;
    if (xml.compare(q, tag.size(), tag) == 0) {
      size_t after = q + tag.size();
      if (after < xml.size() && (xml[after] == '>' || xml[after] == ' ' || xml[after] == '/')) {
        size_t gt = xml.find('>', after);
        if (gt == std::string_view::npos) return gt;
        if (start) *start = p;
        if (xml[gt - 1] == '/') return gt + 1;  // <tag/>: empty; caller finds no close before next
        return gt + 1;
      }
    }
    from = p + 1;
  }
}
}  // namespace

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::string xml_unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out.push_back('&');
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp") out.push_back('&');
    else if (ent == "lt") out.push_back('<');
    else if (ent == "gt") out.push_back('>');
    else if (ent == "quot") out.push_back('"');
    else if (ent == "apos") out.push_back('\'');
    else if (!ent.empty() && ent[0] == '#') {
      std::string num(ent.substr(1));
      unsigned long cp = num.size() > 1 && (num[0] == 'x' || num[0] == 'X') ? std::strtoul(num.c_str() + 1, nullptr, 16)
                                                                           : std::strtoul(num.c_str(), nullptr, 10);
      if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
      } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

std::vector<std::string> xml_blocks(std::string_view xml, std::string_view tag) {
  std::vector<std::string> out;
  std::string close = "</" + std::string(tag) + ">";
  size_t from = 0;
  for (;;) {
    size_t start = 0;
    size_t open = find_open(xml, tag, from, &start);
    if (open == std::string_view::npos) break;
    if (xml[open - 2] == '/') {  // <tag/>
      out.emplace_back();
      from = open;
      continue;
    }
    size_t end = xml.find(close, open);
    if (end == std::string_view::npos) break;
    out.emplace_back(xml.substr(open, end - open));
    from = end + close.size();
  }
  return out;
}

std::string xml_tag(std::string_view xml, std::string_view tag) {
  auto blocks = xml_blocks(xml, tag);
  if (blocks.empty()) return {};
  return xml_unescape(blocks.front());
}

}  // namespace gp::storage_detail
