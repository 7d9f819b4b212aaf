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

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace basalt::acl {

class Catalog;
struct CatalogCommand;

enum KeyPerm : uint8_t { kPermRead = 1, kPermWrite = 2, kPermAll = 3 };

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

// A key of a request: its argument position and the permissions its key
// spec needs (ACCESS -> read; INSERT, DELETE, UPDATE -> write).
struct KeyArg {
  int pos;
  uint8_t perm;
};

// The keys of the request being checked, found only when a selector needs
// them (a user with allkeys never pays for the key search).
class KeySource {
 public:
  virtual ~KeySource() = default;
  virtual const std::vector<KeyArg>& Keys() = 0;
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
  const std::vector<std::string>& channel_patterns() const { return channels_; }
  // Whether a channel (or, literally, a pattern) is allowed.
  bool ChannelAllowed(std::string_view channel, bool is_pattern) const;

 private:
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
