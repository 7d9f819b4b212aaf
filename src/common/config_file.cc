#include "common/config_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace basalt {
namespace {

Status RewriteError(int err) {
  return Status::Error(std::string("ERR Rewriting config file: ") + std::strerror(err));
}

// The whole file into *out; a missing file reads as empty with *exists false.
// *mode gets the file's permission bits when it exists.
Status ReadConfigFile(const std::string& path, std::string* out, mode_t* mode, bool* exists) {
  *exists = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? Status::Ok() : RewriteError(errno);
  struct stat st;
  if (::fstat(fd, &st) == 0) *mode = st.st_mode & 07777;
  *exists = true;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return RewriteError(err);
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return Status::Ok();
}

Status WriteConfigFileAtomically(const std::string& path, std::string_view content, mode_t mode) {
  static std::atomic<uint64_t> counter{0};
  const std::string tmp =
      path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return RewriteError(errno);
  auto fail = [&](int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return RewriteError(err);
  };
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errno);
    off += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0) return fail(errno);
  if (::fsync(fd) != 0) return fail(errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return RewriteError(err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return RewriteError(err);
  }
  // Make the rename itself durable.
  std::string dir = path.substr(0, path.find_last_of('/') + 1);
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

}  // namespace

Status RewriteConfigFile(const std::string& path,
                         const std::function<std::string(const std::string&)>& rewrite) {
  // Write through a symlink to its target rather than replacing the link.
  std::string target = path;
  if (char* real = ::realpath(path.c_str(), nullptr)) {
    target = real;
    std::free(real);
  }
  std::string old;
  mode_t mode = 0644;
  bool exists = false;
  Status st = ReadConfigFile(target, &old, &mode, &exists);
  if (!st.ok()) return st;
  return WriteConfigFileAtomically(target, rewrite(old), exists ? mode : 0644);
}

std::string JoinConfigLines(const std::vector<std::string>& lines) {
  std::string out;
  bool prev_blank = false;
  for (const std::string& l : lines) {
    const bool blank = l.empty();
    if (blank && prev_blank) continue;
    prev_blank = blank;
    out += l;
    out += '\n';
  }
  return out;
}

}  // namespace basalt
