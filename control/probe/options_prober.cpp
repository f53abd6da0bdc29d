#include "control/probe/options_prober.hpp"

#include <time.h>

#include <cstdio>
#include <list>
#include <optional>

#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/url.h>

namespace tg::probe {

TimeNs monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return TimeNs(ts.tv_sec) * 1'000'000'000ULL + TimeNs(ts.tv_nsec);
}

ProbeLoop::ProbeLoop() {
  if (su_init() != 0) return;
  root_ = su_root_create(nullptr);
}

ProbeLoop::~ProbeLoop() {
  if (root_) {
    su_root_destroy(root_);
    su_deinit();
  }
}

void ProbeLoop::step(int ms) {
  if (root_) su_root_step(root_, ms);
}

struct OptionsProber::Pending {
  OptionsProber::Impl* owner = nullptr;
  nta_leg_t* leg = nullptr;
  nta_outgoing_t* orq = nullptr;
  su_timer_t* timer = nullptr;
  Done done;
  std::string target;
  TimeNs sent = 0;
  std::list<Pending>::iterator self;
  // A transport error can make sofia answer inside nta_outgoing_tcreate();
  // that report is kept and delivered from the loop, never from probe().
  bool creating = true;
  std::optional<ProbeReport> early;
};

struct OptionsProber::Impl {
  ProbeLoop* loop = nullptr;
  ProberConfig config;
  nta_agent_t* agent = nullptr;
  su_home_t home[1] = {};
  std::list<Pending> pending;
  unsigned serial = 0;

  ~Impl() {
    // Outstanding probes end without a callback: their owner is going away.
    for (Pending& p : pending) release(p);
    pending.clear();
    if (agent) nta_agent_destroy(agent);
    su_home_deinit(home);
  }

  static void release(Pending& p) {
    if (p.timer) su_timer_destroy(p.timer);
    if (p.orq) nta_outgoing_destroy(p.orq);
    if (p.leg) nta_leg_destroy(p.leg);
    p.timer = nullptr;
    p.orq = nullptr;
    p.leg = nullptr;
  }

  void finish(Pending& p, const ProbeReport& report) {
    Done done = std::move(p.done);
    release(p);
    pending.erase(p.self);
    if (done) done(report);
  }
};

namespace {

int on_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq, sip_t const* sip) {
  auto* p = reinterpret_cast<OptionsProber::Pending*>(magic);
  int status = sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
  if (status < 200) return 0;  // provisional: keep waiting
  ProbeReport r;
  r.target = p->target;
  r.result.status = status;
  r.result.rtt = monotonic_ns() - p->sent;
  if (sip && sip->sip_status && sip->sip_status->st_phrase) r.reason = sip->sip_status->st_phrase;
  // A response made by our own stack means the request never got an answer
  // from the far end: sofia's own timer (408) or a transport error (ICMP
  // unreachable, send failure: 503/478...).
  r.local = sip == nullptr || nta_sip_is_internal(sip);
  if (r.local) {
    r.result.outcome = status == 408 ? ProbeOutcome::timeout : ProbeOutcome::unreachable;
    r.result.status = 0;
    if (!r.reason.empty()) r.reason = "local " + std::to_string(status) + " " + r.reason;
  } else {
    r.result.outcome = classify_response(status, sip && sip->sip_retry_after);
    if (sip && sip->sip_retry_after) r.retry_after_s = int(sip->sip_retry_after->af_delta);
  }
  if (p->creating) {
    p->early = r;
    return 0;
  }
  p->owner->finish(*p, r);
  return 0;
}

void on_early(su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg) {
  auto* p = reinterpret_cast<OptionsProber::Pending*>(arg);
  ProbeReport r = *p->early;
  p->owner->finish(*p, r);
}

void on_timeout(su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg) {
  auto* p = reinterpret_cast<OptionsProber::Pending*>(arg);
  ProbeReport r;
  r.target = p->target;
  r.result.outcome = ProbeOutcome::timeout;
  r.result.rtt = monotonic_ns() - p->sent;
  r.reason = "no response";
  p->owner->finish(*p, r);
}

}  // namespace

std::unique_ptr<OptionsProber> OptionsProber::create(ProbeLoop& loop, const ProberConfig& config,
                                                     std::string* error) {
  if (!loop.ok()) {
    if (error) *error = "sofia-sip event loop not initialised";
    return nullptr;
  }
  std::unique_ptr<OptionsProber> self(new OptionsProber);
  self->impl_ = std::make_unique<Impl>();
  Impl& im = *self->impl_;
  im.loop = &loop;
  im.config = config;
  su_home_init(im.home);
  const std::string host = config.bind_address.empty() ? "*" : sip_uri_host(config.bind_address);
  std::string port = config.bind_port ? std::to_string(config.bind_port) : "*";
  std::string url = "sip:" + host + ":" + port + ";transport=udp";
  // Sofia's own transaction timer stays above ours, so our timeout decides;
  // it only bounds the transaction if our timer were somehow lost.
  unsigned t1x64 = unsigned(config.timeout / kNsPerMs) + 1000;
  im.agent = nta_agent_create(loop.root(), URL_STRING_MAKE(url.c_str()), nullptr, nullptr,
                              NTATAG_UA(0), NTATAG_SIP_T1X64(t1x64), NTATAG_CLIENT_RPORT(1),
                              TAG_END());
  if (!im.agent) {
    if (error) *error = "cannot bind SIP agent to " + url;
    return nullptr;
  }
  return self;
}

OptionsProber::~OptionsProber() = default;

void OptionsProber::set_timeout(TimeNs timeout) {
  impl_->config.timeout = timeout;
  // As at create(): sofia's transaction timer stays above ours.
  nta_agent_set_params(impl_->agent, NTATAG_SIP_T1X64(unsigned(timeout / kNsPerMs) + 1000), TAG_END());
}

size_t OptionsProber::in_flight() const { return impl_->pending.size(); }

std::string OptionsProber::local_uri() const {
  sip_contact_t const* m = nta_agent_contact(impl_->agent);
  if (!m || !m->m_url->url_host) return {};
  std::string s = "sip:";
  s += m->m_url->url_host;
  if (m->m_url->url_port) {
    s += ":";
    s += m->m_url->url_port;
  }
  return s;
}

bool OptionsProber::probe(const std::string& target, Done done, std::string* error) {
  Impl& im = *impl_;
  url_t* to_url = url_hdup(im.home, URL_STRING_MAKE(target.c_str())->us_url);
  bool valid = to_url && (to_url->url_type == url_sip || to_url->url_type == url_sips) && to_url->url_host;
  if (to_url) su_free(im.home, to_url);
  if (!valid) {
    if (error) *error = "not a SIP URI: " + target;
    return false;
  }
  im.pending.emplace_back();
  Pending& p = im.pending.back();
  p.self = std::prev(im.pending.end());
  p.owner = &im;
  p.done = std::move(done);
  p.target = target;

  char tag[32], call_id[64];
  ++im.serial;
  std::snprintf(tag, sizeof(tag), "tg%x%08x", im.serial, unsigned(monotonic_ns()));
  std::snprintf(call_id, sizeof(call_id), "%x-%llx@trunkguard", im.serial,
                static_cast<unsigned long long>(monotonic_ns()));
  std::string local = local_uri();
  std::string from = "<sip:" + im.config.from_user + "@" + local.substr(4) + ">;tag=" + tag;
  std::string to = "<" + target + ">";
  // One leg per probe carries its From/To/Call-ID (sofia allows only one
  // dialog-less default leg per agent, and probes overlap).
  p.leg = nta_leg_tcreate(im.agent, nullptr, nullptr, SIPTAG_FROM_STR(from.c_str()),
                          SIPTAG_TO_STR(to.c_str()), SIPTAG_CALL_ID_STR(call_id), TAG_END());
  p.timer = su_timer_create(su_root_task(im.loop->root()), 0);
  p.sent = monotonic_ns();
  if (p.leg && p.timer) {
    p.orq = nta_outgoing_tcreate(p.leg, on_response, reinterpret_cast<nta_outgoing_magic_t*>(&p), nullptr,
                                 SIP_METHOD_OPTIONS, URL_STRING_MAKE(target.c_str()),
                                 SIPTAG_MAX_FORWARDS_STR("70"), SIPTAG_ACCEPT_STR("application/sdp"),
                                 SIPTAG_USER_AGENT_STR("TrunkGuard"), TAG_END());
  }
  if (!p.orq) {
    if (error) *error = "cannot create OPTIONS request to " + target;
    Impl::release(p);
    im.pending.pop_back();
    return false;
  }
  p.creating = false;
  if (p.early) {
    su_timer_set_interval(p.timer, on_early, reinterpret_cast<su_timer_arg_t*>(&p), 1);
    return true;
  }
  su_duration_t ms = su_duration_t(im.config.timeout / kNsPerMs);
  su_timer_set_interval(p.timer, on_timeout, reinterpret_cast<su_timer_arg_t*>(&p), ms ? ms : 1);
  return true;
}

std::string sip_uri_host(const std::string& host) {
  return host.find(':') != std::string::npos && host.front() != '[' ? "[" + host + "]" : host;
}

}  // namespace tg::probe
