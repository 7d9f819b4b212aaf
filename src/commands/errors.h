// Error replies, byte for byte what Redis 7.0 sends (without the leading '-'):
// the dispatch errors the executor answers (NOAUTH, LOADING, READONLY,
// MASTERDOWN, OOM, EXECABORT, ...) and the ones handlers share. MISCONF and
// NOREPLICAS are built where their numbers are (persistence, replica acks).
#pragma once

#include <string>
#include <string_view>

namespace basalt::commands::errors {

// --- Dispatch (commands/executor.cc) ---
inline constexpr char kNoAuth[] = "NOAUTH Authentication required.";
inline constexpr char kLoading[] = "LOADING Redis is loading the dataset in memory";
inline constexpr char kReadOnlyReplica[] = "READONLY You can't write against a read only replica.";
inline constexpr char kMasterDown[] =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
inline constexpr char kOom[] = "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr char kNotInMulti[] = "ERR Command not allowed inside a transaction";
inline constexpr char kExecAbortPrevious[] =
    "EXECABORT Transaction discarded because of previous errors.";
inline constexpr char kExecAbortPrefix[] = "EXECABORT Transaction discarded because of: ";

// "ERR wrong number of arguments for '<name>' command" (name in lower case,
// "config|get" for a subcommand, as Redis 7.0 writes it).
inline std::string WrongArity(std::string_view name) {
  return "ERR wrong number of arguments for '" + std::string(name) + "' command";
}
// "ERR Can't execute '<name>': only (P|S)SUBSCRIBE / ... are allowed in this context"
inline std::string SubscribedContext(std::string_view name) {
  return "ERR Can't execute '" + std::string(name) +
         "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
         "context";
}

// --- Shared by handlers ---

inline constexpr char kWrongType[] =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr char kNotInteger[] = "ERR value is not an integer or out of range";
inline constexpr char kNotFloat[] = "ERR value is not a valid float";
inline constexpr char kSyntax[] = "ERR syntax error";
inline constexpr char kOverflow[] = "ERR increment or decrement would overflow";
inline constexpr char kNoSuchKey[] = "ERR no such key";
inline constexpr char kDbIndexOutOfRange[] = "ERR DB index is out of range";
inline constexpr char kSameObject[] = "ERR source and destination objects are the same";
inline constexpr char kStringTooLong[] =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr char kInvalidCursor[] = "ERR invalid cursor";
inline constexpr char kNanOrInf[] = "ERR increment would produce NaN or Infinity";
inline constexpr char kOffsetOutOfRange[] = "ERR offset is out of range";

}  // namespace basalt::commands::errors
