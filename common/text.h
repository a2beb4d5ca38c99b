// UTF-8 text checks shared by the validation rules of every service.
#pragma once

#include <string>
#include <string_view>

namespace messenger::text {

// Without leading/trailing ASCII whitespace.
std::string Trim(std::string_view s);
bool IsValidUtf8(std::string_view s);
// Code points of valid UTF-8 text.
size_t CodePointCount(std::string_view s);
// C0 controls, DEL and C1 controls (U+0080..U+009F).
bool HasControlCharacters(std::string_view s);
std::string ToLowerAscii(std::string_view s);
// `s` as a quoted JSON string: '"' and '\\' escaped, controls as \b \f \n \r \t
// or \u00xx, everything else verbatim (the form Matrix canonical JSON requires).
void AppendJsonString(std::string_view s, std::string& out);

}  // namespace messenger::text
