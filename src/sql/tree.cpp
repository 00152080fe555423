#include "sql/tree.hpp"

#include <array>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace slipway::sql {
namespace {

// Internal type names and the spelling format_type() uses for them.
constexpr std::array<std::pair<std::string_view, std::string_view>, 17> kTypeNames{{
    {"int2", "smallint"},
    {"int4", "integer"},
    {"int8", "bigint"},
    {"float4", "real"},
    {"float8", "double precision"},
    {"bool", "boolean"},
    {"varchar", "character varying"},
    {"bpchar", "character"},
    {"timestamptz", "timestamp with time zone"},
    {"timestamp", "timestamp without time zone"},
    {"timetz", "time with time zone"},
    {"time", "time without time zone"},
    {"varbit", "bit varying"},
    {"int", "integer"},
    {"decimal", "numeric"},
    {"serial4", "serial"},
    {"serial8", "bigserial"},
}};

bool needs_quotes(std::string_view name) {
  if (name.empty()) return true;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return true;
  }
  return name.front() >= '0' && name.front() <= '9';
}

}  // namespace

std::string_view string_value(const Node* node) {
  if (node && node->node_case == PG_QUERY__NODE__NODE_STRING && node->string) return node->string->sval;
  return {};
}

std::string name_of(const PgQuery__RangeVar* rv) {
  if (!rv) return {};
  if (rv->schemaname && *rv->schemaname) return fmt::format("{}.{}", rv->schemaname, rv->relname);
  return rv->relname;
}

std::string dotted_name(Node* const* items, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += '.';
    out += string_value(items[i]);
  }
  return out;
}

std::string_view last_name(Node* const* items, std::size_t n) {
  return n == 0 ? std::string_view() : string_value(items[n - 1]);
}

std::string type_string(const PgQuery__TypeName* type) {
  if (!type || type->n_names == 0) return {};
  std::string_view base = last_name(type->names, type->n_names);
  const bool in_catalog = type->n_names > 1 && string_value(type->names[0]) == "pg_catalog";
  std::string out;
  for (auto [internal, spelled] : kTypeNames) {
    // "time" and "timestamp" are only the catalog's names when qualified or plain; both spell alike.
    if (base == internal) {
      out = spelled;
      break;
    }
  }
  if (out.empty()) {
    if (!in_catalog && type->n_names > 1) {
      out = dotted_name(type->names, type->n_names);
    } else {
      out = needs_quotes(base) ? fmt::format("\"{}\"", base) : std::string(base);
    }
  }
  if (type->n_typmods > 0) {
    std::string mods;
    for (std::size_t i = 0; i < type->n_typmods; ++i) {
      const Node* m = type->typmods[i];
      if (i) mods += ',';
      if (m->node_case == PG_QUERY__NODE__NODE_A_CONST && m->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
        mods += fmt::format("{}", m->a_const->ival ? m->a_const->ival->ival : 0);
      } else {
        mods += '?';
      }
    }
    // format_type() writes "timestamp(3) with time zone", with the precision after the name's first word.
    if (out.starts_with("timestamp ") || out.starts_with("time ")) {
      const auto space = out.find(' ');
      out = fmt::format("{}({}){}", out.substr(0, space), mods, out.substr(space));
    } else {
      out += fmt::format("({})", mods);
    }
  }
  for (std::size_t i = 0; i < type->n_array_bounds; ++i) out += "[]";
  return out;
}

MessageFields message_fields(const ProtobufCMessageDescriptor* desc) {
  // Descriptors are static: cache each one's message fields, so a walk skips the scalar ones.
  thread_local std::unordered_map<const ProtobufCMessageDescriptor*, std::vector<const ProtobufCFieldDescriptor*>>
      cache;
  auto it = cache.find(desc);
  if (it == cache.end()) {
    std::vector<const ProtobufCFieldDescriptor*> fields;
    for (unsigned i = 0; i < desc->n_fields; ++i) {
      if (desc->fields[i].type == PROTOBUF_C_TYPE_MESSAGE) fields.push_back(&desc->fields[i]);
    }
    it = cache.emplace(desc, std::move(fields)).first;
  }
  return {it->second.data(), it->second.size()};
}

}  // namespace slipway::sql
