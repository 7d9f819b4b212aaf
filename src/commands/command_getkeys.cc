// Key search for COMMAND GETKEYS / GETKEYSANDFLAGS and EXEC's locking, and
// the lookup of the generated Redis command facts (command_key_specs.h).
#include "commands/command_key_specs.h"

#include <strings.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>

namespace basalt::commands {
namespace {

constexpr std::string_view kRoAccess = "RO access";
constexpr std::string_view kRwAccessUpdate = "RW access update";
constexpr std::string_view kRwAccessDelete = "RW access delete";
constexpr std::string_view kOwUpdate = "OW update";

bool Is(std::string_view a, const char* b) {
  return a.size() == strlen(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

bool HasFlag(std::string_view flags, std::string_view word) {
  size_t p = 0;
  while (p <= flags.size()) {
    size_t e = flags.find(' ', p);
    if (e == std::string_view::npos) e = flags.size();
    if (flags.substr(p, e - p) == word) return true;
    p = e + 1;
  }
  return false;
}

// Strict integer (Redis's string2ll).
bool ParseLL(std::string_view s, long long* v) {
  if (s.empty() || s[0] == '+' || (s.size() > 1 && s[0] == '0') || s == "-0") return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

// C atoi of an argument (the native procedures use it).
int Atoi(std::string_view s) { return std::atoi(std::string(s).c_str()); }

// Redis's getKeysUsingKeySpecs without partial results: -1 on an invalid spec.
int KeysFromSpecs(const CommandSpec& c, std::span<const std::string_view> args, bool partial,
                  std::vector<KeyRef>* out) {
  const int argc = int(args.size());
  for (const KeySpec& ks : c.key_specs) {
    if (HasFlag(ks.flags, "not_key")) continue;
    int first = 0, last = 0, step = 1;
    bool invalid = false;
    if (ks.begin_unknown) {
      invalid = true;
    } else if (ks.keyword.empty()) {
      first = ks.begin_index;
    } else {
      int sf = ks.keyword_startfrom;
      int start = sf > 0 ? sf : argc + sf;
      int end = sf > 0 ? argc - 1 : 1;
      for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (Is(args[size_t(i)], ks.keyword.c_str())) {
          first = i + 1;
          break;
        }
      }
      if (first == 0) continue;  // keyword absent: no keys from this spec
    }
    // An INCOMPLETE spec may miss keys: the command's procedure decides.
    if (!invalid && (ks.find_unknown || HasFlag(ks.flags, "incomplete"))) invalid = true;
    if (!invalid && !ks.keynum) {
      if (ks.lastkey >= 0) {
        last = first + ks.lastkey;
      } else if (ks.limit == 0) {
        last = argc + ks.lastkey;
      } else {
        last = first + ((argc - first) / ks.limit + ks.lastkey);
      }
      step = ks.keystep;
    } else if (!invalid) {
      long long n = 0;
      if (ks.keynumidx >= argc || first + ks.keynumidx >= argc ||
          !ParseLL(args[size_t(first + ks.keynumidx)], &n) || n < 0) {
        invalid = true;
      } else {
        first += ks.firstkey;
        last = first + int(n) - 1;
        step = ks.numstep;
      }
    }
    if (!invalid && (last >= argc || last < first || first >= argc)) invalid = true;
    if (invalid) {
      if (partial) continue;
      out->clear();
      return -1;
    }
    for (int i = first; i <= last; i += std::max(step, 1)) {
      if (i >= argc || i < first) continue;
      out->push_back({i, ks.flags});
    }
  }
  return int(out->size());
}

// Redis's genericGetKeys: numkeys at `count_at`, keys from `first_at`, and an
// optional destination key at `store_at`.
int GenericKeys(std::span<const std::string_view> args, int store_at, int count_at, int first_at,
                std::vector<KeyRef>* out) {
  const int argc = int(args.size());
  if (count_at >= argc) return 0;
  int num = Atoi(args[size_t(count_at)]);
  if (num < 1 || num > argc - first_at) return 0;
  for (int i = 0; i < num; i++) out->push_back({first_at + i, ""});
  if (store_at > 0) out->push_back({store_at, ""});
  return int(out->size());
}

int SortKeys(std::span<const std::string_view> args, std::vector<KeyRef>* out) {
  const int argc = int(args.size());
  out->push_back({1, kRoAccess});
  int store = -1;
  for (int i = 2; i < argc; i++) {
    std::string_view a = args[size_t(i)];
    if (Is(a, "limit")) {
      i += 2;
    } else if (Is(a, "store") && i + 1 < argc) {
      store = i + 1;
    } else if (Is(a, "get") || Is(a, "by")) {
      i += 1;
    }
  }
  if (store > 0) out->push_back({store, kOwUpdate});
  return int(out->size());
}

int MigrateKeys(std::span<const std::string_view> args, std::vector<KeyRef>* out) {
  const int argc = int(args.size());
  int first = 3, num = 1;
  if (argc > 6) {
    for (int i = 6; i < argc; i++) {
      std::string_view a = args[size_t(i)];
      if (Is(a, "auth")) {
        i += 1;
      } else if (Is(a, "auth2")) {
        i += 2;
      } else if (Is(a, "keys")) {
        if (!args[3].empty()) return 0;
        first = i + 1;
        num = argc - first;
        break;
      }
    }
  }
  for (int i = 0; i < num; i++) out->push_back({first + i, kRwAccessDelete});
  return int(out->size());
}

int GeoradiusKeys(std::span<const std::string_view> args, std::vector<KeyRef>* out) {
  const int argc = int(args.size());
  int stored = -1;
  for (int i = 5; i < argc; i++) {
    std::string_view a = args[size_t(i)];
    if ((Is(a, "store") || Is(a, "storedist")) && i + 1 < argc) {
      stored = i + 1;
      i++;
    }
  }
  out->push_back({1, kRoAccess});
  if (stored > 0) out->push_back({stored, kOwUpdate});
  return int(out->size());
}

int XreadKeys(std::span<const std::string_view> args, bool group, std::vector<KeyRef>* out) {
  const int argc = int(args.size());
  int streams = -1;
  for (int i = 1; i < argc; i++) {
    std::string_view a = args[size_t(i)];
    if (Is(a, "block") || Is(a, "count")) {
      i++;
    } else if (Is(a, "group")) {
      i += 2;
    } else if (Is(a, "noack")) {
    } else if (Is(a, "streams")) {
      streams = i;
      break;
    } else {
      break;
    }
  }
  int num = argc - streams - 1;
  if (streams == -1 || num == 0 || num % 2 != 0) return 0;
  num /= 2;
  for (int i = streams + 1; i < argc - num; i++) {
    out->push_back({i, group ? kRwAccessUpdate : kRoAccess});
  }
  return int(out->size());
}

int SetKeys(std::span<const std::string_view> args, std::vector<KeyRef>* out) {
  for (size_t i = 3; i < args.size(); i++) {
    if (Is(args[i], "get")) {
      out->push_back({1, kRwAccessUpdate});
      return 1;
    }
  }
  out->push_back({1, kOwUpdate});
  return 1;
}

int BitfieldKeys(std::span<const std::string_view> args, std::vector<KeyRef>* out) {
  const int argc = int(args.size());
  bool readonly = true;
  for (int i = 2; i < argc; i++) {
    int rem = argc - i - 1;
    std::string_view a = args[size_t(i)];
    if (Is(a, "get") && rem >= 2) {
      i += 2;
    } else if ((Is(a, "set") || Is(a, "incrby")) && rem >= 3) {
      readonly = false;
      break;
    } else if (Is(a, "overflow") && rem >= 1) {
      i += 1;
    } else {
      readonly = false;
      break;
    }
  }
  out->push_back({1, readonly ? kRoAccess : kRwAccessUpdate});
  return 1;
}

// The command's own key procedure (Redis's getkeys_proc), by top-level name;
// -1 when it has none.
int NativeKeys(const CommandSpec& c, std::span<const std::string_view> args,
               std::vector<KeyRef>* out) {
  if (c.parent != nullptr) return -1;
  const std::string& n = c.name;
  if (n == "zunionstore" || n == "zinterstore" || n == "zdiffstore") {
    return GenericKeys(args, 1, 2, 3, out);
  }
  if (n == "zunion" || n == "zinter" || n == "zdiff" || n == "zintercard" || n == "sintercard" ||
      n == "lmpop" || n == "zmpop") {
    return GenericKeys(args, 0, 1, 2, out);
  }
  if (n == "eval" || n == "evalsha" || n == "eval_ro" || n == "evalsha_ro" || n == "fcall" ||
      n == "fcall_ro" || n == "blmpop" || n == "bzmpop") {
    return GenericKeys(args, 0, 2, 3, out);
  }
  if (n == "sort") return SortKeys(args, out);
  if (n == "sort_ro") {
    out->push_back({1, kRoAccess});
    return 1;
  }
  if (n == "migrate") return MigrateKeys(args, out);
  if (n == "georadius" || n == "georadiusbymember") return GeoradiusKeys(args, out);
  if (n == "xread" || n == "xreadgroup") return XreadKeys(args, n == "xreadgroup", out);
  if (n == "set") return SetKeys(args, out);
  if (n == "bitfield") return BitfieldKeys(args, out);
  return -1;
}

}  // namespace

bool RedisCommandFacts(std::string_view name, std::vector<KeySpec>* out, std::string* tips) {
  const CommandRow* end = kRedisCommands + kRedisCommandCount;
  auto it = std::lower_bound(kRedisCommands, end, name, [](const CommandRow& a, std::string_view b) {
    return std::string_view(a.name) < b;
  });
  if (it == end || name != it->name) return false;
  *tips = it->tips;
  out->clear();
  for (size_t i = 0; i < kRedisKeySpecCount; i++) {
    const KeySpecRow& r = kRedisKeySpecs[i];
    if (name != r.command) continue;
    KeySpec ks;
    ks.notes = r.notes;
    ks.flags = r.flags;
    ks.begin_unknown = r.begin_type == 'u';
    ks.begin_index = r.begin_type == 'i' ? r.index : 0;
    if (r.begin_type == 'k') {
      ks.keyword = r.keyword;
      ks.keyword_startfrom = r.startfrom;
    }
    ks.find_unknown = r.find_type == 'u';
    ks.keynum = r.find_type == 'n';
    if (r.find_type == 'r') {
      ks.lastkey = r.a;
      ks.keystep = r.b;
      ks.limit = r.c;
    } else if (r.find_type == 'n') {
      ks.keynumidx = r.a;
      ks.firstkey = r.b;
      ks.numstep = r.c;
    }
    out->push_back(std::move(ks));
  }
  return true;
}

bool CommandHasKeys(const CommandSpec& c) {
  std::vector<KeyRef> none;
  if (NativeKeys(c, {}, &none) >= 0) return true;  // safe on no arguments
  if (c.key_specs.empty()) return !c.redis_key_specs && c.first_key > 0;
  return std::any_of(c.key_specs.begin(), c.key_specs.end(),
                     [](const KeySpec& ks) { return !HasFlag(ks.flags, "not_key"); });
}

bool FindKeys(const CommandSpec& c, std::span<const std::string_view> args,
              std::vector<KeyRef>* out) {
  out->clear();
  bool has_spec = false, varflags = false;
  for (const KeySpec& ks : c.key_specs) {
    if (!HasFlag(ks.flags, "not_key")) has_spec = true;
    if (HasFlag(ks.flags, "variable_flags")) varflags = true;
  }
  if (has_spec && !varflags) {
    int n = KeysFromSpecs(c, args, false, out);
    if (n >= 0) return n > 0;
  }
  out->clear();
  int n = NativeKeys(c, args, out);
  if (n >= 0) return n > 0;
  if (c.key_specs.empty() && !c.redis_key_specs && c.first_key > 0) {
    // A command redis-server does not have: its first/last/step.
    const int argc = int(args.size());
    int last = c.last_key < 0 ? argc + c.last_key : c.last_key;
    for (int i = c.first_key; i <= last && i < argc; i += std::max(c.step, 1)) {
      out->push_back({i, ""});
    }
  }
  return !out->empty();
}

std::vector<int> CommandSpec::KeyPositions(std::span<const std::string_view> args) const {
  std::vector<KeyRef> refs;
  if (!FindKeys(*this, args, &refs)) {
    // Invalid for COMMAND GETKEYS: still every key the specs can place.
    refs.clear();
    KeysFromSpecs(*this, args, true, &refs);
  }
  std::vector<int> out;
  out.reserve(refs.size());
  for (const KeyRef& r : refs) out.push_back(r.pos);
  return out;
}

}  // namespace basalt::commands
