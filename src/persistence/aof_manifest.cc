#include "persistence/aof_manifest.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "common/split_args.h"
#include "common/strings.h"

namespace basalt::persistence {
namespace {

// Redis reads the manifest with fgets() into a buffer of this many bytes, so a
// "line" is at most one byte less than that; longer lines come in pieces.
constexpr size_t kLineBuffer = 1025;

constexpr std::string_view kTooLong = "The AOF manifest file contains too long line";
constexpr std::string_view kInvalid = "Invalid AOF manifest file format";


bool IsCSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// C's atoll as glibc implements it (strtoll base 10): leading white space, a
// sign, then digits up to the first other byte; saturates on overflow. The
// value is a C string to Redis, so it ends at a NUL.
int64_t AtoLL(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsCSpace(s[i])) ++i;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  uint64_t v = 0;
  const uint64_t limit = neg ? uint64_t(std::numeric_limits<int64_t>::max()) + 1
                             : uint64_t(std::numeric_limits<int64_t>::max());
  bool overflow = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    const uint64_t d = uint64_t(s[i] - '0');
    if (v > (limit - d) / 10) {
      overflow = true;
    } else {
      v = v * 10 + d;
    }
  }
  if (overflow) v = limit;
  return neg ? int64_t(0 - v) : int64_t(v);
}

std::string_view TrimLine(std::string_view s) {
  auto trimmed = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && trimmed(s.front())) s.remove_prefix(1);
  while (!s.empty() && trimmed(s.back())) s.remove_suffix(1);
  return s;
}

Status LineError(std::string_view reason, size_t line_no, std::string_view line) {
  std::string msg(reason);
  msg += " (line ";
  msg += std::to_string(line_no);
  msg += ": '";
  msg += line;
  msg += "')";
  return Status::Error(msg);
}

char TypeChar(AofFileType t) {
  switch (t) {
    case AofFileType::kBase:
      return 'b';
    case AofFileType::kHistory:
      return 'h';
    case AofFileType::kIncr:
      return 'i';
  }
  return 'i';
}

void AppendLine(const AofFileInfo& f, char type, std::string* out) {
  *out += "file ";
  *out += AofManifest::QuoteName(f.name);
  *out += " seq ";
  *out += std::to_string(f.seq);
  *out += " type ";
  *out += type;
  *out += '\n';
}

}  // namespace

StatusOr<AofManifest> AofManifest::Parse(std::string_view text) {
  if (text.empty()) return Status::Error("Found an empty AOF manifest");
  AofManifest m;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    // One fgets() piece: through the first '\n', at most kLineBuffer-1 bytes.
    size_t len = std::min(text.size() - pos, kLineBuffer - 1);
    const size_t nl = text.substr(pos, len).find('\n');
    if (nl != std::string_view::npos) len = nl + 1;
    std::string_view piece = text.substr(pos, len);
    pos += len;
    ++line_no;
    // Redis then treats the piece as a C string.
    piece = piece.substr(0, piece.find('\0'));
    if (!piece.empty() && piece[0] == '#') continue;
    if (piece.find('\n') == std::string_view::npos) {
      return Status::Error(std::string(kTooLong) + " (line " + std::to_string(line_no) + ")");
    }
    const std::string_view line = TrimLine(piece);
    auto args = SplitArgs(line);
    // Three key/value pairs at least: fewer cannot name a file, seq and type.
    if (!args || args->size() < 6 || args->size() % 2 != 0) {
      return LineError(kInvalid, line_no, line);
    }

    AofFileInfo info;
    bool has_name = false;
    char type = '\0';
    for (size_t i = 0; i < args->size(); i += 2) {
      const std::string& key = (*args)[i];
      const std::string& value = (*args)[i + 1];
      if (EqualsIgnoreCase(key, "file")) {
        // Files live in the AOF directory; a name must not lead out of it.
        if (value.find_first_of("/\\") != std::string::npos) {
          return LineError("File can't be a path, just a filename", line_no, line);
        }
        info.name = value;
        has_name = true;
      } else if (EqualsIgnoreCase(key, "seq")) {
        info.seq = AtoLL(std::string_view(value).substr(0, value.find('\0')));
      } else if (EqualsIgnoreCase(key, "type")) {
        type = value.empty() ? '\0' : value[0];
      }
      // Other keys are ignored, so a newer version may add some.
    }
    if (!has_name || info.seq == 0 || type == '\0') return LineError(kInvalid, line_no, line);

    switch (type) {
      case 'b':
        if (m.base) return LineError("Found duplicate base file information", line_no, line);
        info.type = AofFileType::kBase;
        m.cur_base_seq = info.seq;
        m.base = std::move(info);
        break;
      case 'h':
        info.type = AofFileType::kHistory;
        m.history.push_back(std::move(info));
        break;
      case 'i':
        if (info.seq <= m.cur_incr_seq) {
          return LineError("Found a non-monotonic sequence number", line_no, line);
        }
        info.type = AofFileType::kIncr;
        m.cur_incr_seq = info.seq;
        m.incr.push_back(std::move(info));
        break;
      default:
        return LineError("Unknown AOF file type", line_no, line);
    }
  }
  return m;
}

std::string AofManifest::Format() const {
  std::string out;
  if (base) AppendLine(*base, TypeChar(AofFileType::kBase), &out);
  for (const AofFileInfo& f : history) AppendLine(f, TypeChar(AofFileType::kHistory), &out);
  for (const AofFileInfo& f : incr) AppendLine(f, TypeChar(AofFileType::kIncr), &out);
  return out;
}

std::string AofManifest::QuoteName(std::string_view name) {
  bool needs_quotes = false;
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      needs_quotes = true;
      break;
    }
  }
  return needs_quotes ? QuoteArg(name) : std::string(name);
}

std::string AofManifest::BaseName(std::string_view prefix, int64_t seq, bool rdb_preamble) {
  std::string s(prefix);
  s += '.';
  s += std::to_string(seq);
  s += rdb_preamble ? ".base.rdb" : ".base.aof";
  return s;
}

std::string AofManifest::IncrName(std::string_view prefix, int64_t seq) {
  std::string s(prefix);
  s += '.';
  s += std::to_string(seq);
  s += ".incr.aof";
  return s;
}

std::string AofManifest::ManifestName(std::string_view prefix) {
  std::string s(prefix);
  s += ".manifest";
  return s;
}

}  // namespace basalt::persistence
