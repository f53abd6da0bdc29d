#include "dataplane/fastpath/disposition.hpp"

namespace tg::fastpath {

namespace {
constexpr const char* kNames[] = {
#define TG_X(name, text) #name,
    TG_FP_DISPOSITIONS(TG_X)
#undef TG_X
};
constexpr const char* kTexts[] = {
#define TG_X(name, text) text,
    TG_FP_DISPOSITIONS(TG_X)
#undef TG_X
};
}  // namespace

const char* disposition_name(Disposition d) { return size_t(d) < kDispositionCount ? kNames[size_t(d)] : "?"; }
const char* disposition_text(Disposition d) { return size_t(d) < kDispositionCount ? kTexts[size_t(d)] : "?"; }

}  // namespace tg::fastpath
