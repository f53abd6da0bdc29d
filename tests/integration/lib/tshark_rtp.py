"""tshark's RTP stream analysis (`tshark -q -z rtp,streams`) next to tg-analyze --json.

Shared by analyze_vs_tshark.sh and rtp_edge_vs_tshark.sh: one parser of the
tshark 4.0 table and one rule for agreement (packets and lost exactly, max and
mean jitter within 0.1 ms or 2 %), so both tests judge alike.
"""
import re

# tshark 4.0 rtp,streams rows:
# start end src sport dst dport SSRC payload pkts lost (pct) mind meand maxd minj meanj maxj [X]
# (min delta and min jitter print as -1.000 for a one-packet stream)
_ROW = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-Fa-f]+)\s+(.+?)\s+"
                  r"(\d+)\s+(-?\d+)\s+\(\s*-?[\d.]+%\)\s+-?[\d.]+\s+-?[\d.]+\s+(-?[\d.]+)\s+-?[\d.]+\s+"
                  r"(-?[\d.]+)\s+(-?[\d.]+)")


def _endpoint(addr, port):
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"  # tg-analyze writes [v6]:port


def parse_streams(path):
    """{(src, dst, ssrc): {packets, lost, max_delta_ms, mean_jitter_ms, max_jitter_ms}}"""
    streams = {}
    with open(path) as f:
        for line in f:
            m = _ROW.match(line)
            if m:
                key = (_endpoint(m.group(1), m.group(2)), _endpoint(m.group(3), m.group(4)), int(m.group(5), 16))
                streams[key] = {"packets": int(m.group(7)), "lost": int(m.group(8)),
                                "max_delta_ms": float(m.group(9)), "mean_jitter_ms": float(m.group(10)),
                                "max_jitter_ms": float(m.group(11))}
    return streams


def ours_streams(analyze_json):
    return {(s["src"], s["dst"], int(s["ssrc"], 16)): s for s in analyze_json["streams"]}


def _close(a, b):
    return abs(a - b) <= max(0.1, 0.02 * abs(b))


def compare(theirs, mine, indent=""):
    """Prints one line per stream; returns the disagreements as text."""
    bad = []
    if set(theirs) != set(mine):
        bad.append(f"stream sets differ: only tshark {sorted(set(theirs) - set(mine))}, "
                   f"only tg-analyze {sorted(set(mine) - set(theirs))}")
    for key in sorted(set(theirs) & set(mine)):
        t, o = theirs[key], mine[key]
        name = f"{key[0]} -> {key[1]} ssrc 0x{key[2]:08x}"
        print(f"{indent}{name}: packets {o['packets']}/{t['packets']} lost {o['lost']}/{t['lost']} "
              f"max jitter {o['max_jitter_ms']:.3f}/{t['max_jitter_ms']:.3f} "
              f"mean jitter {o['mean_jitter_ms']:.3f}/{t['mean_jitter_ms']:.3f} (tg-analyze/tshark)")
        for f in ("packets", "lost"):
            if o[f] != t[f]:
                bad.append(f"{name}: {f} {o[f]} vs tshark {t[f]}")
        for f in ("max_jitter_ms", "mean_jitter_ms"):
            if not _close(o[f], t[f]):
                bad.append(f"{name}: {f} {o[f]} vs tshark {t[f]}")
    return bad
