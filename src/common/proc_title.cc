#include "common/proc_title.h"

#include <sys/prctl.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

extern char** environ;

namespace basalt {
namespace {

std::mutex g_title_mu;
char* g_area = nullptr;  // Guarded by g_title_mu: start of argv[0]
size_t g_area_len = 0;   // Guarded by g_title_mu: bytes usable, the final NUL included

constexpr std::string_view kKnownVars[] = {"title",    "listen-addr", "server-mode", "port",
                                           "tls-port", "unixsocket",  "config-file"};

}  // namespace

std::optional<std::string> ExpandProcTitleTemplate(std::string_view tmpl,
                                                   const ProcTitleVars& vars) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    char c = tmpl[i];
    if (c != '{') {
      out.push_back(c);
      i++;
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {  // "{{" is a literal '{'
      out.push_back('{');
      i += 2;
      continue;
    }
    size_t close = tmpl.find('}', i + 1);
    if (close == std::string_view::npos) return std::nullopt;
    std::optional<std::string> v = vars(tmpl.substr(i + 1, close - i - 1));
    if (!v) return std::nullopt;
    out += *v;
    i = close + 1;
  }
  size_t b = out.find_first_not_of(' ');
  if (b == std::string::npos) return std::string();
  size_t e = out.find_last_not_of(' ');
  return out.substr(b, e - b + 1);
}

bool IsKnownProcTitleTemplate(std::string_view tmpl) {
  auto known = [](std::string_view name) -> std::optional<std::string> {
    for (std::string_view k : kKnownVars) {
      if (k == name) return std::string("x");
    }
    return std::nullopt;
  };
  return ExpandProcTitleTemplate(tmpl, known).has_value();
}

void InitProcTitle(int argc, char** argv) {
  std::lock_guard<std::mutex> lock(g_title_mu);
  if (argc <= 0 || argv == nullptr || argv[0] == nullptr) return;
  // The strings of argv and then of environ usually sit back to back; the
  // title may use all of that run once the environment lives elsewhere.
  char* end = argv[0] + std::strlen(argv[0]) + 1;
  for (int i = 1; i < argc; i++) {
    if (argv[i] != end) break;
    end = argv[i] + std::strlen(argv[i]) + 1;
  }
  size_t nenv = 0;
  while (environ != nullptr && environ[nenv] != nullptr) nenv++;
  bool env_follows = nenv > 0 && environ[0] == end;
  if (env_follows) {
    char** copy = static_cast<char**>(std::malloc((nenv + 1) * sizeof(char*)));
    if (copy != nullptr) {
      for (size_t i = 0; i < nenv; i++) {
        if (environ[i] == end) end = environ[i] + std::strlen(environ[i]) + 1;
        copy[i] = strdup(environ[i]);
      }
      copy[nenv] = nullptr;
      environ = copy;
    }
  }
  g_area = argv[0];
  g_area_len = size_t(end - argv[0]);
}

bool SetProcTitle(const std::string& title) {
  std::lock_guard<std::mutex> lock(g_title_mu);
  if (g_area == nullptr || g_area_len == 0) return false;
  size_t n = std::min(title.size(), g_area_len - 1);
  std::memcpy(g_area, title.data(), n);
  // Zero the rest so /proc/<pid>/cmdline ends where the title ends.
  std::memset(g_area + n, 0, g_area_len - n);
  return true;
}

}  // namespace basalt
