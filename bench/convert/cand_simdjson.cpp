// cand_simdjson.cpp - simdjson (C++) candidates behind the C table in
// candidates.h: the DOM parser (full validation into a tape) and On-Demand
// with a walk that touches every value (On-Demand validates only what is
// read, so an untouched parse would not be comparable).  Also simdjson's
// stage 1 alone and followed by the own second pass of own_stage2.c.
#include "candidates.h"
#include "own_stage2.h"

#include <cstdlib>
#include <cstring>
#include <simdjson.h>

namespace {

void *
dom_create(size_t max_line)
{
    auto *p = new (std::nothrow) simdjson::dom::parser(max_line + 64);
    return p;
}

int
dom_parse(void *state, const char *line, size_t len)
{
    auto *p = static_cast<simdjson::dom::parser *>(state);
    simdjson::dom::element doc;

    return p->parse(line, len, false).get(doc) == simdjson::SUCCESS ? 0 : -1;
}

void
dom_destroy(void *state)
{
    delete static_cast<simdjson::dom::parser *>(state);
}

void *
od_create(size_t max_line)
{
    auto *p = new (std::nothrow) simdjson::ondemand::parser(max_line + 64);
    return p;
}

int walk(simdjson::ondemand::value v);

int
walk_object(simdjson::ondemand::object o)
{
    for (auto field : o) {
        std::string_view k;
        simdjson::ondemand::value v;

        if (field.unescaped_key().get(k) != simdjson::SUCCESS ||
            field.value().get(v) != simdjson::SUCCESS || walk(v) != 0)
            return -1;
    }
    return 0;
}

int
walk_array(simdjson::ondemand::array a)
{
    for (auto el : a) {
        simdjson::ondemand::value v;

        if (el.get(v) != simdjson::SUCCESS || walk(v) != 0)
            return -1;
    }
    return 0;
}

int
walk(simdjson::ondemand::value v)
{
    simdjson::ondemand::json_type t;

    if (v.type().get(t) != simdjson::SUCCESS)
        return -1;
    switch (t) {
    case simdjson::ondemand::json_type::object: {
        simdjson::ondemand::object o;
        return v.get_object().get(o) == simdjson::SUCCESS ? walk_object(o)
                                                          : -1;
    }
    case simdjson::ondemand::json_type::array: {
        simdjson::ondemand::array a;
        return v.get_array().get(a) == simdjson::SUCCESS ? walk_array(a) : -1;
    }
    case simdjson::ondemand::json_type::string: {
        std::string_view s;
        return v.get_string().get(s) == simdjson::SUCCESS ? 0 : -1;
    }
    case simdjson::ondemand::json_type::number: {
        simdjson::ondemand::number n;
        return v.get_number().get(n) == simdjson::SUCCESS ? 0 : -1;
    }
    case simdjson::ondemand::json_type::boolean: {
        bool b;
        return v.get_bool().get(b) == simdjson::SUCCESS ? 0 : -1;
    }
    case simdjson::ondemand::json_type::null: {
        bool n = false;
        return v.is_null().get(n) == simdjson::SUCCESS && n ? 0 : -1;
    }
    }
    return -1;
}

int
od_parse(void *state, const char *line, size_t len)
{
    auto *p = static_cast<simdjson::ondemand::parser *>(state);
    simdjson::ondemand::document doc;
    simdjson::ondemand::object o;

    if (p->iterate(line, len, len + simdjson::SIMDJSON_PADDING).get(doc) !=
        simdjson::SUCCESS)
        return -1;
    /* 3.0.1 has no document::at_end(): trailing bytes go unchecked */
    if (doc.get_object().get(o) != simdjson::SUCCESS || walk_object(o) != 0)
        return -1;
    return 0;
}

void
od_destroy(void *state)
{
    delete static_cast<simdjson::ondemand::parser *>(state);
}

// ---- stage 1, and an own stage 2 after it ---------------------------------

struct own_state {
    simdjson::dom::parser parser;
    simdjson::dom::parser ref;      // tape_check's reference
    own_tape t;
};

void
own_destroy(void *state)
{
    auto *o = static_cast<own_state *>(state);

    std::free(o->t.tape);
    std::free(o->t.strs);
    std::free(o->t.scratch);
    std::free(o->t.backslashes);
    delete o;
}

void *
own_create(size_t max_line)
{
    auto *o = new (std::nothrow) own_state();
    size_t cap = max_line + 64;

    if (o == nullptr)
        return nullptr;
    o->t = own_tape{};
    if (o->parser.allocate(cap) != simdjson::SUCCESS ||
        (o->t.tape = static_cast<uint64_t *>(
             std::malloc((2 * cap + 2) * sizeof(uint64_t)))) == nullptr ||
        (o->t.strs = static_cast<own_string *>(
             std::malloc(cap * sizeof(own_string)))) == nullptr ||
        (o->t.scratch = static_cast<char *>(std::malloc(cap))) == nullptr ||
        (o->t.backslashes = static_cast<uint32_t *>(
             std::malloc(cap * sizeof(uint32_t)))) == nullptr) {
        own_destroy(o);
        return nullptr;
    }
    o->t.backslashes_cap = static_cast<uint32_t>(cap);
    return o;
}

// Stage 1 into the parser's structural indexes; false if it failed.
bool
stage1(own_state *o, const char *line, size_t len)
{
    return o->parser.implementation->stage1(
               reinterpret_cast<const uint8_t *>(line), len,
               simdjson::stage1_mode::regular) == simdjson::SUCCESS;
}

enum own_rc
own_pass(own_state *o, const char *line, size_t len, bool values)
{
    auto &impl = *o->parser.implementation;
    auto *buf = reinterpret_cast<const uint8_t *>(line);
    auto n = impl.n_structural_indexes;
    auto *idx = impl.structural_indexes.get();

    return values ? own_tape_build(buf, static_cast<uint32_t>(len), idx, n,
                                   &o->t) :
                    own_walk(buf, static_cast<uint32_t>(len), idx, n, &o->t);
}

int
stage1_parse(void *state, const char *line, size_t len)
{
    return stage1(static_cast<own_state *>(state), line, len) ? 0 : -1;
}

int
walk_parse(void *state, const char *line, size_t len)
{
    auto *o = static_cast<own_state *>(state);

    return stage1(o, line, len) && own_pass(o, line, len, false) == OWN_OK ?
           0 : -1;
}

// As a product would run it: what the own pass declines goes through
// simdjson's whole DOM parse.
int
tape_parse(void *state, const char *line, size_t len)
{
    auto *o = static_cast<own_state *>(state);
    simdjson::dom::element doc;

    if (stage1(o, line, len) && own_pass(o, line, len, true) == OWN_OK)
        return 0;
    return o->parser.parse(line, len, false).get(doc) == simdjson::SUCCESS ?
           0 : -1;
}

// The own tape against simdjson's, word for word, strings by content.
int
tape_check(void *state, const char *line, size_t len)
{
    auto *o = static_cast<own_state *>(state);
    simdjson::dom::parser &ref = o->ref;
    simdjson::dom::element doc;
    const uint64_t *want;
    const uint8_t *sb;
    uint64_t end;
    uint32_t slen;

    if (!stage1(o, line, len) || own_pass(o, line, len, true) != OWN_OK)
        return 1;
    if (ref.parse(line, len, false).get(doc) != simdjson::SUCCESS)
        return -1;                  // accepted what simdjson refuses
    want = ref.doc.tape.get();
    sb = ref.doc.string_buf.get();
    end = want[0] & ESL_J_PAYLOAD_MASK;
    if (o->t.tape[0] != want[0])
        return -1;
    for (uint64_t i = 1; i < end; i++) {
        uint64_t w = want[i], got = o->t.tape[i];
        unsigned t = static_cast<unsigned>(w >> 56);

        if (t == ESL_J_STRING) {
            const own_string &s = o->t.strs[got & ESL_J_PAYLOAD_MASK];
            const uint8_t *p = sb + (w & ESL_J_PAYLOAD_MASK);

            std::memcpy(&slen, p, sizeof(slen));
            if (got >> 56 != t || s.len != slen ||
                std::memcmp(s.ptr, p + 4, slen) != 0)
                return -1;
        } else if (got != w) {
            return -1;
        } else if (t == ESL_J_INT || t == ESL_J_UINT || t == ESL_J_DOUBLE) {
            i++;
            if (o->t.tape[i] != want[i])
                return -1;
        }
    }
    return 0;
}

} // namespace

extern "C" const struct candidate cand_simdjson_dom = {
    "simdjson 3.0.1 DOM", "C++; validates all; what estel uses",
    dom_create, dom_parse, dom_destroy, nullptr
};
extern "C" const struct candidate cand_simdjson_ondemand = {
    "simdjson 3.0.1 On-Demand", "C++; lazy, walked whole",
    od_create, od_parse, od_destroy, nullptr
};
extern "C" const struct candidate cand_simdjson_stage1 = {
    "simdjson 3.0.1 stage 1 alone",
    "UTF-8, strings, structural indexes; no grammar, no values",
    own_create, stage1_parse, own_destroy, nullptr
};
extern "C" const struct candidate cand_own_walk = {
    "stage 1 + own walk",
    "grammar and string ends, no value read: the floor of an own stage 2",
    own_create, walk_parse, own_destroy, nullptr
};
extern "C" const struct candidate cand_own_tape = {
    "stage 1 + own tape",
    "an own stage 2: strings in place, integers; declined lines to DOM",
    own_create, tape_parse, own_destroy, tape_check
};
