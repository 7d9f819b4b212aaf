// Parsing of an HTTP/1.x request head (request line and header fields), for
// the small server of http_server.h. Only what a GET-only endpoint needs:
// the method, the path (query string dropped) and whether the head is
// complete, malformed or too large. Header values are not kept.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace basalt::http {

struct Request {
  std::string method;  // as sent, e.g. "GET"
  std::string path;    // the target without its "?query"
};

enum class ParseResult {
  kIncomplete,  // no blank line yet and under the size limit: read more
  kOk,          // *out filled; `*head_len` bytes were the head
  kBad,         // malformed: answer 400
  kTooLarge,    // the head passes max_head_bytes: answer 431
};

// Parses the head at the start of `buf` (RFC 9112 section 3: request-line
// CRLF, field lines, CRLF; a bare LF is accepted as a line end, as the RFC
// allows). A head longer than max_head_bytes is kTooLarge even if complete.
ParseResult ParseRequestHead(std::string_view buf, size_t max_head_bytes, Request* out,
                             size_t* head_len);

}  // namespace basalt::http
