#include "sql/tree.hpp"

#include <array>
#include <utility>

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

void for_each_message(const ProtobufCMessage* root, const std::function<void(const ProtobufCMessage&)>& visit) {
  if (!root) return;
  const ProtobufCMessageDescriptor* desc = root->descriptor;
  const auto* base = reinterpret_cast<const char*>(root);
  for (unsigned i = 0; i < desc->n_fields; ++i) {
    const ProtobufCFieldDescriptor& f = desc->fields[i];
    if (f.type != PROTOBUF_C_TYPE_MESSAGE) continue;
    if (f.flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
      const auto which = *reinterpret_cast<const uint32_t*>(base + f.quantifier_offset);
      if (which != f.id) continue;
    }
    const auto recurse = [&](const ProtobufCMessage* child) {
      if (!child) return;
      visit(*child);
      for_each_message(child, visit);
    };
    if (f.label == PROTOBUF_C_LABEL_REPEATED) {
      const auto count = *reinterpret_cast<const std::size_t*>(base + f.quantifier_offset);
      const auto* items = *reinterpret_cast<ProtobufCMessage* const* const*>(base + f.offset);
      for (std::size_t k = 0; k < count; ++k) recurse(items[k]);
    } else {
      recurse(*reinterpret_cast<const ProtobufCMessage* const*>(base + f.offset));
    }
  }
}

void for_each_node(const ProtobufCMessage* root, const std::function<void(const Node&)>& visit) {
  for_each_message(root, [&](const ProtobufCMessage& m) {
    if (m.descriptor == &pg_query__node__descriptor) visit(reinterpret_cast<const Node&>(m));
  });
}

void for_each_range_var(const ProtobufCMessage* root, const std::function<void(const PgQuery__RangeVar&)>& visit) {
  for_each_message(root, [&](const ProtobufCMessage& m) {
    if (m.descriptor == &pg_query__range_var__descriptor) visit(reinterpret_cast<const PgQuery__RangeVar&>(m));
  });
}

}  // namespace slipway::sql
