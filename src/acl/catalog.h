// The ACL view of the command table: every command and subcommand with its
// dense id, full name ("config|get"), parent and ACL categories. The ACL code
// sits below commands/ (docs/architecture.md, Layers), so it never sees
// commands::CommandTable; commands/ builds a Catalog from its table once at
// start-up (Executor::InitAcl) and hands it to the Registry.
//
// Thread-safety: built once, then read-only from every thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace basalt::acl {

// Redis 7.0's ACL categories, in ACL CAT order. A command's categories are a
// bit mask over these indexes.
inline constexpr int kCategoryCount = 21;
extern const char* const kCategoryNames[kCategoryCount];
// Index of a category name without the '@' (case-insensitive), -1 if unknown.
int CategoryIndex(std::string_view name);
// "@write @string @slow" -> mask; unknown words are ignored.
uint32_t CategoryMask(std::string_view acl_string);

enum KeyPerm : uint8_t { kPermRead = 1, kPermWrite = 2, kPermAll = 3 };

// A key of a request: its argument position and the permissions its key
// spec needs (ACCESS -> read; INSERT, DELETE, UPDATE -> write).
struct KeyArg {
  int pos;
  uint8_t perm;
};

// Keys at fixed positions (a key spec with an index begin and a range
// find, flags known in advance), so the check can place them without the
// command layer's key search: from `first`, up to `last` (negative: from
// the end; with `limit`, a share of what is left), every `step`.
struct KeyRange {
  int first = 1, last = 0, step = 1, limit = 0;
  uint8_t perm = 0;  // KeyPerm bits the key needs
};

struct CatalogCommand {
  int id = -1;
  std::string fullname;  // lower case, "config|get" for a subcommand
  int parent = -1;       // id of the container, -1 for a top-level command
  uint32_t categories = 0;
  bool no_auth = false;  // AUTH, HELLO...: always allowed (CMD_NO_AUTH)
  // Channel arguments checked against channel rules: none, the first
  // argument is a channel (PUBLISH, SPUBLISH), every argument is a channel
  // (SUBSCRIBE, SSUBSCRIBE) or a pattern (PSUBSCRIBE).
  enum Channels : uint8_t { kNoChannels, kFirstChannel, kAllChannels, kAllPatterns };
  Channels channels = kNoChannels;
  // When every key is placed by key_ranges (most commands), the check needs
  // no key search callback.
  bool simple_keys = false;
  std::vector<KeyRange> key_ranges;
  // The keys as PlaceKeys places them, ready for a request with n
  // arguments where n - quick_min_args < quick_args_range (unsigned: fewer
  // arguments wrap round): derived by Catalog::Add when no key range
  // depends on the argument count (GET's or HSET's key: any n from the last
  // key's position on), and for SET without options (n == 3). Range 0: none.
  std::vector<KeyArg> quick_keys;
  size_t quick_min_args = 0, quick_args_range = 0;
  // SET: its key is argument 1, written, and read too with GET (Redis's
  // setGetKeys), placed without the key search on the hot path.
  bool set_keys = false;
  std::vector<int> subs;  // subcommand ids of a container
};

class Catalog {
 public:
  // Adds a command; its id must be new. Call for parents before their
  // subcommands.
  void Add(CatalogCommand c);
  // By full name, case-insensitive: "get", "config|get". Null if unknown.
  const CatalogCommand* Find(std::string_view fullname) const;
  const CatalogCommand& at(int id) const { return by_id_[size_t(id)]; }
  bool valid(int id) const {
    return id >= 0 && size_t(id) < by_id_.size() && by_id_[size_t(id)].id == id;
  }
  size_t size() const { return by_id_.size(); }
  // Top-level command ids in registration order.
  const std::vector<int>& top() const { return top_; }

 private:
  std::vector<CatalogCommand> by_id_;
  std::vector<int> top_;
  std::unordered_map<std::string, int> by_name_;
};

}  // namespace basalt::acl
