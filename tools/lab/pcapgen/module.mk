# tg-pcapgen: pcap files of hand-made RTP edge cases (with SIP/SDP) and of
# many concurrent calls, for the tshark comparison tests and benchmarks.
BINS += tg-pcapgen
tg-pcapgen_SRCS := tools/lab/pcapgen/pcapgen.cpp
tg-pcapgen_LDLIBS := -lpcap -lboost_program_options
