#include "acl/user.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "acl/catalog.h"
#include "common/glob.h"
#include "common/split_args.h"
#include "common/strings.h"

namespace basalt::acl {
namespace {

// Redis's reasons (ACLSetUserStringError).
constexpr char kSyntaxError[] = "Syntax error";
constexpr char kUnknownName[] = "Unknown command or category name in ACL";
constexpr char kKeysAfterAll[] =
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
    "have any effect. Try 'resetkeys' to start with an empty list of patterns";
constexpr char kChannelsAfterAll[] =
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does "
    "not have any effect. Try 'resetchannels' to start with an empty list of channels";
constexpr char kNoSuchPassword[] =
    "The password you are trying to remove from the user does not exist";
constexpr char kBadHash[] =
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters";
constexpr char kFirstArgOfSub[] = "Allowing first-arg of a subcommand is not supported";

bool ValidHash(std::string_view h) {
  if (h.size() != 64) return false;
  for (char c : h) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string PatternString(const KeyPattern& p) {
  if (p.perm == kPermAll) return "~" + p.pattern;
  if (p.perm == kPermRead) return "%R~" + p.pattern;
  return "%W~" + p.pattern;
}

}  // namespace

KeyPattern::Kind PatternKind(std::string_view p) {
  size_t special = p.find_first_of("*?[\\");
  if (special == std::string_view::npos) return KeyPattern::kExact;
  if (special == p.size() - 1 && p.back() == '*') return KeyPattern::kPrefix;
  return KeyPattern::kGlob;
}

bool KeyPattern::GlobMatchSlow(std::string_view key) const { return GlobMatch(pattern, key); }

std::string HashPassword(std::string_view s) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char b : md) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

bool MergeSelectorArgs(std::span<const std::string_view> in, std::vector<std::string>* out,
                       std::string* err) {
  out->clear();
  int open = -1;
  std::string selector;
  for (size_t j = 0; j < in.size(); j++) {
    std::string_view op = in[j];
    if (!op.empty() && op[0] == '(' && op.back() != ')') {
      selector = std::string(op);
      open = int(j);
      continue;
    }
    if (open != -1) {
      selector += ' ';
      selector += op;
      if (!op.empty() && op.back() == ')') {
        open = -1;
        out->push_back(std::move(selector));
        selector.clear();
      }
      continue;
    }
    out->push_back(std::string(op));
  }
  if (open != -1) {
    *err = "Unmatched parenthesis in acl selector starting at '" +
           CStringPrefix(in[size_t(open)], std::string_view::npos) + "'.";
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- Keys

void KeyArgs::PushSlow(KeyArg k) {
  if (heap_.empty()) heap_.assign(inline_, inline_ + kInline);
  heap_.push_back(k);
  n_++;
}

void PlaceKeys(const CatalogCommand& cmd, std::span<const std::string_view> args, KeyArgs* out) {
  if (args.size() - cmd.quick_min_args < cmd.quick_args_range) {
    for (const KeyArg& k : cmd.quick_keys) out->push_back(k);
    return;
  }
  if (cmd.set_keys) {
    // Redis's setGetKeys: the key is written, and read too with GET.
    uint8_t perm = kPermWrite;
    for (size_t i = 3; i < args.size(); i++) {
      if (EqualsIgnoreCase(args[i], "get")) perm |= kPermRead;
    }
    out->push_back(KeyArg{1, perm});
    return;
  }
  if (!cmd.simple_keys) return;
  // KeysFromSpecs (commands/command_getkeys.cc) for ranges known at start-up.
  const int argc = int(args.size());
  for (const KeyRange& r : cmd.key_ranges) {
    int first = r.first, last;
    if (r.last >= 0) {
      last = first + r.last;
    } else if (r.limit == 0) {
      last = argc + r.last;
    } else {
      last = first + ((argc - first) / r.limit + r.last);
    }
    if (last >= argc || last < first || first >= argc) {
      out->clear();  // invalid for the key search: no keys (as Redis)
      return;
    }
    for (int i = first; i <= last; i += std::max(r.step, 1)) out->push_back(KeyArg{i, r.perm});
  }
}

// ---------------------------------------------------------------- Selector

Selector::Selector(bool root, bool allchannels) : root_(root), allchannels_(allchannels) {}

void Selector::SetBit(int id, bool v) {
  size_t w = size_t(id) / 64;
  if (w >= allowed_.size()) {
    if (!v) {
      allcommands_ = false;
      return;
    }
    allowed_.resize(w + 1, 0);
  }
  uint64_t bit = uint64_t(1) << (id % 64);
  if (v) {
    allowed_[w] |= bit;
  } else {
    allowed_[w] &= ~bit;
    allcommands_ = false;
  }
}

void Selector::SetAllCommands(bool v, size_t n) {
  allowed_.assign((n + 63) / 64, v ? ~uint64_t(0) : 0);
  allcommands_ = v;
  future_ = v;
  firstargs_.clear();
}

void Selector::ChangePerm(const Catalog& cat, int id, bool allow) {
  SetBit(id, allow);
  firstargs_.erase(id);
  for (int sub : cat.at(id).subs) SetBit(sub, allow);
}

void Selector::ApplyCategory(const Catalog& cat, int ci, bool allow) {
  const uint32_t bit = 1u << ci;
  for (int id : cat.top()) {
    const CatalogCommand& c = cat.at(id);
    if (c.categories & bit) ChangePerm(cat, id, allow);
    for (int sub : c.subs) {
      if (cat.at(sub).categories & bit) ChangePerm(cat, sub, allow);
    }
  }
}

void Selector::CountCategory(const Catalog& cat, int ci, int* on, int* off) const {
  const uint32_t bit = 1u << ci;
  auto count = [&](int id) {
    if (!(cat.at(id).categories & bit)) return;
    if (CommandBit(id)) {
      (*on)++;
    } else {
      (*off)++;
    }
  };
  for (int id : cat.top()) {
    count(id);
    for (int sub : cat.at(id).subs) count(sub);
  }
}

bool Selector::Apply(const Catalog& cat, std::string_view op, std::string* err) {
  bool ok = ApplyRule(cat, op, err);
  Reindex(cat);
  return ok;
}

bool Selector::ApplyRule(const Catalog& cat, std::string_view op, std::string* err) {
  const size_t n = cat.size();
  if (EqualsIgnoreCase(op, "allkeys") || EqualsIgnoreCase(op, "~*")) {
    allkeys_ = true;
    keys_.clear();
  } else if (EqualsIgnoreCase(op, "resetkeys")) {
    allkeys_ = false;
    keys_.clear();
  } else if (EqualsIgnoreCase(op, "allchannels") || EqualsIgnoreCase(op, "&*")) {
    allchannels_ = true;
    channels_.clear();
  } else if (EqualsIgnoreCase(op, "resetchannels")) {
    allchannels_ = false;
    channels_.clear();
  } else if (EqualsIgnoreCase(op, "allcommands") || EqualsIgnoreCase(op, "+@all")) {
    SetAllCommands(true, n);
  } else if (EqualsIgnoreCase(op, "nocommands") || EqualsIgnoreCase(op, "-@all")) {
    SetAllCommands(false, n);
  } else if (op[0] == '~' || op[0] == '%') {
    if (allkeys_) {
      *err = kKeysAfterAll;
      return false;
    }
    uint8_t perm = 0;
    size_t offset = 1;
    if (op[0] == '%') {
      for (; offset < op.size(); offset++) {
        char c = char(std::toupper(static_cast<unsigned char>(op[offset])));
        if (c == 'R' && !(perm & kPermRead)) {
          perm |= kPermRead;
        } else if (c == 'W' && !(perm & kPermWrite)) {
          perm |= kPermWrite;
        } else if (op[offset] == '~') {
          offset++;
          break;
        } else {
          *err = kSyntaxError;
          return false;
        }
      }
    } else {
      perm = kPermAll;
    }
    if (perm == 0) {
      *err = kSyntaxError;
      return false;
    }
    std::string pat(op.substr(std::min(offset, op.size())));
    bool found = false;
    for (KeyPattern& k : keys_) {
      if (k.pattern == pat) {
        k.perm |= perm;
        found = true;
        break;
      }
    }
    if (!found) {
      KeyPattern::Kind kind = PatternKind(pat);
      keys_.push_back(KeyPattern{std::move(pat), perm, kind});
    }
    allkeys_ = false;
  } else if (op[0] == '&') {
    if (allchannels_) {
      *err = kChannelsAfterAll;
      return false;
    }
    std::string pat(op.substr(1));
    bool found = false;
    for (const std::string& c : channels_) found = found || c == pat;
    if (!found) channels_.push_back(std::move(pat));
    allchannels_ = false;
  } else if (op[0] == '+' && (op.size() < 2 || op[1] != '@')) {
    std::string_view name = op.substr(1);
    size_t bar = name.rfind('|');
    if (bar == std::string_view::npos) {
      const CatalogCommand* c = cat.Find(name);
      if (c == nullptr) {
        *err = kUnknownName;
        return false;
      }
      ChangePerm(cat, c->id, true);
      return true;
    }
    std::string_view base = name.substr(0, bar), sub = name.substr(bar + 1);
    const CatalogCommand* c = cat.Find(base);
    if (c == nullptr) {
      *err = kUnknownName;
      return false;
    }
    if (c->parent >= 0) {
      *err = kFirstArgOfSub;
      return false;
    }
    if (sub.empty()) {
      *err = kSyntaxError;
      return false;
    }
    if (!c->subs.empty()) {
      const CatalogCommand* s = cat.Find(name);
      if (s == nullptr) {
        *err = kUnknownName;
        return false;
      }
      ChangePerm(cat, s->id, true);
    } else {
      std::vector<std::string>& args = firstargs_[c->id];
      std::string lower(sub);
      bool dup = false;
      for (const std::string& a : args) dup = dup || EqualsIgnoreCase(a, lower);
      if (!dup) args.push_back(std::move(lower));
    }
  } else if (op[0] == '-' && (op.size() < 2 || op[1] != '@')) {
    std::string_view name = op.substr(1);
    const CatalogCommand* c = nullptr;
    // Only "cmd" or "container|sub": a first argument cannot be removed.
    size_t bar = name.find('|');
    if (bar == std::string_view::npos || name.find('|', bar + 1) == std::string_view::npos) {
      c = cat.Find(name);
    }
    if (c == nullptr) {
      *err = kUnknownName;
      return false;
    }
    ChangePerm(cat, c->id, false);
  } else if ((op[0] == '+' || op[0] == '-') && op[1] == '@') {
    int ci = CategoryIndex(op.substr(2));
    if (ci < 0) {
      *err = kUnknownName;
      return false;
    }
    ApplyCategory(cat, ci, op[0] == '+');
  } else {
    *err = kSyntaxError;
    return false;
  }
  return true;
}

bool Selector::ChannelAllowed(std::string_view channel, bool is_pattern) const {
  if (allchannels_) return true;
  for (const std::string& p : channels_) {
    // A pattern subscription must name an allowed pattern literally.
    if (is_pattern ? p == channel : GlobMatch(p, channel)) return true;
  }
  return false;
}

bool Selector::KeyAllowedSlow(std::string_view key, uint8_t perm) const {
  for (const KeyPattern& p : keys_) {
    if ((p.perm & perm) == perm && p.Matches(key)) return true;
  }
  return false;
}

void Selector::Reindex(const Catalog& cat) {
  by_first_.clear();
  heads_.clear();
  for (uint64_t& m : with_perm_) m = 0;
  word_keys_ = 0;
  BuildKeyIndex();
  quick_.assign(cat.size(), kQuickNo);
  const uint8_t with_keys = allkeys_          ? kQuickAnyKeys
                            : !heads_.empty() ? kQuickIndexedKeys
                                              : kQuickSlowKeys;
  for (size_t id = 0; id < cat.size(); id++) {
    if (!cat.valid(int(id)) || !CommandBit(int(id))) continue;
    if (!allchannels_ && cat.at(int(id)).channels != CatalogCommand::kNoChannels) continue;
    quick_[id] = with_keys;
  }
}

void Selector::BuildKeyIndex() {
  if (keys_.empty() || keys_.size() > 64) return;  // (more: KeyAllowedSlow)
  by_first_.assign(256, 0);
  heads_.resize(keys_.size());
  for (size_t i = 0; i < keys_.size(); i++) {
    const KeyPattern& p = keys_[i];
    const uint64_t bit = uint64_t(1) << i;
    for (int perm = 0; perm <= kPermAll; perm++) {
      if ((p.perm & perm) == perm) with_perm_[perm] |= bit;
    }
    // A plain string or a prefix starts with its own first byte; "*" and
    // globs may match any (a glob's first byte may be special).
    const size_t literal = p.kind == KeyPattern::kExact    ? p.pattern.size()
                           : p.kind == KeyPattern::kPrefix ? p.pattern.size() - 1
                                                           : 0;
    if (literal > 0) {
      by_first_[static_cast<unsigned char>(p.pattern[0])] |= bit;
    } else if (p.kind != KeyPattern::kExact) {  // ("" matches only "")
      for (uint64_t& m : by_first_) m |= bit;
    }
    const std::string_view prefix = std::string_view(p.pattern).substr(0, literal);
    if (p.kind == KeyPattern::kPrefix && literal <= 8 && prefix.find('\0') == prefix.npos) {
      WordPrefix& h = heads_[i];
      h.head = Head8(prefix);
      h.mask = literal == 8 ? ~uint64_t(0) : (uint64_t(1) << (8 * literal)) - 1;
      word_keys_ |= bit;
    }
  }
}

Denial Selector::Check(const CatalogCommand& cmd, std::span<const std::string_view> args,
                       KeySource* keys, int* pos) const {
  if (!allcommands_ && !cmd.no_auth && !CommandBit(cmd.id)) {
    // Maybe allowed with this first argument only (+select|0).
    auto it = firstargs_.find(cmd.id);
    if (args.size() < 2 || it == firstargs_.end()) return Denial::kCommand;
    size_t idx = cmd.parent >= 0 ? 2 : 1;
    if (idx >= args.size()) return Denial::kCommand;
    bool ok = false;
    for (const std::string& a : it->second) ok = ok || EqualsIgnoreCase(a, args[idx]);
    if (!ok) return Denial::kCommand;
  }
  if (!allkeys_ && keys != nullptr) {
    for (const KeyArg& k : keys->Keys()) {
      if (!KeyAllowed(args[size_t(k.pos)], k.perm)) {
        *pos = k.pos;
        return Denial::kKey;
      }
    }
  }
  if (!allchannels_ && cmd.channels != CatalogCommand::kNoChannels) {
    size_t end = cmd.channels == CatalogCommand::kFirstChannel ? std::min<size_t>(2, args.size())
                                                               : args.size();
    bool pattern = cmd.channels == CatalogCommand::kAllPatterns;
    for (size_t i = 1; i < end; i++) {
      if (!ChannelAllowed(args[i], pattern)) {
        *pos = int(i);
        return Denial::kChannel;
      }
    }
  }
  return Denial::kNone;
}

std::string Selector::DescribeKeys() const {
  if (allkeys_) return "~*";
  std::string out;
  for (const KeyPattern& p : keys_) {
    if (!out.empty()) out += ' ';
    out += PatternString(p);
  }
  return out;
}

std::string Selector::DescribeChannels() const {
  if (allchannels_) return "&*";
  std::string out;
  for (const std::string& c : channels_) {
    if (!out.empty()) out += ' ';
    out += "&" + c;
  }
  return out;
}

void Selector::DescribeSingle(const Catalog& cat, const std::vector<int>& ids, Selector& fake,
                              std::string* rules) const {
  for (int id : ids) {
    const CatalogCommand& c = cat.at(id);
    bool userbit = CommandBit(id), fakebit = fake.CommandBit(id);
    if (userbit != fakebit) {
      *rules += userbit ? "+" : "-";
      *rules += c.fullname;
      *rules += ' ';
      fake.ChangePerm(cat, id, userbit);
    }
    if (!c.subs.empty()) DescribeSingle(cat, c.subs, fake, rules);
    auto it = firstargs_.find(id);
    if (!userbit && it != firstargs_.end()) {
      for (const std::string& a : it->second) {
        *rules += "+" + c.fullname + "|" + a + " ";
      }
    }
  }
}

// As Redis 7.0 describes command rules: start from +@all (if future
// commands are allowed) or -@all; then, greedily, add the category that
// has more commands in common with the selector than different, with the
// fewest differences (then the most in common), counting only what earlier
// categories did not cover; finally fix single commands.
std::string Selector::DescribeCommands(const Catalog& cat) const {
  Selector fake(false, false);
  std::string rules;
  const bool additive = !future_;
  fake.SetAllCommands(!additive, cat.size());
  rules = additive ? "-@all " : "+@all ";
  Selector temp = *this;
  bool applied[kCategoryCount] = {};
  while (true) {
    int best = -1;
    int mindiff = 1 << 30, maxsame = 0;
    for (int ci = 0; ci < kCategoryCount; ci++) {
      if (applied[ci]) continue;
      int on = 0, off = 0;
      temp.CountCategory(cat, ci, &on, &off);
      int diff = additive ? off : on, same = additive ? on : off;
      if (same > diff && (diff < mindiff || (diff == mindiff && same > maxsame))) {
        best = ci;
        mindiff = diff;
        maxsame = same;
      }
    }
    if (best < 0) break;
    rules += additive ? "+@" : "-@";
    rules += kCategoryNames[best];
    rules += ' ';
    fake.ApplyCategory(cat, best, additive);
    temp.ApplyCategory(cat, best, !additive);
    applied[best] = true;
  }
  DescribeSingle(cat, cat.top(), fake, &rules);
  if (!rules.empty()) rules.pop_back();
  return rules;
}

std::string Selector::Describe(const Catalog& cat) const {
  std::string res;
  if (allkeys_) {
    res += "~* ";
  } else {
    for (const KeyPattern& p : keys_) res += PatternString(p) + " ";
  }
  if (allchannels_) {
    res += "&* ";
  } else {
    res += "resetchannels ";
    for (const std::string& c : channels_) res += "&" + c + " ";
  }
  res += DescribeCommands(cat);
  return res;
}

// ---------------------------------------------------------------- User

User::User(std::string name, bool allchannels) : name_(std::move(name)) {
  selectors_.emplace_back(true, allchannels);
  Refresh();
}

User User::Default(const Catalog& cat) {
  User u("default", true);
  std::string err;
  for (std::string_view op : {"on", "nopass", "~*", "&*", "+@all"}) u.Apply(cat, op, true, &err);
  return u;
}

bool User::Apply(const Catalog& cat, std::string_view op, bool allchannels, std::string* err) {
  if (op.empty()) return true;
  if (EqualsIgnoreCase(op, "on")) {
    enabled_ = true;
  } else if (EqualsIgnoreCase(op, "off")) {
    enabled_ = false;
  } else if (EqualsIgnoreCase(op, "skip-sanitize-payload")) {
    sanitize_ = 2;
  } else if (EqualsIgnoreCase(op, "sanitize-payload")) {
    sanitize_ = 1;
  } else if (EqualsIgnoreCase(op, "nopass")) {
    nopass_ = true;
    passwords_.clear();
  } else if (EqualsIgnoreCase(op, "resetpass")) {
    nopass_ = false;
    passwords_.clear();
  } else if (op[0] == '>' || op[0] == '#') {
    std::string h;
    if (op[0] == '>') {
      h = HashPassword(op.substr(1));
    } else {
      if (!ValidHash(op.substr(1))) {
        *err = kBadHash;
        return false;
      }
      h = std::string(op.substr(1));
    }
    bool dup = false;
    for (const std::string& p : passwords_) dup = dup || p == h;
    if (!dup) passwords_.push_back(std::move(h));
    nopass_ = false;
  } else if (op[0] == '<' || op[0] == '!') {
    std::string h;
    if (op[0] == '<') {
      h = HashPassword(op.substr(1));
    } else {
      if (!ValidHash(op.substr(1))) {
        *err = kBadHash;
        return false;
      }
      h = std::string(op.substr(1));
    }
    bool removed = false;
    for (auto it = passwords_.begin(); it != passwords_.end(); ++it) {
      if (*it == h) {
        passwords_.erase(it);
        removed = true;
        break;
      }
    }
    if (!removed) {
      *err = kNoSuchPassword;
      return false;
    }
  } else if (op[0] == '(' && op.back() == ')') {
    Selector s(false, allchannels);
    std::string_view inner = op.substr(1, op.size() - 2);
    auto words = SplitArgs(inner);
    if (words) {
      for (const std::string& w : *words) {
        if (w.empty()) continue;
        if (!s.Apply(cat, w, err)) return false;
      }
    }
    selectors_.push_back(std::move(s));
  } else if (EqualsIgnoreCase(op, "clearselectors")) {
    selectors_.erase(selectors_.begin() + 1, selectors_.end());
  } else if (EqualsIgnoreCase(op, "reset")) {
    for (std::string_view r : {"resetpass", "resetkeys", "resetchannels"}) {
      Apply(cat, r, allchannels, err);
    }
    if (allchannels) Apply(cat, "allchannels", allchannels, err);
    for (std::string_view r : {"off", "sanitize-payload", "clearselectors", "-@all"}) {
      Apply(cat, r, allchannels, err);
    }
  } else {
    if (!selectors_[0].Apply(cat, op, err)) return false;
  }
  Refresh();
  return true;
}

bool User::ApplyAll(const Catalog& cat, std::span<const std::string_view> ops, bool allchannels,
                    std::string* err) {
  std::vector<std::string> merged;
  if (!MergeSelectorArgs(ops, &merged, err)) return false;
  User copy = *this;
  for (const std::string& op : merged) {
    std::string why;
    if (!copy.Apply(cat, op, allchannels, &why)) {
      *err = "Error in ACL SETUSER modifier '" + op + "': " + why;
      return false;
    }
  }
  *this = std::move(copy);
  return true;
}

void User::Refresh() {
  const Selector& r = selectors_[0];
  unrestricted_ = r.allcommands() && r.allkeys() && r.allchannels();
}

Denial User::Check(const CatalogCommand& cmd, std::span<const std::string_view> args,
                   KeySource* keys, int* pos) const {
  if (unrestricted_) return Denial::kNone;
  Denial relevant = Denial::kCommand;
  int last = 0;
  for (const Selector& s : selectors_) {
    int p = 0;
    Denial d = s.Check(cmd, args, keys, &p);
    if (d == Denial::kNone) return d;
    if (d > relevant || (d == relevant && p > last)) {
      relevant = d;
      last = p;
    }
  }
  *pos = last;
  return relevant;
}

bool User::QuickAllowsSlow(const CatalogCommand& cmd,
                           std::span<const std::string_view> args) const {
  const bool placed = cmd.set_keys || cmd.simple_keys;
  KeyArgs keys;
  PlaceKeys(cmd, args, &keys);
  for (const Selector& s : selectors_) {
    // The command bit and channels (no keys given: never kSlow).
    if (s.QuickCheck(cmd, args, {}) != Selector::Quick::kYes) continue;
    if (s.allkeys()) return true;
    if (!placed) continue;  // (the key search: Check)
    bool ok = true;
    for (const KeyArg& k : keys.span()) {
      if (!s.KeyAllowed(args[size_t(k.pos)], k.perm)) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

bool User::ChannelAllowed(std::string_view channel, bool is_pattern) const {
  for (const Selector& s : selectors_) {
    if (s.ChannelAllowed(channel, is_pattern)) return true;
  }
  return false;
}

bool User::CheckPassword(std::string_view pass) const {
  if (!enabled_) return false;
  if (nopass_) return true;
  std::string h = HashPassword(pass);
  bool ok = false;
  for (const std::string& p : passwords_) {
    // Compare every byte: no early exit that would leak timing.
    unsigned diff = 0;
    for (size_t i = 0; i < 64; i++) diff |= unsigned(p[i] ^ h[i]);
    ok = ok || diff == 0;
  }
  return ok;
}

std::vector<std::string> User::FlagNames() const {
  std::vector<std::string> out;
  out.push_back(enabled_ ? "on" : "off");
  if (nopass_) out.push_back("nopass");
  if (sanitize_ == 2) out.push_back("skip-sanitize-payload");
  if (sanitize_ == 1) out.push_back("sanitize-payload");
  return out;
}

std::vector<std::string> User::Rules(const Catalog& cat) const {
  std::vector<std::string> out = FlagNames();
  for (const std::string& p : passwords_) out.push_back("#" + p);
  for (const Selector& s : selectors_) {
    std::string d = s.Describe(cat);
    if (!s.root()) {
      out.push_back("(" + d + ")");
      continue;
    }
    // Patterns and command rules hold no spaces (SETUSER refuses them).
    for (std::string_view w : SplitWords(d)) out.emplace_back(w);
  }
  return out;
}

std::string User::Describe(const Catalog& cat) const {
  std::string res;
  for (const std::string& f : FlagNames()) res += f + " ";
  for (const std::string& p : passwords_) res += "#" + p + " ";
  for (const Selector& s : selectors_) {
    if (s.root()) {
      res += s.Describe(cat);
    } else {
      res += " (" + s.Describe(cat) + ")";
    }
  }
  return res;
}

}  // namespace basalt::acl
