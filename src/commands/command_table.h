// The command table: every command Basalt implements, its arity, flags, key
// positions, ACL categories and handler. It is the one source of truth for
// dispatch, arity checks, COMMAND / COMMAND INFO / COMMAND GETKEYS output and
// (later) ACL categories. Families register into it from RegisterAllFamilies();
// there is no static self-registration.
//
// Thread-safety: built once at start-up, then read-only from every thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace basalt::commands {

struct CommandContext;
using Handler = void (*)(CommandContext& ctx);

// Command flags, named as in COMMAND INFO. Registrations combine them with
// `|` (kWrite | kDenyOom), which stays a CommandFlag: a misspelt flag or a bare
// integer does not compile.
enum CommandFlag : uint32_t {
  kWrite = 1u << 0,
  kReadOnly = 1u << 1,
  kDenyOom = 1u << 2,
  kAdmin = 1u << 3,
  kPubSub = 1u << 4,
  kNoScript = 1u << 5,
  kBlocking = 1u << 6,
  kLoading = 1u << 7,
  kStale = 1u << 8,
  kSkipMonitor = 1u << 9,
  kSkipSlowlog = 1u << 10,
  kFast = 1u << 11,
  kNoAuth = 1u << 12,
  kMayReplicate = 1u << 13,
  kSentinel = 1u << 14,
  kOnlySentinel = 1u << 15,
  kNoMandatoryKeys = 1u << 16,
  kProtected = 1u << 17,
  kNoAsyncLoading = 1u << 18,
  kNoMulti = 1u << 19,
  kMovableKeys = 1u << 20,
  kAllowBusy = 1u << 21,
  kNoFlags = 0,
};
constexpr CommandFlag operator|(CommandFlag a, CommandFlag b) {
  return CommandFlag(uint32_t(a) | uint32_t(b));
}

// One key specification (COMMAND INFO "key specifications").
struct KeySpec {
  std::string flags;          // space separated, e.g. "RW ACCESS UPDATE"
  int begin_index = 1;        // begin_search type "index" (0 = keyword search)
  std::string keyword;        // begin_search type "keyword" when non-empty
  int keyword_startfrom = 1;
  bool keynum = false;        // find_keys "keynum" instead of "range"
  int lastkey = 0, keystep = 1, limit = 0;        // range
  int keynumidx = 0, firstkey = 1, numstep = 1;   // keynum
  bool begin_unknown = false;  // begin_search type "unknown"
  bool find_unknown = false;   // find_keys type "unknown"
  std::string notes;           // COMMAND INFO "notes" when non-empty
};

struct CommandSpec {
  std::string name;      // lower case; "config|get" style for subcommands
  int arity = 0;         // Redis convention: >0 exact, <0 minimum
  uint32_t flags = 0;
  int first_key = 0, last_key = 0, step = 0;
  std::string acl;       // "@write @string @slow"
  Handler handler = nullptr;
  std::vector<KeySpec> key_specs;
  std::string tips;      // space separated, e.g. "nondeterministic_output"
  std::string summary;   // Basalt's own one-line description, for COMMAND DOCS
  std::string since;     // Redis version that introduced the command
  std::string group;     // "string", "generic", ...
  // Container commands (CLIENT, CONFIG, ...): subcommands by lower-case name.
  std::vector<std::unique_ptr<CommandSpec>> subcommands;
  const CommandSpec* parent = nullptr;
  int id = -1;  // dense index, for per-command statistics
  // Set by Finalize() when key_specs are redis-server's (command_key_specs.cc).
  bool redis_key_specs = false;

  // Derived by CommandTable::Finalize() from the (top-level) name, so the
  // executor's checks compare no strings per request.
  struct Traits {
    bool misconf_gated = false;        // writes and PING: refused after a failed save
    bool is_exec = false;              // EXEC (EXECABORT on refusal)
    bool transaction_control = false;  // runs inside MULTI instead of being queued
    bool subscribed_ok = false;        // allowed in RESP2 subscribed mode
    bool select = false;               // SELECT (EXEC follows the db it selects)
    bool locks_all = false;            // EXEC locks every shard for it (MOVE, COPY)
    bool redact_args = false;          // AUTH, HELLO: the slow log hides the arguments
    bool runs_script = false;          // EVAL*, FCALL*, FUNCTION, SCRIPT: EXEC takes the gate first
  } traits;

  bool is_write() const { return flags & kWrite; }
  const CommandSpec* FindSubcommand(std::string_view lower_name) const;
  // The key names among args (args[0] is the command name), as COMMAND GETKEYS
  // finds them (command_getkeys.cc); when that finds the arguments invalid,
  // still every key the key specs can place (EXEC locks them).
  std::vector<int> KeyPositions(std::span<const std::string_view> args) const;
};

class CommandTable {
 public:
  CommandSpec& Add(CommandSpec spec);
  // Adds a subcommand to a registered container command.
  CommandSpec& AddSub(std::string_view parent, CommandSpec spec);
  // Case-insensitive lookup of a top-level command.
  const CommandSpec* Find(std::string_view name) const;
  // Start-up only (before Finalize): a registered command to adjust, or null.
  CommandSpec* FindMutable(std::string_view name);
  // Start-up only (before Finalize): drops every command not named in `keep`.
  void RetainOnly(std::span<const std::string_view> keep);
  // Start-up only (after Finalize, before other threads use the table): the
  // `rename-command from to` directive. The top-level command `from` is
  // found as `to` from then on and no longer as `from`; with `to` empty it
  // is found no more (the spec, its id and its name stay, so COMMAND INFO
  // and the stats still call it by its own name, as Redis does). Returns
  // Redis's error text, or "" when done.
  std::string Rename(std::string_view from, std::string_view to);
  // The renames applied so far, in order, lower case.
  const std::vector<std::pair<std::string, std::string>>& renames() const { return renames_; }
  const std::vector<const CommandSpec*>& all() const { return all_; }
  // Every command and subcommand, indexed by id.
  const std::vector<const CommandSpec*>& by_id() const { return by_id_; }
  // Assigns ids and applies Redis's key specs; call once after registration.
  void Finalize();

 private:
  // Heterogeneous lookup: Find() hashes a string_view without building a string.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<CommandSpec>, NameHash, std::equal_to<>> map_;
  std::vector<const CommandSpec*> all_;
  std::vector<const CommandSpec*> by_id_;
  std::vector<std::pair<std::string, std::string>> renames_;
  std::vector<std::unique_ptr<CommandSpec>> renamed_away_;  // renamed to "": kept for by_id_
};

std::vector<std::string_view> FlagNames(uint32_t flags);

void RegisterAllFamilies(CommandTable& table);
// The table of sentinel mode: SENTINEL and the few commands a sentinel has.
void RegisterSentinelFamilies(CommandTable& table);
void RegisterStringFamily(CommandTable& table);
void RegisterKeysFamily(CommandTable& table);
void RegisterConnectionFamily(CommandTable& table);
void RegisterServerFamily(CommandTable& table);
void RegisterHashFamily(CommandTable& table);
void RegisterListFamily(CommandTable& table);
void RegisterSetFamily(CommandTable& table);
void RegisterZSetFamily(CommandTable& table);
void RegisterBitopsFamily(CommandTable& table);
void RegisterHllFamily(CommandTable& table);
void RegisterGeoFamily(CommandTable& table);
void RegisterTransactionFamily(CommandTable& table);
void RegisterScriptingFamily(CommandTable& table);
void RegisterFunctionFamily(CommandTable& table);
void RegisterPubsubFamily(CommandTable& table);
void RegisterBlockingFamily(CommandTable& table);
void RegisterStreamFamily(CommandTable& table);
void RegisterStreamGroupFamily(CommandTable& table);
void RegisterSortFamily(CommandTable& table);
void RegisterPersistenceFamily(CommandTable& table);
void RegisterReplicationFamily(CommandTable& table);
void RegisterWaitFamily(CommandTable& table);
void RegisterMonitorFamily(CommandTable& table);
void RegisterMemoryFamily(CommandTable& table);
void RegisterDebugFamily(CommandTable& table);
void RegisterLolwutFamily(CommandTable& table);
void RegisterLatencyFamily(CommandTable& table);
void RegisterConsistencyFamily(CommandTable& table);
void RegisterAclFamily(CommandTable& table);

}  // namespace basalt::commands
