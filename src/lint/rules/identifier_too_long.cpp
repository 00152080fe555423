// identifier-too-long: PostgreSQL silently truncates identifiers to 63 bytes (NAMEDATALEN - 1),
// so the table, column, index, constraint or type a statement creates gets a different name from
// the one written, which the ORM and later migrations then fail to find; two long names with the
// same first 63 bytes collide. The parse tree already holds the truncated names, so the long
// spellings are read from the statement's tokens, counted in bytes (UTF-8), not characters.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

constexpr std::size_t kMaxBytes = 63;

void add(std::set<std::string>& names, const char* name) {
  if (name && *name) names.insert(name);
}

void add(std::set<std::string>& names, const PgQuery__RangeVar* rv) {
  if (rv) add(names, rv->relname);
}

// The names the statement creates or renames to, as the parser left them (already truncated).
std::set<std::string> created_names(const sql::Node& node) {
  std::set<std::string> names;
  switch (node.node_case) {
    case PG_QUERY__NODE__NODE_CREATE_STMT: add(names, node.create_stmt->relation); break;
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
      if (node.create_table_as_stmt->into) add(names, node.create_table_as_stmt->into->rel);
      break;
    case PG_QUERY__NODE__NODE_VIEW_STMT: add(names, node.view_stmt->view); break;
    case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT: add(names, node.create_seq_stmt->sequence); break;
    case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT: add(names, node.composite_type_stmt->typevar); break;
    case PG_QUERY__NODE__NODE_INDEX_STMT: add(names, node.index_stmt->idxname); break;
    case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT: add(names, node.create_trig_stmt->trigname); break;
    case PG_QUERY__NODE__NODE_RENAME_STMT: add(names, node.rename_stmt->newname); break;
    case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT: {
      const auto& s = *node.create_enum_stmt;
      names.emplace(sql::last_name(s.type_name, s.n_type_name));
      break;
    }
    case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT: {
      const auto& s = *node.create_domain_stmt;
      names.emplace(sql::last_name(s.domainname, s.n_domainname));
      break;
    }
    default: break;
  }
  // Column and constraint names are only created by these; DML needs no walk.
  const bool defines_columns = node.node_case == PG_QUERY__NODE__NODE_CREATE_STMT ||
                               node.node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
                               node.node_case == PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT ||
                               node.node_case == PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT ||
                               node.node_case == PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT;
  if (!defines_columns) return names;
  sql::for_each_node(&node.base, [&names](const sql::Node& n) {
    if (n.node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) add(names, n.column_def->colname);
    if (n.node_case == PG_QUERY__NODE__NODE_CONSTRAINT) add(names, n.constraint->conname);
  });
  return names;
}

// An identifier token as the parser reads it: quoted ones unquoted, others lower-cased (ASCII).
std::string identifier_text(std::string_view token) {
  std::string out;
  if (token.size() >= 2 && token.front() == '"') {
    token = token.substr(1, token.size() - 2);
    for (std::size_t i = 0; i < token.size(); ++i) {
      out += token[i];
      if (token[i] == '"' && i + 1 < token.size() && token[i + 1] == '"') ++i;
    }
    return out;
  }
  for (char c : token) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

// The first `max` bytes of a UTF-8 string, cut at a character boundary (PostgreSQL's pg_mbcliplen).
std::string clip(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// The first `chars` UTF-8 characters of s.
std::string first_chars(const std::string& s, std::size_t chars) {
  std::size_t i = 0;
  for (std::size_t seen = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && seen++ == chars) break;
  }
  return s.substr(0, i);
}

}  // namespace

void identifier_too_long(Context& ctx) {
  const std::set<std::string> created = created_names(ctx.node());
  // A truncated name is at least 60 bytes long (63 minus at most a partial 4-byte character).
  if (std::none_of(created.begin(), created.end(), [](const std::string& n) { return n.size() >= kMaxBytes - 3; }))
    return;
  const std::string_view source = ctx.file().source(ctx.statement());
  std::set<std::string> reported;
  for (const ScanToken& t : scan_tokens(source)) {
    if (t.token != PG_QUERY__TOKEN__IDENT) continue;
    const std::string name = identifier_text(source.substr(t.start, t.end - t.start));
    if (name.size() <= kMaxBytes || !created.count(clip(name, kMaxBytes)) || !reported.insert(name).second) continue;
    ctx.report({
        .base = Verdict::review,
        .message = fmt::format("identifier '{}…' is {} bytes: PostgreSQL truncates it to {} bytes",
                               first_chars(name, 20), name.size(), kMaxBytes),
        .hint = fmt::format("shorten it to {} bytes or fewer, so that the name in the database is the one the code "
                            "and later migrations use",
                            kMaxBytes),
        .offset = ctx.statement().offset + t.start,
    });
  }
}

}  // namespace slipway::lint::rules
