// Trunk monitoring for tg-controld: every configured trunk probed over every
// uplink it may use, each (trunk, uplink) pair with its own TrunkHealth.
// The daemon wires it: one Prober per uplink (an OptionsProber bound to the
// uplink's address), one add() per [trunk.NAME] x uplink, poll() from its
// loop, and alarms raised/cleared on the transitions the listener gets.
// Time comes from an injected clock, so it is unit-tested with a fake prober.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/probe/options_prober.hpp"
#include "control/probe/trunk_health.hpp"

namespace tg::probe {

struct TrunkProbeSpec {
  std::string trunk;    // [trunk.NAME]
  std::string uplink;   // wan0, wan1, lte
  std::string target;   // sip:SBC[:PORT] (Request-URI of the OPTIONS)
  TrunkHealthConfig health;
};

struct TrunkEvent {
  const TrunkProbeSpec& spec;
  const ProbeReport& report;
  TrunkState state;
  std::optional<TrunkTransition> transition;  // became up or down
};

class TrunkMonitor {
 public:
  using Clock = std::function<TimeNs()>;
  using Listener = std::function<void(const TrunkEvent&)>;
  TrunkMonitor(Clock clock, Listener listener);

  // The prober that sends through `uplink` (not owned; must outlive this
  // or be taken away with remove_uplink first).
  void add_uplink(const std::string& uplink, Prober* prober);
  // False (with *error) for an unknown uplink or a pair already added.
  bool add(const TrunkProbeSpec& spec, std::string* error = nullptr);
  // A configuration reload: the pair goes, with its state; a probe of it
  // still in flight is ignored when it completes. False if there was none.
  bool remove(const std::string& trunk, const std::string& uplink);
  // The uplink's prober and every pair over it go (the prober may then be
  // destroyed: OptionsProber drops its outstanding probes silently).
  void remove_uplink(const std::string& uplink);

  // Sends every probe that is due (at most one in flight per pair).
  void poll();
  // When the next probe is due (for the daemon's loop timeout).
  TimeNs next_due() const;

  const TrunkHealth* health(const std::string& trunk, const std::string& uplink) const;
  // Usable over at least one uplink.
  bool trunk_usable(const std::string& trunk) const;
  size_t size() const { return pairs_.size(); }
  uint64_t send_failures() const { return send_failures_; }

  template <class F>
  void for_each(F&& f) const {
    for (const auto& p : pairs_) f(p->spec, p->health);
  }

 private:
  struct Pair {
    TrunkProbeSpec spec;
    TrunkHealth health;
    Prober* prober = nullptr;
    bool in_flight = false;
  };
  void complete(Pair& p, const ProbeReport& r);

  Clock clock_;
  Listener listener_;
  std::vector<std::pair<std::string, Prober*>> uplinks_;
  // Shared so that a probe's callback holds a weak reference: a pair removed
  // by a reload while its probe is in flight is not touched by the answer.
  std::vector<std::shared_ptr<Pair>> pairs_;
  uint64_t send_failures_ = 0;
};

}  // namespace tg::probe
