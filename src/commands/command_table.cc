#include "commands/command_table.h"

#include <algorithm>
#include <cctype>

#include "commands/command_key_specs.h"
#include "common/logging.h"

namespace basalt::commands {
namespace {

struct FlagName {
  uint32_t bit;
  const char* name;
};
// In the order Redis lists flags in COMMAND INFO.
constexpr FlagName kFlagNames[] = {
    {kWrite, "write"},         {kReadOnly, "readonly"},         {kDenyOom, "denyoom"},
    {kAdmin, "admin"},         {kPubSub, "pubsub"},             {kNoScript, "noscript"},
    {kBlocking, "blocking"},   {kLoading, "loading"},           {kStale, "stale"},
    {kSkipMonitor, "skip_monitor"}, {kSkipSlowlog, "skip_slowlog"}, {kFast, "fast"},
    {kNoAuth, "no_auth"},      {kMayReplicate, "may_replicate"}, {kSentinel, "sentinel"},
    {kOnlySentinel, "only_sentinel"}, {kNoMandatoryKeys, "no_mandatory_keys"},
    {kProtected, "protected"}, {kNoAsyncLoading, "no_async_loading"}, {kNoMulti, "no_multi"},
    {kMovableKeys, "movablekeys"}, {kAllowBusy, "allow_busy"},
};

}  // namespace

std::vector<std::string_view> FlagNames(uint32_t flags) {
  std::vector<std::string_view> out;
  for (const auto& f : kFlagNames) {
    if (flags & f.bit) out.push_back(f.name);
  }
  return out;
}

const CommandSpec* CommandSpec::FindSubcommand(std::string_view lower_name) const {
  for (const auto& s : subcommands) {
    std::string_view n = s->name;
    n.remove_prefix(n.find('|') + 1);
    if (n == lower_name) return s.get();
  }
  return nullptr;
}

CommandSpec& CommandTable::Add(CommandSpec spec) {
  std::string name = spec.name;
  auto owned = std::make_unique<CommandSpec>(std::move(spec));
  CommandSpec& ref = *owned;
  map_[name] = std::move(owned);
  all_.push_back(&ref);
  return ref;
}

CommandSpec& CommandTable::AddSub(std::string_view parent, CommandSpec spec) {
  CommandSpec& p = *map_.at(std::string(parent));
  spec.name = p.name + "|" + spec.name;
  spec.parent = &p;
  p.subcommands.push_back(std::make_unique<CommandSpec>(std::move(spec)));
  return *p.subcommands.back();
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  char buf[64];
  if (name.size() >= sizeof(buf)) {
    // (Only a name given by rename-command can be this long.)
    if (renames_.empty()) return nullptr;
    std::string lower(name);
    for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    auto it = map_.find(lower);
    return it == map_.end() ? nullptr : it->second.get();
  }
  for (size_t i = 0; i < name.size(); i++) {
    char c = name[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
  }
  auto it = map_.find(std::string_view(buf, name.size()));
  return it == map_.end() ? nullptr : it->second.get();
}

std::string CommandTable::Rename(std::string_view from, std::string_view to) {
  std::string f(from), t(to);
  for (char& c : f) c = char(std::tolower(static_cast<unsigned char>(c)));
  for (char& c : t) c = char(std::tolower(static_cast<unsigned char>(c)));
  auto it = map_.find(f);
  // (A subcommand cannot be renamed: "config|get" is not a top-level name.)
  if (it == map_.end()) return "No such command in rename-command";
  if (!t.empty() && map_.find(t) != map_.end()) return "Target command name already exists";
  std::unique_ptr<CommandSpec> spec = std::move(it->second);
  map_.erase(it);
  if (t.empty()) {
    all_.erase(std::remove(all_.begin(), all_.end(), spec.get()), all_.end());
    renamed_away_.push_back(std::move(spec));
  } else {
    map_.emplace(t, std::move(spec));
  }
  renames_.emplace_back(std::move(f), std::move(t));
  return "";
}

CommandSpec* CommandTable::FindMutable(std::string_view name) {
  return const_cast<CommandSpec*>(Find(name));
}

void CommandTable::RetainOnly(std::span<const std::string_view> keep) {
  for (auto it = map_.begin(); it != map_.end();) {
    if (std::find(keep.begin(), keep.end(), it->first) == keep.end()) {
      const CommandSpec* gone = it->second.get();
      all_.erase(std::remove(all_.begin(), all_.end(), gone), all_.end());
      it = map_.erase(it);
    } else {
      ++it;
    }
  }
}

namespace {

// The executor's per-command traits, from the top-level command's name.
void DeriveTraits(CommandSpec& c) {
  const std::string& n = c.parent ? c.parent->name : c.name;
  auto is = [&](std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  CommandSpec::Traits& t = c.traits;
  t.misconf_gated = c.is_write() || c.name == "ping";
  t.is_exec = c.name == "exec";
  t.transaction_control = is({"exec", "discard", "multi", "watch", "quit", "reset"});
  t.subscribed_ok = is({"subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe",
                        "sunsubscribe", "ping", "quit", "reset"});
  t.select = n == "select";
  t.locks_all = n == "move" || n == "copy";
  t.redact_args = n == "auth" || n == "hello";
  t.runs_script =
      is({"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "function", "script"});
}

}  // namespace

void CommandTable::Finalize() {
  std::sort(all_.begin(), all_.end(),
            [](const CommandSpec* a, const CommandSpec* b) { return a->name < b->name; });
  int id = 0;
  for (const CommandSpec* c : all_) {
    auto* mc = const_cast<CommandSpec*>(c);
    mc->id = id++;
    DeriveTraits(*mc);
    mc->redis_key_specs = RedisCommandFacts(mc->name, &mc->key_specs, &mc->tips);
    by_id_.push_back(c);
    for (const auto& s : c->subcommands) {
      s->id = id++;
      DeriveTraits(*s);
      s->redis_key_specs = RedisCommandFacts(s->name, &s->key_specs, &s->tips);
      by_id_.push_back(s.get());
    }
  }
}

void RegisterAllFamilies(CommandTable& table) {
  RegisterConnectionFamily(table);
  RegisterServerFamily(table);
  RegisterStringFamily(table);
  RegisterKeysFamily(table);
  RegisterHashFamily(table);
  RegisterListFamily(table);
  RegisterSetFamily(table);
  RegisterZSetFamily(table);
  RegisterBitopsFamily(table);
  RegisterHllFamily(table);
  RegisterGeoFamily(table);
  RegisterTransactionFamily(table);
  RegisterScriptingFamily(table);
  RegisterFunctionFamily(table);
  RegisterPubsubFamily(table);
  RegisterBlockingFamily(table);
  RegisterStreamFamily(table);
  RegisterStreamGroupFamily(table);
  RegisterSortFamily(table);
  RegisterPersistenceFamily(table);
  RegisterReplicationFamily(table);
  RegisterWaitFamily(table);
  RegisterMonitorFamily(table);
  RegisterMemoryFamily(table);
  RegisterDebugFamily(table);
  RegisterLolwutFamily(table);
  RegisterLatencyFamily(table);
  RegisterConsistencyFamily(table);
  RegisterAclFamily(table);
  table.Finalize();
}

}  // namespace basalt::commands
