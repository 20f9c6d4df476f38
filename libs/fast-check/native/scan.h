// Byte scanning the walker spends most of its time in: whitespace, runs of plain string bytes
// and runs of digits. SSE2 (always there on x86-64) takes 16 bytes at a time; other
// architectures use the portable loops, which give the same answers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// The hot scanners must be inlined into their loops (a call per number costs more than the
// scan); the rare slow paths must not be, so they do not bloat the loops.
#if defined(__GNUC__)
#define FC_HOT inline __attribute__((always_inline))
#define FC_COLD __attribute__((noinline, cold))
#else
#define FC_HOT inline
#define FC_COLD
#endif

namespace fastcheck {

inline bool isDigit(uint8_t c) { return static_cast<unsigned>(c - '0') < 10; }

// JSON whitespace (RFC 8259): space, tab, LF, CR.
inline bool isSpace(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Index of the first non-whitespace byte at or after p. Compact payloads have no whitespace,
// so the first byte decides most calls; runs (pretty-printed payloads) go 16 bytes at a time.
FC_HOT size_t skipSpaces(const uint8_t* s, size_t p, size_t n) {
  if (p >= n || !isSpace(s[p])) return p;
#if defined(__SSE2__)
  const __m128i sp = _mm_set1_epi8(' '), lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r'), tab = _mm_set1_epi8('\t');
  while (p + 16 <= n) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + p));
    __m128i ws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, lf)),
                              _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, tab)));
    unsigned other = ~static_cast<unsigned>(_mm_movemask_epi8(ws)) & 0xffffu;
    if (other) return p + __builtin_ctz(other);
    p += 16;
  }
#endif
  while (p < n && isSpace(s[p])) p++;
  return p;
}

// Index of the first byte at or after p that a string scan must look at: the closing quote, a
// backslash, a control character (invalid unescaped) or a non-ASCII byte (a UTF-8 sequence to
// validate and count). Everything before it is one ASCII code point per byte.
FC_HOT size_t plainRun(const uint8_t* s, size_t p, size_t n) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), slash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
  while (p + 16 <= n) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + p));
    // Signed compare: bytes 0x80-0xff are negative, so "< 0x20" also catches non-ASCII.
    __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash)),
                                _mm_cmplt_epi8(v, space));
    unsigned m = static_cast<unsigned>(_mm_movemask_epi8(stop));
    if (m) return p + __builtin_ctz(m);
    p += 16;
  }
#endif
  while (p < n) {
    uint8_t c = s[p];
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) return p;
    p++;
  }
  return p;
}

// Index of the first byte at or after p that is not an ASCII digit. Eight bytes at a time:
// t = byte ^ '0' is 0..9 exactly for digits; (low 7 bits + 0x76) sets bit 7 for 10 and up.
FC_HOT size_t digitsEnd(const uint8_t* s, size_t p, size_t n) {
  while (p + 8 <= n) {
    uint64_t v;
    std::memcpy(&v, s + p, 8);
    uint64_t t = v ^ 0x3030303030303030ull;
    uint64_t nonDigit = (((t & 0x7f7f7f7f7f7f7f7full) + 0x7676767676767676ull) | t) & 0x8080808080808080ull;
    if (nonDigit) return p + (__builtin_ctzll(nonDigit) >> 3);  // little-endian: first byte lowest
    p += 8;
  }
  while (p < n && isDigit(s[p])) p++;
  return p;
}

// The value of the `len` (1 to 8) ASCII digits at s + p, reading eight bytes (p + 8 <= n).
// The bytes are shifted so the digits are the low-order end of an eight-digit number with
// leading zeros, then combined pairwise (simdjson's parse_eight_digits_unrolled).
FC_HOT uint32_t digitsValue8(const uint8_t* s, size_t p, size_t len) {
  uint64_t v;
  std::memcpy(&v, s + p, 8);
  v = (v ^ 0x3030303030303030ull) << (8 * (8 - len));  // xor, not minus: no borrow from the junk
  v = (v * 10) + (v >> 8);                                // byte pairs: 10 a + b
  const uint64_t mask = 0x000000ff000000ffull;
  const uint64_t mul1 = 0x000f424000000064ull;  // 100 + (1000000 << 32)
  const uint64_t mul2 = 0x0000271000000001ull;  // 1 + (10000 << 32)
  v = (((v & mask) * mul1) + (((v >> 16) & mask) * mul2)) >> 32;
  return static_cast<uint32_t>(v);
}

}  // namespace fastcheck
