// A compiled payload schema ("program"), read from the bytes src/program.ts writes. The layout is
// documented there (writeProgram); both sides change together.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace fastcheck {

enum Type : uint32_t {
  T_NULL = 1, T_BOOL = 2, T_INT = 4, T_NUM = 8, T_STR = 16, T_ARR = 32, T_OBJ = 64, T_ALL = 127
};
enum NumFlag : uint32_t { N_MIN = 1, N_MAX = 2, N_XMIN = 4, N_XMAX = 8, N_MULT = 16 };
enum Format : int32_t { F_NONE = 0, F_DATE_TIME = 1, F_DATE = 2, F_TIME = 3 };
constexpr int32_t ANY = -1;     // a child schema that accepts everything (`true`, or absent)
constexpr int32_t FORBID = -2;  // additionalProperties: false

struct Literal {
  uint8_t kind;  // 0 null, 1 false, 2 true, 3 number, 4 string
  double num;
  std::string str;
};

struct Prop {
  std::string name;
  int32_t node;  // ANY when the name is only `required`, not in `properties`
  bool inProperties;
  bool required;
};

struct Node {
  uint32_t types = T_ALL;
  bool alwaysFalse = false;
  uint32_t numFlags = 0;
  double min = 0, max = 0, xmin = 0, xmax = 0, mult = 0;
  // The four bounds as one closed interval of doubles: x > b is x >= nextafter(b, +inf) for
  // doubles, so exclusive bounds fold in exactly. -inf / +inf where there is no bound.
  double low = -HUGE_VAL, high = HUGE_VAL;
  int32_t minLen = -1, maxLen = -1, pattern = -1, format = F_NONE;
  int32_t items = ANY, minItems = -1, maxItems = -1;
  int32_t minProps = -1, maxProps = -1, additional = ANY;
  std::vector<Prop> props;
  uint32_t requiredCount = 0;
  bool hasEnum = false;
  std::vector<Literal> enumValues;
  std::vector<int32_t> allOf, anyOf, oneOf;
  int32_t notNode = -2;  // -2: no `not`
  bool combinators = false;  // any of allOf, anyOf, oneOf, not
};

// A DFA over ASCII code points plus one symbol (128) for every non-ASCII code point.
struct Pattern {
  bool asciiOnly = false;  // some atom accepts non-ASCII (informational, see src/regex-dfa.ts)
  uint32_t states = 0, start = 0;
  std::vector<uint8_t> accept;
  std::vector<uint16_t> table;  // states x 129
};

struct Program {
  std::vector<Node> nodes;
  std::vector<Pattern> patterns;
  int32_t root = ANY;
};

class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool ok() const { return ok_; }
  uint32_t u32() {
    uint32_t v = 0;
    take(&v, 4);
    return v;
  }
  int32_t i32() { return static_cast<int32_t>(u32()); }
  uint16_t u16() {
    uint16_t v = 0;
    take(&v, 2);
    return v;
  }
  uint8_t u8() {
    uint8_t v = 0;
    take(&v, 1);
    return v;
  }
  double f64() {
    double v = 0;
    take(&v, 8);
    return v;
  }
  std::string str() {
    uint32_t len = u32();
    if (!ok_ || len > n_ - at_) {
      ok_ = false;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(p_ + at_), len);
    at_ += len;
    return s;
  }

 private:
  void take(void* out, size_t k) {
    if (!ok_ || k > n_ - at_) {
      ok_ = false;
      return;
    }
    std::memcpy(out, p_ + at_, k);  // little-endian on both sides (x86-64, arm64)
    at_ += k;
  }
  const uint8_t* p_;
  size_t n_;
  size_t at_ = 0;
  bool ok_ = true;
};

inline void foldBounds(Node& nd) {
  if (nd.numFlags & N_MIN) nd.low = nd.min;
  if (nd.numFlags & N_XMIN) nd.low = std::fmax(nd.low, std::nextafter(nd.xmin, HUGE_VAL));
  if (nd.numFlags & N_MAX) nd.high = nd.max;
  if (nd.numFlags & N_XMAX) nd.high = std::fmin(nd.high, std::nextafter(nd.xmax, -HUGE_VAL));
}

// Returns false when the bytes are not a well-formed program (a version mismatch, a bug).
inline bool readProgram(const uint8_t* bytes, size_t len, Program& prog) {
  Reader r(bytes, len);
  if (r.u32() != 0x314b4346u) return false;  // "FCK1"
  uint32_t nodeCount = r.u32(), patternCount = r.u32();
  prog.root = r.i32();
  if (!r.ok() || nodeCount > 1000000 || patternCount > 100000) return false;
  prog.patterns.resize(patternCount);
  for (auto& pt : prog.patterns) {
    pt.asciiOnly = r.u32() & 1;
    pt.states = r.u32();
    pt.start = r.u32();
    if (!r.ok() || pt.states == 0 || pt.states > 65535 || pt.start >= pt.states) return false;
    pt.accept.resize(pt.states);
    for (auto& a : pt.accept) a = r.u8();
    pt.table.resize(static_cast<size_t>(pt.states) * 129);
    for (auto& t : pt.table) {
      t = r.u16();
      if (t >= pt.states) return false;
    }
  }
  auto nodeRef = [&](int32_t v, bool allowForbid) {
    return v == ANY || (allowForbid && v == FORBID) || (v >= 0 && static_cast<uint32_t>(v) < nodeCount);
  };
  prog.nodes.resize(nodeCount);
  for (auto& nd : prog.nodes) {
    nd.types = r.u32();
    nd.alwaysFalse = r.u32() & 1;
    nd.numFlags = r.u32();
    nd.min = r.f64();
    nd.max = r.f64();
    nd.xmin = r.f64();
    nd.xmax = r.f64();
    nd.mult = r.f64();
    foldBounds(nd);
    nd.minLen = r.i32();
    nd.maxLen = r.i32();
    nd.pattern = r.i32();
    nd.format = r.i32();
    nd.items = r.i32();
    nd.minItems = r.i32();
    nd.maxItems = r.i32();
    nd.minProps = r.i32();
    nd.maxProps = r.i32();
    nd.additional = r.i32();
    uint32_t pc = r.u32();
    if (!r.ok() || pc > len) return false;
    nd.props.resize(pc);
    for (auto& pr : nd.props) {
      pr.name = r.str();
      pr.node = r.i32();
      uint8_t fl = r.u8();
      pr.inProperties = fl & 1;
      pr.required = fl & 2;
      if (pr.required) nd.requiredCount++;
      if (!nodeRef(pr.node, false)) return false;
    }
    uint32_t ec = r.u32();
    if (ec != 0xffffffffu) {
      if (ec > len) return false;
      nd.hasEnum = true;
      nd.enumValues.resize(ec);
      for (auto& lit : nd.enumValues) {
        lit.kind = r.u8();
        if (lit.kind == 3) lit.num = r.f64();
        if (lit.kind == 4) lit.str = r.str();
      }
    }
    for (auto* list : {&nd.allOf, &nd.anyOf, &nd.oneOf}) {
      uint32_t c = r.u32();
      if (!r.ok() || c > len) return false;
      list->resize(c);
      for (auto& x : *list) {
        x = r.i32();
        if (!nodeRef(x, false)) return false;
      }
    }
    nd.notNode = r.i32();
    nd.combinators = !nd.allOf.empty() || !nd.anyOf.empty() || !nd.oneOf.empty() || nd.notNode != -2;
    if (!r.ok()) return false;
    if (nd.pattern >= static_cast<int32_t>(patternCount) || nd.pattern < -1) return false;
    if (!nodeRef(nd.items, false) || !nodeRef(nd.additional, true)) return false;
    if (nd.notNode != -2 && !nodeRef(nd.notNode, false)) return false;
  }
  return r.ok() && nodeRef(prog.root, false);
}

}  // namespace fastcheck
