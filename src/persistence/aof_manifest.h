// AofManifest: the manifest of a Redis 7.0 multi-part AOF directory.
//
// `appenddirname` (default "appendonlydir") holds one base file
// "<appendfilename>.<seq>.base.rdb" (".base.aof" without the RDB preamble),
// zero or more history files waiting to be deleted, incremental files
// "<appendfilename>.<seq>.incr.aof", and the manifest
// "<appendfilename>.manifest" naming them, one line per file:
//
//   file appendonly.aof.4.base.aof seq 4 type b
//   file appendonly.aof.3.incr.aof seq 3 type h
//   file appendonly.aof.4.incr.aof seq 4 type i
//
// Observed on redis-server 7.0.15 (the contract):
//  - Writing: the base first, then the history files, then the incremental
//    files in seq order. A name is written bare unless it holds a byte outside
//    0x21..0x7e, a '"' or a '\'; then it is double-quoted with \n \r \t \a \b
//    \\ \" and \xHH (lowercase) escapes. A single quote is written bare, which
//    Redis itself then cannot read back (it starts a quoted part when split).
//  - History order: at the end of a rewrite Redis moves the old base, then
//    each old incr file, to the *front* of the history list, so after two
//    rewrites it reads 3.incr, 3.base, 2.incr, 2.base.
//  - Reading (the manifest is read in pieces of at most 1024 bytes, each piece
//    counting as a line): a piece starting with '#' is a comment and skipped
//    (even without a newline); any other piece must hold a '\n' before its
//    first NUL ("The AOF manifest file contains too long line"); the line,
//    trimmed of " \t\r\n", is split as redis.conf lines are (common/split_args)
//    into key/value pairs: an odd count, fewer than three pairs or unbalanced
//    quotes are "Invalid AOF manifest file format". Keys are case-insensitive,
//    unknown keys are ignored, a repeated key keeps its last value; any file
//    value holding '/' or '\' is "File can't be a path, just a filename",
//    checked pair by pair before the checks below. seq is read as C's
//    atoll (leading digits, "12abc" is 12, overflow saturates); a missing
//    file, a seq of 0 or a missing/empty type is "Invalid AOF manifest file
//    format". Only the first byte of type counts: 'b' base (a second one is
//    "Found duplicate base file information"), 'h' history, 'i' incr (its seq
//    must exceed the previous incr's, starting from 0, else "Found a
//    non-monotonic sequence number"); anything else is "Unknown AOF file
//    type". A zero-byte manifest is "Found an empty AOF manifest"; one holding
//    only comments parses to an empty manifest.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace basalt::persistence {

enum class AofFileType { kBase, kHistory, kIncr };

struct AofFileInfo {
  std::string name;
  int64_t seq = 0;
  AofFileType type = AofFileType::kIncr;
  bool operator==(const AofFileInfo&) const = default;
};

struct AofManifest {
  std::optional<AofFileInfo> base;
  std::vector<AofFileInfo> history;  // in manifest order (newest first, as Redis keeps it)
  std::vector<AofFileInfo> incr;     // in seq order
  // The seq of the base file and of the last incr file (0 when there is none);
  // the next files get these plus one.
  int64_t cur_base_seq = 0, cur_incr_seq = 0;

  // Parses a manifest as Redis 7.0 reads it (see the file comment). An error
  // message is Redis's reason followed by the line number and the line, e.g.
  // "Invalid AOF manifest file format (line 2: 'file x seq 0 type i')".
  static StatusOr<AofManifest> Parse(std::string_view text);
  // The manifest text, byte-identical to what Redis 7.0 writes for the same
  // files (base, history, incr; type and cur_*_seq fields are not consulted:
  // each file's type is given by the list holding it).
  std::string Format() const;

  // File names for new files: "<prefix>.<seq>.base.rdb" / ".base.aof" /
  // ".incr.aof"; prefix is appendfilename.
  static std::string BaseName(std::string_view prefix, int64_t seq, bool rdb_preamble);
  static std::string IncrName(std::string_view prefix, int64_t seq);
  static std::string ManifestName(std::string_view prefix);

  // How Format() writes one file name (bare or quoted with escapes).
  static std::string QuoteName(std::string_view name);

  bool operator==(const AofManifest&) const = default;
};

}  // namespace basalt::persistence
