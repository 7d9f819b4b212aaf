// The ACL file (aclfile): one `user <name> <rules...>` line per user, as
// ACL SAVE writes it and ACL LOAD / start-up read it. Loading is all or
// nothing: every line is parsed into fresh users and the caller swaps them
// in only when the whole file is valid (Registry::ReplaceAll).
//
// Thread-safety: no shared state; callers serialize saves of one file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "acl/user.h"
#include "common/status.h"

namespace basalt::acl {

class Catalog;
class Registry;

// Parses ACL file text into users. On any error returns false with Redis's
// error text (every bad line, "<file>:<line>: <reason>. ").
bool ParseAclText(const Catalog& cat, std::string_view file, std::string_view text,
                  bool allchannels, std::vector<User>* users, std::string* err);
// Reads and parses the file at path.
bool ParseAclFile(const Catalog& cat, const std::string& path, bool allchannels,
                  std::vector<User>* users, std::string* err);
// Writes every user to path atomically (temp file, fsync, rename).
Status SaveAclFile(const Registry& reg, const std::string& path);
// `user <name> <rules>` lines for ACL SAVE and CONFIG REWRITE.
std::vector<std::string> UserLines(const Registry& reg);

}  // namespace basalt::acl
