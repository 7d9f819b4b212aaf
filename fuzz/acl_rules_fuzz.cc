// libFuzzer target: ACL rules (ACL SETUSER arguments, selectors, ACL file
// text) against a small command catalog. Any input must give a clean
// result or error, never a crash or sanitizer report; a user that parsed
// must describe itself as rules that parse back to the same description.
// fuzz-sources: src/acl/catalog.cc src/acl/user.cc src/acl/acl_file.cc src/acl/registry.cc src/common/glob.cc src/common/split_args.cc
// fuzz-libs: -lcrypto
// fuzz-seed: on >pw ~k* %R~r* &ch +get +@string -set +select|0
// fuzz-seed: (+get ~a*) (+set %W~b* &c) clearselectors reset
// fuzz-seed: user a on #aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa +@all ~*\nuser b off
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "acl/acl_file.h"
#include "acl/catalog.h"
#include "acl/user.h"

namespace {

basalt::acl::Catalog MakeCatalog() {
  using basalt::acl::CatalogCommand;
  basalt::acl::Catalog c;
  int id = 0;
  auto add = [&](const char* name, const char* cats, int parent,
                 CatalogCommand::Channels ch = CatalogCommand::kNoChannels) {
    CatalogCommand cc;
    cc.id = id++;
    cc.fullname = name;
    cc.parent = parent;
    cc.categories = basalt::acl::CategoryMask(cats);
    cc.channels = ch;
    c.Add(cc);
    return cc.id;
  };
  add("get", "@read @string @fast", -1);
  add("set", "@write @string @slow", -1);
  int config = add("config", "@slow", -1);
  add("config|get", "@admin @slow", config);
  add("config|set", "@admin @slow @dangerous", config);
  add("select", "@keyspace @fast", -1);
  add("publish", "@pubsub @fast", -1, CatalogCommand::kFirstChannel);
  add("psubscribe", "@pubsub @slow", -1, CatalogCommand::kAllPatterns);
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const basalt::acl::Catalog cat = MakeCatalog();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // 1. As ACL SETUSER arguments: words split on spaces.
  std::vector<std::string_view> ops;
  size_t i = 0;
  while (i <= in.size()) {
    size_t sp = in.find(' ', i);
    if (sp == std::string_view::npos) sp = in.size();
    ops.push_back(in.substr(i, sp - i));
    i = sp + 1;
  }
  basalt::acl::User u("fuzz", size % 2 == 0);
  std::string err;
  if (u.ApplyAll(cat, ops, size % 2 == 0, &err)) {
    // What ACL LIST prints must load back to the same user.
    std::string desc = u.Describe(cat);
    std::vector<basalt::acl::User> back;
    std::string ferr;
    if (desc.find('\n') == std::string::npos && desc.find('\r') == std::string::npos &&
        desc.find('\t') == std::string::npos && desc.find("  ") == std::string::npos) {
      if (basalt::acl::ParseAclText(cat, "f", "user fuzz " + desc, size % 2 == 0, &back,
                                    &ferr) &&
          back.size() == 1 && back[0].Describe(cat) != desc) {
        std::abort();
      }
    }
    std::vector<std::string_view> args = {"get", "k1", "v"};
    int pos = 0;
    (void)u.Check(*cat.Find("get"), args, nullptr, &pos);
    std::vector<std::string_view> pargs = {"psubscribe", "c*", "x"};
    (void)u.Check(*cat.Find("psubscribe"), pargs, nullptr, &pos);
  } else if (err.empty()) {
    std::abort();  // a failure always says why
  }
  // 2. As ACL file text.
  std::vector<basalt::acl::User> users;
  std::string ferr;
  if (!basalt::acl::ParseAclText(cat, "f", in, true, &users, &ferr) && ferr.empty()) std::abort();
  return 0;
}
