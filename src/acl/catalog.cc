#include "acl/catalog.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "common/strings.h"

namespace basalt::acl {

const char* const kCategoryNames[kCategoryCount] = {
    "keyspace", "read",  "write",      "set",   "sortedset", "list",      "hash",
    "string",   "bitmap", "hyperloglog", "geo", "stream",    "pubsub",    "admin",
    "fast",     "slow",  "blocking",   "dangerous", "connection", "transaction", "scripting"};

int CategoryIndex(std::string_view name) {
  for (int i = 0; i < kCategoryCount; i++) {
    if (EqualsIgnoreCase(name, kCategoryNames[i])) return i;
  }
  return -1;
}

uint32_t CategoryMask(std::string_view acl_string) {
  uint32_t mask = 0;
  for (std::string_view w : SplitWords(acl_string)) {
    if (w.starts_with("@")) w.remove_prefix(1);
    int i = CategoryIndex(w);
    if (i >= 0) mask |= 1u << i;
  }
  return mask;
}

namespace {
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

void Catalog::Add(CatalogCommand c) {
  c.quick_keys.clear();
  c.quick_min_args = c.quick_args_range = 0;
  bool fixed = c.simple_keys;
  for (const KeyRange& r : c.key_ranges) fixed = fixed && r.last >= 0;
  if (fixed) {
    // Every range is valid once the last key is there; before, PlaceKeys
    // finds none (so the quick check leaves those requests to it).
    int max_pos = 0;
    for (const KeyRange& r : c.key_ranges) {
      const int last = r.first + r.last;
      max_pos = std::max(max_pos, last);
      for (int i = r.first; i <= last; i += std::max(r.step, 1)) {
        c.quick_keys.push_back(KeyArg{i, r.perm});
      }
    }
    c.quick_min_args = size_t(max_pos) + 1;
    c.quick_args_range = std::numeric_limits<size_t>::max() - c.quick_min_args + 1;
  } else if (c.set_keys) {
    c.quick_keys.push_back(KeyArg{1, kPermWrite});  // SET k v: no GET option
    c.quick_min_args = 3;
    c.quick_args_range = 1;
  }
  size_t id = size_t(c.id);
  if (by_id_.size() <= id) by_id_.resize(id + 1);
  by_name_[Lower(c.fullname)] = c.id;
  if (c.parent < 0) {
    top_.push_back(c.id);
  } else if (valid(c.parent)) {
    by_id_[size_t(c.parent)].subs.push_back(c.id);
  }
  std::vector<int> subs = std::move(by_id_[id].subs);  // kept if children came first
  by_id_[id] = std::move(c);
  if (by_id_[id].subs.empty()) by_id_[id].subs = std::move(subs);
}

const CatalogCommand* Catalog::Find(std::string_view fullname) const {
  auto it = by_name_.find(Lower(fullname));
  return it == by_name_.end() ? nullptr : &by_id_[size_t(it->second)];
}

}  // namespace basalt::acl
