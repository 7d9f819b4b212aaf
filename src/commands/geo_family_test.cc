// GEO commands in process: the scores GEOADD stores and the ZADD it is
// written to the log as, coordinate limits, GEOPOS/GEOHASH/GEODIST texts,
// search options, ordering, COUNT/ANY, STORE/STOREDIST and their errors,
// which forms reach the write log, and inputs that must not crash.
// Expected replies are Redis 7.0.15's.
#include <algorithm>
#include <string>
#include <vector>

#include "commands/command_test_fixture.h"

namespace basalt::commands {
namespace {


constexpr const char* kPalermo = "3479099956230698";
constexpr const char* kCatania = "3479447370796909";


class GeoTest : public CommandTest {
 protected:
  void AddSicily() {
    EXPECT_TRUE(IsInt(Run({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269",
                           "37.502669", "Catania"}),
                      2));
  }
};

TEST_F(GeoTest, GeoAddStoresTheGeohashAndLogsAZadd) {
  AddSicily();
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "Sicily", "0", "-1", "WITHSCORES"}),
                      {"Palermo", kPalermo, "Catania", kCatania}));
  EXPECT_TRUE(IsInt(Run({"GEOADD", "Sicily", "NX", "CH", "1", "2", "Palermo", "1", "2", "x"}), 1));
  EXPECT_TRUE(IsInt(Run({"GEOADD", "Sicily", "XX", "1", "2", "Palermo", "1", "2", "y"}), 0));
  EXPECT_TRUE(IsInt(Run({"GEOADD", "Sicily", "XX", "1", "2", "Palermo"}), 0));  // unchanged now
  EXPECT_TRUE(IsInt(Run({"GEOADD", "none", "XX", "1", "2", "a"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "none"}), 0));
  EXPECT_EQ(LogCommands(),
            (std::vector<std::string>{
                std::string("zadd Sicily ") + kPalermo + " Palermo " + kCatania + " Catania",
                "zadd Sicily NX CH 3378080408407459 Palermo 3378080408407459 x",
                "zadd Sicily XX 3378080408407459 Palermo 3378080408407459 y"}));
}

TEST_F(GeoTest, GeoAddRejectsBadInputBeforeChangingAnything) {
  EXPECT_TRUE(IsError(Run({"GEOADD", "g", "1", "1", "ok", "181", "0", "bad"}),
                      "ERR invalid longitude,latitude pair 181.000000,0.000000"));
  EXPECT_TRUE(IsError(Run({"GEOADD", "g", "0", "85.05112879", "a"}),
                      "ERR invalid longitude,latitude pair 0.000000,85.051129"));
  EXPECT_TRUE(IsError(Run({"GEOADD", "g", "nan", "0", "a"}), "ERR value is not a valid float"));
  EXPECT_TRUE(IsError(Run({"GEOADD", "g", "inf", "0", "a"}),
                      "ERR invalid longitude,latitude pair inf,0.000000"));
  EXPECT_TRUE(IsError(Run({"GEOADD", "g", "NX", "XX", "1", "1", "a"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"GEOADD", "g", "1", "1", "a", "2"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"GEOADD", "g", "CH", "CH", "CH"}), "ERR syntax error"));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "g"}), 0));
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "v"}), "OK"));
  EXPECT_TRUE(IsError(Run({"GEOADD", "s", "1", "1", "a"}), "WRONGTYPE"));
  EXPECT_TRUE(LogCommands().size() == 1);  // the SET only
}

TEST_F(GeoTest, PositionsHashesAndDistances) {
  AddSicily();
  protocol::Reply r = Run({"GEOPOS", "Sicily", "Palermo", "nosuch"});
  ASSERT_EQ(r.elements.size(), 2u);
  EXPECT_TRUE(IsArray(r.elements[0], {"13.36138933897018433", "38.11555639549629859"}));
  EXPECT_EQ(r.elements[1].type, protocol::Reply::Type::kNil);
  EXPECT_TRUE(IsArray(Run({"GEOHASH", "Sicily", "Palermo", "Catania"}),
                      {"sqc8b49rny0", "sqdtr74hyu0"}));
  EXPECT_TRUE(IsBulk(Run({"GEODIST", "Sicily", "Palermo", "Catania"}), "166274.1516"));
  EXPECT_TRUE(IsBulk(Run({"GEODIST", "Sicily", "Palermo", "Catania", "km"}), "166.2742"));
  EXPECT_TRUE(IsBulk(Run({"GEODIST", "Sicily", "Palermo", "Catania", "MI"}), "103.3182"));
  EXPECT_TRUE(IsBulk(Run({"GEODIST", "Sicily", "Palermo", "Catania", "ft"}), "545518.8700"));
  EXPECT_TRUE(IsNil(Run({"GEODIST", "Sicily", "Palermo", "nosuch"})));
  EXPECT_TRUE(IsNil(Run({"GEODIST", "nokey", "a", "b"})));
  EXPECT_TRUE(IsError(Run({"GEODIST", "Sicily", "Palermo", "Catania", "yd"}),
                      "ERR unsupported unit provided. please use M, KM, FT, MI"));
  EXPECT_TRUE(IsError(Run({"GEODIST", "Sicily", "a", "b", "km", "x"}), "ERR syntax error"));
}

TEST_F(GeoTest, SearchOrdersCountsAndFormats) {
  AddSicily();
  EXPECT_TRUE(IsArray(Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "ASC"}),
                      {"Catania", "Palermo"}));
  EXPECT_TRUE(IsArray(Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC"}),
                      {"Palermo", "Catania"}));
  EXPECT_TRUE(IsArray(Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1"}),
                      {"Catania"}));
  EXPECT_TRUE(IsArray(Run({"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400",
                           "km", "DESC", "COUNT", "1"}),
                      {"Palermo"}));
  protocol::Reply r = Run({"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km",
                           "ASC", "WITHDIST", "WITHHASH", "WITHCOORD"});
  ASSERT_EQ(r.elements.size(), 2u);
  const protocol::Reply& catania = r.elements[1];
  ASSERT_EQ(catania.elements.size(), 4u);
  EXPECT_EQ(catania.elements[0].str, "Catania");
  EXPECT_EQ(catania.elements[1].str, "166.2742");
  EXPECT_TRUE(IsInt(catania.elements[2], 3479447370796909));
  EXPECT_TRUE(
      IsArray(catania.elements[3], {"15.08726745843887329", "37.50266842333162032"}));
  EXPECT_TRUE(IsArray(Run({"GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km"}), {}));
}

TEST_F(GeoTest, SearchErrors) {
  AddSicily();
  auto search = [&](std::initializer_list<std::string_view> extra) {
    std::vector<std::string_view> v{"GEOSEARCH", "Sicily"};
    v.insert(v.end(), extra);
    return Run(session_, std::span<const std::string_view>(v));
  };
  EXPECT_TRUE(IsError(search({"FROMLONLAT", "15", "37", "ASC", "WITHDIST"}),
                      "ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH"));
  EXPECT_TRUE(IsError(search({"BYRADIUS", "1", "km", "ASC", "WITHDIST"}),
                      "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"));
  EXPECT_TRUE(IsError(search({"FROMMEMBER", "nosuch", "BYRADIUS", "1", "km"}),
                      "ERR could not decode requested zset member"));
  EXPECT_TRUE(IsError(search({"FROMLONLAT", "15", "37", "BYRADIUS", "-1", "km"}),
                      "ERR radius cannot be negative"));
  EXPECT_TRUE(IsError(search({"FROMLONLAT", "15", "37", "BYRADIUS", "x", "km"}),
                      "ERR need numeric radius"));
  EXPECT_TRUE(IsError(search({"FROMLONLAT", "15", "37", "BYBOX", "1", "-1", "km"}),
                      "ERR height or width cannot be negative"));
  EXPECT_TRUE(IsError(search({"FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "COUNT", "0"}),
                      "ERR COUNT must be > 0"));
  EXPECT_TRUE(IsError(search({"FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "ANY"}),
                      "ERR the ANY argument requires COUNT argument"));
  EXPECT_TRUE(IsError(search({"FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "STORE", "d"}),
                      "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"GEORADIUS_RO", "Sicily", "15", "37", "1", "km", "STORE", "d"}),
                      "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"GEORADIUS", "Sicily", "15", "37", "1", "km", "STORE", "d", "WITHDIST"}),
                      "ERR STORE option in GEORADIUS is not compatible"));
  EXPECT_TRUE(IsError(Run({"GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS",
                           "1", "km", "WITHHASH"}),
                      "ERR GEOSEARCHSTORE is not compatible"));
  EXPECT_TRUE(IsArray(Run({"GEORADIUSBYMEMBER", "nokey", "m", "-1", "parsecs"}), {}));
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "v"}), "OK"));
  EXPECT_TRUE(IsError(Run({"GEORADIUS", "s", "500", "37", "1", "km"}), "WRONGTYPE"));
}

TEST_F(GeoTest, StoresAndWhatTheyLog) {
  AddSicily();
  EXPECT_TRUE(IsArray(Run({"GEORADIUS", "Sicily", "15", "37", "200", "km"}),
                      {"Palermo", "Catania"}));
  EXPECT_TRUE(IsInt(Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d"}), 2));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "d", "0", "-1", "WITHSCORES"}),
                      {"Palermo", kPalermo, "Catania", kCatania}));
  EXPECT_TRUE(IsInt(Run({"GEOSEARCHSTORE", "e", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS",
                         "200", "km", "STOREDIST", "COUNT", "1"}),
                    1));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "e", "0", "-1", "WITHSCORES"}), {"Catania", "56.441257870158204"}));
  EXPECT_TRUE(IsInt(Run({"GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "d"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "d"}), 0));
  EXPECT_TRUE(IsInt(Run({"GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "d"}), 0));
  std::vector<std::string> log = LogCommands();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[1], "GEORADIUS Sicily 15 37 200 km STORE d");
  EXPECT_EQ(log[2], "GEOSEARCHSTORE e Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST COUNT 1");
  EXPECT_EQ(log[3], "GEORADIUS Sicily 0 0 1 km STORE d");
}

TEST_F(GeoTest, CountKeepsTheNearestAcrossTies) {
  // 30 members at one place and 30 at another: COUNT cuts through ties.
  std::vector<std::string> args{"GEOADD", "g"};
  for (int i = 0; i < 60; i++) {
    args.push_back(i % 2 ? "10" : "10.001");
    args.push_back("10");
    args.push_back("m" + std::to_string(i));
  }
  std::vector<std::string_view> v(args.begin(), args.end());
  EXPECT_TRUE(IsInt(Run(session_, std::span<const std::string_view>(v)), 60));
  protocol::Reply all = Run({"GEORADIUS", "g", "10", "10", "1", "km", "ASC"});
  ASSERT_EQ(all.elements.size(), 60u);
  protocol::Reply some = Run({"GEORADIUS", "g", "10", "10", "1", "km", "COUNT", "35"});
  ASSERT_EQ(some.elements.size(), 35u);
  // The 30 nearest are the odd members (at the centre); then 5 of the others.
  // (Which 5, and the order among equal distances, is compared with Redis by
  // tests/integration/test_diff_geo.py.)
  std::vector<std::string> near;
  for (int i = 0; i < 30; i++) near.push_back(some.elements[i].str);
  std::sort(near.begin(), near.end());
  for (const std::string& m : near) EXPECT_EQ(std::stoi(m.substr(1)) % 2, 1) << m;
  for (int i = 30; i < 35; i++) EXPECT_EQ(std::stoi(some.elements[i].str.substr(1)) % 2, 0);
}

TEST_F(GeoTest, AbsurdInputsDoNotCrash) {
  AddSicily();
  for (const char* radius : {"1e30", "inf", "+inf", "1e-300", "4.9e-324", "0"}) {
    protocol::Reply r = Run({"GEOSEARCH", "Sicily", "FROMLONLAT", "180", "85.05112878", "BYRADIUS",
                             radius, "km", "WITHDIST", "COUNT", "5", "ASC"});
    EXPECT_FALSE(r.is_error()) << radius;
    r = Run({"GEOSEARCH", "Sicily", "FROMLONLAT", "-180", "-85.05112878", "BYBOX", radius, radius,
             "mi", "WITHCOORD"});
    EXPECT_FALSE(r.is_error()) << radius;
  }
  EXPECT_TRUE(IsError(Run({"GEOSEARCH", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "nan", "m"}),
                      "ERR need numeric radius"));
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "-1", "neg", "1e300", "huge", "-inf", "ninf"}), 3));
  EXPECT_TRUE(IsArray(Run({"GEOHASH", "z", "neg", "huge", "ninf"}),
                      {"bp05b5048p0", "00bh0hbj200", "00bh0hbj200"}));
}

}  // namespace
}  // namespace basalt::commands
