#include "acl/acl_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "acl/catalog.h"
#include "acl/registry.h"

namespace basalt::acl {
namespace {

std::string_view Trim(std::string_view s, std::string_view chars) {
  while (!s.empty() && chars.find(s.front()) != std::string_view::npos) s.remove_prefix(1);
  while (!s.empty() && chars.find(s.back()) != std::string_view::npos) s.remove_suffix(1);
  return s;
}

constexpr char kUnknownCommandReason[] = "Unknown command or category name in ACL";

bool HasSpaceOrNul(std::string_view s) {
  for (char c : s) {
    if (c == '\0' || c == ' ' || (c >= '\t' && c <= '\r')) return true;
  }
  return false;
}

}  // namespace

bool ParseAclText(const Catalog& cat, std::string_view file, std::string_view text,
                  bool allchannels, std::vector<User>* users, std::string* err) {
  std::string errors;
  std::set<std::string, std::less<>> seen;
  users->clear();
  int linenum = 0;
  size_t at = 0;
  while (at <= text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = Trim(text.substr(at, nl - at), " \t\r\n");
    at = nl + 1;
    linenum++;
    if (line.empty()) continue;
    // Words split on single spaces, as Redis splits ACL file lines.
    std::vector<std::string_view> argv;
    size_t i = 0;
    while (true) {
      size_t sp = line.find(' ', i);
      if (sp == std::string_view::npos) {
        argv.push_back(line.substr(i));
        break;
      }
      argv.push_back(line.substr(i, sp - i));
      i = sp + 1;
    }
    const std::string where = std::string(file) + ":" + std::to_string(linenum);
    if (argv[0] != "user" || argv.size() < 2) {
      errors += where + " should start with user keyword followed by the username. ";
      continue;
    }
    if (HasSpaceOrNul(argv[1])) {
      errors += "'" + where + ": username '" + std::string(argv[1]) +
                "' contains invalid characters. ";
      continue;
    }
    if (seen.count(argv[1])) {
      errors += "WARNING: Duplicate user '" + std::string(argv[1]) + "' found on line " +
                std::to_string(linenum) + ". ";
      continue;
    }
    seen.emplace(argv[1]);
    User u{std::string(argv[1]), allchannels};
    std::vector<std::string> merged;
    std::string why;
    if (!MergeSelectorArgs(std::span<const std::string_view>(argv).subspan(2), &merged, &why)) {
      errors += where + ": Unmatched parenthesis in selector definition.";
      continue;
    }
    // An unknown command or category is reported for every rule; any other
    // error only once per line (it may explain the ones after it).
    bool syntax_error = false;
    for (std::string& op : merged) {
      std::string_view o = Trim(op, "\t\r\n");
      if (u.Apply(cat, o, allchannels, &why)) continue;
      if (why == kUnknownCommandReason) {
        errors += where + ": Error in applying operation '" + std::string(o) + "': " + why + ". ";
      } else if (!syntax_error) {
        errors += where + ": " + why + ". ";
        syntax_error = true;
      }
    }
    if (errors.empty()) users->push_back(std::move(u));
  }
  if (!errors.empty()) {
    errors += "WARNING: ACL errors detected, no change to the previously active ACL rules was "
              "performed";
    users->clear();
    *err = std::move(errors);
    return false;
  }
  return true;
}

bool ParseAclFile(const Catalog& cat, const std::string& path, bool allchannels,
                  std::vector<User>* users, std::string* err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *err = "Error loading ACLs, opening file '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseAclText(cat, path, ss.str(), allchannels, users, err);
}

std::vector<std::string> UserLines(const Registry& reg) {
  std::vector<std::string> out;
  for (const auto& u : reg.All()) {
    out.push_back("user " + u->name() + " " + u->Describe(reg.catalog()));
  }
  return out;
}

Status SaveAclFile(const Registry& reg, const std::string& path) {
  std::string text;
  for (const std::string& l : UserLines(reg)) text += l + "\n";
  std::string tmp = path + ".tmp-" + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return Status::Error(std::strerror(errno));
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string e = std::strerror(errno);
      close(fd);
      unlink(tmp.c_str());
      return Status::Error(e);
    }
    off += size_t(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(tmp.c_str());
    return Status::Error(std::strerror(errno));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    std::string e = std::strerror(errno);
    unlink(tmp.c_str());
    return Status::Error(e);
  }
  return Status::Ok();
}

}  // namespace basalt::acl
