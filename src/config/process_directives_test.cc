// The process-level directives in the config layer: their values, the
// shutdown flag sets, template and CPU list validation, CONFIG REWRITE.
#include <gtest/gtest.h>

#include "common/cpu_affinity.h"
#include "common/proc_title.h"
#include "config/config.h"

namespace basalt::config {
namespace {

std::unique_ptr<Config> Load(std::string_view text) {
  auto c = Config::LoadFromString(text);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.status().message());
  return c.ok() ? std::move(c).value() : nullptr;
}

std::string Get(const Config& c, std::string_view name) {
  std::string_view p[] = {name};
  auto r = c.Get(p);
  return r.size() == 1 ? r[0].second : "";
}

std::string Set(Config& c, std::string_view name, std::string_view value) {
  std::string_view args[] = {name, value};
  Status st = c.Set(args);
  return st.ok() ? "OK" : st.message();
}

TEST(ProcessDirectivesTest, ShutdownFlagSets) {
  auto c = Load("shutdown-on-sigint nosave now\n");
  EXPECT_EQ(c->shutdown_on_sigint(), Config::kShutdownNosave | Config::kShutdownNow);
  EXPECT_EQ(Get(*c, "shutdown-on-sigint"), "nosave now");
  EXPECT_EQ(Get(*c, "shutdown-on-sigterm"), "default");
  // Any order, duplicates and "default" are accepted; shown in a fixed order.
  EXPECT_EQ(Set(*c, "shutdown-on-sigterm", "force now save"), "OK");
  EXPECT_EQ(Get(*c, "shutdown-on-sigterm"), "save now force");
  EXPECT_EQ(Set(*c, "shutdown-on-sigterm", "default now"), "OK");
  EXPECT_EQ(Get(*c, "shutdown-on-sigterm"), "now");
  EXPECT_EQ(Set(*c, "shutdown-on-sigterm", "SAVE save"), "OK");
  EXPECT_EQ(Get(*c, "shutdown-on-sigterm"), "save");
  EXPECT_EQ(Set(*c, "shutdown-on-sigterm", "save nosave"),
            "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigterm') - "
            "shutdown options SAVE and NOSAVE can't be used simultaneously");
  EXPECT_EQ(Set(*c, "shutdown-on-sigterm", ""),
            "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigterm') - "
            "argument(s) must be one of the following: default, save, nosave, now, force");
  EXPECT_EQ(Get(*c, "shutdown-on-sigterm"), "save");
}

TEST(ProcessDirectivesTest, ValuesAndMutability) {
  auto c = Load(
      "syslog-enabled yes\nsyslog-ident basalt-x\nsyslog-facility local3\n"
      "supervised systemd\nalways-show-logo yes\ndisable-thp no\noom-score-adj absolute\n"
      "oom-score-adj-values \"-100 100 900\"\nshutdown-timeout 3\nsocket-mark-id 42\n"
      "server_cpulist 0-1\nbio_cpulist 0,1\nbgsave_cpulist 0-3:2\naof_rewrite_cpulist 1\n"
      "set-proc-title no\nproc-title-template \"{title} {port}\"\n");
  EXPECT_TRUE(c->syslog_enabled());
  EXPECT_EQ(c->syslog_ident(), "basalt-x");
  EXPECT_EQ(c->syslog_facility(), 4);
  EXPECT_EQ(c->supervised(), Config::Supervised::kSystemd);
  EXPECT_TRUE(c->always_show_logo());
  EXPECT_FALSE(c->disable_thp());
  EXPECT_EQ(c->oom_score_adj(), Config::OomScoreAdj::kAbsolute);
  EXPECT_EQ(c->oom_score_adj_values(), (std::vector<int64_t>{-100, 100, 900}));
  EXPECT_EQ(Get(*c, "oom-score-adj-values"), "-100 100 900");
  EXPECT_EQ(c->shutdown_timeout(), 3);
  EXPECT_EQ(c->socket_mark_id(), 42);
  EXPECT_EQ(c->bgsave_cpulist(), "0-3:2");
  EXPECT_FALSE(c->set_proc_title());
  EXPECT_EQ(c->proc_title_template(), "{title} {port}");
  for (const char* name : {"syslog-enabled", "supervised", "disable-thp", "socket-mark-id",
                           "server_cpulist", "set-proc-title", "always-show-logo"}) {
    EXPECT_EQ(Set(*c, name, "x"), "ERR CONFIG SET failed (possibly related to argument '" +
                                      std::string(name) + "') - can't set immutable config");
  }
  EXPECT_EQ(Set(*c, "shutdown-timeout", "0"), "OK");
  EXPECT_EQ(Set(*c, "crash-log-enabled", "no"), "OK");
  EXPECT_FALSE(c->crash_log_enabled());
  EXPECT_EQ(Set(*c, "proc-title-template", "{title"),
            "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - "
            "template format is invalid or contains unknown variables");
}

TEST(ProcessDirectivesTest, TemplateExpansion) {
  auto vars = [](std::string_view n) -> std::optional<std::string> {
    if (n == "title") return std::string("basalt-server");
    if (n == "port") return std::string("6379");
    if (n == "unixsocket") return std::string();
    return std::nullopt;
  };
  EXPECT_EQ(ExpandProcTitleTemplate(" {title} {port} ", vars), "basalt-server 6379");
  EXPECT_EQ(ExpandProcTitleTemplate("{{title}}", vars), "{title}}");
  EXPECT_EQ(ExpandProcTitleTemplate("a}b", vars), "a}b");
  EXPECT_EQ(ExpandProcTitleTemplate("{port}{port}", vars), "63796379");
  EXPECT_EQ(ExpandProcTitleTemplate("a {unixsocket} b", vars), "a  b");
  EXPECT_EQ(ExpandProcTitleTemplate("{unixsocket}", vars), "");
  EXPECT_FALSE(ExpandProcTitleTemplate("{title", vars));
  EXPECT_FALSE(ExpandProcTitleTemplate("{TITLE}", vars));
  EXPECT_TRUE(
      IsKnownProcTitleTemplate("{title} {listen-addr} {server-mode} {port} {tls-port} "
                               "{unixsocket} {config-file}"));
  EXPECT_FALSE(IsKnownProcTitleTemplate("{bad}"));
}

TEST(ProcessDirectivesTest, CpuLists) {
  EXPECT_EQ(ParseCpuList(""), std::vector<int>{});
  EXPECT_EQ(ParseCpuList("0,2,4-6"), (std::vector<int>{0, 2, 4, 5, 6}));
  EXPECT_EQ(ParseCpuList("0-7:2"), (std::vector<int>{0, 2, 4, 6}));
  EXPECT_FALSE(ParseCpuList("3-1"));
  EXPECT_FALSE(ParseCpuList("a"));
  EXPECT_FALSE(ParseCpuList("1,"));
  EXPECT_FALSE(ParseCpuList("0-4:0"));
  EXPECT_FALSE(ParseCpuList("2:2"));
}

}  // namespace
}  // namespace basalt::config
