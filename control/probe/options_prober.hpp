// SIP OPTIONS probes with sofia-sip (nta), one agent per uplink bound to that
// uplink's local address, so a probe tests the trunk *through that uplink*.
// The timeout is ours (a su_timer per probe), not Timer F's 32 s: a trunk
// that does not answer within options_timeout is failing now.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "control/probe/trunk_health.hpp"

struct su_root_s;

namespace tg::probe {

struct ProberConfig {
  std::string bind_address;     // local IP of the uplink ("192.0.2.1", "2001:db8::1"); "" = any
  uint16_t bind_port = 0;       // 0: any free port
  TimeNs timeout = 2000 * kNsPerMs;
  std::string from_user = "trunkguard";
};

struct ProbeReport {
  ProbeResult result;
  std::string reason;           // reason phrase, or what went wrong locally
  std::string target;
  bool local = false;           // the response was made by our stack (transport error)
  int retry_after_s = -1;       // Retry-After delta-seconds of the response, -1 = none
};

// The sofia event loop the probers run on (su_root). One per thread.
class ProbeLoop {
 public:
  ProbeLoop();
  ~ProbeLoop();
  ProbeLoop(const ProbeLoop&) = delete;
  ProbeLoop& operator=(const ProbeLoop&) = delete;
  bool ok() const { return root_ != nullptr; }
  // Runs timers and sockets for up to `ms` milliseconds.
  void step(int ms);
  su_root_s* root() const { return root_; }

 private:
  su_root_s* root_ = nullptr;
};

// What the trunk monitor needs from a prober: OptionsProber, or a test double.
class Prober {
 public:
  using Done = std::function<void(const ProbeReport&)>;
  virtual ~Prober() = default;
  // Sends one probe; `done` runs exactly once later (never from inside this
  // call). False, with *error set and no callback, if it cannot be sent.
  virtual bool probe(const std::string& target, Done done, std::string* error) = 0;
  // Timeout of the probes sent from now on (a configuration reload).
  virtual void set_timeout(TimeNs timeout) = 0;
};

class OptionsProber : public Prober {
 public:
  // nullptr with *error set when the agent cannot bind.
  static std::unique_ptr<OptionsProber> create(ProbeLoop&, const ProberConfig&, std::string* error);
  ~OptionsProber() override;
  OptionsProber(const OptionsProber&) = delete;
  OptionsProber& operator=(const OptionsProber&) = delete;

  // Sends one OPTIONS to `target` ("sip:203.0.113.5:5060"). `done` runs
  // exactly once, from the loop, with the final response or the timeout.
  // False (and no callback) if the request could not be created.
  bool probe(const std::string& target, Done done, std::string* error = nullptr) override;
  void set_timeout(TimeNs timeout) override;
  size_t in_flight() const;
  // "sip:192.0.2.1:40123": where the agent listens.
  std::string local_uri() const;

  struct Pending;  // one probe in flight (public for the C callbacks)

 private:
  OptionsProber() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// CLOCK_MONOTONIC in ns: the daemon's clock for TrunkHealth.
TimeNs monotonic_ns();

// A host as it stands in a SIP URI: an IPv6 address in brackets (RFC 3261
// 25.1), anything else as it is.
std::string sip_uri_host(const std::string& host);

}  // namespace tg::probe
