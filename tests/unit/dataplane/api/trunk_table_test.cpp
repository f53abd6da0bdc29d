// The trunk table over the command ring: what the control daemon encodes
// the fast path assembles into the same table; a table only replaces the
// last one at a commit that finds it complete; every item that does not fit
// is rejected, counted, and spoils its table (never half a table).
#include "dataplane/api/trunk_table.hpp"

#include <CppUTest/TestHarness.h>

#include <cstring>

using namespace tg;
using namespace tg::api;

namespace {
Endpoint ep(const char* ip, uint16_t port) {
  Endpoint e;
  CHECK_TRUE(e.addr.parse(ip));
  e.port = port;
  return e;
}

std::vector<Command> encode(const std::vector<TrunkEntry>& trunks, uint32_t generation) {
  std::vector<Command> out;
  std::string error;
  CHECK_TEXT(encode_trunk_table(trunks, generation, 100, 7, out, error), error.c_str());
  return out;
}

// Feeds commands; the results in order, and how many made a new table.
std::vector<CommandResult> feed(TrunkTableAssembler& a, const std::vector<Command>& commands, int* commits = nullptr) {
  std::vector<CommandResult> results;
  for (const Command& c : commands) {
    bool committed = false;
    results.push_back(a.apply(c, committed));
    if (committed && commits) ++*commits;
  }
  return results;
}
}  // namespace

TEST_GROUP(TrunkTable){};

TEST(TrunkTable, EncodesBeginItemsCommitAsFixedPlainCommands) {
  const std::vector<Command> c = encode({{"carrierA", ep("203.0.113.10", 5060)}, {"carrierB", ep("2001:db8::20", 0)}}, 9);
  LONGS_EQUAL(6, c.size());
  LONGS_EQUAL(int(CommandKind::trunk_table_begin), int(c[0].kind));
  LONGS_EQUAL(int(CommandKind::trunk_sbc), int(c[1].kind));
  LONGS_EQUAL(int(CommandKind::trunk_name), int(c[2].kind));
  LONGS_EQUAL(int(CommandKind::trunk_table_commit), int(c[5].kind));
  for (size_t i = 0; i < c.size(); ++i) {
    LONGS_EQUAL(kMessageVersion, c[i].version);
    LONGS_EQUAL(100 + i, c[i].seq);
  }
  LONGS_EQUAL(9, c[0].trunk_table.generation);
  LONGS_EQUAL(2, c[0].trunk_table.count);
  LONGS_EQUAL(4, c[1].trunk_sbc.family);
  LONGS_EQUAL(5060, c[1].trunk_sbc.port);
  LONGS_EQUAL(203, c[1].trunk_sbc.address[0]);
  LONGS_EQUAL(1, c[3].trunk_sbc.index);
  LONGS_EQUAL(6, c[3].trunk_sbc.family);
  STRCMP_EQUAL("carrierB", c[4].trunk_name.name);
  LONGS_EQUAL(9, c[5].trunk_table.generation);
  STRCMP_EQUAL("trunk_sbc", command_kind_name(CommandKind::trunk_sbc));
}

TEST(TrunkTable, RoundTripsToTheSameTable) {
  TrunkTableAssembler a;
  int commits = 0;
  for (CommandResult r : feed(a, encode({{"carrierA", ep("203.0.113.10", 5060)}, {"b", ep("2001:db8::20", 0)}}, 1), &commits))
    LONGS_EQUAL(int(CommandResult::ok), int(r));
  LONGS_EQUAL(1, commits);
  LONGS_EQUAL(2, a.size());
  LONGS_EQUAL(1, a.generation());
  STRCMP_EQUAL("carrierA", a.table()[0].name);
  CHECK_TRUE(a.table()[0].sbc == ep("203.0.113.10", 5060));
  STRCMP_EQUAL("b", a.table()[1].name);
  CHECK_TRUE(a.table()[1].sbc == ep("2001:db8::20", 0));
  // An empty table is a table too: no trunks configured.
  feed(a, encode({}, 2), &commits);
  LONGS_EQUAL(2, commits);
  LONGS_EQUAL(0, a.size());
  LONGS_EQUAL(0, a.items_rejected());
}

TEST(TrunkTable, EncoderRefusesWhatTheFastPathCouldNotHold) {
  std::vector<Command> out;
  std::string error;
  std::vector<TrunkEntry> many(kMaxTrunkTable + 1, TrunkEntry{"t", ep("192.0.2.1", 0)});
  CHECK_FALSE(encode_trunk_table(many, 1, 1, 0, out, error));
  STRCMP_CONTAINS("at most 32", error.c_str());
  CHECK_FALSE(encode_trunk_table({{std::string(32, 'x'), ep("192.0.2.1", 0)}}, 1, 1, 0, out, error));
  STRCMP_CONTAINS("1-31 characters", error.c_str());
  CHECK_FALSE(encode_trunk_table({{"a", Endpoint{}}}, 1, 1, 0, out, error));
  CHECK_FALSE(encode_trunk_table({{"a", ep("192.0.2.1", 0)}}, 0, 1, 0, out, error));
  LONGS_EQUAL(0, out.size());
}

// Without its commit a table never shows; the next begin drops it.
TEST(TrunkTable, HalfATableNeverShows) {
  TrunkTableAssembler a;
  feed(a, encode({{"old", ep("192.0.2.1", 0)}}, 1));
  std::vector<Command> next = encode({{"x", ep("192.0.2.2", 0)}, {"y", ep("192.0.2.3", 0)}}, 2);
  next.pop_back();  // no commit
  int commits = 0;
  feed(a, next, &commits);
  LONGS_EQUAL(0, commits);
  LONGS_EQUAL(1, a.size());
  STRCMP_EQUAL("old", a.table()[0].name);
  // A commit for a table whose items did not all come: rejected whole.
  std::vector<Command> gap = encode({{"x", ep("192.0.2.2", 0)}, {"y", ep("192.0.2.3", 0)}}, 3);
  gap.erase(gap.begin() + 3);  // y's SBC lost
  std::vector<CommandResult> r = feed(a, gap, &commits);
  LONGS_EQUAL(int(CommandResult::bad_trunk_table), int(r.back()));
  LONGS_EQUAL(0, commits);
  STRCMP_EQUAL("old", a.table()[0].name);
  LONGS_EQUAL(1, a.tables_rejected());
  LONGS_EQUAL(1, a.items_rejected());
}

TEST(TrunkTable, BadItemsAreRejectedCountedAndSpoilTheirTable) {
  TrunkTableAssembler a;
  feed(a, encode({{"old", ep("192.0.2.1", 0)}}, 1));
  const std::vector<Command> good = encode({{"x", ep("192.0.2.2", 0)}, {"y", ep("192.0.2.3", 0)}}, 2);
  struct Case {
    const char* what;
    void (*spoil)(std::vector<Command>&);
  } cases[] = {
      {"index beyond count", [](std::vector<Command>& c) { c[1].trunk_sbc.index = 2; }},
      {"wrong generation", [](std::vector<Command>& c) { c[2].trunk_name.generation = 77; }},
      {"family not 4 or 6", [](std::vector<Command>& c) { c[1].trunk_sbc.family = 5; }},
      {"empty name", [](std::vector<Command>& c) { std::memset(c[2].trunk_name.name, 0, kTrunkNameBytes); }},
      {"name not terminated", [](std::vector<Command>& c) { std::memset(c[2].trunk_name.name, 'n', kTrunkNameBytes); }},
      {"duplicate name", [](std::vector<Command>& c) { std::strcpy(c[4].trunk_name.name, "x"); }},
      {"same item twice", [](std::vector<Command>& c) { c[3] = c[1]; }},
  };
  uint64_t rejected = a.items_rejected();
  for (const Case& k : cases) {
    std::vector<Command> c = good;
    k.spoil(c);
    int commits = 0;
    std::vector<CommandResult> r = feed(a, c, &commits);
    LONGS_EQUAL_TEXT(0, commits, k.what);
    LONGS_EQUAL_TEXT(int(CommandResult::bad_trunk_table), int(r.back()), k.what);
    // The bad item and the commit it spoiled.
    CHECK_TEXT(a.items_rejected() >= rejected + 2, k.what);
    rejected = a.items_rejected();
    LONGS_EQUAL_TEXT(1, a.size(), k.what);
    STRCMP_EQUAL_TEXT("old", a.table()[0].name, k.what);
  }
  // Items with no table being built, a begin for too many trunks.
  bool committed = false;
  LONGS_EQUAL(int(CommandResult::bad_trunk_table), int(a.apply(good[1], committed)));
  Command big = good[0];
  big.trunk_table.count = kMaxTrunkTable + 1;
  LONGS_EQUAL(int(CommandResult::bad_trunk_table), int(a.apply(big, committed)));
  // The good table still goes through afterwards.
  int commits = 0;
  feed(a, good, &commits);
  LONGS_EQUAL(1, commits);
  STRCMP_EQUAL("y", a.table()[1].name);
}
