// Config: loading (file, stdin, argv), CONFIG GET and CONFIG SET. The table
// and value types are in config_table.cc, CONFIG REWRITE in config_rewrite.cc.
#include "config/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>

#include "common/glob.h"
#include "common/split_args.h"
#include "config/config_internal.h"

namespace basalt::config {

using config_internal::DefaultValue;
using config_internal::FindSpec;
using config_internal::FormatGet;
using config_internal::Kind;
using config_internal::Lower;
using config_internal::Origin;
using config_internal::ParseValue;
using config_internal::Spec;
using config_internal::Specs;
using config_internal::SplitOnSpaces;
using config_internal::Value;

namespace {

std::string GetCwd() {
  char buf[PATH_MAX];
  if (::getcwd(buf, sizeof(buf)) == nullptr) return "/";
  return buf;
}

std::string_view Trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

bool IsDeprecatedIgnored(std::string_view name) {
  // Accepted and ignored by redis-server 7.0 for old config files.
  return name == "list-max-ziplist-entries" || name == "list-max-ziplist-value" ||
         name == "lua-replicate-commands";
}

constexpr std::string_view kBadDirective = "Bad directive or wrong number of arguments";

std::string FatalError(const Origin& origin, size_t lineno, std::string_view line,
                       std::string_view reason) {
  std::string msg = "*** FATAL CONFIG FILE ERROR (Basalt) ***\n";
  if (lineno > origin.last_file_line) {
    msg += "Reading the command-line options, at line " + std::to_string(lineno);
  } else if (!origin.file.empty()) {
    msg +=
        "Reading the configuration file '" + origin.file + "', at line " + std::to_string(lineno);
  } else {
    msg += "Reading the configuration, at line " + std::to_string(lineno);
  }
  msg += "\n>>> '";
  msg += line;
  msg += "'\n";
  msg += reason;
  return msg;
}

}  // namespace

// ---- Storage ----

Value Config::Impl::Current(const Config& c, const Spec& spec) {
  if (spec.slot < 0) return DefaultValue(spec);
  Value v;
  if (spec.numeric()) {
    v.num = c.nums_[spec.slot].load(std::memory_order_relaxed);
    return v;
  }
  std::lock_guard<std::mutex> l(c.mu_);
  switch (spec.kind) {
    case Kind::kBind:
      v.list = c.bind_;
      break;
    case Kind::kSave:
      v.save = c.save_;
      break;
    case Kind::kClientOutputBufferLimit:
      v.list = c.obuf_list_;
      break;
    case Kind::kOomScoreAdjValues:
      v.list = c.oom_values_;
      break;
    case Kind::kLatencyPercentiles:
      v.list = c.latency_percentiles_;
      break;
    default:
      v.str = c.strs_[spec.slot];
  }
  return v;
}

void Config::Impl::Store(Config& c, const Spec& spec, const Value& v) {
  if (spec.slot < 0) return;  // default-only: nothing to keep
  if (spec.numeric()) {
    c.nums_[spec.slot].store(v.num, std::memory_order_relaxed);
    return;
  }
  std::lock_guard<std::mutex> l(c.mu_);
  switch (spec.kind) {
    case Kind::kBind:
      c.bind_ = v.list;
      break;
    case Kind::kSave:
      c.save_ = v.save;
      break;
    case Kind::kClientOutputBufferLimit:
      // Words: class hard soft seconds, for normal, replica, pubsub.
      c.obuf_list_ = v.list;
      for (size_t cls = 0; cls < 3 && v.list.size() == 12; cls++) {
        for (size_t k = 0; k < 3; k++) {
          c.obuf_[cls * 3 + k].store(std::strtoll(v.list[cls * 4 + 1 + k].c_str(), nullptr, 10),
                                     std::memory_order_relaxed);
        }
      }
      break;
    case Kind::kOomScoreAdjValues:
      c.oom_values_ = v.list;
      break;
    case Kind::kLatencyPercentiles:
      c.latency_percentiles_ = v.list;
      break;
    default:
      c.strs_[spec.slot] = v.str;
  }
}

Config::Config() {
  for (auto& n : nums_) n.store(0, std::memory_order_relaxed);
  for (auto& n : obuf_) n.store(0, std::memory_order_relaxed);
  for (const Spec& s : Specs()) Impl::Store(*this, s, DefaultValue(s));
  std::lock_guard<std::mutex> l(mu_);
  strs_[kDir] = GetCwd();
}

Config::~Config() = default;

std::vector<std::string> Config::bind() const {
  std::lock_guard<std::mutex> l(mu_);
  return bind_;
}

std::vector<int64_t> Config::oom_score_adj_values() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<int64_t> out;
  for (const std::string& w : oom_values_) out.push_back(std::strtoll(w.c_str(), nullptr, 10));
  return out;
}

std::vector<std::string> Config::latency_tracking_info_percentiles() const {
  std::lock_guard<std::mutex> l(mu_);
  return latency_percentiles_;
}

std::vector<SaveParam> Config::save() const {
  std::lock_guard<std::mutex> l(mu_);
  return save_;
}

// ---- Loading ----

// Applies one directive line (already split). `save_seen` tracks the Redis
// rule that the first `save` line of a load replaces the default list and
// later ones add to it. Returns the reason text on error.
Status Config::Impl::ApplyLine(Config& c, const std::vector<std::string>& argv, bool* save_seen) {
  const std::string name = Lower(argv[0]);
  std::span<const std::string> values(argv.data() + 1, argv.size() - 1);

  if (name == "include") {
    return Status::Error(values.size() == 1 ? "include is not supported by Basalt yet"
                                            : kBadDirective);
  }
  if (name == "rename-command") {
    // Checked and applied against the command table at start-up (Server).
    if (values.size() != 2) return Status::Error(kBadDirective);
    c.command_renames_.push_back(CommandRename{values[0], values[1], ""});
    return Status::Ok();
  }
  if (name == "user") {
    // Checked and applied by the ACL at start-up (Executor::InitAcl).
    if (values.empty()) return Status::Error(kBadDirective);
    c.user_directives_.emplace_back(values.begin(), values.end());
    return Status::Ok();
  }
  if (name == "loadmodule") {
    return Status::Error(!values.empty() ? "modules (loadmodule) are not supported by Basalt yet"
                                         : kBadDirective);
  }
  if (name == "sentinel") {
    if (!c.sentinel_mode_) return Status::Error("sentinel directive while not in sentinel mode");
    c.sentinel_directives_.emplace_back(values.begin(), values.end());
    return Status::Ok();
  }
  if (IsDeprecatedIgnored(name)) {
    return values.size() == 1 ? Status::Ok() : Status::Error(kBadDirective);
  }

  const Spec* spec = FindSpec(name);
  if (spec == nullptr) return Status::Error(kBadDirective);

  std::vector<std::string> args;
  if (spec->multi_arg()) {
    if (values.size() == 1) {
      args = SplitOnSpaces(values[0]);
    } else {
      args.assign(values.begin(), values.end());
    }
    if (values.empty() && spec->kind != Kind::kSave && spec->kind != Kind::kBind) {
      return Status::Error("wrong number of arguments");
    }
  } else if (spec->kind == Kind::kReplicaof) {
    args.assign(values.begin(), values.end());
  } else {
    if (values.size() != 1) return Status::Error("wrong number of arguments");
    args.assign(values.begin(), values.end());
  }

  Value current = Current(c, *spec);
  const std::string cwd = c.Str(kDir);
  auto parsed = ParseValue(*spec, args, current, cwd);
  if (!parsed.ok()) return parsed.status();
  Value v = std::move(parsed).value();
  Status supported = config_internal::CheckSupported(*spec, v);
  if (!supported.ok()) return supported;
  if (spec->is(config_internal::kDefaultOnly) &&
      FormatGet(*spec, v) != FormatGet(*spec, DefaultValue(*spec))) {
    return Status::Error(config_internal::NotSupportedReason(*spec));
  }
  if (spec->kind == Kind::kSave) {
    const bool clears = args.empty() || (args.size() == 1 && args[0].empty());
    if (*save_seen && !clears) {
      current.save.insert(current.save.end(), v.save.begin(), v.save.end());
      v.save = std::move(current.save);
    }
    *save_seen = true;
  }
  Store(c, *spec, v);
  return Status::Ok();
}

Status Config::Impl::LoadText(Config& c, std::string_view text, const Origin& origin) {
  bool save_seen = false;
  size_t lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = Trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    auto argv = SplitArgs(line);
    if (!argv) {
      return Status::Error(
          FatalError(origin, lineno, line, "Unbalanced quotes in configuration line"));
    }
    if (argv->empty()) continue;
    size_t renames = c.command_renames_.size();
    Status st = ApplyLine(c, *argv, &save_seen);
    if (!st.ok()) return Status::Error(FatalError(origin, lineno, line, st.message()));
    if (c.command_renames_.size() > renames) {
      c.command_renames_.back().where = FatalError(origin, lineno, line, "");
    }
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<Config>> Config::LoadFromString(std::string_view text) {
  std::unique_ptr<Config> c(new Config());
  Origin origin{"", SIZE_MAX};
  Status st = Impl::LoadText(*c, text, origin);
  if (!st.ok()) return st;
  return c;
}

StatusOr<std::unique_ptr<Config>> Config::Load(int argc, const char* const* argv) {
  std::string path;
  bool from_stdin = false;
  bool sentinel = false;
  int j = 1;
  if (argc >= 2) {
    std::string_view a1 = argv[1];
    if (a1 == "-") {
      from_stdin = true;
      j = 2;
    } else if (!a1.empty() && a1[0] != '-') {
      path = a1;
      j = 2;
    }
  }

  // Options become config lines appended after the file, the way
  // redis-server builds them: `--name v1 v2` -> `name "v1" "v2"`.
  std::string options;
  bool have_option = false;
  size_t option_values = 0;
  std::string option_name;
  auto close_save = [&] {
    // A bare `--save` (followed by another option or nothing) means save "".
    if (have_option && option_values == 0 && option_name == "save") options += " \"\"";
  };
  for (; j < argc; j++) {
    std::string_view a = argv[j];
    if (a == "-" && j == argc - 1) {
      from_stdin = true;
      continue;
    }
    if (a == "--sentinel") {
      sentinel = true;
      continue;
    }
    const bool looks_like_option = a.size() >= 2 && a[0] == '-' && a[1] == '-';
    // Right after an option name, "--x" is taken as its value (so
    // `--requirepass --secret` works), except after --save.
    if (looks_like_option && !(have_option && option_values == 0 && option_name != "save")) {
      close_save();
      if (!options.empty()) options += '\n';
      options += a.substr(2);
      option_name = Lower(a.substr(2));
      have_option = true;
      option_values = 0;
      continue;
    }
    if (!options.empty() && options.back() != '\n') options += ' ';
    options += QuoteArg(a);
    option_values++;
  }
  close_save();

  std::string content;
  std::string abs_path;
  if (!path.empty()) {
    std::ifstream in(path, std::ios::binary);
    struct stat st;
    if (!in || (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))) {
      const int err = in ? EISDIR : errno;
      return Status::Error("Fatal error, can't open config file '" + path +
                           "': " + std::strerror(err));
    }
    content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    abs_path = path[0] == '/' ? path : GetCwd() + "/" + path;
  }
  if (from_stdin) {
    content.append(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }

  std::unique_ptr<Config> c(new Config());
  c->sentinel_mode_ = sentinel;
  c->config_file_ = abs_path;
  if (sentinel) {
    // A sentinel's defaults (redis-sentinel's): its own port, and no
    // snapshots of the (empty) dataset. The file and options may override.
    Status st = Impl::LoadText(*c, "port 26379\nsave \"\"\n", Origin{"", SIZE_MAX});
    if (!st.ok()) return st;
  }
  Origin origin{path, static_cast<size_t>(std::count(content.begin(), content.end(), '\n')) + 1};
  std::string text = content + "\n" + options;
  Status st = Impl::LoadText(*c, text, origin);
  if (!st.ok()) return st;
  return c;
}

// ---- CONFIG GET ----

std::vector<std::pair<std::string, std::string>> Config::Get(
    std::span<const std::string_view> patterns) const {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string, std::less<>> seen;
  for (std::string_view pattern : patterns) {
    if (pattern.find_first_of("*?[") == std::string_view::npos) {
      const Spec* spec = FindSpec(pattern);
      if (spec != nullptr && seen.insert(Lower(pattern)).second) {
        out.emplace_back(std::string(pattern), FormatGet(*spec, Impl::Current(*this, *spec)));
      }
      continue;
    }
    for (const Spec& spec : Specs()) {
      if (spec.is(config_internal::kHidden)) continue;
      for (std::string_view name : {spec.name, spec.alias}) {
        if (name.empty() || !GlobMatch(pattern, name, /*nocase=*/true)) continue;
        if (!seen.insert(std::string(name)).second) continue;
        out.emplace_back(std::string(name), FormatGet(spec, Impl::Current(*this, spec)));
      }
    }
  }
  return out;
}

// ---- CONFIG SET ----

namespace {

Status SetFailed(std::string_view name, std::string_view reason) {
  return Status::Error("ERR CONFIG SET failed (possibly related to argument '" + std::string(name) +
                       "') - " + std::string(reason));
}

}  // namespace

Status Config::Set(std::span<const std::string_view> args, bool local_client) {
  if (args.size() < 2)
    return Status::Error("ERR wrong number of arguments for 'config|set' command");
  if (args.size() % 2 != 0) return Status::Error("ERR syntax error");
  std::lock_guard<std::mutex> set_lock(set_mu_);

  const ProtectedConfigs prot = enable_protected_configs();
  const bool protected_ok =
      prot == ProtectedConfigs::kYes || (prot == ProtectedConfigs::kLocal && local_client);

  struct Item {
    const Spec* spec;
    std::string name;  // lower-cased as given (alias names stay aliases)
    Value value;
    Value old;
  };
  std::vector<Item> items;
  std::set<std::string, std::less<>> names;
  for (size_t i = 0; i < args.size(); i += 2) {
    const Spec* spec = FindSpec(args[i]);
    if (spec == nullptr) {
      return Status::Error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                           std::string(args[i]) + "'");
    }
    if (spec->is(config_internal::kImmutable)) {
      return SetFailed(args[i], "can't set immutable config");
    }
    if (spec->is(config_internal::kProtected) && !protected_ok) {
      return SetFailed(args[i], "can't set protected config");
    }
    std::string lc = Lower(args[i]);
    if (!names.insert(lc).second) return SetFailed(args[i], "duplicate parameter");
    items.push_back({spec, std::move(lc), {}, {}});
  }

  const std::string cwd = GetCwd();
  for (size_t k = 0; k < items.size(); k++) {
    Item& it = items[k];
    std::string_view raw = args[2 * k + 1];
    std::vector<std::string> vargs;
    if (it.spec->multi_arg()) {
      vargs = SplitOnSpaces(raw);
    } else {
      vargs.emplace_back(raw);
    }
    it.old = Impl::Current(*this, *it.spec);
    auto parsed = ParseValue(*it.spec, vargs, it.old, cwd);
    if (!parsed.ok()) return SetFailed(it.name, parsed.status().message());
    it.value = std::move(parsed).value();
    Status supported = config_internal::CheckSupported(*it.spec, it.value);
    if (!supported.ok()) return SetFailed(it.name, supported.message());
    if (it.spec->is(config_internal::kDefaultOnly) &&
        FormatGet(*it.spec, it.value) != FormatGet(*it.spec, DefaultValue(*it.spec))) {
      return SetFailed(it.name, config_internal::NotSupportedReason(*it.spec));
    }
  }

  // Apply in order; on the first failure put everything back.
  auto run_appliers = [this](const Spec& spec) -> Status {
    if (spec.kind == Kind::kDir) {
      std::string d = Str(kDir);
      if (::chdir(d.c_str()) != 0) return Status::Error(std::strerror(errno));
    }
    auto fit = on_apply_.find(spec.name);
    if (fit != on_apply_.end()) {
      for (auto& fn : fit->second) {
        Status st = fn(*this);
        if (!st.ok()) return st;
      }
    }
    return Status::Ok();
  };
  // Every value is stored before the first applier runs (as Redis): an
  // applier sees the whole change (tls-cert-file with its tls-key-file).
  for (size_t k = 0; k < items.size(); k++) Impl::Store(*this, *items[k].spec, items[k].value);
  for (size_t k = 0; k < items.size(); k++) {
    Status st = run_appliers(*items[k].spec);
    if (!st.ok()) {
      for (size_t r = items.size(); r-- > 0;) Impl::Store(*this, *items[r].spec, items[r].old);
      for (size_t r = 0; r <= k; r++) run_appliers(*items[r].spec);  // best effort, as Redis
      return SetFailed(items[k].name, st.message());
    }
  }

  std::set<std::string_view> notified;
  for (const Item& it : items) {
    if (!notified.insert(it.spec->name).second) continue;
    auto fit = on_change_.find(it.spec->name);
    if (fit == on_change_.end()) continue;
    for (auto& fn : fit->second) fn(*this);
  }
  return Status::Ok();
}

void Config::OnChange(std::string_view name, std::function<void(const Config&)> fn) {
  const Spec* spec = FindSpec(name);
  on_change_[spec ? std::string(spec->name) : Lower(name)].push_back(std::move(fn));
}

void Config::OnApply(std::string_view name, std::function<Status(const Config&)> fn) {
  const Spec* spec = FindSpec(name);
  on_apply_[spec ? std::string(spec->name) : Lower(name)].push_back(std::move(fn));
}

}  // namespace basalt::config
