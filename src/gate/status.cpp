#include "gate/status.hpp"

#include <boost/json.hpp>

#include "core/json_fields.hpp"

namespace slipway::gate {

namespace json = boost::json;

json::object GateStatus::to_json() const {
  json::array recent;
  for (const auto& w : recent_writes_let_through) {
    recent.push_back(json::object{{"seq", w.seq},
                                  {"at", w.at},
                                  {"method", w.method},
                                  {"path", w.path},
                                  {"client", w.client},
                                  {"by", w.admin ? "admin" : "allow"}});
  }
  json::object o{{"ok", ok},
                 {"mode", mode},
                 {"message", message},
                 {"retry_after", retry_after},
                 {"upstream", upstream},
                 {"bypass_tokens", bypass_tokens},
                 {"connections", connections},
                 {"in_flight", in_flight},
                 {"requests", requests},
                 {"uptime_seconds", uptime_seconds},
                 {"started_at", started_at},
                 {"writes_let_through", writes_let_through},
                 {"recent_writes_let_through", std::move(recent)}};
  if (!note.empty()) o["note"] = note;
  return o;
}

Result<GateStatus> GateStatus::from_json(const json::value& v) {
  JsonFields f(v.if_object());
  GateStatus s;
  s.ok = f.flag("ok");
  s.mode = f.str("mode");
  s.upstream = f.str("upstream");
  // A gate started by an older slipway may not say these.
  constexpr bool older = JsonFields::optional;
  s.message = f.str("message", older);
  s.retry_after = f.num("retry_after", older);
  s.bypass_tokens = f.num("bypass_tokens", older);
  s.connections = f.num("connections", older);
  s.in_flight = f.num("in_flight", older);
  s.requests = f.count("requests", older);
  s.uptime_seconds = f.num("uptime_seconds", older);
  s.started_at = f.str("started_at", older);
  s.writes_let_through = f.count("writes_let_through", older);
  s.note = f.str("note", older);
  if (const json::array* recent = f.arr("recent_writes_let_through", older)) {
    for (const json::value& item : *recent) {
      JsonFields w(item.if_object());
      WriteLetThrough write{w.count("seq"), w.str("at"),     w.str("method"),
                            w.str("path"),  w.str("client"), w.str("by") == "admin"};
      f.adopt(w);
      s.recent_writes_let_through.push_back(std::move(write));
    }
  }
  if (!f.missing().empty())
    return fail(Error::input("not a gate's status: '" + f.missing() + "' is missing or has the wrong type"));
  return s;
}

}  // namespace slipway::gate
