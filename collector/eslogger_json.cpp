// eslogger_json.cpp - the only C++ in estel: simdjson's DOM parser behind
// the C API in eslogger_json.h.  No exceptions cross the seam (simdjson
// reports errors as codes; allocation uses nothrow new).  The C side reads
// simdjson's tape directly, so its layout is pinned here at compile time
// and checked once at run time against a probe document.
#include "collector/eslogger_json.h"

#include <cstdlib>
#include <new>
#include <simdjson.h>

static_assert(simdjson::SIMDJSON_VERSION_MAJOR == 3,
              "the tape layout in eslogger_json.h is simdjson 3's");
static_assert(simdjson::SIMDJSON_PADDING <= ESL_JSON_PADDING,
              "ESL_JSON_PADDING is below simdjson's padding");
static_assert(simdjson::internal::JSON_VALUE_MASK == ESL_J_PAYLOAD_MASK,
              "tape payload mask changed");
static_assert(simdjson::internal::JSON_COUNT_MASK == ESL_J_COUNT_MASK,
              "tape count mask changed");

namespace {

using simdjson::internal::tape_type;

constexpr bool
same(tape_type t, enum esl_jt e)
{
    return static_cast<unsigned>(t) == static_cast<unsigned>(e);
}

static_assert(same(tape_type::ROOT, ESL_J_ROOT) &&
              same(tape_type::START_OBJECT, ESL_J_OBJECT) &&
              same(tape_type::START_ARRAY, ESL_J_ARRAY) &&
              same(tape_type::STRING, ESL_J_STRING) &&
              same(tape_type::INT64, ESL_J_INT) &&
              same(tape_type::UINT64, ESL_J_UINT) &&
              same(tape_type::DOUBLE, ESL_J_DOUBLE) &&
              same(tape_type::TRUE_VALUE, ESL_J_TRUE) &&
              same(tape_type::FALSE_VALUE, ESL_J_FALSE) &&
              same(tape_type::NULL_VALUE, ESL_J_NULL),
              "tape type letters changed");

constexpr size_t MIN_CAPACITY = 64 * 1024;

} // namespace

struct esl_json {
    simdjson::dom::parser parser;
    char *buf;                      // the line, copied, plus padding
    size_t cap;                     // capacity of buf and the parser
    size_t max_line;
};

namespace {

const char *
message(simdjson::error_code e)
{
    switch (e) {
    case simdjson::EMPTY:
        return "empty line (no JSON value)";
    case simdjson::UTF8_ERROR:
        return "invalid JSON: the line is not valid UTF-8";
    case simdjson::UNCLOSED_STRING:
        return "invalid JSON: a string is not closed (truncated line?)";
    case simdjson::UNESCAPED_CHARS:
        return "invalid JSON: a control character inside a string must "
               "be escaped";
    case simdjson::STRING_ERROR:
        return "invalid JSON: bad escape sequence in a string";
    case simdjson::NUMBER_ERROR:
        return "invalid JSON: malformed or out-of-range number";
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR:
        return "invalid JSON: bad literal (expected true, false or null)";
    case simdjson::DEPTH_ERROR:
        return "invalid JSON: nested deeper than 128 levels";
    case simdjson::CAPACITY:
        return "line too long for the JSON parser";
    case simdjson::MEMALLOC:
        return "out of memory parsing the line";
    case simdjson::TAPE_ERROR:
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
        return "invalid JSON: bad structure (a missing or extra comma, "
               "colon, brace or bracket; truncated line?)";
    default:
        return "invalid JSON";
    }
}

// Grow the parser, the document and the copy buffer to a power of two
// that holds len, so a slowly growing line size costs few reallocations.
bool
grow(esl_json *j, size_t len)
{
    size_t cap = j->cap != 0 ? j->cap : MIN_CAPACITY;
    char *nb;

    while (cap < len)
        cap *= 2;
    if (cap > j->max_line)
        cap = j->max_line;
    if (cap == j->cap)
        return true;
    nb = static_cast<char *>(std::realloc(j->buf, cap + ESL_JSON_PADDING));
    if (nb == nullptr)
        return false;
    j->buf = nb;
    if (j->parser.allocate(cap, ESL_JSON_MAX_DEPTH) != simdjson::SUCCESS ||
        j->parser.doc.allocate(cap) != simdjson::SUCCESS)
        return false;
    j->cap = cap;
    return true;
}

// The C side reads the tape itself: prove the layout it assumes.
const char *
self_test(esl_json *j)
{
    static const char probe[] = "{\"k\":[\"ab\",-1,18446744073709551615,"
                                "1.5,true,false,null]}";
    esl_doc d;
    size_t n;
    const char *s;

    if (esl_json_parse(j, probe, sizeof(probe) - 1, false, &d) != nullptr)
        return "JSON self-test: the probe did not parse";
    s = (esl_jtype(&d, 1) == ESL_J_OBJECT && esl_jcount(&d, 1) == 1 &&
         esl_jtype(&d, 2) == ESL_J_STRING) ? esl_jstr(&d, 2, &n) : nullptr;
    if (s == nullptr || n != 1 || s[0] != 'k' ||
        esl_jtype(&d, 3) != ESL_J_ARRAY || esl_jcount(&d, 3) != 7 ||
        esl_jtype(&d, 5) != ESL_J_INT ||
        static_cast<int64_t>(esl_jword(&d, 5)) != -1 ||
        esl_jtype(&d, 7) != ESL_J_UINT || esl_jword(&d, 7) != UINT64_MAX ||
        esl_jtype(&d, 9) != ESL_J_DOUBLE || esl_jtype(&d, 11) != ESL_J_TRUE ||
        esl_jtype(&d, 13) != ESL_J_NULL || esl_jclose(&d, 3) != 14 ||
        esl_jnext(&d, 1) != 16)
        return "JSON self-test: simdjson's tape layout is not the one "
               "collector/eslogger_json.h reads; update the reader";
    return nullptr;
}

} // namespace

extern "C" int
esl_json_create(esl_json **out, size_t max_line, const char **why)
{
    esl_json *j = new (std::nothrow) esl_json();

    *why = "out of memory";
    if (j == nullptr)
        return -1;
    j->buf = nullptr;
    j->cap = 0;
    j->max_line = max_line;
    if (!grow(j, MIN_CAPACITY < max_line ? MIN_CAPACITY : max_line) ||
        (*why = self_test(j)) != nullptr) {
        if (*why == nullptr)
            *why = "out of memory";
        esl_json_destroy(&j);
        return -1;
    }
    *out = j;
    return 0;
}

extern "C" void
esl_json_destroy(esl_json **jp)
{
    if (jp == nullptr || *jp == nullptr)
        return;
    std::free((*jp)->buf);
    delete *jp;
    *jp = nullptr;
}

extern "C" const char *
esl_json_parse(esl_json *j, const char *line, size_t len, bool padded,
               esl_doc *doc)
{
    simdjson::dom::element root;
    simdjson::error_code e;

    if (len > j->max_line)
        return "line too long for the JSON parser";
    if (len > j->cap && !grow(j, len))
        return "out of memory parsing the line";
    if (!padded) {
        std::memcpy(j->buf, line, len);
        std::memset(j->buf + len, 0, ESL_JSON_PADDING);
        line = j->buf;
    }
    // realloc_if_needed false: simdjson reads line and up to
    // SIMDJSON_PADDING bytes after it without copying it again
    e = j->parser.parse(line, len, false).get(root);
    if (e != simdjson::SUCCESS)
        return message(e);
    doc->tape = j->parser.doc.tape.get();
    doc->strings = j->parser.doc.string_buf.get();
    return nullptr;
}
