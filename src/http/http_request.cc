#include "http/http_request.h"

namespace basalt::http {

namespace {

// RFC 9110 section 5.6.2: tchar.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

std::string_view StripCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// request-line = method SP request-target SP HTTP-version
bool ParseRequestLine(std::string_view line, Request* out) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return false;
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method) || target.empty()) return false;
  for (char c : target) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1." || version[7] < '0' ||
      version[7] > '9') {
    return false;
  }
  out->method.assign(method);
  size_t q = target.find('?');
  out->path.assign(target.substr(0, q));
  return true;
}

// field-line = field-name ":" OWS field-value OWS; no obsolete line folding.
bool ValidFieldLine(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) return false;
  for (char c : line.substr(colon + 1)) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

}  // namespace

ParseResult ParseRequestHead(std::string_view buf, size_t max_head_bytes, Request* out,
                             size_t* head_len) {
  // The request line can be judged as soon as it is complete: garbage gets
  // its 400 at once instead of waiting for a blank line that never comes.
  size_t first_nl = buf.find('\n');
  if (first_nl == std::string_view::npos) {
    for (char c : buf) {
      unsigned char u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\r') || u >= 0x7f) return ParseResult::kBad;
    }
    return buf.size() > max_head_bytes ? ParseResult::kTooLarge : ParseResult::kIncomplete;
  }
  Request req;
  if (!ParseRequestLine(StripCr(buf.substr(0, first_nl)), &req)) return ParseResult::kBad;
  size_t pos = first_nl + 1;
  while (true) {
    size_t nl = buf.find('\n', pos);
    if (nl == std::string_view::npos) {
      return buf.size() > max_head_bytes ? ParseResult::kTooLarge : ParseResult::kIncomplete;
    }
    std::string_view line = StripCr(buf.substr(pos, nl - pos));
    pos = nl + 1;
    if (pos > max_head_bytes) return ParseResult::kTooLarge;
    if (line.empty()) break;
    if (!ValidFieldLine(line)) return ParseResult::kBad;
  }
  *out = std::move(req);
  *head_len = pos;
  return ParseResult::kOk;
}

}  // namespace basalt::http
