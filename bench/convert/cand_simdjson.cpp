// cand_simdjson.cpp - simdjson (C++) candidates behind the C table in
// candidates.h: the DOM parser (full validation into a tape) and On-Demand
// with a walk that touches every value (On-Demand validates only what is
// read, so an untouched parse would not be comparable).
#include "candidates.h"

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

} // namespace

extern "C" const struct candidate cand_simdjson_dom = {
    "simdjson 3.0.1 DOM", "C++; validates all; what estel uses",
    dom_create, dom_parse, dom_destroy
};
extern "C" const struct candidate cand_simdjson_ondemand = {
    "simdjson 3.0.1 On-Demand", "C++; lazy, walked whole",
    od_create, od_parse, od_destroy
};
