// libFuzzer target: the config parser (redis.conf text, as Config::Load reads
// a file). Any input must load or give an error, never a crash or sanitizer
// report. A config that loaded must round-trip through CONFIG GET / SET:
// every value CONFIG GET * shows is accepted back by CONFIG SET (immutable and
// protected directives aside), and setting them changes nothing.
// fuzz-sources: src/config/config.cc src/config/config_table.cc src/config/config_rewrite.cc src/common/glob.cc src/common/split_args.cc src/common/cpu_affinity.cc src/common/proc_title.cc src/common/config_file.cc src/common/numbers.cc src/common/logging.cc
// fuzz-seed: port 7000\nbind 127.0.0.1 -::1\nsave 900 1 300 10\nmaxmemory 1gb\n
// fuzz-seed: client-output-buffer-limit replica 256mb 64mb 60\noom-score-adj-values 0 200 800\n
// fuzz-seed: notify-keyspace-events KEA\nlatency-tracking-info-percentiles 50 99.9\nrequirepass "a b\\x00"\n
// fuzz-seed: user alice on >pw ~*\nsentinel monitor m 127.0.0.1 6379 2\nappendonly yes\n
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs All(const basalt::config::Config& c) {
  std::string_view all[] = {"*"};
  return c.Get(all);
}

bool Tolerated(const std::string& err) {
  return err.find("can't set immutable config") != std::string::npos ||
         err.find("can't set protected config") != std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = basalt::config::Config::LoadFromString(text);
  if (!loaded.ok()) return 0;
  basalt::config::Config& c = *loaded.value();
  Pairs before = All(c);
  for (const auto& [name, value] : before) {
    std::string_view args[] = {name, value};
    basalt::Status st = c.Set(args, true);
    if (!st.ok() && !Tolerated(st.message())) {
      fprintf(stderr, "CONFIG SET %s '%s' refused what CONFIG GET showed: %s\n", name.c_str(),
              value.c_str(), st.message().c_str());
      abort();
    }
  }
  Pairs after = All(c);
  if (after != before) {
    for (size_t i = 0; i < before.size() && i < after.size(); i++) {
      if (before[i] != after[i]) {
        fprintf(stderr, "%s: '%s' became '%s'\n", before[i].first.c_str(),
                before[i].second.c_str(), after[i].second.c_str());
      }
    }
    abort();
  }
  return 0;
}
