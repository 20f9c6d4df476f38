// ajv-formats (full mode) `date`, `time` and `date-time`, as exact re-implementations of its
// regexes and range checks.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "program.h"
#include "strings.h"

namespace fastcheck {

inline bool twoDigits(std::string_view s, size_t at, int& v) {
  if (at + 2 > s.size() || !isDigit(static_cast<uint8_t>(s[at])) || !isDigit(static_cast<uint8_t>(s[at + 1])))
    return false;
  v = (s[at] - '0') * 10 + (s[at + 1] - '0');
  return true;
}

// `date`: /^(\d\d\d\d)-(\d\d)-(\d\d)$/ plus the calendar.
inline bool isDate(std::string_view s) {
  int y1, y2, m, d;
  if (s.size() != 10 || !twoDigits(s, 0, y1) || !twoDigits(s, 2, y2) || s[4] != '-' || !twoDigits(s, 5, m) ||
      s[7] != '-' || !twoDigits(s, 8, d))
    return false;
  int year = y1 * 100 + y2;
  static const int days[] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  return m >= 1 && m <= 12 && d >= 1 && d <= (m == 2 && leap ? 29 : days[m]);
}

// ajv reads the seconds as `+"SS.fff"` and compares them with 60 and 61 only. Whole seconds SS
// and a fraction put the double in [SS, SS + 1], so SS + 0.5 compares the same way unless SS is
// 59 or 60 (where the fraction may round up to the bound): only then is the text parsed.
inline double secondsOf(std::string_view secText, int whole, bool hasFraction) {
  if (!hasFraction) return whole;
  if (whole != 59 && whole != 60) return whole + 0.5;
  std::string num(secText);
  return std::strtod(num.c_str(), nullptr);
}

// `time` with a required zone:
// /^(\d\d):(\d\d):(\d\d(?:\.\d+)?)(z|([+-])(\d\d)(?::?(\d\d))?)?$/i and its range checks.
inline bool isTime(std::string_view s) {
  int hr, mn, sc;
  if (!twoDigits(s, 0, hr) || s.size() < 8 || s[2] != ':' || !twoDigits(s, 3, mn) || s[5] != ':' ||
      !twoDigits(s, 6, sc))
    return false;
  size_t i = 8;
  if (i < s.size() && s[i] == '.') {
    size_t j = i + 1;
    while (j < s.size() && isDigit(static_cast<uint8_t>(s[j]))) j++;
    if (j == i + 1) return false;
    i = j;
  }
  double sec = secondsOf(s.substr(6, i - 6), sc, i > 8);
  if (i >= s.size()) return false;  // strictTimeZone: a zone is required
  int sign = 1, tzH = 0, tzM = 0;
  if (s[i] == 'z' || s[i] == 'Z') {
    if (i + 1 != s.size()) return false;
  } else if (s[i] == '+' || s[i] == '-') {
    sign = s[i] == '-' ? -1 : 1;
    if (!twoDigits(s, i + 1, tzH)) return false;
    size_t j = i + 3;
    if (j < s.size() && s[j] == ':') j++;
    if (j < s.size()) {
      if (!twoDigits(s, j, tzM) || j + 2 != s.size()) return false;
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
inline bool jsSpace(uint32_t cp) {
  return cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202f || cp == 0x205f || cp == 0x3000 || cp == 0xfeff;
}

// A non-ASCII string: the date and time regexes are ASCII only, so it fails them, unless it
// holds a Unicode space date-time splits at (/t|\s/i): that case is left to ajv.
inline int nonAsciiFormat(int format, std::string_view s) {
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

inline int matchFormat(int format, const StrInfo& info) {
  std::string_view s = info.text;
  if (info.nonAscii || info.loneSurrogate) return nonAsciiFormat(format, s);
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

}  // namespace fastcheck
