// JSON numbers (RFC 8259 section 6): one pass checks the syntax and keeps what the checks need.
// The verdict must be ajv's, and ajv compares the double JSON.parse gives, so a value is either
// the correctly rounded double (Clinger's exact fast path, else strtod, which glibc rounds
// correctly) or not needed at all: bounds that hold for every double the text can round to are
// decided from the integer part alone.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <string>

#include "program.h"
#include "scan.h"

namespace fastcheck {

constexpr int kMaxDigits = 19;  // 10^19 - 1 still fits in a uint64_t

// Where a scanned number's parts are, and its decimal significand while it is exact.
struct NumberText {
  size_t begin = 0, end = 0;  // the token, for strtod
  bool neg = false, frac = false, exp = false;
  uint32_t intDigits = 0;  // digits before the point ("0" counts one)
  uint64_t intPart = 0;    // exact when intDigits <= kMaxDigits
  uint64_t mant = 0;       // the digits read so far, as an integer
  int digits = 0;          // how many digits mant holds (leading zeros of 0.00x included)
  bool overflow = false;   // more than kMaxDigits digits: mant is not the significand
  int64_t exp10 = 0;       // value = mant * 10^exp10 (when !overflow)
};

inline constexpr uint64_t kPow10u[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
inline constexpr double kPow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Appends the digits s[b, e) to t.mant, up to eight at a time.
inline void addDigits(const uint8_t* s, size_t b, size_t e, size_t n, NumberText& t) {
  size_t len = e - b;
  if (t.overflow || t.digits + len > kMaxDigits) {
    t.overflow = true;
    return;
  }
  t.digits += static_cast<int>(len);
  while (len > 0) {
    size_t k = len < 8 ? len : 8;
    uint64_t chunk = 0;
    if (b + 8 <= n) {
      chunk = digitsValue8(s, b, k);
    } else {  // the last bytes of the payload: no eight-byte read past its end
      for (size_t i = b; i < b + k; i++) chunk = chunk * 10 + (s[i] - '0');
    }
    t.mant = t.mant * kPow10u[k] + chunk;
    b += k;
    len -= k;
  }
}

// Scans -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? at p (p < n); false when it is no number.
inline bool scanNumber(const uint8_t* s, size_t& at, size_t n, NumberText& t) {
  size_t p = at;
  t.begin = p;
  if (s[p] == '-') {
    t.neg = true;
    if (++p >= n) return false;
  }
  if (s[p] == '0') {
    p++;
    t.intDigits = 1;
  } else if (static_cast<unsigned>(s[p] - '1') < 9) {
    size_t e = digitsEnd(s, p + 1, n);
    addDigits(s, p, e, n, t);
    t.intDigits = static_cast<uint32_t>(e - p);
    p = e;
  } else {
    return false;
  }
  t.intPart = t.mant;
  if (p < n && s[p] == '.') {
    t.frac = true;
    size_t b = ++p;
    p = digitsEnd(s, b, n);
    if (p == b) return false;
    addDigits(s, b, p, n, t);
    t.exp10 -= static_cast<int64_t>(p - b);
  }
  if (p < n && (s[p] == 'e' || s[p] == 'E')) {
    t.exp = true;
    bool eneg = false;
    if (++p < n && (s[p] == '+' || s[p] == '-')) eneg = s[p++] == '-';
    size_t e0 = p;
    p = digitsEnd(s, p, n);
    if (p == e0) return false;
    int64_t e = 0;
    for (size_t i = e0; i < p && e < 100000; i++) e = e * 10 + (s[i] - '0');  // capped: only the sign of huge ones matters
    t.exp10 += eneg ? -e : e;
  }
  t.end = at = p;
  return true;
}

// The number's value as JSON.parse gives it.
inline double valueOf(const uint8_t* s, const NumberText& t) {
  // Clinger: an integer below 2^53 times or over an exact power of ten is one correctly
  // rounded IEEE operation.
  if (!t.overflow && t.mant <= (1ull << 53) && t.exp10 >= -22 && t.exp10 <= 22) {
    double v = static_cast<double>(t.mant);
    v = t.exp10 < 0 ? v / kPow10[-t.exp10] : v * kPow10[t.exp10];
    return t.neg ? -v : v;
  }
  // Long mantissas, big exponents: strtod (overflow gives +-inf, like JSON.parse's Infinity).
  std::string tok(reinterpret_cast<const char*>(s + t.begin), t.end - t.begin);
  return std::strtod(tok.c_str(), nullptr);
}

// Bounds decided without the value: a decimal with integer part I lies in [I, I + 1], and I and
// I + 1 below 2^53 are exact doubles, so the correctly rounded value lies there too.
inline bool boundsByIntPart(const Node& nd, const NumberText& t) {
  if (t.exp || t.intDigits > 15) return false;
  double i = static_cast<double>(t.intPart);
  double lo = t.neg ? -(i + (t.frac ? 1 : 0)) : i;
  double hi = t.neg ? -i : i + (t.frac ? 1 : 0);
  uint32_t f = nd.numFlags;
  return (!(f & N_MIN) || lo >= nd.min) && (!(f & N_MAX) || hi <= nd.max) && (!(f & N_XMIN) || lo > nd.xmin) &&
         (!(f & N_XMAX) || hi < nd.xmax);
}

}  // namespace fastcheck
