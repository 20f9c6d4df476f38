// One pass over the payload bytes, driven by the program: strict JSON (RFC 8259, UTF-8, no BOM,
// unique member names, bounded depth) and the schema keywords at once, without building values.
// The answer mirrors ajv's verdict for the supported keywords; anything this walker cannot decide
// exactly (a lone surrogate under `pattern`, non-ASCII under `format`) answers UNSURE, and the
// caller then asks ajv.
#pragma once
#include <cmath>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "formats.h"
#include "number.h"
#include "program.h"
#include "scan.h"
#include "strings.h"

namespace fastcheck {

// What one open object needs for unique names. Names of the node's props are marked in `seen`;
// only other names are kept, as text, to compare with each other.
struct ObjectFrame {
  std::vector<uint8_t> seen;
  std::vector<std::string> others;  // others[0, count) are this object's; the rest is spare capacity
  std::unordered_set<std::string> otherSet;  // once there are more than 32 of them
};

// Buffers reused from one check to the next (one per compiled program, and a program is only
// used by the thread that compiled it), so a check of a typical payload allocates nothing.
struct Scratch {
  std::deque<ObjectFrame> frames;  // per depth; a deque keeps references stable as it grows
  std::string text, key;           // decoded string value, decoded member name
};

class Walker {
 public:
  Walker(const Program& prog, Scratch& scratch, const uint8_t* s, size_t n, int maxDepth)
      : prog_(prog), scratch_(scratch), s_(s), n_(n), maxDepth_(maxDepth) {}

  int run() {
    if (n_ == 0) return NOT_JSON;
    if (n_ >= 3 && s_[0] == 0xef && s_[1] == 0xbb && s_[2] == 0xbf) return NOT_JSON;
    int r = value(prog_.root);
    ws();
    if (fail_ || p_ != n_) return NOT_JSON;
    return r;
  }

 private:
  const Program& prog_;
  Scratch& scratch_;
  const uint8_t* s_;
  size_t n_;
  size_t p_ = 0;
  int depth_ = 0;
  int maxDepth_;
  bool fail_ = false;

  void ws() { p_ = skipSpaces(s_, p_, n_); }
  int bad() {
    fail_ = true;
    return INVALID;
  }

  // The value at p_ against node `ni` (ANY: syntax only).
  int value(int32_t ni) {
    ws();
    if (p_ >= n_) return bad();
    if (ni == ANY) return skip();
    const Node& nd = prog_.nodes[ni];
    size_t start = p_;
    int r;
    if (nd.alwaysFalse) {
      skip();
      r = INVALID;
    } else {
      r = own(nd);
    }
    if (fail_ || !nd.combinators) return r;
    return combine(nd, start, r);
  }

  // allOf / anyOf / oneOf / not: the same value judged again from its first byte, `r` being the
  // verdict of the node's own keywords.
  int combine(const Node& nd, size_t start, int r) {
    size_t end = p_;
    int depthAt = depth_;
    auto again = [&](int32_t sub) {
      p_ = start;
      depth_ = depthAt;
      return value(sub);
    };
    for (int32_t sub : nd.allOf) r = both(r, again(sub));
    if (!nd.anyOf.empty()) {
      int any = INVALID;
      for (int32_t sub : nd.anyOf) {
        int v = again(sub);
        if (v == VALID) {
          any = VALID;
          break;
        }
        if (v == UNSURE) any = UNSURE;
      }
      r = both(r, any);
    }
    if (!nd.oneOf.empty()) {
      int valid = 0;
      bool unsure = false;
      for (int32_t sub : nd.oneOf) {
        int v = again(sub);
        if (v == VALID) valid++;
        if (v == UNSURE) unsure = true;
      }
      int one = valid > 1 ? INVALID : unsure ? UNSURE : valid == 1 ? VALID : INVALID;
      r = both(r, one);
    }
    if (nd.notNode != -2) {
      int v = again(nd.notNode);
      r = both(r, v == VALID ? INVALID : v == INVALID ? VALID : UNSURE);
    }
    p_ = end;
    depth_ = depthAt;
    return fail_ ? INVALID : r;
  }

  int own(const Node& nd) {
    switch (s_[p_]) {
      case '{':
        return object(nd);
      case '[':
        return array(nd);
      case '"':
        return string(nd);
      case 't':
        return literal("true", 4, nd, T_BOOL, 2);
      case 'f':
        return literal("false", 5, nd, T_BOOL, 1);
      case 'n':
        return literal("null", 4, nd, T_NULL, 0);
      default:
        return number(nd);
    }
  }

  int literal(const char* word, size_t len, const Node& nd, uint32_t type, uint8_t kind) {
    if (n_ - p_ < len || std::memcmp(s_ + p_, word, len) != 0) return bad();
    p_ += len;
    if (!(nd.types & type)) return INVALID;
    if (nd.hasEnum) {
      for (const auto& lit : nd.enumValues)
        if (lit.kind == kind) return VALID;
      return INVALID;
    }
    return VALID;
  }

  int number(const Node& nd) {
    NumberText t;
    if (!scanCommonNumber(s_, p_, n_, t) && !scanNumber(s_, p_, n_, t)) return bad();
    return judgeNumber(nd, t);
  }

  // Arrays of numbers (curves: most of a weld spot) in one tight loop, from p_ at a number:
  // "number, number, ..." while the items follow each other without whitespace; p_ ends after
  // the last number of the run, where the general loop takes over (whitespace, ']', another
  // kind of item). `count` grows by the items judged.
  int numberRun(const Node& leaf, int64_t& count) {
    const uint8_t* s = s_;
    const size_t n = n_;
    size_t p = p_;
    int r = VALID;
    for (;;) {
      NumberText t;
      if (!scanCommonNumber(s, p, n, t) && !scanNumber(s, p, n, t)) {
        p_ = p;
        return bad();
      }
      if (judgeNumber(leaf, t) != VALID) r = INVALID;  // a number is never UNSURE
      count++;
      if (p + 1 < n && s[p] == ',' && startsNumber(s[p + 1])) {
        p++;
        continue;
      }
      p_ = p;
      return r;
    }
  }

  static bool startsNumber(uint8_t c) { return c == '-' || isDigit(c); }

  FC_HOT int judgeNumber(const Node& nd, const NumberText& t) {
    if (!(nd.types & (T_NUM | T_INT))) return INVALID;
    uint32_t f = nd.numFlags;
    bool needInt = !(nd.types & T_NUM);
    // `integer` needs no value for an integer literal: integral whatever its size (1e400 has an
    // exponent, so it is not one).
    bool intKnown = !needInt || (!t.frac && !t.exp);
    if (intKnown && !nd.hasEnum && !(f & N_MULT) && (f == 0 || boundsByIntPart(nd, s_, n_, t))) return VALID;
    double x = valueOf(s_, n_, t);
    // ajv: integer is `!(x % 1) && !isNaN(x)`; x % 1 is NaN for +-Infinity, so Infinity counts
    // as an integer there too. (fmod is slow, hence trunc.)
    if (needInt && !(std::isinf(x) || x == std::trunc(x))) return INVALID;
    if ((f & N_MIN) && x < nd.min) return INVALID;
    if ((f & N_MAX) && x > nd.max) return INVALID;
    if ((f & N_XMIN) && x <= nd.xmin) return INVALID;
    if ((f & N_XMAX) && x >= nd.xmax) return INVALID;
    if (f & N_MULT) {
      // ajv: invalid when `x / m !== parseInt(x / m)`; parseInt reads String(x / m), which is an
      // exact integer only for finite integral quotients below 1e21.
      double q = x / nd.mult;
      if (!std::isfinite(q) || std::fabs(q) >= 1e21 || q != std::trunc(q)) return INVALID;
    }
    if (nd.hasEnum) {
      for (const auto& lit : nd.enumValues)
        if (lit.kind == 3 && lit.num == x) return VALID;
      return INVALID;
    }
    return VALID;
  }

  int string(const Node& nd) {
    StrInfo info;
    if (!scanString(s_, p_, n_, info, scratch_.text)) return bad();
    if (!(nd.types & T_STR)) return INVALID;
    if (nd.minLen >= 0 && info.ucs2Length < static_cast<uint32_t>(nd.minLen)) return INVALID;
    if (nd.maxLen >= 0 && info.ucs2Length > static_cast<uint32_t>(nd.maxLen)) return INVALID;
    int r = VALID;
    if (nd.pattern >= 0) r = both(r, matchPattern(prog_.patterns[nd.pattern], info));
    if (nd.format != F_NONE) r = both(r, matchFormat(nd.format, info));
    if (nd.hasEnum) {
      bool hit = false;
      for (const auto& lit : nd.enumValues)
        if (lit.kind == 4 && lit.str == info.text) hit = true;
      r = both(r, hit ? VALID : INVALID);
    }
    return r;
  }

  // ---- containers -----------------------------------------------------------------------
  // The items' node when it can be judged straight from a digit: arrays of plain numbers
  // (curves) are most of a weld spot, and skip the detour through value().
  const Node* numberLeaf(const Node& nd) const {
    if (!(nd.types & T_ARR) || nd.items < 0) return nullptr;
    const Node* leaf = &prog_.nodes[nd.items];
    return leaf->alwaysFalse || leaf->combinators ? nullptr : leaf;
  }

  int array(const Node& nd) {
    p_++;
    if (++depth_ > maxDepth_) return bad();
    bool typeOk = nd.types & T_ARR;
    // enum/const hold primitives only (src/program.ts), which an array never equals.
    int r = typeOk && !nd.hasEnum ? VALID : INVALID;
    int64_t count = 0;
    ws();
    if (p_ < n_ && s_[p_] == ']') {
      p_++;
    } else {
      const Node* leaf = numberLeaf(nd);
      for (;;) {
        int v;
        if (leaf && p_ < n_ && startsNumber(s_[p_])) {
          v = numberRun(*leaf, count);
        } else {
          v = typeOk ? value(nd.items) : skip();
          count++;
        }
        if (fail_) return INVALID;
        r = both(r, v);
        ws();
        if (p_ >= n_) return bad();
        if (s_[p_] == ',') {
          p_++;
          ws();
          continue;
        }
        if (s_[p_] == ']') {
          p_++;
          break;
        }
        return bad();
      }
    }
    depth_--;
    if (typeOk) {
      if (nd.minItems >= 0 && count < nd.minItems) r = INVALID;
      if (nd.maxItems >= 0 && count > nd.maxItems) r = INVALID;
    }
    return r;
  }

  // The index of the prop named `key`, or -1. Payloads usually list names in the schema's
  // order, so the search starts after the previous match (`hint`); length and first byte turn
  // most other props away before a compare.
  static int findProp(const Node& nd, std::string_view key, size_t& hint) {
    size_t np = nd.props.size();
    for (size_t k = 0, i = hint; k < np; k++, i++) {
      if (i >= np) i = 0;
      const std::string& name = nd.props[i].name;
      if (name.size() != key.size() || (!key.empty() && name[0] != key[0])) continue;
      if (std::memcmp(name.data(), key.data(), key.size()) != 0) continue;
      hint = i + 1;
      return static_cast<int>(i);
    }
    return -1;
  }

  // True when `key`, no prop of the node, repeats another such name of this object
  // (RFC 7493 section 2.3). Past 32 names, a hash set of the frame takes over.
  static bool repeatedOther(ObjectFrame& fr, size_t& count, std::string_view key) {
    if (fr.others.size() <= count) fr.others.emplace_back();
    fr.others[count].assign(key.data(), key.size());
    count++;
    if (count <= 33) {
      for (size_t i = 0; i + 1 < count; i++)
        if (fr.others[i] == key) return true;
      if (count < 33) return false;
      fr.otherSet.clear();
      for (size_t i = 0; i < count; i++) fr.otherSet.insert(fr.others[i]);
      return false;
    }
    return !fr.otherSet.insert(fr.others[count - 1]).second;
  }

  ObjectFrame& frameAt(int d) {
    while (scratch_.frames.size() <= static_cast<size_t>(d)) scratch_.frames.emplace_back();
    return scratch_.frames[d];
  }

  int object(const Node& nd) {
    p_++;
    if (++depth_ > maxDepth_) return bad();
    ObjectFrame& fr = frameAt(depth_);
    bool typeOk = nd.types & T_OBJ;
    int r = typeOk && !nd.hasEnum ? VALID : INVALID;
    fr.seen.assign(nd.props.size(), 0);
    size_t count = 0, others = 0, hint = 0;
    uint32_t requiredSeen = 0;
    ws();
    if (p_ < n_ && s_[p_] == '}') {
      p_++;
    } else {
      for (;;) {
        ws();
        if (p_ >= n_ || s_[p_] != '"') return bad();
        StrInfo info;
        if (!scanString(s_, p_, n_, info, scratch_.key)) return bad();
        count++;
        int i = findProp(nd, info.text, hint);
        if (i >= 0) {
          if (fr.seen[i]) return bad();  // the same name twice
          fr.seen[i] = 1;
          if (nd.props[i].required) requiredSeen++;
        } else if (repeatedOther(fr, others, info.text)) {
          return bad();
        }
        ws();
        if (p_ >= n_ || s_[p_] != ':') return bad();
        p_++;
        int v = typeOk ? value(childOf(nd, i, r)) : skip();
        if (fail_) return INVALID;
        r = both(r, v);
        ws();
        if (p_ >= n_) return bad();
        if (s_[p_] == ',') {
          p_++;
          continue;
        }
        if (s_[p_] == '}') {
          p_++;
          break;
        }
        return bad();
      }
    }
    depth_--;
    if (typeOk) {
      if (requiredSeen != nd.requiredCount) r = INVALID;
      if (nd.minProps >= 0 && count < static_cast<size_t>(nd.minProps)) r = INVALID;
      if (nd.maxProps >= 0 && count > static_cast<size_t>(nd.maxProps)) r = INVALID;
    }
    return r;
  }

  // The node a member's value is judged against: its prop's, else additionalProperties (false
  // turns the object's verdict `r` INVALID, the value is then only scanned).
  static int32_t childOf(const Node& nd, int prop, int& r) {
    if (prop >= 0 && nd.props[prop].inProperties) return nd.props[prop].node;
    if (nd.additional == FORBID) {
      r = INVALID;
      return ANY;
    }
    return nd.additional;
  }

  // Any value: syntax, UTF-8, unique names and depth only.
  int skip() {
    static const Node anyNode;  // types = all, no keywords
    ws();
    if (p_ >= n_) return bad();
    own(anyNode);
    return fail_ ? INVALID : VALID;
  }
};

}  // namespace fastcheck
