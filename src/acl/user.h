// ACL users as Redis 7.0 has them: flags (on/off, nopass), SHA-256 password
// hashes, and selectors. The root selector holds the user's own command,
// key and channel rules; `(...)` adds more selectors, and a command is
// allowed when any selector allows it. `Apply` parses one rule with Redis's
// grammar and error texts; `Describe*` print a user the way ACL LIST and
// ACL GETUSER do.
//
// Thread-safety: a User is a value. The Registry never changes a published
// User: ACL SETUSER builds a new one and swaps it in, so a checking thread
// may keep reading the one it holds (shared_ptr<const User>).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "acl/catalog.h"

namespace basalt::acl {

// Why a command was refused, ordered as Redis orders them when several
// selectors fail (the highest wins).
// (kTlsCert, only in the ACL LOG: a client certificate's CN named no user.)
enum class Denial { kNone = 0, kCommand = 1, kKey = 2, kAuth = 3, kChannel = 4, kTlsCert = 5 };

struct KeyPattern {
  std::string pattern;
  uint8_t perm = kPermAll;
  // How the pattern matches, decided once: a plain string compares, "abc*"
  // compares a prefix, anything else is a glob.
  enum Kind : uint8_t { kGlob, kExact, kPrefix };
  Kind kind = kGlob;
  bool Matches(std::string_view key) const {
    if (kind == kPrefix) {
      // (As Redis's matcher, a star never matches an empty key: "*" !~ "".)
      // (Patterns are short: a byte loop beats a call to memcmp here.)
      const size_t n = pattern.size() - 1;
      if (key.empty() || key.size() < n) return false;
      for (size_t i = 0; i < n; i++) {
        if (key[i] != pattern[i]) return false;
      }
      return true;
    }
    return kind == kExact ? key == pattern : GlobMatchSlow(key);
  }
  bool GlobMatchSlow(std::string_view key) const;
};
KeyPattern::Kind PatternKind(std::string_view pattern);

// The keys of one request: a few inline (no allocation for the usual one to
// eight keys), more on the heap.
class KeyArgs {
 public:
  void push_back(KeyArg k) {
    if (n_ < kInline) {
      inline_[n_++] = k;
    } else {
      PushSlow(k);
    }
  }
  void clear() {
    n_ = 0;
    heap_.clear();
  }
  std::span<const KeyArg> span() const {
    return n_ <= kInline ? std::span<const KeyArg>(inline_, n_) : std::span<const KeyArg>(heap_);
  }

 private:
  static constexpr size_t kInline = 8;
  void PushSlow(KeyArg k);

  size_t n_ = 0;
  KeyArg inline_[kInline];
  std::vector<KeyArg> heap_;  // every key, once there are more than kInline
};

// Appends the keys of a request to cmd that its catalog entry places without
// the key search (cmd.set_keys or cmd.simple_keys; nothing otherwise), as
// the key search would find them.
void PlaceKeys(const CatalogCommand& cmd, std::span<const std::string_view> args, KeyArgs* out);

// The keys of the request being checked, found only when a selector needs
// them (a user with allkeys never pays for the key search).
class KeySource {
 public:
  virtual ~KeySource() = default;
  virtual std::span<const KeyArg> Keys() = 0;
};

// One set of rules.
class Selector {
 public:
  Selector(bool root, bool allchannels);

  // Applies one rule ("+get", "~k*", "%R~x", "&ch", "allkeys", ...). On a
  // malformed rule returns false and sets *err to Redis's reason.
  bool Apply(const Catalog& cat, std::string_view op, std::string* err);

  // Whether this selector allows the request; *pos is the argument that
  // failed (key or channel).
  Denial Check(const CatalogCommand& cmd, std::span<const std::string_view> args,
               KeySource* keys, int* pos) const;

  // ACL LIST form: "~* &* +@all" (root) / "~x resetchannels -@all +get".
  std::string Describe(const Catalog& cat) const;
  std::string DescribeCommands(const Catalog& cat) const;
  std::string DescribeKeys() const;      // "~a %R~b" ("" when none)
  std::string DescribeChannels() const;  // "&a &b" ("" when none)

  bool root() const { return root_; }
  bool allkeys() const { return allkeys_; }
  bool allchannels() const { return allchannels_; }
  bool allcommands() const { return allcommands_; }
  bool CommandBit(int id) const {
    size_t w = size_t(id) / 64;
    return w < allowed_.size() && (allowed_[w] >> (id % 64)) & 1;
  }
  const std::vector<KeyPattern>& key_patterns() const { return keys_; }
  // What User::QuickAllows learns from one selector: it allows the request,
  // it does not, or only the slower matchers can tell (see QuickKey).
  enum class Quick : uint8_t { kNo, kYes, kSlow };
  // Check's answer for a request with these keys, as far as the command bit,
  // channels and QuickKey tell (first arguments, CMD_NO_AUTH: kNo).
  Quick QuickCheck(const CatalogCommand& cmd, std::span<const std::string_view> args,
                   std::span<const KeyArg> keys) const {
    const size_t id = size_t(cmd.id);
    if (id >= quick_.size()) return Quick::kNo;
    switch (quick_[id]) {
      case kQuickNo:
        return Quick::kNo;
      case kQuickAnyKeys:
        return Quick::kYes;
      case kQuickIndexedKeys:
        for (const KeyArg& k : keys) {
          Quick q = QuickKey(args[size_t(k.pos)], k.perm);
          if (q != Quick::kYes) return q;
        }
        return Quick::kYes;
      default:  // kQuickSlowKeys
        return keys.empty() ? Quick::kYes : Quick::kSlow;
    }
  }
  // KeyAllowed by the index alone (see Reindex): the prefix patterns of up
  // to 8 bytes that start with the key's first byte and have the
  // permissions, one masked word compare each; kSlow when another pattern
  // (exact, glob, longer prefix) might match, or the key is empty.
  // REQUIRES: the index is built (!heads_.empty()).
  Quick QuickKey(std::string_view key, uint8_t perm) const {
    uint64_t w;
    if (std::endian::native == std::endian::little && key.size() >= 8) {
      std::memcpy(&w, key.data(), sizeof(w));
    } else if (key.empty()) {
      return Quick::kSlow;
    } else {
      w = Head8(key);
    }
    const uint64_t m = by_first_[static_cast<unsigned char>(key[0])] & with_perm_[perm & kPermAll];
    for (uint64_t b = m & word_keys_; b != 0; b &= b - 1) {
      const WordPrefix& h = heads_[size_t(std::countr_zero(b))];
      if ((w & h.mask) == h.head) return Quick::kYes;
    }
    return (m & ~word_keys_) == 0 ? Quick::kNo : Quick::kSlow;
  }
  // Whether a key pattern with (at least) the permissions perm matches key.
  bool KeyAllowed(std::string_view key, uint8_t perm) const {
    Quick q = heads_.empty() ? Quick::kSlow : QuickKey(key, perm);
    return q == Quick::kYes || (q == Quick::kSlow && KeyAllowedSlow(key, perm));
  }
  // The first (up to) 8 bytes of s as a number, byte i in bits 8i to 8i+7.
  static uint64_t Head8(std::string_view s) {
    uint64_t w = 0;
    if (std::endian::native == std::endian::little && s.size() >= 8) {
      std::memcpy(&w, s.data(), sizeof(w));
      return w;
    }
    for (size_t i = 0; i < s.size() && i < 8; i++) {
      w |= uint64_t(static_cast<unsigned char>(s[i])) << (8 * i);
    }
    return w;
  }
  const std::vector<std::string>& channel_patterns() const { return channels_; }
  // Whether a channel (or, literally, a pattern) is allowed.
  bool ChannelAllowed(std::string_view channel, bool is_pattern) const;

 private:
  // Apply without Reindex.
  bool ApplyRule(const Catalog& cat, std::string_view op, std::string* err);
  // Rebuilds quick_ and the key index from the rules.
  void Reindex(const Catalog& cat);
  void BuildKeyIndex();
  bool KeyAllowedSlow(std::string_view key, uint8_t perm) const;
  void SetBit(int id, bool v);
  void SetAllCommands(bool v, size_t n);
  void ChangePerm(const Catalog& cat, int id, bool allow);
  void ApplyCategory(const Catalog& cat, int cat_index, bool allow);
  void CountCategory(const Catalog& cat, int cat_index, int* on, int* off) const;
  void DescribeSingle(const Catalog& cat, const std::vector<int>& ids, Selector& fake,
                      std::string* rules) const;

  bool root_;
  bool allkeys_ = false;
  bool allchannels_ = false;
  bool allcommands_ = false;  // the SELECTOR_FLAG_ALLCOMMANDS fast path
  bool future_ = false;       // +@all was given (future commands allowed)
  std::vector<uint64_t> allowed_;  // bit per command id
  std::map<int, std::vector<std::string>> firstargs_;  // +select|0
  std::vector<KeyPattern> keys_;
  // What QuickCheck does per command id: kQuickNo (the bit is off, or
  // channels must be checked), kQuickAnyKeys (allkeys), kQuickIndexedKeys
  // (QuickKey on each key), kQuickSlowKeys (keys need KeyAllowedSlow).
  enum : uint8_t { kQuickNo, kQuickAnyKeys, kQuickIndexedKeys, kQuickSlowKeys };
  std::vector<uint8_t> quick_;
  // An index over keys_ (built when there are 1 to 64 patterns; heads_ is
  // empty otherwise). Bit i of by_first_[c]: keys_[i] may match a key
  // starting with byte c; of with_perm_[perm]: keys_[i] has the permissions
  // perm; of word_keys_: keys_[i] is a prefix of up to 8 bytes with no NUL
  // ("abc*", "*"), which a key matches when Head8(key) & mask == head (a
  // shorter key has zeros where the prefix has none).
  struct WordPrefix {
    uint64_t head = 0, mask = 0;
  };
  std::vector<uint64_t> by_first_;
  uint64_t with_perm_[4] = {0, 0, 0, 0};
  uint64_t word_keys_ = 0;
  std::vector<WordPrefix> heads_;
  std::vector<std::string> channels_;
};

class User {
 public:
  // A new user, as ACL SETUSER creates it: off, no passwords, no commands,
  // no keys; channels as acl-pubsub-default says.
  User(std::string name, bool allchannels);
  // The default user: on, nopass, ~* &* +@all.
  static User Default(const Catalog& cat);

  // Applies one rule (one SETUSER argument, selectors already merged). On
  // error returns false with Redis's reason in *err. allchannels is
  // acl-pubsub-default (new selectors and `reset` use it).
  bool Apply(const Catalog& cat, std::string_view op, bool allchannels, std::string* err);
  // Applies a whole ACL SETUSER / `user` line; the error is the full reply
  // text without "ERR " ("Error in ACL SETUSER modifier '...': ..."). On
  // error *this is unchanged.
  bool ApplyAll(const Catalog& cat, std::span<const std::string_view> ops, bool allchannels,
                std::string* err);

  Denial Check(const CatalogCommand& cmd, std::span<const std::string_view> args,
               KeySource* keys, int* pos) const;
  // A quick yes for the usual request: true when a selector allows the
  // command by its bit, needs no channel check, and allows every key that
  // cmd places at fixed positions (PlaceKeys). False means "ask Check" (first
  // arguments, CMD_NO_AUTH, channels, the key search and refusals are left to
  // it), never "refused": whenever this is true, Check returns kNone.
  bool QuickAllows(const CatalogCommand& cmd, std::span<const std::string_view> args) const {
    // Inline, and calling nothing but (as tail calls) QuickAllowsSlow: this
    // runs for every command of a restricted user. The usual request has
    // its keys ready in the catalog (quick_keys).
    if (args.size() - cmd.quick_min_args >= cmd.quick_args_range) {
      return QuickAllowsSlow(cmd, args);
    }
    // The root selector here; the others (rarer) in QuickAllowsSlow.
    switch (selectors_[0].QuickCheck(cmd, args, cmd.quick_keys)) {
      case Selector::Quick::kYes:
        return true;
      case Selector::Quick::kNo:
        if (selectors_.size() == 1) return false;
        break;
      case Selector::Quick::kSlow:
        break;
    }
    return QuickAllowsSlow(cmd, args);
  }
  // No restriction at all (the default user): the check is skipped.
  bool unrestricted() const { return unrestricted_; }

  bool CheckPassword(std::string_view pass) const;
  // Whether any selector allows the channel (literally, for a pattern):
  // existing subscriptions are checked with it when the rules change.
  bool ChannelAllowed(std::string_view channel, bool is_pattern) const;

  std::string Describe(const Catalog& cat) const;  // ACL LIST without "user <name> "
  // The same rules as separate SETUSER arguments (a selector is one
  // "(...)" argument): after "reset" they rebuild this user exactly.
  std::vector<std::string> Rules(const Catalog& cat) const;
  std::vector<std::string> FlagNames() const;

  const std::string& name() const { return name_; }
  bool enabled() const { return enabled_; }
  bool nopass() const { return nopass_; }
  const std::vector<std::string>& passwords() const { return passwords_; }
  const std::vector<Selector>& selectors() const { return selectors_; }

 private:
  void Refresh();
  // QuickAllows for any keys PlaceKeys places, with every matcher.
  bool QuickAllowsSlow(const CatalogCommand& cmd, std::span<const std::string_view> args) const;

  std::string name_;
  bool enabled_ = false;
  bool nopass_ = false;
  int sanitize_ = 0;  // 0: neither flag, 1: sanitize-payload, 2: skip-sanitize-payload
  std::vector<std::string> passwords_;  // lower-case hex SHA-256
  std::vector<Selector> selectors_;     // [0] is the root selector
  bool unrestricted_ = false;
};

// Lower-case hex SHA-256 of s.
std::string HashPassword(std::string_view s);
// Splits a SETUSER argument list, joining "(" ... ")" selector words with
// spaces. On an unmatched "(" returns false and sets *err to Redis's text.
bool MergeSelectorArgs(std::span<const std::string_view> in, std::vector<std::string>* out,
                       std::string* err);

}  // namespace basalt::acl
