// Reading libpg_query's parse tree (the protobuf-c structs of pg_query.pb-c.h).
//
// Rules read the tree through these helpers so that the C structs' spelling stays in one place:
//   name_of(range_var)        -> "public.loans" or "loans"
//   type_string(type_name)    -> "varchar(20)", "bigint", "timestamptz", "int[]"
//   for_each_node(node, f)    -> every node below `node`, in tree order (inlined: walks are hot)
#pragma once

#include <string>
#include <string_view>

#include <pg_query.pb-c.h>

namespace slipway::sql {

using Node = PgQuery__Node;

// The text of a String node, or "" for anything else.
std::string_view string_value(const Node* node);
// "schema.name" when a schema is given, else "name".
std::string name_of(const PgQuery__RangeVar* rv);
// The dotted text of a list of String nodes (e.g. a qualified type or function name).
std::string dotted_name(Node* const* items, std::size_t n);
// The last element of a dotted name list ("pg_catalog.int4" -> "int4").
std::string_view last_name(Node* const* items, std::size_t n);

// A type as PostgreSQL's format_type() spells it: "integer", "character varying(20)", "text",
// "timestamp with time zone", "numeric(10,2)", "integer[]". Comparable with the live catalog.
std::string type_string(const PgQuery__TypeName* type);

// The message-typed fields of a message type (cached per descriptor): what a walk follows.
struct MessageFields {
  const ProtobufCFieldDescriptor* const* fields;
  std::size_t count;
};
MessageFields message_fields(const ProtobufCMessageDescriptor* desc);

// Calls `visit` for every message below `root` (not `root` itself), depth first: Nodes and the
// structs that are referenced directly, such as AlterTableStmt.relation (a RangeVar).
template <typename Visit>
void for_each_message(const ProtobufCMessage* root, Visit&& visit) {
  if (!root) return;
  const MessageFields mf = message_fields(root->descriptor);
  const auto* base = reinterpret_cast<const char*>(root);
  for (std::size_t i = 0; i < mf.count; ++i) {
    const ProtobufCFieldDescriptor& f = *mf.fields[i];
    if ((f.flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
        *reinterpret_cast<const uint32_t*>(base + f.quantifier_offset) != f.id) {
      continue;
    }
    if (f.label == PROTOBUF_C_LABEL_REPEATED) {
      const auto count = *reinterpret_cast<const std::size_t*>(base + f.quantifier_offset);
      const auto* items = *reinterpret_cast<ProtobufCMessage* const* const*>(base + f.offset);
      for (std::size_t k = 0; k < count; ++k) {
        if (!items[k]) continue;
        visit(*items[k]);
        for_each_message(items[k], visit);
      }
    } else if (const auto* child = *reinterpret_cast<const ProtobufCMessage* const*>(base + f.offset)) {
      visit(*child);
      for_each_message(child, visit);
    }
  }
}

// Calls `visit` for every Node below `root`.
template <typename Visit>
void for_each_node(const ProtobufCMessage* root, Visit&& visit) {
  for_each_message(root, [&](const ProtobufCMessage& m) {
    if (m.descriptor == &pg_query__node__descriptor) visit(reinterpret_cast<const Node&>(m));
  });
}

// Calls `visit` for every RangeVar below `root`, wrapped in a Node or not.
template <typename Visit>
void for_each_range_var(const ProtobufCMessage* root, Visit&& visit) {
  for_each_message(root, [&](const ProtobufCMessage& m) {
    if (m.descriptor == &pg_query__range_var__descriptor) visit(reinterpret_cast<const PgQuery__RangeVar&>(m));
  });
}

}  // namespace slipway::sql
