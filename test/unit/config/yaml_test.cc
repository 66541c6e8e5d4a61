// Table-driven tests of the YAML config parser (yaml-cpp's events into a ConfigNode tree): every
// supported construct parses to the expected typed tree, and every refused or malformed input is an
// InvalidArgument naming its line: duplicate keys, the constructs we refuse, and what yaml-cpp 0.7
// would accept although YAML forbids it.
#include "common/config/yaml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "test/unit/config/dump.h"

namespace tnascsi::common {
namespace {

using testing::dump;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct OkCase {
  const char* name;
  std::string yaml;
  std::string expected;  // dump() form
};

void PrintTo(const OkCase& c, std::ostream* os) {
  *os << c.name;
}

class YamlOkTest : public ::testing::TestWithParam<OkCase> {};

TEST_P(YamlOkTest, Parses) {
  const OkCase& c = GetParam();
  StatusOr<ConfigNode> v = parseYaml(c.yaml);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(dump(*v), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Constructs, YamlOkTest,
    ::testing::Values(
        OkCase{"FlatMapping", "a: 1\nb: two\n", "{a:1,b:\"two\"}"},
        OkCase{"KeyOrderKept", "zeta: 1\nalpha: 2\nmid: 3\n", "{zeta:1,alpha:2,mid:3}"},
        OkCase{"NestedMappings", "a:\n  b:\n    c: x\n  d: 2\ne: 3\n", "{a:{b:{c:\"x\"},d:2},e:3}"},
        OkCase{"SequenceOfScalars", "- a\n- 2\n- true\n", "[\"a\",2,true]"},
        OkCase{"SequenceUnderKeyIndented", "list:\n  - a\n  - b\n", "{list:[\"a\",\"b\"]}"},
        OkCase{"SequenceUnderKeySameIndent", "list:\n- a\n- b\nnext: 1\n",
               "{list:[\"a\",\"b\"],next:1}"},
        OkCase{"SequenceOfMappings", "- name: x\n  port: 1\n- name: y\n  port: 2\n",
               "[{name:\"x\",port:1},{name:\"y\",port:2}]"},
        OkCase{"SequenceItemMappingWithNested",
               "items:\n  - name: a\n    tags:\n      - t1\n      - t2\n    opts: {k: v}\n",
               "{items:[{name:\"a\",tags:[\"t1\",\"t2\"],opts:{k:\"v\"}}]}"},
        OkCase{"NestedCompactSequences", "- - a\n  - b\n- c\n", "[[\"a\",\"b\"],\"c\"]"},
        OkCase{"SequenceItemOnNextLines", "-\n  a: 1\n  b: 2\n-\n", "[{a:1,b:2},null]"},
        OkCase{"ValueOnNextLine", "a:\n  just text\nb: 1\n", "{a:\"just text\",b:1}"},
        OkCase{"PlainWithSpacesAndComment", "a: hello world   # note\n", "{a:\"hello world\"}"},
        OkCase{"HashWithoutSpaceIsText", "a: x#y\nb: 'p # q'\n", "{a:\"x#y\",b:\"p # q\"}"},
        OkCase{"CommentLines", "# head\na: 1 # tail\n  # indented comment\n\nb: 2\n# end",
               "{a:1,b:2}"},
        OkCase{"UrlsAndTimesStayStrings", "url: http://host:8080/p?q=1\nt: 12:30\n",
               "{url:\"http://host:8080/p?q=1\",t:\"12:30\"}"},
        OkCase{"SingleQuoted", "a: 'it''s \"ok\"'\n", "{a:\"it's \\\"ok\\\"\"}"},
        OkCase{"DoubleQuotedEscapes", "a: \"t\\tn\\nq\\\"b\\\\s\\/e\\x41\"\n",
               "{a:\"t\tn\\nq\\\"b\\\\s/eA\"}"},
        OkCase{"UnicodeEscapes", "a: \"\\u00e9\\U0001F600\"\n", "{a:\"\xC3\xA9\xF0\x9F\x98\x80\"}"},
        OkCase{"QuotedScalarsStayStrings",
               "a: '123'\nb: \"true\"\nc: 'null'\nd: \"0x10\"\ne: ''\nf: \"1.5\"\n",
               "{a:\"123\",b:\"true\",c:\"null\",d:\"0x10\",e:\"\",f:\"1.5\"}"},
        OkCase{"QuotedKeys", "\"my key\": 1\n'x: y': 2\n", "{my key:1,x: y:2}"},
        OkCase{"Booleans", "a: true\nb: false\nc: True\nd: FALSE\n",
               "{a:true,b:false,c:true,d:false}"},
        OkCase{"Yaml11BooleansAreStrings", "a: yes\nb: no\nc: on\nd: off\n",
               "{a:\"yes\",b:\"no\",c:\"on\",d:\"off\"}"},
        OkCase{"Nulls", "a: null\nb: ~\nc:\nd: Null\ne: # comment only\n",
               "{a:null,b:null,c:null,d:null,e:null}"},
        OkCase{"Integers",
               "a: 0\nb: -17\nc: +5\nd: 0x1F\ne: 0o17\nf: 9223372036854775807\n"
               "g: -9223372036854775808\nh: 007\n",
               "{a:0,b:-17,c:5,d:31,e:15,f:9223372036854775807,g:-9223372036854775808,h:7}"},
        OkCase{"Floats", "a: 1.5\nb: -0.25\nc: 1e3\nd: .5\ne: 6.5E+2\nf: .inf\ng: -.Inf\nh: 3.\n",
               "{a:1.5d,b:-0.25d,c:1000d,d:0.5d,e:650d,f:infd,g:-infd,h:3d}"},
        OkCase{"NumberLookalikesAreStrings",
               "a: 1.2.3\nb: 0x\nc: 1_000\nd: 0xZZ\ne: v1\nf: 1e\ng: -x\n",
               "{a:\"1.2.3\",b:\"0x\",c:\"1_000\",d:\"0xZZ\",e:\"v1\",f:\"1e\",g:\"-x\"}"},
        OkCase{"LiteralBlockClip", "a: |\n  line1\n   indented\n\n  line3\n\n\nb: 1\n",
               "{a:\"line1\\n indented\\n\\nline3\\n\",b:1}"},
        OkCase{"LiteralBlockStrip", "a: |-\n  x\n  y\n\nb: 1\n", "{a:\"x\\ny\",b:1}"},
        OkCase{"LiteralBlockKeep", "a: |+\n  x\n\n\nb: 1\n", "{a:\"x\\n\\n\\n\",b:1}"},
        OkCase{"LiteralBlockKeepsHashes", "a: |\n  # not a comment\n  x: y\n",
               "{a:\"# not a comment\\nx: y\\n\"}"},
        OkCase{"FoldedBlock", "a: >\n  one\n  two\n\n  three\n    more\n  four\n",
               "{a:\"one two\\nthree\\n  more\\nfour\\n\"}"},
        OkCase{"FoldedBlockStrip", "a: >-\n  one\n  two\n", "{a:\"one two\"}"},
        OkCase{"BlockExplicitIndent", "a: |2\n    lead\n  base\n", "{a:\"  lead\\nbase\\n\"}"},
        OkCase{"BlockInSequence", "- |\n  x\n- y\n", "[\"x\\n\",\"y\"]"},
        OkCase{"EmptyBlockScalar", "a: |\nb: 1\n", "{a:\"\",b:1}"},
        OkCase{"DocumentStart", "--- # config\na: 1\n", "{a:1}"},
        OkCase{"DocumentStartAndEnd", "---\na: 1\n...\n# trailing comment\n", "{a:1}"},
        OkCase{"FlowSequence", "a: [x, 2, true, null, 'q, r', 1.5]\n",
               "{a:[\"x\",2,true,null,\"q, r\",1.5d]}"},
        OkCase{"FlowMapping", "a: {k: 1, \"s\": 'v', n: [x, y], e: {}, z:}\n",
               "{a:{k:1,s:\"v\",n:[\"x\",\"y\"],e:{},z:null}}"},
        OkCase{"FlowJsonStyle", "a: {\"k\":1,\"l\":[1,2]}\n", "{a:{k:1,l:[1,2]}}"},
        OkCase{"FlowEmptyAndTrailingComma", "a: []\nb: {}\nc: [1, 2, ]\nd: [[], [[x]]]\n",
               "{a:[],b:{},c:[1,2],d:[[],[[\"x\"]]]}"},
        OkCase{"FlowMultiLine", "a: [\n    one,  # first\n    two\n  ]\nb: {x: 1,\n  y: 2}\n",
               "{a:[\"one\",\"two\"],b:{x:1,y:2}}"},
        OkCase{"FlowUrlValue", "a: [http://h:1/p, {u: http://x}]\n",
               "{a:[\"http://h:1/p\",{u:\"http://x\"}]}"},
        OkCase{"TopLevelSequence", "- 1\n- [2]\n", "[1,[2]]"},
        OkCase{"TopLevelScalar", "hello\n", "\"hello\""}, OkCase{"EmptyDocument", "", "null"},
        OkCase{"OnlyComments", "# nothing\n\n   # here\n", "null"},
        OkCase{"CrLfLineEndings", "a: 1\r\nb:\r\n  - x\r\n", "{a:1,b:[\"x\"]}"},
        OkCase{"ByteOrderMark",
               "\xEF\xBB\xBF"
               "a: 1\n",
               "{a:1}"},
        OkCase{"TabAfterColon", "a:\tb\n", "{a:\"b\"}"},
        OkCase{"IndentedRoot", "  a: 1\n  b: 2\n", "{a:1,b:2}"},
        OkCase{"FlowPairInSequence", "a: [k: v, x]\n", "{a:[{k:\"v\"},\"x\"]}"},
        OkCase{"Directive", "%YAML 1.2\n---\na: 1\n", "{a:1}"},
        OkCase{"MultiLinePlain", "a: b\n  c\nd: 1\n", "{a:\"b c\",d:1}"},
        OkCase{"MultiLineQuoted", "a: \"x\n  y\"\nb: 'p\n\n  q'\n", "{a:\"x y\",b:\"p\\nq\"}"},
        OkCase{"NullKeysAsWritten", "null: 1\n~: 2\n", "{null:1,~:2}"},
        OkCase{"QuotedKeyBeforeColon", "\"k\" : 1\n'j' : 2\n", "{k:1,j:2}"},
        OkCase{"DeepMixedNesting",
               "a:\n  - b:\n      - c: [1, {d: e}]\n        f: |\n          txt\n  - g\n",
               "{a:[{b:[{c:[1,{d:\"e\"}],f:\"txt\\n\"}]},\"g\"]}"}),
    [](const ::testing::TestParamInfo<OkCase>& p) { return std::string(p.param.name); });

TEST(YamlScalars, NotANumber) {
  StatusOr<ConfigNode> v = parseYaml("a: .nan\n");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(v->at("a").is_number_float());
  EXPECT_TRUE(std::isnan(v->at("a").get<double>()));
}

TEST(YamlScalars, IntegersAreInt64AndStringsAreStdString) {
  StatusOr<ConfigNode> v = parseYaml("a: 5\nb: x\n");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->at("a").type(), ConfigNode::value_t::number_integer);  // signed 64-bit
  EXPECT_TRUE(v->at("b").is_string());
}

struct ErrCase {
  const char* name;
  std::string yaml;
  std::string linePrefix;  // "line N: "
  std::string fragment;
};

void PrintTo(const ErrCase& c, std::ostream* os) {
  *os << c.name;
}

class YamlErrorTest : public ::testing::TestWithParam<ErrCase> {};

TEST_P(YamlErrorTest, IsInvalidArgumentWithLine) {
  const ErrCase& c = GetParam();
  StatusOr<ConfigNode> v = parseYaml(c.yaml);
  ASSERT_FALSE(v.ok()) << "parsed to " << dump(*v);
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(v.status().message()), StartsWith(c.linePrefix));
  EXPECT_THAT(std::string(v.status().message()), HasSubstr(c.fragment));
}

std::string deepFlow(int n) {
  return "a: " + std::string(n, '[') + std::string(n, ']') + "\n";
}

INSTANTIATE_TEST_SUITE_P(
    Rejected, YamlErrorTest,
    ::testing::Values(
        ErrCase{"TabIndentation", "a:\n\tb: 1\n", "line 2: ", "tab"},
        ErrCase{"TabAfterSpaces", "a:\n  b: 1\n  \tc: 2\n", "line 3: ", "tab"},
        ErrCase{"TabInSequence", "l:\n  - a\n\t- b\n", "line 3: ", "tab"},
        ErrCase{"Anchor", "a: &x 1\n", "line 1: ", "anchors"},
        ErrCase{"Alias", "a: 1\nb: *x\n", "line 2: ", "aliases"},
        ErrCase{"AliasInSequence", "- a\n- *x\n", "line 2: ", "aliases"},
        ErrCase{"AnchorInFlow", "a: [1, &y 2]\n", "line 1: ", "anchors"},
        ErrCase{"Tag", "a: !!str 1\n", "line 1: ", "tags"},
        ErrCase{"LocalTag", "a: !foo x\n", "line 1: ", "tags"},
        ErrCase{"TagOnKey", "!k a: 1\n", "line 1: ", "tags"},
        ErrCase{"MultipleDocuments", "a: 1\n---\nb: 2\n", "line 2: ", "multiple documents"},
        ErrCase{"MultipleDocumentsAfterEnd", "a: 1\n...\n---\nb: 2\n",
                "line 3: ", "multiple documents"},
        ErrCase{"ContentAfterDocumentEnd", "a: 1\n...\nb: 2\n", "line 3: ", "document end"},
        ErrCase{"ContentOnStartLine", "--- a: 1\n", "line 1: ", "illegal map value"},
        ErrCase{"DuplicateKey", "a: 1\nb: 2\na: 3\n", "line 3: ", "duplicate key 'a'"},
        ErrCase{"DuplicateQuotedKey", "a: 1\n'a': 2\n", "line 2: ", "duplicate key 'a'"},
        ErrCase{"DuplicateNestedKey", "x:\n  k: 1\n  k: 2\n", "line 3: ", "duplicate key 'k'"},
        ErrCase{"DuplicateFlowKey", "a: {k: 1, k: 2}\n", "line 1: ", "duplicate key 'k'"},
        ErrCase{"UnterminatedDouble", "a: \"abc\nb: 1\n", "line 1: ", "unterminated double"},
        ErrCase{"UnterminatedSingle", "a: 'abc\n", "line 1: ", "unterminated single"},
        ErrCase{"UnknownEscape", "a: \"\\q\"\n", "line 1: ", "unknown escape"},
        ErrCase{"ShortHexEscape", "a: \"\\x4\"\n", "line 1: ", "hex number"},
        ErrCase{"SurrogateEscape", "a: \"\\uD800\"\n", "line 1: ", "invalid unicode"},
        ErrCase{"OverIndentedKey", "a:\n  b: 1\n   c: 2\n", "line 3: ", "illegal map value"},
        ErrCase{"DedentedGarbage", "a:\n  b: 1\n c: 2\n", "line 3: ", "end of map not found"},
        ErrCase{"MappingValueInPlain", "a: b: c\n", "line 1: ", "illegal map value"},
        ErrCase{"SequenceOnKeyLine", "a: - b\n", "line 1: ", "illegal block entry"},
        ErrCase{"SequenceItemInMapping", "a: 1\n- b\n", "line 2: ", "end of map not found"},
        ErrCase{"ScalarLineInMapping", "a: 1\njust text\n", "line 2: ", "expected 'key: value'"},
        ErrCase{"TextAfterQuoted", "a: 'x' y\n", "line 1: ", "unexpected text"},
        ErrCase{"TextAfterFlow", "a: [1] x\n", "line 1: ", "end of map not found"},
        ErrCase{"FlowKeyMapping", "[a]: b\n", "line 1: ", "collections as mapping keys"},
        ErrCase{"UnterminatedFlow", "a: [1, 2\nb: 3\n",
                "line 2: ", "end of sequence flow not found"},
        ErrCase{"UnterminatedFlowAtEnd", "a: [1, 2\n",
                "line 1: ", "end of sequence flow not found"},
        ErrCase{"FlowWrongCloser", "a: [1, 2}\n", "line 1: ", "illegal flow end"},
        ErrCase{"FlowMapWrongCloser", "a: {k: 1]\n", "line 1: ", "illegal flow end"},
        ErrCase{"FlowEmptyEntry", "a: [1, , 2]\n", "line 1: ", "','"},
        ErrCase{"FlowCollectionKey", "a: {[x]: 1}\n", "line 1: ", "keys"},
        ErrCase{"ExplicitKey", "? a\n: b\n", "line 1: ", "explicit keys"},
        ErrCase{"IntegerOverflow", "a: 9223372036854775808\n", "line 1: ", "out of range"},
        ErrCase{"NegativeOverflow", "a: -9223372036854775809\n", "line 1: ", "out of range"},
        ErrCase{"HexOverflow", "a: 0x8000000000000000\n", "line 1: ", "out of range"},
        ErrCase{"BadBlockHeader", "a: |x\n  t\n",
                "line 1: ", "unexpected character in block scalar"},
        ErrCase{"ReservedAt", "a: @x\n", "line 1: ", "unknown token"},
        ErrCase{"ReservedBacktick", "a: `x`\n", "line 1: ", "unknown token"},
        ErrCase{"LeadingComma", "a: ,x\n", "line 1: ", "end of map not found"},
        ErrCase{"EmptyKey", ": v\n", "line 1: ", "empty key"},
        ErrCase{"CommentGluedToQuote", "a: 'x'#c\n", "line 1: ", "unexpected text"},
        ErrCase{"TooDeep", deepFlow(100), "line 1: ", "too deep"},
        // Duplicate keys (yaml-cpp keeps the last one) and their lines.
        ErrCase{"DuplicateInSecondSequenceItem", "- a: 1\n  b: 2\n- a: 1\n  a: 2\n",
                "line 4: ", "duplicate key 'a'"},
        ErrCase{"DuplicateAcrossFlowLines", "x: {k: 1,\n  k: 2}\n",
                "line 2: ", "duplicate key 'k'"},
        ErrCase{"DuplicateAfterBlockScalar", "a: |\n  t\n\n  u\nb: 1\na: 2\n",
                "line 6: ", "duplicate key 'a'"},
        ErrCase{"DuplicateDeep", "a:\n  b:\n    - c: {d: 1}\n      c: 2\n",
                "line 4: ", "duplicate key 'c'"},
        ErrCase{"DuplicateWithCollectionValue", "a: [1]\nb: 0\na:\n  x: 1\n",
                "line 3: ", "duplicate key 'a'"},
        // Lines stay right after CRLF line ends, a byte-order mark and multi-byte UTF-8.
        ErrCase{"LineAfterCrLf", "a: 1\r\nb: 2\r\nc: 'x\r\n", "line 3: ", "unterminated single"},
        ErrCase{"LineAfterBomAndUtf8",
                "\xEF\xBB\xBF"
                "a: \"\xC3\xA9\xC3\xA9\"\nb: 'x' y\n",
                "line 2: ", "unexpected text"},
        ErrCase{"LineOfOverflowInSequence", "a:\n  - 1\n  - 99999999999999999999\n",
                "line 3: ", "out of range"},
        ErrCase{"LineAfterComments", "# one\n\n# two\na: 1\nb: *z\n", "line 5: ", "aliases"},
        // What yaml-cpp 0.7 would accept although YAML forbids it.
        ErrCase{"UnterminatedSwallowsNothing", "a: \"x\nb: 1\nc: 2\n",
                "line 1: ", "unterminated double"},
        ErrCase{"AliasBomb", "a: &a [1, 2]\nb: [*a, *a]\nc: [*b, *b]\n", "line 1: ", "anchors"}),
    [](const ::testing::TestParamInfo<ErrCase>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace tnascsi::common
