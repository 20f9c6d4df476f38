// One pass over the payload bytes, driven by the program: strict JSON (RFC 8259, UTF-8, no BOM,
// unique member names, bounded depth) and the schema keywords at once, without building values.
// The answer mirrors ajv's verdict for the supported keywords; anything this walker cannot decide
// exactly (a lone surrogate under `pattern`, non-ASCII under `format`) answers UNSURE, and the
// caller then asks ajv.
#pragma once
#include <cmath>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "program.h"

namespace fastcheck {

enum Verdict : int { VALID = 0, INVALID = 1, UNSURE = 2, NOT_JSON = 3 };

inline int both(int a, int b) {  // allOf of two verdicts
  if (a == INVALID || b == INVALID) return INVALID;
  return (a == UNSURE || b == UNSURE) ? UNSURE : VALID;
}

struct StrInfo {
  std::string_view text;  // decoded UTF-8 (WTF-8 for lone surrogates): a view of the payload or scratch
  uint32_t utf16Units = 0;
  uint32_t ucs2Length = 0;  // ajv's ucs2length: code points, a lone surrogate counting one
  bool nonAscii = false;
  bool loneSurrogate = false;
};

class Walker {
 public:
  Walker(const Program& prog, const uint8_t* s, size_t n, int maxDepth)
      : prog_(prog), s_(s), n_(n), maxDepth_(maxDepth) {}

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
  const uint8_t* s_;
  size_t n_;
  size_t p_ = 0;
  int depth_ = 0;
  int maxDepth_;
  bool fail_ = false;
  std::string scratch_;
  std::vector<std::vector<std::string>> keys_;
  std::vector<std::vector<uint8_t>> seen_;
  std::vector<std::unordered_set<std::string>> bigSets_;

  void ws() {
    while (p_ < n_) {
      uint8_t c = s_[p_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
      p_++;
    }
  }
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
    int depthAt = depth_;
    int r;
    if (nd.alwaysFalse) {
      skip();
      r = INVALID;
    } else {
      r = own(nd);
    }
    if (fail_ || !nd.combinators) return r;
    // Combinators judge the same value again, from its first byte.
    size_t end = p_;
    auto again = [&](int32_t sub) {
      p_ = start;
      depth_ = depthAt;
      int v = value(sub);
      return v;
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
    uint8_t c = s_[p_];
    switch (c) {
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

  // ---- numbers --------------------------------------------------------------------------
  static constexpr double kPow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

  struct NumScan {
    bool neg = false, frac = false, exp = false;
    size_t begin = 0, intBegin = 0, intEnd = 0, fracBegin = 0, fracEnd = 0;
    int expValue = 0;
  };

  // Index of the first byte at or after p that is not an ASCII digit. Eight bytes at a time:
  // t = byte ^ '0' is 0..9 exactly for digits; (low 7 bits + 0x76) sets bit 7 for 10 and up.
  __attribute__((always_inline)) static size_t digitsEnd(const uint8_t* s, size_t p, size_t n) {
    while (p + 8 <= n) {
      uint64_t v;
      std::memcpy(&v, s + p, 8);
      uint64_t t = v ^ 0x3030303030303030ull;
      uint64_t nonDigit = (((t & 0x7f7f7f7f7f7f7f7full) + 0x7676767676767676ull) | t) & 0x8080808080808080ull;
      if (nonDigit) return p + (__builtin_ctzll(nonDigit) >> 3);  // little-endian: first byte lowest
      p += 8;
    }
    while (p < n && static_cast<unsigned>(s[p] - '0') < 10) p++;
    return p;
  }

  // Scans one JSON number (RFC 8259 section 6): -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  // It only records where the parts are: most numbers never need their value (see number()).
  __attribute__((always_inline)) bool scanNumber(NumScan& ns) {
    const uint8_t* s = s_;
    size_t p = p_;
    const size_t n = n_;
    ns.begin = p;
    if (s[p] == '-') {
      ns.neg = true;
      if (++p >= n) return false;
    }
    ns.intBegin = p;
    if (s[p] == '0') {
      p++;
    } else if (static_cast<unsigned>(s[p] - '1') < 9) {
      p = digitsEnd(s, p + 1, n);
    } else {
      return false;
    }
    ns.intEnd = p;
    if (p < n && s[p] == '.') {
      ns.frac = true;
      ns.fracBegin = ++p;
      p = digitsEnd(s, p, n);
      if (p == ns.fracBegin) return false;
      ns.fracEnd = p;
    }
    if (p < n && (s[p] == 'e' || s[p] == 'E')) {
      ns.exp = true;
      bool eneg = false;
      if (++p < n && (s[p] == '+' || s[p] == '-')) eneg = s[p++] == '-';
      size_t e0 = p;
      p = digitsEnd(s, p, n);
      if (p == e0) return false;
      int e = 0;
      for (size_t i = e0; i < p && e < 100000; i++) e = e * 10 + (s[i] - '0');
      ns.expValue = eneg ? -e : e;
    }
    p_ = p;
    return true;
  }

  // The number's value as JSON.parse gives it.
  double valueOf(const NumScan& ns) {
    // Clinger's fast path: an exact integer below 2^53 times or over an exact power of ten is
    // one correctly rounded IEEE operation. Everything else: strtod (glibc's is correctly rounded
    // too; overflow gives +-inf like JSON.parse's Infinity).
    uint64_t mant = 0;
    int digits = 0;
    for (size_t i = ns.intBegin; i < ns.intEnd; i++) mant = mant * 10 + (s_[i] - '0');
    if (mant) digits = static_cast<int>(ns.intEnd - ns.intBegin);
    int exp10 = ns.expValue;
    if (ns.frac) {
      for (size_t i = ns.fracBegin; i < ns.fracEnd && digits <= 19; i++) {
        mant = mant * 10 + (s_[i] - '0');
        if (mant) digits++;  // leading zeros of 0.000x are not significant
      }
      exp10 -= static_cast<int>(ns.fracEnd - ns.fracBegin);
    }
    if (digits <= 19 && mant <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
      double v = static_cast<double>(mant);
      v = exp10 < 0 ? v / kPow10[-exp10] : v * kPow10[exp10];
      return ns.neg ? -v : v;
    }
    std::string tok(reinterpret_cast<const char*>(s_ + ns.begin), p_ - ns.begin);
    return std::strtod(tok.c_str(), nullptr);
  }

  // Bounds decided from the integer part alone, without the (slow) division: a decimal with
  // integer part I lies in [I, I + 1], and I, I + 1 below 2^53 are exact doubles.
  __attribute__((always_inline)) bool boundsByIntPart(const Node& nd, const NumScan& ns) const {
    const uint8_t* s = s_;
    if (ns.exp || ns.intEnd - ns.intBegin > 15) return false;
    uint64_t ip = 0;
    for (size_t k = ns.intBegin; k < ns.intEnd; k++) ip = ip * 10 + (s[k] - '0');
    double i = static_cast<double>(ip);
    double lo = ns.neg ? -(i + (ns.frac ? 1 : 0)) : i;
    double hi = ns.neg ? -i : i + (ns.frac ? 1 : 0);
    uint32_t f = nd.numFlags;
    return (!(f & N_MIN) || lo >= nd.min) && (!(f & N_MAX) || hi <= nd.max) &&
           (!(f & N_XMIN) || lo > nd.xmin) && (!(f & N_XMAX) || hi < nd.xmax);
  }

  int number(const Node& nd) {
    NumScan ns;
    if (!scanNumber(ns)) return bad();
    uint32_t f = nd.numFlags;
    if (!(nd.types & (T_NUM | T_INT))) return INVALID;
    bool needInt = !(nd.types & T_NUM);
    if (!needInt && !nd.hasEnum && !(f & N_MULT) && (f == 0 || boundsByIntPart(nd, ns))) return VALID;
    double x = valueOf(ns);
    // ajv: integer is `!(x % 1) && !isNaN(x)`; x % 1 is NaN for +-Infinity, so Infinity counts
    // as an integer there too. (fmod is slow, hence trunc.)
    if (needInt && !(std::isinf(x) || x == std::trunc(x))) return INVALID;
    if (f) {
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
    }
    if (nd.hasEnum) {
      for (const auto& lit : nd.enumValues)
        if (lit.kind == 3 && lit.num == x) return VALID;
      return INVALID;
    }
    return VALID;
  }

  // ---- strings --------------------------------------------------------------------------
  static int hex(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  bool u4(size_t at, uint32_t& v) {
    if (n_ - at < 4) return false;
    v = 0;
    for (int k = 0; k < 4; k++) {
      int h = hex(s_[at + k]);
      if (h < 0) return false;
      v = v * 16 + h;
    }
    return true;
  }
  static void putUtf8(std::string& o, uint32_t cp) {
    if (cp < 0x80) {
      o.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      o.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      o.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      o.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      o.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      o.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      o.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      o.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      o.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      o.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }

  // Scans the string at p_ (a '"'); decodes into `out` only when it has escapes.
  bool scanString(StrInfo& info, std::string& out) {
    p_++;
    size_t b = p_;
    bool decoding = false;
    for (;;) {
      if (p_ >= n_) return false;
      uint8_t c = s_[p_];
      if (c == '"') {
        if (!decoding) info.text = std::string_view(reinterpret_cast<const char*>(s_ + b), p_ - b);
        else info.text = out;
        p_++;
        return true;
      }
      if (c < 0x20) return false;  // control characters must be escaped
      if (c < 0x80 && c != '\\') {
        if (decoding) out.push_back(static_cast<char>(c));
        info.utf16Units++;
        info.ucs2Length++;
        p_++;
        continue;
      }
      if (c == '\\') {
        if (!decoding) {
          decoding = true;
          out.assign(reinterpret_cast<const char*>(s_ + b), p_ - b);
        }
        if (++p_ >= n_) return false;
        uint8_t e = s_[p_++];
        char simple = 0;
        switch (e) {
          case '"': simple = '"'; break;
          case '\\': simple = '\\'; break;
          case '/': simple = '/'; break;
          case 'b': simple = '\b'; break;
          case 'f': simple = '\f'; break;
          case 'n': simple = '\n'; break;
          case 'r': simple = '\r'; break;
          case 't': simple = '\t'; break;
          case 'u': break;
          default: return false;
        }
        if (e != 'u') {
          out.push_back(simple);
          info.utf16Units++;
          info.ucs2Length++;
          continue;
        }
        uint32_t v;
        if (!u4(p_, v)) return false;
        p_ += 4;
        uint32_t lo;
        if (v >= 0xd800 && v <= 0xdbff && n_ - p_ >= 6 && s_[p_] == '\\' && s_[p_ + 1] == 'u' &&
            u4(p_ + 2, lo) && lo >= 0xdc00 && lo <= 0xdfff) {
          p_ += 6;
          putUtf8(out, 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00));
          info.utf16Units += 2;
          info.ucs2Length++;
          info.nonAscii = true;
          continue;
        }
        if (v >= 0xd800 && v <= 0xdfff) info.loneSurrogate = true;
        if (v >= 0x80) info.nonAscii = true;
        putUtf8(out, v);
        info.utf16Units++;
        info.ucs2Length++;
        continue;
      }
      // UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at most U+10FFFF)
      size_t k;
      uint32_t cp, minCp;
      if (c >= 0xc2 && c <= 0xdf) k = 1, cp = c & 0x1f, minCp = 0x80;
      else if (c >= 0xe0 && c <= 0xef) k = 2, cp = c & 0x0f, minCp = 0x800;
      else if (c >= 0xf0 && c <= 0xf4) k = 3, cp = c & 0x07, minCp = 0x10000;
      else return false;
      if (n_ - p_ <= k) return false;
      for (size_t j = 1; j <= k; j++) {
        uint8_t cc = s_[p_ + j];
        if ((cc & 0xc0) != 0x80) return false;
        cp = (cp << 6) | (cc & 0x3f);
      }
      if (cp < minCp || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
      if (decoding) out.append(reinterpret_cast<const char*>(s_ + p_), k + 1);
      p_ += k + 1;
      info.nonAscii = true;
      info.utf16Units += cp >= 0x10000 ? 2 : 1;
      info.ucs2Length++;
    }
  }

  int string(const Node& nd) {
    StrInfo info;
    if (!scanString(info, scratch_)) return bad();
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

  static int matchPattern(const Pattern& pt, const StrInfo& info) {
    // re2js (ajv's engine here) reads a non-ASCII code point as one character, as the DFA's
    // symbol 128 does; a lone surrogate is rare enough to leave to ajv.
    if (info.loneSurrogate) return UNSURE;
    uint32_t st = pt.start;
    const auto* t = pt.table.data();
    for (unsigned char ch : info.text) {
      if (ch >= 0x80 && (ch & 0xc0) == 0x80) continue;  // a continuation byte: same code point
      st = t[st * 129 + (ch < 0x80 ? ch : 128)];
    }
    return pt.accept[st] ? VALID : INVALID;
  }

  static bool d2(std::string_view s, size_t at, int& v) {
    if (at + 2 > s.size() || !isdigit(static_cast<unsigned char>(s[at])) ||
        !isdigit(static_cast<unsigned char>(s[at + 1])))
      return false;
    v = (s[at] - '0') * 10 + (s[at + 1] - '0');
    return true;
  }
  // ajv-formats (full mode) `date`: /^(\d\d\d\d)-(\d\d)-(\d\d)$/ plus the calendar.
  static bool isDate(std::string_view s) {
    int y1, y2, m, d;
    if (s.size() != 10 || !d2(s, 0, y1) || !d2(s, 2, y2) || s[4] != '-' || !d2(s, 5, m) || s[7] != '-' ||
        !d2(s, 8, d))
      return false;
    int year = y1 * 100 + y2;
    static const int days[] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    return m >= 1 && m <= 12 && d >= 1 && d <= (m == 2 && leap ? 29 : days[m]);
  }
  // ajv-formats `time` with a required zone:
  // /^(\d\d):(\d\d):(\d\d(?:\.\d+)?)(z|([+-])(\d\d)(?::?(\d\d))?)?$/i and its range checks.
  static bool isTime(std::string_view s) {
    int hr, mn, sc;
    if (!d2(s, 0, hr) || s.size() < 8 || s[2] != ':' || !d2(s, 3, mn) || s[5] != ':' || !d2(s, 6, sc))
      return false;
    size_t i = 8;
    double sec = sc;
    if (i < s.size() && s[i] == '.') {
      size_t j = i + 1;
      while (j < s.size() && isdigit(static_cast<unsigned char>(s[j]))) j++;
      if (j == i + 1) return false;
      std::string num(s.substr(6, j - 6));
      sec = std::strtod(num.c_str(), nullptr);
      i = j;
    }
    if (i >= s.size()) return false;  // strictTimeZone: a zone is required
    int sign = 1, tzH = 0, tzM = 0;
    if (s[i] == 'z' || s[i] == 'Z') {
      if (i + 1 != s.size()) return false;
    } else if (s[i] == '+' || s[i] == '-') {
      sign = s[i] == '-' ? -1 : 1;
      if (!d2(s, i + 1, tzH)) return false;
      size_t j = i + 3;
      if (j < s.size() && s[j] == ':') j++;
      if (j < s.size()) {
        if (!d2(s, j, tzM) || j + 2 != s.size()) return false;
      } else if (s[j - 1] == ':') {
        return false;  // "+01:" : the optional minutes need both digits
      }
    } else {
      return false;
    }
    if (tzH > 23 || tzM > 59) return false;
    if (hr <= 23 && mn <= 59 && sec < 60) return true;
    int utcMin = mn - tzM * sign;
    int utcHr = hr - tzH * sign - (utcMin < 0 ? 1 : 0);
    return (utcHr == 23 || utcHr == -1) && (utcMin == 59 || utcMin == -1) && sec < 61;
  }
  // JavaScript's \s beyond ASCII (ECMA-262 WhiteSpace and LineTerminator).
  static bool jsSpace(uint32_t cp) {
    return cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202f || cp == 0x205f || cp == 0x3000 || cp == 0xfeff;
  }
  static int matchFormat(int format, const StrInfo& info) {
    std::string_view s = info.text;
    if (info.nonAscii || info.loneSurrogate) {
      // The date and time regexes are ASCII only, so a non-ASCII character fails them, unless
      // it is the one Unicode space date-time splits at (/t|\s/i): that case is left to ajv.
      if (format != F_DATE_TIME) return INVALID;
      for (size_t i = 0; i < s.size();) {
        uint8_t c = static_cast<uint8_t>(s[i]);
        if (c < 0x80) {
          i++;
          continue;
        }
        size_t k = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
        uint32_t cp = c & (0x3f >> k);
        for (size_t j = 1; j <= k && i + j < s.size(); j++) cp = (cp << 6) | (s[i + j] & 0x3f);
        if (jsSpace(cp)) return UNSURE;
        i += k + 1;
      }
      return INVALID;
    }
    if (format == F_DATE) return isDate(s) ? VALID : INVALID;
    if (format == F_TIME) return isTime(s) ? VALID : INVALID;
    // date-time: str.split(/t|\s/i) must give exactly two parts
    size_t sep = std::string_view::npos;
    int count = 0;
    for (size_t i = 0; i < s.size(); i++) {
      char c = s[i];
      if (c == 't' || c == 'T' || c == ' ' || (c >= '\t' && c <= '\r')) {
        count++;
        sep = i;
      }
    }
    if (count != 1) return INVALID;
    return isDate(s.substr(0, sep)) && isTime(s.substr(sep + 1)) ? VALID : INVALID;
  }

  // ---- containers -----------------------------------------------------------------------
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
      // Arrays of plain numbers (curves) are most of a weld spot: no detour through value().
      const Node* leaf = typeOk && nd.items >= 0 ? &prog_.nodes[nd.items] : nullptr;
      if (leaf && (leaf->alwaysFalse || leaf->combinators)) leaf = nullptr;
      for (;;) {
        int v;
        if (leaf && p_ < n_ && (s_[p_] == '-' || static_cast<unsigned>(s_[p_] - '0') < 10)) {
          v = number(*leaf);
        } else {
          v = typeOk ? value(nd.items) : skip();
        }
        if (fail_) return INVALID;
        r = both(r, v);
        count++;
        ws();
        if (p_ >= n_) return bad();
        if (s_[p_] == ',') {
          p_++;
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

  // True when `key` repeats a name already in this object (RFC 7493 section 2.3).
  bool repeated(int d, size_t count) {
    std::vector<std::string>& keys = keys_[d];
    std::unordered_set<std::string>& bigSet_ = bigSets_[d];
    const std::string& key = keys[count];
    if (count <= 32) {
      for (size_t i = 0; i < count; i++)
        if (keys[i] == key) return true;
      return false;
    }
    if (count == 33) {
      bigSet_.clear();
      for (size_t i = 0; i < count; i++) bigSet_.insert(keys[i]);
    }
    return !bigSet_.insert(key).second;
  }

  int object(const Node& nd) {
    p_++;
    if (++depth_ > maxDepth_) return bad();
    int d = depth_;
    if (keys_.size() <= static_cast<size_t>(d)) {
      keys_.resize(d + 1);
      seen_.resize(d + 1);
      bigSets_.resize(d + 1);
    }
    bool typeOk = nd.types & T_OBJ;
    int r = typeOk && !nd.hasEnum ? VALID : INVALID;
    seen_[d].assign(nd.props.size(), 0);
    size_t count = 0;
    ws();
    if (p_ < n_ && s_[p_] == '}') {
      p_++;
    } else {
      for (;;) {
        ws();
        if (p_ >= n_ || s_[p_] != '"') return bad();
        if (keys_[d].size() <= count) keys_[d].emplace_back();
        std::string& key = keys_[d][count];
        StrInfo info;
        key.clear();
        if (!scanString(info, key)) return bad();
        if (info.text.data() != key.data()) key.assign(info.text.data(), info.text.size());
        // A large object (over 32 names) switches to a hash set of its own depth.
        if (repeated(d, count)) return bad();
        count++;
        ws();
        if (p_ >= n_ || s_[p_] != ':') return bad();
        p_++;
        int32_t child = ANY;
        int v;
        if (typeOk) {
          bool inProps = false;
          for (size_t i = 0; i < nd.props.size(); i++) {
            const Prop& pr = nd.props[i];
            if (pr.name.size() == key.size() && pr.name == key) {
              seen_[d][i] = 1;
              if (pr.inProperties) {
                inProps = true;
                child = pr.node;
              }
              break;
            }
          }
          if (!inProps && nd.additional != ANY) {
            if (nd.additional == FORBID) r = INVALID;
            else child = nd.additional;
          }
          v = value(child);
        } else {
          v = skip();
        }
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
      if (nd.requiredCount)
        for (size_t i = 0; i < nd.props.size(); i++)
          if (nd.props[i].required && !seen_[d][i]) r = INVALID;
      if (nd.minProps >= 0 && count < static_cast<size_t>(nd.minProps)) r = INVALID;
      if (nd.maxProps >= 0 && count > static_cast<size_t>(nd.maxProps)) r = INVALID;
    }
    return r;
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
