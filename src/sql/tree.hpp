// Reading libpg_query's parse tree (the protobuf-c structs of pg_query.pb-c.h).
//
// Rules read the tree through these helpers so that the C structs' spelling stays in one place:
//   name_of(range_var)        -> "public.loans" or "loans"
//   type_string(type_name)    -> "varchar(20)", "bigint", "timestamptz", "int[]"
//   for_each_node(node, f)    -> every node below `node`, in tree order
#pragma once

#include <functional>
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

// Calls `visit` for every message below `root` (not `root` itself), depth first: Nodes and the
// structs that are referenced directly, such as AlterTableStmt.relation (a RangeVar).
void for_each_message(const ProtobufCMessage* root, const std::function<void(const ProtobufCMessage&)>& visit);
// Calls `visit` for every Node below `root`.
void for_each_node(const ProtobufCMessage* root, const std::function<void(const Node&)>& visit);
// Calls `visit` for every RangeVar below `root`, wrapped in a Node or not.
void for_each_range_var(const ProtobufCMessage* root, const std::function<void(const PgQuery__RangeVar&)>& visit);

}  // namespace slipway::sql
