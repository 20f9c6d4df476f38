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

constexpr size_t kMaxDigits = 19;  // 10^19 - 1 still fits in a uint64_t

// Where a scanned number's parts are. The digits are only turned into values when a keyword
// needs them: most numbers (curves without bounds, or well inside them) never do.
struct NumberText {
  size_t begin = 0, end = 0;  // the whole token
  size_t intBegin = 0, intEnd = 0, fracBegin = 0, fracEnd = 0;
  bool neg = false, frac = false, exp = false;
  int64_t expValue = 0;  // capped at +-100000 and more: beyond that only the sign matters
};

inline constexpr uint64_t kPow10u[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
inline constexpr double kPow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Appends the digits s[b, e) to `acc`, up to eight at a time; `digits` counts them. False when
// that makes more than kMaxDigits (acc would overflow).
FC_HOT bool appendDigits(const uint8_t* s, size_t b, size_t e, size_t n, uint64_t& acc, size_t& digits) {
  size_t len = e - b;
  if (digits + len > kMaxDigits) return false;
  digits += len;
  while (len > 0) {
    size_t k = len < 8 ? len : 8;
    uint64_t chunk = 0;
    if (b + 8 <= n) {
      chunk = digitsValue8(s, b, k);
    } else {  // the last bytes of the payload: no eight-byte read past its end
      for (size_t i = b; i < b + k; i++) chunk = chunk * 10 + (s[i] - '0');
    }
    acc = acc * kPow10u[k] + chunk;
    b += k;
    len -= k;
  }
  return true;
}

// Scans -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? at `at` (< n); false when it is no number.
FC_HOT bool scanNumber(const uint8_t* s, size_t& at, size_t n, NumberText& t) {
  size_t p = at;
  t.begin = p;
  if (s[p] == '-') {
    t.neg = true;
    if (++p >= n) return false;
  }
  t.intBegin = p;
  if (s[p] == '0') {
    p++;
  } else if (static_cast<unsigned>(s[p] - '1') < 9) {
    p = digitsEnd(s, p + 1, n);
  } else {
    return false;
  }
  t.intEnd = p;
  if (p < n && s[p] == '.') {
    t.frac = true;
    t.fracBegin = ++p;
    p = digitsEnd(s, p, n);
    if (p == t.fracBegin) return false;
    t.fracEnd = p;
  }
  if (p < n && (s[p] == 'e' || s[p] == 'E')) {
    t.exp = true;
    bool eneg = false;
    if (++p < n && (s[p] == '+' || s[p] == '-')) eneg = s[p++] == '-';
    size_t e0 = p;
    p = digitsEnd(s, p, n);
    if (p == e0) return false;
    int64_t e = 0;
    for (size_t i = e0; i < p && e < 100000; i++) e = e * 10 + (s[i] - '0');
    t.expValue = eneg ? -e : e;
  }
  t.end = at = p;
  return true;
}

#if defined(__SSE2__)
// The common numbers, -?(0|[1-9][0-9]*)(.[0-9]+)? without exponent, from one 16-byte load: the
// token's end and its parts come from bit masks instead of byte-by-byte scans, which would make
// each number of a curve wait for the one before. False, consuming nothing, for anything else
// (an exponent, a token of 16 bytes or more, bad syntax) and near the payload's end: scanNumber
// then decides. Where this accepts, scanNumber would give the same token.
FC_HOT bool scanCommonNumber(const uint8_t* s, size_t& at, size_t n, NumberText& t) {
  size_t p = at;
  if (p + 16 > n) return false;
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + p));
  __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
  __m128i expo = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('e')), _mm_cmpeq_epi8(v, _mm_set1_epi8('E'))),
                              _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('+')), _mm_cmpeq_epi8(v, _mm_set1_epi8('-'))));
  unsigned digits = static_cast<unsigned>(_mm_movemask_epi8(digit));
  unsigned dots = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.'))));
  unsigned others = static_cast<unsigned>(_mm_movemask_epi8(expo));
  unsigned len = static_cast<unsigned>(__builtin_ctz(~(digits | dots | others) | 0x10000u));
  if (len == 16) return false;
  unsigned in = (1u << len) - 1;
  unsigned neg = s[p] == '-' ? 1u : 0u;
  if ((others & in) != neg) return false;  // an exponent, or a sign inside
  dots &= in;
  if (dots & (dots - 1)) return false;  // two points
  unsigned point = dots ? static_cast<unsigned>(__builtin_ctz(dots)) : len;
  if (point == neg || (dots && point == len - 1)) return false;  // no integer or no fraction digits
  if (s[p + neg] == '0' && point > neg + 1) return false;         // a leading zero
  t.begin = p;
  t.neg = neg;
  t.intBegin = p + neg;
  t.intEnd = p + point;
  t.frac = dots != 0;
  if (t.frac) {
    t.fracBegin = p + point + 1;
    t.fracEnd = p + len;
  }
  t.end = at = p + len;
  return true;
}
#else
FC_HOT bool scanCommonNumber(const uint8_t*, size_t&, size_t, NumberText&) { return false; }
#endif

// Long mantissas, big exponents: strtod (overflow gives +-inf, like JSON.parse's Infinity).
FC_COLD inline double slowValue(const uint8_t* s, size_t begin, size_t end) {
  std::string tok(reinterpret_cast<const char*>(s + begin), end - begin);
  return std::strtod(tok.c_str(), nullptr);
}

// The number's value as JSON.parse gives it.
FC_HOT double valueOf(const uint8_t* s, size_t n, const NumberText& t) {
  // Clinger: an integer below 2^53 times or over an exact power of ten is one correctly
  // rounded IEEE operation. (Leading zeros of 0.00x count as digits here: they only make a
  // rare number take the strtod path.)
  uint64_t mant = 0;
  size_t digits = 0;
  bool exact = appendDigits(s, t.intBegin, t.intEnd, n, mant, digits) &&
               (!t.frac || appendDigits(s, t.fracBegin, t.fracEnd, n, mant, digits));
  int64_t exp10 = t.expValue - static_cast<int64_t>(t.fracEnd - t.fracBegin);
  if (exact && mant <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
    double v = static_cast<double>(mant);
    v = exp10 < 0 ? v / kPow10[-exp10] : v * kPow10[exp10];
    return t.neg ? -v : v;
  }
  return slowValue(s, t.begin, t.end);
}

// Bounds decided without the value: a decimal with integer part I lies in [I, I + 1], and I and
// I + 1 below 2^53 are exact doubles, so the correctly rounded value lies there too.
FC_HOT bool boundsByIntPart(const Node& nd, const uint8_t* s, size_t n, const NumberText& t) {
  size_t len = t.intEnd - t.intBegin;
  if (t.exp || len > 15) return false;
  uint64_t ip = 0;
  if (len == 1) {
    ip = s[t.intBegin] - '0';  // most measurements: 0.1441, 9.053
  } else if (len <= 8 && t.intBegin + 8 <= n) {
    ip = digitsValue8(s, t.intBegin, len);
  } else {
    size_t digits = 0;
    appendDigits(s, t.intBegin, t.intEnd, n, ip, digits);
  }
  double i = static_cast<double>(ip);
  double lo = t.neg ? -(i + (t.frac ? 1 : 0)) : i;
  double hi = t.neg ? -i : i + (t.frac ? 1 : 0);
  return lo >= nd.low && hi <= nd.high;
}

}  // namespace fastcheck
