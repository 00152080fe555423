// ban-domain-constraint: a CHECK on a domain is checked against every column of every table that
// uses the domain, and PostgreSQL has no way to add one without that scan on existing data except
// NOT VALID. Table and column constraints are easier to change online.
//   CREATE DOMAIN ... CHECK (...)              review: later changes to it scan every user
//   ALTER DOMAIN ... ADD CONSTRAINT ...        review: scans every column using the domain
//   ALTER DOMAIN ... ADD CONSTRAINT ... NOT VALID   passes
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"
#include "pg/catalog.hpp"

namespace slipway::lint::rules {

void ban_domain_constraint(Context& ctx) {
  const sql::Node& node = ctx.node();
  if (node.node_case == PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT) {
    const auto& stmt = *node.create_domain_stmt;
    for (std::size_t i = 0; i < stmt.n_constraints; ++i) {
      const sql::Node* n = stmt.constraints[i];
      if (n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT ||
          n->constraint->contype != PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
        continue;
      ctx.report({
          .base = Verdict::review,
          .message = fmt::format("domain {} has a CHECK constraint: changing it later scans every column that uses "
                                 "the domain, in every table",
                                 sql::dotted_name(stmt.domainname, stmt.n_domainname)),
          .hint = "put the CHECK on the table columns instead (ADD CONSTRAINT ... NOT VALID, then VALIDATE), where "
                  "it can be changed one table at a time",
          .offset = ctx.offset_of(n->constraint->location),
      });
      return;
    }
    return;
  }
  if (node.node_case != PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT) return;
  const auto& stmt = *node.alter_domain_stmt;
  if (!stmt.subtype || std::string_view(stmt.subtype) != "C" || !stmt.def ||
      stmt.def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
    return;
  const auto& c = *stmt.def->constraint;
  if (is_not_valid(c)) return;
  const std::string domain = sql::dotted_name(stmt.type_name, stmt.n_type_name);
  const bool is_new = ctx.state().new_types.count(pg::qualify(domain)) > 0;
  ctx.report({
      .base = is_new ? Verdict::safe : Verdict::review,
      .message = fmt::format("adding a constraint to domain {} checks every column that uses it, in every table, "
                             "while their writes wait{}",
                             domain, is_new ? " (safe: the domain is created in this run)" : ""),
      .hint = fmt::format("ALTER DOMAIN {} ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later "
                          "migration (or put the CHECK on the table columns)",
                          domain),
      .offset = ctx.offset_of(c.location),
  });
}

}  // namespace slipway::lint::rules
