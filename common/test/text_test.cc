#include "common/text.h"

#include <gtest/gtest.h>

namespace messenger::text {
namespace {

TEST(Text, TrimsAsciiWhitespace) {
  EXPECT_EQ(Trim("  a b \t\n"), "a b");
  EXPECT_EQ(Trim("   "), "");
}

TEST(Text, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("h\xc3\xa9llo \xf0\x9f\x98\x80"));  // é and an emoji
  EXPECT_FALSE(IsValidUtf8("\xc3"));                          // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));                      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));                  // surrogate
}

TEST(Text, CountsCodePointsNotBytes) {
  EXPECT_EQ(CodePointCount("h\xc3\xa9llo"), 5u);
  EXPECT_EQ(CodePointCount("\xf0\x9f\x98\x80"), 1u);
}

TEST(Text, FindsControlCharacters) {
  EXPECT_FALSE(HasControlCharacters("Alice B."));
  EXPECT_TRUE(HasControlCharacters("a\nb"));
  EXPECT_TRUE(HasControlCharacters("a\x7f"));
  EXPECT_TRUE(HasControlCharacters("a\xc2\x85"));  // U+0085 NEL
}

TEST(Text, LowersAsciiOnly) { EXPECT_EQ(ToLowerAscii("AbC-\xc3\x89"), "abc-\xc3\x89"); }

TEST(Text, AppendJsonStringEscapesOnlyWhatJsonRequires) {
  std::string out;
  AppendJsonString("a\"b\\c\n\t\x01\x1f caf\xc3\xa9 </>", out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f caf\xc3\xa9 </>\"");
}

}  // namespace
}  // namespace messenger::text
