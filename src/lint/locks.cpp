#include "lint/locks.hpp"

#include <algorithm>

#include "pg/catalog.hpp"

namespace slipway::lint {
namespace {

bool has_option(sql::Node* const* options, std::size_t n, std::string_view name) {
  for (std::size_t i = 0; i < n; ++i) {
    const sql::Node* o = options[i];
    if (o->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && o->def_elem->defname == name) return true;
  }
  return false;
}

LockMode alter_table_cmd_lock(const PgQuery__AlterTableCmd& cmd) {
  switch (cmd.subtype) {
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint: {
      if (cmd.def && cmd.def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
          cmd.def->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
        return LockMode::share_row_exclusive;
      }
      return LockMode::access_exclusive;
    }
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ClusterOn:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropCluster:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition: return LockMode::share_update_exclusive;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition:
      return cmd.def && cmd.def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD && cmd.def->partition_cmd->concurrent
                 ? LockMode::share_update_exclusive
                 : LockMode::access_exclusive;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigAll:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigUser:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigUser: return LockMode::share_row_exclusive;
    default: return LockMode::access_exclusive;
  }
}

std::string qualified(const PgQuery__RangeVar* rv) {
  return pg::qualify(sql::name_of(rv));
}

}  // namespace

LockInfo lock_for(const sql::Node& node) {
  switch (node.node_case) {
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: {
      const auto& s = *node.alter_table_stmt;
      LockMode mode = LockMode::none;
      for (std::size_t i = 0; i < s.n_cmds; ++i) {
        if (s.cmds[i]->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) {
          mode = std::max(mode, alter_table_cmd_lock(*s.cmds[i]->alter_table_cmd));
        }
      }
      return {mode, qualified(s.relation)};
    }
    case PG_QUERY__NODE__NODE_INDEX_STMT: {
      const auto& s = *node.index_stmt;
      return {s.concurrent ? LockMode::share_update_exclusive : LockMode::share, qualified(s.relation)};
    }
    case PG_QUERY__NODE__NODE_DROP_STMT: {
      const auto& s = *node.drop_stmt;
      std::string name;
      if (s.n_objects > 0 && s.objects[0]->node_case == PG_QUERY__NODE__NODE_LIST) {
        name = pg::qualify(sql::dotted_name(s.objects[0]->list->items, s.objects[0]->list->n_items));
      }
      switch (s.remove_type) {
        case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
          return {s.concurrent ? LockMode::share_update_exclusive : LockMode::access_exclusive, name};
        case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
        case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
        case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
        case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE: return {LockMode::access_exclusive, name};
        case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
        case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
        case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY: return {LockMode::access_exclusive, {}};
        default: return {};
      }
    }
    case PG_QUERY__NODE__NODE_RENAME_STMT: {
      const auto& s = *node.rename_stmt;
      if (s.rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX)
        return {LockMode::share_update_exclusive, qualified(s.relation)};
      if (s.relation) return {LockMode::access_exclusive, qualified(s.relation)};
      return {};
    }
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT: {
      const auto& s = *node.truncate_stmt;
      std::string table;
      if (s.n_relations > 0 && s.relations[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
        table = qualified(s.relations[0]->range_var);
      }
      return {LockMode::access_exclusive, table};
    }
    case PG_QUERY__NODE__NODE_REINDEX_STMT: {
      const auto& s = *node.reindex_stmt;
      const bool concurrent = has_option(s.params, s.n_params, "concurrently");
      return {concurrent ? LockMode::share_update_exclusive : LockMode::share, s.relation ? qualified(s.relation) : ""};
    }
    case PG_QUERY__NODE__NODE_VACUUM_STMT: {
      const auto& s = *node.vacuum_stmt;
      std::string table;
      if (s.n_rels > 0 && s.rels[0]->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION &&
          s.rels[0]->vacuum_relation->relation) {
        table = qualified(s.rels[0]->vacuum_relation->relation);
      }
      const bool full = has_option(s.options, s.n_options, "full");
      return {full ? LockMode::access_exclusive : LockMode::share_update_exclusive, table};
    }
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:
      return {LockMode::access_exclusive, node.cluster_stmt->relation ? qualified(node.cluster_stmt->relation) : ""};
    case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
      return {node.refresh_mat_view_stmt->concurrent ? LockMode::exclusive : LockMode::access_exclusive,
              qualified(node.refresh_mat_view_stmt->relation)};
    case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
      return {LockMode::share_row_exclusive, qualified(node.create_trig_stmt->relation)};
    case PG_QUERY__NODE__NODE_COMMENT_STMT: return {LockMode::share_update_exclusive, {}};
    case PG_QUERY__NODE__NODE_INSERT_STMT: return {LockMode::row_exclusive, qualified(node.insert_stmt->relation)};
    case PG_QUERY__NODE__NODE_UPDATE_STMT: return {LockMode::row_exclusive, qualified(node.update_stmt->relation)};
    case PG_QUERY__NODE__NODE_DELETE_STMT: return {LockMode::row_exclusive, qualified(node.delete_stmt->relation)};
    case PG_QUERY__NODE__NODE_SELECT_STMT: return {LockMode::access_share, {}};
    case PG_QUERY__NODE__NODE_CREATE_STMT: {
      // A new table locks nothing anyone uses, except the tables its foreign keys reference.
      std::string referenced;
      sql::for_each_node(&node.create_stmt->base, [&](const sql::Node& n) {
        if (referenced.empty() && n.node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
            n.constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN && n.constraint->pktable) {
          referenced = qualified(n.constraint->pktable);
        }
      });
      if (!referenced.empty()) return {LockMode::share_row_exclusive, referenced};
      return {};
    }
    default: return {};
  }
}

std::vector<std::string> tables_of(const sql::Node& node) {
  std::vector<std::string> out;
  const auto add = [&out](std::string name) {
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  };
  if (node.node_case == PG_QUERY__NODE__NODE_DROP_STMT) {
    const auto& s = *node.drop_stmt;
    const bool tables = s.remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
                        s.remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW ||
                        s.remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW;
    for (std::size_t i = 0; tables && i < s.n_objects; ++i) {
      if (s.objects[i]->node_case == PG_QUERY__NODE__NODE_LIST) {
        add(pg::qualify(sql::dotted_name(s.objects[i]->list->items, s.objects[i]->list->n_items)));
      }
    }
  }
  sql::for_each_range_var(&node.base, [&](const PgQuery__RangeVar& rv) {
    if (rv.relname && *rv.relname) add(qualified(&rv));
  });
  return out;
}

}  // namespace slipway::lint
