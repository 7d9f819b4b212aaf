// DEBUG: the subcommands Redis's own tests, client libraries' tests and
// operators' tools use, with Redis 7.0's replies. Subcommands that only make
// sense inside Redis (crashing on purpose, allocator or SDS internals, cluster
// bus filters) answer an error naming what is not supported.
//
// DEBUG is allowed per enable-debug-command (no | yes | local), as in Redis.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <optional>
#include <random>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/executor.h"
#include "commands/helpers.h"
#include "common/glob.h"
#include "common/logging.h"
#include "common/strings.h"
#include "persistence/digest.h"
#include "storage/list_type.h"
#include "storage/object.h"

namespace basalt::commands {
namespace {

using storage::Entry;

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

bool DebugAllowed(CommandContext& ctx) {
  auto allowed = ctx.config().enable_debug_command();
  bool local = ctx.session.unix_socket() || ctx.session.address().starts_with("127.") ||
               ctx.session.address().starts_with("::1:");
  if (allowed == config::ProtectedConfigs::kNo ||
      (allowed == config::ProtectedConfigs::kLocal && !local)) {
    ctx.Error(errors::kDebugNotAllowed);
    return false;
  }
  return true;
}

// A non-negative integer, as Redis's getPositiveLongFromObjectOrReply.
std::optional<int64_t> PositiveArg(CommandContext& ctx, std::string_view s) {
  auto v = ParseInt64(s);
  if (!v || *v < 0) {
    ctx.Error("ERR value is out of range, must be positive");
    return std::nullopt;
  }
  return v;
}

// A number as C's atoi/strtod read it (DEBUG SLEEP abc sleeps 0 in Redis).
double LooseDouble(std::string_view s) { return strtod(std::string(s).c_str(), nullptr); }
int64_t LooseInt(std::string_view s) { return strtoll(std::string(s).c_str(), nullptr, 10); }

// A byte count with an optional k/kb/m/mb/g/gb suffix (redis.conf's memory
// values); nullopt when it is not one.
std::optional<uint64_t> MemoryValue(std::string_view s) {
  std::string lower = ToLower(s);
  struct Unit {
    const char* suffix;
    uint64_t mul;
  };
  static const Unit kUnits[] = {{"kb", 1024},       {"mb", 1024 * 1024}, {"gb", 1024ull << 20},
                                {"k", 1000},        {"m", 1000000},      {"g", 1000000000},
                                {"b", 1}};
  uint64_t mul = 1;
  std::string_view digits = lower;
  for (const Unit& u : kUnits) {
    if (digits.ends_with(u.suffix)) {
      digits.remove_suffix(strlen(u.suffix));
      mul = u.mul;
      break;
    }
  }
  auto v = ParseInt64(digits);
  if (!v || *v < 0) return std::nullopt;
  return uint64_t(*v) * mul;
}

// DEBUG POPULATE count [prefix] [size]
// Creates string keys <prefix>:<n> = "value:<n>" (padded with zero bytes or
// cut to `size` when given) in the current database, skipping keys that
// exist. Like Redis, it is not propagated and fires no events.
void DebugPopulate(CommandContext& ctx) {
  auto count = PositiveArg(ctx, ctx.args[2]);
  if (!count) return;
  std::string_view prefix = ctx.args.size() > 3 ? ctx.args[3] : "key";
  int64_t size = 0;
  if (ctx.args.size() > 4) {
    auto v = PositiveArg(ctx, ctx.args[4]);
    if (!v) return;
    size = *v;
  }
  storage::Database& db = ctx.db();
  std::string key, value;
  for (int64_t i = 0; i < *count; i++) {
    key.assign(prefix).append(":").append(std::to_string(i));
    KeyGuard g(db, key);
    if (g.Find(false) != nullptr) continue;
    value = "value:" + std::to_string(i);
    if (size > 0) value.resize(size_t(size), '\0');
    g.Add(storage::EntryBuilder::String(key, value, false, 0));
  }
  ctx.reply.Ok();
}

// DEBUG PROTOCOL type: one test value of each RESP type.
void DebugProtocol(CommandContext& ctx) {
  std::string type = ToLower(ctx.args[2]);
  protocol::ReplyBuilder& r = ctx.reply;
  const bool resp3 = ctx.session.resp() >= 3;
  if (type == "string") {
    r.Bulk("Hello World");
  } else if (type == "integer") {
    r.Integer(12345);
  } else if (type == "double") {
    r.Double(3.141);
  } else if (type == "bignum") {
    const char* big = "1234567999999999999999999999999999999";
    if (resp3) {
      r.out()->append("(").append(big).append("\r\n");
    } else {
      r.Bulk(big);
    }
  } else if (type == "null") {
    r.Null();
  } else if (type == "array" || type == "set") {
    if (type == "set") {
      r.SetHeader(3);
    } else {
      r.ArrayHeader(3);
    }
    for (int j = 0; j < 3; j++) r.Integer(j);
  } else if (type == "map") {
    r.MapHeader(3);
    for (int j = 0; j < 3; j++) {
      r.Integer(j);
      r.Bool(j == 1);
    }
  } else if (type == "attrib") {
    if (resp3) {
      r.out()->append("|1\r\n");
      r.Bulk("key-popularity");
      r.ArrayHeader(2);
      r.Bulk("key:123");
      r.Integer(90);
    }
    r.Bulk("Some real reply following the attribute");
  } else if (type == "push") {
    if (!resp3) {
      ctx.Error("ERR RESP2 is not supported by this command");
      return;
    }
    r.PushHeader(2);
    r.Bulk("server-cpu-usage");
    r.Integer(42);
    r.Bulk("Some real reply following the push reply");
  } else if (type == "true" || type == "false") {
    r.Bool(type == "true");
  } else if (type == "verbatim") {
    r.Verbatim("This is a verbatim\nstring");
  } else {
    ctx.Error(
        "ERR Wrong protocol type name. Please use one of the following: "
        "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
  }
}

// DEBUG OBJECT key
void DebugObject(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[2]);
  Entry* e = g.Find(false);
  if (e == nullptr) {
    ctx.Error(errors::kNoSuchKey);
    return;
  }
  char val[32];
  size_t len = Holds<Entry>(e) ? e->StringValue(val).size() : 0;
  std::string_view enc = EncodingName(e);
  char buf[512];
  int n = snprintf(buf, sizeof(buf),
                   "Value at:%p refcount:1 encoding:%.*s serializedlength:%zu lru:%u "
                   "lru_seconds_idle:%u",
                   static_cast<void*>(e), int(enc.size()), enc.data(), len + 1, e->lru(),
                   storage::LruClock() - e->lru());
  std::string line(buf, size_t(n));
  if (e->type() == storage::ValueType::kList) {
    const auto* l = static_cast<const storage::ListObject*>(e->obj());
    size_t nodes = l->node_count();
    snprintf(buf, sizeof(buf),
             " ql_nodes:%zu ql_avg_node:%.2f ql_listpack_max:%lld ql_compressed:%d "
             "ql_uncompressed_size:%zu",
             nodes, nodes ? double(l->Size()) / double(nodes) : 0.0, (long long)l->fill(),
             l->compress_depth() != 0, l->UncompressedBytes());
    line += buf;
  }
  ctx.reply.SimpleString(line);
}

// DEBUG LISTPACK key / DEBUG QUICKLIST key [0|1]: Redis prints the structure
// on its standard output; Basalt writes a summary to its log.
void DebugStructure(CommandContext& ctx, bool quicklist) {
  KeyGuard g(ctx.db(), ctx.args[2]);
  Entry* e = g.Find(false);
  if (e == nullptr) {
    ctx.Error(errors::kNoSuchKey);
    return;
  }
  std::string_view enc = EncodingName(e);
  if (quicklist) {
    if (e->type() != storage::ValueType::kList) {
      ctx.Error("ERR Not a quicklist encoded object.");
      return;
    }
    const auto* l = static_cast<const storage::ListObject*>(e->obj());
    Log(LogLevel::kNotice, "DEBUG QUICKLIST %.*s: %zu elements in %zu nodes, fill %lld, "
        "compress depth %lld, %zu bytes",
        int(ctx.args[2].size()), ctx.args[2].data(), l->Size(), l->node_count(),
        (long long)l->fill(), (long long)l->compress_depth(), l->MemoryUsage());
    ctx.reply.SimpleString("Quicklist structure printed on stdout");
    return;
  }
  if (enc != "listpack") {
    ctx.Error("ERR Not a listpack encoded object.");
    return;
  }
  Log(LogLevel::kNotice, "DEBUG LISTPACK %.*s: %zu entries, %zu bytes", int(ctx.args[2].size()),
      ctx.args[2].data(), e->obj()->Size(), e->obj()->MemoryUsage());
  ctx.reply.SimpleString("Listpack structure printed on stdout");
}

// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]
void DebugReload(CommandContext& ctx) {
  bool save = true, flush = true, merge = false;
  for (size_t j = 2; j < ctx.args.size(); j++) {
    std::string_view o = ctx.args[j];
    if (EqualsIgnoreCase(o, "merge")) {
      merge = true;
    } else if (EqualsIgnoreCase(o, "nosave")) {
      save = false;
    } else if (EqualsIgnoreCase(o, "noflush")) {
      flush = false;
    } else {
      ctx.Error(errors::kDebugReloadOptions);
      return;
    }
  }
  Status st = ctx.admin().DebugReload(save, flush, merge);
  if (!st.ok()) {
    ctx.Error(st.message());
    return;
  }
  Log(LogLevel::kNotice, "DB reloaded by DEBUG RELOAD");
  ctx.reply.Ok();
}

// DEBUG DIGEST
void DebugDigest(CommandContext& ctx) {
  storage::Keyspace& ks = ctx.host.keyspace();
  storage::LockSet locks;
  for (int d = 0; d < ks.db_count(); d++) locks.AddAll(ks.db(d));
  locks.Acquire();
  persistence::DatasetDigest digest;
  for (int d = 0; d < ks.db_count(); d++) {
    for (uint32_t s = 0; s < ks.db(d).shard_count(); s++) {
      storage::Table& t = ks.db(d).shard(s).table();
      uint64_t cursor = 0;
      // Scan may repeat an entry while the table resizes; collect first.
      std::vector<storage::Entry*> entries;
      do {
        cursor = t.Scan(cursor, [&](storage::Entry* e) { entries.push_back(e); });
      } while (cursor != 0);
      std::sort(entries.begin(), entries.end());
      entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
      for (storage::Entry* e : entries) digest.Add(d, *e);
    }
  }
  ctx.reply.SimpleString(digest.Hex());
}

// DEBUG DIGEST-VALUE key [key ...]
void DebugDigestValue(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t j = 2; j < ctx.args.size(); j++) {
    KeyGuard g(ctx.db(), ctx.args[j]);
    storage::Entry* e = g.Find(false);
    std::array<uint8_t, 20> d{};
    if (e != nullptr) d = persistence::DigestValue(*e);
    ctx.reply.SimpleString(persistence::DigestHex(d));
  }
}

// DEBUG STRINGMATCH-TEST: random patterns against random strings through
// the glob matcher; it must neither crash nor hang.
void DebugStringMatchTest(CommandContext& ctx) {
  static const char kAlphabet[] = "*?[]^-\\ab";
  std::mt19937_64 rng(std::random_device{}());
  auto RandomU64 = [&] { return rng(); };
  std::string pattern, str;
  for (int i = 0; i < 100000; i++) {
    pattern.clear();
    str.clear();
    size_t plen = RandomU64() % 16, slen = RandomU64() % 16;
    for (size_t j = 0; j < plen; j++) pattern.push_back(kAlphabet[RandomU64() % 9]);
    for (size_t j = 0; j < slen; j++) str.push_back(kAlphabet[RandomU64() % 9]);
    GlobMatch(pattern, str, RandomU64() & 1);
  }
  ctx.reply.SimpleString("Apparently Basalt did not crash: test passed");
}

void DebugHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANGE-REPL-ID",
      "    Start a new replication history (new replication ID, no previous one).",
      "DIGEST",
      "    Hex digest of the whole dataset (equal datasets, equal digests).",
      "DIGEST-VALUE <key> [<key> ...]",
      "    Hex digest of each key's value.",
      "ERROR <string>",
      "    Answer with <string> as an error reply.",
      "LISTPACK <key>",
      "    Write a summary of a listpack-encoded value to the server log.",
      "LOG <message>",
      "    Write <message> to the server log.",
      "OBJECT <key>",
      "    Low-level details of the value at <key>.",
      "POPULATE <count> [<prefix>] [<size>]",
      "    Add string keys <prefix>:0 .. <prefix>:<count-1> (prefix 'key' by default),",
      "    values 'value:<n>' padded or cut to <size>; existing keys are kept.",
      "    Not replicated.",
      "PROTOCOL <type>",
      "    Answer a sample of a reply type: string, integer, double, bignum, null,",
      "    array, set, map, attrib, push, verbatim, true, false.",
      "QUICKLIST <key> [<0|1>]",
      "    Write a summary of a list's nodes to the server log.",
      "QUICKLIST-PACKED-THRESHOLD <size>",
      "    Accepted for compatibility (Basalt has no plain-node threshold).",
      "RELOAD [MERGE] [NOFLUSH] [NOSAVE]",
      "    Save an RDB file and load it back (NOSAVE: load the existing file;",
      "    NOFLUSH: keep the current keys; MERGE: the file's keys win).",
      "SET-ACTIVE-EXPIRE <0|1>",
      "    Turn the background expiry cycle off (0) or on (1).",
      "SET-DISABLE-DENY-SCRIPTS <0|1>",
      "    Let scripts call commands they normally may not (1), or not (0).",
      "SLEEP <seconds>",
      "    Block the worker thread for <seconds> (fractions allowed).",
      "STRINGMATCH-TEST",
      "    Fuzz the glob-style pattern matcher.",
      "HELP",
      "    Print this help."};
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

// DEBUG subcommand [arg ...]
void CmdDebug(CommandContext& ctx) {
  if (!DebugAllowed(ctx)) return;
  std::string sub = ToLower(ctx.args[1]);
  const size_t argc = ctx.args.size();
  if (sub == "help" && argc == 2) {
    DebugHelp(ctx);
  } else if (sub == "sleep" && argc == 3) {
    double secs = LooseDouble(ctx.args[2]);
    if (secs > 0) std::this_thread::sleep_for(std::chrono::microseconds(int64_t(secs * 1e6)));
    ctx.reply.Ok();
  } else if (sub == "set-active-expire" && argc == 3) {
    ctx.admin().SetActiveExpire(LooseInt(ctx.args[2]) != 0);
    ctx.reply.Ok();
  } else if (sub == "object" && argc == 3) {
    DebugObject(ctx);
  } else if (sub == "reload") {
    DebugReload(ctx);
  } else if (sub == "digest" && argc == 2) {
    DebugDigest(ctx);
  } else if (sub == "digest-value" && argc >= 2) {
    DebugDigestValue(ctx);
  } else if (sub == "populate" && argc >= 3 && argc <= 5) {
    DebugPopulate(ctx);
  } else if (sub == "change-repl-id" && argc == 2) {
    ctx.admin().ChangeReplicationIds();
    ctx.reply.Ok();
  } else if (sub == "log" && argc == 3) {
    Log(LogLevel::kWarning, "DEBUG LOG: %.*s", int(ctx.args[2].size()), ctx.args[2].data());
    ctx.reply.Ok();
  } else if (sub == "error" && argc == 3) {
    ctx.Error(ctx.args[2]);
  } else if (sub == "protocol" && argc == 3) {
    DebugProtocol(ctx);
  } else if (sub == "listpack" && argc == 3) {
    DebugStructure(ctx, false);
  } else if (sub == "quicklist" && (argc == 3 || argc == 4)) {
    DebugStructure(ctx, true);
  } else if (sub == "quicklist-packed-threshold" && argc == 3) {
    auto v = MemoryValue(ctx.args[2]);
    if (!v || *v > 0xffffffffull) {
      ctx.Error("ERR argument must be a memory value bigger than 1 and smaller than 4gb");
      return;
    }
    ctx.reply.Ok();
  } else if (sub == "set-disable-deny-scripts" && argc == 3) {
    ctx.host.executor().set_deny_scripts_disabled(LooseInt(ctx.args[2]) != 0);
    ctx.reply.Ok();
  } else if (sub == "stringmatch-test" && argc == 2) {
    DebugStringMatchTest(ctx);
  } else if (sub == "segfault" || sub == "panic" || sub == "assert" || sub == "oom" ||
             sub == "crash-and-recover" || sub == "restart" || sub == "leak" ||
             sub == "loadaof" || sub == "replicate" || sub == "mallctl" ||
             sub == "mallctl-str" || sub == "sdslen" || sub == "htstats" ||
             sub == "htstats-key" || sub == "structsize" || sub == "client-eviction" ||
             sub == "pause-cron" || sub == "replybuffer" || sub == "aof-flush-sleep" ||
             sub == "set-skip-checksum-validation" || sub == "config-rewrite-force-all" ||
             sub == "drop-cluster-packet-filter" || sub == "clusterlink") {
    ctx.Error("ERR DEBUG " + ToUpper(ctx.args[1]) + " is not supported by Basalt");
  } else {
    ctx.Error(errors::SubcommandSyntax(ctx.args[1], "DEBUG"));
  }
}

}  // namespace

void RegisterDebugFamily(CommandTable& t) {
  t.Add(Spec("server", "debug", -2, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0,
             "@admin @slow @dangerous", CmdDebug));
}

}  // namespace basalt::commands
