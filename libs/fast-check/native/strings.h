// JSON strings: strict scanning (escapes, UTF-8 per RFC 3629, no raw control characters), the
// length ajv counts, and `pattern` through the compiled DFA. A string is decoded (into scratch)
// only when it has escapes; otherwise its text is a view of the payload.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "program.h"
#include "scan.h"

namespace fastcheck {

enum Verdict : int { VALID = 0, INVALID = 1, UNSURE = 2, NOT_JSON = 3 };

inline int both(int a, int b) {  // allOf of two verdicts
  if (a == INVALID || b == INVALID) return INVALID;
  return (a == UNSURE || b == UNSURE) ? UNSURE : VALID;
}

struct StrInfo {
  std::string_view text;    // decoded UTF-8 (WTF-8 for lone surrogates): a view of the payload or scratch
  uint32_t ucs2Length = 0;  // ajv's ucs2length: code points, a lone surrogate counting one
  bool nonAscii = false;
  bool loneSurrogate = false;
};

inline int hexDigit(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four hex digits at s + at.
inline bool hex4(const uint8_t* s, size_t at, size_t n, uint32_t& v) {
  if (n - at < 4) return false;
  v = 0;
  for (int k = 0; k < 4; k++) {
    int h = hexDigit(s[at + k]);
    if (h < 0) return false;
    v = v * 16 + h;
  }
  return true;
}

inline void putUtf8(std::string& o, uint32_t cp) {
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

// The escape at s + p (just after the backslash), decoded onto `out`; p moves past it.
inline bool decodeEscape(const uint8_t* s, size_t& p, size_t n, StrInfo& info, std::string& out) {
  if (p >= n) return false;
  uint8_t e = s[p++];
  switch (e) {
    case '"': out.push_back('"'); break;
    case '\\': out.push_back('\\'); break;
    case '/': out.push_back('/'); break;
    case 'b': out.push_back('\b'); break;
    case 'f': out.push_back('\f'); break;
    case 'n': out.push_back('\n'); break;
    case 'r': out.push_back('\r'); break;
    case 't': out.push_back('\t'); break;
    case 'u': {
      uint32_t v, lo;
      if (!hex4(s, p, n, v)) return false;
      p += 4;
      if (v >= 0xd800 && v <= 0xdbff && n - p >= 6 && s[p] == '\\' && s[p + 1] == 'u' && hex4(s, p + 2, n, lo) &&
          lo >= 0xdc00 && lo <= 0xdfff) {
        p += 6;  // an escaped surrogate pair: one astral code point
        v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
      } else if (v >= 0xd800 && v <= 0xdfff) {
        info.loneSurrogate = true;
      }
      if (v >= 0x80) info.nonAscii = true;
      putUtf8(out, v);
      break;
    }
    default:
      return false;
  }
  info.ucs2Length++;
  return true;
}

// The UTF-8 sequence at s + p (a lead byte >= 0x80), validated (no overlongs, no surrogates,
// at most U+10FFFF); returns its length, 0 when it is malformed.
inline size_t utf8Sequence(const uint8_t* s, size_t p, size_t n) {
  uint8_t c = s[p];
  size_t k;
  uint32_t cp, minCp;
  if (c >= 0xc2 && c <= 0xdf) k = 1, cp = c & 0x1f, minCp = 0x80;
  else if (c >= 0xe0 && c <= 0xef) k = 2, cp = c & 0x0f, minCp = 0x800;
  else if (c >= 0xf0 && c <= 0xf4) k = 3, cp = c & 0x07, minCp = 0x10000;
  else return 0;
  if (n - p <= k) return 0;
  for (size_t j = 1; j <= k; j++) {
    uint8_t cc = s[p + j];
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if (cp < minCp || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return k + 1;
}

// Scans the string at s + p (a '"'); p moves past its closing quote. Runs of plain ASCII are
// skipped by plainRun; `out` is filled only once an escape makes decoding necessary.
inline bool scanString(const uint8_t* s, size_t& p, size_t n, StrInfo& info, std::string& out) {
  size_t b = ++p;
  bool decoding = false;
  for (;;) {
    size_t e = plainRun(s, p, n);
    info.ucs2Length += static_cast<uint32_t>(e - p);
    if (decoding) out.append(reinterpret_cast<const char*>(s + p), e - p);
    p = e;
    if (p >= n) return false;
    uint8_t c = s[p];
    if (c == '"') {
      info.text = decoding ? std::string_view(out) : std::string_view(reinterpret_cast<const char*>(s + b), p - b);
      p++;
      return true;
    }
    if (c < 0x20) return false;  // control characters must be escaped
    if (c == '\\') {
      if (!decoding) {
        decoding = true;
        out.assign(reinterpret_cast<const char*>(s + b), p - b);
      }
      p++;
      if (!decodeEscape(s, p, n, info, out)) return false;
      continue;
    }
    size_t k = utf8Sequence(s, p, n);
    if (k == 0) return false;
    if (decoding) out.append(reinterpret_cast<const char*>(s + p), k);
    p += k;
    info.nonAscii = true;
    info.ucs2Length++;
  }
}

inline int matchPattern(const Pattern& pt, const StrInfo& info) {
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

}  // namespace fastcheck
