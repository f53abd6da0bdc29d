// The capture commands of the management socket (capture.start,
// capture.stop, show.capture) and the capture part of the daemon's tick:
// Controller members kept apart from controller.cpp. The fast path copies
// the packets (capture_start on the command ring); the CaptureWriter turns
// them into a pcap file and says when a bound is reached.
#include <arpa/inet.h>
#include <syslog.h>

#include "control/daemon/capture_writer.hpp"
#include "control/daemon/controller.hpp"

namespace tg::controld {

using mgmt::Error;
using mgmt::ErrorCode;
using mgmt::Peer;
using mgmt::Role;

namespace {
// After a bound is reached the fast path has this long to confirm the stop
// before the file is closed anyway.
constexpr uint64_t kStopWaitNs = 1'000'000'000;

Error capture_unavailable() {
  return {ErrorCode::not_available, "not available: this daemon was started without packet capture", {}};
}
}  // namespace

Json Controller::cmd_capture(const Json& args, const Peer& peer, Role, Error& error, bool& failed) {
  failed = true;
  if (!capture_writer) return error = capture_unavailable(), Json();
  CaptureWriter& w = *capture_writer;
  if (!mgmt::args_only(args, {"uplink", "filter", "host", "duration", "packets", "bytes", "snaplen"}, error))
    return {};
  CaptureSpec spec;
  std::string filter = "all";
  int64_t duration = 0, packets = 0, bytes = 0, snaplen = api::kCaptureMaxSnap;
  if (!mgmt::arg_string(args, "uplink", spec.uplink, error, false) ||
      !mgmt::arg_string(args, "filter", filter, error, false) ||
      !mgmt::arg_string(args, "host", spec.host, error, false) ||
      !mgmt::arg_int(args, "duration", duration, error, 1, 1'000'000'000, false) ||
      !mgmt::arg_int(args, "packets", packets, error, 1, 1'000'000'000, false) ||
      !mgmt::arg_int(args, "bytes", bytes, error, 1, int64_t(1) << 40, false) ||
      !mgmt::arg_int(args, "snaplen", snaplen, error, 1, api::kCaptureMaxSnap, false))
    return {};
  auto bad = [&error](std::string m) { return error = {ErrorCode::bad_argument, std::move(m), {}}, Json(); };
  if (filter == "all") spec.classes = 0;
  else if (filter == "sip") spec.classes = api::kCaptureClassSip;
  else if (filter == "rtp") spec.classes = api::kCaptureClassRtp;
  else if (filter == "sip+rtp" || filter == "rtp+sip") spec.classes = api::kCaptureClassAll;
  else return bad("filter '" + filter + "' is not one of all, sip, rtp, sip+rtp");
  if (!spec.host.empty()) {
    in_addr a{};
    if (inet_pton(AF_INET, spec.host.c_str(), &a) != 1)
      return bad("host '" + spec.host + "' is not an IPv4 address (IPv6 host filters are not supported yet)");
    spec.host_v4 = ntohl(a.s_addr);
  }
  if (spec.uplink.empty()) spec.uplink = "all";
  if (spec.uplink != "all") {
    api::StatsBody& s = *stats_buf_;
    stats(s);  // refresh the index <-> name map
    const int idx = uplink_index(spec.uplink);
    if (idx < 0 || !store_.running().uplink(spec.uplink)) {
      std::string known;
      for (const auto& u : store_.running().uplinks) known += (known.empty() ? "" : ", ") + u.name;
      return bad("no uplink '" + spec.uplink + "' (configured: " + known + ")");
    }
    spec.uplink_index = uint8_t(idx);
  }
  spec.duration_s = uint32_t(duration);
  spec.packets = uint64_t(packets);
  spec.bytes = uint64_t(bytes);
  spec.snaplen = uint32_t(snaplen);
  std::string why;
  if (!w.check(spec, why)) return bad(why);
  if (w.running()) return bad("a capture is already running (" + w.status(clock_.mono_ns())["file"].get<std::string>() +
                              "): capture stop first");
  if (!fp_.alive())
    return error = {ErrorCode::fastpath_unavailable, "fast path not running (" + fp_.status() + ")", {}}, Json();

  // The file first: a directory that cannot be written changes nothing.
  const uint64_t now = clock_.mono_ns();
  uint32_t id = uint32_t(clock_.wall_ms()) ^ (command_seq_ << 20);
  if (id == 0) id = 1;
  if (!w.begin(spec, id, now, clock_.wall_ms(), why)) return error = {ErrorCode::io_error, why, {}}, Json();
  api::Command c{};
  c.kind = api::CommandKind::capture_start;
  c.uplink = spec.uplink_index;
  c.capture.capture_id = id;
  c.capture.snaplen = spec.snaplen;
  c.capture.host_v4 = spec.host_v4;
  c.capture.classes = spec.classes;
  // The fast path's own guard, should this daemon die mid-capture.
  c.capture.max_duration_ms = spec.duration_s * 1000 + 2000;
  Later later = answer_later(error);
  if (!later) return w.abandon(), Json();
  auto verdict = [this, later, now, user = peer.user, what = spec.filter_text()](bool answered, api::CommandResult result,
                                                                                 const Error& e) {
    capture_command_pending_ = false;
    CaptureWriter& w = *capture_writer;
    if (!answered || result != api::CommandResult::ok) {
      w.abandon();
      return later({},
                   answered ? Error{ErrorCode::bad_argument,
                                    std::string("fast path rejected it: ") + api::command_result_text(result), {}}
                            : e,
                   true);
    }
    capture_stop_sent_ns_ = 0;
    Json st = w.status(now);
    log_(LOG_NOTICE, user + ": capture started (" + what + ") to " + st["file"].get<std::string>());
    later(st, {}, false);
  };
  if (!send_command(c, 1000, verdict, error)) {
    w.abandon();
    later({}, error, true);
  } else {
    capture_command_pending_ = true;  // tick_capture leaves the file alone until the verdict
  }
  failed = false;
  return {};
}

Json Controller::cmd_capture_stop(const Json& args, const Peer& peer, Role, Error& error, bool& failed) {
  failed = true;
  if (!capture_writer) return error = capture_unavailable(), Json();
  if (!mgmt::args_only(args, {}, error)) return {};
  CaptureWriter& w = *capture_writer;
  if (!w.running()) return error = {ErrorCode::bad_argument, "no capture is running (show capture: the last one)", {}}, Json();
  if (capture_command_pending_)
    return error = {ErrorCode::busy, "the fast path has not answered the last capture command yet", {}}, Json();
  Later later = answer_later(error);
  if (!later) return {};
  failed = false;
  // A fast path that is gone wrote nothing more: close the file all the same.
  auto stopped = [this, later, user = peer.user](bool confirmed, api::CommandResult, const Error&) {
    capture_command_pending_ = false;
    CaptureWriter& w = *capture_writer;
    if (w.running()) w.finish(clock_.mono_ns(), confirmed ? CaptureEnd::stopped : CaptureEnd::fastpath_gone);
    Json st = w.status(clock_.mono_ns());
    log_(LOG_NOTICE, user + ": capture stopped: " + st["file"].get<std::string>() + ", " +
                         std::to_string(st["packets"].get<uint64_t>()) + " packets, " +
                         std::to_string(st["drops"].get<uint64_t>()) + " drops");
    later(st, {}, false);
  };
  api::Command c{};
  c.kind = api::CommandKind::capture_stop;
  c.uplink = api::kNoUplink;
  Error fp_error;
  if (fp_.attached() && send_command(c, 1000, stopped, fp_error))
    capture_command_pending_ = true;
  else
    stopped(false, api::CommandResult{}, fp_error);
  return {};
}

Json Controller::cmd_show_capture(const Json& args, const Peer&, Role, Error& error, bool& failed) {
  if (!capture_writer) return failed = true, error = capture_unavailable(), Json();
  if (!mgmt::args_only(args, {}, error)) return failed = true, Json();
  return capture_writer->status(clock_.mono_ns());
}

void Controller::tick_capture() {
  if (!capture_writer || !capture_writer->running() || capture_command_pending_) return;
  CaptureWriter& w = *capture_writer;
  const uint64_t now = clock_.mono_ns();
  const bool limit = w.drain(now);
  CaptureEnd end = CaptureEnd::running;
  if (!fp_.alive()) {
    end = CaptureEnd::fastpath_gone;
  } else if (limit) {
    if (!capture_stop_sent_ns_) {
      api::Command c{};
      c.version = api::kMessageVersion;
      c.kind = api::CommandKind::capture_stop;
      c.seq = command_seq_++;
      c.sent_ns = now;
      c.uplink = api::kNoUplink;
      count(fp_.push_command(c) ? Counter::commands_sent : Counter::commands_ring_full);
      capture_stop_sent_ns_ = now;
    }
    if (!w.fastpath_capturing() || now - capture_stop_sent_ns_ >= kStopWaitNs) end = w.limit();
  } else if (!w.fastpath_capturing()) {
    end = CaptureEnd::fastpath_stopped;
  }
  if (end == CaptureEnd::running) return;
  w.finish(now, end);
  capture_stop_sent_ns_ = 0;
  Json st = w.status(now);
  log_(LOG_NOTICE, std::string("capture ended (") + capture_end_text(end) + "): " + st["file"].get<std::string>() +
                       ", " + std::to_string(st["packets"].get<uint64_t>()) + " packets, " +
                       std::to_string(st["drops"].get<uint64_t>()) + " drops");
}

}  // namespace tg::controld
