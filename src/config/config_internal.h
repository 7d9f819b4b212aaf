// Internals shared by config.cc, config_table.cc and config_rewrite.cc: the
// directive table and the per-type value parsing and formatting. Not for use
// outside the config files. Thread-safety: the table is immutable after its
// first use (built on first call, thread-safe static); the functions are pure.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace basalt::config::config_internal {

enum class Kind : uint8_t {
  kBool,
  kInt,
  kMemory,           // byte count with optional k/kb/m/mb/g/gb suffix
  kMemoryOrPercent,  // maxmemory-clients: a memory value or "N%"
  kEnum,
  kString,
  kOctal,  // unixsocketperm
  kSave,   // "seconds changes" pairs
  kBind,   // list of addresses
  kDir,    // a directory that must exist; stored absolute
  kClientOutputBufferLimit,
  kOomScoreAdjValues,
  kLatencyPercentiles,
  kNotifyKeyspaceEvents,
  kReplicaof,
  kShutdownFlags,  // shutdown-on-sig*: default or a set of save|nosave|now|force
};

enum Flag : uint32_t {
  kImmutable = 1 << 0,      // CONFIG SET refuses: "can't set immutable config"
  kProtected = 1 << 1,      // CONFIG SET needs enable-protected-configs
  kHidden = 1 << 2,         // not matched by CONFIG GET globs, only by exact name
  kDefaultOnly = 1 << 3,    // Basalt does not implement it: only the default is accepted
  kAlwaysRewrite = 1 << 4,  // CONFIG REWRITE writes it even at its default (save, dir)
  kUnsigned = 1 << 5,       // kMemory whose range is the whole uint64 (maxmemory)
  kFilename = 1 << 6,       // dbfilename: must not contain '/'
  kClampHz = 1 << 7,        // hz: stored clamped to [1, 500]
  kPowerOfTwo = 1 << 8,     // shards-per-thread
  kProcTitleTemplate = 1 << 16,  // proc-title-template: only known {variables}
  kCpuList = 1 << 17,            // *_cpulist: "" or a list like 0,2,4-7 or 0-7:2
};

struct Spec {
  std::string_view name;   // canonical (what REWRITE writes)
  std::string_view alias;  // e.g. "slave-read-only"; empty if none
  Kind kind;
  uint32_t flags;
  std::string_view def;  // default as config text ("" for kDir: the cwd)
  int64_t min;           // kInt, kMemory, kOctal
  int64_t max;
  std::string_view enum_values;  // kEnum: space separated, in Redis's order
  int slot;                      // Config::NumSlot or Config::StrSlot; -1 if not stored

  bool is(uint32_t f) const { return (flags & f) != 0; }
  // Directives that take several values (`save 900 1 300 10`, `bind a b`).
  bool multi_arg() const;
  // Where the value lives: nums_ (true) or a string/list member (false).
  bool numeric() const;
};

// The whole table, in a stable order (REWRITE appends in this order).
std::span<const Spec> Specs();
// Case-insensitive lookup by name or alias; nullptr if unknown.
const Spec* FindSpec(std::string_view name);

// A parsed value. Which member is meaningful depends on the kind: num for
// bool/int/memory/enum/octal (memory with kUnsigned holds the uint64 bits),
// str for strings and dir, list for bind and the other multi-value kinds
// (their canonical words), save for save.
struct Value {
  int64_t num = 0;
  std::string str;
  std::vector<std::string> list;
  std::vector<SaveParam> save;
  bool operator==(const Value&) const = default;
};

// Parses the arguments of one directive (already split: a single argument of
// a multi-arg directive must be split with SplitOnSpaces by the caller).
// `base` is the value the directive has before this line, for kinds that
// modify it (client-output-buffer-limit changes only the classes named).
// `cwd` resolves a relative kDir. Errors are Redis's reason texts.
StatusOr<Value> ParseValue(const Spec& spec, std::span<const std::string> args, const Value& base,
                           const std::string& cwd);

// The default value of `spec` (for kDir the caller supplies the cwd itself).
const Value& DefaultValue(const Spec& spec);

// The value as CONFIG GET shows it.
std::string FormatGet(const Spec& spec, const Value& v);
// The value as CONFIG REWRITE writes it: the text after "name " on each line
// (several lines for save and client-output-buffer-limit; none possible).
std::vector<std::string> FormatRewrite(const Spec& spec, const Value& v);

// Splits on single spaces like Redis's sdssplitlen: "" gives nothing, and
// "a  b" gives {"a", "", "b"}.
std::vector<std::string> SplitOnSpaces(std::string_view s);
// Quotes like Redis's sdscatrepr: "..." with \n \r \t \a \b \\ \" and \xHH.
// ASCII lower-casing.
std::string Lower(std::string_view s);

// The error text for a value Basalt does not implement.
std::string NotSupportedReason(const Spec& spec);
// Values an implemented directive still refuses (activedefrag yes without a
// defrag-capable jemalloc); Ok otherwise.
Status CheckSupported(const Spec& spec, const Value& v);

// Where the lines being loaded come from, for the error report.
struct Origin {
  std::string file;       // as given on the command line, or "" (string / stdin)
  size_t last_file_line;  // lines after this one come from the command line
};

}  // namespace basalt::config::config_internal

namespace basalt::config {

// The private helpers of Config, shared by config.cc and config_rewrite.cc.
struct Config::Impl {
  // The value a directive has now (its default if Basalt does not store it).
  static config_internal::Value Current(const Config& c, const config_internal::Spec& spec);
  static void Store(Config& c, const config_internal::Spec& spec, const config_internal::Value& v);
  static Status ApplyLine(Config& c, const std::vector<std::string>& argv, bool* save_seen);
  static Status LoadText(Config& c, std::string_view text, const config_internal::Origin& origin);
  static Status Rewrite(Config& c);
  // The new text of the config file whose old text is `old` (CONFIG REWRITE).
  static std::string RewriteText(const Config& c, const std::string& old);
};

}  // namespace basalt::config
