#include "common/split_args.h"

#include <cstdio>
#include <cstring>

namespace basalt {
namespace {

// The bytes C's isspace() accepts in the "C" locale; used to skip between
// arguments and to validate what follows a closing quote.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// The narrower set that ends a bare (unquoted) argument.
bool EndsBareArg(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char UnescapeDoubleQuoted(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return c;
  }
}

}  // namespace

std::optional<std::vector<std::string>> SplitArgs(std::string_view line) {
  if (const void* nul = std::memchr(line.data(), '\0', line.size())) {
    line = line.substr(0, static_cast<const char*>(nul) - line.data());
  }
  std::vector<std::string> args;
  const size_t n = line.size();
  size_t i = 0;
  while (true) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i == n) return args;

    std::string arg;
    enum class Mode { kBare, kDouble, kSingle } mode = Mode::kBare;
    bool done = false;
    while (!done) {
      if (mode == Mode::kBare) {
        if (i == n || EndsBareArg(line[i])) {
          done = true;
        } else if (line[i] == '"') {
          mode = Mode::kDouble;
          ++i;
        } else if (line[i] == '\'') {
          mode = Mode::kSingle;
          ++i;
        } else {
          arg.push_back(line[i++]);
        }
        continue;
      }
      if (i == n) return std::nullopt;  // the quote never closes
      const char c = line[i];
      const char quote = mode == Mode::kDouble ? '"' : '\'';
      if (c == quote) {
        if (i + 1 < n && !IsSpace(line[i + 1])) return std::nullopt;
        ++i;
        done = true;
      } else if (c == '\\' && i + 1 < n && mode == Mode::kDouble) {
        int hi, lo;
        if (line[i + 1] == 'x' && i + 3 < n && (hi = HexValue(line[i + 2])) >= 0 &&
            (lo = HexValue(line[i + 3])) >= 0) {
          arg.push_back(static_cast<char>(hi * 16 + lo));
          i += 4;
        } else {
          arg.push_back(UnescapeDoubleQuoted(line[i + 1]));
          i += 2;
        }
      } else if (c == '\\' && i + 1 < n && mode == Mode::kSingle && line[i + 1] == '\'') {
        arg.push_back('\'');
        i += 2;
      } else {
        arg.push_back(c);
        ++i;
      }
    }
    args.push_back(std::move(arg));
  }
}

std::string QuoteArg(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace basalt
